import { CfnResource } from 'aws-cdk-lib';
import { CONTROLS } from '../core/controls';
import { asList, controlsOn, flatten, mentions, PROTECTION_PURPOSE_TAG, propsOf, resourcesOfType, sameStack, tagsOf } from './inspect';

/** What a protection bucket holds. `logs` buckets are server access log targets, which cannot use Object Lock. */
export type BucketPurpose = 'backups' | 'evidence' | 'audit' | 'logs';

/**
 * Whether a bucket holds backups, evidence, audit logs or access logs, from the library's
 * control metadata, the `data-protection:holds` tag, Object Lock, or how other resources use it
 * (trail target, access-log target, Backup report destination).
 */
export function bucketPurpose(bucket: CfnResource): BucketPurpose | undefined {
  if (bucket.cfnResourceType !== 'AWS::S3::Bucket') return undefined;
  const tag = tagsOf(bucket)[PROTECTION_PURPOSE_TAG];
  if (tag === 'backups' || tag === 'evidence' || tag === 'audit' || tag === 'logs') return tag;
  if (controlsOn(bucket, CONTROLS.OBJECT_LOCK).length > 0) return 'evidence';
  const p = propsOf(bucket);
  if (p.ObjectLockEnabled === true || p.ObjectLockEnabled === 'true') return 'evidence';
  const uses = (type: string, pick: (props: Record<string, any>) => unknown) => usersOf(bucket, type, pick).some((r) => r !== bucket && mentions(pick(propsOf(r)), bucket, r));
  if (uses('AWS::CloudTrail::Trail', TRAIL_BUCKET)) return 'audit';
  if (uses('AWS::Backup::ReportPlan', REPORT_BUCKET)) return 'evidence';
  if (uses('AWS::S3::Bucket', LOG_DESTINATION)) return 'logs';
  return undefined;
}

const TRAIL_BUCKET = (t: Record<string, any>) => t.S3BucketName;
const REPORT_BUCKET = (r: Record<string, any>) => r.ReportDeliveryChannel?.S3BucketName;
const LOG_DESTINATION = (b: Record<string, any>) => b.LoggingConfiguration?.DestinationBucketName;

/** Per app and picker: the resources of a type whose picked property is set (few: most buckets log nowhere), so each bucket is not compared with every other. */
const USERS = new WeakMap<object, Map<(props: Record<string, any>) => unknown, Map<string, CfnResource[]>>>();

function usersOf(scope: CfnResource, type: string, pick: (props: Record<string, any>) => unknown): CfnResource[] {
  // Keyed by the (session-cached) list of the app's resources, so a new inspection session recomputes.
  const app = resourcesOfType(scope);
  const byPick = USERS.get(app) ?? new Map<(props: Record<string, any>) => unknown, Map<string, CfnResource[]>>();
  USERS.set(app, byPick);
  const byType = byPick.get(pick) ?? new Map<string, CfnResource[]>();
  byPick.set(pick, byType);
  let users = byType.get(type);
  if (!users) {
    users = app.filter((r) => r.cfnResourceType === type && pick(propsOf(r)) !== undefined);
    byType.set(type, users);
  }
  return users;
}

/** The resolved statements of every bucket policy attached to the bucket (same stack). */
export function bucketPolicyStatements(bucket: CfnResource): Array<Record<string, any>> {
  return resourcesOfType(bucket, 'AWS::S3::BucketPolicy')
    .filter((p) => sameStack(p, bucket) && mentions(propsOf(p).Bucket, bucket, p))
    .flatMap((p) => asList(propsOf(p).PolicyDocument?.Statement) as Array<Record<string, any>>);
}

const conditionValues = (s: Record<string, any>, op: string, key: string) => asList(s.Condition?.[op]?.[key]).map(flatten);

/**
 * Whether the bucket's policy denies requests without TLS (`aws:SecureTransport` false) and
 * below TLS 1.2 (`s3:TlsVersion` NumericLessThan 1.2 or higher): what `enforceSSL: true,
 * minimumTLSVersion: 1.2` of `s3.Bucket` writes. S3 accepts HTTP unless a policy denies it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingEncryptionInTransit.html); the
 * `s3:TlsVersion` deny is AWS's (https://repost.aws/knowledge-center/s3-enforce-modern-tls).
 */
export function deniesInsecureTransport(bucket: CfnResource): boolean {
  const denies = bucketPolicyStatements(bucket).filter((s) => s.Effect === 'Deny');
  const ssl = denies.some((s) => conditionValues(s, 'Bool', 'aws:SecureTransport').includes('false'));
  const tls = denies.some((s) => conditionValues(s, 'NumericLessThan', 's3:TlsVersion').some((v) => Number(v) >= 1.2));
  return ssl && tls;
}

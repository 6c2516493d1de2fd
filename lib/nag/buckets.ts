import { CfnResource } from 'aws-cdk-lib';
import { CONTROLS } from '../core/controls';
import { asList, controlsOn, mentions, PROTECTION_PURPOSE_TAG, propsOf, resourcesOfType, sameStack, tagsOf } from './inspect';

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
  const uses = (type: string, pick: (props: Record<string, any>) => unknown) =>
    resourcesOfType(bucket, type).some((r) => r !== bucket && mentions(pick(propsOf(r)), bucket, r));
  if (uses('AWS::CloudTrail::Trail', (t) => t.S3BucketName)) return 'audit';
  if (uses('AWS::Backup::ReportPlan', (r) => r.ReportDeliveryChannel?.S3BucketName)) return 'evidence';
  if (uses('AWS::S3::Bucket', (b) => b.LoggingConfiguration?.DestinationBucketName)) return 'logs';
  return undefined;
}

/** The resolved statements of every bucket policy attached to the bucket (same stack). */
export function bucketPolicyStatements(bucket: CfnResource): Array<Record<string, any>> {
  return resourcesOfType(bucket, 'AWS::S3::BucketPolicy')
    .filter((p) => sameStack(p, bucket) && mentions(propsOf(p).Bucket, bucket, p))
    .flatMap((p) => asList(propsOf(p).PolicyDocument?.Statement) as Array<Record<string, any>>);
}

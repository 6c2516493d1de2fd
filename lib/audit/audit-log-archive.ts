import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ObjectLockBucket } from '../backup/object-lock-bucket';
import { validateAccountId } from '../core/validation';
import { AuditNames } from './audit-names';

/** An organization trail that delivers into the archive. */
export interface OrganizationTrailSource {
  /** The account that owns the organization trail (management or delegated administrator). */
  readonly trailAccount: string;
  /** The organization id, e.g. `o-exampleorg1`: organization trails write under `AWSLogs/<orgId>/`. */
  readonly organizationId: string;
  /**
   * Name of the organization trail, when it differs from the data accounts' trails
   * (`OrganizationDataAccessTrail.DEFAULT_TRAIL_NAME` for the trail `AuditAccountStackProps.organizationTrail` creates).
   * @default - `AuditLogArchiveProps.trailName`
   */
  readonly trailName?: string;
}

export interface AuditLogArchiveProps {
  /** The audit key (key account), resolved to its key ARN: encrypts every log file. */
  readonly encryptionKey: kms.IKey;
  /** Accounts whose `DataAccessTrail` delivers here. */
  readonly sourceAccounts: string[];
  /** Home region of the trails. @default - this stack's region */
  readonly trailRegion?: string;
  /** @default AuditNames.DEFAULT_TRAIL_NAME */
  readonly trailName?: string;
  /** @default AuditNames.DEFAULT_KEY_PREFIX */
  readonly s3KeyPrefix?: string;
  /** @default - an organization trail is not admitted */
  readonly organizationTrail?: OrganizationTrailSource;
  /**
   * Object Lock (COMPLIANCE) retention of every log file. Irreversible per file.
   * @default Duration.days(400)
   */
  readonly retention?: Duration;
  /** @default AuditNames.archiveBucketName(<this account>, <this region>) */
  readonly bucketName?: string;
  /**
   * An existing bucket instead of a new `ObjectLockBucket`. It must be a bucket of this app
   * with Object Lock enabled and a default retention.
   * @default - a new ObjectLockBucket
   */
  readonly bucket?: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The immutable archive of the data accounts' trails, in the audit account: an
 * `ObjectLockBucket` whose policy lets CloudTrail check the ACL and write log files, only for
 * the named trails (`aws:SourceArn`) and only under each account's own `AWSLogs/<account>/`.
 */
export class AuditLogArchive extends Construct {
  public readonly bucket: s3.IBucket;
  public readonly bucketName: string;
  /** The trail ARNs admitted (`aws:SourceArn`). */
  public readonly trailArns: string[];

  public constructor(scope: Construct, id: string, props: AuditLogArchiveProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.sourceAccounts.length === 0 && !props.organizationTrail) {
      throw new Error('AuditLogArchiveProps.sourceAccounts must list at least one account whose trail delivers here, got []');
    }
    props.sourceAccounts.forEach((a, i) => validateAccountId(`AuditLogArchiveProps.sourceAccounts[${i}]`, a));
    if (props.organizationTrail) {
      validateAccountId('AuditLogArchiveProps.organizationTrail.trailAccount', props.organizationTrail.trailAccount);
      if (!Token.isUnresolved(props.organizationTrail.organizationId) && !/^o-[a-z0-9]{10,32}$/.test(props.organizationTrail.organizationId)) {
        throw new Error(`AuditLogArchiveProps.organizationTrail.organizationId must match o-[a-z0-9]{10,32}, got '${props.organizationTrail.organizationId}'`);
      }
    }
    const trailName = props.trailName ?? AuditNames.DEFAULT_TRAIL_NAME;
    const region = props.trailRegion ?? stack.region;
    const prefix = props.s3KeyPrefix ?? AuditNames.DEFAULT_KEY_PREFIX;

    if (props.bucket) {
      requireObjectLock(props.bucket);
      this.bucket = props.bucket;
    } else {
      this.bucket = new ObjectLockBucket(this, 'Archive', {
        encryptionKey: props.encryptionKey,
        bucketName: props.bucketName ?? AuditNames.archiveBucketName(stack.account, stack.region),
        retention: props.retention ?? Duration.days(400),
        removalPolicy: props.removalPolicy,
      }).bucket;
    }
    this.bucketName = this.bucket.bucketName;

    const sources = props.sourceAccounts.map((account) => ({ account, trailArn: AuditNames.trailArn(account, region, trailName), path: account }));
    if (props.organizationTrail) {
      const { trailAccount, organizationId } = props.organizationTrail;
      // An organization trail writes its own account's logs and every member's under the org id;
      // its aws:SourceArn names the management account even when a delegated administrator created
      // it ("Organization trail bucket policy",
      // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html).
      const trailArn = AuditNames.trailArn(trailAccount, region, props.organizationTrail.trailName ?? trailName);
      sources.push({ account: trailAccount, trailArn, path: trailAccount }, { account: trailAccount, trailArn, path: organizationId });
    }
    this.trailArns = [...new Set(sources.map((s) => s.trailArn))];
    const service = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [service],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceArn': this.trailArns } },
      }),
    );
    // One statement per source: a trail writes only under its own account's (or org's) path.
    sources.forEach((s, i) => {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `CloudTrailWrite${i}`,
          principals: [service],
          actions: ['s3:PutObject'],
          resources: [this.bucket.arnForObjects(`${prefix}/AWSLogs/${s.path}/*`)],
          conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': s.trailArn } },
        }),
      );
    });
  }
}

/** Throws unless `bucket` is a bucket of this app with Object Lock and a default retention. */
export function requireObjectLock(bucket: s3.IBucket, prop = 'AuditLogArchiveProps.bucket'): void {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket)) {
    throw new Error(`${prop} must be a bucket with Object Lock (use ObjectLockBucket), got ${bucket.node.path}, an imported bucket whose Object Lock cannot be verified`);
  }
  const stack = Stack.of(cfn);
  const enabled = stack.resolve(cfn.objectLockEnabled);
  const config = stack.resolve(cfn.objectLockConfiguration);
  if (enabled !== true || !config?.rule?.defaultRetention) {
    throw new Error(`${prop} must have Object Lock enabled with a default retention (use ObjectLockBucket), got ${bucket.node.path} with objectLockEnabled=${String(enabled)} and ${config?.rule?.defaultRetention ? 'a' : 'no'} default retention`);
  }
}

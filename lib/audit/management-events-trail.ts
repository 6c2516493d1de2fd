import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ObjectLockBucket } from '../backup/object-lock-bucket';
import { acknowledge, STOCK_RULES } from '../core/acknowledgements';
import { apiCallAlarmRule } from '../keys/alarm-topic';
import { AuditNames } from './audit-names';
import { TRAIL_TAMPER_EVENT_NAMES } from './data-access-alarms';

export interface ManagementEventsTrailProps {
  /**
   * Encrypts the log files and their bucket: the key account's audit key (a key ARN, never an
   * alias ARN), whose policy lets CloudTrail of this account use it (`ProtectedKey.allowCloudTrail`).
   */
  readonly encryptionKey: kms.IKey;
  /** Notified when someone stops, deletes or narrows the trail. */
  readonly alarmTopic: sns.ITopic;
  /** @default AuditNames.MANAGEMENT_TRAIL_NAME */
  readonly trailName?: string;
  /**
   * Object Lock (COMPLIANCE) retention of every log file (1–36,500 days). Irreversible per file.
   * @default Duration.days(400)
   */
  readonly retention?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A multi-region CloudTrail trail of the management events (read and write) of an account that
 * holds no data: the key account and the backup account. EventBridge delivers "AWS API Call via
 * CloudTrail" events only where a trail logs them ("To record events with a detail-type value of
 * AWS API Call via CloudTrail, a CloudTrail trail with logging enabled is required", EventBridge
 * User Guide, "Events from AWS services"), so without it `KeyTamperAlarms` and
 * `VaultTamperAlarms` never fire there. One multi-region trail covers the primary and the DR
 * region and counts once against the 5 trails per region.
 *
 * Log files go into a local `ObjectLockBucket` (COMPLIANCE): the account's own admin, root
 * included, cannot delete or shorten them. Not the audit account's archive: that archive is
 * encrypted with the key account's audit key, so a key-account trail delivering there would have
 * to deploy both before and after the audit stack. Log-file validation is always on; stopping,
 * deleting or narrowing the trail notifies `alarmTopic`.
 */
export class ManagementEventsTrail extends Construct {
  public readonly trail: cloudtrail.CfnTrail;
  public readonly trailName: string;
  /** `arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`. */
  public readonly trailArn: string;
  /** The Object Lock bucket that holds the log files. */
  public readonly bucket: ObjectLockBucket;
  /** Notifies on StopLogging, DeleteTrail, UpdateTrail and PutEventSelectors. */
  public readonly tamperRule: events.Rule;

  public constructor(scope: Construct, id: string, props: ManagementEventsTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!props.encryptionKey) throw new Error('ManagementEventsTrailProps.encryptionKey is required: the audit key from the key account, got undefined');
    const keyArn = stack.resolve(props.encryptionKey.keyArn);
    if (typeof keyArn === 'string' && /(^alias\/|:alias\/)/.test(keyArn)) {
      throw new Error(`ManagementEventsTrailProps.encryptionKey must be a key ARN, got the alias '${keyArn}': use CrossAccountKey to resolve it`);
    }
    this.trailName = props.trailName ?? AuditNames.MANAGEMENT_TRAIL_NAME;
    if (!Token.isUnresolved(this.trailName) && !/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/.test(this.trailName)) {
      throw new Error(`ManagementEventsTrailProps.trailName must be 3-128 letters, digits, '.', '_' or '-', starting with a letter or digit, got '${this.trailName}'`);
    }
    this.trailArn = AuditNames.trailArn(stack.account, stack.region, this.trailName);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const prefix = 'management';

    this.bucket = new ObjectLockBucket(this, 'Logs', { encryptionKey: props.encryptionKey, retention: props.retention ?? Duration.days(400), removalPolicy });
    const bucket = this.bucket.bucket;
    // The bucket policy CloudTrail checks at CreateTrail, for this trail only (aws:SourceArn).
    const service = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [service],
        actions: ['s3:GetBucketAcl'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceArn': this.trailArn } },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [service],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`)],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': this.trailArn } },
      }),
    );

    this.trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: this.trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      kmsKeyId: props.encryptionKey.keyArn,
      s3BucketName: bucket.bucketName,
      s3KeyPrefix: prefix,
      advancedEventSelectors: [{ name: 'Management events (read and write)', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] }],
    });
    this.trail.applyRemovalPolicy(removalPolicy);
    if (bucket.policy) this.trail.node.addDependency(bucket.policy);
    acknowledge(
      this.trail,
      STOCK_RULES.TRAIL_CLOUDWATCH_LOGS,
      'This trail feeds EventBridge rules (key, vault and trail tampering) in an account that holds no data; its immutable copy is the Object Lock bucket. A CloudWatch Logs copy would add no alarm.',
    );

    this.tamperRule = apiCallAlarmRule(this, 'TamperRule', {
      service: 'cloudtrail',
      eventNames: TRAIL_TAMPER_EVENT_NAMES,
      description: `cdk-data-protection: the management-events trail ${this.trailName} was stopped, deleted or narrowed`,
      topic: props.alarmTopic,
    });
  }
}

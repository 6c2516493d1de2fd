import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { apiCallAlarmRule } from '../keys/alarm-topic';

/**
 * S3 calls that change what protects a bucket's data, by their CloudTrail `eventName`. Both
 * PutBucketLifecycle and PutBucketLifecycleConfiguration are logged as `PutBucketLifecycle`
 * (Amazon S3 User Guide, "Amazon S3 CloudTrail events", bucket-level actions,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html#cloudtrail-bucket-level-tracking).
 */
export const BUCKET_TAMPER_EVENT_NAMES = [
  'PutBucketVersioning',
  'PutBucketLifecycle',
  'DeleteBucketLifecycle',
  'PutBucketEncryption',
  'DeleteBucketEncryption',
  'PutBucketReplication',
  'DeleteBucketReplication',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
];

/** Spellings of UpdateTable's `SSESpecification` request member in a CloudTrail event. */
const SSE_SPECIFICATION_SPELLINGS = ['sSESpecification', 'sseSpecification', 'SSESpecification'];

/** DynamoDB calls that remove a table's backups or the table (any change to continuous backups, or the table deleted). */
export const TABLE_BACKUP_EVENT_NAMES = ['UpdateContinuousBackups', 'DeleteTable'];

export interface DataStoreTamperAlarmsProps {
  /** Where alarms go (an `AlarmTopic`). */
  readonly topic: sns.ITopic;
}

/**
 * EventBridge rules on changes that weaken the data stores of this account and region: deletion
 * protection turned off on a DynamoDB table (`UpdateTable` with `deletionProtectionEnabled: false`)
 * or an RDS cluster or instance (`ModifyDBCluster` / `ModifyDBInstance` with
 * `deletionProtection: false`), point-in-time recovery changed or a table deleted
 * (`UpdateContinuousBackups`, `DeleteTable`), and a bucket's versioning, lifecycle, default
 * encryption, replication or policy changed. CloudTrail records request parameters in camelCase
 * (the DynamoDB guide's UpdateTable example logs `tableName`, `provisionedThroughput`: "Understanding
 * DynamoDB log file entries", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/understanding-ddb-log-entries.html),
 * and event patterns match JSON `false` as a value ("Amazon EventBridge event patterns",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). Events are
 * "AWS API Call via CloudTrail" management events: the account's `DataAccessTrail` logs them.
 * The rules match every store of the account (events carry no tags): CloudFormation's own calls
 * when it creates or updates a bucket alarm too, which is how a merged template change is seen.
 */
export class DataStoreTamperAlarms extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: DataStoreTamperAlarmsProps) {
    super(scope, id);
    // One rule, the services' calls joined by $or (apiCallAlarmRule).
    this.rule = apiCallAlarmRule(this, 'Rule', {
      service: 'dynamodb',
      eventNames: ['UpdateTable'],
      detail: { requestParameters: { deletionProtectionEnabled: [false] } },
      more: [
        { service: 'dynamodb', eventNames: TABLE_BACKUP_EVENT_NAMES },
        // A table re-encrypted with another key (the key can then be disabled): UpdateTable naming an
        // SSE specification. The request-parameter casing of CloudTrail's DynamoDB entries is not
        // documented for this member (camelCase of `SSESpecification`), so every plausible spelling is matched.
        { service: 'dynamodb', eventNames: ['UpdateTable'], detail: { requestParameters: { $or: SSE_SPECIFICATION_SPELLINGS.map((k) => ({ [k]: [{ exists: true }] })) } } },
        { service: 'rds', eventNames: ['ModifyDBCluster', 'ModifyDBInstance'], detail: { requestParameters: { deletionProtection: [false] } } },
        { service: 's3', eventNames: BUCKET_TAMPER_EVENT_NAMES },
      ],
      description: 'cdk-data-protection: data store weakened: deletion protection off, point-in-time recovery changed, table deleted or re-encrypted, or bucket versioning, lifecycle, encryption, replication or policy changed',
      topic: props.topic,
    });
  }
}

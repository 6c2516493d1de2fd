import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../core/constants';
import { requireLiteral, validateInteger, validateRange } from '../core/validation';
import { KEY_TAMPER_EVENT_NAMES } from '../keys/key-tamper-alarms';
import { DEFAULT_BREAK_GLASS_ROLE_NAME } from '../keys/protected-key';

/**
 * Reads of data counted per role (or IAM user) for the mass-read alarm, and account-wide.
 * `CopyObject` and `UploadPartCopy` copy objects server-side (S3 reads the source for the
 * caller): S3 logs both as object-level data events ("Amazon S3 CloudTrail events", S3 User
 * Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html),
 * and the trail records every data event of a recorded bucket, whatever its name
 * (`planDataEventSelectors` filters on `resources.ARN` only). At most 10 names: a Contributor
 * Insights `In` filter takes at most 10 values ("Contributor Insights rule syntax",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContributorInsights-RuleSyntax.html).
 */
export const MASS_READ_EVENT_NAMES = [
  'GetObject',
  'SelectObjectContent',
  'CopyObject',
  'UploadPartCopy',
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'ExecuteStatement',
  'BatchExecuteStatement',
];

/**
 * Calls that move data or its copies out of reach: table exports and streaming to Kinesis
 * (`EnableKinesisStreamingDestination`, DynamoDB API reference: "Starts table data replication to
 * the specified Kinesis data stream"), replication, bucket policies, shared snapshots, RDS exports.
 * Snapshot copies (`CopyDBSnapshot`, `CopySnapshot`) are not listed: a copy into another account is
 * made in that account, after the snapshot was shared with `Modify*SnapshotAttribute` (listed).
 * CloudTrail records every DynamoDB, RDS and EC2 API call under its operation name ("Logging
 * DynamoDB operations by using AWS CloudTrail",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/logging-using-cloudtrail.html).
 */
export const UNUSUAL_EXPORT_EVENT_NAMES = [
  'ExportTableToPointInTime',
  'EnableKinesisStreamingDestination',
  'PutBucketReplication',
  'PutBucketPolicy',
  'ModifyDBSnapshotAttribute',
  'ModifyDBClusterSnapshotAttribute',
  'ModifySnapshotAttribute',
  'StartExportTask',
];

/**
 * S3 Batch Operations job creation (source `s3.amazonaws.com`): a job copies, or invokes a
 * function on, every object of a manifest. `JobCreated` is the service event S3 records when a job
 * is created ("Examples: Tracking an S3 Batch Operations job in Amazon EventBridge through AWS
 * CloudTrail", https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-event-bridge-cloud-trail.html);
 * `CreateJob` is the S3 Control API call. Scoped to S3: other services have a `CreateJob` too.
 */
export const S3_BATCH_JOB_EVENT_NAMES = ['CreateJob', 'JobCreated'];

/**
 * Restores, by service (event source → event names): each makes a new, readable copy of
 * protected data in the account — one step from exfiltration when the copy gets another key or
 * policy. AWS Backup `StartRestoreJob`; DynamoDB `RestoreTableToPointInTime` and
 * `RestoreTableFromBackup`; RDS `RestoreDBClusterToPointInTime`, `RestoreDBInstanceToPointInTime`,
 * `RestoreDBClusterFromSnapshot`, `RestoreDBInstanceFromDBSnapshot` (each service's API
 * reference; CloudTrail records API calls under their operation names).
 */
export const RESTORE_EVENT_NAMES: Record<string, string[]> = {
  'backup.amazonaws.com': ['StartRestoreJob'],
  'dynamodb.amazonaws.com': ['RestoreTableToPointInTime', 'RestoreTableFromBackup'],
  'rds.amazonaws.com': ['RestoreDBClusterToPointInTime', 'RestoreDBInstanceToPointInTime', 'RestoreDBClusterFromSnapshot', 'RestoreDBInstanceFromDBSnapshot'],
};

/** AWS Backup calls that delete recovery points or weaken the vaults holding them. */
export const BACKUP_DELETION_EVENT_NAMES = [
  'DeleteBackupVault',
  'DeleteRecoveryPoint',
  'DeleteBackupVaultLockConfiguration',
  'DeleteBackupVaultAccessPolicy',
  'PutBackupVaultAccessPolicy',
  'UpdateRecoveryPointLifecycle',
  'DeleteBackupPlan',
  'DeleteBackupSelection',
];

/** CloudTrail calls that stop or narrow the audit trail. */
export const TRAIL_TAMPER_EVENT_NAMES = ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'];

/** Namespace of the metrics the metric filters publish. */
export const DATA_ACCESS_METRIC_NAMESPACE = `${METRIC_NAMESPACE}/DataAccess`;

/** Most events one alarm may require: an upper bound that catches typos (e.g. an extra zero). */
const MAX_THRESHOLD = 1_000_000;
/** Most reads the account-wide alarm may require per period: all principals together read more than one. */
const MAX_ACCOUNT_THRESHOLD = 100_000_000;
/** 10 GiB: the default of `egressBytesThreshold`. */
const DEFAULT_EGRESS_BYTES = 10 * 1024 ** 3;
/** Bounds of `egressBytesThreshold`: 1 MiB to 100 TiB per period. */
const MIN_EGRESS_BYTES = 1024 ** 2;
const MAX_EGRESS_BYTES = 100 * 1024 ** 4;

/** Where the role of a session is in a CloudTrail event (absent for IAM users and the root user). */
const SESSION_ISSUER_ARN = '$.userIdentity.sessionContext.sessionIssuer.arn';

/**
 * The window and thresholds of `DataAccessAlarms`: everything but where the events come from
 * and where alarms go (what `DataAccountStack.protect` lets you set).
 */
export interface DataAccessAlarmsOptions {
  /**
   * Window every alarm counts in (1–1440 minutes, whole minutes).
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /** AccessDenied / UnauthorizedOperation errors per period, all principals. @default 10 */
  readonly accessDeniedThreshold?: number;
  /**
   * Data reads (GetObject, CopyObject, GetItem, Query, Scan, ...) by a single role per period,
   * whatever the session names (1–1000000). Sessions of one role count together, so rotating
   * session names does not split the count; IAM users and the root user count by their own ARN.
   * @default 1000
   */
  readonly massReadThreshold?: number;
  /**
   * Data reads by all principals together per period (1–100000000): catches reads spread over
   * many roles or users, each below `massReadThreshold`. Set it above the account's normal peak.
   * @default 10000
   */
  readonly accountMassReadThreshold?: number;
  /**
   * Bytes read out of S3 objects per period, all principals (1 MiB–100 TiB, in bytes): the sum of
   * the `bytesTransferredOut` that S3 data events carry. Catches few, large reads that stay under
   * the read-count alarms. 10 GiB per 5 minutes is ~34 MiB/s sustained: above a typical
   * application's reads of classified data, far below a bulk download. Raise it for analytics
   * workloads that read whole datasets.
   * @default 10737418240 (10 GiB)
   */
  readonly egressBytesThreshold?: number;
  /**
   * Export, Kinesis streaming, replication, bucket-policy, snapshot-sharing and S3 Batch
   * Operations job calls per period. @default 1
   */
  readonly unusualExportThreshold?: number;
  /**
   * Restores (AWS Backup StartRestoreJob, DynamoDB and RDS restores) per period, except those of
   * `expectedRestoreRoles`. @default 1
   */
  readonly restoreThreshold?: number;
  /** KMS disable / deletion / policy / alias / rotation changes per period. @default 1 */
  readonly keyTamperThreshold?: number;
  /** Backup vault or recovery point deletions and lock/policy changes per period. @default 1 */
  readonly backupDeletionThreshold?: number;
  /** StopLogging / DeleteTrail / UpdateTrail / PutEventSelectors calls per period. @default 1 */
  readonly trailTamperThreshold?: number;
}

export interface DataAccessAlarmsProps extends DataAccessAlarmsOptions {
  /** The log group the trail delivers to (`DataAccessTrail.logGroup`). */
  readonly logGroup: logs.ILogGroup;
  /** Topic encrypted with a CMK (`DataAccountStack.alarmTopic.topic`). */
  readonly topic: sns.ITopic;
  /**
   * Roles whose restores are expected and not counted by the restore alarm: the restore drill's
   * state machine role (it calls StartRestoreJob) and its restore role (AWS Backup restores
   * databases as it). Matched on the role of the session (`sessionIssuer.arn`); anyone able to
   * act as these roles restores unnoticed, so name only roles that AWS services alone assume.
   * @default - every restore counts
   */
  readonly expectedRestoreRoles?: iam.IRole[];
  /** Name of the account's break-glass role, whose every assumption and IAM change alarms. @default 'data-protection-break-glass' */
  readonly breakGlassRoleName?: string;
}

/**
 * Alarms on the data-access trail's log group, all notifying the encrypted alarm topic:
 * AccessDenied spikes, mass reads by one role (Contributor Insights keyed on the session's role,
 * `userIdentity.sessionContext.sessionIssuer.arn`, so that rotating session names does not split
 * the count; IAM users and the root user by `userIdentity.arn`), mass reads account-wide, bytes
 * read out of S3, unusual exports (including DynamoDB streaming to Kinesis and S3 Batch
 * Operations jobs), restores, KMS key tampering, backup deletion attempts and trail tampering.
 * Data events cannot be filtered on `errorCode` in CloudTrail, so denials are counted here, on
 * the delivered events. Attempts count whether they succeeded or not. The trail is multi-Region
 * and delivers every Region's events to one log group, so these alarms see every Region.
 */
export class DataAccessAlarms extends Construct {
  public readonly accessDeniedAlarm: cloudwatch.Alarm;
  /** The busiest role (or IAM user) read `massReadThreshold` times or more in one period. */
  public readonly massReadAlarm: cloudwatch.Alarm;
  /** All principals together read `accountMassReadThreshold` times or more in one period. */
  public readonly accountMassReadAlarm: cloudwatch.Alarm;
  /** S3 data events carried `egressBytesThreshold` bytes or more out in one period. */
  public readonly egressBytesAlarm: cloudwatch.Alarm;
  public readonly unusualExportAlarm: cloudwatch.Alarm;
  /** A restore other than those of `expectedRestoreRoles`. */
  public readonly restoreAlarm: cloudwatch.Alarm;
  public readonly keyTamperAlarm: cloudwatch.Alarm;
  public readonly backupDeletionAlarm: cloudwatch.Alarm;
  public readonly trailTamperAlarm: cloudwatch.Alarm;
  /** The break-glass role assumed, or changed through IAM, in any Region (the trail is multi-region and records global-service events). */
  public readonly breakGlassAlarm: cloudwatch.Alarm;
  /** Counts data reads per role (sessions with a `sessionIssuer`); the mass-read alarm watches its top contributor. */
  public readonly massReadRule: cloudwatch.CfnInsightRule;
  /** Counts data reads per IAM user or root user (no `sessionIssuer`); the mass-read alarm watches its top contributor too. */
  public readonly massReadByUserRule: cloudwatch.CfnInsightRule;
  /** Every alarm above. */
  public readonly alarms: cloudwatch.Alarm[];

  private readonly period: Duration;
  private readonly action: actions.SnsAction;

  public constructor(scope: Construct, id: string, props: DataAccessAlarmsProps) {
    super(scope, id);
    requireEncryptedTopic(props.topic);
    requireLiteral('DataAccessAlarmsProps.period', props.period, 'aws-cdk-lib converts alarm periods to seconds and checks them at synth');
    this.period = props.period ?? Duration.minutes(5);
    const minutes = this.period.toMinutes({ integral: false });
    validateInteger('DataAccessAlarmsProps.period', minutes);
    validateRange('DataAccessAlarmsProps.period', minutes, 1, 1440, 'minutes');
    const threshold = (name: keyof DataAccessAlarmsOptions, fallback: number, max = MAX_THRESHOLD, min = 1, unit = 'events'): number => {
      const value = (props[name] as number | undefined) ?? fallback;
      validateInteger(`DataAccessAlarmsProps.${name}`, value);
      validateRange(`DataAccessAlarmsProps.${name}`, value, min, max, unit);
      return value;
    };
    const accessDenied = threshold('accessDeniedThreshold', 10);
    const massRead = threshold('massReadThreshold', 1000);
    const accountMassRead = threshold('accountMassReadThreshold', 10_000, MAX_ACCOUNT_THRESHOLD);
    const egressBytes = threshold('egressBytesThreshold', DEFAULT_EGRESS_BYTES, MAX_EGRESS_BYTES, MIN_EGRESS_BYTES, 'bytes');
    const unusualExport = threshold('unusualExportThreshold', 1);
    const restore = threshold('restoreThreshold', 1);
    const keyTamper = threshold('keyTamperThreshold', 1);
    const backupDeletion = threshold('backupDeletionThreshold', 1);
    const trailTamper = threshold('trailTamperThreshold', 1);
    this.action = new actions.SnsAction(props.topic);

    const P = logs.FilterPattern;
    const anyEvent = (names: string[]) => P.any(...names.map((n) => P.stringValue('$.eventName', '=', n)));
    const fromService = (source: string, names: string[]) => P.all(P.stringValue('$.eventSource', '=', source), anyEvent(names));

    this.accessDeniedAlarm = this.filterAlarm(props.logGroup, 'AccessDenied', P.any(
      P.stringValue('$.errorCode', '=', '*UnauthorizedOperation'),
      P.stringValue('$.errorCode', '=', 'AccessDenied*'),
    ), accessDenied, 'Access to data or AWS APIs was denied: probing or a broken role');
    this.unusualExportAlarm = this.filterAlarm(props.logGroup, 'UnusualExport', P.any(anyEvent(UNUSUAL_EXPORT_EVENT_NAMES), fromService('s3.amazonaws.com', S3_BATCH_JOB_EVENT_NAMES)), unusualExport,
      'Data exported, streamed to Kinesis, replicated, re-policied, its snapshots shared or an S3 Batch Operations job created (ExportTableToPointInTime, EnableKinesisStreamingDestination, PutBucketReplication, PutBucketPolicy, Modify*SnapshotAttribute, StartExportTask, S3 CreateJob)');
    // Restores by the expected roles (the drill) are left out; events without a session role
    // (IAM users, root) always count: a pattern on a missing field never matches, hence NOT EXISTS.
    const expected = (props.expectedRestoreRoles ?? []).map((r) => r.roleArn);
    const restores = P.any(...Object.entries(RESTORE_EVENT_NAMES).map(([source, names]) => fromService(source, names)));
    const unexpected = expected.length === 0 ? restores : P.all(restores, P.any(P.notExists(SESSION_ISSUER_ARN), P.all(...expected.map((arn) => P.stringValue(SESSION_ISSUER_ARN, '!=', arn)))));
    this.restoreAlarm = this.filterAlarm(props.logGroup, 'Restore', unexpected, restore,
      `Protected data was restored into a new copy (${Object.values(RESTORE_EVENT_NAMES).flat().join(', ')})${expected.length > 0 ? ' by a role other than the restore drill\'s' : ''}`);
    this.keyTamperAlarm = this.filterAlarm(props.logGroup, 'KeyTamper', fromService('kms.amazonaws.com', KEY_TAMPER_EVENT_NAMES), keyTamper,
      'A KMS key was disabled, scheduled for deletion, re-policied, de-aliased or lost rotation');
    this.backupDeletionAlarm = this.filterAlarm(props.logGroup, 'BackupDeletion', fromService('backup.amazonaws.com', BACKUP_DELETION_EVENT_NAMES), backupDeletion,
      'Someone tried to delete a backup vault or recovery point, or to weaken a vault lock or policy');
    this.trailTamperAlarm = this.filterAlarm(props.logGroup, 'TrailTamper', fromService('cloudtrail.amazonaws.com', TRAIL_TAMPER_EVENT_NAMES), trailTamper,
      'Someone stopped, deleted or narrowed a CloudTrail trail');
    // The break-glass role: its assumption in any Region (STS logs a call where it is served:
    // "AWS STS Regions and endpoints", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html),
    // and any IAM call naming it (trust policy, policies, deletion; IAM is a global service whose
    // events a multi-region trail records). EventBridge rules see only their own Region.
    const breakGlass = props.breakGlassRoleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME;
    this.breakGlassAlarm = this.filterAlarm(props.logGroup, 'BreakGlass', P.any(
      P.all(P.stringValue('$.eventSource', '=', 'sts.amazonaws.com'), P.stringValue('$.eventName', '=', 'AssumeRole'), P.stringValue('$.requestParameters.roleArn', '=', `*:role/${breakGlass}`)),
      P.all(P.stringValue('$.eventSource', '=', 'iam.amazonaws.com'), P.stringValue('$.requestParameters.roleName', '=', breakGlass)),
    ), 1, `The break-glass role ${breakGlass} was assumed (any Region) or changed through IAM: every Deny of the library is open to it`);
    this.accountMassReadAlarm = this.filterAlarm(props.logGroup, 'AccountMassRead', anyEvent(MASS_READ_EVENT_NAMES), accountMassRead,
      `Principals of this account together made many data reads (${MASS_READ_EVENT_NAMES.join(', ')}): possible exfiltration spread over roles`);
    // "bytesTransferredOut" of S3 data events ("CloudTrail log file entries for Amazon S3",
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-understanding-s3-entries.html):
    // the metric's value is the field itself, summed over the period.
    this.egressBytesAlarm = this.filterAlarm(props.logGroup, 'EgressBytes', P.all(
      P.stringValue('$.eventSource', '=', 's3.amazonaws.com'),
      P.numberValue('$.additionalEventData.bytesTransferredOut', '>', 0),
    ), egressBytes, `${formatBytes(egressBytes)} or more were read out of S3 objects in ${minutes} minutes (sum of bytesTransferredOut): possible exfiltration`, {
      metricValue: '$.additionalEventData.bytesTransferredOut',
      unit: cloudwatch.Unit.BYTES,
    });

    // One role reading a lot: Contributor Insights ranks the roles of the sessions (whatever the
    // session names) and, separately, IAM users and the root user, which have no session role
    // ("CloudTrail userIdentity element"); the alarm watches the busier of the two top contributors.
    // IsPresent matches on whether the field is in the event (Contributor Insights rule syntax).
    const rule = (id: string, suffix: string, key: string, issuerPresent: boolean) => {
      const ruleName = `${Names.uniqueResourceName(this, { maxLength: 100 })}-${suffix}`;
      const r = new cloudwatch.CfnInsightRule(this, id, {
        ruleName,
        ruleState: 'ENABLED',
        ruleBody: Stack.of(this).toJsonString({
          Schema: { Name: 'CloudWatchLogRule', Version: 1 },
          LogGroupNames: [props.logGroup.logGroupName],
          LogFormat: 'JSON',
          Contribution: {
            Keys: [key],
            Filters: [{ Match: '$.eventName', In: MASS_READ_EVENT_NAMES }, { Match: SESSION_ISSUER_ARN, IsPresent: issuerPresent }],
          },
          AggregateOn: 'Count',
        }),
      });
      return { rule: r, metric: new cloudwatch.MathExpression({ expression: `INSIGHT_RULE_METRIC('${ruleName}', 'MaxContributorValue')`, usingMetrics: {}, period: this.period }) };
    };
    const byRole = rule('MassReadRule', 'mass-reads', SESSION_ISSUER_ARN, true);
    const byUser = rule('MassReadByUserRule', 'mass-reads-users', '$.userIdentity.arn', false);
    this.massReadRule = byRole.rule;
    this.massReadByUserRule = byUser.rule;
    this.massReadAlarm = new cloudwatch.Alarm(this, 'MassReadAlarm', {
      alarmDescription: `cdk-data-protection: one role (any session name) or IAM user made ${massRead} or more data reads (${MASS_READ_EVENT_NAMES.join(', ')}) in ${minutes} minutes: possible exfiltration`,
      metric: new cloudwatch.MathExpression({
        expression: 'MAX([byRole, byUser])',
        usingMetrics: { byRole: byRole.metric, byUser: byUser.metric },
        period: this.period,
        label: 'Data reads by the top role or IAM user',
      }),
      threshold: massRead,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.massReadAlarm.node.addDependency(this.massReadRule, this.massReadByUserRule);
    this.massReadAlarm.addAlarmAction(this.action);

    this.alarms = [
      this.accessDeniedAlarm, this.massReadAlarm, this.accountMassReadAlarm, this.egressBytesAlarm, this.unusualExportAlarm,
      this.restoreAlarm, this.keyTamperAlarm, this.backupDeletionAlarm, this.trailTamperAlarm, this.breakGlassAlarm,
    ];
  }

  private filterAlarm(
    logGroup: logs.ILogGroup, name: string, pattern: logs.IFilterPattern, threshold: number, what: string,
    value: { metricValue: string; unit: cloudwatch.Unit } = { metricValue: '1', unit: cloudwatch.Unit.COUNT },
  ): cloudwatch.Alarm {
    const filter = new logs.MetricFilter(this, `${name}Filter`, {
      logGroup,
      filterPattern: pattern,
      metricNamespace: DATA_ACCESS_METRIC_NAMESPACE,
      metricName: name,
      metricValue: value.metricValue,
      ...(value.metricValue === '1' ? {} : { unit: value.unit }),
    });
    const alarm = new cloudwatch.Alarm(this, `${name}Alarm`, {
      alarmDescription: value.metricValue === '1'
        ? `cdk-data-protection: ${what} (${threshold} or more in ${this.period.toMinutes()} minutes)`
        : `cdk-data-protection: ${what}`,
      metric: filter.metric({ statistic: cloudwatch.Stats.SUM, period: this.period }),
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}

/** `10 GiB`, `512 MiB` or `1234 bytes`: for alarm descriptions. */
function formatBytes(bytes: number): string {
  if (Token.isUnresolved(bytes)) return 'the threshold in bytes';
  for (const [unit, size] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** Alarms about data access must not leak into an unencrypted topic. */
function requireEncryptedTopic(topic: sns.ITopic): void {
  if (!topic) throw new Error('DataAccessAlarmsProps.topic is required: an SNS topic encrypted with a CMK (AlarmTopic), got undefined');
  const cfn = topic.node.defaultChild;
  if (cfn instanceof sns.CfnTopic && cfn.kmsMasterKeyId === undefined) {
    throw new Error(`DataAccessAlarmsProps.topic ${topic.node.path} must be encrypted with a customer managed key (use AlarmTopic), got an unencrypted topic`);
  }
}

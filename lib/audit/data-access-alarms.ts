import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../core/constants';
import { requireLiteral, validateInteger, validateRange } from '../core/validation';
import { KEY_TAMPER_EVENT_NAMES } from '../keys/key-tamper-alarms';

/** Reads of data counted per principal for the mass-read alarm. */
export const MASS_READ_EVENT_NAMES = ['GetObject', 'SelectObjectContent', 'GetItem', 'BatchGetItem', 'Query', 'Scan', 'ExecuteStatement', 'BatchExecuteStatement'];

/** Calls that move data or its copies out of reach: table exports, replication, policies, shared snapshots, RDS exports. */
export const UNUSUAL_EXPORT_EVENT_NAMES = [
  'ExportTableToPointInTime',
  'PutBucketReplication',
  'PutBucketPolicy',
  'ModifyDBSnapshotAttribute',
  'ModifyDBClusterSnapshotAttribute',
  'ModifySnapshotAttribute',
  'StartExportTask',
];

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
  /** Data reads (GetObject, GetItem, Query, Scan, ...) by a single principal per period. @default 1000 */
  readonly massReadThreshold?: number;
  /** Export, replication, bucket-policy and snapshot-sharing calls per period. @default 1 */
  readonly unusualExportThreshold?: number;
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
}

/**
 * Alarms on the data-access trail's log group, all notifying the encrypted alarm topic:
 * AccessDenied spikes, mass reads by one principal (Contributor Insights on
 * `userIdentity.arn`), unusual exports, KMS key tampering, backup deletion attempts and trail
 * tampering. Data events cannot be filtered on `errorCode` in CloudTrail, so denials are
 * counted here, on the delivered events. Attempts count whether they succeeded or not.
 */
export class DataAccessAlarms extends Construct {
  public readonly accessDeniedAlarm: cloudwatch.Alarm;
  public readonly massReadAlarm: cloudwatch.Alarm;
  public readonly unusualExportAlarm: cloudwatch.Alarm;
  public readonly keyTamperAlarm: cloudwatch.Alarm;
  public readonly backupDeletionAlarm: cloudwatch.Alarm;
  public readonly trailTamperAlarm: cloudwatch.Alarm;
  /** Counts data reads per principal; the mass-read alarm watches its top contributor. */
  public readonly massReadRule: cloudwatch.CfnInsightRule;
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
    const threshold = (name: keyof DataAccessAlarmsProps, fallback: number): number => {
      const value = (props[name] as number | undefined) ?? fallback;
      validateInteger(`DataAccessAlarmsProps.${name}`, value);
      validateRange(`DataAccessAlarmsProps.${name}`, value, 1, MAX_THRESHOLD, 'events');
      return value;
    };
    const accessDenied = threshold('accessDeniedThreshold', 10);
    const massRead = threshold('massReadThreshold', 1000);
    const unusualExport = threshold('unusualExportThreshold', 1);
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
    this.unusualExportAlarm = this.filterAlarm(props.logGroup, 'UnusualExport', anyEvent(UNUSUAL_EXPORT_EVENT_NAMES), unusualExport,
      'Data exported, replicated, re-policied or its snapshots shared (ExportTableToPointInTime, PutBucketReplication, PutBucketPolicy, Modify*SnapshotAttribute, StartExportTask)');
    this.keyTamperAlarm = this.filterAlarm(props.logGroup, 'KeyTamper', fromService('kms.amazonaws.com', KEY_TAMPER_EVENT_NAMES), keyTamper,
      'A KMS key was disabled, scheduled for deletion, re-policied, de-aliased or lost rotation');
    this.backupDeletionAlarm = this.filterAlarm(props.logGroup, 'BackupDeletion', fromService('backup.amazonaws.com', BACKUP_DELETION_EVENT_NAMES), backupDeletion,
      'Someone tried to delete a backup vault or recovery point, or to weaken a vault lock or policy');
    this.trailTamperAlarm = this.filterAlarm(props.logGroup, 'TrailTamper', fromService('cloudtrail.amazonaws.com', TRAIL_TAMPER_EVENT_NAMES), trailTamper,
      'Someone stopped, deleted or narrowed a CloudTrail trail');

    // One principal reading a lot: Contributor Insights ranks principals, the alarm watches the top one.
    const ruleName = `${Names.uniqueResourceName(this, { maxLength: 100 })}-mass-reads`;
    this.massReadRule = new cloudwatch.CfnInsightRule(this, 'MassReadRule', {
      ruleName,
      ruleState: 'ENABLED',
      ruleBody: Stack.of(this).toJsonString({
        Schema: { Name: 'CloudWatchLogRule', Version: 1 },
        LogGroupNames: [props.logGroup.logGroupName],
        LogFormat: 'JSON',
        Contribution: {
          Keys: ['$.userIdentity.arn'],
          Filters: [{ Match: '$.eventName', In: MASS_READ_EVENT_NAMES }],
        },
        AggregateOn: 'Count',
      }),
    });
    this.massReadAlarm = new cloudwatch.Alarm(this, 'MassReadAlarm', {
      alarmDescription: `cdk-data-protection: one principal made ${massRead} or more data reads (${MASS_READ_EVENT_NAMES.join(', ')}) in ${minutes} minutes: possible exfiltration`,
      metric: new cloudwatch.MathExpression({
        expression: `INSIGHT_RULE_METRIC('${ruleName}', 'MaxContributorValue')`,
        usingMetrics: {},
        period: this.period,
        label: 'Data reads by the top principal',
      }),
      threshold: massRead,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.massReadAlarm.node.addDependency(this.massReadRule);
    this.massReadAlarm.addAlarmAction(this.action);

    this.alarms = [this.accessDeniedAlarm, this.massReadAlarm, this.unusualExportAlarm, this.keyTamperAlarm, this.backupDeletionAlarm, this.trailTamperAlarm];
  }

  private filterAlarm(logGroup: logs.ILogGroup, name: string, pattern: logs.IFilterPattern, threshold: number, what: string): cloudwatch.Alarm {
    const filter = new logs.MetricFilter(this, `${name}Filter`, {
      logGroup,
      filterPattern: pattern,
      metricNamespace: DATA_ACCESS_METRIC_NAMESPACE,
      metricName: name,
      metricValue: '1',
    });
    const alarm = new cloudwatch.Alarm(this, `${name}Alarm`, {
      alarmDescription: `cdk-data-protection: ${what} (${threshold} or more in ${this.period.toMinutes()} minutes)`,
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

/** Alarms about data access must not leak into an unencrypted topic. */
function requireEncryptedTopic(topic: sns.ITopic): void {
  if (!topic) throw new Error('DataAccessAlarmsProps.topic is required: an SNS topic encrypted with a CMK (AlarmTopic), got undefined');
  const cfn = topic.node.defaultChild;
  if (cfn instanceof sns.CfnTopic && cfn.kmsMasterKeyId === undefined) {
    throw new Error(`DataAccessAlarmsProps.topic ${topic.node.path} must be encrypted with a customer managed key (use AlarmTopic), got an unencrypted topic`);
  }
}

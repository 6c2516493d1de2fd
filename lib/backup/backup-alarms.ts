import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { requireLiteral, validateRange } from '../core/validation';
import { alarmTargets } from '../keys/alarm-topic';

/** Backup job states that mean a recovery point was not made. */
export const FAILED_BACKUP_JOB_STATES = ['FAILED', 'ABORTED', 'EXPIRED'];
/** Copy job states that mean a copy was not made. */
export const FAILED_COPY_JOB_STATES = ['FAILED'];
/** Restore job statuses that mean a restore did not work. */
export const FAILED_RESTORE_JOB_STATUSES = ['FAILED', 'ABORTED'];

export interface BackupAlarmsProps {
  /** Where alarms go (an `AlarmTopic`'s topic). */
  readonly topic: sns.ITopic;
  /**
   * Vault whose recovery points are watched by the "no recent recovery point" alarms.
   * @default - no staleness alarms
   */
  readonly backupVaultName?: string;
  /**
   * AWS Backup resource types (`S3`, `DynamoDB`, `RDS`, `Aurora`, `EFS`, `EBS`) that must get a
   * recovery point in `backupVaultName` at least every `maxRecoveryPointAge`; one alarm each.
   * Typically `ProtectedBackupPlan.resourceTypes`.
   * @default - none
   */
  readonly resourceTypes?: string[];
  /**
   * Oldest acceptable recovery point (1 hour–7 days).
   * @default Duration.days(1)
   */
  readonly maxRecoveryPointAge?: Duration;
  /**
   * Create the EventBridge rules for failed backup, copy and restore jobs. Job events are
   * account- and region-wide: when several stacks of one account each have `BackupAlarms`, give
   * the rules to one of them (`DataAccountStack` gives them to its `accountWide` stack), or every
   * failure is notified once per stack.
   * @default true
   */
  readonly jobEvents?: boolean;
}

/**
 * Notifies when backups stop working: EventBridge rules for backup jobs that FAILED, were
 * ABORTED or EXPIRED, copy jobs that FAILED and restore jobs that FAILED (backup and copy
 * events carry `state`, restore events carry `status`), and CloudWatch alarms when a resource
 * type has had no completed recovery point in the vault for `maxRecoveryPointAge` (missing data
 * counts as breaching: silence is the failure).
 */
export class BackupAlarms extends Construct {
  /** Failed backup jobs (undefined with `jobEvents: false`). */
  public readonly backupJobRule?: events.Rule;
  /** Failed copy jobs (undefined with `jobEvents: false`). */
  public readonly copyJobRule?: events.Rule;
  /** Failed restore jobs (undefined with `jobEvents: false`). */
  public readonly restoreJobRule?: events.Rule;
  public readonly staleRecoveryPointAlarms: cloudwatch.Alarm[] = [];

  public constructor(scope: Construct, id: string, props: BackupAlarmsProps) {
    super(scope, id);
    if (props.jobEvents ?? true) {
      // No RoleArn, and each rule admitted by its ARN (alarmTopicTarget), not targets.SnsTopic's unconditioned grant;
      // and the audit account's bus when the topic forwards.
      const targets = alarmTargets(props.topic);
      this.backupJobRule = new events.Rule(this, 'BackupJobFailed', {
        description: 'cdk-data-protection: an AWS Backup job failed, was aborted or expired',
        eventPattern: { source: ['aws.backup'], detailType: ['Backup Job State Change'], detail: { state: FAILED_BACKUP_JOB_STATES } },
        targets,
      });
      this.copyJobRule = new events.Rule(this, 'CopyJobFailed', {
        description: 'cdk-data-protection: an AWS Backup copy job failed',
        eventPattern: { source: ['aws.backup'], detailType: ['Copy Job State Change'], detail: { state: FAILED_COPY_JOB_STATES } },
        targets,
      });
      this.restoreJobRule = new events.Rule(this, 'RestoreJobFailed', {
        description: 'cdk-data-protection: an AWS Backup restore job failed',
        // Restore events report `status`, not `state`.
        eventPattern: { source: ['aws.backup'], detailType: ['Restore Job State Change'], detail: { status: FAILED_RESTORE_JOB_STATUSES } },
        targets,
      });
    }

    const types = props.resourceTypes ?? [];
    if (types.length > 0 && !props.backupVaultName) {
      throw new Error(`BackupAlarmsProps.backupVaultName is required with resourceTypes (${types.join(', ')}): the alarms watch one vault`);
    }
    requireLiteral('BackupAlarmsProps.maxRecoveryPointAge', props.maxRecoveryPointAge, 'the alarm period and its number of evaluation periods are computed from it at synth');
    const age = props.maxRecoveryPointAge ?? Duration.days(1);
    const hours = age.toHours();
    validateRange('BackupAlarmsProps.maxRecoveryPointAge', hours, 1, 168, 'hours');
    // Alarm periods are at most one day: longer ages span several periods.
    const periodHours = Math.min(hours, 24);
    const evaluationPeriods = Math.ceil(hours / periodHours);
    for (const type of types) {
      const alarm = new cloudwatch.Alarm(this, `NoRecentRecoveryPoint${type}`, {
        alarmDescription: `cdk-data-protection: no ${type} recovery point completed in vault ${props.backupVaultName} for ${hours} hours`,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Backup',
          metricName: 'NumberOfRecoveryPointsCompleted',
          dimensionsMap: { BackupVaultName: props.backupVaultName!, ResourceType: type },
          statistic: 'Sum',
          period: Duration.hours(periodHours),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(new cwActions.SnsAction(props.topic));
      this.staleRecoveryPointAlarms.push(alarm);
    }
  }
}

import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeInlinePolicy, defaultPolicyOf, STOCK_RULES } from '../core/acknowledgements';
import { COPY_ARRIVAL, METRIC_NAMESPACE } from '../core/constants';
import { handlerFunction, hourlyInvocation } from '../core/handler-function';
import { requireLiteral, validateAccountId, validateRange } from '../core/validation';
import { ALARM_DESCRIPTION_PREFIX } from '../keys/alarm-topic';

/** Default `CopyArrivalMonitorProps.maxCopyAge`: the daily copies of CONFIDENTIAL data, plus two hours for the backup and copy jobs. */
export const DEFAULT_MAX_COPY_AGE_HOURS = 26;
/** Range of `CopyArrivalMonitorProps.maxCopyAge`, hours: one hourly copy to a week. */
export const MAX_COPY_AGE_RANGE_HOURS = [1, 168] as const;

export interface CopyArrivalMonitorProps {
  /** The vault copies arrive in (e.g. the backup account's central vault, `ImmutableBackupVault.vault`). */
  readonly backupVault: backup.IBackupVault;
  /**
   * More vaults the same source accounts copy into (e.g. the backup account's central vaults of
   * longer retention classes): the function lists each, and a source account's age is that of its
   * newest copy in any of them. The metric and alarms keep `backupVault`'s name as their
   * `BackupVaultName` dimension; each alarm still watches one source account.
   * @default - none
   */
  readonly additionalBackupVaults?: backup.IBackupVault[];
  /**
   * Accounts whose copies must keep arriving (12-digit ids, at least one): one alarm each. A
   * deploy-time token is accepted; its alarm is then named by its position in the list.
   */
  readonly sourceAccounts: string[];
  /** The topic the alarms notify (e.g. `AlarmTopic.topic`). */
  readonly alarmTopic: sns.ITopic;
  /**
   * Key of the function's log group, where its metrics are written. Its key policy must let
   * CloudWatch Logs of this account use it (`ProtectedKey.allowCloudWatchLogs`).
   */
  readonly logKey: kms.IKey;
  /**
   * Alarm when the newest copy from a source account is older than this (1 hour – 7 days, a
   * literal). The data accounts' plans copy after each backup job of the rule with the copy
   * action, at least every `ProtectionPolicy.copyRpoHours` (24 for CONFIDENTIAL): 26 hours allow
   * the daily copy two hours for its backup and copy jobs. An account whose only copied data is
   * HIGHLY_SENSITIVE copies hourly; lower this to alarm sooner.
   * @default Duration.hours(26)
   */
  readonly maxCopyAge?: Duration;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Reserve one concurrent execution for the function, so the check still runs when other
   * workloads use up the account's concurrency. Turn off in accounts whose limit is too low to
   * reserve any (AWS keeps 100 unreserved); the stock packs then report LambdaConcurrency.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /** Code signing of the function. @default - none */
  readonly codeSigningConfig?: lambda.ICodeSigningConfig;
}

/**
 * Alarms, in the account that holds the copies, when copies from a source account stop arriving:
 * an hourly function lists the recovery points of the vault (and of `additionalBackupVaults`)
 * created within a look-back window (twice `maxCopyAge`), groups the arrived ones by the account
 * of their source vault
 * (`SourceBackupVaultArn`) and publishes `HoursSinceLastCopy` per source account (namespace
 * `DataProtection`, dimensions `BackupVaultName` and `SourceAccount`; an account with no copy in
 * the window reports the window's length). One CloudWatch alarm per source account fires above
 * `maxCopyAge`; missing data counts as breaching, so a monitor that stops running alarms too.
 *
 * AWS Backup's own vault metrics carry only the vault and the resource type: they cannot say
 * which account stopped copying, and a compromised data account can silence its own copy-job
 * alarms, not this one.
 */
export class CopyArrivalMonitor extends Construct {
  /** Lists the vault's recovery points and publishes the metric, hourly. */
  public readonly function: lambda.Function;
  /** Runs the function every hour. */
  public readonly schedule: scheduler.Schedule;
  /** Per source account: its copies stopped arriving (or the monitor stopped running). */
  public readonly alarms: { [account: string]: cloudwatch.Alarm } = {};
  /** The alarm threshold, hours. */
  public readonly maxCopyAgeHours: number;
  /** How far back the function lists recovery points, hours (twice `maxCopyAge`). */
  public readonly lookbackHours: number;

  public constructor(scope: Construct, id: string, props: CopyArrivalMonitorProps) {
    super(scope, id);
    requireLiteral('CopyArrivalMonitorProps.maxCopyAge', props.maxCopyAge, 'it becomes the alarm threshold and the look-back window of the function at synth');
    const hours = props.maxCopyAge?.toHours({ integral: false }) ?? DEFAULT_MAX_COPY_AGE_HOURS;
    validateRange('CopyArrivalMonitorProps.maxCopyAge', hours, MAX_COPY_AGE_RANGE_HOURS[0], MAX_COPY_AGE_RANGE_HOURS[1], 'hours');
    if (props.sourceAccounts.length === 0) {
      throw new Error('CopyArrivalMonitorProps.sourceAccounts must list at least one 12-digit account id, got an empty list');
    }
    const seen = new Set<string>();
    for (const account of props.sourceAccounts) {
      validateAccountId('CopyArrivalMonitorProps.sourceAccounts', account);
      if (Token.isUnresolved(account)) continue;
      if (seen.has(account)) throw new Error(`CopyArrivalMonitorProps.sourceAccounts lists ${account} twice, got ${JSON.stringify(props.sourceAccounts)}`);
      seen.add(account);
    }
    this.maxCopyAgeHours = hours;
    // Twice the threshold: an account with no copy in the window reports the window's length,
    // above the threshold, and a copy late by up to maxCopyAge still shows its real age.
    this.lookbackHours = 2 * hours;

    const vaults = [props.backupVault, ...(props.additionalBackupVaults ?? [])];
    const vaultNames = vaults.map((v) => v.backupVaultName);
    this.function = handlerFunction(this, 'Function', {
      handler: 'copy-arrival',
      description: 'cdk-data-protection: publishes hours since the last copy from each source account arrived in the vault',
      environment: {
        BACKUP_VAULT_NAME: props.backupVault.backupVaultName,
        ...(vaults.length > 1 ? { BACKUP_VAULT_NAMES: Stack.of(this).toJsonString(vaultNames) } : {}),
        SOURCE_ACCOUNTS: Stack.of(this).toJsonString(props.sourceAccounts),
        LOOKBACK_HOURS: String(this.lookbackHours),
      },
      logKey: props.logKey,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      // No X-Ray: its trace calls have no resource-level permissions (a `*` grant for nothing the alarm needs).
      tracing: lambda.Tracing.DISABLED,
      timeout: Duration.minutes(5),
      memorySize: 256,
      reservedConcurrentExecutions: props.reserveConcurrency ?? true ? 1 : undefined,
      codeSigningConfig: props.codeSigningConfig,
      vpcReason: 'The copy-arrival function only calls the AWS Backup API, never a data store endpoint, so a VPC would add endpoints without isolating anything.',
      dlqReason: 'A failed hourly run publishes no metric and the copy-arrival alarms treat missing data as breaching, so a failure alarms without a queue.',
    });
    // ListRecoveryPointsByBackupVault: resource type backupVault, required (Service Authorization
    // Reference, AWS Backup: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html).
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'ListRecoveryPointsOfTheVault', actions: ['backup:ListRecoveryPointsByBackupVault'], resources: vaults.map((v) => v.backupVaultArn) }),
    );
    if (props.reserveConcurrency === false) {
      acknowledge(
        this.function.node.defaultChild!,
        STOCK_RULES.LAMBDA_CONCURRENCY,
        'CopyArrivalMonitorProps.reserveConcurrency is false: the account cannot reserve concurrency; a run that is throttled publishes no metric, and missing data alarms.',
      );
    }

    this.schedule = hourlyInvocation(this, this.function, 'copy-arrival', 'Publishes hours since the last copy from each source account arrived in the vault');
    acknowledgeInlinePolicy(defaultPolicyOf(this.function.role!));

    // Two hourly periods: one run landing in the neighbouring hour leaves a period empty (missing
    // data breaches), and must not alarm alone; two empty or late periods do.
    const action = new cwActions.SnsAction(props.alarmTopic);
    const where = vaults.length > 1 ? `vaults ${vaultNames.join(', ')}` : `vault ${props.backupVault.backupVaultName}`;
    props.sourceAccounts.forEach((account, index) => {
      // A literal account names its alarm (stable when the list is reordered); a token, its position.
      const alarm = new cloudwatch.Alarm(this, Token.isUnresolved(account) ? `NoCopyFromAccount${index}` : `NoCopyFrom${account}`, {
        alarmDescription:
          `${ALARM_DESCRIPTION_PREFIX} no copy from account ${account} arrived in ${where} for more than ${hours} hours ` +
          '(missing data counts: the copy-arrival function stopped running). Check the copy jobs and backup plans of that account.',
        metric: new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName: COPY_ARRIVAL.METRIC,
          dimensionsMap: { [COPY_ARRIVAL.VAULT_DIMENSION]: props.backupVault.backupVaultName, [COPY_ARRIVAL.ACCOUNT_DIMENSION]: account },
          statistic: 'Maximum',
          period: Duration.hours(1),
        }),
        threshold: hours,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(action);
      this.alarms[account] = alarm;
    });
  }
}

import { Annotations, ArnFormat, Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ObjectLockBucket } from '../backup/object-lock-bucket';
import { acknowledge, acknowledgeInlinePolicy, acknowledgeManagedPolicy, acknowledgeWildcards, defaultPolicyOf, STOCK_RULES, WildcardGrant } from '../core/acknowledgements';
import { CLASSIFICATION_TAG, DRILL_PREFIX, DRILL_TAG, METRIC_NAMESPACE } from '../core/constants';
import { CONTROLS, recordControl } from '../core/controls';
import { LIBRARY_NAME_PREFIX, libraryResourceName } from '../core/naming';
import { handlerFunction } from '../core/handler-function';
import { requireLiteral, validateEventBusArn, validateRange } from '../core/validation';
import { ALARM_DESCRIPTION_PREFIX, grantAlarmPublish, notifyingAlarm } from '../keys/alarm-topic';
import { DataClassification } from '../classification/data-classification';
import { checkEnvironmentSize, DrillCopyDiscoveryProps, DrillDiscoveryProps, grantStoreDiscovery, grantVerifiedSuccesses, resolveCopyDiscovery, resolveDiscovery } from './drill-discovery';
import { DrillResourceType } from './drill-resource-type';
import { CANARY_KEY_PREFIX, CANARY_PARTITION_KEY, CANARY_RECORD_PREFIX } from './canary';
import { DrillTagDefaults } from './drill-tags';
import { DrillTarget } from './drill-target';
import { DISCOVERY_ENV, DiscoveryConfig, targetItem } from './target-item';

/** Final status of one target's drill, in the evidence, the metrics and the execution result. */
export class DrillStatus {
  /** Restored, validated and cleaned up. */
  public static readonly SUCCEEDED = 'SUCCEEDED';
  /** No completed recovery point for the resource in the vault. */
  public static readonly NO_RECOVERY_POINT = 'NO_RECOVERY_POINT';
  /** The restore job ended FAILED or ABORTED. */
  public static readonly RESTORE_FAILED = 'RESTORE_FAILED';
  /** The restore job did not finish within the restore timeout. */
  public static readonly RESTORE_TIMED_OUT = 'RESTORE_TIMED_OUT';
  /** The validator threw or could not be invoked. */
  public static readonly VALIDATION_ERROR = 'VALIDATION_ERROR';
  /** The validator reported the restored data invalid. */
  public static readonly VALIDATION_FAILED = 'VALIDATION_FAILED';
  /** Everything passed but the restored copy could not be deleted. */
  public static readonly CLEANUP_FAILED = 'CLEANUP_FAILED';
  /** An AWS API call of the workflow failed (metadata, StartRestoreJob, tagging...). */
  public static readonly STEP_FAILED = 'STEP_FAILED';
  /** The evidence record could not be written (the notification still carries it). */
  public static readonly EVIDENCE_FAILED = 'EVIDENCE_FAILED';
  /** Evidence was written but the notification could not be sent: the execution fails. */
  public static readonly NOTIFICATION_FAILED = 'NOTIFICATION_FAILED';
  /** Evidence was written and notified but the metrics could not be published: the execution fails. */
  public static readonly METRICS_FAILED = 'METRICS_FAILED';
}

/** Metric names published by the drill (namespace `DataProtection`, dimension `Target`). */
export class DrillMetrics {
  /** 1 when a drill succeeded, else 0. */
  public static readonly SUCCEEDED = 'DrillSucceeded';
  /** 1 when a drill failed, else 0. */
  public static readonly FAILED = 'DrillFailed';
  /** Seconds from restore job creation to completion (measured RTO). */
  public static readonly RESTORE_TIME = 'RestoreTimeSeconds';
  /** Age of the restored recovery point at drill start (measured RPO). */
  public static readonly RECOVERY_POINT_AGE = 'RecoveryPointAgeSeconds';
  /** 1 when the restored copy could not be deleted. */
  public static readonly CLEANUP_FAILED = 'CleanupFailed';
  /** Days since the last successful drill, published daily per target. */
  public static readonly DAYS_SINCE_SUCCESS = 'DaysSinceLastSuccessfulDrill';
  /** Targets of a drill (dimension `Drill`) with no successful drill within their interval, published daily. */
  public static readonly STALE_TARGETS = 'StaleTargets';
  /** 1 when a restore took longer than its target's RTO (dimension `Drill`). */
  public static readonly RTO_EXCEEDED = 'RtoExceeded';
  /**
   * Targets of a drill (dimension `Drill`) whose last success AWS Backup can no longer confirm (its
   * restore job record is gone): dated by the evidence record, published daily. Not alarmed: such a
   * target is stale (StaleTargets) once that date is older than its interval.
   */
  public static readonly UNVERIFIED_TARGETS = 'UnverifiedTargets';
}

export interface RestoreDrillProps {
  /**
   * The resources to drill. One execution drills them all (a Map state). Give this or `discovery`.
   * @default - none: `discovery` finds the targets when the drill runs
   */
  readonly targets?: DrillTarget[];
  /**
   * Find the targets when the drill runs instead: the stores of this account and region tagged
   * with a drilled classification level (docs/drill.md, "Targets found at run time"). Give this
   * or `targets`.
   * @default - none: `targets` lists the targets
   */
  readonly discovery?: DrillDiscoveryProps;
  /**
   * Drill the copies of another account's stores instead: the targets are the resources whose
   * recovery points the given vaults of this account hold (the backup account's central vaults),
   * found when the drill runs. Exclusive with `targets` and `discovery`; turns the canaries off
   * and validates each copy without its source (both are in the data account).
   * @default - none
   */
  readonly copyDiscovery?: DrillCopyDiscoveryProps;
  /** Customer managed key of the evidence bucket (e.g. `DataAccountStack.evidenceKey`). */
  readonly evidenceKey: kms.IKey;
  /**
   * Where evidence is written. Must be an Object Lock bucket encrypted with `evidenceKey`.
   * @default - a new `ObjectLockBucket` (COMPLIANCE, `evidenceRetention`)
   */
  readonly evidenceBucket?: s3.IBucket;
  /** Retention of each evidence record. @default Duration.days(2555) (7 years) */
  readonly evidenceRetention?: Duration;
  /**
   * ARN of an EventBridge bus of the audit account (its `SecurityEventBus`, e.g.
   * `AlarmTopic.securityEventBusArn`) that receives one event per drill result (source
   * `cdk-data-protection.drill`, detail-type `Restore Drill Evidence`: target, status, recovery
   * point, restore job, RTO/RPO and the SHA-256 of the evidence object), archived there out of this
   * account's reach. A failure to put it fails the execution (EVIDENCE_FAILED) after the local
   * evidence is written. The bus's policy must admit this account's `events:PutEvents`.
   * @default - none: evidence is kept in this account's bucket only
   */
  readonly evidenceEventBusArn?: string;
  /** The encrypted topic notified of every drill and every alarm (e.g. `AlarmTopic.topic`). */
  readonly alarmTopic: sns.ITopic;
  /**
   * Role AWS Backup assumes to restore.
   * @default - a role with AWS Backup's managed restore policies
   */
  readonly restoreRole?: iam.IRole;
  /**
   * Lambda validating the restored copy. Input: `{ restoreJobId, resourceType, createdResourceArn,
   * drillName, target: { name, resourceArn, validation } }` (`createdResourceArn` left out when the
   * restore job reports none); output: `{ valid: boolean, message, checks }` (a `valid` that is not
   * a boolean records VALIDATION_ERROR). It should report with `PutRestoreValidationResult`.
   * @default - the library's validator: the copy compared with its source within
   *   `validation.tolerancePercent` (object count and bytes, item count, Aurora storage), checksums,
   *   a sample item, status and encryption (no SQL: a restored Aurora cluster has no DB instance),
   *   and the content of S3 and DynamoDB copies by their canary (`canary`)
   */
  readonly validator?: lambda.IFunction;
  /**
   * Write canary records into the drilled S3 buckets and DynamoDB tables, daily, and check them in
   * each restored copy: an object `data-protection-canary/current` (S3), an item with the reserved
   * partition-key value `data-protection-canary` (DynamoDB tables with a string partition key;
   * other tables are reported 'not applicable'). Each canary's random content and SHA-256 are
   * recorded first as an Object Lock object in the evidence bucket (`canaries/<target>/<id>.json`);
   * the default validator fails the drill when the restored canary is missing, unknown or changed
   * (data encrypted by ransomware after it was written), whatever the copy's counts. A target opts
   * out with `validation: { canary: 'false' }`. With a custom `validator`, the canaries are
   * written and the validator may read their records (docs/drill.md, "Content checks").
   * @default - true with the default validator, false with a custom `validator`
   */
  readonly canary?: boolean;
  /**
   * Code signing configuration applied to every function of the drill (validator, recovery point,
   * cleanup, evidence, restore events, staleness, discover, canary writer). CDK does not sign
   * assets: the pipeline must sign the bundles with AWS Signer (a profile of the configuration)
   * before deploying, or an `Enforce` configuration rejects them (README, "Restore drills").
   * @default - none: the functions' code is not signature-checked
   */
  readonly codeSigningConfig?: lambda.ICodeSigningConfig;
  /** Targets drilled at once (1–40). @default 2 */
  readonly maxConcurrency?: number;
  /**
   * First wait for the restore job's state-change event before the drill describes the job itself
   * (the fallback for lost events; 1 minute – 24 hours). @default Duration.minutes(15)
   */
  readonly firstPoll?: Duration;
  /**
   * Longest later wait for the event (the waits divide the restore timeout evenly), and the
   * interval of polls after a restore timed out (≥ firstPoll). @default Duration.hours(8)
   */
  readonly maxPollInterval?: Duration;
  /** Key of the execution log group. @default - `evidenceKey` */
  readonly logKey?: kms.IKey;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Reserve concurrency for the drill's functions (`maxConcurrency` each, 1 for the daily
   * staleness check), so validation, cleanup and evidence still run when other workloads use up
   * the account's concurrency. Turn off in accounts whose limit is too low to reserve any (AWS
   * keeps 100 unreserved); the stock packs then report LambdaConcurrency.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /**
   * Create EventBridge Scheduler schedules: one per distinct target interval, or with `discovery`
   * one daily discovery execution; and the daily staleness check.
   * @default true
   */
  readonly schedule?: boolean;
  /** @default - generated */
  readonly stateMachineName?: string;
}

const STATE = {
  PREPARE: 'Prepare drill',
  SWEEP: 'Sweep earlier leftovers',
  FIND: 'Find recovery point',
  FOUND: 'Recovery point found?',
  NO_POINT: 'No recovery point',
  METADATA: 'Get restore metadata',
  NO_METADATA: 'No restore metadata',
  NAME_CHOICE: 'Name restored copy',
  UNSUPPORTED: 'Unsupported resource type',
  START: 'Start restore job',
  STARTED: 'Restore job started?',
  NOT_STARTED: 'No restore job id',
  WAIT: 'Wait for restore',
  WAIT_AGAIN: 'Keep waiting for restore',
  CONFIRM: 'Confirm restore job',
  FINISHED: 'Restore finished?',
  RESTORE_FAILED: 'Restore failed',
  NO_CREATED_RESOURCE: 'No restored resource',
  TIMED_OUT: 'Restore timed out',
  TIMEOUT_METRICS: 'Publish timeout RTO',
  DRAIN_WAIT: 'Wait for timed-out restore',
  DRAIN_DESCRIBE: 'Describe timed-out restore',
  DRAIN_ENDED: 'Timed-out restore ended?',
  NEXT_DRAIN: 'Next timed-out poll',
  TAG_VOLUME: 'Tag restored volume',
  TAG_FILE_SYSTEM: 'Tag restored file system',
  TAG_VOLUME_LATE: 'Tag late volume',
  TAG_FILE_SYSTEM_LATE: 'Tag late file system',
  VALIDATOR_INPUT_ARN: 'Validator input',
  VALIDATOR_INPUT_NO_ARN: 'Validator input without ARN',
  VALIDATE: 'Validate restored data',
  VALID: 'Data valid?',
  VALIDATION_FAILED: 'Validation failed',
  VALIDATION_ERROR: 'Validator error',
  VALIDATION_MALFORMED: 'Validator result malformed',
  STEP_FAILED: 'Drill step failed',
  CLEANUP: 'Clean up',
  EVIDENCE: 'Record evidence',
  METRICS: 'Publish metrics',
  NOTIFY: 'Notify',
  NOTIFY_FAILED: 'Notification failed',
  METRICS_FAILED: 'Metrics not published',
  EVIDENCE_ERROR: 'Evidence error from the function?',
  EVIDENCE_ERROR_PARSE: 'Parse evidence error',
  EVIDENCE_ERROR_MESSAGE: 'Evidence error has a message?',
  EVIDENCE_ERROR_FROM_FUNCTION: 'Evidence error message',
  EVIDENCE_ERROR_PLAIN: 'Evidence error name',
  NOTIFY_EVIDENCE_FAILED: 'Notify evidence failure',
  EVIDENCE_FAILED: 'Evidence not recorded',
  TARGETS_GIVEN: 'Targets given?',
  DISCOVER: 'Discover targets',
  ANY_DUE: 'Any target due?',
  NONE_DUE: 'No target due',
  MAP: 'Drill each target',
  ANY_FAILED: 'Any drill failed?',
  FAIL: 'Drill failed',
  SUCCEED: 'All drills succeeded',
} as const;

/** Names of the workflow's states, for tests and local execution overrides. */
export const RESTORE_DRILL_STATES: { readonly [key: string]: string } = STATE;

/**
 * Proves that backups restore: a Step Functions workflow that, for each target, restores a
 * recovery point (the newest restorable snapshot, by CreationDate) into an isolated `drill-` copy,
 * waits for it with backoff, validates it against its source, always
 * cleans it up, writes an immutable evidence record (RTO, RPO, result) and notifies. Scheduled
 * per target interval with EventBridge Scheduler; alarms on failed drills, stale drills and RTO
 * breaches. See docs/drill.md.
 */
export class RestoreDrill extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** Where evidence records land. */
  public readonly evidenceBucket: s3.IBucket;
  /** The role AWS Backup restores with. */
  public readonly restoreRole: iam.IRole;
  /** The validator (default or supplied). */
  public readonly validator: lambda.IFunction;
  /** Chooses the recovery point: the newest restorable snapshot of the resource by CreationDate. */
  public readonly recoveryPointFunction: lambda.Function;
  /** Deletes restored copies; its permissions reach only `drill-` named or drill-tagged resources. */
  public readonly cleanupFunction: lambda.Function;
  public readonly cleanupRole: iam.Role;
  /** Writes evidence and computes RTO/RPO. */
  public readonly evidenceFunction: lambda.Function;
  /** Publishes days since the last successful drill, daily. */
  public readonly stalenessFunction: lambda.Function;
  /** Writes canaries into the drilled S3 buckets and DynamoDB tables, daily (`RestoreDrillProps.canary`). */
  public readonly canaryFunction?: lambda.Function;
  /** The canary writer failed for a store (its Errors metric). */
  public readonly canaryAlarm?: cloudwatch.Alarm;
  /** Any execution failed, timed out or was aborted. */
  public readonly drillFailedAlarm: cloudwatch.Alarm;
  /** Per target: no successful drill within its interval. */
  /** Value of the `Drill` metric dimension: `<stack name>/<construct id>`. */
  public readonly drillId: string;
  public readonly staleAlarm: cloudwatch.Alarm;
  /** Per target: restore slower than its RTO. */
  public readonly rtoAlarm: cloudwatch.Alarm;
  /** The schedules, one per distinct interval (with `discovery`: one daily), and the daily staleness check. */
  public readonly schedules: scheduler.Schedule[] = [];
  /** The targets of `RestoreDrillProps.targets` (empty with `discovery`). */
  public readonly targets: DrillTarget[];
  /** Finds the targets when the drill runs (with `RestoreDrillProps.discovery` only). */
  public readonly discoverFunction?: lambda.Function;
  /**
   * Resumes a waiting execution when its restore job ends: registers the wait's task token
   * (workflow task) and answers AWS Backup's restore-job events (EventBridge).
   */
  public readonly restoreEventsFunction: lambda.Function;
  /** Task tokens of the waits, by restore job id (expire after the restore timeout and a day). */
  public readonly restoreTokenTable: dynamodb.Table;
  /** AWS Backup "Restore Job State Change" events of the drill's restore role, terminal statuses, to `restoreEventsFunction`. */
  public readonly restoreEventsRule: events.Rule;
  /** The restore-events function failed, or EventBridge could not invoke it (the waits' timeouts still resume the drill). */
  public readonly restoreEventsAlarm: cloudwatch.Alarm;

  /** The resolved discovery configuration (with `RestoreDrillProps.discovery` only). */
  private readonly discovery?: ReturnType<typeof resolveDiscovery>;
  private readonly discoveryProps?: DrillDiscoveryProps;
  /** A drill of copies (`RestoreDrillProps.copyDiscovery`): targets from the vaults' recovery points. */
  private readonly copies: boolean;
  /** Keys of the copies' recovery points, for the restore role (`DrillCopyDiscoveryProps.recoveryPointKeys`). */
  private readonly recoveryPointKeys: kms.IKey[];

  private readonly pollSeconds: { first: number; max: number };
  private readonly functionLogs: { key: kms.IKey; retention: logs.RetentionDays };
  private readonly reservedConcurrency?: number;
  private readonly codeSigningConfig?: lambda.ICodeSigningConfig;
  /** Canaries written and (by the default validator) checked. */
  private readonly canaryEnabled: boolean;
  /** Wildcard resources of the workflow's roles, acknowledged once every grant is in. */
  private readonly wildcards = new Map<iam.IRole, WildcardGrant[]>();

  public constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    this.drillId = `${Stack.of(this).stackName}/${id}`;
    if (props.copyDiscovery !== undefined && (props.targets !== undefined || props.discovery !== undefined)) {
      throw new Error(
        `RestoreDrillProps.copyDiscovery is exclusive with targets and discovery: a drill restores either this account's stores or the copies its vaults hold, got copyDiscovery and ${props.targets !== undefined ? 'targets' : 'discovery'}`,
      );
    }
    if (props.copyDiscovery !== undefined && props.canary === true) {
      throw new Error('RestoreDrillProps.canary must be false or unset with copyDiscovery: the canary records and the stores are in the data accounts, which the drill of the copies cannot read or write, got true');
    }
    if (props.targets !== undefined && props.discovery !== undefined) {
      throw new Error(
        `RestoreDrillProps.targets and RestoreDrillProps.discovery are exclusive: give targets (drilled as listed) or discovery (found at run time by their tags), got both (${props.targets.length} target(s) and discovery)`,
      );
    }
    if (props.discovery === undefined && props.targets === undefined && props.copyDiscovery === undefined) {
      throw new Error('RestoreDrillProps.targets or RestoreDrillProps.discovery is required: give targets (drilled as listed) or discovery (found at run time by their tags), got neither');
    }
    if (props.targets !== undefined && props.targets.length === 0) {
      throw new Error('RestoreDrillProps.targets must list at least one DrillTarget, got an empty list (or give RestoreDrillProps.discovery instead, to find the targets at run time)');
    }
    const targets = props.targets ?? [];
    const names = new Set<string>();
    for (const t of targets) {
      if (names.has(t.name)) throw new Error(`RestoreDrillProps.targets: duplicate target name '${t.name}'; names key evidence and metrics`);
      names.add(t.name);
    }
    requireLiteral('RestoreDrillProps.maxConcurrency', props.maxConcurrency, 'the drill timeout (rounds of targets) and reserved Lambda concurrency are computed from it at synth');
    requireLiteral('RestoreDrillProps.firstPoll', props.firstPoll, 'the poll schedule (waits doubling up to maxPollInterval) is computed at synth');
    requireLiteral('RestoreDrillProps.maxPollInterval', props.maxPollInterval, 'the poll schedule (waits doubling up to maxPollInterval) is computed at synth');
    const maxConcurrency = props.maxConcurrency ?? 2;
    validateRange('RestoreDrillProps.maxConcurrency', maxConcurrency, 1, 40);
    const first = (props.firstPoll ?? Duration.minutes(15)).toSeconds();
    const max = (props.maxPollInterval ?? Duration.hours(8)).toSeconds();
    validateRange('RestoreDrillProps.firstPoll', first, 60, 86400, 'seconds');
    validateRange('RestoreDrillProps.maxPollInterval', max, first, 7 * 86400, 'seconds');
    for (const t of targets) {
      const timeout = t.restoreTimeout.toSeconds();
      if (timeout < first) {
        throw new Error(
          `DrillTargetProps(${t.name}).restoreTimeout must be at least RestoreDrillProps.firstPoll (${first} seconds) or the restore is never polled, got ${timeout} seconds`,
        );
      }
      if (timeout < t.rto.toSeconds()) {
        throw new Error(
          `DrillTargetProps(${t.name}).restoreTimeout must be at least its rto (${t.rto.toSeconds()} seconds): a drill that stops waiting before the RTO cannot tell whether it is met, got ${timeout} seconds`,
        );
      }
    }
    this.targets = targets;
    this.pollSeconds = { first, max };
    if (props.discovery) this.discovery = resolveDiscovery(props.discovery, { drill: this.drillId, poll: this.pollSeconds });
    if (props.copyDiscovery) this.discovery = resolveCopyDiscovery(props.copyDiscovery, { drill: this.drillId, poll: this.pollSeconds });
    this.copies = props.copyDiscovery !== undefined;
    this.recoveryPointKeys = props.copyDiscovery?.recoveryPointKeys ?? [];
    this.discoveryProps = props.discovery;
    this.functionLogs = { key: props.logKey ?? props.evidenceKey, retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR };
    this.reservedConcurrency = props.reserveConcurrency ?? true ? maxConcurrency : undefined;
    this.codeSigningConfig = props.codeSigningConfig;
    this.canaryEnabled = !this.copies && (props.canary ?? props.validator === undefined);

    this.evidenceBucket =
      props.evidenceBucket ??
      new ObjectLockBucket(this, 'EvidenceBucket', { encryptionKey: props.evidenceKey, retention: props.evidenceRetention ?? Duration.days(2555) }).bucket;

    this.restoreRole = props.restoreRole ?? new iam.Role(this, 'RestoreRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'AWS Backup restores of restore drills',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AWSBackupServiceRolePolicyForS3Restore'),
      ],
    });

    this.validator = props.validator ?? this.defaultValidator(props);
    this.recoveryPointFunction = this.recoveryPointChooser();
    ({ fn: this.cleanupFunction, role: this.cleanupRole } = this.cleanup());
    const evidenceBus = validateEventBusArn('RestoreDrillProps.evidenceEventBusArn', props.evidenceEventBusArn);
    this.evidenceFunction = this.fn('EvidenceWriter', 'drill-evidence', 'Writes restore drill evidence and computes RTO/RPO', {
      EVIDENCE_BUCKET: this.evidenceBucket.bucketName,
      EVIDENCE_KEY_ARN: props.evidenceKey.keyArn,
      ...(evidenceBus ? { EVIDENCE_EVENT_BUS_ARN: evidenceBus } : {}),
    });
    // The audit account's copy of each result: PutEvents on that bus only (the bus's policy admits this account).
    if (evidenceBus) this.evidenceFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [evidenceBus] }));
    // New objects under the two prefixes the handler writes; Object Lock applies the retention.
    this.evidenceFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.evidenceBucket.arnForObjects('drills/*'), this.evidenceBucket.arnForObjects('latest-success/*')] }),
    );
    props.evidenceKey.grant(this.evidenceFunction, 'kms:GenerateDataKey');
    ({ fn: this.restoreEventsFunction, table: this.restoreTokenTable, rule: this.restoreEventsRule, alarm: this.restoreEventsAlarm } = this.restoreEvents(props));

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      encryptionKey: props.logKey ?? props.evidenceKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (this.discovery) {
      this.discoverFunction = this.discoverer(props);
      this.grantAccountKeysViaServices(this.validator);
    }
    const longest = this.discovery ? this.discovery.longestRestoreTimeoutSeconds : Math.max(...targets.map((t) => t.restoreTimeout.toSeconds()));
    const rounds = Math.ceil((this.discovery ? this.discovery.config.maxTargets : targets.length) / maxConcurrency);
    // Per round: the restore timeout, as long again waiting for a timed-out restore to end, and
    // four functions with their throttling retries; with discovery, one more hour for the discover
    // function (15 minutes) and its throttling retries. A store's tags cannot ask a longer restore
    // timeout than the levels' longest: the discover function caps it.
    if (props.stateMachineName !== undefined && !Token.isUnresolved(props.stateMachineName) && !props.stateMachineName.startsWith(LIBRARY_NAME_PREFIX)) {
      Annotations.of(this).addWarningV2(
        'cdk-data-protection:drill-name-unwatched',
        `RestoreDrillProps.stateMachineName '${props.stateMachineName}' does not start with '${LIBRARY_NAME_PREFIX}': the monitoring-tamper rule will not report changes to this drill's workflow`,
      );
    }
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      // A name the monitoring-tamper rule recognizes: replacing the workflow is reported to the audit account.
      stateMachineName: props.stateMachineName ?? libraryResourceName(this, 'drill', 80),
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(props, maxConcurrency)),
      timeout: Duration.seconds(Math.min(rounds * (2 * longest + 4 * 3600) + (this.discovery ? 3600 : 0), 365 * 86400)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'cdk-data-protection restore drill: restore, validate, clean up, record evidence, notify',
    });
    this.grantWorkflow(props);

    this.stalenessFunction = this.fn('Staleness', 'drill-staleness', 'Publishes days since the last successful restore drill', {
      EVIDENCE_BUCKET: this.evidenceBucket.bucketName,
      DRILL_ID: this.drillId,
      RESTORE_ROLE_ARN: this.restoreRole.roleArn,
      ...(this.discovery
        ? this.discoveryEnvironment('RestoreDrill staleness function')
        : // With the store's ARN, a success counts only for a restore of that store (verified-success.ts).
          { DRILL_TARGETS: Stack.of(this).toJsonString(targets.map((t) => ({ name: t.name, intervalDays: t.intervalDays, ...(t.resourceArn ? { resourceArn: t.resourceArn } : {}) }))) }),
    }, { reservedConcurrency: 1, invokedAsynchronously: true });
    if (this.discovery) this.grantDiscovery(this.stalenessFunction);
    else grantVerifiedSuccesses(this.stalenessFunction, this.evidenceBucket);
    props.evidenceKey.grantDecrypt(this.stalenessFunction);
    if (this.canaryEnabled) {
      this.canaryFunction = this.canaryWriter(props);
      // A custom validator may read the records to check the canaries itself.
      if (props.validator) this.grantCanaryRecordsRead(props.validator, props.evidenceKey);
    }

    // Every drill alarm fires on one datapoint >= 1 and notifies the alarm topic.
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric, treatMissingData: cloudwatch.TreatMissingData) =>
      notifyingAlarm(this, id, { description, metric, treatMissingData, topic: props.alarmTopic });
    this.drillFailedAlarm = alarm(
      'DrillFailedAlarm',
      'A restore drill failed, timed out or was aborted: read its evidence record and notification',
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: { failed: this.stateMachine.metricFailed(), timedOut: this.stateMachine.metricTimedOut(), aborted: this.stateMachine.metricAborted() },
        period: Duration.minutes(5),
      }),
      cloudwatch.TreatMissingData.NOT_BREACHING,
    );
    // One alarm per drill, not per target: the metrics carry the target, and a thousand targets
    // would otherwise cost two thousand alarms (and stack resources).
    const drillDims = { Drill: this.drillId };
    this.staleAlarm = alarm(
      'StaleAlarm',
      `A target of restore drill ${this.drillId} has no successful drill within its interval, as AWS Backup's restore job record confirms it (forged evidence counts as none; missing data counts: drills or the daily check stopped). ` +
        `${DrillMetrics.DAYS_SINCE_SUCCESS} per Target and the staleness function's log name the targets.`,
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: DrillMetrics.STALE_TARGETS, dimensionsMap: drillDims, statistic: 'Maximum', period: Duration.days(1) }),
      cloudwatch.TreatMissingData.BREACHING,
    );
    this.rtoAlarm = alarm(
      'RtoAlarm',
      `A restore of drill ${this.drillId} took longer than its target's RTO: the evidence record (rto.met=false) and notification name it`,
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: DrillMetrics.RTO_EXCEEDED, dimensionsMap: drillDims, statistic: 'Maximum', period: Duration.hours(1) }),
      cloudwatch.TreatMissingData.NOT_BREACHING,
    );
    if (this.canaryFunction) {
      this.canaryAlarm = alarm(
        'CanaryAlarm',
        `restore drill ${this.drillId}: the canary writer failed for a store (its log names the store and the error); drills of that store check an older canary until it writes again`,
        this.canaryFunction.metricErrors({ period: Duration.days(1), statistic: 'Sum' }),
        cloudwatch.TreatMissingData.NOT_BREACHING,
      );
    }
    for (const t of targets) {
      if (t.drilledConstruct) recordControl(t.drilledConstruct, CONTROLS.RESTORE_DRILL, { drill: this.node.path, intervalDays: t.intervalDays, ...this._runbookFacts(t) });
    }

    if (props.schedule ?? true) {
      const schedulerRole = new iam.Role(this, 'SchedulerRole', {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
        description: 'EventBridge Scheduler starts restore drills and the daily staleness check',
      });
      if (this.discovery) {
        // One daily execution without targets: its first state finds the due ones.
        this.schedules.push(
          new scheduler.Schedule(this, 'DailyDiscovery', {
            description: this.copies
              ? `Restore drill of the due copies, found daily among the recovery points of vaults ${(this.discovery.config.copyVaults ?? []).join(', ')}`.slice(0, 512)
              : `Restore drill of the due stores classified ${this.discovery.classifications.join(', ')}, found daily by their tags`,
            schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
            target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
              input: scheduler.ScheduleTargetInput.fromObject({}),
              retryAttempts: 2,
              role: schedulerRole,
            }),
          }),
        );
      }
      const byInterval = new Map<number, DrillTarget[]>();
      for (const t of targets) byInterval.set(t.intervalDays, [...(byInterval.get(t.intervalDays) ?? []), t]);
      for (const [days, group] of [...byInterval.entries()].sort((a, b) => a[0] - b[0])) {
        this.schedules.push(
          new scheduler.Schedule(this, `Every${days}Days`, {
            description: `Restore drill of ${group.map((t) => t.name).join(', ')} every ${days} days`,
            schedule: scheduler.ScheduleExpression.rate(Duration.days(days)),
            target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
              input: scheduler.ScheduleTargetInput.fromObject(this.executionInput(group)),
              retryAttempts: 2,
              role: schedulerRole,
            }),
          }),
        );
      }
      this.schedules.push(
        new scheduler.Schedule(this, 'DailyStalenessCheck', {
          description: 'Publishes days since the last successful restore drill of each target',
          schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
          target: new schedulerTargets.LambdaInvoke(this.stalenessFunction, { retryAttempts: 2, role: schedulerRole }),
        }),
      );
      if (this.canaryFunction) {
        this.schedules.push(
          new scheduler.Schedule(this, 'DailyCanary', {
            description: 'Writes a new canary into each drilled S3 bucket and DynamoDB table, for the next backup to hold and the drill to check',
            schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
            target: new schedulerTargets.LambdaInvoke(this.canaryFunction, { retryAttempts: 2, role: schedulerRole }),
          }),
        );
      }
      this.wildcards.set(schedulerRole, [
        { resource: `${this.stalenessFunction.functionArn}:*`, reason: 'The scheduler target may invoke the staleness function and its versions (function ARN with :*), nothing else.' },
        ...(this.canaryFunction
          ? [{ resource: `${this.canaryFunction.functionArn}:*`, reason: 'The scheduler target may invoke the canary writer and its versions (function ARN with :*), nothing else.' }]
          : []),
      ]);
    }
    this.acknowledgeDesign();
  }

  /**
   * The execution input that drills these targets (all by default): `{ "targets": [...] }`.
   * Start an on-demand drill with it; set `recoveryPointArn` on an item to restore a chosen point.
   */
  public executionInput(targets: DrillTarget[] = this.targets): { [key: string]: unknown } {
    // One item builder for these targets and the stores the discover function finds (target-item.ts).
    return {
      targets: targets.map((t) =>
        targetItem(
          {
            name: t.name,
            resourceType: t.resourceType.backupResourceType,
            resourceArn: t.resourceArn,
            recoveryPointArn: t.recoveryPointArn,
            backupVaultName: t.backupVaultName,
            restoreMetadata: t.restoreMetadataOverrides(),
            validation: t.validation,
            rtoSeconds: t.rto.toSeconds(),
            rpoSeconds: t.rpo.toSeconds(),
            restoreTimeoutSeconds: t.restoreTimeout.toSeconds(),
            intervalDays: t.intervalDays,
          },
          this.drillId,
          this.pollSeconds,
        ),
      ),
    };
  }

  /**
   * What this drill's discover function derives for a store of `classification` without drill
   * tags (its level and the drill's isolation): give it to `drillTagsOf` so a store's tags carry
   * only what differs.
   */
  public defaultsFor(classification: DataClassification): DrillTagDefaults {
    const level = this.discoveryProps?.levels.find((l) => l.classification === classification);
    return { ...(level ? { level } : {}), ...(this.discoveryProps?.isolation ? { isolation: this.discoveryProps.isolation } : {}) };
  }

  /** The resource types the workflow drills: those of the targets, or every drillable type with discovery. */
  private get drilledTypes(): DrillResourceType[] {
    return DrillResourceType.all().filter((t) => this.discovery !== undefined || this.targets.some((x) => x.resourceType === t));
  }

  /** ARNs of the vaults the drill restores from. */
  private vaultArns(): string[] {
    const names = this.discovery
      ? [this.discovery.config.backupVaultName, ...this.discovery.config.levels.flatMap((l) => (l.backupVaultName ? [l.backupVaultName] : [])), ...(this.discovery.config.copyVaults ?? [])]
      : this.targets.map((t) => t.backupVaultName);
    return [...new Set(names)].map((name) => Stack.of(this).formatArn({ service: 'backup', resource: 'backup-vault', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
  }

  /** Keys restored copies are encrypted with. */
  private restoreKeys(): kms.IKey[] {
    return this.discovery ? this.discovery.keys : this.targets.flatMap((t) => (t.restoreKey ? [t.restoreKey] : []));
  }

  /** The discover and staleness functions' environment: the configuration as one JSON variable, checked against Lambda's 4 KB. */
  private discoveryEnvironment(fn: string): { [key: string]: string } {
    const config: DiscoveryConfig = this.discovery!.config;
    // Measured on the JSON with its deploy-time values (key ARNs) still tokens; a bucket name is at most 63 characters.
    checkEnvironmentSize(
      fn,
      { EVIDENCE_BUCKET: 'x'.repeat(63), DRILL_ID: this.drillId, [DISCOVERY_ENV]: JSON.stringify(config) },
      'fewer levels or restore keys, shorter isolation values or vault name in RestoreDrillProps.discovery',
    );
    return { [DISCOVERY_ENV]: Stack.of(this).toJsonString(config) };
  }

  /**
   * Listing the stores and reading their evidence pointers: what the discover and staleness
   * functions share. GetResources has no resource-level permissions ("Resource types" column
   * empty for tag:GetResources in the Service Authorization Reference, "Actions, resources, and
   * condition keys for Amazon Resource Group Tagging API",
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonresourcegrouptaggingapi.html);
   * it returns ARNs and tags only. DescribeDBInstances is held to this account's and region's
   * instances carrying a drilled classification.
   */
  private grantDiscovery(fn: lambda.Function): void {
    if (this.copies) {
      // Drills of copies list the vaults' recovery points (resource type backupVault, Service
      // Authorization Reference for AWS Backup: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html).
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['backup:ListRecoveryPointsByBackupVault'], resources: this.vaultArns() }));
    } else {
      grantStoreDiscovery(fn, this.discovery!.classifications);
    }
    grantVerifiedSuccesses(fn, this.evidenceBucket);
  }

  /**
   * With discovery, a restored copy may be encrypted with a key of this account the synth never
   * saw (a table's own key, read at run time, or a data stack's fallback key named by a tag): the
   * restore role and the validator may use this account's keys, only through the services that
   * restore and read the copies (`kms:ViaService`), grants only for AWS resources.
   */
  private grantAccountKeysViaServices(validator: iam.IGrantable): void {
    const accountKeys = Stack.of(this).formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    const services = ['dynamodb', 'backup', 's3', 'elasticfilesystem', 'ec2', 'rds'].map((s) => `${s}.${Aws.REGION}.amazonaws.com`);
    const restore = [
      new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'], resources: [accountKeys], conditions: { StringEquals: { 'kms:ViaService': services } } }),
      new iam.PolicyStatement({ actions: ['kms:CreateGrant'], resources: [accountKeys], conditions: { StringEquals: { 'kms:ViaService': services }, Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
    ];
    for (const st of restore) this.restoreRole.addToPrincipalPolicy(st);
    validator.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [accountKeys], conditions: { StringEquals: { 'kms:ViaService': ['dynamodb', 's3'].map((s) => `${s}.${Aws.REGION}.amazonaws.com`) } } }),
    );
    const reason = "Keys have random ids, and with discovery the copies' keys are known only at run time: this account's keys, only through the services that restore and read the copies (kms:ViaService).";
    // A role of this drill (an imported restore role has no policy here to acknowledge).
    if (this.restoreRole instanceof iam.Role) this.wildcards.set(this.restoreRole, [...(this.wildcards.get(this.restoreRole) ?? []), { resource: accountKeys, reason }]);
    const validatorRole = (validator as lambda.IFunction).role;
    if (validatorRole) this.wildcards.set(validatorRole, [...(this.wildcards.get(validatorRole) ?? []), { resource: accountKeys, reason }]);
  }

  /** The function finding a discovering drill's due targets (first state of a daily execution). */
  private discoverer(props: RestoreDrillProps): lambda.Function {
    const fn = this.fn('Discover', 'drill-discover', 'Finds the stores a restore drill drills today by their classification and drill tags', {
      EVIDENCE_BUCKET: this.evidenceBucket.bucketName,
      RESTORE_ROLE_ARN: this.restoreRole.roleArn,
      ...this.discoveryEnvironment('RestoreDrill discover function'),
    }, { reservedConcurrency: 1 });
    this.grantDiscovery(fn);
    if (this.copies) {
      props.evidenceKey.grantDecrypt(fn);
      return fn;
    }
    // A DynamoDB target without a restore-key tag is restored with its source table's key (drill-discover: withSourceKeys).
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable'],
        resources: [Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' })],
        conditions: { StringEquals: { [`aws:ResourceTag/${CLASSIFICATION_TAG}`]: this.discovery!.classifications } },
      }),
    );
    props.evidenceKey.grantDecrypt(fn);
    return fn;
  }

  /**
   * A drill function with its own role and its own log group, encrypted with the log key. The
   * role may write only that log group (AWSLambdaBasicExecutionRole would reach every log group
   * of the account).
   */
  private fn(
    id: string,
    handler: string,
    description: string,
    environment: { [key: string]: string },
    options: { role?: iam.Role; tracing?: lambda.Tracing; reservedConcurrency?: number; invokedAsynchronously?: boolean; dlqReason?: string } = {},
  ): lambda.Function {
    return handlerFunction(this, id, {
      handler,
      description,
      environment,
      role: options.role,
      logKey: this.functionLogs.key,
      logRetention: this.functionLogs.retention,
      tracing: options.tracing,
      codeSigningConfig: this.codeSigningConfig,
      reservedConcurrentExecutions: this.reservedConcurrency === undefined ? undefined : (options.reservedConcurrency ?? this.reservedConcurrency),
      vpcReason: 'Drill functions call only AWS APIs (S3, Backup, DynamoDB, RDS, EC2, EFS), never a database endpoint, so a VPC would add endpoints without isolating anything.',
      dlqReason:
        options.dlqReason ??
        (options.invokedAsynchronously
          ? 'A failed daily run publishes no metric and the stale-drill alarm treats missing data as breaching, so a failure alarms without a queue.'
          : 'The state machine invokes this function synchronously and catches every error into the evidence record and notification: there is no asynchronous event to dead-letter.'),
    });
  }

  /**
   * Event-driven completion of the restore waits: the token table, the restore-events function
   * (register and resume), the EventBridge rule on AWS Backup's restore-job events and its alarm.
   *
   * - Events: source `aws.backup`, detail-type `Restore Job State Change`, `detail.restoreJobId`,
   *   `detail.status` and `detail.iamRoleArn` ("Restore Job events",
   *   https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html; best effort,
   *   https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-backup.html). Terminal statuses
   *   are DescribeRestoreJob's COMPLETED, FAILED and ABORTED. Matching the drill's restore role
   *   keeps other restores of the account from invoking the function at all; the token lookup
   *   still ignores any job the drill does not wait for.
   * - The table holds only task tokens of running waits (TTL: restore timeout + a day). It uses the
   *   AWS managed key: DynamoDB does not document keys of another account (the evidence key lives
   *   in the key account, see DataAccountStack.dynamoDbKeyFor), and the tokens are no data of the
   *   organization, worthless once the wait ends, hence DESTROY on removal. PITR is on: it costs
   *   nothing at this size and is what the stock packs ask of every table.
   * - states:SendTaskSuccess has no resource types or condition keys (Service Authorization
   *   Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html):
   *   Resource `*`, acknowledged; the token is the capability, and the function only uses tokens
   *   the drill's own waits stored in its table. backup:DescribeRestoreJob likewise has no
   *   resource types (same reference, AWS Backup).
   */
  private restoreEvents(props: RestoreDrillProps): { fn: lambda.Function; table: dynamodb.Table; rule: events.Rule; alarm: cloudwatch.Alarm } {
    const table = new dynamodb.Table(this, 'RestoreTokens', {
      partitionKey: { name: 'restoreJobId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const tableCfn = table.node.defaultChild!;
    const tokensOnly = 'Holds only Step Functions task tokens of running restore-drill waits, each expiring after its restore timeout and a day: no data of the organization to classify, back up or drill.';
    acknowledge(tableCfn, ['DataProtection-DataStoreClassified'], tokensOnly);
    acknowledge(tableCfn, STOCK_RULES.DYNAMODB_IN_BACKUP_PLAN, tokensOnly);
    const fn = this.fn(
      'RestoreEvents',
      'drill-restore-events',
      'Resumes restore drills when their restore jobs end (AWS Backup events), with the token each wait registers',
      { RESTORE_TOKEN_TABLE: table.tableName },
      {
        dlqReason:
          "EventBridge invokes it asynchronously (Lambda retries twice); an event it could not handle is not lost work: the wait's timeout describes the job itself, and RestoreEventsAlarm reports errors and failed invocations.",
      },
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'], resources: [table.tableArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['backup:DescribeRestoreJob', 'states:SendTaskSuccess'], resources: ['*'] }));
    this.wildcards.set(fn.role!, [
      {
        resource: '*',
        reason:
          'states:SendTaskSuccess, backup:DescribeRestoreJob and the X-Ray trace calls have no resource-level permissions; the function only sends task tokens that the drill\'s own waits stored in its token table.',
      },
    ]);
    const rule = new events.Rule(this, 'RestoreEventsRule', {
      description: 'Restore drill: AWS Backup restore jobs of the drill\'s restore role that ended resume the waiting execution',
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: { status: ['COMPLETED', 'FAILED', 'ABORTED'], iamRoleArn: [this.restoreRole.roleArn] },
      },
      targets: [new eventsTargets.LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });
    const alarm = new cloudwatch.Alarm(this, 'RestoreEventsAlarm', {
      alarmDescription: `${ALARM_DESCRIPTION_PREFIX} restore drill ${this.drillId}: a restore-job event was not handled (function error or failed invocation); the drill still resumes at its next check, at most maxPollInterval later`,
      metric: new cloudwatch.MathExpression({
        expression: 'errors + failed',
        usingMetrics: {
          errors: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          failed: new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: rule.ruleName }, statistic: 'Sum', period: Duration.minutes(5) }),
        },
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
    return { fn, table, rule, alarm };
  }

  private defaultValidator(props: RestoreDrillProps): lambda.Function {
    const stack = Stack.of(this);
    const fn = this.fn('Validator', 'drill-validator', 'Validates data restored by a restore drill', this.canaryEnabled ? { CANARY_RECORDS_BUCKET: this.evidenceBucket.bucketName } : {});
    this.wildcards.set(fn.role!, [
      { resource: '*', reason: 'ec2:DescribeVolumes, backup:PutRestoreValidationResult and the X-Ray trace calls have no resource-level permissions.' },
      ...this.drillCopyWildcards(),
    ]);
    const p = Aws.PARTITION;
    const add = (actions: string[], resources: string[], conditions?: { [k: string]: unknown }) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    add(['s3:ListBucket', 's3:GetObject', 's3:GetObjectVersion'], [`arn:${p}:s3:::${DRILL_PREFIX}*`, `arn:${p}:s3:::${DRILL_PREFIX}*/*`]);
    add(['dynamodb:DescribeTable', 'dynamodb:Scan'], [stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${DRILL_PREFIX}*` })]);
    add(['rds:DescribeDBInstances', 'rds:DescribeDBClusters'], [
      stack.formatArn({ service: 'rds', resource: 'db', resourceName: `${DRILL_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      stack.formatArn({ service: 'rds', resource: 'cluster', resourceName: `${DRILL_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    ]);
    // DescribeVolumes has no resource-level permissions; it only reads.
    add(['ec2:DescribeVolumes'], ['*']);
    add(['elasticfilesystem:DescribeFileSystems'], [stack.formatArn({ service: 'elasticfilesystem', resource: 'file-system', resourceName: '*' })]);
    add(['backup:PutRestoreValidationResult'], ['*']);
    // The comparison with the source reads its size only: object listing, table and cluster descriptions.
    const sources = (type: DrillResourceType) =>
      this.targets.filter((t) => t.resourceType === type && t.resourceArn && t.validation.compareWithSource !== 'false').map((t) => t.resourceArn!);
    if (sources(DrillResourceType.S3).length) add(['s3:ListBucket'], sources(DrillResourceType.S3));
    if (sources(DrillResourceType.DYNAMODB).length) add(['dynamodb:DescribeTable'], sources(DrillResourceType.DYNAMODB));
    const clusters = this.targets.filter((t) => t.resourceType === DrillResourceType.AURORA && t.resourceArn && t.validation.compareWithSource !== 'false');
    if (clusters.length) add(['rds:DescribeDBClusters'], clusters.map((t) => t.resourceArn!));
    if (this.discovery && !this.copies) this.grantSourceReads(fn);
    for (const key of this.restoreKeys()) key.grantDecrypt(fn);
    if (this.canaryEnabled) {
      this.grantCanaryRecordsRead(fn, props.evidenceKey);
      // The restored table's canary item only (the copy's S3 canary is read with the s3:GetObject above).
      add(['dynamodb:GetItem'], [stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${DRILL_PREFIX}*` })], {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CANARY_PARTITION_KEY] },
      });
    }
    return fn;
  }

  /**
   * Reading the canary records of the evidence bucket (`canaries/`): the record a restored canary
   * names, and the oldest one (ListObjectsV2 with MaxKeys 1). Without s3:ListBucket, GetObject of a
   * missing key answers 403 instead of 404 (an unknown canary id).
   */
  private grantCanaryRecordsRead(grantee: iam.IGrantable, evidenceKey: kms.IKey): void {
    const p = grantee.grantPrincipal;
    p.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.evidenceBucket.arnForObjects(`${CANARY_RECORD_PREFIX}*`)] }));
    p.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.evidenceBucket.bucketArn] }));
    evidenceKey.grantDecrypt(grantee);
    const role = (grantee as lambda.IFunction).role;
    const known = role ? this.wildcards.get(role) : undefined;
    known?.push({ resource: this.evidenceBucket.arnForObjects(`${CANARY_RECORD_PREFIX}*`), reason: 'The validator reads the canary records (canaries/<target>/<id>.json), one per canary written.' });
  }

  /**
   * The canary writer (drill-canary): daily, for each drilled S3 bucket and DynamoDB table, a
   * locked record in the evidence bucket, then the canary in the store. It may write nothing else:
   * - S3: s3:PutObject on `<bucket>/data-protection-canary/*` only. With discovery the buckets are
   *   found at run time: any bucket of this account (`s3:ResourceAccount`; bucket ARNs carry no
   *   account), still only under the canary prefix. A bucket-tag condition is not used: bucket
   *   tags take part in authorization only with ABAC turned on ("By default, ABAC is disabled for
   *   all Amazon S3 general purpose buckets",
   *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html).
   * - DynamoDB: dynamodb:PutItem of the item whose partition key is `data-protection-canary` only
   *   (`dynamodb:LeadingKeys`, "Using IAM policy conditions for fine-grained access control",
   *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html),
   *   and DescribeTable for the key schema. With discovery, tables of this account and region
   *   carrying a drilled classification tag (`aws:ResourceTag/...` applies to the `table` resource
   *   of both actions in the Service Authorization Reference,
   *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).
   * - KMS: the stores' keys are not known at synth (a data stack's key, or any with discovery):
   *   this account's keys, only through S3 and DynamoDB (`kms:ViaService`). Uploading an SSE-KMS
   *   object needs kms:GenerateDataKey ("Using server-side encryption with AWS KMS keys",
   *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
   * - Evidence: s3:PutObject under `canaries/` of the Object Lock bucket, with the evidence key.
   */
  private canaryWriter(props: RestoreDrillProps): lambda.Function | undefined {
    const stack = Stack.of(this);
    const p = Aws.PARTITION;
    const types = (t: DrillResourceType) => this.targets.filter((x) => x.resourceType === t && x.resourceArn && x.validation.canary !== 'false');
    const buckets = types(DrillResourceType.S3);
    const tables = types(DrillResourceType.DYNAMODB);
    if (!this.discovery && buckets.length === 0 && tables.length === 0) return undefined;
    let environment: { [key: string]: string };
    if (this.discovery) {
      environment = { EVIDENCE_BUCKET: this.evidenceBucket.bucketName, EVIDENCE_KEY_ARN: props.evidenceKey.keyArn, ...this.discoveryEnvironment('RestoreDrill canary function') };
    } else {
      const list = [...buckets, ...tables].map((t) => ({ name: t.name, resourceType: t.resourceType.backupResourceType, resourceArn: t.resourceArn }));
      checkEnvironmentSize('RestoreDrill canary function', { EVIDENCE_BUCKET: 'x'.repeat(63), EVIDENCE_KEY_ARN: 'x'.repeat(100), CANARY_TARGETS: JSON.stringify(list) }, 'fewer S3 and DynamoDB targets in one RestoreDrill, or validation.canary false on some');
      environment = { EVIDENCE_BUCKET: this.evidenceBucket.bucketName, EVIDENCE_KEY_ARN: props.evidenceKey.keyArn, CANARY_TARGETS: stack.toJsonString(list) };
    }
    const fn = this.fn('Canary', 'drill-canary', 'Writes canary records into the drilled S3 buckets and DynamoDB tables for restore drills to check', environment, {
      reservedConcurrency: 1,
      invokedAsynchronously: true,
    });
    const add = (actions: string[], resources: string[], conditions?: { [k: string]: unknown }) => fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const leadingKey = { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CANARY_PARTITION_KEY] } };
    const grants: WildcardGrant[] = [{ resource: '*', reason: 'The X-Ray trace calls have no resource-level permissions.' }];
    if (this.discovery) {
      const classified = { StringEquals: { [`aws:ResourceTag/${CLASSIFICATION_TAG}`]: this.discovery.classifications } };
      const anyTable = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' });
      const anyCanaryObject = `arn:${p}:s3:::*/${CANARY_KEY_PREFIX}*`;
      // Finding the stores: as the discover function does (GetResources has no resource-level permissions).
      add(['tag:GetResources'], ['*']);
      add(['rds:DescribeDBInstances'], [stack.formatArn({ service: 'rds', resource: 'db', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })], classified);
      add(['s3:PutObject'], [anyCanaryObject], { StringEquals: { 's3:ResourceAccount': Aws.ACCOUNT_ID } });
      add(['dynamodb:DescribeTable'], [anyTable], classified);
      add(['dynamodb:PutItem'], [anyTable], { ...classified, ...leadingKey });
      grants.push(
        { resource: anyCanaryObject, reason: "Stores are found at run time: the writer may put objects only under data-protection-canary/ of this account's buckets (s3:ResourceAccount; bucket ARNs carry no account)." },
        { resource: anyTable, reason: "Stores are found at run time: the writer may describe, and put only the canary item (dynamodb:LeadingKeys) of, this account's tables carrying a drilled classification tag." },
        this.describeInstancesWildcard(),
      );
      grants[0] = { resource: '*', reason: 'The X-Ray trace calls and tag:GetResources have no resource-level permissions; GetResources lists the ARNs and tags of the stores.' };
    } else {
      if (buckets.length) {
        const objects = buckets.map((t) => `${t.resourceArn}/${CANARY_KEY_PREFIX}*`);
        add(['s3:PutObject'], objects);
        for (const resource of objects) grants.push({ resource, reason: 'The canary object of a drilled bucket: only keys under data-protection-canary/ (each write has a new key, so the prefix).' });
      }
      if (tables.length) {
        add(['dynamodb:DescribeTable'], tables.map((t) => t.resourceArn!));
        add(['dynamodb:PutItem'], tables.map((t) => t.resourceArn!), leadingKey);
      }
    }
    const accountKeys = stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    const via = (...services: string[]) => ({ StringEquals: { 'kms:ViaService': services.map((s) => `${s}.${Aws.REGION}.amazonaws.com`) } });
    add(['kms:GenerateDataKey'], [accountKeys], via('s3', 'dynamodb'));
    // DynamoDB decrypts a customer managed table key for a write through the service only.
    add(['kms:Decrypt'], [accountKeys], via('dynamodb'));
    grants.push({ resource: accountKeys, reason: "The stores' keys are not known at synth (a data stack's key, or found at run time): this account's keys, only through S3 and DynamoDB (kms:ViaService), to encrypt the canary." });
    add(['s3:PutObject'], [this.evidenceBucket.arnForObjects(`${CANARY_RECORD_PREFIX}*`)]);
    props.evidenceKey.grant(fn, 'kms:GenerateDataKey');
    grants.push({ resource: this.evidenceBucket.arnForObjects(`${CANARY_RECORD_PREFIX}*`), reason: 'One locked record per canary under canaries/ (Object Lock keeps each).' });
    this.wildcards.set(fn.role!, grants);
    return fn;
  }

  /**
   * With discovery the sources are known only at run time: the validator may read the size of
   * this account's and region's stores of the drilled levels. DynamoDB tables and Aurora clusters
   * by their classification tag (`aws:ResourceTag/...` applies to the `table` and `cluster`
   * resource types of dynamodb:DescribeTable and rds:DescribeDBClusters in the Service
   * Authorization Reference). S3 bucket ARNs carry no account: `s3:ResourceAccount` holds
   * ListBucket to this account's buckets, and a bucket tag condition would deny every bucket
   * without ABAC turned on ("By default, ABAC is disabled for all Amazon S3 general purpose
   * buckets", Amazon S3 User Guide, "Enabling ABAC in general purpose buckets",
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html).
   */
  private grantSourceReads(fn: lambda.Function): void {
    const stack = Stack.of(this);
    const classified = { StringEquals: { [`aws:ResourceTag/${CLASSIFICATION_TAG}`]: this.discovery!.classifications } };
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [`arn:${Aws.PARTITION}:s3:::*`], conditions: { StringEquals: { 's3:ResourceAccount': Aws.ACCOUNT_ID } } }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' })], conditions: classified }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBClusters'],
        resources: [stack.formatArn({ service: 'rds', resource: 'cluster', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        conditions: classified,
      }),
    );
    this.wildcards.get(fn.role!)!.push(
      { resource: `arn:${Aws.PARTITION}:s3:::*`, reason: 'Stores are found at run time: the validator lists a source bucket to compare its size; s3:ResourceAccount holds it to this account (bucket ARNs carry none), and bucket tags take part in authorization only with ABAC turned on.' },
      { resource: stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' }), reason: 'Stores are found at run time: the validator describes a source table of this account and region carrying a drilled classification tag (condition).' },
      {
        resource: stack.formatArn({ service: 'rds', resource: 'cluster', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        reason: 'Stores are found at run time: the validator describes a source cluster of this account and region carrying a drilled classification tag (condition).',
      },
    );
  }

  /**
   * What the report's restore runbook reads from the drill control of a store (literal values
   * only): its target name (the `Target` dimension of the metrics and the key of its
   * `latest-success/<target>.json` pointer), the drill id (the `Drill` dimension), the construct
   * paths of the evidence bucket and of the restore role, and the RTO the drill checks.
   * @internal
   */
  public _runbookFacts(t: DrillTarget): Record<string, unknown> {
    const literal = (v: string) => (Token.isUnresolved(v) ? undefined : v);
    return {
      target: t.name,
      drillId: literal(this.drillId),
      evidenceBucket: this.evidenceBucket.node.path,
      restoreRole: this.restoreRole.node.path,
      rtoSeconds: t.rto.toSeconds(),
    };
  }

  /**
   * The function choosing the recovery point: lists the drilled vaults' recovery points (every
   * page) and describes a chosen one; reads only.
   */
  private recoveryPointChooser(): lambda.Function {
    const stack = Stack.of(this);
    const fn = this.fn('RecoveryPoint', 'drill-recovery-point', 'Chooses the recovery point a restore drill restores', {});
    const vaults = this.vaultArns();
    const recoveryPoints = stack.formatArn({ service: 'backup', resource: 'recovery-point', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['backup:ListRecoveryPointsByBackupVault'], resources: vaults }));
    // Always: an on-demand execution input may name a recovery point.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['backup:DescribeRecoveryPoint'], resources: [recoveryPoints] }));
    this.wildcards.set(fn.role!, [
      { resource: '*', reason: 'The X-Ray trace calls have no resource-level permissions.' },
      { resource: recoveryPoints, reason: 'AWS Backup generates recovery point ids; the function only describes the recovery point an execution input names.' },
    ]);
    return fn;
  }

  private cleanup(): { fn: lambda.Function; role: iam.Role } {
    const stack = Stack.of(this);
    const p = Aws.PARTITION;
    const role = new iam.Role(this, 'CleanupRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Deletes restore-drill copies only: drill- named or drill-tagged resources',
    });
    const rds = (resource: string) =>
      stack.formatArn({ service: 'rds', resource, resourceName: `${DRILL_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const tagged = { StringLike: { [`aws:ResourceTag/${DRILL_TAG}`]: `${DRILL_PREFIX}*` } };
    const statements = [
      new iam.PolicyStatement({
        sid: 'DrillBucketsOnly',
        actions: ['s3:ListBucket', 's3:ListBucketVersions', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteBucket'],
        resources: [`arn:${p}:s3:::${DRILL_PREFIX}*`, `arn:${p}:s3:::${DRILL_PREFIX}*/*`],
      }),
      new iam.PolicyStatement({
        sid: 'DrillTablesOnly',
        actions: ['dynamodb:DescribeTable', 'dynamodb:DeleteTable'],
        resources: [stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${DRILL_PREFIX}*` })],
      }),
      new iam.PolicyStatement({
        sid: 'DrillDatabasesOnly',
        actions: ['rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:ModifyDBCluster', 'rds:ModifyDBInstance', 'rds:DeleteDBCluster', 'rds:DeleteDBInstance'],
        resources: [rds('db'), rds('cluster')],
      }),
      new iam.PolicyStatement({
        sid: 'DrillTaggedVolumesOnly',
        actions: ['ec2:DeleteVolume'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' })],
        conditions: tagged,
      }),
      new iam.PolicyStatement({
        sid: 'DrillTaggedFileSystemsOnly',
        actions: ['elasticfilesystem:DescribeMountTargets', 'elasticfilesystem:DeleteFileSystem'],
        resources: [stack.formatArn({ service: 'elasticfilesystem', resource: 'file-system', resourceName: '*' })],
        conditions: tagged,
      }),
    ];
    // The sweep lists the copies of earlier drills (drill-cleanup `sweep`), for the types drilled.
    // These list calls have no resource-level permissions (Service Authorization Reference:
    // s3:ListAllMyBuckets, dynamodb:ListTables, ec2:DescribeVolumes list no resource type;
    // rds:DescribeDBInstances/DescribeDBClusters and elasticfilesystem:DescribeFileSystems without an
    // identifier are not scoped to one), and they only read names, creation times and tags: the
    // deletes stay on the drill-named or drill-tagged statements above. tag:GetResources is not
    // used: it returns only tagged or previously tagged resources ("Returns all the tagged or
    // previously tagged resources", Resource Groups Tagging API Reference, GetResources), and
    // restored buckets, tables and databases are named, not tagged; it returns no creation time.
    const listing: { [type: string]: string[] } = {
      S3: ['s3:ListAllMyBuckets'],
      DynamoDB: ['dynamodb:ListTables'],
      RDS: ['rds:DescribeDBInstances'],
      Aurora: ['rds:DescribeDBClusters'],
      EBS: ['ec2:DescribeVolumes'],
      EFS: ['elasticfilesystem:DescribeFileSystems'],
    };
    const listActions = [...new Set(this.drilledTypes.flatMap((t) => listing[t.backupResourceType] ?? []))].sort();
    // backup:ListRestoreJobs: the sweep deletes only what this drill's restore jobs created.
    statements.push(new iam.PolicyStatement({ sid: 'ListDrillLeftovers', actions: [...listActions, 'backup:ListRestoreJobs'].sort(), resources: ['*'] }));
    for (const s of statements) role.addToPolicy(s);
    // Not traced: X-Ray (even PassThrough) adds an unconditioned xray statement to this role. The
    // state machine's trace still shows the cleanup task.
    const fn = this.fn('Cleanup', 'drill-cleanup', 'Deletes what a restore drill created, and nothing else', {}, { role, tracing: lambda.Tracing.DISABLED });
    this.wildcards.set(role, [
      ...this.drillCopyWildcards(),
      { resource: '*', reason: 'The sweep of earlier drills\' leftovers lists names, creation times and tags (ListAllMyBuckets, ListTables, DescribeDBInstances/Clusters, DescribeVolumes, DescribeFileSystems, ListRestoreJobs: no resource-level permissions); it deletes only what this drill\'s restore jobs created, through the drill-named and drill-tagged statements.' },
    ]);
    return { fn, role };
  }

  /**
   * Restored copies get names generated per run (`drill-<target>-<id>`) or random ids (EBS, EFS):
   * the `drill-` prefix or the drill tag confines the roles to them.
   */
  private drillCopyWildcards(): WildcardGrant[] {
    const stack = Stack.of(this);
    const p = Aws.PARTITION;
    const named = 'Restored copies are named per run (drill-<target>-<id>): the drill- prefix confines the role to them and never reaches source data.';
    const tagged = 'Restored volumes and file systems get random ids: the drill tag condition confines the role to the copies the drill created.';
    const rds = (resource: string) => stack.formatArn({ service: 'rds', resource, resourceName: `${DRILL_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    return [
      { resource: `arn:${p}:s3:::${DRILL_PREFIX}*`, reason: named },
      { resource: `arn:${p}:s3:::${DRILL_PREFIX}*/*`, reason: named },
      { resource: stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${DRILL_PREFIX}*` }), reason: named },
      { resource: rds('db'), reason: named },
      { resource: rds('cluster'), reason: named },
      { resource: stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' }), reason: tagged },
      { resource: stack.formatArn({ service: 'elasticfilesystem', resource: 'file-system', resourceName: '*' }), reason: tagged },
    ];
  }

  /** The drill's own design decisions, acknowledged for the stock packs on the resources they concern. */
  private acknowledgeDesign(): void {
    const stack = Stack.of(this);
    const xray = 'The X-Ray trace calls have no resource-level permissions.';
    const pointer = 'One pointer object per target under latest-success/ marks its last successful drill.';
    const records = 'The evidence record a pointer names (drills/<target>/<day>/<drill>.json, one per drill) gives the restore job AWS Backup must confirm.';
    const describeJob = 'backup:DescribeRestoreJob has no resource-level permissions: it reads the status, role and completion date of the restore job a success names.';
    this.wildcards.set(this.evidenceFunction.role!, [
      { resource: '*', reason: xray },
      { resource: this.evidenceBucket.arnForObjects('drills/*'), reason: 'Each drill writes a new evidence object named after its run under drills/; Object Lock keeps it immutable.' },
      { resource: this.evidenceBucket.arnForObjects('latest-success/*'), reason: pointer },
    ]);
    this.wildcards.set(this.stalenessFunction.role!, [
      { resource: '*', reason: this.discovery && !this.copies ? `${xray} tag:GetResources has none either: it lists the ARNs and tags of the stores to drill. ${describeJob}` : `${xray} ${describeJob}` },
      { resource: this.evidenceBucket.arnForObjects('latest-success/*'), reason: pointer },
      { resource: this.evidenceBucket.arnForObjects('drills/*'), reason: records },
      ...(this.discovery && !this.copies ? [this.describeInstancesWildcard()] : []),
    ]);
    if (this.discoverFunction && this.copies) {
      this.wildcards.set(this.discoverFunction.role!, [
        { resource: '*', reason: `${xray} ${describeJob}` },
        { resource: this.evidenceBucket.arnForObjects('latest-success/*'), reason: pointer },
        { resource: this.evidenceBucket.arnForObjects('drills/*'), reason: records },
      ]);
    } else if (this.discoverFunction) {
      this.wildcards.set(this.discoverFunction.role!, [
        { resource: '*', reason: `${xray} tag:GetResources has none either: it lists the ARNs and tags of the stores to drill. ${describeJob}` },
        { resource: this.evidenceBucket.arnForObjects('latest-success/*'), reason: pointer },
        { resource: this.evidenceBucket.arnForObjects('drills/*'), reason: records },
        this.describeInstancesWildcard(),
        { resource: stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' }), reason: 'Stores are found at run time: the function describes a due source table of this account and region carrying a drilled classification tag (condition), to restore it with its own key.' },
      ]);
    }
    const versions = 'Step Functions may invoke the function or its versions (function ARN with :*), nothing else.';
    this.wildcards.set(this.stateMachine.role, [
      { resource: '*', reason: 'DescribeRestoreJob, the X-Ray trace calls and PutMetricData (held to the DataProtection namespace by condition) have no resource-level permissions.' },
      {
        resource: stack.formatArn({ service: 'backup', resource: 'recovery-point', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        reason: 'AWS Backup generates recovery point ids; the workflow restores the latest one of the drilled vaults.',
      },
      ...[this.recoveryPointFunction, this.validator, this.cleanupFunction, this.evidenceFunction, this.restoreEventsFunction, ...(this.discoverFunction ? [this.discoverFunction] : [])].map((f) => ({ resource: `${f.functionArn}:*`, reason: versions })),
      ...this.drillCopyWildcards().filter((w) => /volume|file-system/.test(w.resource ?? '')),
    ]);
    for (const [role, grants] of this.wildcards) {
      const policy = defaultPolicyOf(role);
      if (!policy) continue;
      acknowledgeWildcards(policy, grants);
      acknowledgeInlinePolicy(policy);
    }
    if (this.restoreRole.node.scope === this) {
      const why = 'AWS Backup maintains these service-role policies with what each resource type needs to restore; a copy would go stale as restore requirements change.';
      acknowledgeManagedPolicy(this.restoreRole, iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores'), why);
      acknowledgeManagedPolicy(this.restoreRole, iam.ManagedPolicy.fromAwsManagedPolicyName('AWSBackupServiceRolePolicyForS3Restore'), why);
      acknowledgeInlinePolicy(defaultPolicyOf(this.restoreRole));
    }
  }

  /** rds:DescribeDBInstances of the discovery (Aurora cluster members are skipped). */
  private describeInstancesWildcard(): WildcardGrant {
    return {
      resource: Stack.of(this).formatArn({ service: 'rds', resource: 'db', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      reason: 'Stores are found at run time: a DB instance of this account and region carrying a drilled classification tag (condition) is described to skip the members of an Aurora cluster, which is drilled as a cluster.',
    };
  }

  private allowMetrics(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // PutMetricData has no resource-level permissions: limit it to the library's namespace.
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
      }),
    );
  }

  private grantWorkflow(props: RestoreDrillProps): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.restoreRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } },
      }),
    );
    const tagOnly = {
      StringLike: { [`aws:RequestTag/${DRILL_TAG}`]: `${DRILL_PREFIX}*` },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [DRILL_TAG] },
    };
    if (this.drilledTypes.includes(DrillResourceType.EBS)) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:CreateTags'], resources: [stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' })], conditions: tagOnly }));
    }
    if (this.drilledTypes.includes(DrillResourceType.EFS)) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['elasticfilesystem:TagResource'], resources: [stack.formatArn({ service: 'elasticfilesystem', resource: 'file-system', resourceName: '*' })], conditions: tagOnly }),
      );
    }
    this.allowMetrics(role);
    grantAlarmPublish(props.alarmTopic, role);
    for (const key of this.restoreKeys()) key.grant(this.restoreRole, 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey', 'kms:CreateGrant');
    // The copies' own key: AWS Backup reads the recovery point with the restore role.
    for (const key of this.recoveryPointKeys) key.grant(this.restoreRole, 'kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant');
  }

  /**
   * An SDK integration task whose permissions come only from `grantWorkflow`. CallAwsService would
   * add its own unconditioned statement next to the tag-only and namespace-only ones.
   */
  private sdkTask(id: string, api: string, parameters: { [key: string]: unknown }, resultPath: string | null = null): sfn.CustomState {
    return new sfn.CustomState(this, id, {
      stateJson: { Type: 'Task', Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:${api}`, Parameters: parameters, ResultPath: resultPath },
    });
  }

  /**
   * A Lambda task of the workflow. Beside CDK's retry of Lambda.ServiceException,
   * Lambda.AWSLambdaException, Lambda.SdkClientException and Lambda.ClientExecutionTimeoutException,
   * it retries Lambda.TooManyRequestsException ("When Lambda hits the maximum number of
   * invocations, the error is Lambda.TooManyRequestsException",
   * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html): the
   * functions reserve `maxConcurrency` each, and two executions overlap whenever schedules
   * coincide (every 90 days for the 30- and 90-day intervals) or a drill is started on demand.
   * The waits (20 s doubling to 5 min, 8 retries: 25 min) outlast one invocation of the other
   * execution (15 min timeout).
   */
  private lambdaTask(id: string, fn: lambda.IFunction, resultPath: string | undefined, options: { payload?: sfn.TaskInput; inputPath?: string } = {}): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, { lambdaFunction: fn, payload: options.payload, inputPath: options.inputPath, payloadResponseOnly: true, resultPath });
    task.addRetry({ errors: ['Lambda.TooManyRequestsException'], interval: Duration.seconds(20), backoffRate: 2, maxDelay: Duration.minutes(5), maxAttempts: 8 });
    return task;
  }

  /**
   * Retries an AWS SDK integration task on any task error ("States.TaskFailed ... matches any known
   * error name except for States.Timeout", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
   * throttling and service errors are transient, and every retried call is a read, carries an
   * idempotency token (StartRestoreJob) or sets the same value again.
   */
  private static retrySdk<T extends sfn.TaskStateBase | sfn.CustomState>(task: T): T {
    task.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3 });
    return task;
  }

  /**
   * The workflow, in JSONPath. Every path of a target ends with cleanup, evidence, metrics and a
   * notification; a path that reads an optional field (CreatedResourceArn, RestoreMetadata,
   * RestoreJobId, the validator's `valid`) checks it with IsPresent first, because a missing path is
   * a States.Runtime error that no Retry or Catch handles ("A retry or catch on States.ALL won't
   * catch States.Runtime errors", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
   * Only the resource types of `targets` get states, so the role grants what the states call.
   */
  private definition(props: RestoreDrillProps, maxConcurrency: number): sfn.IChainable {
    const stack = Stack.of(this);
    const types = this.drilledTypes;
    const has = (t: DrillResourceType) => types.includes(t);
    const recoveryPoints = stack.formatArn({ service: 'backup', resource: 'recovery-point', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const vaultArns = this.vaultArns();
    const fail = (name: string, status: string, reason: string) => new sfn.Pass(this, name, { result: sfn.Result.fromObject({ status, reason }), resultPath: '$.failure' });
    const C = sfn.Condition;
    const typeIs = (t: DrillResourceType) => C.stringEquals('$.target.resourceType', t.backupResourceType);
    const statusIs = (...statuses: string[]) => C.and(C.isPresent('$.job.Status'), C.or(...statuses.map((x) => C.stringEquals('$.job.Status', x))));
    const createdArn = C.isPresent('$.job.CreatedResourceArn');

    // ---- The tail every path ends in: cleanup, evidence, metrics, notification, result.
    const summary = (extra: { [key: string]: unknown }) => ({
      'target.$': '$.evidence.summary.target',
      'drillStatus.$': '$.evidence.summary.status',
      ok: false,
      'evidenceKey.$': '$.evidence.summary.evidenceKey',
      ...extra,
    });
    const notify = RestoreDrill.retrySdk(
      new tasks.CallAwsService(this, STATE.NOTIFY, {
        service: 'sns',
        action: 'publish',
        parameters: { TopicArn: props.alarmTopic.topicArn, 'Subject.$': '$.evidence.subject', 'Message.$': '$.evidence.message' },
        iamResources: [props.alarmTopic.topicArn],
        iamAction: 'sns:Publish',
        resultPath: sfn.JsonPath.DISCARD,
        outputPath: '$.evidence.summary',
      }),
    );
    // A drill whose notification failed must fail the execution: nobody else hears of it.
    notify.addCatch(
      new sfn.Pass(this, STATE.NOTIFY_FAILED, {
        parameters: summary({
          status: DrillStatus.NOTIFICATION_FAILED,
          'reason.$': "States.Format('the notification was not sent ({}: {}); the drill: {}', $.notifyError.Error, $.notifyError.Cause, $.evidence.summary.reason)",
        }),
      }),
      { resultPath: '$.notifyError' },
    );
    const metrics = RestoreDrill.retrySdk(this.sdkTask(STATE.METRICS, 'cloudwatch:putMetricData', { Namespace: METRIC_NAMESPACE, 'MetricData.$': '$.evidence.metricData' }));
    // Metrics not published: the RTO and failure alarms miss the drill, so the execution fails (after the notification).
    metrics.addCatch(
      new sfn.Pass(this, STATE.METRICS_FAILED, {
        parameters: summary({
          status: DrillStatus.METRICS_FAILED,
          'reason.$': "States.Format('metrics were not published ({}: {}); the drill: {}', $.metricsError.Error, $.metricsError.Cause, $.evidence.summary.reason)",
        }),
        resultPath: '$.evidence.summary',
      }).next(notify),
      { resultPath: '$.metricsError' },
    );
    metrics.next(notify);

    // The evidence function failed as a whole (a write failure it reports itself): notify with the
    // error's name and message, never the function's stack trace that Lambda puts in Cause.
    const notifyEvidenceFailed = RestoreDrill.retrySdk(
      new tasks.CallAwsService(this, STATE.NOTIFY_EVIDENCE_FAILED, {
        service: 'sns',
        action: 'publish',
        parameters: {
          TopicArn: props.alarmTopic.topicArn,
          Subject: 'Restore drill evidence NOT recorded',
          'Message.$': "States.Format('Restore drill {} of {} could not write its evidence record: {}: {}', $.drillName, $.target.name, $.evidenceErrorText.name, $.evidenceErrorText.message)",
        },
        iamResources: [props.alarmTopic.topicArn],
        iamAction: 'sns:Publish',
        resultPath: sfn.JsonPath.DISCARD,
      }),
    );
    const evidenceNotRecorded = new sfn.Pass(this, STATE.EVIDENCE_FAILED, {
      parameters: {
        'target.$': '$.target.name',
        status: DrillStatus.EVIDENCE_FAILED,
        ok: false,
        'reason.$': "States.Format('evidence NOT recorded: {}: {}', $.evidenceErrorText.name, $.evidenceErrorText.message)",
      },
    });
    notifyEvidenceFailed.addCatch(evidenceNotRecorded, { resultPath: '$.notifyError' });
    notifyEvidenceFailed.next(evidenceNotRecorded);
    const evidenceErrorText = (id: string, message: string) =>
      new sfn.Pass(this, id, { parameters: { 'name.$': '$.evidenceError.Error', 'message.$': message }, resultPath: '$.evidenceErrorText' }).next(notifyEvidenceFailed);
    const plainError = evidenceErrorText(STATE.EVIDENCE_ERROR_PLAIN, '$.evidenceError.Cause');
    const evidenceError = new sfn.Choice(this, STATE.EVIDENCE_ERROR)
      // A function error's Cause is the JSON {"errorType","errorMessage","trace"}; a service error's is plain text.
      .when(
        C.and(C.isPresent('$.evidenceError.Cause'), C.isString('$.evidenceError.Cause'), C.stringMatches('$.evidenceError.Cause', '{*')),
        new sfn.Pass(this, STATE.EVIDENCE_ERROR_PARSE, { parameters: { 'cause.$': 'States.StringToJson($.evidenceError.Cause)' }, resultPath: '$.evidenceErrorParsed' }).next(
          new sfn.Choice(this, STATE.EVIDENCE_ERROR_MESSAGE)
            .when(C.and(C.isPresent('$.evidenceErrorParsed.cause.errorMessage'), C.isString('$.evidenceErrorParsed.cause.errorMessage')), evidenceErrorText(STATE.EVIDENCE_ERROR_FROM_FUNCTION, '$.evidenceErrorParsed.cause.errorMessage'))
            .otherwise(evidenceErrorText('Evidence error without message', "States.Format('{}', 'no message')")),
        ),
      )
      .when(C.and(C.isPresent('$.evidenceError.Cause'), C.isString('$.evidenceError.Cause')), plainError)
      .otherwise(evidenceErrorText('Evidence error without cause', "States.Format('{}', 'no message')"));

    const evidence = this.lambdaTask(STATE.EVIDENCE, this.evidenceFunction, '$.evidence');
    evidence.addCatch(evidenceError, { resultPath: '$.evidenceError' });
    evidence.next(metrics);

    const cleanup = this.lambdaTask(STATE.CLEANUP, this.cleanupFunction, '$.cleanup');
    // Deleting a copy that is still settling (an instance being created, a bucket being filled) can fail once.
    cleanup.addRetry({ errors: ['States.TaskFailed'], interval: Duration.minutes(1), backoffRate: 2, maxAttempts: 2 });
    // A failed cleanup is caught so evidence and notification still happen, and recorded there.
    cleanup.addCatch(evidence, { resultPath: '$.cleanupError' });
    cleanup.next(evidence);

    // Failure states say what failed; the evidence function adds the error's name and message.
    const stepFailed = fail(STATE.STEP_FAILED, DrillStatus.STEP_FAILED, 'an AWS API call of the drill failed').next(cleanup);
    const catchStep = <T extends sfn.TaskStateBase | sfn.CustomState>(task: T) => {
      task.addCatch(stepFailed, { resultPath: '$.error' });
      return task;
    };

    // ---- Validation.
    // InputPath, not Payload: the payload is built by one of two Pass states (with or without the ARN).
    const validate = this.lambdaTask(STATE.VALIDATE, this.validator, '$.validation', { inputPath: '$.validatorInput' });
    validate.addCatch(fail(STATE.VALIDATION_ERROR, DrillStatus.VALIDATION_ERROR, 'the validator failed').next(cleanup), { resultPath: '$.error' });
    const validBoolean = C.and(C.isPresent('$.validation.valid'), C.isBoolean('$.validation.valid'));
    validate.next(
      new sfn.Choice(this, STATE.VALID)
        .when(C.and(validBoolean, C.booleanEquals('$.validation.valid', true)), cleanup)
        .when(validBoolean, fail(STATE.VALIDATION_FAILED, DrillStatus.VALIDATION_FAILED, 'the validator reported the restored data invalid').next(cleanup))
        .otherwise(fail(STATE.VALIDATION_MALFORMED, DrillStatus.VALIDATION_ERROR, "the validator returned no boolean 'valid'").next(cleanup)),
    );
    const validatorPayload = {
      'restoreJobId.$': '$.restoreJob.RestoreJobId',
      // DescribeRestoreJob's answer (always there once a wait resumed): RecoveryPointCreationDate dates the canary check.
      'job.$': '$.job',
      'resourceType.$': '$.target.resourceType',
      'drillName.$': '$.drillName',
      'target.$': '$.target',
    };
    // The validator's payload, with or without the copy's ARN (the restore job may omit it).
    const validatorInput = new sfn.Pass(this, STATE.VALIDATOR_INPUT_ARN, { parameters: { ...validatorPayload, 'createdResourceArn.$': '$.job.CreatedResourceArn' }, resultPath: '$.validatorInput' }).next(validate);
    const validatorInputNoArn = new sfn.Pass(this, STATE.VALIDATOR_INPUT_NO_ARN, { parameters: validatorPayload, resultPath: '$.validatorInput' }).next(validate);

    // ---- Tagging restored volumes and file systems (random ids): the cleanup role deletes only tagged ones.
    const tagList = [{ Key: DRILL_TAG, 'Value.$': '$.drillName' }];
    const idOfCreated = "States.ArrayGetItem(States.StringSplit($.job.CreatedResourceArn, '/'), 1)";
    const tagTasks = (volumeId: string, fileSystemId: string) => ({
      volume: has(DrillResourceType.EBS) ? RestoreDrill.retrySdk(this.sdkTask(volumeId, 'ec2:createTags', { 'Resources.$': `States.Array(${idOfCreated})`, Tags: tagList })) : undefined,
      fileSystem: has(DrillResourceType.EFS) ? RestoreDrill.retrySdk(this.sdkTask(fileSystemId, 'efs:tagResource', { 'ResourceId.$': idOfCreated, Tags: tagList })) : undefined,
    });
    const tagNow = tagTasks(STATE.TAG_VOLUME, STATE.TAG_FILE_SYSTEM);
    for (const t of [tagNow.volume, tagNow.fileSystem]) {
      if (!t) continue;
      catchStep(t);
      t.next(validatorInput);
    }

    // ---- Describing the restore job (after a timeout, until it ends).
    const describeJob = (id: string) =>
      RestoreDrill.retrySdk(
        new tasks.CallAwsService(this, id, {
          service: 'backup',
          action: 'describeRestoreJob',
          parameters: { 'RestoreJobId.$': '$.restoreJob.RestoreJobId' },
          iamResources: ['*'],
          iamAction: 'backup:DescribeRestoreJob',
          resultPath: '$.job',
        }),
      );

    // A timed-out restore: publish the RTO metric now (the elapsed restore timeout is a lower bound,
    // and at least the RTO), then keep polling until the job ends, so its copy is tagged and deleted
    // instead of appearing after cleanup; evidence and notification follow.
    const drainWait = new sfn.Wait(this, STATE.DRAIN_WAIT, { time: sfn.WaitTime.secondsPath('$.target.poll.drainWait') });
    const timeoutMetrics = RestoreDrill.retrySdk(
      this.sdkTask(STATE.TIMEOUT_METRICS, 'cloudwatch:putMetricData', {
        Namespace: METRIC_NAMESPACE,
        MetricData: [
          { MetricName: DrillMetrics.RESTORE_TIME, 'Value.$': '$.target.restoreTimeoutSeconds', Unit: 'Seconds', Dimensions: [{ Name: 'Target', 'Value.$': '$.target.name' }] },
          { MetricName: DrillMetrics.RTO_EXCEEDED, Value: 1, Unit: 'Count', Dimensions: [{ Name: 'Drill', 'Value.$': '$.target.drill' }] },
        ],
      }),
    );
    timeoutMetrics.addCatch(drainWait, { resultPath: '$.timeoutMetricsError' });
    timeoutMetrics.next(drainWait);
    const drainDescribe = describeJob(STATE.DRAIN_DESCRIBE);
    drainDescribe.addCatch(cleanup, { resultPath: '$.drainError' });
    const tagLate = tagTasks(STATE.TAG_VOLUME_LATE, STATE.TAG_FILE_SYSTEM_LATE);
    for (const t of [tagLate.volume, tagLate.fileSystem]) {
      if (!t) continue;
      t.addCatch(cleanup, { resultPath: '$.tagError' });
      t.next(cleanup);
    }
    const drainEnded = new sfn.Choice(this, STATE.DRAIN_ENDED);
    if (tagLate.volume) drainEnded.when(C.and(statusIs('COMPLETED'), typeIs(DrillResourceType.EBS), createdArn), tagLate.volume);
    if (tagLate.fileSystem) drainEnded.when(C.and(statusIs('COMPLETED'), typeIs(DrillResourceType.EFS), createdArn), tagLate.fileSystem);
    drainEnded
      .when(statusIs('COMPLETED', 'FAILED', 'ABORTED'), cleanup)
      .when(C.numberGreaterThanEqualsJsonPath('$.drain.i', '$.target.poll.drainLast'), cleanup)
      .otherwise(new sfn.Pass(this, STATE.NEXT_DRAIN, { parameters: { 'i.$': 'States.MathAdd($.drain.i, 1)' }, resultPath: '$.drain' }).next(drainWait));
    drainWait.next(drainDescribe).next(drainEnded);

    // Waiting for the restore job: event-driven, with the task's timeout as the fallback for lost
    // events. Each wait registers its task token for the job (restore-events function, `register`)
    // and resumes when AWS Backup's "Restore Job State Change" event for a terminal status reaches
    // the same function through EventBridge, which sends the job's description (SendTaskSuccess).
    // The register step describes the job right after storing the token, so a job that ended
    // before (its event found no token) resumes at once, as does a job older than the restore
    // timeout (then still running). A wait that times out (event lost) registers again: the first
    // after `firstPoll`, then every `poll.every` (at most maxPollInterval), one state transition each.
    const waitForEvent = (id: string, waitPath: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.restoreEventsFunction,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          register: true,
          taskToken: sfn.JsonPath.taskToken,
          'restoreJobId.$': '$.restoreJob.RestoreJobId',
          'restoreTimeoutSeconds.$': '$.target.restoreTimeoutSeconds',
          'waitSeconds.$': waitPath,
        }),
        taskTimeout: sfn.Timeout.at(waitPath),
        resultPath: '$.job',
      }).addRetry({ errors: ['Lambda.TooManyRequestsException'], interval: Duration.seconds(20), backoffRate: 2, maxDelay: Duration.minutes(5), maxAttempts: 8 });
    const wait = waitForEvent(STATE.WAIT, '$.target.poll.first');
    const waitAgain = waitForEvent(STATE.WAIT_AGAIN, '$.target.poll.every');
    // States.Timeout first: a States.ALL catch would take it too (it is listed after).
    wait.addCatch(waitAgain, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.waitTimedOut' });
    waitAgain.addCatch(waitAgain, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.waitTimedOut' });
    catchStep(wait);
    catchStep(waitAgain);
    // The resumed wait carries a job description, but anyone allowed states:SendTaskSuccess with a
    // token could send one: the workflow decides on AWS Backup's own answer (one transition).
    const confirm = catchStep(describeJob(STATE.CONFIRM));
    const finished = new sfn.Choice(this, STATE.FINISHED);
    if (tagNow.volume) finished.when(C.and(statusIs('COMPLETED'), typeIs(DrillResourceType.EBS), createdArn), tagNow.volume);
    if (tagNow.fileSystem) finished.when(C.and(statusIs('COMPLETED'), typeIs(DrillResourceType.EFS), createdArn), tagNow.fileSystem);
    if (tagNow.volume || tagNow.fileSystem) {
      const tagged = types.filter((t) => t.taggedAfterRestore).map(typeIs);
      finished.when(
        C.and(statusIs('COMPLETED'), tagged.length === 1 ? tagged[0] : C.or(...tagged)),
        fail(STATE.NO_CREATED_RESOURCE, DrillStatus.STEP_FAILED, 'the restore job COMPLETED without a CreatedResourceArn').next(cleanup),
      );
    }
    finished
      .when(C.and(statusIs('COMPLETED'), createdArn), validatorInput)
      .when(statusIs('COMPLETED'), validatorInputNoArn)
      .when(statusIs('FAILED', 'ABORTED'), fail(STATE.RESTORE_FAILED, DrillStatus.RESTORE_FAILED, 'the restore job ended FAILED or ABORTED').next(cleanup))
      // A wait resumes with a job that has not ended only when the restore timeout has passed.
      .otherwise(fail(STATE.TIMED_OUT, DrillStatus.RESTORE_TIMED_OUT, 'the restore job did not finish within the restore timeout').next(timeoutMetrics));
    wait.next(confirm);
    waitAgain.next(confirm);
    confirm.next(finished);

    // ---- Starting the restore.
    const start = catchStep(
      RestoreDrill.retrySdk(
        new tasks.CallAwsService(this, STATE.START, {
          service: 'backup',
          action: 'startRestoreJob',
          parameters: {
            'RecoveryPointArn.$': '$.recoveryPoint.RecoveryPointArn',
            IamRoleArn: this.restoreRole.roleArn,
            'IdempotencyToken.$': '$.drillName',
            'ResourceType.$': '$.target.resourceType',
            // Recorded metadata, then the target's synth-time overrides (isolation, key), then the drill- name.
            'Metadata.$': 'States.JsonMerge(States.JsonMerge($.metadata.RestoreMetadata, $.target.restoreMetadata, false), $.nameOverride, false)',
          },
          iamResources: [recoveryPoints],
          iamAction: 'backup:StartRestoreJob',
          resultPath: '$.restoreJob',
        }),
      ),
    );
    start.next(
      new sfn.Choice(this, STATE.STARTED)
        .when(C.isPresent('$.restoreJob.RestoreJobId'), wait)
        .otherwise(fail(STATE.NOT_STARTED, DrillStatus.STEP_FAILED, 'StartRestoreJob returned no RestoreJobId').next(cleanup)),
    );

    const nameChoice = new sfn.Choice(this, STATE.NAME_CHOICE).when(
      C.not(C.isPresent('$.metadata.RestoreMetadata')),
      fail(STATE.NO_METADATA, DrillStatus.STEP_FAILED, 'GetRecoveryPointRestoreMetadata returned no RestoreMetadata').next(cleanup),
    );
    for (const t of types) {
      // EBS copies have random ids and are tagged after the restore: nothing to name.
      const pass = t.nameMetadataKey
        ? new sfn.Pass(this, `Name ${t.backupResourceType} copy`, { parameters: { [`${t.nameMetadataKey}.$`]: '$.drillName' }, resultPath: '$.nameOverride' })
        : new sfn.Pass(this, `Name ${t.backupResourceType} copy`, { result: sfn.Result.fromObject({}), resultPath: '$.nameOverride' });
      nameChoice.when(typeIs(t), pass.next(start));
    }
    nameChoice.otherwise(fail(STATE.UNSUPPORTED, DrillStatus.STEP_FAILED, `resourceType of the execution input is not one this drill was built for (${types.map((t) => t.backupResourceType).join(', ')})`).next(cleanup));

    const metadata = catchStep(
      RestoreDrill.retrySdk(
        new tasks.CallAwsService(this, STATE.METADATA, {
          service: 'backup',
          action: 'getRecoveryPointRestoreMetadata',
          parameters: { 'BackupVaultName.$': '$.target.backupVaultName', 'RecoveryPointArn.$': '$.recoveryPoint.RecoveryPointArn' },
          iamResources: [recoveryPoints, ...vaultArns],
          iamAction: 'backup:GetRecoveryPointRestoreMetadata',
          resultPath: '$.metadata',
        }),
      ),
    );
    metadata.next(nameChoice);

    // ---- Choosing the recovery point: a function pages through the vault and picks by CreationDate.
    const find = catchStep(this.lambdaTask(STATE.FIND, this.recoveryPointFunction, '$.recoveryPoint', { payload: sfn.TaskInput.fromObject({ 'target.$': '$.target' }) }));
    find.next(
      new sfn.Choice(this, STATE.FOUND)
        .when(C.and(C.isPresent('$.recoveryPoint.found'), C.isBoolean('$.recoveryPoint.found'), C.booleanEquals('$.recoveryPoint.found', true), C.isPresent('$.recoveryPoint.RecoveryPointArn')), metadata)
        .otherwise(fail(STATE.NO_POINT, DrillStatus.NO_RECOVERY_POINT, 'no restorable recovery point').next(cleanup)),
    );

    const prepare = new sfn.Pass(this, STATE.PREPARE, {
      parameters: {
        'target.$': '$.target',
        'executionName.$': '$.executionName',
        'startedAt.$': '$.startedAt',
        // Unique per drill: restores into an existing name fail, and cleanup matches the prefix.
        'drillName.$': `States.Format('${DRILL_PREFIX}{}-{}', $.target.name, States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0))`,
        drain: { i: 0 },
      },
    });
    // Leftovers of earlier drills of this target (a restore that finished after its drill timed
    // out): deleted by the cleanup function, with its permissions, before this restore. A failure
    // is caught and recorded (evidence `sweep.failed`, CleanupFailed), never the drill's status.
    const sweep = this.lambdaTask(STATE.SWEEP, this.cleanupFunction, '$.sweep', {
      payload: sfn.TaskInput.fromObject({ sweep: true, 'drillName.$': '$.drillName', 'target.$': '$.target', restoreRoleArn: this.restoreRole.roleArn }),
    });
    sweep.addCatch(find, { resultPath: '$.sweepError' });
    sweep.next(find);
    prepare.next(sweep);

    const map = new sfn.Map(this, STATE.MAP, {
      itemsPath: '$.targets',
      maxConcurrency,
      itemSelector: { 'target.$': '$$.Map.Item.Value', 'executionName.$': '$$.Execution.Name', 'startedAt.$': '$$.Execution.StartTime' },
      // No JSONPath filters (an empty match is an uncatchable States.Runtime error): aggregate with intrinsics.
      resultSelector: {
        'results.$': '$',
        'anyFailed.$': 'States.ArrayContains($[*].ok, false)',
        'error.$': 'States.JsonToString(States.ArrayUnique($[*].status))',
        'cause.$': 'States.JsonToString($)',
      },
    });
    map.itemProcessor(prepare);
    const drilled = map.next(
      new sfn.Choice(this, STATE.ANY_FAILED)
        .when(C.booleanEquals('$.anyFailed', true), new sfn.Fail(this, STATE.FAIL, { errorPath: '$.error', causePath: '$.cause' }))
        .otherwise(new sfn.Succeed(this, STATE.SUCCEED)),
    );
    if (!this.discoverFunction) return drilled;

    // ---- Discovery: an execution without `targets` (the daily schedule's) finds them first; an
    // on-demand input with `targets` is drilled as given. No target due is the usual day: the Map
    // is skipped (its aggregation reads the results' fields, which an empty Map has none of). A
    // failed discovery is not caught: the execution fails and the drill-failed alarm notifies.
    const anyDue = new sfn.Choice(this, STATE.ANY_DUE).when(C.isPresent('$.targets[0]'), map).otherwise(new sfn.Succeed(this, STATE.NONE_DUE));
    // No ResultPath: the function's `{ targets, summary }` becomes the state's output, as an input with targets is.
    const discover = this.lambdaTask(STATE.DISCOVER, this.discoverFunction, undefined);
    discover.next(anyDue);
    return new sfn.Choice(this, STATE.TARGETS_GIVEN).when(C.isPresent('$.targets'), anyDue).otherwise(discover);
  }
}

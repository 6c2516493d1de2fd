import { ArnFormat, Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ObjectLockBucket } from '../backup/object-lock-bucket';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { acknowledgeInlinePolicy, acknowledgeManagedPolicy, acknowledgeWildcards, defaultPolicyOf, WildcardGrant } from '../core/acknowledgements';
import { CLASSIFICATION_TAG, METRIC_NAMESPACE } from '../core/constants';
import { handlerFunction } from '../core/handler-function';
import { requireLiteral, validateEventBusArn, validateRange } from '../core/validation';
import { notifyingAlarm } from '../keys/alarm-topic';
import { checkEnvironmentSize, grantStoreDiscovery, grantVerifiedSuccesses, resolveDiscovery } from './drill-discovery';
import { DISCOVERY_ENV } from './target-item';

/**
 * Which engine proves a data account's restores (`DataProtectionDrillOptions.engine`).
 * docs/drill.md, "Two engines", compares them.
 */
export class DrillEngine {
  /** The library's `RestoreDrill` (Step Functions): evidence under Object Lock, RTO/RPO, staleness alarms, canaries. */
  public static readonly STEP_FUNCTIONS = new DrillEngine('STEP_FUNCTIONS');
  /** AWS Backup restore testing (`NativeRestoreTesting`), validated by the library's validator. */
  public static readonly NATIVE_RESTORE_TESTING = new DrillEngine('NATIVE_RESTORE_TESTING');
  /** Both engines side by side. */
  public static readonly BOTH = new DrillEngine('BOTH');

  private constructor(
    /** STEP_FUNCTIONS, NATIVE_RESTORE_TESTING or BOTH. */
    public readonly name: string,
  ) {}

  /** Whether the engine includes the library's `RestoreDrill`. */
  public get stepFunctions(): boolean {
    return this !== DrillEngine.NATIVE_RESTORE_TESTING;
  }

  /** Whether the engine includes AWS Backup restore testing. */
  public get nativeRestoreTesting(): boolean {
    return this !== DrillEngine.STEP_FUNCTIONS;
  }

  public toString(): string {
    return this.name;
  }
}

/**
 * Resource types AWS Backup restore testing supports, by their AWS Backup names
 * (`ProtectedResourceType`, "RestoreTestingSelectionForCreate",
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingSelectionForCreate.html).
 */
export const RESTORE_TESTING_RESOURCE_TYPES: readonly string[] = ['Aurora', 'DocumentDB', 'DynamoDB', 'EBS', 'EC2', 'EFS', 'FSx', 'Neptune', 'RDS', 'S3'];

/** The types the library validator checks (drill-validator.lambda.ts), the default selection. */
const VALIDATED_TYPES = ['S3', 'DynamoDB', 'Aurora', 'RDS', 'EBS', 'EFS'];

export interface NativeRestoreTestingProps {
  /** The vaults whose recovery points are tested (`IncludeVaults`), e.g. `DataAccountStack.backupVaults`' ARNs. */
  readonly backupVaultArns: string[];
  /** Levels tested: one selection per level and resource type, by the `data-classification` tag. */
  readonly classifications: DataClassification[];
  /**
   * AWS Backup resource types tested (one selection each per level). Restore testing supports
   * Aurora, DocumentDB, DynamoDB, EBS, EC2, EFS, FSx, Neptune, RDS and S3; the library validator
   * checks S3, DynamoDB, Aurora, RDS, EBS and EFS (the others restore and are deleted unvalidated).
   * @default ['S3', 'DynamoDB', 'Aurora', 'RDS', 'EBS', 'EFS']
   */
  readonly resourceTypes?: string[];
  /**
   * How often the plan runs: the schedule is daily, weekly or monthly, the least frequent of
   * them that is at least as frequent as this (e.g. the shortest drill interval of the levels).
   * @default Duration.days(7)
   */
  readonly interval?: Duration;
  /** Hours after the scheduled time within which the restores start (`StartWindowHours`, 1–168). @default Duration.hours(8) */
  readonly startWindow?: Duration;
  /** How far back a recovery point may be chosen (`SelectionWindowDays`, 1–365); the latest in it is restored. @default Duration.days(7) */
  readonly selectionWindow?: Duration;
  /** How long a restored copy is kept for validation before AWS Backup deletes it (`ValidationWindowHours`, 0–168). @default Duration.hours(4) */
  readonly validationWindow?: Duration;
  /** The encrypted topic notified of failed validations (e.g. `AlarmTopic.topic`). */
  readonly alarmTopic: sns.ITopic;
  /** Key of the validator's log group. */
  readonly logKey: kms.IKey;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Role AWS Backup restores with.
   * @default - a role with AWS Backup's managed restore policies (as `RestoreDrill`'s)
   */
  readonly restoreRole?: iam.IRole;
  /** Restore metadata every selection overrides (`RestoreMetadataOverrides`), e.g. a subnet when the default VPC is gone. @default - inferred by AWS Backup */
  readonly restoreMetadataOverrides?: { [key: string]: string };
  /** Name of the restore testing plan (letters, digits and underscores, at most 50). @default - derived from the construct path */
  readonly restoreTestingPlanName?: string;
  /** Customer managed key of the evidence bucket. @default - `logKey` */
  readonly evidenceKey?: kms.IKey;
  /**
   * Where evidence records land (`drills/<target>/<day>/<copy>.json`, `latest-success/<target>.json`),
   * the same records as `RestoreDrill`'s. Must be an Object Lock bucket encrypted with `evidenceKey`.
   * @default - a new `ObjectLockBucket` (COMPLIANCE, `evidenceRetention`)
   */
  readonly evidenceBucket?: s3.IBucket;
  /** Retention of each evidence record. @default Duration.days(2555) (7 years) */
  readonly evidenceRetention?: Duration;
  /**
   * ARN of the audit account's security event bus (`AlarmTopic.securityEventBusArn`): each record
   * is also put there, as `RestoreDrill`'s are (source `cdk-data-protection.drill`).
   * @default - none: evidence is kept in this account's bucket only
   */
  readonly evidenceEventBusArn?: string;
}

/**
 * AWS Backup restore testing (`AWS::Backup::RestoreTestingPlan` and `RestoreTestingSelection`,
 * "Restore testing", https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html):
 * AWS Backup restores the latest recovery point of the included vaults within the selection
 * window, keeps the copy for the validation window and deletes it. The library's validator checks
 * each copy from the restore job's COMPLETED event, reports with PutRestoreValidationResult, and
 * records what `RestoreDrill` records: an evidence record under Object Lock (also sent to the audit
 * account's bus), RTO/RPO per store, failed restores (FAILED/ABORTED jobs) and validations. A daily
 * staleness check counts the stores of the tested levels and types without a success of this plan
 * within their level's interval, as AWS Backup's restore job confirms it. Alarms: failed restore or
 * validation (or validator error), RTO exceeded, stale stores. docs/drill.md, "Two engines".
 */
export class NativeRestoreTesting extends Construct {
  /** The restore testing plan. */
  public readonly plan: backup.CfnRestoreTestingPlan;
  /** One selection per level and resource type. */
  public readonly selections: backup.CfnRestoreTestingSelection[] = [];
  /** The role AWS Backup restores with. */
  public readonly restoreRole: iam.IRole;
  /** Validates each restored copy and reports to AWS Backup. */
  public readonly validator: lambda.Function;
  /** COMPLETED restore jobs of the plan to the validator. */
  public readonly validationRule: events.Rule;
  /** A copy failed validation, or the validator failed. */
  public readonly validationFailedAlarm: cloudwatch.Alarm;
  /** The plan's ARN. */
  public readonly restoreTestingPlanArn: string;
  /** The AWS Backup resource types its selections test. */
  public readonly resourceTypes: string[];
  /** The plan's name: the `Drill` dimension of its RtoExceeded and StaleTargets metrics. */
  public readonly restoreTestingPlanName: string;
  /** Where evidence records land. */
  public readonly evidenceBucket: s3.IBucket;
  /** Publishes, daily, the stores without a recent success of this plan (StaleTargets). */
  public readonly stalenessFunction: lambda.Function;
  /** A store of the tested levels and types has no success of this plan within its interval. */
  public readonly staleAlarm: cloudwatch.Alarm;
  /** A restore took longer than its store's RTO. */
  public readonly rtoAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: NativeRestoreTestingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    requireLiteral('NativeRestoreTestingProps.validationWindow', props.validationWindow, 'it is checked against AWS Backup\'s 0–168 hours at synth');
    requireLiteral('NativeRestoreTestingProps.selectionWindow', props.selectionWindow, 'it is checked against AWS Backup\'s 1–365 days at synth');
    requireLiteral('NativeRestoreTestingProps.startWindow', props.startWindow, 'it is checked against AWS Backup\'s 1–168 hours at synth');
    requireLiteral('NativeRestoreTestingProps.interval', props.interval, 'the schedule is chosen from it at synth');
    // Ranges: "Restore testing" (validation 0–168 hours, selection window 1–365 days) and the
    // CloudFormation reference of AWS::Backup::RestoreTestingPlan / RestoreTestingSelection.
    const validationHours = (props.validationWindow ?? Duration.hours(4)).toHours({ integral: false });
    validateRange('NativeRestoreTestingProps.validationWindow', validationHours, 0, 168, 'hours');
    const selectionDays = (props.selectionWindow ?? Duration.days(7)).toDays({ integral: false });
    validateRange('NativeRestoreTestingProps.selectionWindow', selectionDays, 1, 365, 'days');
    const startHours = (props.startWindow ?? Duration.hours(8)).toHours({ integral: false });
    validateRange('NativeRestoreTestingProps.startWindow', startHours, 1, 168, 'hours');
    const intervalDays = (props.interval ?? Duration.days(7)).toDays({ integral: false });
    validateRange('NativeRestoreTestingProps.interval', intervalDays, 1, 366, 'days');
    for (const [prop, n] of [['validationWindow', validationHours], ['selectionWindow', selectionDays], ['startWindow', startHours]] as const) {
      if (!Number.isInteger(n)) throw new Error(`NativeRestoreTestingProps.${prop} must be a whole number of ${prop === 'selectionWindow' ? 'days' : 'hours'}, got ${n}`);
    }
    const types = props.resourceTypes ?? VALIDATED_TYPES;
    for (const t of types) {
      if (!RESTORE_TESTING_RESOURCE_TYPES.includes(t)) {
        throw new Error(`NativeRestoreTestingProps.resourceTypes: '${t}' is not supported by AWS Backup restore testing; supported: ${RESTORE_TESTING_RESOURCE_TYPES.join(', ')}`);
      }
    }
    if (types.length === 0 || new Set(types).size !== types.length) throw new Error(`NativeRestoreTestingProps.resourceTypes must list distinct types, at least one, got [${types.join(', ')}]`);
    if (props.classifications.length === 0) throw new Error('NativeRestoreTestingProps.classifications must list at least one level, got none');
    if (props.backupVaultArns.length === 0) throw new Error('NativeRestoreTestingProps.backupVaultArns must list at least one vault, got none');
    const planName = props.restoreTestingPlanName ?? `data_protection_${stack.stackName}_${id}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 50);
    if (!Token.isUnresolved(planName) && !/^[A-Za-z0-9_]{1,50}$/.test(planName)) {
      throw new Error(`NativeRestoreTestingProps.restoreTestingPlanName must be 1–50 letters, digits or underscores, got '${planName}'`);
    }

    this.restoreRole = props.restoreRole ?? new iam.Role(this, 'RestoreRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: 'AWS Backup restores of restore testing',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AWSBackupServiceRolePolicyForS3Restore'),
      ],
    });
    if (this.restoreRole.node.scope === this) {
      const why = 'AWS Backup maintains these service-role policies with what each resource type needs to restore; a copy would go stale as restore requirements change.';
      acknowledgeManagedPolicy(this.restoreRole, iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores'), why);
      acknowledgeManagedPolicy(this.restoreRole, iam.ManagedPolicy.fromAwsManagedPolicyName('AWSBackupServiceRolePolicyForS3Restore'), why);
    }

    this.plan = new backup.CfnRestoreTestingPlan(this, 'Plan', {
      restoreTestingPlanName: planName,
      scheduleExpression: NativeRestoreTesting.scheduleFor(intervalDays),
      scheduleExpressionTimezone: 'Etc/UTC',
      startWindowHours: startHours,
      recoveryPointSelection: {
        algorithm: 'LATEST_WITHIN_WINDOW',
        includeVaults: props.backupVaultArns,
        recoveryPointTypes: ['SNAPSHOT'],
        selectionWindowDays: selectionDays,
      },
    });
    this.restoreTestingPlanArn = this.plan.attrRestoreTestingPlanArn;
    for (const c of props.classifications) {
      for (const t of types) {
        const selection = new backup.CfnRestoreTestingSelection(this, `${t}${c.name}`, {
          restoreTestingPlanName: this.plan.restoreTestingPlanName,
          restoreTestingSelectionName: `${t}_${c.name}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 50),
          protectedResourceType: t,
          iamRoleArn: this.restoreRole.roleArn,
          // With conditions, the ARNs are '*' (CreateRestoreTestingSelection,
          // https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateRestoreTestingSelection.html).
          protectedResourceArns: ['*'],
          protectedResourceConditions: { stringEquals: [{ key: `aws:ResourceTag/${CLASSIFICATION_TAG}`, value: c.name }] },
          validationWindowHours: validationHours,
          restoreMetadataOverrides: props.restoreMetadataOverrides,
        });
        selection.node.addDependency(this.plan);
        this.selections.push(selection);
      }
    }

    this.restoreTestingPlanName = planName;
    this.resourceTypes = [...types];
    const evidenceKey = props.evidenceKey ?? props.logKey;
    this.evidenceBucket =
      props.evidenceBucket ?? new ObjectLockBucket(this, 'EvidenceBucket', { encryptionKey: evidenceKey, retention: props.evidenceRetention ?? Duration.days(2555) }).bucket;
    const evidenceBus = validateEventBusArn('NativeRestoreTestingProps.evidenceEventBusArn', props.evidenceEventBusArn);
    // Stores are named and held to their level's objectives as the drill's discovery does (tags
    // included), so the validator's records and the staleness check agree on names. The vault name
    // is unused here: restore testing picks the recovery point itself.
    const discovery = resolveDiscovery(
      {
        backupVaultName: 'restore-testing',
        levels: props.classifications.map((c) => {
          const policy = ProtectionPolicy.forClassification(c);
          return { classification: c, rto: Duration.hours(policy.rtoHours), rpo: Duration.hours(policy.rpoHours), interval: Duration.days(policy.drillIntervalDays) };
        }),
      },
      { drill: planName, poll: { first: 900, max: 8 * 3600 } },
      'NativeRestoreTestingProps',
    );
    const discoveryEnv = { [DISCOVERY_ENV]: stack.toJsonString(discovery.config) };
    checkEnvironmentSize(`NativeRestoreTesting ${planName}`, { ...discoveryEnv, EVIDENCE_BUCKET: 'x'.repeat(63) }, 'fewer levels');
    const functionLogs = { logKey: props.logKey, logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR };

    this.validator = handlerFunction(this, 'Validator', {
      handler: 'restore-testing-validator',
      description: 'Validates copies restored by AWS Backup restore testing, reports with PutRestoreValidationResult and records evidence',
      environment: {
        RESTORE_TESTING_PLAN_ARN: this.restoreTestingPlanArn,
        EVIDENCE_BUCKET: this.evidenceBucket.bucketName,
        EVIDENCE_KEY_ARN: evidenceKey.keyArn,
        ...(evidenceBus ? { EVIDENCE_EVENT_BUS_ARN: evidenceBus } : {}),
        ...discoveryEnv,
      },
      ...functionLogs,
      // Many restore tests can end together (every selected store of a run): enough to validate them within the validation window.
      reservedConcurrentExecutions: 10,
      vpcReason: 'The validator calls only AWS APIs (Backup, S3, DynamoDB, RDS, EC2, EFS, CloudWatch), never a database endpoint.',
      dlqReason: 'EventBridge invokes it asynchronously; a failed invocation alarms (ValidationFailedAlarm counts its errors), and the store turns stale without its evidence.',
    });
    const grants = this.grantValidator(this.validator, props.classifications);
    this.validator.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.evidenceBucket.arnForObjects('drills/*'), this.evidenceBucket.arnForObjects('latest-success/*')] }),
    );
    evidenceKey.grant(this.validator, 'kms:GenerateDataKey');
    if (evidenceBus) this.validator.addToRolePolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [evidenceBus] }));
    const records = 'Evidence records are written and read under drills/<target>/<day>/ for stores found at run time.';
    const pointers = 'The latest-success pointer of each store found at run time.';
    acknowledgeWildcards(defaultPolicyOf(this.validator.role!)!, [
      ...grants,
      { resource: this.evidenceBucket.arnForObjects('drills/*'), reason: records },
      { resource: this.evidenceBucket.arnForObjects('latest-success/*'), reason: pointers },
    ]);
    acknowledgeInlinePolicy(defaultPolicyOf(this.validator.role!));

    // The restore job's end, with the plan's ARN ("Restore testing validation",
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-validation.html;
    // "Restore Job State Change" with status COMPLETED, FAILED or ABORTED, "Restore Job events",
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
    this.validationRule = new events.Rule(this, 'ValidationRule', {
      description: 'Restore testing: ended restore jobs of the plan are validated and recorded by the library validator',
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: { status: ['COMPLETED', 'FAILED', 'ABORTED'], restoreTestingPlanArn: [this.restoreTestingPlanArn] },
      },
      targets: [new eventsTargets.LambdaFunction(this.validator, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });

    // The drill's staleness function, reading only this plan's successes among the tested types.
    this.stalenessFunction = handlerFunction(this, 'Staleness', {
      handler: 'drill-staleness',
      description: 'Publishes the stores without a restore test of this plan within their interval (StaleTargets)',
      environment: {
        EVIDENCE_BUCKET: this.evidenceBucket.bucketName,
        DRILL_ID: planName,
        RESTORE_ROLE_ARN: this.restoreRole.roleArn,
        RESTORE_TESTING_PLAN_ARN: this.restoreTestingPlanArn,
        RESTORE_TESTING_TYPES: JSON.stringify(types),
        // Daily or weekly runs keep every real success within AWS Backup's job records (30 days assumed, verified-success.ts).
        ...(intervalDays < 31 ? { UNVERIFIED_IS_STALE: 'true' } : {}),
        ...discoveryEnv,
      },
      ...functionLogs,
      vpcReason: 'The staleness check calls only AWS APIs (Resource Groups Tagging, RDS, S3, Backup), never a database endpoint.',
      dlqReason: 'A failed daily run publishes no metric and the staleness alarm treats missing data as breaching, so a failure alarms without a queue.',
    });
    grantStoreDiscovery(this.stalenessFunction, discovery.classifications);
    grantVerifiedSuccesses(this.stalenessFunction, this.evidenceBucket);
    evidenceKey.grantDecrypt(this.stalenessFunction);
    acknowledgeWildcards(defaultPolicyOf(this.stalenessFunction.role!)!, [
      { resource: '*', reason: 'tag:GetResources (it lists the ARNs and tags of the stores), backup:DescribeRestoreJob (it reads a job\'s status, role and dates) and the X-Ray trace calls have no resource-level permissions.' },
      { resource: this.evidenceBucket.arnForObjects('drills/*'), reason: records },
      { resource: this.evidenceBucket.arnForObjects('latest-success/*'), reason: pointers },
      {
        resource: stack.formatArn({ service: 'rds', resource: 'db', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        reason: 'Stores are found at run time: a DB instance of this account and region carrying a tested classification tag (condition) is described to skip the members of an Aurora cluster.',
      },
    ]);
    acknowledgeInlinePolicy(defaultPolicyOf(this.stalenessFunction.role!));
    new events.Rule(this, 'DailyStalenessCheck', {
      description: `Restore testing plan ${planName}: daily count of the stores without a recent successful restore test`,
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [new eventsTargets.LambdaFunction(this.stalenessFunction, { retryAttempts: 2 })],
    });

    // The drill's alarms, on this plan's metrics (every one notifies the topic; the prefix forwards it).
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric, treatMissingData: cloudwatch.TreatMissingData) =>
      notifyingAlarm(this, id, { description: `restore testing plan ${planName}: ${description}`, metric, treatMissingData, topic: props.alarmTopic });
    this.validationFailedAlarm = alarm(
      'ValidationFailedAlarm',
      'a restore failed or its copy failed validation, or the validator failed (its log and the evidence record name the restore job and the checks)',
      new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(errors, 0)',
        usingMetrics: {
          failed: new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: 'RestoreTestValidationFailed', dimensionsMap: { RestoreTestingPlan: planName }, statistic: 'Maximum', period: Duration.hours(1) }),
          errors: this.validator.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        },
        period: Duration.hours(1),
      }),
      cloudwatch.TreatMissingData.NOT_BREACHING,
    );
    this.staleAlarm = alarm(
      'StaleAlarm',
      'a store of the tested levels and types has no successful restore test of this plan within its level\'s interval, as AWS Backup\'s restore job confirms it (missing data counts: the daily check stopped). The staleness function\'s log names the stores.',
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: 'StaleTargets', dimensionsMap: { Drill: planName }, statistic: 'Maximum', period: Duration.days(1) }),
      cloudwatch.TreatMissingData.BREACHING,
    );
    this.rtoAlarm = alarm(
      'RtoAlarm',
      "a restore took longer than its store's RTO: the evidence record (rto.met=false) names it",
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: 'RtoExceeded', dimensionsMap: { Drill: planName }, statistic: 'Maximum', period: Duration.hours(1) }),
      cloudwatch.TreatMissingData.NOT_BREACHING,
    );
  }

  /**
   * A cron expression (UTC, 05:00) daily, weekly (Mondays) or monthly (the 1st): the least frequent
   * of them that is at least as frequent as `intervalDays`.
   */
  private static scheduleFor(intervalDays: number): string {
    if (intervalDays < 7) return 'cron(0 5 ? * * *)';
    if (intervalDays < 31) return 'cron(0 5 ? * 2 *)';
    return 'cron(0 5 1 * ? *)';
  }

  /**
   * What the validator reads. Restore testing names its copies itself (not `drill-` names), so
   * the copies are any resource of this account and region of the tested types: describe calls
   * and reads of data (S3 ListBucket/GetObject, DynamoDB Scan/DescribeTable). Sources are
   * compared by size, read by their classification tag where the service supports it.
   */
  private grantValidator(fn: lambda.Function, classifications: DataClassification[]): WildcardGrant[] {
    const stack = Stack.of(this);
    const p = Aws.PARTITION;
    const add = (actions: string[], resources: string[], conditions?: { [k: string]: unknown }) => fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const anyBucket = `arn:${p}:s3:::*`;
    const anyTable = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' });
    const anyDb = stack.formatArn({ service: 'rds', resource: 'db', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const anyCluster = stack.formatArn({ service: 'rds', resource: 'cluster', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const anyFileSystem = stack.formatArn({ service: 'elasticfilesystem', resource: 'file-system', resourceName: '*' });
    const accountKeys = stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    // Bucket ARNs carry no account: s3:ResourceAccount holds the reads to this account's buckets.
    add(['s3:ListBucket', 's3:GetObject', 's3:GetObjectVersion'], [anyBucket, `${anyBucket}/*`], { StringEquals: { 's3:ResourceAccount': Aws.ACCOUNT_ID } });
    add(['dynamodb:DescribeTable', 'dynamodb:Scan'], [anyTable]);
    add(['rds:DescribeDBInstances', 'rds:DescribeDBClusters'], [anyDb, anyCluster]);
    add(['elasticfilesystem:DescribeFileSystems'], [anyFileSystem]);
    // No resource-level permissions (Service Authorization Reference, AWS Backup and Amazon EC2):
    // DescribeRestoreJob, PutRestoreValidationResult, DescribeVolumes.
    add(['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult', 'ec2:DescribeVolumes'], ['*']);
    // The source store's tags name it and give its level (Resource Groups Tagging API: no resource-level permissions).
    add(['tag:GetResources'], ['*']);
    add(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } });
    add(['kms:Decrypt'], [accountKeys], { StringEquals: { 'kms:ViaService': ['dynamodb', 's3'].map((s) => `${s}.${Aws.REGION}.amazonaws.com`) } });
    const copies = `AWS Backup restore testing names its copies itself, so they are known only from the restore job (levels tested: ${classifications.map((c) => c.name).join(', ')}); the validator reads this account's and region's resources of the tested types.`;
    return [
      { resource: '*', reason: 'backup:DescribeRestoreJob, backup:PutRestoreValidationResult, ec2:DescribeVolumes, tag:GetResources (the source store\'s tags), PutMetricData (held to the DataProtection namespace) and the X-Ray trace calls have no resource-level permissions.' },
      { resource: anyBucket, reason: `${copies} s3:ResourceAccount holds it to this account.` },
      { resource: `${anyBucket}/*`, reason: `${copies} s3:ResourceAccount holds it to this account.` },
      { resource: anyTable, reason: copies },
      { resource: anyDb, reason: copies },
      { resource: anyCluster, reason: copies },
      { resource: anyFileSystem, reason: copies },
      { resource: accountKeys, reason: "The copies' keys: this account's keys, only through DynamoDB and S3 (kms:ViaService)." },
    ];
  }
}

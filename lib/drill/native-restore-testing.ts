import { ArnFormat, Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { acknowledgeInlinePolicy, acknowledgeManagedPolicy, acknowledgeWildcards, defaultPolicyOf, WildcardGrant } from '../core/acknowledgements';
import { CLASSIFICATION_TAG, METRIC_NAMESPACE } from '../core/constants';
import { handlerFunction } from '../core/handler-function';
import { requireLiteral, validateRange } from '../core/validation';
import { ALARM_DESCRIPTION_PREFIX } from '../keys/alarm-topic';

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
}

/**
 * AWS Backup restore testing (`AWS::Backup::RestoreTestingPlan` and `RestoreTestingSelection`,
 * "Restore testing", https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html):
 * AWS Backup restores the latest recovery point of the included vaults within the selection
 * window, keeps the copy for the validation window and deletes it. The library's validator checks
 * each copy from the restore job's COMPLETED event and reports with PutRestoreValidationResult;
 * failed validations alarm. No evidence record, RTO/RPO or staleness metric: docs/drill.md,
 * "Two engines".
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

    this.validator = handlerFunction(this, 'Validator', {
      handler: 'restore-testing-validator',
      description: 'Validates copies restored by AWS Backup restore testing and reports with PutRestoreValidationResult',
      environment: { RESTORE_TESTING_PLAN_ARN: this.restoreTestingPlanArn },
      logKey: props.logKey,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      reservedConcurrentExecutions: 2,
      vpcReason: 'The validator calls only AWS APIs (Backup, S3, DynamoDB, RDS, EC2, EFS, CloudWatch), never a database endpoint.',
      dlqReason: 'EventBridge invokes it asynchronously; a failed invocation alarms (ValidationFailedAlarm counts its errors), and AWS Backup shows the job without a validation status.',
    });
    const grants = this.grantValidator(this.validator, props.classifications);
    acknowledgeWildcards(defaultPolicyOf(this.validator.role!)!, grants);
    acknowledgeInlinePolicy(defaultPolicyOf(this.validator.role!));

    // The restore job's COMPLETED event, with the plan's ARN ("Restore testing validation",
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-validation.html;
    // "Restore Job State Change", https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
    this.validationRule = new events.Rule(this, 'ValidationRule', {
      description: 'Restore testing: COMPLETED restore jobs of the plan are validated by the library validator',
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: { status: ['COMPLETED'], restoreTestingPlanArn: [this.restoreTestingPlanArn] },
      },
      targets: [new eventsTargets.LambdaFunction(this.validator, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });

    this.validationFailedAlarm = new cloudwatch.Alarm(this, 'ValidationFailedAlarm', {
      alarmDescription: `${ALARM_DESCRIPTION_PREFIX} restore testing plan ${planName}: a restored copy failed validation, or the validator failed (its log names the restore job and the checks)`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(errors, 0)',
        usingMetrics: {
          failed: new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: 'RestoreTestValidationFailed', dimensionsMap: { RestoreTestingPlan: planName }, statistic: 'Maximum', period: Duration.hours(1) }),
          errors: this.validator.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        },
        period: Duration.hours(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.validationFailedAlarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
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
    add(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } });
    add(['kms:Decrypt'], [accountKeys], { StringEquals: { 'kms:ViaService': ['dynamodb', 's3'].map((s) => `${s}.${Aws.REGION}.amazonaws.com`) } });
    const copies = `AWS Backup restore testing names its copies itself, so they are known only from the restore job (levels tested: ${classifications.map((c) => c.name).join(', ')}); the validator reads this account's and region's resources of the tested types.`;
    return [
      { resource: '*', reason: 'backup:DescribeRestoreJob, backup:PutRestoreValidationResult, ec2:DescribeVolumes, PutMetricData (held to the DataProtection namespace) and the X-Ray trace calls have no resource-level permissions.' },
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

import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { CLASSIFICATION_TAG, LOCKED_VAULT_TAG } from '../core/constants';
import { validateAccountId } from '../core/validation';
import { DEFAULT_BREAK_GLASS_ROLE_NAME } from '../keys/protected-key';
import { ObjectLockBucket } from './object-lock-bucket';

/** AWS Backup Audit Manager control names used by `BackupCompliance`. */
export const BACKUP_CONTROLS = {
  RECOVERY_POINT_ENCRYPTED: 'BACKUP_RECOVERY_POINT_ENCRYPTED',
  RECOVERY_POINT_MINIMUM_RETENTION: 'BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK',
  PLAN_MIN_FREQUENCY_AND_MIN_RETENTION: 'BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK',
  RESOURCES_PROTECTED_BY_BACKUP_PLAN: 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN',
  RECOVERY_POINT_MANUAL_DELETION_DISABLED: 'BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED',
  RESOURCES_PROTECTED_BY_VAULT_LOCK: 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK',
  RESOURCES_PROTECTED_BY_CROSS_ACCOUNT: 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT',
  RESOURCES_PROTECTED_BY_CROSS_REGION: 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION',
  LAST_RECOVERY_POINT_CREATED: 'BACKUP_LAST_RECOVERY_POINT_CREATED',
  RESTORE_TIME_MEETS_TARGET: 'RESTORE_TIME_FOR_RESOURCES_MEET_TARGET',
} as const;

export interface BackupComplianceProps {
  /**
   * Levels that get a framework, each evaluating the resources tagged with the level against
   * the level's `ProtectionPolicy` floor.
   * @default [DataClassification.CONFIDENTIAL, DataClassification.HIGHLY_SENSITIVE]
   */
  readonly classifications?: DataClassification[];
  /** The backup account: cross-account copies must land there. @default - cross-account control not evaluated */
  readonly backupAccount?: string;
  /** The DR region: cross-region copies must land there. @default - cross-region control not evaluated */
  readonly drRegion?: string;
  /** Role exempt from the manual-deletion control (the break-glass role). @default 'data-protection-break-glass' */
  readonly breakGlassRoleName?: string;
  /**
   * Where the report plans deliver (an Object Lock bucket, so reports are evidence). Its key must
   * let the `AWSServiceRoleForBackupReports` role encrypt (see `reportKey`).
   * @default - a new `ObjectLockBucket` encrypted with `reportKey`
   */
  readonly reportBucket?: ObjectLockBucket;
  /**
   * Key of the report bucket created when `reportBucket` is not given: a key this app creates in
   * this account (e.g. a `DataAccountFallbackKey`). Backup Audit Manager writes reports as its
   * service-linked role, which has no KMS permissions of its own and so can use only a key whose
   * policy names it; `BackupCompliance` adds that statement. A key of another account fails synth.
   */
  readonly reportKey?: kms.IKey;
  /** @default - the stack name */
  readonly namePrefix?: string;
}

/**
 * AWS Backup Audit Manager for classified data: one framework per level (encrypted recovery
 * points, minimum retention, plan frequency, vault lock, cross-account and cross-region copies,
 * last recovery point age, restore time versus the RTO), scoped to the `data-classification`
 * tag; a framework for the locked vaults (manual deletion disabled), scoped to the tag every
 * `ImmutableBackupVault` carries (vaults carry no classification); and report plans (control
 * compliance, backup, copy and restore jobs) delivering into an `ObjectLockBucket`.
 *
 * Needs AWS Config recording the resource types the controls evaluate, in the account and
 * region ("Choosing your controls", AWS Backup Developer Guide): see `BackupConfigRecorder`.
 */
export class BackupCompliance extends Construct {
  public readonly frameworks: backup.CfnFramework[] = [];
  public readonly reportPlans: backup.CfnReportPlan[] = [];
  public readonly reportBucket: ObjectLockBucket;

  public constructor(scope: Construct, id: string, props: BackupComplianceProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.backupAccount !== undefined) validateAccountId('BackupComplianceProps.backupAccount', props.backupAccount);
    const levels = props.classifications ?? [DataClassification.CONFIDENTIAL, DataClassification.HIGHLY_SENSITIVE];
    if (levels.length === 0) throw new Error('BackupComplianceProps.classifications must name at least one level, got []');
    const prefix = (props.namePrefix ?? stack.stackName).replace(/[^A-Za-z0-9_]/g, '_');
    const breakGlass = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: props.breakGlassRoleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME });

    for (const level of levels) {
      const policy = ProtectionPolicy.forClassification(level);
      const scopeToLevel = { Tags: [{ Key: CLASSIFICATION_TAG, Value: level.name }] };
      const control = (controlName: string, params: Record<string, string | number> = {}) => ({
        controlName,
        controlScope: scopeToLevel,
        controlInputParameters: Object.entries(params).map(([parameterName, v]) => ({ parameterName, parameterValue: String(v) })),
      });
      const controls = [
        control(BACKUP_CONTROLS.RECOVERY_POINT_ENCRYPTED),
        control(BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_BACKUP_PLAN),
        control(BACKUP_CONTROLS.RECOVERY_POINT_MINIMUM_RETENTION, { requiredRetentionDays: policy.backupRetentionDays }),
        control(BACKUP_CONTROLS.PLAN_MIN_FREQUENCY_AND_MIN_RETENTION, {
          requiredFrequencyUnit: 'hours',
          requiredFrequencyValue: policy.backupIntervalHours,
          requiredRetentionDays: policy.backupRetentionDays,
        }),
        control(BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_VAULT_LOCK),
        control(BACKUP_CONTROLS.LAST_RECOVERY_POINT_CREATED, { recoveryPointAgeUnit: 'hours', recoveryPointAgeValue: Math.max(policy.backupIntervalHours, policy.rpoHours) * 2 }),
        control(BACKUP_CONTROLS.RESTORE_TIME_MEETS_TARGET, { maxRestoreTime: policy.rtoHours * 60 }),
      ];
      if (policy.crossAccountCopy && props.backupAccount) {
        controls.push(control(BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_CROSS_ACCOUNT, { crossAccountList: props.backupAccount }));
      }
      if (policy.crossRegionCopy && props.drRegion) {
        controls.push(control(BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_CROSS_REGION, { crossRegionList: props.drRegion }));
      }
      this.frameworks.push(
        new backup.CfnFramework(this, `Framework${level.name}`, {
          frameworkName: `${prefix}_${level.name}`.slice(0, 256),
          frameworkDescription: `cdk-data-protection: ${level.name} backups meet their protection policy`,
          frameworkControls: controls,
        }),
      );
    }

    // "Vaults prevent manual deletion of recovery points" evaluates backup vaults, and its scope is
    // a tag or a single resource ("Controls and remediation", AWS Backup Developer Guide). Vaults
    // carry no classification tag: scope it to the tag of ImmutableBackupVault, in a framework of
    // its own so the control counts once against the 50 controls per account and Region.
    this.frameworks.push(
      new backup.CfnFramework(this, 'FrameworkVaults', {
        frameworkName: `${prefix}_LOCKED_VAULTS`.slice(0, 256),
        frameworkDescription: 'cdk-data-protection: locked vaults deny manual deletion of recovery points to all but the break-glass role',
        frameworkControls: [
          {
            controlName: BACKUP_CONTROLS.RECOVERY_POINT_MANUAL_DELETION_DISABLED,
            controlScope: { Tags: [{ Key: LOCKED_VAULT_TAG, Value: 'true' }] },
            controlInputParameters: [{ parameterName: 'principalArnList', parameterValue: breakGlass }],
          },
        ],
      }),
    );

    if (props.reportBucket) {
      this.reportBucket = props.reportBucket;
    } else {
      if (!props.reportKey) {
        throw new Error('BackupComplianceProps.reportKey is required when reportBucket is not given: reports are evidence, encrypted with a customer managed key, got undefined');
      }
      // Audit Manager writes with the bucket's default encryption, without SSE headers.
      this.reportBucket = new ObjectLockBucket(this, 'Reports', { encryptionKey: props.reportKey, requireEncryptionHeaders: false });
    }
    // Backup Audit Manager delivers as its service-linked role, which AWS creates with the first
    // framework or report plan ("Using roles for AWS Backup Audit Manager"). Its policy
    // (AWSServiceRolePolicyForBackupReports) grants no s3:PutObject and no KMS action, so the bucket
    // policy and the key policy must name the role itself ("Creating report plans using the AWS
    // Backup API": the key policy's Principal must include the role, with kms:GenerateDataKey and
    // kms:Decrypt). Principals in bucket and key policies must exist: both wait for the frameworks.
    const reportsRole = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports`;
    const bucket = this.reportBucket.bucket;
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BackupAuditManagerDeliversReports',
        principals: [new iam.ArnPrincipal(reportsRole)],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('backup-reports/*')],
      }),
    );
    const reportKey = props.reportBucket ? bucket.encryptionKey : props.reportKey;
    const keyResource = reportKey ? ownKeyResource(this, reportKey, props.reportBucket ? 'BackupComplianceProps.reportBucket' : 'BackupComplianceProps.reportKey') : undefined;
    if (reportKey && keyResource) {
      reportKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'BackupAuditManagerEncryptsReports',
          principals: [new iam.ArnPrincipal(reportsRole)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      );
      for (const f of this.frameworks) keyResource.node.addDependency(f);
    }
    for (const f of this.frameworks) bucket.policy?.node.addDependency(f);

    const frameworkArns = this.frameworks.map((f) => f.attrFrameworkArn);
    const reports: Array<[string, Record<string, unknown>]> = [
      ['ControlCompliance', { ReportTemplate: 'CONTROL_COMPLIANCE_REPORT', FrameworkArns: frameworkArns }],
      ['BackupJobs', { ReportTemplate: 'BACKUP_JOB_REPORT' }],
      ['CopyJobs', { ReportTemplate: 'COPY_JOB_REPORT' }],
      ['RestoreJobs', { ReportTemplate: 'RESTORE_JOB_REPORT' }],
    ];
    for (const [name, setting] of reports) {
      const plan = new backup.CfnReportPlan(this, `Report${name}`, {
        reportPlanName: `${prefix}_${name}`.slice(0, 256),
        reportPlanDescription: `cdk-data-protection: ${name} report, kept under Object Lock`,
        reportDeliveryChannel: { S3BucketName: bucket.bucketName, S3KeyPrefix: `backup-reports/${name}`, Formats: ['CSV', 'JSON'] },
        reportSetting: setting,
      });
      // Deliveries start once the role may write and encrypt.
      if (bucket.policy) plan.node.addDependency(bucket.policy);
      if (keyResource) plan.node.addDependency(keyResource);
      this.reportPlans.push(plan);
    }
  }
}

/**
 * The `AWS::KMS::Key` behind `key` when this app writes its policy in `scope`'s account; throws
 * otherwise: the reports role can use no other key.
 */
function ownKeyResource(scope: IConstruct, key: kms.IKey, prop: string): kms.CfnKey {
  const cfn = [key.node.defaultChild, key.node.scope].find((c): c is kms.CfnKey => c instanceof kms.CfnKey);
  const account = Stack.of(scope).account;
  if (!cfn || (!Token.isUnresolved(account) && !Token.isUnresolved(Stack.of(cfn).account) && Stack.of(cfn).account !== account)) {
    throw new Error(
      `${prop} must ${prop.endsWith('reportKey') ? 'be' : 'be encrypted with'} a key this app creates in account ${account} (e.g. a DataAccountFallbackKey), got ${key.node.path}: ` +
        'Backup Audit Manager writes reports as its service-linked role AWSServiceRoleForBackupReports, which has no KMS permissions of its own and can use only a key whose policy names it',
    );
  }
  return cfn;
}

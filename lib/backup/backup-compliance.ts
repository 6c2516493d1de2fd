import { Aws, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { CLASSIFICATION_TAG } from '../core/constants';
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
   * Where the report plans deliver (an Object Lock bucket, so reports are evidence).
   * @default - a new `ObjectLockBucket` encrypted with `reportKey`
   */
  readonly reportBucket?: ObjectLockBucket;
  /** Key of the report bucket created when `reportBucket` is not given. */
  readonly reportKey?: kms.IKey;
  /** @default - the stack name */
  readonly namePrefix?: string;
}

/**
 * AWS Backup Audit Manager for classified data: one framework per level (encrypted recovery
 * points, minimum retention, plan frequency, manual deletion disabled, vault lock, cross-account
 * and cross-region copies, last recovery point age, restore time versus the RTO), scoped to
 * the `data-classification` tag, and report plans (control compliance, backup, copy and
 * restore jobs) delivering into an `ObjectLockBucket`.
 *
 * Needs AWS Config recording in the account and region (Audit Manager evaluates through it).
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
        control(BACKUP_CONTROLS.RECOVERY_POINT_MANUAL_DELETION_DISABLED, { principalArnList: breakGlass }),
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

    if (props.reportBucket) {
      this.reportBucket = props.reportBucket;
    } else {
      if (!props.reportKey) {
        throw new Error('BackupComplianceProps.reportKey is required when reportBucket is not given: reports are evidence, encrypted with a customer managed key, got undefined');
      }
      // Audit Manager writes with the bucket's default encryption, without SSE headers.
      this.reportBucket = new ObjectLockBucket(this, 'Reports', { encryptionKey: props.reportKey, requireEncryptionHeaders: false });
    }
    const bucket = this.reportBucket.bucket;
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BackupAuditManagerDeliversReports',
        principals: [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports`)],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('backup-reports/*')],
      }),
    );

    const frameworkArns = this.frameworks.map((f) => f.attrFrameworkArn);
    const reports: Array<[string, Record<string, unknown>]> = [
      ['ControlCompliance', { ReportTemplate: 'CONTROL_COMPLIANCE_REPORT', FrameworkArns: frameworkArns }],
      ['BackupJobs', { ReportTemplate: 'BACKUP_JOB_REPORT' }],
      ['CopyJobs', { ReportTemplate: 'COPY_JOB_REPORT' }],
      ['RestoreJobs', { ReportTemplate: 'RESTORE_JOB_REPORT' }],
    ];
    for (const [name, setting] of reports) {
      this.reportPlans.push(
        new backup.CfnReportPlan(this, `Report${name}`, {
          reportPlanName: `${prefix}_${name}`.slice(0, 256),
          reportPlanDescription: `cdk-data-protection: ${name} report, kept under Object Lock`,
          reportDeliveryChannel: { S3BucketName: bucket.bucketName, S3KeyPrefix: `backup-reports/${name}`, Formats: ['CSV', 'JSON'] },
          reportSetting: setting,
        }),
      );
    }
  }
}

import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { METADATA } from './constants';
import { inheritValidationAspects } from './stage-aspects';

/** The controls the library records on the resources it protects. */
export const CONTROLS = {
  /** A `ProtectedKey` (on the AWS::KMS::Key). */
  KEY: 'key',
  /** A key held in a data account because its service cannot use another account's key. */
  FALLBACK_KEY: 'fallback-key',
  /** Object Lock retention (on the AWS::S3::Bucket). */
  OBJECT_LOCK: 'object-lock',
  /** Vault Lock (on the AWS::Backup::BackupVault). */
  VAULT_LOCK: 'vault-lock',
  /**
   * Selected by a protected backup plan (on the classified resource): `{ plan, crossAccountCopy,
   * crossRegionCopy, retentionDays }`, the recovery point objectives, and the vaults holding its
   * recovery points (`backupVaultName`, `continuousBackupVaultName`, `copyVaultName`, `copyAccount`, `copyRegion`).
   */
  BACKUP_PLAN: 'backup-plan',
  /** Covered by a data-event trail (on the classified resource): `{ trail }`. */
  DATA_EVENTS: 'data-events',
  /** Covered by a restore drill (on the classified resource): `{ drill, intervalDays, target, drillId, evidenceBucket, restoreRole, rtoSeconds }`. */
  RESTORE_DRILL: 'restore-drill',
  /** Denies principals outside the organization in its bucket policy (on the classified bucket): `{ organizationId }`. */
  DATA_PERIMETER: 'data-perimeter',
  /** Bucket-policy denies on a classified bucket (on the AWS::S3::Bucket): uploads under another key, and versioning, lifecycle, encryption, replication and policy changes by all but the deployment and break-glass roles. */
  BUCKET_GUARD: 'bucket-guard',
  /** Organization-wide controls (on their CloudFormation resource), each `{ detail }`, listed by the report's "Organization" section: */
  /** `DataProtectionStackSet`: `{ organizationalUnitIds, regions }`. */
  ORGANIZATION_ROLLOUT: 'organization-rollout',
  /** `DataProtectionGuardrails`, per service control policy: `{ policyName, targetIds, guardrails: [{ sid, actions }] }`. */
  ORGANIZATION_GUARDRAILS: 'organization-guardrails',
  /** `OrganizationBackupPolicy`: `{ policyName, targetIds, regions, plans }`. */
  ORGANIZATION_BACKUP_POLICY: 'organization-backup-policy',
  /** `OrganizationDataAccessTrail`. */
  ORGANIZATION_TRAIL: 'organization-trail',
  /** `BackupDelegatedAdministrator`. */
  BACKUP_DELEGATED_ADMIN: 'backup-delegated-admin',
  /** `CloudTrailDelegatedAdministrator`. */
  CLOUDTRAIL_DELEGATED_ADMIN: 'cloudtrail-delegated-admin',
} as const;

/** The CloudFormation resource behind a construct: itself, or its default child. */
export function cfnOf(scope: IConstruct): CfnResource | undefined {
  if (CfnResource.isCfnResource(scope)) return scope;
  const child = scope.node.defaultChild;
  return child && CfnResource.isCfnResource(child) ? child : undefined;
}

/**
 * Records that `control` protects `scope` (on its CloudFormation resource), for the nag rules
 * (which read construct metadata) and the checklist report (which reads the cloud assembly).
 */
export function recordControl(scope: IConstruct, control: string, detail: Record<string, unknown> = {}): void {
  (cfnOf(scope) ?? scope).node.addMetadata(METADATA.CONTROL, { control, ...detail });
  // In a nested stage, so that the packs that ran are recorded there too (see stage-aspects.ts).
  inheritValidationAspects(scope);
}

/** The controls recorded on a construct (or its CloudFormation resource). */
export function controlsOf(scope: IConstruct): Array<Record<string, unknown> & { control: string }> {
  const target = cfnOf(scope) ?? scope;
  return target.node.metadata.filter((m) => m.type === METADATA.CONTROL).map((m) => m.data as Record<string, unknown> & { control: string });
}

/** Names shared by constructs, handlers, nag rules and the report. Handlers import only this file. */

/** Tag that carries a resource's classification (`DataClassification.name`). */
export const CLASSIFICATION_TAG = 'data-classification';

/**
 * Tag naming the `ProtectedBackupPlan` that backs a classified resource up. AWS Backup tag
 * selections are account- and region-wide: without this tag, every data stack's plan in an
 * account would select every classified resource of the account, backing each up once per stack.
 */
export const BACKUP_PLAN_TAG = 'data-protection:backup-plan';

/**
 * Tag (value `true`) on every `ImmutableBackupVault`: the scope of the Backup Audit Manager control
 * that evaluates vaults, which carry no classification tag.
 */
export const LOCKED_VAULT_TAG = 'data-protection:locked-vault';

/** Tag on every resource a restore drill creates; cleanup permissions are conditioned on it. */
export const DRILL_TAG = 'data-protection:drill';

/**
 * Tag that keeps a classified resource out of the run-time target discovery of its account's
 * restore drill: drills turned off for it (with a reason in the report), or a drill of your own.
 */
export const DRILL_SKIP_TAG = 'data-protection:drill-skip';

/** Name prefix of every resource a restore drill creates. */
export const DRILL_PREFIX = 'drill-';

/** Construct metadata types written into the cloud assembly and read by the report. */
export const METADATA = {
  /** `{ classification, policy, overrides }` on a classified construct. */
  CLASSIFIED: 'cdk-data-protection:classified',
  /** `{ prop, floor, value, reason }` for each control loosened below its floor. */
  OVERRIDE: 'cdk-data-protection:override',
  /** `{ control, detail }` describing a protection a construct provides. */
  CONTROL: 'cdk-data-protection:control',
} as const;

/** CloudWatch namespace for metrics the library publishes. */
export const METRIC_NAMESPACE = 'DataProtection';

/** `MemberHeartbeatMonitor`'s metric (namespace `DataProtection`, no dimension): member account/Region pairs without a forwarding heartbeat. */
export const SILENT_MEMBER_ACCOUNTS_METRIC = 'SilentMemberAccounts';

/**
 * Copy-arrival metric of `CopyArrivalMonitor` (namespace `DataProtection`): hours since the newest
 * copy from a source account completed in a vault, dimensions `BackupVaultName` and `SourceAccount`.
 */
export const COPY_ARRIVAL = {
  METRIC: 'HoursSinceLastCopy',
  VAULT_DIMENSION: 'BackupVaultName',
  ACCOUNT_DIMENSION: 'SourceAccount',
} as const;

import { Duration, Stack, StackProps, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BackupAlarms } from '../backup/backup-alarms';
import { BackupVaultTarget, ImmutableBackupVault, VaultLockMode } from '../backup/immutable-backup-vault';
import { AlarmTopic } from '../keys/alarm-topic';
import { CrossAccountKey } from '../keys/cross-account-key';
import { KeyAliases } from '../keys/key-aliases';
import { AccountWideWatcher, claimAccountWide } from '../core/account-wide';
import { KeyTamperAlarms } from '../keys/key-tamper-alarms';
import { requireLiteral, requireReason } from '../core/validation';
import { DataProtectionAccounts, validateAccounts, warnSingleAccount } from './accounts';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { VaultTamperAlarms } from '../backup/vault-tamper-alarms';
import { ManagementEventsTrail } from '../audit/management-events-trail';
import { CopyArrivalMonitor } from '../backup/copy-arrival-monitor';
import { METADATA } from '../core/constants';
import { addManagementEventsTrail } from './management-trail';
import { securityForwarding, watchAccount } from './watchers';

/** Name of the central vault in the backup account, in every region: data accounts build its ARN from it. */
export const CENTRAL_BACKUP_VAULT_NAME = 'data-protection-central';

/** Lock range of the central vault by default: CONFIDENTIAL's 90-day floor to ten years. */
export const CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS = 90;
export const CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS = 3650;

export interface BackupAccountStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /** @default 'data-protection-central' */
  readonly backupVaultName?: string;
  /**
   * Shortest retention of a copy. Data-account plans whose copy retention is shorter fail at synth.
   * @default Duration.days(90)
   */
  readonly minRetention?: Duration;
  /** Longest retention of a copy. @default Duration.days(3650) */
  readonly maxRetention?: Duration;
  /** Grace time before the COMPLIANCE lock becomes irreversible (at least 3 days). @default Duration.days(3) */
  readonly changeableFor?: Duration;
  /** @default VaultLockMode.COMPLIANCE */
  readonly vaultLockMode?: VaultLockMode;
  /** Required with GOVERNANCE mode. */
  readonly governanceReason?: string;
  /** Role of the backup account that alone may delete copies or the vault. @default 'data-protection-break-glass' */
  readonly breakGlassRoleName?: string;
  /** Email addresses notified of failed copy/restore jobs and key tampering. @default - none */
  readonly alarmEmails?: string[];
  /**
   * Why no `ManagementEventsTrail` is created for the backup account (e.g. `'An organization trail
   * managed by Control Tower logs this account'`). Without a trail logging management events,
   * EventBridge never sees vault or key tampering. Shown in the report.
   * @default - a multi-region management-events trail (created by the primary-region stack), delivering into a local Object Lock bucket
   */
  readonly existingManagementTrailReason?: string;
  /**
   * Alarm when the newest copy from a data account in the central vault is older than this
   * (1 hour – 7 days; `CopyArrivalMonitorProps.maxCopyAge`). The primary-region stack watches
   * every data account.
   * @default Duration.hours(26): the daily CONFIDENTIAL copies and two hours for their jobs
   */
  readonly maxCopyAge?: Duration;
  /**
   * Data accounts that copy nothing into the central vault (e.g. only PUBLIC or INTERNAL data),
   * by account id, each with the reason: they get no copy-arrival alarm, which would otherwise
   * never clear. Recorded as an override and shown in the report.
   * @default - every data account must keep copying
   */
  readonly accountsWithoutCopies?: { [account: string]: string };
}

/**
 * The backup account, in one region (instantiate it again with the DR region for the second
 * copy): a central `ImmutableBackupVault` under a COMPLIANCE Vault Lock, encrypted with the key
 * account's backup key (`KeyAliases.BACKUP`, resolved to its key ARN at deploy time), that only
 * the data accounts (and, when given, only from inside the organization) may copy into.
 *
 * Vault and key tampering notify an encrypted topic (`VaultTamperAlarms`, `KeyTamperAlarms`, in
 * each region); the primary-region stack adds the account's multi-region `ManagementEventsTrail`,
 * without which EventBridge sees neither.
 *
 * Cross-account copy also needs, once per organization, cross-account backup turned on from the
 * management account (`aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true`).
 */
export class BackupAccountStack extends Stack {
  public readonly vault: ImmutableBackupVault;
  /** The central vault as a copy destination, for `ProtectedBackupPlanProps.centralVault` / `drVault`. */
  public readonly centralVault: BackupVaultTarget;
  public readonly backupKey: CrossAccountKey;
  public readonly alarmTopic: AlarmTopic;
  /** The account's management-events trail, in the primary-region stack (undefined elsewhere, or with `existingManagementTrailReason`). */
  public readonly managementTrail?: ManagementEventsTrail;
  /**
   * Alarms per data account when its copies stop arriving in the central vault, in the
   * primary-region stack (undefined in the DR region, or when every data account is in `accountsWithoutCopies`).
   */
  public readonly copyArrival?: CopyArrivalMonitor;

  public constructor(scope: Construct, id: string, props: BackupAccountStackProps) {
    super(scope, id, props);
    assertSingleAwsCdkLib(this);
    validateAccounts(props.accounts, 'BackupAccountStackProps.accounts');
    warnSingleAccount(this, props.accounts);
    const { accounts } = props;
    if (Token.isUnresolved(this.account) || this.account !== accounts.backupAccount) {
      throw new Error(
        `BackupAccountStackProps.env.account must be the backup account ${accounts.backupAccount}, got ${Token.isUnresolved(this.account) ? 'an environment-agnostic stack' : this.account}`,
      );
    }
    if (Token.isUnresolved(this.region)) {
      throw new Error('BackupAccountStackProps.env.region is required: data accounts build the vault ARN from it, got an environment-agnostic stack');
    }
    const allowedRegions = [accounts.primaryRegion, ...(accounts.drRegion ? [accounts.drRegion] : [])];
    if (!allowedRegions.includes(this.region)) {
      throw new Error(`BackupAccountStackProps.env.region must be the primary or DR region (${allowedRegions.join(', ')}), got ${this.region}`);
    }

    for (const prop of ['minRetention', 'maxRetention'] as const) {
      requireLiteral(`BackupAccountStackProps.${prop}`, props[prop], "the data accounts' backup plans compare their copy retention with the central vault lock at synth");
    }
    this.backupKey = new CrossAccountKey(this, 'BackupKey', { keyAccount: accounts.keyAccount, aliasName: KeyAliases.BACKUP });
    this.vault = new ImmutableBackupVault(this, 'CentralVault', {
      backupVaultName: props.backupVaultName ?? CENTRAL_BACKUP_VAULT_NAME,
      encryptionKey: this.backupKey.key,
      minRetention: props.minRetention ?? Duration.days(CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS),
      maxRetention: props.maxRetention ?? Duration.days(CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS),
      changeableFor: props.changeableFor,
      mode: props.vaultLockMode,
      governanceReason: props.governanceReason,
      breakGlassRoleName: props.breakGlassRoleName,
      copySourceAccounts: accounts.dataAccounts,
      copySourceOrganizationId: accounts.organizationId,
    });
    this.centralVault = this.vault.target;

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails, forwardTo: securityForwarding(this, accounts) });
    watchAccount(this, accounts, this.alarmTopic, { backups: true, breakGlassRoleName: props.breakGlassRoleName });
    // Restores of the copies (drills run here) and copies made from this account back to a data account.
    new BackupAlarms(this, 'BackupAlarms', { topic: this.alarmTopic.topic, jobEvents: claimAccountWide(this, AccountWideWatcher.BACKUP_JOB_EVENTS) });
    if (claimAccountWide(this, AccountWideWatcher.KEY_TAMPER)) new KeyTamperAlarms(this, 'KeyTamperAlarms', { topic: this.alarmTopic.topic });
    // Vault policy, lock and recovery-point changes matter as much as key tampering here.
    if (claimAccountWide(this, AccountWideWatcher.VAULT_TAMPER)) new VaultTamperAlarms(this, 'VaultTamperAlarms', { topic: this.alarmTopic.topic });
    this.copyArrival = this.watchCopyArrival(props);
    // Both rules hear nothing without a trail logging management events (one multi-region trail per account).
    this.managementTrail = addManagementEventsTrail(
      this,
      accounts,
      () => new CrossAccountKey(this, 'AuditKey', { keyAccount: accounts.keyAccount, aliasName: KeyAliases.AUDIT }).key,
      this.alarmTopic.topic,
      'BackupAccountStackProps',
      props.existingManagementTrailReason,
    );
  }

  /**
   * The copy-arrival alarms, primary region only: every plan copying to another account copies
   * into the central vault of its own region, while DR-region copies are made only of
   * HIGHLY_SENSITIVE data (and never of RDS or Aurora), so most data accounts send the DR vault
   * nothing. The function logs to a log group encrypted with the alarm topic's key, the key of
   * this account and region the monitor needs anyway.
   */
  private watchCopyArrival(props: BackupAccountStackProps): CopyArrivalMonitor | undefined {
    const { accounts } = props;
    if (this.region !== accounts.primaryRegion) return undefined;
    const exempt = props.accountsWithoutCopies ?? {};
    for (const [account, reason] of Object.entries(exempt)) {
      if (!accounts.dataAccounts.includes(account)) {
        throw new Error(`BackupAccountStackProps.accountsWithoutCopies names ${account}, which is not a data account (${accounts.dataAccounts.join(', ')})`);
      }
      requireReason(`BackupAccountStackProps.accountsWithoutCopies[${account}]`, reason, 'a data account that stops copying goes unnoticed without its copy-arrival alarm');
    }
    const watched = accounts.dataAccounts.filter((a) => !(a in exempt));
    for (const [account, reason] of Object.entries(exempt)) {
      this.node.addMetadata(METADATA.OVERRIDE, {
        prop: `BackupAccountStackProps.accountsWithoutCopies[${account}]`,
        floor: 'a copy-arrival alarm per data account',
        value: `no copy-arrival alarm for ${account}`,
        reason: reason.trim(),
      });
    }
    if (watched.length === 0) return undefined;
    this.alarmTopic.key.allowCloudWatchLogs([this.account]);
    return new CopyArrivalMonitor(this, 'CopyArrival', {
      backupVault: this.vault.vault,
      sourceAccounts: watched,
      alarmTopic: this.alarmTopic.topic,
      logKey: this.alarmTopic.key.key,
      maxCopyAge: props.maxCopyAge,
    });
  }
}

import { Annotations, Aspects, Duration, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { BackupAlarms } from '../backup/backup-alarms';
import { BackupVaultTarget, ImmutableBackupVault, VAULT_LOCK_LIMITS, VaultLockMode } from '../backup/immutable-backup-vault';
import { AIR_GAPPED_VAULT_LIMITS, AIR_GAPPED_VAULT_NAME, LogicallyAirGappedVault } from '../backup/logically-air-gapped-vault';
import { AlarmTopic } from '../keys/alarm-topic';
import { CrossAccountKey } from '../keys/cross-account-key';
import { KeyAliases } from '../keys/key-aliases';
import { AccountWideWatcher, claimAccountWide } from '../core/account-wide';
import { KeyTamperAlarms } from '../keys/key-tamper-alarms';
import { requireLiteral, requireReason, validateInteger, validateRange } from '../core/validation';
import { DataClassification } from '../classification/data-classification';
import { ClassifiedResources } from '../classification/classify';
import { ProtectionPolicy } from '../classification/protection-policy';
import { DataProtectionAccounts, memberOrganizationalUnitPaths, validateAccounts, warnSingleAccount } from './accounts';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { VaultTamperAlarms } from '../backup/vault-tamper-alarms';
import { ManagementEventsTrail } from '../audit/management-events-trail';
import { CopyArrivalMonitor } from '../backup/copy-arrival-monitor';
import { DataProtectionDashboard } from '../audit/data-protection-dashboard';
import { METADATA } from '../core/constants';
import { addManagementEventsTrail } from './management-trail';
import { RestoreDrill } from '../drill/restore-drill';
import { DrillIsolation } from '../drill/drill-target';
import { DrillNetwork, DrillNetworkProps } from '../drill/drill-network';
import { DataAccountFallbackKey } from '../keys/data-account-fallback-key';
import { KeyConsumerService } from '../keys/key-consumer-service';
import { securityForwarding, watchAccount } from './watchers';

/** Name of the central vault in the backup account, in every region: data accounts build its ARN from it. */
export const CENTRAL_BACKUP_VAULT_NAME = 'data-protection-central';

/**
 * Lock minimum of the first central vault (`CENTRAL_BACKUP_VAULT_NAME`) by default: CONFIDENTIAL's
 * 90-day floor, the shortest copy any level makes. Longer copy retention classes get vaults of their own.
 */
export const CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS = 90;
/** Lock maximum of every central vault by default: ten years. */
export const CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS = 3650;

/**
 * The copy retention classes of the backup account's central vaults, in days, ascending: `minDays`
 * (the first vault's lock minimum) and every longer retention floor of a level that copies to the
 * backup account (CONFIDENTIAL 90, HIGHLY_SENSITIVE 365). Each central vault's lock minimum is its class.
 */
export function centralRetentionClasses(minDays: number = CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS): number[] {
  return [...new Set([minDays, ...copyRetentionFloors().filter((d) => d > minDays)])].sort((a, b) => a - b);
}

/** Retention floors of the levels whose policy copies to the backup account, ascending (90, 365). */
function copyRetentionFloors(): number[] {
  const floors = DataClassification.all()
    .map((c) => ProtectionPolicy.forClassification(c))
    .filter((p) => p.crossAccountCopy || p.crossRegionCopy)
    .map((p) => p.backupRetentionDays);
  return [...new Set(floors)].sort((a, b) => a - b);
}

/**
 * Name of the central vault of a copy retention class: `baseName` (`data-protection-central`) for
 * the lowest class, so deployed apps keep their vault, else `<baseName>-<days>d` (e.g.
 * `data-protection-central-365d`); deterministic, so data accounts build its ARN.
 */
export function centralVaultName(classDays: number, minDays: number = CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS, baseName: string = CENTRAL_BACKUP_VAULT_NAME): string {
  if (classDays === minDays) return baseName;
  const suffix = `-${classDays}d`;
  return `${baseName.slice(0, 50 - suffix.length)}${suffix}`;
}

/**
 * The central vaults of the backup account in `region`, as copy destinations (ascending lock
 * minimum), built from deterministic names and the default lock range: what data accounts copy into.
 */
export function centralVaultTargets(backupAccount: string, region: string): BackupVaultTarget[] {
  return centralRetentionClasses().map((days) => ({
    backupVaultName: centralVaultName(days),
    account: backupAccount,
    region,
    minRetentionDays: days,
    maxRetentionDays: CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS,
  }));
}

/** The backup account's logically air-gapped vault (`BackupAccountStackProps.airGappedVault`). */
export interface AirGappedVaultOptions {
  /**
   * Account the vault is shared with through AWS RAM, to restore from it.
   * @default - not shared
   */
  readonly recoveryAccount?: string;
  /** Why the share may reach a recovery account outside the organization. @default - inside the organization only */
  readonly externalRecoveryAccountReason?: string;
  /**
   * Lock minimum (7–36,500 days). Copies with a shorter retention fail.
   * @default Duration.days(7)
   */
  readonly minRetention?: Duration;
  /** Lock maximum (above minRetention, at most 36,500 days). @default Duration.days(3650) */
  readonly maxRetention?: Duration;
  /**
   * Encrypt with the key account's backup key (`KeyAliases.BACKUP`) instead of an AWS owned key.
   * @default false
   */
  readonly encryptWithBackupKey?: boolean;
}

/**
 * The backup account's logically air-gapped vault in `region` as a copy destination, built from
 * its deterministic name (`AIR_GAPPED_VAULT_NAME`) and lock range: for `ProtectedBackupPlanProps.airGappedVault`.
 */
export function airGappedVaultTarget(backupAccount: string, region: string, minRetentionDays: number = AIR_GAPPED_VAULT_LIMITS.MIN_RETENTION_DAYS, maxRetentionDays: number = CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS): BackupVaultTarget {
  return { backupVaultName: AIR_GAPPED_VAULT_NAME, account: backupAccount, region, minRetentionDays, maxRetentionDays };
}

/**
 * The restore drill of the copies in the central vaults (`BackupAccountStackProps.copyDrill`).
 * Times default to CONFIDENTIAL's floors, the level every copy meets at least.
 */
export interface BackupAccountCopyDrillOptions {
  /** Time between drills of each store's copies (1–366 days). @default - CONFIDENTIAL's drill interval (90 days) */
  readonly interval?: Duration;
  /** Restore time objective of a copy. @default - CONFIDENTIAL's RTO (8 hours) */
  readonly rto?: Duration;
  /**
   * Recovery point objective, against the age of the copy restored.
   * @default - `maxCopyAge` (26 hours): the age a copy may reach before the copy-arrival alarm
   */
  readonly rpo?: Duration;
  /**
   * Placement of restored copies; RDS and Aurora copies need a DB subnet group of the backup
   * account (`dbSubnetGroupName`), or they are not drilled and count as stale. Its subnet group
   * and security groups are exclusive with `isolatedNetwork`.
   * @default - the recovery point's
   */
  readonly isolation?: DrillIsolation;
  /**
   * Builds a `DrillNetwork` in this stack (a VPC with no route beyond it, a DB subnet group in two
   * Availability Zones, a security group admitting and sending nothing; calls that could open a
   * network in this account alarm on this stack's topic) and restores the RDS and Aurora copies
   * there. Exclusive with `isolation.dbSubnetGroupName` and `isolation.securityGroupIds`.
   * @default - none: give `isolation`, or RDS and Aurora copies are not drilled
   */
  readonly isolatedNetwork?: DrillNetworkProps;
  /** A validator of your own (see `RestoreDrillProps.validator`). @default - the library's */
  readonly validator?: lambda.IFunction;
}

export interface BackupAccountStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /**
   * Name of the first central vault (the lowest copy retention class); the vaults of longer
   * classes append `-<days>d` (e.g. `data-protection-central-365d`). `DataAccountStack` copies
   * into the default names only.
   * @default 'data-protection-central'
   */
  readonly backupVaultName?: string;
  /**
   * Lock minimum of the first central vault, the lowest copy retention class: the shortest
   * retention a copy may have (1–90 days: above CONFIDENTIAL's 90-day floor, its copies would
   * fail). Every longer retention floor of a level that copies here (HIGHLY_SENSITIVE: 365) gets
   * a central vault of its own, locked at that floor. Data-account plans whose copy retention is
   * shorter than the lock of the vault they copy into fail at synth.
   * @default Duration.days(90)
   */
  readonly minRetention?: Duration;
  /**
   * Lock maximum of every central vault: the longest retention of a copy (above the longest
   * class, 365 days, and at most 36,500 days).
   * @default Duration.days(3650)
   */
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
  /**
   * Opt in to a logically air-gapped vault (`data-protection-air-gapped`) next to the central
   * vaults, which the data accounts may copy into (`ProtectedBackupPlanProps.airGappedVault`)
   * and that a recovery account can restore from through AWS RAM.
   * @default - none
   */
  readonly airGappedVault?: AirGappedVaultOptions;
  /**
   * Options of the `RestoreDrill` of the copies in this region's central vaults, which every
   * backup stack has unless `copyDrillDisabledReason` is given: daily, it lists the vaults'
   * recovery points, and restores the newest copy of each store whose drill is due into this
   * account (AWS Backup restores only in the account holding the recovery point), validates it,
   * deletes it, and writes the evidence into an Object Lock bucket of this account, encrypted with
   * the key account's evidence key. Its alarms notify this stack's topic (forwarded to the audit
   * account). RDS and Aurora copies need `isolation.dbSubnetGroupName`: without it they are not
   * drilled, count as stale and raise the drill's stale alarm.
   * @default - CONFIDENTIAL's interval and RTO, `maxCopyAge` as RPO, the recovery point's placement
   */
  readonly copyDrill?: BackupAccountCopyDrillOptions;
  /**
   * Why the copies in the central vaults are not drilled (e.g. `'Copies are drilled by our own
   * restore testing in the recovery account'`). Without the drill nothing proves that the copies
   * restore. Recorded as an override and shown in the report; exclusive with `copyDrill`.
   * @default - the copies are drilled
   */
  readonly copyDrillDisabledReason?: string;
}

/**
 * The backup account, in one region (instantiate it again with the DR region for the second
 * copy): one central `ImmutableBackupVault` per copy retention class (`data-protection-central`,
 * locked at 90 days, and `data-protection-central-365d`, locked at HIGHLY_SENSITIVE's 365-day
 * floor), each under a COMPLIANCE Vault Lock, encrypted with the key account's backup key
 * (`KeyAliases.BACKUP`, resolved to its key ARN at deploy time), that only the data accounts
 * (and, when given, only from inside the organization) may copy into. Data-account plans copy
 * each level into the vault of its retention floor.
 *
 * Vault and key tampering notify an encrypted topic (`VaultTamperAlarms`, `KeyTamperAlarms`, in
 * each region); the primary-region stack adds the account's multi-region `ManagementEventsTrail`,
 * without which EventBridge sees neither.
 *
 * Cross-account copy also needs, once per organization, cross-account backup turned on from the
 * management account (`aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true`).
 */
export class BackupAccountStack extends Stack {
  /** The first central vault (lowest copy retention class, `backupVaultName`). */
  public readonly vault: ImmutableBackupVault;
  /** Every central vault, one per copy retention class (`vault` first), ascending lock minimum. */
  public readonly vaults: ImmutableBackupVault[];
  /** The first central vault as a copy destination, for `ProtectedBackupPlanProps.centralVault` / `drVault`. */
  public readonly centralVault: BackupVaultTarget;
  /**
   * The central vaults of the longer copy retention classes as copy destinations, for
   * `ProtectedBackupPlanProps.centralRetentionClassVaults` / `drRetentionClassVaults`.
   */
  public readonly centralRetentionClassVaults: BackupVaultTarget[];
  public readonly backupKey: CrossAccountKey;
  public readonly alarmTopic: AlarmTopic;
  /** The account's management-events trail, in the primary-region stack (undefined elsewhere, or with `existingManagementTrailReason`). */
  public readonly managementTrail?: ManagementEventsTrail;
  /**
   * Alarms per data account when its copies stop arriving in the central vault, in the
   * primary-region stack (undefined in the DR region, or when every data account is in `accountsWithoutCopies`).
   */
  public readonly copyArrival?: CopyArrivalMonitor;
  /** The account's `DataProtectionDashboard`, in the primary-region stack (undefined elsewhere). */
  public readonly dashboard?: DataProtectionDashboard;
  /** The logically air-gapped vault (with `airGappedVault`). */
  public readonly airGappedVault?: LogicallyAirGappedVault;
  /** The restore drill of the central vaults' copies (undefined with `copyDrillDisabledReason`). */
  public readonly copyDrill?: RestoreDrill;

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
    const minDays = props.minRetention?.toDays() ?? CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS;
    const maxDays = props.maxRetention?.toDays() ?? CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS;
    const lowestFloor = copyRetentionFloors()[0];
    validateInteger('BackupAccountStackProps.minRetention', minDays);
    validateRange('BackupAccountStackProps.minRetention', minDays, VAULT_LOCK_LIMITS.MIN_RETENTION_DAYS, lowestFloor, 'days');
    const classes = centralRetentionClasses(minDays);
    const longest = classes[classes.length - 1];
    validateInteger('BackupAccountStackProps.maxRetention', maxDays);
    if (maxDays <= longest || maxDays > VAULT_LOCK_LIMITS.MAX_RETENTION_DAYS) {
      throw new Error(
        `BackupAccountStackProps.maxRetention must be more than ${longest} days (the lock minimum of the longest copy retention class) and at most ${VAULT_LOCK_LIMITS.MAX_RETENTION_DAYS} days, got ${maxDays} days`,
      );
    }
    this.backupKey = new CrossAccountKey(this, 'BackupKey', { keyAccount: accounts.keyAccount, aliasName: KeyAliases.BACKUP });
    const baseName = props.backupVaultName ?? CENTRAL_BACKUP_VAULT_NAME;
    const members = memberOrganizationalUnitPaths(accounts, 'BackupAccountStackProps.accounts');
    const memberPaths = members.length > 0 ? members : undefined;
    // One locked vault per copy retention class, its lock minimum that class: a data-account
    // administrator who shortens a plan's copy retention makes every copy fail (and alarm) instead
    // of keeping copies for less than their level's floor ("If the job's retention period is shorter
    // than that minimum retention period, then the vault fails the backup or copy job",
    // PutBackupVaultLockConfiguration MinRetentionDays, Backup Vault Lock:
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html). The first keeps its id and name.
    this.vaults = classes.map(
      (days) =>
        new ImmutableBackupVault(this, days === minDays ? 'CentralVault' : `CentralVault${days}d`, {
          backupVaultName: Token.isUnresolved(baseName) ? undefined : centralVaultName(days, minDays, baseName),
          encryptionKey: this.backupKey.key,
          minRetention: Duration.days(days),
          maxRetention: Duration.days(maxDays),
          changeableFor: props.changeableFor,
          mode: props.vaultLockMode,
          governanceReason: props.governanceReason,
          breakGlassRoleName: props.breakGlassRoleName,
          copySourceAccounts: accounts.dataAccounts,
          copySourceOrganizationId: accounts.organizationId,
          // The StackSet baseline's accounts copy in too (their OrganizationBackupPolicy plans).
          copySourceOrganizationalUnitPaths: memberPaths,
        }),
    );
    this.vault = this.vaults[0];
    this.centralVault = this.vault.target;
    this.centralRetentionClassVaults = this.vaults.slice(1).map((v) => v.target);

    if (props.airGappedVault) {
      const o = props.airGappedVault;
      this.airGappedVault = new LogicallyAirGappedVault(this, 'AirGappedVault', {
        backupVaultName: AIR_GAPPED_VAULT_NAME,
        minRetention: o.minRetention,
        maxRetention: o.maxRetention,
        encryptionKey: o.encryptWithBackupKey ? this.backupKey.key : undefined,
        breakGlassRoleName: props.breakGlassRoleName,
        copySourceAccounts: accounts.dataAccounts,
        copySourceOrganizationId: accounts.organizationId,
        copySourceOrganizationalUnitPaths: memberPaths,
        recoveryAccount: o.recoveryAccount,
        externalRecoveryAccountReason: o.externalRecoveryAccountReason,
      });
    }

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails, forwardTo: securityForwarding(this, accounts) });
    // Before the watchers: the drill's own restores are expected.
    this.copyDrill = this.copyDrillUnlessDisabled(props);
    watchAccount(this, accounts, this.alarmTopic, {
      backups: true,
      restoresAreUnexpected: !accounts.dataAccounts.includes(accounts.backupAccount),
      breakGlassRoleName: props.breakGlassRoleName,
      expectedRestoreRoleArns: this.copyDrill ? [this.copyDrill.stateMachine.role.roleArn] : undefined,
    });
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
    // What operators look at first, once per account: copy arrival per data account, restores and
    // drills of the copies, job failures and the state of every alarm of this stack.
    if (this.region === accounts.primaryRegion) {
      this.dashboard = new DataProtectionDashboard(this, 'Dashboard', {
        copyArrival: this.copyArrival,
        // The levels whose copies land here (their objectives annotate the drill graphs).
        levels: DataClassification.all().filter((c) => {
          const p = ProtectionPolicy.forClassification(c);
          return p.crossAccountCopy || p.crossRegionCopy;
        }),
      });
    }
  }

  /** The drill of the copies, unless `copyDrillDisabledReason` turns it off (recorded as an override). */
  private copyDrillUnlessDisabled(props: BackupAccountStackProps): RestoreDrill | undefined {
    if (props.copyDrillDisabledReason === undefined) {
      const iso = props.copyDrill?.isolation;
      if (props.copyDrill?.isolatedNetwork && (iso?.dbSubnetGroupName !== undefined || iso?.securityGroupIds !== undefined)) {
        throw new Error(
          'BackupAccountStackProps.copyDrill.isolatedNetwork and copyDrill.isolation.dbSubnetGroupName/securityGroupIds are exclusive: isolatedNetwork builds the network databases are restored in, isolation names yours, got both',
        );
      }
      if (!iso?.dbSubnetGroupName && !props.copyDrill?.isolatedNetwork) this.warnUndrilledDatabaseCopies(props.accounts);
      return this.drillCopies(props, props.copyDrill ?? {});
    }
    if (props.copyDrill !== undefined) {
      throw new Error(
        'BackupAccountStackProps.copyDrill and copyDrillDisabledReason are exclusive: copyDrill configures the drill of the copies, copyDrillDisabledReason turns it off, got both',
      );
    }
    const reason = requireReason('BackupAccountStackProps.copyDrillDisabledReason', props.copyDrillDisabledReason, 'without the drill of the copies nothing proves that the backup account can restore them');
    this.node.addMetadata(METADATA.OVERRIDE, {
      prop: 'BackupAccountStackProps.copyDrillDisabledReason',
      floor: "a restore drill of the central vaults' copies",
      value: 'no drill of the copies',
      reason,
    });
    return undefined;
  }

  /**
   * At synth, when every stack of the app exists: a warning on this stack naming the classified
   * RDS and Aurora databases of the data accounts, in this region, whose level copies to the backup
   * account. The drill restores their copies only into a DB subnet group of this account; without
   * `copyDrill.isolation.dbSubnetGroupName` it rejects them, and they count as stale. (The restore
   * metadata recorded with a recovery point names the source's subnet group, in the data account;
   * StartRestoreJob Metadata: "values in addition to those provided by GetRecoveryPointRestoreMetadata
   * might be required to restore a resource",
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartRestoreJob.html.)
   */
  private warnUndrilledDatabaseCopies(accounts: DataProtectionAccounts): void {
    let done = false;
    Aspects.of(this).add({
      visit: (node: IConstruct) => {
        if (done || node !== this) return;
        done = true;
        const databases = ClassifiedResources.all(this).filter((r) => {
          if (r.resourceType !== 'AWS::RDS::DBInstance' && r.resourceType !== 'AWS::RDS::DBCluster') return false;
          const stack = Stack.of(r.scope);
          return r.policy.crossAccountCopy && accounts.dataAccounts.includes(stack.account) && stack.region === this.region;
        });
        if (databases.length === 0) return;
        Annotations.of(this).addWarningV2(
          'cdk-data-protection:copy-drill-database-isolation',
          `The drill of the copies restores RDS and Aurora copies only into a DB subnet group of the backup account, and none is given: the copies of ${databases.map((r) => r.scope.node.path).join(', ')} ` +
            "will not be drilled, count as stale and raise the drill's stale alarm. Set BackupAccountStackProps.copyDrill.isolatedNetwork (an isolated network built in this stack) or copyDrill.isolation.dbSubnetGroupName (in a DataProtectionStage: DataProtectionStageProps.copyDrill)",
        );
      },
    });
  }

  /**
   * The drill of the copies. Its targets follow the data accounts' classified stores without an
   * ARN: they are the resources whose recovery points the central vaults hold. Restored copies are
   * encrypted with the key account's HIGHLY_SENSITIVE key (S3, EFS, EBS; its consumers include the
   * backup account), and DynamoDB copies with a fallback key of this account: DynamoDB documents
   * only keys of the table owner account ("Encryption at rest",
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html).
   * The restore role may read the copies with the backup key the vaults encrypt them with.
   */
  private drillCopies(props: BackupAccountStackProps, o: BackupAccountCopyDrillOptions): RestoreDrill {
    const { accounts } = props;
    const confidential = ProtectionPolicy.forClassification(DataClassification.CONFIDENTIAL);
    const copyKey = new CrossAccountKey(this, 'CopyDrillKey', { keyAccount: accounts.keyAccount, aliasName: KeyAliases.forClassification(DataClassification.HIGHLY_SENSITIVE) }).key;
    const tableKey = new DataAccountFallbackKey(this, 'CopyDrillDynamoDbKey', {
      aliasName: `${KeyAliases.forClassification(DataClassification.HIGHLY_SENSITIVE)}-dynamodb/${this.stackName}`,
      keyAccount: accounts.keyAccount,
      services: [KeyConsumerService.DYNAMODB, KeyConsumerService.BACKUP],
      reason: 'DynamoDB documents only keys stored in the table owner account: restored copies of DynamoDB tables in the backup account',
    }).key;
    const evidenceKey = new CrossAccountKey(this, 'EvidenceKey', { keyAccount: accounts.keyAccount, aliasName: KeyAliases.EVIDENCE }).key;
    return new RestoreDrill(this, 'CopyDrill', {
      copyDiscovery: {
        backupVaultNames: this.vaults.map((v) => v.vault.backupVaultName),
        rto: o.rto ?? Duration.hours(confidential.rtoHours),
        rpo: o.rpo ?? props.maxCopyAge ?? Duration.hours(26),
        interval: o.interval ?? Duration.days(confidential.drillIntervalDays),
        restoreKeys: { s3: copyKey, efs: copyKey, ebs: copyKey, dynamoDb: tableKey },
        recoveryPointKeys: [this.backupKey.key],
        // The network's placement for databases; an EBS availabilityZone of isolation is kept.
        isolation: o.isolatedNetwork
          ? { ...o.isolation, ...new DrillNetwork(this, 'CopyDrillNetwork', { alarmTopic: this.alarmTopic.topic, ...o.isolatedNetwork }).isolation }
          : o.isolation,
      },
      evidenceKey,
      alarmTopic: this.alarmTopic.topic,
      evidenceEventBusArn: this.alarmTopic.securityEventBusArn,
      validator: o.validator,
    });
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
      // Copies of each retention class land in their own vault: an account's newest copy in any of them.
      additionalBackupVaults: this.vaults.slice(1).map((v) => v.vault),
      sourceAccounts: watched,
      alarmTopic: this.alarmTopic.topic,
      logKey: this.alarmTopic.key.key,
      maxCopyAge: props.maxCopyAge,
    });
  }
}

import { Stage, StageProps, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AuditOrganizationTrailOptions } from '../organization/organization-trail';
import { AuditAccountStack } from './audit-account-stack';
import { AirGappedVaultOptions, BackupAccountCopyDrillOptions, BackupAccountStack, BackupAccountStackProps } from './backup-account-stack';
import { DataClassification } from '../classification/data-classification';
import type { DataAccountStack, DataAccountStackProps } from './data-account-stack';
import { DataProtectionAccounts, validateAccounts } from './accounts';
import { KeyAccountReplicaStack, KeyAccountStack } from './key-account-stack';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { inheritValidationAspects } from '../core/stage-aspects';

const STAGE_SYMBOL = Symbol.for('cdk-data-protection.DataProtectionStage');

export interface DataProtectionStageProps extends StageProps {
  /** The four-account layout (placeholders in cdk.json for the reference app). */
  readonly accounts: DataProtectionAccounts;
  /**
   * Email addresses notified by every account's alarm topic, and by the audit account's topic
   * that receives every forwarded data-protection event (required there: synth fails without a subscriber).
   * @default - none
   */
  readonly alarmEmails?: string[];
  /**
   * Opt in to the logically air-gapped vault on both sides: `BackupAccountStackProps.airGappedVault`
   * of the backup stacks (primary and DR region), and `DataAccountStackProps.airGappedCopies` with
   * the same lock range in `dataStackProps()`, so the data accounts' shared plans copy the levels of
   * `airGappedCopyClassifications` into it.
   * @default - none
   */
  readonly airGappedVault?: AirGappedVaultOptions;
  /**
   * Levels the data accounts copy into the air-gapped vault (with `airGappedVault`).
   * @default [DataClassification.HIGHLY_SENSITIVE]
   */
  readonly airGappedCopyClassifications?: DataClassification[];
  /**
   * Options of the drill of the copies in the primary-region backup stack
   * (`BackupAccountStackProps.copyDrill`). The data accounts' RDS and Aurora copies land there and
   * need `isolatedNetwork` (a `DrillNetwork` built in the backup stack) or
   * `isolation.dbSubnetGroupName` (a DB subnet group of the backup account): without either they
   * are not drilled, count as stale and alarm, and synth warns when a data stack of the app has
   * such a database.
   * @default - the drill with its defaults
   */
  readonly copyDrill?: BackupAccountCopyDrillOptions;
  /**
   * Options of the drill of the copies in the DR-region backup stack.
   * @default - `copyDrill` without `isolation`, `isolatedNetwork` and `validator` (networks, subnet groups, security groups, Availability Zones and functions are regional; RDS and Aurora are never copied to the DR region)
   */
  readonly drCopyDrill?: BackupAccountCopyDrillOptions;
  /**
   * Why neither backup stack drills the copies (`BackupAccountStackProps.copyDrillDisabledReason`);
   * exclusive with `copyDrill` and `drCopyDrill`. Recorded as an override and shown in the report.
   * @default - the copies are drilled in both regions
   */
  readonly copyDrillDisabledReason?: string;
  /**
   * Opt in to the organization trail in the audit account (`AuditAccountStackProps.organizationTrail`):
   * data events of the classified resources of every account of the organization, including the
   * accounts the StackSet baseline protects. The key account's audit key also admits the
   * management account's trails (an organization trail belongs to the management account).
   * @default - none: each data account's own trail
   */
  readonly organizationTrail?: AuditOrganizationTrailOptions;
}

/** Options of `DataProtectionStage.singleAccount`. */
export interface SingleAccountStageProps extends StageProps {
  /** The one account that holds data, keys, backups and logs. */
  readonly account: string;
  readonly primaryRegion: string;
  /** @default - no DR region */
  readonly drRegion?: string;
  /** Why separation is given up (evaluation, demo); shown in the warning and the report. */
  readonly reason: string;
  /** @default - none */
  readonly alarmEmails?: string[];
}

/**
 * The whole layout as one deployable unit: `KeyAccountStack` (and its DR replicas),
 * `BackupAccountStack` (and its DR vault), `AuditAccountStack`, and the `DataAccountStack`s you
 * add, with their deployment order. No ARN crosses an account as a token: every stack rebuilds
 * what it needs from deterministic names. Works as a CDK Pipelines stage
 * (`pipeline.addStage(stage)`).
 *
 * ```ts
 * const stage = new DataProtectionStage(app, 'Prod', { accounts });
 * const hr = new HrDataStack(stage, 'Hr', stage.dataStackProps());
 * ```
 */
export class DataProtectionStage extends Stage {
  /** Whether `x` is a `DataProtectionStage`. */
  public static isDataProtectionStage(x: unknown): x is DataProtectionStage {
    return typeof x === 'object' && x !== null && STAGE_SYMBOL in x;
  }

  /**
   * Evaluation mode: every role in one account. Synthesizes with a warning on every stack that it
   * does not meet the key/data separation of the checklist; the report lists the reason.
   */
  public static singleAccount(scope: Construct, id: string, props: SingleAccountStageProps): DataProtectionStage {
    const { account, primaryRegion, drRegion, reason, alarmEmails, ...stageProps } = props;
    return new DataProtectionStage(scope, id, {
      ...stageProps,
      alarmEmails,
      accounts: {
        keyAccount: account,
        dataAccounts: [account],
        backupAccount: account,
        auditAccount: account,
        primaryRegion,
        drRegion,
        singleAccountReason: reason,
      },
    });
  }

  public readonly accounts: DataProtectionAccounts;
  public readonly keys: KeyAccountStack;
  public readonly keysDr?: KeyAccountReplicaStack;
  public readonly backup: BackupAccountStack;
  public readonly backupDr?: BackupAccountStack;
  public readonly audit: AuditAccountStack;
  private readonly alarmEmails?: string[];
  private readonly airGappedCopies?: DataAccountStackProps['airGappedCopies'];
  private readonly dataStacks: DataAccountStack[] = [];

  public constructor(scope: Construct, id: string, props: DataProtectionStageProps) {
    super(scope, id, props);
    assertSingleAwsCdkLib(this);
    // Aspects (pack records, suppressions written into templates) do not cross Stage boundaries by themselves.
    inheritValidationAspects(this);
    Object.defineProperty(this, STAGE_SYMBOL, { value: true });
    validateAccounts(props.accounts, 'DataProtectionStageProps.accounts');
    const accounts = (this.accounts = props.accounts);
    this.alarmEmails = props.alarmEmails;
    const env = (account: string, region = accounts.primaryRegion) => ({ account, region });
    const common = { accounts, alarmEmails: props.alarmEmails };
    if (props.airGappedCopyClassifications && !props.airGappedVault) {
      throw new Error('DataProtectionStageProps.airGappedCopyClassifications applies to copies into the air-gapped vault: set airGappedVault too, got classifications and no airGappedVault');
    }
    const o = props.airGappedVault;
    const drill = copyDrillProps(props);
    if (o) this.airGappedCopies = { classifications: props.airGappedCopyClassifications, minRetention: o.minRetention, maxRetention: o.maxRetention };

    this.keys = new KeyAccountStack(this, 'Keys', { ...common, env: env(accounts.keyAccount) });
    this.backup = new BackupAccountStack(this, 'Backup', { ...common, ...drill.primary, airGappedVault: o, env: env(accounts.backupAccount) });
    this.backup.addStackDependency(this.keys, 'the central vault uses the key-account backup key');
    this.audit = new AuditAccountStack(this, 'Audit', { accounts, alarmEmails: props.alarmEmails, organizationTrail: props.organizationTrail, env: env(accounts.auditAccount) });
    // An organization trail is the management account's ("Creating a trail for an organization"): its logs are encrypted with the audit key too.
    if (props.organizationTrail) this.keys.auditKey.allowCloudTrail([props.organizationTrail.managementAccount]);
    this.audit.addStackDependency(this.keys, 'the archive uses the key-account audit key');
    if (accounts.drRegion) {
      this.keysDr = new KeyAccountReplicaStack(this, 'KeysDr', { ...common, env: env(accounts.keyAccount, accounts.drRegion) });
      this.keysDr.addStackDependency(this.keys, 'replicas are created from the primary keys');
      this.backupDr = new BackupAccountStack(this, 'BackupDr', { ...common, ...drill.dr, airGappedVault: o, env: env(accounts.backupAccount, accounts.drRegion) });
      this.backupDr.addStackDependency(this.keysDr, 'the DR vault uses the backup key replica');
    }
  }

  /**
   * Props for a `DataAccountStack` (or subclass) in `account` of this stage, in the primary
   * region. The stack registers itself and deploys after the key, backup and audit stacks. The
   * first data stack of each account holds its account-wide protections (trail, frameworks,
   * job-failure and key-tamper rules); see `DataAccountStackProps.accountWide`.
   *
   * ```ts
   * new HrStack(stage, 'Hr', stage.dataStackProps());                          // accounts.dataAccounts[0]
   * new CrmStack(stage, 'Crm', stage.dataStackProps(accounts.dataAccounts[1])); // a second data account
   * ```
   *
   * @param account one of `accounts.dataAccounts`. @default - the first data account
   * @throws when `account` is not one of `accounts.dataAccounts`
   */
  public dataStackProps(account?: string): DataAccountStackProps {
    const target = account ?? this.accounts.dataAccounts[0];
    if (!Token.isUnresolved(target) && !this.accounts.dataAccounts.includes(target)) {
      throw new Error(`DataProtectionStage.dataStackProps(account) must be one of accounts.dataAccounts (${this.accounts.dataAccounts.join(', ')}), got ${target}`);
    }
    return { accounts: this.accounts, alarmEmails: this.alarmEmails, airGappedCopies: this.airGappedCopies, env: { account: target, region: this.accounts.primaryRegion } };
  }

  /** The data stacks of this stage. */
  public get dataAccountStacks(): DataAccountStack[] {
    return [...this.dataStacks];
  }

  /** @internal Called by `DataAccountStack` when created inside this stage. */
  public _registerDataStack(stack: DataAccountStack): void {
    this.dataStacks.push(stack);
    stack.addStackDependency(this.keys, 'data keys are resolved from the key account');
    stack.addStackDependency(this.backup, 'copy jobs need the central vault and its access policy');
    if (this.backupDr) stack.addStackDependency(this.backupDr, 'copy jobs need the DR vault');
    stack.addStackDependency(this.audit, 'CloudTrail checks the archive bucket policy when the trail is created');
  }

}

/** The copy-drill props of the primary and DR backup stacks. */
function copyDrillProps(props: DataProtectionStageProps): { primary: Partial<BackupAccountStackProps>; dr: Partial<BackupAccountStackProps> } {
  const reason = props.copyDrillDisabledReason;
  if (reason !== undefined) {
    const given = (['copyDrill', 'drCopyDrill'] as const).filter((k) => props[k] !== undefined);
    if (given.length > 0) {
      throw new Error(
        `DataProtectionStageProps.copyDrillDisabledReason and ${given.join(', ')} are exclusive: copyDrillDisabledReason turns off the drill of the copies, copyDrill and drCopyDrill configure it, got both`,
      );
    }
    return { primary: { copyDrillDisabledReason: reason }, dr: { copyDrillDisabledReason: reason } };
  }
  if (props.drCopyDrill !== undefined && props.accounts.drRegion === undefined) {
    throw new Error('DataProtectionStageProps.drCopyDrill configures the DR-region backup stack: set accounts.drRegion too, got drCopyDrill and no drRegion');
  }
  const c = props.copyDrill;
  // RDS and Aurora are never copied to the DR region: no isolated network there.
  return { primary: { copyDrill: c }, dr: { copyDrill: props.drCopyDrill ?? (c ? { ...c, isolation: undefined, isolatedNetwork: undefined, validator: undefined } : undefined) } };
}

/** Registers a data stack with its enclosing `DataProtectionStage`, if any. */
export function registerWithStage(stack: DataAccountStack): void {
  const stage = Stage.of(stack);
  if (DataProtectionStage.isDataProtectionStage(stage)) stage._registerDataStack(stack);
}

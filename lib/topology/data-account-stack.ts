import { join } from 'node:path';
import { Annotations, AspectPriority, Aspects, Duration, ISynthesisSession, Stack, StackProps, Stage, Tags, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { AccountWideWatcher, claimAccountWide, registeredPerAccountAndRegion, registerPerAccountAndRegion } from '../core/account-wide';
import { addStackLimitsValidation, checkTemplateSize } from '../core/stack-limits';
import { AuditNames } from '../audit/audit-names';
import { DataAccessAlarms, DataAccessAlarmsOptions } from '../audit/data-access-alarms';
import { DataAccessTrail } from '../audit/data-access-trail';
import { DataProtectionDashboard } from '../audit/data-protection-dashboard';
import { BackupAlarms } from '../backup/backup-alarms';
import { BackupCompliance } from '../backup/backup-compliance';
import { BackupConfigRecorder } from '../backup/backup-config-recorder';
import { ImmutableBackupVault } from '../backup/immutable-backup-vault';
import { AIR_GAPPED_VAULT_LIMITS, LogicallyAirGappedVault } from '../backup/logically-air-gapped-vault';
import { ExistingBackupResource, ProtectedBackupPlan } from '../backup/protected-backup-plan';
import { ClassifiedResource, ClassifiedResources } from '../classification/classify';
import { DRILL_SKIP_TAG, METADATA } from '../core/constants';
import { CONTROLS, controlsOf, recordControl } from '../core/controls';
import { requireLiteral, requireReason, validateInteger, validateRange } from '../core/validation';
import { DrillResourceType } from '../drill/drill-resource-type';
import { DrillIsolation, DrillTarget, DrillTargetOverrides } from '../drill/drill-target';
import { RestoreDrill } from '../drill/restore-drill';
import { DrillEngine, NativeRestoreTesting } from '../drill/native-restore-testing';
import { drillTagsOf } from '../drill/drill-tags';
import { DRILL_TAGS, nameOfStore } from '../drill/target-item';
import { airGappedVaultTarget, CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS, centralVaultTargets } from './backup-account-stack';
import { AlarmTopic } from '../keys/alarm-topic';
import { CrossAccountKey, KeyLookupProvider } from '../keys/cross-account-key';
import { DataAccountFallbackKey } from '../keys/data-account-fallback-key';
import { KeyAliases } from '../keys/key-aliases';
import { KeyConsumerService } from '../keys/key-consumer-service';
import { KeyTamperAlarms } from '../keys/key-tamper-alarms';
import { DataProtectionAccounts, validateAccounts, warnSingleAccount } from './accounts';
import { registerWithStage } from './data-protection-stage';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { VaultTamperAlarms } from '../backup/vault-tamper-alarms';
import { securityForwarding, watchAccount } from './watchers';
import { applyDataPerimeter, DataPerimeterOptions } from './data-perimeter';
import { guardClassifiedBuckets } from './classified-bucket-guard';
import { DataStoreTamperAlarms } from '../backup/data-store-tamper-alarms';

/**
 * Props of a `DataAccountStack`. `env.account` must be one of `accounts.dataAccounts`; `env.region`
 * defaults to `accounts.primaryRegion` when an account is given.
 */
export interface DataAccountStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /** Email addresses notified of alarms in this account. @default - none */
  readonly alarmEmails?: string[];
  /**
   * Whether this stack holds the account-wide protections of its account and region: the
   * data-access trail and its alarms, the Backup Audit Manager frameworks and the alarms on
   * failed backup, copy and restore jobs and on key tampering (events of the whole account).
   * Exactly one `DataAccountStack` per account and region of the app holds them: synth fails when
   * two ask for them, or when every data stack of an account sets `false`.
   * @default - the first `DataAccountStack` created in its account and region holds them, the others do not
   */
  readonly accountWide?: boolean;
  /**
   * The AWS Config recorder Backup Audit Manager evaluates through, in the account-wide stack
   * (setting it on another stack is an error).
   * @default - a `BackupConfigRecorder` in the account-wide stack
   */
  readonly configRecorder?: ConfigRecorderOptions;
  /**
   * The data perimeter of this stack's classified buckets (INTERNAL and above): their policies
   * deny every S3 action to principals outside `accounts.organizationId` (AWS services acting with
   * their service principals excepted). On whenever `accounts.organizationId` is set; turn it off
   * with a reason (shown in the report) when a principal outside the organization must read them.
   * @default - on when accounts.organizationId is set
   */
  readonly dataPerimeter?: DataPerimeterOptions;
  /**
   * Opt in to copies into the backup account's logically air-gapped vault
   * (`BackupAccountStackProps.airGappedVault`, named `data-protection-air-gapped`, of the
   * `BackupAccountStack` in this stack's region): the account's shared backup plan copies the
   * recovery points of `classifications` there too. In the account-wide stack only (setting it on
   * another stack is an error, unless equal to that stack's, as `DataProtectionStage.dataStackProps`
   * passes it). Turn on both sides: without the vault every copy job fails;
   * `DataProtectionStageProps.airGappedVault` sets both.
   * @default - no copy into a logically air-gapped vault
   */
  readonly airGappedCopies?: AirGappedCopyOptions;
  /**
   * Opt in to primary backups into a logically air-gapped vault of THIS account
   * (`DataAccountStack.airGappedPrimaryVault`): the account's shared backup plan backs the levels
   * of `classifications` up into it (`TargetLogicallyAirGappedBackupVaultArn`, same account and
   * Region only), keeping the locked vaults as the rules' backup vault; copies to the backup
   * account are unchanged. In the account-wide stack only (setting it on another stack is an
   * error, unless equal to that stack's).
   * @default - no primary backup into a logically air-gapped vault
   */
  readonly airGappedPrimary?: AirGappedPrimaryOptions;
}

/**
 * A logically air-gapped vault in the data account as the primary target of the shared plan's
 * scheduled rules (`DataAccountStackProps.airGappedPrimary`), "Primary backups to logically
 * air-gapped vaults" (https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html):
 * S3, EFS and DynamoDB back up straight into it; RDS, Aurora and EBS complete a temporary
 * recovery point in the locked vault, which AWS Backup copies into it and then deletes.
 * Continuous (point-in-time) recovery points stay in the locked vaults. AWS recommends
 * integrating the vault with Multi-party approval (MPA), so that it can be recovered when this
 * account is lost; the RAM share with `recoveryAccount` is the library's part of that.
 */
export interface AirGappedPrimaryOptions {
  /**
   * Levels whose scheduled backups go into the vault. A covered store AWS Backup would keep out of
   * it is a synth error (RDS or EBS under an AWS managed key, an unencrypted Aurora cluster, a Multi-AZ DB cluster).
   * @default [DataClassification.HIGHLY_SENSITIVE]
   */
  readonly classifications?: DataClassification[];
  /**
   * The vault lock's minimum retention (7–36,500 days): every rule of `classifications` must keep
   * recovery points at least this long (synth error otherwise).
   * @default Duration.days(7)
   */
  readonly minRetention?: Duration;
  /**
   * The vault lock's maximum retention (above minRetention, at most 36,500 days).
   * @default Duration.days(3650)
   */
  readonly maxRetention?: Duration;
  /**
   * Encrypt the vault with the key account's backup key (`DataAccountStack.backupKey`, the key of
   * the locked vaults) instead of an AWS owned key. AWS recommends AWS owned keys for these vaults
   * and, when a customer managed key is required, one of another account
   * (https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html).
   * The key can never be changed once the vault exists.
   * @default false - an AWS owned key
   */
  readonly keyAccountKey?: boolean;
  /** Account the vault is shared with through AWS RAM, to restore from it when this account is lost. @default - not shared */
  readonly recoveryAccount?: string;
  /**
   * Why the RAM share may reach a `recoveryAccount` outside the organization (shown in the report).
   * @default - the share is limited to the organization
   */
  readonly externalRecoveryAccountReason?: string;
}

/**
 * Copies of the account's shared backup plan into the backup account's logically air-gapped vault
 * (`DataAccountStackProps.airGappedCopies`). The vault ARN is built from its fixed name, so
 * nothing is exported from the backup account; its lock range cannot be, so `minRetention` and
 * `maxRetention` repeat the backup account's `AirGappedVaultOptions.minRetention` and
 * `maxRetention` and must equal them (both default to the same values). The plan checks each
 * copy's retention against this range at synth ("retention N days is outside the lock of vault
 * ...data-protection-air-gapped"); when the range given here differs from the vault's real lock,
 * that check tests the wrong range, and AWS Backup fails the copy jobs whose retention is outside
 * the real lock (copy-job failure alarm in this account).
 */
export interface AirGappedCopyOptions {
  /**
   * Levels whose recovery points are copied into the vault. AWS Backup copies only some resource
   * types there (`AIR_GAPPED_COPY_TYPES`: not DynamoDB): a level covering another type is a synth error.
   * @default [DataClassification.HIGHLY_SENSITIVE]
   */
  readonly classifications?: DataClassification[];
  /**
   * The vault's lock minimum: the backup account's `AirGappedVaultOptions.minRetention` (7–36,500 days).
   * @default Duration.days(7), as `AirGappedVaultOptions.minRetention`
   */
  readonly minRetention?: Duration;
  /**
   * The vault's lock maximum: the backup account's `AirGappedVaultOptions.maxRetention` (above minRetention, at most 36,500 days).
   * @default Duration.days(3650), as `AirGappedVaultOptions.maxRetention`
   */
  readonly maxRetention?: Duration;
}

/** Whether the account-wide stack creates the AWS Config recorder (`DataAccountStackProps.configRecorder`). */
export interface ConfigRecorderOptions {
  /**
   * Why no recorder is created here: one already runs in the account and Region (one customer
   * managed recorder per account and Region), e.g. `'Control Tower manages the recorder'`. It must
   * record `BACKUP_AUDIT_RECORDED_TYPES`, or the Audit Manager controls evaluate nothing. Shown in
   * the report.
   * @default - a `BackupConfigRecorder` is created
   */
  readonly existingRecorderReason?: string;
}

/** Options of `DataAccountStack.protect`. */
export interface DataProtectionOptions {
  /** Name of this stack's locked vault. @default 'data-protection-<stack name>' */
  readonly backupVaultName?: string;
  /**
   * Why CONFIDENTIAL+ resources of this stack get no copy in the backup account.
   * @default - copies are required and go to the backup account's central vault
   */
  readonly noCrossAccountCopyReason?: string;
  /** Resources created outside this app, protected by ARN. @default - none */
  readonly existingResources?: ExistingBackupResource[];
  /** Drill options per classified resource (vault and names are filled in). @default - policy defaults */
  readonly drill?: DataProtectionDrillOptions;
  /**
   * Window and thresholds of the data-access alarms. They belong to the account-wide stack
   * (`accountWide`): setting them on another stack is an error.
   * @default - DataAccessAlarms defaults
   */
  readonly dataAccessAlarms?: DataAccessAlarmsOptions;
  /**
   * Stores per level the account's dashboard draws against their level's objective
   * (`DataProtectionDashboardProps.maxStoresPerLevel`, 0-250; the stack holding the protection set
   * only).
   * @default 100
   */
  readonly dashboardMaxStoresPerLevel?: number;
}

/** Drill settings shared by the targets `protect` creates. */
export interface DataProtectionDrillOptions {
  /** Isolation of restored databases and volumes. @default - the source's placement */
  readonly isolation?: DrillIsolation;
  /** Turn drills off for this stack, with a reason (shown in the report). @default - drills on */
  readonly disabledReason?: string;
  /**
   * Which engine proves restores in the account-wide stack: the library's `RestoreDrill`
   * (STEP_FUNCTIONS), AWS Backup restore testing validated by the library's validator
   * (`NativeRestoreTesting`, NATIVE_RESTORE_TESTING), or both (docs/drill.md, "Two engines").
   * @default DrillEngine.STEP_FUNCTIONS
   */
  readonly engine?: DrillEngine;
  /**
   * A custom validator Lambda (see `RestoreDrillProps.validator`).
   * @default - the library's validator
   */
  readonly validator?: lambda.IFunction;
  /**
   * Per-resource drill settings: `optionsFor` is called for each drilled resource and returns
   * what to change for it (e.g. a table's `validation: { minItems, tolerancePercent }`,
   * a longer `restoreTimeout`, its own `isolation`). The vault is the stack's and cannot be changed.
   * @default - the level's policy and the default validator's checks for every resource
   */
  readonly targetOptions?: IDrillTargetOptions;
}

/**
 * Chooses drill settings per resource for `DataAccountStack.protect`
 * (`DataProtectionDrillOptions.targetOptions`).
 *
 * ```ts
 * this.protect({ drill: { targetOptions: {
 *   optionsFor: (r) => (r.scope === payroll ? { validation: { minItems: '1000', tolerancePercent: '5' } } : undefined),
 * } } });
 * ```
 */
export interface IDrillTargetOptions {
  /**
   * What to change in the drill of `resource`; a field left undefined keeps the stack's default.
   * @returns the settings, or undefined to keep every default for this resource
   */
  optionsFor(resource: ClassifiedResource): DrillTargetOverrides | undefined;
}

/**
 * A data account: classified resources encrypted with keys held in the key account. Add your
 * resources to this stack (or a subclass), encrypt them with `keyFor` / `dynamoDbKeyFor`, and
 * `classify` them.
 *
 * One `DataAccountStack` per account and region (`accountWide`, the first by default) holds the
 * account's **protection set**: the locked vault, the backup plans and role, the restore drill
 * (which finds its targets at run time by their classification tag), the evidence bucket, the
 * alarm topic and alarms, the data-access trail and the Audit Manager frameworks. It covers the
 * classified resources of every data stack of that account and region by tag: the other data
 * stacks hold their stores, their keys and the tags, and no reference to the protection set.
 * Call `protect(options)` after classifying; a stack whose `protect` was not called is
 * protected with the default options at synth.
 */
export class DataAccountStack extends Stack {
  public readonly accounts: DataProtectionAccounts;
  /** Whether this stack holds the protection set of its account and region (vault, plans, drill, topic, trail, frameworks, account-wide alarms). */
  public readonly accountWide: boolean;
  /**
   * The account's first locked vault (lock minimum 7 days, PUBLIC's retention floor; copies
   * brought back from the backup account land here), in the `accountWide` stack. Set by `protect` (or at synth).
   */
  public backupVault?: ImmutableBackupVault;
  /**
   * Every locked vault of the account, one per retention class (`backupVault` and one per longer
   * retention floor: 35, 90 and 365 days), each locked at the floor of what it holds. Set by `protect` (or at synth).
   */
  public backupVaults: ImmutableBackupVault[] = [];
  /** The account's backup plans, in the `accountWide` stack. Set at synth, once every data stack of the account exists. */
  public backupPlan?: ProtectedBackupPlan;
  /** The account's data-access trail, in the `accountWide` stack. Set by `protect` (or at synth). */
  public dataAccessTrail?: DataAccessTrail;
  /** The account's restore drill (targets found at run time), in the `accountWide` stack. Set by `protect` (or at synth). */
  public restoreDrill?: RestoreDrill;
  /** AWS Backup restore testing of the account (`DataProtectionDrillOptions.engine`), in the `accountWide` stack. Set by `protect`. */
  public nativeRestoreTesting?: NativeRestoreTesting;
  /** The account's dashboard (drills, RTO/RPO against objectives, backup jobs, data access, alarms), in the `accountWide` stack. Set at synth. */
  public dashboard?: DataProtectionDashboard;
  /** The account's logically air-gapped vault for primary backups (`DataAccountStackProps.airGappedPrimary`), in the `accountWide` stack. Set by `protect` (or at synth). */
  public airGappedPrimaryVault?: LogicallyAirGappedVault;
  private readonly ownTopic?: AlarmTopic;
  private readonly alarmEmails?: string[];
  private readonly keys = new Map<string, kms.IKey>();
  private protectedResources?: Set<ClassifiedResource>;
  private options?: DataProtectionOptions;
  private readonly configRecorder?: ConfigRecorderOptions;
  private readonly airGappedCopies?: { classifications: DataClassification[]; minRetentionDays?: number; maxRetentionDays?: number };
  private readonly airGappedPrimary?: AirGappedPrimaryOptions;
  private sharedBuilt = false;
  /** Whether this stack resolves keys through the protection set's shared key lookups (it then deploys after that stack). */
  private usesSharedLookups = false;

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, withPrimaryRegion(scope, props));
    assertSingleAwsCdkLib(this);
    validateAccounts(props.accounts, 'DataAccountStackProps.accounts');
    if (!Token.isUnresolved(this.account) && !props.accounts.dataAccounts.includes(this.account)) {
      throw new Error(
        `DataAccountStackProps.env.account must be one of accounts.dataAccounts (${props.accounts.dataAccounts.join(', ')}), got ${this.account}: the key account lets only those accounts use its keys, and the audit archive admits only their trails`,
      );
    }
    warnSingleAccount(this, props.accounts);
    this.accounts = props.accounts;
    this.accountWide = claimDataAccountWide(this, props.accountWide);
    registerDataStack(this);
    this.alarmEmails = props.alarmEmails;
    if (props.airGappedCopies) this.airGappedCopies = airGappedCopySettings(props.airGappedCopies);
    if (props.airGappedPrimary) this.airGappedPrimary = airGappedPrimarySettings(props.airGappedPrimary);
    // Account-wide settings: another data stack may only repeat the holder's (DataProtectionStage.dataStackProps
    // passes the stage's alarm emails and air-gapped copies to every data stack); an empty email list is none.
    const holder = holderOf(this);
    const emails = (list: string[] | undefined) => (list?.length ? list : undefined);
    const accountWideProps = [
      ['alarmEmails', emails(props.alarmEmails), emails(holder?.alarmEmails)],
      ['configRecorder', props.configRecorder, undefined],
      ['airGappedCopies', this.airGappedCopies, holder?.airGappedCopies],
      ['airGappedPrimary', this.airGappedPrimary, holder?.airGappedPrimary],
    ] as const;
    for (const [prop, value, holderValue] of accountWideProps) {
      if (value !== undefined && !this.accountWide && JSON.stringify(value) !== JSON.stringify(holderValue)) {
        throw new Error(
          `DataAccountStackProps.${prop} applies to the stack that holds the protection set of ${this.account}/${this.region}, and ${this.node.path} does not (accountWide is false): set it on that stack`,
        );
      }
    }
    this.configRecorder = props.configRecorder;
    // At synth, once every resource of this stack is classified: the perimeter of its classified buckets.
    if (props.dataPerimeter?.disabledReason !== undefined) requireReason('DataAccountStackProps.dataPerimeter.disabledReason', props.dataPerimeter.disabledReason, 'classified buckets would admit principals outside the organization');
    let perimeter = false;
    Aspects.of(this).add({
      visit: (node: IConstruct) => {
        if (node !== this || perimeter) return;
        perimeter = true;
        applyDataPerimeter(this, props.accounts.organizationId, props.dataPerimeter);
        // Uploads under another key, and versioning/lifecycle/encryption/replication/policy changes by all but the deployment and break-glass roles.
        guardClassifiedBuckets(this);
      },
    }, { priority: AspectPriority.MUTATING });
    if (this.accountWide) {
      if (!Token.isUnresolved(this.account) && !Token.isUnresolved(this.region)) {
        // One key-lookup function for every data stack of the account (by its fixed name): key-account keys and this account's fallback keys.
        const lookups = KeyLookupProvider.shared(this);
        lookups.allowDescribeKeysOf(this.accounts.keyAccount, this.region);
        lookups.allowDescribeKeysOf(this.account, this.region);
      }
      this.ownTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails, forwardTo: securityForwarding(this, props.accounts) });
      // Monitoring tamper, backup erosion and the break-glass role, once per account (and region).
      watchAccount(this, props.accounts, this.ownTopic, { backups: true });
      // Key tampering is an account-wide event stream: one rule per account, or each stack notifies.
      // Once per account and region in the app (another stack may already watch this account).
      if (claimAccountWide(this, AccountWideWatcher.KEY_TAMPER)) new KeyTamperAlarms(this, 'KeyTamperAlarms', { topic: this.ownTopic.topic });
      // Failed backup, copy and restore jobs of the account, whether or not this stack calls protect().
      if (claimAccountWide(this, AccountWideWatcher.BACKUP_JOB_EVENTS)) new BackupAlarms(this, 'BackupJobAlarms', { topic: this.ownTopic.topic });
      // The local locked vault's policy, lock and recovery points: the data trail logs the management events.
      if (claimAccountWide(this, AccountWideWatcher.VAULT_TAMPER)) new VaultTamperAlarms(this, 'VaultTamperAlarms', { topic: this.ownTopic.topic });
      // Deletion protection off, PITR changed, tables deleted, bucket protection changed: any store of the account.
      if (claimAccountWide(this, AccountWideWatcher.DATA_STORE_TAMPER)) new DataStoreTamperAlarms(this, 'DataStoreTamperAlarms', { topic: this.ownTopic.topic });
    }
    addStackLimitsValidation(this);
    registerWithStage(this);
    // Resources classified after protect() would silently miss their drill settings and reports.
    // (Without protect(), the nag pack reports every classified resource that lacks a control.)
    this.node.addValidation({
      validate: () => {
        if (!this.protectedResources) return [];
        const late = ClassifiedResources.within(this).filter((r) => !this.protectedResources!.has(r));
        return late.length === 0
          ? []
          : [`${this.stackName}: ${late.map((r) => r.scope.node.path).join(', ')} classified after protect(): classify first, then call protect() once`];
      },
    });
    // Every account and region holding a data stack gets its protection set exactly once.
    if (!this.accountWide) this.node.addValidation({ validate: () => missingAccountWide(this) });
    // At synth, once every stack exists: the protection set covers every data stack of the account
    // (whichever data stack is visited first builds it, before any of them is checked), and a
    // forgotten protect() runs with the defaults. An aspect runs before the tree is resolved, so
    // what it adds is tagged and rendered like the rest.
    Aspects.of(this).add({ visit: (node: IConstruct) => { if (node === this) holderOf(this)?.buildShared(groupOf(this)); } }, { priority: AspectPriority.MUTATING });
  }

  /**
   * Writes the template, then fails synthesis if it is larger than CloudFormation accepts (1 MB):
   * the stack holding the protection set carries it beside its own stores.
   * @internal
   */
  public _synthesizeTemplate(session: ISynthesisSession, ...rest: any[]): void {
    (super._synthesizeTemplate as (...args: unknown[]) => void).call(this, session, ...rest);
    checkTemplateSize(
      this,
      join(session.assembly.outdir, this.templateFile),
      MEMBER_BASELINES.has(this)
        ? 'The StackSet baseline holds only the protection set: remove what was added to it'
        : 'Split the classified resources over several DataAccountStacks (e.g. one per application or per 100 tables/buckets; each protects its own)',
    );
  }

  /**
   * Where the account's alarms go: the topic of the stack holding the protection set (recovery
   * points, drills, job failures, data access, key and vault tampering).
   * @throws when no `DataAccountStack` of this account and region holds the protection set yet
   */
  public get alarmTopic(): AlarmTopic {
    if (this.ownTopic) return this.ownTopic;
    const holder = holderOf(this);
    if (!holder?.ownTopic) {
      throw new Error(`${this.node.path}: no DataAccountStack of ${this.account}/${this.region} holds the protection set (and its alarm topic) yet; create the accountWide stack first`);
    }
    return holder.ownTopic;
  }

  /** The stack holding the protection set of this stack's account and region (this stack when `accountWide`). */
  public get protectionSetStack(): DataAccountStack | undefined {
    return this.accountWide ? this : holderOf(this);
  }

  /**
   * Configures the protection of the resources classified in this stack. In the `accountWide`
   * stack: the account's locked vault, its `ProtectedBackupPlan` copying into the backup
   * account's central vault (and the DR vault), backup alarms, a `RestoreDrill` that finds the
   * account's classified resources at run time and writes evidence under Object Lock, the
   * data-access trail with its alarms and the Backup Audit Manager frameworks. In every data
   * stack: the per-resource drill settings (`drill.targetOptions`), written as tags the drill
   * reads. Call once, after classifying. When it is not called, the stack calls it with the
   * default options at synth (and says so in an info annotation).
   */
  public protect(options: DataProtectionOptions = {}): void {
    if (this.protectedResources) throw new Error(`${this.stackName}: protect() was already called; call it once, after classifying every resource`);
    if (!this.accountWide) {
      const holder = holderOf(this)?.node.path ?? 'the accountWide stack';
      const accountOptions: [string, unknown][] = [
        ['backupVaultName', options.backupVaultName],
        ['noCrossAccountCopyReason', options.noCrossAccountCopyReason],
        ['existingResources', options.existingResources],
        ['dataAccessAlarms', options.dataAccessAlarms],
        ['dashboardMaxStoresPerLevel', options.dashboardMaxStoresPerLevel],
        ['drill.isolation', options.drill?.isolation],
        ['drill.validator', options.drill?.validator],
        ['drill.engine', options.drill?.engine],
      ];
      for (const [prop, value] of accountOptions) {
        if (value === undefined) continue;
        throw new Error(
          `DataProtectionOptions.${prop} applies to the protection set of ${this.account}/${this.region}, held by ${holder}, and ${this.node.path} does not hold it (accountWide is false): set it in that stack's protect()`,
        );
      }
    }
    this.protectedResources = new Set(ClassifiedResources.within(this));
    this.options = options;
    if (options.drill?.disabledReason !== undefined) requireReason('DataProtectionDrillOptions.disabledReason', options.drill.disabledReason, 'restore drills are turned off');
    if (!this.accountWide) return;
    const { accounts } = this;
    const topic = this.alarmTopic.topic;
    this.backupVault = new ImmutableBackupVault(this, 'BackupVault', {
      backupVaultName: this.vaultName,
      encryptionKey: this.backupKey,
      minRetention: Duration.days(retentionClasses()[0]),
      // After a data-account compromise, copies come back from the backup account into this vault.
      copySourceAccounts: [accounts.backupAccount],
      copySourceOrganizationId: accounts.organizationId,
    });
    // One locked vault per longer retention floor, its lock minimum that floor: an administrator
    // of this account who shortens a plan's rule (or the lifecycle it gives) makes every job fail
    // (and alarm) instead of keeping recovery points for less than their level's floor.
    this.backupVaults = [
      this.backupVault,
      ...retentionClassesOf(this).slice(1).map(
        (days) => new ImmutableBackupVault(this, `BackupVault${days}d`, { backupVaultName: this.vaultNameFor(days), encryptionKey: this.backupKey, minRetention: Duration.days(days) }),
      ),
    ];
    const primary = this.airGappedPrimary;
    if (primary) {
      this.airGappedPrimaryVault = new LogicallyAirGappedVault(this, 'AirGappedPrimaryVault', {
        backupVaultName: this.airGappedPrimaryVaultName,
        minRetention: primary.minRetention,
        maxRetention: primary.maxRetention,
        encryptionKey: primary.keyAccountKey ? this.backupKey : undefined,
        recoveryAccount: primary.recoveryAccount,
        externalRecoveryAccountReason: primary.externalRecoveryAccountReason,
      });
    }
    const engine = options.drill?.engine ?? DrillEngine.STEP_FUNCTIONS;
    // Member accounts of an organization rollout: the drill's logs under this account's own key.
    let logKey: kms.IKey | undefined;
    if (MEMBER_BASELINES.has(this)) {
      this.alarmTopic.key.allowCloudWatchLogs([this.account]);
      logKey = this.alarmTopic.key.key;
    }
    if (options.drill?.disabledReason === undefined && engine.nativeRestoreTesting) {
      const levels = DataClassification.all().filter((c) => c.isAtLeast(DataClassification.INTERNAL));
      this.nativeRestoreTesting = new NativeRestoreTesting(this, 'RestoreTesting', {
        backupVaultArns: [...this.backupVaults, ...(this.airGappedPrimaryVault ? [this.airGappedPrimaryVault] : [])].map((v) => v.backupVaultArn),
        classifications: levels,
        // As often as the most frequently drilled level asks.
        interval: Duration.days(Math.min(...levels.map((c) => ProtectionPolicy.forClassification(c).drillIntervalDays))),
        alarmTopic: topic,
        logKey: logKey ?? this.evidenceKey,
        // Its evidence also goes to the audit account's security bus, as the drill's does.
        evidenceEventBusArn: this.alarmTopic.securityEventBusArn,
      });
    }
    if (options.drill?.disabledReason === undefined && engine.stepFunctions) {
      this.restoreDrill = new RestoreDrill(this, 'RestoreDrill', {
        ...(logKey ? { logKey } : {}),
        discovery: {
          backupVaultName: this.vaultName,
          isolation: options.drill?.isolation,
          levels: DataClassification.all()
            .filter((c) => c.isAtLeast(DataClassification.INTERNAL))
            .map((c) => {
              const policy = ProtectionPolicy.forClassification(c);
              const key = this.keyFor(c);
              // DynamoDB copies: each table's own stack's fallback key, carried by its drill tags.
              return {
                classification: c,
                // The level's snapshots are in the vault of its retention floor (or the air-gapped vault, airGappedPrimary).
                backupVaultName: this.scheduledVaultNameFor(c, policy.backupRetentionDays),
                rto: Duration.hours(policy.rtoHours),
                rpo: Duration.hours(policy.rpoHours),
                interval: Duration.days(policy.drillIntervalDays),
                restoreKeys: { s3: key, efs: key, ebs: key },
              };
            }),
        },
        evidenceKey: this.evidenceKey,
        alarmTopic: topic,
        // Each drill result also goes to the audit account's security bus, archived out of this account's reach.
        evidenceEventBusArn: this.alarmTopic.securityEventBusArn,
        validator: options.drill?.validator,
      });
    }
    this.addAccountWideProtections(options.dataAccessAlarms);
  }

  /** Name of the account's first locked vault (the shortest retention class). */
  private get vaultName(): string {
    return this.options?.backupVaultName ?? `data-protection-${this.stackName}`.slice(0, 50);
  }

  /** Name of the account's logically air-gapped vault for primary backups: the first locked vault's, with `-air-gapped`. */
  private get airGappedPrimaryVaultName(): string {
    const suffix = '-air-gapped';
    return `${this.vaultName.slice(0, 50 - suffix.length)}${suffix}`;
  }

  /**
   * The vault the scheduled recovery points of `classification` kept `days` days end up in (in
   * the stack holding the protection set): the account's logically air-gapped vault for the levels
   * of `airGappedPrimary`, else the locked vault of the retention class. The drill restores from it.
   */
  private scheduledVaultNameFor(classification: DataClassification, days: number): string {
    const primary = this.airGappedPrimary;
    if (primary && (primary.classifications ?? [DataClassification.HIGHLY_SENSITIVE]).includes(classification)) return this.airGappedPrimaryVaultName;
    return this.vaultNameFor(days);
  }

  /**
   * Name of the locked vault a recovery point kept `days` days lands in: the vault of the longest
   * retention class not above `days` (the plan's rules choose the same way), e.g.
   * `data-protection-<stack>-365d`; deterministic, so the drill and alarms name it without a reference.
   */
  private vaultNameFor(days: number): string {
    const classes = retentionClassesOf(this);
    const cls = [...classes].reverse().find((c) => c <= days) ?? classes[0];
    if (cls === classes[0]) return this.vaultName;
    const suffix = `-${cls}d`;
    return `${this.vaultName.slice(0, 50 - suffix.length)}${suffix}`;
  }

  /**
   * At synth, in the `accountWide` stack: the backup plans over the classified resources of every
   * data stack of this account and region (selected by tag: no reference to their stacks), and
   * the vault's alarms. Data stacks whose resources a `ProtectedBackupPlan` of your own covers
   * are left to it.
   */
  private buildSharedPlan(coverageScopes: DataAccountStack[]): void {
    const options = this.options ?? {};
    const { accounts } = this;
    if (!this.backupVault || !coverageScopes.some((s) => ClassifiedResources.within(s).length > 0) && !(options.existingResources?.length)) return;
    // The backup account's central vaults, one per copy retention class, by deterministic name:
    // each copy goes to the vault locked at its level's floor.
    const [central, ...centralClasses] = centralVaultTargets(accounts.backupAccount, accounts.primaryRegion);
    const [dr, ...drClasses] = accounts.drRegion ? centralVaultTargets(accounts.backupAccount, accounts.drRegion) : [];
    const copies = !options.noCrossAccountCopyReason;
    // The logically air-gapped vault of the backup account in this region, by its fixed name.
    const airGapped = this.airGappedCopies;
    this.backupPlan = new ProtectedBackupPlan(this, 'Backups', {
      backupVault: this.backupVault,
      retentionClassVaults: this.backupVaults.filter((v) => v !== this.backupVault),
      centralVault: copies ? central : undefined,
      centralRetentionClassVaults: copies ? centralClasses : undefined,
      drVault: dr && copies ? dr : undefined,
      drRetentionClassVaults: dr && copies ? drClasses : undefined,
      airGappedVault: airGapped ? airGappedVaultTarget(accounts.backupAccount, this.region, airGapped.minRetentionDays, airGapped.maxRetentionDays) : undefined,
      airGappedCopyClassifications: airGapped?.classifications,
      // The account's own logically air-gapped vault as primary target (same account and Region).
      airGappedPrimaryVault: this.airGappedPrimaryVault?.target,
      airGappedPrimaryClassifications: this.airGappedPrimary?.classifications,
      noCrossAccountCopyReason: options.noCrossAccountCopyReason,
      noCrossRegionCopyReason: options.noCrossAccountCopyReason ?? (accounts.drRegion ? undefined : 'No DR region is configured (cdk-data-protection:regions.dr)'),
      existingResources: options.existingResources,
      backupPlanName: this.stackName,
      coverageScopes,
    });
    // The plan names the air-gapped vault by ARN: created first.
    if (this.airGappedPrimaryVault) this.backupPlan.node.addDependency(this.airGappedPrimaryVault);
    // "No recent recovery point" alarms per vault, for the types whose snapshots it receives
    // (the air-gapped vault: the fully managed types that back up straight into it).
    const lag = this.airGappedPrimaryVault;
    const lagTypes = lag ? [...(this.backupPlan._scheduledTypesByVault.get(lag.backupVaultName) ?? [])].sort() : [];
    if (lag && lagTypes.length > 0) {
      new BackupAlarms(this, 'AirGappedPrimaryBackupAlarms', { topic: this.alarmTopic.topic, backupVaultName: lag.backupVaultName, resourceTypes: lagTypes, jobEvents: false });
    }
    for (const vault of this.backupVaults) {
      const types = [...(this.backupPlan._scheduledTypesByVault.get(vault.backupVaultName) ?? [])].sort();
      if (types.length === 0) continue;
      const id = vault === this.backupVault ? 'BackupAlarms' : `BackupAlarms${vault.minRetentionDays}d`;
      new BackupAlarms(this, id, { topic: this.alarmTopic.topic, backupVaultName: vault.backupVaultName, resourceTypes: types, jobEvents: false });
    }
  }

  /**
   * At synth, in every data stack: the drill settings of its drillable resources, as tags the
   * account's drill reads at run time (or the reason drills are off), and the drill control.
   */
  private tagDrillTargets(
    drill: RestoreDrill | undefined,
    vaultNameFor: (classification: DataClassification, retentionDays: number) => string,
    holderDisabledReason: string | undefined,
    names: Map<string, string>,
    handBuilt: boolean,
    native?: NativeRestoreTesting,
  ): void {
    const options = this.options ?? {};
    const drillable = ClassifiedResources.within(this).filter((r) => r.resourceType && DrillResourceType.supports(r.resourceType));
    if (handBuilt) {
      // Your own plan (its own vault) or drill covers this stack: the account's drill, which
      // restores from the account's vault, must not find these resources at run time.
      for (const r of drillable) Tags.of(r.scope).add(DRILL_SKIP_TAG, 'true');
      return;
    }
    const disabled = options.drill?.disabledReason ?? holderDisabledReason;
    if (disabled === undefined && !drill && native) {
      // AWS Backup restore testing alone (DrillEngine.NATIVE_RESTORE_TESTING): it selects the
      // stores by their classification tag and records the same evidence, at the level's times.
      for (const r of drillable) {
        const type = DrillResourceType.fromCloudFormationType(r.resourceType!, `${r.scope.node.path}.resourceType`).backupResourceType;
        if (!native.resourceTypes.includes(type)) continue;
        const physical = literalPhysicalName(r);
        recordControl(r.scope, CONTROLS.RESTORE_DRILL, {
          drill: native.node.path,
          engine: 'NATIVE_RESTORE_TESTING',
          intervalDays: r.policy.drillIntervalDays,
          ...(physical !== undefined ? { target: nameOfStore(type, physical) } : {}),
          drillId: native.restoreTestingPlanName,
          evidenceBucket: native.evidenceBucket.node.path,
          restoreRole: native.restoreRole.node.path,
          rtoSeconds: r.policy.rtoHours * 3600,
        });
      }
      return;
    }
    if (disabled !== undefined || !drill) {
      const reason = disabled ?? 'the protection set of this account has no restore drill';
      for (const r of drillable) {
        (r.cfnResource ?? r.scope).node.addMetadata(METADATA.OVERRIDE, { prop: 'drillIntervalDays', floor: String(r.policy.drillIntervalDays), value: 'none', reason });
        Tags.of(r.scope).add(DRILL_SKIP_TAG, 'true');
      }
      return;
    }
    for (const r of drillable) {
      // An option set to undefined keeps the default rather than erasing it.
      const overrides = Object.fromEntries(Object.entries(options.drill?.targetOptions?.optionsFor(r) ?? {}).filter(([, v]) => v !== undefined)) as DrillTargetOverrides;
      if ('backupVaultName' in overrides) {
        throw new Error(`DataProtectionDrillOptions.targetOptions(${r.scope.node.path}) returned backupVaultName '${String((overrides as { backupVaultName?: unknown }).backupVaultName)}': drills restore from the account's vault; use your own RestoreDrill for another vault`);
      }
      // Validated like any target at synth; its settings travel as tags to the drill of the account.
      // Named as the drill names a store it finds, from its type and literal physical name (unique
      // in the account; no name tag needed), else after its construct id (a name tag).
      const physical = literalPhysicalName(r);
      const type = DrillResourceType.fromCloudFormationType(r.resourceType!, `${r.scope.node.path}.resourceType`).backupResourceType;
      const derived = physical !== undefined ? nameOfStore(type, physical) : undefined;
      const target = DrillTarget.fromClassified(r, {
        ...(derived !== undefined ? { name: derived } : {}),
        // Restored copies are encrypted like their source: S3, EFS and EBS with the level's
        // key-account key (the drill's defaults), DynamoDB with the table's own key (read when it runs).
        ...overrides,
        backupVaultName: vaultNameFor(r.classification, r.policy.backupRetentionDays),
      });
      // Names key evidence and metrics, so they are unique among the targets of the account's drill.
      const other = names.get(target.name);
      if (other !== undefined) {
        throw new Error(
          `${r.scope.node.path} and ${other} would both be drilled as '${target.name}' by the restore drill of ${this.account}/${this.region} (names key evidence and metrics): ` +
            "give one of them its own name with DataProtectionDrillOptions.targetOptions (optionsFor returns { name: '...' }) or a different construct id",
        );
      }
      names.set(target.name, r.scope.node.path);
      const tags = drillTagsOf(target, drill.defaultsFor(r.classification));
      if (derived !== undefined && target.name === derived) delete tags[DRILL_TAGS.NAME];
      for (const [key, value] of Object.entries(tags)) Tags.of(r.scope).add(key, value);
      recordControl(target.drilledConstruct ?? r.scope, CONTROLS.RESTORE_DRILL, { drill: drill.node.path, intervalDays: target.intervalDays, ...drill._runbookFacts(target) });
    }
  }

  /**
   * Whether a `ProtectedBackupPlan` or `RestoreDrill` of your own covers a classified resource of
   * this stack (checked before the protection set records its own controls).
   */
  private handBuilt(control: string): boolean {
    return ClassifiedResources.within(this).some((r) => controlsOf(r.scope).some((c) => c.control === control));
  }

  /** The trail, its alarms and the Audit Manager frameworks of the account (accountWide stack only). */
  private addAccountWideProtections(dataAccessAlarms?: DataAccessAlarmsOptions): void {
    const noTrail = MEMBER_BASELINES.get(this)?.noDataAccessTrailReason;
    if (noTrail !== undefined) {
      this.node.addMetadata(METADATA.OVERRIDE, { prop: 'DataAccountBaselineStackProps.organizationTrailReason', floor: 'a DataAccessTrail and DataAccessAlarms in every data account', value: 'the organization trail', reason: noTrail });
    } else {
      this.addDataAccessTrail(dataAccessAlarms);
    }
    this.addConfigAndCompliance();
  }

  /** The account's data-access trail into the audit archive, and its alarms. */
  private addDataAccessTrail(dataAccessAlarms?: DataAccessAlarmsOptions): void {
    const { accounts } = this;
    this.dataAccessTrail = new DataAccessTrail(this, 'DataAccessTrail', {
      encryptionKey: this.auditKey,
      archiveBucketName: AuditNames.archiveBucketName(accounts.auditAccount, accounts.primaryRegion),
      // The account's other data stacks deploy after this one (they use its key lookups and fallback keys).
      crossStackReferences: false,
    });
    new DataAccessAlarms(this, 'DataAccessAlarms', {
      ...dataAccessAlarms,
      logGroup: this.dataAccessTrail.logGroup,
      topic: this.alarmTopic.topic,
      // The drill's restores are expected: its state machine starts them, AWS Backup runs them as its restore role.
      // Restore testing's restores run as its restore role (NativeRestoreTesting).
      expectedRestoreRoles: this.restoreDrill || this.nativeRestoreTesting
        ? [...(this.restoreDrill ? [this.restoreDrill.stateMachine.role, this.restoreDrill.restoreRole] : []), ...(this.nativeRestoreTesting ? [this.nativeRestoreTesting.restoreRole] : [])]
        : undefined,
    });
  }

  /** The Config recorder and the Backup Audit Manager frameworks. */
  private addConfigAndCompliance(): void {
    const { accounts } = this;
    // Every Audit Manager control evaluates what AWS Config records ("Choosing your controls").
    const existingRecorder = this.configRecorder?.existingRecorderReason;
    if (existingRecorder !== undefined) {
      const reason = requireReason('DataAccountStackProps.configRecorder.existingRecorderReason', existingRecorder, 'Backup Audit Manager evaluates nothing unless AWS Config records the resource types of its controls');
      this.node.addMetadata(METADATA.OVERRIDE, { prop: 'DataAccountStackProps.configRecorder', floor: 'a BackupConfigRecorder in this stack', value: 'an existing recorder', reason });
    } else {
      new BackupConfigRecorder(this, 'BackupConfigRecorder', { encryptionKey: this.evidenceKey });
    }
    new BackupCompliance(this, 'BackupCompliance', { reportKey: this.backupReportsKey, backupAccount: accounts.backupAccount, drRegion: accounts.drRegion });
  }

  /**
   * The key of the Backup Audit Manager reports: a `DataAccountFallbackKey`, because the reports
   * role (AWSServiceRoleForBackupReports) has no KMS permissions and can use only a key of this
   * account whose policy names it.
   */
  private get backupReportsKey(): kms.IKey {
    return this.memo('backup-reports', () =>
      new DataAccountFallbackKey(this, 'BackupReportsKey', {
        aliasName: `alias/data-protection/backup-reports/${this.stackName}`,
        keyAccount: this.accounts.keyAccount,
        services: [KeyConsumerService.S3],
        reason: 'Backup Audit Manager writes reports as its service-linked role, which has no KMS permissions of its own: only a key of this account whose policy names the role can encrypt them',
      }).key,
    );
  }

  /**
   * At synth: `protect()` with the default options when it was not called. When none is
   * classified, or a `ProtectedBackupPlan` or `RestoreDrill` of your own already covers one
   * (protection built by hand), it adds nothing for them, but the account-wide stack still gets
   * the account's protection set (it covers the other data stacks of the account too) unless it
   * has a `DataAccessTrail` of its own.
   */
  private protectAtSynth(coversOthers: boolean): void {
    if (this.protectedResources) return;
    const classified = ClassifiedResources.within(this);
    const handBuilt = classified.filter((r) => controlsOf(r.scope).some((c) => c.control === CONTROLS.BACKUP_PLAN || c.control === CONTROLS.RESTORE_DRILL));
    // The account-wide stack without a trail of its own still gets the account's protections.
    const needsAccountWide = () => this.accountWide && !this.node.findAll().some((c) => c instanceof DataAccessTrail);
    if (handBuilt.length > 0) {
      Annotations.of(this).addInfo(
        `cdk-data-protection: protect() was not called on ${this.node.path} and your own backup plan or restore drill covers ${handBuilt.map((r) => r.scope.node.path).join(', ')}: the protection set adds no plan or drill settings for this stack (the nag pack checks what is missing).`,
      );
      if (needsAccountWide()) {
        if (coversOthers) this.protect();
        else this.addAccountWideProtections();
      }
      return;
    }
    if (classified.length > 0 || (this.accountWide && coversOthers)) {
      this.protect();
      if (classified.length > 0) {
        Annotations.of(this).addInfo(
          `cdk-data-protection: protect() was not called on ${this.node.path}; its ${classified.length} classified resource(s) are protected with the default options at synth. Call this.protect(options) after classifying to configure the vault, copies, drills and alarms.`,
        );
      }
      return;
    }
    if (needsAccountWide()) this.addAccountWideProtections();
  }

  /** Builds the protection set of this stack's account and region once: at synth, when the first data stack of `group` is visited, before any pack checks them. */
  private buildShared(group: DataAccountStack[]): void {
    if (this.sharedBuilt) return;
    this.sharedBuilt = true;
    const others = group.filter((s) => s !== this);
    for (const s of others) if (s.usesSharedLookups) s.addStackDependency(this, 'resolves its keys through the shared key lookups and fallback keys of the protection set');
    const coversOthers = others.some((s) => ClassifiedResources.within(s).length > 0);
    this.protectAtSynth(coversOthers);
    for (const s of others) s.protectAtSynth(false);
    // Before the protection set records its own controls: stacks protected by hand are left to their plan or drill.
    const handBuilt = new Set(group.filter((s) => s.handBuilt(CONTROLS.BACKUP_PLAN) || s.handBuilt(CONTROLS.RESTORE_DRILL)));
    this.buildSharedPlan(group.filter((s) => !handBuilt.has(s)));
    const disabled = this.options?.drill?.disabledReason;
    const names = new Map<string, string>();
    for (const s of group) s.tagDrillTargets(this.restoreDrill, (c, days) => this.scheduledVaultNameFor(c, days), disabled, names, handBuilt.has(s), this.nativeRestoreTesting);
    this.addDashboard(group, names);
  }

  /**
   * The account's `DataProtectionDashboard`, in the stack holding its protection set, once the
   * protection set is built: the drill, the drilled stores of every data stack of the account
   * (by their target names) against their level's objectives, the data-access alarms and the state
   * of every alarm of this stack.
   */
  private addDashboard(group: DataAccountStack[], drilled: Map<string, string>): void {
    if (this.dashboard || !this.accountWide || !(this.backupVault || this.restoreDrill || this.dataAccessTrail)) return;
    const levelOf = new Map(group.flatMap((s) => ClassifiedResources.within(s).map((r) => [r.scope.node.path, r.classification] as const)));
    this.dashboard = new DataProtectionDashboard(this, 'Dashboard', {
      drills: this.restoreDrill ? [this.restoreDrill] : undefined,
      stores: [...drilled].flatMap(([name, path]) => (levelOf.has(path) ? [{ name, classification: levelOf.get(path)! }] : [])),
      dataAccessAlarms: this.node.tryFindChild('DataAccessAlarms') as DataAccessAlarms | undefined,
      maxStoresPerLevel: this.options?.dashboardMaxStoresPerLevel,
    });
  }

  /**
   * The key-account key for a classification level (S3, RDS, EBS, EFS, Backup, Secrets
   * Manager, Lambda), resolved from its alias at deploy time.
   * @throws for PUBLIC data, which needs no CMK
   */
  public keyFor(classification: DataClassification): kms.IKey {
    if (!classification.isAtLeast(DataClassification.INTERNAL)) {
      throw new Error(`DataAccountStack.keyFor: ${classification.name} data has no key in the key account; use INTERNAL or above`);
    }
    return this.memo(`key-${classification.name}`, () => this.lookUpKey(`${classification.name}Key`, this.accounts.keyAccount, KeyAliases.forClassification(classification)));
  }

  /** The key-account key for the evidence of restore drills. */
  public get evidenceKey(): kms.IKey {
    return this.memo('evidence', () => this.lookUpKey('EvidenceKey', this.accounts.keyAccount, KeyAliases.EVIDENCE));
  }

  /** The key-account key of this account's locked backup vault. */
  public get backupKey(): kms.IKey {
    return this.memo('backup', () => this.lookUpKey('BackupKey', this.accounts.keyAccount, KeyAliases.BACKUP));
  }

  /** The key-account key for the audit trail and its logs. */
  public get auditKey(): kms.IKey {
    return this.memo('audit', () => this.lookUpKey('AuditKey', this.accounts.keyAccount, KeyAliases.AUDIT));
  }

  /**
   * A key resolved from its alias at deploy time: through the account's shared key-lookup function
   * when the stack holding the protection set is known and in the same stage (this stack then
   * deploys after it), else through a function of this stack.
   */
  private lookUpKey(id: string, account: string, aliasName: string): kms.IKey {
    const holder = this.sharedHolder();
    if (holder) this.usesSharedLookups = true;
    return new CrossAccountKey(this, id, { keyAccount: account, aliasName, lookupFunctionArn: holder ? KeyLookupProvider.sharedFunctionArn(this, holder.stackName) : undefined }).key;
  }

  /** The stack holding this account's protection set, when this stack can use its shared key lookups and fallback keys. */
  private sharedHolder(): DataAccountStack | undefined {
    if (this.accountWide || Token.isUnresolved(this.account) || Token.isUnresolved(this.region)) return undefined;
    const holder = holderOf(this);
    return holder && Stage.of(holder) === Stage.of(this) ? holder : undefined;
  }

  /**
   * A key for DynamoDB tables of a level. DynamoDB does not document keys from other accounts,
   * so this is a `DataAccountFallbackKey`: held in this stack, administered from the key account
   * only. The stack holding the account's protection set holds it, as
   * `alias/data-protection/<level>-dynamodb/<its stack name>` (aliases are unique per account and
   * region); the account's other data stacks resolve it by that alias.
   */
  public dynamoDbKeyFor(classification: DataClassification): kms.IKey {
    if (!classification.isAtLeast(DataClassification.INTERNAL)) {
      throw new Error(`DataAccountStack.dynamoDbKeyFor: ${classification.name} data has no CMK; use INTERNAL or above`);
    }
    // Named after the stack holding the key: two stacks (or the stack the protection set moves to) never collide on an alias.
    const aliasOf = (stack: DataAccountStack) => `${KeyAliases.forClassification(classification)}-dynamodb/${stack.stackName}`;
    const holder = this.sharedHolder();
    if (holder) {
      // The protection set holds the account's fallback key of the level; this stack resolves it by alias.
      holder.dynamoDbKeyFor(classification);
      return this.memo(`ddb-${classification.name}`, () => this.lookUpKey(`DynamoDb${classification.name}Key`, this.account, aliasOf(holder)));
    }
    return this.memo(`ddb-${classification.name}`, () =>
      new DataAccountFallbackKey(this, `DynamoDb${classification.name}Key`, {
        aliasName: aliasOf(this),
        keyAccount: this.accounts.keyAccount,
        services: [KeyConsumerService.DYNAMODB, KeyConsumerService.BACKUP],
        reason: 'DynamoDB documents only keys stored in the table owner account',
      }).key,
    );
  }

  private memo(name: string, make: () => kms.IKey): kms.IKey {
    let key = this.keys.get(name);
    if (!key) {
      key = make();
      this.keys.set(name, key);
    }
    return key;
  }
}

/**
 * The retention classes of a data account's locked vaults, in days: every level's retention floor
 * (PUBLIC 7, INTERNAL 35, CONFIDENTIAL 90, HIGHLY_SENSITIVE 365) and the longest point-in-time
 * recovery (35: continuous recovery points live at most 35 days), ascending. Each vault's lock
 * minimum is its class.
 */
function retentionClasses(): number[] {
  return [
    ...new Set(
      DataClassification.all().flatMap((c) => {
        const p = ProtectionPolicy.forClassification(c);
        return p.pointInTimeRecovery ? [p.backupRetentionDays, p.pointInTimeRecoveryDays] : [p.backupRetentionDays];
      }),
    ),
  ].sort((a, b) => a - b);
}

/**
 * Data stacks that are the `DataAccountBaselineStack` of an organization rollout, deployed into
 * accounts the layout does not list, and the reason their account has no `DataAccessTrail` (nor its
 * `DataAccessAlarms`: an organization trail records their data events; shown in the report). Such a
 * protection set:
 * - keeps every level in its first locked vault (lock minimum 7 days): the plans of an
 *   Organizations backup policy write every level into one vault;
 * - logs its drill under a key of its own account (the alarm topic's) instead of the key account's
 *   evidence key: the key account admits CloudWatch Logs per named account
 *   (`kms:EncryptionContext:aws:logs:arn`, "Encrypt log data in CloudWatch Logs using AWS KMS",
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html), which the
 *   member accounts are not.
 */
const MEMBER_BASELINES = new WeakMap<DataAccountStack, { readonly noDataAccessTrailReason?: string }>();

/** @internal Make `stack`'s protection set an organization member's baseline (call before `protect`). */
export function _memberBaseline(stack: DataAccountStack, options: { readonly noDataAccessTrailReason?: string } = {}): void {
  MEMBER_BASELINES.set(stack, options);
}

/** The retention classes of `stack`'s vaults: only the first for a member baseline (`_memberBaseline`). */
function retentionClassesOf(stack: DataAccountStack): number[] {
  return MEMBER_BASELINES.has(stack) ? retentionClasses().slice(0, 1) : retentionClasses();
}

/** Per app root: `<account>/<region>` → the data stacks there, in creation order. */
const DATA_STACKS = new WeakMap<IConstruct, Map<string, DataAccountStack[]>>();

/** Data stacks share a protection set within one stage (a stage deploys on its own). */
function groupKeyOf(stack: DataAccountStack): string {
  return `${Stage.of(stack)?.node.path ?? ''}//${stack.account}/${stack.region}`;
}

function registerDataStack(stack: DataAccountStack): void {
  const root = stack.node.root;
  const byKey = DATA_STACKS.get(root) ?? new Map<string, DataAccountStack[]>();
  DATA_STACKS.set(root, byKey);
  // Environment-agnostic stacks are each their own account.
  const key = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) ? `agnostic/${stack.node.path}` : groupKeyOf(stack);
  byKey.set(key, [...(byKey.get(key) ?? []), stack]);
}

function groupOf(stack: DataAccountStack): DataAccountStack[] {
  const byKey = DATA_STACKS.get(stack.node.root);
  const key = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) ? `agnostic/${stack.node.path}` : groupKeyOf(stack);
  return byKey?.get(key) ?? [stack];
}

function holderOf(stack: DataAccountStack): DataAccountStack | undefined {
  return groupOf(stack).find((s) => s.accountWide);
}

/**
 * `DataAccountStackProps.airGappedCopies`, validated against the limits of the vault lock
 * (`AIR_GAPPED_VAULT_LIMITS`, CloudFormation User Guide:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-backup-logicallyairgappedbackupvault.html).
 */
function airGappedCopySettings(o: AirGappedCopyOptions): { classifications: DataClassification[]; minRetentionDays?: number; maxRetentionDays?: number } {
  const P = 'DataAccountStackProps.airGappedCopies';
  const why = "copy retentions are compared with the air-gapped vault's lock at synth (AWS Backup fails every copy outside it)";
  requireLiteral(`${P}.minRetention`, o.minRetention, why);
  requireLiteral(`${P}.maxRetention`, o.maxRetention, why);
  const min = o.minRetention?.toDays({ integral: false });
  const max = o.maxRetention?.toDays({ integral: false });
  const { MIN_RETENTION_DAYS: lo, MAX_RETENTION_DAYS: hi } = AIR_GAPPED_VAULT_LIMITS;
  for (const [prop, days] of [['minRetention', min], ['maxRetention', max]] as const) {
    validateInteger(`${P}.${prop}`, days);
    validateRange(`${P}.${prop}`, days, lo, hi, 'days');
  }
  // The defaults are airGappedVaultTarget's: those of AirGappedVaultOptions.
  const effMin = min ?? lo;
  const effMax = max ?? CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS;
  if (effMin >= effMax) {
    throw new Error(`${P}.minRetention (${effMin} days) must be less than maxRetention (${effMax} days); allowed: ${lo} <= minRetention < maxRetention <= ${hi} days, equal to the backup account's AirGappedVaultOptions`);
  }
  if (o.classifications !== undefined && o.classifications.length === 0) {
    throw new Error(`${P}.classifications must name at least one level (e.g. [DataClassification.HIGHLY_SENSITIVE]), got []; leave airGappedCopies unset for no copies`);
  }
  return { classifications: o.classifications ?? [DataClassification.HIGHLY_SENSITIVE], minRetentionDays: min, maxRetentionDays: max };
}


/**
 * `DataAccountStackProps.airGappedPrimary`, checked where the vault does not check it itself
 * (`LogicallyAirGappedVault` validates the lock range, the recovery account and the reason).
 */
function airGappedPrimarySettings(o: AirGappedPrimaryOptions): AirGappedPrimaryOptions {
  const P = 'DataAccountStackProps.airGappedPrimary';
  const why = "rule retentions are compared with the air-gapped vault's lock at synth (AWS Backup fails every backup job outside it)";
  requireLiteral(`${P}.minRetention`, o.minRetention, why);
  requireLiteral(`${P}.maxRetention`, o.maxRetention, why);
  if (o.classifications !== undefined && o.classifications.length === 0) {
    throw new Error(`${P}.classifications must name at least one level (e.g. [DataClassification.HIGHLY_SENSITIVE]), got []; leave airGappedPrimary unset for none`);
  }
  return { ...o, classifications: o.classifications ?? [DataClassification.HIGHLY_SENSITIVE] };
}

/** Registry kind of the data stack holding an account's account-wide protections. */
const DATA_ACCOUNT_WIDE = 'data-account-wide';

/** `env.region` defaults to the primary region when an account is given and neither the props nor the enclosing stage set a region. */
function withPrimaryRegion(scope: Construct, props: DataAccountStackProps): DataAccountStackProps {
  if (props.env?.account === undefined || props.env.region !== undefined || Stage.of(scope)?.region !== undefined || !props.accounts?.primaryRegion) return props;
  return { ...props, env: { ...props.env, region: props.accounts.primaryRegion } };
}

/** Whether `stack` holds its account's account-wide protections: the first data stack per account and region, unless told. */
function claimDataAccountWide(stack: DataAccountStack, requested: boolean | undefined): boolean {
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) return requested ?? true;
  if (requested === false) return false;
  const holder = registerPerAccountAndRegion(stack, DATA_ACCOUNT_WIDE, Stage.of(stack)?.node.path ?? '');
  if (holder === undefined) return true;
  if (requested === true) {
    throw new Error(
      `DataAccountStackProps.accountWide is true on ${stack.node.path}, but ${holder} (created before it) already holds the account-wide protections of ${stack.account}/${stack.region}; exactly one data stack per account and region may: set accountWide: false on ${holder}, or leave accountWide unset here`,
    );
  }
  return false;
}

/** The validation error of a data stack whose account and region have no data stack holding the account-wide protections. */
function missingAccountWide(stack: DataAccountStack): string[] {
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    return [
      `${stack.node.path}: an environment-agnostic DataAccountStack cannot share another stack's protection set (its account is unknown), and accountWide is false: nothing would back up, drill or audit its resources; remove accountWide: false or give the stack an env`,
    ];
  }
  if (registeredPerAccountAndRegion(stack, DATA_ACCOUNT_WIDE, Stage.of(stack)?.node.path ?? '') !== undefined) return [];
  return [
    `${stack.node.path}: no DataAccountStack of account ${stack.account} in ${stack.region} holds the protection set (locked vault, backup plans, restore drill, data-access trail and alarms, Audit Manager frameworks, job-failure and key-tamper rules): DataAccountStackProps.accountWide is false on each; set it to true on one of them, or leave it unset on the first`,
  ];
}

/** The literal physical name of a classified store (bucket, table, database), or undefined when CloudFormation generates it. */
function literalPhysicalName(r: ClassifiedResource): string | undefined {
  const cfn = r.cfnResource as unknown as { bucketName?: unknown; tableName?: unknown; dbClusterIdentifier?: unknown; dbInstanceIdentifier?: unknown } | undefined;
  const name = cfn?.bucketName ?? cfn?.tableName ?? cfn?.dbClusterIdentifier ?? cfn?.dbInstanceIdentifier;
  return typeof name === 'string' && !Token.isUnresolved(name) ? name : undefined;
}


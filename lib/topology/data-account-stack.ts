import { Annotations, AspectPriority, Aspects, Stack, StackProps, Stage, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { AccountWideWatcher, claimAccountWide, registeredPerAccountAndRegion, registerPerAccountAndRegion } from '../core/account-wide';
import { addStackLimitsValidation } from '../core/stack-limits';
import { AuditNames } from '../audit/audit-names';
import { DataAccessAlarms, DataAccessAlarmsOptions } from '../audit/data-access-alarms';
import { DataAccessTrail } from '../audit/data-access-trail';
import { BackupAlarms } from '../backup/backup-alarms';
import { BackupCompliance } from '../backup/backup-compliance';
import { BackupConfigRecorder } from '../backup/backup-config-recorder';
import { BackupVaultTarget, ImmutableBackupVault } from '../backup/immutable-backup-vault';
import { ExistingBackupResource, ProtectedBackupPlan } from '../backup/protected-backup-plan';
import { ClassifiedResource, ClassifiedResources } from '../classification/classify';
import { METADATA } from '../core/constants';
import { CONTROLS, controlsOf } from '../core/controls';
import { requireReason } from '../core/validation';
import { DrillResourceType } from '../drill/drill-resource-type';
import { DrillIsolation, DrillTarget, DrillTargetOverrides } from '../drill/drill-target';
import { RestoreDrill } from '../drill/restore-drill';
import { CENTRAL_BACKUP_VAULT_NAME, CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS, CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS } from './backup-account-stack';
import { AlarmTopic } from '../keys/alarm-topic';
import { CrossAccountKey } from '../keys/cross-account-key';
import { DataAccountFallbackKey } from '../keys/data-account-fallback-key';
import { KeyAliases } from '../keys/key-aliases';
import { KeyConsumerService } from '../keys/key-consumer-service';
import { KeyTamperAlarms } from '../keys/key-tamper-alarms';
import { DataProtectionAccounts, validateAccounts, warnSingleAccount } from './accounts';
import { registerWithStage } from './data-protection-stage';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { VaultTamperAlarms } from '../backup/vault-tamper-alarms';

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
}

/** Drill settings shared by the targets `protect` creates. */
export interface DataProtectionDrillOptions {
  /** Isolation of restored databases and volumes. @default - the source's placement */
  readonly isolation?: DrillIsolation;
  /** Turn drills off for this stack, with a reason (shown in the report). @default - drills on */
  readonly disabledReason?: string;
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
 * `classify` them. Call `protect(options)` after classifying to configure their protection; a
 * stack whose `protect` was not called is protected with the default options at synth.
 */
export class DataAccountStack extends Stack {
  public readonly accounts: DataProtectionAccounts;
  /** Where this stack's alarms go (recovery points, drills; in the accountWide stack also job failures, data access and key tampering). */
  public readonly alarmTopic: AlarmTopic;
  /** Whether this stack holds the account-wide protections (trail, frameworks, job-failure and key-tamper rules). */
  public readonly accountWide: boolean;
  /** This stack's locked vault. Set by `protect` (or at synth, when `protect` was not called). */
  public backupVault?: ImmutableBackupVault;
  /** This stack's backup plans. Set by `protect` (or at synth, when `protect` was not called). */
  public backupPlan?: ProtectedBackupPlan;
  /** The account's data-access trail, in the `accountWide` stack. Set by `protect` (or at synth). */
  public dataAccessTrail?: DataAccessTrail;
  /** The restore drill of this stack's drillable resources. Set by `protect` (or at synth). */
  public restoreDrill?: RestoreDrill;
  private readonly keys = new Map<string, kms.IKey>();
  private protectedResources?: Set<ClassifiedResource>;
  private readonly configRecorder?: ConfigRecorderOptions;

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
    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails });
    this.accountWide = claimDataAccountWide(this, props.accountWide);
    if (props.configRecorder && !this.accountWide) {
      throw new Error(
        `DataAccountStackProps.configRecorder applies to the stack that holds the account-wide protections of ${this.account}/${this.region}, and ${this.node.path} does not (accountWide is false): set it on that stack`,
      );
    }
    this.configRecorder = props.configRecorder;
    // Key tampering is an account-wide event stream: one rule per account, or each stack notifies.
    if (this.accountWide) {
      // Once per account and region in the app (another stack may already watch this account).
      if (claimAccountWide(this, AccountWideWatcher.KEY_TAMPER)) new KeyTamperAlarms(this, 'KeyTamperAlarms', { topic: this.alarmTopic.topic });
      // Failed backup, copy and restore jobs of the account, whether or not this stack calls protect().
      if (claimAccountWide(this, AccountWideWatcher.BACKUP_JOB_EVENTS)) new BackupAlarms(this, 'BackupJobAlarms', { topic: this.alarmTopic.topic });
      // The local locked vault's policy, lock and recovery points: the data trail logs the management events.
      if (claimAccountWide(this, AccountWideWatcher.VAULT_TAMPER)) new VaultTamperAlarms(this, 'VaultTamperAlarms', { topic: this.alarmTopic.topic });
    }
    addStackLimitsValidation(this);
    registerWithStage(this);
    // Resources classified after protect() would silently miss their backups, trail and drills.
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
    // Every account and region holding a data stack gets its account-wide protections exactly once.
    if (!this.accountWide) this.node.addValidation({ validate: () => missingAccountWide(this) });
    // Forgetting protect() must not leave classified data unprotected: protect with the defaults at synth.
    // An aspect runs before the tree is resolved, so what protect() adds is tagged and rendered like the rest.
    Aspects.of(this).add({ visit: (node: IConstruct) => { if (node === this) this.protectAtSynth(); } }, { priority: AspectPriority.MUTATING });
  }

  /**
   * Protects every resource classified in this stack, as its `ProtectionPolicy` asks: a locked
   * vault and a `ProtectedBackupPlan` copying into the backup account's central vault (and the DR
   * vault), backup alarms, a `RestoreDrill` per drillable resource with evidence under Object
   * Lock, and, for the account-wide stack, the data-access trail with its alarms and the Backup
   * Audit Manager frameworks. Call once, after classifying. When it is not called, the stack calls
   * it with the default options at synth (and says so in an info annotation).
   */
  public protect(options: DataProtectionOptions = {}): void {
    if (this.protectedResources) throw new Error(`${this.stackName}: protect() was already called; call it once, after classifying every resource`);
    if (options.dataAccessAlarms && !this.accountWide) {
      throw new Error(
        `DataProtectionOptions.dataAccessAlarms applies to the stack that holds the account-wide protections of ${this.account}/${this.region}, and ${this.node.path} does not (accountWide is false): set the thresholds in that stack's protect()`,
      );
    }
    const { accounts } = this;
    const classified = ClassifiedResources.within(this);
    this.protectedResources = new Set(classified);
    const topic = this.alarmTopic.topic;
    const vaultName = options.backupVaultName ?? `data-protection-${this.stackName}`.slice(0, 50);

    this.backupVault = new ImmutableBackupVault(this, 'BackupVault', {
      backupVaultName: vaultName,
      encryptionKey: this.backupKey,
      // After a data-account compromise, copies come back from the backup account into this vault.
      copySourceAccounts: [accounts.backupAccount],
      copySourceOrganizationId: accounts.organizationId,
    });
    const central = (region: string): BackupVaultTarget => ({
      backupVaultName: CENTRAL_BACKUP_VAULT_NAME,
      account: accounts.backupAccount,
      region,
      minRetentionDays: CENTRAL_VAULT_DEFAULT_MIN_RETENTION_DAYS,
      maxRetentionDays: CENTRAL_VAULT_DEFAULT_MAX_RETENTION_DAYS,
    });
    this.backupPlan = new ProtectedBackupPlan(this, 'Backups', {
      backupVault: this.backupVault,
      centralVault: options.noCrossAccountCopyReason ? undefined : central(accounts.primaryRegion),
      drVault: accounts.drRegion && !options.noCrossAccountCopyReason ? central(accounts.drRegion) : undefined,
      noCrossAccountCopyReason: options.noCrossAccountCopyReason,
      noCrossRegionCopyReason: options.noCrossAccountCopyReason ?? (accounts.drRegion ? undefined : 'No DR region is configured (cdk-data-protection:regions.dr)'),
      existingResources: options.existingResources,
      backupPlanName: this.stackName,
    });
    new BackupAlarms(this, 'BackupAlarms', { topic, backupVaultName: vaultName, resourceTypes: this.backupPlan.resourceTypes, jobEvents: false });

    const drillable = classified.filter((r) => r.resourceType && DrillResourceType.supports(r.resourceType));
    if (options.drill?.disabledReason) {
      const reason = requireReason('DataProtectionDrillOptions.disabledReason', options.drill.disabledReason, 'restore drills are turned off');
      for (const r of drillable) (r.cfnResource ?? r.scope).node.addMetadata(METADATA.OVERRIDE, { prop: 'drillIntervalDays', floor: String(r.policy.drillIntervalDays), value: 'none', reason });
    } else if (drillable.length > 0) {
      this.restoreDrill = new RestoreDrill(this, 'RestoreDrill', {
        targets: drillable.map((r) => {
          // An option set to undefined keeps the stack's default rather than erasing it.
          const overrides = Object.fromEntries(Object.entries(options.drill?.targetOptions?.optionsFor(r) ?? {}).filter(([, v]) => v !== undefined)) as DrillTargetOverrides;
          if ('backupVaultName' in overrides) {
            throw new Error(`DataProtectionDrillOptions.targetOptions(${r.scope.node.path}) returned backupVaultName '${String((overrides as { backupVaultName?: unknown }).backupVaultName)}': drills restore from this stack's vault; use your own RestoreDrill for another vault`);
          }
          return DrillTarget.fromClassified(r, {
            isolation: options.drill?.isolation,
            // Restored copies are encrypted like their source: S3 with the key-account key, DynamoDB with the fallback key.
            restoreKey: restoreKeyFor(this, r),
            ...overrides,
            backupVaultName: vaultName,
          });
        }),
        evidenceKey: this.evidenceKey,
        alarmTopic: topic,
        validator: options.drill?.validator,
      });
    }

    if (this.accountWide) this.addAccountWideProtections(options.dataAccessAlarms);
  }

  /** The trail, its alarms and the Audit Manager frameworks of the account (accountWide stack only). */
  private addAccountWideProtections(dataAccessAlarms?: DataAccessAlarmsOptions): void {
    const { accounts } = this;
    this.dataAccessTrail = new DataAccessTrail(this, 'DataAccessTrail', {
      encryptionKey: this.auditKey,
      archiveBucketName: AuditNames.archiveBucketName(accounts.auditAccount, accounts.primaryRegion),
    });
    new DataAccessAlarms(this, 'DataAccessAlarms', { ...dataAccessAlarms, logGroup: this.dataAccessTrail.logGroup, topic: this.alarmTopic.topic });
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
        aliasName: 'alias/data-protection/backup-reports',
        keyAccount: this.accounts.keyAccount,
        services: [KeyConsumerService.S3],
        reason: 'Backup Audit Manager writes reports as its service-linked role, which has no KMS permissions of its own: only a key of this account whose policy names the role can encrypt them',
      }).key,
    );
  }

  /**
   * At synth, when `protect` was not called: protects the classified resources with the default
   * options. When none is classified, or a `ProtectedBackupPlan` or `RestoreDrill` of your own
   * already covers one (protection built by hand), it adds nothing to them, but the account-wide stack still gets the
   * account's trail, alarms and frameworks (they cover the other data stacks of the account too)
   * unless it has a `DataAccessTrail` of its own.
   */
  private protectAtSynth(): void {
    if (this.protectedResources) return;
    const classified = ClassifiedResources.within(this);
    const handBuilt = classified.filter((r) => controlsOf(r.scope).some((c) => c.control === CONTROLS.BACKUP_PLAN || c.control === CONTROLS.RESTORE_DRILL));
    if (classified.length > 0 && handBuilt.length === 0) {
      this.protect();
      Annotations.of(this).addInfo(
        `cdk-data-protection: protect() was not called on ${this.node.path}; its ${classified.length} classified resource(s) are protected with the default options at synth. Call this.protect(options) after classifying to configure the vault, copies, drills and alarms.`,
      );
      return;
    }
    if (handBuilt.length > 0) {
      Annotations.of(this).addInfo(
        `cdk-data-protection: protect() was not called on ${this.node.path} and your own backup plan or restore drill covers ${handBuilt.map((r) => r.scope.node.path).join(', ')}: the stack adds no vault, plan or drill (the nag pack checks what is missing).`,
      );
    }
    if (this.accountWide && !this.node.findAll().some((c) => c instanceof DataAccessTrail)) this.addAccountWideProtections();
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
    return this.memo(`key-${classification.name}`, () =>
      new CrossAccountKey(this, `${classification.name}Key`, {
        keyAccount: this.accounts.keyAccount,
        aliasName: KeyAliases.forClassification(classification),
      }).key,
    );
  }

  /** The key-account key for the evidence of restore drills. */
  public get evidenceKey(): kms.IKey {
    return this.memo('evidence', () => new CrossAccountKey(this, 'EvidenceKey', { keyAccount: this.accounts.keyAccount, aliasName: KeyAliases.EVIDENCE }).key);
  }

  /** The key-account key of this account's locked backup vault. */
  public get backupKey(): kms.IKey {
    return this.memo('backup', () => new CrossAccountKey(this, 'BackupKey', { keyAccount: this.accounts.keyAccount, aliasName: KeyAliases.BACKUP }).key);
  }

  /** The key-account key for the audit trail and its logs. */
  public get auditKey(): kms.IKey {
    return this.memo('audit', () => new CrossAccountKey(this, 'AuditKey', { keyAccount: this.accounts.keyAccount, aliasName: KeyAliases.AUDIT }).key);
  }

  /**
   * A key for DynamoDB tables of a level. DynamoDB does not document keys from other accounts,
   * so this is a `DataAccountFallbackKey`: held here, administered from the key account only.
   */
  public dynamoDbKeyFor(classification: DataClassification): kms.IKey {
    if (!classification.isAtLeast(DataClassification.INTERNAL)) {
      throw new Error(`DataAccountStack.dynamoDbKeyFor: ${classification.name} data has no CMK; use INTERNAL or above`);
    }
    return this.memo(`ddb-${classification.name}`, () =>
      new DataAccountFallbackKey(this, `DynamoDb${classification.name}Key`, {
        aliasName: `${KeyAliases.forClassification(classification)}-dynamodb`,
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
  const holder = registerPerAccountAndRegion(stack, DATA_ACCOUNT_WIDE);
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
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) || registeredPerAccountAndRegion(stack, DATA_ACCOUNT_WIDE) !== undefined) return [];
  return [
    `${stack.node.path}: no DataAccountStack of account ${stack.account} in ${stack.region} holds the account-wide protections (data-access trail and alarms, Audit Manager frameworks, job-failure and key-tamper rules): DataAccountStackProps.accountWide is false on each; set it to true on one of them, or leave it unset on the first`,
  ];
}

function restoreKeyFor(stack: DataAccountStack, r: ClassifiedResource): kms.IKey | undefined {
  if (!r.classification.isAtLeast(DataClassification.INTERNAL)) return undefined;
  switch (r.resourceType) {
    case 'AWS::S3::Bucket':
    case 'AWS::EFS::FileSystem':
    case 'AWS::EC2::Volume':
      return stack.keyFor(r.classification);
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return stack.dynamoDbKeyFor(r.classification);
    default:
      return undefined;
  }
}

import { Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { AlarmTopic } from '../keys/alarm-topic';
import { DEFAULT_KEY_ADMIN_ROLE_NAME } from '../keys/data-account-fallback-key';
import { KeyAliases } from '../keys/key-aliases';
import { KeyConsumerService } from '../keys/key-consumer-service';
import { AccountWideWatcher, claimAccountWide } from '../core/account-wide';
import { KeyTamperAlarms } from '../keys/key-tamper-alarms';
import { ProtectedKey, ProtectedKeyProps } from '../keys/protected-key';
import { ProtectedKeyReplica } from '../keys/protected-key-replica';
import { CrossAccountKey } from '../keys/cross-account-key';
import { addStackLimitsValidation } from '../core/stack-limits';
import { DataProtectionAccounts, isSingleAccount, memberOrganizationalUnitPaths, validateAccounts, warnSingleAccount } from './accounts';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { addManagementEventsTrail, managementTrailAccounts } from './management-trail';
import { ManagementEventsTrail } from '../audit/management-events-trail';
import { securityForwarding, watchAccount } from './watchers';

export interface KeyAccountStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /**
   * Principals (in the key account) that administer every key, besides the account root.
   * @default - a role named 'data-protection-key-admin' is created, assumable by the account's IAM
   */
  readonly keyAdministrators?: iam.IPrincipal[];
  /** Email addresses notified of key tampering. @default - none */
  readonly alarmEmails?: string[];
  /**
   * Why this stack creates no `ManagementEventsTrail` although the key account holds no data
   * (e.g. `'An organization trail managed by Control Tower logs this account'`). Without a trail
   * logging management events, EventBridge never sees key tampering. Shown in the report.
   * @default - a multi-region management-events trail delivering into a local Object Lock bucket
   */
  readonly existingManagementTrailReason?: string;
}

/** Services that use data keys from the data accounts. */
const DATA_SERVICES = [
  KeyConsumerService.S3,
  KeyConsumerService.BACKUP,
  KeyConsumerService.RDS,
  KeyConsumerService.EC2,
  KeyConsumerService.EFS,
  KeyConsumerService.SECRETS_MANAGER,
  KeyConsumerService.LAMBDA,
];

/**
 * The key account: one `ProtectedKey` per classification level that requires a CMK, a backup
 * key for the central vaults, an audit key for the trail and its archive, and an evidence key
 * for drill evidence, each usable by exactly the accounts and services that need it. Key
 * tampering notifies an encrypted topic; a multi-region `ManagementEventsTrail` makes EventBridge
 * see it (in the DR region too), unless the key account is also a data account.
 */
export class KeyAccountStack extends Stack {
  /** Data keys by classification name. */
  public readonly dataKeys: Record<string, ProtectedKey> = {};
  public readonly backupKey: ProtectedKey;
  public readonly auditKey: ProtectedKey;
  public readonly evidenceKey: ProtectedKey;
  public readonly alarmTopic: AlarmTopic;
  /** The account's management-events trail (undefined when another trail of the app or `existingManagementTrailReason` covers the account). */
  public readonly managementTrail?: ManagementEventsTrail;

  public constructor(scope: Construct, id: string, props: KeyAccountStackProps) {
    super(scope, id, props);
    assertSingleAwsCdkLib(this);
    validateAccounts(props.accounts, 'KeyAccountStackProps.accounts');
    const administrators = props.keyAdministrators ?? [
      new iam.Role(this, 'KeyAdminRole', {
        roleName: DEFAULT_KEY_ADMIN_ROLE_NAME,
        assumedBy: new iam.AccountRootPrincipal(),
        description: 'Administers cdk-data-protection keys; cannot use them on data',
      }),
    ];
    const multiRegion = props.accounts.drRegion !== undefined;
    const keys = new Map<string, ProtectedKey>();
    warnSingleAccount(this, props.accounts);
    for (const def of keyDefinitions(props.accounts)) {
      const key = new ProtectedKey(this, def.id, { ...def.props, administrators, multiRegion: multiRegion && def.replicate, organizationId: props.accounts.organizationId });
      def.configure?.(key);
      keys.set(def.id, key);
    }
    for (const level of DATA_LEVELS) this.dataKeys[level.name] = keys.get(`DataKey${level.name}`)!;
    this.backupKey = keys.get('BackupKey')!;
    this.auditKey = keys.get('AuditKey')!;
    this.evidenceKey = keys.get('EvidenceKey')!;

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails, forwardTo: securityForwarding(this, props.accounts) });
    watchAccount(this, props.accounts, this.alarmTopic, { backups: false });
    if (claimAccountWide(this, AccountWideWatcher.KEY_TAMPER)) new KeyTamperAlarms(this, 'KeyTamperAlarms', { topic: this.alarmTopic.topic });
    // KeyTamperAlarms hear nothing without a trail logging management events in this account.
    this.managementTrail = addManagementEventsTrail(this, props.accounts, () => this.auditKey.key, this.alarmTopic.topic, 'KeyAccountStackProps', props.existingManagementTrailReason);
  }
}

/** Levels with a key in the key account. */
const DATA_LEVELS = DataClassification.all().filter((c) => c.isAtLeast(DataClassification.INTERNAL));

interface KeyDefinition {
  readonly id: string;
  readonly props: ProtectedKeyProps;
  /** Replicated into the DR region (multi-Region key). */
  readonly replicate: boolean;
  readonly configure?: (key: ProtectedKey | ProtectedKeyReplica) => void;
}

/** The keys of the key account, shared by the primary and DR-region stacks so both grant the same. */
function keyDefinitions(accounts: DataProtectionAccounts): KeyDefinition[] {
  const { dataAccounts, backupAccount, auditAccount } = accounts;
  // Every key the data accounts use but the audit key, the accounts of memberOrganizationalUnitPaths use too (the StackSet baseline's accounts).
  const members = memberOrganizationalUnitPaths(accounts);
  const consumers = (list: string[], services: KeyConsumerService[], admitMembers = true) => ({
    accounts: [...new Set(list)],
    services,
    asConditionedAnyPrincipal: isSingleAccount(accounts),
    ...(admitMembers && members.length > 0 ? { organizationalUnitPaths: members } : {}),
  });
  return [
    ...DATA_LEVELS.map((level) => ({
      id: `DataKey${level.name}`,
      // The backup account uses data keys to copy RDS/EBS recovery points it cannot re-encrypt.
      props: { aliasName: KeyAliases.forClassification(level), consumers: consumers([...dataAccounts, backupAccount], DATA_SERVICES) },
      replicate: true,
    })),
    {
      id: 'BackupKey',
      // RDS too: AWS Backup does not encrypt RDS/Aurora copies itself (not "fully managed": "Encryption
      // for backups in AWS Backup"); RDS copies the shared snapshot into the central vault, and back into a
      // data account, with the destination vault's key, which it must name for a snapshot shared from
      // another account (RDS CopyDBClusterSnapshot / CopyDBSnapshot, KmsKeyId).
      props: { aliasName: KeyAliases.BACKUP, consumers: consumers([backupAccount, ...dataAccounts], [KeyConsumerService.BACKUP, KeyConsumerService.S3, KeyConsumerService.RDS]) },
      replicate: true,
    },
    {
      id: 'AuditKey',
      // The backup account resolves it (CrossAccountKey) and encrypts its management-events trail
      // bucket with it; the key account's own trail uses it directly.
      // Not the member OUs' accounts: they create no trail of their own (the baseline needs
      // organizationTrailReason), and the organization trail writes as the management account.
      props: { aliasName: KeyAliases.AUDIT, consumers: consumers([auditAccount, ...dataAccounts, ...managementTrailAccounts(accounts).filter((a) => a !== accounts.keyAccount)], [KeyConsumerService.S3], false) },
      replicate: false,
      configure: (key) => {
        if (key instanceof ProtectedKey) {
          key.allowCloudTrail([...dataAccounts, ...managementTrailAccounts(accounts)]);
          key.allowCloudWatchLogs(dataAccounts);
        }
      },
    },
    {
      id: 'EvidenceKey',
      props: { aliasName: KeyAliases.EVIDENCE, consumers: consumers([...dataAccounts, backupAccount], [KeyConsumerService.S3]) },
      replicate: false,
      // Restore drills encrypt their execution and function logs with the evidence key.
      configure: (key) => {
        if (key instanceof ProtectedKey) key.allowCloudWatchLogs([...dataAccounts, backupAccount]);
      },
    },
  ];
}

export interface KeyAccountReplicaStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /** @default - the 'data-protection-key-admin' role of the key account */
  readonly keyAdministrators?: iam.IPrincipal[];
  /** Email addresses notified of tampering with the replicas. @default - none */
  readonly alarmEmails?: string[];
}

/**
 * The key account in the DR region: a `ProtectedKeyReplica` of every multi-Region key (data
 * keys and the backup key) under the same alias, so the backup account's DR vault and DR
 * copies use key-account keys. Primary key ARNs are resolved from their aliases in the
 * primary region at deploy time; deploy after `KeyAccountStack`.
 */
export class KeyAccountReplicaStack extends Stack {
  public readonly replicas: Record<string, ProtectedKeyReplica> = {};
  /** Where tampering with the replicas of this region is notified. */
  public readonly alarmTopic: AlarmTopic;

  public constructor(scope: Construct, id: string, props: KeyAccountReplicaStackProps) {
    super(scope, id, props);
    assertSingleAwsCdkLib(this);
    validateAccounts(props.accounts, 'KeyAccountReplicaStackProps.accounts');
    if (!props.accounts.drRegion) throw new Error('KeyAccountReplicaStackProps.accounts.drRegion is required: the region the replicas live in, got undefined');
    const administrators = props.keyAdministrators ?? [
      new iam.ArnPrincipal(`arn:${this.partition}:iam::${props.accounts.keyAccount}:role/${DEFAULT_KEY_ADMIN_ROLE_NAME}`),
    ];
    for (const def of keyDefinitions(props.accounts).filter((d) => d.replicate)) {
      const primary = new CrossAccountKey(this, `${def.id}Primary`, {
        keyAccount: props.accounts.keyAccount,
        aliasName: def.props.aliasName,
        region: props.accounts.primaryRegion,
      });
      this.replicas[def.id] = new ProtectedKeyReplica(this, def.id, { ...def.props, administrators, primaryKeyArn: primary.keyArn, organizationId: props.accounts.organizationId });
    }
    // Replicas are disabled or scheduled for deletion in their own region: watch it too (the key
    // account's multi-region ManagementEventsTrail logs this region's management events).
    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails, forwardTo: securityForwarding(this, props.accounts) });
    watchAccount(this, props.accounts, this.alarmTopic, { backups: false });
    if (claimAccountWide(this, AccountWideWatcher.KEY_TAMPER)) new KeyTamperAlarms(this, 'KeyTamperAlarms', { topic: this.alarmTopic.topic });
    addStackLimitsValidation(this);
  }
}

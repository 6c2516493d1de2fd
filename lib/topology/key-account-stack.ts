import { Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { AlarmTopic } from '../keys/alarm-topic';
import { DEFAULT_KEY_ADMIN_ROLE_NAME } from '../keys/data-account-fallback-key';
import { KeyAliases } from '../keys/key-aliases';
import { KeyConsumerService } from '../keys/key-consumer-service';
import { KeyTamperAlarms } from '../keys/key-tamper-alarms';
import { ProtectedKey } from '../keys/protected-key';
import { DataProtectionAccounts, validateAccounts } from './accounts';

export interface KeyAccountStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /**
   * Principals (in the key account) that administer every key, besides the account root.
   * @default - a role named 'data-protection-key-admin' is created, assumable by the account's IAM
   */
  readonly keyAdministrators?: iam.IPrincipal[];
  /** Email addresses notified of key tampering. @default - none */
  readonly alarmEmails?: string[];
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
 * tampering notifies an encrypted topic.
 */
export class KeyAccountStack extends Stack {
  /** Data keys by classification name. */
  public readonly dataKeys: Record<string, ProtectedKey> = {};
  public readonly backupKey: ProtectedKey;
  public readonly auditKey: ProtectedKey;
  public readonly evidenceKey: ProtectedKey;
  public readonly alarmTopic: AlarmTopic;

  public constructor(scope: Construct, id: string, props: KeyAccountStackProps) {
    super(scope, id, props);
    validateAccounts(props.accounts, 'KeyAccountStackProps.accounts');
    const { dataAccounts, backupAccount, auditAccount } = props.accounts;
    const administrators = props.keyAdministrators ?? [
      new iam.Role(this, 'KeyAdminRole', {
        roleName: DEFAULT_KEY_ADMIN_ROLE_NAME,
        assumedBy: new iam.AccountRootPrincipal(),
        description: 'Administers cdk-data-protection keys; cannot use them on data',
      }),
    ];
    const multiRegion = props.accounts.drRegion !== undefined;

    for (const level of DataClassification.all().filter((c) => c.isAtLeast(DataClassification.INTERNAL))) {
      this.dataKeys[level.name] = new ProtectedKey(this, `DataKey${level.name}`, {
        aliasName: KeyAliases.forClassification(level),
        administrators,
        // The backup account uses data keys to copy RDS/EBS recovery points it cannot re-encrypt.
        consumers: { accounts: [...dataAccounts, backupAccount], services: DATA_SERVICES },
        multiRegion,
      });
    }
    this.backupKey = new ProtectedKey(this, 'BackupKey', {
      aliasName: KeyAliases.BACKUP,
      administrators,
      consumers: { accounts: [backupAccount, ...dataAccounts], services: [KeyConsumerService.BACKUP, KeyConsumerService.S3] },
      multiRegion,
    });
    this.auditKey = new ProtectedKey(this, 'AuditKey', {
      aliasName: KeyAliases.AUDIT,
      administrators,
      consumers: { accounts: [auditAccount, ...dataAccounts], services: [KeyConsumerService.S3] },
    });
    this.auditKey.allowCloudTrail(dataAccounts);
    this.auditKey.allowCloudWatchLogs(dataAccounts);
    this.evidenceKey = new ProtectedKey(this, 'EvidenceKey', {
      aliasName: KeyAliases.EVIDENCE,
      administrators,
      consumers: { accounts: [...dataAccounts, backupAccount], services: [KeyConsumerService.S3] },
    });

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails });
    new KeyTamperAlarms(this, 'KeyTamperAlarms', { topic: this.alarmTopic.topic });
  }
}

import { Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { addStackLimitsValidation } from '../core/stack-limits';
import { AlarmTopic } from '../keys/alarm-topic';
import { CrossAccountKey } from '../keys/cross-account-key';
import { DataAccountFallbackKey } from '../keys/data-account-fallback-key';
import { KeyAliases } from '../keys/key-aliases';
import { KeyConsumerService } from '../keys/key-consumer-service';
import { KeyTamperAlarms } from '../keys/key-tamper-alarms';
import { DataProtectionAccounts, validateAccounts } from './accounts';

export interface DataAccountStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /** Email addresses notified of alarms in this account. @default - none */
  readonly alarmEmails?: string[];
}

/**
 * A data account: classified resources encrypted with keys held in the key account. Add your
 * resources to this stack (or a subclass), encrypt them with `keyFor` / `dynamoDbKeyFor`, and
 * `classify` them.
 */
export class DataAccountStack extends Stack {
  public readonly accounts: DataProtectionAccounts;
  /** Alarms of this account (backup failures, data access, drills, key tampering). */
  public readonly alarmTopic: AlarmTopic;
  private readonly keys = new Map<string, kms.IKey>();

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);
    validateAccounts(props.accounts, 'DataAccountStackProps.accounts');
    this.accounts = props.accounts;
    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails });
    new KeyTamperAlarms(this, 'KeyTamperAlarms', { topic: this.alarmTopic.topic });
    addStackLimitsValidation(this);
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

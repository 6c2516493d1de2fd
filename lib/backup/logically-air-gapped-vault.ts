import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ram from 'aws-cdk-lib/aws-ram';
import { Construct } from 'constructs';
import { METADATA } from '../core/constants';
import { requireLiteral, requireReason, validateAccountId, validateInteger, validateRange, warnIrreversible } from '../core/validation';
import { BackupVaultTarget, lockedVaultAccessPolicy } from './immutable-backup-vault';

/**
 * Limits of logically air-gapped vaults. MinRetentionDays "The minimum value accepted is 7 days"
 * (AWS::Backup::LogicallyAirGappedBackupVault, CloudFormation User Guide:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-backup-logicallyairgappedbackupvault.html);
 * the maximum is Vault Lock's (36,500 days, https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html).
 */
export const AIR_GAPPED_VAULT_LIMITS = {
  /** Shortest minimum retention, days. */
  MIN_RETENTION_DAYS: 7,
  /** Longest maximum retention, days. */
  MAX_RETENTION_DAYS: 36500,
} as const;

/**
 * CloudFormation types of the library whose recovery points AWS Backup copies into a logically
 * air-gapped vault ("See Feature availability by resource for resource types you can copy to a
 * logically air-gapped vault", Logically air-gapped vault, AWS Backup Developer Guide:
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html, and
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html#features-by-resource;
 * AWS Config has a managed "<type>-resources-in-logically-air-gapped-vault" rule for each, e.g.
 * https://docs.aws.amazon.com/config/latest/developerguide/aurora-resources-in-logically-air-gapped-vault.html,
 * .../ebs-resources-in-logically-air-gapped-vault.html, .../efs-resources-in-logically-air-gapped-vault.html).
 * DynamoDB is not listed: a plan copying DynamoDB recovery points into the vault is a synth error.
 */
export const AIR_GAPPED_COPY_TYPES: readonly string[] = ['AWS::S3::Bucket', 'AWS::EFS::FileSystem', 'AWS::EC2::Volume', 'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'];

/** Name of the backup account's logically air-gapped vault by default, in every region: data accounts build its ARN from it. */
export const AIR_GAPPED_VAULT_NAME = 'data-protection-air-gapped';

export interface LogicallyAirGappedVaultProps {
  /** Vault name (2–50 of `[a-zA-Z0-9_-]`), deterministic so other accounts can build its ARN. */
  readonly backupVaultName: string;
  /**
   * Shortest retention a recovery point may have (7–36,500 days): the vault's built-in
   * compliance lock fails every copy with a shorter one.
   * @default Duration.days(7)
   */
  readonly minRetention?: Duration;
  /**
   * Longest retention a recovery point may have (above minRetention, at most 36,500 days).
   * @default Duration.days(3650)
   */
  readonly maxRetention?: Duration;
  /**
   * Customer managed key of the vault (`EncryptionKeyArn`): a key ARN, never an alias.
   * @default - an AWS owned key, created by AWS Backup
   */
  readonly encryptionKey?: kms.IKey;
  /** Role that alone may delete recovery points or the vault. @default 'data-protection-break-glass' */
  readonly breakGlassRoleName?: string;
  /** Roles that may still update the access policy and notifications. @default - the CDK bootstrap CloudFormation execution role */
  readonly deploymentRoleArns?: string[];
  /** Accounts allowed to copy recovery points into this vault (`backup:CopyIntoBackupVault`). @default - none */
  readonly copySourceAccounts?: string[];
  /**
   * Restrict copy sources to this AWS Organization (`aws:PrincipalOrgID`); required when
   * `copySourceAccounts` names another account (as for `ImmutableBackupVaultProps`).
   * @default - none: accepted only for placeholder account ids or copies from this account
   */
  readonly copySourceOrganizationId?: string;
  /**
   * AWS Organizations entity paths (`o-…/r-…/ou-…/*`) whose accounts may copy into this vault too
   * (as for `ImmutableBackupVaultProps`): literal entity paths (a token is a synth error) starting with `copySourceOrganizationId`, which is required.
   * @default - the `copySourceAccounts` only
   */
  readonly copySourceOrganizationalUnitPaths?: string[];
  /**
   * Account the vault is shared with through AWS RAM, which restores from it when this account
   * (or the data account) is lost.
   * @default - not shared
   */
  readonly recoveryAccount?: string;
  /**
   * Why the RAM share may reach a recovery account outside the organization
   * (`AllowExternalPrincipals`). Recorded as an override and shown in the report.
   * @default - the share is limited to the organization
   */
  readonly externalRecoveryAccountReason?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An AWS Backup logically air-gapped vault (`AWS::Backup::LogicallyAirGappedBackupVault`): its
 * recovery points live in an AWS Backup service-owned account under a compliance-mode Vault Lock
 * that no one can remove, encrypted with an AWS owned key or a customer managed key, and it can
 * be shared through AWS RAM with a recovery account (also of another organization) that restores
 * from it ("Logically air-gapped vault", AWS Backup Developer Guide:
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html).
 *
 * Its access policy is `ImmutableBackupVault`'s: destructive actions for the break-glass role
 * only, and copies in from the given accounts of the organization.
 *
 * **Irreversible:** the lock is compliance mode from creation; recovery points cannot be deleted
 * before `minRetention`, and the vault cannot be deleted while it holds any.
 */
export class LogicallyAirGappedVault extends Construct {
  /** The vault. */
  public readonly vault: backup.CfnLogicallyAirGappedBackupVault;
  /** The vault name. */
  public readonly backupVaultName: string;
  /** The vault ARN. */
  public readonly backupVaultArn: string;
  /** The lock's minimum retention, days. */
  public readonly minRetentionDays: number;
  /** The lock's maximum retention, days. */
  public readonly maxRetentionDays: number;
  /** The RAM share with the recovery account (undefined without `recoveryAccount`). */
  public readonly share?: ram.CfnResourceShare;

  public constructor(scope: Construct, id: string, props: LogicallyAirGappedVaultProps) {
    super(scope, id);
    const P = 'LogicallyAirGappedVaultProps';
    const name = props.backupVaultName;
    if (name === undefined) throw new Error(`${P}.backupVaultName is required: other accounts build the vault ARN from it, got undefined`);
    if (!Token.isUnresolved(name)) {
      // BackupVaultName pattern ^[a-zA-Z0-9\-\_]{2,50}$ (CloudFormation User Guide, above).
      if (!/^[a-zA-Z0-9_-]{2,50}$/.test(name)) throw new Error(`${P}.backupVaultName must be 2-50 characters of [a-zA-Z0-9_-], got '${name}'`);
    }
    const why = 'backup plans compare their copy retention with the vault lock at synth (AWS Backup fails every copy outside it)';
    requireLiteral(`${P}.minRetention`, props.minRetention, why);
    requireLiteral(`${P}.maxRetention`, props.maxRetention, why);
    this.minRetentionDays = props.minRetention?.toDays() ?? AIR_GAPPED_VAULT_LIMITS.MIN_RETENTION_DAYS;
    this.maxRetentionDays = props.maxRetention?.toDays() ?? 3650;
    validateInteger(`${P}.minRetention`, this.minRetentionDays);
    validateInteger(`${P}.maxRetention`, this.maxRetentionDays);
    validateRange(`${P}.minRetention`, this.minRetentionDays, AIR_GAPPED_VAULT_LIMITS.MIN_RETENTION_DAYS, AIR_GAPPED_VAULT_LIMITS.MAX_RETENTION_DAYS, 'days');
    validateRange(`${P}.maxRetention`, this.maxRetentionDays, AIR_GAPPED_VAULT_LIMITS.MIN_RETENTION_DAYS, AIR_GAPPED_VAULT_LIMITS.MAX_RETENTION_DAYS, 'days');
    if (this.minRetentionDays >= this.maxRetentionDays) {
      throw new Error(`${P}.minRetention (${this.minRetentionDays} days) must be less than maxRetention (${this.maxRetentionDays} days); allowed: 7 <= minRetention < maxRetention <= 36500 days`);
    }
    const keyArn = props.encryptionKey?.keyArn;
    // EncryptionKeyArn takes a key ARN (e.g. arn:aws:kms:us-west-2:111122223333:key/1234abcd-...), CloudFormation User Guide above.
    if (keyArn !== undefined && !Token.isUnresolved(keyArn) && !/^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(keyArn)) {
      throw new Error(`${P}.encryptionKey must be a customer managed key given by its key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), got '${keyArn}'`);
    }
    if (props.recoveryAccount !== undefined) validateAccountId(`${P}.recoveryAccount`, props.recoveryAccount);
    if (props.externalRecoveryAccountReason !== undefined && props.recoveryAccount === undefined) {
      throw new Error(`${P}.externalRecoveryAccountReason applies to the RAM share with recoveryAccount, got a reason and no recoveryAccount`);
    }

    const accessPolicy = lockedVaultAccessPolicy(this, P, props);
    this.vault = new backup.CfnLogicallyAirGappedBackupVault(this, 'Vault', {
      backupVaultName: name,
      minRetentionDays: this.minRetentionDays,
      maxRetentionDays: this.maxRetentionDays,
      encryptionKeyArn: keyArn,
      accessPolicy: accessPolicy.toJSON(),
    });
    this.vault.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.backupVaultName = name;
    this.backupVaultArn = this.vault.attrBackupVaultArn;
    warnIrreversible(
      this,
      `Logically air-gapped vault ${name}: its compliance lock (min ${this.minRetentionDays}, max ${this.maxRetentionDays} days) applies from creation and can never be removed or loosened; recovery points cannot be deleted before their minimum retention.`,
    );

    if (props.recoveryAccount !== undefined) {
      // A logically air-gapped vault is shared through AWS RAM with other accounts, also of other
      // organizations, which restore from it ("Share a logically air-gapped vault",
      // https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html).
      const external = props.externalRecoveryAccountReason !== undefined;
      if (external) {
        const reason = requireReason(`${P}.externalRecoveryAccountReason`, props.externalRecoveryAccountReason, 'the vault is shared outside the organization');
        this.node.addMetadata(METADATA.OVERRIDE, { prop: `${P}.externalRecoveryAccountReason`, floor: 'RAM share inside the organization', value: 'AllowExternalPrincipals', reason });
      }
      this.share = new ram.CfnResourceShare(this, 'Share', {
        name: `${name}-recovery`,
        resourceArns: [this.backupVaultArn],
        principals: [props.recoveryAccount],
        allowExternalPrincipals: external,
      });
    }
  }

  /** This vault as a copy destination (name, account, region and lock range). */
  public get target(): BackupVaultTarget {
    const stack = Stack.of(this);
    return { backupVaultName: this.backupVaultName, account: stack.account, region: stack.region, minRetentionDays: this.minRetentionDays, maxRetentionDays: this.maxRetentionDays };
  }
}

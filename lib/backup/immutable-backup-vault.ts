import { Aws, Duration, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import { breakGlassRoleArn, defaultDeploymentRoleArn, denyAllBut } from '../core/break-glass';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LOCKED_VAULT_TAG, METADATA } from '../core/constants';
import { CONTROLS, recordControl } from '../core/controls';
import { durationIn, requireLiteral, requireReason, validateAccountId, validateInteger, validateOrganizationId, validateRange, warnIrreversible } from '../core/validation';
import { DEFAULT_BREAK_GLASS_ROLE_NAME } from '../keys/protected-key';
import { validateEntityPaths } from '../topology/accounts';

/** Vault Lock limits enforced by AWS Backup. */
export const VAULT_LOCK_LIMITS = {
  /** Shortest minimum retention, days. */
  MIN_RETENTION_DAYS: 1,
  /** Longest maximum retention, days. */
  MAX_RETENTION_DAYS: 36500,
  /** Shortest grace time before a compliance lock becomes immutable, days (72 hours). */
  MIN_CHANGEABLE_FOR_DAYS: 3,
} as const;

/** Actions on a vault or its recovery points that destroy or shorten backups: break-glass only. */
export const VAULT_DESTRUCTIVE_ACTIONS = [
  'backup:DeleteBackupVault',
  'backup:DeleteBackupVaultAccessPolicy',
  'backup:DeleteBackupVaultLockConfiguration',
  'backup:DeleteBackupVaultNotifications',
  'backup:DeleteRecoveryPoint',
  'backup:DisassociateRecoveryPoint',
  'backup:UpdateRecoveryPointLifecycle',
];

/** Actions that change a vault's protection: break-glass and the deployment roles only. */
export const VAULT_POLICY_ACTIONS = ['backup:PutBackupVaultAccessPolicy', 'backup:PutBackupVaultLockConfiguration', 'backup:PutBackupVaultNotifications'];

/** Vault Lock mode. Enum-like class, so that GOVERNANCE has to be chosen by name. */
export class VaultLockMode {
  /**
   * After the `changeableFor` grace time nobody (root, AWS included) can remove the lock,
   * shorten retention or delete a recovery point before its minimum retention. Irreversible.
   */
  public static readonly COMPLIANCE = new VaultLockMode('COMPLIANCE');
  /** The lock can be removed by principals with `backup:DeleteBackupVaultLockConfiguration`: for trials only. */
  public static readonly GOVERNANCE = new VaultLockMode('GOVERNANCE');
  private constructor(public readonly mode: string) {}
}

/**
 * A backup vault addressed by name, account and region: the destination of copy actions.
 * Plain values (no tokens), so stacks in other accounts can build its ARN.
 */
export interface BackupVaultTarget {
  /** The vault's name (deterministic). */
  readonly backupVaultName: string;
  /** The 12-digit account that holds it. */
  readonly account: string;
  /** Its region. */
  readonly region: string;
  /** Vault Lock minimum retention, days. @default - no lock: no minimum */
  readonly minRetentionDays?: number;
  /** Vault Lock maximum retention, days. @default - no maximum */
  readonly maxRetentionDays?: number;
}

/** The ARN of a vault target, built without cross-stack references. */
export function backupVaultArn(target: BackupVaultTarget): string {
  return `arn:${Aws.PARTITION}:backup:${target.region}:${target.account}:backup-vault:${target.backupVaultName}`;
}

/** Who may touch a locked vault: the inputs of `lockedVaultAccessPolicy`. */
export interface LockedVaultAccess {
  /** Role (in the vault's account) that alone may run `VAULT_DESTRUCTIVE_ACTIONS`. @default 'data-protection-break-glass' */
  readonly breakGlassRoleName?: string;
  /** Roles that may still run `VAULT_POLICY_ACTIONS`. @default - the CDK bootstrap CloudFormation execution role */
  readonly deploymentRoleArns?: string[];
  /** Accounts allowed `backup:CopyIntoBackupVault`. @default - none */
  readonly copySourceAccounts?: string[];
  /** `aws:PrincipalOrgID` the copy sources must belong to (required for other accounts). @default - none */
  readonly copySourceOrganizationId?: string;
  /** AWS Organizations entity paths whose accounts may copy in too (`aws:PrincipalOrgPaths`). @default - none */
  readonly copySourceOrganizationalUnitPaths?: string[];
}

/**
 * The access policy of a locked vault (standard or logically air-gapped): destructive actions
 * for the break-glass role only, policy changes for it and the deployment roles, and copies in
 * from `copySourceAccounts` (inside `copySourceOrganizationId`). Validates the accounts and the
 * organization id, naming `propsName` in its errors.
 */
export function lockedVaultAccessPolicy(scope: Construct, propsName: string, access: LockedVaultAccess): iam.PolicyDocument {
  const stack = Stack.of(scope);
  for (const [i, a] of (access.copySourceAccounts ?? []).entries()) validateAccountId(`${propsName}.copySourceAccounts[${i}]`, a);
  const otherSources = (access.copySourceAccounts ?? []).filter((a) => Token.isUnresolved(stack.account) || a !== stack.account);
  if (otherSources.length > 0) {
    validateOrganizationId(`${propsName}.copySourceOrganizationId`, access.copySourceOrganizationId, [...otherSources, stack.account]);
  }
  const breakGlassArn = breakGlassRoleArn(stack, access.breakGlassRoleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME);
  const deployers = access.deploymentRoleArns ?? [defaultDeploymentRoleArn()];
  const policy = new iam.PolicyDocument({
    statements: [
      denyAllBut('DenyRecoveryPointDeletionExceptBreakGlass', VAULT_DESTRUCTIVE_ACTIONS, [breakGlassArn]),
      denyAllBut('DenyVaultPolicyChangesExceptBreakGlassAndDeployment', VAULT_POLICY_ACTIONS, [breakGlassArn, ...deployers]),
    ],
  });
  const sources = access.copySourceAccounts ?? [];
  if (sources.length > 0) {
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'AllowCopyIntoVaultFromSourceAccounts',
        principals: sources.map((a) => new iam.AccountPrincipal(a)),
        actions: ['backup:CopyIntoBackupVault'],
        resources: ['*'],
        conditions: access.copySourceOrganizationId ? { StringEquals: { 'aws:PrincipalOrgID': access.copySourceOrganizationId } } : undefined,
      }),
    );
  }
  const paths = access.copySourceOrganizationalUnitPaths ?? [];
  if (paths.length > 0) {
    validateOrganizationId(`${propsName}.copySourceOrganizationId`, access.copySourceOrganizationId, [stack.account]);
    if (access.copySourceOrganizationId === undefined) {
      throw new Error(`${propsName}.copySourceOrganizationalUnitPaths needs ${propsName}.copySourceOrganizationId: AWS Backup copies between accounts of one organization only, got no organization id`);
    }
    // Literal entity paths of that organization, validated as the layout's (a token is refused: the vault's reach must be reviewable).
    validateEntityPaths(`${propsName}.copySourceOrganizationalUnitPaths`, paths, access.copySourceOrganizationId, `${propsName}.copySourceOrganizationId`);
    // Accounts of OUs, whatever their ids: principal '*' only with aws:PrincipalOrgPaths (and the
    // organization id), the vault access policy AWS documents for an OU ("Resolve the Access Denied
    // error in AWS Backup cross-account copies", AWS re:Post Knowledge Center,
    // https://repost.aws/knowledge-center/backup-resolve-access-denied-error; "AWS global condition
    // context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'AllowCopyIntoVaultFromOrganizationalUnits',
        principals: [new iam.AnyPrincipal()],
        actions: ['backup:CopyIntoBackupVault'],
        resources: ['*'],
        conditions: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': paths }, 'StringEquals': { 'aws:PrincipalOrgID': access.copySourceOrganizationId } },
      }),
    );
  }
  return policy;
}

export interface ImmutableBackupVaultProps {
  /**
   * Customer managed key that encrypts the recovery points. Required: a vault with an AWS
   * managed key cannot receive cross-account copies of RDS/EBS, and its key is not ours to keep.
   * Pass a key ARN (e.g. `CrossAccountKey.key`), never an alias.
   */
  readonly encryptionKey: kms.IKey;
  /**
   * Vault name (2–50 of `[a-zA-Z0-9_-]`). Deterministic, so other accounts can build its ARN.
   * @default - unique name derived from the construct path
   */
  readonly backupVaultName?: string;
  /**
   * Shortest retention a recovery point may have (1–36,500 days). Jobs with shorter retention fail.
   * @default Duration.days(7)
   */
  readonly minRetention?: Duration;
  /**
   * Longest retention a recovery point may have (above minRetention, at most 36,500 days). Jobs with longer
   * retention, or none, fail.
   * @default Duration.days(3650)
   */
  readonly maxRetention?: Duration;
  /**
   * Grace time during which a COMPLIANCE lock can still be removed (at least 3 days). After it the
   * lock is irreversible.
   * @default Duration.days(3)
   */
  readonly changeableFor?: Duration;
  /**
   * Lock mode. COMPLIANCE is irreversible once `changeableFor` has passed.
   * @default VaultLockMode.COMPLIANCE
   */
  readonly mode?: VaultLockMode;
  /** Required with GOVERNANCE mode: why the lock may be removed (recorded as an override, shown in the report). */
  readonly governanceReason?: string;
  /**
   * Role (in this account) that alone may delete recovery points, change their lifecycle or
   * delete the vault or its lock.
   * @default 'data-protection-break-glass'
   */
  readonly breakGlassRoleName?: string;
  /**
   * Roles that may still update the access policy, lock and notifications (CloudFormation
   * updates of this vault). They never get the destructive actions.
   * @default - the CDK bootstrap CloudFormation execution role of this account and region
   */
  readonly deploymentRoleArns?: string[];
  /**
   * Accounts allowed to copy recovery points into this vault (`backup:CopyIntoBackupVault`).
   * @default - none
   */
  readonly copySourceAccounts?: string[];
  /**
   * Restrict copy sources to this AWS Organization (`aws:PrincipalOrgID`) as well. Required when
   * `copySourceAccounts` names another account (AWS Backup copies across accounts only inside one
   * organization); a malformed or placeholder (`o-exampleorg1`) id is a synth error unless every
   * account is a placeholder id (eleven equal leading digits, e.g. `111111111111`).
   * @default - none: accepted only for placeholder account ids or copies from this account
   */
  readonly copySourceOrganizationId?: string;
  /**
   * AWS Organizations entity paths (`o-…/r-…/ou-…/*`) whose accounts may copy into this vault too,
   * whatever their ids (principal `*` narrowed by `aws:PrincipalOrgPaths` and
   * `aws:PrincipalOrgID`). Each must be a literal entity path (`o-…/r-…/ou-…/…/` or ending in
   * `/*`, a nested OU with its full path; a token is a synth error) starting with
   * `copySourceOrganizationId`, which is required, as `DataProtectionAccounts.memberOrganizationalUnitPaths`.
   * @default - the `copySourceAccounts` only
   */
  readonly copySourceOrganizationalUnitPaths?: string[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An AWS Backup vault nobody can empty: Vault Lock in COMPLIANCE mode (min/max retention,
 * irreversible after `changeableFor`), a customer managed key, and an access policy denying
 * deletion of recovery points, lifecycle changes, vault and lock deletion to everyone but a
 * break-glass role.
 *
 * **Irreversible:** once the `changeableFor` window (3 days by default) has passed, a
 * COMPLIANCE lock can never be removed or loosened, not even by AWS, and the vault cannot be
 * deleted while it holds recovery points. `cdk synth` warns about it every time.
 */
export class ImmutableBackupVault extends Construct {
  /** The vault. */
  public readonly vault: backup.BackupVault;
  /** The vault name (a literal when `backupVaultName` was given). */
  public readonly backupVaultName: string;
  /** The vault ARN. */
  public readonly backupVaultArn: string;
  /** The lock's minimum retention, days. */
  public readonly minRetentionDays: number;
  /** The lock's maximum retention, days. */
  public readonly maxRetentionDays: number;
  /** The lock mode. */
  public readonly mode: VaultLockMode;

  public constructor(scope: Construct, id: string, props: ImmutableBackupVaultProps) {
    super(scope, id);
    if (!props.encryptionKey) {
      throw new Error('ImmutableBackupVaultProps.encryptionKey is required: recovery points are encrypted with a customer managed key, got undefined');
    }
    const name = props.backupVaultName;
    if (name !== undefined && !Token.isUnresolved(name)) {
      if (!/^[a-zA-Z0-9_-]{2,50}$/.test(name)) {
        throw new Error(`ImmutableBackupVaultProps.backupVaultName must be 2-50 characters of [a-zA-Z0-9_-], got '${name}'`);
      }
      if (name.toLowerCase() === 'default') {
        throw new Error("ImmutableBackupVaultProps.backupVaultName must not be 'Default': the default vault cannot be locked or receive cross-account copies");
      }
    }
    // Backup plans compare their retention with the lock at synth: a job outside it fails at run time.
    const comparedWithPlans = 'backup plans compare their retention with the vault lock at synth (AWS Backup fails every job outside it)';
    requireLiteral('ImmutableBackupVaultProps.minRetention', props.minRetention, comparedWithPlans);
    requireLiteral('ImmutableBackupVaultProps.maxRetention', props.maxRetention, comparedWithPlans);
    this.minRetentionDays = props.minRetention?.toDays() ?? 7;
    this.maxRetentionDays = props.maxRetention?.toDays() ?? 3650;
    const changeableForDays = props.changeableFor ? durationIn('ImmutableBackupVaultProps.changeableFor', props.changeableFor, 'days') : VAULT_LOCK_LIMITS.MIN_CHANGEABLE_FOR_DAYS;
    validateInteger('ImmutableBackupVaultProps.minRetention', this.minRetentionDays);
    validateRange('ImmutableBackupVaultProps.minRetention', this.minRetentionDays, VAULT_LOCK_LIMITS.MIN_RETENTION_DAYS, VAULT_LOCK_LIMITS.MAX_RETENTION_DAYS, 'days');
    validateRange('ImmutableBackupVaultProps.maxRetention', this.maxRetentionDays, VAULT_LOCK_LIMITS.MIN_RETENTION_DAYS, VAULT_LOCK_LIMITS.MAX_RETENTION_DAYS, 'days');
    if (this.minRetentionDays >= this.maxRetentionDays) {
      throw new Error(
        `ImmutableBackupVaultProps.minRetention (${this.minRetentionDays} days) must be less than maxRetention (${this.maxRetentionDays} days); allowed: 1 <= minRetention < maxRetention <= 36500 days`,
      );
    }
    this.mode = props.mode ?? VaultLockMode.COMPLIANCE;
    if (this.mode === VaultLockMode.COMPLIANCE) {
      validateRange('ImmutableBackupVaultProps.changeableFor', changeableForDays, VAULT_LOCK_LIMITS.MIN_CHANGEABLE_FOR_DAYS, 36500, 'days');
    } else if (props.changeableFor !== undefined) {
      throw new Error('ImmutableBackupVaultProps.changeableFor applies to COMPLIANCE mode only; GOVERNANCE mode has no grace time, got a value with mode GOVERNANCE');
    }
    const accessPolicy = lockedVaultAccessPolicy(this, 'ImmutableBackupVaultProps', props);

    if (this.mode === VaultLockMode.GOVERNANCE) {
      const reason = requireReason('ImmutableBackupVaultProps.governanceReason', props.governanceReason, 'GOVERNANCE mode lets privileged users remove the vault lock');
      this.node.addMetadata(METADATA.OVERRIDE, { prop: 'ImmutableBackupVaultProps.mode', floor: 'COMPLIANCE', value: 'GOVERNANCE', reason });
    } else {
      warnIrreversible(
        this,
        `Vault Lock COMPLIANCE on ${name ?? this.node.path}: ${Token.isUnresolved(changeableForDays) ? 'changeableFor (a deploy-time value)' : `${changeableForDays} days`} after deployment the lock (min ${this.minRetentionDays}, max ${this.maxRetentionDays} days) can never be removed or loosened, and recovery points cannot be deleted before their minimum retention.`,
      );
    }

    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: name,
      encryptionKey: props.encryptionKey,
      accessPolicy,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lockConfiguration: {
        minRetention: Duration.days(this.minRetentionDays),
        maxRetention: Duration.days(this.maxRetentionDays),
        changeableFor: this.mode === VaultLockMode.COMPLIANCE ? Duration.days(changeableForDays) : undefined,
      },
    });
    // BackupCompliance scopes "Vaults prevent manual deletion of recovery points" to this tag.
    Tags.of(this.vault).add(LOCKED_VAULT_TAG, 'true');
    this.backupVaultName = name ?? this.vault.backupVaultName;
    this.backupVaultArn = this.vault.backupVaultArn;
    recordControl(this.vault, CONTROLS.VAULT_LOCK, {
      mode: this.mode.mode,
      minRetentionDays: this.minRetentionDays,
      maxRetentionDays: this.maxRetentionDays,
      changeableForDays: this.mode === VaultLockMode.COMPLIANCE && !Token.isUnresolved(changeableForDays) ? changeableForDays : undefined,
      breakGlassRoleName: props.breakGlassRoleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME,
    });
  }

  /**
   * This vault as a copy destination (name, account, region and lock range).
   * @throws when the vault has no literal name: other accounts could not build its ARN
   */
  public get target(): BackupVaultTarget {
    const stack = Stack.of(this);
    if (Token.isUnresolved(this.backupVaultName)) {
      throw new Error(`ImmutableBackupVault ${this.node.path}: set backupVaultName to use the vault as a copy destination (its ARN must be buildable without cross-stack references)`);
    }
    return {
      backupVaultName: this.backupVaultName,
      account: stack.account,
      region: stack.region,
      minRetentionDays: this.minRetentionDays,
      maxRetentionDays: this.maxRetentionDays,
    };
  }
}

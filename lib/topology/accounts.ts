import { Annotations, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { METADATA } from '../core/constants';
import { isPlaceholderAccount, requireReason, validateAccountId, validateOrganizationId } from '../core/validation';
import { layoutFromContext } from '../core/account-context';

/** The four-account layout: keys, data, backup copies, audit logs. */
export interface DataProtectionAccounts {
  /** Holds the KMS keys. */
  readonly keyAccount: string;
  /** Hold the classified data. */
  readonly dataAccounts: string[];
  /** Holds the locked central backup vault that receives copies. */
  readonly backupAccount: string;
  /** Holds the immutable audit-log archive. */
  readonly auditAccount: string;
  /**
   * Where the break-glass identities live: IAM users with MFA allowed to assume the
   * `data-protection-break-glass` role the library creates in every account of the layout (the
   * one principal its Denies exempt). Not a data account. Required with real account ids; with
   * placeholder ids (eleven equal leading digits) the roles are left out with a warning.
   * @default - none: accepted only with placeholder account ids
   */
  readonly identityAccount?: string;
  /** Region of the data. */
  readonly primaryRegion: string;
  /** Disaster-recovery region for second copies of HIGHLY_SENSITIVE data. @default - none */
  readonly drRegion?: string;
  /**
   * AWS Organization id (`o-` and 10-32 lowercase letters or digits). Required, because the data
   * accounts copy backups into the backup account and AWS Backup copies across accounts only
   * inside one organization; a missing or placeholder (`o-exampleorg1`) id is a synth error
   * unless every account id is a placeholder (eleven equal leading digits, e.g. `111111111111`).
   * @default - none: accepted only with placeholder account ids or in single-account mode
   */
  readonly organizationId?: string;
  /**
   * AWS Organizations entity paths of the organizational units whose accounts are data accounts
   * too, without being listed in `dataAccounts`: the accounts a `DataProtectionStackSet` deploys
   * the `DataAccountBaselineStack` into, accounts created there later included. Each path is
   * `<organizationId>/<root id>/<ou id>/…/` (accounts directly in the last OU) or ends in `/*` (that
   * OU and every child OU, the form a StackSet target needs), and starts with `organizationId`
   * ("Understand the AWS Organizations entity path", IAM User Guide,
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed-view-data-orgs.html#access_policies_last-accessed-viewing-orgs-entity-path).
   * A literal is required (a token is a synth error: the policy's reach must be reviewable).
   *
   * A nested OU needs its full path, every parent OU from the root down
   * (`o-…/r-ab12/ou-ab12-parent/ou-ab12-child/*`): `aws:PrincipalOrgPaths` compares the whole path.
   * The synth check only sees the form and the last OU id (a `DataProtectionStackSet` target must
   * be the last OU of some path): a wrong or missing parent OU passes synth but matches no account
   * at run time, so the keys, vaults and bus would refuse the members. Copy each path from the
   * Organizations console or `aws organizations list-parents`.
   *
   * The fixed accounts then also admit principals of those accounts, with principal `*` narrowed
   * by `aws:PrincipalOrgPaths` and `aws:PrincipalOrgID` ("AWS global condition context keys", IAM User Guide,
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths):
   * the key account's data, backup and evidence keys (through the same services, `kms:ViaService`, and `kms:DescribeKey` for
   * the alias lookup), the backup account's central vaults (`backup:CopyIntoBackupVault`) and the
   * audit account's security event bus (`events:PutEvents`). Not the audit key (the members create
   * no trail of their own; the organization trail writes as the management account), the audit archive, nor CloudTrail
   * and CloudWatch Logs encryption with the audit and evidence keys: those grants name each trail
   * and log group by account (`aws:SourceArn`, `kms:EncryptionContext:aws:logs:arn`); the
   * organization trail (`AuditAccountStackProps.organizationTrail`) records the members' data events.
   * @default - only the accounts listed in `dataAccounts`
   */
  readonly memberOrganizationalUnitPaths?: string[];
  /**
   * Evaluation only: allow the key, backup and audit accounts to be the data account. Does NOT
   * meet seed 000's separation of keys, backups and logs from the data; every stack warns at
   * synth and the report lists the reason.
   * @default - separate accounts are required
   */
  readonly singleAccountReason?: string;
}

/** True when the layout is the single-account evaluation mode. */
export function isSingleAccount(accounts: DataProtectionAccounts): boolean {
  return accounts.singleAccountReason !== undefined;
}

/**
 * Marks a stack of a single-account layout: a synth warning and an override record for the report.
 */
export function warnSingleAccount(stack: Stack, accounts: DataProtectionAccounts): void {
  if (!isSingleAccount(accounts)) return;
  Annotations.of(stack).addWarningV2(
    'cdk-data-protection:single-account',
    'SINGLE-ACCOUNT EVALUATION MODE: keys, backup copies and audit logs live in the data account. This does not meet the key/data separation ' +
      'of the data-protection checklist: an administrator of this account can reach the data, its keys, its backups and its audit trail. Do not use for production data.',
  );
  stack.node.addMetadata(METADATA.OVERRIDE, { prop: 'DataProtectionAccounts.singleAccountReason', floor: 'separate key/backup/audit accounts', value: 'single account', reason: accounts.singleAccountReason });
}

/**
 * Validates the layout: every id is a 12-digit account, data accounts are listed, and the key,
 * backup and audit accounts are separate from the data accounts (seed 000: keys stored next
 * to the data protect nothing).
 */
export function validateAccounts(accounts: DataProtectionAccounts, prop = 'DataProtectionAccounts', organizationIdProp = `${prop}.organizationId`): void {
  validateAccountId(`${prop}.keyAccount`, accounts.keyAccount);
  validateAccountId(`${prop}.backupAccount`, accounts.backupAccount);
  validateAccountId(`${prop}.auditAccount`, accounts.auditAccount);
  if (accounts.dataAccounts.length === 0) throw new Error(`${prop}.dataAccounts must list at least one account id, got []`);
  accounts.dataAccounts.forEach((a, i) => validateAccountId(`${prop}.dataAccounts[${i}]`, a));
  if (accounts.singleAccountReason !== undefined) {
    requireReason(`${prop}.singleAccountReason`, accounts.singleAccountReason, 'single-account mode drops the separation of keys, backups and logs from the data');
    validateIdentityAccount(accounts, prop);
    return;
  }
  for (const role of ['keyAccount', 'backupAccount', 'auditAccount'] as const) {
    const id = accounts[role];
    if (!Token.isUnresolved(id) && accounts.dataAccounts.includes(id)) {
      throw new Error(`${prop}.${role} (${id}) must not be one of the dataAccounts: keys, backup copies and audit logs live apart from the data they protect`);
    }
  }
  if (!Token.isUnresolved(accounts.keyAccount) && accounts.keyAccount === accounts.backupAccount) {
    throw new Error(`${prop}.backupAccount (${accounts.backupAccount}) must differ from keyAccount: a backup must survive the loss of the key account's administrators`);
  }
  // The data accounts copy into the backup account: cross-account copies need the organization.
  validateOrganizationId(organizationIdProp, accounts.organizationId, [accounts.keyAccount, accounts.backupAccount, accounts.auditAccount, ...accounts.dataAccounts]);
  validateIdentityAccount(accounts, prop);
  memberOrganizationalUnitPaths(accounts, prop);
}

/** An entity path: organization, root, OUs, then `/` (accounts directly in the last entity) or `/*` (and every child OU). */
const ENTITY_PATH_PATTERN = /^(o-[a-z0-9]{10,32})\/(r-[0-9a-z]{4,32})\/((?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}\/)*)(\*?)$/;

/**
 * The validated `memberOrganizationalUnitPaths` of a layout (empty when unset); see
 * `validateEntityPaths`.
 */
export function memberOrganizationalUnitPaths(accounts: DataProtectionAccounts, prop = 'DataProtectionAccounts'): string[] {
  const paths = accounts.memberOrganizationalUnitPaths;
  if (paths === undefined) return [];
  return validateEntityPaths(`${prop}.memberOrganizationalUnitPaths`, paths, accounts.organizationId, `${prop}.organizationId`, { requireNonEmpty: true });
}

/**
 * Validates AWS Organizations entity paths a policy admits by `aws:PrincipalOrgPaths`: the
 * layout's `memberOrganizationalUnitPaths` and the same paths given to `KeyConsumers`,
 * `SecurityEventBusProps` and the vaults. Each must be a literal (a token is refused: the policy's
 * reach must be reviewable at synth) entity path `<organizationId>/r-<root>/ou-<root>-<ou>/…/`
 * or ending in `/*`, starting with `organizationId` (named `organizationIdProp`, required), its
 * OUs ids of that root (`ou-<root suffix>-…`, "OU ID" in the AWS Organizations API reference, e.g.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html), no
 * repeats. Only the form is checked: a path whose OUs exist but are not nested that way passes
 * synth and matches no principal at run time. An empty list is refused with `requireNonEmpty`.
 */
export function validateEntityPaths(prop: string, paths: string[], organizationId: string | undefined, organizationIdProp: string, options: { requireNonEmpty?: boolean } = {}): string[] {
  const form = "'<organizationId>/r-<root>/ou-<root>-<ou>/' (accounts directly in that OU) or '…/ou-<root>-<ou>/*' (that OU and its child OUs), e.g. 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*'";
  if (paths.length === 0) {
    if (options.requireNonEmpty) throw new Error(`${prop} must list at least one entity path ${form}, or be left unset, got []`);
    return [];
  }
  const org = organizationId;
  if (org === undefined) throw new Error(`${prop} needs ${organizationIdProp}: every path starts with it, got no organizationId`);
  const seen = new Set<string>();
  paths.forEach((path, i) => {
    if (Token.isUnresolved(path)) throw new Error(`${prop}[${i}] must be a literal entity path ${form}, got a token: the accounts a policy admits must be reviewable at synth`);
    const m = ENTITY_PATH_PATTERN.exec(path);
    if (!m) throw new Error(`${prop}[${i}] must be an AWS Organizations entity path ${form}, got '${path}'`);
    if (!Token.isUnresolved(org) && m[1] !== org) throw new Error(`${prop}[${i}] must start with ${organizationIdProp} '${org}/', got '${path}'`);
    const root = m[2].slice(2);
    const ous = m[3].split('/').filter((x) => x !== '');
    const foreign = ous.find((ou) => ou.split('-')[1] !== root);
    if (foreign) throw new Error(`${prop}[${i}] names '${foreign}', not an OU of root 'r-${root}' (an OU id is 'ou-<root suffix>-…'), got '${path}'`);
    if (seen.has(path)) throw new Error(`${prop} must not repeat a path, got '${path}' twice`);
    seen.add(path);
  });
  return [...paths];
}

/**
 * Whether `paths` admit every account a StackSet deploys to under `targetId` (an OU or root id):
 * some path ends with that entity followed by `/*` (the entity and all its child OUs, as a
 * service-managed StackSet deploys to them), or is the organization root's `/*`. Only the last
 * OU id is compared: the parents in the path are not known at synth (see
 * `DataProtectionAccounts.memberOrganizationalUnitPaths`).
 */
export function entityPathsCover(paths: string[], targetId: string): boolean {
  return paths.some((p) => {
    if (Token.isUnresolved(p)) return true;
    const m = ENTITY_PATH_PATTERN.exec(p);
    if (!m || m[4] !== '*') return false;
    if (m[3] === '') return true;
    const ous = m[3].split('/').filter((x) => x !== '');
    return targetId === ous[ous.length - 1];
  });
}

/**
 * Reads the layout from CDK context (`cdk.json`): `cdk-data-protection:accounts` with
 * `key`, `data` (string or list), `backup`, `audit`; `cdk-data-protection:regions` with
 * `primary` and `dr`; optional `cdk-data-protection:organizationId`.
 */
export function accountsFromContext(scope: IConstruct): DataProtectionAccounts {
  const result = layoutFromContext((key) => scope.node.tryGetContext(key));
  validateAccounts(result, "context 'cdk-data-protection:accounts'", "context 'cdk-data-protection:organizationId'");
  return result;
}

/**
 * The identity account must be a 12-digit id outside the data accounts (their administrators
 * would otherwise hold the break-glass role), and is required unless every account id is a
 * placeholder (the examples synthesize without one).
 */
function validateIdentityAccount(accounts: DataProtectionAccounts, prop: string): void {
  const identity = accounts.identityAccount;
  if (identity === undefined) {
    const literal = [accounts.keyAccount, accounts.backupAccount, accounts.auditAccount, ...accounts.dataAccounts].filter((a) => !Token.isUnresolved(a));
    if (literal.length > 0 && literal.every(isPlaceholderAccount)) return;
    if (accounts.singleAccountReason !== undefined) return;
    throw new Error(
      `${prop}.identityAccount is required: the library creates a break-glass role (the one principal its Denies exempt) in every account, assumable with MFA from that account only; ` +
        "without it any administrator could create a role of that name. Set the account of your break-glass IAM users (context 'cdk-data-protection:accounts'.identity in cdk.json)",
    );
  }
  validateAccountId(`${prop}.identityAccount`, identity);
  if (!Token.isUnresolved(identity) && accounts.singleAccountReason === undefined && accounts.dataAccounts.includes(identity)) {
    throw new Error(`${prop}.identityAccount (${identity}) must not be one of the dataAccounts: a data account's administrators would hold the break-glass role of every account`);
  }
}

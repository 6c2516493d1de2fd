/**
 * Key-policy rules shared by `ProtectedKey` (synth-time errors) and the nag pack (findings on
 * any `AWS::KMS::Key`, including ones this library did not create). Works on resolved JSON.
 */

/** Actions that change or destroy a key: administrators only. */
export const KEY_MANAGEMENT_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DeleteImportedKeyMaterial',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:ImportKeyMaterial',
  'kms:PutKeyPolicy',
  'kms:ReplicateKey',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
  'kms:UpdatePrimaryRegion',
];

/** Read-only actions any administrator or user may hold. */
export const KEY_READ_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
];

/** Grant lifecycle for AWS resources: neither administration nor use on its own. */
export const KEY_GRANT_ACTIONS = ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'];

/** Actions that use a key on data: users only. */
export const KEY_CRYPTO_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/** Actions that disable or destroy a key: denied to everyone but the break-glass role, deployments included. */
export const KEY_DESTRUCTIVE_ACTIONS = ['kms:DeleteImportedKeyMaterial', 'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion'];

/**
 * Actions that change a key's policy: denied to everyone but the break-glass and deployment roles.
 * KMS refuses a key policy that would stop its creator from calling PutKeyPolicy again (the policy
 * lockout safety check, "BypassPolicyLockoutSafetyCheck" in the KMS API reference of PutKeyPolicy
 * and CreateKey), so the CloudFormation execution role keeps this one action and no other.
 */
export const KEY_POLICY_CHANGE_ACTIONS = ['kms:PutKeyPolicy'];

/**
 * What CloudFormation needs, as the deployment role, to create and keep deploying a key whose
 * policy it may not change (`DataAccountFallbackKey`): the AWS::KMS::Key handlers create the key
 * with its policy in the CreateKey call, then EnableKeyRotation; updates call UpdateKeyDescription,
 * EnableKeyRotation (a new rotation period), TagResource/UntagResource, and PutKeyPolicy only when
 * the template's policy changed (aws-cloudformation-resource-providers-kms, key/CreateHandler.java
 * and UpdateHandler.java; handler permissions in key/aws-kms-key.json). The alias needs
 * CreateAlias on the key. Reads (DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags)
 * serve the read handler and drift detection. None of these disables, deletes, re-policies or
 * re-points the key.
 */
export const KEY_DEPLOYMENT_ACTIONS = [
  'kms:CreateAlias',
  'kms:DescribeKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
];

/**
 * What a principal of another account can do on a key at all: KMS refuses every other management
 * call across accounts ("Cross-account use: No" in the KMS API reference of PutKeyPolicy,
 * ScheduleKeyDeletion, DisableKey, ...; "Allowing users in other accounts to use a KMS key",
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
 * The read-only subset the key account's admin role gets on a data account's fallback key.
 */
export const KEY_CROSS_ACCOUNT_READ_ACTIONS = ['kms:DescribeKey', 'kms:GetKeyRotationStatus', 'kms:ListGrants'];

/** A key-policy statement as it appears in a resolved template. */
export interface KeyPolicyStatement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, unknown>;
  Sid?: string;
  Resource?: unknown;
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Matches an IAM action pattern (`kms:Generate*`) against an action name, case-insensitively. */
function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i');
  return re.test(action);
}

function grantsAny(statement: KeyPolicyStatement, actions: string[]): boolean {
  return asList(statement.Action).some((p) => typeof p === 'string' && actions.some((a) => actionMatches(p, a)));
}

/**
 * Each principal of a statement as a stable string (resolved intrinsics are stringified). A
 * principal narrowed by an `ArnEquals`/`ArnLike` condition on `aws:PrincipalArn` (an account root
 * that admits one role of the account, as the break-glass statement of a fallback key does) is
 * that role: `root|arn`.
 */
function principals(statement: KeyPolicyStatement): string[] {
  const p = statement.Principal;
  const cond = statement.Condition ?? {};
  const narrowed = ['ArnEquals', 'ArnLike'].flatMap((op) => asList((cond[op] as Record<string, unknown> | undefined)?.['aws:PrincipalArn']));
  const suffix = narrowed.length > 0 ? `|${JSON.stringify(narrowed)}` : '';
  if (p === '*') return ['*' + suffix];
  if (p && typeof p === 'object') {
    return Object.entries(p as Record<string, unknown>).flatMap(([kind, v]) => asList(v).map((x) => `${kind}:${typeof x === 'string' ? x : JSON.stringify(x)}${suffix}`));
  }
  return [];
}

const isStar = (principal: string) => principal === '*' || principal === 'AWS:*' || principal.startsWith('*|') || principal.startsWith('AWS:*|');

/**
 * The ways a key policy breaks the library's guarantees, as human-readable findings. Empty
 * when the policy is sound.
 */
export function keyPolicyFindings(policy: { Statement?: KeyPolicyStatement[] } | undefined): string[] {
  const findings: string[] = [];
  const statements = asList(policy?.Statement);
  const admins = new Set<string>();
  const users = new Set<string>();
  for (const [i, s] of statements.entries()) {
    const label = s.Sid ? `statement '${s.Sid}'` : `statement ${i}`;
    if (s.Effect !== 'Allow') continue;
    if (s.NotAction !== undefined) findings.push(`${label} uses NotAction in an Allow, which grants every other action`);
    if (s.NotPrincipal !== undefined) findings.push(`${label} uses NotPrincipal in an Allow`);
    for (const a of asList(s.Action)) {
      if (a === '*' || /^kms:\*$/i.test(String(a))) findings.push(`${label} allows the wildcard action '${a}'`);
    }
    const ps = principals(s);
    if (ps.some(isStar) && (!s.Condition || Object.keys(s.Condition).length === 0)) {
      findings.push(`${label} allows principal '*' without conditions`);
    }
    if (grantsAny(s, KEY_MANAGEMENT_ACTIONS)) ps.forEach((p) => admins.add(p));
    if (grantsAny(s, KEY_CRYPTO_ACTIONS)) ps.forEach((p) => users.add(p));
  }
  for (const p of admins) {
    if (users.has(p)) findings.push(`principal ${p} both administers and uses the key`);
  }
  return findings;
}

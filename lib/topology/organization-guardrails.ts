import { Token } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import { CONTROLS, recordControl } from '../core/controls';
import { LIBRARY_NAME_PREFIX } from '../core/naming';
import { validatePolicyTargetId } from '../core/validation';
import { DEFAULT_BREAK_GLASS_ROLE_NAME } from '../keys/protected-key';

/**
 * Largest service control policy document: 5,120 characters ("Quotas and service limits of AWS
 * Organizations", Maximum size of a policy document,
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html). The
 * documents are sent minified (no white space outside strings) and are ASCII, so their length in
 * characters is their length in bytes.
 */
const MAX_SCP_CHARACTERS = 5120;

/**
 * Most SCPs attached to one root, OU or account: 5 (same quotas page). One slot stays with
 * `FullAWSAccess` (or the allow list that replaces it), which a deny-list strategy keeps attached,
 * so the guardrails may take 4.
 */
const MAX_GUARDRAIL_POLICIES = 4;

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'];

export interface DataProtectionGuardrailsProps {
  /**
   * Where the policies are attached: the organization root (`r-…`), organizational units (`ou-…`)
   * or accounts (12 digits). Every account below an attached root or OU is covered, including
   * accounts created later. The management account is never affected by an SCP.
   */
  readonly targetIds: string[];
  /**
   * ARN pattern of the role CloudFormation deploys the library's stacks with in the member accounts,
   * e.g. `arn:aws:iam::*:role/stacksets-exec-*` (service-managed StackSets) or
   * `arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*` (CDK bootstrap). It alone may create and
   * change the break-glass role, and it keeps the changes CloudFormation makes on every deployment
   * (key policies, vault access policies, trail event selectors, bucket lock and lifecycle
   * configuration). It must name a role (not `role/*`): whoever can deploy a stack with it can make
   * those changes, so guard who may pass it to CloudFormation.
   */
  readonly guardrailAdminRoleArnPattern: string;
  /** Name of the break-glass role in every account. @default 'data-protection-break-glass' */
  readonly breakGlassRoleName?: string;
  /**
   * Aliases that mark the library's keys (`kms:ResourceAliases`, `StringLike` patterns).
   * @default ['alias/data-protection/*'] (every `KeyAliases` name)
   */
  readonly keyAliasPatterns?: string[];
  /** Names of the protected backup vaults (`StringLike` pattern). @default 'data-protection-*' */
  readonly vaultNamePattern?: string;
  /** Names of the protected trails (`StringLike` pattern). @default 'data-protection-*' */
  readonly trailNamePattern?: string;
  /**
   * Names of the protected buckets (`StringLike` patterns). A bucket with a name CloudFormation
   * generates (an `ObjectLockBucket` without `bucketName`, a drill's evidence bucket) cannot be
   * named in advance: give such buckets a name under one of these patterns.
   * @default ['data-protection-*'] (the audit archive `data-protection-audit-<account>-<region>`)
   */
  readonly bucketNamePatterns?: string[];
  /** @default 'aws' */
  readonly partition?: string;
  /** Names of the policies: `<prefix>-1`, `<prefix>-2`, … @default 'data-protection-guardrails' */
  readonly policyNamePrefix?: string;
}

/** A statement of a guardrail policy (minified JSON shape). */
interface ScpStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action: string[];
  readonly Resource: string[] | string;
  readonly Condition: Record<string, Record<string, string | string[]>>;
}

/**
 * Service control policies that deny, in every member account below `targetIds`, the actions that
 * would destroy or blind the data-protection controls — to every principal but the break-glass
 * role (the pattern of AWS's security reference architecture and of Landing Zone Accelerator).
 * Deploy it in the organization's management account (or a delegated administrator for SCPs).
 * SCPs "do not restrict users or roles in the management account" ("Delegated administrator for
 * AWS Organizations", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html)
 * nor service-linked roles ("Service control policies (SCPs)",
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html): keep
 * no protected resources in the management account.
 *
 * Principals are told apart by `aws:PrincipalArn` (the role ARN for a role session: "AWS global
 * condition context keys",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). Actions
 * and resource types per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 *
 * Each statement (its Sid is listed in `guardrails`):
 * - `DenyKeyDeletion`: `kms:ScheduleKeyDeletion`, `kms:DisableKey` on keys with a data-protection
 *   alias; break-glass only (CloudFormation never disables or deletes a retained key).
 * - `DenyKeyPolicyChanges`: `kms:PutKeyPolicy` on those keys; break-glass and the deployment role
 *   (CloudFormation calls PutKeyPolicy when a key's policy changes, e.g. a new consumer account).
 * - `DenyKeyAliasChanges`: `kms:DeleteAlias`, `kms:UpdateAlias` on the data-protection aliases;
 *   break-glass only. Without it, removing the alias would lift the two statements above.
 * - `DenyVaultDeletion`: `backup:DeleteBackupVault`, `DeleteBackupVaultLockConfiguration`,
 *   `DeleteBackupVaultAccessPolicy` on the vaults; break-glass only.
 * - `DenyVaultPolicyChanges`: `backup:PutBackupVaultAccessPolicy` on the vaults; break-glass and
 *   the deployment role (CloudFormation sets the policy when it creates a vault and on each change).
 * - `DenyRecoveryPointDeletion`: `backup:DeleteRecoveryPoint`, `UpdateRecoveryPointLifecycle` on
 *   every recovery point of the account; break-glass only.
 * - `DenyTrailDeletion`: `cloudtrail:StopLogging`, `DeleteTrail` on the trails; break-glass only.
 * - `DenyTrailChanges`: `cloudtrail:PutEventSelectors`, `UpdateTrail` on the trails; break-glass
 *   and the deployment role (the data-access trail's selectors change with the classified resources).
 * - `DenyBucketLockChanges`: `s3:PutBucketObjectLockConfiguration`, `s3:PutLifecycleConfiguration`
 *   on the buckets; break-glass and the deployment role (CloudFormation sets both on bucket creation).
 * - `DenyBreakGlassRoleChanges`: creating, deleting and changing the break-glass role (trust policy,
 *   inline and managed policies, boundary, session length); the deployment role only — not even the
 *   break-glass role may widen its own trust policy.
 * - `DenyGuardrailAdminRoleChanges`: the same on the roles of `guardrailAdminRoleArnPattern`, which
 *   every other guardrail exempts; those roles and break-glass only (a role created under the
 *   pattern by anyone else would walk past every guardrail).
 *
 * The statements are packed, in this order, into as few policies of at most 5,120 characters as
 * they fit in (at most 4); synth fails with the size when one statement alone is too large.
 */
export class DataProtectionGuardrails extends Construct {
  /** Largest SCP document, characters (AWS Organizations quota). */
  public static readonly MAX_POLICY_CHARACTERS = MAX_SCP_CHARACTERS;

  /** The service control policies, in order. */
  public readonly policies: organizations.CfnPolicy[];
  /** The Sid of every guardrail statement, in order. */
  public readonly guardrails: string[];
  /** Minified size of each policy document, characters (same order as `policies`). */
  public readonly policySizes: number[];

  public constructor(scope: Construct, id: string, props: DataProtectionGuardrailsProps) {
    super(scope, id);
    const P = 'DataProtectionGuardrailsProps';
    const statements = guardrailStatements(props);
    const documents = packStatements(statements);
    if (documents.length > MAX_GUARDRAIL_POLICIES) {
      throw new Error(
        `DataProtectionGuardrails: the guardrails need ${documents.length} policies of at most ${MAX_SCP_CHARACTERS} characters, over the ${MAX_GUARDRAIL_POLICIES} that fit beside FullAWSAccess (5 SCPs per root, OU or account: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html); shorten the name patterns`,
      );
    }
    const prefix = props.policyNamePrefix ?? `${LIBRARY_NAME_PREFIX}guardrails`;
    literal(`${P}.policyNamePrefix`, prefix);
    if (!/^[\x20-\x7e]{1,120}$/.test(prefix)) {
      throw new Error(`${P}.policyNamePrefix must be 1-120 printable ASCII characters (policy names are 1-128), got '${prefix}'`);
    }
    this.guardrails = statements.map((s) => s.Sid);
    this.policySizes = documents.map((d) => d.length);
    this.policies = documents.map(
      (content, i) =>
        new organizations.CfnPolicy(this, `Policy${i + 1}`, {
          name: `${prefix}-${i + 1}`,
          type: 'SERVICE_CONTROL_POLICY',
          description: `cdk-data-protection guardrails ${i + 1}/${documents.length}: ${JSON.parse(content).Statement.map((s: ScpStatement) => s.Sid).join(', ')}`.slice(0, 512),
          // The measured document, parsed back: CloudFormation takes the content as a JSON object
          // and sends it to Organizations serialized (no white space outside strings).
          content: JSON.parse(content),
          targetIds: [...props.targetIds],
        }),
    );
    // Listed by the report ("Organization"): where each policy is attached and what it denies.
    this.policies.forEach((policy, i) =>
      recordControl(policy, CONTROLS.ORGANIZATION_GUARDRAILS, {
        detail: {
          policyName: `${prefix}-${i + 1}`,
          targetIds: [...props.targetIds],
          guardrails: (JSON.parse(documents[i]).Statement as ScpStatement[]).map((s) => ({ sid: s.Sid, actions: s.Action })),
        },
      }),
    );
  }
}

/** Throws when `value` is a token: the document's size must be known at synth. */
function literal(prop: string, value: string): void {
  if (Token.isUnresolved(value)) {
    throw new Error(`${prop} must be a literal, got a token (known only at deploy time): the size of a service control policy is checked at synth against the ${MAX_SCP_CHARACTERS}-character limit`);
  }
}

/** A `StringLike` name pattern: 1-128 characters, no ARN separators. */
function namePattern(prop: string, value: string, what: string): string {
  literal(prop, value);
  if (!/^[A-Za-z0-9._*?-]{1,128}$/.test(value) || /^[*?]+$/.test(value)) {
    throw new Error(`${prop} must be a ${what} name pattern of 1-128 letters, digits, '.', '_', '-', '*' or '?' and not only wildcards (it would cover every ${what} of the account), got '${value}'`);
  }
  return value;
}

function guardrailStatements(props: DataProtectionGuardrailsProps): ScpStatement[] {
  const P = 'DataProtectionGuardrailsProps';
  if (props.targetIds.length === 0) throw new Error(`${P}.targetIds must name at least one root (r-…), organizational unit (ou-…) or account (12 digits), got []`);
  props.targetIds.forEach((t, i) => {
    literal(`${P}.targetIds[${i}]`, t);
    validatePolicyTargetId(`${P}.targetIds[${i}]`, t);
  });
  const duplicates = props.targetIds.filter((t, i) => props.targetIds.indexOf(t) !== i);
  if (duplicates.length > 0) throw new Error(`${P}.targetIds must not repeat an id (a policy is attached once per target), got '${duplicates[0]}' twice`);

  const partition = props.partition ?? 'aws';
  literal(`${P}.partition`, partition);
  if (!PARTITIONS.includes(partition)) throw new Error(`${P}.partition must be one of ${PARTITIONS.join(', ')}, got '${partition}'`);

  const admin = props.guardrailAdminRoleArnPattern;
  literal(`${P}.guardrailAdminRoleArnPattern`, admin);
  const adminMatch = /^arn:([a-z-]+):iam::(\d{12}|\*):role\/([\w+=,.@/*?-]{1,512})$/.exec(admin);
  if (!adminMatch || adminMatch[1] !== partition || /^[*?/]+$/.test(adminMatch[3])) {
    throw new Error(
      `${P}.guardrailAdminRoleArnPattern must be an IAM role ARN pattern arn:${partition}:iam::<account id or *>:role/<name pattern> whose name is not only wildcards ` +
        `(e.g. arn:${partition}:iam::*:role/stacksets-exec-* or arn:${partition}:iam::*:role/cdk-hnb659fds-cfn-exec-role-*), got '${admin}'`,
    );
  }

  const breakGlassName = props.breakGlassRoleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME;
  literal(`${P}.breakGlassRoleName`, breakGlassName);
  // IAM role names: 1-64 of [\w+=,.@-] (IAM API reference, CreateRole RoleName).
  if (!/^[\w+=,.@-]{1,64}$/.test(breakGlassName)) throw new Error(`${P}.breakGlassRoleName must be an IAM role name (1-64 letters, digits or +=,.@_-), got '${breakGlassName}'`);
  const breakGlassArn = `arn:${partition}:iam::*:role/${breakGlassName}`;

  const aliases = props.keyAliasPatterns ?? ['alias/data-protection/*'];
  if (aliases.length === 0) throw new Error(`${P}.keyAliasPatterns must name at least one alias pattern, got []`);
  aliases.forEach((a, i) => {
    literal(`${P}.keyAliasPatterns[${i}]`, a);
    if (!/^alias\/[a-zA-Z0-9/_*?-]{1,250}$/.test(a) || a.startsWith('alias/aws/') || /^alias\/[*?/]+$/.test(a)) {
      throw new Error(`${P}.keyAliasPatterns[${i}] must be alias/<pattern> of letters, digits, '/', '_', '-', '*' or '?', not only wildcards and not an AWS managed alias (alias/aws/…), got '${a}'`);
    }
  });
  const vaults = namePattern(`${P}.vaultNamePattern`, props.vaultNamePattern ?? `${LIBRARY_NAME_PREFIX}*`, 'backup vault');
  const trails = namePattern(`${P}.trailNamePattern`, props.trailNamePattern ?? `${LIBRARY_NAME_PREFIX}*`, 'trail');
  const buckets = props.bucketNamePatterns ?? [`${LIBRARY_NAME_PREFIX}*`];
  if (buckets.length === 0) throw new Error(`${P}.bucketNamePatterns must name at least one bucket name pattern, got []`);
  buckets.forEach((b, i) => namePattern(`${P}.bucketNamePatterns[${i}]`, b, 'bucket'));

  const exceptBreakGlass = { ArnNotLike: { 'aws:PrincipalArn': [breakGlassArn] } };
  const exceptBreakGlassAndDeployment = { ArnNotLike: { 'aws:PrincipalArn': [breakGlassArn, admin] } };
  // Keys are recognised by their aliases: `kms:ResourceAliases` holds every alias of the key
  // (multivalued: ForAnyValue). "Use aliases to control access to KMS keys",
  // https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html ("ABAC for AWS
  // KMS", https://docs.aws.amazon.com/kms/latest/developerguide/abac.html): "It might take up to five
  // minutes for tag and alias changes to affect KMS key authorization" — a new key is covered a few
  // minutes after its alias is created, and the aliases themselves are guarded (DenyKeyAliasChanges)
  // so that nobody can lift the guardrail by deleting or re-pointing an alias. The library tags no
  // key (and a tag could be removed the same way), so aliases are the one mark every key carries.
  const keyArn = `arn:${partition}:kms:*:*:key/*`;
  const keyCondition = { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': aliases } };
  const vaultArn = `arn:${partition}:backup:*:*:backup-vault:${vaults}`;
  const trailArn = `arn:${partition}:cloudtrail:*:*:trail/${trails}`;
  return [
    {
      Sid: 'DenyKeyDeletion',
      Effect: 'Deny',
      Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey'],
      Resource: [keyArn],
      // No deployment exemption: CloudFormation never disables or deletes the library's keys (retained).
      Condition: { ...keyCondition, ...exceptBreakGlass },
    },
    {
      Sid: 'DenyKeyPolicyChanges',
      Effect: 'Deny',
      Action: ['kms:PutKeyPolicy'],
      Resource: [keyArn],
      // Deployment exempt: ProtectedKey keeps PutKeyPolicy for its deployment role (a new consumer
      // account rewrites the key policy), and the key policies already restrict it to that role.
      Condition: { ...keyCondition, ...exceptBreakGlassAndDeployment },
    },
    {
      Sid: 'DenyKeyAliasChanges',
      Effect: 'Deny',
      // DeleteAlias and UpdateAlias are authorized on the alias and on the key (Service
      // Authorization Reference, AWS KMS): the alias ARN is enough to deny them. The library's
      // aliases are retained and never re-pointed by CloudFormation: break-glass only.
      Action: ['kms:DeleteAlias', 'kms:UpdateAlias'],
      Resource: aliases.map((a) => `arn:${partition}:kms:*:*:${a}`),
      Condition: exceptBreakGlass,
    },
    {
      Sid: 'DenyVaultDeletion',
      Effect: 'Deny',
      // Resource type backupVault, arn:${Partition}:backup:${Region}:${Account}:backup-vault:${BackupVaultName}
      // (Service Authorization Reference, AWS Backup). Not needed by any deployment: the vaults are retained.
      Action: ['backup:DeleteBackupVault', 'backup:DeleteBackupVaultLockConfiguration', 'backup:DeleteBackupVaultAccessPolicy'],
      Resource: [vaultArn],
      Condition: exceptBreakGlass,
    },
    {
      Sid: 'DenyVaultPolicyChanges',
      Effect: 'Deny',
      Action: ['backup:PutBackupVaultAccessPolicy'],
      Resource: [vaultArn],
      // Deployment exempt: CloudFormation puts the access policy when it creates a vault (a new
      // account) and whenever it changes (a new source account).
      Condition: exceptBreakGlassAndDeployment,
    },
    {
      Sid: 'DenyRecoveryPointDeletion',
      Effect: 'Deny',
      Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'],
      // Every recovery point of the account: the recoveryPoint resource type's ARN
      // (arn:${Partition}:${Vendor}:${Region}:*:${ResourceType}:${RecoveryPointId}, Service
      // Authorization Reference, AWS Backup) carries no vault name, so the library's vaults cannot be
      // singled out. AWS Backup's own lifecycle expiry is not an IAM call and is not affected.
      Resource: '*',
      Condition: exceptBreakGlass,
    },
    {
      Sid: 'DenyTrailDeletion',
      Effect: 'Deny',
      // Resource type trail, arn:${Partition}:cloudtrail:${Region}:${Account}:trail/${TrailName}.
      Action: ['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail'],
      Resource: [trailArn],
      Condition: exceptBreakGlass,
    },
    {
      Sid: 'DenyTrailChanges',
      Effect: 'Deny',
      Action: ['cloudtrail:PutEventSelectors', 'cloudtrail:UpdateTrail'],
      Resource: [trailArn],
      // Deployment exempt: the data-access trail's advanced event selectors follow the classified
      // resources, so CloudFormation calls PutEventSelectors (and UpdateTrail) on deployments.
      Condition: exceptBreakGlassAndDeployment,
    },
    {
      Sid: 'DenyBucketLockChanges',
      Effect: 'Deny',
      // Resource type bucket, arn:${Partition}:s3:::${BucketName}.
      Action: ['s3:PutBucketObjectLockConfiguration', 's3:PutLifecycleConfiguration'],
      Resource: buckets.map((b) => `arn:${partition}:s3:::${b}`),
      // Deployment exempt: CloudFormation sets the default retention and the lifecycle rules when it
      // creates a bucket and when they change.
      Condition: exceptBreakGlassAndDeployment,
    },
    {
      Sid: 'DenyBreakGlassRoleChanges',
      Effect: 'Deny',
      Action: ROLE_CHANGE_ACTIONS,
      Resource: [breakGlassArn],
      // Only the deployment role: CloudFormation creates the role (BreakGlassRole) in every new
      // account and updates its policies. Anyone else could create a role of that name — and walk
      // past every Deny that exempts it — or widen its trust policy; the break-glass role is not
      // exempt either, so a break-glass session cannot widen its own trust.
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [admin] } },
    },
    {
      Sid: 'DenyGuardrailAdminRoleChanges',
      Effect: 'Deny',
      Action: ROLE_CHANGE_ACTIONS,
      // The deployment role pattern is exempt from every guardrail above: anyone who could create a
      // role matching it (or re-trust one) would be exempt too. Only roles of the pattern themselves
      // and break-glass may create or change them. Service-managed StackSets create their
      // `stacksets-exec-*` role with a service-linked role, which SCPs do not affect ("SCPs don't
      // affect service-linked roles", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html);
      // re-bootstrapping a CDK deployment role needs the break-glass role.
      Resource: [admin],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [admin, breakGlassArn] } },
    },
  ];
}

/** Creating, deleting and changing a role: its trust policy, inline and managed policies, boundary, session length. */
const ROLE_CHANGE_ACTIONS = [
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:UpdateRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
];

/** The statements packed, in order, into minified documents of at most MAX_SCP_CHARACTERS. */
function packStatements(statements: ScpStatement[]): string[] {
  const render = (s: ScpStatement[]) => JSON.stringify({ Version: '2012-10-17', Statement: s });
  const documents: string[] = [];
  let current: ScpStatement[] = [];
  for (const statement of statements) {
    const alone = render([statement]);
    if (alone.length > MAX_SCP_CHARACTERS) {
      throw new Error(
        `DataProtectionGuardrails: statement ${statement.Sid} alone is ${alone.length} characters as minified JSON, over the ${MAX_SCP_CHARACTERS}-character limit of a service control policy ` +
          '(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html); use fewer or shorter name patterns',
      );
    }
    if (current.length > 0 && render([...current, statement]).length > MAX_SCP_CHARACTERS) {
      documents.push(render(current));
      current = [];
    }
    current.push(statement);
  }
  if (current.length > 0) documents.push(render(current));
  return documents;
}

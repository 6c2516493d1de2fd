import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { breakGlassRoleArn, defaultDeploymentRoleArn, denyAllBut } from '../core/break-glass';
import { CONTROLS, recordControl } from '../core/controls';
import { KEY_CROSS_ACCOUNT_READ_ACTIONS, KEY_CRYPTO_ACTIONS, KEY_DEPLOYMENT_ACTIONS, KEY_DESTRUCTIVE_ACTIONS, KEY_GRANT_ACTIONS, KEY_MANAGEMENT_ACTIONS, KEY_POLICY_CHANGE_ACTIONS, KEY_READ_ACTIONS, keyPolicyFindings } from '../core/key-policy';
import { validateAccountId, validateRange } from '../core/validation';
import { validateEntityPaths } from '../topology/accounts';
import { KeyConsumerService } from './key-consumer-service';

/** Default name of the role allowed to disable, delete or re-policy a key outside deployments. */
export const DEFAULT_BREAK_GLASS_ROLE_NAME = 'data-protection-break-glass';

/** Accounts that use a key through AWS services. */
export interface KeyConsumers {
  /** 12-digit account ids. Granted in one statement, so the policy stays small. */
  readonly accounts: string[];
  /** Services through which the accounts may use the key (`kms:ViaService`). */
  readonly services: KeyConsumerService[];
  /**
   * Name the consumers as principal `*` conditioned on `kms:CallerAccount` (the same grant)
   * instead of each account's root. Needed only when a consumer is the key's own account, in
   * single-account evaluation mode, where the root would otherwise both manage and use the key.
   * @default false
   */
  readonly asConditionedAnyPrincipal?: boolean;
  /**
   * AWS Organizations entity paths (`o-…/r-…/ou-…/*`, see
   * `DataProtectionAccounts.memberOrganizationalUnitPaths`) whose accounts use the key through the
   * same `services` too: principal `*` narrowed by `aws:PrincipalOrgPaths`
   * (`ForAnyValue:StringLike`, "AWS global condition context keys", IAM User Guide,
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths)
   * and `aws:PrincipalOrgID` (`ProtectedKeyProps.organizationId`, required with paths) and
   * `kms:ViaService`, and `kms:DescribeKey` (the alias lookup of `CrossAccountKey`). Each must be
   * a literal entity path starting with that organization id (`o-…/r-…/ou-…/…/`, or ending in
   * `/*`), validated as the layout's: a token is a synth error (the policy's reach must be
   * reviewable), and a nested OU needs its full path.
   * @default - the listed accounts only
   */
  readonly organizationalUnitPaths?: string[];
}

export interface ProtectedKeyProps {
  /**
   * Alias, e.g. `alias/data-protection/confidential`. Deterministic, so consuming stacks in
   * other accounts can resolve the key without copying ARNs.
   */
  readonly aliasName: string;
  /** @default - derived from the alias */
  readonly description?: string;
  /**
   * Automatic rotation period; rotation is always on.
   * @default Duration.days(365)
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
   */
  readonly rotationPeriod?: Duration;
  /**
   * Waiting period before a scheduled deletion happens (7–30 days).
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
  /**
   * Principals that administer the key (never use it). Together with the account root
   * (management only, unless `accountRootManagement` is false).
   * @default - the account root only
   */
  readonly administrators?: iam.IPrincipal[];
  /** Principals in this account that use the key (never administer it). @default - none */
  readonly users?: iam.IPrincipal[];
  /** Other accounts that use the key through AWS services. @default - none */
  readonly consumers?: KeyConsumers;
  /**
   * Name of the IAM role (in this account) that alone may disable the key, turn its rotation off,
   * schedule its deletion or delete imported key material, and (with the deployment roles) change
   * its policy. Everyone else is denied.
   * @default 'data-protection-break-glass'
   */
  readonly breakGlassRoleName?: string;
  /**
   * ARNs of the roles that deploy this stack. They may change the key policy (CloudFormation calls
   * PutKeyPolicy on every policy change, and KMS refuses a policy that locks its creator out) and
   * nothing else of the deny: a template that disables, un-rotates or deletes the key fails at deploy.
   * @default - the CDK bootstrap CloudFormation execution role of this account and region
   */
  readonly deploymentRoleArns?: string[];
  /**
   * Whether the account root (IAM policies of this account) may manage the key. Turn off only
   * for fallback keys held in a data account and administered from the key account.
   * @default true
   */
  readonly accountRootManagement?: boolean;
  /**
   * A data perimeter: deny every KMS action on the key to principals outside this AWS
   * Organization (`aws:PrincipalOrgID`), AWS services acting with their own service principals
   * excepted (`aws:PrincipalIsAWSService`). Stops a grant, a policy mistake or a stolen
   * consumer role of another organization from using the key.
   * @default - no perimeter statement (the key policy already names its consumer accounts)
   */
  readonly organizationId?: string;
  /** Create a multi-Region primary key, replicable into the DR region. @default false */
  readonly multiRegion?: boolean;
  /** @default RemovalPolicy.RETAIN: data encrypted with a deleted key is lost */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Internal (not public API): the governance of a key whose policy only the break-glass role may
 * change, set by `DataAccountFallbackKey` through `breakGlassOnlyPolicy`.
 */
export interface BreakGlassOnlyGovernance {
  /** Principals of another account that may read the key's state (the cross-account reads KMS allows). */
  readonly observers: iam.IPrincipal[];
}

const BREAK_GLASS_ONLY = new WeakMap<ProtectedKeyProps, BreakGlassOnlyGovernance>();

/**
 * Marks `props` so that the key they build is administered by the break-glass role alone: created
 * with `BypassPolicyLockoutSafetyCheck`, the deployment roles keep only what CloudFormation needs
 * to create and re-deploy it (`KEY_DEPLOYMENT_ACTIONS`, no PutKeyPolicy), and every other
 * management action is denied to everyone but break-glass. Internal to the library.
 */
export function breakGlassOnlyPolicy(props: ProtectedKeyProps, governance: BreakGlassOnlyGovernance): ProtectedKeyProps {
  BREAK_GLASS_ONLY.set(props, governance);
  return props;
}

/**
 * A customer managed KMS key that cannot be deployed wrong: rotation always on, a 30-day
 * deletion window, administrators separated from users, no wildcard actions or unconditioned
 * `*` principals, tampering (disable, deletion, policy change) denied to all but a break-glass
 * role, and cross-account use only through named services from named accounts.
 *
 * Built on `CfnKey` with its own policy because `kms.Key` always adds `kms:*` (or a legacy
 * list mixing admin and crypto actions) for the account root. Use `key` for `grant*`.
 */
export class ProtectedKey extends Construct {
  /**
   * The alias ARN of a key in another account, from its deterministic alias name. Use with
   * `CrossAccountKey` to obtain the key ARN, which resource properties need.
   */
  public static aliasArnFor(account: string, region: string, aliasName: string): string {
    return `arn:${Aws.PARTITION}:kms:${region}:${account}:${aliasName}`;
  }

  /** The key, for `grant*` and as `encryptionKey` of other constructs. */
  public readonly key: kms.IKey;
  /** The key ARN. */
  public readonly keyArn: string;
  /** The alias name. */
  public readonly aliasName: string;
  /** The alias ARN in this stack's account and region. */
  public readonly aliasArn: string;
  /** The underlying resource. */
  public readonly resource: kms.CfnKey;

  private readonly region: string;

  public constructor(scope: Construct, id: string, props: ProtectedKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.region = stack.region;
    const rotationDays = props.rotationPeriod?.toDays() ?? 365;
    const pendingDays = props.pendingWindow?.toDays() ?? 30;
    validateRange('ProtectedKeyProps.rotationPeriod', rotationDays, 90, 2560, 'days');
    const policy = buildProtectedKeyPolicy(this, props, 'ProtectedKeyProps');

    this.aliasName = props.aliasName;
    this.resource = new kms.CfnKey(this, 'Resource', {
      description: props.description ?? `cdk-data-protection key ${props.aliasName}`,
      enableKeyRotation: true,
      rotationPeriodInDays: rotationDays,
      pendingWindowInDays: pendingDays,
      multiRegion: props.multiRegion ?? false,
      keyPolicy: policy.toJSON(),
      // Only for a break-glass-only key (DataAccountFallbackKey): its policy does not let the
      // deployment role (the creator) call PutKeyPolicy, which KMS's lockout check otherwise refuses
      // ("The key policy must allow the calling principal to make a subsequent PutKeyPolicy request
      // on the KMS key ... (To omit this condition, set BypassPolicyLockoutSafetyCheck to true.)",
      // KMS API reference, CreateKey, https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html).
      // The risk AWS warns of, a key nobody can manage, is bounded: the policy admits the break-glass
      // role *name* of this account through its root (BreakGlassAdministersKey), so the account can
      // always (re)create that role to manage the key; nobody else can.
      ...(BREAK_GLASS_ONLY.has(props) ? { bypassPolicyLockoutSafetyCheck: true } : {}),
    });
    this.resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.key = kms.Key.fromCfnKey(this.resource);
    this.keyArn = this.key.keyArn;
    const alias = new kms.CfnAlias(this, 'Alias', { aliasName: props.aliasName, targetKeyId: this.resource.ref });
    alias.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.aliasArn = stack.formatArn({ service: 'kms', resource: props.aliasName });
    recordControl(this.resource, CONTROLS.KEY, { aliasName: props.aliasName, rotationDays, pendingDays });

    addKeyPolicyValidation(this, this.resource, props.aliasName);
  }

  /**
   * Lets an AWS service principal in this account (e.g. CloudWatch alarms publishing to an
   * encrypted topic) encrypt with the key, conditioned on the source account. Not for EventBridge:
   * it does not support `aws:SourceAccount` in key policies for encrypted topics (the alarm
   * topic's target, `alarmTopicTarget`, conditions it on the topic's encryption context instead).
   */
  public allowServicePrincipal(service: string, sourceAccounts: string[] = [Aws.ACCOUNT_ID], extraConditions: Record<string, unknown> = {}): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Service${service.split('.')[0].replace(/[^A-Za-z0-9]/g, '')}UsesKey`,
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': sourceAccounts }, ...extraConditions },
      }),
    );
  }

  private cloudTrailGrants = 0;

  /**
   * Lets CloudTrail encrypt the log files of trails in `sourceAccounts` with this key: data keys
   * for those trails' encryption context, DescribeKey, and Decrypt (needed to create or update a
   * trail whose bucket uses an S3 Bucket Key), each for those trails only (`aws:SourceArn`).
   * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
   */
  public allowCloudTrail(sourceAccounts: string[]): void {
    const trails = [...new Set(sourceAccounts)].map((a) => `arn:${Aws.PARTITION}:cloudtrail:*:${a}:trail/*`);
    // Statement ids stay unique when called again (e.g. for the management account's organization trail).
    const n = this.cloudTrailGrants++;
    const sid = (base: string) => (n === 0 ? base : `${base}${n + 1}`);
    const cloudtrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    // "Configure AWS KMS key policies for CloudTrail": encrypt, decrypt and describe are three
    // statements. Only GenerateDataKey* carries the aws:cloudtrail:arn encryption context:
    // DescribeKey never does, so it is conditioned on aws:SourceArn alone.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: sid('CloudTrailEncryptsLogs'),
        principals: [cloudtrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trails, 'aws:SourceArn': trails } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: sid('CloudTrailDescribesKey'),
        principals: [cloudtrail],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringLike: { 'aws:SourceArn': trails } },
      }),
    );
    // "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are
    // required to create or update a trail with SSE-KMS encryption enabled" (same page): the
    // archive buckets (ObjectLockBucket) use Bucket Keys.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: sid('CloudTrailDecryptsForBucketKey'),
        principals: [cloudtrail],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringLike: { 'aws:SourceArn': trails } },
      }),
    );
  }

  /** Lets CloudWatch Logs in `sourceAccounts` encrypt their log groups with this key. */
  public allowCloudWatchLogs(sourceAccounts: string[]): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        // No kms:DescribeKey: its requests carry no encryption context, so under this condition it
        // could never apply (Service Authorization Reference, AWS KMS: DescribeKey lists no
        // kms:EncryptionContext key). "Encrypt log data in CloudWatch Logs using AWS KMS".
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': sourceAccounts.map((a) => `arn:${Aws.PARTITION}:logs:${this.region}:${a}:log-group:*`) },
        },
      }),
    );
  }
}

function validateAlias(aliasName: string, propsName: string): void {
  if (Token.isUnresolved(aliasName)) return;
  if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(aliasName) || aliasName.startsWith('alias/aws/')) {
    throw new Error(`${propsName}.aliasName must match alias/[a-zA-Z0-9/_-]+ and not start with alias/aws/, got '${aliasName}'`);
  }
}

function principalKey(stack: Stack, p: iam.IPrincipal): string {
  return JSON.stringify(stack.resolve(p.policyFragment.principalJson));
}

/** Validates the shared props and builds the policy of a `ProtectedKey` or `ProtectedKeyReplica`. */
export function buildProtectedKeyPolicy(scope: Construct, props: ProtectedKeyProps, propsName: string): iam.PolicyDocument {
  const stack = Stack.of(scope);
  const region = stack.region;
  validateRange(`${propsName}.pendingWindow`, props.pendingWindow?.toDays() ?? 30, 7, 30, 'days');
  validateAlias(props.aliasName, propsName);
  for (const [i, a] of (props.consumers?.accounts ?? []).entries()) validateAccountId(`${propsName}.consumers.accounts[${i}]`, a);
  if (props.consumers && props.consumers.accounts.length === 0) {
    throw new Error(`${propsName}.consumers.accounts must name at least one 12-digit account id, got an empty list`);
  }
  if (props.consumers && props.consumers.services.length === 0) {
    throw new Error(`${propsName}.consumers.services must name at least one service (kms:ViaService), got an empty list`);
  }
  const admins = [...(props.administrators ?? [])];
  const users = props.users ?? [];
  const both = admins.filter((a) => users.some((u) => principalKey(stack, u) === principalKey(stack, a)));
  if (both.length > 0) {
    throw new Error(
      `${propsName}: ${both.map((p) => JSON.stringify(stack.resolve(p.policyFragment.principalJson))).join(', ')} is listed in both administrators and users; a principal may administer or use a key, not both`,
    );
  }
    const policy = new iam.PolicyDocument();
    const management = [...KEY_MANAGEMENT_ACTIONS, ...KEY_READ_ACTIONS, 'kms:RevokeGrant'];
    if (props.accountRootManagement ?? true) {
      // Keeps the key manageable through IAM even if every named administrator is deleted.
      policy.addStatements(new iam.PolicyStatement({ sid: 'AccountRootManagesKey', principals: [new iam.AccountRootPrincipal()], actions: management, resources: ['*'] }));
    }
    if (admins.length > 0) {
      policy.addStatements(new iam.PolicyStatement({ sid: 'KeyAdministrators', principals: admins, actions: management, resources: ['*'] }));
    }
    if (users.length > 0) {
      policy.addStatements(
        new iam.PolicyStatement({ sid: 'KeyUsers', principals: users, actions: [...KEY_CRYPTO_ACTIONS, 'kms:DescribeKey'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'KeyUsersGrantsForAwsResources',
          principals: users,
          actions: KEY_GRANT_ACTIONS,
          resources: ['*'],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
      );
    }
    if (props.consumers) {
      const accounts = props.consumers.accounts;
      const consumerPrincipals = props.consumers.asConditionedAnyPrincipal ? [new iam.AnyPrincipal()] : accounts.map((a) => new iam.AccountPrincipal(a));
      const viaServices = props.consumers.services.map((s) => s.viaService(region));
      policy.addStatements(
        new iam.PolicyStatement({
          sid: 'ConsumerAccountsUseKeyViaServices',
          principals: consumerPrincipals,
          actions: [...KEY_CRYPTO_ACTIONS, 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:CallerAccount': accounts, 'kms:ViaService': viaServices } },
        }),
        new iam.PolicyStatement({
          sid: 'ConsumerAccountsGrantToAwsResources',
          principals: consumerPrincipals,
          actions: KEY_GRANT_ACTIONS,
          resources: ['*'],
          conditions: {
            StringEquals: { 'kms:CallerAccount': accounts, 'kms:ViaService': viaServices },
            Bool: { 'kms:GrantIsForAWSResource': 'true' },
          },
        }),
        // Lets consuming stacks resolve the alias to the key ARN at deploy time.
        new iam.PolicyStatement({
          sid: 'ConsumerAccountsDescribeKey',
          principals: consumerPrincipals,
          actions: ['kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:CallerAccount': accounts } },
        }),
      );
      const paths = validateEntityPaths(`${propsName}.consumers.organizationalUnitPaths`, props.consumers.organizationalUnitPaths ?? [], props.organizationId, `${propsName}.organizationId`);
      if (paths.length > 0) {
        const inOrg = { 'aws:PrincipalOrgID': props.organizationId! };
        // The accounts of the OUs, whatever their ids (accounts created later included): principal
        // '*' only with aws:PrincipalOrgPaths, the same kms:ViaService and grant conditions as the
        // listed accounts ("AWS global condition context keys", IAM User Guide,
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths;
        // "kms:ViaService", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
        // And aws:PrincipalOrgID, as the vault and bus statements: the organization is named, not only implied by the paths.
        const inPaths = { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': paths } };
        policy.addStatements(
          new iam.PolicyStatement({
            sid: 'MemberAccountsUseKeyViaServices',
            principals: [new iam.AnyPrincipal()],
            actions: [...KEY_CRYPTO_ACTIONS, 'kms:DescribeKey'],
            resources: ['*'],
            conditions: { ...inPaths, StringEquals: { 'kms:ViaService': viaServices, ...inOrg } },
          }),
          new iam.PolicyStatement({
            sid: 'MemberAccountsGrantToAwsResources',
            principals: [new iam.AnyPrincipal()],
            actions: KEY_GRANT_ACTIONS,
            resources: ['*'],
            conditions: { ...inPaths, StringEquals: { 'kms:ViaService': viaServices, ...inOrg }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          }),
          // The key lookup (CrossAccountKey) of a member account's stacks.
          new iam.PolicyStatement({ sid: 'MemberAccountsDescribeKey', principals: [new iam.AnyPrincipal()], actions: ['kms:DescribeKey'], resources: ['*'], conditions: { ...inPaths, StringEquals: inOrg } }),
        );
      }
    }
    const breakGlassArn = breakGlassRoleArn(stack, props.breakGlassRoleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME);
    const deployers = props.deploymentRoleArns ?? [defaultDeploymentRoleArn()];
    if (props.organizationId !== undefined) policy.addStatements(organizationPerimeter(props.organizationId));
    const breakGlassOnly = BREAK_GLASS_ONLY.get(props);
    if (breakGlassOnly) {
      addBreakGlassOnlyStatements(policy, breakGlassOnly, breakGlassArn, deployers, management);
      return policy;
    }
    policy.addStatements(
      // Disabling or deleting the key is break-glass only, deployments included: a merged template
      // change (Enabled: false, rotation off, the key removed after its DeletionPolicy changed)
      // fails at deploy instead of disabling or deleting the key through CloudFormation. Not a
      // complete defence: the deployment role keeps PutKeyPolicy (below), so two merged changes —
      // first drop this statement, then disable — get through; the first raises KeyTamperAlarms.
      denyAllBut('DenyKeyTamperingExceptBreakGlass', KEY_DESTRUCTIVE_ACTIONS, [breakGlassArn]),
      // The deployment roles keep PutKeyPolicy only: KMS's policy lockout safety check refuses a
      // policy that stops its creator from calling PutKeyPolicy again (KMS API reference, PutKeyPolicy
      // and CreateKey, "BypassPolicyLockoutSafetyCheck"). Policy changes raise KeyTamperAlarms.
      denyAllBut('DenyKeyPolicyChangesExceptBreakGlassAndDeployment', KEY_POLICY_CHANGE_ACTIONS, [breakGlassArn, ...deployers]),
    );
  return policy;
}

/**
 * The identity perimeter of AWS's data-perimeter examples for a key policy: every KMS action
 * denied to principals outside the organization, AWS service principals excepted, anonymous
 * requests included (`…IfExists`: a missing `aws:PrincipalOrgID` matches)
 * (https://github.com/aws-samples/data-perimeter-policy-examples, resource_based_policies;
 * "AWS global condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
 */
function organizationPerimeter(organizationId: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DataPerimeterDenyPrincipalsOutsideOrganization',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:*'],
    resources: ['*'],
    conditions: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': organizationId }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
  });
}

/**
 * The administration of a break-glass-only key (`DataAccountFallbackKey`). KMS lets no principal of
 * another account change a key's policy, disable it, schedule its deletion or re-point its alias
 * ("Cross-account use: No" in the KMS API reference of each), so a key held in the data account is
 * administered by a principal of that account or by nobody. Here that is the break-glass role
 * alone:
 * - `BreakGlassAdministersKey`: the account root, narrowed by `aws:PrincipalArn` to the break-glass
 *   role's ARN (the role need not exist when the key is created, and a re-created role still
 *   matches, unlike a role principal, which KMS pins to the role's unique id);
 * - `DeploymentRolesDeployKey`: the deployment roles get only `KEY_DEPLOYMENT_ACTIONS` (create,
 *   rotate, describe, tag, alias): no PutKeyPolicy, so a merged template change to this policy
 *   fails at deploy instead of rewriting it;
 * - `KeyAccountObservesKey`: the key account's admin role gets the cross-account reads KMS allows;
 * - denies, to every principal but break-glass, of every management action the deployment roles do
 *   not need (policy, disable, rotation off, deletion, alias re-pointing, key material, replication)
 *   and of grants that are not for an AWS resource.
 */
function addBreakGlassOnlyStatements(policy: iam.PolicyDocument, governance: BreakGlassOnlyGovernance, breakGlassArn: string, deployers: string[], management: string[]): void {
  const denied = KEY_MANAGEMENT_ACTIONS.filter((a) => !KEY_DEPLOYMENT_ACTIONS.includes(a));
  policy.addStatements(
    new iam.PolicyStatement({
      sid: 'BreakGlassAdministersKey',
      principals: [new iam.AccountRootPrincipal()],
      actions: management,
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:PrincipalArn': breakGlassArn } },
    }),
    new iam.PolicyStatement({ sid: 'DeploymentRolesDeployKey', principals: deployers.map((a) => new iam.ArnPrincipal(a)), actions: KEY_DEPLOYMENT_ACTIONS, resources: ['*'] }),
  );
  if (governance.observers.length > 0) {
    policy.addStatements(new iam.PolicyStatement({ sid: 'KeyAccountObservesKey', principals: governance.observers, actions: KEY_CROSS_ACCOUNT_READ_ACTIONS, resources: ['*'] }));
  }
  policy.addStatements(
    denyAllBut('DenyKeyManagementExceptBreakGlass', denied, [breakGlassArn]),
    new iam.PolicyStatement({
      sid: 'DenyGrantsNotForAwsResourcesExceptBreakGlass',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': [breakGlassArn] }, Bool: { 'kms:GrantIsForAWSResource': 'false' } },
    }),
  );
}

/** Fails synthesis when the final policy (after any `grant*`) breaks the key guarantees. */
export function addKeyPolicyValidation(scope: Construct, resource: { keyPolicy: unknown }, aliasName: string): void {
  scope.node.addValidation({
    validate: () => keyPolicyFindings(Stack.of(scope).resolve(resource.keyPolicy)).map((f) => `ProtectedKey ${aliasName}: ${f}`),
  });
}

import { Annotations, Aws, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeInlinePolicy, acknowledgeManagedPolicy, acknowledgeWildcards, defaultPolicyOf, STOCK_RULES } from '../core/acknowledgements';
import { CONTROLS, recordControl } from '../core/controls';
import { validateInteger, validateOrganizationalUnitId, validateOrganizationId, validateOrganizationIdFormat, validateRange, validateRegion, validateRootId } from '../core/validation';
import { ProtectedKey } from '../keys/protected-key';
import { entityPathsCover } from '../topology/accounts';
import { BaselineAsset, DataAccountBaselineStack, validateAssetBucketPrefix } from './data-account-baseline';

/**
 * Who creates the StackSet (`AWS::CloudFormation::StackSet` `CallAs`): the management account
 * (`SELF`) or a member account registered as a delegated administrator for StackSets
 * (`DELEGATED_ADMIN`; "Register a delegated administrator", AWS CloudFormation User Guide,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html).
 * StackSets of a delegated administrator are still created in the management account.
 */
export class StackSetCallAs {
  /** Deployed in the organization's management account. */
  public static readonly SELF = new StackSetCallAs('SELF');
  /** Deployed in a member account registered as a delegated administrator for CloudFormation StackSets. */
  public static readonly DELEGATED_ADMIN = new StackSetCallAs('DELEGATED_ADMIN');
  /** @param value the `CallAs` value */
  private constructor(public readonly value: string) {}
}

/** Whether a StackSet operation deploys one region at a time or all at once (`OperationPreferences.RegionConcurrencyType`). */
export class StackSetRegionConcurrency {
  /** One region after the other, the primary region first. */
  public static readonly SEQUENTIAL = new StackSetRegionConcurrency('SEQUENTIAL');
  /** Every region at once. */
  public static readonly PARALLEL = new StackSetRegionConcurrency('PARALLEL');
  /** @param value the `RegionConcurrencyType` value */
  private constructor(public readonly value: string) {}
}

/** Props of a `DataProtectionStackSet`. */
export interface DataProtectionStackSetProps {
  /** The template every stack instance deploys: a `DataAccountBaselineStack` created inside this construct's stack. */
  readonly baseline: DataAccountBaselineStack;
  /**
   * The organizational units (`ou-…`) or the root (`r-…`) whose accounts get the baseline, accounts
   * moved or created there later included (automatic deployment). At most the StackSet quotas
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
   */
  readonly organizationalUnitIds: string[];
  /** The regions of every member account the baseline is deployed in. Must include `accounts.primaryRegion` (its instance creates the IAM roles). */
  readonly regions: string[];
  /** Name of the StackSet. @default 'data-protection-baseline' */
  readonly stackSetName?: string;
  /** Whether this stack is in the management account or in a delegated administrator. @default StackSetCallAs.SELF */
  readonly callAs?: StackSetCallAs;
  /**
   * Accounts per region in which an operation may fail before CloudFormation stops it in that
   * region (at least 0). Give this or `failureTolerancePercentage`, not both.
   * @default - failureTolerancePercentage 10
   */
  readonly failureToleranceCount?: number;
  /** Percentage (0-100) of accounts per region in which an operation may fail. @default 10 */
  readonly failureTolerancePercentage?: number;
  /** Accounts deployed at once (at least 1). Give this or `maxConcurrentPercentage`, not both. @default - maxConcurrentPercentage 25 */
  readonly maxConcurrentCount?: number;
  /** Percentage (1-100) of accounts deployed at once. @default 25 */
  readonly maxConcurrentPercentage?: number;
  /** Regions one at a time (the primary region first) or all at once. @default StackSetRegionConcurrency.SEQUENTIAL */
  readonly regionConcurrency?: StackSetRegionConcurrency;
  /**
   * Keep the stack instance when an account leaves the target OUs. Default true: its vault is
   * locked (COMPLIANCE, recovery points cannot be deleted before their retention anyway) and its
   * evidence and history buckets under Object Lock; removing the stack would fail on them or
   * orphan them, and the account would lose its drill and alarms while its recovery points remain.
   * @default true
   */
  readonly retainStacksOnAccountRemoval?: boolean;
}

/**
 * A service-managed StackSet that deploys the data-account baseline into every account of the
 * target OUs and every region, accounts added later included (automatic deployment). Deploy its
 * stack in the organization's management account, or in a delegated administrator for StackSets
 * (`callAs: DELEGATED_ADMIN`), with trusted access for StackSets activated in AWS Organizations.
 *
 * - Permissions: SERVICE_MANAGED, CloudFormation creates the execution roles in the member
 *   accounts ("Create StackSets with service-managed permissions", AWS CloudFormation User Guide,
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-concepts.html).
 * - Automatic deployment ("Enable or disable automatic deployments for StackSets in AWS
 *   Organizations", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html).
 * - Properties and ranges: "AWS::CloudFormation::StackSet", AWS CloudFormation Template Reference,
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html,
 *   and "StackSetOperationPreferences", https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html
 *   (count or percentage, not both; FailureToleranceCount at least 0, FailureTolerancePercentage
 *   0-100, MaxConcurrentCount at least 1, MaxConcurrentPercentage 1-100).
 *
 * The baseline's Lambda code is copied into the bucket `<assetBucketPrefix>-<region>` of every
 * region (an `OrganizationAssetBucket` that must already exist in this account, one stack per
 * region), by a `BucketDeployment` of this stack, whose role is denied every S3 action on a
 * destination bucket owned by another account (`s3:ResourceAccount`). Synth-time errors: bad OU or
 * root ids, regions, ranges, both a count and a percentage, the primary region missing from
 * `regions`, a region without an `OrganizationAssetBucket` of the baseline's prefix in this
 * account in the app. A warning when a target is the organization root.
 */
export class DataProtectionStackSet extends Construct {
  /** The StackSet. */
  public readonly stackSet: cloudformation.CfnStackSet;
  /** The OUs (or root) targeted. */
  public readonly organizationalUnitIds: string[];
  /** The regions targeted, the primary region first. */
  public readonly regions: string[];

  public constructor(scope: Construct, id: string, props: DataProtectionStackSetProps) {
    super(scope, id);
    const P = 'DataProtectionStackSetProps';
    const { baseline } = props;
    if (baseline.parentStack !== Stack.of(this)) {
      throw new Error(`${P}.baseline must be created inside the stack of the DataProtectionStackSet (${Stack.of(this).node.path}): its template and code are that stack's file assets, got a baseline inside ${baseline.parentStack.node.path}`);
    }
    if (!props.organizationalUnitIds?.length) throw new Error(`${P}.organizationalUnitIds must list at least one organizational unit id (ou-…) or the root id (r-…), got ${JSON.stringify(props.organizationalUnitIds)}`);
    // DeploymentTargets.OrganizationalUnitIds: "The organization root ID or organizational unit (OU) IDs"
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudformation-stackset-deploymenttargets.html).
    props.organizationalUnitIds.forEach((ou, i) => (typeof ou === 'string' && ou.startsWith('r-') ? validateRootId : validateOrganizationalUnitId)(`${P}.organizationalUnitIds[${i}]`, ou));
    unique(`${P}.organizationalUnitIds`, props.organizationalUnitIds);
    if (!props.regions?.length) throw new Error(`${P}.regions must list at least one region (e.g. 'eu-west-1'), got ${JSON.stringify(props.regions)}`);
    props.regions.forEach((r, i) => validateRegion(`${P}.regions[${i}]`, r));
    unique(`${P}.regions`, props.regions);
    const primary = baseline.accounts.primaryRegion;
    if (!Token.isUnresolved(primary) && !props.regions.some((r) => Token.isUnresolved(r)) && !props.regions.includes(primary)) {
      throw new Error(`${P}.regions must include the primary region '${primary}' (DataProtectionAccounts.primaryRegion): its stack instance creates the break-glass and backup roles (IAM is global), got ${JSON.stringify(props.regions)}`);
    }
    validateOrganizationId(`${P}.baseline.accounts.organizationId`, baseline.accounts.organizationId, [baseline.accounts.keyAccount, baseline.accounts.backupAccount, baseline.accounts.auditAccount]);
    // The key, backup and audit accounts admit the StackSet's accounts only through the layout's
    // member paths: an account of an OU no path covers could not use its keys, copy into the central
    // vaults or forward its alarms. A service-managed StackSet deploys to the OU's child OUs too, so
    // the path must be the wildcard form '…/<ou>/*' ("aws:PrincipalOrgPaths", IAM User Guide,
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
    const members = baseline.accounts.memberOrganizationalUnitPaths ?? [];
    const uncovered = props.organizationalUnitIds.filter((ou) => !Token.isUnresolved(ou) && !entityPathsCover(members, ou));
    if (uncovered.length > 0) {
      throw new Error(
        `${P}.organizationalUnitIds ${JSON.stringify(uncovered)} are not covered by DataProtectionAccounts.memberOrganizationalUnitPaths of the baseline's accounts (${JSON.stringify(members)}): ` +
          "the key, backup and audit accounts would not admit their accounts. Add each as '<organizationId>/<root id>/…/<ou id>/*' (or '<organizationId>/<root id>/*' for the root) to memberOrganizationalUnitPaths, " +
          'in the layout shared by the baseline and the KeyAccountStack, BackupAccountStack and AuditAccountStack',
      );
    }
    // The root deploys into every member account, the key, backup, audit and identity accounts
    // included (their instances then fail on the baseline's NotALayoutAccount rule).
    const roots = props.organizationalUnitIds.filter((ou) => !Token.isUnresolved(ou) && ou.startsWith('r-'));
    if (roots.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-data-protection:stackset-root-target',
        `${P}.organizationalUnitIds targets the organization root ${JSON.stringify(roots)}: the baseline would be deployed into every member account, the key, backup, audit and identity accounts included. ` +
          "The baseline's rule fails those stack instances (and they count against the failure tolerance): target the OUs of the data accounts instead",
      );
    }
    const name = props.stackSetName ?? 'data-protection-baseline';
    // StackSetName: "must contain only alphanumeric characters (case-sensitive) and hyphens. It must start with an alphabetic character" (128 at most).
    if (!Token.isUnresolved(name) && !/^[a-zA-Z][a-zA-Z0-9-]{0,127}$/.test(name)) {
      throw new Error(`${P}.stackSetName must be 1-128 letters, digits and '-', starting with a letter, got '${name}'`);
    }
    const preferences = operationPreferences(P, props);
    this.organizationalUnitIds = [...props.organizationalUnitIds];
    this.regions = [...props.regions.filter((r) => r === primary), ...props.regions.filter((r) => r !== primary)];

    this.stackSet = new cloudformation.CfnStackSet(this, 'Resource', {
      stackSetName: name,
      description: 'cdk-data-protection: data-account baseline in every account of the target OUs',
      permissionModel: 'SERVICE_MANAGED',
      callAs: (props.callAs ?? StackSetCallAs.SELF).value,
      // The baseline names IAM roles (break-glass, organization backup).
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? true },
      // Operations queue instead of failing when one is already running.
      managedExecution: { Active: true },
      operationPreferences: { ...preferences, regionOrder: this.regions },
      stackInstancesGroup: [{ deploymentTargets: { organizationalUnitIds: this.organizationalUnitIds }, regions: this.regions }],
      // Known once the baseline is synthesized, before this stack (children first); uncached, since
      // references are resolved once before synthesis too (the approach of servicecatalog.ProductStack).
      templateUrl: Lazy.uncachedString({ produce: () => baseline._templateUrl }),
    });
    // The report lists the OUs and regions the rollout covers.
    recordControl(this.stackSet, CONTROLS.ORGANIZATION_ROLLOUT, { detail: { organizationalUnitIds: this.organizationalUnitIds, regions: this.regions } });

    // Every member reads the baseline's code from '<prefix>-<region>' trusting the name: each region's
    // bucket must be an OrganizationAssetBucket of this account in this app (checked once the app is built).
    this.node.addValidation({ validate: () => missingAssetBuckets(this, baseline.assetBucketPrefix, this.regions) });

    // The baseline's Lambda code, copied from this stack's bootstrap bucket into every region's asset bucket.
    const deployments = new Map<string, s3deploy.BucketDeployment>();
    const sourceBuckets = new Map<string, s3.IBucket>();
    // The copies' log group, under a key of this account (aws-cdk-lib would create an unencrypted one).
    let deploymentLogs: logs.LogGroup | undefined;
    const logGroup = () => {
      if (!deploymentLogs) {
        const key = new ProtectedKey(this, 'AssetDeploymentLogKey', { aliasName: `alias/data-protection/stackset-asset-logs-${Stack.of(this).stackName}`.slice(0, 256) });
        key.allowCloudWatchLogs([Stack.of(this).account]);
        deploymentLogs = new logs.LogGroup(this, 'AssetDeploymentLogs', { encryptionKey: key.key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
      }
      return deploymentLogs;
    };
    baseline._onAsset((asset: BaselineAsset) => {
      let source = sourceBuckets.get(asset.sourceBucketName);
      if (!source) {
        source = s3.Bucket.fromBucketName(this, `AssetSource${sourceBuckets.size}`, asset.sourceBucketName);
        sourceBuckets.set(asset.sourceBucketName, source);
      }
      for (const region of this.regions) {
        const existing = deployments.get(region);
        if (existing) {
          existing.addSource(s3deploy.Source.bucket(source, asset.sourceObjectKey));
          continue;
        }
        const destination = s3.Bucket.fromBucketAttributes(this, `AssetBucket-${region}`, { bucketName: `${baseline.assetBucketPrefix}-${region}`, region });
        const deployment = new s3deploy.BucketDeployment(this, `Assets-${region}`, {
          sources: [s3deploy.Source.bucket(source, asset.sourceObjectKey)],
          destinationBucket: destination,
          // Zips as they are: the baseline's functions name them by key.
          extract: false,
          prune: false,
          retainOnDelete: true,
          logGroup: logGroup(),
        });
        deployments.set(region, deployment);
        denyForeignDestination(deployment, destination);
        acknowledgeDeploymentHandler(deployment, [source, destination]);
      }
    });
  }
}

/**
 * Bucket squatting: the destination is found by name only, and a bucket of that name in another
 * account (created before ours, or after ours was deleted) would receive the code every member
 * runs, or serve its own. The handler's role is denied every S3 action on the destination unless
 * the bucket belongs to this account (`s3:ResourceAccount`, "Policy condition keys for Amazon S3",
 * Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys;
 * "Verifying bucket ownership with bucket owner condition", Amazon S3 User Guide,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
 */
function denyForeignDestination(deployment: s3deploy.BucketDeployment, destination: s3.IBucket): void {
  deployment.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: `DenyForeignAssetBucket${destination.bucketName.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 100),
    effect: iam.Effect.DENY,
    actions: ['s3:*'],
    resources: [destination.bucketArn, destination.arnForObjects('*')],
    conditions: { StringNotEquals: { 's3:ResourceAccount': Aws.ACCOUNT_ID } },
  }));
}

/** The regions of the StackSet without an `OrganizationAssetBucket` of `prefix` in this stack's account, as validation errors. */
function missingAssetBuckets(stackSet: DataProtectionStackSet, prefix: string, regions: string[]): string[] {
  const account = Stack.of(stackSet).account;
  const buckets = stackSet.node.root.node.findAll().filter((c): c is OrganizationAssetBucket => c instanceof OrganizationAssetBucket);
  const missing = regions.filter((region) => !Token.isUnresolved(region) && !buckets.some((b) => {
    const stack = Stack.of(b);
    return b.assetBucketPrefix === prefix && stack.region === region && (Token.isUnresolved(account) || stack.account === account);
  }));
  return missing.map((region) =>
    `DataProtectionStackSetProps.regions '${region}' has no OrganizationAssetBucket with assetBucketPrefix '${prefix}' (DataAccountBaselineStackProps.assetBucketPrefix) in account ${Token.isUnresolved(account) ? 'of this stack' : account} and region ${region} of this app: ` +
      `every member account reads the baseline's code from the bucket '${prefix}-${region}' by name, so that bucket must be created by you, in this account. ` +
      `Add a stack with env { account, region: '${region}' } holding an OrganizationAssetBucket of that prefix, deployed before this one`,
  );
}

/** Props of an `OrganizationAssetBucket`. */
export interface OrganizationAssetBucketProps {
  /** The prefix of `DataAccountBaselineStackProps.assetBucketPrefix`: the bucket is `<prefix>-<region of its stack>`. */
  readonly assetBucketPrefix: string;
  /** The organization whose principals may read the objects (`o-…`). */
  readonly organizationId: string;
}

/**
 * The bucket a StackSet baseline's Lambda code is read from in one region: `<prefix>-<region>`,
 * readable (`s3:GetObject`) by principals of the organization only (`aws:PrincipalOrgID`), over
 * TLS only, encrypted (SSE-S3: a KMS key would need a grant to every member account's execution
 * role), versioned, public access blocked. Lambda reads a function's code from a bucket of the
 * function's region, which may be in another account ("FunctionCode", AWS Lambda API Reference,
 * https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html), as the principal creating
 * the function: the StackSet execution role of the member account. `aws:PrincipalOrgID`: "AWS
 * global condition context keys", IAM User Guide,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid.
 *
 * Deploy one stack holding it per region of the StackSet, in the account of the
 * `DataProtectionStackSet`, before that stack: the StackSet's stack copies the code into it (a
 * region without one is a synth error of the `DataProtectionStackSet`). S3 bucket names are global:
 * the member accounts trust the name `<prefix>-<region>`, so choose a prefix nobody else can hold
 * (e.g. with your organization id or management account id in it) and never delete these buckets
 * (they are retained): another account could create a deleted name and serve its own code.
 */
export class OrganizationAssetBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;
  /** The prefix of the bucket's name (`<prefix>-<region>`). */
  public readonly assetBucketPrefix: string;

  public constructor(scope: Construct, id: string, props: OrganizationAssetBucketProps) {
    super(scope, id);
    const P = 'OrganizationAssetBucketProps';
    const prefix = validateAssetBucketPrefix(`${P}.assetBucketPrefix`, props.assetBucketPrefix);
    validateOrganizationIdFormat(`${P}.organizationId`, props.organizationId);
    this.assetBucketPrefix = prefix;
    const region = Stack.of(this).region;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: `${prefix}-${region}`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A policy whose principal is fixed by aws:PrincipalOrgID is not public, so Block Public Access admits it.
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OrganizationReadsStackSetAssets',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject'],
      resources: [this.bucket.arnForObjects('*')],
      conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
    }));
    const bucket = this.bucket.node.defaultChild!;
    acknowledge(bucket, ['AwsSolutions-S1', ...STOCK_RULES.S3_ACCESS_LOGS], 'Holds copies of the Lambda bundles of the StackSet baseline, written by its deployment only; who reads them is recorded by CloudTrail (the S3 data events of an organization trail), not by access logs.');
    acknowledge(bucket, STOCK_RULES.S3_REPLICATION, "Holds copies of the baseline's Lambda bundles: the StackSet's stack copies them again from its CDK bootstrap bucket on every deployment, and each region has its own bucket.");
    acknowledge(bucket, STOCK_RULES.S3_DEFAULT_KMS, "Read by the StackSet execution role of every member account: SSE-S3 needs no key grant to each of them; the bundles are the library's code, not data.");
    acknowledge(bucket, ['DataProtection-DataStoreClassified'], "Holds the library's Lambda bundles for the StackSet baseline, no data: nothing to classify.");
  }
}

/** The findings on aws-cdk-lib's BucketDeployment handler (one singleton function per stack), with reasons. */
function acknowledgeDeploymentHandler(deployment: s3deploy.BucketDeployment, buckets: s3.IBucket[]): void {
  const stack = Stack.of(deployment);
  const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (handler) {
    const fn = handler.node.defaultChild ?? handler;
    acknowledge(fn, STOCK_RULES.LAMBDA_CONCURRENCY, "aws-cdk-lib's BucketDeployment handler runs only while CloudFormation deploys the stack, once per asset bucket: reserving concurrency would only take capacity from the account.");
    acknowledge(fn, STOCK_RULES.LAMBDA_DLQ, 'A failed copy fails the CloudFormation deployment, which reports and rolls back: no event is lost silently.');
    acknowledge(fn, STOCK_RULES.LAMBDA_IN_VPC, 'The handler copies objects between S3 buckets at deploy time and reaches no data store.');
    acknowledge(fn, 'AwsSolutions-L1', "aws-cdk-lib chooses the runtime of its BucketDeployment handler (and its AWS CLI layer); it is updated with aws-cdk-lib.");
  }
  const role = deployment.handlerRole;
  acknowledgeManagedPolicy(role, iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'), "AWSLambdaBasicExecutionRole only lets aws-cdk-lib's BucketDeployment handler write its own logs; its S3 permissions are its inline policy.");
  const policy = defaultPolicyOf(role);
  if (!policy) return;
  acknowledgeInlinePolicy(policy);
  const reason = "aws-cdk-lib's BucketDeployment grants (grantRead on the bootstrap bucket, grantReadWrite on the asset bucket): it copies every object of the baseline's Lambda bundles, whose keys are content hashes.";
  acknowledgeWildcards(policy, [
    ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({ action, reason })),
    ...buckets.map((b) => ({ resource: b.arnForObjects('*'), reason })),
  ]);
}

function operationPreferences(P: string, props: DataProtectionStackSetProps): cloudformation.CfnStackSet.OperationPreferencesProperty {
  for (const [a, b] of [['failureToleranceCount', 'failureTolerancePercentage'], ['maxConcurrentCount', 'maxConcurrentPercentage']] as const) {
    if (props[a] !== undefined && props[b] !== undefined) {
      throw new Error(`${P}.${a} (${props[a]}) and ${P}.${b} (${props[b]}) are exclusive: CloudFormation accepts a count or a percentage, not both; remove one`);
    }
  }
  for (const [prop, min] of [['failureToleranceCount', 0], ['maxConcurrentCount', 1]] as const) {
    const v = props[prop];
    validateInteger(`${P}.${prop}`, v);
    if (v !== undefined && !Token.isUnresolved(v) && v < min) throw new Error(`${P}.${prop} must be at least ${min} accounts, got ${v}`);
  }
  for (const [prop, min] of [['failureTolerancePercentage', 0], ['maxConcurrentPercentage', 1]] as const) {
    validateInteger(`${P}.${prop}`, props[prop]);
    validateRange(`${P}.${prop}`, props[prop], min, 100, 'percent');
  }
  return {
    ...(props.failureToleranceCount !== undefined ? { failureToleranceCount: props.failureToleranceCount } : { failureTolerancePercentage: props.failureTolerancePercentage ?? 10 }),
    ...(props.maxConcurrentCount !== undefined ? { maxConcurrentCount: props.maxConcurrentCount } : { maxConcurrentPercentage: props.maxConcurrentPercentage ?? 25 }),
    regionConcurrencyType: (props.regionConcurrency ?? StackSetRegionConcurrency.SEQUENTIAL).value,
  };
}

function unique(prop: string, values: string[]): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new Error(`${prop} must not repeat a value, got '${v}' twice in ${JSON.stringify(values)}`);
    seen.add(v);
  }
}

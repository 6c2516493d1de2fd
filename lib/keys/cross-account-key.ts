import { createHash } from 'node:crypto';
import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeInlinePolicy, acknowledgeWildcards, defaultPolicyOf, STOCK_RULES } from '../core/acknowledgements';
import { handlerCode } from '../core/handler-code';
import { validateAccountId } from '../core/validation';
import { ProtectedKey } from './protected-key';

export interface CrossAccountKeyProps {
  /** The key account's id. */
  readonly keyAccount: string;
  /** The alias of the `ProtectedKey` in the key account, e.g. `alias/data-protection/confidential`. */
  readonly aliasName: string;
  /** @default - this stack's region */
  readonly region?: string;
  /**
   * ARN of a key-lookup function of this account and region to resolve the alias with (e.g. the
   * one of the `DataAccountStack` holding the account's protection set, named by
   * `KeyLookupProvider.sharedFunctionName`), instead of a function in this stack. That function's
   * stack must deploy first, and its role must be allowed to describe the key account's keys.
   * @default - a key-lookup function in this stack
   */
  readonly lookupFunctionArn?: string;
}

/**
 * A key that lives in the key account, used from a data, backup or audit account. Resolves
 * the deterministic alias ARN to the key ARN at deploy time with `kms:DescribeKey`
 * (granted to consumer accounts by `ProtectedKey`), because resource properties (S3 default
 * encryption, Backup vaults, CloudWatch Logs, KMS grants) need the key ARN, not the alias.
 * No ARN is copied by hand.
 */
export class CrossAccountKey extends Construct {
  /** The key, for `encryptionKey` props and `grant*` (grants land in IAM policies only). */
  public readonly key: kms.IKey;
  /** The resolved key ARN (a deploy-time token). */
  public readonly keyArn: string;
  /** The alias ARN it was resolved from. */
  public readonly aliasArn: string;

  public constructor(scope: Construct, id: string, props: CrossAccountKeyProps) {
    super(scope, id);
    validateAccountId('CrossAccountKeyProps.keyAccount', props.keyAccount);
    if (!Token.isUnresolved(props.aliasName) && !props.aliasName.startsWith('alias/')) {
      throw new Error(`CrossAccountKeyProps.aliasName must start with 'alias/', got '${props.aliasName}'`);
    }
    const stack = Stack.of(this);
    const region = props.region ?? stack.region;
    this.aliasArn = ProtectedKey.aliasArnFor(props.keyAccount, region, props.aliasName);
    let serviceToken = props.lookupFunctionArn;
    let shared = serviceToken !== undefined;
    if (serviceToken === undefined) {
      const provider = KeyLookupProvider.of(stack);
      provider.allowDescribeKeysOf(props.keyAccount, region);
      serviceToken = provider.function.functionArn;
      shared = provider.shared;
    }
    // CloudFormation cannot change a custom resource's ServiceToken ("Updates are not supported",
    // AWS::CloudFormation::CustomResource, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cfn-customresource.html):
    // a lookup through the account's shared function has its own logical id, so a deployed stack
    // moving to it replaces its lookups instead of failing the update.
    const lookup = new CustomResource(this, shared ? 'SharedLookup' : 'DescribeKey', {
      serviceToken,
      resourceType: 'Custom::DataProtectionKeyLookup',
      properties: { AliasArn: this.aliasArn, Region: region },
      // The handler retries for at most ~6 min and always answers; do not let a lost answer block the stack for an hour.
      serviceTimeout: Duration.minutes(15),
    });
    // DescribeKey's own path, as the AwsCustomResource lookup it replaces returned it (see key-lookup.lambda.ts).
    this.keyArn = lookup.getAttString('KeyMetadata.Arn');
    this.key = kms.Key.fromKeyArn(this, 'Key', this.keyArn);
  }
}

/**
 * The one key-lookup function of a stack: its own role (logs of its own log group, DescribeKey
 * on the key account's keys of the regions looked up), bundled handler `key-lookup`.
 */
export class KeyLookupProvider extends Construct {
  /** The provider of `stack`, created on first use. */
  public static of(stack: Stack): KeyLookupProvider {
    const id = 'DataProtectionKeyLookupProvider';
    return (stack.node.tryFindChild(id) as KeyLookupProvider | undefined) ?? new KeyLookupProvider(stack, id);
  }

  /**
   * Name of the key-lookup function the data stacks of an account share, held by the stack
   * `holderStackName` (the one holding the account's protection set): derived from that stack's
   * name, so moving the protection set to another stack, or a second stage in the same account,
   * never collides with a function that still exists.
   */
  public static sharedFunctionName(holderStackName: string): string {
    const name = `data-protection-key-lookup-${holderStackName}`;
    // Lambda function names: at most 64 letters, digits, hyphens and underscores.
    if (name.length <= 64) return name;
    return `${name.slice(0, 55)}-${createHash('sha256').update(holderStackName).digest('hex').slice(0, 8)}`;
  }

  /**
   * The shared key-lookup function of `stack`'s account and region, created in `stack` under
   * `sharedFunctionName(stack.stackName)`, so the account's other stacks can use it by ARN,
   * without a CloudFormation reference. Idempotent.
   */
  public static shared(stack: Stack): KeyLookupProvider {
    const id = 'DataProtectionKeyLookupProvider';
    const existing = stack.node.tryFindChild(id) as KeyLookupProvider | undefined;
    if (existing && !existing.shared) throw new Error(`${stack.node.path}: its key-lookup function was created before it became the shared one; create the shared provider first`);
    return existing ?? new KeyLookupProvider(stack, id, KeyLookupProvider.sharedFunctionName(stack.stackName));
  }

  /** ARN of the shared key-lookup function held by the stack named `holderStackName`, in `scope`'s account and region (`shared`), built from its name. */
  public static sharedFunctionArn(scope: Stack, holderStackName: string): string {
    return scope.formatArn({ service: 'lambda', resource: 'function', resourceName: KeyLookupProvider.sharedFunctionName(holderStackName), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** Whether this is the account's shared function (fixed name). */
  public readonly shared: boolean;

  public readonly function: lambda.Function;
  private readonly role: iam.Role;
  private readonly keyResources = new Set<string>();
  private readonly statement: iam.PolicyStatement;

  private constructor(scope: Stack, id: string, functionName?: string) {
    super(scope, id);
    this.shared = functionName !== undefined;
    const description = 'cdk-data-protection: resolves key-account alias ARNs to key ARNs at deploy time';
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogsOnly', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    // No kms:ResourceAliases condition: alias authorization lags alias changes by up to five
    // minutes. The key policies grant DescribeKey only to their consumer accounts.
    this.statement = new iam.PolicyStatement({ sid: 'DescribeKeyAccountKeys', actions: ['kms:DescribeKey'], resources: [] });
    this.role.addToPrincipalPolicy(this.statement);
    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: handlerCode('key-lookup'),
      description,
      role: this.role,
      logGroup,
      // 6 min 15 s of backoff plus the calls themselves.
      timeout: Duration.minutes(10),
      memorySize: 256,
      functionName,
    });
    const fn = this.function.node.defaultChild!;
    acknowledge(fn, STOCK_RULES.LAMBDA_CONCURRENCY, 'The key lookup runs only while CloudFormation deploys the stack, once per key: reserving concurrency would only take capacity from the account.');
    acknowledge(fn, STOCK_RULES.LAMBDA_DLQ, 'CloudFormation invokes the key lookup and waits for its answer; a failure fails the deployment, which reports and rolls back, so there is no event to dead-letter.');
    acknowledge(fn, STOCK_RULES.LAMBDA_IN_VPC, 'The key lookup only calls KMS DescribeKey at deploy time and reaches no data store, so a VPC would add endpoints without isolating anything.');
    acknowledge(logGroup.node.defaultChild!, STOCK_RULES.LOG_GROUP_KMS, 'The key lookup logs alias ARNs and KMS error names at deploy time, no data; CloudWatch Logs encrypts them at rest with its own keys.');
    acknowledgeInlinePolicy(defaultPolicyOf(this.role), 'The key lookup role only writes its own log group and describes keys of the key account: an inline policy lives and dies with this one role.');
  }

  /** Lets the lookup describe the keys of `keyAccount` in `region` (deduplicated). */
  public allowDescribeKeysOf(keyAccount: string, region: string): void {
    const resource = `arn:${Stack.of(this).partition}:kms:${region}:${keyAccount}:key/*`;
    if (this.keyResources.has(resource)) return;
    this.keyResources.add(resource);
    this.statement.addResources(resource);
    acknowledgeWildcards(defaultPolicyOf(this.role)!, [
      {
        resource,
        reason:
          "Key ids are random, so DescribeKey names key/* of the key account (or of this account, for its fallback keys) in this region; DescribeKey returns metadata only, and the keys' policies allow it only to their consumer accounts (kms:CallerAccount).",
      },
    ]);
  }
}

import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { IConstruct } from 'constructs';
import { cfnOf } from './controls';
import { inheritValidationAspects } from './stage-aspects';

/**
 * Acknowledgements of stock cdk-nag findings (AwsSolutions, NIST 800-53 R5, HIPAA Security,
 * PCI DSS 3.2.1) that a construct of this library owns by design. Each construct acknowledges
 * its own decisions on the narrowest construct (the CloudFormation resource), with a reason,
 * so every user of the construct benefits and reviewers see the reason next to the resource.
 */

/** Stock-pack rule ids per finding, as cdk-nag 3 names them. */
export const STOCK_RULES = {
  /** The role's policy is inline (an `AWS::IAM::Policy` or `Policies` of a role). */
  INLINE_POLICY: ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy', 'PCI.DSS.321-IAMNoInlinePolicy'],
  LAMBDA_CONCURRENCY: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
  LAMBDA_DLQ: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ'],
  LAMBDA_IN_VPC: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
  LOG_GROUP_KMS: ['NIST.800.53.R5-CloudWatchLogGroupEncrypted', 'HIPAA.Security-CloudWatchLogGroupEncrypted', 'PCI.DSS.321-CloudWatchLogGroupEncrypted'],
  S3_REPLICATION: ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled'],
  S3_DEFAULT_KMS: ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'HIPAA.Security-S3DefaultEncryptionKMS', 'PCI.DSS.321-S3DefaultEncryptionKMS'],
  RDS_IN_BACKUP_PLAN: ['NIST.800.53.R5-RDSInBackupPlan', 'HIPAA.Security-RDSInBackupPlan'],
  DYNAMODB_IN_BACKUP_PLAN: ['NIST.800.53.R5-DynamoDBInBackupPlan', 'HIPAA.Security-DynamoDBInBackupPlan'],
  EFS_IN_BACKUP_PLAN: ['NIST.800.53.R5-EFSInBackupPlan', 'HIPAA.Security-EFSInBackupPlan'],
  EBS_IN_BACKUP_PLAN: ['NIST.800.53.R5-EC2EBSInBackupPlan', 'HIPAA.Security-EC2EBSInBackupPlan'],
  TRAIL_CLOUDWATCH_LOGS: ['NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled', 'HIPAA.Security-CloudTrailCloudWatchLogsEnabled', 'PCI.DSS.321-CloudTrailCloudWatchLogsEnabled'],
  /** The bucket has no server access logs (AwsSolutions-S1 is the fourth pack's). */
  S3_ACCESS_LOGS: ['NIST.800.53.R5-S3BucketLoggingEnabled', 'HIPAA.Security-S3BucketLoggingEnabled', 'PCI.DSS.321-S3BucketLoggingEnabled'],
  /** The VPC has no flow logs (AwsSolutions-VPC7 is the fourth pack's). */
  VPC_FLOW_LOGS: ['NIST.800.53.R5-VPCFlowLogsEnabled', 'HIPAA.Security-VPCFlowLogsEnabled', 'PCI.DSS.321-VPCFlowLogsEnabled'],
  /** The VPC's default security group is not closed by aws-cdk-lib's `Custom::VpcRestrictDefaultSG`. */
  VPC_DEFAULT_SG_CLOSED: ['NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'HIPAA.Security-VPCDefaultSecurityGroupClosed', 'PCI.DSS.321-VPCDefaultSecurityGroupClosed'],
} as const;

/**
 * Acknowledges findings on `scope` with a reason. Idempotent: an id already acknowledged on
 * this construct is not recorded twice (the first reason stays).
 */
export function acknowledge(scope: IConstruct, ids: string | readonly string[], reason: string): void {
  if (!reason || reason.trim() === '') throw new Error(`acknowledge(${scope.node.path}): a reason is required for ${String(ids)}`);
  // In a nested stage, the app's packs would not write the acknowledgement into the template.
  inheritValidationAspects(scope);
  const already = new Set(
    scope.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && m.data)
      .flatMap((m) => Object.keys(m.data as object).map((k) => k.replace(/^annotation::/i, ''))),
  );
  for (const id of typeof ids === 'string' ? [ids] : ids) {
    if (already.has(id)) continue;
    const key = STOCK_RULE_KEYS.get(id) ?? (PACK_RULE.test(id) && packKeyPrefix !== undefined ? `${packKeyPrefix}${id}` : undefined);
    if (key !== undefined) {
      // A stock pack's rule id is never an annotation of this app: record the acknowledgement the
      // packs read, without the stack trace and annotation sweep `Validations.acknowledge` adds
      // (measured: most of the library's synth time per data store at N = 1,000).
      scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [key]: reason });
    } else {
      Validations.of(scope).acknowledge({ id, reason });
      learnKey(scope, id);
    }
    already.add(id);
  }
}

/** Stock rule id → the acknowledgement metadata key `Validations.acknowledge` records for it, learned from its first use. */
const STOCK_RULE_KEYS = new Map<string, string>();
const STOCK_RULE_IDS: ReadonlySet<string> = new Set(Object.values(STOCK_RULES).flat());

/**
 * Rule ids of the five packs' validation plugins (a stock rule, possibly with its finding in
 * brackets, or one of `DataProtectionChecks`): reported at validation, never a warning already on
 * the tree, so their acknowledgement needs no annotation sweep either.
 */
const PACK_RULE = /^(AwsSolutions|NIST\.800\.53\.R5|HIPAA\.Security|PCI\.DSS\.321|DataProtection)-[A-Za-z0-9]+(\[.*\])?$/;
const PACK_NAMES = ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', 'DataProtection'];
/** The prefix `Validations.acknowledge` puts before a pack rule id in its metadata key (e.g. `Annotation::`), learned from its first use. */
let packKeyPrefix: string | undefined;

function learnKey(scope: IConstruct, id: string): void {
  const entry = [...scope.node.metadata].reverse().find((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
  const key = entry && Object.keys(entry.data as object)[0];
  if (!key || key.replace(/^annotation::/i, '') !== id) return;
  if (STOCK_RULE_IDS.has(id) && !STOCK_RULE_KEYS.has(id)) STOCK_RULE_KEYS.set(id, key);
  // A prefix naming the rule's own pack (e.g. 'AwsSolutions::') would be wrong for the other packs: learned only when it names none.
  const prefix = key.endsWith(id) ? key.slice(0, key.length - id.length) : undefined;
  if (packKeyPrefix === undefined && PACK_RULE.test(id) && prefix !== undefined && !PACK_NAMES.some((p) => prefix.includes(p))) packKeyPrefix = prefix;
}

/** The CloudFormation resource of an L2 (its default child), else the construct itself: the narrowest place. */
function narrowest(scope: IConstruct): IConstruct {
  return cfnOf(scope) ?? scope;
}

/**
 * A value as cdk-nag's IAM4/IAM5 findings spell it: resolved, `Fn::Join` flattened,
 * `Ref` as `<Id>` and `Fn::GetAtt` as `<Id.Attr>`.
 */
export function nagFindingValue(scope: IConstruct, value: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
    const o = node as Record<string, any>;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(visit).join(o['Fn::Join'][0]);
    if (o['Fn::Sub']) return visit(o['Fn::Sub']);
    if (o['Fn::GetAtt']) return `<${visit(o['Fn::GetAtt'][0])}.${visit(o['Fn::GetAtt'][1])}>`;
    if (o['Fn::ImportValue']) return visit(o['Fn::ImportValue']);
    if (o.Ref) return `<${visit(o.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}

/** A wildcard a policy needs, and why. */
export interface WildcardGrant {
  /** A wildcard action, e.g. `s3:GetObject*`. */
  readonly action?: string;
  /** A resource ARN containing `*` (tokens allowed: it is resolved as cdk-nag sees it). */
  readonly resource?: string;
  readonly reason: string;
}

/** Acknowledges `AwsSolutions-IAM5` findings of a policy (an `iam.Policy`, a role's `DefaultPolicy` or their CfnPolicy). */
export function acknowledgeWildcards(policy: IConstruct, grants: WildcardGrant[]): void {
  const target = narrowest(policy);
  for (const g of grants) {
    if (g.action) acknowledge(target, `AwsSolutions-IAM5[Action::${g.action}]`, g.reason);
    if (g.resource) acknowledge(target, `AwsSolutions-IAM5[Resource::${nagFindingValue(target, g.resource)}]`, g.reason);
  }
}

/** Acknowledges `AwsSolutions-IAM4` for an AWS managed policy attached to a role. */
export function acknowledgeManagedPolicy(role: IConstruct, policy: iam.IManagedPolicy, reason: string): void {
  const target = narrowest(role);
  acknowledge(target, `AwsSolutions-IAM4[Policy::${nagFindingValue(target, policy.managedPolicyArn)}]`, reason);
}

/** Why grants stay inline: the same sentence everywhere the library grants through `addToPrincipalPolicy`. */
export const INLINE_POLICY_REASON =
  'The permissions belong to this one role: an inline policy is created, reviewed and deleted with the role and cannot be attached to any other principal, unlike a managed policy.';

/** Acknowledges the inline-policy rules on an `iam.Policy` (e.g. a role's `DefaultPolicy`); no-op when undefined. */
export function acknowledgeInlinePolicy(policy: IConstruct | undefined, reason: string = INLINE_POLICY_REASON): void {
  if (policy) acknowledge(narrowest(policy), STOCK_RULES.INLINE_POLICY, reason);
}

/** The role's `DefaultPolicy`, where `grant*` and `addToPrincipalPolicy` land. */
export function defaultPolicyOf(role: IConstruct): IConstruct | undefined {
  return role.node.tryFindChild('DefaultPolicy');
}

/**
 * Acknowledges the findings on the singleton Lambda that runs every `AwsCustomResource` of a
 * stack (aws-cdk-lib's provider, id `AWS<uuid>` under the stack). Safe to call once per custom
 * resource: the acknowledgements are recorded once.
 */
export function acknowledgeAwsCustomResourceProvider(scope: IConstruct): void {
  const stack = Stack.of(scope);
  const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (!provider) return;
  const fn = narrowest(provider);
  acknowledge(fn, STOCK_RULES.LAMBDA_CONCURRENCY, 'The AwsCustomResource provider runs only while CloudFormation deploys the stack, one call per custom resource: reserving concurrency would only take capacity from the account.');
  acknowledge(fn, STOCK_RULES.LAMBDA_DLQ, 'A failed provider invocation fails the CloudFormation deployment, which reports and rolls back: no event is lost silently, so there is nothing to dead-letter.');
  acknowledge(fn, STOCK_RULES.LAMBDA_IN_VPC, 'The provider only calls AWS APIs at deploy time (KMS DescribeKey, Backup region settings) and reaches no data store, so a VPC would add endpoints without isolating anything.');
  const role = provider.node.tryFindChild('ServiceRole');
  if (role) {
    acknowledgeManagedPolicy(
      role,
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'),
      "AWSLambdaBasicExecutionRole only lets aws-cdk-lib's AwsCustomResource provider write its own logs; its API permissions are separate per-call policies.",
    );
  }
  const logGroup = provider.node.tryFindChild('LogGroup');
  if (logGroup) {
    acknowledge(narrowest(logGroup), STOCK_RULES.LOG_GROUP_KMS, 'The provider logs deploy-time SDK requests (key aliases, region settings) and no data; CloudWatch Logs encrypts them at rest with its own keys.');
  }
}

/** Construct id of aws-cdk-lib's provider of `Custom::VpcRestrictDefaultSG` (one per stack). */
const VPC_RESTRICT_PROVIDER_ID = 'Custom::VpcRestrictDefaultSGCustomResourceProvider';

/**
 * Acknowledges, with reasons written into the template, the findings on what closes a VPC's
 * default security group: aws-cdk-lib's `Custom::VpcRestrictDefaultSG` (`restrictDefaultSecurityGroup`,
 * on by default with the `@aws-cdk/aws-ec2:restrictDefaultSecurityGroup` flag). Its provider role
 * and function are untyped `CfnResource`s, which cdk-nag's in-app rules do not see but a scanner of
 * the template does; and a template scanner cannot link the custom resource to the VPC, so it
 * reports the default security group as open. Keeping the restriction (rather than turning it off
 * to get rid of the provider) is the point: the default security group allows all traffic between
 * its members and all egress.
 * @throws when the VPC does not restrict its default security group (nothing to acknowledge: it is open)
 */
export function acknowledgeVpcDefaultSecurityGroupRestriction(vpc: IConstruct): void {
  const restrict = vpc.node.tryFindChild('RestrictDefaultSecurityGroupCustomResource');
  const restrictResource = restrict ? cfnOf(restrict) : undefined;
  const cfnVpc = cfnOf(vpc);
  if (!restrictResource || !cfnVpc) {
    throw new Error(
      `acknowledgeVpcDefaultSecurityGroupRestriction(${vpc.node.path}): the VPC does not restrict its default security group ` +
        '(restrictDefaultSecurityGroup: true, or the @aws-cdk/aws-ec2:restrictDefaultSecurityGroup feature flag); it stays open and the findings stand.',
    );
  }
  const stack = Stack.of(vpc);
  acknowledge(
    cfnVpc,
    STOCK_RULES.VPC_DEFAULT_SG_CLOSED,
    `The default security group is closed (all rules revoked) by aws-cdk-lib's Custom::VpcRestrictDefaultSG resource ${stack.resolve(restrictResource.logicalId)} of this template; cdk-nag recognizes it only in the construct tree, not in the template.`,
  );
  const provider = stack.node.tryFindChild(VPC_RESTRICT_PROVIDER_ID);
  const role = provider?.node.tryFindChild('Role');
  const handler = provider?.node.tryFindChild('Handler');
  if (role) {
    acknowledgeManagedPolicy(
      role,
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'),
      "AWSLambdaBasicExecutionRole only lets aws-cdk-lib's VpcRestrictDefaultSG provider write its own logs; its EC2 permissions are the separate inline policy scoped to the default security groups of this stack's VPCs.",
    );
    acknowledge(
      role,
      STOCK_RULES.INLINE_POLICY,
      "aws-cdk-lib creates the VpcRestrictDefaultSG provider role with one inline policy allowing only ec2:Authorize/RevokeSecurityGroupIngress/Egress on the default security groups of this stack's VPCs; it lives and dies with the role and cannot be attached to another principal.",
    );
  }
  if (handler) {
    acknowledge(handler, STOCK_RULES.LAMBDA_CONCURRENCY, "aws-cdk-lib's VpcRestrictDefaultSG provider runs only while CloudFormation creates, updates or deletes the VPC, once per event: reserving concurrency would only take capacity from the account.");
    acknowledge(handler, STOCK_RULES.LAMBDA_DLQ, 'A failed provider invocation fails the CloudFormation deployment, which reports it and rolls back: no event is lost silently, so there is nothing to dead-letter.');
    acknowledge(
      handler,
      STOCK_RULES.LAMBDA_IN_VPC,
      'The provider only calls the EC2 API at deploy time to revoke the default security group rules and reaches no data store; inside the isolated subnets it would need an EC2 endpoint without isolating anything.',
    );
  }
}

#!/usr/bin/env node
/**
 * Pipeline: the four-account `DataProtectionStage` deployed by CDK Pipelines from a tooling
 * account, first to a test layout (its own key, data, backup and audit accounts), then, after a
 * manual approval, to production. Synthesizes offline: the CodeStar connection ARN and every
 * account id are placeholders in cdk.json.
 *
 *   cd examples/pipeline && npx cdk synth '**'
 *
 * In your own app, import from 'cdk-data-protection' instead of '../../lib'.
 */
import { App, CfnResource, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct, IConstruct } from 'constructs';
import {
  DataProtection,
  DataAccountStack,
  DataAccountStackProps,
  DataClassification,
  DataProtectionAccounts,
  DataProtectionStage,
} from '../../lib';

/** The application's data account: one classified table, protected end to end. */
export class LedgerDataStack extends DataAccountStack {
  public readonly ledger: dynamodb.TableV2;

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);
    this.ledger = new dynamodb.TableV2(this, 'Ledger', {
      tableName: 'ledger-entries',
      partitionKey: { name: 'entryId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.dynamoDbKeyFor(DataClassification.CONFIDENTIAL)),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    DataProtection.classify(this.ledger, DataClassification.CONFIDENTIAL);
    this.protect();
  }
}

/** Pipeline settings from cdk.json context `cdk-data-protection-pipeline`. */
export interface PipelineSettings {
  readonly toolingAccount: string;
  readonly connectionArn: string;
  readonly repository: string;
  readonly branch: string;
  readonly testAccounts: DataProtectionAccounts;
  readonly prodAccounts: DataProtectionAccounts;
}

export function pipelineSettings(app: App): PipelineSettings {
  const ctx = app.node.tryGetContext('cdk-data-protection-pipeline');
  if (!ctx) throw new Error("Context 'cdk-data-protection-pipeline' is missing: add toolingAccount, connectionArn, repository, branch and testAccounts to cdk.json");
  const prodAccounts = DataProtection.accountsFromContext(app);
  const t = ctx.testAccounts;
  return {
    toolingAccount: String(ctx.toolingAccount),
    connectionArn: ctx.connectionArn,
    repository: ctx.repository,
    branch: ctx.branch,
    prodAccounts,
    // Same regions and organization as production; its own four accounts.
    testAccounts: { ...prodAccounts, keyAccount: String(t.key), dataAccounts: [String(t.data)], backupAccount: String(t.backup), auditAccount: String(t.audit) },
  };
}

export interface DataPlatformPipelineStackProps extends StackProps {
  readonly settings: PipelineSettings;
}

/** The pipeline, in the tooling account. Stages are added by `buildPipelineApp`. */
export class DataPlatformPipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;

  public constructor(scope: Construct, id: string, props: DataPlatformPipelineStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: 'data-platform',
      // Deploys into other accounts: the artifact bucket needs a KMS key those accounts can use.
      crossAccountKeys: true,
      enableKeyRotation: true,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.connection(settings.repository, settings.branch, { connectionArn: settings.connectionArn }),
        // '**' selects the stacks inside the stages, so the five nag packs gate every deployment.
        commands: ['npm ci', 'cd examples/pipeline', "npx cdk synth '**'"],
        primaryOutputDirectory: 'examples/pipeline/cdk.out',
      }),
    });
  }
}

export interface PipelineApp {
  readonly pipelineStack: DataPlatformPipelineStack;
  readonly test: DataProtectionStage;
  readonly prod: DataProtectionStage;
  readonly testData: LedgerDataStack;
  readonly prodData: LedgerDataStack;
}

/** Builds the pipeline and its two stages into `app`. */
export function buildPipelineApp(app: App): PipelineApp {
  const settings = pipelineSettings(app);
  const pipelineStack = new DataPlatformPipelineStack(app, 'DataPlatformPipeline', {
    env: { account: settings.toolingAccount, region: settings.prodAccounts.primaryRegion },
    settings,
  });

  const test = new DataProtectionStage(app, 'Test', { accounts: settings.testAccounts, alarmEmails: ['data-platform-oncall@example.com'] });
  const testData = new LedgerDataStack(test, 'Ledger', test.dataStackProps());
  const prod = new DataProtectionStage(app, 'Prod', { accounts: settings.prodAccounts, alarmEmails: ['data-platform-oncall@example.com'] });
  const prodData = new LedgerDataStack(prod, 'Ledger', prod.dataStackProps());

  // Stack dependencies inside each stage (keys → backup/audit → data) become the deployment order.
  pipelineStack.pipeline.addStage(test);
  pipelineStack.pipeline.addStage(prod, { pre: [new pipelines.ManualApprovalStep('PromoteToProduction', { comment: 'Test stage deployed and its drills green?' })] });
  pipelineStack.pipeline.buildPipeline();
  acknowledgePipelineFindings(pipelineStack);
  return { pipelineStack, test, prod, testData, prodData };
}

/** Acknowledges on the CloudFormation resource itself (the L2's default child when given an L2). */
function acknowledge(scope: IConstruct, ids: string[], reason: string): void {
  Validations.of(scope.node.defaultChild ?? scope).acknowledge(...ids.map((id) => ({ id, reason })));
}

const INLINE_POLICY = ['HIPAA.Security-IAMNoInlinePolicy', 'NIST.800.53.R5-IAMNoInlinePolicy', 'PCI.DSS.321-IAMNoInlinePolicy'];
const ARTIFACT_READ = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'];
const ARTIFACT_WRITE = [...ARTIFACT_READ, 's3:DeleteObject*', 's3:Abort*'];
const ARTIFACT_KEY = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'];
const iam5 = (kind: 'Action' | 'Resource', values: string[]) => values.map((v) => `AwsSolutions-IAM5[${kind}::${v}]`);

/**
 * The pipeline's own findings (resources CDK Pipelines generates in the tooling account), each
 * with its reason, on the construct that holds it. Nothing here touches the stages' stacks.
 */
function acknowledgePipelineFindings(stack: DataPlatformPipelineStack): void {
  const pipeline = stack.pipeline.pipeline;
  const ref = (c: IConstruct) => `<${stack.resolve((c.node.defaultChild as CfnResource).logicalId)}.Arn>/*`;
  const artifacts = ref(pipeline.artifactBucket);
  const region = stack.region;
  const account = stack.account;
  const codeBuildLogs = (project: IConstruct) => {
    const id = stack.resolve((project.node.defaultChild as CfnResource).logicalId);
    return [`arn:aws:codebuild:${region}:${account}:report-group/<${id}>-*`, `arn:aws:logs:${region}:${account}:log-group:/aws/codebuild/<${id}>:*`];
  };
  const grants = 'CDK Pipelines grant on its own artifact bucket and artifact key only (object paths and key actions it needs to pass build artifacts between actions)';

  // Every role of the pipeline gets its own generated, least-privilege inline policy.
  for (const c of stack.node.findAll()) {
    if (c instanceof iam.CfnPolicy) acknowledge(c, INLINE_POLICY, 'Generated by CDK Pipelines: one role per action, each with an inline policy scoped to that action');
  }
  const synthProject = pipeline.node.findChild('Build').node.findChild('Synth').node.findChild('CdkBuildProject');
  const selfMutation = stack.pipeline.node.findChild('UpdatePipeline').node.findChild('SelfMutation');

  const pipelineRolePolicy = pipeline.role.node.findChild('DefaultPolicy');
  const replication = Object.values(pipeline.crossRegionSupport).map((s) => `arn:aws:s3:::${stack.resolve(s.replicationBucket.bucketName)}/*`);
  acknowledge(pipelineRolePolicy, [...iam5('Action', [...ARTIFACT_WRITE, ...ARTIFACT_KEY]), ...iam5('Resource', [artifacts, ...replication])], grants + ' and the DR-region replication bucket');
  acknowledge(pipelineRolePolicy, iam5('Resource', ['*']), 'sts:AssumeRole of the per-action roles CDK Pipelines creates; the roles themselves are scoped');

  const sourceRole = pipeline.node.findChild('Source').node.children.flatMap((c) => c.node.tryFindChild('CodePipelineActionRole') ?? []);
  for (const r of sourceRole) acknowledge(r.node.findChild('DefaultPolicy'), [...iam5('Action', [...ARTIFACT_WRITE, ...ARTIFACT_KEY]), ...iam5('Resource', [artifacts])], grants);

  acknowledge((synthProject.node.findChild('Role') as iam.Role).node.findChild('DefaultPolicy'), [
    ...iam5('Action', [...ARTIFACT_WRITE, ...ARTIFACT_KEY]),
    ...iam5('Resource', [artifacts, ...codeBuildLogs(synthProject)]),
  ], grants + '; CodeBuild log group and report groups named after the synth project');

  acknowledge(selfMutation.node.findChild('Role').node.findChild('DefaultPolicy'), [
    ...iam5('Action', [...ARTIFACT_READ, ...ARTIFACT_KEY]),
    ...iam5('Resource', [artifacts, ...codeBuildLogs(selfMutation), '*', `arn:*:iam::${account}:role/*`]),
  ], 'Self-mutation reads the synthesized assembly, describes its own stack (Resource *) and assumes the CDK bootstrap roles of the tooling account (role/*, conditioned on the bootstrap role tag)');

  const assets = stack.pipeline.node.findChild('Assets');
  acknowledge(assets.node.findChild('FileRole').node.findChild('DefaultPolicy'), [
    ...iam5('Action', ARTIFACT_READ),
    ...iam5('Resource', [artifacts, '*', `arn:aws:codebuild:${region}:${account}:report-group/*`, `arn:aws:logs:${region}:${account}:log-group:/aws/codebuild/*`]),
  ], 'Asset publishing reads build artifacts and assumes the cdk-file-publishing bootstrap roles of the target accounts; CodeBuild logs of the asset projects');

  // CodeBuild projects take their source from the pipeline (CODEPIPELINE), never from a repository URL with credentials.
  for (const c of stack.node.findAll()) {
    if (c instanceof codebuild.CfnProject) {
      acknowledge(c, ['HIPAA.Security-CodeBuildProjectSourceRepoUrl', 'PCI.DSS.321-CodeBuildProjectSourceRepoUrl'], 'Source type CODEPIPELINE: the source comes from the CodeStar connection, no repository URL or credentials in the project');
    }
  }

  // Artifact buckets and keys: build outputs (templates, assets) regenerated by every run, no business data.
  const keyIn = (scope: IConstruct) => scope.node.findAll().find((c) => c instanceof kms.CfnKey);
  const buckets: Array<[IConstruct, IConstruct | undefined]> = [[pipeline.artifactBucket, pipeline.artifactBucket.encryptionKey]];
  // The DR-region replication bucket lives in the support stack CDK Pipelines adds to the tooling account.
  for (const s of Object.values(pipeline.crossRegionSupport)) buckets.push([s.replicationBucket, keyIn(s.stack)]);
  for (const [bucket, key] of buckets) {
    acknowledge(bucket, ['AwsSolutions-S1', 'HIPAA.Security-S3BucketLoggingEnabled', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'PCI.DSS.321-S3BucketLoggingEnabled'],
      'Pipeline artifact bucket: written and read only by the pipeline roles; CloudTrail management events record access to it');
    acknowledge(bucket, ['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled',
      'HIPAA.Security-S3BucketVersioningEnabled', 'NIST.800.53.R5-S3BucketVersioningEnabled', 'PCI.DSS.321-S3BucketVersioningEnabled'],
    'Pipeline artifacts are regenerated from the repository by every run: no versions or replicas to keep');
    acknowledge(bucket, ['DataProtection-DataStoreClassified'], 'Build artifacts (templates and Lambda bundles from the repository), no business data to classify');
    if (key) {
      acknowledge(key, ['DataProtection-KMSKeyAdminUserSeparated', 'DataProtection-KMSKeyDeletionProtected', 'DataProtection-KMSKeyPolicyNoWildcards'],
        'CDK Pipelines artifact key in the tooling account: encrypts build artifacts only and must be usable by the target accounts\' deploy roles; data keys live in the key account');
    }
  }
}

if (require.main === module) {
  const app = new App();
  // Every finding of the five packs fails `cdk synth '**'` unless acknowledged with a reason.
  DataProtection.addPacks(app);
  buildPipelineApp(app);
}

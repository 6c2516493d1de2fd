import { drillDiscoveryConfig, drillTagsIn } from '../helpers';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExistingResourcesApp } from '../../examples/existing-resources/app';
import { buildHrRecordsApp } from '../../examples/hr-records/app';
import { buildPipelineApp } from '../../examples/pipeline/app';
import { buildQuickstartApp } from '../../examples/quickstart/app';
import { addDataProtectionPacks, ClassifiedResources } from '../lib';
import { MAX_MARKDOWN_LENGTH, renderMarkdown } from '../../lib/report/markdown';
import { buildReport, CHECKLIST_PACKS } from '../../lib/report/report';
import { scanTemplates } from '../../lib/report/templates';

// The bundled CloudFormation validator (which `cdk synth` runs, failing on its errors) is off here,
// as in every synth of the tests (test/setup.ts): test/aws/aws-data.test.ts runs the same
// validator over these same example apps (same cdk.json context), failing on its warnings too.

/** A fresh app with the example's own cdk.json context and the five packs, as `cdk synth` runs it. */
function exampleApp(name: string): App {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const app = new App({ context: require(`../../examples/${name}/cdk.json`).context });
  addDataProtectionPacks(app);
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
function review(app: App): { markdown: number; packs: string[]; templates: number; findings: string[] } {
  const dir = app.synth().directory; // cached: the assembly synthErrors produced
  const report = buildReport(dir);
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

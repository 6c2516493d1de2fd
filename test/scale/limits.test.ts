/**
 * AWS limits at scale: 1,000 classified resources (the benchmark's app: 45% S3, 45% DynamoDB,
 * 10% Aurora, 100 per DataAccountStack, the denser of the benchmark's shapes: the first data stack
 * holds the account's protection set beside its own 100 stores, the largest template of the app)
 * plus the key account's stack for the same accounts.
 * Counts and sizes only, never times: speed lives in bench/.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { BENCH_ACCOUNTS, buildScaleApp, cliContext } from '../../bench/scale-apps';
import { KeyAccountStack } from '../lib';
import { MAX_SELECTOR_VALUES } from '../../lib/audit/data-event-selectors';
import { MAX_SELECTION_ARNS } from '../../lib/backup/protected-backup-plan';
import { checkTemplateSize, MAX_RESOURCES_PER_STACK, MAX_TEMPLATE_BYTES } from '../../lib/core/stack-limits';

const N = 1000;
const PER_STACK = 100;
/** KMS: key policy document. */
const MAX_KEY_POLICY_BYTES = 32 * 1024;
/** EventBridge Scheduler and Step Functions StartExecution: input payload. */
const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

type Resource = { Type: string; Properties?: any };

let assembly: CloudAssembly;
let templates: Array<{ name: string; bytes: number; resources: Resource[] }>;
const ofType = (type: string) => templates.flatMap((t) => t.resources.filter((r) => r.Type === type).map((r) => ({ stack: t.name, r })));

beforeAll(() => {
  // The builtin template validator checks schemas, not these limits; skipping it keeps the test fast.
  const before = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    // The CLI's context: path metadata makes templates as large as `cdk synth` writes them.
    const app = new App({ context: cliContext() });
    new KeyAccountStack(app, 'Keys', { accounts: BENCH_ACCOUNTS, env: { account: BENCH_ACCOUNTS.keyAccount, region: BENCH_ACCOUNTS.primaryRegion } });
    buildScaleApp('protected', N, app, PER_STACK);
    assembly = app.synth();
  } finally {
    if (before === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = before;
  }
  templates = assembly.stacks.map((s) => {
    const file = join(assembly.directory, s.templateFile);
    return { name: s.stackName, bytes: statSync(file).size, resources: Object.values(JSON.parse(readFileSync(file, 'utf8')).Resources ?? {}) };
  });
});

describe(`limits at N = ${N} classified resources`, () => {
  test('the app really holds N classified data stores, spread over data stacks', () => {
    const classified = templates.flatMap((t) =>
      t.resources.filter((r) => ['AWS::S3::Bucket', 'AWS::DynamoDB::GlobalTable', 'AWS::RDS::DBCluster'].includes(r.Type) && JSON.stringify(r.Properties?.Tags ?? r.Properties?.Replicas ?? []).includes('data-classification')),
    );
    // Protection buckets (evidence, access logs, reports) are classified too: at least N.
    expect(classified.length).toBeGreaterThanOrEqual(N);
    expect(templates.filter((t) => t.name.startsWith('Data')).length).toBe(N / PER_STACK);
  });

  test(`every stack has at most ${MAX_RESOURCES_PER_STACK} resources and a template of at most 1 MB`, () => {
    const over = templates.filter((t) => t.resources.length > MAX_RESOURCES_PER_STACK || t.bytes > MAX_TEMPLATE_BYTES).map((t) => `${t.name}: ${t.resources.length} resources, ${t.bytes} bytes`);
    expect(over).toEqual([]);
  });

  test(`the data-access trail uses at most ${MAX_SELECTOR_VALUES} selector values`, () => {
    // One data-access trail per account (the accountWide stack's); the key account's management-events trail selects no data.
    const trails = ofType('AWS::CloudTrail::Trail').filter((t) => t.r.Properties.TrailName === 'data-protection-data-access');
    expect(trails).toHaveLength(1);
    const values = (trails[0].r.Properties.AdvancedEventSelectors as any[])
      .flatMap((s) => s.FieldSelectors as any[])
      .flatMap((f) => ['Equals', 'NotEquals', 'StartsWith', 'NotStartsWith', 'EndsWith', 'NotEndsWith'].flatMap((op) => f[op] ?? []));
    expect(values.length).toBeGreaterThan(0);
    expect(values.length).toBeLessThanOrEqual(MAX_SELECTOR_VALUES);
  });

  test('every KMS key policy is at most 32 KB', () => {
    const keys = ofType('AWS::KMS::Key');
    // Key-account keys plus the account's fallback keys, held once by the protection set (Data0): the other data stacks hold none.
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.filter(({ stack }) => /^Data[1-9]/.test(stack))).toEqual([]);
    const over = keys.map(({ stack, r }) => ({ stack, bytes: Buffer.byteLength(JSON.stringify(r.Properties.KeyPolicy)) })).filter((k) => k.bytes > MAX_KEY_POLICY_BYTES);
    expect(over).toEqual([]);
  });

  test(`backup selections do not grow with N: one plan set for the account, tag-based, within ${MAX_SELECTION_ARNS} ARNs`, () => {
    const selections = ofType('AWS::Backup::BackupSelection');
    // The account's protection set (Data0) holds every plan: the other data stacks hold none.
    expect([...new Set(selections.map((s) => s.stack))]).toEqual(['Data0']);
    for (const { r } of selections) {
      const sel = r.Properties.BackupSelection;
      // Every protected resource here is on its level's floor policy, so no selection lists ARNs:
      // 1,000 resources cost no more selection entries than 10. HIGHLY_SENSITIVE RDS/Aurora have a
      // plan of their own (no DR copy for them), selected by the two constant RDS ARN patterns.
      const rdsPatterns = (list: unknown) => /^\["arn:aws:rds:eu-west-1:\d{12}:db:\*","arn:aws:rds:eu-west-1:\d{12}:cluster:\*"\]$/.test(JSON.stringify(list));
      expect(JSON.stringify(sel.Resources) === '["*"]' || rdsPatterns(sel.Resources)).toBe(true);
      expect((sel.NotResources ?? []).length === 0 || rdsPatterns(sel.NotResources)).toBe(true);
      expect(sel.Conditions.StringEquals).toContainEqual({ ConditionKey: 'aws:ResourceTag/data-protection:backup-plan', ConditionValue: 'Data0' });
    }
    expect(selections.length).toBeLessThanOrEqual(5);
  });

  test('the drill finds its 1,000 targets at run time: one daily schedule with a constant input, executions bounded by maxTargetsPerExecution within the 256 KB input limit', () => {
    const schedules = ofType('AWS::Scheduler::Schedule');
    expect([...new Set(schedules.map((s) => s.stack))]).toEqual(['Data0']);
    for (const { r } of schedules) expect(JSON.stringify(r.Properties.Target.Input ?? '{}').length).toBeLessThan(100);
    const fns = ofType('AWS::Lambda::Function').filter(({ r }) => r.Properties.Environment?.Variables?.DRILL_DISCOVERY !== undefined);
    expect(fns.length).toBeGreaterThan(0);
    const raw = JSON.stringify(fns[0].r.Properties.Environment.Variables.DRILL_DISCOVERY);
    const max = Number(/maxTargets\\?"?:\s*(\d+)/.exec(raw)?.[1]);
    // A target item is well under 2 KB (names, times, poll waits, restore metadata of tag-sized values).
    expect(max * 2048).toBeLessThanOrEqual(MAX_EXECUTION_INPUT_BYTES);
  });
});

describe('a data stack too large for CloudFormation', () => {
  test('fails at synth, naming the stack, its count and how to split', () => {
    const app = new App();
    buildScaleApp('protected', 250, app, 250);
    expect(() => app.synth()).toThrow(/Data0 has \d{3} resources; CloudFormation allows at most 500 per stack\. Split the classified resources over several DataAccountStacks/);
  });

  test('a template over 1 MB (1,000,000 bytes, as CloudFormation counts) fails at synth once written, naming the stack, its size and how to split', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'limits-'));
    const app = new App({ outdir });
    buildScaleApp('protected', 2, app, 2);
    // Under 500 resources, over 1 MB: a property no real store has, the size the check reads.
    new CfnResource(app.node.findChild('Data0'), 'Large', { type: 'AWS::SSM::Parameter', properties: { Type: 'String', Value: 'x'.repeat(MAX_TEMPLATE_BYTES) } });
    expect(() => app.synth()).toThrow(/^Data0: its template is \d{7} bytes; CloudFormation accepts at most 1000000 bytes \(1 MB\) and would refuse it at deploy\. Split the classified resources over several DataAccountStacks .*, or set the stack's suppressTemplateIndentation/);
    expect(statSync(join(outdir, 'Data0.template.json')).size).toBeGreaterThan(MAX_TEMPLATE_BYTES);
  });

  test('the bound is 1,000,000 bytes: a file of exactly that size passes, one byte more fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const stack = new Stack(new App(), 'S');
    const file = (bytes: number) => {
      const path = join(dir, `${bytes}.json`);
      writeFileSync(path, 'x'.repeat(bytes));
      return path;
    };
    expect(() => checkTemplateSize(stack, file(1_000_000), 'Split it')).not.toThrow();
    expect(() => checkTemplateSize(stack, file(1_000_001), 'Split it')).toThrow('S: its template is 1000001 bytes; CloudFormation accepts at most 1000000 bytes (1 MB) and would refuse it at deploy. Split it, or set');
  });
});

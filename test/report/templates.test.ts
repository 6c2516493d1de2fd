import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildReferenceApp } from '../../bin/app';
import { acknowledge } from '../../lib/core/acknowledgements';
import { DataProtectionChecks } from '../../lib/nag/data-protection-checks';
import { addDataProtectionPacks } from '../../lib/nag/packs';
import { main } from '../../lib/report/cli';
import { MAX_MARKDOWN_LENGTH, renderMarkdown } from '../../lib/report/markdown';
import { buildReport, CHECKLIST_PACKS, DataProtectionReport } from '../../lib/report/report';
import { scanTemplates, TemplateScan } from '../../lib/report/templates';
import * as cdkJson from '../../cdk.json';

// The bundled template validator is not what these tests are about (and costs ~2 s per synth).
process.env.CDK_VALIDATION = 'false';

const ENV = { account: '222222222222', region: 'eu-west-1' };
const OLD_RUNTIME = 'nodejs16.x'; // AwsSolutions-L1: not the latest runtime
const REASON = 'Pinned runtime: the handler is retired with the ledger migration next quarter.';

/** A function as CloudFormation sees it; `typed` decides whether cdk-nag's in-app rules can see it. */
function fn(scope: Stack, id: string, typed: boolean): CfnResource {
  const properties = { Runtime: OLD_RUNTIME, Handler: 'index.handler', Role: 'arn:aws:iam::222222222222:role/fn', Code: { ZipFile: 'exports.handler = async () => {};' } };
  if (!typed) {
    // As aws-cdk-lib builds its custom-resource providers: an untyped CfnResource.
    return new CfnResource(scope, id, { type: 'AWS::Lambda::Function', properties });
  }
  return new lambda.CfnFunction(scope, id, { runtime: OLD_RUNTIME, handler: properties.Handler, role: properties.Role, code: { zipFile: properties.Code.ZipFile } });
}

/**
 * Clean in the app, not in its templates: an untyped function the in-app rules skip, and an
 * acknowledgement made in a nested stage without library constructs (aspects do not cross Stage
 * boundaries, so it never reaches the template). A second stage, where the acknowledgement is
 * made through the library, shows the fix.
 */
function synthScanFixture(): { outdir: string; synthError?: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'dp-scan-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Scan', { env: ENV });
  fn(stack, 'Untyped', false);
  Validations.of(fn(stack, 'Typed', true)).acknowledge({ id: 'AwsSolutions-L1', reason: REASON });

  const plain = new Stack(new Stage(app, 'Plain'), 'Inner', { env: ENV });
  Validations.of(fn(plain, 'Hidden', true)).acknowledge({ id: 'AwsSolutions-L1', reason: REASON });

  const library = new Stack(new Stage(app, 'Library'), 'Inner', { env: ENV });
  acknowledge(fn(library, 'Written', true), 'AwsSolutions-L1', REASON);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }), new DataProtectionChecks(app, { writeSuppressionsToCloudFormation: true }));
  try {
    app.synth();
    return { outdir };
  } catch (e) {
    return { outdir, synthError: (e as Error).message };
  }
}

const templateOf = (outdir: string, file: string) => JSON.parse(readFileSync(join(outdir, file), 'utf8'));
const where = (scan: TemplateScan) => scan.findings.map((f) => `${f.stack} ${f.logicalId} ${f.ruleId} ${f.severity}`);

describe('template mode on a fixture that is clean in the app', () => {
  const fixture = synthScanFixture();
  const scan = scanTemplates(fixture.outdir, [new AwsSolutionsChecks()]);

  test('the app itself synthesizes without an unacknowledged finding', () => {
    expect(fixture.synthError).toBeUndefined();
  });

  test('finds the untyped resource and the acknowledgement missing from the template', () => {
    expect(where(scan)).toEqual(['Plain/Inner Hidden AwsSolutions-L1 error', 'Scan Untyped AwsSolutions-L1 error']);
    // Nested (stage) assemblies are read too.
    expect(scan.templates.map((t) => `${t.stack} ${t.templateFile.replace(/\\/g, '/').replace(/[0-9A-F]{8}\./, 'HASH.')}`).sort()).toEqual([
      'Library/Inner assembly-Library/LibraryInnerHASH.template.json',
      'Plain/Inner assembly-Plain/PlainInnerHASH.template.json',
      'Scan Scan.template.json',
    ]);
  });

  test('honours acknowledgements written into the template, including in a stage holding library constructs', () => {
    const library = scan.templates.find((t) => t.stack === 'Library/Inner')!;
    expect(templateOf(fixture.outdir, library.templateFile).Resources.Written.Metadata.cdk_nag.rules_to_suppress).toEqual([{ id: 'AwsSolutions-L1', reason: REASON }]);
    expect(library.findings).toBe(0);
    expect(scan.acknowledgements).toBe(2); // Typed and Written
  });

  test('the report records the packs of the nested stages (not only of the top-level stack)', () => {
    const library = scan.templates.find((t) => t.stack === 'Library/Inner')!;
    const meta = templateOf(fixture.outdir, library.templateFile.replace(/\.template\.json$/, '.metadata.json'));
    expect(JSON.stringify(meta)).toContain('"cdk-data-protection:validation"');
    expect(buildReport(fixture.outdir).checklistPacks).toEqual(['AwsSolutions', 'DataProtection']);
  });

  test('CLI --templates exits 1 on the findings and names template, logical id and rule', () => {
    const out = mkdtempSync(join(tmpdir(), 'dp-scan-out-'));
    const logs: string[] = [];
    const errors: string[] = [];
    expect(main(['report', fixture.outdir, '--out', out], (s) => logs.push(s), (s) => errors.push(s))).toBe(0);
    expect(main(['report', fixture.outdir, '--out', out, '--templates'], (s) => logs.push(s), (s) => errors.push(s))).toBe(1);
    expect(logs.join('\n')).toContain('ERROR Scan.template.json Untyped (AWS::Lambda::Function): AwsSolutions-L1');
    expect(errors.join('\n')).toMatch(/unacknowledged template error finding/);
    const json = JSON.parse(readFileSync(join(out, 'data-protection-report.json'), 'utf8'));
    expect(json.templateScan.findings).toContainEqual(expect.objectContaining({ stack: 'Scan', logicalId: 'Untyped', ruleId: 'AwsSolutions-L1' }));
    expect(readFileSync(join(out, 'data-protection-report.md'), 'utf8')).toContain('### Template scan:');
    expect(main(['report', fixture.outdir, '--out', out, '--templates', '--no-fail'], () => undefined, () => undefined)).toBe(0);
  });
});

describe('template mode on hand-written assemblies', () => {
  function assembly(resources: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), 'dp-raw-'));
    const artifacts = { Raw: { type: 'aws:cloudformation:stack', environment: `aws://${ENV.account}/${ENV.region}`, properties: { templateFile: 'Raw.template.json' } } };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
    writeFileSync(join(dir, 'Raw.template.json'), JSON.stringify({ Resources: resources }));
    return dir;
  }
  const lambdaFn = (reason?: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: { Runtime: OLD_RUNTIME, Handler: 'index.handler', Role: 'arn:aws:iam::222222222222:role/fn', Code: { ZipFile: 'x' } },
    ...(reason === undefined ? {} : { Metadata: { cdk_nag: { rules_to_suppress: [{ id: 'AwsSolutions-L1', reason }] } } }),
  });

  test('an acknowledgement without a reason is not honoured', () => {
    const scan = scanTemplates(assembly({ Blank: lambdaFn('  '), Reasoned: lambdaFn(REASON), Bare: lambdaFn() }), [new AwsSolutionsChecks()]);
    expect(where(scan)).toEqual(['Raw Bare AwsSolutions-L1 error', 'Raw Blank AwsSolutions-L1 error']);
  });

  test('a template the scanner cannot load is an error, not a clean result', () => {
    const scan = scanTemplates(assembly({ Broken: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: { Ref: 'Missing' } } } }), [new AwsSolutionsChecks()]);
    expect(where(scan)).toEqual(['Raw - TemplateNotLoaded error']);
  });

  test('no manifest: not a cloud assembly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-none-'));
    mkdirSync(join(dir, 'x'));
    expect(() => scanTemplates(dir)).toThrow(/not a cloud assembly/);
  });
});

describe('the reference app, synthesized once as `cdk synth` does', () => {
  const app = new App({ context: cdkJson.context });
  addDataProtectionPacks(app);
  buildReferenceApp(app);
  const dir = app.synth().directory;
  let report: DataProtectionReport;
  let scan: TemplateScan;
  beforeAll(() => {
    report = buildReport(dir);
    scan = scanTemplates(dir);
  });

  test('template mode: no unacknowledged finding in any of its templates', () => {
    expect(scan.templates.map((t) => t.stack)).toEqual(['KeyAccount', 'KeyAccountDr', 'BackupAccount', 'BackupAccountDr', 'AuditAccount', 'DataAccount']);
    expect(where(scan)).toEqual([]);
    expect(scan.acknowledgements).toBeGreaterThan(300);
  });

  test("the VPC's default-security-group provider is acknowledged in the template, with reasons", () => {
    const data = templateOf(dir, 'DataAccount.template.json');
    const acked = (prefix: string) =>
      Object.entries<any>(data.Resources)
        .filter(([id]) => id.startsWith(prefix))
        .flatMap(([, r]) => (r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as Array<{ id: string; reason: string }>)
        .filter((a) => !a.id.startsWith('CloudFormation-Validate'));
    const role = acked('CustomVpcRestrictDefaultSGCustomResourceProviderRole');
    const handler = acked('CustomVpcRestrictDefaultSGCustomResourceProviderHandler');
    expect(role.map((a) => a.id).sort()).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'HIPAA.Security-IAMNoInlinePolicy',
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'PCI.DSS.321-IAMNoInlinePolicy',
    ]);
    expect(handler.map((a) => a.id.replace(/^[^-]+-/, '')).sort()).toEqual(['LambdaConcurrency', 'LambdaConcurrency', 'LambdaDLQ', 'LambdaDLQ', 'LambdaInsideVPC', 'LambdaInsideVPC', 'LambdaInsideVPC']);
    for (const a of [...role, ...handler]) expect(a.reason.length).toBeGreaterThan(40);
    // The restriction itself stays: the default security group is closed.
    expect(Object.values<any>(data.Resources).filter((r) => r.Type === 'Custom::VpcRestrictDefaultSG')).toHaveLength(1);
  });

  test('records the five packs and fits a pull-request comment', () => {
    expect(report.checklistPacks).toEqual([...CHECKLIST_PACKS]);
    expect(report.summary.fail).toBe(0);
    // Unbounded: the natural size fits, no truncation needed.
    const md = renderMarkdown({ ...report, templateScan: scan }, Number.POSITIVE_INFINITY);
    expect(md.length).toBeLessThan(60_000);
    expect(MAX_MARKDOWN_LENGTH).toBeLessThanOrEqual(60_000);
  });

  test('CLI --templates exits 0', () => {
    const out = mkdtempSync(join(tmpdir(), 'dp-ref-out-'));
    const logs: string[] = [];
    expect(main(['report', dir, '--out', out, '--templates'], (s) => logs.push(s), () => undefined)).toBe(0);
    expect(logs.join('\n')).toContain('templates: 6 scanned, 0 unacknowledged error(s), 0 warning(s)');
  });
});

import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { buildReferenceApp } from '../../bin/app';
import { addDataProtectionPacks, DataProtectionChecks } from '../../lib/nag';
import * as cdkJson from '../../cdk.json';
import { findingsOf } from './helpers';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/report/cli';
import { MAX_MARKDOWN_LENGTH, renderMarkdown } from '../../lib/report/markdown';
import { buildReport, CHECKLIST_PACKS, DataProtectionReport } from '../../lib/report/report';
import { scanTemplates, TemplateScan } from '../../lib/report/templates';

/**
 * The reference app as `cdk synth` runs it (the five packs added as aspects), synthesized once for
 * the file: the findings, the acknowledgement tests and the report and template-mode tests read it.
 */
const synthesized = new App({ context: cdkJson.context });
addDataProtectionPacks(synthesized);
buildReferenceApp(synthesized);
const synthesizedAssembly = synthesized.synth();

/**
 * The reference app under the four stock packs and DataProtectionChecks, run again over the
 * synthesized app, warnings included. Acknowledgements (rule id + reason, on the narrowest
 * construct) belong in bin/app.ts and the constructs; this test only lists what is left.
 */
function unacknowledgedFindings(app: App): string[] {
  const packs: NagPack[] = [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks(), new DataProtectionChecks()];
  return [...new Set(packs.flatMap((p) => findingsOf(app, p)))].sort();
}

const findings = unacknowledgedFindings(synthesized);
const templateOf = (outdir: string, file: string) => JSON.parse(readFileSync(join(outdir, file), 'utf8'));
const where = (scan: TemplateScan) => scan.findings.map((f) => `${f.stack} ${f.logicalId} ${f.ruleId} ${f.severity}`);

// Visible list of what is still open: review the snapshot diff when the app changes.
test('current unacknowledged findings of the reference app', () => {
  expect(findings).toMatchSnapshot();
});

test('the reference app has no unacknowledged findings under all five packs', () => {
  expect(findings).toEqual([]);
});

describe('acknowledgements', () => {
  // As `cdk synth` runs it: the packs write each acknowledgement into the template metadata.
  const app = synthesized;
  const assembly = synthesizedAssembly;
  const written = assembly.stacks.flatMap((s) =>
    Object.entries(s.template.Resources as Record<string, any>).flatMap(([logicalId, r]) =>
      ((r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as Array<{ id: string; reason: string }>).map((a) => ({ where: `${s.stackName}/${logicalId}`, ...a })),
    ),
  );
  // Rule acknowledgements (cdk-nag reads the `Annotation::` ones; aws-cdk-lib acknowledges its own
  // template-validator findings under `CloudFormation-Validate::`, which are not ours).
  const recorded = app.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data as Record<string, string> })))
    .map((r) => ({ ...r, data: Object.fromEntries(Object.entries(r.data).filter(([id]) => /^annotation::/i.test(id))) }))
    .filter((r) => Object.keys(r.data).length > 0);

  test('are written into the templates next to their resources', () => {
    expect(written.length).toBeGreaterThan(100);
  });

  test('every acknowledgement carries a reason of at least one sentence', () => {
    const bad = [
      ...written.filter((a) => typeof a.reason !== 'string' || a.reason.trim().length < 20).map((a) => `${a.where} ${a.id}`),
      ...recorded.flatMap((r) => Object.entries(r.data).filter(([, reason]) => typeof reason !== 'string' || reason.trim().length < 20).map(([id]) => `${r.path} ${id}`)),
    ];
    expect(bad).toEqual([]);
  });

  test('none is placed on the app or a stack, and none is a blanket IAM wildcard', () => {
    const stackPaths = new Set(assembly.stacks.map((s) => s.hierarchicalId));
    expect(recorded.filter((r) => r.path === '' || stackPaths.has(r.path)).map((r) => r.path)).toEqual([]);
    const ids = recorded.flatMap((r) => Object.keys(r.data).map((k) => k.replace(/^annotation::/i, '')));
    // IAM4/IAM5 are acknowledged per finding (`AwsSolutions-IAM5[Resource::...]`), never for the whole rule.
    expect(ids.filter((id) => /^AwsSolutions-IAM[45]$/.test(id))).toEqual([]);
  });

  test('each sits on a CloudFormation resource (the narrowest construct)', () => {
    const nodes = new Map(app.node.findAll().map((c) => [c.node.path, c]));
    expect(recorded.filter((r) => !CfnResource.isCfnResource(nodes.get(r.path))).map((r) => r.path)).toEqual([]);
  });
});

// Template mode and the report over the same synthesis (test/report/templates.test.ts has template
// mode's fixtures).
describe('the reference app, synthesized once as `cdk synth` does', () => {
  const dir = synthesizedAssembly.directory;
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

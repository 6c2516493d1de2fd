/**
 * The report over a hand-written cloud assembly (no synth): nested stage assemblies, stacks
 * without a template file, additional metadata files, every shape of validation report, every
 * cell of the classified-resources table and every way a store's key is described, the Markdown
 * of template findings, and the CLI's argument errors.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROLS, METADATA } from '../lib';
import { readCloudAssembly } from '../../lib/report/assembly';
import { main } from '../../lib/report/cli';
import { fitMarkdown, renderMarkdown } from '../../lib/report/markdown';
import { buildReport, DataProtectionReport } from '../../lib/report/report';
import { listTemplates, TemplateFinding } from '../../lib/report/templates';
import { VALIDATION_METADATA } from '../../lib/nag/data-protection-checks';

const write = (file: string, body: unknown) => writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
const logicalId = (path: string, id: string) => ({ [path]: [{ type: 'aws:cdk:logicalId', data: id }] });
const classified = (policy: Record<string, unknown>) => ({ type: METADATA.CLASSIFIED, data: { classification: 'CONFIDENTIAL', policy } });
const control = (data: Record<string, unknown>) => ({ type: METADATA.CONTROL, data });

/** A cdk.out with a top-level stack, a stack without template file, a non-stack artifact and a nested stage assembly. */
function assembly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dp-asm-'));
  const kmsRef = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  write(join(dir, 'Data.template.json'), {
    Resources: {
      Docs: { Type: 'AWS::S3::Bucket', Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsRef('FallbackKey') } }] } } },
      Orders: { Type: 'AWS::DynamoDB::Table', Properties: { SSESpecification: { KMSMasterKeyId: { Ref: 'DataKey' } } } },
      Ledger: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { Replicas: [{ SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': ['KeyLookup', 'KeyMetadata.Arn'] } } }] } },
      Payroll: { Type: 'AWS::RDS::DBCluster', Properties: { KmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abc' } },
      Scratch: { Type: 'AWS::S3::Bucket', Properties: {} },
      Imported: { Type: 'AWS::RDS::DBCluster', Properties: { KmsKeyId: { 'Fn::ImportValue': 'key-arn' } } },
      Orphan: { Type: 'AWS::DynamoDB::Table', Properties: { SSESpecification: { KMSMasterKeyId: { Ref: 'NotInApp' } } } },
      FallbackKey: { Type: 'AWS::KMS::Key', Properties: {} },
      DataKey: { Type: 'AWS::KMS::Key', Properties: {} },
    },
  });
  const meta = {
    ...logicalId('/Data/Docs/Resource', 'Docs'),
    ...logicalId('/Data/Orders/Resource', 'Orders'),
    ...logicalId('/Data/Ledger/Resource', 'Ledger'),
    ...logicalId('/Data/Payroll/Resource', 'Payroll'),
    ...logicalId('/Data/Imported/Resource', 'Imported'),
    ...logicalId('/Data/Orphan/Resource', 'Orphan'),
    ...logicalId('/Data/Gone/Resource', 'Gone'),
    ...logicalId('/Data/FallbackKey/Resource', 'FallbackKey'),
    ...logicalId('/Data/DataKey/Resource', 'DataKey'),
    ...logicalId('/Data/KeyLookup/Resource', 'KeyLookup'),
  };
  // Facts on the L2 paths (the report matches `<path>` and `<path>/Resource`).
  const extra = {
    '/Data/FallbackKey/Resource': [control({ control: CONTROLS.FALLBACK_KEY, keyAccount: '111111111111' }), control({ control: CONTROLS.KEY, aliasName: 'alias/fallback' })],
    '/Data/DataKey/Resource': [control({ control: CONTROLS.KEY, aliasName: 'alias/data' })],
    '/Data/Docs/Resource': [
      classified({ requireCmk: true, crossAccountCopy: true, dataEvents: true }),
      control({ control: CONTROLS.BACKUP_PLAN, plan: 'Daily', retentionDays: 35, crossAccountCopy: true, crossRegionCopy: true, nested: { ignored: true } }),
      control({ control: CONTROLS.DATA_EVENTS, trail: 'DataTrail' }),
      control({ control: CONTROLS.RESTORE_DRILL, drill: 'Drill', intervalDays: 30 }),
    ],
    '/Data/Orders': [control({ control: CONTROLS.BACKUP_PLAN, crossAccountCopy: false, rpoObjectiveHours: 1, localRpo: 'continuous (point-in-time recovery)', copyRpoObjectiveHours: 1, backupAccountRpo: '12 h', drRegionRpo: 'none' }), control({ control: CONTROLS.DATA_EVENTS }), control({ control: CONTROLS.RESTORE_DRILL })],
    '/Data/Orders/Resource': [classified({ requireCmk: true, crossAccountCopy: true, dataEvents: true })],
    '/Data/Ledger/Resource': [classified({ requireCmk: false })],
    '/Data/Payroll/Resource': [classified({})],
    '/Data/Scratch/Resource': [classified({ requireCmk: true })],
    '/Data/Imported/Resource': [classified({})],
    '/Data/Orphan/Resource': [classified({})],
    '/Data/Gone/Resource': [classified({})],
    '/Data': [{ type: METADATA.OVERRIDE, data: { prop: 'drillIntervalDays', floor: 90, value: 180, reason: 'quarterly is enough' } }, { type: VALIDATION_METADATA, data: { plugins: ['DataProtection'] } }],
  };
  write(join(dir, 'Data.metadata.json'), extra);
  const nested = join(dir, 'assembly-Stage');
  mkdirSync(nested);
  write(join(nested, 'manifest.json'), {
    artifacts: { 'Stage-Keys': { type: 'aws:cloudformation:stack', environment: 'aws://111111111111/eu-west-1', displayName: 'Stage/Keys', properties: { templateFile: 'Stage-Keys.template.json' } } },
  });
  write(join(nested, 'Stage-Keys.template.json'), { Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: {} } } });
  write(join(dir, 'manifest.json'), {
    artifacts: {
      Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
      Data: { type: 'aws:cloudformation:stack', environment: 'aws://222222222222/eu-west-1', displayName: 'Data', properties: { templateFile: 'Data.template.json' }, metadata: meta, additionalMetadataFile: 'Data.metadata.json' },
      Bare: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region' },
      Stage: { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Stage' } },
    },
  });
  write(join(dir, 'policy-validation-report.json'), {
    pluginReports: [
      {
        pluginName: 'DataProtection',
        violations: [
          { ruleName: 'DataProtection-ClassifiedBackupCoverage', violatingConstructs: [{ constructPath: '/Data/Scratch/Resource' }, { constructPath: '/Data/Scratch/Resource' }] },
          { ruleName: 'DataProtection-ClassifiedEncryptedWithCmk', severity: 'warning', description: 'no CMK', violatingResources: [{ constructPath: '/Data/Scratch/Resource' }] },
        ],
        suppressedViolations: [
          { ruleName: 'DataProtection-ClassifiedRestoreDrill', reason: 'drilled by the vendor', violatingConstructs: [{ constructPath: '/Data/Payroll' }] },
          { ruleName: 'DataProtection-ClassifiedDataEvents', violatingConstructs: [{}] },
        ],
      },
      { summary: { pluginName: 'AwsSolutions' }, violations: [] },
      {},
    ],
  });
  return dir;
}

describe('readCloudAssembly', () => {
  const asm = readCloudAssembly(assembly());

  test('stacks of nested stage assemblies too; a stack without a template file reads as empty', () => {
    expect(asm.stacks.map((s) => s.name)).toEqual(['Data', 'Bare', 'Stage/Keys']);
    expect(asm.stacks.find((s) => s.name === 'Bare')!.template).toEqual({});
  });

  test('metadata of the manifest and of the additional metadata file, paths without the leading slash', () => {
    expect(asm.metadata.filter((m) => m.type === METADATA.OVERRIDE)).toEqual([{ stack: 'Data', path: 'Data', type: METADATA.OVERRIDE, data: expect.objectContaining({ reason: 'quarterly is enough' }) }]);
    expect(asm.metadata.filter((m) => m.type === 'aws:cdk:logicalId').map((m) => m.path)).toContain('Data/Docs/Resource');
  });

  test('validation reports: plugin names from the report, its summary, or unknown; findings deduplicated; defaults for severity and description', () => {
    expect(asm.reportedPlugins).toEqual(['DataProtection', 'AwsSolutions', 'unknown']);
    expect(asm.findings).toEqual([
      { plugin: 'DataProtection', ruleId: 'DataProtection-ClassifiedBackupCoverage', severity: 'error', description: '', path: 'Data/Scratch/Resource', reason: undefined },
      { plugin: 'DataProtection', ruleId: 'DataProtection-ClassifiedEncryptedWithCmk', severity: 'warning', description: 'no CMK', path: 'Data/Scratch/Resource', reason: undefined },
    ]);
    expect(asm.suppressed).toEqual([
      expect.objectContaining({ ruleId: 'DataProtection-ClassifiedRestoreDrill', path: 'Data/Payroll', reason: 'drilled by the vendor' }),
      expect.objectContaining({ ruleId: 'DataProtection-ClassifiedDataEvents', path: '', reason: '' }),
    ]);
  });
});

test('listTemplates: nested assemblies, default template file names, unknown environments left out', () => {
  expect(listTemplates(assembly())).toEqual([
    { artifactId: 'Data', stack: 'Data', templateFile: 'Data.template.json', account: '222222222222', region: 'eu-west-1' },
    { artifactId: 'Bare', stack: 'Bare', templateFile: 'Bare.template.json', account: undefined, region: undefined },
    { artifactId: 'Stage-Keys', stack: 'Stage/Keys', templateFile: join('assembly-Stage', 'Stage-Keys.template.json'), account: '111111111111', region: 'eu-west-1' },
  ]);
});

describe('buildReport: the classified-resources table', () => {
  const report = buildReport(assembly());
  const row = (name: string) => report.classifiedResources.find((r) => r.constructPath === `Data/${name}/Resource`)!;

  test('packs from the validation reports and the pack metadata', () => {
    expect(report.packs).toEqual(['AwsSolutions', 'DataProtection', 'unknown']);
    expect(report.checklistPacks).toEqual(['AwsSolutions', 'DataProtection']);
  });

  test('every control present: plan with retention and both copies, trail, drill interval; the fallback key with its key account', () => {
    expect(row('Docs')).toEqual({
      constructPath: 'Data/Docs/Resource',
      stack: 'Data',
      type: 'AWS::S3::Bucket',
      classification: 'CONFIDENTIAL',
      key: '✔ fallback key alias/fallback (administered from 111111111111)',
      backupPlan: '✔ Daily (35 d)',
      crossAccountCopy: '✔ backup account + DR region',
      rpo: 'not recorded',
      dataEvents: '✔ DataTrail',
      restoreDrill: '✔ Drill every 30 d',
    });
  });

  test('controls on the L2 without details; a ProtectedKey; a copy that is required but missing passes on the template when the pack ran', () => {
    expect(row('Orders')).toMatchObject({ key: '✔ ProtectedKey alias/data', backupPlan: '✔ plan', crossAccountCopy: '✔ (template)', dataEvents: '✔ trail', restoreDrill: '✔ drill' });
  });

  test('recovery point per location: a copy less frequent than its objective, or a required copy missing, is marked', () => {
    expect(row('Orders').rpo).toBe('local: continuous (point-in-time recovery) (objective 1 h); backup account: 12 h ✘ (objective 1 h); DR region: none');
    expect(row('Scratch').rpo).toBe('no backup plan');
  });

  test('keys: resolved by a custom resource, a literal ARN, an import, a resource outside the app', () => {
    expect(row('Ledger').key).toBe('✔ CMK resolved by KeyLookup');
    expect(row('Payroll').key).toBe('✔ arn:aws:kms:eu-west-1:111111111111:key/abc');
    expect(row('Imported').key).toBe('✔ CMK');
    expect(row('Orphan').key).toBe('✔ CMK');
  });

  test('findings and acknowledgements in the cells', () => {
    expect(row('Scratch')).toMatchObject({ key: '✘ missing', backupPlan: '✘ missing', restoreDrill: '✔ (template)', crossAccountCopy: 'not required' });
    expect(row('Payroll').restoreDrill).toBe('⚠ acknowledged: drilled by the vendor');
  });

  test('a classified construct with no resource in the templates', () => {
    expect(row('Gone')).toMatchObject({ type: undefined, key: '✔ (template)' });
  });

  test('overrides and acknowledgements (deduplicated, sorted)', () => {
    expect(report.overrides).toEqual([{ constructPath: 'Data', prop: 'drillIntervalDays', floor: '90', value: '180', reason: 'quarterly is enough' }]);
    expect(report.acknowledgements.map((a) => a.ruleId)).toEqual(['DataProtection-ClassifiedDataEvents', 'DataProtection-ClassifiedRestoreDrill']);
  });

  test('without the DataProtection pack, unproven cells say "not checked"', () => {
    const dir = assembly();
    write(join(dir, 'policy-validation-report.json'), { pluginReports: [] });
    const meta = JSON.parse(require('node:fs').readFileSync(join(dir, 'Data.metadata.json'), 'utf8'));
    meta['/Data'] = meta['/Data'].filter((m: { type: string }) => m.type !== VALIDATION_METADATA);
    write(join(dir, 'Data.metadata.json'), meta);
    const r = buildReport(dir);
    expect(r.checklistPacks).toEqual([]);
    expect(r.classifiedResources.find((x) => x.constructPath === 'Data/Scratch/Resource')!.backupPlan).toBe('? not checked');
  });
});

describe('Markdown of template findings', () => {
  const finding = (i: number, severity: string, resourceType?: string): TemplateFinding => ({
    pack: 'DataProtection',
    ruleId: severity === 'error' ? 'DataProtection-BackupVaultLocked' : 'AwsSolutions-IAM5',
    severity,
    description: 'd',
    template: 'Data.template.json',
    stack: 'Data',
    logicalId: `R${i}`,
    resourceType,
  });
  const base = (): DataProtectionReport => buildReport(assembly());

  test('no finding: said so', () => {
    const md = renderMarkdown({ ...base(), templateScan: { packs: ['DataProtection'], templates: [], findings: [], acknowledgements: 2 } });
    expect(md).toContain('### Template scan: 0 errors, 0 warnings');
    expect(md).toContain('No unacknowledged finding.');
  });

  test('errors before warnings, a resource type when known, long lists cut with a count', () => {
    const findings = [finding(0, 'warning'), ...Array.from({ length: 30 }, (_, i) => finding(i + 1, 'error', 'AWS::Backup::BackupVault'))];
    const md = renderMarkdown({ ...base(), templateScan: { packs: ['DataProtection'], templates: [], findings, acknowledgements: 0 } });
    expect(md).toContain('### Template scan: 30 errors, 1 warning');
    const table = md.slice(md.indexOf('| Rule | Severity |'));
    expect(table.indexOf('DataProtection-BackupVaultLocked')).toBeLessThan(table.indexOf('AwsSolutions-IAM5'));
    expect(table).toContain('`Data/R1` AWS::Backup::BackupVault');
    expect(table).toMatch(/\+\d+ more/);
    expect(table).toContain('| `AwsSolutions-IAM5` | warning | `Data/R0` |');
  });

  test('a bound smaller than the first line keeps nothing but the pointer to the JSON', () => {
    const out = fitMarkdown('x'.repeat(500), 120);
    expect(out.length).toBeLessThanOrEqual(120);
    expect(out).toContain('Truncated to 120 characters');
  });
});

describe('CLI arguments', () => {
  const run = (argv: string[]) => {
    const logs: string[] = [];
    const errors: string[] = [];
    const code = main(argv, (s) => logs.push(s), (s) => errors.push(s));
    return { code, logs: logs.join('\n'), errors: errors.join('\n') };
  };

  test('--help prints the usage and exits 0', () => {
    const r = run(['--help']);
    expect([r.code, r.logs]).toEqual([0, expect.stringContaining('usage: cdk-data-protection report')]);
  });

  test('an unknown option, or --out without a directory, exits 2 with the usage', () => {
    expect(run(['report', '--verbose'])).toMatchObject({ code: 2, errors: expect.stringContaining('unknown option --verbose') });
    expect(run(['report', 'cdk.out', '--out'])).toMatchObject({ code: 2, errors: expect.stringContaining('--out needs a directory') });
  });

  test('reads a hand-written assembly: the failing line is named, exit 1', () => {
    const out = mkdtempSync(join(tmpdir(), 'dp-cli-'));
    const r = run(['report', assembly(), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.logs).toMatch(/FAIL .*DataProtection-ClassifiedBackupCoverage Data\/Scratch\/Resource/);
    expect(r.errors).toMatch(/checklist lines? failed/);
  });
});

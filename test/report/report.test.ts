import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { App, CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, CONTROLS, DataClassification, DataProtectionGuardrails, METADATA, OrganizationBackupPolicy, recordControl } from '../lib';
import { ProtectedKey } from '../../lib/keys/protected-key';
import { DataProtectionChecks } from '../../lib/nag';
import { CHECKLIST, DataProtectionReport, renderMarkdown } from '../../lib/report';
import { fitMarkdown, groupAcknowledgements, MAX_MARKDOWN_LENGTH } from '../../lib/report/markdown';
import { main, writeReport } from '../../lib/report/cli';
import { renderRunbooks } from '../../lib/report/runbook';
import { buildReport } from '../../lib/report/report';
import * as cdkJson from '../../cdk.json';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledge } from '../../lib/core/acknowledgements';
import { listTemplates, scanTemplates, TemplateFinding, TemplateScan } from '../../lib/report/templates';
import { readCloudAssembly } from '../../lib/report/assembly';
import { VALIDATION_METADATA } from '../../lib/nag/data-protection-checks';

process.env.CDK_VALIDATION = 'false';

/** Synthesizes a small app with the pack registered; the unlocked vault makes synth fail, as in a pipeline. */
function synthFixture(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'dp-report-'));
  const app = new App({ outdir, context: cdkJson.context });
  const stack = new Stack(app, 'Data', { env: { account: '222222222222', region: 'eu-west-1' } });
  const key = new ProtectedKey(stack, 'Key', { aliasName: 'alias/test/data' });
  const bucket = new s3.Bucket(stack, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: key.key, enforceSSL: true, minimumTLSVersion: 1.2 });
  classify(bucket, DataClassification.INTERNAL, { drillIntervalDays: 200, overrideReason: 'drills twice a year are enough for scratch data' });
  recordControl(bucket, CONTROLS.BACKUP_PLAN, {
    plan: 'Daily',
    crossAccountCopy: false,
    retentionDays: 35,
    rpoObjectiveHours: 24,
    localRpo: '24 h (snapshots)',
    copyRpoObjectiveHours: 24,
    backupAccountRpo: 'none',
    drRegionRpo: 'none',
  });
  Validations.of(bucket).acknowledge({ id: 'DataProtection-ClassifiedRestoreDrill', reason: 'drill arrives with the restore-drill change' });
  new backup.CfnBackupVault(stack, 'Vault', { backupVaultName: 'unlocked', encryptionKeyArn: key.keyArn });
  Validations.of(app).addPlugins(new DataProtectionChecks(app, { writeSuppressionsToCloudFormation: true }));
  expect(() => app.synth()).toThrow(/DataProtection-BackupVaultLocked/);
  return outdir;
}

let cdkOut: string;
let report: DataProtectionReport;
beforeAll(() => {
  cdkOut = synthFixture();
  report = buildReport(cdkOut);
});

const status = (id: string) => report.checklist.find((c) => c.id === id)?.status;

test('every checklist line is answered, with a status', () => {
  expect(report.checklist.map((c) => c.id)).toEqual(CHECKLIST.map((c) => c.id));
  expect(report.packs).toEqual(['DataProtection']);
  expect(status('backup.immutable')).toBe('fail');
  expect(status('backup.restore-tested')).toBe('acknowledged');
  expect(status('encryption.rotation')).toBe('pass');
  // TLS everywhere: decided by ClassifiedInTransitTls (among others) on the classified bucket.
  expect(status('encryption.tls')).toBe('pass');
  expect(CHECKLIST.find((c) => c.id === 'encryption.tls')!.rules).toContain('DataProtection-ClassifiedInTransitTls');
  expect(status('access.tenant-isolation')).toBe('out-of-scope');
  // Only stock-pack rules check secret rotation: those packs did not run.
  expect(status('secrets.rotation')).toBe('pass'); // DataProtection-KMSKeyRotation ran
  expect(status('monitoring.mass-access')).toBe('not-evaluated');
});

test('evidence names the construct, the rule and the reason', () => {
  const immutable = report.checklist.find((c) => c.id === 'backup.immutable')!;
  expect(immutable.evidence).toContainEqual(expect.objectContaining({ constructPath: 'Data/Vault', ruleId: 'DataProtection-BackupVaultLocked' }));
  const drill = report.checklist.find((c) => c.id === 'backup.restore-tested')!;
  expect(drill.evidence).toEqual([{ constructPath: 'Data/Docs', ruleId: 'DataProtection-ClassifiedRestoreDrill', reason: 'drill arrives with the restore-drill change' }]);
});

test('classified resources with their controls, and overrides with reasons', () => {
  expect(report.classifiedResources).toEqual([
    {
      constructPath: 'Data/Docs/Resource',
      stack: 'Data',
      type: 'AWS::S3::Bucket',
      classification: 'INTERNAL',
      key: '✔ ProtectedKey alias/test/data',
      backupPlan: '✔ Daily (35 d)',
      crossAccountCopy: 'not required',
      // Per recovery location against its objective; INTERNAL needs no copy.
      rpo: 'local: 24 h (snapshots) (objective 24 h); backup account: none; DR region: none',
      dataEvents: 'not required',
      restoreDrill: '⚠ acknowledged: drill arrives with the restore-drill change',
    },
  ]);
  expect(report.overrides).toEqual([
    { constructPath: 'Data/Docs/Resource', prop: 'drillIntervalDays', floor: '180', value: '200', reason: 'drills twice a year are enough for scratch data' },
  ]);
});

test('Markdown is short and renders as tables', () => {
  const md = renderMarkdown(report);
  expect(md.split('\n').length).toBeLessThan(80);
  expect(md).toContain('| Backup | Immutable | ❌ fail | `DataProtection-BackupVaultLocked` `Data/Vault` |');
  expect(md).toContain('### Overrides (1)');
});

test('CLI writes both files and exits 1 on a failing line (0 with --no-fail)', () => {
  const out = mkdtempSync(join(tmpdir(), 'dp-out-'));
  const logs: string[] = [];
  expect(main(['report', cdkOut, '--out', out], (s) => logs.push(s), () => undefined)).toBe(1);
  expect(logs[0]).toMatch(/^data protection checklist: \d+ pass, 1 fail, 1 acknowledged/);
  expect(logs.join('\n')).toContain('FAIL Backup / Immutable: DataProtection-BackupVaultLocked Data/Vault');
  expect(JSON.parse(readFileSync(join(out, 'data-protection-report.json'), 'utf8')).summary.fail).toBe(1);
  expect(readFileSync(join(out, 'data-protection-report.md'), 'utf8')).toContain('## Data protection checklist');
  expect(main(['report', cdkOut, '--out', out, '--no-fail'], () => undefined, () => undefined)).toBe(0);
  expect(main(['report', join(out, 'missing')], () => undefined, () => undefined)).toBe(2);
  expect(main(['bogus'], () => undefined, () => undefined)).toBe(2);
});

// The packaged CLI (compiled by the jsii build, run with plain node) is exercised by the consumer
// test (scripts/consumer-test.mjs) from the packed tarball. Here: without a build, it says what to do.
test('bin/cdk-data-protection.js without a build exits 2 saying how to build', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'dp-bin-'));
  mkdirSync(join(pkg, 'bin'));
  copyFileSync(join(__dirname, '..', '..', 'bin', 'cdk-data-protection.js'), join(pkg, 'bin', 'cdk-data-protection.js'));
  const r = spawnSync(process.execPath, [join(pkg, 'bin', 'cdk-data-protection.js'), 'report', cdkOut], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("the CLI is not built (build/report/cli.js missing): run 'npm run build'");
});

test('an assembly where no checklist pack ran fails the CLI, with the reason (0 with --no-fail)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'dp-nopacks-'));
  const app = new App({ outdir });
  new s3.Bucket(new Stack(app, 'Bare'), 'Docs', { enforceSSL: true });
  app.synth();
  const nothing = buildReport(outdir);
  expect(nothing.checklistPacks).toEqual([]);
  expect(nothing.summary.fail).toBe(0); // nothing failed because nothing was checked
  const out = mkdtempSync(join(tmpdir(), 'dp-nopacks-out-'));
  const errors: string[] = [];
  expect(main(['report', outdir, '--out', out], () => undefined, (s) => errors.push(s))).toBe(1);
  expect(errors.join('\n')).toMatch(/no checklist pack \(AwsSolutions, DataProtection, HIPAA.Security, NIST.800.53.R5, PCI.DSS.321\) is recorded/);
  expect(readFileSync(join(out, 'data-protection-report.md'), 'utf8')).toContain('**No checklist pack recorded in this cloud assembly**');
  expect(main(['report', outdir, '--out', out, '--no-fail'], () => undefined, () => undefined)).toBe(0);
  // The fixture with the pack registered records it.
  expect(report.checklistPacks).toEqual(['DataProtection']);
});

test('acknowledgements are grouped by rule in the Markdown, one reason each (all of them in the JSON)', () => {
  const acks = [
    { ruleId: 'AwsSolutions-IAM5[Action::s3:GetObject*]', constructPath: 'A/Role/Policy', reason: 'reads any object of the bucket' },
    { ruleId: 'AwsSolutions-IAM5[Resource::*]', constructPath: 'A/Role/Policy', reason: 'no resource-level permissions' },
    { ruleId: 'AwsSolutions-IAM5[Resource::*]', constructPath: 'B/Role/Policy', reason: 'no resource-level permissions' },
    { ruleId: 'NIST.800.53.R5-LambdaDLQ', constructPath: 'A/Fn/Resource', reason: 'deploy-time only' },
  ];
  expect(groupAcknowledgements(acks)).toEqual([
    { ruleId: 'AwsSolutions-IAM5', constructs: 2, findings: 2, reason: 'no resource-level permissions', otherReasons: 1, outliers: [{ constructPath: 'A/Role/Policy', reason: 'reads any object of the bucket' }] },
    { ruleId: 'NIST.800.53.R5-LambdaDLQ', constructs: 1, findings: 1, reason: 'deploy-time only', otherReasons: 0, outliers: [] },
  ]);
  const md = renderMarkdown({ ...report, acknowledgements: acks });
  expect(md).toContain('| `AwsSolutions-IAM5` | 2 | 2 | no resource-level permissions _(+1 other reason)_ |');
  // The odd one out is listed, with its construct, in an open block: not folded into "+1 other".
  expect(md).toContain('<details open><summary>Reasons given once (1): read these</summary>');
  expect(md).toContain('| `AwsSolutions-IAM5` | `A/Role/Policy` | reads any object of the bucket |');
  // A rule whose findings all give one reason has no outliers.
  expect(md).not.toContain('`A/Fn/Resource`');
});

test('the Markdown never exceeds the pull-request bound: cut at a line, <details> closed, pointer to the JSON', () => {
  // 5,000 distinct rules with long reasons: far beyond a comment once rendered.
  const acks = Array.from({ length: 5000 }, (_, i) => ({ ruleId: `Pack-Rule${i}`, constructPath: `Stack/R${i}`, reason: `reason ${i} `.repeat(30) }));
  const md = renderMarkdown({ ...report, acknowledgements: acks });
  expect(MAX_MARKDOWN_LENGTH).toBe(60_000);
  expect(md.length).toBeLessThanOrEqual(MAX_MARKDOWN_LENGTH);
  expect(md.length).toBeGreaterThan(MAX_MARKDOWN_LENGTH - 1000); // cut, not dropped
  expect(md).toContain('## Data protection checklist'); // the checklist comes first and survives
  expect(md.trimEnd().endsWith('the full report is in `data-protection-report.json`._')).toBe(true);
  expect(md.split('<details>').length).toBe(md.split('</details>').length);
  // Short Markdown is left alone.
  expect(fitMarkdown('## short\n', 100)).toBe('## short\n');
  const cut = fitMarkdown('<details><summary>x</summary>\n\n' + '| a | b |\n'.repeat(100), 300);
  expect(cut.length).toBeLessThanOrEqual(300);
  expect(cut).toMatch(/\| a \| b \|\n\n<\/details>\n\n_Truncated to 300 characters/);
});

// =============================================================================================
// Template mode (one file with the report above: one module load).
{
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
}

// =============================================================================================
// Cloud assembly branches (one file with the report above: one module load).
/**
 * The report over a hand-written cloud assembly (no synth): nested stage assemblies, stacks
 * without a template file, additional metadata files, every shape of validation report, every
 * cell of the classified-resources table and every way a store's key is described, the Markdown
 * of template findings, and the CLI's argument errors.
 */
{
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
        Orders: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders', SSESpecification: { KMSMasterKeyId: { Ref: 'DataKey' } } } },
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
      ...logicalId('/Data/Drill/RestoreRole/Resource', 'DrillRestoreRole1234'),
      ...logicalId('/Data/Drill/EvidenceBucket/Bucket/Resource', 'DrillEvidenceBucket5678'),
    };
    // Facts on the L2 paths (the report matches `<path>` and `<path>/Resource`).
    const extra = {
      '/Data/FallbackKey/Resource': [control({ control: CONTROLS.FALLBACK_KEY, keyAccount: '111111111111' }), control({ control: CONTROLS.KEY, aliasName: 'alias/fallback' })],
      '/Data/DataKey/Resource': [control({ control: CONTROLS.KEY, aliasName: 'alias/data' })],
      '/Data/Docs/Resource': [
        classified({ requireCmk: true, crossAccountCopy: true, dataEvents: true }),
        control({
          control: CONTROLS.BACKUP_PLAN, plan: 'Daily', retentionDays: 35, crossAccountCopy: true, crossRegionCopy: true, nested: { ignored: true },
          // The vaults (ProtectedBackupPlan records them): the runbook's locations.
          backupVaultName: 'data-protection-35d', copyVaultName: 'data-protection-central', copyAccount: '333333333333', copyRegion: 'eu-west-1',
        }),
        control({ control: CONTROLS.DATA_EVENTS, trail: 'DataTrail' }),
        control({
          control: CONTROLS.RESTORE_DRILL, drill: 'Drill', intervalDays: 30,
          // What the runbook reads (RestoreDrill records it).
          target: 's3-docs', drillId: 'Data/Drill', evidenceBucket: 'Data/Drill/EvidenceBucket/Bucket', restoreRole: 'Data/Drill/RestoreRole', rtoSeconds: 7200,
        }),
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
        Data: { type: 'aws:cloudformation:stack', environment: 'aws://222222222222/eu-west-1', displayName: 'Data', properties: { templateFile: 'Data.template.json', stackName: 'prod-data' }, metadata: meta, additionalMetadataFile: 'Data.metadata.json' },
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

  describe('restore runbooks', () => {
    const report = buildReport(assembly());
    const book = (name: string) => report.runbooks.find((r) => r.constructPath === `Data/${name}/Resource`)!;

    test('one per classified store; the data account and, with a copy, the backup account; roles and names read from the deployed stacks', () => {
      expect(report.runbooks.map((r) => r.constructPath)).toEqual(report.classifiedResources.map((c) => c.constructPath));
      const docs = book('Docs');
      expect(docs.backupResourceType).toBe('S3');
      expect(docs.restoreMetadata).toEqual({ DestinationBucketName: '<new name>', NewBucket: 'true' });
      expect(docs.locations.map((l) => [l.location, l.account, l.region, l.backupVaultName])).toEqual([
        ['data account', '222222222222', 'eu-west-1', 'data-protection-35d'],
        ['backup account', '333333333333', 'eu-west-1', 'data-protection-central'],
      ]);
      const [local, copy] = docs.locations;
      // A generated name is read from the deployed stack by its logical id.
      const read = (logical: string) => `$(aws cloudformation describe-stack-resource --stack-name 'prod-data' --logical-resource-id '${logical}' --query StackResourceDetail.PhysicalResourceId --output text)`;
      expect(local.restoreRole).toBe(`arn:aws:iam::222222222222:role/${read('DrillRestoreRole1234')}`);
      expect(local.latest).toContain(`RESOURCE_ARN="arn:aws:s3:::${read('Docs')}"`);
      expect(local.latest.join('\n')).toContain('aws backup start-restore-job --recovery-point-arn "$RP" --iam-role-arn "$RESTORE_ROLE_ARN" --resource-type S3');
      expect(local.latest.join('\n')).toContain(`jq '. + {"DestinationBucketName":"<new name>","NewBucket":"true"}'`);
      // The copy is restored in the backup account, by a role of that account, as its break-glass role.
      expect(copy.runAs).toContain('data-protection-break-glass');
      expect(copy.restoreRole).toBe('<backup-account restore role ARN>');
      expect(copy.notes.join(' ')).toContain('only in the account that holds the recovery point');
      expect(copy.pointInTime.join(' ')).toContain('newest copy at or before the time');
      expect(docs.placeholders.map((p) => p.placeholder)).toEqual(['<new name>', '<backup-account restore role ARN>']);
    });

    test('point in time: the service\'s own restore for continuous backups; RTO read from the drill\'s evidence and metric', () => {
      const orders = book('Orders');
      expect(orders.locations.map((l) => l.location)).toEqual(['data account']); // no copy recorded
      expect(orders.locations[0].pointInTime).toEqual([
        "aws dynamodb restore-table-to-point-in-time --source-table-name \"orders\" --target-table-name '<new name>' --restore-date-time '<UTC time, e.g. 2025-01-31T09:30:00Z>'",
      ]);
      expect(orders.locations[0].latest).toContain('RESOURCE_ARN="arn:aws:dynamodb:eu-west-1:222222222222:table/orders"');
      // A drill control without a target (an older library) and no restore role: say where to look.
      expect(orders.rto.drillTarget).toBeUndefined();
      expect(orders.locations[0].restoreRole).toBe('<restore role ARN>');
      const docs = book('Docs');
      expect(docs.rto).toMatchObject({ objectiveHours: 2, drillTarget: 's3-docs', drill: 'Drill' });
      expect(docs.rto.commands.join('\n')).toContain('"s3://$BUCKET/latest-success/s3-docs.json"');
      expect(docs.rto.commands.join('\n')).toContain('--metric-name RestoreTimeSeconds --dimensions Name=Target,Value=s3-docs');
      expect(docs.rto.commands[0]).toContain("--logical-resource-id 'DrillEvidenceBucket5678'");
      // A store without a template resource gets no commands, and says so.
      expect(book('Gone').locations).toEqual([]);
    });

    test('rendered to their own file, one collapsible section per store; the comment lists them and stays in budget', () => {
      const md = renderRunbooks(report.runbooks);
      expect(md.split('<details>').length - 1).toBe(report.runbooks.length);
      expect(md.split('<details>').length).toBe(md.split('</details>').length);
      expect(md).toContain('#### From the backup account (333333333333, eu-west-1, vault `data-protection-central`)');
      const comment = renderMarkdown(report);
      expect(comment).toContain('<details><summary>Restore runbooks (8): in `data-protection-runbooks.md`</summary>');
      expect(comment).toContain('| `Data/Docs/Resource` | S3 | data account (`data-protection-35d`)<br>backup account (`data-protection-central`) | 2 h | `s3-docs` |');
      expect(comment).not.toContain('start-restore-job');
      const out = mkdtempSync(join(tmpdir(), 'dp-runbooks-'));
      writeReport(assembly(), out);
      expect(readFileSync(join(out, 'data-protection-runbooks.md'), 'utf8')).toBe(md);
      expect(JSON.parse(readFileSync(join(out, 'data-protection-report.json'), 'utf8')).runbooks).toHaveLength(8);
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
}

describe('organization section: the OUs covered and every guardrail', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'dp-report-org-'));
  const app = new App({ outdir, context: cdkJson.context });
  const management = new Stack(app, 'Management', { env: { account: '999999999999', region: 'eu-west-1' } });
  const guardrails = new DataProtectionGuardrails(management, 'Guardrails', { targetIds: ['ou-ab12-aaaaaaaa', 'r-ab12'], guardrailAdminRoleArnPattern: 'arn:aws:iam::*:role/stacksets-exec-*' });
  new OrganizationBackupPolicy(management, 'BackupPolicy', { targetIds: ['ou-ab12-aaaaaaaa', 'ou-ab12-bbbbbbbb'], regions: ['eu-west-1'], backupAccount: '333333333333', noCrossRegionCopyReason: 'one region only in this test' });
  app.synth();
  const report = buildReport(outdir);
  const md = renderMarkdown(report);

  test('each target with what covers it, and every guardrail statement with its policy, targets and actions', () => {
    const policies = guardrails.policies.map((_, i) => `guardrails data-protection-guardrails-${i + 1}`);
    const plans = 'backup policy data-protection-backup-policy (eu-west-1)';
    expect(report.organization!.targets.map((t) => t.id)).toEqual(['ou-ab12-aaaaaaaa', 'ou-ab12-bbbbbbbb', 'r-ab12']);
    const [a, b, root] = report.organization!.targets;
    expect([...a.coveredBy].sort()).toEqual([...policies, plans].sort());
    expect(b.coveredBy).toEqual([plans]);
    expect(root.coveredBy).toEqual(policies);
    const listed = report.organization!.guardrailPolicies.flatMap((p) => p.guardrails.map((g) => g.sid));
    expect(listed).toEqual(guardrails.guardrails);
    expect(report.organization!.guardrailPolicies.every((p) => p.guardrails.every((g) => g.actions.length > 0))).toBe(true);
    expect(md).toContain(`### Organization (3 targets, ${guardrails.guardrails.length} guardrails)`);
    for (const sid of guardrails.guardrails) expect(md).toContain(`\`${sid}\``);
    expect(md).toContain('| `ou-ab12-bbbbbbbb` | backup policy data-protection-backup-policy (eu-west-1) |');
  });

  test('no organization control: no section', () => {
    expect(buildReport(synthFixture()).organization).toBeUndefined();
  });
});

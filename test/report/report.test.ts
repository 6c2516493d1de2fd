import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, CONTROLS, DataClassification, recordControl } from '../lib';
import { ProtectedKey } from '../../lib/keys/protected-key';
import { DataProtectionChecks } from '../../lib/nag';
import { CHECKLIST, DataProtectionReport, renderMarkdown } from '../../lib/report';
import { fitMarkdown, groupAcknowledgements, MAX_MARKDOWN_LENGTH } from '../../lib/report/markdown';
import { main } from '../../lib/report/cli';
import { buildReport } from '../../lib/report/report';
import * as cdkJson from '../../cdk.json';

process.env.CDK_VALIDATION = 'false';

/** Synthesizes a small app with the pack registered; the unlocked vault makes synth fail, as in a pipeline. */
function synthFixture(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'dp-report-'));
  const app = new App({ outdir, context: cdkJson.context });
  const stack = new Stack(app, 'Data', { env: { account: '222222222222', region: 'eu-west-1' } });
  const key = new ProtectedKey(stack, 'Key', { aliasName: 'alias/test/data' });
  const bucket = new s3.Bucket(stack, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: key.key, enforceSSL: true });
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


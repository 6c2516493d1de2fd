import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderMarkdown, RUNBOOKS_FILE } from './markdown';
import { renderRunbooks } from './runbook';
import { buildReport, CHECKLIST_PACKS, DataProtectionReport } from './report';
import { scanTemplates } from './templates';

const USAGE = `usage: cdk-data-protection report [cdk.out] [--out <dir>] [--templates] [--no-fail]
       cdk-data-protection doctor [--context cdk.json] [--qualifier <q>] [--trust <account>] [--region <r>]

doctor: read-only pre-deploy checks with the AWS credentials of the environment (the
organization's cross-account backup setting, the CDK bootstrap roles, the CDK execution role
the key policies exempt); 'cdk-data-protection doctor --help' for details.

report:
Reads a synthesized cloud assembly (default ./cdk.out, stage assemblies included) and writes
data-protection-report.md (sized for a pull-request comment), data-protection-report.json
(every detail) and data-protection-runbooks.md (a restore runbook per classified store) into
--out (default: current directory).

  --templates  also run the five packs over the synthesized templates (CfnInclude), honouring
               only the acknowledgements written into them: what a reviewer's scanner sees.
  --no-fail    exit 0 whatever the result.

Exits 1 when a checklist line fails, when no checklist pack is recorded in the assembly (nothing
was checked), or with --templates when a template has an unacknowledged error finding.`;

/** Files written by `report`. */
export const REPORT_FILES = { markdown: 'data-protection-report.md', json: 'data-protection-report.json', runbooks: RUNBOOKS_FILE };

/** Options of `writeReport`. */
export interface WriteReportOptions {
  /** Also scan the synthesized templates (template mode). @default false */
  readonly templates?: boolean;
}

/** Writes the three files and returns the report. */
export function writeReport(cdkOut: string, outDir: string, options: WriteReportOptions = {}): DataProtectionReport {
  const base = buildReport(cdkOut);
  const report: DataProtectionReport = options.templates ? { ...base, templateScan: scanTemplates(cdkOut) } : base;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, REPORT_FILES.json), JSON.stringify(report, undefined, 2) + '\n');
  writeFileSync(join(outDir, REPORT_FILES.markdown), renderMarkdown(report));
  writeFileSync(join(outDir, REPORT_FILES.runbooks), renderRunbooks(report.runbooks));
  return report;
}

/**
 * Where `doctor` is bundled (with the AWS SDK clients it calls) by scripts/bundle-handlers.mjs:
 * the construct library itself has no AWS SDK runtime dependency.
 */
export function doctorBundlePath(): string {
  return join(__dirname, '..', '..', 'assets', 'handlers', 'doctor', 'index.js');
}

/** The CLI; returns the exit code (a promise for `doctor`). `log`/`error` are injectable for tests. */
export function main(argv: string[], log: (s: string) => void = console.log, error: (s: string) => void = console.error): number | Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    log(USAGE);
    return 0;
  }
  if (command === 'doctor') {
    const bundle = doctorBundlePath();
    if (!existsSync(bundle)) {
      error(`cdk-data-protection: doctor is not bundled (${bundle} missing): run 'npm run bundle' in the library's repository`);
      return 2;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const doctor = require(bundle) as { main(argv: string[], log: (s: string) => void, error: (s: string) => void): Promise<number> };
    return doctor.main(rest, log, error);
  }
  if (command !== 'report') {
    error(USAGE);
    return 2;
  }
  let cdkOut = 'cdk.out';
  let outDir = '.';
  let failOnFail = true;
  let templates = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--out') outDir = rest[++i] ?? '';
    else if (a === '--no-fail') failOnFail = false;
    else if (a === '--templates') templates = true;
    else if (a.startsWith('-') || !a) {
      error(`unknown option ${a}\n${USAGE}`);
      return 2;
    } else cdkOut = a;
  }
  if (!outDir) {
    error(`--out needs a directory\n${USAGE}`);
    return 2;
  }
  let report: DataProtectionReport;
  try {
    report = writeReport(resolve(cdkOut), resolve(outDir), { templates });
  } catch (e) {
    error(`cdk-data-protection: ${(e as Error).message}`);
    return 2;
  }
  const s = report.summary;
  log(`data protection checklist: ${s.pass} pass, ${s.fail} fail, ${s.acknowledged} acknowledged, ${s['not-evaluated']} not evaluated, ${s['out-of-scope']} out of scope`);
  log(`packs: ${report.packs.join(', ') || 'none recorded'}`);
  for (const r of report.checklist.filter((c) => c.status === 'fail')) {
    log(`FAIL ${r.section} / ${r.item}: ${r.evidence.filter((e) => e.ruleId && !e.reason).map((e) => `${e.ruleId} ${e.constructPath}`).join('; ')}`);
  }
  const problems: string[] = [];
  if (s.fail > 0) problems.push(`${s.fail} checklist line${s.fail === 1 ? '' : 's'} failed`);
  if (report.checklistPacks.length === 0) {
    problems.push('no checklist pack recorded');
    error(
      `cdk-data-protection: no checklist pack (${CHECKLIST_PACKS.join(', ')}) is recorded in ${cdkOut}: nothing checked it, so the report cannot pass. ` +
        'Register the packs (DataProtection.addPacks(app)) and synthesize again, or pass --no-fail to read it anyway.',
    );
  }
  const scan = report.templateScan;
  if (scan) {
    const errors = scan.findings.filter((f) => f.severity === 'error');
    log(`templates: ${scan.templates.length} scanned, ${errors.length} unacknowledged error(s), ${scan.findings.length - errors.length} warning(s), ${scan.acknowledgements} acknowledgements read`);
    for (const f of scan.findings) log(`${f.severity === 'error' ? 'ERROR' : 'WARN'} ${f.template} ${f.logicalId} (${f.resourceType}): ${f.ruleId}`);
    if (errors.length > 0) problems.push(`${errors.length} unacknowledged template error finding${errors.length === 1 ? '' : 's'}`);
  }
  log(`wrote ${join(resolve(outDir), REPORT_FILES.markdown)}, ${REPORT_FILES.json} and ${REPORT_FILES.runbooks}`);
  if (problems.length > 0 && failOnFail) {
    error(`cdk-data-protection: ${problems.join('; ')}`);
    return 1;
  }
  return 0;
}

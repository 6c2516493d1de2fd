import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderMarkdown } from './markdown';
import { buildReport, DataProtectionReport } from './report';

const USAGE = `usage: cdk-data-protection report [cdk.out] [--out <dir>] [--no-fail]

Reads a synthesized cloud assembly (default ./cdk.out) and writes
data-protection-report.md and data-protection-report.json into --out (default: current directory).
Exits 1 when a checklist line fails, unless --no-fail.`;

/** Files written by `report`. */
export const REPORT_FILES = { markdown: 'data-protection-report.md', json: 'data-protection-report.json' };

/** Writes both files and returns the report. */
export function writeReport(cdkOut: string, outDir: string): DataProtectionReport {
  const report = buildReport(cdkOut);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, REPORT_FILES.json), JSON.stringify(report, undefined, 2) + '\n');
  writeFileSync(join(outDir, REPORT_FILES.markdown), renderMarkdown(report));
  return report;
}

/** The CLI; returns the exit code. `log`/`error` are injectable for tests. */
export function main(argv: string[], log: (s: string) => void = console.log, error: (s: string) => void = console.error): number {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    log(USAGE);
    return 0;
  }
  if (command !== 'report') {
    error(USAGE);
    return 2;
  }
  let cdkOut = 'cdk.out';
  let outDir = '.';
  let failOnFail = true;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--out') outDir = rest[++i] ?? '';
    else if (a === '--no-fail') failOnFail = false;
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
    report = writeReport(resolve(cdkOut), resolve(outDir));
  } catch (e) {
    error(`cdk-data-protection: ${(e as Error).message}`);
    return 2;
  }
  const s = report.summary;
  log(`data protection checklist: ${s.pass} pass, ${s.fail} fail, ${s.acknowledged} acknowledged, ${s['not-evaluated']} not evaluated, ${s['out-of-scope']} out of scope`);
  log(`packs: ${report.packs.join(', ') || 'none recorded (register DataProtectionChecks with Validations.of(app).addPlugins)'}`);
  for (const r of report.checklist.filter((c) => c.status === 'fail')) {
    log(`FAIL ${r.section} / ${r.item}: ${r.evidence.filter((e) => e.ruleId && !e.reason).map((e) => `${e.ruleId} ${e.constructPath}`).join('; ')}`);
  }
  log(`wrote ${join(resolve(outDir), REPORT_FILES.markdown)} and ${REPORT_FILES.json}`);
  return failOnFail && s.fail > 0 ? 1 : 0;
}

import { ChecklistResult, ChecklistStatus, DataProtectionReport, Evidence } from './report';

const ICON: Record<ChecklistStatus, string> = {
  'pass': '✅ pass',
  'fail': '❌ fail',
  'acknowledged': '⚠️ acknowledged',
  'out-of-scope': '➖ out of scope',
  'not-evaluated': '❔ not evaluated',
};

/** Escapes a table cell: pipes and newlines break GitHub tables. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const MAX_EVIDENCE = 3;

function evidenceCell(r: ChecklistResult): string {
  if (r.status === 'out-of-scope') return 'see below';
  const shown = (e: Evidence) =>
    e.ruleId ? `${code(e.ruleId)} ${code(e.constructPath)}${e.reason ? `: ${e.reason}` : ''}` : `${e.control} ${code(e.constructPath)}`;
  // Failures first, then acknowledgements, then controls: the order buildReport emits.
  const list = r.evidence.slice(0, MAX_EVIDENCE).map(shown);
  if (r.evidence.length > MAX_EVIDENCE) list.push(`+${r.evidence.length - MAX_EVIDENCE} more`);
  if (list.length === 0) list.push(r.enforcedBy);
  return cell(list.join('<br>'));
}

/** The report as Markdown short enough for a pull-request comment: the checklist first, details folded. */
export function renderMarkdown(report: DataProtectionReport): string {
  const s = report.summary;
  const lines: string[] = [
    '## Data protection checklist',
    '',
    `**${s.pass} pass · ${s.fail} fail · ${s.acknowledged} acknowledged · ${s['not-evaluated']} not evaluated · ${s['out-of-scope']} out of scope**` +
      ` — packs: ${report.packs.length > 0 ? report.packs.join(', ') : 'none recorded'}`,
    '',
    '| Section | Item | Status | Evidence |',
    '|---|---|---|---|',
    ...report.checklist.map((r) => `| ${cell(r.section)} | ${cell(r.item)} | ${ICON[r.status]} | ${evidenceCell(r)} |`),
    '',
  ];
  if (report.overrides.length > 0) {
    lines.push(`### Overrides (${report.overrides.length})`, '', '| Construct | Control | Floor | Value | Reason |', '|---|---|---|---|---|');
    for (const o of report.overrides) lines.push(`| ${code(o.constructPath)} | ${cell(o.prop)} | ${cell(o.floor)} | ${cell(o.value)} | ${cell(o.reason)} |`);
    lines.push('');
  }
  lines.push(
    `<details><summary>Classified resources (${report.classifiedResources.length})</summary>`,
    '',
    '| Resource | Level | Key | Backup plan | Cross-account copy | Data events | Restore drill |',
    '|---|---|---|---|---|---|---|',
    ...report.classifiedResources.map(
      (c) => `| ${code(c.constructPath)} | ${c.classification} | ${cell(c.key)} | ${cell(c.backupPlan)} | ${cell(c.crossAccountCopy)} | ${cell(c.dataEvents)} | ${cell(c.restoreDrill)} |`,
    ),
    '',
    '</details>',
    '',
    `<details><summary>Acknowledgements (${report.acknowledgements.length})</summary>`,
    '',
    '| Rule | Construct | Reason |',
    '|---|---|---|',
    ...report.acknowledgements.map((a) => `| ${code(a.ruleId)} | ${code(a.constructPath)} | ${cell(a.reason)} |`),
    '',
    '</details>',
    '',
    '<details><summary>Out of scope for infrastructure</summary>',
    '',
    ...report.checklist.filter((r) => r.outOfScope).map((r) => `- **${r.item}**: ${r.outOfScope}`),
    '',
    '</details>',
    '',
  );
  return lines.join('\n');
}

import { CONTROLS } from '../core/controls';
import { AcknowledgementReport, ChecklistResult, ChecklistStatus, DataProtectionReport, Evidence } from './report';
import { TemplateFinding } from './templates';

const ICON: Record<ChecklistStatus, string> = {
  'pass': '✅ pass',
  'fail': '❌ fail',
  'acknowledged': '⚠️ acknowledged',
  'out-of-scope': '➖ out of scope',
  'not-evaluated': '❔ not evaluated',
};

/**
 * Upper bound of the Markdown, in UTF-16 code units (never fewer than GitHub's characters): a
 * pull-request comment holds 65,536 characters, and the rest is left for a bot's own framing.
 */
export const MAX_MARKDOWN_LENGTH = 60_000;

/** The file that holds everything the Markdown folds or leaves out. */
const JSON_FILE = 'data-protection-report.json';

/**
 * The file holding the restore runbooks (`renderRunbooks`): several kilobytes per store, so they
 * stay out of the pull-request comment, which lists the stores and points to it.
 */
export const RUNBOOKS_FILE = 'data-protection-runbooks.md';

/** Stores listed in the comment's runbook section before "+N more". */
const MAX_RUNBOOK_ROWS = 50;

function runbookLines(report: DataProtectionReport): string[] {
  const runbooks = report.runbooks ?? [];
  if (runbooks.length === 0) return [];
  const shown = runbooks.slice(0, MAX_RUNBOOK_ROWS);
  return [
    `<details><summary>Restore runbooks (${runbooks.length}): in \`${RUNBOOKS_FILE}\`</summary>`,
    '',
    `Commands restoring each store's latest recovery point or a point in time, from the data account and from the backup account's copy, ` +
      `with the restore role and where the last drill's measured RTO is read: \`${RUNBOOKS_FILE}\` (and \`runbooks\` in \`${JSON_FILE}\`).`,
    '',
    '| Store | Type | Restore from | RTO objective | Drill target |',
    '|---|---|---|---|---|',
    ...shown.map(
      (r) =>
        `| ${code(r.constructPath)} | ${r.backupResourceType ?? r.type ?? '?'} | ${cell(r.locations.map((l) => `${l.location} (${code(l.backupVaultName)})`).join('<br>') || 'no runbook')} | ` +
        `${r.rto.objectiveHours !== undefined ? `${r.rto.objectiveHours} h` : '-'} | ${r.rto.drillTarget ? code(r.rto.drillTarget) : 'no drill'} |`,
    ),
    ...(runbooks.length > shown.length ? ['', `_+${runbooks.length - shown.length} more in \`${RUNBOOKS_FILE}\`._`] : []),
    '',
    '</details>',
    '',
  ];
}

/** Escapes a table cell: pipes and newlines break GitHub tables. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** Shortens free text (reasons, descriptions) to `max` characters. */
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`);
const MAX_EVIDENCE = 3;
const MAX_REASON = 240;
/** Resources named per template-scan rule before "+N more". */
const MAX_RESOURCES = 5;

function evidenceCell(r: ChecklistResult): string {
  if (r.status === 'out-of-scope') return 'see below';
  const shown = (e: Evidence) =>
    e.ruleId ? `${code(e.ruleId)} ${code(e.constructPath)}${e.reason ? `: ${clip(e.reason, MAX_REASON)}` : ''}` : `${e.control} ${code(e.constructPath)}`;
  // Failures first, then acknowledgements, then controls: the order buildReport emits.
  const list = r.evidence.slice(0, MAX_EVIDENCE).map(shown);
  if (r.evidence.length > MAX_EVIDENCE) list.push(`+${r.evidence.length - MAX_EVIDENCE} more`);
  if (list.length === 0) list.push(r.enforcedBy);
  return cell(list.join('<br>'));
}

/** A rule id without its finding (`AwsSolutions-IAM5[Action::s3:*]` → `AwsSolutions-IAM5`). */
const baseRule = (id: string) => id.replace(/\[.*$/, '');

/** Acknowledgements per rule: how many constructs and findings, and the most frequent reason. */
export interface AcknowledgementGroup {
  readonly ruleId: string;
  readonly constructs: number;
  readonly findings: number;
  readonly reason: string;
  readonly otherReasons: number;
  /**
   * Reasons given for a single finding of a rule whose other findings give another reason: the
   * outliers a reviewer should read (a merged change acknowledging something new hides here).
   */
  readonly outliers: Array<{ readonly constructPath: string; readonly reason: string }>;
}

/** At most this many outlier reasons are listed in the Markdown (every one is in the JSON). */
const MAX_OUTLIERS = 40;

/** Groups acknowledgements by rule id (findings of one rule, e.g. each IAM5 wildcard, together). */
export function groupAcknowledgements(acks: AcknowledgementReport[]): AcknowledgementGroup[] {
  const groups = new Map<string, AcknowledgementReport[]>();
  for (const a of acks) groups.set(baseRule(a.ruleId), [...(groups.get(baseRule(a.ruleId)) ?? []), a]);
  return [...groups.entries()]
    .map(([ruleId, list]) => {
      const reasons = new Map<string, number>();
      for (const a of list) reasons.set(a.reason, (reasons.get(a.reason) ?? 0) + 1);
      const [reason] = [...reasons.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))[0];
      const outliers = reasons.size > 1 ? list.filter((a) => reasons.get(a.reason) === 1).map((a) => ({ constructPath: a.constructPath, reason: a.reason })) : [];
      return { ruleId, constructs: new Set(list.map((a) => a.constructPath)).size, findings: new Set(list.map((a) => a.ruleId)).size, reason, otherReasons: reasons.size - 1, outliers };
    })
    .sort((a, b) => a.ruleId.localeCompare(b.ruleId));
}

/** Reasons given once where the rule's other findings give another: listed, not folded away. */
function outlierLines(groups: AcknowledgementGroup[]): string[] {
  const all = groups.flatMap((g) => g.outliers.map((o) => ({ ruleId: g.ruleId, ...o })));
  if (all.length === 0) return [];
  const shown = all.slice(0, MAX_OUTLIERS);
  return [
    `<details open><summary>Reasons given once (${all.length}): read these</summary>`,
    '',
    '| Rule | Construct | Reason |',
    '|---|---|---|',
    ...shown.map((o) => `| ${code(o.ruleId)} | ${code(o.constructPath)} | ${cell(clip(o.reason, MAX_REASON))} |`),
    ...(all.length > shown.length ? ['', `_+${all.length - shown.length} more in \`${JSON_FILE}\`._`] : []),
    '',
    '</details>',
    '',
  ];
}

/** The organization section: targets and what covers each, every guardrail, the other organization controls. */
function organizationLines(report: DataProtectionReport): string[] {
  const org = report.organization;
  if (!org) return [];
  const detail = (d: Record<string, unknown>) =>
    Object.entries(d)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  return [
    `### Organization (${org.targets.length} target${org.targets.length === 1 ? '' : 's'}, ${org.guardrailPolicies.reduce((n, p) => n + p.guardrails.length, 0)} guardrails)`,
    '',
    '| Root / OU / account | Covered by |',
    '|---|---|',
    ...org.targets.map((t) => `| ${code(t.id)} | ${cell(t.coveredBy.join('; '))} |`),
    '',
    ...(org.guardrailPolicies.length > 0
      ? [
          '| Guardrail policy | Attached to | Guardrail | Denied actions (to all but the break-glass role) |',
          '|---|---|---|---|',
          ...org.guardrailPolicies.flatMap((p) => p.guardrails.map((g) => `| ${code(p.policyName)} | ${cell(p.targetIds.join(' '))} | ${code(g.sid)} | ${cell(g.actions.join(' '))} |`)),
          '',
        ]
      : []),
    ...org.controls.filter((c) => c.control !== CONTROLS.ORGANIZATION_ROLLOUT && c.control !== CONTROLS.ORGANIZATION_BACKUP_POLICY).map((c) => `- **${c.control}** ${code(c.constructPath)}: ${cell(clip(detail(c.detail), MAX_REASON))}`),
    '',
  ];
}

function templateScanLines(report: DataProtectionReport): string[] {
  const scan = report.templateScan;
  if (!scan) return [];
  const errors = scan.findings.filter((f) => f.severity === 'error').length;
  const lines = [
    `### Template scan: ${errors} error${errors === 1 ? '' : 's'}, ${scan.findings.length - errors} warning${scan.findings.length - errors === 1 ? '' : 's'}`,
    '',
    `The ${scan.packs.length} packs over ${scan.templates.length} synthesized templates (CfnInclude), honouring only the ` +
      `${scan.acknowledgements} acknowledgements written into them (\`Metadata.cdk_nag\`).`,
    '',
  ];
  if (scan.findings.length === 0) return [...lines, 'No unacknowledged finding.', ''];
  const byRule = new Map<string, TemplateFinding[]>();
  for (const f of scan.findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  lines.push('| Rule | Severity | Resources (stack / logical id) |', '|---|---|---|');
  const rank = (f: TemplateFinding) => (f.severity === 'error' ? 0 : 1);
  for (const [ruleId, list] of [...byRule].sort(([a, x], [b, y]) => rank(x[0]) - rank(y[0]) || a.localeCompare(b))) {
    const shown = list.slice(0, MAX_RESOURCES).map((f) => `${code(`${f.stack}/${f.logicalId}`)}${f.resourceType ? ` ${f.resourceType}` : ''}`);
    if (list.length > MAX_RESOURCES) shown.push(`+${list.length - MAX_RESOURCES} more`);
    lines.push(`| ${code(ruleId)} | ${list[0].severity} | ${cell(shown.join('<br>'))} |`);
  }
  return [...lines, ''];
}

/**
 * The report as Markdown for a pull-request comment: the checklist first, details folded and
 * aggregated (every construct and reason is in the JSON), never longer than `maxLength`.
 */
export function renderMarkdown(report: DataProtectionReport, maxLength: number = MAX_MARKDOWN_LENGTH): string {
  const s = report.summary;
  const lines: string[] = [
    '## Data protection checklist',
    '',
    `**${s.pass} pass · ${s.fail} fail · ${s.acknowledged} acknowledged · ${s['not-evaluated']} not evaluated · ${s['out-of-scope']} out of scope**` +
      ` — packs: ${report.packs.length > 0 ? report.packs.join(', ') : 'none recorded'}`,
    '',
  ];
  if (report.checklistPacks.length === 0) {
    lines.push(
      '> **No checklist pack recorded in this cloud assembly**: nothing checked these lines. Register the packs ' +
        '(`DataProtection.addPacks(app)`) and synthesize again.',
      '',
    );
  }
  lines.push(
    '| Section | Item | Status | Evidence |',
    '|---|---|---|---|',
    ...report.checklist.map((r) => `| ${cell(r.section)} | ${cell(r.item)} | ${ICON[r.status]} | ${evidenceCell(r)} |`),
    '',
    ...templateScanLines(report),
  );
  if (report.overrides.length > 0) {
    lines.push(`### Overrides (${report.overrides.length})`, '', '| Construct | Control | Floor | Value | Reason |', '|---|---|---|---|---|');
    for (const o of report.overrides) lines.push(`| ${code(o.constructPath)} | ${cell(o.prop)} | ${cell(o.floor)} | ${cell(o.value)} | ${cell(clip(o.reason, MAX_REASON))} |`);
    lines.push('');
  }
  const groups = groupAcknowledgements(report.acknowledgements);
  lines.push(
    `<details><summary>Classified resources (${report.classifiedResources.length})</summary>`,
    '',
    '| Resource | Level | Key | Backup plan | Cross-account copy | Recovery point (per location) | Data events | Restore drill |',
    '|---|---|---|---|---|---|---|---|',
    ...report.classifiedResources.map(
      (c) =>
        `| ${code(c.constructPath)} | ${c.classification} | ${cell(c.key)} | ${cell(c.backupPlan)} | ${cell(c.crossAccountCopy)} | ${cell(c.rpo)} | ${cell(c.dataEvents)} | ${cell(clip(c.restoreDrill, MAX_REASON))} |`,
    ),
    '',
    '</details>',
    '',
    ...runbookLines(report),
    ...organizationLines(report),
    `<details><summary>Acknowledgements (${report.acknowledgements.length}, ${groups.length} rules)</summary>`,
    '',
    `Grouped by rule, with the most frequent reason; every construct and reason is in \`${JSON_FILE}\`.`,
    '',
    '| Rule | Constructs | Findings | Reason |',
    '|---|---|---|---|',
    ...groups.map(
      (g) => `| ${code(g.ruleId)} | ${g.constructs} | ${g.findings} | ${cell(clip(g.reason, MAX_REASON))}${g.otherReasons > 0 ? ` _(+${g.otherReasons} other reason${g.otherReasons === 1 ? '' : 's'})_` : ''} |`,
    ),
    '',
    '</details>',
    '',
    ...outlierLines(groups),
    '<details><summary>Out of scope for infrastructure</summary>',
    '',
    ...report.checklist.filter((r) => r.outOfScope).map((r) => `- **${r.item}**: ${r.outOfScope}`),
    '',
    '</details>',
    '',
  );
  return fitMarkdown(lines.join('\n'), maxLength);
}

/**
 * Cuts Markdown to at most `maxLength` (UTF-16 code units) at a line boundary, closes the
 * `<details>` blocks left open and says where the rest is. Unchanged when it fits.
 */
export function fitMarkdown(md: string, maxLength: number = MAX_MARKDOWN_LENGTH): string {
  if (md.length <= maxLength) return md;
  const note = `\n\n_Truncated to ${maxLength.toLocaleString('en-US')} characters for a pull-request comment: the full report is in \`${JSON_FILE}\`._\n`;
  const count = (text: string, tag: string) => text.split(tag).length - 1;
  let end = maxLength - note.length;
  for (;;) {
    const cut = md.lastIndexOf('\n', end);
    const kept = md.slice(0, Math.max(0, cut));
    const closing = '\n\n</details>'.repeat(Math.max(0, count(kept, '<details>') - count(kept, '</details>')));
    if (cut <= 0 || kept.length + closing.length + note.length <= maxLength) return `${kept}${closing}${note}`;
    end = cut - 1;
  }
}

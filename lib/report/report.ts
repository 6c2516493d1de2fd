import { METADATA } from '../core/constants';
import { CONTROLS } from '../core/controls';
import { DATA_PROTECTION_PACK, VALIDATION_METADATA } from '../nag/data-protection-checks';
import { AssemblyMetadata, CloudAssemblyContents, readCloudAssembly, ValidationFinding } from './assembly';
import { CHECKLIST, ChecklistItem } from './checklist';
import { buildRunbooks, RestoreRunbook } from './runbook';
import { TemplateScan } from './templates';

/** Status of a checklist line. `not-evaluated`: no pack that checks it ran, or only a construct default covers it. */
export type ChecklistStatus = 'pass' | 'fail' | 'acknowledged' | 'out-of-scope' | 'not-evaluated';

/** Why a line has its status: a construct, and the rule, control or acknowledgement involved. */
export interface Evidence {
  readonly constructPath: string;
  readonly ruleId?: string;
  readonly control?: string;
  readonly reason?: string;
  readonly detail?: string;
}

export interface ChecklistResult {
  readonly id: string;
  readonly section: string;
  readonly item: string;
  readonly status: ChecklistStatus;
  readonly enforcedBy: string;
  readonly rules: string[];
  readonly outOfScope?: string;
  readonly evidence: Evidence[];
}

/** A classified resource and the state of each of its controls (a short human-readable cell). */
export interface ClassifiedResourceReport {
  readonly constructPath: string;
  readonly stack: string;
  readonly type?: string;
  readonly classification: string;
  readonly key: string;
  readonly backupPlan: string;
  readonly crossAccountCopy: string;
  /**
   * Recovery point per recovery location against its objective: the data account (continuous
   * backup or the snapshot schedule), the backup account's copy and the DR region's copy.
   */
  readonly rpo: string;
  readonly dataEvents: string;
  readonly restoreDrill: string;
}

export interface OverrideReport {
  readonly constructPath: string;
  readonly prop: string;
  readonly floor: string;
  readonly value: string;
  readonly reason: string;
}

export interface AcknowledgementReport {
  readonly ruleId: string;
  readonly constructPath: string;
  readonly reason: string;
}

/** A service control policy of `DataProtectionGuardrails`: where it is attached and what it denies. */
export interface GuardrailPolicyReport {
  readonly constructPath: string;
  readonly policyName: string;
  readonly targetIds: string[];
  readonly guardrails: { readonly sid: string; readonly actions: string[] }[];
}

/** An organization-wide control (StackSet rollout, backup policy, organization trail, delegated administrator). */
export interface OrganizationControlReport {
  readonly control: string;
  readonly constructPath: string;
  readonly detail: Record<string, unknown>;
}

/**
 * The organization's coverage: each root, OU or account the organization-wide controls target, with
 * the controls that cover it, every guardrail, and the other organization controls.
 */
export interface OrganizationReport {
  readonly targets: { readonly id: string; readonly coveredBy: string[] }[];
  readonly guardrailPolicies: GuardrailPolicyReport[];
  readonly controls: OrganizationControlReport[];
}

/** The whole report, as written to data-protection-report.json. */
export interface DataProtectionReport {
  readonly cloudAssembly: string;
  /** Validation plugins (packs) known to have run. */
  readonly packs: string[];
  /**
   * The packs the checklist's rules belong to that are known to have run (a subset of `packs`).
   * Empty: nothing checked the checklist, and the report must not pass.
   */
  readonly checklistPacks: string[];
  readonly summary: Record<ChecklistStatus, number>;
  readonly checklist: ChecklistResult[];
  readonly classifiedResources: ClassifiedResourceReport[];
  readonly overrides: OverrideReport[];
  readonly acknowledgements: AcknowledgementReport[];
  readonly findings: ValidationFinding[];
  /**
   * A restore runbook per classified store: the commands restoring its latest recovery point or a
   * point in time from the data account and from the backup account's copy, the restore role, and
   * where the last drill's measured RTO is read (rendered to `data-protection-runbooks.md`).
   */
  readonly runbooks: RestoreRunbook[];
  /** Template mode (`report --templates`): the packs run over the synthesized templates. */
  readonly templateScan?: TemplateScan;
  /** Organization-wide controls in the app (StackSet baseline, backup policy, guardrails, organization trail); absent when none. */
  readonly organization?: OrganizationReport;
}

/** The packs whose rules the checklist names: `DataProtection` and the four cdk-nag packs. */
export const CHECKLIST_PACKS: readonly string[] = [...new Set(CHECKLIST.flatMap((c) => c.rules.map((r) => r.slice(0, r.indexOf('-')))))].sort();

const ACK_METADATA = 'aws:cdk:acknowledged-rules';

const packOf = (ruleId: string) => ruleId.slice(0, ruleId.indexOf('-'));
const ruleMatches = (rule: string, id: string) => id === rule || id.startsWith(`${rule}[`);
const under = (path: string, scope: string) => scope === '' || path === scope || path.startsWith(`${scope}/`);

/** Builds the report from a cdk.out directory. */
export function buildReport(cdkOut: string): DataProtectionReport {
  return buildReportFrom(readCloudAssembly(cdkOut), cdkOut);
}

/** Builds the report from an already read cloud assembly. */
export function buildReportFrom(asm: CloudAssemblyContents, cdkOut = 'cdk.out'): DataProtectionReport {
  const byType = (type: string) => asm.metadata.filter((m) => m.type === type);
  const packs = new Set<string>(asm.reportedPlugins);
  for (const m of byType(VALIDATION_METADATA)) for (const p of m.data?.plugins ?? []) packs.add(p);

  const acknowledgements = collectAcknowledgements(asm);
  const controls = byType(METADATA.CONTROL);

  const checklist = CHECKLIST.map((item) => evaluate(item, asm.findings, acknowledgements, controls, packs));
  const summary: Record<ChecklistStatus, number> = { 'pass': 0, 'fail': 0, 'acknowledged': 0, 'out-of-scope': 0, 'not-evaluated': 0 };
  for (const c of checklist) summary[c.status]++;

  const overrides = byType(METADATA.OVERRIDE).map((m) => ({
    constructPath: m.path,
    prop: String(m.data?.prop),
    floor: String(m.data?.floor),
    value: String(m.data?.value),
    reason: String(m.data?.reason),
  }));

  return {
    cloudAssembly: cdkOut,
    packs: [...packs].sort(),
    checklistPacks: [...packs].filter((p) => CHECKLIST_PACKS.includes(p)).sort(),
    summary,
    checklist,
    classifiedResources: byType(METADATA.CLASSIFIED).map((m) => classifiedResource(m, asm, acknowledgements, controls, packs.has(DATA_PROTECTION_PACK))),
    overrides,
    acknowledgements,
    findings: asm.findings,
    runbooks: buildRunbooks(asm),
    ...organizationOf(controls),
  };
}

/** Which targets (OU, root, account ids) each organization-wide control covers, in words for the report. */
const ORGANIZATION_CONTROLS: Record<string, (detail: Record<string, any>) => { targets: string[]; label: string } | undefined> = {
  [CONTROLS.ORGANIZATION_ROLLOUT]: (d) => ({ targets: d.organizationalUnitIds ?? [], label: `StackSet baseline (${(d.regions ?? []).join(', ')})` }),
  [CONTROLS.ORGANIZATION_BACKUP_POLICY]: (d) => ({ targets: d.targetIds ?? [], label: `backup policy ${d.policyName} (${(d.regions ?? []).join(', ')})` }),
  [CONTROLS.ORGANIZATION_GUARDRAILS]: (d) => ({ targets: d.targetIds ?? [], label: `guardrails ${d.policyName}` }),
};

/** The organization section: undefined when the app has no organization-wide control. */
function organizationOf(controls: AssemblyMetadata[]): { organization?: OrganizationReport } {
  const org = controls.filter((c) => typeof c.data?.control === 'string' && (Object.keys(ORGANIZATION_CONTROLS).includes(c.data.control) || ORGANIZATION_ONLY.includes(c.data.control)));
  if (org.length === 0) return {};
  const targets = new Map<string, string[]>();
  for (const c of org) {
    const covered = ORGANIZATION_CONTROLS[c.data.control]?.(c.data.detail ?? {});
    for (const id of covered?.targets ?? []) targets.set(id, [...new Set([...(targets.get(id) ?? []), covered!.label])]);
  }
  return {
    organization: {
      targets: [...targets].sort(([a], [b]) => a.localeCompare(b)).map(([id, coveredBy]) => ({ id, coveredBy })),
      guardrailPolicies: org
        .filter((c) => c.data.control === CONTROLS.ORGANIZATION_GUARDRAILS)
        .map((c) => ({ constructPath: c.path, policyName: String(c.data.detail?.policyName), targetIds: c.data.detail?.targetIds ?? [], guardrails: c.data.detail?.guardrails ?? [] })),
      controls: org.filter((c) => c.data.control !== CONTROLS.ORGANIZATION_GUARDRAILS).map((c) => ({ control: String(c.data.control), constructPath: c.path, detail: c.data.detail ?? {} })),
    },
  };
}

/** Organization controls that target no OU themselves. */
const ORGANIZATION_ONLY: string[] = [CONTROLS.ORGANIZATION_TRAIL, CONTROLS.BACKUP_DELEGATED_ADMIN, CONTROLS.CLOUDTRAIL_DELEGATED_ADMIN];

function collectAcknowledgements(asm: CloudAssemblyContents): AcknowledgementReport[] {
  const acks: AcknowledgementReport[] = [];
  const add = (a: AcknowledgementReport) => {
    if (!acks.some((x) => x.ruleId === a.ruleId && x.constructPath === a.constructPath)) acks.push(a);
  };
  for (const m of asm.metadata.filter((x) => x.type === ACK_METADATA)) {
    for (const [id, reason] of Object.entries<string>(m.data ?? {})) add({ ruleId: id.replace(/^annotation::/i, ''), constructPath: m.path, reason });
  }
  for (const s of asm.suppressed) add({ ruleId: s.ruleId, constructPath: s.path, reason: s.reason ?? '' });
  return acks.sort((a, b) => a.ruleId.localeCompare(b.ruleId) || a.constructPath.localeCompare(b.constructPath));
}

function evaluate(item: ChecklistItem, findings: ValidationFinding[], acks: AcknowledgementReport[], controls: AssemblyMetadata[], packs: Set<string>): ChecklistResult {
  const base = { id: item.id, section: item.section, item: item.item, enforcedBy: item.enforcedBy, rules: item.rules, outOfScope: item.outOfScope };
  if (item.outOfScope) return { ...base, status: 'out-of-scope', evidence: [] };
  const failed = findings.filter((f) => item.rules.some((r) => ruleMatches(r, f.ruleId)));
  const acked = acks.filter((a) => item.rules.some((r) => ruleMatches(r, a.ruleId)));
  const controlEvidence = controls
    .filter((c) => item.controls.includes(c.data?.control))
    .map((c) => ({ constructPath: c.path, control: String(c.data.control), detail: describeControl(c.data) }));
  const evidence: Evidence[] = [
    ...failed.map((f) => ({ constructPath: f.path, ruleId: f.ruleId, detail: f.description })),
    ...acked.map((a) => ({ constructPath: a.constructPath, ruleId: a.ruleId, reason: a.reason })),
    ...controlEvidence,
  ];
  const ran = item.rules.some((r) => packs.has(packOf(r)));
  const status: ChecklistStatus = failed.length > 0 ? 'fail' : acked.length > 0 ? 'acknowledged' : ran ? 'pass' : 'not-evaluated';
  return { ...base, status, evidence };
}

function describeControl(data: Record<string, unknown>): string {
  const { control, ...rest } = data;
  return Object.entries(rest)
    .filter(([, v]) => v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The CloudFormation resource (and its stack's template) at a construct path. */
function templateResource(asm: CloudAssemblyContents, path: string): { props: Record<string, any>; type?: string; stack: string } | undefined {
  const logical = asm.metadata.find((m) => m.path === path && m.type === 'aws:cdk:logicalId');
  if (!logical) return undefined;
  const stack = asm.stacks.find((s) => s.name === logical.stack);
  const res = stack?.template.Resources?.[logical.data];
  return res ? { props: res.Properties ?? {}, type: res.Type, stack: logical.stack } : { props: {}, stack: logical.stack };
}

/** The key a data store is encrypted with, described from the key's control metadata when it is in the app. */
function describeKey(asm: CloudAssemblyContents, stack: string, props: Record<string, any>): string | undefined {
  const refs = [
    ...(props.BucketEncryption?.ServerSideEncryptionConfiguration ?? []).map((c: any) => c?.ServerSideEncryptionByDefault?.KMSMasterKeyID),
    props.SSESpecification?.KMSMasterKeyId,
    ...(props.Replicas ?? []).map((r: any) => r?.SSESpecification?.KMSMasterKeyId),
    props.KmsKeyId,
  ].filter((r) => r !== undefined);
  if (refs.length === 0) return undefined;
  const text = JSON.stringify(refs[0]);
  const logical = /"(?:Ref|Fn::GetAtt)":\s*\[?"([A-Za-z0-9]+)"/.exec(text)?.[1];
  if (logical) {
    const keyPath = asm.metadata.find((m) => m.stack === stack && m.type === 'aws:cdk:logicalId' && m.data === logical)?.path;
    const keyControls = asm.metadata.filter((m) => m.path === keyPath && m.type === METADATA.CONTROL).map((m) => m.data);
    const fallback = keyControls.find((c) => c.control === CONTROLS.FALLBACK_KEY);
    const key = keyControls.find((c) => c.control === CONTROLS.KEY);
    if (fallback) return `fallback key ${key?.aliasName ?? keyPath} (administered from ${fallback.keyAccount})`;
    if (key) return `ProtectedKey ${key.aliasName}`;
    // A custom resource output (CrossAccountKey resolves the key-account alias at deploy time).
    return keyPath ? `CMK resolved by ${keyPath.split('/')[1] ?? keyPath}` : 'CMK';
  }
  return typeof refs[0] === 'string' ? refs[0] : 'CMK';
}

/**
 * Recovery point per location, from the backup plan's control, e.g. `local: continuous
 * (point-in-time recovery) (objective 1 h); backup account: 1 h (objective 1 h); DR region: 1 h`.
 * A copy less frequent than its objective is marked ✘ (an override of `copyRpoHours` says why).
 */
function describeRpo(plan: Record<string, any> | undefined, policy: Record<string, any>): string {
  if (!plan || plan.localRpo === undefined) return plan ? 'not recorded' : 'no backup plan';
  const hours = (v: unknown) => (typeof v === 'string' && /^\d+ h$/.test(v) ? Number(v.split(' ')[0]) : undefined);
  const copyObjective = plan.copyRpoObjectiveHours ?? policy.copyRpoHours;
  const copy = (where: string, value: string, required: boolean) => {
    if (value === 'none') return required ? `${where}: none ✘` : `${where}: none`;
    const h = hours(value);
    const miss = h !== undefined && typeof copyObjective === 'number' && h > copyObjective;
    return `${where}: ${value}${miss ? ' ✘' : ''} (objective ${copyObjective} h)`;
  };
  return [
    `local: ${plan.localRpo} (objective ${plan.rpoObjectiveHours ?? policy.rpoHours} h)`,
    copy('backup account', String(plan.backupAccountRpo), policy.crossAccountCopy === true),
    copy('DR region', String(plan.drRegionRpo), policy.crossRegionCopy === true),
  ].join('; ');
}

function classifiedResource(
  m: AssemblyMetadata,
  asm: CloudAssemblyContents,
  acks: AcknowledgementReport[],
  controls: AssemblyMetadata[],
  packRan: boolean,
): ClassifiedResourceReport {
  const path = m.path;
  const policy = m.data?.policy ?? {};
  const res = templateResource(asm, path);
  const own = controls.filter((c) => c.path === path || c.path === path.replace(/\/Resource$/, '')).map((c) => c.data);
  const control = (name: string) => own.find((c) => c.control === name);
  const cell = (rule: string, required: boolean, ok: string | undefined): string => {
    if (ok) return `✔ ${ok}`.trim();
    if (!required) return 'not required';
    const id = `${DATA_PROTECTION_PACK}-${rule}`;
    if (asm.findings.some((f) => f.path === path && ruleMatches(id, f.ruleId))) return '✘ missing';
    const ack = acks.find((a) => ruleMatches(id, a.ruleId) && under(path, a.constructPath));
    if (ack) return `⚠ acknowledged: ${ack.reason}`;
    return packRan ? '✔ (template)' : '? not checked';
  };
  const plan = control(CONTROLS.BACKUP_PLAN);
  const events = control(CONTROLS.DATA_EVENTS);
  const drill = control(CONTROLS.RESTORE_DRILL);
  const key = res ? describeKey(asm, res.stack, res.props) : undefined;
  return {
    constructPath: path,
    stack: m.stack,
    type: res?.type,
    classification: String(m.data?.classification),
    key: cell('ClassifiedEncryptedWithCmk', policy.requireCmk !== false, key),
    backupPlan: cell('ClassifiedBackupCoverage', true, plan ? `${plan.plan ?? 'plan'}${plan.retentionDays ? ` (${plan.retentionDays} d)` : ''}` : undefined),
    crossAccountCopy: cell(
      'ClassifiedCrossAccountCopy',
      policy.crossAccountCopy === true,
      plan?.crossAccountCopy === true ? `backup account${plan.crossRegionCopy === true ? ' + DR region' : ''}` : undefined,
    ),
    rpo: describeRpo(plan, policy),
    dataEvents: cell('ClassifiedDataEvents', policy.dataEvents === true, events ? String(events.trail ?? 'trail') : undefined),
    restoreDrill: cell('ClassifiedRestoreDrill', true, drill ? `${drill.drill ?? 'drill'}${drill.intervalDays ? ` every ${drill.intervalDays} d` : ''}` : undefined),
  };
}

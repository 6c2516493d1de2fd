import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as cfninc from 'aws-cdk-lib/cloudformation-include';
import { NagPack } from 'cdk-nag';
import { METADATA } from '../core/constants';
import { dataProtectionPacks } from '../nag/packs';
import { readCloudAssembly } from './assembly';

/**
 * Template mode: what a reviewer's scanner sees. Each synthesized template is loaded with
 * `CfnInclude` (so every resource becomes its typed L1, including those aws-cdk-lib creates as
 * untyped `CfnResource`, which in-app `instanceof` rules skip), the five packs run over them, and
 * only the acknowledgements written into the templates (`Metadata.cdk_nag.rules_to_suppress`)
 * count: an acknowledgement made in the app but missing from the template is a finding here.
 *
 * What the library recorded as fact in the cloud assembly next to the template — the
 * classification with its policy (`classify()`) and the controls protecting a resource (backup
 * plan, trail, restore drill) — is attached to the included resources, so `DataProtectionChecks`
 * judges the same facts as in the app; waivers never come from there.
 */

/** A stack template of a cloud assembly. */
export interface AssemblyTemplate {
  /** Artifact id (unique in the assembly, nested assemblies included). */
  readonly artifactId: string;
  /** Display name, e.g. `Prod/Keys`. */
  readonly stack: string;
  /** Template path relative to the cdk.out directory. */
  readonly templateFile: string;
  readonly account?: string;
  readonly region?: string;
}

/** An unacknowledged finding on a template resource. */
export interface TemplateFinding {
  readonly pack: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly description: string;
  /** Template path relative to the cdk.out directory. */
  readonly template: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly resourceType?: string;
}

/** Findings per template, and what was seen. */
export interface TemplateScan {
  readonly packs: string[];
  readonly templates: Array<AssemblyTemplate & { resources: number; acknowledgements: number; findings: number }>;
  /** Unacknowledged findings, errors first. */
  readonly findings: TemplateFinding[];
  /** Acknowledgements with a reason read from the templates (resource × rule id); those without a reason are not honoured. */
  readonly acknowledgements: number;
}

/** Metadata key cdk-nag's `writeSuppressionsToCloudFormation` writes on each resource. */
export const TEMPLATE_SUPPRESSIONS_METADATA = 'cdk_nag';

/** The five packs, as `addDataProtectionPacks` registers them, without aspects (nothing to write). */
export function templateModePacks(): NagPack[] {
  return dataProtectionPacks();
}

/** Every stack template of the assembly, nested (stage) assemblies included. */
export function listTemplates(cdkOut: string): AssemblyTemplate[] {
  if (!existsSync(join(cdkOut, 'manifest.json'))) {
    throw new Error(`${cdkOut} is not a cloud assembly (no manifest.json): run 'cdk synth' first or pass the cdk.out directory`);
  }
  const out: AssemblyTemplate[] = [];
  const visit = (rel: string) => {
    const manifest = JSON.parse(readFileSync(join(cdkOut, rel, 'manifest.json'), 'utf8'));
    for (const [id, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
      if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
        visit(join(rel, artifact.properties.directoryName));
      } else if (artifact.type === 'aws:cloudformation:stack') {
        const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
        const known = (v: string | undefined) => (v && !v.startsWith('unknown-') ? v : undefined);
        out.push({
          artifactId: id,
          stack: artifact.displayName ?? id,
          templateFile: join(rel, artifact.properties?.templateFile ?? `${id}.template.json`),
          account: known(env?.[1]),
          region: known(env?.[2]),
        });
      }
    }
  };
  visit('');
  // Templates written beside the stacks that no stack artifact deploys (a StackSet's
  // DataAccountBaselineStack: a file asset of its management stack), scanned too.
  const listed = new Set(out.map((t) => t.templateFile));
  const dirs = [...new Set(out.map((t) => dirname(t.templateFile)))];
  for (const dir of dirs.length ? dirs : ['.']) {
    for (const file of readdirSync(join(cdkOut, dir)).filter((f) => f.endsWith('.template.json') && !f.endsWith('.nested.template.json')).sort()) {
      const rel = join(dir, file);
      if (!listed.has(rel)) out.push({ artifactId: file.replace(/\.template\.json$/, ''), stack: file.replace(/\.template\.json$/, ''), templateFile: rel });
    }
  }
  return out;
}

/**
 * Loads every template of `cdkOut` into one fresh app (one stack each, with its environment, so
 * the coverage rules see the other stacks as they do in the app) and runs `packs` over it.
 */
export function scanTemplates(cdkOut: string, packs: NagPack[] = templateModePacks()): TemplateScan {
  const templates = listTemplates(cdkOut);
  const facts = libraryFacts(cdkOut);
  // Never synthesized: only the construct tree is walked.
  const app = new App({ autoSynth: false });
  const where = new Map<string, { t: AssemblyTemplate; logicalId: string; type: string }>();
  const counts = new Map<string, { resources: number; acknowledgements: number; findings: number }>();
  const findings: TemplateFinding[] = [];
  let acknowledgements = 0;
  templates.forEach((t, i) => {
    const c = { resources: 0, acknowledgements: 0, findings: 0 };
    counts.set(t.templateFile, c);
    const stack = new Stack(app, `T${i}`, { env: { account: t.account, region: t.region } });
    let include: cfninc.CfnInclude;
    let template: { Resources?: Record<string, any> };
    try {
      template = JSON.parse(readFileSync(join(cdkOut, t.templateFile), 'utf8'));
      include = new cfninc.CfnInclude(stack, 'Template', { templateFile: join(cdkOut, t.templateFile) });
    } catch (e) {
      // A template the scanner cannot read is not a clean one.
      const description = `CfnInclude could not load the template: ${(e as Error).message}`;
      findings.push({ pack: 'template-mode', ruleId: 'TemplateNotLoaded', severity: 'error', description, template: t.templateFile, stack: t.stack, logicalId: '-' });
      c.findings++;
      return;
    }
    for (const [logicalId, body] of Object.entries<any>(template.Resources ?? {})) {
      const res: CfnResource = include.getResource(logicalId);
      c.resources++;
      where.set(res.node.path, { t, logicalId, type: body.Type });
      for (const f of facts.get(`${t.artifactId} ${logicalId}`) ?? []) res.node.addMetadata(f.type, f.data);
      for (const rule of body.Metadata?.[TEMPLATE_SUPPRESSIONS_METADATA]?.rules_to_suppress ?? []) {
        // A waiver without a reason is not honoured: the finding stands.
        if (typeof rule?.id !== 'string' || typeof rule.reason !== 'string' || rule.reason.trim() === '') continue;
        res.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [rule.id]: rule.reason });
        c.acknowledgements++;
      }
    }
    acknowledgements += c.acknowledgements;
  });
  for (const pack of packs) {
    for (const v of pack.validateScope(app).violations) {
      for (const r of v.violatingResources) {
        const w = where.get(r.constructPath ?? '');
        if (!w) continue;
        findings.push({
          pack: pack.name,
          ruleId: v.ruleName,
          severity: v.severity ?? 'error',
          description: v.description,
          template: w.t.templateFile,
          stack: w.t.stack,
          logicalId: w.logicalId,
          resourceType: w.type,
        });
        counts.get(w.t.templateFile)!.findings++;
      }
    }
  }
  const rank = (s: string) => (s === 'error' ? 0 : 1);
  findings.sort((a, b) => rank(a.severity) - rank(b.severity) || a.template.localeCompare(b.template) || a.logicalId.localeCompare(b.logicalId) || a.ruleId.localeCompare(b.ruleId));
  return {
    packs: packs.map((p) => p.name),
    templates: templates.map((t) => ({ ...t, ...counts.get(t.templateFile)! })),
    findings,
    acknowledgements,
  };
}

/** Metadata the rules read as facts: classification (with its policy) and controls. */
const FACT_TYPES: string[] = [METADATA.CLASSIFIED, METADATA.CONTROL];

/** The library's facts per `<artifact id> <logical id>`, from the assembly metadata (construct path → logical id). */
function libraryFacts(cdkOut: string): Map<string, Array<{ type: string; data: unknown }>> {
  const { metadata } = readCloudAssembly(cdkOut);
  const logical = new Map<string, string>();
  for (const m of metadata) if (m.type === 'aws:cdk:logicalId') logical.set(`${m.stack} ${m.path}`, String(m.data));
  const out = new Map<string, Array<{ type: string; data: unknown }>>();
  for (const m of metadata) {
    if (!FACT_TYPES.includes(m.type)) continue;
    // Recorded on the CloudFormation resource, or on the L2 that owns it (its default child).
    const id = ['', '/Resource', '/Default'].map((suffix) => logical.get(`${m.stack} ${m.path}${suffix}`)).find((x) => x !== undefined);
    if (id === undefined) continue;
    const key = `${m.stack} ${id}`;
    out.set(key, [...(out.get(key) ?? []), { type: m.type, data: m.data }]);
  }
  return out;
}

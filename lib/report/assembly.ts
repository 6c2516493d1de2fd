import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A metadata entry of the cloud assembly, with the construct path it belongs to (no leading slash). */
export interface AssemblyMetadata {
  readonly stack: string;
  readonly path: string;
  readonly type: string;
  readonly data: any;
}

/** A stack of the cloud assembly. */
export interface AssemblyStack {
  readonly name: string;
  readonly template: { Resources?: Record<string, any> };
  /** The artifact id (the `stack` of its metadata entries). */
  readonly artifactId?: string;
  /** The CloudFormation stack name (`aws cloudformation ... --stack-name`). */
  readonly stackName?: string;
  /** Account and region of its environment, when not `unknown-*`. */
  readonly account?: string;
  readonly region?: string;
}

/** A finding (or acknowledged finding) from a validation report. */
export interface ValidationFinding {
  readonly plugin: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly description: string;
  readonly path: string;
  /** Set for suppressed violations. */
  readonly reason?: string;
}

/** What the report needs from a `cdk.out` directory. */
export interface CloudAssemblyContents {
  readonly stacks: AssemblyStack[];
  readonly metadata: AssemblyMetadata[];
  readonly findings: ValidationFinding[];
  readonly suppressed: ValidationFinding[];
  /** Plugins that wrote a report (those with findings or suppressions). */
  readonly reportedPlugins: string[];
}

const strip = (p: string) => p.replace(/^\//, '');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/**
 * Reads a cloud assembly: stacks (also in nested stage assemblies), their construct metadata
 * (manifest and `*.metadata.json`), and every `*validation-report.json`.
 * @throws when `dir` has no manifest.json
 */
export function readCloudAssembly(dir: string): CloudAssemblyContents {
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new Error(`${dir} is not a cloud assembly (no manifest.json): run 'cdk synth' first or pass the cdk.out directory`);
  }
  const out: CloudAssemblyContents = { stacks: [], metadata: [], findings: [], suppressed: [], reportedPlugins: [] };
  readInto(dir, out);
  return out;
}

function readInto(dir: string, out: CloudAssemblyContents): void {
  const manifest = readJson(join(dir, 'manifest.json'));
  for (const [name, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      readInto(join(dir, artifact.properties.directoryName), out);
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const templateFile = join(dir, artifact.properties?.templateFile ?? `${name}.template.json`);
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    const known = (v: string | undefined) => (v && !v.startsWith('unknown-') ? v : undefined);
    out.stacks.push({
      name: artifact.displayName ?? name,
      template: existsSync(templateFile) ? readJson(templateFile) : {},
      artifactId: name,
      stackName: artifact.properties?.stackName ?? name,
      account: known(env?.[1]),
      region: known(env?.[2]),
    });
    const meta: Record<string, Array<{ type: string; data: unknown }>> = { ...(artifact.metadata ?? {}) };
    if (artifact.additionalMetadataFile && existsSync(join(dir, artifact.additionalMetadataFile))) {
      for (const [p, entries] of Object.entries<any>(readJson(join(dir, artifact.additionalMetadataFile)))) meta[p] = [...(meta[p] ?? []), ...entries];
    }
    for (const [p, entries] of Object.entries(meta)) {
      for (const e of entries) out.metadata.push({ stack: name, path: strip(p), type: e.type, data: e.data });
    }
  }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('validation-report.json'))) {
    for (const rep of readJson(join(dir, file)).pluginReports ?? []) {
      const plugin = rep.pluginName ?? rep.summary?.pluginName ?? 'unknown';
      if (!out.reportedPlugins.includes(plugin)) out.reportedPlugins.push(plugin);
      const add = (list: ValidationFinding[], v: any, reason?: string) => {
        for (const c of v.violatingConstructs ?? v.violatingResources ?? []) {
          const f = { plugin, ruleId: v.ruleName, severity: v.severity ?? 'error', description: v.description ?? '', path: strip(c.constructPath ?? ''), reason };
          if (!list.some((x) => x.ruleId === f.ruleId && x.path === f.path)) list.push(f);
        }
      };
      for (const v of rep.violations ?? []) add(out.findings, v);
      for (const v of rep.suppressedViolations ?? []) add(out.suppressed, v, v.reason ?? '');
    }
  }
}

/**
 * The apps the AWS-data checks (test/aws/aws-data.test.ts) run over: the reference app (bin/app.ts)
 * and every example (examples/<name>/app.ts), synthesized as `cdk synth` does from each one's own
 * cdk.json context. The test file calls `synthesizeAll()` once, in its module scope, for all its
 * checks (CloudFormation, IAM, Step Functions), with the example apps its example tests synthesized:
 * the synthesis costs more than any check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildReferenceApp } from '../../bin/app';
import { buildExistingResourcesApp } from '../../examples/existing-resources/app';
import { buildHrRecordsApp } from '../../examples/hr-records/app';
import { buildOrganizationApp } from '../../examples/organization/app';
import { buildPipelineApp } from '../../examples/pipeline/app';
import { buildQuickstartApp } from '../../examples/quickstart/app';
import { referenceContext } from '../helpers';

/** One synthesized CloudFormation template. */
export interface SynthesizedTemplate {
  /** `reference` or the example's directory name. */
  readonly app: string;
  /** The stack's display name (stage stacks carry their stage path, e.g. `Prod/Keys`). */
  readonly stack: string;
  readonly account: string;
  readonly region: string;
  readonly template: CfnTemplate;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly [key: string]: unknown;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly [key: string]: unknown;
}

/** Where a finding is: app, stack and logical id, as a report line starts. */
export function where(t: SynthesizedTemplate, logicalId: string): string {
  return `${t.app} ${t.stack} ${logicalId}`;
}

const EXAMPLES: Record<string, (app: App) => unknown> = {
  'quickstart': buildQuickstartApp,
  'hr-records': buildHrRecordsApp,
  'pipeline': buildPipelineApp,
  'existing-resources': buildExistingResourcesApp,
  'organization': buildOrganizationApp,
};

/** The names of the apps `synthesizeAll` returns, in order. */
export const APP_NAMES = ['reference', ...Object.keys(EXAMPLES)];

/**
 * Synthesizes the reference app and every example (no nag packs, no aws-cdk-lib template
 * validator: the checks here read the templates themselves) and returns every stack's template,
 * nested stage assemblies included. An example already built in `built` (by its name, from its own
 * cdk.json context; the test file's example tests build them with the packs, which add only their
 * acknowledgement metadata to the templates) is read from its synthesis instead of built again.
 */
export function synthesizeAll(built: Readonly<Record<string, App>> = {}): SynthesizedTemplate[] {
  const before = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const out: SynthesizedTemplate[] = [];
    const reference = new App({ context: referenceContext() });
    buildReferenceApp(reference);
    out.push(...templatesOf('reference', reference));
    for (const [name, build] of Object.entries(EXAMPLES)) {
      let app = built[name];
      if (!app) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        app = new App({ context: require(`../../examples/${name}/cdk.json`).context });
        build(app);
      }
      out.push(...templatesOf(name, app));
    }
    return out;
  } finally {
    if (before === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = before;
  }
}

/**
 * Every stack's template, and the templates written beside them that no stack deploys itself (a
 * `DataAccountBaselineStack`: the StackSet deploys it; environment-agnostic, checked in the
 * primary region of the examples with a placeholder member account).
 */
function templatesOf(name: string, app: App): SynthesizedTemplate[] {
  const assembly = app.synth();
  const out: SynthesizedTemplate[] = assembly.stacksRecursively.map((s) => ({
    app: name,
    stack: s.displayName,
    account: s.environment.account,
    region: s.environment.region,
    template: s.template as CfnTemplate,
  }));
  const deployed = new Set(assembly.stacksRecursively.map((s) => join(s.assembly.directory, s.templateFile)));
  for (const file of readdirSync(assembly.directory).filter((f) => f.endsWith('.template.json')).sort()) {
    if (deployed.has(join(assembly.directory, file))) continue;
    out.push({ app: name, stack: file.replace(/\.template\.json$/, ''), account: '123456789012', region: 'eu-west-1', template: JSON.parse(readFileSync(join(assembly.directory, file), 'utf8')) });
  }
  return out;
}

/** Every resource of every template, with where it is. */
export function* resourcesOf(templates: SynthesizedTemplate[]): Generator<[SynthesizedTemplate, string, CfnResourceJson]> {
  for (const t of templates) {
    for (const [id, r] of Object.entries(t.template.Resources ?? {})) yield [t, id, r];
  }
}

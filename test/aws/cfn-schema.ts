/**
 * CloudFormation registry schemas, through AWS's offline validator `@aws/cloudformation-validate`
 * (published by AWS, github.com/aws-cloudformation/cloudformation-validate): it checks each
 * resource against the bundled CloudFormation resource provider schemas — property names, types,
 * enums, patterns, lengths and bounds, required and mutually exclusive properties, resource types
 * available in the stack's region — plus its resource, intrinsic-function, reference and
 * deprecation rules (e.g. Lambda runtimes blocked for create).
 *
 * It is the validator aws-cdk-lib runs at synth (aws-cdk-lib bundles it; `cdk synth` reports
 * only its errors), taken here from aws-cdk-lib's own dependencies so its schemas move with the
 * pinned aws-cdk-lib. `@aws-cdk/aws-service-spec` was considered and not used: it keeps names,
 * types and required flags but no enums or patterns.
 */
import { dirname } from 'node:path';
import { SynthesizedTemplate } from './apps';

// Not a devDependency of ours: the registry offers only a 1.9.0 beta of it, while aws-cdk-lib pins
// the build it runs at synth. If an aws-cdk-lib upgrade drops or moves it, this require fails
// loudly (the CloudFormation check then needs the package pinned here instead).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cfv = require(require.resolve('@aws/cloudformation-validate', { paths: [dirname(require.resolve('aws-cdk-lib'))] }));

export interface SchemaDiagnostic {
  readonly ruleId: string;
  readonly severity: string;
  readonly message: string;
  readonly propertyPath?: string;
  readonly entity?: { logicalId: string; resourceType?: string };
}

/**
 * What is checked: every rule but the style advice of the "Best Practice" category (redundant
 * DependsOn, hardcoded ARNs and zones — aws-cdk-lib ignores those too), at WARN and above; INFO
 * (e.g. I9001 "create-only property: replacement on update") only describes.
 */
const CONFIG = { exclude: { categories: ['Best Practice'] }, severityLevel: 'WARN', detailLevel: 'STANDARD' };

/** The validator's rule engine; call `free()` when done (it holds WebAssembly memory). */
export class CfnSchemaValidator {
  private readonly engine = new cfv.CompositeEngine();

  /** The categories of the rules that run (Schema: names, types, enums, patterns, bounds, required; Resource; Deprecation; ...). */
  public categories(): string[] {
    return [...new Set<string>(this.engine.listRules().map((r: { category: string }) => r.category))].filter((c) => !CONFIG.exclude.categories.includes(c)).sort();
  }

  /** Every diagnostic of the template, in its account and region. */
  public validate(t: SynthesizedTemplate): SchemaDiagnostic[] {
    const report = this.engine.validateTemplate(new cfv.TemplateContent(JSON.stringify(t.template), `${t.app}/${t.stack}`), {
      ...CONFIG,
      pseudoParameterOverrides: { region: t.region, accountId: t.account },
    });
    const incomplete: SchemaDiagnostic[] = report.status === 'OK' ? [] : [{ ruleId: 'status', severity: 'ERROR', message: `validation ${report.status}` }];
    return [...incomplete, ...report.diagnostics];
  }

  /** Findings as report lines: `app stack logicalId (type) property: [rule severity] message`. */
  public findings(templates: SynthesizedTemplate[]): string[] {
    return templates.flatMap((t) =>
      this.validate(t).map((d) => `${t.app} ${t.stack} ${d.entity?.logicalId ?? '-'} (${d.entity?.resourceType ?? '-'}) ${d.propertyPath ?? ''}: [${d.ruleId} ${d.severity}] ${d.message}`),
    );
  }

  public free(): void {
    this.engine.free();
  }
}

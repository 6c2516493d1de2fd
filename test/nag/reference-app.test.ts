import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { buildReferenceApp } from '../../bin/app';
import { addDataProtectionPacks, DataProtectionChecks } from '../../lib/nag';
import * as cdkJson from '../../cdk.json';
import { findingsOf } from './helpers';

/**
 * The reference app under the four stock packs and DataProtectionChecks. Acknowledgements
 * (rule id + reason, on the narrowest construct) belong in bin/app.ts and the constructs;
 * this test only lists what is left.
 */
function unacknowledgedFindings(): string[] {
  const app = new App({ context: cdkJson.context });
  buildReferenceApp(app);
  const packs: NagPack[] = [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks(), new DataProtectionChecks()];
  app.synth();
  return [...new Set(packs.flatMap((p) => findingsOf(app, p)))].sort();
}

const findings = unacknowledgedFindings();

// Visible list of what is still open: review the snapshot diff when the app changes.
test('current unacknowledged findings of the reference app', () => {
  expect(findings).toMatchSnapshot();
});

test('the reference app has no unacknowledged findings under all five packs', () => {
  expect(findings).toEqual([]);
});

describe('acknowledgements', () => {
  // As `cdk synth` runs it: the packs write each acknowledgement into the template metadata.
  const app = new App({ context: cdkJson.context });
  addDataProtectionPacks(app);
  buildReferenceApp(app);
  const assembly = app.synth();
  const written = assembly.stacks.flatMap((s) =>
    Object.entries(s.template.Resources as Record<string, any>).flatMap(([logicalId, r]) =>
      ((r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as Array<{ id: string; reason: string }>).map((a) => ({ where: `${s.stackName}/${logicalId}`, ...a })),
    ),
  );
  // Rule acknowledgements (cdk-nag reads the `Annotation::` ones; aws-cdk-lib acknowledges its own
  // template-validator findings under `CloudFormation-Validate::`, which are not ours).
  const recorded = app.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data as Record<string, string> })))
    .map((r) => ({ ...r, data: Object.fromEntries(Object.entries(r.data).filter(([id]) => /^annotation::/i.test(id))) }))
    .filter((r) => Object.keys(r.data).length > 0);

  test('are written into the templates next to their resources', () => {
    expect(written.length).toBeGreaterThan(100);
  });

  test('every acknowledgement carries a reason of at least one sentence', () => {
    const bad = [
      ...written.filter((a) => typeof a.reason !== 'string' || a.reason.trim().length < 20).map((a) => `${a.where} ${a.id}`),
      ...recorded.flatMap((r) => Object.entries(r.data).filter(([, reason]) => typeof reason !== 'string' || reason.trim().length < 20).map(([id]) => `${r.path} ${id}`)),
    ];
    expect(bad).toEqual([]);
  });

  test('none is placed on the app or a stack, and none is a blanket IAM wildcard', () => {
    const stackPaths = new Set(assembly.stacks.map((s) => s.hierarchicalId));
    expect(recorded.filter((r) => r.path === '' || stackPaths.has(r.path)).map((r) => r.path)).toEqual([]);
    const ids = recorded.flatMap((r) => Object.keys(r.data).map((k) => k.replace(/^annotation::/i, '')));
    // IAM4/IAM5 are acknowledged per finding (`AwsSolutions-IAM5[Resource::...]`), never for the whole rule.
    expect(ids.filter((id) => /^AwsSolutions-IAM[45]$/.test(id))).toEqual([]);
  });

  test('each sits on a CloudFormation resource (the narrowest construct)', () => {
    const nodes = new Map(app.node.findAll().map((c) => [c.node.path, c]));
    expect(recorded.filter((r) => !CfnResource.isCfnResource(nodes.get(r.path))).map((r) => r.path)).toEqual([]);
  });
});

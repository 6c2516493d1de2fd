import { App, Stack } from 'aws-cdk-lib';
import { NagPack } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { DataProtectionChecks } from '../../lib/nag';
import * as cdkJson from '../../cdk.json';

// The bundled CloudFormation validator adds ~2 s per synth and is not what these tests check.
process.env.CDK_VALIDATION = 'false';

/** A finding as `RuleId path`, for readable expectations. */
export type Finding = string;

/** Synthesizes the app (so tags and aspects are applied), then runs the pack on `scope`. */
export function findingsOf(scope: IConstruct, pack: NagPack = new DataProtectionChecks()): Finding[] {
  (scope.node.root as App).synth();
  return pack
    .validateScope(scope)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
    .sort();
}

/** The findings of one rule. */
export function ruleFindings(scope: IConstruct, ruleId: string): string[] {
  return findingsOf(scope).filter((f) => f.startsWith(`DataProtection-${ruleId} `) || f.startsWith(`DataProtection-${ruleId}[`)).map((f) => f.split(' ')[1]);
}

/** A stack in a fixed environment, in a fresh app. */
export function newStack(id = 'Test', account = '222222222222'): Stack {
  const app = new App({ context: cdkJson.context });
  return new Stack(app, id, { env: { account, region: 'eu-west-1' } });
}

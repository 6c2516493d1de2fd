import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleResult } from 'cdk-nag';

/** One rule of `DataProtectionChecks`: the check and the words a reviewer sees. */
export interface DataProtectionRule {
  /** Rule id without the pack prefix; equals the rule's file name. */
  readonly id: string;
  /** What is wrong, one line (the finding's description). */
  readonly info: string;
  /** Why it matters (shown with `verbose: true` and in RULES.md). */
  readonly explanation: string;
  /** Error fails `cdk synth`; warning is reported only. */
  readonly level: NagMessageLevel;
  /** The check, on one resource: COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE. */
  readonly rule: (node: CfnResource) => NagRuleResult;
}

/** Defines a rule and names its function after the id, as cdk-nag names rules after their function. */
export function defineRule(rule: DataProtectionRule): DataProtectionRule {
  Object.defineProperty(rule.rule, 'name', { value: rule.id });
  return rule;
}

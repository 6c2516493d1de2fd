import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { keyPolicyFindings } from '../../../core/key-policy';
import { propsOf } from '../../inspect';
import { defineRule } from '../../rule';

/** Separation findings belong to KMSKeyAdminUserSeparated. */
export const SEPARATION_FINDING = /both administers and uses the key/;

/** Key policies without wildcard actions, NotAction/NotPrincipal allows, or unconditioned `*` principals. */
export default defineRule({
  id: 'KMSKeyPolicyNoWildcards',
  info: "The KMS key policy allows a wildcard action ('*' or 'kms:*'), uses NotAction/NotPrincipal in an Allow, or allows principal '*' without conditions.",
  explanation:
    "kms:* lets its holder disable, delete or re-policy the key as well as decrypt with it, and an unconditioned '*' principal opens the key to every AWS account. aws-cdk-lib's kms.Key always grants the account root kms:*; use ProtectedKey, which lists actions and conditions every cross-account grant.",
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::KMS::Key' && node.cfnResourceType !== 'AWS::KMS::ReplicaKey') return NagRuleCompliance.NOT_APPLICABLE;
    const findings = keyPolicyFindings(propsOf(node).KeyPolicy).filter((f) => !SEPARATION_FINDING.test(f));
    return findings.length > 0 ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
});

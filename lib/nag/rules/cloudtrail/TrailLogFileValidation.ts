import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { propsOf } from '../../inspect';
import { defineRule } from '../../rule';

/** Trails sign their log files (digest files), so tampering is detectable. */
export default defineRule({
  id: 'TrailLogFileValidation',
  info: 'The CloudTrail trail does not have log file validation enabled (EnableLogFileValidation).',
  explanation:
    'Audit logs are evidence only if their integrity can be proven: digest files let an investigator show that no log file was modified or deleted after delivery, including by administrators of the logs themselves.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::CloudTrail::Trail') return NagRuleCompliance.NOT_APPLICABLE;
    const v = propsOf(node).EnableLogFileValidation;
    return v === true || v === 'true' ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

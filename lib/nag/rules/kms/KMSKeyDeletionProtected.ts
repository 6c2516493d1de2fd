import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { propsOf, rendered } from '../../inspect';
import { defineRule } from '../../rule';

/** Keys survive stack deletion and wait 30 days before scheduled deletion. */
export default defineRule({
  id: 'KMSKeyDeletionProtected',
  info: 'The KMS key is deleted with its stack (DeletionPolicy not Retain) or has a deletion waiting period shorter than 30 days.',
  explanation:
    'Lost keys make data and every backup encrypted with them permanently unreadable. Retaining the key on stack deletion and the longest waiting period (30 days) leave time to notice a scheduled deletion (KeyTamperAlarms) and cancel it.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::KMS::Key' && node.cfnResourceType !== 'AWS::KMS::ReplicaKey') return NagRuleCompliance.NOT_APPLICABLE;
    const r = rendered(node);
    const retained = r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate';
    const window = propsOf(node).PendingWindowInDays;
    const days = window === undefined ? 30 : Number(window);
    return retained && days >= 30 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CONTROLS } from '../../../core/controls';
import { planCopiesCrossAccount, planOfSelection, selectionsCovering } from '../../coverage';
import { classificationOf, controlsOn, isClusterMember, RESTORABLE_TYPES } from '../../inspect';
import { defineRule } from '../../rule';

/** Data whose policy requires it (CONFIDENTIAL and above by default) is copied into another account. */
export default defineRule({
  id: 'ClassifiedCrossAccountCopy',
  info: 'The classified data store must be copied to another account (policy crossAccountCopy, CONFIDENTIAL and above) but no plan selecting it copies to a vault of another account.',
  explanation:
    'Backups in the same account as the data die with it: an attacker or a mistake with admin rights in the data account deletes the data and its recovery points together. A copy into the backup account\'s locked vault survives. Loosen only with ProtectionPolicyOverrides.crossAccountCopy=false and a reason, which the report shows.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (!RESTORABLE_TYPES.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
    if (isClusterMember(node)) return NagRuleCompliance.NOT_APPLICABLE; // judged through its cluster
    const c = classificationOf(node);
    if (!c || !c.policy.crossAccountCopy) return NagRuleCompliance.NOT_APPLICABLE;
    if (controlsOn(node, CONTROLS.BACKUP_PLAN).some((m) => m.crossAccountCopy === true)) return NagRuleCompliance.COMPLIANT;
    const copies = selectionsCovering(node).some((s) => {
      const plan = planOfSelection(s);
      return plan !== undefined && planCopiesCrossAccount(plan);
    });
    return copies ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

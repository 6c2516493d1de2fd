import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CONTROLS } from '../../../core/controls';
import { restoreTestingCovers } from '../../coverage';
import { classificationOf, controlsOn, isClusterMember, resourcesOfType, RESTORABLE_TYPES } from '../../inspect';
import { defineRule } from '../../rule';

/** Every classified data store is restored on a schedule by a drill (or native restore testing). */
export default defineRule({
  id: 'ClassifiedRestoreDrill',
  info: 'The classified data store is not covered by a restore drill (no restore-drill control and no AWS::Backup::RestoreTestingSelection selecting it).',
  explanation:
    'Backups that are never restored are untested: format mismatches, missing indices, lost keys and truncated files are found during the emergency. A RestoreDrill restores the latest recovery point on a schedule, validates it and keeps evidence; native restore testing is accepted as a weaker substitute.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (!RESTORABLE_TYPES.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
    if (isClusterMember(node)) return NagRuleCompliance.NOT_APPLICABLE; // judged through its cluster
    if (!classificationOf(node)) return NagRuleCompliance.NOT_APPLICABLE;
    if (controlsOn(node, CONTROLS.RESTORE_DRILL).length > 0) return NagRuleCompliance.COMPLIANT;
    const native = resourcesOfType(node, 'AWS::Backup::RestoreTestingSelection').some((s) => restoreTestingCovers(s, node));
    return native ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CONTROLS } from '../../../core/controls';
import { selectionsCovering } from '../../coverage';
import { classificationOf, controlsOn, isClusterMember, RESTORABLE_TYPES } from '../../inspect';
import { defineRule } from '../../rule';

/** Every classified data store is selected by a backup plan. */
export default defineRule({
  id: 'ClassifiedBackupCoverage',
  info: 'The classified data store is not selected by any AWS Backup plan (no backup-plan control, no BackupSelection by ARN, wildcard or tags the resource carries).',
  explanation:
    'A classified resource that no plan selects has no recovery point: its loss is permanent and nobody notices until the restore. ProtectedBackupPlan selects by the data-classification tag, so DataProtection.classify is enough; selections written by hand must match the resource by ARN, type wildcard or tag.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (!RESTORABLE_TYPES.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
    if (isClusterMember(node)) return NagRuleCompliance.NOT_APPLICABLE; // judged through its cluster
    if (!classificationOf(node)) return NagRuleCompliance.NOT_APPLICABLE;
    if (controlsOn(node, CONTROLS.BACKUP_PLAN).length > 0) return NagRuleCompliance.COMPLIANT;
    return selectionsCovering(node).length > 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

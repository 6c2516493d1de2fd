import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { propsOf } from '../../inspect';
import { defineRule } from '../../rule';

/** Vault Lock in compliance mode: changeable for at least 3 days, then irreversible. */
export default defineRule({
  id: 'BackupVaultLocked',
  info: 'The backup vault has no Vault Lock in compliance mode (LockConfiguration with MinRetentionDays and ChangeableForDays >= 3).',
  explanation:
    'Without a compliance-mode Vault Lock anyone holding backup:DeleteRecoveryPoint, including ransomware with stolen admin credentials, can delete every recovery point or shorten retention. Governance mode (no ChangeableForDays) can be removed by the same admins. Use ImmutableBackupVault.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::Backup::BackupVault') return NagRuleCompliance.NOT_APPLICABLE;
    const lock = propsOf(node).LockConfiguration;
    if (!lock || typeof lock !== 'object') return NagRuleCompliance.NON_COMPLIANT;
    const changeable = Number(lock.ChangeableForDays);
    const min = Number(lock.MinRetentionDays);
    return Number.isFinite(changeable) && changeable >= 3 && Number.isFinite(min) && min >= 1
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
});

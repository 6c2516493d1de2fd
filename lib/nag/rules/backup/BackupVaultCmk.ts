import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { flatten, propsOf } from '../../inspect';
import { defineRule } from '../../rule';

/** Backup vaults encrypted with a customer managed key, given by key ARN. */
export default defineRule({
  id: 'BackupVaultCmk',
  info: 'The backup vault is not encrypted with a customer managed KMS key given by key ARN (EncryptionKeyArn missing, an alias, or aws/backup).',
  explanation:
    'A vault without EncryptionKeyArn uses the AWS managed aws/backup key, which cannot be shared: copies of RDS, EBS and other non-fully-managed types into another account fail, and nobody outside the account can control or audit key use. Vaults need a key ARN (not an alias) of a ProtectedKey in the key account.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::Backup::BackupVault') return NagRuleCompliance.NOT_APPLICABLE;
    const key = propsOf(node).EncryptionKeyArn;
    if (key === undefined || key === null) return NagRuleCompliance.NON_COMPLIANT;
    const text = flatten(key);
    return /:alias\//.test(text) || /alias\/aws\/backup/.test(text) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
});

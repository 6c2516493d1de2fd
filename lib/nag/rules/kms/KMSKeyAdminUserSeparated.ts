import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { keyPolicyFindings } from '../../../core/key-policy';
import { propsOf } from '../../inspect';
import { defineRule } from '../../rule';
import { SEPARATION_FINDING } from './KMSKeyPolicyNoWildcards';

/** No principal both administers (management actions) and uses (cryptographic actions) a key. */
export default defineRule({
  id: 'KMSKeyAdminUserSeparated',
  info: 'A principal in the KMS key policy both administers the key (e.g. PutKeyPolicy, ScheduleKeyDeletion) and uses it (Decrypt, Encrypt, GenerateDataKey).',
  explanation:
    'A principal that can both read data and change or delete the key can decrypt everything and then destroy the evidence or the key itself; a compromised administrator must not be able to read data, and a compromised application must not be able to lock everyone out. Give administrators and users separate roles (ProtectedKeyProps.administrators / users).',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::KMS::Key' && node.cfnResourceType !== 'AWS::KMS::ReplicaKey') return NagRuleCompliance.NOT_APPLICABLE;
    return keyPolicyFindings(propsOf(node).KeyPolicy).some((f) => SEPARATION_FINDING.test(f)) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
});

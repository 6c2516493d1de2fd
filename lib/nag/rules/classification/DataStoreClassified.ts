import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { bucketPurpose } from '../../buckets';
import { classificationOf, DATA_STORE_TYPES, isClusterMember } from '../../inspect';
import { defineRule } from '../../rule';

/** Every resource that stores data carries a valid data-classification. */
export default defineRule({
  id: 'DataStoreClassified',
  info: 'The data store has no data-classification tag (or an unknown level): classify it (DataProtection.classify) as PUBLIC, INTERNAL, CONFIDENTIAL or HIGHLY_SENSITIVE.',
  explanation:
    'The classification decides every other control: key, backup retention and copies, data-event auditing and drills all follow the tag. An unclassified store silently gets none of them. Buckets that hold backups, logs or evidence are governed by the ProtectionBucket rules instead.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (!DATA_STORE_TYPES.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
    if (isClusterMember(node)) return NagRuleCompliance.NOT_APPLICABLE; // judged through its cluster
    if (bucketPurpose(node)) return NagRuleCompliance.NOT_APPLICABLE;
    // classificationOf throws on an unknown level: cdk-nag reports the throw as a finding of this rule.
    return classificationOf(node) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { bucketPurpose } from '../../buckets';
import { propsOf } from '../../inspect';
import { defineRule } from '../../rule';

/** Buckets holding backups, evidence or audit logs use Object Lock COMPLIANCE default retention. */
export default defineRule({
  id: 'ProtectionBucketObjectLock',
  info: 'The bucket holds backups, evidence or audit logs but has no Object Lock default retention in COMPLIANCE mode.',
  explanation:
    'Retention jobs, ransomware and insiders delete evidence before an investigation or a legal hold reaches it. Object Lock COMPLIANCE makes every version undeletable until its retention ends, even for the root user. Server access-log targets are exempt (S3 cannot deliver access logs into an Object Lock bucket). Use ObjectLockBucket.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    const purpose = bucketPurpose(node);
    if (!purpose || purpose === 'logs') return NagRuleCompliance.NOT_APPLICABLE;
    const p = propsOf(node);
    const enabled = p.ObjectLockEnabled === true || p.ObjectLockEnabled === 'true';
    const rule = p.ObjectLockConfiguration?.Rule?.DefaultRetention;
    return enabled && rule?.Mode === 'COMPLIANCE' ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

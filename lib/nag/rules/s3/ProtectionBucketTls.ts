import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { bucketPurpose, deniesInsecureTransport } from '../../buckets';
import { defineRule } from '../../rule';

/** Buckets holding backups, logs or evidence deny plain HTTP and TLS below 1.2. */
export default defineRule({
  id: 'ProtectionBucketTls',
  info: 'The bucket holds backups, logs or evidence but its policy does not deny requests without TLS (aws:SecureTransport=false) and below TLS 1.2 (s3:TlsVersion < 1.2).',
  explanation:
    'Backups, audit logs and drill evidence are read and written by automation across accounts: without a Deny on aws:SecureTransport and old TLS versions, a misconfigured client sends them in clear text or over broken ciphers. ObjectLockBucket and AccessLogsBucket set both.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (!bucketPurpose(node)) return NagRuleCompliance.NOT_APPLICABLE;
    return deniesInsecureTransport(node) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

import { CONTROLS } from '../core/controls';

/** One line of the seed-002 checklist (or of its other sections) and how it is checked. */
export interface ChecklistItem {
  /** Stable id, e.g. `encryption.tls`. */
  readonly id: string;
  /** Checklist section, e.g. `Encryption`. */
  readonly section: string;
  /** The line as the checklist words it. */
  readonly item: string;
  /** Rule ids (any pack) whose findings decide the status. */
  readonly rules: string[];
  /** Controls (`cdk-data-protection:control`) shown as evidence. */
  readonly controls: string[];
  /** How the library enforces it (construct default, synth-time error). */
  readonly enforcedBy: string;
  /** Set when infrastructure cannot enforce it: what the library offers instead. */
  readonly outOfScope?: string;
}

const DP = (id: string) => `DataProtection-${id}`;

/** The checklist the report answers: the 15 lines of seed 002's production checklist, then its other sections. */
export const CHECKLIST: ChecklistItem[] = [
  {
    id: 'encryption.tls', section: 'Encryption', item: 'TLS everywhere',
    rules: [DP('ClassifiedInTransitTls'), DP('ProtectionBucketTls'), 'AwsSolutions-S10', 'NIST.800.53.R5-S3BucketSSLRequestsOnly', 'HIPAA.Security-S3BucketSSLRequestsOnly', 'PCI.DSS.321-S3BucketSSLRequestsOnly', 'AwsSolutions-SNS3'],
    controls: [],
    enforcedBy: 'classified stores: S3 buckets deny non-TLS and TLS < 1.2 requests, RDS/Aurora parameter groups force TLS (DataProtection.forceTls), DynamoDB accepts TLS only; ObjectLockBucket, AccessLogsBucket: enforceSSL + TLS 1.2; AlarmTopic: enforceSSL',
  },
  {
    id: 'encryption.at-rest', section: 'Encryption', item: 'AES at rest',
    rules: [DP('ClassifiedEncryptedWithCmk'), DP('BackupVaultCmk'), 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'AwsSolutions-SNS2'],
    controls: [CONTROLS.KEY, CONTROLS.FALLBACK_KEY],
    enforcedBy: 'keys from the key account (DataAccountStack.keyFor); ObjectLockBucket requires a CMK (synth-time error)',
  },
  {
    id: 'encryption.rotation', section: 'Encryption', item: 'Key rotation enabled',
    rules: [DP('KMSKeyRotation'), 'AwsSolutions-KMS5', 'NIST.800.53.R5-KMSBackingKeyRotationEnabled', 'HIPAA.Security-KMSBackingKeyRotationEnabled', 'PCI.DSS.321-KMSBackingKeyRotationEnabled'],
    controls: [CONTROLS.KEY],
    enforcedBy: 'ProtectedKey: rotation always on, period 90-2560 days (synth-time error)',
  },
  {
    id: 'access.rbac', section: 'Access Control', item: 'RBAC enforced',
    rules: [DP('KMSKeyAdminUserSeparated'), 'AwsSolutions-IAM4', 'NIST.800.53.R5-IAMNoInlinePolicy', 'NIST.800.53.R5-IAMUserNoPolicies'],
    controls: [CONTROLS.KEY],
    enforcedBy: 'ProtectedKey separates administrators from users (synth-time error); application roles are the application\'s',
  },
  {
    id: 'access.tenant-isolation', section: 'Access Control', item: 'Tenant isolation',
    rules: [], controls: [], enforcedBy: '-',
    outOfScope: 'Row-level tenant checks (WHERE tenant_id = user.tenant_id) live in the application. The library offers account-level isolation: one DataAccountStack per tenant or tenant group, keys usable only by named accounts (kms:CallerAccount).',
  },
  {
    id: 'access.no-wildcards', section: 'Access Control', item: 'No wildcard policies',
    rules: [DP('KMSKeyPolicyNoWildcards'), 'AwsSolutions-IAM5', 'NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess', 'NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess'],
    controls: [CONTROLS.KEY],
    enforcedBy: 'ProtectedKey: no kms:* / * actions, no unconditioned * principal (synth-time error)',
  },
  {
    id: 'secrets.manager', section: 'Secrets', item: 'Secret manager',
    rules: [DP('LambdaNoPlainSecrets'), DP('ECSNoPlainSecrets')], controls: [],
    enforcedBy: 'rules only: secrets are passed by ARN and read from Secrets Manager',
  },
  {
    id: 'secrets.no-hardcoded', section: 'Secrets', item: 'No hardcoded credentials',
    rules: [DP('LambdaNoPlainSecrets'), DP('ECSNoPlainSecrets'), 'AwsSolutions-ECS2'], controls: [],
    enforcedBy: 'rules only; the library\'s own handlers take no secrets',
  },
  {
    id: 'secrets.rotation', section: 'Secrets', item: 'Regular rotation',
    rules: ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled', 'HIPAA.Security-SecretsManagerRotationEnabled', 'PCI.DSS.321-SecretsManagerRotationEnabled', DP('KMSKeyRotation')],
    controls: [CONTROLS.KEY],
    enforcedBy: 'stock rules for Secrets Manager rotation; ProtectedKey rotation for keys',
  },
  {
    id: 'monitoring.audit-logs', section: 'Monitoring', item: 'Audit logs enabled',
    rules: [DP('ClassifiedDataEvents'), DP('TrailLogFileValidation'), 'NIST.800.53.R5-CloudTrailLogFileValidationEnabled'],
    controls: [CONTROLS.DATA_EVENTS],
    enforcedBy: 'DataAccessTrail: data events (read and write, allowed and denied) for classified resources, log-file validation, Object Lock archive',
  },
  {
    id: 'monitoring.mass-access', section: 'Monitoring', item: 'Alert on mass data access',
    rules: [], controls: [],
    enforcedBy: 'DataAccessAlarms: mass reads and AccessDenied spikes from delivered data events -> encrypted SNS topic (construct default, not visible to rules)',
  },
  {
    id: 'monitoring.export', section: 'Monitoring', item: 'Monitor unusual export/download',
    rules: [], controls: [],
    enforcedBy: 'DataAccessAlarms: export/download event names -> encrypted SNS topic (construct default, not visible to rules)',
  },
  {
    id: 'backup.encrypted', section: 'Backup', item: 'Encrypted',
    rules: [DP('BackupVaultCmk'), DP('ClassifiedEncryptedWithCmk')],
    controls: [CONTROLS.VAULT_LOCK, CONTROLS.KEY],
    enforcedBy: 'ImmutableBackupVault: CMK by key ARN; ObjectLockBucket: SSE-KMS, wrong-key uploads denied',
  },
  {
    id: 'backup.immutable', section: 'Backup', item: 'Immutable',
    rules: [DP('BackupVaultLocked'), DP('BackupRetentionWithinLock'), DP('ProtectionBucketObjectLock')],
    controls: [CONTROLS.VAULT_LOCK, CONTROLS.OBJECT_LOCK],
    enforcedBy: 'ImmutableBackupVault: Vault Lock compliance mode; ProtectedBackupPlan: retention vs lock (synth-time error); ObjectLockBucket: COMPLIANCE retention',
  },
  {
    id: 'backup.restore-tested', section: 'Backup', item: 'Restore tested',
    rules: [DP('ClassifiedRestoreDrill')],
    controls: [CONTROLS.RESTORE_DRILL],
    enforcedBy: 'RestoreDrill: scheduled restore, validation, immutable evidence, alarms on failure or staleness',
  },
  {
    id: 'lifecycle.classification', section: 'Data Classification', item: 'Classify data; stricter controls as sensitivity increases',
    rules: [DP('DataStoreClassified')], controls: [],
    enforcedBy: 'DataProtection.classify + ProtectionPolicy floors; loosening needs a reason (synth-time error)',
  },
  {
    id: 'lifecycle.backup-coverage', section: 'Data Lifecycle', item: 'In backup: every classified store backed up and copied out of its account',
    rules: [DP('ClassifiedBackupCoverage'), DP('ClassifiedCrossAccountCopy')],
    controls: [CONTROLS.BACKUP_PLAN],
    enforcedBy: 'ProtectedBackupPlan: selection by classification tag, copy to the backup account (and DR region for HIGHLY_SENSITIVE)',
  },
  {
    id: 'lifecycle.key-management', section: 'Data Lifecycle', item: 'Key management: keys apart from the data, never lost',
    rules: [DP('KMSKeyDeletionProtected'), DP('KMSKeyAdminUserSeparated')],
    controls: [CONTROLS.KEY, CONTROLS.FALLBACK_KEY],
    enforcedBy: 'KeyAccountStack / DataAccountFallbackKey; ProtectedKey: retained, 30-day deletion window, tampering denied but to break-glass',
  },
  {
    id: 'lifecycle.in-use', section: 'Data Lifecycle', item: 'In use: memory scraping',
    rules: [], controls: [], enforcedBy: '-',
    outOfScope: 'Process memory is the application\'s and the runtime\'s. The library keeps decrypted data out of its own handlers and logs; use Nitro Enclaves or confidential computing where required.',
  },
  {
    id: 'data.field-level', section: 'Field-Level Protection', item: 'Encrypt sensitive columns, not just storage',
    rules: [], controls: [], enforcedBy: '-',
    outOfScope: 'Column encryption is done by the application (AWS Encryption SDK / DynamoDB Encryption Client). The library offers the key: a ProtectedKey with a users list for the application role.',
  },
  {
    id: 'data.tokenization', section: 'Tokenization', item: 'Tokenize payment and identity values',
    rules: [], controls: [], enforcedBy: '-',
    outOfScope: 'Application or vendor service. Store the token vault as HIGHLY_SENSITIVE data so it gets every control.',
  },
  {
    id: 'data.masking', section: 'Data Masking', item: 'Mask sensitive output in logs and UI',
    rules: [], controls: [], enforcedBy: '-',
    outOfScope: 'Application code; CloudWatch Logs data protection policies can mask log output. The library logs no data values and encrypts its log groups.',
  },
  {
    id: 'data.minimization', section: 'Data Minimization', item: 'Store only what is necessary',
    rules: [], controls: [], enforcedBy: '-',
    outOfScope: 'A product decision. The report lists every classified store so reviewers can question each one.',
  },
  {
    id: 'transit.mtls', section: 'Data in Transit', item: 'mTLS between services',
    rules: [], controls: [], enforcedBy: '-',
    outOfScope: 'Service mesh / API Gateway mutual TLS configuration; the library covers TLS on its buckets and topics only.',
  },
];

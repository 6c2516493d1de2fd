import { App, Duration, Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AuditLogArchive } from '../../lib/audit/audit-log-archive';
import { DataAccessAlarms } from '../../lib/audit/data-access-alarms';
import { DataAccessTrail } from '../../lib/audit/data-access-trail';
import { BackupAlarms } from '../../lib/backup/backup-alarms';
import { ImmutableBackupVault } from '../../lib/backup/immutable-backup-vault';
import { AccessLogsBucket, ObjectLockBucket } from '../../lib/backup/object-lock-bucket';
import { ProtectedBackupPlan } from '../../lib/backup/protected-backup-plan';
import { classify } from '../../lib/classification/classify';
import { DataClassification } from '../../lib/classification/data-classification';
import { DrillResourceType } from '../../lib/drill/drill-resource-type';
import { DrillTarget, DrillTargetProps } from '../../lib/drill/drill-target';
import { RestoreDrill } from '../../lib/drill/restore-drill';
import { DataAccountFallbackKey } from '../../lib/keys/data-account-fallback-key';
import { KeyConsumerService } from '../../lib/keys/key-consumer-service';
import { ProtectedKey } from '../../lib/keys/protected-key';
import { ProtectedKeyReplica } from '../../lib/keys/protected-key-replica';
import { AuditAccountStack } from '../../lib/topology/audit-account-stack';
import { DataAccountStack } from '../../lib/topology/data-account-stack';
import { BackupAccountStack } from '../../lib/topology/backup-account-stack';
import { ACCOUNTS, AUDIT_ACCOUNT, BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, REGION } from '../helpers';

/**
 * Every numeric prop of the library given a deploy-time value (an imported output):
 * either it reaches the template as that value, or construction fails saying the prop needs
 * a literal and why. Never a comparison with the token's placeholder number (-1.888e+289).
 */

process.env.CDK_VALIDATION = 'false';

const KEY_ARN = `arn:aws:kms:${REGION}:${KEY_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ENV = { account: DATA_ACCOUNT, region: REGION };

interface Case {
  /** `Props.prop`. */
  readonly prop: string;
  /** Builds the construct with `n`, a number token, in `stack` (or a stack of its own made from `app`). */
  readonly build: (scope: { app: App; stack: Stack; n: number }) => Stack | void;
  /** The prop the error names, when the value is checked where it arrives (e.g. `DrillTargetProps(docs).restoreTimeout`). @default prop */
  readonly reportedAs?: string;
}

const key = (s: Stack) => (s.node.tryFindChild('Key') as kms.IKey | undefined) ?? kms.Key.fromKeyArn(s, 'Key', KEY_ARN);
const topic = (s: Stack) => new sns.Topic(s, 'Topic', { masterKey: key(s) });
const target = (over: Partial<DrillTargetProps> = {}): DrillTargetProps => ({
  name: 'docs',
  resourceType: DrillResourceType.S3,
  resourceArn: 'arn:aws:s3:::docs',
  backupVaultName: 'vault',
  rto: Duration.hours(8),
  rpo: Duration.hours(1),
  interval: Duration.days(90),
  ...over,
});
const drill = (s: Stack, t: DrillTargetProps, extra: object = {}) =>
  new RestoreDrill(s, 'Drill', { targets: [DrillTarget.of(t)], evidenceKey: key(s), alarmTopic: topic(s), schedule: false, ...extra });
const vault = (s: Stack, extra: object = {}) => new ImmutableBackupVault(s, 'Vault', { backupVaultName: 'vault', encryptionKey: key(s), ...extra });

const CASES: Case[] = [
  // classification
  ...(['backupRetentionDays', 'backupIntervalHours', 'pointInTimeRecoveryDays', 'drillIntervalDays', 'rtoHours', 'rpoHours'] as const).map(
    (field): Case => ({ prop: `ProtectionPolicyOverrides.${field}`, build: ({ stack, n }) => void classify(new s3.Bucket(stack, 'B'), DataClassification.CONFIDENTIAL, { [field]: n }) }),
  ),
  // backup
  { prop: 'ObjectLockBucketProps.retention', build: ({ stack, n }) => void new ObjectLockBucket(stack, 'L', { encryptionKey: key(stack), retention: Duration.days(n) }) },
  { prop: 'ObjectLockBucketProps.noncurrentVersionExpiration', build: ({ stack, n }) => void new ObjectLockBucket(stack, 'L', { encryptionKey: key(stack), noncurrentVersionExpiration: Duration.days(n) }) },
  { prop: 'AccessLogsBucketProps.expiration', build: ({ stack, n }) => void new AccessLogsBucket(stack, 'L', { expiration: Duration.days(n) }) },
  { prop: 'ImmutableBackupVaultProps.minRetention', build: ({ stack, n }) => void vault(stack, { minRetention: Duration.days(n) }) },
  { prop: 'ImmutableBackupVaultProps.maxRetention', build: ({ stack, n }) => void vault(stack, { maxRetention: Duration.days(n) }) },
  { prop: 'ImmutableBackupVaultProps.changeableFor', build: ({ stack, n }) => void vault(stack, { changeableFor: Duration.days(n) }) },
  {
    prop: 'ProtectedBackupPlanProps.centralVault.minRetentionDays',
    build: ({ stack, n }) => {
      classify(new s3.Bucket(stack, 'B'), DataClassification.CONFIDENTIAL);
      new ProtectedBackupPlan(stack, 'Plan', { backupVault: vault(stack), centralVault: { backupVaultName: 'central', account: '333333333333', region: REGION, minRetentionDays: n }, noCrossRegionCopyReason: 'test' });
    },
  },
  {
    prop: 'ProtectedBackupPlanProps.centralVault.maxRetentionDays',
    build: ({ stack, n }) => {
      classify(new s3.Bucket(stack, 'B'), DataClassification.CONFIDENTIAL);
      new ProtectedBackupPlan(stack, 'Plan', { backupVault: vault(stack), centralVault: { backupVaultName: 'central', account: '333333333333', region: REGION, maxRetentionDays: n }, noCrossRegionCopyReason: 'test' });
    },
  },
  {
    prop: 'ProtectedBackupPlanProps.coldStorageAfter',
    build: ({ stack, n }) => {
      classify(new s3.Bucket(stack, 'B'), DataClassification.INTERNAL);
      new ProtectedBackupPlan(stack, 'Plan', { backupVault: vault(stack), coldStorageAfter: Duration.days(n) });
    },
  },
  {
    prop: 'ProtectedBackupPlanProps.scheduleStartHour',
    build: ({ stack, n }) => {
      classify(new s3.Bucket(stack, 'B'), DataClassification.INTERNAL);
      new ProtectedBackupPlan(stack, 'Plan', { backupVault: vault(stack), scheduleStartHour: n });
    },
  },
  { prop: 'BackupAlarmsProps.maxRecoveryPointAge', build: ({ stack, n }) => void new BackupAlarms(stack, 'A', { topic: topic(stack), backupVaultName: 'vault', resourceTypes: ['S3'], maxRecoveryPointAge: Duration.hours(n) }) },
  ...(['minRetention', 'maxRetention', 'changeableFor'] as const).map(
    (field): Case => ({
      prop: `BackupAccountStackProps.${field}`,
      build: ({ app, n }) => new BackupAccountStack(app, `Backup${field}`, { accounts: ACCOUNTS, env: { account: BACKUP_ACCOUNT, region: REGION }, [field]: Duration.days(n) }),
    }),
  ),
  // audit
  { prop: 'AuditAccountStackProps.archiveRetention', build: ({ app, n }) => new AuditAccountStack(app, 'Audit', { accounts: ACCOUNTS, env: { account: AUDIT_ACCOUNT, region: REGION }, alarmEmails: ['security@example.com'], archiveRetention: Duration.days(n) }) },
  { prop: 'AuditLogArchiveProps.retention', build: ({ stack, n }) => void new AuditLogArchive(stack, 'Archive', { encryptionKey: key(stack), sourceAccounts: [DATA_ACCOUNT], retention: Duration.days(n) }) },
  { prop: 'DataAccessTrailProps.logRetentionDays', build: ({ stack, n }) => void new DataAccessTrail(stack, 'Trail', { encryptionKey: key(stack), archiveBucketName: 'archive', logRetentionDays: n }) },
  { prop: 'DataAccessAlarmsProps.period', build: ({ stack, n }) => void new DataAccessAlarms(stack, 'Alarms', { logGroup: new logs.LogGroup(stack, 'Logs'), topic: topic(stack), period: Duration.minutes(n) }) },
  ...(['accessDeniedThreshold', 'massReadThreshold', 'unusualExportThreshold', 'keyTamperThreshold', 'backupDeletionThreshold', 'trailTamperThreshold'] as const).map(
    (field): Case => ({
      prop: `DataAccessAlarmsProps.${field}`,
      build: ({ stack, n }) => void new DataAccessAlarms(stack, 'Alarms', { logGroup: new logs.LogGroup(stack, 'Logs'), topic: topic(stack), [field]: n }),
    }),
  ),
  // drill
  { prop: 'DrillTargetProps(docs).rto', build: ({ stack, n }) => void drill(stack, target({ rto: Duration.hours(n) })) },
  { prop: 'DrillTargetProps(docs).rpo', build: ({ stack, n }) => void drill(stack, target({ rpo: Duration.hours(n) })) },
  { prop: 'DrillTargetProps(docs).interval', build: ({ stack, n }) => void drill(stack, target({ interval: Duration.days(n) })) },
  { prop: 'DrillTargetProps(docs).restoreTimeout', build: ({ stack, n }) => void drill(stack, target({ restoreTimeout: Duration.hours(n) })) },
  { prop: 'RestoreDrillProps.evidenceRetention', build: ({ stack, n }) => void drill(stack, target(), { evidenceRetention: Duration.days(n) }) },
  { prop: 'RestoreDrillProps.maxConcurrency', build: ({ stack, n }) => void drill(stack, target(), { maxConcurrency: n }) },
  { prop: 'RestoreDrillProps.firstPoll', build: ({ stack, n }) => void drill(stack, target(), { firstPoll: Duration.minutes(n) }) },
  { prop: 'RestoreDrillProps.logRetention', build: ({ stack, n }) => void drill(stack, target(), { logRetention: n as logs.RetentionDays }) },
  {
    prop: 'ClassifiedDrillTargetOptions.restoreTimeout',
    reportedAs: 'DrillTargetProps(docs).restoreTimeout',
    build: ({ stack, n }) => void DrillTarget.fromClassified(classify(new s3.Bucket(stack, 'Docs'), DataClassification.CONFIDENTIAL), { backupVaultName: 'vault', restoreTimeout: Duration.hours(n) }),
  },
  {
    prop: 'DrillTargetOverrides.restoreTimeout',
    reportedAs: 'DrillTargetProps(docs).restoreTimeout',
    // Per-resource drill settings are checked when the protection set is built, at synth: in an app of its own.
    build: ({ n }) => {
      const own = new App();
      const data = new DataAccountStack(own, 'Data', { env: ENV, accounts: ACCOUNTS });
      classify(new s3.Bucket(data, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL) }), DataClassification.CONFIDENTIAL);
      data.protect({ drill: { targetOptions: { optionsFor: () => ({ restoreTimeout: Duration.hours(n) }) } } });
      own.synth();
    },
  },
  { prop: 'RestoreDrillProps.maxPollInterval', build: ({ stack, n }) => void drill(stack, target(), { maxPollInterval: Duration.minutes(n) }) },
  // keys
  { prop: 'ProtectedKeyProps.rotationPeriod', build: ({ stack, n }) => void new ProtectedKey(stack, 'K', { aliasName: 'alias/test/data', rotationPeriod: Duration.days(n) }) },
  { prop: 'ProtectedKeyProps.pendingWindow', build: ({ stack, n }) => void new ProtectedKey(stack, 'K', { aliasName: 'alias/test/data', pendingWindow: Duration.days(n) }) },
  {
    prop: 'ProtectedKeyReplicaProps.pendingWindow',
    build: ({ stack, n }) => void new ProtectedKeyReplica(stack, 'R', { aliasName: 'alias/test/data', primaryKeyArn: KEY_ARN, pendingWindow: Duration.days(n) }),
  },
  {
    prop: 'DataAccountFallbackKeyProps.rotationPeriod',
    build: ({ stack, n }) =>
      void new DataAccountFallbackKey(stack, 'F', { aliasName: 'alias/test/ddb', keyAccount: KEY_ACCOUNT, services: [KeyConsumerService.DYNAMODB], reason: 'test', rotationPeriod: Duration.days(n) }),
  },
];

const DEPLOY_TIME = { 'Fn::ImportValue': 'DeployTimeNumber' };
const n = Token.asNumber(DEPLOY_TIME);

/** Each case in a stack of its own, in one app synthesized once; a rejected case leaves no stack behind. */
const app = new App();
const outcomes = new Map<string, { error?: string; stack?: Stack }>();
for (const c of CASES) {
  const id = c.prop.replace(/[^A-Za-z0-9]/g, '');
  const scratch = new App();
  try {
    // In a scratch app first: a rejected case must not leave half a stack in the shared app.
    c.build({ app: scratch, stack: new Stack(scratch, id, { env: ENV }), n });
  } catch (e) {
    outcomes.set(c.prop, { error: (e as Error).message });
    continue;
  }
  const stack = new Stack(app, id, { env: ENV });
  outcomes.set(c.prop, { stack: c.build({ app, stack, n }) ?? stack });
}
const assembly = app.synth();

/** Props the library must compute or compare with at synth: a token is rejected, saying so. */
const NEED_LITERAL = [
  'ProtectionPolicyOverrides.backupRetentionDays',
  'ProtectionPolicyOverrides.backupIntervalHours',
  'ProtectionPolicyOverrides.pointInTimeRecoveryDays',
  'ProtectionPolicyOverrides.drillIntervalDays',
  'ProtectionPolicyOverrides.rtoHours',
  'ProtectionPolicyOverrides.rpoHours',
  'ObjectLockBucketProps.noncurrentVersionExpiration',
  'ImmutableBackupVaultProps.minRetention',
  'ImmutableBackupVaultProps.maxRetention',
  'ProtectedBackupPlanProps.centralVault.minRetentionDays',
  'ProtectedBackupPlanProps.centralVault.maxRetentionDays',
  'ProtectedBackupPlanProps.scheduleStartHour',
  'BackupAlarmsProps.maxRecoveryPointAge',
  'BackupAccountStackProps.minRetention',
  'BackupAccountStackProps.maxRetention',
  'DataAccessAlarmsProps.period',
  'DrillTargetProps(docs).rto',
  'DrillTargetProps(docs).rpo',
  'DrillTargetProps(docs).interval',
  'DrillTargetProps(docs).restoreTimeout',
  'RestoreDrillProps.maxConcurrency',
  'RestoreDrillProps.firstPoll',
  'RestoreDrillProps.maxPollInterval',
  'ClassifiedDrillTargetOptions.restoreTimeout',
  'DrillTargetOverrides.restoreTimeout',
];

test('every case is either accepted or needs a literal (the lists cover every case)', () => {
  expect(NEED_LITERAL.filter((p) => !outcomes.has(p))).toEqual([]);
});

describe.each(CASES.filter((c) => NEED_LITERAL.includes(c.prop)).map((c) => [c.prop, c.reportedAs ?? c.prop]))('a token for %s', (prop, reported) => {
  test('is rejected at construction: the prop needs a literal, and why', () => {
    expect(outcomes.get(prop)!.error).toMatch(new RegExp(`^${reported.replace(/[.()]/g, '\\$&')} needs a literal value, (or a token given in \\w+ \\(Duration\\.\\w+\\(token\\)\\))?[^:]*: .{20,}`));
  });
});

describe.each(CASES.filter((c) => !NEED_LITERAL.includes(c.prop)).map((c) => c.prop))('a token for %s', (prop) => {
  const { error, stack } = outcomes.get(prop)!;
  test('is accepted and reaches the template as the deploy-time value', () => {
    expect(error).toBeUndefined();
    expect(JSON.stringify(assembly.getStackByName(stack!.stackName).template)).toContain(JSON.stringify(DEPLOY_TIME));
  });
  test('is never compared or printed as its placeholder number', () => {
    const artifact = assembly.getStackByName(stack!.stackName);
    expect(JSON.stringify([artifact.template, artifact.manifest.metadata])).not.toMatch(/e\+289/);
  });
});

import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { classify, CLASSIFICATION_TAG, CONTROLS, DataClassification, recordControl } from '../lib';
import { ObjectLockBucket } from '../../lib/backup/object-lock-bucket';
import { ProtectedKey } from '../../lib/keys/protected-key';
import { lifecycleProblems } from '../../lib/nag/rules/backup/BackupRetentionWithinLock';
import { newStack, ruleFindings } from './helpers';

const BACKUP_ACCOUNT = '333333333333';

function key(stack: Stack, id = 'Key'): kms.IKey {
  return new ProtectedKey(stack, id, { aliasName: `alias/test/${id.toLowerCase()}` }).key;
}

function vault(scope: Construct, id: string, lock?: backup.CfnBackupVault.LockConfigurationTypeProperty, encryptionKeyArn?: string): backup.CfnBackupVault {
  return new backup.CfnBackupVault(scope, id, { backupVaultName: id.toLowerCase(), lockConfiguration: lock, encryptionKeyArn });
}

function cmkBucket(stack: Stack, id = 'Data'): s3.Bucket {
  return new s3.Bucket(stack, id, { encryption: s3.BucketEncryption.KMS, encryptionKey: key(stack, `${id}Key`), enforceSSL: true });
}

/** A plan selecting by the classification tag, optionally copying into the backup account. */
function tagPlan(stack: Stack, copyTo?: string): void {
  const v = vault(stack, 'Local', { minRetentionDays: 7, maxRetentionDays: 400, changeableForDays: 3 }, 'arn:aws:kms:eu-west-1:111111111111:key/abc');
  const plan = new backup.CfnBackupPlan(stack, 'Plan', {
    backupPlan: {
      backupPlanName: 'p',
      backupPlanRule: [
        {
          ruleName: 'daily',
          targetBackupVault: v.ref,
          lifecycle: { deleteAfterDays: 90 },
          copyActions: copyTo ? [{ destinationBackupVaultArn: copyTo, lifecycle: { deleteAfterDays: 90 } }] : undefined,
        },
      ],
    },
  });
  new backup.CfnBackupSelection(stack, 'Selection', {
    backupPlanId: plan.attrBackupPlanId,
    backupSelection: {
      selectionName: 'classified',
      iamRoleArn: 'arn:aws:iam::222222222222:role/backup',
      listOfTags: DataClassification.all().map((c) => ({ conditionType: 'STRINGEQUALS', conditionKey: CLASSIFICATION_TAG, conditionValue: c.name })),
    },
  });
}

describe('DataStoreClassified', () => {
  test('Compliance: classified bucket, protection bucket exempt', () => {
    const stack = newStack();
    classify(cmkBucket(stack), DataClassification.PUBLIC);
    new ObjectLockBucket(stack, 'Evidence', { encryptionKey: key(stack, 'Ev') });
    expect(ruleFindings(stack, 'DataStoreClassified')).toEqual([]);
  });
  test('Noncompliance: unclassified table, unknown level in the tag', () => {
    const stack = newStack();
    new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    const b = new s3.CfnBucket(stack, 'Tagged', { tags: [{ key: CLASSIFICATION_TAG, value: 'SECRET' }] });
    expect(b).toBeDefined();
    expect(ruleFindings(stack, 'DataStoreClassified')).toEqual(['Test/Orders/Resource', 'Test/Tagged']);
  });
});

describe('ClassifiedEncryptedWithCmk', () => {
  test('Compliance: CMK bucket and table', () => {
    const stack = newStack();
    classify(cmkBucket(stack), DataClassification.CONFIDENTIAL);
    const t = new dynamodb.TableV2(stack, 'T', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key(stack, 'TKey')),
    });
    classify(t, DataClassification.HIGHLY_SENSITIVE);
    expect(ruleFindings(stack, 'ClassifiedEncryptedWithCmk')).toEqual([]);
  });
  test('Noncompliance: SSE-S3 bucket and AWS owned key table for INTERNAL data', () => {
    const stack = newStack();
    classify(new s3.Bucket(stack, 'Plain'), DataClassification.INTERNAL);
    classify(new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }), DataClassification.INTERNAL);
    classify(new s3.Bucket(stack, 'Public'), DataClassification.PUBLIC); // PUBLIC needs no CMK
    expect(ruleFindings(stack, 'ClassifiedEncryptedWithCmk')).toEqual(['Test/Plain/Resource', 'Test/T/Resource']);
  });
});

describe('ClassifiedBackupCoverage', () => {
  test('Compliance: tag selection, ARN selection, backup-plan control', () => {
    const stack = newStack();
    tagPlan(stack);
    classify(cmkBucket(stack, 'A'), DataClassification.INTERNAL);
    const other = newStack('Other');
    const b = cmkBucket(other, 'B');
    classify(b, DataClassification.INTERNAL, { overrideReason: 'test' });
    Stack.of(b).node; // keeps the linter quiet about unused scopes
    const plan = new backup.CfnBackupPlan(other, 'Plan', { backupPlan: { backupPlanName: 'p', backupPlanRule: [{ ruleName: 'r', targetBackupVault: 'v' }] } });
    new backup.CfnBackupSelection(other, 'Sel', { backupPlanId: plan.attrBackupPlanId, backupSelection: { selectionName: 's', iamRoleArn: 'arn:aws:iam::1:role/r', resources: [b.bucketArn] } });
    const third = newStack('Third');
    const c = cmkBucket(third, 'C');
    classify(c, DataClassification.INTERNAL);
    recordControl(c, CONTROLS.BACKUP_PLAN, { plan: 'X', crossAccountCopy: false });
    expect(ruleFindings(stack, 'ClassifiedBackupCoverage')).toEqual([]);
    expect(ruleFindings(other, 'ClassifiedBackupCoverage')).toEqual([]);
    expect(ruleFindings(third, 'ClassifiedBackupCoverage')).toEqual([]);
  });
  test('Noncompliance: no plan, or a plan in another account', () => {
    const stack = newStack();
    classify(cmkBucket(stack), DataClassification.INTERNAL);
    new Stack(stack.node.root as Construct, 'Elsewhere', { env: { account: '999999999999', region: 'eu-west-1' } });
    tagPlan(stack.node.root.node.findChild('Elsewhere') as Stack);
    expect(ruleFindings(stack, 'ClassifiedBackupCoverage')).toEqual(['Test/Data/Resource']);
  });
});

describe('ClassifiedCrossAccountCopy', () => {
  test('Compliance: plan copies into the backup account', () => {
    const stack = newStack();
    tagPlan(stack, `arn:aws:backup:eu-west-1:${BACKUP_ACCOUNT}:backup-vault:central`);
    classify(cmkBucket(stack), DataClassification.CONFIDENTIAL);
    expect(ruleFindings(stack, 'ClassifiedCrossAccountCopy')).toEqual([]);
  });
  test('Noncompliance: CONFIDENTIAL data backed up in its own account only', () => {
    const stack = newStack();
    tagPlan(stack, 'arn:aws:backup:eu-west-1:222222222222:backup-vault:same-account');
    classify(cmkBucket(stack), DataClassification.CONFIDENTIAL);
    classify(cmkBucket(stack, 'Internal'), DataClassification.INTERNAL); // no copy required
    expect(ruleFindings(stack, 'ClassifiedCrossAccountCopy')).toEqual(['Test/Data/Resource']);
  });
});

describe('ClassifiedRestoreDrill', () => {
  test('Compliance: restore-drill control, native restore testing by tag', () => {
    const stack = newStack();
    const a = cmkBucket(stack, 'A');
    classify(a, DataClassification.INTERNAL);
    recordControl(a, CONTROLS.RESTORE_DRILL, { drill: 'd', intervalDays: 30 });
    classify(cmkBucket(stack, 'B'), DataClassification.INTERNAL);
    new backup.CfnRestoreTestingSelection(stack, 'RT', {
      restoreTestingPlanName: 'plan',
      restoreTestingSelectionName: 's3',
      iamRoleArn: 'arn:aws:iam::222222222222:role/rt',
      protectedResourceType: 'S3',
      protectedResourceArns: ['*'],
      protectedResourceConditions: { stringEquals: [{ key: `aws:ResourceTag/${CLASSIFICATION_TAG}`, value: 'INTERNAL' }] },
    });
    expect(ruleFindings(stack, 'ClassifiedRestoreDrill')).toEqual([]);
  });
  test('Noncompliance: classified table without drill', () => {
    const stack = newStack();
    classify(new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }), DataClassification.PUBLIC);
    expect(ruleFindings(stack, 'ClassifiedRestoreDrill')).toEqual(['Test/T/Resource']);
  });
});

describe('Aurora cluster members are judged through their cluster', () => {
  const RDS_RULES = ['DataStoreClassified', 'ClassifiedEncryptedWithCmk', 'ClassifiedBackupCoverage', 'ClassifiedCrossAccountCopy', 'ClassifiedRestoreDrill'];

  /** An Aurora cluster with a writer and a reader; the members inherit the classification tag. */
  function aurora(stack: Stack, encrypted: boolean): rds.DatabaseCluster {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    return new rds.DatabaseCluster(stack, 'Db', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      readers: [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true })],
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      storageEncryptionKey: encrypted ? key(stack, 'DbKey') : undefined,
    });
  }
  const findings = (stack: Stack) => RDS_RULES.flatMap((r) => ruleFindings(stack, r).map((f) => `${r} ${f}`));

  test('Compliance: members of a classified, copied, drilled, CMK-encrypted cluster are not findings of their own', () => {
    const stack = newStack();
    tagPlan(stack, `arn:aws:backup:eu-west-1:${BACKUP_ACCOUNT}:backup-vault:central`);
    const db = aurora(stack, true);
    classify(db, DataClassification.HIGHLY_SENSITIVE);
    recordControl(db, CONTROLS.RESTORE_DRILL, { drill: 'd', intervalDays: 30 });
    expect(findings(stack)).toEqual([]);
  });
  test('Compliance: members of an unclassified cluster are not reported as unclassified stores', () => {
    const stack = newStack();
    aurora(stack, false);
    expect(ruleFindings(stack, 'DataStoreClassified')).toEqual(['Test/Db/Resource']);
  });
  test('Noncompliance: an unprotected classified cluster is reported once, on the cluster', () => {
    const stack = newStack();
    classify(aurora(stack, false), DataClassification.CONFIDENTIAL);
    expect(findings(stack)).toEqual([
      'ClassifiedEncryptedWithCmk Test/Db/Resource',
      'ClassifiedBackupCoverage Test/Db/Resource',
      'ClassifiedCrossAccountCopy Test/Db/Resource',
      'ClassifiedRestoreDrill Test/Db/Resource',
    ]);
  });
});

describe('ClassifiedDataEvents', () => {
  const trail = (stack: Stack, selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[]) =>
    new cloudtrail.CfnTrail(stack, 'Trail', { isLogging: true, s3BucketName: 'audit-archive', enableLogFileValidation: true, advancedEventSelectors: selectors });
  test('Compliance: advanced selector by ARN prefix; data-events control', () => {
    const stack = newStack();
    const b = cmkBucket(stack);
    classify(b, DataClassification.CONFIDENTIAL);
    trail(stack, [
      {
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: [`${b.bucketArn}/`] },
        ],
      },
    ]);
    const t = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    classify(t, DataClassification.CONFIDENTIAL);
    recordControl(t, CONTROLS.DATA_EVENTS, { trail: 'x' });
    expect(ruleFindings(stack, 'ClassifiedDataEvents')).toEqual([]);
  });
  test('Noncompliance: trail records only writes of the bucket, nothing for the table', () => {
    const stack = newStack();
    classify(cmkBucket(stack), DataClassification.CONFIDENTIAL);
    classify(new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }), DataClassification.HIGHLY_SENSITIVE);
    classify(cmkBucket(stack, 'Internal'), DataClassification.INTERNAL); // no data events required
    trail(stack, [{ fieldSelectors: [{ field: 'eventCategory', equalTo: ['Data'] }, { field: 'resources.type', equalTo: ['AWS::S3::Object'] }, { field: 'readOnly', equalTo: ['false'] }] }]);
    expect(ruleFindings(stack, 'ClassifiedDataEvents')).toEqual(['Test/Data/Resource', 'Test/T/Resource']);
  });
});

describe('BackupVaultLocked', () => {
  test('Compliance: compliance-mode lock', () => {
    const stack = newStack();
    vault(stack, 'V', { minRetentionDays: 7, maxRetentionDays: 365, changeableForDays: 3 }, 'arn:aws:kms:eu-west-1:1:key/k');
    expect(ruleFindings(stack, 'BackupVaultLocked')).toEqual([]);
  });
  test('Noncompliance: no lock, governance-mode lock', () => {
    const stack = newStack();
    vault(stack, 'Open');
    vault(stack, 'Governance', { minRetentionDays: 7 });
    expect(ruleFindings(stack, 'BackupVaultLocked')).toEqual(['Test/Governance', 'Test/Open']);
  });
});

describe('BackupVaultCmk', () => {
  test('Compliance: key ARN', () => {
    const stack = newStack();
    new backup.BackupVault(stack, 'V', { encryptionKey: key(stack) });
    expect(ruleFindings(stack, 'BackupVaultCmk')).toEqual([]);
  });
  test('Noncompliance: aws/backup, alias ARN', () => {
    const stack = newStack();
    vault(stack, 'AwsManaged');
    vault(stack, 'Alias', undefined, 'arn:aws:kms:eu-west-1:111111111111:alias/data-protection/backup');
    expect(ruleFindings(stack, 'BackupVaultCmk')).toEqual(['Test/Alias', 'Test/AwsManaged']);
  });
});

describe('BackupRetentionWithinLock', () => {
  const plan = (stack: Stack, deleteAfterDays: number | undefined, copyDays: number | undefined, cold?: number) => {
    const local = vault(stack, 'Local', { minRetentionDays: 7, maxRetentionDays: 365, changeableForDays: 3 });
    new backup.CfnBackupPlan(stack, 'Plan', {
      backupPlan: {
        backupPlanName: 'p',
        backupPlanRule: [
          {
            ruleName: 'daily',
            targetBackupVault: local.ref,
            lifecycle: { deleteAfterDays, moveToColdStorageAfterDays: cold },
            copyActions: [{ destinationBackupVaultArn: `arn:aws:backup:eu-west-1:${BACKUP_ACCOUNT}:backup-vault:central`, lifecycle: { deleteAfterDays: copyDays } }],
          },
        ],
      },
    });
    const central = new Stack(stack.node.root as Construct, 'Backup', { env: { account: BACKUP_ACCOUNT, region: 'eu-west-1' } });
    vault(central, 'Central', { minRetentionDays: 30, maxRetentionDays: 3650, changeableForDays: 3 }).backupVaultName = 'central';
  };
  test('Compliance: local and copy retention inside both locks', () => {
    const stack = newStack();
    plan(stack, 35, 365);
    expect(ruleFindings(stack, 'BackupRetentionWithinLock')).toEqual([]);
  });
  // One violation per fixture: a fixture with two would stay noncompliant with either check removed.
  test('Noncompliance: local retention above the vault lock maximum (the copy is inside its lock)', () => {
    const stack = newStack();
    plan(stack, 400, 365);
    expect(ruleFindings(stack, 'BackupRetentionWithinLock')).toEqual(['Test/Plan']);
  });
  test('Noncompliance: local retention below the vault lock minimum', () => {
    const stack = newStack();
    plan(stack, 3, 365);
    expect(ruleFindings(stack, 'BackupRetentionWithinLock')).toEqual(['Test/Plan']);
  });
  test('Noncompliance: copy without deleteAfter into a max-locked vault (local retention inside its lock)', () => {
    const stack = newStack();
    plan(stack, 35, undefined);
    expect(ruleFindings(stack, 'BackupRetentionWithinLock')).toEqual(['Test/Plan']);
  });
  test('Noncompliance: copy retention below the destination minimum', () => {
    const a = newStack();
    plan(a, 35, 10);
    expect(ruleFindings(a, 'BackupRetentionWithinLock')).toEqual(['Test/Plan']);
  });
  test('Noncompliance: copy retention above the destination maximum', () => {
    const a = newStack();
    plan(a, 35, 4000);
    expect(ruleFindings(a, 'BackupRetentionWithinLock')).toEqual(['Test/Plan']);
  });
  test('Noncompliance: deleted less than 90 days after moving to cold storage', () => {
    const b = newStack();
    plan(b, 100, 365, 30);
    expect(ruleFindings(b, 'BackupRetentionWithinLock')).toEqual(['Test/Plan']);
  });
  test('each problem by name, one per branch', () => {
    const stack = newStack();
    const locked = vault(stack, 'Locked', { minRetentionDays: 7, maxRetentionDays: 365 });
    expect(lifecycleProblems({ DeleteAfterDays: 35 }, locked)).toEqual([]);
    expect(lifecycleProblems({ DeleteAfterDays: 400 }, locked)).toEqual(['DeleteAfterDays 400 > MaxRetentionDays 365']);
    expect(lifecycleProblems({ DeleteAfterDays: 3 }, locked)).toEqual(['DeleteAfterDays 3 < MinRetentionDays 7']);
    expect(lifecycleProblems({}, locked)).toEqual(['no DeleteAfterDays but the vault lock has MaxRetentionDays 365']);
    expect(lifecycleProblems({ DeleteAfterDays: 100, MoveToColdStorageAfterDays: 30 }, locked)).toEqual(['DeleteAfterDays 100 < MoveToColdStorageAfterDays 30 + 90']);
    expect(lifecycleProblems({ DeleteAfterDays: 400 }, vault(stack, 'Unlocked'))).toEqual([]);
  });
});

describe('KMSKeyPolicyNoWildcards', () => {
  test('Compliance: ProtectedKey', () => {
    const stack = newStack();
    key(stack);
    expect(ruleFindings(stack, 'KMSKeyPolicyNoWildcards')).toEqual([]);
  });
  test('Noncompliance: kms.Key (root kms:*), unconditioned * principal', () => {
    const stack = newStack();
    new kms.Key(stack, 'Default', { enableKeyRotation: true });
    const open = new kms.Key(stack, 'Open', { enableKeyRotation: true });
    open.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['kms:Decrypt'], resources: ['*'] }));
    expect(ruleFindings(stack, 'KMSKeyPolicyNoWildcards')).toEqual(['Test/Default/Resource', 'Test/Open/Resource']);
  });
});

describe('KMSKeyAdminUserSeparated', () => {
  const policy = (stmts: iam.PolicyStatement[]) => new iam.PolicyDocument({ statements: stmts });
  const admin = new iam.ArnPrincipal('arn:aws:iam::222222222222:role/admin');
  const user = new iam.ArnPrincipal('arn:aws:iam::222222222222:role/app');
  test('Compliance: separate admin and user roles', () => {
    const stack = newStack();
    new kms.CfnKey(stack, 'K', {
      enableKeyRotation: true,
      keyPolicy: policy([
        new iam.PolicyStatement({ principals: [admin], actions: ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'], resources: ['*'] }),
        new iam.PolicyStatement({ principals: [user], actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['*'] }),
      ]),
    });
    expect(ruleFindings(stack, 'KMSKeyAdminUserSeparated')).toEqual([]);
  });
  test('Noncompliance: one role administers and uses the key', () => {
    const stack = newStack();
    new kms.CfnKey(stack, 'K', {
      enableKeyRotation: true,
      keyPolicy: policy([
        new iam.PolicyStatement({ principals: [admin], actions: ['kms:PutKeyPolicy'], resources: ['*'] }),
        new iam.PolicyStatement({ principals: [admin], actions: ['kms:Decrypt'], resources: ['*'] }),
      ]),
    });
    expect(ruleFindings(stack, 'KMSKeyAdminUserSeparated')).toEqual(['Test/K']);
  });
});

describe('KMSKeyRotation', () => {
  test('Compliance: rotation on; asymmetric keys not applicable', () => {
    const stack = newStack();
    key(stack);
    new kms.CfnKey(stack, 'Sign', { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', keyPolicy: {} });
    expect(ruleFindings(stack, 'KMSKeyRotation')).toEqual([]);
  });
  test('Noncompliance: rotation off; period out of range', () => {
    const stack = newStack();
    new kms.CfnKey(stack, 'Off', { keyPolicy: {} });
    new kms.CfnKey(stack, 'Long', { keyPolicy: {}, enableKeyRotation: true, rotationPeriodInDays: 3000 });
    expect(ruleFindings(stack, 'KMSKeyRotation')).toEqual(['Test/Long', 'Test/Off']);
  });
  test('Noncompliance: an explicit SYMMETRIC_DEFAULT key spec is a symmetric key, checked like the default', () => {
    const stack = newStack();
    new kms.CfnKey(stack, 'Symmetric', { keyPolicy: {}, keySpec: 'SYMMETRIC_DEFAULT' });
    new kms.CfnKey(stack, 'Hmac', { keyPolicy: {}, keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
    expect(ruleFindings(stack, 'KMSKeyRotation')).toEqual(['Test/Symmetric']);
  });
});

describe('KMSKeyDeletionProtected', () => {
  test('Compliance: retained, 30-day window', () => {
    const stack = newStack();
    key(stack);
    expect(ruleFindings(stack, 'KMSKeyDeletionProtected')).toEqual([]);
  });
  test('Noncompliance: destroyed with the stack; 7-day window', () => {
    const stack = newStack();
    new kms.Key(stack, 'Destroy', { removalPolicy: RemovalPolicy.DESTROY });
    new ProtectedKey(stack, 'Short', { aliasName: 'alias/test/short', pendingWindow: require('aws-cdk-lib').Duration.days(7) });
    expect(ruleFindings(stack, 'KMSKeyDeletionProtected')).toEqual(['Test/Destroy/Resource', 'Test/Short/Resource']);
  });
});

describe('TrailLogFileValidation', () => {
  test('Compliance: validation on', () => {
    const stack = newStack();
    new cloudtrail.CfnTrail(stack, 'T', { isLogging: true, s3BucketName: 'b', enableLogFileValidation: true });
    expect(ruleFindings(stack, 'TrailLogFileValidation')).toEqual([]);
  });
  test('Noncompliance: validation off', () => {
    const stack = newStack();
    new cloudtrail.CfnTrail(stack, 'T', { isLogging: true, s3BucketName: 'b' });
    expect(ruleFindings(stack, 'TrailLogFileValidation')).toEqual(['Test/T']);
  });
});

describe('ProtectionBucketTls', () => {
  test('Compliance: ObjectLockBucket and its access-log bucket', () => {
    const stack = newStack();
    new ObjectLockBucket(stack, 'Evidence', { encryptionKey: key(stack) });
    expect(ruleFindings(stack, 'ProtectionBucketTls')).toEqual([]);
  });
  test('Noncompliance: trail target without TLS policy; access-log target with SSL but no TLS 1.2', () => {
    const stack = newStack();
    const trailBucket = new s3.Bucket(stack, 'TrailLogs');
    new cloudtrail.CfnTrail(stack, 'T', { isLogging: true, s3BucketName: trailBucket.bucketName, enableLogFileValidation: true });
    const logs = new s3.Bucket(stack, 'AccessLogs', { enforceSSL: true });
    classify(new s3.Bucket(stack, 'Data', { serverAccessLogsBucket: logs, enforceSSL: true, minimumTLSVersion: 1.2 }), DataClassification.PUBLIC);
    expect(ruleFindings(stack, 'ProtectionBucketTls')).toEqual(['Test/AccessLogs/Resource', 'Test/TrailLogs/Resource']);
  });
});

describe('ProtectionBucketObjectLock', () => {
  test('Compliance: ObjectLockBucket; access-log targets exempt', () => {
    const stack = newStack();
    new ObjectLockBucket(stack, 'Evidence', { encryptionKey: key(stack) });
    expect(ruleFindings(stack, 'ProtectionBucketObjectLock')).toEqual([]);
  });
  test('Noncompliance: trail target and tagged backup bucket without Object Lock; governance mode', () => {
    const stack = newStack();
    const trailBucket = new s3.Bucket(stack, 'TrailLogs');
    new cloudtrail.CfnTrail(stack, 'T', { isLogging: true, s3BucketName: trailBucket.bucketName, enableLogFileValidation: true });
    new s3.CfnBucket(stack, 'Backups', { tags: [{ key: 'data-protection:holds', value: 'backups' }] });
    new s3.Bucket(stack, 'Governance', { objectLockEnabled: true, objectLockDefaultRetention: s3.ObjectLockRetention.governance(require('aws-cdk-lib').Duration.days(30)) });
    expect(ruleFindings(stack, 'ProtectionBucketObjectLock')).toEqual(['Test/Backups', 'Test/Governance/Resource', 'Test/TrailLogs/Resource']);
  });
});

const code = lambda.Code.fromInline('exports.handler = async () => {}');

describe('LambdaNoPlainSecrets', () => {
  test('Compliance: secret ARN and ordinary settings', () => {
    const stack = newStack();
    new lambda.Function(stack, 'F', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code,
      environment: { DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:db', TOKEN_TTL: '3600', TABLE_NAME: 'orders' },
    });
    expect(ruleFindings(stack, 'LambdaNoPlainSecrets')).toEqual([]);
  });
  test('Noncompliance: literal password; resolved secret value', () => {
    const stack = newStack();
    new lambda.Function(stack, 'Literal', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code, environment: { dbPassword: 'hunter2' } });
    new lambda.Function(stack, 'Resolved', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code,
      environment: { CONFIG: '{{resolve:secretsmanager:db:SecretString:password}}' },
    });
    expect(ruleFindings(stack, 'LambdaNoPlainSecrets')).toEqual(['Test/Literal/Resource', 'Test/Resolved/Resource']);
  });
});

describe('ECSNoPlainSecrets', () => {
  const task = (stack: Stack, environment: Record<string, string>) => {
    const t = new ecs.FargateTaskDefinition(stack, 'Task');
    t.addContainer('App', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx'), environment });
  };
  test('Compliance: no secrets in Environment', () => {
    const stack = newStack();
    task(stack, { LOG_LEVEL: 'info' });
    expect(ruleFindings(stack, 'ECSNoPlainSecrets')).toEqual([]);
  });
  test('Noncompliance: credentials in a connection URL', () => {
    const stack = newStack();
    task(stack, { DATABASE_URL: 'postgres://app:s3cret@db.internal:5432/app' });
    expect(ruleFindings(stack, 'ECSNoPlainSecrets')).toEqual(['Test/Task/Resource']);
  });
});

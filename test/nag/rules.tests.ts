import { App, Duration, PolicyValidationPluginReport, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
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
import { CLASSIFICATION_TAG, classify, CONTROLS, DataClassification, recordControl } from '../lib';
import { AccessLogsBucket, ObjectLockBucket } from '../../lib/backup/object-lock-bucket';
import { ProtectedKey } from '../../lib/keys/protected-key';
import { lifecycleProblems } from '../../lib/nag/rules/backup/BackupRetentionWithinLock';
import { newStack, ruleFindings } from './helpers';
import { Template } from 'aws-cdk-lib/assertions';
import * as efs from 'aws-cdk-lib/aws-efs';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { acknowledgeVpcDefaultSecurityGroupRestriction } from '../../lib/core/acknowledgements';
import { DataProtectionChecks, errorsDecideSuccess } from '../../lib/nag/data-protection-checks';
import { DataAccountStack } from '../../lib/topology/data-account-stack';
import * as cdkJson from '../../cdk.json';
import { ACCOUNTS, DATA_ACCOUNT, REGION } from '../helpers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addDataProtectionPacks } from '../../lib/nag/packs';
import { forceTls } from '../../lib/core/database-tls';

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

describe('ClassifiedInTransitTls', () => {
  const isolated = (stack: Stack) => {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    return { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } };
  };
  const auroraPostgres = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 });
  const mysql = rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 });
  const small = ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM);
  const table = (stack: Stack) => new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });

  test('Compliance: TLS-only buckets (enforceSSL + TLS 1.2), databases through forceTls, DynamoDB (TLS-only API), unclassified stores', () => {
    const stack = newStack();
    const net = isolated(stack);
    classify(new s3.Bucket(stack, 'Docs', { enforceSSL: true, minimumTLSVersion: 1.2 }), DataClassification.CONFIDENTIAL);
    const cluster = new rds.DatabaseCluster(stack, 'Aurora', { ...net, engine: auroraPostgres, writer: rds.ClusterInstance.serverlessV2('Writer') });
    forceTls(cluster);
    classify(cluster, DataClassification.HIGHLY_SENSITIVE);
    // An existing rds.ParameterGroup gets the parameter added, its other settings kept.
    const group = new rds.ParameterGroup(stack, 'MysqlParams', { engine: mysql, parameters: { max_connections: '100' } });
    const instance = new rds.DatabaseInstance(stack, 'Mysql', { ...net, engine: mysql, instanceType: small, parameterGroup: group });
    expect(forceTls(instance)).toBe(group);
    classify(instance, DataClassification.INTERNAL);
    classify(table(stack), DataClassification.HIGHLY_SENSITIVE);
    new s3.Bucket(stack, 'Scratch'); // unclassified: DataStoreClassified's finding, not this rule's
    expect(ruleFindings(stack, 'ClassifiedInTransitTls')).toEqual([]);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Family: 'aurora-postgresql16', Parameters: { 'rds.force_ssl': '1' } });
    t.hasResourceProperties('AWS::RDS::DBCluster', { DBClusterParameterGroupName: { Ref: stack.resolve((stack.node.findChild('AuroraTlsParameterGroup').node.defaultChild as rds.CfnDBClusterParameterGroup).logicalId) } });
    t.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { max_connections: '100', require_secure_transport: 'ON' } });
  });

  test('Noncompliance: bucket without the TLS-version deny, bucket without policy, default and TLS-less parameter groups', () => {
    const stack = newStack();
    const net = isolated(stack);
    classify(new s3.Bucket(stack, 'SslOnly', { enforceSSL: true }), DataClassification.CONFIDENTIAL);
    classify(new s3.Bucket(stack, 'Open'), DataClassification.PUBLIC);
    classify(new rds.DatabaseCluster(stack, 'Aurora', { ...net, engine: auroraPostgres, writer: rds.ClusterInstance.serverlessV2('Writer') }), DataClassification.CONFIDENTIAL);
    const group = new rds.ParameterGroup(stack, 'MysqlParams', { engine: mysql, parameters: { require_secure_transport: 'OFF' } });
    classify(new rds.DatabaseInstance(stack, 'Mysql', { ...net, engine: mysql, instanceType: small, parameterGroup: group }), DataClassification.INTERNAL);
    // Oracle requires TLS through an option group: not judged by the parameter rule.
    classify(new rds.CfnDBInstance(stack, 'Oracle', { engine: 'oracle-ee', dbInstanceClass: 'db.m5.large' }), DataClassification.INTERNAL);
    expect(ruleFindings(stack, 'ClassifiedInTransitTls')).toEqual(['Test/Aurora/Resource', 'Test/Mysql/Resource', 'Test/Open/Resource', 'Test/SslOnly/Resource']);
  });

  test('forceTls: errors name the engine, the parameter group or the construct', () => {
    const stack = newStack();
    const net = isolated(stack);
    const oracle = new rds.DatabaseInstance(stack, 'Oracle', {
      ...net,
      engine: rds.DatabaseInstanceEngine.oracleEe({ version: rds.OracleEngineVersion.VER_19_0_0_0_2020_04_R1 }),
      instanceType: small,
      licenseModel: rds.LicenseModel.BRING_YOUR_OWN_LICENSE,
    });
    expect(() => forceTls(oracle)).toThrow(/DataProtection\.forceTls\(Test\/Oracle\): engine 'oracle-ee' has no TLS parameter .*allowed engines: aurora-postgresql, postgres, .*mariadb/);
    const imported = rds.ParameterGroup.fromParameterGroupName(stack, 'Shared', 'team-mysql8');
    const instance = new rds.DatabaseInstance(stack, 'Mysql', { ...net, engine: mysql, instanceType: small, parameterGroup: imported });
    expect(() => forceTls(instance)).toThrow(/uses parameter group 'team-mysql8', which is not an rds\.ParameterGroup of this app; set require_secure_transport=ON in it/);
    expect(() => forceTls(table(stack))).toThrow(/database must be an rds\.DatabaseCluster or rds\.DatabaseInstance with an engine, got AWS::DynamoDB::Table/);
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

// =============================================================================================
// Every supported store under the five packs (one file with the rules above: one module load).
{
  /**
   * Every L2 a user may pick for a data store the library protects (s3.Bucket, dynamodb.Table,
   * dynamodb.TableV2, rds.DatabaseCluster, rds.DatabaseInstance, efs.FileSystem, ec2.Volume),
   * configured as the README asks (customer managed key of its level, PITR, deletion protection),
   * classified and protected: the five packs find no unacknowledged error, and every
   * acknowledgement on them carries a reason. One app, synthesized once.
   */

  process.env.CDK_VALIDATION = 'false';

  const app = new App({ context: cdkJson.context });
  const stack = new DataAccountStack(app, 'Stores', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
  const level = DataClassification.CONFIDENTIAL;
  const key = stack.keyFor(level);
  const logs = new AccessLogsBucket(stack, 'Logs').bucket;

  const bucket = new s3.Bucket(stack, 'Bucket', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    versioned: true,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: logs,
    serverAccessLogsPrefix: 'bucket/',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: stack.dynamoDbKeyFor(level),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const tableV2 = new dynamodb.TableV2(stack, 'TableV2', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(level)),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });

  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toS3(logs, 'vpc-flow-logs/') });
  acknowledgeVpcDefaultSecurityGroupRestriction(vpc);
  const database = {
    vpc,
    vpcSubnets: { subnetGroupName: 'db' },
    storageEncryptionKey: key,
    deletionProtection: true,
    iamAuthentication: true,
    credentials: rds.Credentials.fromUsername('admin_user'),
    monitoringInterval: Duration.seconds(60),
    removalPolicy: RemovalPolicy.RETAIN,
  };
  const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    ...database,
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
    writer: rds.ClusterInstance.serverlessV2('Writer'),
    backup: { retention: Duration.days(35) },
    manageMasterUserPassword: true,
    cloudwatchLogsExports: ['postgresql'],
  });
  const instance = new rds.DatabaseInstance(stack, 'Instance', {
    ...database,
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16_4 }),
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
    multiAz: true,
    port: 5433,
    backupRetention: Duration.days(35),
    manageMasterUserPassword: true,
    cloudwatchLogsExports: ['postgresql', 'upgrade'],
  });
  const fileSystem = new efs.FileSystem(stack, 'FileSystem', {
    vpc,
    vpcSubnets: { subnetGroupName: 'db' },
    encrypted: true,
    kmsKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const volume = new ec2.Volume(stack, 'Volume', {
    availabilityZone: `${REGION}a`,
    size: Size.gibibytes(10),
    encrypted: true,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
  });

  // The user's own choice, as the examples make it: enhanced monitoring needs AWS's managed role policy.
  for (const db of [cluster, instance]) {
    Validations.of(db.node.findChild('MonitoringRole').node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'AmazonRDSEnhancedMonitoringRole is the AWS-maintained policy RDS enhanced monitoring requires; it only writes the RDSOSMetrics log group.',
    });
  }

  // Connections without TLS are refused (DataProtection-ClassifiedInTransitTls).
  forceTls(cluster);
  forceTls(instance);
  const stores = { bucket, table, tableV2, cluster, instance, fileSystem, volume };
  for (const store of Object.values(stores)) classify(store, level);
  stack.protect();

  const packs: NagPack[] = [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks(), new DataProtectionChecks()];
  app.synth();
  const violations = packs.flatMap((p) => p.validateScope(stack).violations);
  const findings = (severity: string) =>
    violations.filter((v) => v.severity === severity).flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)).sort();

  test('each store is classified and protected: backed up by the stack\'s plan, and drilled', () => {
    expect(stack.backupPlan!.covered.map((r) => r.scope.node.id).sort()).toEqual(Object.values(stores).map((x) => x.node.id).sort());
    // The account's drill finds them at run time by tag; their names travel as tags.
    const names = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, any>)
      .flatMap((r) => [...(r.Properties?.Tags ?? []), ...(r.Properties?.Replicas ?? []).flatMap((x: any) => x.Tags ?? [])])
      .filter((t: any) => t.Key === 'data-protection:drill-name')
      .map((t: any) => t.Value);
    expect([...new Set(names)].sort()).toEqual(['bucket', 'cluster', 'filesystem', 'instance', 'table', 'tablev2', 'volume']);
  });

  test('no unacknowledged error of the five packs', () => {
    expect(findings('error')).toEqual([]);
  });

  test('no unacknowledged warning either', () => {
    expect(findings('warning')).toEqual([]);
  });

  test('every acknowledgement in the stack carries a reason of at least one sentence', () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data as Record<string, string> })))
      .flatMap(({ path, data }) => Object.entries(data).filter(([id]) => /^annotation::/i.test(id)).map(([id, reason]) => ({ path, id, reason })));
    // The library's own: the backup-plan rules of every store type the plan selects by tag (Aurora: on the cluster's instances).
    // (The drill's task-token table acknowledges the rule for itself: it holds only tokens.)
    const onStores = acknowledged.filter((a) => /InBackupPlan$/.test(a.id)).map((a) => a.path.split('/')[1]).filter((p) => p !== 'RestoreDrill');
    expect([...new Set(onStores)].sort()).toEqual(['Cluster', 'FileSystem', 'Instance', 'Table', 'Volume']);
    expect(acknowledged.filter((a) => typeof a.reason !== 'string' || a.reason.trim().length < 20)).toEqual([]);
  });
}

// =============================================================================================
// Finding severity (one file with the rules above: one module load).
{
  /**
   * Warnings are reported and do not fail synth; errors do (README, "Checklist enforcement").
   * One app with a warning-level finding only, synthesized once as `cdk synth` would.
   */

  process.env.CDK_VALIDATION = 'false';

  const app = new App();
  const stack = new Stack(app, 'Net', { env: { account: '222222222222', region: 'eu-west-1' } });
  const vpc = new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.0.0.0/16' });
  // Every error-level finding on it acknowledged: what remains is VPCDefaultSecurityGroupClosed (a warning).
  for (const id of ['AwsSolutions-VPC7', 'NIST.800.53.R5-VPCFlowLogsEnabled', 'HIPAA.Security-VPCFlowLogsEnabled', 'PCI.DSS.321-VPCFlowLogsEnabled']) {
    Validations.of(vpc).acknowledge({ id, reason: 'A scratch VPC with no workload: it carries no traffic to log.' });
  }
  addDataProtectionPacks(app);

  // In Jest, aws-cdk-lib throws on a failed validation (app mode "inmemory"): synth itself is the first assertion.
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  const packReports: any[] = report.pluginReports.filter((r: any) => r.pluginName !== 'Annotation');

  test('a warning-level finding does not fail synth, and is reported as a warning', () => {
    const warnings = packReports.flatMap((r) => r.violations.filter((v: any) => v.severity === 'warning').map((v: any) => v.ruleName)).sort();
    expect(warnings).toEqual(['HIPAA.Security-VPCDefaultSecurityGroupClosed', 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'PCI.DSS.321-VPCDefaultSecurityGroupClosed']);
    expect(packReports.map((r) => r.conclusion)).toEqual(packReports.map(() => 'success'));
  });

  test('cdk-nag 3.0.2 alone would fail it: its report has success false for a warning', () => {
    expect(new NIST80053R5Checks().validateScope(stack)).toMatchObject({ success: false, violations: [{ severity: 'warning' }] });
  });

  test('errors still decide: a report with an error fails, one with warnings only succeeds', () => {
    const violation = (severity: 'error' | 'warning') => ({ ruleName: 'R', description: 'd', severity, violatingResources: [] });
    const of = (...severities: Array<'error' | 'warning'>): PolicyValidationPluginReport => ({ success: false, violations: severities.map(violation) });
    expect([of('warning'), of('warning', 'error'), of()].map((r) => errorsDecideSuccess(r).success)).toEqual([true, false, true]);
  });
}

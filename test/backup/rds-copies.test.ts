import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { BackupVaultTarget, classify, controlsOf, CONTROLS, DataClassification, ImmutableBackupVault, KeyAccountReplicaStack, KeyAccountStack, METADATA, ProtectedBackupPlan } from '../lib';
import { RDS_NO_DR_COPY } from '../../lib/backup/protected-backup-plan';
import { ACCOUNTS, BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, REGION } from '../helpers';

// Defect 4: AWS Backup copies RDS/Aurora either cross-account or cross-Region, never both in one copy.
const KEY_ARN = `arn:aws:kms:${REGION}:${KEY_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const CENTRAL: BackupVaultTarget = { backupVaultName: 'data-protection-central', account: BACKUP_ACCOUNT, region: REGION, minRetentionDays: 90, maxRetentionDays: 3650 };
const DR: BackupVaultTarget = { ...CENTRAL, region: 'eu-central-1' };
const centralArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:data-protection-central`]] };
const drArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:eu-central-1:${BACKUP_ACCOUNT}:backup-vault:data-protection-central`]] };
const EXISTING_DB = `arn:aws:rds:${REGION}:${DATA_ACCOUNT}:db:legacy-payroll`;
const rdsWildcard = (kind: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:${REGION}:${DATA_ACCOUNT}:${kind}:*`]] });

function planNamed(template: Template, name: string): any {
  const found = Object.values(template.findResources('AWS::Backup::BackupPlan')).find((r: any) => r.Properties.BackupPlan.BackupPlanName === name) as any;
  if (!found) throw new Error(`no plan ${name}`);
  return found.Properties.BackupPlan;
}

function selection(template: Template, name: string): any {
  const found = Object.values(template.findResources('AWS::Backup::BackupSelection')).find((r: any) => r.Properties.BackupSelection.SelectionName === name) as any;
  if (!found) throw new Error(`no selection ${name}`);
  return found.Properties.BackupSelection;
}

// One app for the file: a HIGHLY_SENSITIVE table and Aurora cluster, and an existing RDS instance.
const stack = new Stack(new App(), 'Data', { env: { account: DATA_ACCOUNT, region: REGION } });
const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
const vault = new ImmutableBackupVault(stack, 'LocalVault', { backupVaultName: 'hr-backups', encryptionKey: key, copySourceAccounts: [BACKUP_ACCOUNT] });
const table = new dynamodb.TableV2(stack, 'Employees', {
  partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
  encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
  removalPolicy: RemovalPolicy.RETAIN,
});
classify(table, DataClassification.HIGHLY_SENSITIVE);
const cluster = new rds.CfnDBCluster(stack, 'Payroll', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: KEY_ARN, masterUsername: 'admin_user', manageMasterUserPassword: true });
classify(cluster, DataClassification.HIGHLY_SENSITIVE);
new ProtectedBackupPlan(stack, 'Backups', {
  backupVault: vault,
  centralVault: CENTRAL,
  drVault: DR,
  backupPlanName: 'hr',
  existingResources: [{ resourceArn: EXISTING_DB, classification: DataClassification.HIGHLY_SENSITIVE }],
});
const template = Template.fromStack(stack);

describe('RDS and Aurora copies', () => {
  test('other HIGHLY_SENSITIVE resources keep both copies, and their tag selection excludes RDS and Aurora', () => {
    expect(planNamed(template, 'hr-highly-sensitive').BackupPlanRule.map((r: any) => r.CopyActions)).toEqual([
      [
        { DestinationBackupVaultArn: centralArn, Lifecycle: { DeleteAfterDays: 365 } },
        { DestinationBackupVaultArn: drArn, Lifecycle: { DeleteAfterDays: 365 } },
      ],
    ]);
    expect(selection(template, 'highly-sensitive-by-tag')).toMatchObject({ Resources: ['*'], NotResources: [rdsWildcard('db'), rdsWildcard('cluster')] });
  });

  test('RDS and Aurora get their own plan: the cross-account copy into the central vault of their Region only, continuous backup kept', () => {
    const rules = planNamed(template, 'hr-highly-sensitive-rds').BackupPlanRule;
    expect(rules.map((r: any) => [r.RuleName, r.CopyActions])).toEqual([
      ['hr-highly-sensitive-rds-scheduled', [{ DestinationBackupVaultArn: centralArn, Lifecycle: { DeleteAfterDays: 365 } }]],
      ['hr-highly-sensitive-rds-continuous', undefined],
    ]);
    expect(selection(template, 'highly-sensitive-rds-by-tag')).toEqual({
      SelectionName: 'highly-sensitive-rds-by-tag',
      IamRoleArn: expect.anything(),
      Resources: [rdsWildcard('db'), rdsWildcard('cluster')],
      Conditions: {
        StringEquals: [
          { ConditionKey: 'aws:ResourceTag/data-classification', ConditionValue: 'HIGHLY_SENSITIVE' },
          { ConditionKey: 'aws:ResourceTag/data-protection:backup-plan', ConditionValue: 'hr' },
        ],
      },
    });
    expect(selection(template, 'highly-sensitive-rds-by-arn').Resources).toEqual([EXISTING_DB]);
    expect(() => selection(template, 'highly-sensitive-by-arn')).toThrow('no selection');
  });

  test('no plan copies an RDS or Aurora recovery point to a vault in another account and another Region', () => {
    const rdsPlans = Object.entries(template.findResources('AWS::Backup::BackupSelection'))
      .filter(([, r]: [string, any]) => JSON.stringify(r.Properties.BackupSelection.Resources ?? []).includes(':rds:'))
      .map(([, r]: [string, any]) => r.Properties.BackupPlanId['Fn::GetAtt'][0]);
    expect(rdsPlans.length).toBeGreaterThan(0);
    const plans = template.findResources('AWS::Backup::BackupPlan');
    for (const id of rdsPlans) expect(JSON.stringify(plans[id].Properties.BackupPlan)).not.toContain('eu-central-1');
  });

  test('the cluster records the copy it gets, the reason it has no DR copy, and a synth warning', () => {
    expect(controlsOf(cluster)).toContainEqual(expect.objectContaining({ control: CONTROLS.BACKUP_PLAN, plan: 'hr-highly-sensitive-rds', crossAccountCopy: true, crossRegionCopy: false, retentionDays: 365 }));
    expect(controlsOf(table)).toContainEqual(expect.objectContaining({ plan: 'hr-highly-sensitive', crossAccountCopy: true, crossRegionCopy: true }));
    expect(cluster.node.metadata.filter((m) => m.type === METADATA.OVERRIDE).map((m) => m.data)).toEqual([{ prop: 'crossRegionCopy', floor: 'true', value: 'false', reason: RDS_NO_DR_COPY }]);
    expect(RDS_NO_DR_COPY).toContain('Copy a backup');
    Annotations.fromStack(stack).hasWarning('/Data/Payroll', Match.stringLikeRegexp('never both'));
  });

  test('an explicit crossRegionCopy=true on RDS or Aurora is a synth error', () => {
    const s = new Stack(new App(), 'Explicit', { env: { account: DATA_ACCOUNT, region: REGION } });
    const db = new rds.CfnDBCluster(s, 'Db', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: KEY_ARN, masterUsername: 'u', manageMasterUserPassword: true });
    expect(() => classify(db, DataClassification.CONFIDENTIAL, { crossAccountCopy: true, crossRegionCopy: true })).toThrow(
      'classify(Explicit/Db): ProtectionPolicyOverrides.crossRegionCopy=true cannot be met for AWS::RDS::DBCluster: AWS Backup copies RDS and Aurora recovery points either to another account or to another Region, never both',
    );
  });
});

describe('backup key: each copy hop can use it', () => {
  test('the backup key (primary and DR replica) lets RDS re-encrypt copies for the backup and data accounts', () => {
    const accounts = { ...ACCOUNTS, organizationId: 'o-exampleorg1' };
    const app = new App();
    const keys = new KeyAccountStack(app, 'Keys', { env: { account: KEY_ACCOUNT, region: REGION }, accounts });
    const replica = new KeyAccountReplicaStack(app, 'KeysDr', { env: { account: KEY_ACCOUNT, region: 'eu-central-1' }, accounts });
    for (const [stack, region, policy] of [
      [keys, REGION, keys.backupKey.resource.keyPolicy],
      [replica, 'eu-central-1', replica.replicas.BackupKey.resource.keyPolicy],
    ] as const) {
      const backupKey = { Properties: { KeyPolicy: stack.resolve(policy) } };
      const use = backupKey.Properties.KeyPolicy.Statement.find((st: any) => st.Sid === 'ConsumerAccountsUseKeyViaServices');
      expect(use.Condition.StringEquals['kms:ViaService']).toEqual([`backup.${region}.amazonaws.com`, `s3.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`]);
      expect(use.Condition.StringEquals['kms:CallerAccount']).toEqual([BACKUP_ACCOUNT, DATA_ACCOUNT]);
    }
  });
});

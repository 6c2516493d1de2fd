import { App, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, DataClassification, ImmutableBackupVault, KeyAccountStack, ProtectedBackupPlan } from '../lib';
import { BackupAccountStack, CENTRAL_BACKUP_VAULT_NAME } from '../../lib/topology/backup-account-stack';
import { DataAccountStack } from '../../lib/topology/data-account-stack';
import { ACCOUNTS, BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, REGION } from '../helpers';

const ORG = { ...ACCOUNTS, organizationId: 'o-exampleorg1' };

function backupStack(app = new App(), props: Partial<ConstructorParameters<typeof BackupAccountStack>[2]> = {}, region = REGION): BackupAccountStack {
  return new BackupAccountStack(app, `Backup${region.replace(/-/g, '')}`, { env: { account: BACKUP_ACCOUNT, region }, accounts: ORG, ...props });
}

describe('BackupAccountStack', () => {
  test('central vault: compliance lock 90-3650 days, key-account backup key, copies only from the data accounts of the organization', () => {
    const stack = backupStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: CENTRAL_BACKUP_VAULT_NAME,
      LockConfiguration: { MinRetentionDays: 90, MaxRetentionDays: 3650, ChangeableForDays: 3 },
      EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BackupKeyDescribeKey'), 'KeyMetadata.Arn'] },
      AccessPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCopyIntoVaultFromSourceAccounts',
            Action: 'backup:CopyIntoBackupVault',
            Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
          }),
        ]),
      },
    });
    const policy = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(policy).toContain(`:iam::${DATA_ACCOUNT}:root`);
    // The alias ARN is rebuilt from the deterministic name, resolved in the key account.
    const lookups = JSON.stringify(template.findResources('Custom::DataProtectionKeyLookup'));
    expect(lookups).toContain(`:kms:${REGION}:${KEY_ACCOUNT}:alias/data-protection/backup`);
    expect(stack.centralVault).toEqual({ backupVaultName: CENTRAL_BACKUP_VAULT_NAME, account: BACKUP_ACCOUNT, region: REGION, minRetentionDays: 90, maxRetentionDays: 3650 });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('IRREVERSIBLE: Vault Lock COMPLIANCE on data-protection-central'));
  });

  test('alarms on failed copy and restore jobs', () => {
    const template = Template.fromStack(backupStack());
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Copy Job State Change'], detail: { state: ['FAILED'] } } });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Restore Job State Change'], detail: { status: ['FAILED', 'ABORTED'] } } });
  });

  test('a DR-region instance: same vault name, DR region', () => {
    const dr = backupStack(new App(), {}, 'eu-central-1');
    expect(dr.centralVault.region).toBe('eu-central-1');
    Template.fromStack(dr).hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: CENTRAL_BACKUP_VAULT_NAME });
  });

  test('a data-account plan copies into the central vault by ARN, with no cross-stack reference, and every retention fits the lock', () => {
    const app = new App();
    const central = backupStack(app);
    const dr = backupStack(app, {}, 'eu-central-1');
    const data = new DataAccountStack(app, 'Data', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ORG });
    const bucket = new s3.Bucket(data, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.HIGHLY_SENSITIVE) });
    classify(bucket, DataClassification.HIGHLY_SENSITIVE);
    const vault = new ImmutableBackupVault(data, 'Vault', { backupVaultName: 'hr-backups', encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL), copySourceAccounts: [BACKUP_ACCOUNT] });
    new ProtectedBackupPlan(data, 'Plan', { backupVault: vault, centralVault: central.centralVault, drVault: dr.centralVault });
    const template = Template.fromStack(data);
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).toContain(`:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:${CENTRAL_BACKUP_VAULT_NAME}`);
    expect(json).toContain(`:backup:eu-central-1:${BACKUP_ACCOUNT}:backup-vault:${CENTRAL_BACKUP_VAULT_NAME}`);
    app.synth();
  });

  test('KMS for cross-account copy, both directions: the key account grants the backup account its data keys (RDS/EBS copies) and the data accounts the backup key (copy back)', () => {
    const keys = new KeyAccountStack(new App(), 'Keys', { env: { account: KEY_ACCOUNT, region: REGION }, accounts: ORG });
    const policy = (k: { resource: kms.CfnKey }) => keys.resolve(k.resource.keyPolicy);
    const consumers = (k: { resource: kms.CfnKey }) => policy(k).Statement.find((s: any) => s.Sid === 'ConsumerAccountsUseKeyViaServices');
    const data = consumers(keys.dataKeys.CONFIDENTIAL);
    expect(data.Condition.StringEquals['kms:CallerAccount']).toEqual(expect.arrayContaining([DATA_ACCOUNT, BACKUP_ACCOUNT]));
    expect(data.Condition.StringEquals['kms:ViaService']).toEqual(expect.arrayContaining([`backup.${REGION}.amazonaws.com`, `rds.${REGION}.amazonaws.com`]));
    const backupKey = consumers(keys.backupKey);
    expect(backupKey.Condition.StringEquals['kms:CallerAccount']).toEqual(expect.arrayContaining([BACKUP_ACCOUNT, DATA_ACCOUNT]));
    expect(backupKey.Condition.StringEquals['kms:ViaService']).toContain(`backup.${REGION}.amazonaws.com`);
    expect(keys.backupKey.aliasName).toBe('alias/data-protection/backup');
  });

  test('snapshot', () => {
    expect(Template.fromStack(backupStack()).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test('deployed to another account', () => {
      expect(() => new BackupAccountStack(new App(), 'B', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ORG })).toThrow(
        `BackupAccountStackProps.env.account must be the backup account ${BACKUP_ACCOUNT}, got ${DATA_ACCOUNT}`,
      );
    });
    test('environment-agnostic', () => {
      expect(() => new BackupAccountStack(new App(), 'B', { accounts: ORG })).toThrow(/got an environment-agnostic stack/);
    });
    test('a region that is neither primary nor DR', () => {
      expect(() => backupStack(new App(), {}, 'us-east-1')).toThrow('BackupAccountStackProps.env.region must be the primary or DR region (eu-west-1, eu-central-1), got us-east-1');
    });
    test('lock range and grace time', () => {
      expect(() => backupStack(new App(), { minRetention: Duration.days(0) })).toThrow('BackupAccountStackProps.minRetention must be between 1 and 90 days, got 0 days');
      expect(() => backupStack(new App(), { changeableFor: Duration.days(1) })).toThrow(/changeableFor must be between 3 and 36500 days, got 1 days/);
    });
  });
});

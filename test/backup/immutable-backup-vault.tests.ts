import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BackupLegalHold, backupVaultArn, CONTROLS, controlsOf, ImmutableBackupVault, METADATA, VAULT_DESTRUCTIVE_ACTIONS, VaultLockMode } from '../lib';
import { BACKUP_ACCOUNT, DATA_ACCOUNT, REGION, testStack } from '../helpers';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555';

function vault(stack: Stack, props: Partial<ConstructorParameters<typeof ImmutableBackupVault>[2]> = {}): ImmutableBackupVault {
  return new ImmutableBackupVault(stack, 'Vault', {
    backupVaultName: 'central',
    encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN),
    ...props,
  });
}

describe('ImmutableBackupVault', () => {
  test('compliance-mode Vault Lock with min/max retention and a 3-day grace time, CMK, retained', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    vault(stack, { minRetention: Duration.days(90), maxRetention: Duration.days(3650) });
    Template.fromStack(stack).hasResource('AWS::Backup::BackupVault', {
      Properties: {
        BackupVaultName: 'central',
        EncryptionKeyArn: KEY_ARN,
        LockConfiguration: { MinRetentionDays: 90, MaxRetentionDays: 3650, ChangeableForDays: 3 },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('defaults: min 7, max 3650 days', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    const v = vault(stack);
    expect([v.minRetentionDays, v.maxRetentionDays, v.mode]).toEqual([7, 3650, VaultLockMode.COMPLIANCE]);
    Template.fromStack(stack).hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: { MinRetentionDays: 7, MaxRetentionDays: 3650, ChangeableForDays: 3 } });
  });

  test('access policy denies destroying recovery points to all but the break-glass role, and policy changes to all but break-glass and deployment', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    vault(stack, { breakGlassRoleName: 'bg' });
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::Backup::BackupVault'))[0].Properties.AccessPolicy;
    const resolved = stack.resolve(policy);
    const deny = resolved.Statement.find((s: any) => s.Sid === 'DenyRecoveryPointDeletionExceptBreakGlass');
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    for (const a of ['backup:DeleteBackupVault', 'backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle', 'backup:DeleteBackupVaultLockConfiguration']) {
      expect(deny.Action).toContain(a);
    }
    expect(deny.Action).toEqual(VAULT_DESTRUCTIVE_ACTIONS);
    expect(JSON.stringify(deny.Condition.ArnNotLike['aws:PrincipalArn'])).toContain(':role/bg');
    expect(deny.Condition.ArnNotLike['aws:PrincipalArn']).toHaveLength(1);
    const put = resolved.Statement.find((s: any) => s.Sid === 'DenyVaultPolicyChangesExceptBreakGlassAndDeployment');
    expect(put.Action).toContain('backup:PutBackupVaultAccessPolicy');
    expect(put.Action).toContain('backup:PutBackupVaultLockConfiguration');
    expect(JSON.stringify(put.Condition)).toContain('cdk-hnb659fds-cfn-exec-role');
  });

  test('copy sources: only the named accounts, within the organization', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    vault(stack, { copySourceAccounts: [DATA_ACCOUNT], copySourceOrganizationId: 'o-abcdefghij' });
    Template.fromStack(stack).hasResourceProperties('AWS::Backup::BackupVault', {
      AccessPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCopyIntoVaultFromSourceAccounts',
            Effect: 'Allow',
            Action: 'backup:CopyIntoBackupVault',
            Principal: { AWS: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([`:iam::${DATA_ACCOUNT}:root`])]) }) },
            Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
          }),
        ]),
      },
    });
  });

  test('warns that the compliance lock is irreversible and records the vault-lock control', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    const v = vault(stack);
    Annotations.fromStack(stack).hasWarning('/Test/Vault', Match.stringLikeRegexp('IRREVERSIBLE: Vault Lock COMPLIANCE on central'));
    expect(controlsOf(v.vault)).toEqual([expect.objectContaining({ control: CONTROLS.VAULT_LOCK, mode: 'COMPLIANCE', minRetentionDays: 7, maxRetentionDays: 3650, changeableForDays: 3 })]);
  });

  test('governance mode needs a reason, is recorded as an override and has no grace time', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    expect(() => vault(stack, { mode: VaultLockMode.GOVERNANCE })).toThrow(/ImmutableBackupVaultProps.governanceReason needs a non-empty reason/);
    const stack2 = testStack(BACKUP_ACCOUNT);
    const v = vault(stack2, { mode: VaultLockMode.GOVERNANCE, governanceReason: 'trial in sandbox' });
    const template = Template.fromStack(stack2);
    template.hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: { MinRetentionDays: 7, MaxRetentionDays: 3650, ChangeableForDays: Match.absent() } });
    expect(v.node.metadata.find((m) => m.type === METADATA.OVERRIDE)?.data).toEqual({ prop: 'ImmutableBackupVaultProps.mode', floor: 'COMPLIANCE', value: 'GOVERNANCE', reason: 'trial in sandbox' });
    Annotations.fromStack(stack2).hasNoWarning('*', Match.stringLikeRegexp('IRREVERSIBLE'));
  });

  test('target builds the ARN from name, account and region', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    const t = vault(stack, { minRetention: Duration.days(90) }).target;
    expect(t).toEqual({ backupVaultName: 'central', account: BACKUP_ACCOUNT, region: REGION, minRetentionDays: 90, maxRetentionDays: 3650 });
    expect(stack.resolve(backupVaultArn(t))).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:central`]] });
  });

  test('snapshot', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    vault(stack, { copySourceAccounts: [DATA_ACCOUNT] });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test.each([
      [{ minRetention: Duration.days(0) }, /ImmutableBackupVaultProps.minRetention must be between 1 and 36500 days, got 0 days/],
      [{ maxRetention: Duration.days(36501) }, /ImmutableBackupVaultProps.maxRetention must be between 1 and 36500 days, got 36501 days/],
      [{ minRetention: Duration.days(400), maxRetention: Duration.days(365) }, /minRetention \(400 days\) must be less than maxRetention \(365 days\)/],
      [{ changeableFor: Duration.days(2) }, /ImmutableBackupVaultProps.changeableFor must be between 3 and 36500 days, got 2 days/],
      [{ backupVaultName: 'Default' }, /must not be 'Default'/],
      [{ backupVaultName: 'bad name!' }, /backupVaultName must be 2-50 characters of \[a-zA-Z0-9_-\], got 'bad name!'/],
      [{ copySourceAccounts: ['123'] }, /copySourceAccounts\[0\] must be a 12-digit AWS account id, got '123'/],
      // The OU paths: literal entity paths of copySourceOrganizationId, as the layout's memberOrganizationalUnitPaths.
      [{ copySourceOrganizationId: 'o-a1b2c3d4e5', copySourceOrganizationalUnitPaths: ['o-a1b2c3d4e5'] }, /ImmutableBackupVaultProps.copySourceOrganizationalUnitPaths\[0\] must be an AWS Organizations entity path .* got 'o-a1b2c3d4e5'/],
      [{ copySourceOrganizationId: 'o-a1b2c3d4e5', copySourceOrganizationalUnitPaths: ['o-a1b2c3d4e5/anything*'] }, /copySourceOrganizationalUnitPaths\[0\] must be an AWS Organizations entity path .* got 'o-a1b2c3d4e5\/anything\*'/],
      [{ copySourceOrganizationId: 'o-a1b2c3d4e5', copySourceOrganizationalUnitPaths: ['o-zzzzzzzzzz/r-ab12/*'] }, /copySourceOrganizationalUnitPaths\[0\] must start with ImmutableBackupVaultProps.copySourceOrganizationId 'o-a1b2c3d4e5\/', got 'o-zzzzzzzzzz\/r-ab12\/\*'/],
      [{ copySourceOrganizationId: 'o-a1b2c3d4e5', copySourceOrganizationalUnitPaths: [Lazy.string({ produce: () => 'o-a1b2c3d4e5/r-ab12/*' })] }, /copySourceOrganizationalUnitPaths\[0\] must be a literal entity path .* got a token/],
      [{ copySourceOrganizationalUnitPaths: ['o-a1b2c3d4e5/r-ab12/*'] }, /copySourceOrganizationalUnitPaths needs ImmutableBackupVaultProps.copySourceOrganizationId/],
    ])('%o', (props, error) => {
      expect(() => vault(testStack(BACKUP_ACCOUNT), props as any)).toThrow(error);
    });

    test('a vault without a CMK', () => {
      const stack = testStack(BACKUP_ACCOUNT);
      expect(() => new ImmutableBackupVault(stack, 'V', { encryptionKey: undefined as any })).toThrow(/ImmutableBackupVaultProps.encryptionKey is required/);
    });

    test('target of an unnamed vault', () => {
      const stack = testStack(BACKUP_ACCOUNT);
      const v = new ImmutableBackupVault(stack, 'V', { encryptionKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN) });
      expect(() => v.target).toThrow(/set backupVaultName to use the vault as a copy destination/);
    });
  });
});

// =============================================================================================
// Legal holds (one file with the vault above: one module load).
{
  describe('BackupLegalHold', () => {
    test('holds recovery points of resources and vaults in a date range; retained when removed from the app', () => {
      const stack = testStack(DATA_ACCOUNT);
      new BackupLegalHold(stack, 'Case42', {
        title: 'CASE-42',
        description: 'Payroll investigation requested by legal',
        resourceArns: ['arn:aws:dynamodb:eu-west-1:222222222222:table/hr-employees'],
        backupVaultNames: ['hr-backups'],
        fromDate: '2024-01-01T00:00:00Z',
        toDate: '2024-06-30T23:59:59Z',
      });
      Template.fromStack(stack).hasResource('AWS::Backup::LegalHold', {
        Properties: {
          Title: 'CASE-42',
          Description: 'Payroll investigation requested by legal',
          RecoveryPointSelection: {
            ResourceIdentifiers: ['arn:aws:dynamodb:eu-west-1:222222222222:table/hr-employees'],
            VaultNames: ['hr-backups'],
            DateRange: { FromDate: '2024-01-01T00:00:00Z', ToDate: '2024-06-30T23:59:59Z' },
          },
        },
        DeletionPolicy: 'Retain',
      });
    });

    test('removal policy DESTROY lifts the hold on removal', () => {
      const stack = testStack(DATA_ACCOUNT);
      new BackupLegalHold(stack, 'H', { title: 't', description: 'd', backupVaultNames: ['v'], removalPolicy: RemovalPolicy.DESTROY });
      Template.fromStack(stack).hasResource('AWS::Backup::LegalHold', { DeletionPolicy: 'Delete' });
    });

    describe('bad input', () => {
      test.each([
        [{ title: '', description: 'd', backupVaultNames: ['v'] }, /BackupLegalHoldProps.title must be a non-empty string/],
        [{ title: 't', description: ' ', backupVaultNames: ['v'] }, /BackupLegalHoldProps.description must say why/],
        [{ title: 't', description: 'd' }, /BackupLegalHold needs a selection/],
        [{ title: 't', description: 'd', fromDate: '2024-01-01T00:00:00Z' }, /fromDate and toDate go together/],
        [{ title: 't', description: 'd', fromDate: '2024-02-01T00:00:00Z', toDate: '2024-01-01T00:00:00Z' }, /fromDate \(2024-02-01T00:00:00Z\) must be before toDate \(2024-01-01T00:00:00Z\)/],
        [{ title: 't', description: 'd', fromDate: 'yesterday', toDate: '2024-01-01T00:00:00Z' }, /fromDate must be an ISO 8601 date such as 2024-01-01T00:00:00Z, got 'yesterday'/],
      ])('%o', (props, error) => {
        expect(() => new BackupLegalHold(testStack(DATA_ACCOUNT), 'H', props as any)).toThrow(error);
      });
    });
  });
}

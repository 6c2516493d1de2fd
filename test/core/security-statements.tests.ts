/**
 * The security-relevant statements of key and vault policies, asserted whole: every action
 * literally (not compared with the library's own constant, which a mutation would change too),
 * every condition by operator and key, principal and resource. Dropping an action or a condition
 * key fails here, not only in a snapshot.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ImmutableBackupVault, KeyConsumerService, keyPolicyFindings, ProtectedKey } from '../lib';
import { BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, testStack } from '../helpers';
import { isObject, render } from '../aws/intrinsics';

/** A resolved template value with intrinsic functions rendered (`arn:aws:iam::{{Ref:AWS::AccountId}}:...`). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return render(v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function statements(stack: Stack, type: string, prop: string): Record<string, any> {
  const resources = Object.values(Template.fromStack(stack).findResources(type));
  expect(resources).toHaveLength(1);
  const doc = plain(resources[0].Properties[prop]) as { Statement: Array<Record<string, any>> };
  return Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
}

const CRYPTO = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];
/** The break-glass role of the stack's account (formatArn: the stack's literal account). */
const breakGlass = (account: string) => `arn:aws:iam::${account}:role/incident-break-glass`;
const CDK_EXEC = 'arn:aws:iam::{{Ref:AWS::AccountId}}:role/cdk-hnb659fds-cfn-exec-role-{{Ref:AWS::AccountId}}-{{Ref:AWS::Region}}';

describe('ProtectedKey policy statements, whole', () => {
  const stack = testStack(KEY_ACCOUNT);
  new ProtectedKey(stack, 'Key', {
    aliasName: 'alias/data-protection/test',
    breakGlassRoleName: 'incident-break-glass',
    consumers: { accounts: [DATA_ACCOUNT], services: [KeyConsumerService.S3, KeyConsumerService.RDS] },
  });
  const s = statements(stack, 'AWS::KMS::Key', 'KeyPolicy');
  const consumer = { AWS: `arn:aws:iam::${DATA_ACCOUNT}:root` };
  const viaServices = ['s3.eu-west-1.amazonaws.com', 'rds.eu-west-1.amazonaws.com'];

  test('cross-account use: the crypto actions and DescribeKey, only from the consumer accounts through the named services', () => {
    expect(s.ConsumerAccountsUseKeyViaServices).toEqual({
      Sid: 'ConsumerAccountsUseKeyViaServices',
      Effect: 'Allow',
      Principal: consumer,
      Action: [...CRYPTO, 'kms:DescribeKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': [DATA_ACCOUNT], 'kms:ViaService': viaServices } },
    });
  });

  test('cross-account grants: for AWS resources only, from the consumer accounts through the named services', () => {
    expect(s.ConsumerAccountsGrantToAwsResources).toEqual({
      Sid: 'ConsumerAccountsGrantToAwsResources',
      Effect: 'Allow',
      Principal: consumer,
      Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:CallerAccount': [DATA_ACCOUNT], 'kms:ViaService': viaServices },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    });
  });

  test('cross-account DescribeKey (alias resolution at deploy time): the consumer accounts only', () => {
    expect(s.ConsumerAccountsDescribeKey).toEqual({
      Sid: 'ConsumerAccountsDescribeKey',
      Effect: 'Allow',
      Principal: consumer,
      Action: 'kms:DescribeKey',
      Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': [DATA_ACCOUNT] } },
    });
  });

  test('disabling or deleting the key: denied to every principal but the break-glass role, deployments included', () => {
    expect(s.DenyKeyTamperingExceptBreakGlass).toEqual({
      Sid: 'DenyKeyTamperingExceptBreakGlass',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:DeleteImportedKeyMaterial', 'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion'],
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass(KEY_ACCOUNT)] } },
    });
  });

  test('changing the key policy: denied to every principal but the break-glass and deployment roles', () => {
    expect(s.DenyKeyPolicyChangesExceptBreakGlassAndDeployment).toEqual({
      Sid: 'DenyKeyPolicyChangesExceptBreakGlassAndDeployment',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:PutKeyPolicy',
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass(KEY_ACCOUNT), CDK_EXEC] } },
    });
  });
});

describe('ImmutableBackupVault access policy statements, whole', () => {
  const stack = testStack(BACKUP_ACCOUNT);
  new ImmutableBackupVault(stack, 'Vault', {
    backupVaultName: 'central',
    encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555'),
    breakGlassRoleName: 'incident-break-glass',
    copySourceAccounts: [DATA_ACCOUNT],
    copySourceOrganizationId: 'o-abcdefghij',
  });
  const s = statements(stack, 'AWS::Backup::BackupVault', 'AccessPolicy');

  test('destroying or shortening backups: denied to every principal but the break-glass role', () => {
    expect(s.DenyRecoveryPointDeletionExceptBreakGlass).toEqual({
      Sid: 'DenyRecoveryPointDeletionExceptBreakGlass',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [
        'backup:DeleteBackupVault',
        'backup:DeleteBackupVaultAccessPolicy',
        'backup:DeleteBackupVaultLockConfiguration',
        'backup:DeleteBackupVaultNotifications',
        'backup:DeleteRecoveryPoint',
        'backup:DisassociateRecoveryPoint',
        'backup:UpdateRecoveryPointLifecycle',
      ],
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass(BACKUP_ACCOUNT)] } },
    });
  });

  test('changing the vault policy, lock or notifications: denied to every principal but the break-glass and deployment roles', () => {
    expect(s.DenyVaultPolicyChangesExceptBreakGlassAndDeployment).toEqual({
      Sid: 'DenyVaultPolicyChangesExceptBreakGlassAndDeployment',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['backup:PutBackupVaultAccessPolicy', 'backup:PutBackupVaultLockConfiguration', 'backup:PutBackupVaultNotifications'],
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass(BACKUP_ACCOUNT), CDK_EXEC] } },
    });
  });

  test('copies in: the named source accounts, inside the organization', () => {
    expect(s.AllowCopyIntoVaultFromSourceAccounts).toEqual({
      Sid: 'AllowCopyIntoVaultFromSourceAccounts',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${DATA_ACCOUNT}:root` },
      Action: 'backup:CopyIntoBackupVault',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
    });
  });
});

// =============================================================================================
// The key policy checker (one file with the security statements above: one module load).
{
  const allow = (extra: Record<string, unknown>) => ({ Effect: 'Allow', Resource: '*', ...extra });

  describe('keyPolicyFindings', () => {
    test('a sound policy has no findings', () => {
      expect(
        keyPolicyFindings({
          Statement: [
            allow({ Sid: 'Admin', Principal: { AWS: 'arn:aws:iam::1:role/admin' }, Action: ['kms:PutKeyPolicy', 'kms:DescribeKey'] }),
            allow({ Sid: 'Use', Principal: { AWS: 'arn:aws:iam::1:role/app' }, Action: ['kms:Decrypt', 'kms:DescribeKey'] }),
            allow({ Sid: 'Org', Principal: '*', Action: 'kms:Decrypt', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } }),
            { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' },
          ],
        }),
      ).toEqual([]);
    });

    test.each([
      [allow({ Sid: 'All', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 'kms:*' }), "statement 'All' allows the wildcard action 'kms:*'"],
      [allow({ Principal: { AWS: 'arn:aws:iam::1:root' }, Action: '*' }), "statement 0 allows the wildcard action '*'"],
      [allow({ Sid: 'Open', Principal: { AWS: '*' }, Action: 'kms:Decrypt' }), "statement 'Open' allows principal '*' without conditions"],
      [allow({ Sid: 'Not', Principal: { AWS: 'arn:aws:iam::1:root' }, NotAction: 'kms:Decrypt' }), "statement 'Not' uses NotAction in an Allow, which grants every other action"],
    ])('%j is a finding', (statement, finding) => {
      expect(keyPolicyFindings({ Statement: [statement as never] })).toContain(finding);
    });

    test('a principal with management and cryptographic actions, even through patterns, is a finding', () => {
      expect(
        keyPolicyFindings({
          Statement: [
            allow({ Principal: { AWS: 'arn:aws:iam::1:role/ops' }, Action: ['kms:Disable*'] }),
            allow({ Principal: { AWS: ['arn:aws:iam::1:role/ops'] }, Action: ['kms:GenerateDataKey*'] }),
          ],
        }),
      ).toEqual(['principal AWS:arn:aws:iam::1:role/ops both administers and uses the key']);
    });
  });
}

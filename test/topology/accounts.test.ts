import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { accountsFromContext, ImmutableBackupVault, validateAccounts } from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, KEY_ACCOUNT, referenceContext } from '../helpers';
import * as kms from 'aws-cdk-lib/aws-kms';
import { isPlaceholderAccount, validateOrganizationId } from '../../lib/core/validation';

describe('account layout', () => {
  test('reads the placeholder layout from cdk.json context', () => {
    const app = new App({ context: referenceContext() });
    expect(accountsFromContext(app)).toEqual({
      keyAccount: '111111111111',
      dataAccounts: ['222222222222'],
      backupAccount: '333333333333',
      auditAccount: '444444444444',
      identityAccount: '777777777777',
      primaryRegion: 'eu-west-1',
      drRegion: 'eu-central-1',
      organizationId: 'o-exampleorg1',
    });
  });

  test('missing context is an error that says what to add', () => {
    expect(() => accountsFromContext(new App())).toThrow("Context 'cdk-data-protection:accounts' is missing");
  });

  test.each([
    [{ keyAccount: DATA_ACCOUNT }, 'DataProtectionAccounts.keyAccount (222222222222) must not be one of the dataAccounts'],
    [{ backupAccount: DATA_ACCOUNT }, 'DataProtectionAccounts.backupAccount (222222222222) must not be one of the dataAccounts'],
    [{ auditAccount: DATA_ACCOUNT }, 'DataProtectionAccounts.auditAccount (222222222222) must not be one of the dataAccounts'],
    [{ backupAccount: KEY_ACCOUNT }, 'DataProtectionAccounts.backupAccount (111111111111) must differ from keyAccount'],
    [{ dataAccounts: [] }, 'DataProtectionAccounts.dataAccounts must list at least one account id, got []'],
    [{ dataAccounts: ['12'] }, "DataProtectionAccounts.dataAccounts[0] must be a 12-digit AWS account id, got '12'"],
    [{ keyAccount: 'keys' }, "DataProtectionAccounts.keyAccount must be a 12-digit AWS account id, got 'keys'"],
  ])('%j is rejected', (change, message) => {
    expect(() => validateAccounts({ ...ACCOUNTS, ...change })).toThrow(message);
  });
});

// =============================================================================================
// The organization id (one file with the accounts above: one module load).
{
  // Defect 10: cross-account copies need the organization; a placeholder id never reaches a real deployment.
  const REAL = { keyAccount: '210987654321', dataAccounts: ['123456789012'], backupAccount: '345678901234', auditAccount: '456789012345', identityAccount: '567890123456' };
  const WHERE = 'aws organizations describe-organization --query Organization.Id';

  describe('organization id', () => {
    test('placeholder account ids are eleven equal leading digits', () => {
      expect(['111111111111', '222222222223', '999999999999'].map(isPlaceholderAccount)).toEqual([true, true, true]);
      expect(['123456789012', '111111111121', '11111111111'].map(isPlaceholderAccount)).toEqual([false, false, false]);
    });

    test("this repository's cdk.json (placeholder accounts and o-exampleorg1) synthesizes offline", () => {
      const app = new App({ context: referenceContext() });
      expect(accountsFromContext(app).organizationId).toBe('o-exampleorg1');
      expect(() => validateAccounts(ACCOUNTS)).not.toThrow(); // placeholders without an organization id: tests and examples
    });

    test('real account ids with the placeholder organization id fail, saying where to find the real one', () => {
      const context = { ...referenceContext(), 'cdk-data-protection:accounts': { key: REAL.keyAccount, data: REAL.dataAccounts[0], backup: REAL.backupAccount, audit: REAL.auditAccount, identity: REAL.identityAccount } };
      expect(() => accountsFromContext(new App({ context }))).toThrow(
        "context 'cdk-data-protection:organizationId' is the placeholder 'o-exampleorg1' of the examples, accepted only with placeholder account ids (eleven equal leading digits, such as 111111111111) for offline synth; the layout names real accounts (210987654321, 345678901234, 456789012345, 123456789012)",
      );
      expect(() => accountsFromContext(new App({ context }))).toThrow(WHERE);
    });

    test('one real account among placeholders is enough to require a real organization id', () => {
      expect(() => validateAccounts({ ...ACCOUNTS, dataAccounts: ['123456789012'], organizationId: 'o-exampleorg1' })).toThrow(
        "DataProtectionAccounts.organizationId is the placeholder 'o-exampleorg1'",
      );
    });

    test('real account ids without an organization id fail', () => {
      expect(() => validateAccounts({ ...ACCOUNTS, ...REAL })).toThrow(
        'DataProtectionAccounts.organizationId is required for cross-account backup copies: AWS Backup copies between accounts of one AWS Organization only',
      );
      expect(() => validateAccounts({ ...ACCOUNTS, ...REAL })).toThrow('AWS Organizations console');
    });

    test.each(['o-abc', 'O-ABCDEFGHIJ', 'exampleorg12', `o-${'a'.repeat(33)}`])('a malformed id %s fails with the pattern', (id) => {
      expect(() => validateAccounts({ ...ACCOUNTS, organizationId: id })).toThrow(`DataProtectionAccounts.organizationId must match ^o-[a-z0-9]{10,32}$, got '${id}'`);
    });

    test('a real organization id passes with real accounts; tokens are accepted', () => {
      expect(() => validateAccounts({ ...ACCOUNTS, ...REAL, organizationId: 'o-a1b2c3d4e5' })).not.toThrow();
      expect(() => validateOrganizationId('p', Lazy.string({ produce: () => 'o-exampleorg1' }), REAL.dataAccounts)).not.toThrow();
    });

    test('single-account evaluation mode has no cross-account copy and needs no organization', () => {
      const one = REAL.dataAccounts[0];
      expect(() => validateAccounts({ ...ACCOUNTS, keyAccount: one, dataAccounts: [one], backupAccount: one, auditAccount: one, singleAccountReason: 'evaluation' })).not.toThrow();
    });

    test('ImmutableBackupVault: copies from another real account need the organization id', () => {
      const stack = new Stack(new App(), 'Vault', { env: { account: REAL.backupAccount, region: 'eu-west-1' } });
      const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:eu-west-1:${REAL.keyAccount}:key/11111111-2222-3333-4444-555555555555`);
      const props = { encryptionKey: key, minRetention: Duration.days(7), backupVaultName: 'central' };
      expect(() => new ImmutableBackupVault(stack, 'A', { ...props, copySourceAccounts: REAL.dataAccounts })).toThrow(
        'ImmutableBackupVaultProps.copySourceOrganizationId is required for cross-account backup copies',
      );
      expect(() => new ImmutableBackupVault(stack, 'B', { ...props, copySourceAccounts: REAL.dataAccounts, copySourceOrganizationId: 'o-exampleorg1' })).toThrow(
        "ImmutableBackupVaultProps.copySourceOrganizationId is the placeholder 'o-exampleorg1'",
      );
      expect(() => new ImmutableBackupVault(stack, 'C', { ...props, copySourceAccounts: [REAL.backupAccount] })).not.toThrow(); // its own account: no cross-account copy
      expect(() => new ImmutableBackupVault(stack, 'D', { ...props, copySourceAccounts: REAL.dataAccounts, copySourceOrganizationId: 'o-a1b2c3d4e5' })).not.toThrow();
    });
  });
}

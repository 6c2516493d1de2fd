import { App } from 'aws-cdk-lib';
import { accountsFromContext, validateAccounts } from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, KEY_ACCOUNT, referenceContext } from '../helpers';

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

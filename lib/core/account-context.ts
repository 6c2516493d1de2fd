// The account layout as `cdk.json` context holds it, parsed in one place for the app
// (`DataProtection.accountsFromContext`) and the `doctor` command. The import is type-only:
// nothing of aws-cdk-lib reaches the doctor's bundle.
import type { DataProtectionAccounts } from '../topology/accounts';

/**
 * `cdk-data-protection:accounts` (`key`, `data` as one id or a list, `backup`, `audit`, `identity`),
 * `cdk-data-protection:regions` (`primary`, `dr`), `cdk-data-protection:organizationId`.
 * @param get reads one context key
 * @param where names the source in the error, e.g. a file
 * @throws when the accounts are missing
 */
export function layoutFromContext(get: (key: string) => any, where = 'cdk.json'): DataProtectionAccounts {
  const accounts = get('cdk-data-protection:accounts');
  const regions = get('cdk-data-protection:regions') ?? {};
  if (!accounts) {
    throw new Error(`Context 'cdk-data-protection:accounts' is missing: add { key, data, backup, audit, identity } account ids to ${where}`);
  }
  return {
    keyAccount: String(accounts.key),
    dataAccounts: (Array.isArray(accounts.data) ? accounts.data : [accounts.data]).map(String),
    backupAccount: String(accounts.backup),
    auditAccount: String(accounts.audit),
    identityAccount: accounts.identity === undefined ? undefined : String(accounts.identity),
    primaryRegion: regions.primary ?? 'us-east-1',
    drRegion: regions.dr,
    organizationId: get('cdk-data-protection:organizationId'),
  };
}

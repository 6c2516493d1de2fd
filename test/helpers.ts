import { App, Stack } from 'aws-cdk-lib';

export const KEY_ACCOUNT = '111111111111';
export const DATA_ACCOUNT = '222222222222';
export const BACKUP_ACCOUNT = '333333333333';
export const AUDIT_ACCOUNT = '444444444444';
export const REGION = 'eu-west-1';

export const ACCOUNTS = {
  keyAccount: KEY_ACCOUNT,
  dataAccounts: [DATA_ACCOUNT],
  backupAccount: BACKUP_ACCOUNT,
  auditAccount: AUDIT_ACCOUNT,
  primaryRegion: REGION,
  drRegion: 'eu-central-1',
};

/** A stack in a fixed account and region, in a fresh app. */
export function testStack(account = DATA_ACCOUNT, id = 'Test'): Stack {
  const app = new App();
  return new Stack(app, id, { env: { account, region: REGION } });
}

/** The reference app's context, as in cdk.json. */
export function referenceContext(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../cdk.json').context;
}

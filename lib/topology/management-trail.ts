import { Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ManagementEventsTrail } from '../audit/management-events-trail';
import { registerPerAccount } from '../core/account-wide';
import { METADATA } from '../core/constants';
import { requireReason } from '../core/validation';
import { DataProtectionAccounts } from './accounts';

/**
 * The accounts that get a `ManagementEventsTrail`: the key and backup accounts, unless they are
 * also data accounts (whose `DataAccessTrail` records management events of every region).
 */
export function managementTrailAccounts(accounts: DataProtectionAccounts): string[] {
  return [...new Set([accounts.keyAccount, accounts.backupAccount])].filter((a) => !accounts.dataAccounts.includes(a));
}

/**
 * The management-events trail of `stack`'s account, created once per account of the app, by its
 * primary-region stack (the trail is multi-region). None when the account is a data account,
 * or when `reason` says another trail covers it (recorded as an override for the report).
 * `encryptionKey` is called only when the trail is created (it may add a key lookup).
 */
export function addManagementEventsTrail(
  stack: Stack,
  accounts: DataProtectionAccounts,
  encryptionKey: () => kms.IKey,
  alarmTopic: sns.ITopic,
  propsName: string,
  reason: string | undefined,
): ManagementEventsTrail | undefined {
  if (reason !== undefined) {
    const why = requireReason(`${propsName}.existingManagementTrailReason`, reason, 'without a trail logging management events, EventBridge never sees key or vault tampering in this account');
    stack.node.addMetadata(METADATA.OVERRIDE, { prop: `${propsName}.existingManagementTrailReason`, floor: 'a multi-region management-events trail', value: 'an existing trail', reason: why });
    return undefined;
  }
  const account = stack.account;
  if (!Token.isUnresolved(account) && !managementTrailAccounts(accounts).includes(account)) return undefined;
  if (!Token.isUnresolved(stack.region) && stack.region !== accounts.primaryRegion) return undefined;
  if (registerPerAccount(stack, 'management-events-trail') !== undefined) return undefined;
  return new ManagementEventsTrail(stack, 'ManagementEventsTrail', { encryptionKey: encryptionKey(), alarmTopic });
}

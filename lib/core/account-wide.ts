import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Account-wide watchers, by app root: the account/region pairs that already have each kind. */
const CLAIMED = new WeakMap<IConstruct, Set<string>>();

/** Watchers that match every event of an account and region, whatever stack creates them. */
export enum AccountWideWatcher {
  /** EventBridge rule on KMS tampering (`KeyTamperAlarms`). */
  KEY_TAMPER = 'key-tamper',
  /** EventBridge rules on failed backup, copy and restore jobs (`BackupAlarms.jobEvents`). */
  BACKUP_JOB_EVENTS = 'backup-job-events',
}

/**
 * Whether `scope`'s stack should create an account-wide watcher: true for the first stack of the
 * app in each account and region, false after, so several stacks of one account (data stacks, or
 * every stack of a single-account evaluation) do not notify each event several times.
 * Environment-agnostic stacks always get one: their account is unknown.
 */
export function claimAccountWide(scope: IConstruct, watcher: AccountWideWatcher): boolean {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) return true;
  const root = scope.node.root;
  const claimed = CLAIMED.get(root) ?? new Set<string>();
  CLAIMED.set(root, claimed);
  const key = `${watcher}/${stack.account}/${stack.region}`;
  if (claimed.has(key)) return false;
  claimed.add(key);
  return true;
}

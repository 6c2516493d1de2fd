import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Per app root: `<kind>/<account>/<region>/<name>` → path of the construct that registered it first. */
const REGISTERED = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Registers `name` of `kind` for the account and region of `scope`'s stack, once per app.
 * Returns the path of the construct that registered it first, or undefined when `scope` is the
 * first (and now holds it). The account and region are compared as the stack spells them.
 */
export function registerPerAccountAndRegion(scope: IConstruct, kind: string, name = ''): string | undefined {
  const stack = Stack.of(scope);
  return register(scope, `${kind}/${stack.account}/${stack.region}/${name}`);
}

/**
 * Registers `kind` for the account of `scope`'s stack, whatever its region, once per app (e.g. a
 * multi-region trail). Returns the path of the construct that registered it first, or undefined
 * when `scope` is the first.
 */
export function registerPerAccount(scope: IConstruct, kind: string): string | undefined {
  return register(scope, `${kind}/${Stack.of(scope).account}`);
}

function register(scope: IConstruct, key: string): string | undefined {
  const root = scope.node.root;
  const registered = REGISTERED.get(root) ?? new Map<string, string>();
  REGISTERED.set(root, registered);
  const first = registered.get(key);
  if (first === undefined) registered.set(key, scope.node.path);
  return first;
}

/** The path of the construct that registered `name` of `kind` for `scope`'s account and region, if any; registers nothing. */
export function registeredPerAccountAndRegion(scope: IConstruct, kind: string, name = ''): string | undefined {
  const stack = Stack.of(scope);
  return REGISTERED.get(scope.node.root)?.get(`${kind}/${stack.account}/${stack.region}/${name}`);
}

/** Watchers that match every event of an account and region, whatever stack creates them. */
export enum AccountWideWatcher {
  /** EventBridge rule on KMS tampering (`KeyTamperAlarms`). */
  KEY_TAMPER = 'key-tamper',
  /** EventBridge rules on failed backup, copy and restore jobs (`BackupAlarms.jobEvents`). */
  BACKUP_JOB_EVENTS = 'backup-job-events',
  /** EventBridge rule on vault policy, lock and recovery-point changes (`VaultTamperAlarms`). */
  VAULT_TAMPER = 'vault-tamper',
  /** EventBridge rule forwarding the library's alarm state changes to the audit account (`AlarmTopicProps.forwardTo`). */
  ALARM_FORWARDING = 'alarm-forwarding',
  /** EventBridge rule on tampering with the monitoring itself (`MonitoringTamperAlarms`). */
  MONITORING_TAMPER = 'monitoring-tamper',
  /** EventBridge rules on backup erosion: plan, selection and region-setting changes, classification tags removed (`BackupErosionAlarms`). */
  BACKUP_EROSION = 'backup-erosion',
  /** EventBridge rule on every restore in an account that restores nothing in normal operation (the backup account). */
  UNEXPECTED_RESTORES = 'unexpected-restores',
  /** EventBridge rule on every assumption of the break-glass role (`BreakGlassRole`). */
  BREAK_GLASS = 'break-glass',
  /** EventBridge rule on data stores weakened: deletion protection off, PITR changed, bucket protection changed (`DataStoreTamperAlarms`). */
  DATA_STORE_TAMPER = 'data-store-tamper',
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
  return registerPerAccountAndRegion(scope, watcher) === undefined;
}

/**
 * Runs hourly in the backup account (`CopyArrivalMonitor`): lists the recovery points created in
 * the central vaults (one per retention class) within the look-back window, groups the arrived copies by the account of
 * their source vault, and publishes per watched source account `HoursSinceLastCopy` (namespace
 * `DataProtection`, dimensions `BackupVaultName` and `SourceAccount`) in CloudWatch Embedded
 * Metric Format (a log line), so the function needs no PutMetricData permission. An account with
 * no copy in the window reports the window's length, which is above every alarm threshold.
 *
 * AWS Backup, ListRecoveryPointsByBackupVault
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html):
 * `ByCreatedAfter` returns only recovery points created after the timestamp; `MaxResults` 1–1000;
 * `NextToken` pages. RecoveryPointByBackupVault
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RecoveryPointByBackupVault.html):
 * `SourceBackupVaultArn` is the backup vault the recovery point was originally copied from (null
 * for a recovery point made in this account, counted as unattributed), `Status` COMPLETED or
 * AVAILABLE once the recovery point is made, `CompletionDate` when its job completed.
 */
import { BackupClient, ListRecoveryPointsByBackupVaultCommand, ListRecoveryPointsByBackupVaultCommandOutput } from '@aws-sdk/client-backup';
import { COPY_ARRIVAL, METRIC_NAMESPACE } from '../../core/constants';

const backup = new BackupClient({});

/** Recovery point statuses of a copy that arrived (CREATING, PARTIAL, EXPIRED, DELETING and STOPPED did not). */
const ARRIVED = new Set(['COMPLETED', 'AVAILABLE']);

export interface CopyArrivalResult {
  /** Per watched source account: hours since its newest arrived copy (the window's length when none). */
  readonly hours: { [account: string]: number };
  /** Watched accounts with no arrived copy in the window. */
  readonly silent: string[];
  /** Accounts that copied into the vault but are not watched. */
  readonly unwatched: string[];
  /** Arrived recovery points without a source vault in another account (`SourceBackupVaultArn` absent). */
  readonly unattributed: number;
  /** Pages of ListRecoveryPointsByBackupVault read. */
  readonly pages: number;
}

export async function handler(): Promise<CopyArrivalResult> {
  // BACKUP_VAULT_NAME names the metric; BACKUP_VAULT_NAMES (when set) lists every vault the copies
  // may land in (the central vaults, one per retention class): an account's newest copy in any of them.
  const vault = process.env.BACKUP_VAULT_NAME;
  const accounts: string[] = JSON.parse(process.env.SOURCE_ACCOUNTS ?? '[]');
  const windowHours = Number(process.env.LOOKBACK_HOURS);
  if (!vault) throw new Error('BACKUP_VAULT_NAME must be set');
  const vaults: string[] = process.env.BACKUP_VAULT_NAMES ? JSON.parse(process.env.BACKUP_VAULT_NAMES) : [vault];
  if (!Number.isFinite(windowHours) || windowHours <= 0) throw new Error(`LOOKBACK_HOURS must be a positive number of hours, got '${process.env.LOOKBACK_HOURS}'`);
  const now = Date.now();
  const since = new Date(now - windowHours * 3_600_000);

  const newest = new Map<string, number>();
  let unattributed = 0;
  let pages = 0;
  for (const name of vaults) {
    let token: string | undefined;
    do {
      const page: ListRecoveryPointsByBackupVaultCommandOutput = await backup.send(
        new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: name, ByCreatedAfter: since, MaxResults: 1000, NextToken: token }),
      );
      pages++;
      for (const point of page.RecoveryPoints ?? []) {
        if (!ARRIVED.has(String(point.Status))) continue;
        const account = accountOf(point.SourceBackupVaultArn);
        if (account === undefined) {
          unattributed++;
          continue;
        }
        const at = (point.CompletionDate ?? point.CreationDate)?.getTime();
        if (at === undefined || Number.isNaN(at)) continue;
        newest.set(account, Math.max(at, newest.get(account) ?? -Infinity));
      }
      token = page.NextToken;
    } while (token);
  }

  const hours: { [account: string]: number } = {};
  for (const account of accounts) {
    const at = newest.get(account);
    const age = at === undefined ? windowHours : Math.min(windowHours, Math.max(0, (now - at) / 3_600_000));
    hours[account] = Math.round(age * 100) / 100;
    console.log(JSON.stringify(emf(vault, account, hours[account], now)));
  }
  const silent = accounts.filter((a) => !newest.has(a));
  const where = vaults.length > 1 ? `vaults ${vaults.join(', ')}` : `vault ${vault}`;
  if (silent.length > 0) console.warn(`no copy arrived in ${where} within ${windowHours} hours from: ${silent.join(', ')}`);
  const unwatched = [...newest.keys()].filter((a) => !accounts.includes(a)).sort();
  if (unwatched.length > 0) console.warn(`copies arrived in ${where} from accounts that are not watched: ${unwatched.join(', ')}`);
  return { hours, silent, unwatched, unattributed, pages };
}

/** The account of a backup vault ARN (`arn:<partition>:backup:<region>:<account>:backup-vault:<name>`). */
export function accountOf(vaultArn: string | undefined): string | undefined {
  const account = vaultArn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** One Embedded Metric Format record: CloudWatch Logs turns it into a metric data point. */
export function emf(vault: string, account: string, hours: number, timestamp: number) {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[COPY_ARRIVAL.VAULT_DIMENSION, COPY_ARRIVAL.ACCOUNT_DIMENSION]], Metrics: [{ Name: COPY_ARRIVAL.METRIC, Unit: 'None' }] }],
    },
    [COPY_ARRIVAL.VAULT_DIMENSION]: vault,
    [COPY_ARRIVAL.ACCOUNT_DIMENSION]: account,
    [COPY_ARRIVAL.METRIC]: hours,
  };
}

/**
 * Chooses the recovery point a restore drill restores.
 *
 * ListRecoveryPointsByBackupVault documents no order, so this reads every page (NextToken) and
 * chooses explicitly: the newest restorable SNAPSHOT recovery point of the resource by
 * `CreationDate`. Continuous recovery points (point-in-time restore) are skipped: AWS Backup keeps
 * one per resource and updates it as the continuous backup runs, so its `CreationDate` is the
 * first full backup's and says nothing about how recent the data is; a snapshot's does, which is
 * what the evidence measures the RPO against.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html
 * (MaxResults 1–1000, NextToken), https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html
 * ("The continuous backup plan creates one continuous recovery point and updates that recovery
 * point whenever the job runs").
 *
 * A chosen `recoveryPointArn` is described (DescribeRecoveryPoint) instead, so the evidence has its
 * creation date too. Returns `{ found: false, reason }` instead of throwing when there is nothing
 * to restore: the workflow records NO_RECOVERY_POINT.
 */
import { BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';

const backup = new BackupClient({});

export interface RecoveryPointInput {
  target: { name: string; backupVaultName: string; resourceArn?: string; recoveryPointArn?: string };
}

export interface ChosenRecoveryPoint {
  found: boolean;
  reason: string;
  RecoveryPointArn?: string;
  /** ISO 8601. */
  CreationDate?: string;
  BackupSizeInBytes?: number;
  Status?: string;
  /** Recovery points of the resource read from the vault. */
  listed: number;
  /** Skipped: continuous (point-in-time) recovery points. */
  skippedContinuous: number;
  /** Skipped: not restorable yet or any more (CREATING, PARTIAL, EXPIRED, DELETING, STOPPED). */
  skippedNotRestorable: number;
}

/**
 * Statuses of a recovery point that can be restored. AWS Backup: "COMPLETED"/"AVAILABLE": "the
 * backup was successfully created for the recovery point ... ready for use"
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RecoveryPointByBackupVault.html, Status).
 */
const RESTORABLE = new Set(['COMPLETED', 'AVAILABLE']);

/** Continuous (point-in-time) recovery points: `arn:<partition>:backup:<region>:<account>:recovery-point:continuous:<id>`. */
export const isContinuous = (arn: string | undefined) => typeof arn === 'string' && /:recovery-point:continuous:/.test(arn);

const millis = (d: unknown) => (d instanceof Date ? d.getTime() : d === undefined || d === null ? NaN : Date.parse(String(d)));
const iso = (d: unknown) => {
  const ms = millis(d);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

export async function handler(input: RecoveryPointInput): Promise<ChosenRecoveryPoint> {
  const t = input.target;
  if (t.recoveryPointArn) {
    try {
      const rp = await backup.send(new DescribeRecoveryPointCommand({ BackupVaultName: t.backupVaultName, RecoveryPointArn: t.recoveryPointArn }));
      const restorable = RESTORABLE.has(rp.Status ?? '');
      return {
        found: restorable,
        reason: restorable ? `the chosen recovery point (${rp.Status})` : `the chosen recovery point ${t.recoveryPointArn} is ${rp.Status ?? 'of unknown status'}, not COMPLETED or AVAILABLE`,
        ...(restorable ? { RecoveryPointArn: t.recoveryPointArn } : {}),
        CreationDate: iso(rp.CreationDate),
        BackupSizeInBytes: rp.BackupSizeInBytes,
        Status: rp.Status,
        listed: 1,
        skippedContinuous: 0,
        skippedNotRestorable: restorable ? 0 : 1,
      };
    } catch (e) {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
      return { found: false, reason: `the chosen recovery point ${t.recoveryPointArn} is not in vault ${t.backupVaultName}`, listed: 0, skippedContinuous: 0, skippedNotRestorable: 0 };
    }
  }
  if (!t.resourceArn) throw new Error(`target ${t.name} has neither recoveryPointArn nor resourceArn`);

  let listed = 0;
  let skippedContinuous = 0;
  let skippedNotRestorable = 0;
  let best: { arn: string; created: number; size?: number; status?: string } | undefined;
  let NextToken: string | undefined;
  do {
    const page = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: t.backupVaultName, ByResourceArn: t.resourceArn, MaxResults: 1000, NextToken }));
    for (const p of page.RecoveryPoints ?? []) {
      listed++;
      if (!p.RecoveryPointArn) continue;
      if (isContinuous(p.RecoveryPointArn)) {
        skippedContinuous++;
        continue;
      }
      const created = millis(p.CreationDate);
      if (!RESTORABLE.has(p.Status ?? '') || Number.isNaN(created)) {
        skippedNotRestorable++;
        continue;
      }
      if (!best || created > best.created) best = { arn: p.RecoveryPointArn, created, size: p.BackupSizeInBytes, status: p.Status };
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken);

  const counts = { listed, skippedContinuous, skippedNotRestorable };
  if (!best) {
    return {
      found: false,
      reason: `no COMPLETED or AVAILABLE snapshot recovery point of ${t.resourceArn} in vault ${t.backupVaultName} (${listed} listed: ${skippedContinuous} continuous, ${skippedNotRestorable} not restorable)`,
      ...counts,
    };
  }
  return {
    found: true,
    reason: `the newest restorable snapshot recovery point of ${listed} listed`,
    RecoveryPointArn: best.arn,
    CreationDate: new Date(best.created).toISOString(),
    BackupSizeInBytes: best.size,
    Status: best.status,
    ...counts,
  };
}

/**
 * When each target last drilled successfully, as AWS Backup's own record confirms it (drill-staleness
 * and drill-discover). The evidence bucket's `latest-success/<target>.json` pointer and the evidence
 * record it names are files an administrator of the data account can write (a new object under
 * `drills/` is allowed; Object Lock only keeps existing versions), so neither their content nor the
 * pointer's LastModified is trusted: a success counts only when DescribeRestoreJob of the record's
 * restore job id says the drill's restore role restored it, and its date is AWS Backup's
 * CompletionDate.
 *
 * DescribeRestoreJob (AWS Backup API Reference,
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeRestoreJob.html) returns
 * `Status` (PENDING | RUNNING | COMPLETED | ABORTED | FAILED), `IamRoleArn` ("the IAM role ARN used to
 * create the target recovery point"; StartRestoreJob's IamRoleArn), `CompletionDate`, and `CreatedBy`,
 * which holds only `RestoreTestingPlanArn` (a job of an AWS Backup restore testing plan, never the
 * drill's; for the evidence of `NativeRestoreTesting`, `RESTORE_TESTING_PLAN_ARN`, it must be that
 * plan). An unknown job id answers ResourceNotFoundException.
 *
 * How long AWS Backup keeps restore job records is not documented for restore jobs; ListBackupJobs
 * lists backup jobs "for the last 30 days"
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupJobs.html). The library
 * assumes the same 30 days (`JOB_RECORD_RETENTION_DAYS`):
 * - the job is found and agrees: `verified`, dated by CompletionDate;
 * - the job is found and disagrees (not COMPLETED, another role, no CompletionDate, a restore testing
 *   plan's job, another store's restore — `SourceResourceArn` — or, for restore testing, a
 *   `ValidationStatus` other than SUCCESSFUL): `rejected` — no success;
 * - the job is not found and the evidence object was written within the retention (S3's
 *   LastModified of the Object Lock evidence object, which no writer can set to the past): the
 *   record would still be there, so the evidence is forged — `rejected`;
 * - the job is not found and the evidence object is older than the retention: `unverified`, dated
 *   by the earlier of the record's own completion date and the object's LastModified, logged.
 */
import { BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { millisOf } from '../canary';

/** Days AWS Backup is assumed to keep a restore job record (see above: undocumented for restore jobs). */
export const JOB_RECORD_RETENTION_DAYS = 30;
const DAY = 86_400_000;

export type SuccessState = 'verified' | 'unverified' | 'rejected' | 'none';

export interface LastSuccess {
  /** verified: AWS Backup agrees; unverified: its record is gone; rejected: forged or invalid evidence; none: never succeeded. */
  state: SuccessState;
  /** Epoch ms of the success (verified and unverified only). */
  at?: number;
  restoreJobId?: string;
  /** Why the state (rejected and unverified). */
  reason?: string;
}

/** A target whose last success is read: its name, and its store's ARN when known (a success must be a restore of it). */
export interface VerifyTarget {
  readonly name: string;
  readonly resourceArn?: string;
}

export interface VerifyOptions {
  /** @default - S3 and Backup clients of the function */
  readonly clients?: VerifyClients;
  /** Only that restore testing plan's jobs count (its ValidationStatus SUCCESSFUL); without it, no plan's job counts. */
  readonly restoreTestingPlanArn?: string;
}

export interface VerifyClients {
  s3: Pick<S3Client, 'send'>;
  backup: Pick<BackupClient, 'send'>;
}

let defaults: VerifyClients | undefined;
const clients = () => (defaults ??= { s3: new S3Client({}), backup: new BackupClient({}) });

const errorName = (e: unknown) => (e as { name?: string }).name;
const notFound = (e: unknown) => ['NoSuchKey', 'NotFound'].includes(errorName(e) ?? '');

async function readJson(c: VerifyClients, bucket: string, key: string): Promise<{ body: any; lastModified?: number } | undefined> {
  let r: any;
  try {
    r = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    if (notFound(e)) return undefined;
    throw e;
  }
  let body: any;
  try {
    body = JSON.parse(await r.Body.transformToString());
  } catch {
    body = undefined;
  }
  return { body, lastModified: r.LastModified ? new Date(r.LastModified).getTime() : undefined };
}


/**
 * The last success of one target, checked against AWS Backup. Errors other than a missing object
 * or job are thrown: a drill must not re-drill everything, nor nothing, because it could not read.
 */
export async function lastVerifiedSuccess(bucket: string, target: VerifyTarget, restoreRoleArn: string, now: number, options: VerifyOptions = {}): Promise<LastSuccess> {
  const { name, resourceArn: sourceArn } = target;
  const { restoreTestingPlanArn } = options;
  const c = options.clients ?? clients();
  const pointer = await readJson(c, bucket, `latest-success/${name}.json`);
  if (!pointer) return { state: 'none' };
  const key = pointer.body?.evidenceKey;
  if (typeof key !== 'string' || !key.startsWith(`drills/${name}/`)) return { state: 'rejected', reason: `latest-success/${name}.json names no evidence record of ${name} (evidenceKey ${JSON.stringify(key)})` };
  const evidence = await readJson(c, bucket, key);
  if (!evidence) return { state: 'rejected', reason: `the evidence record ${key} does not exist` };
  const record = evidence.body;
  const restoreJobId = record?.restoreJob?.id;
  if (record?.target !== name || record?.status !== 'SUCCEEDED' || typeof restoreJobId !== 'string' || !restoreJobId) {
    return { state: 'rejected', reason: `the evidence record ${key} is not a SUCCEEDED drill of ${name} with a restore job id` };
  }
  let job: any;
  try {
    job = await c.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  } catch (e) {
    if (errorName(e) !== 'ResourceNotFoundException') throw e;
    const writtenAt = evidence.lastModified ?? now;
    const ageDays = (now - writtenAt) / DAY;
    if (ageDays <= JOB_RECORD_RETENTION_DAYS) {
      return {
        state: 'rejected',
        restoreJobId,
        reason: `AWS Backup has no restore job ${restoreJobId}, though ${key} was written ${ageDays.toFixed(1)} days ago (job records are kept ${JOB_RECORD_RETENTION_DAYS} days): forged evidence`,
      };
    }
    const claimed = millisOf(record.restoreJob?.completedAt) ?? millisOf(record.drillFinishedAt) ?? writtenAt;
    return {
      state: 'unverified',
      at: Math.min(claimed, writtenAt),
      restoreJobId,
      reason: `AWS Backup no longer has restore job ${restoreJobId} (${key} was written ${ageDays.toFixed(1)} days ago, beyond the ${JOB_RECORD_RETENTION_DAYS} days job records are kept): dated by the evidence record`,
    };
  }
  const completed = millisOf(job.CompletionDate);
  const problems = [
    job.Status !== 'COMPLETED' ? `status ${job.Status ?? 'missing'}` : undefined,
    job.IamRoleArn !== restoreRoleArn ? `restored with ${job.IamRoleArn ?? 'no role'}, not the drill's restore role ${restoreRoleArn}` : undefined,
    completed === undefined ? 'no CompletionDate' : undefined,
    // The drill's jobs have no creator plan; a restore testing plan's evidence only jobs of that very plan.
    restoreTestingPlanArn === undefined
      ? job.CreatedBy?.RestoreTestingPlanArn
        ? `created by the restore testing plan ${job.CreatedBy.RestoreTestingPlanArn}`
        : undefined
      : job.CreatedBy?.RestoreTestingPlanArn !== restoreTestingPlanArn
        ? `created by ${job.CreatedBy?.RestoreTestingPlanArn ?? 'no restore testing plan'}, not the restore testing plan ${restoreTestingPlanArn}`
        : undefined,
    // Restore testing: AWS Backup's own validation status must be SUCCESSFUL (the validator sets it; a
    // job whose copy failed, or was never validated, is no success whatever the evidence file says).
    restoreTestingPlanArn !== undefined && job.ValidationStatus !== 'SUCCESSFUL' ? `validation status ${job.ValidationStatus ?? 'missing'}, not SUCCESSFUL` : undefined,
    // The job restored this very store: another store's real job named in a forged record proves nothing of it.
    sourceArn !== undefined && job.SourceResourceArn !== sourceArn ? `it restored ${job.SourceResourceArn ?? 'no source named'}, not ${sourceArn}` : undefined,
  ].filter((p): p is string => p !== undefined);
  if (problems.length) return { state: 'rejected', restoreJobId, reason: `AWS Backup's restore job ${restoreJobId} does not confirm ${key}: ${problems.join('; ')}` };
  return { state: 'verified', at: completed, restoreJobId };
}

/** `lastVerifiedSuccess` of each target, by name; rejected and unverified ones are logged. */
export async function lastVerifiedSuccesses(bucket: string, targets: VerifyTarget[], restoreRoleArn: string, now: number, options: VerifyOptions = {}): Promise<{ [name: string]: LastSuccess }> {
  const out: { [name: string]: LastSuccess } = {};
  for (const target of targets) {
    const name = target.name;
    out[name] = await lastVerifiedSuccess(bucket, target, restoreRoleArn, now, options);
    if (out[name].state === 'rejected') console.warn(`restore drill ${name}: last success NOT counted: ${out[name].reason}`);
    if (out[name].state === 'unverified') console.warn(`restore drill ${name}: last success unverified: ${out[name].reason}`);
  }
  return out;
}

/** The restore role the drill's restore jobs use (RESTORE_ROLE_ARN). */
export function restoreRoleFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const arn = env.RESTORE_ROLE_ARN;
  if (!arn) throw new Error("RESTORE_ROLE_ARN must be set (the drill's restore role: successes are verified against AWS Backup's restore jobs)");
  return arn;
}

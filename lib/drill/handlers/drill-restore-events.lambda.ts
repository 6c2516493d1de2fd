/**
 * Event-driven completion of a drill's restore job, in two modes of one function:
 *
 * - `register` (the workflow's `.waitForTaskToken` task): stores `{ restoreJobId -> taskToken }`
 *   in the drill's token table, THEN describes the job. A job that already ended (before the token
 *   was stored, so its event found nothing) or that outlived the restore timeout (counted from the
 *   job's CreationDate) resumes the execution at once with the job's description. Otherwise the
 *   execution waits for the event, or for the task's timeout, after which the workflow registers
 *   again (the fallback for lost events).
 * - an EventBridge event ("Restore Job State Change", terminal status): looks the token up by
 *   restore job id (no token: not a job this drill waits for, nothing to do), describes the job
 *   and resumes the execution with that description, the same shape as the DescribeRestoreJob
 *   SDK integration returns (timestamps as ISO strings).
 *
 * A token already used by the other path is answered TaskTimedOut, TaskDoesNotExist or
 * InvalidToken ("The task token has either expired or the task associated with the token has
 * already been closed", https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html):
 * ignored, the execution has moved on.
 */
import { BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';

const dynamodb = new DynamoDBClient({});
const backup = new BackupClient({});
const sfn = new SFNClient({});

/** Restore job statuses that end a job (DescribeRestoreJob `Status`). */
export const TERMINAL = ['COMPLETED', 'FAILED', 'ABORTED'];
/** SendTaskSuccess errors meaning the other path (event or register) already resumed the task. */
const ALREADY_RESUMED = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

export interface RegisterInput {
  readonly register: true;
  readonly taskToken: string;
  readonly restoreJobId: string;
  readonly restoreTimeoutSeconds: number;
  /** The task's timeout (seconds): how long this registration waits before the workflow checks again. */
  readonly waitSeconds: number;
}

export interface RestoreJobEvent {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: { readonly restoreJobId?: string; readonly status?: string };
}

export interface Outcome {
  readonly resumed: boolean;
  readonly reason: string;
  readonly status?: string;
}

function table(): string {
  const name = process.env.RESTORE_TOKEN_TABLE;
  if (!name) throw new Error('RESTORE_TOKEN_TABLE must be set');
  return name;
}

export async function handler(input: RegisterInput | RestoreJobEvent): Promise<Outcome> {
  if ((input as RegisterInput).register === true) return register(input as RegisterInput);
  return onEvent(input as RestoreJobEvent);
}

/** The job's description as Step Functions' SDK integration passes it: no $metadata, dates as ISO strings. */
async function describe(restoreJobId: string): Promise<{ [key: string]: unknown }> {
  const { $metadata, ...job } = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  void $metadata;
  return JSON.parse(JSON.stringify(job));
}

/** Resumes the task with the job; false when the other path already did. */
async function resume(taskToken: string, job: { [key: string]: unknown }): Promise<boolean> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(job) }));
    return true;
  } catch (e) {
    if (ALREADY_RESUMED.includes((e as { name?: string }).name ?? '')) return false;
    throw e;
  }
}

/** Deletes the job's entry if it still holds this token (a newer registration keeps its own). */
async function forget(restoreJobId: string, taskToken: string): Promise<void> {
  try {
    await dynamodb.send(
      new DeleteItemCommand({
        TableName: table(),
        Key: { restoreJobId: { S: restoreJobId } },
        ConditionExpression: 'taskToken = :t',
        ExpressionAttributeValues: { ':t': { S: taskToken } },
      }),
    );
  } catch (e) {
    // A newer registration replaced the token, or the entry is gone: nothing to delete. TTL removes any other.
    if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
  }
}

/** Seconds since the job was created, from DescribeRestoreJob's CreationDate (ISO string); undefined without one. */
function ageSeconds(job: { [key: string]: unknown }, now: number): number | undefined {
  const created = Date.parse(String(job.CreationDate));
  return Number.isNaN(created) ? undefined : (now - created) / 1000;
}

export async function register(input: RegisterInput): Promise<Outcome> {
  for (const [k, v] of [['taskToken', input.taskToken], ['restoreJobId', input.restoreJobId]] as const) {
    if (typeof v !== 'string' || v === '') throw new Error(`register: ${k} must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  const timeout = Number(input.restoreTimeoutSeconds);
  const wait = Number(input.waitSeconds);
  if (!(timeout > 0) || !(wait > 0)) throw new Error(`register: restoreTimeoutSeconds and waitSeconds must be positive numbers, got ${input.restoreTimeoutSeconds} and ${input.waitSeconds}`);
  // Kept until well after the task can last (its wait) and the restore timeout: DynamoDB deletes expired items itself.
  const expiresAt = Math.ceil(Date.now() / 1000 + timeout + wait + 86_400);
  await dynamodb.send(
    new PutItemCommand({
      TableName: table(),
      Item: { restoreJobId: { S: input.restoreJobId }, taskToken: { S: input.taskToken }, expiresAt: { N: String(expiresAt) } },
    }),
  );
  // After storing: an event sent before now found no token (or the previous one), so look for ourselves.
  const job = await describe(input.restoreJobId);
  const status = String(job.Status ?? '');
  let reason: string | undefined;
  if (TERMINAL.includes(status)) {
    reason = `the restore job had already ended ${status}`;
  } else {
    const age = ageSeconds(job, Date.now());
    // The checks land on the timeout itself (waits sum to it), a little after by causality; one
    // minute (at most half a wait) of tolerance absorbs clock differences between services.
    if (age !== undefined && age >= timeout - Math.min(60, wait / 2)) reason = `the restore job is still ${status || 'without status'} after the restore timeout (${timeout} seconds)`;
  }
  if (!reason) return { resumed: false, reason: `waiting for the restore job's event (status ${status || 'unknown'})`, status };
  const resumed = await resume(input.taskToken, job);
  await forget(input.restoreJobId, input.taskToken);
  return { resumed, reason, status };
}

export async function onEvent(event: RestoreJobEvent): Promise<Outcome> {
  const restoreJobId = event.detail?.restoreJobId;
  if (typeof restoreJobId !== 'string' || restoreJobId === '') return { resumed: false, reason: 'the event names no restore job' };
  const found = await dynamodb.send(new GetItemCommand({ TableName: table(), Key: { restoreJobId: { S: restoreJobId } }, ConsistentRead: true }));
  const taskToken = found.Item?.taskToken?.S;
  // Only restore jobs this drill waits for have a token; any other restore job is none of its business.
  if (!taskToken) return { resumed: false, reason: `no drill waits for restore job ${restoreJobId}` };
  const job = await describe(restoreJobId);
  const status = String(job.Status ?? '');
  if (!TERMINAL.includes(status)) {
    // The event ran ahead of DescribeRestoreJob: the workflow's next check (or a later event) resumes it.
    console.warn(`restore job ${restoreJobId}: event ${event.detail?.status}, DescribeRestoreJob ${status}; left to the workflow's next check`);
    return { resumed: false, reason: `DescribeRestoreJob still reports ${status || 'no status'}`, status };
  }
  const resumed = await resume(taskToken, job);
  await forget(restoreJobId, taskToken);
  return { resumed, reason: resumed ? `the restore job ended ${status}` : 'the execution had already moved on', status };
}

/**
 * Writes the evidence record of one restore drill into the Object Lock bucket and returns what
 * the workflow publishes: metric data, the notification and a summary (the execution result).
 * Input: the whole drill state (target, drillName, metadata, restoreJob, job, validation,
 * failure, error, cleanup, cleanupError, sweep, sweepError).
 */
import { createHash } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DRILL_TAG, METRIC_NAMESPACE } from '../../core/constants';

const s3 = new S3Client({});
let eventBridge: EventBridgeClient | undefined;

/** Source and detail-type of the evidence event put on the audit account's security bus. */
export const EVIDENCE_EVENT_SOURCE = 'cdk-data-protection.drill';
export const EVIDENCE_EVENT_DETAIL_TYPE = 'Restore Drill Evidence';
/** "The maximum size for a PutEvents event entry is 256 KB" (PutEvents, https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html). */
const MAX_ENTRY_BYTES = 256 * 1024;

interface TaskError {
  Error?: string;
  Cause?: string;
}

export interface DrillState {
  target: {
    name: string;
    resourceType: string;
    resourceArn?: string;
    backupVaultName?: string;
    drill?: string;
    rtoSeconds: number;
    rpoSeconds: number;
    intervalDays?: number;
    restoreTimeoutSeconds?: number;
  };
  drillName: string;
  executionName?: string;
  startedAt?: string;
  /** The chosen recovery point (drill-recovery-point handler). */
  recoveryPoint?: { found?: boolean; reason?: string; RecoveryPointArn?: string; CreationDate?: unknown; BackupSizeInBytes?: number };
  metadata?: { RecoveryPointArn?: string };
  restoreJob?: { RestoreJobId?: string };
  job?: {
    Status?: string;
    StatusMessage?: string;
    CreatedResourceArn?: string;
    CreationDate?: unknown;
    CompletionDate?: unknown;
    RecoveryPointCreationDate?: unknown;
    RecoveryPointArn?: string;
  };
  validation?: { valid?: unknown; message?: unknown; [k: string]: unknown } | null;
  failure?: { status: string; reason: string };
  error?: TaskError;
  cleanup?: { status?: string; message?: string; [k: string]: unknown };
  cleanupError?: TaskError;
  tagError?: TaskError;
  /** Leftovers of earlier drills of the target, swept before the restore (drill-cleanup `sweep`). */
  sweep?: { deleted?: string[]; failed?: { resource?: string; error?: string; message?: string }[]; skipped?: string[] };
  sweepError?: TaskError;
  /** The RTO metric published at the timeout could not be written (caught: the drill goes on draining). */
  timeoutMetricsError?: TaskError;
  /** Waiting for a timed-out restore to end failed (caught: cleanup runs without it). */
  drainError?: TaskError;
}

/** Epoch milliseconds of an SDK date: ISO string, epoch seconds or epoch milliseconds. */
export function toMillis(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return value < 1e12 ? Math.round(value * 1000) : value;
  const n = Number(value);
  if (typeof value === 'string' && Number.isFinite(n)) return toMillis(n);
  const t = Date.parse(String(value));
  return Number.isNaN(t) ? undefined : t;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * Name and message of a Step Functions task error, and nothing else. A Lambda function's error
 * arrives as `Cause` = `{"errorType","errorMessage","trace":[...]}` (the stack trace); an AWS SDK
 * integration's as a plain message. Evidence and notifications keep the name and the message.
 */
export function describeError(e: TaskError | undefined): { name: string; message: string } | undefined {
  if (!e) return undefined;
  let name = e.Error || 'Error';
  let message = typeof e.Cause === 'string' ? e.Cause : e.Cause === undefined ? '' : JSON.stringify(e.Cause);
  try {
    const parsed = JSON.parse(message);
    if (parsed && typeof parsed === 'object') {
      if (typeof parsed.errorType === 'string' && name === 'Error') name = parsed.errorType;
      message = String(parsed.errorMessage ?? parsed.message ?? parsed.Message ?? '');
    }
  } catch {
    // not JSON: an SDK integration or Lambda service message
  }
  // Drop any stack frame that is left, and bound the length.
  message = message
    .split('\n')
    .filter((line) => !/^\s*at\s/.test(line))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 1000);
  return { name, message };
}

const errorText = (e: TaskError | undefined) => {
  const d = describeError(e);
  return d ? (d.message ? `${d.name}: ${d.message}` : d.name) : undefined;
};

/** The evidence record of a drill state, at `now`. Pure: unit-tested without AWS. */
export function buildEvidence(state: DrillState, now: number) {
  const job = state.job ?? {};
  const startedAt = toMillis(state.startedAt) ?? now;
  const jobCreated = toMillis(job.CreationDate);
  const jobCompleted = toMillis(job.CompletionDate);
  const pointCreated = toMillis(job.RecoveryPointCreationDate) ?? toMillis(state.recoveryPoint?.CreationDate);
  const timedOut = state.failure?.status === 'RESTORE_TIMED_OUT';
  // A timed-out restore that never completed: the elapsed time is a lower bound of its RTO.
  const rtoLowerBound = job.Status !== 'COMPLETED' && timedOut && jobCreated !== undefined;
  const rtoSeconds =
    job.Status === 'COMPLETED' && jobCreated !== undefined && jobCompleted !== undefined
      ? Math.round((jobCompleted - jobCreated) / 1000)
      : rtoLowerBound
        ? Math.max(Math.round((now - jobCreated!) / 1000), state.target.restoreTimeoutSeconds ?? 0)
        : undefined;
  const rpoSeconds = pointCreated !== undefined ? Math.round((startedAt - pointCreated) / 1000) : undefined;

  const cleanupError = describeError(state.cleanupError);
  const cleanupFailed = !!cleanupError || state.cleanup?.status === 'FAILED';
  const cleanupPending = state.cleanup?.status === 'RESTORE_STILL_RUNNING';
  const cleanup = cleanupError
    ? { status: 'FAILED', error: cleanupError.name, message: cleanupError.message }
    : state.cleanup ?? { status: 'UNKNOWN' };
  const error = describeError(state.error);
  const validationMalformed = state.failure?.status === 'VALIDATION_ERROR' && !state.error;

  let status: string;
  let reason: string;
  if (state.failure) {
    status = state.failure.status;
    reason = state.failure.reason;
    if (status === 'NO_RECOVERY_POINT' && state.recoveryPoint?.reason && !state.recoveryPoint.found) reason = `${reason}: ${state.recoveryPoint.reason}`;
    if (status === 'RESTORE_FAILED' && job.StatusMessage) reason = `${reason}: ${job.StatusMessage}`;
    if (status === 'VALIDATION_FAILED' && typeof state.validation?.message === 'string') reason = `${reason}: ${state.validation.message}`;
    if (error) reason = `${reason}: ${errorText(state.error)}`;
  } else if (cleanupFailed) {
    status = 'CLEANUP_FAILED';
    reason = `restore and validation passed, but the restored copy ${state.drillName} was not deleted: ${cleanup.message ?? 'unknown error'}`;
  } else {
    status = 'SUCCEEDED';
    reason = `restored ${state.target.name} in ${rtoSeconds ?? '?'} s from a recovery point ${rpoSeconds ?? '?'} s old, validated and cleaned up`;
  }
  if (status !== 'SUCCEEDED' && status !== 'CLEANUP_FAILED' && cleanupFailed) reason = `${reason}; cleanup also FAILED: ${cleanup.message ?? 'unknown error'}`;
  if (cleanupPending) reason = `${reason}; the restore job was still running at cleanup: the next drill of ${state.target.name} deletes ${state.drillName} once it exists`;
  // The sweep of earlier leftovers never changes the drill's status: it adds to the reason and to CleanupFailed.
  const sweepError = describeError(state.sweepError);
  const sweep = {
    deleted: state.sweep?.deleted ?? [],
    failed: [
      ...(state.sweep?.failed ?? []).map((f) => ({ resource: f.resource ?? 'unknown', error: f.error ?? 'Error', message: f.message ?? '' })),
      ...(sweepError ? [{ resource: `${state.target.name} leftovers`, error: sweepError.name, message: sweepError.message }] : []),
    ],
    ...(state.sweep?.skipped?.length ? { skipped: state.sweep.skipped } : {}),
  };
  if (sweep.failed.length) reason = `${reason}; leftovers of earlier drills NOT deleted: ${sweep.failed.map((f) => `${f.resource} (${f.error}: ${f.message})`).join(', ').slice(0, 500)}`;
  if (state.tagError) reason = `${reason}; tagging the restored copy failed: ${errorText(state.tagError)}`;
  // Caught on the timeout path so cleanup still runs; recorded here, never lost.
  const timeoutMetricsError = describeError(state.timeoutMetricsError);
  const drainError = describeError(state.drainError);
  if (timeoutMetricsError) reason = `${reason}; the RTO metric at the timeout was NOT published: ${timeoutMetricsError.name}: ${timeoutMetricsError.message}`;
  if (drainError) reason = `${reason}; waiting for the timed-out restore to end failed: ${drainError.name}: ${drainError.message}`;

  const record = {
    schemaVersion: 2,
    status,
    reason,
    target: state.target.name,
    resourceType: state.target.resourceType,
    resourceArn: state.target.resourceArn,
    backupVaultName: state.target.backupVaultName,
    drillName: state.drillName,
    drillTag: DRILL_TAG,
    execution: state.executionName,
    recoveryPoint: {
      arn: job.RecoveryPointArn ?? state.metadata?.RecoveryPointArn ?? state.recoveryPoint?.RecoveryPointArn,
      createdAt: iso(pointCreated),
      backupSizeInBytes: state.recoveryPoint?.BackupSizeInBytes,
      choice: state.recoveryPoint?.reason,
    },
    restoreJob: {
      id: state.restoreJob?.RestoreJobId,
      status: job.Status,
      statusMessage: job.StatusMessage,
      createdResourceArn: job.CreatedResourceArn,
      startedAt: iso(jobCreated),
      completedAt: iso(jobCompleted),
    },
    drillStartedAt: iso(startedAt),
    drillFinishedAt: iso(now),
    rto: {
      measuredSeconds: rtoSeconds,
      objectiveSeconds: state.target.rtoSeconds,
      // A lower bound above the objective is a breach; one below it says nothing yet.
      met: rtoSeconds === undefined ? undefined : rtoSeconds > state.target.rtoSeconds ? false : rtoLowerBound ? undefined : true,
      ...(rtoLowerBound ? { lowerBound: true } : {}),
    },
    rpo: { measuredSeconds: rpoSeconds, objectiveSeconds: state.target.rpoSeconds, met: rpoSeconds === undefined ? undefined : rpoSeconds <= state.target.rpoSeconds },
    validation:
      state.validation !== undefined && state.validation !== null && !validationMalformed
        ? state.validation
        : status === 'VALIDATION_ERROR'
          ? { error: error?.name ?? 'MalformedResult', message: error?.message ?? `the validator returned no boolean 'valid': ${JSON.stringify(state.validation ?? null).slice(0, 300)}` }
          : undefined,
    error,
    cleanup,
    sweep,
    ...(timeoutMetricsError || drainError ? { timeoutPath: { ...(timeoutMetricsError ? { metricsError: timeoutMetricsError } : {}), ...(drainError ? { drainError } : {}) } } : {}),
  };
  return record;
}

/** Metric data of a record: the per-target metrics and RtoExceeded on the drill dimension. */
export function metricDataOf(record: ReturnType<typeof buildEvidence>, drill: string | undefined) {
  const dims = [{ Name: 'Target', Value: record.target }];
  const metric = (MetricName: string, Value: number, Unit = 'Count') => ({ MetricName, Value, Unit, Dimensions: dims });
  return [
    metric('DrillSucceeded', record.status === 'SUCCEEDED' ? 1 : 0),
    metric('DrillFailed', record.status === 'SUCCEEDED' ? 0 : 1),
    // A copy that may still appear (restore running at cleanup) is a leftover as much as a failed delete.
    // A leftover of an earlier drill the sweep could not delete counts too.
    metric('CleanupFailed', record.cleanup.status === 'FAILED' || record.cleanup.status === 'RESTORE_STILL_RUNNING' || record.sweep.failed.length > 0 ? 1 : 0),
    ...(record.rto.measuredSeconds !== undefined ? [metric('RestoreTimeSeconds', record.rto.measuredSeconds, 'Seconds')] : []),
    ...(record.rpo.measuredSeconds !== undefined ? [metric('RecoveryPointAgeSeconds', record.rpo.measuredSeconds, 'Seconds')] : []),
    // Drill-wide, so one alarm per drill covers every target.
    ...(drill && record.rto.met !== undefined ? [{ MetricName: 'RtoExceeded', Value: record.rto.met ? 0 : 1, Unit: 'Count', Dimensions: [{ Name: 'Drill', Value: drill }] }] : []),
  ];
}

/** Where a record goes: the Object Lock bucket, its key, and the audit account's bus (optional). */
export interface EvidenceDestination {
  readonly bucket: string;
  readonly keyArn: string;
  readonly busArn?: string;
}

/**
 * Writes a record to `drills/<target>/<day>/<drillName>.json` (and, for a success, the
 * `latest-success/<target>.json` pointer), then puts its event on the audit account's bus, attempted
 * even when the local write failed. Failures are returned, never thrown: the caller still publishes
 * and notifies, then fails (the workflow with EVIDENCE_FAILED, the restore-testing validator by
 * throwing). Shared by the drill's evidence function and the restore-testing validator.
 */
export async function recordEvidence(record: ReturnType<typeof buildEvidence>, drill: string | undefined, dest: EvidenceDestination) {
  const day = record.drillStartedAt!.slice(0, 10);
  const key = `drills/${record.target}/${day}/${record.drillName}.json`;
  const put = (Key: string, Body: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: dest.bucket,
        Key,
        Body,
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: dest.keyArn,
        // Object Lock buckets refuse uploads without an integrity checksum.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  const body = JSON.stringify(record, null, 2);
  let writeError: { name: string; message: string } | undefined;
  try {
    await put(key, body);
    if (record.status === 'SUCCEEDED') await put(`latest-success/${record.target}.json`, JSON.stringify({ evidenceKey: key, restoreJobId: record.restoreJob.id, drillFinishedAt: record.drillFinishedAt }, null, 2));
  } catch (e) {
    writeError = describeError({ Error: (e as Error).name, Cause: (e as Error).message });
  }
  // The audit account's copy (RestoreDrillProps.evidenceEventBusArn): its failure never undoes the local evidence.
  let eventError: { name: string; message: string } | undefined;
  let eventId: string | undefined;
  if (dest.busArn) {
    try {
      eventId = await putEvidenceEvent(dest.busArn, evidenceEventDetail(record, drill, { bucket: dest.bucket, key, body, written: !writeError }));
    } catch (e) {
      eventError = describeError({ Error: (e as Error).name, Cause: (e as Error).message });
    }
  }
  return { key, location: `s3://${dest.bucket}/${key}`, writeError, eventError, eventId };
}

export async function handler(state: DrillState) {
  const bucket = process.env.EVIDENCE_BUCKET;
  const keyArn = process.env.EVIDENCE_KEY_ARN;
  if (!bucket || !keyArn) throw new Error('EVIDENCE_BUCKET and EVIDENCE_KEY_ARN must be set');
  const record = buildEvidence(state, Date.now());
  const busArn = process.env.EVIDENCE_EVENT_BUS_ARN;
  const { key, writeError, eventError, eventId } = await recordEvidence(record, state.target.drill, { bucket, keyArn, busArn });

  const metricData = metricDataOf(record, state.target.drill);
  const location = `s3://${bucket}/${key}`;
  const failed = writeError ?? eventError;
  const notSent = eventError ? `evidence NOT sent to the audit account (${eventError.name}: ${eventError.message})` : undefined;
  const reason = writeError
    ? `evidence NOT recorded (${writeError.name}: ${writeError.message})${notSent ? `; ${notSent}` : ''}; the drill: ${record.reason}`
    : `${notSent}; recorded at ${location}; the drill: ${record.reason}`;
  const summary = failed
    ? { target: record.target, status: 'EVIDENCE_FAILED', drillStatus: record.status, ok: false, reason, evidenceKey: location }
    : { target: record.target, status: record.status, ok: record.status === 'SUCCEEDED', reason: record.reason, evidenceKey: location };
  return {
    summary,
    written: !writeError,
    ...(writeError ? { writeError } : {}),
    ...(busArn ? { eventSent: !eventError, ...(eventId ? { eventId } : {}), ...(eventError ? { eventError } : {}) } : {}),
    metricData,
    namespace: METRIC_NAMESPACE,
    subject: `Restore drill ${summary.status}: ${record.target}`.slice(0, 99),
    message: [
      ...(writeError ? [`EVIDENCE NOT RECORDED at ${location}: ${writeError.name}: ${writeError.message}`] : []),
      ...(eventError ? [`EVIDENCE NOT SENT to the audit account's bus ${busArn}: ${eventError.name}: ${eventError.message}`] : []),
      `Restore drill of ${record.target} (${record.resourceType}): ${record.status}`,
      record.reason,
      `RTO measured ${record.rto.measuredSeconds ?? 'n/a'} s${record.rto.lowerBound ? ' (at least: the restore had not finished)' : ''} (objective ${record.rto.objectiveSeconds} s); RPO measured ${record.rpo.measuredSeconds ?? 'n/a'} s (objective ${record.rpo.objectiveSeconds} s)`,
      `Cleanup: ${record.cleanup.status}${record.sweep.deleted.length || record.sweep.failed.length ? `; leftovers of earlier drills deleted ${record.sweep.deleted.length}, NOT deleted ${record.sweep.failed.length}` : ''}`,
      `Evidence: ${writeError ? 'NOT recorded' : location}${busArn ? `; audit account copy: ${eventError ? 'NOT sent' : `event ${eventId}`}` : ''}`,
    ].join('\n'),
  };
}

/**
 * The evidence event's detail: the record's essentials and the SHA-256 of the evidence object as
 * written (hex, and base64 as S3's ChecksumSHA256 reports it), so the audit account can tell the
 * object in the data account's bucket apart from any later one.
 */
export function evidenceEventDetail(
  record: ReturnType<typeof buildEvidence>,
  drill: string | undefined,
  object: { bucket: string; key: string; body: string; written: boolean },
) {
  const digest = createHash('sha256').update(object.body, 'utf8').digest();
  return {
    schemaVersion: 1,
    drill: drill ?? 'unknown',
    target: record.target,
    resourceType: record.resourceType,
    resourceArn: record.resourceArn,
    status: record.status,
    reason: record.reason,
    drillName: record.drillName,
    execution: record.execution,
    recoveryPoint: { arn: record.recoveryPoint.arn, createdAt: record.recoveryPoint.createdAt },
    restoreJob: { id: record.restoreJob.id, status: record.restoreJob.status, startedAt: record.restoreJob.startedAt, completedAt: record.restoreJob.completedAt },
    rto: record.rto,
    rpo: record.rpo,
    drillStartedAt: record.drillStartedAt,
    drillFinishedAt: record.drillFinishedAt,
    evidence: { bucket: object.bucket, key: object.key, written: object.written, sha256: digest.toString('hex'), checksumSHA256: digest.toString('base64') },
  };
}

/**
 * Puts one evidence event on the audit account's bus and returns its event id. PutEvents answers
 * HTTP 200 even when an entry failed: "if an individual entry within a request fails, EventBridge
 * continues processing the rest" and the response's `FailedEntryCount` and the entry's
 * `ErrorCode`/`ErrorMessage` tell (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html,
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html): FailedEntryCount > 0
 * is a failure here. An entry over 256 KB is refused: the reason, the only unbounded field, is cut first.
 */
export async function putEvidenceEvent(busArn: string, detail: ReturnType<typeof evidenceEventDetail>, client: Pick<EventBridgeClient, 'send'> = (eventBridge ??= new EventBridgeClient({}))): Promise<string | undefined> {
  const size = (d: unknown) => Buffer.byteLength(EVIDENCE_EVENT_SOURCE) + Buffer.byteLength(EVIDENCE_EVENT_DETAIL_TYPE) + Buffer.byteLength(JSON.stringify(d));
  let fitted: typeof detail = detail;
  if (size(fitted) > MAX_ENTRY_BYTES) fitted = { ...detail, reason: `${detail.reason.slice(0, 1000)} [cut: the event entry is limited to 256 KB]` };
  if (size(fitted) > MAX_ENTRY_BYTES) throw Object.assign(new Error(`the evidence event is ${size(fitted)} bytes, over the 256 KB PutEvents entry limit`), { name: 'EventTooLarge' });
  const r = await client.send(
    new PutEventsCommand({ Entries: [{ EventBusName: busArn, Source: EVIDENCE_EVENT_SOURCE, DetailType: EVIDENCE_EVENT_DETAIL_TYPE, Detail: JSON.stringify(fitted), Resources: [] }] }),
  );
  const entry = r.Entries?.[0];
  if ((r.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw Object.assign(new Error(`PutEvents failed for the evidence event (FailedEntryCount ${r.FailedEntryCount ?? 'missing'}): ${entry?.ErrorCode ?? 'no event id'}: ${entry?.ErrorMessage ?? ''}`.trim()), { name: entry?.ErrorCode ?? 'PutEventsFailed' });
  }
  return entry.EventId;
}

/**
 * Writes the evidence record of one restore drill into the Object Lock bucket and returns what
 * the workflow publishes: metric data, the notification and a summary (the execution result).
 * Input: the whole drill state (target, drillName, metadata, restoreJob, job, validation,
 * failure, error, cleanup, cleanupError).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DRILL_TAG, METRIC_NAMESPACE } from '../../core/constants';

const s3 = new S3Client({});

interface TaskError {
  Error?: string;
  Cause?: string;
}

export interface DrillState {
  target: { name: string; resourceType: string; resourceArn?: string; backupVaultName?: string; drill?: string; rtoSeconds: number; rpoSeconds: number; intervalDays?: number };
  drillName: string;
  executionName?: string;
  startedAt?: string;
  metadata?: { RecoveryPointArn?: string };
  listed?: { RecoveryPoints?: Array<{ RecoveryPointArn?: string; CreationDate?: unknown }> };
  recoveryPoint?: { RecoveryPointArn?: string };
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
  validation?: { valid?: boolean; message?: string; [k: string]: unknown };
  failure?: { status: string; reason: string };
  error?: TaskError;
  cleanup?: { status?: string; message?: string; [k: string]: unknown };
  cleanupError?: TaskError;
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

/** The evidence record of a drill state, at `now`. Pure: unit-tested without AWS. */
export function buildEvidence(state: DrillState, now: number) {
  const job = state.job ?? {};
  const startedAt = toMillis(state.startedAt) ?? now;
  const jobCreated = toMillis(job.CreationDate);
  const jobCompleted = toMillis(job.CompletionDate);
  const pointCreated = toMillis(job.RecoveryPointCreationDate) ?? toMillis(state.listed?.RecoveryPoints?.find((p) => p.RecoveryPointArn === state.recoveryPoint?.RecoveryPointArn)?.CreationDate);
  const rtoSeconds = job.Status === 'COMPLETED' && jobCreated !== undefined && jobCompleted !== undefined ? Math.round((jobCompleted - jobCreated) / 1000) : undefined;
  const rpoSeconds = pointCreated !== undefined ? Math.round((startedAt - pointCreated) / 1000) : undefined;

  const cleanupFailed = !!state.cleanupError || state.cleanup?.status === 'FAILED';
  const cleanupPending = state.cleanup?.status === 'RESTORE_STILL_RUNNING';
  const cleanup = state.cleanupError
    ? { status: 'FAILED', error: state.cleanupError.Error, message: state.cleanupError.Cause }
    : state.cleanup ?? { status: 'UNKNOWN' };

  let status: string;
  let reason: string;
  if (state.failure) {
    status = state.failure.status;
    reason = state.failure.reason;
    if (status === 'RESTORE_FAILED' && job.StatusMessage) reason = `${reason}: ${job.StatusMessage}`;
    if (status === 'VALIDATION_FAILED' && state.validation?.message) reason = `${reason}: ${state.validation.message}`;
  } else if (cleanupFailed) {
    status = 'CLEANUP_FAILED';
    reason = `restore and validation passed, but the restored copy ${state.drillName} was not deleted: ${cleanup.message ?? 'unknown error'}`;
  } else {
    status = 'SUCCEEDED';
    reason = `restored ${state.target.name} in ${rtoSeconds ?? '?'} s from a recovery point ${rpoSeconds ?? '?'} s old, validated and cleaned up`;
  }
  if (status !== 'SUCCEEDED' && status !== 'CLEANUP_FAILED' && cleanupFailed) reason = `${reason}; cleanup also FAILED: ${cleanup.message ?? 'unknown error'}`;
  if (cleanupPending) reason = `${reason}; the restore job was still running at cleanup: delete ${state.drillName} when it appears`;

  const record = {
    schemaVersion: 1,
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
    rto: { measuredSeconds: rtoSeconds, objectiveSeconds: state.target.rtoSeconds, met: rtoSeconds === undefined ? undefined : rtoSeconds <= state.target.rtoSeconds },
    rpo: { measuredSeconds: rpoSeconds, objectiveSeconds: state.target.rpoSeconds, met: rpoSeconds === undefined ? undefined : rpoSeconds <= state.target.rpoSeconds },
    validation: state.validation ?? (state.error && status === 'VALIDATION_ERROR' ? { error: state.error.Error, message: state.error.Cause } : undefined),
    error: state.error,
    cleanup,
  };
  return record;
}

export async function handler(state: DrillState) {
  const bucket = process.env.EVIDENCE_BUCKET;
  const keyArn = process.env.EVIDENCE_KEY_ARN;
  if (!bucket || !keyArn) throw new Error('EVIDENCE_BUCKET and EVIDENCE_KEY_ARN must be set');
  const now = Date.now();
  const record = buildEvidence(state, now);
  const day = record.drillStartedAt!.slice(0, 10);
  const key = `drills/${record.target}/${day}/${record.drillName}.json`;
  const put = (Key: string, body: unknown) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key,
        Body: JSON.stringify(body, null, 2),
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyArn,
        // Object Lock buckets refuse uploads without an integrity checksum.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  await put(key, record);
  if (record.status === 'SUCCEEDED') await put(`latest-success/${record.target}.json`, { evidenceKey: key, drillFinishedAt: record.drillFinishedAt });

  const dims = [{ Name: 'Target', Value: record.target }];
  const metric = (MetricName: string, Value: number, Unit = 'Count') => ({ MetricName, Value, Unit, Dimensions: dims });
  const metricData = [
    metric('DrillSucceeded', record.status === 'SUCCEEDED' ? 1 : 0),
    metric('DrillFailed', record.status === 'SUCCEEDED' ? 0 : 1),
    metric('CleanupFailed', record.cleanup.status === 'FAILED' ? 1 : 0),
    ...(record.rto.measuredSeconds !== undefined ? [metric('RestoreTimeSeconds', record.rto.measuredSeconds, 'Seconds')] : []),
    ...(record.rpo.measuredSeconds !== undefined ? [metric('RecoveryPointAgeSeconds', record.rpo.measuredSeconds, 'Seconds')] : []),
    // Drill-wide, so one alarm per drill covers every target.
    ...(state.target.drill && record.rto.met !== undefined
      ? [{ MetricName: 'RtoExceeded', Value: record.rto.met ? 0 : 1, Unit: 'Count', Dimensions: [{ Name: 'Drill', Value: state.target.drill }] }]
      : []),
  ];
  const summary = { target: record.target, status: record.status, ok: record.status === 'SUCCEEDED', reason: record.reason, evidenceKey: `s3://${bucket}/${key}` };
  return {
    summary,
    metricData,
    namespace: METRIC_NAMESPACE,
    subject: `Restore drill ${record.status}: ${record.target}`.slice(0, 99),
    message: [
      `Restore drill of ${record.target} (${record.resourceType}): ${record.status}`,
      record.reason,
      `RTO measured ${record.rto.measuredSeconds ?? 'n/a'} s (objective ${record.rto.objectiveSeconds} s); RPO measured ${record.rpo.measuredSeconds ?? 'n/a'} s (objective ${record.rpo.objectiveSeconds} s)`,
      `Cleanup: ${record.cleanup.status}`,
      `Evidence: ${summary.evidenceKey}`,
    ].join('\n'),
  };
}

/**
 * Validator of AWS Backup restore testing (`NativeRestoreTesting`, lib/drill/native-restore-testing.ts):
 * invoked by EventBridge with a "Restore Job State Change" event of status COMPLETED, FAILED or
 * ABORTED that carries the restore testing plan's ARN (`detail.restoreJobId`, `detail.resourceType`,
 * `detail.createdResourceArn`, `detail.restoreTestingPlanArn`: "Restore testing validation",
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-validation.html).
 *
 * It describes the job (DescribeRestoreJob: the source's ARN, the copy's ARN, the recovery point's
 * creation date, the plan that created it: AWS Backup's answer decides, not the event), runs the
 * library validator's checks on a COMPLETED copy (drill-validator.lambda.ts, `validateAndReport`:
 * the copy compared with its source, status, encryption; no canary) and reports them with
 * PutRestoreValidationResult ("Once a validation status is set, it cannot be changed", same page);
 * when that is refused and AWS Backup's status is not the validator's verdict (someone set it
 * first), the test is recorded as VALIDATION_FAILED and alarms.
 *
 * Then, as the drill's evidence function does (drill-evidence.lambda.ts, `recordEvidence`), it
 * writes the evidence record into the Object Lock bucket (`EVIDENCE_BUCKET`) and sends it to the
 * audit account's bus (`EVIDENCE_EVENT_BUS_ARN`), and publishes the drill's metrics per Target
 * (DrillSucceeded, DrillFailed, RestoreTimeSeconds, RecoveryPointAgeSeconds) and RtoExceeded with
 * dimension Drill = the plan's name, plus `RestoreTestValidationFailed` (dimension
 * `RestoreTestingPlan`) for the plan's alarm. The store is named and its objectives read as the
 * drill's discovery does (`itemOfStore` over the source's tags, configuration `DRILL_DISCOVERY`), so
 * the staleness check (drill-staleness with `RESTORE_TESTING_PLAN_ARN`) finds the same names.
 * RTO is the job's CreationDate to CompletionDate; RPO the job's CreationDate minus the recovery
 * point's. A record or event that could not be written fails the invocation after the metrics
 * (the plan's alarm counts the function's errors; EventBridge retries it).
 * Types the validator does not know (EC2, FSx, DocumentDB, Neptune) are left unvalidated and get no
 * record: AWS Backup deletes their copies after the validation window with no validation status.
 */
import { BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { CLASSIFICATION_TAG, METRIC_NAMESPACE } from '../../core/constants';
import { DiscoveryConfig, itemOfStore, nameFromArn } from '../target-item';
import { configFromEnv } from './discovery';
import { buildEvidence, DrillState, metricDataOf, recordEvidence } from './drill-evidence.lambda';
import { validateAndReport } from './drill-validator.lambda';

const backup = new BackupClient({});
const cloudwatch = new CloudWatchClient({});
const tagging = new ResourceGroupsTaggingAPIClient({});

/** The fields of the event this function reads. */
export interface RestoreTestingEvent {
  detail: { restoreJobId: string; resourceType?: string; createdResourceArn?: string; restoreTestingPlanArn?: string; status?: string };
}

/** Resource types the library validator checks. */
const VALIDATED = ['S3', 'DynamoDB', 'Aurora', 'RDS', 'EBS', 'EFS'];

/** The name the validator reads a copy by (EBS and EFS: it uses the ARN itself). */
export function copyNameOf(resourceType: string, arn: string): string {
  switch (resourceType) {
    case 'S3':
      return arn.slice(arn.lastIndexOf(':') + 1);
    case 'DynamoDB':
      return arn.slice(arn.indexOf('/') + 1).split('/')[0];
    case 'Aurora':
    case 'RDS':
      return arn.slice(arn.lastIndexOf(':') + 1);
    default:
      return arn;
  }
}

const planNameOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/**
 * The store as the drill's discovery names it, with its objectives: from its tags (GetResources
 * with ResourceARNList, Resource Groups Tagging API Reference,
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html).
 * A store that cannot be read or resolved is named from its ARN and held to the strictest level's
 * objectives, with the reason (never dropped).
 */
export async function targetOf(
  config: DiscoveryConfig,
  source: string,
  client: Pick<ResourceGroupsTaggingAPIClient, 'send'> = tagging,
): Promise<{ name: string; rtoSeconds: number; rpoSeconds: number; intervalDays: number; note?: string }> {
  const strictest = {
    rtoSeconds: Math.min(...config.levels.map((l) => l.rtoSeconds)),
    rpoSeconds: Math.min(...config.levels.map((l) => l.rpoSeconds)),
    intervalDays: Math.min(...config.levels.map((l) => l.intervalDays)),
  };
  let note: string;
  try {
    const r: any = await client.send(new GetResourcesCommand({ ResourceARNList: [source] }));
    const tags = Object.fromEntries((r.ResourceTagMappingList?.[0]?.Tags ?? []).map((t: { Key?: string; Value?: string }) => [t.Key ?? '', t.Value ?? '']));
    const found = itemOfStore(config, source, tags, CLASSIFICATION_TAG);
    if ('item' in found) return { name: found.item.name, rtoSeconds: found.item.rtoSeconds, rpoSeconds: found.item.rpoSeconds, intervalDays: found.item.intervalDays };
    note = 'rejected' in found ? found.rejected : found.skipped;
  } catch (e) {
    note = `its tags could not be read (${(e as Error).name}: ${(e as Error).message})`;
  }
  return { name: nameFromArn(source), ...strictest, note: `${source}: ${note}; held to the strictest objectives` };
}

export async function handler(event: RestoreTestingEvent) {
  const restoreJobId = event.detail?.restoreJobId;
  if (!restoreJobId) throw new Error('the event carries no detail.restoreJobId');
  const job = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  const planArn = job.CreatedBy?.RestoreTestingPlanArn;
  const expected = process.env.RESTORE_TESTING_PLAN_ARN;
  // AWS Backup's own answer decides, not the event: only jobs of this plan are validated.
  if (!planArn || (expected && planArn !== expected)) {
    return { validated: false, reason: `restore job ${restoreJobId} was not started by ${expected ?? 'a restore testing plan'} (CreatedBy: ${planArn ?? 'none'})` };
  }
  const resourceType = job.ResourceType ?? event.detail.resourceType ?? '';
  const ended = job.Status === 'FAILED' || job.Status === 'ABORTED';
  if (job.Status !== 'COMPLETED' && !ended) return { validated: false, reason: `restore job ${restoreJobId} is ${job.Status}` };
  if (!VALIDATED.includes(resourceType)) return { validated: false, reason: `resource type '${resourceType}' has no checks in the library validator` };
  const created = job.CreatedResourceArn ?? event.detail.createdResourceArn;
  const source = job.SourceResourceArn ?? created;
  if (!source) throw new Error(`restore job ${restoreJobId} reports no SourceResourceArn`);
  const plan = planNameOf(planArn);
  const target = await targetOf(configFromEnv(), source);

  let result: Awaited<ReturnType<typeof validateAndReport>> | undefined;
  if (!ended) {
    if (!created) throw new Error(`restore job ${restoreJobId} reports no CreatedResourceArn`);
    result = await validateAndReport({
      restoreJobId,
      resourceType,
      createdResourceArn: created,
      drillName: copyNameOf(resourceType, created),
      target: { name: copyNameOf(resourceType, source), resourceArn: job.SourceResourceArn, validation: { canary: 'false' } },
      job: { RecoveryPointCreationDate: job.RecoveryPointCreationDate },
    });
  }
  // "Once a validation status is set, it cannot be changed": when ours was refused, AWS Backup's must be
  // the verdict we reached, or someone else set it first (the staleness check trusts AWS Backup's status).
  let tampered: string | undefined;
  if (result && !result.reportedToBackup) {
    const now = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    const ours = result.valid ? 'SUCCESSFUL' : 'FAILED';
    if (now.ValidationStatus !== ours) tampered = `AWS Backup's validation status of the job is ${now.ValidationStatus ?? 'missing'}, not set by this validator (its verdict: ${ours}; ${result.reportError ?? 'PutRestoreValidationResult refused'})`;
  }
  const failure = ended
    ? { status: 'RESTORE_FAILED', reason: `the restore testing job ${restoreJobId} ended ${job.Status}` }
    : tampered
      ? { status: 'VALIDATION_FAILED', reason: tampered }
      : !result!.valid
        ? { status: 'VALIDATION_FAILED', reason: 'the restored copy failed validation' }
        : undefined;
  const state: DrillState = {
    target: { name: target.name, resourceType, resourceArn: source, rtoSeconds: target.rtoSeconds, rpoSeconds: target.rpoSeconds, intervalDays: target.intervalDays, drill: plan },
    drillName: created ? copyNameOf(resourceType, created).replace(/^.*[/:]/, '') : `restore-${restoreJobId}`,
    executionName: `restore-testing:${plan}`,
    startedAt: job.CreationDate ? new Date(job.CreationDate as Date).toISOString() : undefined,
    restoreJob: { RestoreJobId: restoreJobId },
    job: {
      Status: job.Status,
      StatusMessage: job.StatusMessage,
      CreatedResourceArn: created,
      CreationDate: job.CreationDate,
      CompletionDate: job.CompletionDate,
      RecoveryPointCreationDate: job.RecoveryPointCreationDate,
      RecoveryPointArn: job.RecoveryPointArn,
    },
    validation: result ? { valid: result.valid, message: result.message, checks: result.checks, reportedToBackup: result.reportedToBackup, ...(result.reportError ? { reportError: result.reportError } : {}) } : undefined,
    ...(failure ? { failure } : {}),
    // AWS Backup deletes restore testing's copies itself after the validation window.
    cleanup: { status: 'AWS_BACKUP', message: 'restore testing deletes the copy after its validation window' },
  };
  const record = buildEvidence(state, Date.now());
  if (target.note) record.reason = `${record.reason}; ${target.note}`;
  const bucket = process.env.EVIDENCE_BUCKET;
  const keyArn = process.env.EVIDENCE_KEY_ARN;
  if (!bucket || !keyArn) throw new Error('EVIDENCE_BUCKET and EVIDENCE_KEY_ARN must be set');
  const evidence = await recordEvidence(record, plan, { bucket, keyArn, busArn: process.env.EVIDENCE_EVENT_BUS_ARN || undefined });
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: METRIC_NAMESPACE,
      MetricData: [
        { MetricName: 'RestoreTestValidationFailed', Value: record.status === 'SUCCEEDED' ? 0 : 1, Unit: 'Count', Dimensions: [{ Name: 'RestoreTestingPlan', Value: plan }] },
        ...metricDataOf(record, plan),
      ] as MetricDatum[],
    }),
  );
  console.log(JSON.stringify({ restoreJobId, planArn, resourceType, source, copy: created, status: record.status, reason: record.reason, evidence: evidence.location }));
  if (evidence.writeError || evidence.eventError) {
    const what = [
      evidence.writeError ? `evidence NOT recorded at ${evidence.location} (${evidence.writeError.name}: ${evidence.writeError.message})` : undefined,
      evidence.eventError ? `evidence NOT sent to the audit account (${evidence.eventError.name}: ${evidence.eventError.message})` : undefined,
    ].filter(Boolean);
    throw Object.assign(new Error(`${what.join('; ')}; the restore test: ${record.status}: ${record.reason}`), { name: 'EvidenceFailed' });
  }
  return { validated: !!result, valid: record.status === 'SUCCEEDED', status: record.status, reason: record.reason, evidenceKey: evidence.location, ...(result ? { checks: result.checks, reportedToBackup: result.reportedToBackup } : {}) };
}

/**
 * Validator of AWS Backup restore testing (`NativeRestoreTesting`, lib/drill/native-restore-testing.ts):
 * invoked by EventBridge with a "Restore Job State Change" event of status COMPLETED that carries
 * the restore testing plan's ARN (`detail.restoreJobId`, `detail.resourceType`,
 * `detail.createdResourceArn`, `detail.restoreTestingPlanArn`: "Restore testing validation",
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-validation.html).
 *
 * It describes the job (DescribeRestoreJob: the source's ARN, the copy's ARN, the recovery point's
 * creation date, the plan that created it), runs the library validator's checks on the copy
 * (drill-validator.lambda.ts, `validateAndReport`: the copy compared with its source, status,
 * encryption; no canary) and reports them with PutRestoreValidationResult ("Once a validation
 * status is set, it cannot be changed", same page). It publishes `RestoreTestValidationFailed`
 * (1 or 0, namespace DataProtection, dimension `RestoreTestingPlan`) for the failed-validation alarm.
 * Types the validator does not know (EC2, FSx, DocumentDB, Neptune) are left unvalidated: AWS
 * Backup deletes their copies after the validation window with no validation status.
 */
import { BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { validateAndReport } from './drill-validator.lambda';

const backup = new BackupClient({});
const cloudwatch = new CloudWatchClient({});

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
  if (job.Status !== 'COMPLETED') return { validated: false, reason: `restore job ${restoreJobId} is ${job.Status}` };
  if (!VALIDATED.includes(resourceType)) return { validated: false, reason: `resource type '${resourceType}' has no checks in the library validator` };
  const created = job.CreatedResourceArn ?? event.detail.createdResourceArn;
  if (!created) throw new Error(`restore job ${restoreJobId} reports no CreatedResourceArn`);
  const result = await validateAndReport({
    restoreJobId,
    resourceType,
    createdResourceArn: created,
    drillName: copyNameOf(resourceType, created),
    target: { name: copyNameOf(resourceType, job.SourceResourceArn ?? created), resourceArn: job.SourceResourceArn, validation: { canary: 'false' } },
    job: { RecoveryPointCreationDate: job.RecoveryPointCreationDate },
  });
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'DataProtection',
      MetricData: [{ MetricName: 'RestoreTestValidationFailed', Value: result.valid ? 0 : 1, Unit: 'Count', Dimensions: [{ Name: 'RestoreTestingPlan', Value: planNameOf(planArn) }] }],
    }),
  );
  console.log(JSON.stringify({ restoreJobId, planArn, resourceType, source: job.SourceResourceArn, copy: created, ...result }));
  return { validated: true, ...result };
}

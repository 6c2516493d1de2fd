/**
 * Executes the synthesized state machine locally (aws-local-stepfunctions) with its REAL bundled
 * handlers (assets/handlers/<name>/index.js) against AWS faked at the HTTP layer, and the SDK
 * integration tasks answered as the real APIs answer. Success and every fault path must end with
 * an evidence record (error name and message, no stack trace), a notification, cleanup and metrics,
 * and a final status that says what happened.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DrillResourceType, DrillTarget, DrillTargetProps, RESTORE_DRILL_STATES as S, RestoreDrill, waitSchedule } from '../../lib/drill';
import { ACCOUNT, AwsError, BUNDLED, clock, dynamoDbWorld, EVIDENCE_KEY_ARN, evidenceWritten, lambdaServiceError, rpArn, runDrill, RunOptions, TOKEN_TABLE, withFakeAws } from './drill-harness';
import { FakeAws } from './fake-aws';
import { aslOf, drillStack, ENV } from './helpers';
import { join } from 'node:path';

const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/hr-employees`;

// One app, synthesized once: a drill per variant, each in its own stack.
const app = new App();
function machine(id: string, extra: Partial<DrillTargetProps> = {}, validator?: (s: Stack) => lambda.IFunction) {
  const stack = new Stack(app, id, { env: ENV });
  const key = new kms.Key(stack, 'Key');
  const drill = new RestoreDrill(stack, 'Drill', {
    targets: [
      DrillTarget.of({
        name: 'employees',
        resourceType: DrillResourceType.DYNAMODB,
        resourceArn: TABLE,
        backupVaultName: 'data-vault',
        rto: Duration.hours(4),
        rpo: Duration.hours(1),
        interval: Duration.days(30),
        ...extra,
      }),
    ],
    evidenceKey: key,
    alarmTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
    validator: validator?.(stack),
    schedule: false,
  });
  return () => ({ asl: aslOf(Template.fromStack(stack)), input: JSON.parse(JSON.stringify(stack.resolve(drill.executionInput()))) });
}

const variants = {
  dynamo: machine('Dynamo'),
  chosen: machine('Chosen', { recoveryPointArn: rpArn('chosen') }),
  s3: machine('Bucket', { resourceType: DrillResourceType.S3, resourceArn: 'arn:aws:s3:::hr-documents' }),
  aurora: machine('Aurora', { resourceType: DrillResourceType.AURORA, resourceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:hr-payroll` }),
  ebs: machine('Volume', { resourceType: DrillResourceType.EBS, resourceArn: `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-prod` }),
  custom: machine('Custom', {}, (s) => new lambda.Function(s, 'MyValidator', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({ message: "looks fine" })') })),
};
const multi = drillStack({ schedule: false }, app);
const [dynamo, chosen, s3Drill, aurora, ebs, custom] = [variants.dynamo(), variants.chosen(), variants.s3(), variants.aurora(), variants.ebs(), variants.custom()];

let aws: FakeAws;
withFakeAws((a) => (aws = a));

const STACK_FRAME = /\bat\s+\S+\s+\(|\.js:\d+:\d+|"trace"/;

/**
 * The outcome of a drill run: final execution status, the one evidence record (with error name and
 * message only), the notification, cleanup and metrics.
 */
async function drill(options: RunOptions = {}, run = dynamo) {
  const r = await runDrill(run.asl, run.input, options);
  const evidence = evidenceWritten(aws);
  const notifications = r.calls[S.NOTIFY] ?? [];
  const metrics = (r.calls[S.METRICS] ?? [])[0]?.MetricData ?? [];
  const metric = (name: string) => metrics.find((m: any) => m.MetricName === name)?.Value;
  return { ...r, evidence, record: evidence[0]?.record, notifications, metric };
}

function expectEnded(r: Awaited<ReturnType<typeof drill>>, status: string, execution: { status?: 'SUCCEEDED' | 'FAILED'; error?: string } = {}) {
  const succeeded = status === 'SUCCEEDED' && (execution.status ?? 'SUCCEEDED') === 'SUCCEEDED';
  // Evidence: one record, encrypted with the evidence key, naming the status, no stack trace.
  expect(r.evidence).toHaveLength(1);
  expect(r.evidence[0]).toMatchObject({ key: expect.stringMatching(/^drills\/employees\/\d{4}-\d{2}-\d{2}\/drill-employees-[0-9a-f]{8}\.json$/), sse: 'aws:kms', kmsKey: EVIDENCE_KEY_ARN });
  expect(r.record.status).toBe(status);
  expect(JSON.stringify(r.record)).not.toMatch(STACK_FRAME);
  // Notification attempted, with the status and no stack trace.
  expect(r.notifications.length).toBeGreaterThanOrEqual(1);
  expect(r.notifications[0].Subject).toBe(`Restore drill ${status}: employees`);
  expect(r.notifications[0].Message).not.toMatch(STACK_FRAME);
  // Cleanup invoked; metrics published.
  expect(r.calls[S.CLEANUP]?.length).toBeGreaterThanOrEqual(1);
  expect(r.metric('DrillSucceeded')).toBe(status === 'SUCCEEDED' ? 1 : 0);
  expect(r.metric('DrillFailed')).toBe(status === 'SUCCEEDED' ? 0 : 1);
  if (succeeded) {
    expect(r.result.status).toBe('SUCCEEDED');
  } else {
    expect(r.result.status).toBe('FAILED');
    expect(r.result.error).toBe(JSON.stringify([execution.error ?? status]));
    expect(r.result.cause).not.toMatch(STACK_FRAME);
  }
}

const checksOf = (r: Awaited<ReturnType<typeof drill>>) => Object.fromEntries((r.record.validation?.checks ?? []).map((c: any) => [c.name, c]));

test('success: the newest restorable snapshot across pages is restored under a drill- name, compared with its source, cleaned up, recorded and notified', async () => {
  const r = await drill();
  expectEnded(r, 'SUCCEEDED');
  // Recovery point (7): both pages read; the continuous point, the CREATING one and the older snapshot skipped.
  expect(aws.callsOf('backup.ListRecoveryPointsByBackupVault')).toEqual([
    expect.objectContaining({ BackupVaultName: 'data-vault', ByResourceArn: TABLE, MaxResults: 1000, NextToken: undefined }),
    expect.objectContaining({ NextToken: 'page-2' }),
  ]);
  const start = r.calls[S.START][0];
  expect(start.RecoveryPointArn).toBe(rpArn('snap-new'));
  expect(start.Metadata.targetTableName).toMatch(/^drill-employees-[0-9a-f]{8}$/);
  expect(start.Metadata.tableName).toBe('hr-employees'); // recorded metadata kept, name overridden
  expect(r.record.recoveryPoint).toMatchObject({ arn: rpArn('snap-new'), createdAt: clock.at(-30), backupSizeInBytes: 2_400_000 });
  // Validation compared the copy with the source's item count, and reported to AWS Backup.
  expect(checksOf(r).itemsComparedWithSource).toMatchObject({ passed: true, detail: expect.stringContaining('1200 item(s) restored, the source has 1200') });
  expect(aws.callsOf('dynamodb.DescribeTable').map((c) => c.TableName)).toEqual([start.Metadata.targetTableName, 'hr-employees']);
  expect(aws.callsOf('backup.PutRestoreValidationResult')[0]).toMatchObject({ RestoreJobId: 'job-1', ValidationStatus: 'SUCCESSFUL' });
  // Cleanup deleted exactly the copy.
  expect(aws.callsOf('dynamodb.DeleteTable')).toEqual([{ TableName: start.Metadata.targetTableName }]);
  expect(r.record.cleanup.status).toBe('DELETED');
  expect(r.record.rto).toEqual({ measuredSeconds: 42 * 60, objectiveSeconds: 4 * 3600, met: true });
  expect(r.record.rpo).toEqual({ measuredSeconds: 30 * 60, objectiveSeconds: 3600, met: true });
  expect(aws.callsOf('s3.PutObject').map((p) => p.Key)).toContain('latest-success/employees.json');
  expect(r.metric('RestoreTimeSeconds')).toBe(42 * 60);
  expect((r.result as any).output.results[0]).toMatchObject({ target: 'employees', status: 'SUCCEEDED', ok: true });
});

describe('7: the recovery point is chosen by CreationDate, snapshots only', () => {
  test('a vault holding only the continuous point and unfinished snapshots has nothing to restore: NO_RECOVERY_POINT', async () => {
    aws.on('backup.ListRecoveryPointsByBackupVault', {
      RecoveryPoints: [
        { RecoveryPointArn: rpArn('continuous:table-hr-1a2b'), Status: 'COMPLETED', CreationDate: '2024-12-01T09:00:00.000Z' },
        { RecoveryPointArn: rpArn('snap-partial'), Status: 'PARTIAL', CreationDate: '2024-12-31T08:00:00.000Z' },
      ],
    });
    const r = await drill();
    expect(r.calls[S.START]).toBeUndefined();
    expectEnded(r, 'NO_RECOVERY_POINT');
    expect(r.record.reason).toContain('2 listed: 1 continuous, 1 not restorable');
    expect(r.record.cleanup.status).toBe('NOTHING_TO_DELETE');
  });

  test('a chosen recovery point is described, not listed, and restored', async () => {
    aws.on('backup.DescribeRecoveryPoint', { RecoveryPointArn: rpArn('chosen'), Status: 'AVAILABLE', CreationDate: '2025-01-01T09:45:00.000Z', BackupSizeInBytes: 10 });
    const r = await drill({}, chosen);
    expect(aws.callsOf('backup.ListRecoveryPointsByBackupVault')).toEqual([]);
    expect(aws.callsOf('backup.DescribeRecoveryPoint')).toEqual([{ BackupVaultName: 'data-vault', RecoveryPointArn: rpArn('chosen') }]);
    expect(r.calls[S.START][0].RecoveryPointArn).toBe(rpArn('chosen'));
    expectEnded(r, 'SUCCEEDED');
  });
});

describe('8a: a notification that cannot be sent fails the execution, after the evidence is written', () => {
  test('SNS publish fails on every retry: evidence SUCCEEDED, execution FAILED with NOTIFICATION_FAILED', async () => {
    const r = await drill({ sdk: { [S.NOTIFY]: () => { throw Object.assign(new Error('User is not authorized to perform SNS:Publish (Service: Sns, Status Code: 403)'), { name: 'SNS.AuthorizationErrorException' }); } } });
    expect(r.calls[S.NOTIFY]).toHaveLength(4); // the first attempt and three retries
    expectEnded(r, 'SUCCEEDED', { status: 'FAILED', error: 'NOTIFICATION_FAILED' });
    const [result] = JSON.parse(r.result.cause!);
    expect(result).toMatchObject({ target: 'employees', status: 'NOTIFICATION_FAILED', drillStatus: 'SUCCEEDED', ok: false, reason: expect.stringContaining('SNS.AuthorizationErrorException') });
  });

  test('a throttled publish is retried and the drill succeeds', async () => {
    let n = 0;
    const r = await drill({ sdk: { [S.NOTIFY]: () => { if (n++ < 2) throw Object.assign(new Error('Rate exceeded'), { name: 'SNS.ThrottledException' }); return { MessageId: 'm' }; } } });
    expect(r.calls[S.NOTIFY]).toHaveLength(3);
    expectEnded(r, 'SUCCEEDED');
  });

  test('metrics that cannot be published fail the execution too (the RTO alarm would not see the drill)', async () => {
    const r = await drill({ sdk: { [S.METRICS]: () => { throw Object.assign(new Error('Rate exceeded'), { name: 'CloudWatch.LimitExceededException' }); } } });
    expect(r.calls[S.NOTIFY]).toHaveLength(1);
    expect(r.evidence).toHaveLength(1);
    expect(r.result).toMatchObject({ status: 'FAILED', error: '["METRICS_FAILED"]' });
  });
});

describe('8b: the default validator compares the copy with its source', () => {
  test('DynamoDB: 3 of 1,200 items restored is VALIDATION_FAILED', async () => {
    dynamoDbWorld(aws, { restoredItems: 3 });
    const r = await drill();
    expectEnded(r, 'VALIDATION_FAILED');
    expect(checksOf(r).itemsComparedWithSource).toMatchObject({ passed: false, detail: expect.stringContaining('3 item(s) restored, the source has 1200: expected at least 1080 (tolerance 10%') });
    expect(checksOf(r).itemCount.passed).toBe(true); // minItems (1) alone would have accepted it
    expect(aws.callsOf('backup.PutRestoreValidationResult')[0].ValidationStatus).toBe('FAILED');
  });

  test('DynamoDB: within the documented tolerance (10%) passes', async () => {
    dynamoDbWorld(aws, { restoredItems: 1100, sourceItems: 1200 });
    expectEnded(await drill(), 'SUCCEEDED');
  });

  test('S3: 2 of 50 objects restored is VALIDATION_FAILED on count and bytes', async () => {
    const objects = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `doc-${i}.pdf`, Size: 1000 }));
    aws.on('s3.ListObjectsV2', (i: any) => ({ Contents: i.Bucket === 'hr-documents' ? objects(50) : objects(2) }));
    aws.on('s3.GetObject', { Body: 'x'.repeat(1000) });
    aws.on('s3.ListObjectVersions', (i: any) => ({ Versions: objects(2).map((o) => ({ Key: o.Key, VersionId: 'v1' })), Name: i.Bucket }));
    aws.on('s3.DeleteObjects', {});
    aws.on('s3.DeleteBucket', {});
    const r = await drill({ resourceType: 'S3', job: { createdResourceArn: 'arn:aws:s3:::drill-employees-x' } }, s3Drill);
    expectEnded(r, 'VALIDATION_FAILED');
    expect(checksOf(r).objectsComparedWithSource).toMatchObject({ passed: false, detail: expect.stringContaining('2 object(s) restored, the source has 50: expected at least 45') });
    expect(checksOf(r).bytesComparedWithSource).toMatchObject({ passed: false, detail: expect.stringContaining('2000 byte(s) restored, the source has 50000') });
    expect(aws.callsOf('s3.DeleteBucket')).toEqual([{ Bucket: r.calls[S.START][0].Metadata.DestinationBucketName }]);
  });

  test('Aurora without sqlQuery: a default data check by describe calls against the source cluster', async () => {
    aws.on('rds.DescribeDBClusters', (i: any) => ({
      DBClusters: [
        i.DBClusterIdentifier === 'hr-payroll'
          ? { DBClusterIdentifier: 'hr-payroll', Status: 'available', Engine: 'aurora-postgresql', AllocatedStorage: 200, StorageEncrypted: true }
          : { DBClusterIdentifier: i.DBClusterIdentifier, DBClusterArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:${i.DBClusterIdentifier}`, Status: 'available', Engine: 'aurora-postgresql', AllocatedStorage: 12, StorageEncrypted: true, DeletionProtection: false, DBClusterMembers: [] },
      ],
    }));
    aws.on('rds.DeleteDBCluster', (i: any) => ({ DBCluster: { DBClusterIdentifier: i.DBClusterIdentifier, Status: 'deleting' } }));
    const r = await drill({ resourceType: 'Aurora', job: { createdResourceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:drill-employees-x` } }, aurora);
    expectEnded(r, 'VALIDATION_FAILED');
    expect(checksOf(r).engineMatchesSource.passed).toBe(true);
    expect(checksOf(r).storageComparedWithSource).toMatchObject({ passed: false, detail: expect.stringContaining('12 GiB restored, the source has 200: expected at least 180') });
    expect(aws.callsOf('rds.DeleteDBCluster')).toEqual([expect.objectContaining({ DBClusterIdentifier: expect.stringMatching(/^drill-employees-/), SkipFinalSnapshot: 'true' })]);
  });

  test('a source that cannot be read fails the comparison instead of passing it', async () => {
    aws.on('dynamodb.DescribeTable', (i: any) => {
      if (i.TableName === 'hr-employees') throw new AwsError('AccessDeniedException', 'not authorized to perform dynamodb:DescribeTable');
      return { Table: { TableName: i.TableName, TableStatus: 'ACTIVE' } };
    });
    const r = await drill();
    expectEnded(r, 'VALIDATION_FAILED');
    expect(checksOf(r).itemsComparedWithSource).toMatchObject({ passed: false, detail: expect.stringContaining('cannot compare with the source') });
  });
});

describe('8c: Lambda throttling is retried with backoff on every Lambda task', () => {
  test('every Lambda task retries TooManyRequests, ServiceException and SdkClientException', () => {
    const states = dynamo.asl.States[S.MAP].ItemProcessor.States;
    for (const state of Object.keys(BUNDLED)) {
      const errors = states[state].Retry.flatMap((r: any) => r.ErrorEquals);
      expect({ state, errors }).toEqual({ state, errors: expect.arrayContaining(['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.SdkClientException']) });
      const throttle = states[state].Retry.find((r: any) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
      // 20 s doubling to 5 min, 8 retries: 25 min, longer than one invocation (15 min) of an overlapping execution.
      expect(throttle).toMatchObject({ IntervalSeconds: 20, BackoffRate: 2, MaxDelaySeconds: 300, MaxAttempts: 8 });
    }
  });

  test('throttled finder, validator, cleanup and evidence writer: retried, the drill succeeds', async () => {
    const throttled = () => [lambdaServiceError(), lambdaServiceError()];
    const r = await drill({ lambdaFaults: Object.fromEntries(Object.keys(BUNDLED).map((s) => [s, throttled()])) });
    for (const state of Object.keys(BUNDLED)) expect({ state, n: r.calls[state].length }).toEqual({ state, n: 3 });
    expectEnded(r, 'SUCCEEDED');
  });

  test('a validator throttled past its retries: VALIDATION_ERROR with the error name, copy still deleted', async () => {
    const r = await drill({ lambdaFaults: { [S.VALIDATE]: Array.from({ length: 9 }, () => lambdaServiceError()) } });
    expect(r.calls[S.VALIDATE]).toHaveLength(9);
    expectEnded(r, 'VALIDATION_ERROR');
    expect(r.record.error).toEqual({ name: 'Lambda.TooManyRequestsException', message: expect.stringContaining('Rate Exceeded.') });
    expect(aws.callsOf('dynamodb.DeleteTable')).toHaveLength(1);
  });
});

describe('8d: a missing optional field ends with evidence, notification and cleanup, never States.Runtime', () => {
  test('an empty vault (no RecoveryPoints at all): NO_RECOVERY_POINT', async () => {
    aws.on('backup.ListRecoveryPointsByBackupVault', {});
    expectEnded(await drill(), 'NO_RECOVERY_POINT');
  });

  test('a COMPLETED restore without CreatedResourceArn: the validator gets no ARN and checks the drill- table by name', async () => {
    const r = await drill({ job: { createdResourceArn: null } });
    expect(r.calls[S.VALIDATE][0]).not.toHaveProperty('createdResourceArn');
    expectEnded(r, 'SUCCEEDED');
  });

  test('EBS: a COMPLETED restore without CreatedResourceArn cannot be tagged or checked: STEP_FAILED', async () => {
    const r = await drill({ resourceType: 'EBS', job: { createdResourceArn: null } }, ebs);
    expect(r.calls[S.TAG_VOLUME]).toBeUndefined();
    expectEnded(r, 'STEP_FAILED');
    expect(r.record.reason).toContain('COMPLETED without a CreatedResourceArn');
  });

  test("a custom validator's result without a boolean 'valid': VALIDATION_ERROR", async () => {
    const r = await drill({ functions: { [S.VALIDATE]: async () => ({ message: 'looks fine' }) } }, custom);
    expectEnded(r, 'VALIDATION_ERROR');
    expect(r.record.reason).toContain("the validator returned no boolean 'valid'");
    expect(r.record.validation).toMatchObject({ error: 'MalformedResult' });
  });

  test('restore metadata without RestoreMetadata, or a start without RestoreJobId: STEP_FAILED', async () => {
    const noMetadata = await drill({ sdk: { [S.METADATA]: (i: any) => ({ RecoveryPointArn: i.RecoveryPointArn }) } });
    expect(noMetadata.calls[S.START]).toBeUndefined();
    expectEnded(noMetadata, 'STEP_FAILED');
    aws.reset();
    dynamoDbWorld(aws);
    const noJobId = await drill({ sdk: { [S.START]: () => ({}) } });
    expect(noJobId.calls[S.WAIT]).toBeUndefined();
    expectEnded(noJobId, 'STEP_FAILED');
    expect(noJobId.record.reason).toContain('StartRestoreJob returned no RestoreJobId');
  });
});

describe('8e: a timed-out restore is still deleted, and its RTO reaches the alarm', () => {
  const never = { polls: Infinity };

  test('the RTO metric is published at the timeout; the job ends later, its copy is deleted, the evidence has the real RTO', async () => {
    const r = await drill({ job: { ...never, seconds: 20 * 3600 } });
    // The first wait (firstPoll), then waits of poll.every until the job is older than the restore timeout.
    const { first, every } = dynamo.input.targets[0].poll;
    expect(r.calls[S.WAIT]).toHaveLength(1);
    // The last wait registers at the timeout itself and resumes at once with the job still RUNNING.
    expect(r.calls[S.WAIT_AGAIN]).toHaveLength(Math.ceil((8 * 3600 - first) / every) + 1);
    expect(r.restoreEvents.virtualSeconds).toBe(8 * 3600);
    expect(r.restoreEvents.registered.at(-1)).toMatchObject({ resumed: true, status: 'RUNNING', reason: expect.stringContaining('after the restore timeout (28800 seconds)') });
    expect(r.calls[S.TIMEOUT_METRICS][0].MetricData).toEqual([
      { MetricName: 'RestoreTimeSeconds', Value: 8 * 3600, Unit: 'Seconds', Dimensions: [{ Name: 'Target', Value: 'employees' }] },
      { MetricName: 'RtoExceeded', Value: 1, Unit: 'Count', Dimensions: [{ Name: 'Drill', Value: 'Dynamo/Drill' }] },
    ]);
    expect(r.calls[S.DRAIN_DESCRIBE]).toHaveLength(1);
    expect(aws.callsOf('dynamodb.DeleteTable')).toHaveLength(1);
    expectEnded(r, 'RESTORE_TIMED_OUT');
    expect(r.record.cleanup.status).toBe('DELETED');
    expect(r.record.rto).toEqual({ measuredSeconds: 20 * 3600, objectiveSeconds: 4 * 3600, met: false });
    expect(r.metric('RtoExceeded')).toBe(1);
  });

  test('still running after as long again: cleanup reports the pending copy, CleanupFailed=1, the RTO is a lower bound', async () => {
    aws.fails('dynamodb.DeleteTable', 'ResourceNotFoundException', 'Requested resource not found', 400);
    const running = () => ({ RestoreJobId: 'job-1', Status: 'RUNNING', CreationDate: clock.at(0) });
    const r = await drill({ job: never, sdk: { [S.DRAIN_DESCRIBE]: running } });
    expect(r.calls[S.DRAIN_DESCRIBE]).toHaveLength(dynamo.input.targets[0].poll.drainLast + 1);
    expectEnded(r, 'RESTORE_TIMED_OUT');
    expect(r.record.cleanup.status).toBe('RESTORE_STILL_RUNNING');
    expect(r.record.reason).toMatch(/the next drill of employees deletes drill-employees-[0-9a-f]{8} once it exists/);
    expect(r.record.rto).toEqual({ measuredSeconds: 8 * 3600, lowerBound: true, met: false, objectiveSeconds: 4 * 3600 });
    expect(r.metric('CleanupFailed')).toBe(1);
  });

  test('EBS: a volume that appears after the timeout is tagged, then deleted by the tag-only cleanup role', async () => {
    aws.on('ec2.DeleteVolume', {});
    const r = await drill({ resourceType: 'EBS', job: { ...never, createdResourceArn: `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-0late` } }, ebs);
    expect(r.calls[S.TAG_VOLUME_LATE]).toEqual([{ Resources: ['vol-0late'], Tags: [{ Key: 'data-protection:drill', Value: expect.stringMatching(/^drill-employees-/) }] }]);
    expect(aws.callsOf('ec2.DeleteVolume')).toEqual([{ VolumeId: 'vol-0late' }]);
    expectEnded(r, 'RESTORE_TIMED_OUT');
  });

  describe('the next drill of the target sweeps what a timed-out restore left', () => {
    const days = (n: number) => clock.at(-n * 24 * 60);
    /** The restore role the drill passes to the sweep (its restore jobs' IamRoleArn). */
    const restoreRoleOf = (run: { asl: any }): string => {
      const find = (node: any): any =>
        node && typeof node === 'object' ? (node.States?.[S.SWEEP] ?? Object.values(node).map(find).find((x) => x !== undefined)) : undefined;
      const state = find(run.asl);
      return (state.Parameters.Payload ?? state.Parameters).restoreRoleArn;
    };
    /** ListRestoreJobs: the given copies were created by restore jobs of `role`. */
    const restoredBy = (role: string, ...createdResourceArns: string[]) =>
      aws.on('backup.ListRestoreJobs', { RestoreJobs: createdResourceArns.map((arn, i) => ({ RestoreJobId: `old-${i}`, IamRoleArn: role, CreatedResourceArn: arn, Status: 'COMPLETED' })) });
    /** DescribeTable with creation times (epoch seconds on the wire): the source, and each table named in `created`. */
    const tablesCreated = (created: { [name: string]: string }) =>
      aws.on('dynamodb.DescribeTable', (i: any) => ({
        Table: { TableName: i.TableName, TableArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${i.TableName}`, TableStatus: 'ACTIVE', ItemCount: i.TableName === 'hr-employees' ? 1200 : 0, TableSizeBytes: 2_400_000, ...(created[i.TableName] ? { CreationDateTime: Date.parse(created[i.TableName]) / 1000 } : {}) },
      }));

    test("a previous run's copy that appeared after its drill is deleted by the next run; other targets' copies and young copies are not touched", async () => {
      // Run 1: the restore outlives the drill; its copy does not exist yet at cleanup.
      aws.fails('dynamodb.DeleteTable', 'ResourceNotFoundException', 'Requested resource not found', 400);
      const running = () => ({ RestoreJobId: 'job-1', Status: 'RUNNING', CreationDate: clock.at(0) });
      const first = await drill({ job: never, sdk: { [S.DRAIN_DESCRIBE]: running } });
      const leftover = first.record.drillName;
      expect(first.record.cleanup.status).toBe('RESTORE_STILL_RUNNING');
      expect(first.record.reason).toContain(`the next drill of employees deletes ${leftover} once it exists`);

      // Run 2, days later: the copy exists now, next to copies of other targets and of a drill that may still run.
      aws.reset();
      dynamoDbWorld(aws);
      const others = ['drill-employees-archive-0a1b2c3d', 'drill-hr-0a1b2c3d', 'drill-employees-0a1b2c3d-x', 'employees-0a1b2c3d', 'drill-employees-ZZZZZZZZ'];
      const young = 'drill-employees-9f8e7d6c';
      aws.on('dynamodb.ListTables', (i: any) =>
        i.ExclusiveStartTableName ? { TableNames: [young, ...others] } : { TableNames: ['hr-employees', leftover], LastEvaluatedTableName: leftover },
      );
      tablesCreated({ [leftover]: days(3), [young]: clock.at(-60) });
      restoredBy(restoreRoleOf(dynamo), `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${leftover}`);
      const r = await drill();
      expectEnded(r, 'SUCCEEDED');
      // The sweep ran before the restore, with the target and this drill's name.
      expect(r.calls[S.SWEEP]).toEqual([{ sweep: true, drillName: r.record.drillName, restoreRoleArn: restoreRoleOf(dynamo), target: expect.objectContaining({ name: 'employees', resourceType: 'DynamoDB', restoreTimeoutSeconds: 8 * 3600 }) }]);
      expect(aws.callsOf('backup.ListRestoreJobs')).toEqual([{ ByResourceType: 'DynamoDB' }]);
      expect(aws.callsOf('dynamodb.ListTables')).toEqual([{}, { ExclusiveStartTableName: leftover }]);
      // Deleted: the leftover (sweep) and this drill's own copy (cleanup), nothing else; other targets' tables never even described.
      expect(aws.callsOf('dynamodb.DeleteTable').map((c) => c.TableName)).toEqual([leftover, r.record.drillName]);
      expect(aws.callsOf('dynamodb.DescribeTable').map((c) => c.TableName).filter((n: string) => others.includes(n))).toEqual([]);
      expect(r.record.sweep).toEqual({ deleted: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${leftover}`], failed: [], skipped: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${young}`] });
      expect(r.metric('CleanupFailed')).toBe(0);
      expect(r.notifications[0].Message).toContain('leftovers of earlier drills deleted 1, NOT deleted 0');
    });

    test('EBS: only volumes carrying the drill tag of this target are deleted; untagged volumes and other targets\' volumes are not', async () => {
      aws.on('ec2.DeleteVolume', {});
      const old = days(10);
      // Answers every volume, as if the tag filter were ignored: the handler checks the tag itself.
      aws.on('ec2.DescribeVolumes', (i: any) =>
        i['VolumeId.1']
          ? { Volumes: [] }
          : { Volumes: [
              { VolumeId: 'vol-0leftover', State: 'available', CreateTime: old, Tags: [{ Key: 'data-protection:drill', Value: 'drill-employees-0a1b2c3d' }] },
              { VolumeId: 'vol-0untagged', State: 'available', CreateTime: old },
              { VolumeId: 'vol-0named', State: 'available', CreateTime: old, Tags: [{ Key: 'Name', Value: 'drill-employees-0a1b2c3d' }] },
              { VolumeId: 'vol-0other', State: 'available', CreateTime: old, Tags: [{ Key: 'data-protection:drill', Value: 'drill-employees-archive-0a1b2c3d' }] },
            ] },
      );
      restoredBy(restoreRoleOf(ebs), `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-0leftover`);
      const r = await drill({ resourceType: 'EBS', job: { ...never, createdResourceArn: `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-0late` } }, ebs);
      expect(aws.callsOf('ec2.DescribeVolumes')[0]).toEqual({ 'Filter.1.Name': 'tag:data-protection:drill', 'Filter.1.Value.1': 'drill-employees-*' });
      expect(aws.callsOf('ec2.DeleteVolume')).toEqual([{ VolumeId: 'vol-0leftover' }, { VolumeId: 'vol-0late' }]);
      expect(r.record.sweep).toEqual({ deleted: ['vol-0leftover'], failed: [] });
      expectEnded(r, 'RESTORE_TIMED_OUT');
    });

    test('S3: the leftover bucket of this target in this region is emptied and deleted; another target\'s is not', async () => {
      aws.on('s3.ListBuckets', { Buckets: [{ Name: 'drill-employees-0a1b2c3d', CreationDate: days(5) }, { Name: 'drill-employees-archive-0a1b2c3d', CreationDate: days(5) }] });
      aws.on('s3.ListObjectVersions', { Versions: [{ Key: 'doc-1.pdf', VersionId: 'v1' }] });
      aws.on('s3.DeleteObjects', {});
      aws.on('s3.DeleteBucket', {});
      aws.on('s3.ListObjectsV2', { Contents: [] });
      restoredBy(restoreRoleOf(s3Drill), 'arn:aws:s3:::drill-employees-0a1b2c3d');
      const r = await drill({ resourceType: 'S3', job: { final: 'FAILED' } }, s3Drill);
      expect(aws.callsOf('s3.ListBuckets')).toEqual([{ Prefix: 'drill-employees-', MaxBuckets: 1000 }]);
      expect(aws.callsOf('s3.DeleteBucket').map((c) => c.Bucket)).toEqual(['drill-employees-0a1b2c3d', r.record.drillName]);
      expect(r.record.sweep).toEqual({ deleted: ['arn:aws:s3:::drill-employees-0a1b2c3d'], failed: [] });
      expectEnded(r, 'RESTORE_FAILED');
    });

    test('provenance decides, not the name or tag: a look-alike not created by this drill\'s restore jobs is never deleted; unknown provenance deletes nothing', async () => {
      const lookAlike = 'drill-employees-0a1b2c3d';
      const lookAlikeArn = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${lookAlike}`;
      aws.on('dynamodb.ListTables', { TableNames: ['hr-employees', lookAlike] });
      tablesCreated({ [lookAlike]: days(30) });
      // Restored, but by another role (another drill, or someone's own restore): not ours.
      restoredBy(`arn:aws:iam::${ACCOUNT}:role/someone-else`, lookAlikeArn);
      const r = await drill();
      expectEnded(r, 'SUCCEEDED');
      expect(aws.callsOf('dynamodb.DeleteTable').map((c) => c.TableName)).toEqual([r.record.drillName]);
      expect(r.record.sweep).toEqual({ deleted: [], failed: [], skipped: [lookAlikeArn] });

      // ListRestoreJobs denied: provenance unknown, nothing is deleted, the failure is recorded.
      aws.reset();
      dynamoDbWorld(aws);
      aws.on('dynamodb.ListTables', { TableNames: ['hr-employees', lookAlike] });
      tablesCreated({ [lookAlike]: days(30) });
      aws.fails('backup.ListRestoreJobs', 'AccessDeniedException', 'not authorized to perform: backup:ListRestoreJobs', 400);
      const denied = await drill();
      expectEnded(denied, 'SUCCEEDED');
      expect(aws.callsOf('dynamodb.DeleteTable').map((c) => c.TableName)).toEqual([denied.record.drillName]);
      expect(denied.record.sweep.failed).toEqual([{ resource: lookAlikeArn, error: 'AccessDeniedException', message: 'not authorized to perform: backup:ListRestoreJobs' }]);
      expect(denied.metric('CleanupFailed')).toBe(1);
    });

    test("a sweep that fails keeps the drill's result: evidence sweep.failed, CleanupFailed=1, notified", async () => {
      const leftover = 'drill-employees-0a1b2c3d';
      aws.on('dynamodb.ListTables', { TableNames: ['hr-employees', leftover] });
      tablesCreated({ [leftover]: days(3) });
      aws.on('dynamodb.DeleteTable', (i: any) => {
        if (i.TableName === leftover) throw new AwsError('AccessDeniedException', 'not authorized to perform: dynamodb:DeleteTable', 400);
        return { TableDescription: { TableName: i.TableName, TableStatus: 'DELETING' } };
      });
      restoredBy(restoreRoleOf(dynamo), `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${leftover}`);
      const r = await drill();
      expectEnded(r, 'SUCCEEDED');
      expect(r.record.sweep).toEqual({ deleted: [], failed: [{ resource: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${leftover}`, error: 'AccessDeniedException', message: 'not authorized to perform: dynamodb:DeleteTable' }] });
      expect(r.record.reason).toContain(`leftovers of earlier drills NOT deleted: arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${leftover} (AccessDeniedException`);
      expect(r.metric('CleanupFailed')).toBe(1);
      expect(r.notifications[0].Message).toContain('NOT deleted 1');

      // Listing denied: recorded the same way.
      aws.reset();
      dynamoDbWorld(aws);
      aws.fails('dynamodb.ListTables', 'AccessDeniedException', 'not authorized to perform: dynamodb:ListTables', 400);
      const denied = await drill();
      expectEnded(denied, 'SUCCEEDED');
      expect(denied.record.sweep.failed).toEqual([{ resource: 'drill-employees-* (DynamoDB)', error: 'AccessDeniedException', message: 'not authorized to perform: dynamodb:ListTables' }]);
      expect(denied.metric('CleanupFailed')).toBe(1);
    });

    test('the sweep function failing as a whole (throttled past its retries): the drill still runs, the error is in the evidence', async () => {
      const r = await drill({ lambdaFaults: { [S.SWEEP]: Array.from({ length: 9 }, () => lambdaServiceError()) } });
      expect(r.calls[S.SWEEP]).toHaveLength(9);
      expectEnded(r, 'SUCCEEDED');
      expect(r.record.sweep).toEqual({ deleted: [], failed: [{ resource: 'employees leftovers', error: 'Lambda.TooManyRequestsException', message: expect.stringContaining('Rate Exceeded') }] });
      expect(r.metric('CleanupFailed')).toBe(1);
    });

    test('the cleanup role lists only what the drilled types need, one action per type, and deletes nothing through that statement', () => {
      const statementOf = (stackId: string) =>
        Object.values(Template.fromStack(app.node.findChild(stackId) as Stack).findResources('AWS::IAM::Policy'))
          .flatMap((p) => p.Properties.PolicyDocument.Statement)
          .find((st: any) => st.Sid === 'ListDrillLeftovers');
      expect(statementOf('Dynamo')).toEqual({ Sid: 'ListDrillLeftovers', Effect: 'Allow', Action: ['backup:ListRestoreJobs', 'dynamodb:ListTables'], Resource: '*' });
      expect(statementOf('Volume')).toEqual({ Sid: 'ListDrillLeftovers', Effect: 'Allow', Action: ['backup:ListRestoreJobs', 'ec2:DescribeVolumes'], Resource: '*' });
      expect(statementOf('Bucket')).toEqual({ Sid: 'ListDrillLeftovers', Effect: 'Allow', Action: ['backup:ListRestoreJobs', 's3:ListAllMyBuckets'], Resource: '*' });
      expect(statementOf('Aurora')).toEqual({ Sid: 'ListDrillLeftovers', Effect: 'Allow', Action: ['backup:ListRestoreJobs', 'rds:DescribeDBClusters'], Resource: '*' });
    });
  });
});

describe('8f: evidence and notifications carry error names and messages, never stack traces', () => {
  test('a validator that throws: its name and message, not the Lambda error payload', async () => {
    aws.fails('dynamodb.DescribeTable', 'AccessDeniedException', 'User is not authorized to perform: dynamodb:DescribeTable on drill table');
    const r = await drill();
    // The Lambda task error really carries the trace (Cause = {"errorType","errorMessage","trace"}).
    const failed = r.result.events.find((e: any) => e.type === 'StateFailed' && e.state.name === S.VALIDATE);
    expect(failed.Cause).toMatch(STACK_FRAME);
    expectEnded(r, 'VALIDATION_ERROR');
    expect(r.record.error).toEqual({ name: 'AccessDeniedException', message: 'User is not authorized to perform: dynamodb:DescribeTable on drill table' });
    expect(r.record.reason).toBe('the validator failed: AccessDeniedException: User is not authorized to perform: dynamodb:DescribeTable on drill table');
    expect(r.notifications[0].Message).toContain('AccessDeniedException: User is not authorized');
  });

  test('an AWS API step that fails (StartRestoreJob): STEP_FAILED with the service error', async () => {
    const r = await drill({ sdk: { [S.START]: () => { throw Object.assign(new Error('Invalid restore metadata (Service: Backup, Status Code: 400, Request ID: 1f2e)'), { name: 'Backup.InvalidParameterValueException' }); } } });
    expect(r.calls[S.START]).toHaveLength(4);
    expectEnded(r, 'STEP_FAILED');
    expect(r.record.error).toEqual({ name: 'Backup.InvalidParameterValueException', message: 'Invalid restore metadata (Service: Backup, Status Code: 400, Request ID: 1f2e)' });
  });

  test('the evidence function crashing: the failure notification has the error name and message only', async () => {
    const crash = () => Object.assign(new Error(JSON.stringify({ errorType: 'TypeError', errorMessage: "Cannot read properties of undefined (reading 'slice')", trace: ['TypeError: boom', '    at handler (/var/task/index.js:1:234)'] })), { name: 'TypeError' });
    const r = await drill({ lambdaFaults: { [S.EVIDENCE]: [crash()] } });
    expect(r.calls[S.CLEANUP]).toHaveLength(1);
    expect(r.calls[S.NOTIFY_EVIDENCE_FAILED]).toHaveLength(1);
    const message = r.calls[S.NOTIFY_EVIDENCE_FAILED][0].Message;
    expect(message).toMatch(/^Restore drill drill-employees-[0-9a-f]{8} of employees could not write its evidence record: TypeError: Cannot read properties of undefined \(reading 'slice'\)$/);
    expect(r.result).toMatchObject({ status: 'FAILED', error: '["EVIDENCE_FAILED"]' });
    expect(r.result.cause).not.toMatch(STACK_FRAME);
  });
});

describe('every other path ends with evidence, a notification and cleanup', () => {
  test('restore job FAILED: RESTORE_FAILED with the job message, whatever it created deleted', async () => {
    const r = await drill({ job: { final: 'FAILED' } });
    expect(r.calls[S.VALIDATE]).toBeUndefined();
    expectEnded(r, 'RESTORE_FAILED');
    expect(r.record.reason).toBe('the restore job ended FAILED or ABORTED: Access denied to KMS key');
  });

  test('cleanup fails (after its retries): CLEANUP_FAILED with the error, CleanupFailed=1', async () => {
    aws.fails('dynamodb.DeleteTable', 'AccessDeniedException', 'not authorized to perform dynamodb:DeleteTable');
    const r = await drill();
    expect(r.calls[S.CLEANUP]).toHaveLength(3);
    expectEnded(r, 'CLEANUP_FAILED');
    expect(r.record.cleanup).toEqual({ status: 'FAILED', error: 'AccessDeniedException', message: 'not authorized to perform dynamodb:DeleteTable' });
    expect(r.metric('CleanupFailed')).toBe(1);
  });

  test('evidence cannot be written: the notification still carries the drill, the execution fails with EVIDENCE_FAILED', async () => {
    aws.fails('s3.PutObject', 'AccessDenied', 'Access Denied', 403);
    const r = await drill();
    expect(aws.callsOf('s3.PutObject').length).toBeGreaterThanOrEqual(1);
    expect(r.notifications[0]).toMatchObject({ Subject: 'Restore drill EVIDENCE_FAILED: employees', Message: expect.stringContaining('EVIDENCE NOT RECORDED') });
    expect(r.notifications[0].Message).toContain('Restore drill of employees (DynamoDB): SUCCEEDED');
    expect(r.calls[S.METRICS]).toHaveLength(1);
    expect(r.result).toMatchObject({ status: 'FAILED', error: '["EVIDENCE_FAILED"]' });
  });

  test('many targets: one execution drills each, one failure fails the execution and names it', async () => {
    const input = JSON.parse(JSON.stringify(multi.stack.resolve(multi.drill.executionInput())));
    // The sources' ARNs are CloudFormation tokens in the template; give them deployed values.
    input.targets[0].resourceArn = TABLE;
    input.targets[1].resourceArn = 'arn:aws:s3:::hr-documents';
    const run = { asl: aslOf(Template.fromStack(multi.stack)), input };
    aws.on('s3.ListObjectsV2', { Contents: [] });
    aws.on('s3.ListObjectVersions', {});
    aws.on('s3.DeleteBucket', {});
    aws.on('dynamodb.DescribeTable', (i: any) => ({ Table: { TableName: i.TableName, TableStatus: 'ACTIVE', ItemCount: 1200 } }));
    const r = await runDrill(run.asl, run.input, { job: { polls: 1, createdResourceArn: null, seconds: 600 } });
    expect(evidenceWritten(aws)).toHaveLength(2);
    expect(r.calls[S.NOTIFY]).toHaveLength(2);
    expect(r.result.status).toBe('FAILED');
    expect(JSON.parse(r.result.error!).sort()).toEqual(['SUCCEEDED', 'VALIDATION_FAILED']);
    expect(run.asl.States[S.MAP].MaxConcurrency).toBe(2);
  });
});

// =============================================================================================
// Event-driven completion (one file with the workflow above: one module load, one load of the bundled handlers).
/**
 * Event-driven completion of the restore wait (GitHub issue 16, item 4): the workflow's
 * `.waitForTaskToken` tasks run the REAL bundled restore-events function (register), AWS Backup's
 * "Restore Job State Change" events run it again (resume), and the fake AWS answers DynamoDB (the
 * token table), DescribeRestoreJob and SendTaskSuccess, which resolves the waiting task
 * (drill-harness.ts `restoreEventsWorld`). Template assertions cover the rule, the table and the grants.
 */
{
  const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/hr-employees`;
  const stack = new Stack(new App(), 'Events', { env: ENV });
  const key = new kms.Key(stack, 'Key');
  const drill = new RestoreDrill(stack, 'Drill', {
    targets: [
      DrillTarget.of({ name: 'employees', resourceType: DrillResourceType.DYNAMODB, resourceArn: TABLE, backupVaultName: 'data-vault', rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) }),
    ],
    evidenceKey: key,
    alarmTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
    schedule: false,
  });
  const template = Template.fromStack(stack);
  const asl = aslOf(template);
  const input = JSON.parse(JSON.stringify(stack.resolve(drill.executionInput())));
  const states = asl.States[S.MAP].ItemProcessor.States;
  const { first, every } = input.targets[0].poll;

  // The fake AWS of the file (`aws`, set up above with the same default world, reset before each test).

  async function run(options: RunOptions = {}) {
    const r = await runDrill(asl, input, options);
    const record = evidenceWritten(aws)[0]?.record;
    const entered = r.result.events.filter((e: any) => e.type === 'StateEntered').map((e: any) => e.state.name);
    return { ...r, record, entered };
  }
  const ops = () => aws.calls.map((c) => `${c.service}.${c.operation}`);

  describe('the drill resumes from the restore job event', () => {
    test('event arrives during the first wait: resumed with the job, validated, token deleted, no fallback check', async () => {
      const r = await run();
      expect(r.result.status).toBe('SUCCEEDED');
      expect(r.record.status).toBe('SUCCEEDED');
      expect(r.calls[S.WAIT]).toEqual([
        { FunctionName: expect.stringContaining('RestoreEvents'), Payload: { register: true, taskToken: 'local-task-token', restoreJobId: 'job-1', restoreTimeoutSeconds: 8 * 3600, waitSeconds: first } },
      ]);
      expect(r.calls[S.WAIT_AGAIN]).toBeUndefined();
      expect(r.restoreEvents.registered).toEqual([{ resumed: false, reason: "waiting for the restore job's event (status RUNNING)", status: 'RUNNING' }]);
      expect(r.restoreEvents.delivered.map((d) => d.outcome)).toEqual([{ resumed: true, reason: 'the restore job ended COMPLETED', status: 'COMPLETED' }]);
      // Register: store the token, THEN describe. Event: look the token up, describe, resume, forget.
      expect(ops().filter((o) => /PutItem|GetItem|DeleteItem|DescribeRestoreJob|SendTaskSuccess/.test(o))).toEqual([
        'dynamodb.PutItem', 'backup.DescribeRestoreJob', 'dynamodb.GetItem', 'backup.DescribeRestoreJob', 'states.SendTaskSuccess', 'dynamodb.DeleteItem',
      ]);
      const put = aws.callsOf('dynamodb.PutItem')[0];
      expect(put).toMatchObject({ TableName: TOKEN_TABLE, Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 'token-1' } } });
      // Expires after the restore timeout, the wait and a day.
      expect(Number(put.Item.expiresAt.N) - Date.now() / 1000).toBeGreaterThanOrEqual(8 * 3600 + first + 86_400 - 60);
      // SendTaskSuccess carries DescribeRestoreJob's answer as the SDK integration would (ISO dates), into $.job.
      const output = JSON.parse(aws.callsOf('states.SendTaskSuccess')[0].output);
      expect(output).toMatchObject({ RestoreJobId: 'job-1', Status: 'COMPLETED', CreatedResourceArn: expect.stringMatching(/table\/drill-employees-/), CompletionDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(aws.callsOf('dynamodb.DeleteItem')).toEqual([expect.objectContaining({ Key: { restoreJobId: { S: 'job-1' } }, ConditionExpression: 'taskToken = :t', ExpressionAttributeValues: { ':t': { S: 'token-1' } } })]);
      // The record has the real RTO (CreationDate to CompletionDate of the description).
      expect(r.record.rto).toMatchObject({ measuredSeconds: 42 * 60, met: true });
    });

    test('job already ended before the token was stored: the register step finds it and resumes the execution itself', async () => {
      const r = await run({ job: { polls: 1 } });
      expect(r.result.status).toBe('SUCCEEDED');
      expect(r.restoreEvents.registered).toEqual([{ resumed: true, reason: 'the restore job had already ended COMPLETED', status: 'COMPLETED' }]);
      expect(r.restoreEvents.delivered).toEqual([]);
      expect(aws.callsOf('states.SendTaskSuccess')).toHaveLength(1);
      expect(aws.callsOf('dynamodb.DeleteItem')).toHaveLength(1);
    });

    test('event lost: the wait times out after firstPoll, the next registration describes the job and resumes', async () => {
      const r = await run({ job: { events: 'lost' } });
      expect(r.result.status).toBe('SUCCEEDED');
      expect(r.restoreEvents.timeouts).toBe(1);
      expect(r.restoreEvents.virtualSeconds).toBe(first);
      expect(r.calls[S.WAIT_AGAIN]).toEqual([expect.objectContaining({ Payload: expect.objectContaining({ waitSeconds: every }) })]);
      expect(r.restoreEvents.registered.map((o) => o.resumed)).toEqual([false, true]);
      // Waits, then the choice: one state transition per fallback check.
      expect(r.entered.filter((s: string) => [S.WAIT, S.WAIT_AGAIN, S.FINISHED].includes(s))).toEqual([S.WAIT, S.WAIT_AGAIN, S.FINISHED]);
    });

    test.each(['FAILED', 'ABORTED'])('%s event: RESTORE_FAILED, nothing validated, cleanup still runs', async (final) => {
      const r = await run({ job: { final } });
      expect(r.restoreEvents.delivered.map((d) => d.outcome)).toEqual([{ resumed: true, reason: `the restore job ended ${final}`, status: final }]);
      expect(r.calls[S.VALIDATE]).toBeUndefined();
      expect(r.calls[S.CLEANUP]).toHaveLength(1);
      expect(r.record.status).toBe('RESTORE_FAILED');
      expect(r.result).toMatchObject({ status: 'FAILED', error: '["RESTORE_FAILED"]' });
    });

    test('a forged resume (SendTaskSuccess claiming COMPLETED with the source as the copy) changes nothing: the drill decides on DescribeRestoreJob, which says FAILED', async () => {
      const forged = { RestoreJobId: 'job-1', Status: 'COMPLETED', CreationDate: new Date().toISOString(), CompletionDate: new Date().toISOString(), CreatedResourceArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/hr-employees` };
      const r = await run({ job: { final: 'FAILED', polls: 1 }, sdk: { [S.WAIT]: () => forged } });
      expect(r.entered).toContain(S.CONFIRM);
      expect(r.calls[S.VALIDATE]).toBeUndefined();
      expect(r.record.status).toBe('RESTORE_FAILED');
    });

    test('restore timeout: the waits sum to it, the last registration resumes with the job still RUNNING, the drain follows', async () => {
      const r = await run({ job: { polls: Infinity } });
      expect(r.restoreEvents.virtualSeconds).toBe(8 * 3600);
      expect(r.restoreEvents.registered.at(-1)).toMatchObject({ resumed: true, status: 'RUNNING' });
      expect(r.entered).toEqual(expect.arrayContaining([S.TIMED_OUT, S.TIMEOUT_METRICS, S.DRAIN_WAIT, S.DRAIN_DESCRIBE]));
      expect(r.record.status).toBe('RESTORE_TIMED_OUT');
      // No token left behind for a late event.
      expect(aws.callsOf('dynamodb.DeleteItem')).toHaveLength(1);
    });
  });

  describe('the resume handler on its own (as EventBridge invokes it)', () => {
    const handler = () => require(join(__dirname, '..', '..', 'assets', 'handlers', 'drill-restore-events', 'index.js')).handler;
    const event = (restoreJobId: string, status = 'COMPLETED') => ({ source: 'aws.backup', 'detail-type': 'Restore Job State Change', detail: { restoreJobId, status } });

    test('a restore job no drill waits for: no-op, nothing described or resumed', async () => {
      aws.on('dynamodb.GetItem', {});
      expect(await handler()(event('someone-elses-job'))).toEqual({ resumed: false, reason: 'no drill waits for restore job someone-elses-job' });
      expect(ops()).toEqual(['dynamodb.GetItem']);
      expect(aws.callsOf('dynamodb.GetItem')[0]).toMatchObject({ TableName: TOKEN_TABLE, Key: { restoreJobId: { S: 'someone-elses-job' } }, ConsistentRead: true });
    });

    test('an event without a restore job id: no-op', async () => {
      expect(await handler()({ source: 'aws.backup', detail: {} })).toEqual({ resumed: false, reason: 'the event names no restore job' });
      expect(ops()).toEqual([]);
    });

    test('the register step resumed it first: TaskTimedOut is ignored', async () => {
      aws.on('dynamodb.GetItem', { Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 'used' } } });
      aws.on('backup.DescribeRestoreJob', { RestoreJobId: 'job-1', Status: 'COMPLETED', CreationDate: new Date().toISOString() });
      aws.fails('states.SendTaskSuccess', 'TaskTimedOut', 'Task Timed Out');
      aws.fails('dynamodb.DeleteItem', 'ConditionalCheckFailedException', 'The conditional request failed');
      expect(await handler()(event('job-1'))).toEqual({ resumed: false, reason: 'the execution had already moved on', status: 'COMPLETED' });
    });

    test('DescribeRestoreJob still reports RUNNING: left to the next check, not resumed with a running job', async () => {
      aws.on('dynamodb.GetItem', { Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 't' } } });
      aws.on('backup.DescribeRestoreJob', { RestoreJobId: 'job-1', Status: 'RUNNING', CreationDate: new Date().toISOString() });
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      expect(await handler()(event('job-1'))).toMatchObject({ resumed: false, status: 'RUNNING' });
      warn.mockRestore();
      expect(aws.callsOf('states.SendTaskSuccess')).toEqual([]);
    });

    test('any other SendTaskSuccess error fails the invocation (Lambda retries, the alarm counts it)', async () => {
      aws.on('dynamodb.GetItem', { Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 't' } } });
      aws.on('backup.DescribeRestoreJob', { RestoreJobId: 'job-1', Status: 'FAILED', CreationDate: new Date().toISOString() });
      aws.fails('states.SendTaskSuccess', 'AccessDeniedException', 'not authorized to perform states:SendTaskSuccess');
      await expect(handler()(event('job-1', 'FAILED'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });
  });

  describe('the template', () => {
    test('the rule: AWS Backup restore-job events of the drill restore role, terminal statuses only, to the restore-events function', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.backup'],
          'detail-type': ['Restore Job State Change'],
          detail: { status: ['COMPLETED', 'FAILED', 'ABORTED'], iamRoleArn: [{ 'Fn::GetAtt': [stack.getLogicalId(drill.restoreRole.node.defaultChild as any), 'Arn'] }] },
        },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(drill.restoreEventsFunction.node.defaultChild as any), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 } })],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [stack.getLogicalId(drill.restoreEventsRule.node.defaultChild as any), 'Arn'] } });
    });

    test('the token table: key restoreJobId, on demand, TTL, PITR, encrypted, deleted with the stack', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Delete',
        Properties: {
          KeySchema: [{ AttributeName: 'restoreJobId', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        },
      });
    });

    test('grants: the function reaches only the table for DynamoDB; SendTaskSuccess and DescribeRestoreJob (no resource types) on *, acknowledged', () => {
      const roleId = stack.getLogicalId(drill.restoreEventsFunction.role!.node.defaultChild as any);
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
      const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(drill.restoreTokenTable.node.defaultChild as any), 'Arn'] };
      expect(statements).toEqual(expect.arrayContaining([
        expect.objectContaining({ Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'], Resource: tableArn }),
        expect.objectContaining({ Action: ['backup:DescribeRestoreJob', 'states:SendTaskSuccess'], Resource: '*' }),
      ]));
      for (const s of statements) {
        const actions = [s.Action].flat();
        if (actions.some((a: string) => a.startsWith('dynamodb:'))) expect(s.Resource).toEqual(tableArn);
        expect(actions).not.toContain('*');
      }
      // The state machine role may invoke the function; it never resumes tasks itself.
      const machineRoleId = stack.getLogicalId(drill.stateMachine.role.node.defaultChild as any);
      const machine = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === machineRoleId))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
      expect(machine.flatMap((s: any) => [s.Action].flat())).not.toContain('states:SendTaskSuccess');
      expect(JSON.stringify(machine)).toContain(stack.getLogicalId(drill.restoreEventsFunction.node.defaultChild as any));
    });

    test('an alarm on function errors and failed rule invocations notifies the alarm topic', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp('restore-job event was not handled'),
        Metrics: Match.arrayWith([Match.objectLike({ Expression: 'errors + failed' })]),
        AlarmActions: [Match.anyValue()],
      });
    });

    test('after a wait resumes, the job is described again and the decision is on AWS Backup\'s answer, not on what SendTaskSuccess carried', () => {
      expect(states[S.CONFIRM]).toMatchObject({ Resource: 'arn:aws:states:::aws-sdk:backup:describeRestoreJob', Parameters: { 'RestoreJobId.$': '$.restoreJob.RestoreJobId' }, ResultPath: '$.job', Next: S.FINISHED });
    });

    test('the wait states: .waitForTaskToken, timeouts from the input, States.Timeout before States.ALL, the second loops on itself', () => {
      for (const [name, path] of [[S.WAIT, '$.target.poll.first'], [S.WAIT_AGAIN, '$.target.poll.every']]) {
        expect(states[name]).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: path, ResultPath: '$.job', Next: S.CONFIRM });
        expect(states[name].Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
        expect(states[name].Catch.map((c: any) => [c.ErrorEquals, c.Next])).toEqual([[['States.Timeout'], S.WAIT_AGAIN], [['States.ALL'], 'Drill step failed']]);
        expect(states[name].Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['Lambda.TooManyRequestsException'], MaxAttempts: 8 })]));
      }
      expect(states[S.FINISHED].Default).toBe(S.TIMED_OUT);
      expect(states).not.toHaveProperty(['Describe restore job']);
    });
  });

  describe('waitSchedule', () => {
    test('first check after firstPoll, then even waits of at most the maximum that end on the timeout', () => {
      // 48 h timeout: 15 min, then 6 waits of 7.96 h; the sixth ends on the timeout (rounded up to the second).
      expect(waitSchedule(900, 8 * 3600, 48 * 3600)).toEqual({ first: 900, every: 28650 });
      expect(900 + 6 * 28650).toBe(48 * 3600);
      expect(waitSchedule(900, 8 * 3600, 8 * 3600)).toEqual({ first: 900, every: 27900 });
      expect(waitSchedule(3600, 8 * 3600, 3600)).toEqual({ first: 3600, every: 28800 });
    });
  });
}

import { BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByBackupVaultCommand, PutRestoreValidationResultCommand, ResourceNotFoundException as BackupNotFound } from '@aws-sdk/client-backup';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteVolumeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteDBClusterCommand, DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as cleanup } from '../../lib/drill/handlers/drill-cleanup.lambda';
import { buildEvidence, describeError, DrillState, handler as evidence, toMillis } from '../../lib/drill/handlers/drill-evidence.lambda';
import { handler as chooseRecoveryPoint } from '../../lib/drill/handlers/drill-recovery-point.lambda';
import { handler as validate } from '../../lib/drill/handlers/drill-validator.lambda';
import { handler as validateRestoreTest } from '../../lib/drill/handlers/restore-testing-validator.lambda';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DescribeRestoreJobCommand } from '@aws-sdk/client-backup';

const backup = mockClient(BackupClient);
const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const rdsData = mockClient(RDSDataClient);
const ec2 = mockClient(EC2Client);

beforeEach(() => {
  for (const m of [backup, s3, ddb, rds, rdsData, ec2]) m.reset();
  backup.on(PutRestoreValidationResultCommand).resolves({});
});

const body = (text: string) => ({ transformToByteArray: async () => new TextEncoder().encode(text) }) as any;

describe('validator', () => {
  const input = (resourceType: string, validation: { [k: string]: string } = {}, resourceArn = 'arn:aws:s3:::hr-docs') => ({
    restoreJobId: 'job-1',
    resourceType,
    drillName: 'drill-docs-1a2b3c4d',
    createdResourceArn: 'arn:aws:s3:::drill-docs-1a2b3c4d',
    target: { name: 'docs', resourceArn, validation },
  });

  test('S3: counts objects of the copy and of the source, reads samples with checksum validation, reports SUCCESSFUL', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'drill-docs-1a2b3c4d' })
      .resolvesOnce({ Contents: [{ Key: 'a', Size: 10 }, { Key: 'b', Size: 10 }], IsTruncated: true, NextContinuationToken: 't' })
      .resolvesOnce({ Contents: [{ Key: 'c', Size: 10 }] });
    s3.on(ListObjectsV2Command, { Bucket: 'hr-docs' }).resolves({ Contents: [{ Key: 'a', Size: 10 }, { Key: 'b', Size: 10 }, { Key: 'c', Size: 10 }] });
    s3.on(GetObjectCommand).resolves({ Body: body('hello'), ChecksumSHA256: 'abc=' });
    const r = await validate(input('S3', { minObjects: '3', sampleObjects: '2' }));
    expect(r.valid).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(['objectCount', 'objectsComparedWithSource', 'bytesComparedWithSource', 'read:a', 'read:b']);
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'drill-docs-1a2b3c4d', Key: 'a', ChecksumMode: 'ENABLED' },
      { Bucket: 'drill-docs-1a2b3c4d', Key: 'b', ChecksumMode: 'ENABLED' },
    ]);
    expect(backup.commandCalls(PutRestoreValidationResultCommand)[0].args[0].input).toMatchObject({ RestoreJobId: 'job-1', ValidationStatus: 'SUCCESSFUL' });
  });

  test('S3: too few objects or a checksum failure is invalid, and reported FAILED', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'a' }] });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Checksum mismatch'), { name: 'Error' }));
    const r = await validate(input('S3', { minObjects: '10' }));
    expect(r.valid).toBe(false);
    expect(r.message).toContain('objectCount (1 object(s), expected at least 10)');
    expect(r.message).toContain('Checksum mismatch');
    expect(backup.commandCalls(PutRestoreValidationResultCommand)[0].args[0].input.ValidationStatus).toBe('FAILED');
  });

  test("DynamoDB: scans until the source's item count less the tolerance, and reads a sample item", async () => {
    ddb.on(DescribeTableCommand, { TableName: 'drill-employees-1a2b3c4d' }).resolves({ Table: { TableStatus: 'ACTIVE', ItemCount: 0 } });
    ddb.on(DescribeTableCommand, { TableName: 'hr-employees' }).resolves({ Table: { TableStatus: 'ACTIVE', ItemCount: 2000 } });
    ddb.on(ScanCommand)
      .resolvesOnce({ Count: 1000, Items: [{ id: { S: '1' } }], LastEvaluatedKey: { id: { S: 'x' } } })
      .resolvesOnce({ Count: 900, Items: [{ id: { S: '2' } }], LastEvaluatedKey: { id: { S: 'y' } } })
      .resolvesOnce({ Count: 100, Items: [{ id: { S: '3' } }] });
    const r = await validate({ ...input('DynamoDB', {}, 'arn:aws:dynamodb:eu-west-1:1:table/hr-employees'), drillName: 'drill-employees-1a2b3c4d' });
    expect(r.valid).toBe(true);
    // 1,900 >= 2,000 less 10%: the third page is not read.
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(2);
    expect(r.checks.find((c) => c.name === 'itemsComparedWithSource')).toMatchObject({ passed: true, detail: expect.stringContaining('expected at least 1800 (tolerance 10%') });
  });

  test('tolerancePercent is validated; compareWithSource=false turns the comparison off, visibly', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE', ItemCount: 5000 } });
    ddb.on(ScanCommand).resolves({ Count: 1, Items: [{ id: { S: '1' } }] });
    await expect(validate({ ...input('DynamoDB', { tolerancePercent: '150' }), drillName: 'drill-employees-1' })).rejects.toThrow("validation.tolerancePercent must be a number from 0 to 100, got '150'");
    const r = await validate({ ...input('DynamoDB', { compareWithSource: 'false' }), drillName: 'drill-employees-1' });
    expect(r.valid).toBe(true);
    expect(r.checks.find((c) => c.name === 'itemsComparedWithSource')).toEqual({ name: 'itemsComparedWithSource', passed: true, detail: 'comparison with the source turned off (validation.compareWithSource=false)' });
    // The invalid tolerance stopped before any call; the comparison turned off never reads the source.
    expect(ddb.commandCalls(DescribeTableCommand).map((c) => c.args[0].input.TableName)).toEqual(['drill-employees-1']);
  });

  test('without a source ARN the comparison fails: a partial copy cannot pass unseen', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
    ddb.on(ScanCommand).resolves({ Count: 3, Items: [{ id: { S: '1' } }] });
    const r = await validate({ ...input('DynamoDB'), target: { name: 'docs' }, drillName: 'drill-employees-1' });
    expect(r.valid).toBe(false);
    expect(r.message).toContain('itemsComparedWithSource (cannot compare with the source: the target has no resourceArn)');
  });

  test('Aurora: a sqlQuery from a hand-written execution input fails the drill and runs nothing (the restored cluster has no instance)', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available', StorageEncrypted: true, DBClusterArn: 'arn:aws:rds:eu-west-1:1:cluster:drill-hr-1' }] });
    rdsData.on(ExecuteStatementCommand).resolves({ records: [[{ longValue: 42 }]] });
    const r = await validate({ ...input('Aurora', { sqlQuery: 'select count(*) from employees', secretArn: 'arn:secret', compareWithSource: 'false' }), drillName: 'drill-hr-1' });
    expect(r.valid).toBe(false);
    expect(r.checks).toContainEqual({ name: 'sqlQuery', passed: false, detail: expect.stringContaining('without DB instances') });
    expect(rdsData.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });

  test('a rejected PutRestoreValidationResult keeps the verdict and says so', async () => {
    backup.on(PutRestoreValidationResultCommand).rejects(Object.assign(new Error('not a restore testing job'), { name: 'InvalidRequestException' }));
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'a', Size: 1 }] });
    s3.on(GetObjectCommand).resolves({ Body: body('x') });
    const r = await validate(input('S3'));
    expect(r).toMatchObject({ valid: true, reportedToBackup: false, reportError: 'InvalidRequestException: not a restore testing job' });
  });

  test('refuses anything that is not a drill resource', async () => {
    await expect(validate({ ...input('S3'), drillName: 'hr-documents' })).rejects.toThrow("not a drill resource: 'hr-documents'");
  });
});

describe('recovery point', () => {
  const target = { name: 'employees', backupVaultName: 'vault', resourceArn: 'arn:aws:dynamodb:eu-west-1:1:table/hr' };
  const rp = (id: string, Status: string, day: number) => ({ RecoveryPointArn: `arn:aws:backup:eu-west-1:1:recovery-point:${id}`, Status: Status as any, CreationDate: new Date(Date.UTC(2025, 0, day)) });

  test('reads every page and picks the newest restorable snapshot by CreationDate, whatever the order', async () => {
    backup.on(ListRecoveryPointsByBackupVaultCommand, { NextToken: undefined }).resolves({ RecoveryPoints: [rp('a', 'COMPLETED', 3), rp('b', 'CREATING', 9)], NextToken: 'p2' });
    backup.on(ListRecoveryPointsByBackupVaultCommand, { NextToken: 'p2' }).resolves({ RecoveryPoints: [rp('continuous:c', 'COMPLETED', 10), rp('d', 'AVAILABLE', 5), rp('e', 'EXPIRED', 8), rp('f', 'COMPLETED', 1)] });
    const r = await chooseRecoveryPoint({ target });
    expect(r).toMatchObject({ found: true, RecoveryPointArn: 'arn:aws:backup:eu-west-1:1:recovery-point:d', CreationDate: '2025-01-05T00:00:00.000Z', listed: 6, skippedContinuous: 1, skippedNotRestorable: 2 });
    expect(backup.commandCalls(ListRecoveryPointsByBackupVaultCommand).map((c) => c.args[0].input)).toEqual([
      { BackupVaultName: 'vault', ByResourceArn: target.resourceArn, MaxResults: 1000, NextToken: undefined },
      { BackupVaultName: 'vault', ByResourceArn: target.resourceArn, MaxResults: 1000, NextToken: 'p2' },
    ]);
  });

  test('nothing restorable is found: false with the reason, not an error', async () => {
    backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({});
    expect(await chooseRecoveryPoint({ target })).toMatchObject({ found: false, reason: expect.stringContaining('0 listed'), listed: 0 });
  });

  test('a chosen recovery point is described; a missing or unfinished one is not restored', async () => {
    const chosen = { ...target, recoveryPointArn: 'arn:aws:backup:eu-west-1:1:recovery-point:x' };
    backup.on(DescribeRecoveryPointCommand).resolvesOnce({ Status: 'COMPLETED', CreationDate: new Date(Date.UTC(2025, 0, 2)) }).resolvesOnce({ Status: 'CREATING' });
    expect(await chooseRecoveryPoint({ target: chosen })).toMatchObject({ found: true, RecoveryPointArn: chosen.recoveryPointArn, CreationDate: '2025-01-02T00:00:00.000Z' });
    expect(await chooseRecoveryPoint({ target: chosen })).toMatchObject({ found: false, reason: expect.stringContaining('is CREATING') });
    backup.on(DescribeRecoveryPointCommand).rejects(new BackupNotFound({ message: 'not found', $metadata: {} }));
    expect(await chooseRecoveryPoint({ target: chosen })).toMatchObject({ found: false, reason: expect.stringContaining('is not in vault vault') });
    expect(backup.commandCalls(ListRecoveryPointsByBackupVaultCommand)).toHaveLength(0);
  });
});

describe('cleanup', () => {
  const state = (type: string, extra: object = {}) => ({ drillName: 'drill-docs-1a2b3c4d', target: { resourceType: type }, restoreJob: { RestoreJobId: 'job-1' }, job: { Status: 'COMPLETED' }, ...extra });

  test('S3: deletes every version and delete marker, then the bucket', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: 'a', VersionId: '1' }], DeleteMarkers: [{ Key: 'a', VersionId: '2' }], IsTruncated: true, NextKeyMarker: 'a', NextVersionIdMarker: '2' })
      .resolvesOnce({ Versions: [{ Key: 'b', VersionId: '3' }] });
    s3.on(DeleteObjectsCommand).resolves({});
    s3.on(DeleteBucketCommand).resolves({});
    const r = await cleanup(state('S3'));
    expect(r).toMatchObject({ status: 'DELETED', message: 'deleted bucket drill-docs-1a2b3c4d and 3 object version(s)' });
    expect(s3.commandCalls(DeleteBucketCommand)[0].args[0].input).toEqual({ Bucket: 'drill-docs-1a2b3c4d' });
  });

  test('DynamoDB: deletes the drill table; a missing one is nothing to delete', async () => {
    ddb.on(DeleteTableCommand).resolves({});
    expect((await cleanup(state('DynamoDB'))).status).toBe('DELETED');
    ddb.on(DeleteTableCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect((await cleanup(state('DynamoDB'))).status).toBe('NOTHING_TO_DELETE');
  });

  test('Aurora: lifts deletion protection on the drill cluster, deletes it without a final snapshot', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DeletionProtection: true, DBClusterMembers: [] }] });
    rds.on(ModifyDBClusterCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    await cleanup(state('Aurora'));
    expect(rds.commandCalls(ModifyDBClusterCommand)[0].args[0].input).toMatchObject({ DBClusterIdentifier: 'drill-docs-1a2b3c4d', DeletionProtection: false });
    expect(rds.commandCalls(DeleteDBClusterCommand)[0].args[0].input).toEqual({ DBClusterIdentifier: 'drill-docs-1a2b3c4d', SkipFinalSnapshot: true });
  });

  test('EBS: deletes the created volume (IAM only allows drill-tagged ones)', async () => {
    ec2.on(DeleteVolumeCommand).resolves({});
    await cleanup(state('EBS', { job: { Status: 'COMPLETED', CreatedResourceArn: 'arn:aws:ec2:eu-west-1:1:volume/vol-0abc' } }));
    expect(ec2.commandCalls(DeleteVolumeCommand)[0].args[0].input).toEqual({ VolumeId: 'vol-0abc' });
  });

  test('a restore still running at timeout is reported, not hidden', async () => {
    ddb.on(DeleteTableCommand).rejects(new ResourceNotFoundException({ message: 'not yet', $metadata: {} }));
    expect((await cleanup(state('DynamoDB', { job: { Status: 'RUNNING' } }))).status).toBe('RESTORE_STILL_RUNNING');
  });

  test('no restore job: nothing to delete', async () => {
    expect(await cleanup({ drillName: 'drill-x-1', target: { resourceType: 'S3' } })).toMatchObject({ status: 'NOTHING_TO_DELETE' });
  });

  test('refuses names without the drill- prefix and rethrows real failures', async () => {
    await expect(cleanup(state('DynamoDB', { drillName: 'hr-employees' }))).rejects.toThrow("refusing to clean up 'hr-employees'");
    ddb.on(DeleteTableCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(cleanup(state('DynamoDB'))).rejects.toThrow('User is not authorized');
  });
});

describe('evidence', () => {
  const base: DrillState = {
    target: { name: 'employees', resourceType: 'DynamoDB', resourceArn: 'arn:table/hr', backupVaultName: 'v', rtoSeconds: 3600, rpoSeconds: 3600 },
    drillName: 'drill-employees-1a2b3c4d',
    executionName: 'exec-1',
    startedAt: '2025-01-01T10:00:00Z',
    recoveryPoint: { RecoveryPointArn: 'rp-1' },
    restoreJob: { RestoreJobId: 'job-1' },
    job: { Status: 'COMPLETED', CreationDate: 1735725600, CompletionDate: '2025-01-01T11:30:00Z', RecoveryPointCreationDate: '2025-01-01T08:00:00Z', CreatedResourceArn: 'arn:table/drill' },
    validation: { valid: true, message: 'ok' },
    cleanup: { status: 'DELETED' },
  };

  test('measures RTO from the restore job and RPO from the recovery point age, and flags breaches', () => {
    const r = buildEvidence(base, Date.parse('2025-01-01T12:00:00Z'));
    expect(r.status).toBe('SUCCEEDED');
    expect(r.rto).toEqual({ measuredSeconds: 5400, objectiveSeconds: 3600, met: false });
    expect(r.rpo).toEqual({ measuredSeconds: 7200, objectiveSeconds: 3600, met: false });
    expect(r.restoreJob).toMatchObject({ id: 'job-1', startedAt: '2025-01-01T10:00:00.000Z', completedAt: '2025-01-01T11:30:00.000Z' });
  });

  test('dates come as ISO strings, epoch seconds or epoch milliseconds', () => {
    expect(toMillis('2025-01-01T00:00:00Z')).toBe(1735689600000);
    expect(toMillis(1735689600)).toBe(1735689600000);
    expect(toMillis(1735689600000)).toBe(1735689600000);
    expect(toMillis(undefined)).toBeUndefined();
  });

  test('writes the record with SSE-KMS and a checksum (Object Lock), plus the latest-success marker', async () => {
    process.env.EVIDENCE_BUCKET = 'evidence';
    process.env.EVIDENCE_KEY_ARN = 'arn:aws:kms:eu-west-1:1:key/k';
    s3.on(PutObjectCommand).resolves({});
    const out = await evidence(base);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual(['drills/employees/2025-01-01/drill-employees-1a2b3c4d.json', 'latest-success/employees.json']);
    for (const p of puts) expect(p).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:eu-west-1:1:key/k', ChecksumAlgorithm: 'SHA256' });
    expect(JSON.parse(puts[0].Body as string)).toMatchObject({ status: 'SUCCEEDED', recoveryPoint: { arn: 'rp-1' }, validation: { valid: true } });
    expect(out.summary).toMatchObject({ target: 'employees', status: 'SUCCEEDED', ok: true, evidenceKey: 's3://evidence/drills/employees/2025-01-01/drill-employees-1a2b3c4d.json' });
    expect(out.metricData.map((m) => [m.MetricName, m.Value])).toEqual([
      ['DrillSucceeded', 1], ['DrillFailed', 0], ['CleanupFailed', 0], ['RestoreTimeSeconds', 5400], ['RecoveryPointAgeSeconds', 7200],
    ]);
  });

  test('publishes RtoExceeded on the drill dimension, so one alarm covers every target', async () => {
    process.env.EVIDENCE_BUCKET = 'evidence';
    process.env.EVIDENCE_KEY_ARN = 'k';
    s3.on(PutObjectCommand).resolves({});
    const slow = await evidence({ ...base, target: { ...base.target, drill: 'Data/RestoreDrill' } });
    expect(slow.metricData.find((m) => m.MetricName === 'RtoExceeded')).toEqual({ MetricName: 'RtoExceeded', Value: 1, Unit: 'Count', Dimensions: [{ Name: 'Drill', Value: 'Data/RestoreDrill' }] });
    const fast = await evidence({ ...base, target: { ...base.target, drill: 'Data/RestoreDrill', rtoSeconds: 7200 } });
    expect(fast.metricData.find((m) => m.MetricName === 'RtoExceeded')?.Value).toBe(0);
  });

  test('task errors keep their name and message: the Lambda error payload and its stack trace are dropped', () => {
    const cause = JSON.stringify({ errorType: 'AccessDeniedException', errorMessage: 'not authorized', trace: ['AccessDeniedException: not authorized', '    at f (/var/task/index.js:1:2)'] });
    expect(describeError({ Error: 'AccessDeniedException', Cause: cause })).toEqual({ name: 'AccessDeniedException', message: 'not authorized' });
    expect(describeError({ Error: 'Backup.InvalidParameterValueException', Cause: 'bad value (Service: Backup, Status Code: 400)' })).toEqual({ name: 'Backup.InvalidParameterValueException', message: 'bad value (Service: Backup, Status Code: 400)' });
    expect(describeError({ Error: 'Error', Cause: 'boom\n    at x (/var/task/index.js:3:4)' })).toEqual({ name: 'Error', message: 'boom' });
    const r = buildEvidence({ ...base, validation: undefined, failure: { status: 'VALIDATION_ERROR', reason: 'the validator failed' }, error: { Error: 'AccessDeniedException', Cause: cause } }, Date.now());
    expect(r.reason).toBe('the validator failed: AccessDeniedException: not authorized');
    expect(r.error).toEqual({ name: 'AccessDeniedException', message: 'not authorized' });
    expect(JSON.stringify(r)).not.toContain('index.js');
  });

  test('a timed-out restore still running: the elapsed time is a lower bound of the RTO, and a breach', () => {
    const created = Date.parse('2025-01-01T10:00:00Z');
    const r = buildEvidence(
      { ...base, failure: { status: 'RESTORE_TIMED_OUT', reason: 'timeout' }, job: { Status: 'RUNNING', CreationDate: '2025-01-01T10:00:00Z' }, cleanup: { status: 'RESTORE_STILL_RUNNING' }, target: { ...base.target, restoreTimeoutSeconds: 7200 } },
      created + 9000 * 1000,
    );
    expect(r.rto).toEqual({ measuredSeconds: 9000, objectiveSeconds: 3600, met: false, lowerBound: true });
  });

  test('errors caught on the timeout path (RTO metric, waiting for the restore) are recorded, not lost', () => {
    const trace = JSON.stringify({ errorType: 'AccessDenied', errorMessage: 'not authorized to perform: cloudwatch:PutMetricData', trace: ['at f (/var/task/index.js:1:2)'] });
    const r = buildEvidence(
      {
        ...base,
        failure: { status: 'RESTORE_TIMED_OUT', reason: 'timeout' },
        timeoutMetricsError: { Error: 'AccessDenied', Cause: trace },
        drainError: { Error: 'Backup.ServiceUnavailableException', Cause: 'try later' },
      },
      Date.now(),
    );
    expect(r.timeoutPath).toEqual({
      metricsError: { name: 'AccessDenied', message: 'not authorized to perform: cloudwatch:PutMetricData' },
      drainError: { name: 'Backup.ServiceUnavailableException', message: 'try later' },
    });
    expect(r.reason).toContain('the RTO metric at the timeout was NOT published: AccessDenied: not authorized');
    expect(r.reason).toContain('waiting for the timed-out restore to end failed: Backup.ServiceUnavailableException: try later');
    expect(JSON.stringify(r)).not.toContain('index.js');
    expect(buildEvidence(base, Date.now())).not.toHaveProperty('timeoutPath');
  });

  test('a write that fails is returned, not thrown: the summary says EVIDENCE_FAILED and the message keeps the drill', async () => {
    process.env.EVIDENCE_BUCKET = 'evidence';
    process.env.EVIDENCE_KEY_ARN = 'k';
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const out = await evidence(base);
    expect(out).toMatchObject({ written: false, writeError: { name: 'AccessDenied', message: 'Access Denied' } });
    expect(out.summary).toMatchObject({ status: 'EVIDENCE_FAILED', drillStatus: 'SUCCEEDED', ok: false });
    expect(out.message).toMatch(/^EVIDENCE NOT RECORDED at s3:\/\/evidence\/drills\/employees\/.*: AccessDenied: Access Denied\nRestore drill of employees \(DynamoDB\): SUCCEEDED/);
  });

  test('a failed drill writes no latest-success marker', async () => {
    process.env.EVIDENCE_BUCKET = 'evidence';
    process.env.EVIDENCE_KEY_ARN = 'k';
    s3.on(PutObjectCommand).resolves({});
    const out = await evidence({ ...base, failure: { status: 'RESTORE_FAILED', reason: 'the restore job ended FAILED' }, job: { ...base.job, Status: 'FAILED', StatusMessage: 'KMS' } });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(out.summary).toMatchObject({ status: 'RESTORE_FAILED', ok: false, reason: 'the restore job ended FAILED: KMS' });
    expect(out.subject).toBe('Restore drill RESTORE_FAILED: employees');
  });
});

// The staleness check (verified against AWS Backup's restore jobs) runs as its bundle in staleness.test.ts.

describe('restore-testing validator (NativeRestoreTesting): validation, evidence, metrics', () => {
  const cloudwatch = mockClient(CloudWatchClient);
  const tagging = mockClient(ResourceGroupsTaggingAPIClient);
  const eventBridge = mockClient(EventBridgeClient);
  const PLAN = 'arn:aws:backup:eu-west-1:111111111111:restore-testing-plan:data_protection_Hr-abc';
  const BUS = 'arn:aws:events:eu-west-1:444444444444:event-bus/data-protection-security-events';
  const SOURCE = 'arn:aws:dynamodb:eu-west-1:111111111111:table/employees';
  const event = { detail: { restoreJobId: 'job-1', resourceType: 'DynamoDB', status: 'COMPLETED', restoreTestingPlanArn: PLAN } };
  // CONFIDENTIAL: RTO 8 h, RPO 1 h, every 90 days (the level's floors); INTERNAL laxer.
  const config = {
    drill: 'data_protection_Hr-abc', backupVaultName: 'restore-testing', maxTargets: 20, maxRestoreTimeoutSeconds: 57600, poll: { first: 900, max: 28800 },
    levels: [
      { classification: 'INTERNAL', rtoSeconds: 86400, rpoSeconds: 86400, intervalDays: 180, restoreTimeoutSeconds: 172800, restoreKeys: {} },
      { classification: 'CONFIDENTIAL', rtoSeconds: 28800, rpoSeconds: 3600, intervalDays: 90, restoreTimeoutSeconds: 57600, restoreKeys: {} },
    ],
  };
  const job = (extra: object = {}): any => ({
    Status: 'COMPLETED', ResourceType: 'DynamoDB', CreatedBy: { RestoreTestingPlanArn: PLAN },
    CreatedResourceArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/awsbackup-restore-test-1',
    SourceResourceArn: SOURCE, RecoveryPointArn: 'arn:aws:backup:eu-west-1:111111111111:recovery-point:rp-1',
    // Restored in 9 h (over the 8 h RTO) from a point 30 min older than the job.
    RecoveryPointCreationDate: new Date('2026-11-01T04:30:00Z'), CreationDate: new Date('2026-11-01T05:00:00Z'), CompletionDate: new Date('2026-11-01T14:00:00Z'),
    ...extra,
  });
  const copyIsGood = () => {
    ddb.on(DescribeTableCommand, { TableName: 'awsbackup-restore-test-1' }).resolves({ Table: { TableStatus: 'ACTIVE', ItemCount: 100, SSEDescription: { Status: 'ENABLED', SSEType: 'KMS' }, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } });
    ddb.on(DescribeTableCommand, { TableName: SOURCE }).resolves({ Table: { ItemCount: 10 } });
    ddb.on(DescribeTableCommand, { TableName: 'employees' }).resolves({ Table: { ItemCount: 10 } });
    ddb.on(ScanCommand).resolves({ Count: 10, Items: [{ id: { S: 'a' } }] });
  };
  const metrics = () => cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
  const records = () => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input).filter((i) => String(i.Key).startsWith('drills/'));
  beforeEach(() => {
    Object.assign(process.env, { RESTORE_TESTING_PLAN_ARN: PLAN, EVIDENCE_BUCKET: 'evidence', EVIDENCE_KEY_ARN: 'arn:aws:kms:eu-west-1:555555555555:key/k', EVIDENCE_EVENT_BUS_ARN: BUS, DRILL_DISCOVERY: JSON.stringify(config) });
    for (const m of [cloudwatch, tagging, eventBridge]) m.reset();
    cloudwatch.on(PutMetricDataCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: SOURCE, Tags: [{ Key: 'data-classification', Value: 'CONFIDENTIAL' }] }] });
    backup.on(DescribeRestoreJobCommand).resolves(job());
  });
  afterAll(() => {
    for (const k of ['RESTORE_TESTING_PLAN_ARN', 'EVIDENCE_BUCKET', 'EVIDENCE_KEY_ARN', 'EVIDENCE_EVENT_BUS_ARN', 'DRILL_DISCOVERY']) delete process.env[k];
  });

  test('a failed validation: reported FAILED to AWS Backup, recorded under the store\'s discovery name with RTO/RPO against its level, sent to the audit bus, metrics published', async () => {
    ddb.on(DescribeTableCommand, { TableName: 'awsbackup-restore-test-1' }).resolves({ Table: { TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } });
    ddb.on(DescribeTableCommand, { TableName: 'employees' }).resolves({ Table: { ItemCount: 100 } });
    ddb.on(ScanCommand).resolves({ Count: 10, Items: [{ id: { S: 'a' } }] });
    const result = await validateRestoreTest(event);
    expect(result).toMatchObject({ validated: true, valid: false, status: 'VALIDATION_FAILED', evidenceKey: 's3://evidence/drills/dynamodb-employees/2026-11-01/awsbackup-restore-test-1.json' });
    expect(backup.commandCalls(PutRestoreValidationResultCommand)[0].args[0].input).toMatchObject({ RestoreJobId: 'job-1', ValidationStatus: 'FAILED' });
    expect(tagging.commandCalls(GetResourcesCommand)[0].args[0].input).toEqual({ ResourceARNList: [SOURCE] });
    const [put] = records();
    expect(put).toMatchObject({ Bucket: 'evidence', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:eu-west-1:555555555555:key/k', ChecksumAlgorithm: 'SHA256' });
    const record = JSON.parse(String(put.Body));
    expect(record).toMatchObject({
      status: 'VALIDATION_FAILED', target: 'dynamodb-employees', resourceArn: SOURCE, execution: 'restore-testing:data_protection_Hr-abc',
      restoreJob: { id: 'job-1', status: 'COMPLETED', startedAt: '2026-11-01T05:00:00.000Z', completedAt: '2026-11-01T14:00:00.000Z' },
      rto: { measuredSeconds: 32400, objectiveSeconds: 28800, met: false }, rpo: { measuredSeconds: 1800, objectiveSeconds: 3600, met: true },
      cleanup: { status: 'AWS_BACKUP' },
    });
    expect(s3.commandCalls(PutObjectCommand).some((c) => String(c.args[0].input.Key).startsWith('latest-success/'))).toBe(false);
    const sent = eventBridge.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    expect(sent).toMatchObject({ EventBusName: BUS, Source: 'cdk-data-protection.drill', DetailType: 'Restore Drill Evidence' });
    expect(JSON.parse(sent.Detail!)).toMatchObject({ drill: 'data_protection_Hr-abc', target: 'dynamodb-employees', status: 'VALIDATION_FAILED' });
    expect(metrics()).toEqual(expect.arrayContaining([
      expect.objectContaining({ MetricName: 'RestoreTestValidationFailed', Value: 1, Dimensions: [{ Name: 'RestoreTestingPlan', Value: 'data_protection_Hr-abc' }] }),
      expect.objectContaining({ MetricName: 'DrillFailed', Value: 1, Dimensions: [{ Name: 'Target', Value: 'dynamodb-employees' }] }),
      expect.objectContaining({ MetricName: 'RestoreTimeSeconds', Value: 32400 }),
      expect.objectContaining({ MetricName: 'RecoveryPointAgeSeconds', Value: 1800 }),
      expect.objectContaining({ MetricName: 'RtoExceeded', Value: 1, Dimensions: [{ Name: 'Drill', Value: 'data_protection_Hr-abc' }] }),
    ]));
  });

  test('a passing copy: SUCCEEDED evidence and the latest-success pointer the staleness check verifies', async () => {
    copyIsGood();
    backup.on(DescribeRestoreJobCommand).resolves(job({ CompletionDate: new Date('2026-11-01T06:00:00Z') }));
    const result = await validateRestoreTest(event);
    expect(result).toMatchObject({ validated: true, valid: true, status: 'SUCCEEDED' });
    const pointer = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input).find((i) => i.Key === 'latest-success/dynamodb-employees.json');
    expect(JSON.parse(String(pointer!.Body))).toMatchObject({ evidenceKey: 'drills/dynamodb-employees/2026-11-01/awsbackup-restore-test-1.json', restoreJobId: 'job-1' });
    expect(metrics()).toEqual(expect.arrayContaining([
      expect.objectContaining({ MetricName: 'RestoreTestValidationFailed', Value: 0 }),
      expect.objectContaining({ MetricName: 'DrillSucceeded', Value: 1 }),
      expect.objectContaining({ MetricName: 'RtoExceeded', Value: 0 }),
    ]));
  });

  test('a FAILED restore job of the plan: RESTORE_FAILED evidence with AWS Backup\'s message, nothing validated, the failure metric', async () => {
    backup.on(DescribeRestoreJobCommand).resolves(job({ Status: 'FAILED', StatusMessage: 'Access denied to KMS key', CreatedResourceArn: undefined, CompletionDate: undefined }));
    const result = await validateRestoreTest({ detail: { ...event.detail, status: 'FAILED' } });
    expect(result).toMatchObject({ validated: false, valid: false, status: 'RESTORE_FAILED' });
    expect(backup.commandCalls(PutRestoreValidationResultCommand)).toHaveLength(0);
    expect(JSON.parse(String(records()[0].Body))).toMatchObject({ status: 'RESTORE_FAILED', reason: expect.stringContaining('Access denied to KMS key') });
    expect(metrics()).toContainEqual(expect.objectContaining({ MetricName: 'RestoreTestValidationFailed', Value: 1 }));
  });

  test('a store whose tags cannot be read is recorded under its ARN name and held to the strictest level, with the reason', async () => {
    copyIsGood();
    tagging.on(GetResourcesCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await validateRestoreTest(event);
    const record = JSON.parse(String(records()[0].Body));
    expect(record).toMatchObject({ target: 'dynamodb-employees', rto: { objectiveSeconds: 28800 }, rpo: { objectiveSeconds: 3600 } });
    expect(record.reason).toContain('its tags could not be read (AccessDeniedException: denied); held to the strictest objectives');
  });

  test('evidence that cannot be written, or not sent to the audit bus, fails the invocation after the metrics (the plan\'s alarm counts the error)', async () => {
    copyIsGood();
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Object Lock bucket refused'), { name: 'AccessDenied' }));
    await expect(validateRestoreTest(event)).rejects.toThrow(/evidence NOT recorded at s3:\/\/evidence\/drills\/dynamodb-employees\/.*AccessDenied: Object Lock bucket refused.*the restore test: SUCCEEDED/);
    expect(metrics()).toContainEqual(expect.objectContaining({ MetricName: 'DrillSucceeded', Value: 1 }));
    // The audit account's copy was still attempted.
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);

    s3.on(PutObjectCommand).resolves({});
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'bus policy' }] });
    await expect(validateRestoreTest(event)).rejects.toThrow(/evidence NOT sent to the audit account \(AccessDeniedException: PutEvents failed/);
  });

  test('metrics that cannot be published fail the invocation', async () => {
    copyIsGood();
    cloudwatch.on(PutMetricDataCommand).rejects(Object.assign(new Error('throttled'), { name: 'Throttling' }));
    await expect(validateRestoreTest(event)).rejects.toThrow('throttled');
    expect(records()).toHaveLength(1);
  });

  test('a validation status someone else set first (ours refused, AWS Backup shows SUCCESSFUL for a failed copy) is a failure', async () => {
    ddb.on(DescribeTableCommand, { TableName: 'awsbackup-restore-test-1' }).resolves({ Table: { TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } });
    ddb.on(DescribeTableCommand, { TableName: 'employees' }).resolves({ Table: { ItemCount: 100 } });
    ddb.on(ScanCommand).resolves({ Count: 10, Items: [{ id: { S: 'a' } }] });
    backup.on(PutRestoreValidationResultCommand).rejects(Object.assign(new Error('validation status already set'), { name: 'InvalidRequestException' }));
    backup.on(DescribeRestoreJobCommand).resolvesOnce(job()).resolves(job({ ValidationStatus: 'SUCCESSFUL' }));
    const result = await validateRestoreTest(event);
    expect(result).toMatchObject({ valid: false, status: 'VALIDATION_FAILED' });
    expect(result.reason).toContain("AWS Backup's validation status of the job is SUCCESSFUL, not set by this validator (its verdict: FAILED");
    expect(metrics()).toContainEqual(expect.objectContaining({ MetricName: 'RestoreTestValidationFailed', Value: 1 }));
    // A retry after our own status was set (the same verdict) is not a failure.
    copyIsGood();
    backup.on(DescribeRestoreJobCommand).resolvesOnce(job()).resolves(job({ ValidationStatus: 'SUCCESSFUL' }));
    expect(await validateRestoreTest(event)).toMatchObject({ valid: true, status: 'SUCCEEDED' });
  });

  test('a restore job of another plan is left alone', async () => {
    backup.on(DescribeRestoreJobCommand).resolves({ Status: 'COMPLETED', ResourceType: 'S3', CreatedBy: { RestoreTestingPlanArn: `${PLAN}-other` } });
    backup.resetHistory();
    expect(await validateRestoreTest(event)).toMatchObject({ validated: false });
    expect(backup.commandCalls(PutRestoreValidationResultCommand)).toHaveLength(0);
    expect(records()).toHaveLength(0);
  });
});


/**
 * Runs the synthesized drill with its REAL bundled handlers (assets/handlers/<name>/index.js, as
 * deployed), AWS faked at the HTTP layer (fake-aws.ts) for the handlers' SDK calls, and the
 * workflow's AWS SDK integration tasks answered with what the real APIs return (Step Functions
 * passes timestamps of SDK integrations as ISO strings).
 */
import { join } from 'node:path';
import { RESTORE_DRILL_STATES as S } from '../../lib/drill';
import { AwsError, FakeAws } from './fake-aws';
import { Handlers, runLocally } from './helpers';

export const ACCOUNT = '111111111111';
export const EVIDENCE_BUCKET = 'data-drill-evidence';
export const EVIDENCE_KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/evidence`;
const VAULT_ARN = `arn:aws:backup:eu-west-1:${ACCOUNT}:backup-vault:data-vault`;
/**
 * Times of the fake world, in minutes from the execution's start: aws-local-stepfunctions sets
 * `$$.Execution.StartTime` to the real time of the run, so RPO and RTO are measured against it.
 */
export const clock = {
  base: Date.now(),
  at: (minutes: number) => new Date(clock.base + minutes * 60_000).toISOString(),
};
export const rpArn = (id: string) => `arn:aws:backup:eu-west-1:${ACCOUNT}:recovery-point:${id}`;

/** The workflow's Lambda tasks and the bundle each runs. */
export const BUNDLED: { [state: string]: string } = {
  [S.FIND]: 'drill-recovery-point',
  [S.VALIDATE]: 'drill-validator',
  [S.CLEANUP]: 'drill-cleanup',
  [S.SWEEP]: 'drill-cleanup',
  [S.EVIDENCE]: 'drill-evidence',
};

/** Starts the fake AWS and points the bundles' SDK at it (before they load: they create clients at load). */
export async function startFakeAws(): Promise<FakeAws> {
  const aws = new FakeAws();
  const endpoint = await aws.start();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDFAKEDRILLTEST',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    // One attempt per SDK call: the workflow's Retry fields are under test, not the SDK's.
    AWS_MAX_ATTEMPTS: '1',
    EVIDENCE_BUCKET,
    EVIDENCE_KEY_ARN,
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return aws;
}

const bundles = new Map<string, { handler: (input: unknown) => Promise<unknown> }>();
function bundle(name: string) {
  if (!bundles.has(name)) bundles.set(name, require(join(__dirname, '..', '..', 'assets', 'handlers', name, 'index.js')));
  return bundles.get(name)!;
}

/** An error Step Functions reports for a Lambda task that never ran the function (throttling, service errors). */
export function lambdaServiceError(name = 'Lambda.TooManyRequestsException', message = 'Rate Exceeded. (Service: Lambda, Status Code: 429, Request ID: 0f1e)'): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * A Lambda task as Step Functions runs it: the bundled handler on a JSON copy of the payload, its
 * result JSON-serialized. A thrown error becomes Error = errorType and Cause = the Node.js runtime's
 * error payload `{"errorType","errorMessage","trace":[...]}`, stack trace included.
 */
function bundledTask(name: string, faults: Error[]) {
  return async (input: unknown) => {
    const fault = faults.shift();
    if (fault) throw fault;
    try {
      return JSON.parse(JSON.stringify((await bundle(name).handler(JSON.parse(JSON.stringify(input)))) ?? null));
    } catch (e) {
      const err = e as Error;
      const payload = { errorType: err.name, errorMessage: err.message, trace: String(err.stack).split('\n') };
      throw Object.assign(new Error(JSON.stringify(payload)), { name: err.name });
    }
  };
}

/** A restore job in the shape of DescribeRestoreJob, as Step Functions returns it. */
export interface JobScenario {
  /** DescribeRestoreJob calls until the job ends. @default 2 */
  polls?: number;
  /** @default 'COMPLETED' */
  final?: string;
  /** The copy's ARN; `null` leaves CreatedResourceArn out. @default a drill- table ARN from the drill name */
  createdResourceArn?: string | null;
  /** Seconds from creation to completion. @default 42 min */
  seconds?: number;
}

export function describeRestoreJob(job: JobScenario = {}, drillName: () => string, resourceType = 'DynamoDB') {
  let n = 0;
  return () => {
    n++;
    const done = n >= (job.polls ?? 2);
    const status = done ? job.final ?? 'COMPLETED' : 'RUNNING';
    const created = job.createdResourceArn === undefined ? `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${drillName()}` : job.createdResourceArn;
    return {
      AccountId: ACCOUNT,
      RestoreJobId: 'job-1',
      RecoveryPointArn: rpArn('snap-new'),
      RecoveryPointCreationDate: clock.at(-30),
      CreationDate: clock.at(0),
      Status: status,
      ...(status === 'FAILED' ? { StatusMessage: 'Access denied to KMS key' } : {}),
      PercentDone: done ? '100.00%' : '40.00%',
      IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/restore`,
      ResourceType: resourceType,
      ...(done ? { CompletionDate: clock.at((job.seconds ?? 42 * 60) / 60) } : {}),
      ...(done && status === 'COMPLETED' && created !== null ? { CreatedResourceArn: created } : {}),
    };
  };
}

export interface RunOptions {
  /** Errors thrown by the Lambda service before a task runs its function, per state, in order. */
  lambdaFaults?: { [state: string]: Error[] };
  /** Replaces the answer of an SDK integration task. */
  sdk?: Handlers;
  job?: JobScenario;
  /** resourceType of the target, for realistic DescribeRestoreJob answers. @default 'DynamoDB' */
  resourceType?: string;
  /** Replaces a Lambda task's function (a custom validator is the user's code, not a bundle). */
  functions?: Handlers;
}

/** Runs the drill: Lambda tasks run the bundles, SDK integration tasks answer as AWS does. Records each task's inputs. */
export async function runDrill(asl: any, input: unknown, options: RunOptions = {}) {
  const calls: { [state: string]: any[] } = {};
  let drillName = 'drill-unknown';
  const sdk: Handlers = {
    [S.METADATA]: (i) => ({
      BackupVaultArn: VAULT_ARN,
      RecoveryPointArn: i.RecoveryPointArn,
      ResourceType: options.resourceType ?? 'DynamoDB',
      RestoreMetadata: { tableName: 'hr-employees', encryptionType: 'Default', originalTableName: 'hr-employees' },
    }),
    [S.START]: (i) => {
      drillName = i.IdempotencyToken;
      return { RestoreJobId: 'job-1' };
    },
    [S.DESCRIBE]: describeRestoreJob(options.job, () => drillName, options.resourceType),
    [S.DRAIN_DESCRIBE]: () => describeRestoreJob({ ...options.job, polls: 1 }, () => drillName, options.resourceType)(),
    [S.TAG_VOLUME]: () => ({}),
    [S.TAG_FILE_SYSTEM]: () => ({}),
    [S.TAG_VOLUME_LATE]: () => ({}),
    [S.TAG_FILE_SYSTEM_LATE]: () => ({}),
    [S.METRICS]: () => ({}),
    [S.TIMEOUT_METRICS]: () => ({}),
    [S.NOTIFY]: () => ({ MessageId: '5a2d8b4e-0000-4000-8000-000000000001' }),
    [S.NOTIFY_EVIDENCE_FAILED]: () => ({ MessageId: '5a2d8b4e-0000-4000-8000-000000000002' }),
    ...options.sdk,
  };
  const handlers: Handlers = { ...sdk };
  for (const [state, name] of Object.entries(BUNDLED)) handlers[state] = bundledTask(name, [...(options.lambdaFaults?.[state] ?? [])]);
  Object.assign(handlers, options.functions);
  const recorded = Object.fromEntries(
    Object.entries(handlers).map(([state, fn]) => [
      state,
      async (i: any) => {
        (calls[state] ??= []).push(i);
        return fn(i);
      },
    ]),
  );
  const result = await runLocally(asl, input, recorded, () => (clock.base = Date.now()));
  return { result, calls };
}

/** The fake AWS world of a DynamoDB drill that succeeds: 1,200 items in the source and in the copy. */
export function dynamoDbWorld(aws: FakeAws, options: { restoredItems?: number; sourceItems?: number } = {}): void {
  const restored = options.restoredItems ?? 1200;
  aws.on('backup.ListRecoveryPointsByBackupVault', (i: any) =>
    // Two pages, in no particular order, with a newer snapshot still CREATING and the continuous point.
    i.NextToken === 'page-2'
      ? { RecoveryPoints: [
          { RecoveryPointArn: rpArn('continuous:table-hr-employees-1a2b'), Status: 'COMPLETED', CreationDate: clock.at(-12 * 24 * 60), ResourceType: 'DynamoDB' },
          { RecoveryPointArn: rpArn('snap-new'), Status: 'COMPLETED', CreationDate: clock.at(-30), BackupSizeInBytes: 2_400_000, ResourceType: 'DynamoDB' },
        ] }
      : { RecoveryPoints: [
          { RecoveryPointArn: rpArn('snap-old'), Status: 'COMPLETED', CreationDate: clock.at(-30 - 24 * 60), BackupSizeInBytes: 2_300_000, ResourceType: 'DynamoDB' },
          { RecoveryPointArn: rpArn('snap-creating'), Status: 'CREATING', CreationDate: clock.at(-5), ResourceType: 'DynamoDB' },
        ], NextToken: 'page-2' },
  );
  aws.on('dynamodb.DescribeTable', (i: any) => ({
    Table: { TableName: i.TableName, TableStatus: 'ACTIVE', ItemCount: i.TableName === 'hr-employees' ? options.sourceItems ?? 1200 : 0, TableSizeBytes: 2_400_000 },
  }));
  let served = 0;
  aws.on('dynamodb.Scan', (i: any) => {
    const page = Math.min(1000, restored - (i.ExclusiveStartKey ? served : 0));
    served = (i.ExclusiveStartKey ? served : 0) + page;
    const more = served < restored;
    return { Count: page, ScannedCount: page, Items: page > 0 ? [{ id: { S: `item-${served}` } }] : [], ...(more ? { LastEvaluatedKey: { id: { S: `item-${served}` } } } : {}) };
  });
  aws.on('backup.PutRestoreValidationResult', {});
  aws.on('dynamodb.DeleteTable', (i: any) => ({ TableDescription: { TableName: i.TableName, TableStatus: 'DELETING' } }));
  aws.on('s3.PutObject', {});
  // The sweep of earlier drills' leftovers finds none unless a test adds some.
  aws.on('dynamodb.ListTables', { TableNames: ['hr-employees'] });
  aws.on('s3.ListBuckets', { Buckets: [] });
  aws.on('rds.DescribeDBInstances', { DBInstances: [] });
  aws.on('rds.DescribeDBClusters', { DBClusters: [] });
  aws.on('ec2.DescribeVolumes', { Volumes: [] });
}

/** Evidence records the bundled evidence handler wrote to the fake S3 (drills/ keys), parsed. */
export function evidenceWritten(aws: FakeAws): any[] {
  return aws
    .callsOf('s3.PutObject')
    .filter((p) => p.Bucket === EVIDENCE_BUCKET && String(p.Key).startsWith('drills/'))
    .map((p) => ({ key: p.Key, sse: p.ServerSideEncryption, kmsKey: p.SSEKMSKeyId, record: JSON.parse(p.Body) }));
}

export { AwsError };

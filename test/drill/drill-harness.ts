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
/** The drill's restore role, as the restore jobs of the fake world report it (IamRoleArn) and the staleness and discover functions are given it. */
export const RESTORE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/restore`;
/**
 * Restore jobs of earlier drills that AWS Backup still describes (by id), beside the running
 * drill's `job-1`: DescribeRestoreJob answers ResourceNotFoundException for any other id.
 */
export const pastRestoreJobs = new Map<string, any>();
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

/** Table name the restore-events bundle reads (RESTORE_TOKEN_TABLE). */
export const TOKEN_TABLE = 'drill-restore-tokens';
let world: FakeAws | undefined;

/** Starts the fake AWS and points the bundles' SDK at it (before they load: they create clients at load). */
export async function startFakeAws(): Promise<FakeAws> {
  const aws = new FakeAws();
  world = aws;
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
    RESTORE_TOKEN_TABLE: TOKEN_TABLE,
    RESTORE_ROLE_ARN,
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
  /**
   * When the job ends: `1` (or less) before the first wait registers its token (the register step
   * finds it ended), `Infinity` never, anything else a minute into the first wait. In the
   * DescribeRestoreJob SDK tasks (drain), the describe calls until the job ends. @default 2
   */
  polls?: number;
  /** Whether AWS Backup's "Restore Job State Change" event reaches the restore-events function. @default 'delivered' */
  events?: 'delivered' | 'lost';
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
      IamRoleArn: RESTORE_ROLE_ARN,
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

/**
 * What the restore-events function saw: each registration's outcome (the bundle's return value) and
 * each event delivered, with the function's outcome.
 */
export interface RestoreEventsLog {
  registered: any[];
  delivered: Array<{ event: any; outcome: any }>;
  /** Waits that timed out (event lost or not yet due), simulated. */
  timeouts: number;
  /** Simulated seconds since the restore job was created, when the drill moved on. */
  virtualSeconds: number;
}

/** An error Step Functions raises when a task's TimeoutSeconds elapses. */
function statesTimeout(): Error {
  return Object.assign(new Error('States.Timeout'), { name: 'States.Timeout' });
}

/**
 * The world of the event-driven wait, in simulated time (`v`, seconds since the restore job was
 * created): the job (DescribeRestoreJob through the fake AWS, for the REAL restore-events bundle),
 * the token table (DynamoDB PutItem/GetItem/DeleteItem) and Step Functions' SendTaskSuccess, which
 * resolves the waiting task. A wait whose job ends within its timeout gets the event (unless
 * `events: 'lost'`), run through the bundle as EventBridge would invoke it; otherwise simulated
 * time moves on by the wait and the task fails with States.Timeout, as Step Functions does.
 */
function restoreEventsWorld(aws: FakeAws, job: JobScenario, drillName: () => string, resourceType: string) {
  const log: RestoreEventsLog = { registered: [], delivered: [], timeouts: 0, virtualSeconds: 0 };
  const endsAt = (job.polls ?? 2) <= 1 ? 0 : job.polls === Infinity ? Infinity : 60;
  const items = new Map<string, any>();
  const pending = new Map<string, { output?: string }>();
  const describeAt = () => {
    const v = log.virtualSeconds;
    const ended = v >= endsAt;
    const base = describeRestoreJob({ ...job, polls: ended ? 1 : Infinity }, drillName, resourceType)();
    // A running job's CreationDate lies `v` seconds back, as it would after that long.
    return ended ? base : { ...base, CreationDate: new Date(Date.now() - v * 1000).toISOString() };
  };
  aws.on('backup.DescribeRestoreJob', (i: any) => {
    if (pastRestoreJobs.has(i.RestoreJobId)) return pastRestoreJobs.get(i.RestoreJobId);
    if (i.RestoreJobId !== 'job-1') throw new AwsError('ResourceNotFoundException', `restore job ${i.RestoreJobId} not found`);
    return describeAt();
  });
  aws.on('dynamodb.PutItem', (i: any) => {
    if (i.TableName !== TOKEN_TABLE) throw new AwsError('ResourceNotFoundException', `no table ${i.TableName}`);
    items.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  aws.on('dynamodb.GetItem', (i: any) => (items.has(i.Key.restoreJobId.S) ? { Item: items.get(i.Key.restoreJobId.S) } : {}));
  aws.on('dynamodb.DeleteItem', (i: any) => {
    const item = items.get(i.Key.restoreJobId.S);
    if (!item || item.taskToken.S !== i.ExpressionAttributeValues[':t'].S) throw new AwsError('ConditionalCheckFailedException', 'The conditional request failed');
    items.delete(i.Key.restoreJobId.S);
    return {};
  });
  aws.on('states.SendTaskSuccess', (i: any) => {
    const task = pending.get(i.taskToken);
    if (!task || task.output !== undefined) throw new AwsError('TaskTimedOut', 'Task Timed Out: provided task does not exist anymore');
    task.output = i.output;
    return {};
  });
  let n = 0;
  const events = bundle('drill-restore-events');
  /** The `.waitForTaskToken` task: the REAL register handler, then the event or the timeout. */
  const wait = async (input: any) => {
    const token = `token-${++n}`;
    const task: { output?: string } = {};
    pending.set(token, task);
    try {
      const payload = { ...JSON.parse(JSON.stringify(input.Payload)), taskToken: token };
      log.registered.push(await events.handler(payload));
      if (task.output === undefined && job.events !== 'lost' && endsAt <= log.virtualSeconds + payload.waitSeconds) {
        log.virtualSeconds = Math.max(log.virtualSeconds, endsAt);
        const event = { version: '0', source: 'aws.backup', 'detail-type': 'Restore Job State Change', detail: { restoreJobId: payload.restoreJobId, status: job.final ?? 'COMPLETED', iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/restore` } };
        log.delivered.push({ event, outcome: await events.handler(event) });
      }
      if (task.output !== undefined) return JSON.parse(task.output);
      log.virtualSeconds += payload.waitSeconds;
      log.timeouts++;
      throw statesTimeout();
    } finally {
      if (task.output === undefined) pending.delete(token);
    }
  };
  return { log, wait, describe: describeAt };
}

/** Runs the drill: Lambda tasks run the bundles, SDK integration tasks answer as AWS does. Records each task's inputs. */
export async function runDrill(asl: any, input: unknown, options: RunOptions = {}) {
  const calls: { [state: string]: any[] } = {};
  let drillName = 'drill-unknown';
  if (!world) throw new Error('runDrill: call startFakeAws() first');
  const restoreEvents = restoreEventsWorld(world, options.job ?? {}, () => drillName, options.resourceType ?? 'DynamoDB');
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
    [S.WAIT]: restoreEvents.wait,
    [S.WAIT_AGAIN]: restoreEvents.wait,
    // AWS Backup's own answer after the wait resumes.
    [S.CONFIRM]: (i: any) => {
      if (i.RestoreJobId !== 'job-1') throw new AwsError('ResourceNotFoundException', `restore job ${i.RestoreJobId} not found`);
      return restoreEvents.describe();
    },
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
  return { result, calls, restoreEvents: restoreEvents.log };
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
  // Earlier drills' restore jobs (the staleness and discover functions verify successes with them).
  aws.on('backup.DescribeRestoreJob', describePastRestoreJob);
}

/** DescribeRestoreJob of an earlier drill's job (`pastRestoreJobs`), else ResourceNotFoundException. */
export function describePastRestoreJob(i: any) {
  if (pastRestoreJobs.has(i.RestoreJobId)) return pastRestoreJobs.get(i.RestoreJobId);
  throw new AwsError('ResourceNotFoundException', `restore job ${i.RestoreJobId} not found`);
}

/** Evidence records the bundled evidence handler wrote to the fake S3 (drills/ keys), parsed. */
export function evidenceWritten(aws: FakeAws): any[] {
  return aws
    .callsOf('s3.PutObject')
    .filter((p) => p.Bucket === EVIDENCE_BUCKET && String(p.Key).startsWith('drills/'))
    .map((p) => ({ key: p.Key, sse: p.ServerSideEncryption, kmsKey: p.SSEKMSKeyId, record: JSON.parse(p.Body) }));
}

export { AwsError };

/**
 * One fake AWS for a test file: started before its tests, stopped after, reset to the DynamoDB
 * world (or `world`) before each test. `set` receives the instance.
 */
export function withFakeAws(set: (aws: FakeAws) => void, world: (aws: FakeAws) => void = (a) => dynamoDbWorld(a)): void {
  let aws: FakeAws;
  beforeAll(async () => {
    aws = await startFakeAws();
    set(aws);
  });
  afterAll(() => aws.stop());
  beforeEach(() => {
    aws.reset();
    pastRestoreJobs.clear();
    world(aws);
  });
}

/** An object of the fake evidence bucket: its JSON body and S3's LastModified. */
export interface StoredObject {
  body: unknown;
  lastModified: string;
}

/**
 * An earlier successful drill of `name` as the evidence bucket holds it: the latest-success pointer
 * and the evidence record it names, written `daysAgo` days ago, naming restore job `restoreJobId`.
 * `job`: what AWS Backup says of that job — `kept` (COMPLETED by the drill's restore role, completed
 * `daysAgo` days ago), `gone` (no record: ResourceNotFoundException), or its own DescribeRestoreJob answer.
 */
export function earlierSuccess(
  objects: Map<string, StoredObject>,
  name: string,
  options: { daysAgo: number; restoreJobId?: string; job?: 'kept' | 'gone' | object; claimedDaysAgo?: number; sourceArn?: string },
): void {
  const at = new Date(Date.now() - options.daysAgo * 86_400_000).toISOString();
  const claimed = new Date(Date.now() - (options.claimedDaysAgo ?? options.daysAgo) * 86_400_000).toISOString();
  const id = options.restoreJobId ?? `job-${name}-earlier`;
  const key = `drills/${name}/${at.slice(0, 10)}/drill-${name}-0e0e0e0e.json`;
  objects.set(key, { body: { schemaVersion: 2, status: 'SUCCEEDED', target: name, restoreJob: { id, status: 'COMPLETED', completedAt: claimed }, drillFinishedAt: claimed }, lastModified: at });
  objects.set(`latest-success/${name}.json`, { body: { evidenceKey: key, restoreJobId: id, drillFinishedAt: claimed }, lastModified: at });
  const job = options.job ?? 'kept';
  if (job === 'kept') pastRestoreJobs.set(id, { RestoreJobId: id, AccountId: ACCOUNT, Status: 'COMPLETED', IamRoleArn: RESTORE_ROLE_ARN, CreationDate: at, CompletionDate: at, ...(options.sourceArn ? { SourceResourceArn: options.sourceArn } : {}) });
  else if (job !== 'gone') pastRestoreJobs.set(id, { RestoreJobId: id, ...job });
}

/** A responder for s3.GetObject reading `objects` (NoSuchKey otherwise). */
export function objectStore(objects: Map<string, StoredObject>) {
  return (i: any) => {
    const o = objects.get(i.Key);
    if (!o) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
    return { Body: JSON.stringify(o.body), LastModified: o.lastModified };
  };
}

/**
 * Default validator of a restore drill: checks the restored copy, compares it with its source,
 * and reports the result to AWS Backup with PutRestoreValidationResult.
 *  - S3: object count >= `minObjects` (default 1); object count and bytes of the copy at least
 *    (100 - `tolerancePercent`)% of the source bucket's current objects (ListObjectsV2 on both:
 *    AWS Backup "restores only the latest version from the version stack",
 *    https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-s3.html); up to
 *    `sampleObjects` (default 5) objects read with checksum validation.
 *  - DynamoDB: table ACTIVE; item count (Scan COUNT) >= `minItems` (default 1) and at least
 *    (100 - `tolerancePercent`)% of the source table's ItemCount (DescribeTable, which "DynamoDB
 *    updates approximately every six hours",
 *    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html); a
 *    sample item readable.
 *  - Aurora: cluster available and encrypted, and a data check by describe calls: same
 *    engine as the source, and AllocatedStorage at least (100 - `tolerancePercent`)% of the
 *    source's ("For Aurora, AllocatedStorage can vary because Aurora DB cluster storage size
 *    adjusts as needed", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html).
 *    AWS Backup restores the cluster without DB instances, so nothing can read rows unless an
 *    instance is added (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html):
 *    a `sqlQuery` (rejected at synth) fails the drill instead of passing unchecked.
 *  - RDS: the instance is available, encrypted and private. EBS / EFS: available and encrypted.
 * `tolerancePercent` defaults to 10 (the source keeps changing after its backup); a source that
 * cannot be read fails the comparison unless `compareWithSource` is 'false'.
 *  - Content (S3, DynamoDB, with `CANARY_RECORDS_BUCKET` set and `validation.canary` not 'false'):
 *    the canary the drill's canary writer put into the store (lib/drill/canary.ts) must be in the
 *    restored copy with the SHA-256 recorded in the evidence bucket when it was written; a copy of
 *    data encrypted or replaced after that fails the drill, whatever its counts.
 * Returns `{ valid, message, checks }`; throws only when it cannot check at all.
 */
import { BackupClient, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DRILL_PREFIX } from '../../core/constants';
import {
  CANARY_ID_ATTRIBUTE,
  CANARY_ID_METADATA,
  CANARY_OBJECT_KEY,
  CANARY_PARTITION_KEY,
  CANARY_PAYLOAD_ATTRIBUTE,
  CANARY_RECORD_PREFIX,
  CanaryRecord,
  canaryRecordKey,
  canarySortKeyValue,
  canaryVerdict,
  RestoredCanary,
  millisOf,
  sha256Hex,
} from '../canary';

const backup = new BackupClient({});
const s3 = new S3Client({});
const ddb = new DynamoDBClient({});
const rds = new RDSClient({});
const ec2 = new EC2Client({});
const efs = new EFSClient({});

export interface ValidatorInput {
  restoreJobId: string;
  resourceType: string;
  createdResourceArn?: string;
  drillName: string;
  target: { name: string; resourceArn?: string; validation?: { [key: string]: string } };
  /** The restore job as DescribeRestoreJob returned it (RecoveryPointCreationDate dates the canary check). */
  job?: { RecoveryPointCreationDate?: unknown };
}

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

const num = (v: string | undefined, d: number) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Number(v));
const check = (name: string, passed: boolean, detail: string): Check => ({ name, passed, detail });
const errorText = (e: unknown) => `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`;

/** Allowed shortfall of the copy against its source, in percent: `validation.tolerancePercent`, default 10. */
export function tolerancePercent(v: { [k: string]: string }): number {
  if (v.tolerancePercent === undefined || v.tolerancePercent === '') return 10;
  const n = Number(v.tolerancePercent);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new Error(`validation.tolerancePercent must be a number from 0 to 100, got '${v.tolerancePercent}'`);
  return n;
}

/** The least the copy may hold: the source's figure less the tolerance. */
export const atLeast = (source: number, tolerance: number) => Math.ceil((source * (100 - tolerance)) / 100 - 1e-9);

interface SourceFigure<T = number> {
  value?: T;
  error?: string;
}

/** Reads figures of the source; a source that cannot be read is an error of the comparison, not of the validator. */
async function fromSource<T>(arn: string | undefined, read: (arn: string) => Promise<T>): Promise<SourceFigure<T>> {
  if (!arn) return { error: 'the target has no resourceArn' };
  try {
    return { value: await read(arn) };
  } catch (e) {
    return { error: `${arn}: ${errorText(e)}` };
  }
}

function compareWithSource(name: string, restored: number, source: SourceFigure<number> | undefined, tolerance: number, unit: string, note?: string): Check {
  if (!source) return check(name, true, 'comparison with the source turned off (validation.compareWithSource=false)');
  if (source.error !== undefined || source.value === undefined) return check(name, false, `cannot compare with the source: ${source.error ?? 'no figure'}`);
  const min = atLeast(source.value, tolerance);
  return check(name, restored >= min, `${restored} ${unit} restored, the source has ${source.value}: expected at least ${min} (tolerance ${tolerance}%${note ? `; ${note}` : ''})`);
}

const bucketOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
const tableOf = (arn: string) => arn.slice(arn.indexOf('/') + 1).split('/')[0];
const clusterOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/** Current objects of a bucket (ListObjectsV2): count, bytes and the first `sample` keys. */
async function listBucket(bucket: string, sample: number) {
  let count = 0;
  let bytes = 0;
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
    for (const o of page.Contents ?? []) {
      count++;
      bytes += o.Size ?? 0;
      if (keys.length < sample && o.Key) keys.push(o.Key);
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return { count, bytes, keys };
}

async function validateS3(bucket: string, v: { [k: string]: string }, sourceArn: string | undefined, compare: boolean): Promise<Check[]> {
  const min = num(v.minObjects, 1);
  const sample = num(v.sampleObjects, 5);
  const tolerance = tolerancePercent(v);
  const restored = await listBucket(bucket, sample);
  const checks = [check('objectCount', restored.count >= min, `${restored.count} object(s), expected at least ${min}`)];
  if (compare) {
    const source = await fromSource(sourceArn, (arn) => listBucket(bucketOf(arn), 0));
    checks.push(compareWithSource('objectsComparedWithSource', restored.count, { value: source.value?.count, error: source.error }, tolerance, 'object(s)'));
    checks.push(compareWithSource('bytesComparedWithSource', restored.bytes, { value: source.value?.bytes, error: source.error }, tolerance, 'byte(s)'));
  } else {
    checks.push(compareWithSource('objectsComparedWithSource', restored.count, undefined, tolerance, 'object(s)'));
  }
  for (const Key of restored.keys) {
    try {
      // ChecksumMode ENABLED makes the SDK verify the stored checksum while reading the body.
      const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, ChecksumMode: 'ENABLED' }));
      const bytes = (await obj.Body?.transformToByteArray())?.length ?? 0;
      checks.push(check(`read:${Key}`, true, `${bytes} bytes read, checksum ${obj.ChecksumSHA256 ?? obj.ChecksumCRC32 ?? obj.ChecksumCRC64NVME ?? obj.ETag ?? 'n/a'}`));
    } catch (e) {
      checks.push(check(`read:${Key}`, false, errorText(e)));
    }
  }
  return checks;
}

async function validateDynamoDb(table: string, v: { [k: string]: string }, sourceArn: string | undefined, compare: boolean, content: (described: any) => Promise<Check[]>): Promise<Check[]> {
  const min = num(v.minItems, 1);
  const tolerance = tolerancePercent(v);
  const described = await ddb.send(new DescribeTableCommand({ TableName: table }));
  const canary = await content(described.Table);
  const checks = [check('tableActive', described.Table?.TableStatus === 'ACTIVE', `status ${described.Table?.TableStatus}`)];
  const source = compare
    ? await fromSource(sourceArn, async (arn) => {
        const count = (await ddb.send(new DescribeTableCommand({ TableName: tableOf(arn) }))).Table?.ItemCount;
        if (count === undefined) throw new Error('DescribeTable returned no ItemCount');
        return count;
      })
    : undefined;
  // Scan until both the minimum and the source's count (less the tolerance) are reached: the copy's
  // own ItemCount lags by hours, and a partial restore must not pass on its first page.
  const goal = Math.max(min, source?.value !== undefined ? atLeast(source.value, tolerance) : 0);
  let count = 0;
  let sampled = false;
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey, Limit: 1000 }));
    count += page.Count ?? 0;
    sampled ||= (page.Items?.length ?? 0) > 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && count < goal);
  const counted = `${count}${ExclusiveStartKey ? '+' : ''}`;
  checks.push(check('itemCount', count >= min, `${counted} item(s), expected at least ${min}`));
  checks.push(compareWithSource('itemsComparedWithSource', count, source, tolerance, 'item(s)', 'source: DescribeTable ItemCount, updated about every six hours'));
  checks.push(check('sampleItem', sampled || min === 0, sampled ? 'a sample item was read' : 'no item could be read'));
  return [...checks, ...canary];
}

async function validateAurora(cluster: string, v: { [k: string]: string }, sourceArn: string | undefined, compare: boolean): Promise<Check[]> {
  const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster }))).DBClusters?.[0];
  const checks = [
    check('clusterAvailable', c?.Status === 'available', `status ${c?.Status}`),
    check('encrypted', c?.StorageEncrypted === true, `StorageEncrypted ${c?.StorageEncrypted}`),
  ];
  if (v.sqlQuery) {
    // Only an execution input written by hand gets here (DrillTarget rejects it at synth).
    checks.push(check('sqlQuery', false, 'not run: AWS Backup restores an Aurora cluster without DB instances and the drill adds none; remove validation.sqlQuery'));
  }
  // No query: compare the copy with its source by describe calls (the restored cluster has no instance to query).
  const tolerance = tolerancePercent(v);
  if (!compare) {
    checks.push(compareWithSource('storageComparedWithSource', c?.AllocatedStorage ?? 0, undefined, tolerance, 'GiB'));
    return checks;
  }
  let engine: string | undefined;
  const source = await fromSource(sourceArn, async (arn) => {
    const s = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterOf(arn) }))).DBClusters?.[0];
    if (s?.AllocatedStorage === undefined) throw new Error('DescribeDBClusters returned no AllocatedStorage');
    engine = s.Engine;
    return s.AllocatedStorage;
  });
  checks.push(
    source.error
      ? check('engineMatchesSource', false, `cannot compare with the source: ${source.error}`)
      : check('engineMatchesSource', c?.Engine === engine, `engine ${c?.Engine}, the source's ${engine}`),
  );
  checks.push(compareWithSource('storageComparedWithSource', c?.AllocatedStorage ?? 0, source, tolerance, 'GiB', 'DescribeDBClusters AllocatedStorage'));
  return checks;
}

// ---- Content: the canary (lib/drill/canary.ts).

const isMissing = (e: unknown) => ['NoSuchKey', 'NotFound'].includes((e as { name?: string })?.name ?? '');

/** The record a restored canary names, with the time S3 stored it (LastModified: set by S3, not by the writer). */
async function canaryRecord(recordsBucket: string, target: string, id: string): Promise<(CanaryRecord & { recordedAt?: number }) | undefined> {
  try {
    const obj = await s3.send(new GetObjectCommand({ Bucket: recordsBucket, Key: canaryRecordKey(target, id) }));
    const record = JSON.parse((await obj.Body?.transformToString()) ?? '{}') as CanaryRecord;
    return { ...record, recordedAt: obj.LastModified?.getTime() };
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** When the target's first canary was recorded: record ids sort by time, so the first key listed is the oldest. */
async function firstCanaryRecordedAt(recordsBucket: string, target: string): Promise<number | undefined> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: recordsBucket, Prefix: `${CANARY_RECORD_PREFIX}${target}/`, MaxKeys: 1 }));
  const first = page.Contents?.[0];
  return first ? first.LastModified?.getTime() ?? Date.now() : undefined;
}

/** The restored canary's id: from its metadata or attribute, else from its JSON content. */
function idOfContent(id: string | undefined, content: string): string | undefined {
  if (id) return id;
  try {
    const parsed = JSON.parse(content);
    return typeof parsed?.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

async function checkCanary(input: ValidatorInput, restored: RestoredCanary | undefined): Promise<Check> {
  const recordsBucket = process.env.CANARY_RECORDS_BUCKET!;
  const target = input.target.name;
  const record = restored?.id ? await canaryRecord(recordsBucket, target, restored.id) : undefined;
  const firstRecordedAt = restored ? undefined : await firstCanaryRecordedAt(recordsBucket, target);
  return canaryVerdict({ target, restored, record, firstRecordedAt, recoveryPointCreatedAt: millisOf(input.job?.RecoveryPointCreationDate) });
}

async function restoredObjectCanary(bucket: string): Promise<RestoredCanary | undefined> {
  try {
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: CANARY_OBJECT_KEY }));
    const bytes = (await obj.Body?.transformToByteArray()) ?? new Uint8Array();
    return { id: idOfContent(obj.Metadata?.[CANARY_ID_METADATA], Buffer.from(bytes).toString('utf8')), sha256: sha256Hex(bytes) };
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

async function restoredItemCanary(table: string, described: any): Promise<RestoredCanary | 'not applicable' | undefined> {
  const typeOf = (name: string) => described?.AttributeDefinitions?.find((a: any) => a.AttributeName === name)?.AttributeType;
  const hash = described?.KeySchema?.find((k: any) => k.KeyType === 'HASH')?.AttributeName;
  const range = described?.KeySchema?.find((k: any) => k.KeyType === 'RANGE')?.AttributeName;
  if (!hash || typeOf(hash) !== 'S') return 'not applicable';
  const Key: Record<string, any> = { [hash]: { S: CANARY_PARTITION_KEY } };
  if (range) Key[range] = canarySortKeyValue(typeOf(range));
  const item = (await ddb.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }))).Item;
  if (!item) return undefined;
  const payload = item[CANARY_PAYLOAD_ATTRIBUTE];
  // A payload that is no longer a string (overwritten with binary, say) is hashed as its JSON.
  const content = typeof payload?.S === 'string' ? payload.S : JSON.stringify(payload ?? null);
  return { id: idOfContent(item[CANARY_ID_ATTRIBUTE]?.S, content), sha256: sha256Hex(content) };
}

/** The canary check of a copy, when the drill writes canaries and the target does not opt out. */
async function contentChecks(input: ValidatorInput, described?: any): Promise<Check[]> {
  if (!process.env.CANARY_RECORDS_BUCKET || input.target.validation?.canary === 'false') return [];
  if (input.resourceType === 'S3') return [await checkCanary(input, await restoredObjectCanary(input.drillName))];
  const restored = await restoredItemCanary(input.drillName, described);
  if (restored === 'not applicable') return [check('canary', true, 'not applicable: the table\'s partition key is not a string, so it takes no canary item (content not checked)')];
  return [await checkCanary(input, restored)];
}

async function validateRds(instance: string): Promise<Check[]> {
  const i = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instance }))).DBInstances?.[0];
  return [
    check('instanceAvailable', i?.DBInstanceStatus === 'available', `status ${i?.DBInstanceStatus}`),
    check('encrypted', i?.StorageEncrypted === true, `StorageEncrypted ${i?.StorageEncrypted}`),
    check('private', i?.PubliclyAccessible === false, `PubliclyAccessible ${i?.PubliclyAccessible}`),
  ];
}

const idOf = (arn: string) => arn.split(/[/:]/).pop()!;

async function validateEbs(arn: string): Promise<Check[]> {
  const vol = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [idOf(arn)] }))).Volumes?.[0];
  return [check('volumeAvailable', vol?.State === 'available', `state ${vol?.State}`), check('encrypted', vol?.Encrypted === true, `Encrypted ${vol?.Encrypted}`)];
}

async function validateEfs(arn: string): Promise<Check[]> {
  const fs = (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: idOf(arn) }))).FileSystems?.[0];
  return [
    check('fileSystemAvailable', fs?.LifeCycleState === 'available', `state ${fs?.LifeCycleState}`),
    check('encrypted', fs?.Encrypted === true, `Encrypted ${fs?.Encrypted}`),
  ];
}

export async function handler(input: ValidatorInput) {
  if (!input.drillName?.startsWith(DRILL_PREFIX)) throw new Error(`not a drill resource: '${input.drillName}'`);
  return validateAndReport(input);
}

/**
 * The checks of a restored copy named `input.drillName` and their report to AWS Backup, without
 * the `drill-` name guard: the restore-testing validator (restore-testing-validator.lambda.ts)
 * calls it for the copies AWS Backup restore testing names itself.
 */
export async function validateAndReport(input: ValidatorInput) {
  const v = input.target.validation ?? {};
  const compare = v.compareWithSource !== 'false';
  const source = input.target.resourceArn;
  let checks: Check[];
  switch (input.resourceType) {
    case 'S3':
      checks = [...(await validateS3(input.drillName, v, source, compare)), ...(await contentChecks(input))];
      break;
    case 'DynamoDB':
      checks = await validateDynamoDb(input.drillName, v, source, compare, (described) => contentChecks(input, described));
      break;
    case 'Aurora':
      checks = await validateAurora(input.drillName, v, source, compare);
      break;
    case 'RDS':
      checks = await validateRds(input.drillName);
      break;
    case 'EBS':
    case 'EFS':
      if (!input.createdResourceArn) throw new Error(`restore job ${input.restoreJobId} reports no CreatedResourceArn`);
      checks = input.resourceType === 'EBS' ? await validateEbs(input.createdResourceArn) : await validateEfs(input.createdResourceArn);
      break;
    default:
      throw new Error(`unsupported resource type '${input.resourceType}'`);
  }
  const failed = checks.filter((c) => !c.passed);
  const valid = failed.length === 0;
  const message = valid ? `${checks.length} check(s) passed` : `failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`;
  let reported = true;
  let reportError: string | undefined;
  try {
    await backup.send(
      new PutRestoreValidationResultCommand({ RestoreJobId: input.restoreJobId, ValidationStatus: valid ? 'SUCCESSFUL' : 'FAILED', ValidationStatusMessage: message.slice(0, 1000) }),
    );
  } catch (e) {
    // AWS Backup may accept validation results only once, or only for restore-testing jobs: keep the local verdict.
    reported = false;
    reportError = errorText(e);
  }
  return { valid, message, checks, reportedToBackup: reported, reportError };
}

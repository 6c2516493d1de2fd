/**
 * Default validator of a restore drill: checks the restored copy and reports the result to
 * AWS Backup with PutRestoreValidationResult.
 *  - S3: object count >= `minObjects` (default 1); up to `sampleObjects` (default 5) objects read
 *    with checksum validation.
 *  - DynamoDB: item count (Scan COUNT) >= `minItems` (default 1), and a sample item readable.
 *  - Aurora: `sqlQuery` through the Data API with `secretArn` (rows >= `expectedRows`, default 1),
 *    else the cluster is available and encrypted. RDS: the instance is available and encrypted.
 *  - EBS / EFS: the volume / file system is available and encrypted.
 * Returns `{ valid, message, checks }`; throws only when it cannot check at all.
 */
import { BackupClient, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DRILL_PREFIX } from '../../core/constants';

const backup = new BackupClient({});
const s3 = new S3Client({});
const ddb = new DynamoDBClient({});
const rds = new RDSClient({});
const rdsData = new RDSDataClient({});
const ec2 = new EC2Client({});
const efs = new EFSClient({});

export interface ValidatorInput {
  restoreJobId: string;
  resourceType: string;
  createdResourceArn?: string;
  drillName: string;
  target: { name: string; resourceArn?: string; validation?: { [key: string]: string } };
}

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

const num = (v: string | undefined, d: number) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Number(v));
const check = (name: string, passed: boolean, detail: string): Check => ({ name, passed, detail });

async function validateS3(bucket: string, v: { [k: string]: string }): Promise<Check[]> {
  const min = num(v.minObjects, 1);
  const sample = num(v.sampleObjects, 5);
  let count = 0;
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
    for (const o of page.Contents ?? []) {
      count++;
      if (keys.length < sample && o.Key) keys.push(o.Key);
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  const checks = [check('objectCount', count >= min, `${count} object(s), expected at least ${min}`)];
  for (const Key of keys) {
    try {
      // ChecksumMode ENABLED makes the SDK verify the stored checksum while reading the body.
      const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, ChecksumMode: 'ENABLED' }));
      const bytes = (await obj.Body?.transformToByteArray())?.length ?? 0;
      checks.push(check(`read:${Key}`, true, `${bytes} bytes read, checksum ${obj.ChecksumSHA256 ?? obj.ChecksumCRC32 ?? obj.ChecksumCRC64NVME ?? obj.ETag ?? 'n/a'}`));
    } catch (e) {
      checks.push(check(`read:${Key}`, false, `${(e as Error).name}: ${(e as Error).message}`));
    }
  }
  return checks;
}

async function validateDynamoDb(table: string, v: { [k: string]: string }): Promise<Check[]> {
  const min = num(v.minItems, 1);
  const described = await ddb.send(new DescribeTableCommand({ TableName: table }));
  const checks = [check('tableActive', described.Table?.TableStatus === 'ACTIVE', `status ${described.Table?.TableStatus}`)];
  // ItemCount in DescribeTable lags by hours: count with a Scan, stopping once the minimum is reached.
  let count = 0;
  let sampled = false;
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey, Limit: 1000 }));
    count += page.Count ?? 0;
    sampled ||= (page.Items?.length ?? 0) > 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && count < min);
  checks.push(check('itemCount', count >= min, `${count}${ExclusiveStartKey ? '+' : ''} item(s), expected at least ${min}`));
  checks.push(check('sampleItem', sampled || min === 0, sampled ? 'a sample item was read' : 'no item could be read'));
  return checks;
}

async function validateAurora(cluster: string, v: { [k: string]: string }): Promise<Check[]> {
  const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster }))).DBClusters?.[0];
  const checks = [
    check('clusterAvailable', c?.Status === 'available', `status ${c?.Status}`),
    check('encrypted', c?.StorageEncrypted === true, `StorageEncrypted ${c?.StorageEncrypted}`),
  ];
  if (v.sqlQuery) {
    if (!v.secretArn) throw new Error('validation.sqlQuery needs validation.secretArn (database credentials for the Data API)');
    const res = await rdsData.send(
      new ExecuteStatementCommand({ resourceArn: c!.DBClusterArn!, secretArn: v.secretArn, sql: v.sqlQuery, database: v.database || undefined }),
    );
    const rows = res.records?.length ?? 0;
    const min = num(v.expectedRows, 1);
    checks.push(check('sqlQuery', rows >= min, `${rows} row(s) from '${v.sqlQuery}', expected at least ${min}`));
  }
  return checks;
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
  const v = input.target.validation ?? {};
  let checks: Check[];
  switch (input.resourceType) {
    case 'S3':
      checks = await validateS3(input.drillName, v);
      break;
    case 'DynamoDB':
      checks = await validateDynamoDb(input.drillName, v);
      break;
    case 'Aurora':
      checks = await validateAurora(input.drillName, v);
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
    reportError = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return { valid, message, checks, reportedToBackup: reported, reportError };
}

/**
 * Deletes the copy a restore drill created, and nothing else: names must start with `drill-`
 * (S3, DynamoDB, RDS, Aurora) and volumes/file systems must carry the drill tag — the IAM role
 * enforces the same, so a wrong input fails instead of deleting production data. Throws on any
 * failure: the workflow records it in the evidence and the notification.
 */
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DeleteDBClusterCommand, DeleteDBInstanceCommand, DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { DeleteVolumeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import { DRILL_PREFIX } from '../../core/constants';

const s3 = new S3Client({});
const ddb = new DynamoDBClient({});
const rds = new RDSClient({});
const ec2 = new EC2Client({});
const efs = new EFSClient({});

export interface CleanupInput {
  drillName: string;
  target: { resourceType: string };
  restoreJob?: { RestoreJobId?: string };
  job?: { Status?: string; CreatedResourceArn?: string };
}

export interface CleanupResult {
  status: 'DELETED' | 'NOTHING_TO_DELETE' | 'RESTORE_STILL_RUNNING';
  resource?: string;
  message: string;
}

const notFound = (e: unknown) => {
  const name = (e as { name?: string })?.name ?? '';
  return /NotFound|NoSuchBucket|NotFoundFault|InvalidVolume\.NotFound|FileSystemNotFound/.test(name) || e instanceof ResourceNotFoundException;
};

async function emptyAndDeleteBucket(bucket: string): Promise<number> {
  let deleted = 0;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    if (objects.length) {
      const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      if (res.Errors?.length) throw new Error(`could not delete ${res.Errors.length} object(s) of ${bucket}: ${res.Errors[0].Code} ${res.Errors[0].Message}`);
      deleted += objects.length;
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  return deleted;
}

/** The id after the last '/' or ':' of an ARN (volume, file system). */
const idOf = (arn: string) => arn.split(/[/:]/).pop()!;

export async function handler(input: CleanupInput): Promise<CleanupResult> {
  const name = input.drillName;
  if (typeof name !== 'string' || !name.startsWith(DRILL_PREFIX)) {
    throw new Error(`refusing to clean up '${name}': drill resources are named '${DRILL_PREFIX}*'`);
  }
  const status = input.job?.Status;
  if (!input.restoreJob?.RestoreJobId) return { status: 'NOTHING_TO_DELETE', message: 'no restore job was started' };
  const running = status !== undefined && !['COMPLETED', 'FAILED', 'ABORTED'].includes(status);
  const arn = input.job?.CreatedResourceArn;
  try {
    switch (input.target.resourceType) {
      case 'S3': {
        const objects = await emptyAndDeleteBucket(name);
        return { status: 'DELETED', resource: `arn:aws:s3:::${name}`, message: `deleted bucket ${name} and ${objects} object version(s)` };
      }
      case 'DynamoDB':
        await ddb.send(new DeleteTableCommand({ TableName: name }));
        return { status: 'DELETED', resource: name, message: `deleted table ${name}` };
      case 'RDS':
        await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
        return { status: 'DELETED', resource: name, message: `deleting DB instance ${name}` };
      case 'Aurora': {
        const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: name }))).DBClusters?.[0];
        if (cluster?.DeletionProtection) await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: name, DeletionProtection: false, ApplyImmediately: true }));
        for (const m of cluster?.DBClusterMembers ?? []) {
          await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: m.DBInstanceIdentifier!, SkipFinalSnapshot: true }));
        }
        await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: name, SkipFinalSnapshot: true }));
        return { status: 'DELETED', resource: name, message: `deleting DB cluster ${name}` };
      }
      case 'EBS':
      case 'EFS': {
        if (!arn) {
          return running
            ? { status: 'RESTORE_STILL_RUNNING', message: `restore job ${input.restoreJob.RestoreJobId} still ${status}: no resource to delete yet` }
            : { status: 'NOTHING_TO_DELETE', message: 'the restore job created no resource' };
        }
        // IAM allows these deletes only on resources tagged by the drill workflow.
        if (input.target.resourceType === 'EBS') await ec2.send(new DeleteVolumeCommand({ VolumeId: idOf(arn) }));
        else await efs.send(new DeleteFileSystemCommand({ FileSystemId: idOf(arn) }));
        return { status: 'DELETED', resource: arn, message: `deleted ${arn}` };
      }
      default:
        throw new Error(`unsupported resource type '${input.target.resourceType}'`);
    }
  } catch (e) {
    if (notFound(e)) {
      return running
        ? { status: 'RESTORE_STILL_RUNNING', message: `restore job ${input.restoreJob.RestoreJobId} still ${status}: ${name} does not exist yet` }
        : { status: 'NOTHING_TO_DELETE', message: `${name} does not exist` };
    }
    throw e;
  }
}

/**
 * Deletes the copy a restore drill created, and nothing else: names must start with `drill-`
 * (S3, DynamoDB, RDS, Aurora) and volumes/file systems must carry the drill tag — the IAM role
 * enforces the same, so a wrong input fails instead of deleting production data. Throws on any
 * failure: the workflow records it in the evidence and the notification.
 * With `sweep: true`, deletes instead what earlier drills of the target left (see `sweep`).
 */
import { DeleteBucketCommand, DeleteObjectsCommand, ListBucketsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DeleteDBClusterCommand, DeleteDBInstanceCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { DeleteVolumeCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteFileSystemCommand, DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { BackupClient, ListRestoreJobsCommand } from '@aws-sdk/client-backup';
import { DRILL_PREFIX, DRILL_TAG } from '../../core/constants';

const s3 = new S3Client({});
const ddb = new DynamoDBClient({});
const rds = new RDSClient({});
const ec2 = new EC2Client({});
const efs = new EFSClient({});
const backup = new BackupClient({});

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

export async function handler(input: CleanupInput): Promise<CleanupResult>;
export async function handler(input: SweepInput): Promise<SweepResult>;
export async function handler(input: CleanupInput | SweepInput): Promise<CleanupResult | SweepResult> {
  if ((input as SweepInput).sweep === true) return sweep(input as SweepInput);
  return cleanUp(input as CleanupInput);
}

async function cleanUp(input: CleanupInput): Promise<CleanupResult> {
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

// ---- Sweep: copies earlier drills of the same target left behind (a restore that finished after its drill).

export interface SweepInput {
  sweep: true;
  /** This drill's copy name: never swept. */
  drillName: string;
  target: { name: string; resourceType: string; restoreTimeoutSeconds?: number };
  /** The role this drill's restore jobs run with: only their outputs are swept. */
  restoreRoleArn: string;
}

export interface SweepResult {
  deleted: string[];
  failed: { resource: string; error: string; message: string }[];
  /**
   * Left alone: copies too young to be leftovers (a drill of the target may still own them), and
   * resources that match the name or tag but are not the output of a restore job this drill's
   * restore role ran (anyone can name or tag a resource like a drill copy).
   */
  skipped: string[];
}

/**
 * ARNs of what the restore jobs run with `restoreRoleArn` created (ListRestoreJobs, every page;
 * RestoreJobsListMember.CreatedResourceArn and IamRoleArn:
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreJobsListMember.html). A resource
 * is swept only when it is one of them: provenance, not a name or a tag, decides.
 */
async function restoredBy(restoreRoleArn: string, type: string): Promise<Set<string>> {
  const arns = new Set<string>();
  let NextToken: string | undefined;
  do {
    const page = await backup.send(new ListRestoreJobsCommand({ ByResourceType: type, NextToken }));
    for (const j of page.RestoreJobs ?? []) if (j.IamRoleArn === restoreRoleArn && j.CreatedResourceArn) arns.add(j.CreatedResourceArn);
    NextToken = page.NextToken;
  } while (NextToken);
  return arns;
}

/** Whether `arn` (a restore job's CreatedResourceArn) names the candidate (its name or id ends the ARN). */
const names = (arn: string, c: { name: string; resource: string }) => arn === c.resource || arn.endsWith(`/${c.name}`) || arn.endsWith(`:${c.name}`);

/**
 * Copies of this target: `drill-<target>-<8 hex>` (the name the workflow's Prepare state gives),
 * so a target named `hr` never matches `drill-hr-payroll-1a2b3c4d` of a target `hr-payroll`.
 */
export function copyPattern(target: string): RegExp {
  return new RegExp(`^${DRILL_PREFIX}${target}-[0-9a-f]{8}$`);
}

/**
 * A copy younger than this may belong to a drill of the same target that is still running (an
 * on-demand drill overlapping a scheduled one): a drill ends at most its restore timeout, as long
 * again waiting for a timed-out restore, and its functions' throttling retries (4 h) after it
 * starts, and its copy is created after it starts.
 */
export const minLeftoverAgeSeconds = (restoreTimeoutSeconds: number | undefined) => 2 * (restoreTimeoutSeconds ?? 86400) + 4 * 3600;

interface Candidate {
  /** What cleanUp deletes: the drill name (named copies) or the id (volumes, file systems). */
  name: string;
  /** ARN or id, for the evidence. */
  resource: string;
  created?: Date;
}

/** The target type's drill copies that exist, listed per type (every page). */
async function candidates(type: string, prefix: string, pattern: RegExp): Promise<Candidate[]> {
  const found: Candidate[] = [];
  switch (type) {
    case 'S3': {
      // ListBuckets with a Prefix (s3:ListAllMyBuckets): https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
      let ContinuationToken: string | undefined;
      do {
        // This region's buckets only, as the other types' list calls are regional.
        const page = await s3.send(new ListBucketsCommand({ Prefix: prefix, BucketRegion: process.env.AWS_REGION, ContinuationToken, MaxBuckets: 1000 }));
        for (const b of page.Buckets ?? []) if (b.Name && pattern.test(b.Name)) found.push({ name: b.Name, resource: `arn:aws:s3:::${b.Name}`, created: b.CreationDate });
        ContinuationToken = page.ContinuationToken;
      } while (ContinuationToken);
      return found;
    }
    case 'DynamoDB': {
      let ExclusiveStartTableName: string | undefined;
      do {
        const page = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName }));
        for (const t of page.TableNames ?? []) {
          if (!pattern.test(t)) continue;
          const table = (await ddb.send(new DescribeTableCommand({ TableName: t }))).Table;
          found.push({ name: t, resource: table?.TableArn ?? t, created: table?.CreationDateTime });
        }
        ExclusiveStartTableName = page.LastEvaluatedTableName;
      } while (ExclusiveStartTableName);
      return found;
    }
    case 'RDS': {
      let Marker: string | undefined;
      do {
        const page = await rds.send(new DescribeDBInstancesCommand({ Marker }));
        for (const i of page.DBInstances ?? []) {
          // Aurora cluster members go with their cluster.
          if (i.DBInstanceIdentifier && !i.DBClusterIdentifier && pattern.test(i.DBInstanceIdentifier)) found.push({ name: i.DBInstanceIdentifier, resource: i.DBInstanceArn ?? i.DBInstanceIdentifier, created: i.InstanceCreateTime });
        }
        Marker = page.Marker;
      } while (Marker);
      return found;
    }
    case 'Aurora': {
      let Marker: string | undefined;
      do {
        const page = await rds.send(new DescribeDBClustersCommand({ Marker }));
        for (const c of page.DBClusters ?? []) {
          if (c.DBClusterIdentifier && pattern.test(c.DBClusterIdentifier)) found.push({ name: c.DBClusterIdentifier, resource: c.DBClusterArn ?? c.DBClusterIdentifier, created: c.ClusterCreateTime });
        }
        Marker = page.Marker;
      } while (Marker);
      return found;
    }
    case 'EBS': {
      // Volume ids are random: only volumes the workflow tagged are found (and deletable).
      let NextToken: string | undefined;
      do {
        const page = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: `tag:${DRILL_TAG}`, Values: [`${prefix}*`] }], NextToken }));
        for (const v of page.Volumes ?? []) {
          const tag = v.Tags?.find((t) => t.Key === DRILL_TAG)?.Value;
          if (v.VolumeId && tag && pattern.test(tag)) found.push({ name: v.VolumeId, resource: v.VolumeId, created: v.CreateTime });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return found;
    }
    case 'EFS': {
      let Marker: string | undefined;
      do {
        const page = await efs.send(new DescribeFileSystemsCommand({ Marker }));
        for (const f of page.FileSystems ?? []) {
          const tag = f.Tags?.find((t) => t.Key === DRILL_TAG)?.Value;
          if (f.FileSystemId && tag && pattern.test(tag)) found.push({ name: f.FileSystemId, resource: f.FileSystemArn ?? f.FileSystemId, created: f.CreationTime });
        }
        Marker = page.NextMarker;
      } while (Marker);
      return found;
    }
    default:
      throw new Error(`unsupported resource type '${type}'`);
  }
}

/**
 * Deletes the copies earlier drills of this target left (names `drill-<target>-<8 hex>`, volumes
 * and file systems by the drill tag's value), older than `minLeftoverAgeSeconds`, with the
 * cleanup's own deletes and permissions. Failures are returned, not thrown: the drill goes on and
 * its evidence records them.
 */
export async function sweep(input: SweepInput, now = Date.now()): Promise<SweepResult> {
  const result: SweepResult = { deleted: [], failed: [], skipped: [] };
  const type = input.target?.resourceType;
  if (typeof input.target?.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(input.target.name)) throw new Error(`refusing to sweep: invalid target name '${input.target?.name}'`);
  if (typeof input.restoreRoleArn !== 'string' || !input.restoreRoleArn.startsWith('arn:')) throw new Error(`refusing to sweep: invalid restore role '${input.restoreRoleArn}'`);
  const pattern = copyPattern(input.target.name);
  const minAge = minLeftoverAgeSeconds(input.target.restoreTimeoutSeconds) * 1000;
  const errorOf = (e: unknown) => ({ error: (e as Error)?.name || 'Error', message: String((e as Error)?.message ?? e).slice(0, 500) });
  let found: Candidate[];
  try {
    found = await candidates(type, `${DRILL_PREFIX}${input.target.name}-`, pattern);
  } catch (e) {
    result.failed.push({ resource: `${DRILL_PREFIX}${input.target.name}-* (${type})`, ...errorOf(e) });
    return result;
  }
  const old: Candidate[] = [];
  for (const c of found) {
    if (c.name === input.drillName) continue;
    // No creation time: still being created, so not yet a leftover.
    if (!c.created || now - new Date(c.created).getTime() < minAge) result.skipped.push(c.resource);
    else old.push(c);
  }
  if (old.length === 0) return result;
  let restored: Set<string>;
  try {
    restored = await restoredBy(input.restoreRoleArn, type);
  } catch (e) {
    // Provenance unknown: delete nothing.
    for (const c of old) result.failed.push({ resource: c.resource, ...errorOf(e) });
    return result;
  }
  for (const c of old) {
    if (![...restored].some((arn) => names(arn, c))) {
      result.skipped.push(c.resource);
      continue;
    }
    try {
      const tagged = type === 'EBS' || type === 'EFS';
      await cleanUp({
        drillName: tagged ? `${DRILL_PREFIX}sweep` : c.name,
        target: { resourceType: type },
        restoreJob: { RestoreJobId: 'sweep' },
        job: { Status: 'COMPLETED', ...(tagged ? { CreatedResourceArn: `${type === 'EBS' ? 'volume' : 'file-system'}/${c.name}` } : {}) },
      });
      result.deleted.push(c.resource);
    } catch (e) {
      result.failed.push({ resource: c.resource, ...errorOf(e) });
    }
  }
  return result;
}

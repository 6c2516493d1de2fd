/**
 * Finds a discovering drill's targets when it runs (drill-discover, drill-staleness): the stores
 * of this account and region tagged `data-classification` with a drilled level, each turned into
 * the execution-input item `RestoreDrill.executionInput()` would give (lib/drill/target-item.ts).
 */
import { BackupClient, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { CLASSIFICATION_TAG } from '../../core/constants';
import { DISCOVERY_ENV, DiscoveryConfig, itemOfCopy, itemOfStore, TargetItem } from '../target-item';
import { millisOf } from '../canary';
import { lastVerifiedSuccesses, VerifyClients, VerifyTarget } from './verified-success';

/**
 * `ResourceTypeFilters` of the drillable types, "in the format service[:resourceType]" (Resource
 * Groups Tagging API Reference, GetResources,
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html):
 * S3 buckets, DynamoDB tables, RDS instances and Aurora clusters, EBS volumes, EFS file systems.
 */
export const RESOURCE_TYPE_FILTERS = ['s3', 'dynamodb:table', 'rds:db', 'rds:cluster', 'ec2:volume', 'elasticfilesystem:file-system'];

/** The discovery configuration of the function's environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DiscoveryConfig {
  const raw = env[DISCOVERY_ENV];
  if (!raw) throw new Error(`${DISCOVERY_ENV} must be set (the drill's discovery configuration)`);
  return JSON.parse(raw) as DiscoveryConfig;
}

export interface Discovered {
  /** The stores' items, sorted by name. */
  items: TargetItem[];
  /** Stores whose tags cannot be drilled, with the reason: counted stale, never skipped in silence. */
  rejected: { resourceArn: string; reason: string }[];
  /** Stores found but not drilled by design (drill copies, Aurora cluster members), with the reason. */
  skipped: { resourceArn: string; reason: string }[];
}

export interface DiscoveryClients {
  tagging: Pick<ResourceGroupsTaggingAPIClient, 'send'>;
  rds: Pick<RDSClient, 'send'>;
  /** Lists the vaults' recovery points (drills of copies). @default - a BackupClient */
  backup?: Pick<BackupClient, 'send'>;
}

let defaultClients: DiscoveryClients | undefined;
function clients(): DiscoveryClients {
  return (defaultClients ??= { tagging: new ResourceGroupsTaggingAPIClient({}), rds: new RDSClient({}), backup: new BackupClient({}) });
}

/**
 * Every store of the drilled levels (all pages of GetResources), as items. RDS instances that
 * belong to an Aurora cluster carry the cluster's classification tag (CDK tags every child of a
 * classified construct) but AWS Backup protects the cluster: they are skipped. Two stores with
 * one name: the first by ARN is drilled, the second rejected (names key evidence and metrics).
 */
export async function discover(config: DiscoveryConfig, c: DiscoveryClients = clients()): Promise<Discovered> {
  if (config.copyVaults) return discoverCopies(config, c.backup ?? new BackupClient({}));
  const found: { arn: string; tags: { [key: string]: string } }[] = [];
  let token: string | undefined;
  do {
    const page: any = await c.tagging.send(
      new GetResourcesCommand({
        TagFilters: [{ Key: CLASSIFICATION_TAG, Values: config.levels.map((l) => l.classification) }],
        ResourceTypeFilters: RESOURCE_TYPE_FILTERS,
        ResourcesPerPage: 100,
        ...(token ? { PaginationToken: token } : {}),
      }),
    );
    for (const m of page.ResourceTagMappingList ?? []) {
      if (!m.ResourceARN) continue;
      found.push({ arn: m.ResourceARN, tags: Object.fromEntries((m.Tags ?? []).map((t: { Key?: string; Value?: string }) => [t.Key ?? '', t.Value ?? ''])) });
    }
    // The last page's token is an empty string.
    token = page.PaginationToken || undefined;
  } while (token);

  found.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  const out = new DiscoveredTargets(': set the data-protection:drill-name tag of one of them');
  for (const { arn, tags } of found) {
    const item = out.triage(arn, itemOfStore(config, arn, tags, CLASSIFICATION_TAG));
    if (!item) continue;
    if (item.resourceType === 'RDS') {
      let cluster: string | undefined;
      try {
        cluster = await clusterOf(c, arn);
      } catch (e) {
        // One instance that cannot be described (deleted since, or not readable) does not stop the others; it is counted stale.
        out.rejected.push({ resourceArn: arn, reason: `DescribeDBInstances failed (${(e as Error).name}: ${(e as Error).message})` });
        continue;
      }
      if (cluster) {
        out.skipped.push({ resourceArn: arn, reason: 'a DB instance of an Aurora cluster: the cluster is drilled' });
        continue;
      }
    }
    out.admit(arn, item);
  }
  return out.result();
}

/**
 * What one discovery found: items under unique names (a second store with a taken name is
 * rejected, `nameClashHint` ending the reason), rejected and skipped stores with their reasons.
 */
class DiscoveredTargets {
  public readonly rejected: Discovered['rejected'] = [];
  public readonly skipped: Discovered['skipped'] = [];
  private readonly items: TargetItem[] = [];
  private readonly names = new Map<string, string>();

  public constructor(private readonly nameClashHint: string) {}

  /** The item of `r`, or undefined after recording why the store is skipped or rejected. */
  public triage(arn: string, r: { skipped: string } | { rejected: string } | { item: TargetItem }): TargetItem | undefined {
    if ('skipped' in r) this.skipped.push({ resourceArn: arn, reason: r.skipped });
    else if ('rejected' in r) this.rejected.push({ resourceArn: arn, reason: r.rejected });
    else return r.item;
    return undefined;
  }

  /** Adds `item` unless another store already has its name. */
  public admit(arn: string, item: TargetItem): void {
    const other = this.names.get(item.name);
    if (other) {
      this.rejected.push({ resourceArn: arn, reason: `name '${item.name}' is already the name of ${other}${this.nameClashHint}` });
      return;
    }
    this.names.set(item.name, arn);
    this.items.push(item);
  }

  /** The items by name, and the rejected and skipped stores. */
  public result(): Discovered {
    return { items: [...this.items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), rejected: this.rejected, skipped: this.skipped };
  }
}

async function clusterOf(c: DiscoveryClients, arn: string): Promise<string | undefined> {
  const r: any = await c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: arn }));
  return r.DBInstances?.[0]?.DBClusterIdentifier || undefined;
}

/**
 * When each target last drilled successfully (epoch ms), as AWS Backup confirms it
 * (./verified-success.ts: the restore job of the evidence record, by the drill's restore role,
 * dated by its CompletionDate; an unverified one by the evidence record); undefined when never, or
 * when the evidence is forged or AWS Backup contradicts it (the target is due). Any other error than
 * a missing object or job is thrown: a drill must not re-drill everything, nor nothing, because it
 * could not read its evidence.
 */
export async function lastSuccesses(bucket: string, targets: VerifyTarget[], restoreRoleArn: string, now: number = Date.now(), clients?: VerifyClients): Promise<{ [name: string]: number | undefined }> {
  const found = await lastVerifiedSuccesses(bucket, targets, restoreRoleArn, now, { clients });
  return Object.fromEntries(targets.map((t) => [t.name, found[t.name].at]));
}

/**
 * Statuses of a restorable recovery point: "COMPLETED"/"AVAILABLE" (AWS Backup API Reference,
 * RecoveryPointByBackupVault, https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RecoveryPointByBackupVault.html).
 */
const RESTORABLE = new Set(['COMPLETED', 'AVAILABLE']);

/**
 * Drills of copies: the resources whose recovery points the vaults of `config.copyVaults` hold.
 * The stores are in the data accounts, where this account cannot list tags; their copies are here.
 * ListRecoveryPointsByBackupVault (every page, MaxResults at most 1000,
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html)
 * returns RecoveryPointByBackupVault items with `ResourceArn` (the source store, in its data
 * account), `ResourceType`, `SourceBackupVaultArn` ("The backup vault where the recovery point was
 * originally copied from"), `CreationDate` and `Status`
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RecoveryPointByBackupVault.html).
 * Grouped by `ResourceArn`: one target per store, in the vault of its newest restorable snapshot
 * (continuous points are skipped as the recovery-point chooser skips them). A store deleted in its
 * data account stays a target as long as copies of it are kept: they are what would restore it.
 */
export async function discoverCopies(config: DiscoveryConfig, backup: Pick<BackupClient, 'send'>): Promise<Discovered> {
  const newest = new Map<string, { vault: string; created: number; source?: string }>();
  for (const vault of config.copyVaults ?? []) {
    let NextToken: string | undefined;
    do {
      const page: any = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: vault, MaxResults: 1000, NextToken }));
      for (const p of page.RecoveryPoints ?? []) {
        if (!p.ResourceArn || !p.RecoveryPointArn || /:recovery-point:continuous:/.test(p.RecoveryPointArn)) continue;
        if (!RESTORABLE.has(p.Status ?? '')) continue;
        const created = millisOf(p.CreationDate);
        if (created === undefined) continue;
        const best = newest.get(p.ResourceArn);
        if (!best || created > best.created) newest.set(p.ResourceArn, { vault, created, source: p.SourceBackupVaultArn });
      }
      NextToken = page.NextToken || undefined;
    } while (NextToken);
  }
  const out = new DiscoveredTargets('');
  for (const arn of [...newest.keys()].sort()) {
    const { vault, source } = newest.get(arn)!;
    const item = out.triage(arn, itemOfCopy(config, arn, vault, source));
    if (item) out.admit(arn, item);
  }
  return out.result();
}

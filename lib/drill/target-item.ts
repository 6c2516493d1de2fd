/**
 * What a restore drill needs to know about one target, without aws-cdk-lib: the execution-input
 * item, the restore-metadata rules per resource type, the per-store drill tags (format and parse),
 * the default target name of a store found at run time, and the ranges of the drill's times.
 * Synth code (DrillTarget, RestoreDrill, drillTagsOf) and the bundled handlers (drill-discover,
 * drill-staleness) import this one module, so a target drilled from static props and one found
 * by its tags become the same item.
 */
import { createHash } from 'node:crypto';
import { DRILL_PREFIX, DRILL_SKIP_TAG, DRILL_TAG } from '../core/constants';
import { drainSchedule, waitSchedule } from './poll-schedule';

/** Target names: lowercase letters, digits and single hyphens, starting with a letter, at most 40 characters. */
export const TARGET_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,39}$/;

/** Ranges of a target's times, checked at synth (DrillTarget) and at run time (tags). */
export const DRILL_LIMITS = {
  /** Hours between drills. */
  intervalHours: { min: 24, max: 366 * 24 },
  /** RTO and RPO, hours. */
  objectiveHours: { min: 0.25, max: 720 },
} as const;

/** Network placement of a restored copy (`DrillIsolation`). */
export interface ItemIsolation {
  readonly dbSubnetGroupName?: string;
  readonly securityGroupIds?: string[];
  readonly availabilityZone?: string;
}

/**
 * Restore-metadata overrides of a target, by AWS Backup resource type (`DrillResourceType.backupResourceType`):
 * the copy is private (RDS), encrypted (EBS, EFS), with the restore key when one is given, placed
 * by the isolation, then the target's own documented keys.
 */
export function restoreMetadataOf(
  resourceType: string,
  options: { keyArn?: string; isolation?: ItemIsolation; extra?: { [key: string]: string } } = {},
): { [key: string]: string } {
  const key = options.keyArn;
  const iso = options.isolation ?? {};
  const m: { [key: string]: string } = {};
  switch (resourceType) {
    case 'S3':
      m.NewBucket = 'true';
      if (key) Object.assign(m, { EncryptionType: 'SSE-KMS', KMSKey: key });
      break;
    case 'DynamoDB':
      if (key) Object.assign(m, { encryptionType: 'KMS', kmsMasterKeyArn: key });
      break;
    case 'RDS':
    case 'Aurora':
      if (resourceType === 'RDS') Object.assign(m, { PubliclyAccessible: 'false', MultiAZ: 'false' });
      if (iso.dbSubnetGroupName) m.DBSubnetGroupName = iso.dbSubnetGroupName;
      if (iso.securityGroupIds?.length) m.VpcSecurityGroupIds = JSON.stringify(iso.securityGroupIds);
      break;
    case 'EBS':
      m.encrypted = 'true';
      if (key) m.kmsKeyId = key;
      if (iso.availabilityZone) m.availabilityZone = iso.availabilityZone;
      break;
    case 'EFS':
      Object.assign(m, { newFileSystem: 'true', Encrypted: 'true' });
      if (key) m.KmsKeyId = key;
      break;
  }
  return { ...m, ...(options.extra ?? {}) };
}

/** What one execution-input item is made of. */
export interface ItemSource {
  readonly name: string;
  /** AWS Backup resource type. */
  readonly resourceType: string;
  readonly resourceArn?: string;
  readonly recoveryPointArn?: string;
  readonly backupVaultName: string;
  readonly restoreMetadata: { [key: string]: string };
  readonly validation: { [key: string]: string };
  readonly rtoSeconds: number;
  readonly rpoSeconds: number;
  readonly restoreTimeoutSeconds: number;
  readonly intervalDays: number;
}

/** Restore-metadata keys that decide a restored copy's exposure or encryption: never from a tag. */
export const GUARDED_RESTORE_METADATA: ReadonlySet<string> = new Set([
  'PubliclyAccessible',
  'Encrypted',
  'encrypted',
  'EncryptionType',
  'encryptionType',
  'KMSKey',
  'KmsKeyId',
  'kmsKeyId',
  'kmsMasterKeyArn',
]);

/** One item of the execution input's `targets`, as the workflow reads it. */
export interface TargetItem extends ItemSource {
  readonly drill: string;
  /** Waits for the restore job's event (`first`, then `every` seconds) and, after a timeout, the polls until it ends. */
  readonly poll: { first: number; every: number; drainWait: number; drainLast: number };
}

/** The execution-input item of a target: `RestoreDrill.executionInput()` and the discover function build it here. */
export function targetItem(t: ItemSource, drill: string, poll: { first: number; max: number }): TargetItem {
  return {
    name: t.name,
    resourceType: t.resourceType,
    ...(t.resourceArn ? { resourceArn: t.resourceArn } : {}),
    ...(t.recoveryPointArn ? { recoveryPointArn: t.recoveryPointArn } : {}),
    backupVaultName: t.backupVaultName,
    restoreMetadata: t.restoreMetadata,
    validation: t.validation,
    drill,
    rtoSeconds: t.rtoSeconds,
    rpoSeconds: t.rpoSeconds,
    restoreTimeoutSeconds: t.restoreTimeoutSeconds,
    intervalDays: t.intervalDays,
    // After a timeout, the job is polled every drainWait seconds until it ends, at most
    // restoreTimeout longer, so its copy can be deleted.
    poll: { ...waitSchedule(poll.first, poll.max, t.restoreTimeoutSeconds), ...drainSchedule(t.restoreTimeoutSeconds, poll.max) },
  };
}

/** The default restore timeout: twice the RTO, at least one hour. */
export function defaultRestoreTimeoutSeconds(rtoSeconds: number): number {
  return Math.max(3600, rtoSeconds * 2);
}

// ---- Per-store drill tags.

/** Prefix of every per-store drill setting tag. */
export const DRILL_TAG_PREFIX = 'data-protection:drill-';

/** Keys of the per-store drill setting tags. */
export const DRILL_TAGS = {
  NAME: `${DRILL_TAG_PREFIX}name`,
  RTO_SECONDS: `${DRILL_TAG_PREFIX}rto-seconds`,
  RPO_SECONDS: `${DRILL_TAG_PREFIX}rpo-seconds`,
  INTERVAL_DAYS: `${DRILL_TAG_PREFIX}interval-days`,
  RESTORE_TIMEOUT_SECONDS: `${DRILL_TAG_PREFIX}restore-timeout-seconds`,
  RESTORE_KEY: `${DRILL_TAG_PREFIX}restore-key`,
  SUBNET_GROUP: `${DRILL_TAG_PREFIX}subnet-group`,
  SECURITY_GROUPS: `${DRILL_TAG_PREFIX}security-groups`,
  AVAILABILITY_ZONE: `${DRILL_TAG_PREFIX}availability-zone`,
  /** Followed by the validation parameter's key. */
  VALIDATION: `${DRILL_TAG_PREFIX}validation:`,
  /** Followed by the restore-metadata key. */
  RESTORE_METADATA: `${DRILL_TAG_PREFIX}restore-metadata:`,
} as const;

/**
 * The tag characters every drillable store accepts: Unicode letters, digits and spaces, and
 * `_ . : / = + -`. `@`, allowed by S3, RDS, EFS and EC2, is left out: DynamoDB allows only
 * "letters, white space, and numbers, plus the following special characters: + - = . _ : /"
 * (Amazon DynamoDB Developer Guide, "Tagging restrictions in DynamoDB",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TaggingRestrictions.html).
 * Keys at most 128 characters, values at most 256 (the same page; "Tag restrictions" of the
 * Amazon EC2 User Guide, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions;
 * "Tagging Amazon RDS resources", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html;
 * "Tagging Amazon EFS resources", https://docs.aws.amazon.com/efs/latest/ug/manage-fs-tags.html;
 * S3 "Using cost allocation S3 bucket tags", https://docs.aws.amazon.com/AmazonS3/latest/userguide/CostAllocTagging.html).
 */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+-]*$/u;
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;

/** Why a tag value cannot carry `value`, or undefined when it can. */
export function tagValueProblem(value: string): string | undefined {
  if (value.length > TAG_VALUE_MAX) return `longer than ${TAG_VALUE_MAX} characters (${value.length})`;
  if (!TAG_TEXT.test(value)) return 'a character outside letters, digits, spaces and _ . : / = + -';
  return undefined;
}

/** Why a tag key cannot be `key`, or undefined when it can. */
export function tagKeyProblem(key: string): string | undefined {
  if (key.length > TAG_KEY_MAX) return `longer than ${TAG_KEY_MAX} characters (${key.length})`;
  if (!TAG_TEXT.test(key)) return 'a character outside letters, digits, spaces and _ . : / = + -';
  return undefined;
}

/** Per-store drill settings, as carried by the tags. Every field is optional: the level gives the rest. */
export interface DrillTagSettings {
  readonly name?: string;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  readonly intervalDays?: number;
  readonly restoreTimeoutSeconds?: number;
  readonly restoreKeyArn?: string;
  readonly isolation?: ItemIsolation;
  readonly validation?: { [key: string]: string };
  readonly restoreMetadata?: { [key: string]: string };
}

/** Security group ids in one tag value: separated by spaces (or slashes). */
const GROUP_SEPARATOR = /[\s/]+/;

/** The tags of `settings` (values unchecked: see `tagValueProblem`). */
export function formatDrillTags(s: DrillTagSettings): { [key: string]: string } {
  const tags: { [key: string]: string } = {};
  const num = (n: number | undefined) => (n === undefined ? undefined : String(n));
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) tags[key] = value;
  };
  put(DRILL_TAGS.NAME, s.name);
  put(DRILL_TAGS.RTO_SECONDS, num(s.rtoSeconds));
  put(DRILL_TAGS.RPO_SECONDS, num(s.rpoSeconds));
  put(DRILL_TAGS.INTERVAL_DAYS, num(s.intervalDays));
  put(DRILL_TAGS.RESTORE_TIMEOUT_SECONDS, num(s.restoreTimeoutSeconds));
  put(DRILL_TAGS.RESTORE_KEY, s.restoreKeyArn);
  put(DRILL_TAGS.SUBNET_GROUP, s.isolation?.dbSubnetGroupName);
  if (s.isolation?.securityGroupIds?.length) put(DRILL_TAGS.SECURITY_GROUPS, s.isolation.securityGroupIds.join(' '));
  put(DRILL_TAGS.AVAILABILITY_ZONE, s.isolation?.availabilityZone);
  for (const [k, v] of Object.entries(s.validation ?? {})) put(`${DRILL_TAGS.VALIDATION}${k}`, v);
  for (const [k, v] of Object.entries(s.restoreMetadata ?? {})) put(`${DRILL_TAGS.RESTORE_METADATA}${k}`, v);
  return tags;
}

/**
 * The drill settings a store's tags carry, and what is wrong with them (a number that is not
 * one, an unknown `data-protection:drill-` key). Other tags are ignored.
 */
export function parseDrillTags(tags: { [key: string]: string }): { settings: DrillTagSettings; problems: string[] } {
  const problems: string[] = [];
  const num = (key: string): number | undefined => {
    const v = tags[key];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) {
      problems.push(`tag ${key} must be a positive number, got '${v}'`);
      return undefined;
    }
    return n;
  };
  const validation: { [key: string]: string } = {};
  const restoreMetadata: { [key: string]: string } = {};
  const known = new Set<string>([...Object.values(DRILL_TAGS), DRILL_SKIP_TAG]);
  for (const [k, v] of Object.entries(tags)) {
    if (!k.startsWith(DRILL_TAG_PREFIX)) continue;
    if (k.startsWith(DRILL_TAGS.VALIDATION) && k.length > DRILL_TAGS.VALIDATION.length) validation[k.slice(DRILL_TAGS.VALIDATION.length)] = v;
    else if (k.startsWith(DRILL_TAGS.RESTORE_METADATA) && k.length > DRILL_TAGS.RESTORE_METADATA.length) restoreMetadata[k.slice(DRILL_TAGS.RESTORE_METADATA.length)] = v;
    else if (!known.has(k)) problems.push(`unknown drill tag ${k}`);
  }
  const groups = tags[DRILL_TAGS.SECURITY_GROUPS]?.split(GROUP_SEPARATOR).filter((g) => g !== '');
  const isolation: ItemIsolation = {
    ...(tags[DRILL_TAGS.SUBNET_GROUP] ? { dbSubnetGroupName: tags[DRILL_TAGS.SUBNET_GROUP] } : {}),
    ...(groups?.length ? { securityGroupIds: groups } : {}),
    ...(tags[DRILL_TAGS.AVAILABILITY_ZONE] ? { availabilityZone: tags[DRILL_TAGS.AVAILABILITY_ZONE] } : {}),
  };
  const settings: DrillTagSettings = {
    ...(tags[DRILL_TAGS.NAME] !== undefined ? { name: tags[DRILL_TAGS.NAME] } : {}),
    ...(num(DRILL_TAGS.RTO_SECONDS) !== undefined ? { rtoSeconds: num(DRILL_TAGS.RTO_SECONDS) } : {}),
    ...(num(DRILL_TAGS.RPO_SECONDS) !== undefined ? { rpoSeconds: num(DRILL_TAGS.RPO_SECONDS) } : {}),
    ...(num(DRILL_TAGS.INTERVAL_DAYS) !== undefined ? { intervalDays: num(DRILL_TAGS.INTERVAL_DAYS) } : {}),
    ...(num(DRILL_TAGS.RESTORE_TIMEOUT_SECONDS) !== undefined ? { restoreTimeoutSeconds: num(DRILL_TAGS.RESTORE_TIMEOUT_SECONDS) } : {}),
    ...(tags[DRILL_TAGS.RESTORE_KEY] ? { restoreKeyArn: tags[DRILL_TAGS.RESTORE_KEY] } : {}),
    ...(Object.keys(isolation).length ? { isolation } : {}),
    ...(Object.keys(validation).length ? { validation } : {}),
    ...(Object.keys(restoreMetadata).length ? { restoreMetadata } : {}),
  };
  // num() was called twice per key: keep each problem once.
  return { settings, problems: [...new Set(problems)] };
}

// ---- Stores found at run time.

/** AWS Backup resource type and resource id of a drillable store's ARN, or undefined for any other ARN. */
export function parseStoreArn(arn: string): { resourceType: string; id: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, , service, , , ...rest] = parts;
  const resource = rest.join(':');
  const after = (prefix: string) => (resource.startsWith(prefix) && resource.length > prefix.length ? resource.slice(prefix.length) : undefined);
  let id: string | undefined;
  switch (service) {
    case 's3':
      return resource && !resource.includes('/') ? { resourceType: 'S3', id: resource } : undefined;
    case 'dynamodb':
      id = after('table/');
      return id && !id.includes('/') ? { resourceType: 'DynamoDB', id } : undefined;
    case 'rds':
      if ((id = after('db:'))) return { resourceType: 'RDS', id };
      if ((id = after('cluster:'))) return { resourceType: 'Aurora', id };
      return undefined;
    case 'ec2':
      id = after('volume/');
      return id ? { resourceType: 'EBS', id } : undefined;
    case 'elasticfilesystem':
      id = after('file-system/');
      return id ? { resourceType: 'EFS', id } : undefined;
    default:
      return undefined;
  }
}

/**
 * The default name of a store found at run time: its type and resource id, lowercased to the
 * target name rules (`dynamodb-hr-employees`, `ebs-vol-0abc`); when longer than 40 characters,
 * cut and suffixed with 8 hex characters of the ARN's SHA-256, so it stays unique and the same
 * on every run.
 */
export function nameFromArn(arn: string): string {
  const parsed = parseStoreArn(arn);
  return parsed ? nameOfStore(parsed.resourceType, parsed.id) : nameOfStore('store', arn);
}

/**
 * The default name of a store from its type (`S3`, `DynamoDB`, `RDS`, `Aurora`, `EBS`, `EFS`) and
 * resource id (bucket or table name, DB identifier, volume or file system id): what the discover
 * function derives from its ARN, and what a data stack computes at synth for a literal physical
 * name (so it writes no name tag). A hash of the type and id keeps shortened names distinct
 * (ids are unique per type in an account and region).
 */
export function nameOfStore(resourceType: string, id: string): string {
  const raw = `${resourceType.toLowerCase()}-${id}`;
  const clean = raw.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (clean.length <= 40) return clean;
  const hash = createHash('sha256').update(`${resourceType}:${id}`).digest('hex').slice(0, 8);
  return `${clean.slice(0, 31).replace(/-+$/, '')}-${hash}`;
}

/** True when `id` names a copy a drill restored (`drill-...`), never a store to drill. */
export function isDrillCopy(id: string): boolean {
  return id.startsWith(DRILL_PREFIX);
}

/** Why a target's times are out of range, or undefined; the synth-time check of DrillTarget uses the same limits. */
export function timeProblem(
  p: string,
  t: { rtoSeconds: number; rpoSeconds: number; intervalDays: number; restoreTimeoutSeconds: number },
  firstPollSeconds: number,
): string | undefined {
  const hours = (s: number) => s / 3600;
  const range = (prop: string, v: number, r: { min: number; max: number }) =>
    v < r.min || v > r.max ? `${p}.${prop} must be between ${r.min} and ${r.max} hours, got ${v} hours` : undefined;
  return (
    range('interval', t.intervalDays * 24, DRILL_LIMITS.intervalHours) ??
    range('rto', hours(t.rtoSeconds), DRILL_LIMITS.objectiveHours) ??
    range('rpo', hours(t.rpoSeconds), DRILL_LIMITS.objectiveHours) ??
    (t.restoreTimeoutSeconds > t.intervalDays * 86400
      ? `${p}.interval must be at least the restore timeout so drills of one resource never overlap: restoreTimeout is ${hours(t.restoreTimeoutSeconds)} hours, got an interval of ${t.intervalDays * 24} hours`
      : undefined) ??
    (t.restoreTimeoutSeconds < firstPollSeconds ? `${p}.restoreTimeout must be at least the first poll (${firstPollSeconds} seconds), got ${t.restoreTimeoutSeconds} seconds` : undefined) ??
    (t.restoreTimeoutSeconds < t.rtoSeconds ? `${p}.restoreTimeout must be at least its rto (${t.rtoSeconds} seconds), got ${t.restoreTimeoutSeconds} seconds` : undefined)
  );
}

// ---- The discovery configuration (one Lambda environment variable).

/** Environment variable carrying the discovery configuration. */
export const DISCOVERY_ENV = 'DRILL_DISCOVERY';

/** One classification level drilled, in the discovery configuration. */
export interface DiscoveryLevelConfig {
  /** Value of the `data-classification` tag. */
  readonly classification: string;
  /** Vault of the level's recovery points. @default - `DiscoveryConfig.backupVaultName` */
  readonly backupVaultName?: string;
  readonly rtoSeconds: number;
  readonly rpoSeconds: number;
  readonly intervalDays: number;
  readonly restoreTimeoutSeconds: number;
  /** Key ARN per AWS Backup resource type (S3, DynamoDB, EFS, EBS). */
  readonly restoreKeys: { [resourceType: string]: string };
}

/** What the discover and staleness functions need, from `DrillDiscoveryProps`. */
export interface DiscoveryConfig {
  /** `RestoreDrill.drillId`. */
  readonly drill: string;
  readonly backupVaultName: string;
  readonly levels: DiscoveryLevelConfig[];
  readonly isolation?: ItemIsolation;
  readonly maxTargets: number;
  /**
   * Drills of copies (`RestoreDrillProps.copyDiscovery`): the targets are the resources whose
   * recovery points these vaults of this account hold, not stores found by their tags; `levels`
   * then has one entry, whose times and keys every copy gets.
   */
  readonly copyVaults?: string[];
  /** Longest restore timeout the state machine's timeout allows; a tag asking longer is capped to it. */
  readonly maxRestoreTimeoutSeconds: number;
  readonly poll: { first: number; max: number };
}

/** A store found by its tags: its item, or why it is not drilled. */
export type StoreResult = { item: TargetItem } | { rejected: string } | { skipped: string };

/**
 * The execution-input item of a store found by its tags (`data-classification` and the
 * `data-protection:drill-` settings), with the level's times, key and the drill's isolation
 * where no tag says otherwise. A restore timeout longer than `maxRestoreTimeoutSeconds` is capped
 * to it (the state machine's timeout is computed from it).
 */
export function itemOfStore(config: DiscoveryConfig, arn: string, tags: { [key: string]: string }, classificationTag: string): StoreResult {
  const parsed = parseStoreArn(arn);
  if (!parsed) return { skipped: 'not a drillable resource type' };
  if (isDrillCopy(parsed.id) || tags[DRILL_TAG] !== undefined) return { skipped: 'a copy restored by a drill' };
  if (tags[DRILL_SKIP_TAG] === 'true') return { skipped: `tagged ${DRILL_SKIP_TAG}: drills turned off for it, or drilled by a drill of its own` };
  const level = config.levels.find((l) => l.classification === tags[classificationTag]);
  if (!level) return { skipped: `classification '${tags[classificationTag]}' is not drilled` };
  const { settings, problems } = parseDrillTags(tags);
  if (problems.length) return { rejected: problems.join('; ') };
  const name = settings.name ?? nameFromArn(arn);
  if (!TARGET_NAME.test(name)) return { rejected: `tag ${DRILL_TAGS.NAME} must be 1-40 lowercase letters, digits and single hyphens starting with a letter, got '${name}'` };
  const rtoSeconds = settings.rtoSeconds ?? level.rtoSeconds;
  const asked = settings.restoreTimeoutSeconds ?? (settings.rtoSeconds !== undefined ? defaultRestoreTimeoutSeconds(rtoSeconds) : level.restoreTimeoutSeconds);
  const times = {
    rtoSeconds,
    rpoSeconds: settings.rpoSeconds ?? level.rpoSeconds,
    intervalDays: settings.intervalDays ?? level.intervalDays,
    restoreTimeoutSeconds: Math.min(asked, config.maxRestoreTimeoutSeconds),
  };
  const problem = timeProblem(`store ${name}`, times, config.poll.first);
  if (problem) return { rejected: asked > config.maxRestoreTimeoutSeconds ? `${problem} (restore timeout capped from ${asked} to the drill's longest, ${config.maxRestoreTimeoutSeconds} seconds)` : problem };
  const extra = settings.restoreMetadata ?? {};
  const nameKey = { S3: 'DestinationBucketName', DynamoDB: 'targetTableName', RDS: 'DBInstanceIdentifier', Aurora: 'DBClusterIdentifier', EFS: 'CreationToken' }[parsed.resourceType];
  if (nameKey && nameKey in extra) return { rejected: `tag ${DRILL_TAGS.RESTORE_METADATA}${nameKey} is set by the drill (the '${DRILL_PREFIX}' name of the restored copy)` };
  if (parsed.resourceType === 'Aurora' && settings.validation?.sqlQuery !== undefined) return { rejected: 'validation:sqlQuery is not supported for an Aurora target: the restored cluster has no DB instance' };
  // Tags steer restores of production data, and anyone who may tag a store can write them: they
  // can never weaken how the copy is exposed or encrypted, nor choose its key (the level's key,
  // or a table's own key, decides). Such a store is rejected (and counted stale), not drilled.
  const guarded = Object.keys(extra).filter((k) => GUARDED_RESTORE_METADATA.has(k));
  if (guarded.length > 0) return { rejected: `tags ${guarded.map((k) => DRILL_TAGS.RESTORE_METADATA + k).join(', ')} would change the restored copy's exposure or encryption, which tags may not set` };
  if (settings.restoreKeyArn !== undefined) return { rejected: `tag ${DRILL_TAGS.RESTORE_KEY} is not accepted: a restored copy is encrypted with its level's key or the source table's own key, never a key a tag names` };
  const item = targetItem(
    {
      name,
      resourceType: parsed.resourceType,
      resourceArn: arn,
      backupVaultName: level.backupVaultName ?? config.backupVaultName,
      restoreMetadata: restoreMetadataOf(parsed.resourceType, {
        keyArn: settings.restoreKeyArn ?? level.restoreKeys[parsed.resourceType],
        isolation: { ...(config.isolation ?? {}), ...(settings.isolation ?? {}) },
        extra,
      }),
      validation: settings.validation ?? {},
      ...times,
    },
    config.drill,
    config.poll,
  );
  return { item };
}

/**
 * The execution-input item of a copy: the resource `resourceArn` (a store of a data account) whose
 * newest restorable recovery point is in `vault` of this account, copied there from `sourceVaultArn`.
 * Named after the source account and the resource (`dynamodb-111111111111-hr-employees`): two data
 * accounts may hold stores of one name. Restored into this account with the copy level's keys and
 * isolation; validated without comparing with the source nor checking canaries (both are in the
 * data account, which this account cannot read). RDS and Aurora copies need a DB subnet group of
 * this account (the recovery point's own is the data account's): without one they are rejected, so
 * the staleness check counts them stale instead of every restore failing.
 */
export function itemOfCopy(config: DiscoveryConfig, resourceArn: string, vault: string, sourceVaultArn: string | undefined): StoreResult {
  const parsed = parseStoreArn(resourceArn);
  if (!parsed) return { skipped: 'not a drillable resource type' };
  if (isDrillCopy(parsed.id)) return { skipped: 'a copy restored by a drill' };
  const level = config.levels[0];
  // An S3 bucket ARN has no account: the source vault's ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>) has it.
  const account = resourceArn.split(':')[4] || sourceVaultArn?.split(':')[4] || 'unknown';
  const name = nameOfStore(parsed.resourceType, `${account}-${parsed.id}`);
  if ((parsed.resourceType === 'RDS' || parsed.resourceType === 'Aurora') && !config.isolation?.dbSubnetGroupName) {
    return { rejected: `a copy of an ${parsed.resourceType} store needs copyDiscovery.isolation.dbSubnetGroupName (BackupAccountStackProps.copyDrill.isolatedNetwork, or copyDrill.isolation.dbSubnetGroupName: a DB subnet group of this account): the recovery point's own subnet group is the data account's` };
  }
  const item = targetItem(
    {
      name,
      resourceType: parsed.resourceType,
      resourceArn,
      backupVaultName: vault,
      restoreMetadata: restoreMetadataOf(parsed.resourceType, { keyArn: level.restoreKeys[parsed.resourceType], isolation: config.isolation ?? {} }),
      validation: { compareWithSource: 'false', canary: 'false' },
      rtoSeconds: level.rtoSeconds,
      rpoSeconds: level.rpoSeconds,
      intervalDays: level.intervalDays,
      restoreTimeoutSeconds: level.restoreTimeoutSeconds,
    },
    config.drill,
    config.poll,
  );
  return { item };
}

/**
 * The targets due for a drill, most overdue first, at most `max`: never drilled successfully,
 * or last drilled successfully more than their interval less one day ago (the discovery runs
 * daily, so a target is drilled within its interval).
 */
export function selectDue<T extends { name: string; intervalDays: number }>(items: T[], lastSuccess: { [name: string]: number | undefined }, now: number, max: number): T[] {
  const overdueDays = (t: T) => {
    const last = lastSuccess[t.name];
    return last === undefined ? Number.POSITIVE_INFINITY : (now - last) / 86_400_000 - t.intervalDays;
  };
  return items
    .filter((t) => overdueDays(t) >= -1)
    .sort((a, b) => overdueDays(b) - overdueDays(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, max);
}

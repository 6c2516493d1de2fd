import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DrillDiscoveryLevel } from './drill-discovery';
import { DrillIsolation, DrillTarget } from './drill-target';
import { defaultRestoreTimeoutSeconds, DRILL_TAGS, GUARDED_RESTORE_METADATA, DrillTagSettings, formatDrillTags, nameFromArn, tagKeyProblem, tagValueProblem } from './target-item';

/** What a discovering drill derives for a store without tags: its level and the drill's isolation. */
export interface DrillTagDefaults {
  /** The level of the store (its classification's `DrillDiscoveryLevel` in the holder's drill). */
  readonly level?: DrillDiscoveryLevel;
  /** `DrillDiscoveryProps.isolation` of the holder's drill. */
  readonly isolation?: DrillIsolation;
}

const sameKey = (a: kms.IKey | undefined, b: kms.IKey | undefined) => a === b || (a !== undefined && b !== undefined && a.keyArn === b.keyArn);

function levelKey(level: DrillDiscoveryLevel | undefined, type: string): kms.IKey | undefined {
  const k = level?.restoreKeys;
  return { S3: k?.s3, DynamoDB: k?.dynamoDb, EFS: k?.efs, EBS: k?.ebs }[type];
}

/**
 * The `data-protection:drill-` tags that carry `target`'s settings to a drill finding its targets
 * at run time (`DrillDiscoveryProps`): a data stack writes them on its store, the holder's
 * discover function reads them. Only what differs from what the function derives is written
 * (the name from the ARN, the times and key from the level in `defaults`, the isolation from the
 * drill's): without a level, the times are always written. An unset isolation field or key of
 * the target takes the drill's. Tokens are accepted as values.
 *
 * @throws when a value cannot be a tag value on every drillable store (letters, digits, spaces
 *   and `_ . : / = + -`, at most 256 characters), naming the setting and the value
 */
export function drillTagsOf(target: DrillTarget, defaults: DrillTagDefaults = {}): { [key: string]: string } {
  const type = target.resourceType.backupResourceType;
  const level = defaults.level;
  const rto = target.rto.toSeconds();
  const nameDerived = target.resourceArn !== undefined && !Token.isUnresolved(target.resourceArn) && nameFromArn(target.resourceArn) === target.name;
  const writeRto = !level || level.rto.toSeconds() !== rto;
  // What the function derives for the restore timeout from the tags written: the tag, twice a tagged RTO, or the level's.
  const derivedTimeout = writeRto ? defaultRestoreTimeoutSeconds(rto) : level ? (level.restoreTimeout?.toSeconds() ?? defaultRestoreTimeoutSeconds(level.rto.toSeconds())) : undefined;
  const iso = target.isolation ?? {};
  const dIso = defaults.isolation ?? {};
  const groups = iso.securityGroupIds ?? [];
  const isolation = {
    ...(iso.dbSubnetGroupName && iso.dbSubnetGroupName !== dIso.dbSubnetGroupName ? { dbSubnetGroupName: iso.dbSubnetGroupName } : {}),
    ...(groups.length && groups.join(' ') !== (dIso.securityGroupIds ?? []).join(' ') ? { securityGroupIds: groups } : {}),
    ...(iso.availabilityZone && iso.availabilityZone !== dIso.availabilityZone ? { availabilityZone: iso.availabilityZone } : {}),
  };
  const extra = target._extraMetadata;
  // The drill refuses what a tag could use to weaken a restore (target-item.ts, GUARDED_RESTORE_METADATA): say so at synth.
  if (target.restoreKey && !sameKey(target.restoreKey, levelKey(level, type))) {
    throw new Error(
      `DrillTarget(${target.name}).restoreKey cannot be set per store for a drill that finds its targets at run time: copies are encrypted with their level's key (DrillDiscoveryLevel.restoreKeys) or a table's own key, never a key a tag names (anyone who may tag the store could choose it). Remove restoreKey, or drill the store with a RestoreDrill of your own`,
    );
  }
  for (const k of Object.keys(extra)) {
    if (GUARDED_RESTORE_METADATA.has(k)) {
      throw new Error(
        `DrillTarget(${target.name}).restoreMetadata.${k} cannot be set per store for a drill that finds its targets at run time: it decides the restored copy's exposure or encryption, which tags (writable by anyone who may tag the store) may not set. Remove it, or drill the store with a RestoreDrill of your own`,
      );
    }
  }
  const settings: DrillTagSettings = {
    ...(nameDerived ? {} : { name: target.name }),
    ...(writeRto ? { rtoSeconds: rto } : {}),
    ...(!level || level.rpo.toSeconds() !== target.rpo.toSeconds() ? { rpoSeconds: target.rpo.toSeconds() } : {}),
    ...(!level || level.interval.toSeconds() !== target.interval.toSeconds() ? { intervalDays: target.intervalDays } : {}),
    ...(derivedTimeout !== target.restoreTimeout.toSeconds() ? { restoreTimeoutSeconds: target.restoreTimeout.toSeconds() } : {}),

    ...(Object.keys(isolation).length ? { isolation } : {}),
    ...(Object.keys(target.validation).length ? { validation: target.validation } : {}),
    ...(Object.keys(extra).length ? { restoreMetadata: extra } : {}),
  };
  const tags = formatDrillTags(settings);
  for (const [key, value] of Object.entries(tags)) {
    const setting = settingOf(key);
    const keyProblem = tagKeyProblem(key);
    if (keyProblem) throw new Error(`DrillTarget(${target.name}).${setting} cannot be carried by a tag: the tag key '${key}' has ${keyProblem}`);
    if (Token.isUnresolved(value)) continue;
    const problem = tagValueProblem(value);
    if (problem) {
      throw new Error(
        `DrillTarget(${target.name}).${setting} cannot be carried by a tag: '${value}' has ${problem}. ` +
          'Tag values of S3 buckets, DynamoDB tables, RDS databases, EFS file systems and EBS volumes allow only letters, digits, spaces and _ . : / = + - (at most 256 characters)',
      );
    }
  }
  return tags;
}

function settingOf(key: string): string {
  if (key.startsWith(DRILL_TAGS.VALIDATION)) return `validation.${key.slice(DRILL_TAGS.VALIDATION.length)}`;
  if (key.startsWith(DRILL_TAGS.RESTORE_METADATA)) return `restoreMetadata.${key.slice(DRILL_TAGS.RESTORE_METADATA.length)}`;
  const names: { [k: string]: string } = {
    [DRILL_TAGS.NAME]: 'name',
    [DRILL_TAGS.RTO_SECONDS]: 'rto',
    [DRILL_TAGS.RPO_SECONDS]: 'rpo',
    [DRILL_TAGS.INTERVAL_DAYS]: 'interval',
    [DRILL_TAGS.RESTORE_TIMEOUT_SECONDS]: 'restoreTimeout',
    [DRILL_TAGS.RESTORE_KEY]: 'restoreKey',
    [DRILL_TAGS.SUBNET_GROUP]: 'isolation.dbSubnetGroupName',
    [DRILL_TAGS.SECURITY_GROUPS]: 'isolation.securityGroupIds',
    [DRILL_TAGS.AVAILABILITY_ZONE]: 'isolation.availabilityZone',
  };
  return names[key] ?? key;
}

import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataClassification } from '../classification/data-classification';
import { CLASSIFICATION_TAG } from '../core/constants';
import { validateInteger, validateRange } from '../core/validation';
import { DrillIsolation, validateDrillTimes } from './drill-target';
import { DiscoveryConfig, DiscoveryLevelConfig } from './target-item';

/** Keys the restored copies of one classification level are encrypted with, per resource type. */
export interface DrillRestoreKeys {
  /** Key of restored S3 buckets. @default - the encryption recorded in the recovery point */
  readonly s3?: kms.IKey;
  /** Key of restored DynamoDB tables. @default - the encryption recorded in the recovery point */
  readonly dynamoDb?: kms.IKey;
  /** Key of restored EFS file systems. @default - the encryption recorded in the recovery point */
  readonly efs?: kms.IKey;
  /** Key of restored EBS volumes. @default - the encryption recorded in the recovery point */
  readonly ebs?: kms.IKey;
}

/**
 * One classification level a discovering drill drills: every store of the account and region
 * tagged `data-classification` with this level is a target, with these times unless its
 * `data-protection:drill-` tags say otherwise.
 */
export interface DrillDiscoveryLevel {
  /** The level: stores whose `data-classification` tag has its name. */
  readonly classification: DataClassification;
  /**
   * The vault of this account holding the level's recovery points, when the account keeps one
   * locked vault per retention class (`DataAccountStack` does).
   * @default - `DrillDiscoveryProps.backupVaultName`
   */
  readonly backupVaultName?: string;
  /** Recovery time objective of the level: a restore slower than this alarms. */
  readonly rto: Duration;
  /** Recovery point objective of the level, recorded against the recovery point's age. */
  readonly rpo: Duration;
  /** Time between drills of each store of the level (1–366 days). */
  readonly interval: Duration;
  /**
   * Give up waiting for a restore after this long (RESTORE_TIMED_OUT).
   * @default - twice the RTO, at least one hour
   */
  readonly restoreTimeout?: Duration;
  /**
   * Keys restored copies of this level are encrypted with (RDS/Aurora copies keep the snapshot's key).
   * @default - the encryption recorded in each recovery point
   */
  readonly restoreKeys?: DrillRestoreKeys;
}

/**
 * A drill that finds its targets when it runs: the stores of this account and region tagged
 * `data-classification` with one of `levels`, listed through the Resource Groups Tagging API, so
 * the stack holding the drill needs no ARN of another stack. See docs/drill.md, "Targets found at
 * run time".
 */
export interface DrillDiscoveryProps {
  /** The vault of this account holding the stores' recovery points. */
  readonly backupVaultName: string;
  /** The classification levels drilled, each once, with their times and keys. */
  readonly levels: DrillDiscoveryLevel[];
  /** Placement of restored copies, unless a store's tags say otherwise. @default - the source's */
  readonly isolation?: DrillIsolation;
  /**
   * Stores drilled by one execution (1–100): the most overdue ones; the others follow on the
   * next days. Keeps the Map's input and the execution history far below Step Functions'
   * quotas (256 KiB of input or output per state, 25,000 history events per execution).
   * @default 20
   */
  readonly maxTargetsPerExecution?: number;
}

/**
 * A drill of copies: its targets are the resources whose recovery points the vaults of this
 * account hold (the backup account's central vaults), found when it runs by listing those
 * recovery points, so the stack holding the drill needs no ARN of a data account's store. AWS
 * Backup restores a recovery point only in the account holding it, so the copies are restored
 * here, with these keys; the default validator checks each copy on its own (the source and its
 * canaries are in the data account, out of reach). See docs/drill.md, "Drills of the copies".
 */
export interface DrillCopyDiscoveryProps {
  /** The vaults of this account whose recovery points are drilled (2-50 characters of [a-zA-Z0-9_-] each). */
  readonly backupVaultNames: string[];
  /** Recovery time objective of a copy's restore: a slower restore alarms. */
  readonly rto: Duration;
  /** Recovery point objective, recorded against the age of the copy restored. */
  readonly rpo: Duration;
  /** Time between drills of each store's copies (1–366 days). */
  readonly interval: Duration;
  /** Give up waiting for a restore after this long. @default - twice the RTO, at least one hour */
  readonly restoreTimeout?: Duration;
  /**
   * Keys of this account (or usable by it) the restored copies are encrypted with. Give a DynamoDB
   * key: without one, a restored table is encrypted with a DynamoDB-owned key.
   * @default - the encryption recorded in each recovery point
   */
  readonly restoreKeys?: DrillRestoreKeys;
  /**
   * Keys the vaults encrypt their recovery points with: the restore role may use them to read the
   * copies (a key of another account also needs its key policy to admit this account).
   * @default - none granted: the vaults use keys of this account, or the restore role already may
   */
  readonly recoveryPointKeys?: kms.IKey[];
  /**
   * Placement of restored copies. RDS and Aurora copies need `dbSubnetGroupName` (a DB subnet
   * group of this account); without it they are not drilled and count as stale.
   * @default - the recovery point's
   */
  readonly isolation?: DrillIsolation;
  /** Stores drilled by one execution (1–100): the most overdue ones. @default 20 */
  readonly maxTargetsPerExecution?: number;
}

/** `DrillCopyDiscoveryProps` validated, as a discovery configuration with one pseudo-level. */
export function resolveCopyDiscovery(
  props: DrillCopyDiscoveryProps,
  context: { drill: string; poll: { first: number; max: number } },
): { config: DiscoveryConfig; keys: kms.IKey[]; classifications: string[]; longestRestoreTimeoutSeconds: number } {
  const p = 'RestoreDrillProps.copyDiscovery';
  const vaults = props.backupVaultNames ?? [];
  if (vaults.length === 0) throw new Error(`${p}.backupVaultNames must list at least one vault of this account, got an empty list`);
  for (const v of vaults) {
    if (!Token.isUnresolved(v) && !/^[a-zA-Z0-9_-]{2,50}$/.test(v)) throw new Error(`${p}.backupVaultNames: each must be 2-50 characters of [a-zA-Z0-9_-] (an AWS Backup vault name), got '${v}'`);
  }
  // The level checks (times, ranges, keys) of a discovering drill, on one level standing for every copy.
  const resolved = resolveDiscovery(
    {
      backupVaultName: vaults[0],
      levels: [{ classification: DataClassification.CONFIDENTIAL, rto: props.rto, rpo: props.rpo, interval: props.interval, restoreTimeout: props.restoreTimeout, restoreKeys: props.restoreKeys }],
      isolation: props.isolation,
      maxTargetsPerExecution: props.maxTargetsPerExecution,
    },
    context,
    p,
  );
  const level = { ...resolved.config.levels[0], classification: 'copies' };
  return { ...resolved, config: { ...resolved.config, levels: [level], copyVaults: [...new Set(vaults)] }, classifications: [] };
}

/**
 * Lambda's quota on a function's environment: "4 KB", all variables together (AWS Lambda
 * Developer Guide, "Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const LAMBDA_ENVIRONMENT_BYTES = 4096;
/** Length counted for a value known only at deploy time (a key ARN token): longer than any KMS key ARN. */
const TOKEN_LENGTH = 128;

/** Size in bytes of a Lambda environment, tokens counted as `TOKEN_LENGTH` characters. */
export function environmentBytes(env: { [key: string]: string }): number {
  const tokenised = /\$\{Token\[[^\]]*\]\}/g;
  return Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.replace(tokenised, 'x'.repeat(TOKEN_LENGTH))), 0);
}

/** Throws when `env` exceeds Lambda's 4 KB, naming the function, the size and what to shorten. */
export function checkEnvironmentSize(fn: string, env: { [key: string]: string }, hint: string): void {
  const bytes = environmentBytes(env);
  if (bytes > LAMBDA_ENVIRONMENT_BYTES) {
    throw new Error(
      `${fn}: its Lambda environment would be ${bytes} bytes (deploy-time values counted as ${TOKEN_LENGTH} characters), over Lambda's ${LAMBDA_ENVIRONMENT_BYTES}-byte quota for all variables together: ${hint}`,
    );
  }
}

/** The discovery configuration of `props`, validated; keys and the longest restore timeout for the grants and the state machine's timeout. */
export function resolveDiscovery(
  props: DrillDiscoveryProps,
  context: { drill: string; poll: { first: number; max: number } },
  p: string = 'RestoreDrillProps.discovery',
): { config: DiscoveryConfig; keys: kms.IKey[]; classifications: string[]; longestRestoreTimeoutSeconds: number } {
  if (!props.backupVaultName) throw new Error(`${p}.backupVaultName is required: the vault of this account holding the recovery points, got ${JSON.stringify(props.backupVaultName)}`);
  if (!props.levels || props.levels.length === 0) throw new Error(`${p}.levels must list at least one DrillDiscoveryLevel (one per classification level drilled), got an empty list`);
  const max = props.maxTargetsPerExecution ?? 20;
  if (Token.isUnresolved(max)) throw new Error(`${p}.maxTargetsPerExecution needs a literal value, got a token (known only at deploy time): the state machine's timeout is computed from it at synth`);
  validateRange(`${p}.maxTargetsPerExecution`, max, 1, 100);
  validateInteger(`${p}.maxTargetsPerExecution`, max);
  const seen = new Set<string>();
  const keys: kms.IKey[] = [];
  const levels: DiscoveryLevelConfig[] = props.levels.map((l, i) => {
    if (!(l.classification instanceof DataClassification)) {
      throw new Error(`${p}.levels[${i}].classification must be a DataClassification (${DataClassification.all().join(', ')}), got '${String(l.classification)}'`);
    }
    const lp = p.endsWith('copyDiscovery') ? p : `${p}.levels[${l.classification.name}]`;
    if (seen.has(l.classification.name)) throw new Error(`${p}.levels: ${l.classification.name} is listed twice; give each level once`);
    seen.add(l.classification.name);
    const restoreTimeout = validateDrillTimes(lp, l);
    const timeout = restoreTimeout.toSeconds();
    if (timeout < context.poll.first) {
      throw new Error(`${lp}.restoreTimeout must be at least RestoreDrillProps.firstPoll (${context.poll.first} seconds) or the restore is never polled, got ${timeout} seconds`);
    }
    if (timeout < l.rto.toSeconds()) {
      throw new Error(`${lp}.restoreTimeout must be at least its rto (${l.rto.toSeconds()} seconds): a drill that stops waiting before the RTO cannot tell whether it is met, got ${timeout} seconds`);
    }
    const restoreKeys: { [type: string]: string } = {};
    const byType: [string, kms.IKey | undefined][] = [['S3', l.restoreKeys?.s3], ['DynamoDB', l.restoreKeys?.dynamoDb], ['EFS', l.restoreKeys?.efs], ['EBS', l.restoreKeys?.ebs]];
    for (const [type, key] of byType) {
      if (!key) continue;
      restoreKeys[type] = key.keyArn;
      if (!keys.includes(key)) keys.push(key);
    }
    if (l.backupVaultName !== undefined && !Token.isUnresolved(l.backupVaultName) && !/^[a-zA-Z0-9_-]{2,50}$/.test(l.backupVaultName)) {
      throw new Error(`${lp}.backupVaultName must be 2-50 characters of [a-zA-Z0-9_-] (an AWS Backup vault name), got '${l.backupVaultName}'`);
    }
    return {
      classification: l.classification.name,
      ...(l.backupVaultName !== undefined && l.backupVaultName !== props.backupVaultName ? { backupVaultName: l.backupVaultName } : {}),
      rtoSeconds: l.rto.toSeconds(),
      rpoSeconds: l.rpo.toSeconds(),
      intervalDays: l.interval.toDays({ integral: false }),
      restoreTimeoutSeconds: timeout,
      restoreKeys,
    };
  });
  const longest = Math.max(...levels.map((l) => l.restoreTimeoutSeconds));
  const iso = props.isolation;
  const isolation = iso && (iso.dbSubnetGroupName || iso.securityGroupIds?.length || iso.availabilityZone) ? { ...iso } : undefined;
  return {
    config: { drill: context.drill, backupVaultName: props.backupVaultName, levels, ...(isolation ? { isolation } : {}), maxTargets: max, maxRestoreTimeoutSeconds: longest, poll: context.poll },
    keys,
    classifications: levels.map((l) => l.classification),
    longestRestoreTimeoutSeconds: longest,
  };
}

/**
 * Listing the stores by their tags, as the discover and staleness functions do (handlers/discovery.ts).
 * GetResources has no resource-level permissions ("Resource types" column empty for
 * tag:GetResources in the Service Authorization Reference, "Actions, resources, and condition keys
 * for Amazon Resource Group Tagging API",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonresourcegrouptaggingapi.html);
 * it returns ARNs and tags only. DescribeDBInstances is held to this account's and region's
 * instances carrying one of `classifications`.
 */
export function grantStoreDiscovery(fn: lambda.Function, classifications: string[]): void {
  const stack = Stack.of(fn);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }));
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['rds:DescribeDBInstances'],
      resources: [stack.formatArn({ service: 'rds', resource: 'db', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      conditions: { StringEquals: { [`aws:ResourceTag/${CLASSIFICATION_TAG}`]: classifications } },
    }),
  );
}

/**
 * Reading the last successes as AWS Backup confirms them (handlers/verified-success.ts): the
 * pointers and the evidence records they name, and DescribeRestoreJob of the record's job.
 * backup:DescribeRestoreJob has no resource types ("Resource types" column empty in the Service
 * Authorization Reference, "Actions, resources, and condition keys for AWS Backup",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html): `*`,
 * acknowledged with the function's wildcards; it only reads a job's status, role and dates.
 */
export function grantVerifiedSuccesses(fn: lambda.Function, evidenceBucket: s3.IBucket): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [evidenceBucket.arnForObjects('latest-success/*'), evidenceBucket.arnForObjects('drills/*')] }));
  // Without ListBucket, a missing object answers 403 instead of 404 (a target never drilled successfully).
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [evidenceBucket.bucketArn] }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['backup:DescribeRestoreJob'], resources: ['*'] }));
}

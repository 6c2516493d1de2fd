import { Duration, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { ClassifiedResource } from '../classification/classify';
import { DRILL_PREFIX } from '../core/constants';
import { requireLiteral, validateRange } from '../core/validation';
import { DrillResourceType } from './drill-resource-type';
import { defaultRestoreTimeoutSeconds, DRILL_LIMITS, restoreMetadataOf, TARGET_NAME } from './target-item';

/** Where a drill restores to: network placement for database restores, AZ for volumes. */
export interface DrillIsolation {
  /**
   * DB subnet group of private subnets with no route to production, for RDS/Aurora restores.
   * @default - the source's subnet group from the restore metadata
   */
  readonly dbSubnetGroupName?: string;
  /**
   * Security groups for the restored database: give it one that allows only the validator.
   * @default - the source's security groups from the restore metadata
   */
  readonly securityGroupIds?: string[];
  /** Availability Zone of a restored EBS volume. @default - the source's AZ */
  readonly availabilityZone?: string;
}

export interface DrillTargetProps {
  /**
   * Short name of the target: lowercase letters, digits and single hyphens, at most 40
   * characters. Restored copies are named `drill-<name>-<8 hex>`; metrics and evidence are keyed by it.
   */
  readonly name: string;
  /** The type of the protected resource. */
  readonly resourceType: DrillResourceType;
  /**
   * The protected resource: the drill restores its latest completed recovery point in
   * `backupVaultName`. Give this or `recoveryPointArn`.
   * @default - none; `recoveryPointArn` is required
   */
  readonly resourceArn?: string;
  /** A chosen recovery point to restore instead of the latest. @default - the latest one */
  readonly recoveryPointArn?: string;
  /** The vault holding the recovery points, in this account (restores happen only there). */
  readonly backupVaultName?: string;
  /** Recovery time objective: a restore slower than this alarms. */
  readonly rto: Duration;
  /** Recovery point objective: recorded against the recovery point's age in the evidence. */
  readonly rpo: Duration;
  /** Time between scheduled drills (1–366 days). */
  readonly interval: Duration;
  /**
   * Give up waiting for the restore after this long (the drill then records RESTORE_TIMED_OUT).
   * @default - twice the RTO, at least one hour
   */
  readonly restoreTimeout?: Duration;
  /**
   * Key the restored copy is encrypted with (S3, DynamoDB, EBS, EFS). RDS/Aurora copies keep
   * the snapshot's key.
   * @default - the encryption recorded in the recovery point
   */
  readonly restoreKey?: kms.IKey;
  /** Network placement of the restored copy. @default - the source's */
  readonly isolation?: DrillIsolation;
  /** Further restore-metadata overrides (documented keys of the resource type only). @default - none */
  readonly restoreMetadata?: { [key: string]: string };
  /**
   * Parameters for the validator, e.g. `minObjects`, `minItems`, `tolerancePercent` (`sqlQuery` is
   * rejected for Aurora: the restored cluster has no DB instance). Passed through unchanged to a
   * custom validator.
   * @default - the default validator's checks with their defaults
   */
  readonly validation?: { [key: string]: string };
  /** The construct drilled, for the control record. @default - none */
  readonly drilledConstruct?: IConstruct;
}

/** Per-resource drill settings: what `IDrillTargetOptions.optionsFor` may set (the vault is always the stack's). */
export interface DrillTargetOverrides {
  /**
   * Short name of the target (lowercase letters, digits, single hyphens, at most 40 characters).
   * @default - the construct id, lowercased
   */
  readonly name?: string;
  /**
   * Key the restored copy is encrypted with (S3, DynamoDB, EBS, EFS).
   * @default - the key-account key of the resource's level; for DynamoDB its fallback key
   */
  readonly restoreKey?: kms.IKey;
  /** Network placement of the restored copy. @default - `DataProtectionDrillOptions.isolation` */
  readonly isolation?: DrillIsolation;
  /** How long to wait for the restore before recording RESTORE_TIMED_OUT. @default - twice the policy's RTO, at least one hour */
  readonly restoreTimeout?: Duration;
  /** Further restore-metadata overrides (documented keys of the resource type only). @default - none */
  readonly restoreMetadata?: { [key: string]: string };
  /** Parameters for the validator, e.g. `minItems`, `minObjects`, `tolerancePercent` (no `sqlQuery` for Aurora). @default - the default validator's checks */
  readonly validation?: { [key: string]: string };
}

/** Options for `DrillTarget.fromClassified`. */
export interface ClassifiedDrillTargetOptions extends DrillTargetOverrides {
  /** The vault holding the resource's recovery points in this account. */
  readonly backupVaultName: string;
}

const NAME = TARGET_NAME;

/** A target's times: what `validateDrillTimes` checks. */
export interface DrillTimes {
  readonly rto: Duration;
  readonly rpo: Duration;
  readonly interval: Duration;
  readonly restoreTimeout?: Duration;
}

/**
 * Checks a target's (or a discovery level's) times at synth: literals, ranges, and an interval
 * no shorter than the restore timeout. Returns the restore timeout (default: twice the RTO, at
 * least one hour). The run-time check of tagged stores uses the same limits (`timeProblem`).
 *
 * @param p the prop prefix in messages, e.g. `DrillTargetProps(orders)`
 */
export function validateDrillTimes(p: string, props: DrillTimes): Duration {
  const why = 'drill schedules, restore timeouts, poll schedules and RTO alarms are computed from it at synth';
  for (const [name, value] of [['rto', props.rto], ['rpo', props.rpo], ['interval', props.interval], ['restoreTimeout', props.restoreTimeout]] as const) {
    requireLiteral(`${p}.${name}`, value, why);
  }
  validateRange(`${p}.interval`, props.interval.toHours(), DRILL_LIMITS.intervalHours.min, DRILL_LIMITS.intervalHours.max, 'hours');
  validateRange(`${p}.rto`, props.rto.toHours({ integral: false }), DRILL_LIMITS.objectiveHours.min, DRILL_LIMITS.objectiveHours.max, 'hours');
  validateRange(`${p}.rpo`, props.rpo.toHours({ integral: false }), DRILL_LIMITS.objectiveHours.min, DRILL_LIMITS.objectiveHours.max, 'hours');
  const restoreTimeout = props.restoreTimeout ?? Duration.seconds(defaultRestoreTimeoutSeconds(props.rto.toSeconds()));
  const timeoutSeconds = restoreTimeout.toSeconds();
  if (timeoutSeconds > props.interval.toSeconds()) {
    throw new Error(
      `${p}.interval must be at least the restore timeout so drills of one resource never overlap: restoreTimeout is ${timeoutSeconds / 3600} hours, got an interval of ${props.interval.toHours({ integral: false })} hours`,
    );
  }
  return restoreTimeout;
}

/** One resource a `RestoreDrill` restores, validated at synth time. */
export class DrillTarget {
  /**
   * A target from explicit props.
   * @throws when the name is invalid, neither `resourceArn` nor `recoveryPointArn` is given, the
   *   vault is missing, or the interval is shorter than the restore timeout
   */
  public static of(props: DrillTargetProps): DrillTarget {
    return new DrillTarget(props);
  }

  /**
   * A target for a classified resource: RTO, RPO and drill interval come from its policy.
   * @throws when the resource type cannot be drilled
   */
  public static fromClassified(resource: ClassifiedResource, options: ClassifiedDrillTargetOptions): DrillTarget {
    const cfnType = resource.resourceType ?? 'unknown';
    const type = DrillResourceType.fromCloudFormationType(cfnType, `DrillTarget.fromClassified(${resource.scope.node.path}).resourceType`);
    return new DrillTarget({
      name: options.name ?? resource.scope.node.id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40),
      resourceType: type,
      // ClassifiedResource.resourceArn does not cover TableV2's global table: its Arn is this region's replica.
      resourceArn: resource.resourceArn ?? (cfnType === 'AWS::DynamoDB::GlobalTable' ? resource.cfnResource?.getAtt('Arn').toString() : undefined),
      backupVaultName: options.backupVaultName,
      rto: Duration.hours(resource.policy.rtoHours),
      rpo: Duration.hours(resource.policy.rpoHours),
      interval: Duration.days(resource.policy.drillIntervalDays),
      restoreKey: options.restoreKey,
      isolation: options.isolation,
      restoreTimeout: options.restoreTimeout,
      restoreMetadata: options.restoreMetadata,
      validation: options.validation,
      drilledConstruct: resource.scope,
    });
  }

  public readonly name: string;
  public readonly resourceType: DrillResourceType;
  public readonly resourceArn?: string;
  public readonly recoveryPointArn?: string;
  public readonly backupVaultName: string;
  public readonly rto: Duration;
  public readonly rpo: Duration;
  public readonly interval: Duration;
  public readonly restoreTimeout: Duration;
  public readonly restoreKey?: kms.IKey;
  public readonly isolation?: DrillIsolation;
  public readonly validation: { [key: string]: string };
  public readonly drilledConstruct?: IConstruct;
  /** @internal The target's own restore-metadata keys (`DrillTargetProps.restoreMetadata`). */
  public readonly _extraMetadata: { [key: string]: string };

  private constructor(props: DrillTargetProps) {
    const p = `DrillTargetProps(${props.name})`;
    if (typeof props.name !== 'string' || !NAME.test(props.name)) {
      throw new Error(
        `DrillTargetProps.name must be 1-40 lowercase letters, digits and single hyphens starting with a letter (it names the restored copy '${DRILL_PREFIX}<name>-<id>'), got '${props.name}'`,
      );
    }
    if (!(props.resourceType instanceof DrillResourceType)) {
      throw new Error(`${p}.resourceType: unsupported resource type '${String(props.resourceType)}'; use DrillResourceType.${['S3', 'DYNAMODB', 'RDS', 'AURORA', 'EBS', 'EFS'].join(', DrillResourceType.')}`);
    }
    if (!props.backupVaultName) {
      throw new Error(`${p}.backupVaultName is required: the vault in this account that holds the recovery points, got ${JSON.stringify(props.backupVaultName)}`);
    }
    if (!props.resourceArn && !props.recoveryPointArn) {
      throw new Error(`${p}: a recovery point source is required: give resourceArn (restore its latest recovery point) or recoveryPointArn, got neither`);
    }
    this.restoreTimeout = validateDrillTimes(p, props);
    for (const [k, v] of Object.entries(props.validation ?? {})) {
      if (typeof v !== 'string') throw new Error(`${p}.validation.${k} must be a string, got ${typeof v}`);
    }
    // The default validator's comparison with the source (a token is checked when the validator runs).
    const tolerance = props.validation?.tolerancePercent;
    if (tolerance !== undefined && !Token.isUnresolved(tolerance) && !(tolerance.trim() !== '' && Number(tolerance) >= 0 && Number(tolerance) <= 100)) {
      throw new Error(`${p}.validation.tolerancePercent must be a number from 0 to 100 (percent the restored copy may fall short of its source), got '${tolerance}'`);
    }
    const compare = props.validation?.compareWithSource;
    if (compare !== undefined && !Token.isUnresolved(compare) && compare !== 'true' && compare !== 'false') {
      throw new Error(`${p}.validation.compareWithSource must be 'true' or 'false', got '${compare}'`);
    }
    // "AWS Backup restores your Aurora cluster; it does not create or attach an Amazon RDS instance
    // to your cluster" (AWS Backup, "Restoring an Amazon Aurora cluster",
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html), and the drill adds
    // none: a query has no instance to run on, for any validator. The Data API too: it "requires
    // access to the writer instance for query processing, even for read queries" ("Limitations for
    // the Amazon RDS Data API", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html).
    if (props.resourceType === DrillResourceType.AURORA && props.validation?.sqlQuery !== undefined) {
      throw new Error(
        `${p}.validation.sqlQuery is not supported for an Aurora target: AWS Backup restores the cluster without DB instances and the drill adds none, so no query can run ` +
          `(got '${props.validation.sqlQuery}'). Remove it: the default validator checks the restored cluster is available and encrypted, and compares its engine and ` +
          "AllocatedStorage with the source cluster's within validation.tolerancePercent; a custom validator that adds an instance can take its query under another key.",
      );
    }
    this.name = props.name;
    this.resourceType = props.resourceType;
    this.resourceArn = props.resourceArn;
    this.recoveryPointArn = props.recoveryPointArn;
    this.backupVaultName = props.backupVaultName;
    this.rto = props.rto;
    this.rpo = props.rpo;
    this.interval = props.interval;
    this.restoreKey = props.restoreKey;
    this.isolation = props.isolation;
    this.validation = { ...(props.validation ?? {}) };
    this.drilledConstruct = props.drilledConstruct;
    this._extraMetadata = { ...(props.restoreMetadata ?? {}) };
    if (this.resourceType.nameMetadataKey && this.resourceType.nameMetadataKey in this._extraMetadata) {
      throw new Error(`${p}.restoreMetadata.${this.resourceType.nameMetadataKey} is set by the drill (the '${DRILL_PREFIX}' name of the restored copy); remove it`);
    }
  }

  /** Days between scheduled drills. */
  public get intervalDays(): number {
    return this.interval.toDays({ integral: false });
  }

  /**
   * Restore-metadata overrides fixed at synth time, merged over `GetRecoveryPointRestoreMetadata`
   * (documented keys only). The `drill-` name is added by the workflow at run time.
   */
  public restoreMetadataOverrides(): { [key: string]: string } {
    return restoreMetadataOf(this.resourceType.backupResourceType, { keyArn: this.restoreKey?.keyArn, isolation: this.isolation, extra: this._extraMetadata });
  }
}

import { Duration } from 'aws-cdk-lib';
import { requireLiteral, requireReason, validateInteger, validateRange } from '../core/validation';
import { DataClassification } from './data-classification';

/**
 * The controls a classified resource gets. Every field is optional in overrides; a level's
 * values are floors: tightening is always allowed, loosening needs `overrideReason`.
 */
export interface ProtectionPolicyProps {
  /** Encrypt with a customer managed key (never an AWS owned or AWS managed key). */
  readonly requireCmk?: boolean;
  /** Days AWS Backup keeps each recovery point (1–36,500). */
  readonly backupRetentionDays?: number;
  /** Hours between scheduled backups (1–24). */
  readonly backupIntervalHours?: number;
  /** Copy every recovery point into the backup account's locked vault. */
  readonly crossAccountCopy?: boolean;
  /** Also copy into a vault in the disaster-recovery region. */
  readonly crossRegionCopy?: boolean;
  /** Continuous backup / point-in-time recovery where the resource type supports it. */
  readonly pointInTimeRecovery?: boolean;
  /** Days of point-in-time recovery (1–35, the AWS Backup continuous-backup limit). */
  readonly pointInTimeRecoveryDays?: number;
  /** Record CloudTrail data events (reads and writes, allowed and denied). */
  readonly dataEvents?: boolean;
  /** Days between restore drills (1–366). */
  readonly drillIntervalDays?: number;
  /** Recovery time objective in hours: a drill slower than this alarms (1–720). */
  readonly rtoHours?: number;
  /** Recovery point objective in hours: the oldest acceptable recovery point (1–720). */
  readonly rpoHours?: number;
  /**
   * Recovery point objective of the copy in the backup account, in hours (1–24): the data lost
   * when the data account is compromised and only the copies remain. The backup rule that copies
   * runs at least this often (copies run after each backup job of the rule with the copy action).
   * Applies when `crossAccountCopy` is true.
   */
  readonly copyRpoHours?: number;
}

/** Overrides of a level's policy, with the reason kept for the report. */
export interface ProtectionPolicyOverrides extends ProtectionPolicyProps {
  /**
   * Why a control is loosened below its level's floor. Required as soon as any field is
   * looser than the floor; shown in the checklist report.
   * @default - no loosening allowed
   */
  readonly overrideReason?: string;
}

/** One control loosened below its floor. */
export interface PolicyOverride {
  /** The field, e.g. `crossAccountCopy`. */
  readonly prop: string;
  /** The level's floor. */
  readonly floor: string;
  /** The value actually used. */
  readonly value: string;
  /** The reason given. */
  readonly reason: string;
}

type Field = keyof ProtectionPolicyProps;

/** How each field compares: 'higher' means a higher value is stricter. */
const STRICTER: Record<Field, 'true' | 'higher' | 'lower'> = {
  requireCmk: 'true',
  backupRetentionDays: 'higher',
  backupIntervalHours: 'lower',
  crossAccountCopy: 'true',
  crossRegionCopy: 'true',
  pointInTimeRecovery: 'true',
  pointInTimeRecoveryDays: 'higher',
  dataEvents: 'true',
  drillIntervalDays: 'lower',
  rtoHours: 'lower',
  rpoHours: 'lower',
  copyRpoHours: 'lower',
};

const RANGES: Partial<Record<Field, [number, number, string]>> = {
  backupRetentionDays: [1, 36500, 'days'],
  backupIntervalHours: [1, 24, 'hours'],
  pointInTimeRecoveryDays: [1, 35, 'days'],
  drillIntervalDays: [1, 366, 'days'],
  rtoHours: [1, 720, 'hours'],
  rpoHours: [1, 720, 'hours'],
  // Copies run after each backup job of their rule, and a rule runs at most hourly ("snapshot
  // backups can be taken as frequently as every hour", AWS Backup Developer Guide, "Continuous
  // backups and point-in-time recovery", https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html);
  // the library's schedules run every 1-24 hours.
  copyRpoHours: [1, 24, 'hours'],
};

/**
 * The floors per level. Quarterly drills for CONFIDENTIAL follow seed 000's prescription.
 * `rpoHours` is met in the data account (continuous backup where the type supports it);
 * `copyRpoHours` is what survives a compromised data account: HIGHLY_SENSITIVE copies hourly
 * (24 backup jobs and 24 copy jobs per resource and day, plus 24 DR-region copies), CONFIDENTIAL daily.
 */
const FLOORS: Record<string, Required<ProtectionPolicyProps>> = {
  PUBLIC: {
    requireCmk: false, backupRetentionDays: 7, backupIntervalHours: 24, crossAccountCopy: false, crossRegionCopy: false,
    pointInTimeRecovery: false, pointInTimeRecoveryDays: 7, dataEvents: false, drillIntervalDays: 366, rtoHours: 72, rpoHours: 24, copyRpoHours: 24,
  },
  INTERNAL: {
    requireCmk: true, backupRetentionDays: 35, backupIntervalHours: 24, crossAccountCopy: false, crossRegionCopy: false,
    pointInTimeRecovery: false, pointInTimeRecoveryDays: 7, dataEvents: false, drillIntervalDays: 180, rtoHours: 24, rpoHours: 24, copyRpoHours: 24,
  },
  CONFIDENTIAL: {
    requireCmk: true, backupRetentionDays: 90, backupIntervalHours: 24, crossAccountCopy: true, crossRegionCopy: false,
    pointInTimeRecovery: true, pointInTimeRecoveryDays: 35, dataEvents: true, drillIntervalDays: 90, rtoHours: 8, rpoHours: 1, copyRpoHours: 24,
  },
  HIGHLY_SENSITIVE: {
    requireCmk: true, backupRetentionDays: 365, backupIntervalHours: 12, crossAccountCopy: true, crossRegionCopy: true,
    pointInTimeRecovery: true, pointInTimeRecoveryDays: 35, dataEvents: true, drillIntervalDays: 30, rtoHours: 4, rpoHours: 1, copyRpoHours: 1,
  },
};

/**
 * The controls for one classification level, possibly tightened, or loosened with a
 * recorded reason. Immutable: `withOverrides` returns a new policy.
 */
export class ProtectionPolicy {
  /** The floor of a level: what a resource gets when nothing is overridden. */
  public static forClassification(classification: DataClassification): ProtectionPolicy {
    return new ProtectionPolicy(classification, FLOORS[classification.name], []);
  }

  public readonly requireCmk: boolean;
  public readonly backupRetentionDays: number;
  public readonly backupIntervalHours: number;
  public readonly crossAccountCopy: boolean;
  public readonly crossRegionCopy: boolean;
  public readonly pointInTimeRecovery: boolean;
  public readonly pointInTimeRecoveryDays: number;
  public readonly dataEvents: boolean;
  public readonly drillIntervalDays: number;
  public readonly rtoHours: number;
  public readonly rpoHours: number;
  /** Recovery point objective of the copy in the backup account, in hours. */
  public readonly copyRpoHours: number;

  private constructor(
    /** The level this policy belongs to. */
    public readonly classification: DataClassification,
    values: Required<ProtectionPolicyProps>,
    /** Controls loosened below the level's floor, with reasons. */
    public readonly overrides: PolicyOverride[],
  ) {
    this.requireCmk = values.requireCmk;
    this.backupRetentionDays = values.backupRetentionDays;
    this.backupIntervalHours = values.backupIntervalHours;
    this.crossAccountCopy = values.crossAccountCopy;
    this.crossRegionCopy = values.crossRegionCopy;
    this.pointInTimeRecovery = values.pointInTimeRecovery;
    this.pointInTimeRecoveryDays = values.pointInTimeRecoveryDays;
    this.dataEvents = values.dataEvents;
    this.drillIntervalDays = values.drillIntervalDays;
    this.rtoHours = values.rtoHours;
    this.rpoHours = values.rpoHours;
    this.copyRpoHours = values.copyRpoHours;
  }

  /**
   * A policy with these overrides applied. Tightening is always allowed; a field looser than
   * the level's floor throws unless `overrideReason` is given, and is recorded in `overrides`.
   */
  public withOverrides(overrides: ProtectionPolicyOverrides): ProtectionPolicy {
    const floor = FLOORS[this.classification.name];
    const values = { ...this._values() };
    const loosened: PolicyOverride[] = [...this.overrides];
    for (const field of Object.keys(STRICTER) as Field[]) {
      const value = overrides[field];
      if (value === undefined) continue;
      const prop = `ProtectionPolicyOverrides.${field}`;
      const range = RANGES[field];
      if (range) {
        requireLiteral(prop, value as number, `it is compared with the ${this.classification.name} floor and becomes backup rules, schedules and alarms at synth`);
        validateInteger(prop, value as number);
        validateRange(prop, value as number, range[0], range[1], range[2]);
      }
      if (isLooser(field, value, floor[field])) {
        const reason = requireReason(
          'ProtectionPolicyOverrides.overrideReason',
          overrides.overrideReason,
          `${field}=${value} is looser than the ${this.classification.name} floor ${field}=${floor[field]}`,
        );
        loosened.push({ prop: field, floor: String(floor[field]), value: String(value), reason });
      }
      (values as Record<Field, unknown>)[field] = value;
    }
    if (values.crossRegionCopy && !values.crossAccountCopy) {
      // The regional copy goes to the backup account's DR vault: it cannot exist without the account copy.
      throw new Error('ProtectionPolicyOverrides.crossRegionCopy=true needs crossAccountCopy=true: the DR-region copy lives in the backup account');
    }
    return new ProtectionPolicy(this.classification, values, loosened);
  }

  /** RTO as a Duration. */
  public get rto(): Duration {
    return Duration.hours(this.rtoHours);
  }

  /** The policy's values as a plain object (for metadata and the report). */
  public values(): ProtectionPolicyProps {
    return this._values();
  }

  /** @internal every value set (the public `values()` cannot say so in jsii's type system) */
  public _values(): Required<ProtectionPolicyProps> {
    return {
      requireCmk: this.requireCmk,
      backupRetentionDays: this.backupRetentionDays,
      backupIntervalHours: this.backupIntervalHours,
      crossAccountCopy: this.crossAccountCopy,
      crossRegionCopy: this.crossRegionCopy,
      pointInTimeRecovery: this.pointInTimeRecovery,
      pointInTimeRecoveryDays: this.pointInTimeRecoveryDays,
      dataEvents: this.dataEvents,
      drillIntervalDays: this.drillIntervalDays,
      rtoHours: this.rtoHours,
      rpoHours: this.rpoHours,
      copyRpoHours: this.copyRpoHours,
    };
  }
}

function isLooser(field: Field, value: unknown, floor: unknown): boolean {
  switch (STRICTER[field]) {
    case 'true':
      return floor === true && value === false;
    case 'higher':
      return (value as number) < (floor as number);
    case 'lower':
      return (value as number) > (floor as number);
  }
}

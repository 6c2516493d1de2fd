import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import { CONTROLS, recordControl } from '../core/controls';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { CLASSIFICATION_TAG } from '../core/constants';
import { durationIn, requireLiteral, requireReason, validateAccountId, validatePolicyTargetId, validateRange, validateRegion } from '../core/validation';
import { centralVaultTargets } from '../topology/backup-account-stack';
import { BackupVaultTarget } from './immutable-backup-vault';
import { BACKUP_START_WINDOW_MINUTES, backupRuleTiming, COLD_STORAGE_MIN_DAYS, retentionClassVault } from './protected-backup-plan';

/**
 * Maximum size of a backup policy document: 10,000 characters ("Quotas and service limits for
 * AWS Organizations", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html;
 * a policy saved through an SDK or CloudFormation is counted exactly as given, white space included,
 * so the library writes it compact).
 */
export const BACKUP_POLICY_MAX_CHARACTERS = 10000;

/** Default name of the vault the policy's plans write to in every member account and region. */
export const ORGANIZATION_BACKUP_VAULT_NAME = 'data-protection-organization';
/** Default name of the role AWS Backup assumes in every member account. */
export const ORGANIZATION_BACKUP_ROLE_NAME = 'data-protection-organization-backup';

export interface OrganizationBackupPolicyProps {
  /**
   * Where the policy is attached: organizational unit ids (`ou-…`), the root id (`r-…`) or
   * account ids (12 digits). Attach it to the accounts whose resources are not defined in CDK:
   * an account that also runs a `DataAccountStack` backs its classified resources up twice.
   */
  readonly targetIds: string[];
  /** Regions the plans back up in (the vault and role must exist in each, in every member account). */
  readonly regions: string[];
  /**
   * The backup account: every recovery point of a level whose policy has `crossAccountCopy`
   * (CONFIDENTIAL and above) is copied into its central vault of the copy's retention class
   * (`data-protection-central`, `data-protection-central-365d`), in the same region.
   */
  readonly backupAccount: string;
  /**
   * The disaster-recovery region of the backup account: levels whose policy has
   * `crossRegionCopy` (HIGHLY_SENSITIVE) get a second copy into its central vault there.
   * @default - none: an error unless `noCrossRegionCopyReason` is given
   */
  readonly drRegion?: string;
  /** Why levels that require a DR-region copy get none. @default - the copy is required */
  readonly noCrossRegionCopyReason?: string;
  /**
   * The levels that get a plan, each selected by its `data-classification` tag.
   * @default - every level (each one's policy keeps backups)
   */
  readonly classifications?: DataClassification[];
  /**
   * Name of the vault the plans write to. It must exist, locked, in every member account and
   * region before the plans run (e.g. deployed by a StackSet baseline), with a lock range that
   * admits every level's retention (the shortest is PUBLIC's 7 days, the point-in-time recovery
   * rules 35).
   * @default 'data-protection-organization'
   */
  readonly backupVaultName?: string;
  /**
   * Name of the role AWS Backup assumes in each member account (`arn:<partition>:iam::$account:role/<name>`):
   * it must exist before the plans run, with permission to back up the tagged resources and to
   * copy into the backup account's vaults.
   * @default 'data-protection-organization-backup'
   */
  readonly backupRoleName?: string;
  /** Name of the Organizations policy. @default 'data-protection-backup-policy' */
  readonly policyName?: string;
  /** Prefix of the plan names in the policy (the level and, for plans that copy, the region are appended). @default 'data-protection-org' */
  readonly planNamePrefix?: string;
  /** UTC hour (0–23) of the first scheduled backup of the day. @default 3 */
  readonly scheduleStartHour?: number;
  /**
   * Move scheduled recovery points in the member account's vault to cold storage after this
   * long; deletion must come at least 90 days later. Copies never go cold.
   * @default - never
   */
  readonly coldStorageAfter?: Duration;
  /** The partition of the ARNs in the policy. @default - the stack's partition when known, else 'aws' */
  readonly partition?: string;
}

/**
 * An AWS Organizations backup policy (`BACKUP_POLICY`) for resources not defined in CDK,
 * generated from the same `ProtectionPolicy` floors as `ProtectedBackupPlan`: one plan per
 * classification level (one per level and region for levels that copy, since a copy names a
 * vault of its region), selecting resources tagged `data-classification=<LEVEL>`, with the
 * schedule, retention, continuous backup and copies into the backup account's central vaults
 * that the data-account plans have. Syntax: "Backup policy syntax and examples", AWS
 * Organizations User Guide,
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html.
 *
 * The vault (`backupVaultName`) and the role (`backupRoleName`) must already exist in every
 * member account and region the policy reaches ("Vaults must exist for each AWS account that
 * receives the effective policy"; "The IAM role must exist when creating a backup plan for the
 * first time"): this construct does not create them. Deploy it in the management account (or
 * a delegated administrator for backup policies), with backup policies enabled on the root.
 *
 * Synth-time errors: bad target ids or regions, a copy retention outside its central vault's
 * lock, cold storage less than 90 days before deletion, a required DR copy without `drRegion`
 * (and no reason), a document over 10,000 characters.
 */
export class OrganizationBackupPolicy extends Construct {
  /** The Organizations policy. */
  public readonly policy: organizations.CfnPolicy;
  /** The policy document as compact JSON (its length is what the size quota is checked against). */
  public readonly document: string;

  public constructor(scope: Construct, id: string, props: OrganizationBackupPolicyProps) {
    super(scope, id);
    const P = 'OrganizationBackupPolicyProps';
    if (!props.targetIds || props.targetIds.length === 0) throw new Error(`${P}.targetIds must list at least one organizational unit (ou-…), root (r-…) or account id (12 digits), got ${JSON.stringify(props.targetIds)}`);
    // Target ids: roots, OUs, accounts ("TargetId", AttachPolicy, AWS Organizations API Reference,
    // https://docs.aws.amazon.com/organizations/latest/APIReference/API_AttachPolicy.html).
    props.targetIds.forEach((t, i) => validatePolicyTargetId(`${P}.targetIds[${i}]`, t));
    if (!props.regions || props.regions.length === 0) throw new Error(`${P}.regions must list at least one region (e.g. 'eu-west-1'), got ${JSON.stringify(props.regions)}`);
    props.regions.forEach((r, i) => validateRegionName(`${P}.regions[${i}]`, r));
    if (new Set(props.regions).size !== props.regions.length) throw new Error(`${P}.regions must not repeat a region, got ${JSON.stringify(props.regions)}`);
    validateAccountId(`${P}.backupAccount`, props.backupAccount);
    if (Token.isUnresolved(props.backupAccount)) throw new Error(`${P}.backupAccount must be a literal 12-digit account id (it is written into the policy document at synth), got a token`);
    if (props.drRegion !== undefined) {
      validateRegionName(`${P}.drRegion`, props.drRegion);
      if (props.regions.includes(props.drRegion)) throw new Error(`${P}.drRegion must differ from every region in regions (the DR copy goes to another region), got '${props.drRegion}'`);
    }
    requireLiteral(`${P}.scheduleStartHour`, props.scheduleStartHour, 'the backup hours are computed from it at synth');
    validateRange(`${P}.scheduleStartHour`, props.scheduleStartHour, 0, 23, 'hours');
    const startHour = props.scheduleStartHour ?? 3;
    const cold = props.coldStorageAfter ? durationIn(`${P}.coldStorageAfter`, props.coldStorageAfter, 'days') : undefined;
    if (cold !== undefined && Token.isUnresolved(cold)) throw new Error(`${P}.coldStorageAfter needs a literal value (it is written into the policy document at synth), got a token`);
    const vaultName = literalName(`${P}.backupVaultName`, props.backupVaultName ?? ORGANIZATION_BACKUP_VAULT_NAME, /^[a-zA-Z0-9\-_]{2,50}$/, "2-50 letters, digits, '-' and '_'");
    const roleName = literalName(`${P}.backupRoleName`, props.backupRoleName ?? ORGANIZATION_BACKUP_ROLE_NAME, /^[\w+=,.@-]{1,64}$/, "1-64 letters, digits and '+=,.@_-'");
    const prefix = literalName(`${P}.planNamePrefix`, props.planNamePrefix ?? 'data-protection-org', /^[A-Za-z0-9_.-]{1,150}$/, "1-150 letters, digits, '-', '_' and '.'");
    const stackPartition = Stack.of(this).partition;
    const partition = props.partition ?? (Token.isUnresolved(stackPartition) ? 'aws' : stackPartition);
    const levels = props.classifications ?? DataClassification.all();
    if (levels.length === 0) throw new Error(`${P}.classifications must list at least one level, got []`);
    const roleArn = `arn:${partition}:iam::$account:role/${roleName}`;
    const vaultArn = (t: BackupVaultTarget) => `arn:${partition}:backup:${t.region}:${t.account}:backup-vault:${t.backupVaultName}`;

    const plans: Record<string, unknown> = {};
    for (const level of levels) {
      const policy = ProtectionPolicy.forClassification(level);
      const retention = policy.backupRetentionDays;
      const suffix = level.name.toLowerCase().replace(/_/g, '-');
      if (cold !== undefined && retention - cold < COLD_STORAGE_MIN_DAYS) {
        throw new Error(
          `${P}.coldStorageAfter: the ${level.name} plan moves recovery points to cold storage after ${cold} days and deletes them after ${retention} days; deletion must come at least ${COLD_STORAGE_MIN_DAYS} days after cold storage (coldStorageAfter at most ${retention - COLD_STORAGE_MIN_DAYS} days, or drop ${level.name} from classifications)`,
        );
      }
      let dr: string | undefined;
      if (policy.crossRegionCopy) {
        if (props.drRegion) dr = props.drRegion;
        else requireReason(`${P}.noCrossRegionCopyReason`, props.noCrossRegionCopyReason, `${level.name} data without a copy in the disaster-recovery region (pass ${P}.drRegion, or this reason to skip it)`);
      }
      // A copy names a vault of one region: levels that copy get a plan per region.
      const groups: string[][] = policy.crossAccountCopy ? props.regions.map((r) => [r]) : [props.regions];
      for (const regions of groups) {
        const copyActions: Record<string, unknown> = {};
        if (policy.crossAccountCopy) {
          // The same central vault of the same retention class the data-account plans copy into.
          for (const region of [regions[0], ...(dr ? [dr] : [])]) {
            const targets = centralVaultTargets(props.backupAccount, region);
            const t = retentionClassVault(retention, targets[0], targets.slice(1));
            if (retention < (t.minRetentionDays ?? 0) || retention > (t.maxRetentionDays ?? Infinity)) {
              throw new Error(`${P}: ${level.name} copies are kept ${retention} days, outside the lock of central vault '${t.backupVaultName}' (min ${t.minRetentionDays}, max ${t.maxRetentionDays} days); AWS Backup would fail every copy`);
            }
            const arn = vaultArn(t);
            // Copies into another account never go to cold storage (AWS Backup refuses it).
            copyActions[arn] = { target_backup_vault_arn: assign(arn), lifecycle: { delete_after_days: assign(String(retention)) } };
          }
        }
        const timing = backupRuleTiming(policy, Object.keys(copyActions).length > 0, startHour);
        const planName = policy.crossAccountCopy ? `${prefix}-${suffix}-${regions[0]}` : `${prefix}-${suffix}`;
        const recoveryPointTags = { [CLASSIFICATION_TAG]: { tag_key: assign(CLASSIFICATION_TAG), tag_value: assign(level.name) } };
        const rules: Record<string, unknown> = {
          [`${planName}-scheduled`]: {
            schedule_expression: assign(timing.scheduleExpression),
            start_backup_window_minutes: assign(String(BACKUP_START_WINDOW_MINUTES)),
            target_backup_vault_name: assign(vaultName),
            lifecycle: {
              delete_after_days: assign(String(retention)),
              ...(cold !== undefined ? { move_to_cold_storage_after_days: assign(String(cold)) } : {}),
            },
            ...(Object.keys(copyActions).length > 0 ? { copy_actions: copyActions } : {}),
            recovery_point_tags: recoveryPointTags,
          },
        };
        if (policy.pointInTimeRecovery) {
          // Continuous backup (point-in-time recovery), as the data-account plans' continuous rule. The tag selection
          // spans every type, so unlike ProtectedBackupPlan the rule is written whether or not a continuous-capable type is tagged.
          validateRange(`ProtectionPolicy.pointInTimeRecoveryDays (${level.name})`, policy.pointInTimeRecoveryDays, 1, 35, 'days');
          rules[`${planName}-continuous`] = {
            schedule_expression: assign(timing.continuousScheduleExpression),
            start_backup_window_minutes: assign(String(BACKUP_START_WINDOW_MINUTES)),
            target_backup_vault_name: assign(vaultName),
            enable_continuous_backup: assign('true'),
            lifecycle: { delete_after_days: assign(String(policy.pointInTimeRecoveryDays)) },
            recovery_point_tags: recoveryPointTags,
          };
        }
        plans[planName] = {
          regions: assign(regions),
          rules,
          selections: {
            tags: {
              [`${suffix}-by-classification`]: {
                iam_role_arn: assign(roleArn),
                tag_key: assign(CLASSIFICATION_TAG),
                tag_value: assign([level.name]),
              },
            },
          },
          backup_plan_tags: { [CLASSIFICATION_TAG]: { tag_key: assign(CLASSIFICATION_TAG), tag_value: assign(level.name) } },
        };
      }
    }
    const content = { plans };
    this.document = JSON.stringify(content);
    if (this.document.length > BACKUP_POLICY_MAX_CHARACTERS) {
      throw new Error(
        `OrganizationBackupPolicy ${this.node.path}: the backup policy document is ${this.document.length} characters; AWS Organizations allows at most ${BACKUP_POLICY_MAX_CHARACTERS} for a backup policy. ` +
          `Split it: fewer regions or classifications per OrganizationBackupPolicy (${P}.regions has ${props.regions.length}, ${levels.length} level(s)), or shorter ${P}.planNamePrefix / backupVaultName / backupRoleName`,
      );
    }
    this.policy = new organizations.CfnPolicy(this, 'Resource', {
      name: props.policyName ?? 'data-protection-backup-policy',
      type: 'BACKUP_POLICY',
      description: 'cdk-data-protection: backup plans per data-classification level, from the ProtectionPolicy floors',
      content,
      targetIds: props.targetIds,
    });
    // Listed by the report ("Organization"): where the plans apply and which they are.
    recordControl(this.policy, CONTROLS.ORGANIZATION_BACKUP_POLICY, {
      detail: { policyName: props.policyName ?? 'data-protection-backup-policy', targetIds: [...props.targetIds], regions: [...props.regions], plans: Object.keys(plans) },
    });
  }
}

/** `{"@@assign": value}`: the value-setting operator of management policies. */
function assign(value: unknown): { '@@assign': unknown } {
  return { '@@assign': value };
}

function literalName(prop: string, value: string, pattern: RegExp, expected: string): string {
  if (Token.isUnresolved(value)) throw new Error(`${prop} must be a literal (it is written into the policy document at synth), got a token`);
  if (!pattern.test(value)) throw new Error(`${prop} must be ${expected}, got '${value}'`);
  return value;
}

/** A region name (`validateRegion`), literal: it is written into the policy document. */
function validateRegionName(prop: string, value: string): void {
  if (Token.isUnresolved(value)) throw new Error(`${prop} must be a literal region (it is written into the policy document at synth), got a token`);
  validateRegion(prop, value);
}

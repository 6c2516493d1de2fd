import { Annotations, Arn, ArnFormat, Aws, CfnResource, Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { ClassifiedResource, ClassifiedResources } from '../classification/classify';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { BACKUP_PLAN_TAG, CLASSIFICATION_TAG, METADATA } from '../core/constants';
import { acknowledge, acknowledgeAwsCustomResourceProvider, acknowledgeInlinePolicy, acknowledgeWildcards, defaultPolicyOf, STOCK_RULES, WildcardGrant } from '../core/acknowledgements';
import { registerPerAccountAndRegion } from '../core/account-wide';
import { clusterMembers } from '../core/cluster-members';
import { CONTROLS, recordControl } from '../core/controls';
import { durationIn, requireLiteral, requireReason, validateAccountId, validateRange } from '../core/validation';
import { BackupVaultTarget, backupVaultArn, ImmutableBackupVault } from './immutable-backup-vault';
import { AIR_GAPPED_COPY_TYPES } from './logically-air-gapped-vault';

/** Days between cold storage and deletion that AWS Backup requires. */
export const COLD_STORAGE_MIN_DAYS = 90;

/** A resource not defined in this app, selected by ARN. */
export interface ExistingBackupResource {
  /** Its ARN (S3 bucket, DynamoDB table, RDS instance or cluster, EFS file system, EBS volume). */
  readonly resourceArn: string;
  /** Its classification: decides the rules it gets. */
  readonly classification: DataClassification;
}

export interface ProtectedBackupPlanProps {
  /** The locked vault in this account that receives the recovery points. */
  readonly backupVault: ImmutableBackupVault;
  /**
   * More locked vaults of this account, one per retention class: each rule writes to the vault
   * (of `backupVault` and these) with the highest lock minimum that its retention fits, so a
   * recovery point is locked for as long as the longest floor it can be (a HIGHLY_SENSITIVE
   * recovery point kept 365 days lands in a vault whose lock minimum is 365, not 7, and nobody
   * can shorten the plan below it). `DataAccountStack` creates one per retention floor.
   * @default - none: every rule writes to `backupVault`
   */
  readonly retentionClassVaults?: ImmutableBackupVault[];
  /**
   * The backup account's central vault: every recovery point of a resource whose policy has
   * `crossAccountCopy` (CONFIDENTIAL and above) is copied into it.
   * @default - none: an error unless `noCrossAccountCopyReason` is given
   */
  readonly centralVault?: BackupVaultTarget;
  /**
   * More central vaults of the backup account (same account and region as `centralVault`), one
   * per copy retention class: each copy goes to the vault (of `centralVault` and these) with the
   * highest lock minimum that its retention fits, chosen as for `retentionClassVaults` (a
   * HIGHLY_SENSITIVE copy kept 365 days lands in a vault whose lock minimum is 365, so a
   * data-account administrator who shortens the plan makes every copy fail instead of keeping
   * it 90 days). `BackupAccountStack.centralRetentionClassVaults`.
   * @default - none: every copy goes to `centralVault`
   */
  readonly centralRetentionClassVaults?: BackupVaultTarget[];
  /**
   * The backup account's vault in the disaster-recovery region: receives a second copy of
   * resources whose policy has `crossRegionCopy` (HIGHLY_SENSITIVE).
   * @default - none: an error unless `noCrossRegionCopyReason` is given
   */
  readonly drVault?: BackupVaultTarget;
  /**
   * More vaults of the backup account in the disaster-recovery region (same account and region
   * as `drVault`), one per copy retention class, chosen as for `centralRetentionClassVaults`
   * (the DR-region instance's `BackupAccountStack.centralRetentionClassVaults`).
   * @default - none: every DR-region copy goes to `drVault`
   */
  readonly drRetentionClassVaults?: BackupVaultTarget[];
  /**
   * The backup account's logically air-gapped vault (`BackupAccountStack.airGappedVault.target`):
   * recovery points of the levels in `airGappedCopyClassifications` get one more copy into it.
   * Synth errors: a covered type AWS Backup cannot copy there (`AIR_GAPPED_COPY_TYPES`; DynamoDB),
   * RDS or Aurora into another Region, a retention outside its lock.
   * @default - no copy into a logically air-gapped vault
   */
  readonly airGappedVault?: BackupVaultTarget;
  /**
   * Levels whose recovery points are copied into `airGappedVault`.
   * @default [DataClassification.HIGHLY_SENSITIVE]
   */
  readonly airGappedCopyClassifications?: DataClassification[];
  /**
   * A logically air-gapped vault of THIS account and Region (`LogicallyAirGappedVault.target`) as
   * the primary target of the scheduled rules of the levels in `airGappedPrimaryClassifications`
   * (`TargetLogicallyAirGappedBackupVaultArn`): types AWS Backup fully manages (S3, EFS, DynamoDB)
   * back up straight into it; RDS, Aurora and EBS get a temporary recovery point in the locked
   * vault (`backupVault`), copied into it and then deleted. Continuous rules keep writing to the
   * locked vault. Copies to the backup account are unchanged. Synth errors: a vault of another
   * account or Region, a rule retention outside its lock, a covered store AWS Backup would leave
   * out of it (an AWS managed key or no encryption on RDS/Aurora, an AWS managed key on EBS, a
   * Multi-AZ DB cluster).
   * @default - no primary backup into a logically air-gapped vault
   */
  readonly airGappedPrimaryVault?: BackupVaultTarget;
  /**
   * Levels whose scheduled backups go into `airGappedPrimaryVault`.
   * @default [DataClassification.HIGHLY_SENSITIVE]
   */
  readonly airGappedPrimaryClassifications?: DataClassification[];
  /** Why resources that require a cross-account copy get none (recorded as an override per resource). @default - required copies are enforced */
  readonly noCrossAccountCopyReason?: string;
  /** Why resources that require a DR-region copy get none (recorded as an override per resource). @default - required copies are enforced */
  readonly noCrossRegionCopyReason?: string;
  /**
   * Name prefix of the backup plans (one per classification level and policy).
   * @default - the stack name
   */
  readonly backupPlanName?: string;
  /**
   * Where to look for classified resources (`classify`). Create the plan after classifying them.
   * @default - this stack
   */
  readonly coverage?: IConstruct;
  /**
   * Several scopes to look in, e.g. every data stack of the account and region (the plan then
   * selects their resources by tag, with no reference to their stacks). Replaces `coverage`.
   * @default - `coverage`
   */
  readonly coverageScopes?: IConstruct[];
  /** Resources defined outside this app, selected by ARN. @default - none */
  readonly existingResources?: ExistingBackupResource[];
  /**
   * Move scheduled recovery points in this account's vault to cold storage after this long.
   * Deletion must come at least 90 days later; copies to other accounts never go cold.
   * @default - never
   */
  readonly coldStorageAfter?: Duration;
  /** UTC hour (0–23) of the first scheduled backup of the day. @default 3 */
  readonly scheduleStartHour?: number;
  /**
   * Opt this region into AWS Backup for the covered resource types and turn on advanced
   * DynamoDB backup (needed for cross-account copies, for recovery points the vault lock
   * governs, and so that `dynamodb:DeleteBackup` cannot bypass the lock). A region setting of
   * the account, applied by a custom resource.
   * @default true
   */
  readonly manageRegionSettings?: boolean;
}

const NO_RESOURCE_LEVEL_PERMISSIONS =
  'tag:GetResources, s3:ListAllMyBuckets, events:ListRules, cloudwatch:GetMetricData and the EC2 snapshot calls have no resource-level permissions.';

/** Why the backup role's statements name wildcard resources, by statement id. */
const BACKUP_ROLE_WILDCARDS: Record<string, string> = {
  SelectByTag: NO_RESOURCE_LEVEL_PERMISSIONS,
  S3ListBuckets: NO_RESOURCE_LEVEL_PERMISSIONS,
  S3BackupMetrics: NO_RESOURCE_LEVEL_PERMISSIONS,
  EbsSnapshots: NO_RESOURCE_LEVEL_PERMISSIONS,
  DynamoDbBackup: 'AWS Backup selects tables by their classification tag at run time, so the role names the tables of this account and region rather than fixed ones.',
  DynamoDbDescribeBackup: 'DynamoDB backup ARNs are generated per backup job under the table ARN.',
  S3BucketBackup: 'AWS Backup selects buckets by their classification tag at run time; the s3:ResourceAccount condition keeps the role to buckets of this account.',
  S3ObjectBackup: 'AWS Backup reads every object of the buckets it selects by tag at run time; the s3:ResourceAccount condition keeps the role to buckets of this account.',
  S3ContinuousBackupRules: 'Continuous S3 backup manages EventBridge rules whose names AWS Backup generates with the AwsBackupManagedRule prefix.',
  RdsSnapshots: 'AWS Backup selects databases by their classification tag at run time and names snapshots per job, so the role covers RDS resources of this account and region.',
  RdsContinuousBackup: 'AWS Backup selects databases by their classification tag at run time, so the role covers the instances and clusters of this account and region.',
  RdsShareBackupSnapshots: 'Only the snapshots AWS Backup creates, which it names awsbackup:<job id>.',
  EfsBackup: 'AWS Backup selects file systems by their classification tag at run time, so the role covers the file systems of this account and region.',
  EbsShareBackupSnapshots: 'Only snapshots AWS Backup created (aws:backup:source-resource tag condition); snapshot ids are generated.',
  UseDataKeysThroughServices: 'Data keys live in the key account (or are fallback keys here) with random ids; the kms:ViaService condition limits their use to the backed-up services.',
  GrantDataKeysToAwsResources: 'Data keys live in the key account (or are fallback keys here) with random ids; grants are limited to AWS resources through the backed-up services.',
};

/** CloudFormation types AWS Backup copies as RDS snapshots: never to another account and Region at once. */
const RDS_TYPES = ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'];

/** Why RDS and Aurora recovery points get no DR-region copy; recorded on each such resource and shown in the report. */
export const RDS_NO_DR_COPY =
  'AWS Backup copies RDS and Aurora recovery points either to another account or to another Region, never both (AWS Backup Developer Guide, "Copy a backup"), ' +
  "and the DR vault is in the backup account in another Region: this database gets the cross-account copy into the backup account's central vault in its own Region, not the DR-region copy.";

/** One plan of a classification group. */
interface PlanPart {
  readonly id: string;
  readonly suffix: string;
  readonly level: DataClassification;
  readonly policy: ProtectionPolicy;
  readonly types: Set<string>;
  /** 'unsupported': RDS/Aurora, which AWS Backup cannot copy to the DR vault. */
  readonly regionCopy: 'required' | 'unsupported';
  readonly resources: Covered[];
  readonly byTag: boolean;
  /** Value of the plan tag the tag selection matches. */
  readonly planTag: string;
  /** Resources of the tag selection. @default ['*'] */
  readonly tagResources?: string[];
  readonly notResources: string[];
  readonly byArn: Covered[];
  readonly tracked: ClassifiedResource[];
}

/** One resource the plan covers. */
interface Covered {
  readonly arn: string;
  readonly cfnType: string;
  readonly classified?: ClassifiedResource;
}

/** Resource types AWS Backup can protect, with the name it uses in metrics and frameworks. */
const BACKUP_TYPES: Record<string, { name: string; continuous: boolean; fullyManaged: boolean }> = {
  'AWS::S3::Bucket': { name: 'S3', continuous: true, fullyManaged: true },
  'AWS::DynamoDB::Table': { name: 'DynamoDB', continuous: false, fullyManaged: true },
  'AWS::DynamoDB::GlobalTable': { name: 'DynamoDB', continuous: false, fullyManaged: true },
  'AWS::RDS::DBInstance': { name: 'RDS', continuous: true, fullyManaged: false },
  'AWS::RDS::DBCluster': { name: 'Aurora', continuous: true, fullyManaged: false },
  'AWS::EFS::FileSystem': { name: 'EFS', continuous: false, fullyManaged: true },
  'AWS::EC2::Volume': { name: 'EBS', continuous: false, fullyManaged: false },
};

/**
 * Backs up every classified resource it covers (tags `data-classification` and, naming this
 * plan, `data-protection:backup-plan`) with the rules its
 * `ProtectionPolicy` asks for: scheduled backups every `backupIntervalHours` kept
 * `backupRetentionDays` in a locked vault of this account, continuous backup (point-in-time
 * recovery) where the resource type supports it, a copy of every recovery point into the
 * backup account's central vault for CONFIDENTIAL and above, and a second copy in the DR
 * region for HIGHLY_SENSITIVE. The backup role can only back up the covered resource types.
 *
 * Synth-time errors: a rule whose retention (or copy retention) falls outside the destination
 * vault's lock, cold storage less than 90 days before deletion, a required copy without a
 * destination (and no reason), DynamoDB without PITR when the policy requires it.
 */
export class ProtectedBackupPlan extends Construct {
  /** One backup plan per classification level (and per non-default policy). */
  public readonly plans: backup.CfnBackupPlan[] = [];
  /** The role AWS Backup uses. */
  public readonly role: iam.Role;
  /** AWS Backup names (`S3`, `DynamoDB`, `RDS`, `Aurora`…) of the resource types covered. */
  public readonly resourceTypes: string[];
  /** The classified resources covered. */
  public readonly covered: ClassifiedResource[];

  /**
   * @internal AWS Backup resource type names of the scheduled (snapshot) recovery points each
   * local vault receives, by vault name: its "no recent recovery point" alarms.
   */
  public readonly _scheduledTypesByVault = new Map<string, Set<string>>();

  private readonly props: ProtectedBackupPlanProps;
  private readonly planPrefix: string;

  public constructor(scope: Construct, id: string, props: ProtectedBackupPlanProps) {
    super(scope, id);
    this.props = props;
    const stack = Stack.of(this);
    if (!props.backupVault) throw new Error('ProtectedBackupPlanProps.backupVault is required: an ImmutableBackupVault in this account, got undefined');
    requireLiteral('ProtectedBackupPlanProps.scheduleStartHour', props.scheduleStartHour, 'the backup hours are computed from it and the backup interval at synth (e.g. 3/12 for every 12 hours from 03:00 UTC)');
    validateRange('ProtectedBackupPlanProps.scheduleStartHour', props.scheduleStartHour, 0, 23, 'hours');
    const targets: [string, BackupVaultTarget | undefined][] = [
      ['centralVault', props.centralVault],
      ['drVault', props.drVault],
      ['airGappedVault', props.airGappedVault],
      ...(props.centralRetentionClassVaults ?? []).map((t, i): [string, BackupVaultTarget] => [`centralRetentionClassVaults[${i}]`, t]),
      ...(props.drRetentionClassVaults ?? []).map((t, i): [string, BackupVaultTarget] => [`drRetentionClassVaults[${i}]`, t]),
    ];
    for (const [prop, t] of targets) {
      if (!t) continue;
      for (const bound of ['minRetentionDays', 'maxRetentionDays'] as const) {
        requireLiteral(`ProtectedBackupPlanProps.${prop}.${bound}`, t[bound], 'the copy retention is compared with the destination vault lock at synth (AWS Backup fails every copy outside it)');
      }
      validateAccountId(`ProtectedBackupPlanProps.${prop}.account`, t.account);
      if (t.backupVaultName.toLowerCase() === 'default') throw new Error(`ProtectedBackupPlanProps.${prop}.backupVaultName must not be 'Default': AWS Backup cannot copy across accounts into a default vault`);
    }
    for (const [prop, first, more] of [['centralRetentionClassVaults', props.centralVault, props.centralRetentionClassVaults], ['drRetentionClassVaults', props.drVault, props.drRetentionClassVaults]] as const) {
      if (!more?.length) continue;
      const base = prop === 'centralRetentionClassVaults' ? 'centralVault' : 'drVault';
      if (!first) throw new Error(`ProtectedBackupPlanProps.${prop} needs ProtectedBackupPlanProps.${base}: they are more vaults next to it, got ${more.length} vault(s) and no ${base}`);
      for (const [i, t] of more.entries()) {
        if (t.account !== first.account || t.region !== first.region) {
          throw new Error(`ProtectedBackupPlanProps.${prop}[${i}] must be in the account and region of ${base} (${first.account}, ${first.region}), got ${describeTarget(t)}`);
        }
      }
    }
    if (props.airGappedPrimaryVault) checkAirGappedPrimaryVault(props.airGappedPrimaryVault, stack, props.airGappedPrimaryClassifications);
    if (props.drVault && props.centralVault && props.drVault.region === props.centralVault.region) {
      throw new Error(`ProtectedBackupPlanProps.drVault.region must differ from centralVault.region, got '${props.drVault.region}' for both`);
    }
    const planPrefix = props.backupPlanName ?? stack.stackName;
    if (!Token.isUnresolved(planPrefix) && !/^[A-Za-z0-9_.-]{1,171}$/.test(planPrefix)) {
      throw new Error(
        `ProtectedBackupPlanProps.backupPlanName must be 1-171 characters of letters, digits, '-', '_' and '.' (AWS Backup plan names are at most 200, and the level, a custom-policy number and '-rds' are appended), got '${planPrefix}'`,
      );
    }
    reservePlanName(this, planPrefix, props.backupPlanName === undefined);
    this.planPrefix = planPrefix;

    // Group covered resources by level and policy: rules of a plan apply to all its selections.
    if (props.coverage && props.coverageScopes) throw new Error('ProtectedBackupPlanProps: give coverage or coverageScopes, not both');
    const scopes = props.coverageScopes ?? [props.coverage ?? stack];
    const classifiedIn = () => scopes.flatMap((s) => ClassifiedResources.within(s)).filter((r) => r.cfnResource && BACKUP_TYPES[r.cfnResource.cfnResourceType]);
    this.covered = classifiedIn();
    for (const r of this.covered) claim(r, this);
    const groups = new Map<string, { level: DataClassification; policy: ProtectionPolicy; resources: Covered[]; byTag: boolean }>();
    for (const level of DataClassification.all()) {
      const floor = ProtectionPolicy.forClassification(level);
      const existing = (props.existingResources ?? []).filter((e) => e.classification === level);
      const tracked = this.covered.filter((r) => r.classification === level);
      if (existing.length === 0 && tracked.length === 0) continue;
      groups.set(groupKey(floor), {
        level,
        policy: floor,
        resources: existing.map((e) => ({ arn: e.resourceArn, cfnType: cfnTypeOfArn(e.resourceArn) })),
        byTag: tracked.length > 0,
      });
      for (const r of tracked) {
        const key = groupKey(r.policy);
        const group = groups.get(key) ?? { level, policy: r.policy, resources: [], byTag: false };
        groups.set(key, group);
        group.resources.push({ arn: arnOf(r), cfnType: r.cfnResource!.cfnResourceType, classified: r });
      }
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      description: 'cdk-data-protection: AWS Backup role limited to the covered resource types and vaults',
    });
    const allTypes = new Set<string>();
    const destinations = new Set<string>([props.backupVault.backupVaultArn]);
    for (const [i, v] of (props.retentionClassVaults ?? []).entries()) {
      if (!(v instanceof ImmutableBackupVault)) throw new Error(`ProtectedBackupPlanProps.retentionClassVaults[${i}] must be an ImmutableBackupVault of this account, got ${String(v)}`);
      destinations.add(v.backupVaultArn);
    }

    let custom = 0;
    for (const group of groups.values()) {
      const { level, policy } = group;
      const isFloor = groupKey(ProtectionPolicy.forClassification(level)) === groupKey(policy);
      const suffix = isFloor ? level.name.toLowerCase().replace(/_/g, '-') : `${level.name.toLowerCase().replace(/_/g, '-')}-custom${++custom}`;
      const planId = isFloor ? level.name : `${level.name}Custom${custom}`;
      // Resources with their own policy carry their own plan's name in the plan tag, so every
      // selection is by tag: no ARN of another stack, and the level's plan needs no NotResources.
      const planTag = isFloor ? planPrefix : `${planPrefix}-${suffix}`;
      const types = new Set(group.resources.map((r) => r.cfnType));
      if (group.byTag) for (const r of this.covered.filter((c) => c.classification === level)) types.add(r.cfnResource!.cfnResourceType);
      types.forEach((t) => allTypes.add(t));

      const tracked = this.covered.filter((c) => c.classification === level && groupKey(c.policy) === groupKey(policy));
      for (const r of tracked) Tags.of(r.scope).add(BACKUP_PLAN_TAG, planTag);
      const byTag = tracked.length > 0;
      const byArn = group.resources.filter((r) => !r.classified);
      const isRds = (t: string) => RDS_TYPES.includes(t);
      // AWS Backup cannot copy an RDS or Aurora recovery point to another account and another
      // Region ("Copy a backup", AWS Backup Developer Guide: "For Amazon RDS and Aurora snapshots,
      // AWS Backup only supports automating either cross-account or cross-Region copies"), and the
      // DR vault is both. Their recovery points get the cross-account copy into the central vault,
      // in this Region (the copy that survives a compromised data account), from a plan of their own.
      // The types this group's own resources have (`types` also counts the level's resources with their own policy).
      const own = new Set([...group.resources.map((r) => r.cfnType), ...tracked.map((r) => r.cfnResource!.cfnResourceType)]);
      if (policy.crossRegionCopy && [...own].some(isRds)) {
        const rest = new Set([...own].filter((t) => !isRds(t)));
        const rdsWildcards = ['db', 'cluster'].map((resource) => stack.formatArn({ service: 'rds', resource, resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
        const restByArn = byArn.filter((r) => !isRds(r.cfnType));
        if (rest.size > 0 || restByArn.length > 0) {
          this.emitPlan(planPrefix, { id: planId, suffix, level, policy, types: rest, regionCopy: 'required', resources: group.resources.filter((r) => !isRds(r.cfnType)), byTag, planTag, notResources: rdsWildcards, byArn: restByArn, tracked: tracked.filter((r) => !isRds(r.cfnResource!.cfnResourceType)) }, destinations);
        }
        this.emitPlan(planPrefix, {
          id: `${planId}Rds`,
          suffix: `${suffix}-rds`,
          level,
          policy,
          types: new Set([...own].filter(isRds)),
          regionCopy: 'unsupported',
          resources: group.resources.filter((r) => isRds(r.cfnType)),
          byTag,
          planTag,
          tagResources: rdsWildcards,
          notResources: [],
          byArn: byArn.filter((r) => isRds(r.cfnType)),
          tracked: tracked.filter((r) => isRds(r.cfnResource!.cfnResourceType)),
        }, destinations);
      } else {
        this.emitPlan(planPrefix, { id: planId, suffix, level, policy, types, regionCopy: 'required', resources: group.resources, byTag, planTag, notResources: [], byArn, tracked }, destinations);
      }
    }
    this.resourceTypes = [...new Set([...allTypes].map((t) => BACKUP_TYPES[t]?.name).filter((n): n is string => !!n))].sort();
    this.grantBackup(allTypes, [...destinations]);
    if (props.manageRegionSettings ?? true) this.manageRegionSettings(this.resourceTypes);

    this.node.addValidation({
      validate: () =>
        classifiedIn()
          .filter((r) => !this.covered.includes(r))
          .map((r) => `ProtectedBackupPlan ${this.node.path}: ${r.scope.node.path} was classified after the plan was created and is not covered; create the plan after classifying resources`),
    });
  }

  /** One backup plan with its tag and ARN selections, and the controls it records on what it covers. */
  private emitPlan(planPrefix: string, part: PlanPart, destinations: Set<string>): void {
    const { level, policy, suffix } = part;
    const planName = `${planPrefix}-${suffix}`;
    const rules = this.rulesFor(planName, policy, part.resources, part.types, destinations, part.regionCopy);
    const plan = new backup.CfnBackupPlan(this, part.id, {
      backupPlan: { backupPlanName: planName, backupPlanRule: rules.rules },
      backupPlanTags: { [CLASSIFICATION_TAG]: level.name },
    });
    this.plans.push(plan);

    if (part.byTag) {
      checkSelectionSize(`${planName} NotResources (${level.name} resources with their own policy)`, part.notResources);
      new backup.CfnBackupSelection(this, `${plan.node.id}ByTag`, {
        backupPlanId: plan.attrBackupPlanId,
        backupSelection: {
          selectionName: `${suffix}-by-tag`,
          iamRoleArn: this.role.roleArn,
          // Both tags: the classification picks the rules, the plan tag keeps the selection to
          // this plan's resources (tag selections span the whole account and region).
          resources: part.tagResources ?? ['*'],
          conditions: {
            StringEquals: [
              { ConditionKey: `aws:ResourceTag/${CLASSIFICATION_TAG}`, ConditionValue: level.name },
              { ConditionKey: `aws:ResourceTag/${BACKUP_PLAN_TAG}`, ConditionValue: part.planTag },
            ],
          },
          notResources: part.notResources.length > 0 ? part.notResources : undefined,
        },
      });
    }
    checkSelectionSize(`${planName} Resources (ProtectedBackupPlanProps.existingResources)`, part.byArn.map((r) => r.arn));
    if (part.byArn.length > 0) {
      new backup.CfnBackupSelection(this, `${plan.node.id}ByArn`, {
        backupPlanId: plan.attrBackupPlanId,
        backupSelection: { selectionName: `${suffix}-by-arn`, iamRoleArn: this.role.roleArn, resources: part.byArn.map((r) => r.arn) },
      });
    }

    const primary = this.airGappedPrimaryFor(level);
    for (const r of part.tracked) {
      this.checkPointInTimeRecovery(r);
      if (primary) checkAirGappedPrimaryStore(r, `${planName}-scheduled`, primary);
      if (rules.skippedAccountCopy) r.cfnResource!.node.addMetadata(METADATA.OVERRIDE, rules.skippedAccountCopy);
      if (rules.skippedRegionCopy) r.cfnResource!.node.addMetadata(METADATA.OVERRIDE, rules.skippedRegionCopy);
      if (part.regionCopy === 'unsupported') {
        r.cfnResource!.node.addMetadata(METADATA.OVERRIDE, { prop: 'crossRegionCopy', floor: 'true', value: 'false', reason: RDS_NO_DR_COPY });
        Annotations.of(r.cfnResource!).addWarningV2('cdk-data-protection:rds-no-dr-copy', `${r.scope.node.path}: ${RDS_NO_DR_COPY}`);
      }
      this.acknowledgeStockBackupRules(r, planName, rules.crossAccountCopy);
      recordControl(r.cfnResource!, CONTROLS.BACKUP_PLAN, {
        plan: planName,
        crossAccountCopy: rules.crossAccountCopy,
        crossRegionCopy: rules.crossRegionCopy,
        retentionDays: policy.backupRetentionDays,
        ...recoveryPointObjectives(policy, r.cfnResource!.cfnResourceType, rules),
        // Where its recovery points are, for the report's restore runbooks (literal names only).
        ...recoveryPointVaults(r.cfnResource!.cfnResourceType, rules.vaults),
      });
    }
  }

  /**
   * The stock packs cannot see what this plan does: they want S3 replication where the plan
   * copies recovery points into the backup account, and only recognise RDS instances, DynamoDB
   * tables, EFS file systems and EBS volumes listed by ARN, while the plan selects by tag and
   * backs Aurora instances up through their cluster.
   */
  private acknowledgeStockBackupRules(r: ClassifiedResource, planName: string, crossAccountCopy: boolean): void {
    const cfn = r.cfnResource!;
    switch (cfn.cfnResourceType) {
      case 'AWS::S3::Bucket':
        if (crossAccountCopy) {
          acknowledge(cfn, STOCK_RULES.S3_REPLICATION, `AWS Backup plan ${planName} copies every recovery point of this bucket into the backup account's locked vault, which replaces S3 replication.`);
        }
        break;
      case 'AWS::RDS::DBInstance':
        acknowledge(cfn, STOCK_RULES.RDS_IN_BACKUP_PLAN, `AWS Backup plan ${planName} selects this instance by its data-classification tag; the stock rule only recognises selections that list it by ARN.`);
        break;
      case 'AWS::DynamoDB::Table':
        acknowledge(cfn, STOCK_RULES.DYNAMODB_IN_BACKUP_PLAN, `AWS Backup plan ${planName} selects this table by its data-classification tag; the stock rule only recognises selections that list it by ARN.`);
        break;
      case 'AWS::EFS::FileSystem':
        acknowledge(cfn, STOCK_RULES.EFS_IN_BACKUP_PLAN, `AWS Backup plan ${planName} selects this file system by its data-classification tag; the stock rule only recognises selections that list it by ARN.`);
        break;
      case 'AWS::EC2::Volume':
        acknowledge(cfn, STOCK_RULES.EBS_IN_BACKUP_PLAN, `AWS Backup plan ${planName} selects this volume by its data-classification tag; the stock rule only recognises selections that list it by ARN.`);
        break;
      case 'AWS::RDS::DBCluster':
        for (const member of clusterMembers(cfn)) {
          acknowledge(member, STOCK_RULES.RDS_IN_BACKUP_PLAN, `Aurora instances are backed up through their cluster, which AWS Backup plan ${planName} selects; there is no instance-level backup to add.`);
        }
        break;
    }
  }

  private rulesFor(planName: string, policy: ProtectionPolicy, resources: Covered[], types: Set<string>, destinations: Set<string>, regionCopy: 'required' | 'unsupported') {
    const props = this.props;
    const vault = this.vaultFor(policy.backupRetentionDays);
    const level = policy.classification.name;
    const retention = policy.backupRetentionDays;
    const rules: backup.CfnBackupPlan.BackupRuleResourceTypeProperty[] = [];
    const tags = { [CLASSIFICATION_TAG]: level };
    const scheduled = `${planName}-scheduled`;
    // A token is accepted (in days); the cold-storage check below then happens at deploy, in AWS Backup.
    const cold = props.coldStorageAfter ? durationIn('ProtectedBackupPlanProps.coldStorageAfter', props.coldStorageAfter, 'days') : undefined;

    checkLock(scheduled, retention, vaultLabel(vault), vault.minRetentionDays, vault.maxRetentionDays);
    const primary = this.airGappedPrimaryFor(policy.classification);
    if (primary) {
      checkAirGappedPrimaryTypes(scheduled, types, primary);
      // "Lifecycle compatibility – The retention period specified in your backup plan must be compatible with the
      // minimum and maximum retention periods configured for your logically air-gapped vault" (lag-vault-primary-backup.html).
      checkLock(`${scheduled} (primary backup to the logically air-gapped vault)`, retention, describeTarget(primary), primary.minRetentionDays, primary.maxRetentionDays);
      destinations.add(backupVaultArn(primary));
    }
    for (const t of types) {
      if (!BACKUP_TYPES[t]) continue;
      // Fully managed types back up straight into the air-gapped vault (no recovery point in the locked vault);
      // the others complete a temporary recovery point in the locked vault first.
      const where = primary && BACKUP_TYPES[t].fullyManaged ? primary.backupVaultName : vault.backupVaultName;
      const scheduledTypes = this._scheduledTypesByVault.get(where) ?? new Set<string>();
      scheduledTypes.add(BACKUP_TYPES[t].name);
      this._scheduledTypesByVault.set(where, scheduledTypes);
    }
    if (cold !== undefined && !Token.isUnresolved(cold) && retention - cold < COLD_STORAGE_MIN_DAYS) {
      throw new Error(
        `ProtectedBackupPlan rule '${scheduled}': moves recovery points to cold storage after ${cold} days and deletes them after ${retention} days in vault '${vault.backupVaultName}'; deletion must come at least ${COLD_STORAGE_MIN_DAYS} days after cold storage (after ${cold + COLD_STORAGE_MIN_DAYS} days or later)`,
      );
    }

    const copyActions: backup.CfnBackupPlan.CopyActionResourceTypeProperty[] = [];
    let skippedAccountCopy: Record<string, string> | undefined;
    let skippedRegionCopy: Record<string, string> | undefined;
    let crossAccountCopy = false;
    let crossRegionCopy = false;
    const vaults: RecoveryPointVaults = { scheduled: vault.backupVaultName, airGappedPrimary: primary?.backupVaultName };
    if (policy.crossAccountCopy) {
      if (props.centralVault) {
        // The central vault of this retention class: its lock minimum is the floor the copy keeps.
        const t = retentionClassVault(retention, props.centralVault, props.centralRetentionClassVaults);
        checkLock(`${scheduled} (copy to the central vault)`, retention, describeTarget(t), t.minRetentionDays, t.maxRetentionDays);
        const arn = backupVaultArn(t);
        destinations.add(arn);
        // Copies into another account never go to cold storage (AWS Backup refuses it).
        copyActions.push({ destinationBackupVaultArn: arn, lifecycle: { deleteAfterDays: retention } });
        crossAccountCopy = true;
        vaults.copy = t;
      } else {
        const reason = this.missingCopy('noCrossAccountCopyReason', 'centralVault', level, resources, 'crossAccountCopy', 'a copy in the backup account');
        skippedAccountCopy = { prop: 'crossAccountCopy', floor: 'true', value: 'false', reason };
      }
    }
    if (props.airGappedVault && (props.airGappedCopyClassifications ?? [DataClassification.HIGHLY_SENSITIVE]).includes(policy.classification)) {
      const t = props.airGappedVault;
      checkAirGappedCopy(scheduled, types, t, Stack.of(this).region);
      checkLock(`${scheduled} (copy to the logically air-gapped vault)`, retention, describeTarget(t), t.minRetentionDays, t.maxRetentionDays);
      const arn = backupVaultArn(t);
      destinations.add(arn);
      copyActions.push({ destinationBackupVaultArn: arn, lifecycle: { deleteAfterDays: retention } });
    }
    if (policy.crossRegionCopy && regionCopy === 'required') {
      if (props.drVault) {
        const t = retentionClassVault(retention, props.drVault, props.drRetentionClassVaults);
        checkLock(`${scheduled} (copy to the DR vault)`, retention, describeTarget(t), t.minRetentionDays, t.maxRetentionDays);
        const arn = backupVaultArn(t);
        destinations.add(arn);
        copyActions.push({ destinationBackupVaultArn: arn, lifecycle: { deleteAfterDays: retention } });
        crossRegionCopy = true;
      } else {
        const reason = this.missingCopy('noCrossRegionCopyReason', 'drVault', level, resources, 'crossRegionCopy', 'a copy in the disaster-recovery region');
        skippedRegionCopy = { prop: 'crossRegionCopy', floor: 'true', value: 'false', reason };
      }
    }

    // Copies run after each backup job of the rule whose copy action they are ("Creating backup
    // copies across AWS accounts", https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html;
    // copy actions of a continuous rule copy a snapshot taken at the rule's frequency, "Copying
    // continuous backups", https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-copying.html):
    // the rule carrying the copies runs at least every copyRpoHours, so the copy in the backup
    // account is never older than the objective (HIGHLY_SENSITIVE: hourly, the shortest
    // frequency AWS Backup schedules, "Continuous backups and point-in-time recovery").
    const timing = backupRuleTiming(policy, copyActions.length > 0, props.scheduleStartHour ?? 3);
    const intervalHours = timing.intervalHours;
    rules.push({
      ruleName: scheduled,
      targetBackupVault: vault.backupVaultName,
      // Only the scheduled rule: a resource keeps one active continuous recovery point, in one vault, and
      // adding the air-gapped vault to a rule of an S3 bucket whose continuous recovery point is in another vault
      // fails its continuous jobs (lag-vault-primary-backup.html, "For Amazon S3 continuous backups").
      targetLogicallyAirGappedBackupVaultArn: primary ? backupVaultArn(primary) : undefined,
      scheduleExpression: timing.scheduleExpression,
      startWindowMinutes: BACKUP_START_WINDOW_MINUTES,
      lifecycle: { deleteAfterDays: retention, moveToColdStorageAfterDays: cold },
      copyActions: copyActions.length > 0 ? copyActions : undefined,
      recoveryPointTags: tags,
    });

    if (policy.pointInTimeRecovery && [...types].some((t) => BACKUP_TYPES[t]?.continuous)) {
      const pitr = policy.pointInTimeRecoveryDays;
      const name = `${planName}-continuous`;
      validateRange(`ProtectionPolicy.pointInTimeRecoveryDays (rule '${name}')`, pitr, 1, 35, 'days');
      // Continuous recovery points live at most 35 days: the retention class of their own.
      const continuousVault = this.vaultFor(pitr);
      vaults.continuous = continuousVault.backupVaultName;
      checkLock(name, pitr, vaultLabel(continuousVault), continuousVault.minRetentionDays, continuousVault.maxRetentionDays);
      rules.push({
        ruleName: name,
        targetBackupVault: continuousVault.backupVaultName,
        scheduleExpression: timing.continuousScheduleExpression,
        startWindowMinutes: BACKUP_START_WINDOW_MINUTES,
        enableContinuousBackup: true,
        lifecycle: { deleteAfterDays: pitr },
        recoveryPointTags: tags,
      });
    }
    return { rules, crossAccountCopy, crossRegionCopy, skippedAccountCopy, skippedRegionCopy, intervalHours, vaults };
  }

  /**
   * The local vault a rule keeping recovery points `days` days writes to: of the vaults whose
   * lock admits `days`, the one with the highest minimum (`backupVault` when no other fits, and
   * then `checkLock` says why).
   */
  private vaultFor(days: number): ImmutableBackupVault {
    return retentionClassVault(days, this.props.backupVault, this.props.retentionClassVaults);
  }

  /** The air-gapped vault the scheduled rule of `level` backs up into, if any. */
  private airGappedPrimaryFor(level: DataClassification): BackupVaultTarget | undefined {
    const { airGappedPrimaryVault: t, airGappedPrimaryClassifications: levels } = this.props;
    return t && (levels ?? [DataClassification.HIGHLY_SENSITIVE]).includes(level) ? t : undefined;
  }

  private missingCopy(reasonProp: 'noCrossAccountCopyReason' | 'noCrossRegionCopyReason', vaultProp: string, level: string, resources: Covered[], field: string, what: string): string {
    const names = resources.map((r) => (r.classified ? r.classified.scope.node.path : r.arn)).join(', ') || `resources tagged ${CLASSIFICATION_TAG}=${level} and ${BACKUP_PLAN_TAG}=${this.planPrefix}`;
    const reason = this.props[reasonProp];
    if (reason === undefined || reason.trim() === '') {
      throw new Error(
        `ProtectedBackupPlanProps.${vaultProp} is required: ${level} data (${names}) has ${field}=true and needs ${what}; pass ProtectedBackupPlanProps.${vaultProp}, or ProtectedBackupPlanProps.${reasonProp} to skip it with a reason`,
      );
    }
    return requireReason(`ProtectedBackupPlanProps.${reasonProp}`, reason, `${level} data without ${what}`);
  }

  /** DynamoDB PITR is native to DynamoDB, not AWS Backup: the table itself must have it on. */
  private checkPointInTimeRecovery(r: ClassifiedResource): void {
    const cfn = r.cfnResource!;
    if (!r.policy.pointInTimeRecovery) return;
    const stack = Stack.of(cfn);
    const path = r.scope.node.path;
    const need = r.policy.pointInTimeRecoveryDays;
    const check = (spec: any, where: string): string[] => {
      const s = stack.resolve(spec);
      if (!s || s.pointInTimeRecoveryEnabled !== true) {
        return [`${path}: ${r.classification.name} requires point-in-time recovery: set pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled=true${where}`];
      }
      const days = s.recoveryPeriodInDays ?? 35;
      if (typeof days === 'number' && days < need) return [`${path}: point-in-time recovery keeps ${days} days${where}, the ${r.classification.name} policy requires ${need} (1-35)`];
      return [];
    };
    if (cfn.cfnResourceType === 'AWS::DynamoDB::Table') {
      cfn.node.addValidation({ validate: () => check((cfn as any).pointInTimeRecoverySpecification, '') });
    } else if (cfn.cfnResourceType === 'AWS::DynamoDB::GlobalTable') {
      cfn.node.addValidation({
        validate: () => {
          const replicas: any[] = stack.resolve((cfn as any).replicas) ?? [];
          return replicas.flatMap((rep) => check(rep.pointInTimeRecoverySpecification, ` (replica ${rep.region})`));
        },
      });
    }
  }

  /** Least privilege: only the actions each covered resource type needs, in this account and region. */
  private grantBackup(types: Set<string>, vaults: string[]): void {
    const p = Aws.PARTITION;
    const here = `${Aws.REGION}:${Aws.ACCOUNT_ID}`;
    const wildcards: WildcardGrant[] = [];
    const add = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) => {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
      for (const resource of resources.filter((r) => r.includes('*'))) wildcards.push({ resource, reason: BACKUP_ROLE_WILDCARDS[sid] });
    };
    const names = new Set([...types].map((t) => BACKUP_TYPES[t]?.name));
    const via: string[] = ['backup'];

    add('SelectByTag', ['tag:GetResources'], ['*']);
    add('CopyIntoVaults', ['backup:DescribeBackupVault', 'backup:CopyIntoBackupVault'], vaults);
    if (names.has('DynamoDB')) {
      via.push('dynamodb');
      add('DynamoDbBackup', ['dynamodb:DescribeTable', 'dynamodb:CreateBackup', 'dynamodb:StartAwsBackupJob', 'dynamodb:ListTagsOfResource', 'dynamodb:DescribeContinuousBackups'], [`arn:${p}:dynamodb:${here}:table/*`]);
      add('DynamoDbDescribeBackup', ['dynamodb:DescribeBackup'], [`arn:${p}:dynamodb:${here}:table/*/backup/*`]);
    }
    if (names.has('S3')) {
      via.push('s3');
      const thisAccount = { StringEquals: { 's3:ResourceAccount': Aws.ACCOUNT_ID } };
      add(
        'S3BucketBackup',
        ['s3:GetInventoryConfiguration', 's3:PutInventoryConfiguration', 's3:ListBucketVersions', 's3:ListBucket', 's3:GetBucketVersioning', 's3:GetBucketNotification', 's3:PutBucketNotification', 's3:GetBucketLocation', 's3:GetBucketTagging', 's3:GetBucketAcl', 's3:GetBucketOwnershipControls'],
        [`arn:${p}:s3:::*`],
        thisAccount,
      );
      add('S3ObjectBackup', ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAcl', 's3:GetObjectVersionAcl', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'], [`arn:${p}:s3:::*/*`], thisAccount);
      add('S3ListBuckets', ['s3:ListAllMyBuckets'], ['*']);
      // Continuous S3 backup follows changes through EventBridge rules AWS Backup manages.
      add(
        'S3ContinuousBackupRules',
        ['events:PutRule', 'events:DeleteRule', 'events:DescribeRule', 'events:EnableRule', 'events:DisableRule', 'events:PutTargets', 'events:RemoveTargets', 'events:ListTargetsByRule'],
        [`arn:${p}:events:${here}:rule/AwsBackupManagedRule*`],
      );
      add('S3BackupMetrics', ['events:ListRules', 'cloudwatch:GetMetricData'], ['*']);
    }
    if (names.has('RDS') || names.has('Aurora')) {
      via.push('rds');
      add(
        'RdsSnapshots',
        ['rds:AddTagsToResource', 'rds:ListTagsForResource', 'rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot', 'rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:DescribeDBInstanceAutomatedBackups', 'rds:DescribeDBClusterAutomatedBackups'],
        [`arn:${p}:rds:${here}:*`],
      );
      // Continuous backup sets the backup retention of the instance or cluster.
      add('RdsContinuousBackup', ['rds:ModifyDBInstance', 'rds:ModifyDBCluster'], [`arn:${p}:rds:${here}:db:*`, `arn:${p}:rds:${here}:cluster:*`]);
      add('RdsShareBackupSnapshots', ['rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute', 'rds:DeleteDBSnapshot', 'rds:DeleteDBClusterSnapshot'], [`arn:${p}:rds:${here}:snapshot:awsbackup:*`, `arn:${p}:rds:${here}:cluster-snapshot:awsbackup:*`]);
    }
    if (names.has('EFS')) {
      via.push('elasticfilesystem');
      add('EfsBackup', ['elasticfilesystem:Backup', 'elasticfilesystem:DescribeTags'], [`arn:${p}:elasticfilesystem:${here}:file-system/*`]);
    }
    if (names.has('EBS')) {
      via.push('ec2');
      add('EbsSnapshots', ['ec2:CreateSnapshot', 'ec2:CopySnapshot', 'ec2:CreateTags', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots', 'ec2:DescribeTags'], ['*']);
      add('EbsShareBackupSnapshots', ['ec2:ModifySnapshotAttribute', 'ec2:DeleteSnapshot'], [`arn:${p}:ec2:${Aws.REGION}::snapshot/*`], { 'ForAnyValue:StringLike': { 'aws:ResourceTag/aws:backup:source-resource': '*' } });
    }
    // Keys live in the key account (or are data-account fallback keys): usable only through the backed-up services.
    const viaService = via.map((s) => `${s}.${Aws.REGION}.amazonaws.com`);
    add('UseDataKeysThroughServices', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey'], [`arn:${p}:kms:${Aws.REGION}:*:key/*`], {
      StringEquals: { 'kms:ViaService': viaService },
    });
    add('GrantDataKeysToAwsResources', ['kms:CreateGrant'], [`arn:${p}:kms:${Aws.REGION}:*:key/*`], {
      StringEquals: { 'kms:ViaService': viaService },
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
    });
    acknowledgeWildcards(defaultPolicyOf(this.role)!, wildcards);
    acknowledgeInlinePolicy(defaultPolicyOf(this.role));
  }

  private manageRegionSettings(typeNames: string[]): void {
    const stack = Stack.of(this);
    const id = 'DataProtectionBackupRegionSettings';
    if (stack.node.tryFindChild(id) || typeNames.length === 0) return;
    const optIn: Record<string, boolean> = {};
    for (const t of typeNames) optIn[t] = true;
    const parameters: Record<string, unknown> = { ResourceTypeOptInPreference: optIn };
    if (typeNames.includes('DynamoDB')) parameters.ResourceTypeManagementPreference = { DynamoDB: true };
    const call: cr.AwsSdkCall = { service: 'Backup', action: 'updateRegionSettings', parameters, physicalResourceId: cr.PhysicalResourceId.of(`backup-region-settings-${stack.region}`) };
    const settings = new cr.AwsCustomResource(stack, id, {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['backup:UpdateRegionSettings', 'backup:DescribeRegionSettings'], resources: ['*'] })]),
    });
    const policy = settings.node.tryFindChild('CustomResourcePolicy');
    acknowledgeWildcards(policy!, [{ resource: '*', reason: 'Backup region settings belong to the account and region and have no resource-level permissions.' }]);
    acknowledgeInlinePolicy(policy, "AwsCustomResource attaches each call's permissions as an inline policy of its provider role; this one only reads and updates Backup region settings.");
    acknowledgeAwsCustomResourceProvider(stack);
  }
}

/**
 * What each recovery location actually gives, next to the objectives, for the report: the data
 * account (continuous backup where the type supports it, else the snapshot schedule), the copy in
 * the backup account and the copy in the DR region (the frequency of the rule whose copy action
 * makes them). A location without a copy says `none`.
 */
function recoveryPointObjectives(
  policy: ProtectionPolicy,
  cfnType: string,
  rules: { intervalHours: number; crossAccountCopy: boolean; crossRegionCopy: boolean },
): { rpoObjectiveHours: number; localRpo: string; copyRpoObjectiveHours: number; backupAccountRpo: string; drRegionRpo: string } {
  // DynamoDB's point-in-time recovery is the table's own (checked at synth when the policy requires it).
  const dynamoDb = cfnType === 'AWS::DynamoDB::Table' || cfnType === 'AWS::DynamoDB::GlobalTable';
  const continuous = policy.pointInTimeRecovery && (BACKUP_TYPES[cfnType]?.continuous === true || dynamoDb);
  return {
    rpoObjectiveHours: policy.rpoHours,
    localRpo: continuous ? `continuous (${dynamoDb ? 'DynamoDB ' : ''}point-in-time recovery)` : `${rules.intervalHours} h (snapshots)`,
    copyRpoObjectiveHours: policy.copyRpoHours,
    backupAccountRpo: rules.crossAccountCopy ? `${rules.intervalHours} h` : 'none',
    drRegionRpo: rules.crossRegionCopy ? `${rules.intervalHours} h` : 'none',
  };
}

/** The vaults a plan part's rules write to: scheduled and continuous recovery points here, the copy in the backup account. */
interface RecoveryPointVaults {
  readonly scheduled: string;
  /** The logically air-gapped vault of this account the scheduled rule backs up into (`TargetLogicallyAirGappedBackupVaultArn`). */
  readonly airGappedPrimary?: string;
  continuous?: string;
  copy?: BackupVaultTarget;
}

/**
 * The vaults holding a resource's recovery points, as the backup-plan control records them for
 * the report's restore runbooks: `backupVaultName` (scheduled), `continuousBackupVaultName` (when
 * its type gets continuous backups), `copyVaultName`, `copyAccount`, `copyRegion`,
 * `airGappedPrimaryVaultName` (the logically air-gapped vault its scheduled backups go into). Names that are
 * tokens are left out (the runbook then says where to find them).
 */
function recoveryPointVaults(cfnType: string, vaults: RecoveryPointVaults): Record<string, string | undefined> {
  const literal = (v: string | undefined) => (v === undefined || Token.isUnresolved(v) ? undefined : v);
  return {
    backupVaultName: literal(vaults.scheduled),
    continuousBackupVaultName: BACKUP_TYPES[cfnType]?.continuous ? literal(vaults.continuous) : undefined,
    copyVaultName: literal(vaults.copy?.backupVaultName),
    copyAccount: literal(vaults.copy?.account),
    copyRegion: literal(vaults.copy?.region),
    // Its scheduled recovery points end up there (fully managed types directly, the others after the temporary one is copied).
    airGappedPrimaryVaultName: literal(vaults.airGappedPrimary),
  };
}

/**
 * The vault of a retention class that recovery points (or copies) kept `days` days go to: of
 * `first` and `others`, those whose lock admits `days`, the one with the highest lock minimum
 * (`first` when none fits, or for a deploy-time `days`: `checkLock` then says why). Local vaults
 * (`retentionClassVaults`) and the backup account's vaults (`centralRetentionClassVaults`,
 * `drRetentionClassVaults`) are chosen alike.
 */
export function retentionClassVault<T extends { readonly minRetentionDays?: number; readonly maxRetentionDays?: number }>(days: number, first: T, others: readonly T[] = []): T {
  if (Token.isUnresolved(days)) return first;
  const fits = [first, ...others].filter((v) => (v.minRetentionDays ?? 0) <= days && days <= (v.maxRetentionDays ?? Infinity));
  if (fits.length === 0) return first;
  return fits.reduce((best, v) => ((v.minRetentionDays ?? 0) > (best.minRetentionDays ?? 0) ? v : best));
}

function vaultLabel(vault: ImmutableBackupVault): string {
  return Token.isUnresolved(vault.backupVaultName) ? `${vault.node.path}` : `'${vault.backupVaultName}'`;
}

function describeTarget(t: BackupVaultTarget): string {
  return `'${t.backupVaultName}' (account ${t.account}, ${t.region})`;
}

/** AWS Backup: ARNs in one selection's Resources or NotResources. */
export const MAX_SELECTION_ARNS = 500;

/** AWS Backup: ARNs in one selection when any of them has a wildcard. */
export const MAX_SELECTION_WILDCARD_ARNS = 30;

function checkSelectionSize(what: string, arns: string[]): void {
  // A wildcard survives in the literal parts of a token-built ARN (arn:${Partition}:rds:...:db:*).
  const wildcards = arns.some((a) => a.includes('*'));
  const max = wildcards ? MAX_SELECTION_WILDCARD_ARNS : MAX_SELECTION_ARNS;
  if (arns.length > max) {
    throw new Error(
      `ProtectedBackupPlan: ${what} lists ${arns.length} ARNs; AWS Backup allows at most ${max} per selection${wildcards ? ' when an ARN has a wildcard' : ''}. ` +
        "Split the resources over several plans (ProtectedBackupPlanProps.coverage, or several DataAccountStacks), or keep more of them on their level's floor policy, which selects by tag.",
    );
  }
}

/** Plan name prefixes are unique per account and region: the plan tag selects by them. */
function reservePlanName(plan: ProtectedBackupPlan, prefix: string, defaulted: boolean): void {
  const other = registerPerAccountAndRegion(plan, 'backup-plan-name', prefix);
  if (other !== undefined) {
    throw new Error(
      `ProtectedBackupPlan ${plan.node.path}: backupPlanName '${prefix}'${defaulted ? ' (the stack name, by default)' : ''} is already used by ProtectedBackupPlan ${other} in the same account and region; ` +
        "selections match the data-protection:backup-plan tag, so each plan there needs its own ProtectedBackupPlanProps.backupPlanName or they would back up each other's resources",
    );
  }
}

const CLAIMS = new WeakMap<ClassifiedResource, string>();

/**
 * Tags a covered resource with the plan that selects it, and refuses a second plan: two plans
 * over one resource back it up twice, and only one plan tag can select it.
 */
function claim(r: ClassifiedResource, plan: ProtectedBackupPlan): void {
  const owner = CLAIMS.get(r);
  if (owner !== undefined) {
    throw new Error(
      `ProtectedBackupPlan ${plan.node.path}: ${r.scope.node.path} is already covered by ProtectedBackupPlan ${owner}; give each plan its own resources with ProtectedBackupPlanProps.coverage and its own backupPlanName (a resource is backed up by exactly one plan)`,
    );
  }
  CLAIMS.set(r, plan.node.path);
}

function groupKey(policy: ProtectionPolicy): string {
  return `${policy.classification.name}:${JSON.stringify(policy.values())}`;
}

/**
 * CloudFormation types of the library a backup rule can back up into a logically air-gapped vault
 * of its own account as primary target (`TargetLogicallyAirGappedBackupVaultArn`), "Primary backups
 * to logically air-gapped vaults", AWS Backup Developer Guide
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html): "Some
 * resource types, such as Amazon EFS, Amazon S3, Amazon DynamoDB with AWS Backup advanced features
 * etc., that support full AWS Backup management, can back up directly to your logically air-gapped
 * vault" (the plan turns advanced DynamoDB backup on, `manageRegionSettings`); "Resources such as
 * Amazon EBS/EC2, Amazon Aurora, and Amazon FSx cannot back up directly ... AWS Backup creates a
 * temporary recovery point in your backup vault and then automatically copies it"; RDS instances
 * are copied into logically air-gapped vaults (`AIR_GAPPED_COPY_TYPES`). A type outside this list
 * would be backed up into the locked vault only ("If a resource type is not supported by logically
 * air-gapped vaults ... AWS Backup creates the backup in your backup vault only"): a synth error.
 */
export const AIR_GAPPED_PRIMARY_TYPES: readonly string[] = [
  'AWS::S3::Bucket',
  'AWS::EFS::FileSystem',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::EC2::Volume',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
];

/**
 * Throws when `t` cannot be a primary backup target of this stack's plans: "Same account and
 * Region only – Your logically air-gapped vault must be in the same AWS account and Region as your
 * resources to use this feature. You cannot create backups directly cross-account or cross-Region"
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html).
 */
function checkAirGappedPrimaryVault(t: BackupVaultTarget, stack: Stack, levels: DataClassification[] | undefined): void {
  const P = 'ProtectedBackupPlanProps.airGappedPrimaryVault';
  for (const bound of ['minRetentionDays', 'maxRetentionDays'] as const) {
    requireLiteral(`${P}.${bound}`, t[bound], 'the rule retention is compared with the air-gapped vault lock at synth (AWS Backup fails every backup job outside it)');
  }
  validateAccountId(`${P}.account`, t.account);
  for (const [what, theirs, ours] of [['account', t.account, stack.account], ['region', t.region, stack.region]] as const) {
    if (!Token.isUnresolved(theirs) && !Token.isUnresolved(ours) && theirs !== ours) {
      throw new Error(
        `${P}: logically air-gapped vault ${describeTarget(t)} is in ${what} ${theirs}, the plan's resources in ${ours}; ` +
          'AWS Backup backs up into a logically air-gapped vault of the same account and Region only (copy into the other one with airGappedVault instead)',
      );
    }
  }
  if (levels !== undefined && levels.length === 0) {
    throw new Error(`ProtectedBackupPlanProps.airGappedPrimaryClassifications must name at least one level (e.g. [DataClassification.HIGHLY_SENSITIVE]), got []; leave airGappedPrimaryVault unset for none`);
  }
}

/** Throws when the scheduled rule `rule` would back up a type AWS Backup leaves out of a logically air-gapped vault. */
function checkAirGappedPrimaryTypes(rule: string, types: Set<string>, t: BackupVaultTarget): void {
  for (const type of types) {
    if (!AIR_GAPPED_PRIMARY_TYPES.includes(type)) {
      throw new Error(
        `ProtectedBackupPlanProps.airGappedPrimaryVault: rule '${rule}' would back up ${type} resources with logically air-gapped vault ${describeTarget(t)} as primary target; ` +
          `AWS Backup backs up only ${AIR_GAPPED_PRIMARY_TYPES.join(', ')} of the covered types there and would keep these in the locked vault only. Remove the level from airGappedPrimaryClassifications or give these resources their own plan`,
      );
    }
  }
}

/**
 * At synth, on a store whose scheduled backups go into a logically air-gapped vault: throws (as a
 * validation error) where AWS Backup would back it up into the locked vault only, with the job
 * "Completed with issues" (lag-vault-primary-backup.html): "Resources not supporting full AWS
 * Backup management and encrypted with AWS managed keys (for example, aws/ebs, aws/rds) cannot be
 * copied to logically air-gapped vaults"; "Unencrypted Amazon Aurora ... clusters are not supported
 * for logically air-gapped vault" (https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html);
 * Multi-AZ DB clusters "do not currently support any copy operations"
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html, note 3).
 */
function checkAirGappedPrimaryStore(r: ClassifiedResource, rule: string, t: BackupVaultTarget): void {
  const cfn = r.cfnResource!;
  const type = cfn.cfnResourceType;
  if (BACKUP_TYPES[type]?.fullyManaged) return;
  const stack = Stack.of(cfn);
  const at = `ProtectedBackupPlanProps.airGappedPrimaryVault: ${r.scope.node.path} (${type}), rule '${rule}' with logically air-gapped vault ${describeTarget(t)} as primary target`;
  cfn.node.addValidation({
    validate: () => {
      const c = cfn as any;
      const keyId = stack.resolve(c.kmsKeyId);
      if (type === 'AWS::EC2::Volume') {
        return stack.resolve(c.encrypted) === true && keyId === undefined
          ? [`${at}: the volume is encrypted with the AWS managed key aws/ebs, and AWS Backup copies EBS backups into a logically air-gapped vault only from customer managed keys or unencrypted volumes (it would keep them in the locked vault only); set kmsKeyId (e.g. DataAccountStack.keyFor)`]
          : [];
      }
      if (type === 'AWS::RDS::DBCluster') {
        const engine = stack.resolve(c.engine);
        if (typeof engine === 'string' && !engine.startsWith('aurora')) {
          return [`${at}: engine '${engine}' makes a Multi-AZ DB cluster, whose snapshots AWS Backup cannot copy, so none would reach the air-gapped vault; remove the level from airGappedPrimaryClassifications or give this cluster its own plan`];
        }
      }
      if (type === 'AWS::RDS::DBCluster' || type === 'AWS::RDS::DBInstance') {
        // An instance of an Aurora cluster is backed up through its cluster.
        if (type === 'AWS::RDS::DBInstance' && stack.resolve(c.dbClusterIdentifier) !== undefined) return [];
        const encrypted = stack.resolve(c.storageEncrypted) === true;
        if (type === 'AWS::RDS::DBCluster' && !encrypted) {
          return [`${at}: storage is not encrypted, and AWS Backup does not support unencrypted Aurora clusters in a logically air-gapped vault; set storageEncrypted=true with a customer managed kmsKeyId`];
        }
        if (encrypted && keyId === undefined) {
          return [`${at}: storage is encrypted with the AWS managed key aws/rds, and AWS Backup copies only snapshots under a customer managed key into a logically air-gapped vault; set kmsKeyId (e.g. DataAccountStack.keyFor)`];
        }
      }
      return [];
    },
  });
}

/**
 * Throws when a rule copying recovery points of `types` into a logically air-gapped vault asks
 * what AWS Backup cannot do: a type it does not copy there ("See Feature availability by resource
 * for resource types you can copy to a logically air-gapped vault",
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html), or an RDS
 * or Aurora recovery point into another account and another Region at once ("For Amazon RDS and
 * Aurora snapshots, AWS Backup only supports automating either cross-account or cross-Region
 * copies", https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html).
 */
function checkAirGappedCopy(rule: string, types: Set<string>, t: BackupVaultTarget, region: string): void {
  for (const type of types) {
    if (!AIR_GAPPED_COPY_TYPES.includes(type)) {
      throw new Error(
        `ProtectedBackupPlanProps.airGappedVault: rule '${rule}' would copy ${type} recovery points into logically air-gapped vault ${describeTarget(t)}; ` +
          `AWS Backup copies only ${AIR_GAPPED_COPY_TYPES.join(', ')} of the covered types there. Remove the level from airGappedCopyClassifications or give these resources their own plan`,
      );
    }
    if (RDS_TYPES.includes(type) && !Token.isUnresolved(region) && t.region !== region) {
      throw new Error(
        `ProtectedBackupPlanProps.airGappedVault: rule '${rule}' would copy ${type} recovery points into logically air-gapped vault ${describeTarget(t)}, in another account and Region; ` +
          `AWS Backup copies RDS and Aurora snapshots either across accounts or across Regions, never both. Use the air-gapped vault of region ${region}`,
      );
    }
  }
}

/** Throws when `days` is outside a vault lock's [min, max]. */
function checkLock(rule: string, days: number, vault: string, min: number | undefined, max: number | undefined): void {
  if (Token.isUnresolved(days)) return;
  if ((min !== undefined && days < min) || (max !== undefined && days > max)) {
    throw new Error(
      `ProtectedBackupPlan rule '${rule}': retention ${days} days is outside the lock of vault ${vault} (min ${min ?? 'none'}, max ${max ?? 'none'} days); AWS Backup would fail every job. Change the retention or the vault lock`,
    );
  }
}

/** Minutes AWS Backup has to start a scheduled job (`StartWindowMinutes`) in every plan the library builds. */
export const BACKUP_START_WINDOW_MINUTES = 60;

/**
 * The schedules a `ProtectionPolicy` asks for, shared by `ProtectedBackupPlan` and
 * `OrganizationBackupPolicy` so both write the same rules from one source: the scheduled rule
 * runs every `backupIntervalHours`, or every `copyRpoHours` when it carries copy actions (copies
 * run after each backup job of their rule), and the continuous rule (when any) runs daily.
 * Retention is the policy's (`backupRetentionDays`, `pointInTimeRecoveryDays`).
 */
export function backupRuleTiming(policy: ProtectionPolicy, copies: boolean, startHour: number): { intervalHours: number; scheduleExpression: string; continuousScheduleExpression: string } {
  const intervalHours = copies ? Math.min(policy.backupIntervalHours, policy.copyRpoHours) : policy.backupIntervalHours;
  return { intervalHours, scheduleExpression: scheduleFor(intervalHours, startHour), continuousScheduleExpression: scheduleFor(24, startHour) };
}

/** A cron expression every `hours` hours (1–24), starting at `startHour` UTC. */
function scheduleFor(hours: number, startHour: number): string {
  if (hours >= 24) return `cron(0 ${startHour} * * ? *)`;
  // Hourly, on the hour (the AWS Backup guide's hourly example is `cron(15 * ? * * *)`, "Creating a backup plan",
  // https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html).
  if (hours === 1) return 'cron(0 * * * ? *)';
  return `cron(0 ${startHour % hours}/${hours} * * ? *)`;
}

/** The ARN AWS Backup selects a classified resource by. */
function arnOf(r: ClassifiedResource): string {
  const cfn = r.cfnResource as CfnResource;
  if (cfn.cfnResourceType === 'AWS::DynamoDB::GlobalTable' || cfn.cfnResourceType === 'AWS::EFS::FileSystem') return cfn.getAtt('Arn').toString();
  const arn = r.resourceArn;
  if (!arn) throw new Error(`ProtectedBackupPlan: cannot build the ARN of ${r.scope.node.path} (${cfn.cfnResourceType})`);
  return arn;
}

/** The CloudFormation type behind an ARN of an existing resource. */
function cfnTypeOfArn(arn: string): string {
  if (Token.isUnresolved(arn)) {
    throw new Error(`ProtectedBackupPlanProps.existingResources: resourceArn must be a literal ARN (its service decides the backup role's permissions), got a token`);
  }
  const parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
  const service = parts.service;
  const resource = parts.resource.split(':')[0];
  const type =
    service === 's3' ? 'AWS::S3::Bucket'
      : service === 'dynamodb' ? 'AWS::DynamoDB::Table'
        : service === 'rds' && arn.includes(':cluster:') ? 'AWS::RDS::DBCluster'
          : service === 'rds' && arn.includes(':db:') ? 'AWS::RDS::DBInstance'
            : service === 'elasticfilesystem' ? 'AWS::EFS::FileSystem'
              : service === 'ec2' && resource === 'volume' ? 'AWS::EC2::Volume'
                : undefined;
  if (!type) {
    throw new Error(`ProtectedBackupPlanProps.existingResources: unsupported resourceArn '${arn}'; allowed: S3 bucket, DynamoDB table, RDS instance or cluster, EFS file system, EBS volume`);
  }
  return type;
}

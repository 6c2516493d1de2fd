import { Annotations, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { ClassifiedResource } from '../classification/classify';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { acknowledgeInlinePolicy, defaultPolicyOf } from '../core/acknowledgements';
import { CONTROLS, recordControl } from '../core/controls';
import { AuditNames, requireTrailKeyArn, validateTrailName } from './audit-names';
import { DataEventSelection, DataEventSelectorPlan, DataEventSelectorPlanInput, dataEventTypeOfArn, planDataEventSelectors } from './data-event-selectors';
import { validateLogRetentionDays } from './log-retention';

/** A resource created outside this app whose data events a `DataAccessTrail` records. */
export interface ExistingDataEventResource {
  /**
   * Its literal ARN: an S3 bucket (`arn:aws:s3:::name`), a DynamoDB table or a Lambda function.
   * Other types (RDS, EFS, EBS) have no CloudTrail data events and are only noted.
   */
  readonly resourceArn: string;
  /** Its classification: recorded only when the level's policy has `dataEvents` (CONFIDENTIAL and above). */
  readonly classification: DataClassification;
}

export interface DataAccessTrailProps {
  /**
   * The audit key from the key account (`DataAccountStack.auditKey`): encrypts the log files and
   * the log group. Its ARN must be a key ARN, not an alias ARN.
   */
  readonly encryptionKey: kms.IKey;
  /**
   * Name of the Object Lock archive bucket in the audit account, built on both sides with
   * `AuditNames.archiveBucketName(auditAccount, region)`. Its policy must admit this trail.
   */
  readonly archiveBucketName: string;
  /**
   * Deterministic, so the archive bucket policy can name it in `aws:SourceArn`.
   * @default AuditNames.DEFAULT_TRAIL_NAME
   */
  readonly trailName?: string;
  /** @default AuditNames.DEFAULT_KEY_PREFIX */
  readonly s3KeyPrefix?: string;
  /**
   * Days the CloudWatch Logs copy is kept; one of the values CloudWatch Logs accepts (1, 3, 5,
   * 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
   * 3653). The archive bucket keeps the immutable copy.
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * Log-file integrity validation (digest files). Cannot be turned off while the trail covers
   * classified data: without it a deleted or altered log file goes unnoticed.
   * @default true
   */
  readonly enableLogFileValidation?: boolean;
  /**
   * An organization trail (deploy it in the management account or a delegated administrator):
   * covers classified resources of every account in the app.
   * @default false
   */
  readonly organizationTrail?: boolean;
  /**
   * Cover the classified resources under these scopes only, e.g. to split a very large account
   * across several trails (at most 5 per region).
   * @default - every classified resource of the trail's account in the app
   */
  readonly coverageScopes?: IConstruct[];
  /**
   * Whether covered resources with generated names in other stacks may be selected by importing
   * their ARNs (one CloudFormation export each, which couples the stacks' deployment order and
   * blocks replacing or deleting the resource while in use). When false, the types of such
   * resources are selected by exclusion instead (every resource of the type in the account but the
   * app's known unrecorded ones), so this trail's stack depends on no other stack: what a
   * `DataAccountStack` holding its account's protection set needs, since the other data stacks
   * deploy after it.
   * @default true
   */
  readonly crossStackReferences?: boolean;
  /**
   * Resources created outside this app (imported by ARN) whose data events are recorded too,
   * always by exact ARN. Same shape as `ExistingBackupResource`, so one list serves both; add
   * more later with `addExistingResources`.
   * @default - none
   */
  readonly existingResources?: ExistingDataEventResource[];
  /** Record management events (read and write) too. @default true */
  readonly includeManagementEvents?: boolean;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A multi-region CloudTrail trail that records who touched classified data: data events (read
 * and write, allowed and denied) on every resource classified with `dataEvents` (CONFIDENTIAL
 * and above) in the account — S3 objects, DynamoDB items, Lambda invocations — plus management
 * events. Log-file validation always on, KMS encryption with the key-account audit key,
 * delivery into the audit account's Object Lock archive and into an encrypted log group for
 * `DataAccessAlarms`.
 *
 * Selectors are computed at synth, after every resource is classified; beyond CloudTrail's 500
 * values they are aggregated (whole type or name prefixes), then, where that needs fewer values,
 * turned into exclusions (every resource of the type but the app's unrecorded ones, which also
 * records resources created outside the app); when neither fits, synth fails saying how to fix it.
 */
export class DataAccessTrail extends Construct {
  public readonly trail: cloudtrail.CfnTrail;
  public readonly trailName: string;
  /** `arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`. */
  public readonly trailArn: string;
  /** Receives every event of the trail; encrypted with the audit key. */
  public readonly logGroup: logs.LogGroup;
  public readonly logRetentionDays: number;
  public readonly archiveBucketName: string;

  private readonly planInput: DataEventSelectorPlanInput;
  private readonly existingArns: string[] = [];
  private readonly organizationTrail: boolean;
  private readonly recorded = new Set<ClassifiedResource>();
  private readonly logFileValidation: boolean;
  private annotated = false;

  public constructor(scope: Construct, id: string, props: DataAccessTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.trailName = props.trailName ?? AuditNames.DEFAULT_TRAIL_NAME;
    validateTrailName('DataAccessTrailProps.trailName', this.trailName);
    if (!props.encryptionKey) throw new Error('DataAccessTrailProps.encryptionKey is required: the audit key from the key account, got undefined');
    requireTrailKeyArn('DataAccessTrailProps.encryptionKey', props.encryptionKey, 'CloudTrail and CloudWatch Logs need one');
    if (!props.archiveBucketName) throw new Error('DataAccessTrailProps.archiveBucketName is required: use AuditNames.archiveBucketName(auditAccount, region), got an empty value');
    this.archiveBucketName = props.archiveBucketName;
    this.logRetentionDays = props.logRetentionDays ?? 365;
    validateLogRetentionDays('DataAccessTrailProps.logRetentionDays', this.logRetentionDays);
    this.logFileValidation = props.enableLogFileValidation ?? true;
    this.trailArn = AuditNames.trailArn(stack.account, stack.region, this.trailName);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: AuditNames.logGroupName(this.trailName),
      encryptionKey: props.encryptionKey,
      retention: this.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    // Only this trail may assume the delivery role (confused deputy).
    const role = new iam.Role(this, 'LogsRole', {
      assumedBy: new iam.ServicePrincipal('cloudtrail.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceArn': this.trailArn } } }),
      description: `CloudTrail ${this.trailName} delivers events to ${AuditNames.logGroupName(this.trailName)}`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));
    acknowledgeInlinePolicy(defaultPolicyOf(role));

    this.organizationTrail = props.organizationTrail ?? false;
    this.planInput = {
      trail: this,
      coverageScopes: props.coverageScopes,
      organizationTrail: this.organizationTrail,
      crossStackReferences: props.crossStackReferences,
      existingArns: this.existingArns,
      // A token too: selectors that could match it exclude it with NotStartsWith.
      ownBucketNames: [props.archiveBucketName],
      includeManagementEvents: props.includeManagementEvents ?? true,
    };

    this.trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: this.trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      isOrganizationTrail: props.organizationTrail ?? false,
      enableLogFileValidation: this.logFileValidation,
      kmsKeyId: props.encryptionKey.keyArn,
      s3BucketName: props.archiveBucketName,
      s3KeyPrefix: props.s3KeyPrefix ?? AuditNames.DEFAULT_KEY_PREFIX,
      cloudWatchLogsLogGroupArn: this.logGroup.logGroupArn,
      cloudWatchLogsRoleArn: role.roleArn,
      // Resolved at synth, when every resource is classified.
      advancedEventSelectors: Lazy.any({ produce: () => this.finalPlan().advancedEventSelectors }),
    });
    this.trail.node.addDependency(role);
    this.addExistingResources(...(props.existingResources ?? []));
    this.trail.applyRemovalPolicy(removalPolicy);

    // Resources classified so far are recorded now, so checks that read construct metadata
    // before synth see them; the rest are recorded when the plan is final.
    try {
      this.record(planDataEventSelectors(this.planInput).covered);
    } catch {
      // Reported by the validation below, once every resource is classified.
    }
    this.checkLogFileValidation(this.recorded.size);
    this.node.addValidation({
      validate: () => {
        try {
          this.finalPlan();
          return [];
        } catch (e) {
          return [(e as Error).message];
        }
      },
    });
  }

  /**
   * Records the data events of resources created outside this app, e.g. on the trail that
   * `DataAccountStack.protect()` creates: `stack.dataAccessTrail?.addExistingResources(...)`.
   * @throws when an ARN is a token, malformed, or (for a non-organization trail) in another account
   */
  public addExistingResources(...resources: ExistingDataEventResource[]): void {
    const stack = Stack.of(this);
    for (const [i, r] of resources.entries()) {
      const prop = `ExistingDataEventResource(${i}).resourceArn`;
      const arn = r.resourceArn;
      if (typeof arn !== 'string' || Token.isUnresolved(arn)) {
        throw new Error(`${prop} must be a literal ARN (the trail selects it by value), got ${typeof arn === 'string' ? 'a token' : String(arn)}`);
      }
      const service = /^arn:[a-z-]+:([a-z0-9-]+):/.exec(arn)?.[1];
      if (!service) throw new Error(`${prop} must be an ARN, got '${arn}'`);
      const dataType = dataEventTypeOfArn(arn);
      if (!dataType && ['s3', 'dynamodb', 'lambda'].includes(service)) {
        throw new Error(`${prop} must be an S3 bucket, DynamoDB table or Lambda function ARN (arn:aws:s3:::name, …:table/name, …:function:name), got '${arn}'`);
      }
      const account = arn.split(':')[4];
      if (dataType && account && !this.organizationTrail && !Token.isUnresolved(stack.account) && account !== stack.account) {
        throw new Error(`${prop} is in account ${account}, but this trail records account ${stack.account} only: add it to that account's trail, or use organizationTrail, got '${arn}'`);
      }
      if (dataType === 'AWS::S3::Object' && arn.split(':').pop() === this.archiveBucketName) {
        Annotations.of(this).addWarningV2('cdk-data-protection:own-bucket-excluded', `${arn} (existing) is this trail's own log bucket: its data events are not recorded (they would record the trail's own writes)`);
      } else if (!dataType) {
        Annotations.of(this).addInfoV2('cdk-data-protection:no-data-events', `${arn} (existing, ${r.classification.name}) has no CloudTrail data events: only its management events are recorded`);
      } else if (!ProtectionPolicy.forClassification(r.classification).dataEvents) {
        Annotations.of(this).addInfoV2('cdk-data-protection:no-data-events', `${arn} (existing, ${r.classification.name}): data events are recorded for CONFIDENTIAL and above only`);
      } else if (!this.existingArns.includes(arn)) {
        this.existingArns.push(arn);
      }
    }
  }

  /** ARNs of existing resources (outside the app) whose data events this trail records. */
  public coveredExistingResources(): string[] {
    return this.selectorPlan().coveredExistingArns;
  }

  /** The selectors and coverage as they stand now (final once synthesis starts). */
  public selectorPlan(): DataEventSelectorPlan {
    return planDataEventSelectors(this.planInput);
  }

  /** The classified resources whose data events this trail records. */
  public coveredResources(): ClassifiedResource[] {
    return this.selectorPlan().covered;
  }

  private finalPlan(): DataEventSelectorPlan {
    const plan = planDataEventSelectors(this.planInput);
    this.checkLogFileValidation(plan.covered.length);
    this.record(plan.covered);
    if (!this.annotated) {
      this.annotated = true;
      for (const r of plan.withoutDataEvents) {
        Annotations.of(this).addInfoV2(
          'cdk-data-protection:no-data-events',
          `${r.scope.node.path} (${r.resourceType}, ${r.classification.name}) has no CloudTrail data events: only its management events are recorded`,
        );
      }
      if (plan.importedArns.length > 0) {
        Annotations.of(this).addWarningV2(
          'cdk-data-protection:imported-arns',
          `${plan.importedArns.length} covered resources in other stacks have generated names (e.g. ${plan.importedArns[0].scope.node.path}): ` +
            'the trail imports each ARN through a CloudFormation export (at most 200 outputs per stack). Give them literal names so they are selected without exports, and by prefix at scale',
        );
      }
      for (const t of plan.types.filter((x) => x.selection === DataEventSelection.EXCLUSION)) {
        Annotations.of(this).addInfoV2(
          `cdk-data-protection:exclusion-selectors-${t.resourceType.split('::')[1].toLowerCase()}`,
          `${t.resourceType} data events are selected by exclusion (${t.values} values): every resource of the type in the account except the app's ` +
            `${t.excluded} unrecorded ones${t.resourceType === 'AWS::S3::Object' ? " and the trail's own bucket" : ''}, so resources created outside this app are recorded too (billed per event). ` +
            'Literal names with a shared prefix for the classified resources let the trail select them instead',
        );
      }
      if (plan.overRecorded.length > 0) {
        Annotations.of(this).addInfoV2(
          'cdk-data-protection:over-recorded',
          `${plan.overRecorded.length} unrecorded resources in other stacks have generated names (e.g. ${plan.overRecorded[0]}): the exclusion selectors record them ` +
            'rather than import each ARN through a CloudFormation export (an export in use blocks replacing or deleting the resource). Give them literal names to exclude them',
        );
      }
      for (const r of plan.excludedOwnBuckets) {
        Annotations.of(this).addWarningV2(
          'cdk-data-protection:own-bucket-excluded',
          `${r.scope.node.path} is classified but is this trail's own log bucket: its data events are not recorded (they would record the trail's own writes)`,
        );
      }
    }
    return plan;
  }

  private checkLogFileValidation(covered: number): void {
    if (!this.logFileValidation && covered > 0) {
      throw new Error(
        `DataAccessTrailProps.enableLogFileValidation must be true when the trail records classified data (${covered} resources covered), got false: without digest files a deleted or altered log file goes unnoticed`,
      );
    }
  }

  private record(covered: ClassifiedResource[]): void {
    for (const r of covered) {
      if (this.recorded.has(r)) continue;
      this.recorded.add(r);
      recordControl(r.scope, CONTROLS.DATA_EVENTS, { trail: this.trailName, trailPath: this.node.path });
    }
  }
}

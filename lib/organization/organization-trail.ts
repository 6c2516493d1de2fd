import { Annotations, Aws, CfnResource, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { ProtectionPolicy } from '../classification/protection-policy';
import { acknowledge, acknowledgeAwsCustomResourceProvider, acknowledgeInlinePolicy, acknowledgeWildcards, STOCK_RULES } from '../core/acknowledgements';
import { cfnOf, CONTROLS, recordControl } from '../core/controls';
import { validateAccountId, validateOrganizationIdFormat } from '../core/validation';
import { AuditNames, requireTrailKeyArn, validateTrailName } from '../audit/audit-names';
import { ExistingDataEventResource } from '../audit/data-access-trail';
import { DataEventSelectorPlan, DataEventSelectorPlanInput, dataEventTypeOfArn, planDataEventSelectors } from '../audit/data-event-selectors';

export interface OrganizationDataAccessTrailProps {
  /**
   * The organization's management account. It owns every organization trail, also one a
   * delegated administrator creates ("The management account remains the owner of any CloudTrail
   * organization resources the delegated administrator creates",
   * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-delegated-administrator.html),
   * so the trail's ARN — the `aws:SourceArn` CloudTrail presents to the archive bucket and the
   * key — names this account, not the audit account that deploys the trail.
   */
  readonly managementAccount: string;
  /** The organization id (`o-…`): member accounts' log files land under `AWSLogs/<organizationId>/`. */
  readonly organizationId: string;
  /**
   * The audit key (key account), resolved to its key ARN. Its policy must let CloudTrail encrypt
   * for trails of `managementAccount` (`ProtectedKey.allowCloudTrail([managementAccount])` on
   * `KeyAccountStack.auditKey`).
   */
  readonly encryptionKey: kms.IKey;
  /**
   * The audit account's archive bucket (`AuditNames.archiveBucketName(auditAccount, region)`). Its
   * policy must admit this trail (`AuditLogArchiveProps.organizationTrail` with `trailAccount` =
   * `managementAccount` and this `trailName`; `AuditAccountStackProps.organizationTrail` does it).
   * Never recorded by the trail itself.
   */
  readonly archiveBucketName: string;
  /** @default OrganizationDataAccessTrail.DEFAULT_TRAIL_NAME */
  readonly trailName?: string;
  /** @default AuditNames.DEFAULT_KEY_PREFIX */
  readonly s3KeyPrefix?: string;
  /**
   * Cover the classified resources under these scopes only.
   * @default - every classified resource (with `dataEvents`) of every stack of the app
   */
  readonly coverageScopes?: IConstruct[];
  /**
   * Resources created outside this app, in any account of the organization, whose data events
   * are recorded too, always by exact ARN.
   * @default - none
   */
  readonly existingResources?: ExistingDataEventResource[];
  /**
   * Also record management events of every account. The data accounts' own trails already
   * deliver the free first copy, so this is a paid second copy.
   * @default false
   */
  readonly includeManagementEvents?: boolean;
  /**
   * Record the data events of S3 objects and DynamoDB tables the app does not define too: the
   * stores of the member accounts a `DataAccountBaselineStack` protects, classified by tag in their
   * own accounts (selectors cannot match tags), whose own trails cannot deliver into the archive.
   * Both types are then selected by exclusion: every data event of the organization but those of
   * the app's unrecorded resources and the archive (billed per event; the unclassified stores of
   * the members are recorded too).
   * @default false (`AuditAccountStack` sets it when the layout has `memberOrganizationalUnitPaths`)
   */
  readonly recordMemberStores?: boolean;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A multi-region CloudTrail **organization trail** recording data events (read and write) of the
 * classified resources (CONFIDENTIAL and above) of every account of the organization, deployed in
 * the audit account as CloudTrail delegated administrator (`CloudTrailDelegatedAdministrator`,
 * deployed in the management account, registers it) and delivering into the audit account's
 * Object Lock archive, encrypted with the audit key, log-file validation on.
 *
 * Its advanced event selectors come from the same planner as `DataAccessTrail`'s (exact ARNs,
 * name prefixes, whole types, exclusion), within CloudTrail's 500 values per trail, resolved at
 * synth once every resource is classified; the archive bucket is never selected. Resources of
 * other stacks are never imported by ARN (stacks in other accounts cannot share exports): types
 * whose covered resources have generated names there are selected by exclusion instead.
 *
 * Delivered to S3 only (no CloudWatch Logs copy): the data accounts' own `DataAccessTrail`s feed
 * the alarms; this trail is the organization-wide, tamper-proof record.
 */
export class OrganizationDataAccessTrail extends Construct {
  /** Default name of the organization trail (distinct from the data accounts' own trails). */
  public static readonly DEFAULT_TRAIL_NAME = 'data-protection-organization-data-access';

  /** The organization trail (`IsOrganizationTrail`). */
  public readonly trail: cloudtrail.CfnTrail;
  /** Its name. */
  public readonly trailName: string;
  /** `arn:<partition>:cloudtrail:<region>:<managementAccount>:trail/<name>`: the owner is the management account. */
  public readonly trailArn: string;
  /** The archive bucket it delivers into (never selected). */
  public readonly archiveBucketName: string;

  private readonly planInput: DataEventSelectorPlanInput;
  private recorded = false;

  public constructor(scope: Construct, id: string, props: OrganizationDataAccessTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    validateAccountId('OrganizationDataAccessTrailProps.managementAccount', props.managementAccount);
    validateOrganizationIdFormat('OrganizationDataAccessTrailProps.organizationId', props.organizationId);
    if (!Token.isUnresolved(stack.account) && stack.account === props.managementAccount) {
      throw new Error(
        `OrganizationDataAccessTrail must be deployed in the CloudTrail delegated administrator (the audit account), not in OrganizationDataAccessTrailProps.managementAccount, got env.account ${stack.account}: ` +
          'keep the management account for the tasks only it can do',
      );
    }
    this.trailName = props.trailName ?? OrganizationDataAccessTrail.DEFAULT_TRAIL_NAME;
    validateTrailName('OrganizationDataAccessTrailProps.trailName', this.trailName);
    if (!props.archiveBucketName) throw new Error('OrganizationDataAccessTrailProps.archiveBucketName is required: use AuditNames.archiveBucketName(auditAccount, region), got an empty value');
    requireTrailKeyArn('OrganizationDataAccessTrailProps.encryptionKey', props.encryptionKey, 'CloudTrail needs one');
    this.archiveBucketName = props.archiveBucketName;
    this.trailArn = AuditNames.trailArn(props.managementAccount, stack.region, this.trailName);

    const existingArns = (props.existingResources ?? []).flatMap((r, i) => existingArn(this, `OrganizationDataAccessTrailProps.existingResources[${i}].resourceArn`, r, props.archiveBucketName));
    this.planInput = {
      trail: this,
      coverageScopes: props.coverageScopes,
      organizationTrail: true,
      // Stacks in other accounts cannot import this stack's exports, nor this stack theirs.
      crossStackReferences: false,
      ownBucketNames: [props.archiveBucketName],
      includeManagementEvents: props.includeManagementEvents ?? false,
      existingArns: [...new Set(existingArns)],
      recordUnknownStores: props.recordMemberStores ?? false,
    };

    this.trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: this.trailName,
      isLogging: true,
      isOrganizationTrail: true,
      // "All organization trails created using the console are multi-Region" and log every enabled Region:
      // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      kmsKeyId: props.encryptionKey.keyArn,
      s3BucketName: props.archiveBucketName,
      s3KeyPrefix: props.s3KeyPrefix ?? AuditNames.DEFAULT_KEY_PREFIX,
      advancedEventSelectors: Lazy.any({ produce: () => this.selectorPlan().advancedEventSelectors }),
    });
    this.trail.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    acknowledge(
      this.trail,
      STOCK_RULES.TRAIL_CLOUDWATCH_LOGS,
      "The organization trail is the tamper-proof, organization-wide record in the audit account's Object Lock archive; each data account's own DataAccessTrail sends its events to CloudWatch Logs for the alarms.",
    );
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

  /** The selectors and coverage as they stand now (final once synthesis starts). */
  public selectorPlan(): DataEventSelectorPlan {
    return planDataEventSelectors(this.planInput);
  }

  private finalPlan(): DataEventSelectorPlan {
    const plan = this.selectorPlan();
    if (plan.advancedEventSelectors.length === 0) {
      throw new Error(
        `OrganizationDataAccessTrail ${this.node.path} selects nothing: no classified resource with data events (CONFIDENTIAL and above) in its coverage, no existingResources and includeManagementEvents false. ` +
          'Without selectors CloudTrail would log every management event instead: classify the resources, list existingResources, or set includeManagementEvents',
      );
    }
    if (!this.recorded) {
      this.recorded = true;
      recordControl(this.trail, CONTROLS.ORGANIZATION_TRAIL, {
        detail: {
          trail: this.trailName,
          trailArn: Stack.of(this).resolve(this.trailArn),
          archiveBucket: this.archiveBucketName,
          covered: plan.covered.length,
          coveredExisting: plan.coveredExistingArns.length,
          selectorValues: plan.valueCount,
          types: plan.types.map((t) => ({ resourceType: t.resourceType, selection: t.selection.name, resources: t.resources, values: t.values })),
        },
      });
      if (plan.overRecorded.length > 0) {
        Annotations.of(this).addInfoV2(
          'cdk-data-protection:over-recorded',
          `${plan.overRecorded.length} unrecorded resources in other stacks have generated names (e.g. ${plan.overRecorded[0]}): the organization trail's exclusion selectors record them. Give them literal names to exclude them`,
        );
      }
    }
    return plan;
  }
}

/** The literal ARN of an existing resource worth recording, or none (noted) when it has no data events or is below CONFIDENTIAL. */
function existingArn(scope: IConstruct, prop: string, r: ExistingDataEventResource, ownBucket: string): string[] {
  const arn = r.resourceArn;
  if (typeof arn !== 'string' || Token.isUnresolved(arn)) {
    throw new Error(`${prop} must be a literal ARN (the trail selects it by value), got ${typeof arn === 'string' ? 'a token' : String(arn)}`);
  }
  const dataType = dataEventTypeOfArn(arn);
  if (!dataType) {
    throw new Error(`${prop} must be an S3 bucket, DynamoDB table or Lambda function ARN (arn:aws:s3:::name, …:table/name, …:function:name): other types have no CloudTrail data events, got '${arn}'`);
  }
  if (dataType === 'AWS::S3::Object' && arn.split(':').pop() === ownBucket) {
    throw new Error(`${prop} is the trail's own archive bucket, whose data events are never recorded (they would record the trail's own writes), got '${arn}'`);
  }
  if (!ProtectionPolicy.forClassification(r.classification).dataEvents) {
    Annotations.of(scope).addInfoV2('cdk-data-protection:no-data-events', `${arn} (existing, ${r.classification.name}): data events are recorded for CONFIDENTIAL and above only`);
    return [];
  }
  return [arn];
}


export interface CloudTrailDelegatedAdministratorProps {
  /** The member account that manages the organization trails: the audit account. */
  readonly delegatedAdminAccount: string;
  /** The organization id (`o-…`): scopes the Organizations permissions to this account of this organization. */
  readonly organizationId: string;
  /**
   * Enable trusted access for CloudTrail in AWS Organizations first (`EnableAWSServiceAccess`
   * for `cloudtrail.amazonaws.com`): registering fails with `CloudTrailAccessNotEnabledException`
   * without it. Deleting the construct leaves it enabled (other organization trails may rely on it).
   * @default true
   */
  readonly enableTrustedAccess?: boolean;
  /**
   * Deregister the delegated administrator when the construct (or its stack) is deleted, and the
   * previous account when `delegatedAdminAccount` changes. Off by default: a merged change that
   * removes the construct would otherwise silently take the organization trails' administration
   * away from the audit account. With it off, deregister a replaced account yourself
   * (`aws cloudtrail deregister-organization-delegated-admin`).
   * @default false
   */
  readonly deregisterOnDelete?: boolean;
}

/**
 * Registers a member account (the audit account) as CloudTrail delegated administrator, so it
 * can create and manage organization trails (`OrganizationDataAccessTrail`). Deploy it in the
 * organization's **management account** (only it may register one); deleting it leaves the account
 * registered unless `deregisterOnDelete`. Changing `delegatedAdminAccount` replaces the
 * registration (the account is part of its physical id): CloudFormation registers the new account,
 * then deletes the old resource with its old properties
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-delete.html),
 * which deregisters the old account only with `deregisterOnDelete`. There is no CloudFormation
 * resource for it: an `AwsCustomResource` calls CloudTrail's
 * `RegisterOrganizationDelegatedAdmin`
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_RegisterOrganizationDelegatedAdmin.html),
 * which creates the service-linked role in the management account on first use, with the
 * permissions of "Required permissions to assign a delegated administrator"
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-delegated-administrator-permissions.html).
 */
export class CloudTrailDelegatedAdministrator extends Construct {
  /** The account registered. */
  public readonly delegatedAdminAccount: string;
  /** The `RegisterOrganizationDelegatedAdmin` call (deregisters on delete with `deregisterOnDelete` only). */
  public readonly registration: cr.AwsCustomResource;

  public constructor(scope: Construct, id: string, props: CloudTrailDelegatedAdministratorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    validateAccountId('CloudTrailDelegatedAdministratorProps.delegatedAdminAccount', props.delegatedAdminAccount);
    validateOrganizationIdFormat('CloudTrailDelegatedAdministratorProps.organizationId', props.organizationId);
    if (!Token.isUnresolved(stack.account) && stack.account === props.delegatedAdminAccount) {
      throw new Error(
        `CloudTrailDelegatedAdministratorProps.delegatedAdminAccount must be a member account, not the management account this stack deploys to, got '${props.delegatedAdminAccount}' (CannotDelegateManagementAccountException)`,
      );
    }
    this.delegatedAdminAccount = props.delegatedAdminAccount;
    const servicePrincipal = 'cloudtrail.amazonaws.com';

    let trustedAccess: cr.AwsCustomResource | undefined;
    if (props.enableTrustedAccess ?? true) {
      trustedAccess = enableTrustedAccess(this, servicePrincipal);
    }

    // CloudTrail calls Organizations' RegisterDelegatedAdministrator on the caller's behalf, and
    // creates (or reads) its service-linked roles; the conditions keep each permission to this
    // service and this account (Service Authorization Reference, AWS Organizations: the account
    // resource type and organizations:ServicePrincipal).
    const deregisterOnDelete = props.deregisterOnDelete ?? false;
    // A replaced registration is deleted after the policy names the new account: deregistering
    // needs every account of the organization, for this service only.
    const deregisterResource = organizationsAccountArn(props.organizationId, '*');
    const policy = cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['cloudtrail:RegisterOrganizationDelegatedAdmin', ...(deregisterOnDelete ? ['cloudtrail:DeregisterOrganizationDelegatedAdmin'] : []), 'organizations:ListAWSServiceAccessForOrganization'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        actions: ['organizations:RegisterDelegatedAdministrator'],
        resources: [organizationsAccountArn(props.organizationId, props.delegatedAdminAccount)],
        conditions: { StringEquals: { 'organizations:ServicePrincipal': servicePrincipal } },
      }),
      ...(deregisterOnDelete
        ? [new iam.PolicyStatement({
          actions: ['organizations:DeregisterDelegatedAdministrator'],
          resources: [deregisterResource],
          conditions: { StringEquals: { 'organizations:ServicePrincipal': servicePrincipal } },
        })]
        : []),
      new iam.PolicyStatement({
        actions: ['iam:CreateServiceLinkedRole'],
        resources: ['*'],
        // Both service principal names, as the CloudTrail page above says.
        conditions: { StringLike: { 'iam:AWSServiceName': ['cloudtrail.amazonaws.com', 'context.cloudtrail.amazonaws.com'] } },
      }),
      new iam.PolicyStatement({
        actions: ['iam:GetRole'],
        resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/*cloudtrail.amazonaws.com/*`],
      }),
    ]);
    // The account is in the physical id, so a new account replaces the resource; an update with the
    // same account (another property changed) registers again, and an account already registered is
    // what we want (AccountRegisteredException, "RegisterOrganizationDelegatedAdmin", AWS CloudTrail
    // API Reference, link above).
    const register: cr.AwsSdkCall = {
      service: 'CloudTrail',
      action: 'registerOrganizationDelegatedAdmin',
      parameters: { MemberAccountId: props.delegatedAdminAccount },
      physicalResourceId: cr.PhysicalResourceId.of(`cloudtrail-delegated-admin-${props.delegatedAdminAccount}`),
    };
    this.registration = new cr.AwsCustomResource(this, 'Registration', {
      onCreate: register,
      onUpdate: { ...register, ignoreErrorCodesMatching: 'AccountRegisteredException' },
      onDelete: deregisterOnDelete
        ? { service: 'CloudTrail', action: 'deregisterOrganizationDelegatedAdmin', parameters: { DelegatedAdminAccountId: props.delegatedAdminAccount } }
        : undefined,
      installLatestAwsSdk: false,
      policy,
    });
    if (trustedAccess) this.registration.node.addDependency(trustedAccess);
    const cfnPolicy = this.registration.node.tryFindChild('CustomResourcePolicy');
    acknowledgeWildcards(cfnPolicy!, [
      {
        resource: '*',
        reason:
          'cloudtrail:Register/DeregisterOrganizationDelegatedAdmin and organizations:ListAWSServiceAccessForOrganization have no resource-level permissions; iam:CreateServiceLinkedRole is limited to the CloudTrail service names by iam:AWSServiceName.',
      },
      ...(deregisterOnDelete
        ? [{ resource: deregisterResource, reason: 'Deregisters the delegated administrator of CloudTrail only (organizations:ServicePrincipal), also the previous account after delegatedAdminAccount changed, whose id the policy no longer names.' }]
        : []),
      { resource: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/*cloudtrail.amazonaws.com/*`, reason: "CloudTrail reads its own service-linked roles (AWSServiceRoleForCloudTrail and its event-context role), whose names it chooses." },
    ]);
    acknowledgeInlinePolicy(cfnPolicy, "AwsCustomResource attaches each call's permissions as an inline policy of its provider role; this one only registers (and, with deregisterOnDelete, deregisters) the CloudTrail delegated administrator.");
    acknowledgeAwsCustomResourceProvider(stack);
    recordControl(customResourceCfn(this.registration), CONTROLS.CLOUDTRAIL_DELEGATED_ADMIN, {
      detail: { delegatedAdminAccount: props.delegatedAdminAccount, servicePrincipal, organizationId: props.organizationId, deregisterOnDelete },
    });
  }
}

/** The `AWS::CloudFormation::CustomResource` (`Custom::AWS`) of an `AwsCustomResource`: where its metadata goes. */
export function customResourceCfn(resource: cr.AwsCustomResource): CfnResource {
  const cfn = cfnOf(resource.node.findChild('Resource'));
  if (!cfn) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return cfn;
}

/**
 * `arn:<partition>:organizations::<management account>:account/<organization id>/<account id>`:
 * the account resource type of AWS Organizations (Service Authorization Reference), owned by the
 * management account that deploys the registering stack.
 */
export function organizationsAccountArn(organizationId: string, account: string): string {
  return `arn:${Aws.PARTITION}:organizations::${Aws.ACCOUNT_ID}:account/${organizationId}/${account}`;
}

/**
 * Trusted access of a service in AWS Organizations (`EnableAWSServiceAccess`, management account
 * only: https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnableAWSServiceAccess.html).
 * It has no resource-level permissions; `organizations:ServicePrincipal` limits it to the service.
 * Left enabled on delete: other features of the service in the organization may rely on it.
 */
export function enableTrustedAccess(scope: Construct, servicePrincipal: string): cr.AwsCustomResource {
  const resource = new cr.AwsCustomResource(scope, 'TrustedAccess', {
    onCreate: {
      service: 'Organizations',
      action: 'enableAWSServiceAccess',
      parameters: { ServicePrincipal: servicePrincipal },
      physicalResourceId: cr.PhysicalResourceId.of(`trusted-access-${servicePrincipal}`),
    },
    installLatestAwsSdk: false,
    policy: cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['organizations:EnableAWSServiceAccess'],
        resources: ['*'],
        conditions: { StringEquals: { 'organizations:ServicePrincipal': servicePrincipal } },
      }),
    ]),
  });
  const policy = resource.node.tryFindChild('CustomResourcePolicy');
  acknowledgeWildcards(policy!, [{ resource: '*', reason: `organizations:EnableAWSServiceAccess has no resource-level permissions; organizations:ServicePrincipal limits it to ${servicePrincipal}.` }]);
  acknowledgeInlinePolicy(policy, "AwsCustomResource attaches each call's permissions as an inline policy of its provider role; this one only enables trusted access for one service.");
  acknowledgeAwsCustomResourceProvider(Stack.of(scope));
  return resource;
}

/** The organization trail of an `AuditAccountStack` (`AuditAccountStackProps.organizationTrail`). */
export interface AuditOrganizationTrailOptions {
  /** The organization's management account: the owner of the trail (see `OrganizationDataAccessTrailProps.managementAccount`). */
  readonly managementAccount: string;
  /** @default OrganizationDataAccessTrail.DEFAULT_TRAIL_NAME */
  readonly trailName?: string;
  /** @default - every classified resource (with `dataEvents`) of every stack of the app */
  readonly coverageScopes?: IConstruct[];
  /** @default - none */
  readonly existingResources?: ExistingDataEventResource[];
  /** @default false */
  readonly includeManagementEvents?: boolean;
}

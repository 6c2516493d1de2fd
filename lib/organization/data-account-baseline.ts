import * as path from 'path';
import { Aws, CfnCondition, CfnRule, DockerImageAssetLocation, DockerImageAssetSource, FileAssetLocation, FileAssetSource, Fn, ISynthesisSession, Stack, StackSynthesizer, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { DataAccessAlarmsOptions } from '../audit/data-access-alarms';
import { ORGANIZATION_BACKUP_ROLE_NAME, ORGANIZATION_BACKUP_VAULT_NAME } from '../backup/organization-backup-policy';
import { acknowledgeManagedPolicy } from '../core/acknowledgements';
import { requireReason } from '../core/validation';
import { DataProtectionAccounts, memberOrganizationalUnitPaths } from '../topology/accounts';
import { _memberBaseline, ConfigRecorderOptions, DataAccountStack, DataProtectionDrillOptions } from '../topology/data-account-stack';

/**
 * S3 bucket names: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter
 * or digit ("General purpose bucket naming rules", Amazon S3 User Guide,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). The prefix leaves
 * room for '-' and the longest region name (14 characters, e.g. 'ap-southeast-5' or 'us-gov-west-1').
 */
const ASSET_BUCKET_PREFIX_PATTERN = /^[a-z0-9][a-z0-9.-]{1,46}[a-z0-9]$/;

/** Validates a prefix of the per-region asset buckets (`<prefix>-<region>`). */
export function validateAssetBucketPrefix(prop: string, prefix: string | undefined): string {
  if (prefix === undefined || Token.isUnresolved(prefix) || !ASSET_BUCKET_PREFIX_PATTERN.test(prefix) || prefix.includes('..')) {
    throw new Error(
      `${prop} must be a literal prefix of S3 bucket names: 3-48 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit (the bucket of each region is '<prefix>-<region>', at most 63 characters), got ${prefix === undefined ? 'undefined' : `'${prefix}'`}`,
    );
  }
  return prefix;
}

/** Props of a `DataAccountBaselineStack`. */
export interface DataAccountBaselineStackProps {
  /**
   * The layout: key, backup, audit and identity accounts, organization id and regions, the same
   * for every member account. `dataAccounts` is not used: every account of the StackSet's target
   * OUs is a data account, and no data account id is written into the baseline template. The target
   * OUs must not hold the key, backup or audit account.
   */
  readonly accounts: DataProtectionAccounts;
  /**
   * Prefix of the organization-readable asset buckets (`OrganizationAssetBucket`, one per region,
   * named `<prefix>-<region>`) the baseline's Lambda code is read from: stack instances in member
   * accounts cannot read the management account's CDK bootstrap bucket.
   *
   * Every member account runs the code of the bucket of that name, whoever owns it (S3 bucket
   * names are global): the prefix must be yours in every region of the StackSet. Choose one nobody
   * else can guess or hold (e.g. with your organization id), create the buckets (an
   * `OrganizationAssetBucket` per region, which the `DataProtectionStackSet` requires in the app)
   * before the first rollout, and never delete them; the copy refuses a bucket of another account
   * (`s3:ResourceAccount`), but a region added later whose name someone else took would still be read.
   */
  readonly assetBucketPrefix: string;
  /** Email addresses notified of alarms in every member account. @default - none (alarms still go to the audit account) */
  readonly alarmEmails?: string[];
  /** Drill settings of the restore drill in every member account (it discovers targets by their classification tags). @default - policy defaults */
  readonly drill?: DataProtectionDrillOptions;
  /** Window and thresholds of the data-access alarms. @default - DataAccessAlarms defaults */
  readonly dataAccessAlarms?: DataAccessAlarmsOptions;
  /** Whether the baseline creates the AWS Config recorder (see `DataAccountStackProps.configRecorder`). @default - a `BackupConfigRecorder` in every member account and region */
  readonly configRecorder?: ConfigRecorderOptions;
  /** Description of the baseline template. @default - a description of the data-account baseline */
  readonly description?: string;
  /**
   * Why the baseline creates no data-access trail (nor its `DataAccessAlarms`) in the member
   * accounts, e.g. `'The organization trail of the audit account records the data events of every
   * account'`. Required with `accounts.memberOrganizationalUnitPaths`: a member account's own trail
   * cannot deliver into the audit archive, whose bucket policy and audit key admit CloudTrail for
   * named trails only (`aws:SourceArn` per account, "Amazon S3 bucket policy for CloudTrail",
   * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html;
   * "Configure AWS KMS key policies for CloudTrail",
   * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html),
   * so CloudTrail would refuse to create it and the stack instance would fail. The organization trail
   * (`AuditAccountStackProps.organizationTrail`) records the members' data events into the archive
   * instead. Shown in the report.
   * @default - a data-access trail per member account (only without `accounts.memberOrganizationalUnitPaths`)
   */
  readonly organizationTrailReason?: string;
}

/**
 * The data-account baseline of an organization rollout: the protection set of a
 * `DataAccountStack` as one environment-agnostic template, deployed by a `DataProtectionStackSet`
 * into every account of the target OUs (accounts created later included) and every region of
 * the StackSet. Create it inside the stack that holds the `DataProtectionStackSet` (the management
 * or a delegated-administrator account): it is not deployed on its own, its template is a file
 * asset of that stack.
 *
 * In every member account and region: the locked vault `data-protection-organization`
 * (`ORGANIZATION_BACKUP_VAULT_NAME`, lock minimum 7 days: every level's recovery points, copies
 * brought back from the backup account too), the restore drill that finds the account's classified
 * resources by their tags, the data-access trail and its alarms (left out with `organizationTrailReason`, required with member paths), the tamper and job-failure alarms
 * forwarded to the audit account's security bus, Backup Audit Manager and its Config recorder. In
 * the primary region only (IAM is global, a second region would collide on the names): the
 * break-glass role and the role `data-protection-organization-backup`
 * (`ORGANIZATION_BACKUP_ROLE_NAME`) AWS Backup assumes.
 *
 * The backup plans are not in the template: attach an `OrganizationBackupPolicy` (its defaults
 * name this vault and role) to the same OUs. Its plans select every resource tagged
 * `data-classification` in the account, including resources not defined in CDK, with the
 * `ProtectionPolicy` floors and the copies into the backup account's central vaults; plans of
 * the baseline selecting the same tags would back every resource up twice. The policy writes
 * every level into one vault, so the baseline keeps one vault per account (not one per retention
 * class as `DataAccountStack`), and the drill restores from it. Do not add classified stores to
 * the baseline.
 *
 * A template rule (`NotALayoutAccount`) fails any stack instance in the layout's key, backup,
 * audit or identity account (a root target or a wrong OU).
 *
 * The template holds no account id of a member account (the account is `${AWS::AccountId}` when
 * the instance is deployed), and its size does not depend on the number of accounts or OUs. Its
 * Lambda code is read from the bucket `<assetBucketPrefix>-${AWS::Region}`
 * (`OrganizationAssetBucket`), to which the `DataProtectionStackSet` copies it.
 */
export class DataAccountBaselineStack extends DataAccountStack {
  /** The stack the baseline's template and assets are published from (the `DataProtectionStackSet`'s stack). */
  public readonly parentStack: Stack;
  /** Prefix of the per-region asset buckets (`<prefix>-<region>`). */
  public readonly assetBucketPrefix: string;
  /** The role `data-protection-organization-backup` the `OrganizationBackupPolicy` plans run as (created in the primary region only). */
  public readonly organizationBackupRole: iam.Role;
  /** The condition "this instance is in the primary region", on every IAM role of the baseline (IAM names are global to the account). */
  public readonly primaryRegionCondition: CfnCondition;
  /** The template rule failing a stack instance in the layout's key, backup, audit or identity account. */
  public readonly layoutAccountRule: CfnRule;
  public constructor(scope: Construct, id: string, props: DataAccountBaselineStackProps) {
    super(scope, id, {
      accounts: { ...props.accounts, dataAccounts: [Aws.ACCOUNT_ID] },
      // Environment-agnostic even inside a stage with an environment: one template for every account and region.
      env: { account: Aws.ACCOUNT_ID, region: Aws.REGION },
      synthesizer: new BaselineSynthesizer(validateAssetBucketPrefix('DataAccountBaselineStackProps.assetBucketPrefix', props.assetBucketPrefix), parentStackOf(scope)),
      accountWide: true,
      alarmEmails: props.alarmEmails,
      configRecorder: props.configRecorder,
      description: props.description ?? 'cdk-data-protection: data-account baseline (locked vault, restore drill, data-access trail, alarms), deployed by a StackSet into every account of the target OUs',
    });
    this.parentStack = parentStackOf(scope);
    this.assetBucketPrefix = props.assetBucketPrefix;
    this.primaryRegionCondition = new CfnCondition(this, 'IsPrimaryRegion', { expression: Fn.conditionEquals(Aws.REGION, props.accounts.primaryRegion) });

    // The template must never land in the layout's own accounts (a root target, a wrong OU): a rule
    // fails the stack instance before any resource is created there ("CloudFormation template Rules
    // syntax", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html;
    // Fn::Not and Fn::Contains [[list], string], "Rule functions",
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-rules.html).
    const layoutAccounts = [...new Set([props.accounts.keyAccount, props.accounts.backupAccount, props.accounts.auditAccount, ...(props.accounts.identityAccount ? [props.accounts.identityAccount] : [])])];
    this.layoutAccountRule = new CfnRule(this, 'NotALayoutAccount', {
      assertions: [{
        assert: Fn.conditionNot(Fn.conditionContains(layoutAccounts, Aws.ACCOUNT_ID)),
        assertDescription: `The data-account baseline must not be deployed into the key, backup, audit or identity account of the layout (${layoutAccounts.join(', ')}): target the OUs of the data accounts only`,
      }],
    });

    // One vault (the backup policy's plans write every level into it), the drill's logs under a key
    // of the member account, and no trail of its own when the organization trail records it.
    const P = 'DataAccountBaselineStackProps';
    const members = memberOrganizationalUnitPaths(props.accounts, `${P}.accounts`);
    if (props.organizationTrailReason === undefined && members.length > 0) {
      throw new Error(
        `${P}.organizationTrailReason is required with ${P}.accounts.memberOrganizationalUnitPaths (${JSON.stringify(members)}): the audit archive and the audit key admit CloudTrail for named trails only (aws:SourceArn per account), ` +
          'so a member account\'s own trail cannot deliver; record the members\' data events with the organization trail (AuditAccountStackProps.organizationTrail) and say so here',
      );
    }
    _memberBaseline(
      this,
      props.organizationTrailReason === undefined
        ? {}
        : { noDataAccessTrailReason: requireReason(`${P}.organizationTrailReason`, props.organizationTrailReason, 'the member accounts get no data-access trail nor its alarms') },
    );
    this.protect({ backupVaultName: ORGANIZATION_BACKUP_VAULT_NAME, drill: props.drill, dataAccessAlarms: props.dataAccessAlarms });

    // The role the OrganizationBackupPolicy names ("The IAM role must exist when creating a backup
    // plan for the first time", "Backup policy syntax and examples", AWS Organizations User Guide,
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html).
    // The plans select resources by tag at run time, of any type: the AWS managed backup policies
    // ("Managed policies for AWS Backup", https://docs.aws.amazon.com/aws-backup/latest/devguide/security-iam-awsmanpol.html).
    this.organizationBackupRole = new iam.Role(this, 'OrganizationBackupRole', {
      roleName: ORGANIZATION_BACKUP_ROLE_NAME,
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      description: 'cdk-data-protection: AWS Backup role of the organization backup policy plans (resources selected by their data-classification tag)',
    });
    for (const name of ['service-role/AWSBackupServiceRolePolicyForBackup', 'service-role/AWSBackupServiceRolePolicyForS3Backup']) {
      const policy = iam.ManagedPolicy.fromAwsManagedPolicyName(name);
      this.organizationBackupRole.addManagedPolicy(policy);
      acknowledgeManagedPolicy(this.organizationBackupRole, policy, 'The organization backup policy selects resources of any type by their data-classification tag at run time, in every member account: the AWS managed backup policy follows the types AWS Backup supports.');
    }
    // IAM is global: the named roles are created once per account, by the primary-region instance.
    // Nothing else in the template references them (ARNs are built from their names), so the other
    // regions' instances deploy whatever the order (StackSet operation preferences, region order
    // included, do not apply to automatic deployments: "StackSetOperationPreferences",
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html).
    for (const role of [this.organizationBackupRole, this.node.tryFindChild('BreakGlassRole')]) {
      if (!role) continue;
      // The roles and their policies; the break-glass alarms stay in every region (STS endpoints are regional).
      for (const r of role.node.findAll()) if (r instanceof iam.CfnRole || r instanceof iam.CfnPolicy) r.cfnOptions.condition = this.primaryRegionCondition;
    }
  }

  /**
   * Calls `listener` with every Lambda bundle of the baseline, those published so far and those
   * published later (the `DataProtectionStackSet` copies each into every region's asset bucket).
   * @internal
   */
  public _onAsset(listener: (asset: BaselineAsset) => void): void {
    (this.synthesizer as BaselineSynthesizer).onAsset(listener);
  }

  /** The URL of the baseline template (a file asset of the parent stack), known once the baseline is synthesized. @internal */
  public get _templateUrl(): string | undefined {
    return (this.synthesizer as BaselineSynthesizer).templateUrl;
  }
}

/** A Lambda bundle of the baseline: where the parent stack publishes it, and its key in every region's asset bucket. @internal */
export interface BaselineAsset {
  readonly sourceBucketName: string;
  readonly sourceObjectKey: string;
  readonly objectKey: string;
}

/**
 * Synthesizes the baseline as a template file only (no cloud assembly artifact: `cdk deploy`
 * never deploys it as a stack), registered as a file asset of the parent stack, and points its
 * file assets at the per-region asset bucket. The approach of cdklabs/cdk-stacksets'
 * `StackSetStackSynthesizer` (file assets copied by a `BucketDeployment` of the parent stack into
 * buckets named `<prefix>-<region>`). No parameter: a StackSet instance has no CDK bootstrap version.
 */
class BaselineSynthesizer extends StackSynthesizer {
  /** The URL of the template, a file asset of the parent stack, once synthesized. */
  public templateUrl?: string;
  private readonly assets: BaselineAsset[] = [];
  private readonly listeners: Array<(asset: BaselineAsset) => void> = [];

  public constructor(private readonly prefix: string, private readonly parent: Stack) {
    super();
  }

  public onAsset(listener: (asset: BaselineAsset) => void): void {
    this.assets.forEach(listener);
    this.listeners.push(listener);
  }

  public addFileAsset(asset: FileAssetSource): FileAssetLocation {
    // The parent stack holds the asset (in its bootstrap bucket); the DataProtectionStackSet copies it into every region's asset bucket.
    const location = this.parent.synthesizer.addFileAsset(asset);
    if (Token.isUnresolved(location.objectKey)) {
      throw new Error(`${this.boundStack.node.path}: the object key of asset ${asset.sourceHash} in ${this.parent.node.path} is not literal; give that stack a synthesizer whose bucketPrefix is literal`);
    }
    const objectKey = path.posix.basename(location.objectKey);
    const published: BaselineAsset = { sourceBucketName: location.bucketName, sourceObjectKey: location.objectKey, objectKey };
    this.assets.push(published);
    this.listeners.forEach((l) => l(published));
    // One template for every region: the bucket of the region the instance is deployed in.
    const bucketName = `${this.prefix}-${Aws.REGION}`;
    return {
      bucketName,
      objectKey,
      httpUrl: `https://s3.${Aws.REGION}.${Aws.URL_SUFFIX}/${bucketName}/${objectKey}`,
      s3ObjectUrl: `s3://${bucketName}/${objectKey}`,
    };
  }

  public addDockerImageAsset(_asset: DockerImageAssetSource): DockerImageAssetLocation {
    throw new Error(`${this.boundStack.node.path}: a StackSet baseline cannot use Docker image assets (member accounts cannot pull from the management account's bootstrap repository)`);
  }

  public synthesize(session: ISynthesisSession): void {
    // Written into the cloud assembly and published by the parent stack, which synthesizes after its children.
    this.templateUrl = this.parent.synthesizer.addFileAsset(this.synthesizeTemplate(session)).httpUrl;
  }
}

function parentStackOf(scope: IConstruct): Stack {
  const parent = scope.node.scopes.slice().reverse().find((s) => Stack.isStack(s));
  if (!parent) {
    throw new Error('DataAccountBaselineStack must be created inside the stack holding its DataProtectionStackSet (the management or a delegated-administrator account): its template and Lambda code are published as that stack\'s file assets, got a scope outside any stack');
  }
  return parent as Stack;
}

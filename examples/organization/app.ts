#!/usr/bin/env node
/**
 * Organization rollout: hundreds of data accounts in organizational units, new ones every week.
 * Nothing here lists the data accounts of the OUs:
 *
 * - the management account (or a delegated administrator) deploys the data-account baseline into
 *   every account of the OUs with a service-managed StackSet (`DataProtectionStackSet`,
 *   `DataAccountBaselineStack`), its Lambda code from organization-readable buckets per region
 *   (`OrganizationAssetBucket`), AWS Backup plans by classification tag for every member
 *   (`OrganizationBackupPolicy`), service control policies that deny destroying or blinding the
 *   controls to all but the break-glass role (`DataProtectionGuardrails`), and the backup and
 *   audit accounts as delegated administrators of AWS Backup and CloudTrail;
 * - the key, backup and audit accounts are the usual `DataProtectionStage`, whose audit account
 *   also runs the organization's data-event trail.
 *
 *   cd examples/organization && npx cdk synth '**'
 *
 * In your own app, import from 'cdk-data-protection' instead of '../../lib'.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  AccessLogsBucket,
  BackupDelegatedAdministrator,
  CloudTrailDelegatedAdministrator,
  DataAccountBaselineStack,
  DataAccountStack,
  DataAccountStackProps,
  DataClassification,
  DataProtection,
  DataProtectionGuardrails,
  DataProtectionStackSet,
  DataProtectionStage,
  OrganizationAssetBucket,
  OrganizationBackupPolicy,
} from '../../lib';

/** The organization's own facts, from cdk.json context (`cdk-data-protection:organization`). */
export interface OrganizationContext {
  /** The management account (it owns the StackSet, the policies and the organization trail). */
  readonly managementAccount: string;
  /** The organization's root (`r-…`). */
  readonly rootId: string;
  /**
   * The OUs whose accounts hold data, directly below the root: every account in them, now or later,
   * gets the baseline, the plans and the guardrails (and nested OUs below them too).
   */
  readonly organizationalUnitIds: string[];
  /** Prefix of the asset buckets `<prefix>-<region>` the baseline's functions read their code from. */
  readonly assetBucketPrefix: string;
}

/** A hand-listed data account of the layout (the platform team's own data), protected as usual. */
export class PlatformDataStack extends DataAccountStack {
  public readonly exports: s3.Bucket;

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);
    this.exports = new s3.Bucket(this, 'Exports', {
      bucketName: `org-platform-exports-${this.account}`,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.keyFor(DataClassification.CONFIDENTIAL),
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: new AccessLogsBucket(this, 'ExportsAccessLogs').bucket,
    });
    DataProtection.classify(this.exports, DataClassification.CONFIDENTIAL);
    this.protect();
  }
}

export interface OrganizationApp {
  readonly stage: DataProtectionStage;
  readonly platform: PlatformDataStack;
  /** Management account: the delegated administrators (deployed before the stage). */
  readonly admins: Stack;
  readonly assets: Stack[];
  readonly rollout: Stack;
  readonly baseline: DataAccountBaselineStack;
  readonly stackSet: DataProtectionStackSet;
  readonly backupPolicy: OrganizationBackupPolicy;
  readonly guardrails: DataProtectionGuardrails;
}

/** Reads `cdk-data-protection:organization` from context, with what is missing named. */
export function organizationFromContext(app: App): OrganizationContext {
  const raw = app.node.tryGetContext('cdk-data-protection:organization') as Partial<OrganizationContext> | undefined;
  if (!raw?.managementAccount || !raw.rootId || !raw.organizationalUnitIds?.length || !raw.assetBucketPrefix) {
    throw new Error(`context 'cdk-data-protection:organization' needs managementAccount, rootId, organizationalUnitIds and assetBucketPrefix, got ${JSON.stringify(raw ?? null)}`);
  }
  return raw as OrganizationContext;
}

/** Builds the organization rollout into `app` (accounts, regions and OUs from cdk.json context). */
export function buildOrganizationApp(app: App): OrganizationApp {
  const org = organizationFromContext(app);
  const layout = DataProtection.accountsFromContext(app);
  // The key, backup and audit accounts admit the accounts of the OUs (aws:PrincipalOrgPaths): their entity paths.
  const accounts = { ...layout, memberOrganizationalUnitPaths: org.organizationalUnitIds.map((ou) => `${layout.organizationId}/${org.rootId}/${ou}/*`) };
  const regions = [accounts.primaryRegion, ...(accounts.drRegion ? [accounts.drRegion] : [])];

  // Management account, deployed FIRST: the backup and audit accounts become delegated administrators
  // (CloudTrail accepts an organization trail only from the management account or its delegated
  // administrator, so the audit stack of the stage needs this before it deploys).
  const admins = new Stack(app, 'OrgAdmins', { env: { account: org.managementAccount, region: accounts.primaryRegion } });
  new BackupDelegatedAdministrator(admins, 'BackupAdmin', { delegatedAdminAccount: accounts.backupAccount, organizationId: accounts.organizationId! });
  new CloudTrailDelegatedAdministrator(admins, 'CloudTrailAdmin', { delegatedAdminAccount: accounts.auditAccount, organizationId: accounts.organizationId! });

  // The fixed accounts (after OrgAdmins); the audit account also records the data events of the whole organization.
  const stage = new DataProtectionStage(app, 'Org', {
    accounts,
    alarmEmails: ['security-oncall@example.com'],
    organizationTrail: { managementAccount: org.managementAccount },
  });
  const platform = new PlatformDataStack(stage, 'Platform', stage.dataStackProps());

  // Management account, one stack per region of the StackSet, deployed before the rollout.
  const assets = regions.map((region) => {
    const stack = new Stack(app, `BaselineAssets-${region}`, { env: { account: org.managementAccount, region } });
    new OrganizationAssetBucket(stack, 'Assets', { assetBucketPrefix: org.assetBucketPrefix, organizationId: accounts.organizationId! });
    return stack;
  });

  // Management account, after the stage (members use its keys, vaults and bus) and the asset buckets.
  const rollout = new Stack(app, 'Rollout', { env: { account: org.managementAccount, region: accounts.primaryRegion } });
  for (const a of assets) rollout.addStackDependency(a, 'the baseline\'s Lambda bundles are copied into the asset buckets');
  const baseline = new DataAccountBaselineStack(rollout, 'Baseline', {
    accounts,
    assetBucketPrefix: org.assetBucketPrefix,
    alarmEmails: ['security-oncall@example.com'],
    organizationTrailReason: "The audit account's organization trail (DataProtectionStageProps.organizationTrail) records the data events of every member account",
  });
  const stackSet = new DataProtectionStackSet(rollout, 'StackSet', { baseline, organizationalUnitIds: org.organizationalUnitIds, regions });
  const backupPolicy = new OrganizationBackupPolicy(rollout, 'BackupPolicy', {
    targetIds: org.organizationalUnitIds,
    regions: [accounts.primaryRegion],
    backupAccount: accounts.backupAccount,
    drRegion: accounts.drRegion,
  });
  const guardrails = new DataProtectionGuardrails(rollout, 'Guardrails', {
    targetIds: org.organizationalUnitIds,
    // Service-managed StackSets deploy with this role in the member accounts.
    guardrailAdminRoleArnPattern: 'arn:aws:iam::*:role/stacksets-exec-*',
  });
  return { stage, platform, admins, assets, rollout, baseline, stackSet, backupPolicy, guardrails };
}

if (require.main === module) {
  const app = new App();
  // Every finding of the five packs fails `cdk synth` unless acknowledged with a reason.
  DataProtection.addPacks(app);
  buildOrganizationApp(app);
  app.synth();
}

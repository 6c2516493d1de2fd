import { Duration, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AuditLogArchive } from '../audit/audit-log-archive';
import { AuditNames } from '../audit/audit-names';
import { CrossAccountKey } from '../keys/cross-account-key';
import { KeyAliases } from '../keys/key-aliases';
import { DataProtectionAccounts, memberOrganizationalUnitPaths, validateAccounts, warnSingleAccount } from './accounts';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { validateAccountId } from '../core/validation';
import { SecurityEventBus, TrailDeliveryMonitor } from '../audit/security-event-bus';
import { MemberHeartbeatMonitor } from '../audit/member-heartbeat-monitor';
import { AlarmTopic } from '../keys/alarm-topic';
import { AuditOrganizationTrailOptions, OrganizationDataAccessTrail } from '../organization/organization-trail';


export interface AuditAccountStackProps extends StackProps {
  readonly accounts: DataProtectionAccounts;
  /**
   * Object Lock (COMPLIANCE) retention of every log file: nobody, root included, can delete a
   * log file before it expires.
   * @default Duration.days(400)
   */
  readonly archiveRetention?: Duration;
  /** Name of the data accounts' trails. @default AuditNames.DEFAULT_TRAIL_NAME */
  readonly trailName?: string;
  /** @default AuditNames.DEFAULT_KEY_PREFIX */
  readonly s3KeyPrefix?: string;
  /**
   * Also admit the organization trail of this account (management or delegated administrator),
   * writing under `accounts.organizationId`.
   * @default - only the data accounts' own trails
   */
  readonly organizationTrailAccount?: string;
  /**
   * Create an organization trail here, in the audit account as CloudTrail delegated administrator
   * (register it from the management account with `CloudTrailDelegatedAdministrator`): data events
   * of the classified resources of every account, delivered into this archive, whose policy admits
   * it under `AWSLogs/<managementAccount>/` and `AWSLogs/<accounts.organizationId>/`. The audit key
   * must let CloudTrail encrypt for the management account's trails
   * (`KeyAccountStack.auditKey.allowCloudTrail([managementAccount])`). Needs `accounts.organizationId`.
   * @default - no organization trail
   */
  readonly organizationTrail?: AuditOrganizationTrailOptions;
  /**
   * Email addresses notified of every data-protection event the watched accounts forward (tamper
   * events, alarms, break-glass use, silent trails). The audit account is where detection must
   * land: without a subscriber, synth fails.
   * @default - none (a synth error unless the topic gets another subscription)
   */
  readonly alarmEmails?: string[];
  /**
   * Longest silence of a data account's trail before the audit account alarms (2–24 hours).
   * @default Duration.hours(3)
   */
  readonly maxTrailSilence?: Duration;
  /**
   * Longest silence of a watched account's forwarding heartbeat before the audit account alarms
   * (2–24 hours), the member accounts' (`memberHeartbeats`) included.
   * @default Duration.hours(3)
   */
  readonly maxHeartbeatSilence?: Duration;
}

/**
 * The audit account: the immutable archive (`ObjectLockBucket`, COMPLIANCE mode) of the data
 * accounts' `DataAccessTrail`s, encrypted with the key account's audit key, writable by
 * CloudTrail only for the named trails. Its name is deterministic
 * (`AuditNames.archiveBucketName`), so the data accounts deliver into it without tokens.
 */
export class AuditAccountStack extends Stack {
  public readonly accounts: DataProtectionAccounts;
  public readonly archive: AuditLogArchive;
  /** The archive bucket. */
  public readonly archiveBucket: s3.IBucket;
  /** The key-account audit key, resolved to its key ARN at deploy time. */
  public readonly auditKey: CrossAccountKey;
  /** Where every watched account's data-protection events arrive. */
  public readonly securityEvents: SecurityEventBus;
  /** The audit account's alarm topic: every forwarded event, and the trail heartbeats. */
  public readonly alarmTopic: AlarmTopic;
  /** Alarms when a data account's trail stops delivering to the archive. */
  public readonly trailDelivery?: TrailDeliveryMonitor;
  /**
   * With `accounts.memberOrganizationalUnitPaths`: finds the member accounts of the OUs hourly and
   * alarms when any of them stopped forwarding (primary and DR Regions). Needs the audit account
   * to be a delegated administrator of the organization (`organizationTrail` with
   * `CloudTrailDelegatedAdministrator`): otherwise its AWS Organizations calls fail and it alarms.
   */
  public readonly memberHeartbeats?: MemberHeartbeatMonitor;
  /** The organization trail (`AuditAccountStackProps.organizationTrail`). */
  public readonly organizationTrail?: OrganizationDataAccessTrail;

  public constructor(scope: Construct, id: string, props: AuditAccountStackProps) {
    super(scope, id, props);
    assertSingleAwsCdkLib(this);
    validateAccounts(props.accounts, 'AuditAccountStackProps.accounts');
    warnSingleAccount(this, props.accounts);
    if (!Token.isUnresolved(this.account) && this.account !== props.accounts.auditAccount) {
      throw new Error(`AuditAccountStack must be deployed to accounts.auditAccount (${props.accounts.auditAccount}), got env.account ${this.account}`);
    }
    if (props.organizationTrailAccount !== undefined && !props.accounts.organizationId) {
      throw new Error('AuditAccountStackProps.organizationTrailAccount needs accounts.organizationId: organization trails write under AWSLogs/<orgId>/, got no organizationId');
    }
    const orgTrail = props.organizationTrail;
    if (orgTrail) {
      validateAccountId('AuditAccountStackProps.organizationTrail.managementAccount', orgTrail.managementAccount);
      if (!props.accounts.organizationId) {
        throw new Error('AuditAccountStackProps.organizationTrail needs accounts.organizationId: organization trails write under AWSLogs/<orgId>/, got no organizationId');
      }
      if (props.organizationTrailAccount !== undefined) {
        throw new Error(`AuditAccountStackProps.organizationTrail and organizationTrailAccount both admit an organization trail: use one, got organizationTrailAccount '${props.organizationTrailAccount}'`);
      }
      if (!Token.isUnresolved(this.region) && this.region !== props.accounts.primaryRegion) {
        throw new Error(`AuditAccountStackProps.organizationTrail must be deployed in accounts.primaryRegion (${props.accounts.primaryRegion}), the home Region the archive admits, got env.region ${this.region}`);
      }
    }
    this.accounts = props.accounts;
    const members = memberOrganizationalUnitPaths(props.accounts, 'AuditAccountStackProps.accounts');
    if (members.length > 0 && !orgTrail && props.organizationTrailAccount === undefined) {
      // CloudTrail writes into the archive only for trails its policy names (aws:SourceArn, one
      // prefix per account: "Amazon S3 bucket policy for CloudTrail", AWS CloudTrail User Guide,
      // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html),
      // and the audit key lets CloudTrail encrypt for named trails only: a member account's own trail
      // cannot deliver here. The organization trail records the members' data events.
      throw new Error(
        `AuditAccountStackProps.organizationTrail (or organizationTrailAccount) is required with accounts.memberOrganizationalUnitPaths (${JSON.stringify(members)}): ` +
          "the archive admits each trail by its account (aws:SourceArn), so the members' data events reach it only through the organization trail",
      );
    }
    this.auditKey = new CrossAccountKey(this, 'AuditKey', { keyAccount: props.accounts.keyAccount, aliasName: KeyAliases.AUDIT });
    this.archive = new AuditLogArchive(this, 'DataAccessArchive', {
      encryptionKey: this.auditKey.key,
      sourceAccounts: props.accounts.dataAccounts,
      trailRegion: props.accounts.primaryRegion,
      trailName: props.trailName,
      s3KeyPrefix: props.s3KeyPrefix,
      retention: props.archiveRetention,
      bucketName: AuditNames.archiveBucketName(props.accounts.auditAccount, props.accounts.primaryRegion),
      organizationTrail: orgTrail
        ? { trailAccount: orgTrail.managementAccount, organizationId: props.accounts.organizationId!, trailName: orgTrail.trailName ?? OrganizationDataAccessTrail.DEFAULT_TRAIL_NAME }
        : props.organizationTrailAccount !== undefined
          ? { trailAccount: props.organizationTrailAccount, organizationId: props.accounts.organizationId! }
          : undefined,
    });
    this.archiveBucket = this.archive.bucket;
    if (orgTrail) {
      this.organizationTrail = new OrganizationDataAccessTrail(this, 'OrganizationDataAccessTrail', {
        managementAccount: orgTrail.managementAccount,
        organizationId: props.accounts.organizationId!,
        encryptionKey: this.auditKey.key,
        archiveBucketName: AuditNames.archiveBucketName(props.accounts.auditAccount, props.accounts.primaryRegion),
        trailName: orgTrail.trailName,
        s3KeyPrefix: props.s3KeyPrefix,
        coverageScopes: orgTrail.coverageScopes,
        existingResources: orgTrail.existingResources,
        includeManagementEvents: orgTrail.includeManagementEvents,
        // The StackSet members' stores are not in the app, and their own trails cannot deliver here.
        recordMemberStores: members.length > 0,
      });
      // CloudTrail checks the bucket policy when it creates the trail.
      this.organizationTrail.node.addDependency(this.archive);
    }

    // Detection lands here, in an account the watched accounts' administrators do not control.
    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emailSubscribers: props.alarmEmails });
    const watched = [...new Set([props.accounts.keyAccount, props.accounts.backupAccount, ...props.accounts.dataAccounts])];
    // Each forwarding stack sends an hourly heartbeat: the key and backup accounts in both Regions, the data accounts in the primary Region.
    const regions = [props.accounts.primaryRegion, ...(props.accounts.drRegion ? [props.accounts.drRegion] : [])];
    const heartbeats = [
      ...[props.accounts.keyAccount, props.accounts.backupAccount].flatMap((account) => regions.map((region) => ({ account, region }))),
      ...props.accounts.dataAccounts.map((account) => ({ account, region: props.accounts.primaryRegion })),
    ].filter((h) => h.account !== props.accounts.auditAccount || props.accounts.singleAccountReason !== undefined);
    this.securityEvents = new SecurityEventBus(this, 'SecurityEvents', {
      sourceAccounts: watched,
      topic: this.alarmTopic.topic,
      organizationId: props.accounts.organizationId,
      // The StackSet baseline's accounts forward their alarms and tamper events here too.
      sourceOrganizationalUnitPaths: members.length > 0 ? members : undefined,
      heartbeats,
      maxHeartbeatSilence: props.maxHeartbeatSilence,
      logKey: this.alarmTopic.key,
    });
    if (members.length > 0) {
      // The members of the OUs are listed nowhere: the audit account finds them itself.
      this.memberHeartbeats = new MemberHeartbeatMonitor(this, 'MemberHeartbeats', {
        organizationId: props.accounts.organizationId!,
        organizationalUnitPaths: members,
        regions,
        excludedAccounts: [...new Set([...watched, props.accounts.auditAccount])],
        maxHeartbeatSilence: props.maxHeartbeatSilence,
        alarmTopic: this.alarmTopic.topic,
        logKey: this.alarmTopic.key.key,
      });
    }
    if (this.archiveBucket instanceof s3.Bucket) {
      this.trailDelivery = new TrailDeliveryMonitor(this, 'TrailDelivery', {
        bucket: this.archiveBucket,
        s3KeyPrefix: props.s3KeyPrefix ?? AuditNames.DEFAULT_KEY_PREFIX,
        accounts: props.accounts.dataAccounts,
        topic: this.alarmTopic.topic,
        maxSilence: props.maxTrailSilence,
      });
    }
  }
}

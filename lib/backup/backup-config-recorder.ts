import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeInlinePolicy, acknowledgeManagedPolicy, acknowledgeWildcards, defaultPolicyOf } from '../core/acknowledgements';
import { ObjectLockBucket } from './object-lock-bucket';

/**
 * The resource types AWS Config records for Backup Audit Manager. The four AWS Backup types are the
 * "AWS Config recording resource type" of every control ("Choosing your controls" and "Turning on
 * resource tracking", AWS Backup Developer Guide). The types the library protects are recorded too,
 * so the controls scoped to the classification tag can see the tags of those resources (the
 * Config rules behind them evaluate those types, e.g. `dynamodb-resources-protected-by-backup-plan`
 * with its `resourceTags`).
 */
export const BACKUP_AUDIT_RECORDED_TYPES = [
  'AWS::Backup::BackupPlan',
  'AWS::Backup::BackupSelection',
  'AWS::Backup::BackupVault',
  'AWS::Backup::RecoveryPoint',
  'AWS::DynamoDB::Table',
  'AWS::EC2::Volume',
  'AWS::EFS::FileSystem',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::S3::Bucket',
];

export interface BackupConfigRecorderProps {
  /**
   * Encrypts the configuration history and snapshots (delivery channel and bucket). A key of the
   * key account works: the recorder's role writes through S3 (`kms:ViaService`).
   */
  readonly encryptionKey: kms.IKey;
  /**
   * Object Lock (COMPLIANCE) retention of every configuration file (1–36,500 days).
   * @default Duration.days(365)
   */
  readonly retention?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The AWS Config recorder Backup Audit Manager evaluates through: every control needs AWS Config to
 * record the resource types it checks, or it evaluates nothing. Records `BACKUP_AUDIT_RECORDED_TYPES`
 * (no others: recording is billed per configuration item) with a role of its own, and delivers to
 * an `ObjectLockBucket` encrypted with `encryptionKey` (the delivery channel names the same key).
 * CloudFormation starts the recorder as soon as the delivery channel exists.
 *
 * An account and Region has one customer managed recorder: where one already runs (AWS Control
 * Tower, a security baseline), do not create this one and make sure that recorder records these
 * types (`DataAccountStackProps.configRecorder.existingRecorderReason`).
 */
export class BackupConfigRecorder extends Construct {
  public readonly recorder: config.CfnConfigurationRecorder;
  public readonly deliveryChannel: config.CfnDeliveryChannel;
  public readonly bucket: ObjectLockBucket;
  public readonly role: iam.Role;

  public constructor(scope: Construct, id: string, props: BackupConfigRecorderProps) {
    super(scope, id);
    if (!props.encryptionKey) throw new Error('BackupConfigRecorderProps.encryptionKey is required: configuration history is encrypted with a customer managed key, got undefined');
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Config writes with the key the delivery channel names; default encryption covers the rest.
    this.bucket = new ObjectLockBucket(this, 'History', { encryptionKey: props.encryptionKey, retention: props.retention ?? Duration.days(365), requireEncryptionHeaders: false, removalPolicy });
    const bucket = this.bucket.bucket;

    // With an IAM role, Config delivers as that role ("Permissions for the Amazon S3 Bucket", AWS
    // Config Developer Guide). The role's policy follows "Permissions for the IAM Role Assigned to AWS
    // Config": GetBucketAcl, PutObject and PutObjectAcl (x-amz-acl bucket-owner-full-control) under
    // AWSLogs/<account>/, kms:GenerateDataKey and kms:Decrypt on the key, and AWS_ConfigRole.
    const configRole = iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWS_ConfigRole');
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('config.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'AWS Config records the resource types Backup Audit Manager evaluates',
      managedPolicies: [configRole],
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'CheckDeliveryBucket', actions: ['s3:GetBucketAcl'], resources: [bucket.bucketArn] }));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeliverConfigurationHistory',
        actions: ['s3:PutObject', 's3:PutObjectAcl'],
        resources: [bucket.arnForObjects(`AWSLogs/${stack.account}/Config/*`)],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      }),
    );
    props.encryptionKey.grant(this.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeInlinePolicy(defaultPolicyOf(this.role));
    acknowledgeWildcards(defaultPolicyOf(this.role)!, [
      { resource: bucket.arnForObjects(`AWSLogs/${stack.account}/Config/*`), reason: 'AWS Config names its history and snapshot objects itself, under AWSLogs/<account>/Config/ of its own delivery bucket: the path is the narrowest it documents.' },
    ]);
    acknowledgeManagedPolicy(
      this.role,
      configRole,
      'AWS_ConfigRole is the AWS-maintained policy AWS Config documents for a recorder role ("Permissions for the IAM Role Assigned to AWS Config"); it follows the resource types AWS Config supports.',
    );

    this.recorder = new config.CfnConfigurationRecorder(this, 'Recorder', {
      roleArn: this.role.roleArn,
      recordingGroup: {
        allSupported: false,
        includeGlobalResourceTypes: false,
        resourceTypes: BACKUP_AUDIT_RECORDED_TYPES,
        recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' },
      },
    });
    // "Before you can create a delivery channel, you must create a configuration recorder" (PutDeliveryChannel).
    this.deliveryChannel = new config.CfnDeliveryChannel(this, 'DeliveryChannel', {
      s3BucketName: bucket.bucketName,
      s3KmsKeyArn: props.encryptionKey.keyArn,
      configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' },
    });
    this.deliveryChannel.node.addDependency(this.recorder, this.role);
  }
}

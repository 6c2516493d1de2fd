#!/usr/bin/env node
/**
 * HR records: the HR/CRM application of the data-protection checklist, in four account roles
 * with two data accounts.
 *
 * - HR data account: employee records (DynamoDB, HIGHLY_SENSITIVE, tightened RPO), personnel
 *   documents (S3, CONFIDENTIAL), payroll (Aurora PostgreSQL, HIGHLY_SENSITIVE), job applicants
 *   (DynamoDB, CONFIDENTIAL, drill interval loosened with a reason), restore drills of every
 *   resource with databases restored into an isolated subnet group and security group, tighter
 *   data-access alarm thresholds, VPC flow logs.
 * - CRM data account: customer contacts (DynamoDB, CONFIDENTIAL) and support attachments (S3,
 *   INTERNAL), its own trail, vault, plan and drills.
 *
 *   cd examples/hr-records && npx cdk synth '**'
 *
 * In your own app, import from 'cdk-data-protection' instead of '../../lib'.
 */
import { App, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  DataProtection,
  AccessLogsBucket,
  DataAccountStack,
  DataAccountStackProps,
  DataClassification,
  DataProtectionStage,
} from '../../lib';

/** A private, versioned, TLS-only bucket encrypted with a key-account key. */
function dataBucket(stack: DataAccountStack, id: string, bucketName: string, level: DataClassification, accessLogs: s3.IBucket): s3.Bucket {
  const bucket = new s3.Bucket(stack, id, {
    bucketName,
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: stack.keyFor(level),
    bucketKeyEnabled: true,
    versioned: true,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: `${id.toLowerCase()}/`,
  });
  return bucket;
}

/** A table encrypted with the data account's fallback key for its level, with 35 days of PITR. */
function dataTable(stack: DataAccountStack, id: string, tableName: string, partitionKey: string, level: DataClassification): dynamodb.TableV2 {
  return new dynamodb.TableV2(stack, id, {
    tableName,
    partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(level)),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** The HR data account: employees, their documents, payroll, applicants. */
export class HrRecordsStack extends DataAccountStack {
  public readonly employees: dynamodb.TableV2;
  public readonly documents: s3.Bucket;
  public readonly payroll: rds.DatabaseCluster;
  public readonly applicants: dynamodb.TableV2;

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);

    this.employees = dataTable(this, 'Employees', 'hr-employees', 'employeeId', DataClassification.HIGHLY_SENSITIVE);
    // Tightening needs no reason: backups every 4 hours instead of the level's 12.
    DataProtection.classify(this.employees, DataClassification.HIGHLY_SENSITIVE, { backupIntervalHours: 4 });

    // One unlocked, SSE-S3 log bucket for S3 access logs and VPC flow logs of this account.
    const logs = new AccessLogsBucket(this, 'Logs').bucket;
    this.documents = dataBucket(this, 'Documents', `hr-documents-${this.account}`, DataClassification.CONFIDENTIAL, logs);
    DataProtection.classify(this.documents, DataClassification.CONFIDENTIAL);

    // Loosening needs a reason; it is written into the assembly and shows up in the report.
    this.applicants = dataTable(this, 'Applicants', 'hr-applicants', 'applicationId', DataClassification.CONFIDENTIAL);
    DataProtection.classify(this.applicants, DataClassification.CONFIDENTIAL, {
      drillIntervalDays: 180,
      overrideReason: 'Applicant records are re-importable from the recruiting SaaS export; HR risk review 2024-07 accepted a half-yearly drill',
    });

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2, // zones come from cdk.json context: no lookup, no credentials
      natGateways: 0,
      subnetConfiguration: [
        { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        // Restored drill copies land here, unreachable from the application subnets.
        { name: 'drill', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });
    // The default security group stays closed (aws-cdk-lib's Custom::VpcRestrictDefaultSG); its
    // deploy-time provider is acknowledged with reasons written into the template, where scanners see it.
    DataProtection.acknowledgeVpcDefaultSecurityGroupRestriction(vpc);
    this.payroll = new rds.DatabaseCluster(this, 'Payroll', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      vpc,
      vpcSubnets: { subnetGroupName: 'db' },
      storageEncryptionKey: this.keyFor(DataClassification.HIGHLY_SENSITIVE),
      backup: { retention: Duration.days(35) },
      deletionProtection: true,
      iamAuthentication: true,
      // RDS keeps and rotates the master password in Secrets Manager; applications use IAM auth.
      credentials: rds.Credentials.fromUsername('payroll_admin'),
      manageMasterUserPassword: true,
      cloudwatchLogsExports: ['postgresql'],
      monitoringInterval: Duration.seconds(60),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.payroll.node.findChild('MonitoringRole').node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'The AWS managed policy is the documented, RDS-maintained permission set for enhanced monitoring (CloudWatch Logs RDSOSMetrics only)',
    });
    // The managed master secret is encrypted with the key-account key of the payroll data.
    (this.payroll.node.defaultChild as rds.CfnDBCluster).masterUserSecret = { kmsKeyId: this.keyFor(DataClassification.HIGHLY_SENSITIVE).keyArn };
    // Connections without TLS are refused (rds.force_ssl = 1 in a cluster parameter group).
    DataProtection.forceTls(this.payroll);
    DataProtection.classify(this.payroll, DataClassification.HIGHLY_SENSITIVE);
    vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toS3(logs, 'vpc-flow-logs/') });
    const drillSubnets = new rds.SubnetGroup(this, 'DrillSubnets', {
      description: 'Isolated subnets for restore-drill copies of HR databases',
      vpc,
      vpcSubnets: { subnetGroupName: 'drill' },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const drillSecurityGroup = new ec2.SecurityGroup(this, 'DrillSecurityGroup', {
      vpc,
      description: 'Restore-drill copies: no ingress, no egress',
      allowAllOutbound: false,
    });

    this.protect({
      drill: { isolation: { dbSubnetGroupName: drillSubnets.subnetGroupName, securityGroupIds: [drillSecurityGroup.securityGroupId] } },
      // Tighter than the defaults: HR data is read by few people.
      dataAccessAlarms: { massReadThreshold: 500, accessDeniedThreshold: 5 },
    });
  }
}

/** The CRM data account: customer contacts and support attachments. */
export class CrmStack extends DataAccountStack {
  public readonly contacts: dynamodb.TableV2;
  public readonly attachments: s3.Bucket;

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);
    this.contacts = dataTable(this, 'Contacts', 'crm-contacts', 'contactId', DataClassification.CONFIDENTIAL);
    DataProtection.classify(this.contacts, DataClassification.CONFIDENTIAL);
    this.attachments = dataBucket(this, 'Attachments', `crm-attachments-${this.account}`, DataClassification.INTERNAL, new AccessLogsBucket(this, 'Logs').bucket);
    DataProtection.classify(this.attachments, DataClassification.INTERNAL);
    // INTERNAL data keeps its recovery points in this account's locked vault only (no copy required by the level).
    Validations.of(this.attachments.node.findChild('Resource')).acknowledge(
      ...['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled'].map((id) => ({
        id,
        reason: "INTERNAL support attachments: versioned, backed up daily into this account's locked vault (35 days); the INTERNAL policy requires no second copy",
      })),
    );
    this.protect();
  }
}

export interface HrRecordsApp {
  readonly stage: DataProtectionStage;
  readonly hr: HrRecordsStack;
  readonly crm: CrmStack;
}

/** Builds the HR records app into `app` (accounts and regions from cdk.json context). */
export function buildHrRecordsApp(app: App): HrRecordsApp {
  const accounts = DataProtection.accountsFromContext(app);
  const stage = new DataProtectionStage(app, 'HrRecords', { accounts, alarmEmails: ['hr-platform-oncall@example.com'] });
  const hr = new HrRecordsStack(stage, 'Hr', stage.dataStackProps(accounts.dataAccounts[0]));
  const crm = new CrmStack(stage, 'Crm', stage.dataStackProps(accounts.dataAccounts[1]));
  return { stage, hr, crm };
}

if (require.main === module) {
  const app = new App();
  // Every finding of the five packs fails `cdk synth '**'` unless acknowledged with a reason.
  DataProtection.addPacks(app);
  buildHrRecordsApp(app);
}

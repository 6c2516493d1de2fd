#!/usr/bin/env node
/**
 * Reference app: an HR application in the four-account layout (key, data, backup, audit) with
 * placeholder account ids from cdk.json context. `npx cdk synth` works offline with no AWS
 * credentials. Deployment order follows the stack dependencies.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  DataProtection,
  AccessLogsBucket,
  AuditAccountStack,
  BackupAccountStack,
  DataAccountStack,
  DataAccountStackProps,
  DataClassification,
  KeyAccountReplicaStack,
  KeyAccountStack,
} from '../lib';

/** The data account of an HR application: employee records, their documents, payroll. */
export class HrDataStack extends DataAccountStack {
  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);
    const employees = new dynamodb.TableV2(this, 'Employees', {
      tableName: 'hr-employees',
      partitionKey: { name: 'employeeId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.dynamoDbKeyFor(DataClassification.HIGHLY_SENSITIVE)),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    DataProtection.classify(employees, DataClassification.HIGHLY_SENSITIVE);

    const documents = new s3.Bucket(this, 'Documents', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.keyFor(DataClassification.CONFIDENTIAL),
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: new AccessLogsBucket(this, 'DocumentsAccessLogs').bucket,
    });
    DataProtection.classify(documents, DataClassification.CONFIDENTIAL);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2, // zones come from cdk.json context: no lookup, no credentials
      natGateways: 0,
      subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    // The default security group stays closed (aws-cdk-lib's Custom::VpcRestrictDefaultSG); its
    // deploy-time provider is acknowledged with reasons written into the template, where scanners see it.
    DataProtection.acknowledgeVpcDefaultSecurityGroupRestriction(vpc);
    // Network metadata of the subnets that hold payroll, kept with the audit logs' key and retention.
    const flowLogs = vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(this.auditLogGroup('VpcFlowLogs')) });
    DataProtection.acknowledgeInlinePolicy(flowLogs.node.findChild('IAMRole').node.tryFindChild('DefaultPolicy'));

    const payrollId = 'hr-payroll';
    // PostgreSQL logs can hold statement text: pre-create their log group, encrypted and retained.
    const payrollLogs = this.auditLogGroup('PayrollPostgresLogs', `/aws/rds/cluster/${payrollId}/postgresql`);
    const payroll = new rds.DatabaseCluster(this, 'Payroll', {
      clusterIdentifier: payrollId,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      storageEncryptionKey: this.keyFor(DataClassification.HIGHLY_SENSITIVE),
      // RDS creates and rotates the master password in Secrets Manager, encrypted with the data key;
      // applications connect with IAM authentication.
      manageMasterUserPassword: true,
      credentials: rds.Credentials.fromUsername('payroll_admin', { encryptionKey: this.keyFor(DataClassification.HIGHLY_SENSITIVE) }),
      cloudwatchLogsExports: ['postgresql'],
      monitoringInterval: Duration.seconds(60),
      backup: { retention: Duration.days(35) },
      deletionProtection: true,
      iamAuthentication: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    payroll.node.addDependency(payrollLogs);
    // Connections without TLS are refused (rds.force_ssl = 1 in a cluster parameter group).
    DataProtection.forceTls(payroll);
    DataProtection.acknowledgeManagedPolicy(
      payroll.node.findChild('MonitoringRole'),
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole'),
      'AmazonRDSEnhancedMonitoringRole is the AWS-maintained policy RDS enhanced monitoring requires; it only writes the RDSOSMetrics log group.',
    );
    DataProtection.classify(payroll, DataClassification.HIGHLY_SENSITIVE);

    // Backups, copies to the backup account, data-event trail, alarms and restore drills.
    this.protect();
  }

  /** A log group encrypted with the audit key (which CloudWatch Logs of data accounts may use), kept a year. */
  private auditLogGroup(id: string, logGroupName?: string): logs.LogGroup {
    return new logs.LogGroup(this, id, { logGroupName, encryptionKey: this.auditKey, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
  }
}

export interface ReferenceApp {
  readonly keys: KeyAccountStack;
  readonly keysDr?: KeyAccountReplicaStack;
  readonly backup: BackupAccountStack;
  readonly backupDr?: BackupAccountStack;
  readonly audit: AuditAccountStack;
  readonly data: HrDataStack;
}

export function buildReferenceApp(app: App): ReferenceApp {
  const accounts = DataProtection.accountsFromContext(app);
  const env = (account: string, region = accounts.primaryRegion) => ({ account, region });
  const after = (stack: Stack | undefined, ...deps: Array<[Stack | undefined, string]>) => deps.forEach(([d, why]) => stack && d && stack.addStackDependency(d, why));

  const keys = new KeyAccountStack(app, 'KeyAccount', { env: env(accounts.keyAccount), accounts });
  const keysDr = accounts.drRegion ? new KeyAccountReplicaStack(app, 'KeyAccountDr', { env: env(accounts.keyAccount, accounts.drRegion), accounts }) : undefined;
  // The payroll database's copies are drilled in an isolated network of the backup account (the
  // DR region receives no RDS/Aurora copies).
  const backup = new BackupAccountStack(app, 'BackupAccount', { env: env(accounts.backupAccount), accounts, copyDrill: { isolatedNetwork: {} } });
  const backupDr = accounts.drRegion ? new BackupAccountStack(app, 'BackupAccountDr', { env: env(accounts.backupAccount, accounts.drRegion), accounts }) : undefined;
  const audit = new AuditAccountStack(app, 'AuditAccount', { env: env(accounts.auditAccount), accounts, alarmEmails: ['security-oncall@example.com'] });
  const data = new HrDataStack(app, 'DataAccount', { env: env(accounts.dataAccounts[0]), accounts });

  after(keysDr, [keys, 'replicas are created from the primary keys']);
  after(backup, [keys, 'the backup key is resolved from the key account']);
  after(backupDr, [keysDr, 'the DR vault uses the backup key replica']);
  after(audit, [keys, 'the archive is encrypted with the audit key']);
  after(
    data,
    [keys, 'data keys are resolved from the key account'],
    [backup, 'copy jobs need the central vault and its access policy'],
    [backupDr, 'copy jobs need the DR vault'],
    [audit, 'CloudTrail checks the archive bucket policy when the trail is created'],
  );
  return { keys, keysDr, backup, backupDr, audit, data };
}

if (require.main === module) {
  // The five packs run on every synth: an unacknowledged error finding fails `cdk synth`, with
  // the rule id and its explanation.
  const app = new App();
  DataProtection.addPacks(app, { verbose: true });
  buildReferenceApp(app);
}

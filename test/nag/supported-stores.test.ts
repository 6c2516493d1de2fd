import { Template } from 'aws-cdk-lib/assertions';
import { App, Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { AccessLogsBucket } from '../../lib/backup/object-lock-bucket';
import { classify } from '../../lib/classification/classify';
import { DataClassification } from '../../lib/classification/data-classification';
import { acknowledgeVpcDefaultSecurityGroupRestriction } from '../../lib/core/acknowledgements';
import { DataProtectionChecks } from '../../lib/nag/data-protection-checks';
import { DataAccountStack } from '../../lib/topology/data-account-stack';
import * as cdkJson from '../../cdk.json';
import { ACCOUNTS, DATA_ACCOUNT, REGION } from '../helpers';

/**
 * Every L2 a user may pick for a data store the library protects (s3.Bucket, dynamodb.Table,
 * dynamodb.TableV2, rds.DatabaseCluster, rds.DatabaseInstance, efs.FileSystem, ec2.Volume),
 * configured as the README asks (customer managed key of its level, PITR, deletion protection),
 * classified and protected: the five packs find no unacknowledged error, and every
 * acknowledgement on them carries a reason. One app, synthesized once.
 */

process.env.CDK_VALIDATION = 'false';

const app = new App({ context: cdkJson.context });
const stack = new DataAccountStack(app, 'Stores', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
const level = DataClassification.CONFIDENTIAL;
const key = stack.keyFor(level);
const logs = new AccessLogsBucket(stack, 'Logs').bucket;

const bucket = new s3.Bucket(stack, 'Bucket', {
  encryption: s3.BucketEncryption.KMS,
  encryptionKey: key,
  bucketKeyEnabled: true,
  versioned: true,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  serverAccessLogsBucket: logs,
  serverAccessLogsPrefix: 'bucket/',
  removalPolicy: RemovalPolicy.RETAIN,
});
const table = new dynamodb.Table(stack, 'Table', {
  partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
  encryptionKey: stack.dynamoDbKeyFor(level),
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
});
const tableV2 = new dynamodb.TableV2(stack, 'TableV2', {
  partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
  encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(level)),
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
});

const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toS3(logs, 'vpc-flow-logs/') });
acknowledgeVpcDefaultSecurityGroupRestriction(vpc);
const database = {
  vpc,
  vpcSubnets: { subnetGroupName: 'db' },
  storageEncryptionKey: key,
  deletionProtection: true,
  iamAuthentication: true,
  credentials: rds.Credentials.fromUsername('admin_user'),
  monitoringInterval: Duration.seconds(60),
  removalPolicy: RemovalPolicy.RETAIN,
};
const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
  ...database,
  engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
  writer: rds.ClusterInstance.serverlessV2('Writer'),
  backup: { retention: Duration.days(35) },
  manageMasterUserPassword: true,
  cloudwatchLogsExports: ['postgresql'],
});
const instance = new rds.DatabaseInstance(stack, 'Instance', {
  ...database,
  engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16_4 }),
  instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
  multiAz: true,
  port: 5433,
  backupRetention: Duration.days(35),
  manageMasterUserPassword: true,
  cloudwatchLogsExports: ['postgresql', 'upgrade'],
});
const fileSystem = new efs.FileSystem(stack, 'FileSystem', {
  vpc,
  vpcSubnets: { subnetGroupName: 'db' },
  encrypted: true,
  kmsKey: key,
  removalPolicy: RemovalPolicy.RETAIN,
});
const volume = new ec2.Volume(stack, 'Volume', {
  availabilityZone: `${REGION}a`,
  size: Size.gibibytes(10),
  encrypted: true,
  encryptionKey: key,
  removalPolicy: RemovalPolicy.RETAIN,
});

// The user's own choice, as the examples make it: enhanced monitoring needs AWS's managed role policy.
for (const db of [cluster, instance]) {
  Validations.of(db.node.findChild('MonitoringRole').node.findChild('Resource')).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    reason: 'AmazonRDSEnhancedMonitoringRole is the AWS-maintained policy RDS enhanced monitoring requires; it only writes the RDSOSMetrics log group.',
  });
}

const stores = { bucket, table, tableV2, cluster, instance, fileSystem, volume };
for (const store of Object.values(stores)) classify(store, level);
stack.protect();

const packs: NagPack[] = [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks(), new DataProtectionChecks()];
app.synth();
const violations = packs.flatMap((p) => p.validateScope(stack).violations);
const findings = (severity: string) =>
  violations.filter((v) => v.severity === severity).flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)).sort();

test('each store is classified and protected: backed up by the stack\'s plan, and drilled', () => {
  expect(stack.backupPlan!.covered.map((r) => r.scope.node.id).sort()).toEqual(Object.values(stores).map((x) => x.node.id).sort());
  // The account's drill finds them at run time by tag; their names travel as tags.
  const names = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, any>)
    .flatMap((r) => [...(r.Properties?.Tags ?? []), ...(r.Properties?.Replicas ?? []).flatMap((x: any) => x.Tags ?? [])])
    .filter((t: any) => t.Key === 'data-protection:drill-name')
    .map((t: any) => t.Value);
  expect([...new Set(names)].sort()).toEqual(['bucket', 'cluster', 'filesystem', 'instance', 'table', 'tablev2', 'volume']);
});

test('no unacknowledged error of the five packs', () => {
  expect(findings('error')).toEqual([]);
});

test('no unacknowledged warning either', () => {
  expect(findings('warning')).toEqual([]);
});

test('every acknowledgement in the stack carries a reason of at least one sentence', () => {
  const acknowledged = stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data as Record<string, string> })))
    .flatMap(({ path, data }) => Object.entries(data).filter(([id]) => /^annotation::/i.test(id)).map(([id, reason]) => ({ path, id, reason })));
  // The library's own: the backup-plan rules of every store type the plan selects by tag (Aurora: on the cluster's instances).
  // (The drill's task-token table acknowledges the rule for itself: it holds only tokens.)
  const onStores = acknowledged.filter((a) => /InBackupPlan$/.test(a.id)).map((a) => a.path.split('/')[1]).filter((p) => p !== 'RestoreDrill');
  expect([...new Set(onStores)].sort()).toEqual(['Cluster', 'FileSystem', 'Instance', 'Table', 'Volume']);
  expect(acknowledged.filter((a) => typeof a.reason !== 'string' || a.reason.trim().length < 20)).toEqual([]);
});

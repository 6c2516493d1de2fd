// A user's own CDK app, compiled by the consumer test with tsc (strict flags) and run with plain
// node: it imports the packed library as 'cdk-data-protection', with its own aws-cdk-lib,
// constructs and cdk-nag. BAD_BUCKET=1 adds an unencrypted, unclassified bucket that the packs
// must reject.
import { App, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  AccessLogsBucket,
  DataAccountStack,
  DataAccountStackProps,
  DataClassification,
  DataProtection,
  DataProtectionStage,
} from 'cdk-data-protection';

class ShopStack extends DataAccountStack {
  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);
    const orders = new dynamodb.TableV2(this, 'Orders', {
      tableName: `shop-orders-${id.toLowerCase()}`,
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.dynamoDbKeyFor(DataClassification.CONFIDENTIAL)),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    DataProtection.classify(orders, DataClassification.CONFIDENTIAL);

    const invoices = new s3.Bucket(this, 'Invoices', {
      bucketName: `shop-invoices-${this.account}`,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.keyFor(DataClassification.CONFIDENTIAL),
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: new AccessLogsBucket(this, 'InvoicesAccessLogs').bucket,
    });
    DataProtection.classify(invoices, DataClassification.CONFIDENTIAL);

    if (process.env['BAD_BUCKET'] === '1' && id === 'Shop') {
      // What the packs exist for: unencrypted, unclassified, no TLS policy, no logs.
      new s3.Bucket(this, 'ForgottenExport', { encryption: s3.BucketEncryption.UNENCRYPTED });
    }
  }
}

const app = new App();
DataProtection.addPacks(app);
const accounts = DataProtection.accountsFromContext(app);
const stage = new DataProtectionStage(app, 'Prod', { accounts, alarmEmails: ['security-oncall@example.com'] });
const [first, second] = accounts.dataAccounts;
if (first === undefined || second === undefined) throw new Error('the consumer test needs two data accounts in cdk.json');
new ShopStack(stage, 'Shop', stage.dataStackProps(first));
new ShopStack(stage, 'ShopEu', stage.dataStackProps(second));

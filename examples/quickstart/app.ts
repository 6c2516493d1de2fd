#!/usr/bin/env node
/**
 * Quickstart: the smallest useful app. One DynamoDB table and one S3 bucket, classified and
 * protected end to end — keys in the key account, locked backups copied to the backup account,
 * data events into the audit account's archive, alarms, and scheduled restore drills — by one
 * `DataProtectionStage`, one `DataAccountStack` subclass and `protect()`.
 *
 *   cd examples/quickstart && npx cdk synth
 *
 * In your own app, import from 'cdk-data-protection' instead of '../../lib'.
 */
import { App, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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

/** Your data account: add resources, encrypt them with the key-account keys, classify, protect. */
export class QuickstartDataStack extends DataAccountStack {
  public readonly orders: dynamodb.TableV2;
  public readonly invoices: s3.Bucket;

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);

    this.orders = new dynamodb.TableV2(this, 'Orders', {
      tableName: 'quickstart-orders',
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      // DynamoDB only documents keys of its own account: a fallback key administered from the key account.
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.dynamoDbKeyFor(DataClassification.CONFIDENTIAL)),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    DataProtection.classify(this.orders, DataClassification.CONFIDENTIAL);

    this.invoices = new s3.Bucket(this, 'Invoices', {
      bucketName: `quickstart-invoices-${this.account}`,
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
    DataProtection.classify(this.invoices, DataClassification.CONFIDENTIAL);

    // Backups + copies, data-event trail, alarms and restore drills for everything classified above.
    this.protect();
  }
}

export interface QuickstartApp {
  readonly stage: DataProtectionStage;
  readonly data: QuickstartDataStack;
}

/** Builds the quickstart into `app` (accounts and regions from cdk.json context). */
export function buildQuickstartApp(app: App): QuickstartApp {
  const stage = new DataProtectionStage(app, 'Quickstart', { accounts: DataProtection.accountsFromContext(app), alarmEmails: ['security-oncall@example.com'] });
  const data = new QuickstartDataStack(stage, 'Shop', stage.dataStackProps());
  return { stage, data };
}

if (require.main === module) {
  const app = new App();
  // Every finding of the five packs fails `cdk synth` unless acknowledged with a reason.
  DataProtection.addPacks(app);
  buildQuickstartApp(app);
}

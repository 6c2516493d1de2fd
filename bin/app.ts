#!/usr/bin/env node
/**
 * Reference app: the four-account layout with placeholder account ids from cdk.json context.
 * `npx cdk synth` works offline with no AWS credentials.
 */
import { App, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accountsFromContext, classify, DataAccountStack, DataAccountStackProps, DataClassification, KeyAccountStack } from '../lib';

/** The data account of an HR application: employee records and their documents. */
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
    classify(employees, DataClassification.HIGHLY_SENSITIVE);

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
    });
    classify(documents, DataClassification.CONFIDENTIAL);
  }
}

export function buildReferenceApp(app: App): { keys: KeyAccountStack; data: HrDataStack } {
  const accounts = accountsFromContext(app);
  const env = (account: string) => ({ account, region: accounts.primaryRegion });
  const keys = new KeyAccountStack(app, 'KeyAccount', { env: env(accounts.keyAccount), accounts });
  const data = new HrDataStack(app, 'DataAccount', { env: env(accounts.dataAccounts[0]), accounts });
  data.addStackDependency(keys, 'data keys are resolved from the key account at deploy time');
  return { keys, data };
}

if (require.main === module) {
  buildReferenceApp(new App());
}

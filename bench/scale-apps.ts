/**
 * Apps of N classified resources (mixed S3, DynamoDB, Aurora) for the synth-scale benchmark and
 * the scale tests: once protected by the library, once as plain aws-cdk-lib L2 constructs.
 * Resources are spread over stacks of RESOURCES_PER_STACK, as a real app of that size must be.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DataProtection, DataAccountStack, DataClassification, DataProtectionAccounts } from '../lib';

/** Classified resources per stack by default (BENCH_PER_STACK overrides it in the benchmark). */
export const RESOURCES_PER_STACK = 50;

export const BENCH_ACCOUNTS: DataProtectionAccounts = {
  keyAccount: '111111111111',
  dataAccounts: ['222222222222'],
  backupAccount: '333333333333',
  auditAccount: '444444444444',
  primaryRegion: 'eu-west-1',
  drRegion: 'eu-central-1',
};

export type Mode = 'plain' | 'protected';

/**
 * The context `cdk synth` gives an app: cdk.json's (feature flags, placeholder accounts) plus the
 * CLI's defaults (toolkit-lib contextFromSettings: path and asset metadata, version reporting),
 * so templates are as large as a user's.
 */
export function cliContext(): Record<string, unknown> {
  return {
    ...JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')).context,
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:version-reporting': true,
  };
}

interface Keys {
  s3?: kms.IKey;
  dynamodb?: kms.IKey;
  rds?: kms.IKey;
}

/** The kind of the i-th resource: 45% S3, 45% DynamoDB, 10% Aurora. */
export function kindOf(i: number): 's3' | 'dynamodb' | 'aurora' {
  const r = i % 20;
  return r < 9 ? 's3' : r < 18 ? 'dynamodb' : 'aurora';
}

const LEVELS = [DataClassification.INTERNAL, DataClassification.CONFIDENTIAL, DataClassification.HIGHLY_SENSITIVE];

/**
 * Literal names with the level as prefix, as a platform team names data at this scale: the
 * trail then covers each type with one StartsWith value per level (500-value selector limit).
 */
export function nameOf(i: number): string {
  return `${LEVELS[i % LEVELS.length].name.toLowerCase().replace(/_/g, '-')}-bench-${i}`;
}

function addResource(scope: Construct, i: number, keys: Keys, vpc: () => ec2.IVpc): Construct {
  switch (kindOf(i)) {
    case 's3':
      return new s3.Bucket(scope, `Bucket${i}`, {
        bucketName: nameOf(i),
        encryption: keys.s3 ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
        encryptionKey: keys.s3,
        bucketKeyEnabled: keys.s3 ? true : undefined,
        versioned: true,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    case 'dynamodb':
      return new dynamodb.TableV2(scope, `Table${i}`, {
        tableName: nameOf(i),
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        encryption: keys.dynamodb ? dynamodb.TableEncryptionV2.customerManagedKey(keys.dynamodb) : undefined,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    case 'aurora':
      return new rds.DatabaseCluster(scope, `Aurora${i}`, {
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
        writer: rds.ClusterInstance.serverlessV2('Writer'),
        vpc: vpc(),
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        storageEncrypted: true,
        storageEncryptionKey: keys.rds,
        removalPolicy: RemovalPolicy.RETAIN,
      });
  }
}

function lazyVpc(stack: Stack): () => ec2.IVpc {
  let vpc: ec2.IVpc | undefined;
  return () => (vpc ??= new ec2.Vpc(stack, 'Vpc', { availabilityZones: [`${stack.region}a`, `${stack.region}b`], natGateways: 0, subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] }));
}

/** Builds the app; returns it unsynthesized. */
export function buildScaleApp(mode: Mode, n: number, app = new App(), perStack = RESOURCES_PER_STACK): App {
  const env = { account: BENCH_ACCOUNTS.dataAccounts[0], region: BENCH_ACCOUNTS.primaryRegion };
  for (let start = 0, s = 0; start < n; start += perStack, s++) {
    const count = Math.min(perStack, n - start);
    if (mode === 'plain') {
      const stack = new Stack(app, `Plain${s}`, { env });
      const vpc = lazyVpc(stack);
      for (let i = start; i < start + count; i++) addResource(stack, i, {}, vpc);
    } else {
      // One stack per account holds the trail and Audit Manager frameworks; the others protect their own resources.
      const stack = new DataAccountStack(app, `Data${s}`, { env, accounts: BENCH_ACCOUNTS, accountWide: s === 0 });
      const vpc = lazyVpc(stack);
      for (let i = start; i < start + count; i++) {
        const level = LEVELS[i % LEVELS.length];
        const keys: Keys = { s3: stack.keyFor(level), rds: stack.keyFor(level), dynamodb: stack.dynamoDbKeyFor(level) };
        DataProtection.classify(addResource(stack, i, keys, vpc), level);
      }
      stack.protect();
    }
  }
  return app;
}

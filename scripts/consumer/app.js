// The same library from plain JavaScript (CommonJS require, no TypeScript anywhere): a
// single-account evaluation stage with one classified bucket, synthesized in-process.
const { App, RemovalPolicy } = require('aws-cdk-lib');
const s3 = require('aws-cdk-lib/aws-s3');
const { AccessLogsBucket, DataAccountStack, DataClassification, DataProtection, DataProtectionStage } = require('cdk-data-protection');

const app = new App({ outdir: process.argv[2] });
DataProtection.addPacks(app);
const stage = DataProtectionStage.singleAccount(app, 'Eval', { account: '222222222222', primaryRegion: 'eu-west-1', reason: 'consumer test: plain JavaScript', alarmEmails: ['security-oncall@example.com'] });
const data = new DataAccountStack(stage, 'Data', stage.dataStackProps());
const bucket = new s3.Bucket(data, 'Reports', {
  bucketName: 'js-consumer-reports-222222222222',
  encryption: s3.BucketEncryption.KMS,
  encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL),
  bucketKeyEnabled: true,
  versioned: true,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
  serverAccessLogsBucket: new AccessLogsBucket(data, 'ReportsAccessLogs').bucket,
});
DataProtection.classify(bucket, DataClassification.CONFIDENTIAL);
data.protect();
const assembly = app.synth();
const stacks = assembly.nestedAssemblies.flatMap((a) => a.nestedAssembly.stacks.map((s) => s.stackName));
if (stacks.length < 2) throw new Error(`expected the evaluation stage's stacks, got ${stacks.join(', ')}`);
console.log(JSON.stringify({ stacks }));

import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { controlsOf, CONTROLS, ObjectLockBucket, ObjectLockMode } from '../lib';
import { BACKUP_ACCOUNT, testStack } from '../helpers';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555';

describe('ObjectLockBucket', () => {
  test('COMPLIANCE default retention, versioning, SSE-KMS with bucket keys, no public access, TLS 1.2, retained', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    const b = new ObjectLockBucket(stack, 'Archive', { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN), retention: Duration.days(400) });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } } },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      },
      DeletionPolicy: 'Retain',
    });
    // The locked bucket's own policy (the stack holds its access-log bucket's policy too, with a
    // TLS statement of its own), statements whole.
    const id = stack.getLogicalId(b.bucket.node.defaultChild as s3.CfnBucket);
    const own = Object.values(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: id } } }));
    expect(own).toHaveLength(1);
    const arn = { 'Fn::GetAtt': [id, 'Arn'] };
    const objects = { 'Fn::Join': ['', [arn, '/*']] };
    const anyone = { AWS: '*' };
    expect(own[0].Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        { Effect: 'Deny', Principal: anyone, Action: 's3:*', Resource: [arn, objects], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Effect: 'Deny', Principal: anyone, Action: 's3:*', Resource: [arn, objects], Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } },
        { Sid: 'DenyUnencryptedOrWrongKeyUploads', Effect: 'Deny', Principal: anyone, Action: 's3:PutObject', Resource: objects, Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } } },
        { Sid: 'DenyUploadsWithAnotherKey', Effect: 'Deny', Principal: anyone, Action: 's3:PutObject', Resource: objects, Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN } } },
      ]),
    );
    Annotations.fromStack(stack).hasWarning('/Test/Archive', Match.stringLikeRegexp('IRREVERSIBLE: Object Lock COMPLIANCE'));
    expect(controlsOf(b.bucket)).toEqual([expect.objectContaining({ control: CONTROLS.OBJECT_LOCK, mode: 'COMPLIANCE', retentionDays: 400 })]);
  });

  test('without required headers, uploads naming another key or encryption are still denied', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    new ObjectLockBucket(stack, 'Archive', { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN), requireEncryptionHeaders: false });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyUploadsWithAnotherKey',
            Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN }, Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' } },
          }),
        ]),
      },
    });
  });

  test('GOVERNANCE needs a reason', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    expect(() => new ObjectLockBucket(stack, 'A', { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN), mode: ObjectLockMode.GOVERNANCE })).toThrow(
      /ObjectLockBucketProps.governanceReason needs a non-empty reason/,
    );
  });

  test('Object Lock retention of 0 is an error', () => {
    const stack = testStack(BACKUP_ACCOUNT);
    expect(() => new ObjectLockBucket(stack, 'A', { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN), retention: Duration.days(0) })).toThrow(
      'ObjectLockBucketProps.retention must be between 1 and 36500 days, got 0 days',
    );
  });

  test('a bucket without a CMK is an error', () => {
    expect(() => new ObjectLockBucket(testStack(BACKUP_ACCOUNT), 'A', { encryptionKey: undefined as any })).toThrow(/ObjectLockBucketProps.encryptionKey is required/);
  });
});

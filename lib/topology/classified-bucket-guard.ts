import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { ClassifiedResources } from '../classification/classify';
import { breakGlassRoleArn, defaultDeploymentRoleArn } from '../core/break-glass';
import { CONTROLS, recordControl } from '../core/controls';
import { DEFAULT_BREAK_GLASS_ROLE_NAME } from '../keys/protected-key';

/**
 * Bucket-level actions only the deployment role (CloudFormation applies the bucket's configuration
 * and policy) and the break-glass role may take on a classified bucket. Each IAM action also
 * covers the matching delete call: DeleteBucketLifecycle needs s3:PutLifecycleConfiguration,
 * DeleteBucketEncryption s3:PutEncryptionConfiguration, DeleteBucketReplication
 * s3:PutReplicationConfiguration (Amazon S3 API Reference, "Permissions" of each operation).
 * The policy actions are exempted for the deployment role, or CloudFormation could no longer
 * update or delete the bucket's policy. S3 always lets the bucket owner's root user call
 * PutBucketPolicy and DeleteBucketPolicy, whatever the policy says (Amazon S3 User Guide,
 * "Adding a bucket policy by using the Amazon S3 console").
 */
export const BUCKET_GUARDED_ACTIONS = [
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
  's3:PutEncryptionConfiguration',
  's3:PutReplicationConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
];

/** The KMS values of `s3:x-amz-server-side-encryption` (SSE-KMS and DSSE-KMS, both under the named key). */
const KMS_ENCRYPTION = ['aws:kms', 'aws:kms:dsse'];

/**
 * The upload statements of a bucket whose default encryption is `keyArn`, after "Requiring SSE-KMS
 * for all objects written to a bucket" / "Requiring a specific key" (Amazon S3 User Guide, "Using
 * server-side encryption with AWS KMS keys (SSE-KMS)",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms).
 * An upload without encryption headers is encrypted with the bucket's default key and stays
 * allowed: every condition is `...IfExists` or tests the header's presence. Denied: an upload that
 * names another key (`s3:x-amz-server-side-encryption-aws-kms-key-id`, compared with the key ARN:
 * the condition needs the ARN, so an upload naming this key by id or alias is refused too), another
 * encryption type (`s3:x-amz-server-side-encryption` other than aws:kms / aws:kms:dsse), aws:kms
 * without a key id (S3 would use the AWS managed key aws/s3), and customer-provided keys
 * (`s3:x-amz-server-side-encryption-customer-algorithm` present). CopyObject and
 * CreateMultipartUpload are authorized as s3:PutObject with the same headers.
 */
export function uploadKeyStatements(bucket: s3.IBucket, keyArn: string): iam.PolicyStatement[] {
  const deny = (sid: string, conditions: Record<string, unknown>) =>
    new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')], conditions });
  return [
    deny('DenyUploadsUnderAnotherKmsKey', { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn } }),
    deny('DenyUploadsWithAnotherEncryptionType', { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': KMS_ENCRYPTION } }),
    deny('DenyKmsUploadsWithoutTheBucketKey', { StringEquals: { 's3:x-amz-server-side-encryption': KMS_ENCRYPTION }, Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' } }),
    deny('DenyUploadsWithCustomerProvidedKeys', { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } }),
  ];
}

/** The statement denying `BUCKET_GUARDED_ACTIONS` on `bucket` to every principal but `exempt` (the `denyAllBut` condition, scoped to the bucket: S3 accepts only its own ARNs as resources). */
export function bucketConfigurationStatement(bucket: s3.IBucket, exempt: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyProtectionChangesExceptDeploymentAndBreakGlass',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: BUCKET_GUARDED_ACTIONS,
    resources: [bucket.bucketArn],
    conditions: { ArnNotLike: { 'aws:PrincipalArn': exempt } },
  });
}

/**
 * Guards every S3 bucket under `scope` whose classification requires a CMK (`requireCmk`: INTERNAL
 * and above by default): it holds only objects under its own key, and only the deployment and
 * break-glass roles change its versioning, lifecycle, default encryption, replication or policy.
 * The level decides because `requireCmk` is the promise the upload denies keep (objects under the
 * level's key), and the configuration denies keep the backups and versions the level's plan relies on.
 * A bucket that is not an `s3.Bucket` of this app (an L1 `CfnBucket`) gets a warning naming what to
 * add; an `s3.Bucket` without a KMS key gets the configuration denies and a warning.
 */
export function guardClassifiedBuckets(scope: IConstruct): void {
  const stack = Stack.of(scope);
  const exempt = [defaultDeploymentRoleArn(), breakGlassRoleArn(stack, DEFAULT_BREAK_GLASS_ROLE_NAME)];
  for (const r of ClassifiedResources.within(scope).filter((c) => c.policy.requireCmk)) {
    if (r.cfnResource === undefined && isImportedBucket(r.scope)) {
      // Its policy belongs to whoever created the bucket: adding to it would be silently dropped.
      Annotations.of(r.scope).addWarningV2(
        'cdk-data-protection:bucket-guard-imported',
        `${r.scope.node.path} is an imported bucket: this app cannot change its policy, so it gets no upload or configuration denies; add them where the bucket is defined (README, "Protecting a data account")`,
      );
      continue;
    }
    if (r.resourceType !== 'AWS::S3::Bucket') continue;
    const bucket = r.scope;
    if (!(bucket instanceof s3.Bucket)) {
      Annotations.of(bucket).addWarningV2(
        'cdk-data-protection:bucket-guard-l1',
        `${bucket.node.path} is classified as a CfnBucket, whose policy this library cannot extend: add to its bucket policy the denies of uploads under another key and of s3:${BUCKET_GUARDED_ACTIONS.map((a) => a.slice(3)).join('/')} by all but the deployment and break-glass roles (README, "Protecting a data account")`,
      );
      continue;
    }
    const statements = [bucketConfigurationStatement(bucket, exempt), permanentDeletionStatement(bucket, exempt[1])];
    if (bucket.encryptionKey) statements.push(...uploadKeyStatements(bucket, bucket.encryptionKey.keyArn));
    else {
      Annotations.of(bucket).addWarningV2(
        'cdk-data-protection:bucket-guard-no-key',
        `${bucket.node.path} is classified ${r.classification.name} but has no KMS key of this app (encryptionKey): uploads under another key cannot be denied`,
      );
    }
    for (const s of statements) bucket.addToResourcePolicy(s);
    recordControl(bucket, CONTROLS.BUCKET_GUARD, { uploadKey: bucket.encryptionKey !== undefined });
  }
}

/**
 * Permanent deletion of object versions is break-glass only: `s3:DeleteObjectVersion` is the
 * permission of a DeleteObject (and DeleteObjects) call that names a version id ("DeleteObject",
 * Amazon S3 API Reference, Permissions); a delete without a version id adds a delete marker and
 * stays allowed, so the previous versions remain for the backups and the drill. Not even the
 * deployment role is exempt: CloudFormation does not delete object versions of a retained bucket.
 */
export function permanentDeletionStatement(bucket: s3.IBucket, breakGlassArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyPermanentDeletionExceptBreakGlass',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:DeleteObjectVersion'],
    resources: [bucket.arnForObjects('*')],
    conditions: { ArnNotLike: { 'aws:PrincipalArn': [breakGlassArn] } },
  });
}

/** An `s3.IBucket` imported by name or ARN (no CloudFormation resource in this app). */
function isImportedBucket(scope: IConstruct): boolean {
  return !(scope instanceof s3.Bucket) && 'bucketArn' in scope && 'arnForObjects' in scope;
}

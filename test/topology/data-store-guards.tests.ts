import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, DataAccountStack, DataClassification, DataPerimeterOptions } from '../lib';
import { METADATA } from '../../lib/core/constants';
import { controlsOf } from '../../lib/core/controls';
import { ACCOUNTS, DATA_ACCOUNT, REGION } from '../helpers';

function dataStack(): DataAccountStack {
  return new DataAccountStack(new App(), 'Hr', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, alarmEmails: ['security@example.com'] });
}

function bucketPolicyOf(template: Template, bucketLogicalIdPrefix: string): any[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as any[];
  const own = policies.filter((p) => JSON.stringify(p.Properties.Bucket).includes(bucketLogicalIdPrefix));
  return own.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('classified buckets of a DataAccountStack', () => {
  test('a CONFIDENTIAL bucket denies uploads under another key and protection changes by all but the deployment and break-glass roles', () => {
    const stack = dataStack();
    const key = stack.keyFor(DataClassification.CONFIDENTIAL);
    classify(new s3.Bucket(stack, 'Exports', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, versioned: true }), DataClassification.CONFIDENTIAL);
    const template = Template.fromStack(stack);
    const statements = bucketPolicyOf(template, 'Exports');
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    const keyArn = stack.resolve(key.keyArn);
    // Uploads without headers get the default key and stay allowed: every condition is ...IfExists or tests presence.
    expect(bySid.DenyUploadsUnderAnotherKmsKey).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn } } });
    expect(bySid.DenyUploadsWithAnotherEncryptionType.Condition).toEqual({ StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] } });
    expect(bySid.DenyKmsUploadsWithoutTheBucketKey.Condition).toEqual({
      StringEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] },
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
    });
    expect(bySid.DenyUploadsWithCustomerProvidedKeys.Condition).toEqual({ Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } });
    const config = bySid.DenyProtectionChangesExceptDeploymentAndBreakGlass;
    expect(config.Effect).toBe('Deny');
    expect(config.Action).toEqual(['s3:PutBucketVersioning', 's3:PutLifecycleConfiguration', 's3:PutEncryptionConfiguration', 's3:PutReplicationConfiguration', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']);
    const exempt = JSON.stringify(config.Condition.ArnNotLike['aws:PrincipalArn']);
    expect(exempt).toContain('cdk-hnb659fds-cfn-exec-role');
    expect(exempt).toContain('role/data-protection-break-glass');
    // Scoped to the bucket (S3 refuses resources outside it).
    expect(config.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Exports/), 'Arn'] });
    // Versions are deleted permanently by break-glass only, not even by the deployment role (threat A12).
    const versions = bySid.DenyPermanentDeletionExceptBreakGlass;
    expect(versions).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:DeleteObjectVersion' });
    expect(JSON.stringify(versions.Condition.ArnNotLike['aws:PrincipalArn'])).toMatch(/^\[.*role\/data-protection-break-glass.*\]$/);
    expect(JSON.stringify(versions.Condition)).not.toContain('cdk-hnb659fds-cfn-exec-role');
  });

  test('an unclassified or PUBLIC bucket gets nothing', () => {
    const stack = dataStack();
    new s3.Bucket(stack, 'Scratch', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.INTERNAL) });
    classify(new s3.Bucket(stack, 'Website'), DataClassification.PUBLIC);
    const template = Template.fromStack(stack);
    for (const id of ['Scratch', 'Website']) {
      const sids = bucketPolicyOf(template, id).map((s) => s.Sid);
      expect(sids).not.toContain('DenyUploadsUnderAnotherKmsKey');
      expect(sids).not.toContain('DenyProtectionChangesExceptDeploymentAndBreakGlass');
    }
  });

  test('an L1 CfnBucket or an imported bucket is not silently skipped: a warning says what to add', () => {
    const stack = dataStack();
    classify(new s3.CfnBucket(stack, 'Legacy'), DataClassification.CONFIDENTIAL);
    classify(s3.Bucket.fromBucketName(stack, 'Shared', 'shared-exports'), DataClassification.CONFIDENTIAL);
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Hr/Legacy', Match.stringLikeRegexp('classified as a CfnBucket.*uploads under another key'));
    annotations.hasWarning('/Hr/Shared', Match.stringLikeRegexp('imported bucket.*no upload or configuration denies'));
  });
});

describe('DataStoreTamperAlarms in the account-wide data stack', () => {
  test('one rule on deletion protection off, PITR changes, table deletion and bucket protection changes, notifying the alarm topic', () => {
    const template = Template.fromStack(dataStack());
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r: any) => String(r.Properties.Description).includes('data store weakened')) as any[];
    expect(rules).toHaveLength(1);
    const pattern = rules[0].Properties.EventPattern;
    expect(pattern.source.sort()).toEqual(['aws.dynamodb', 'aws.rds', 'aws.s3']);
    expect(pattern['detail-type']).toEqual(['AWS API Call via CloudTrail']);
    expect(pattern.detail.$or).toEqual([
      { eventSource: ['dynamodb.amazonaws.com'], eventName: ['UpdateTable'], requestParameters: { deletionProtectionEnabled: [false] } },
      { eventSource: ['dynamodb.amazonaws.com'], eventName: ['UpdateContinuousBackups', 'DeleteTable'] },
      // Re-encryption with another key (issue 19, threat A13), whatever the casing of the logged member.
      {
        eventSource: ['dynamodb.amazonaws.com'],
        eventName: ['UpdateTable'],
        requestParameters: { $or: [{ sSESpecification: [{ exists: true }] }, { sseSpecification: [{ exists: true }] }, { SSESpecification: [{ exists: true }] }] },
      },
      { eventSource: ['rds.amazonaws.com'], eventName: ['ModifyDBCluster', 'ModifyDBInstance'], requestParameters: { deletionProtection: [false] } },
      {
        eventSource: ['s3.amazonaws.com'],
        eventName: ['PutBucketVersioning', 'PutBucketLifecycle', 'DeleteBucketLifecycle', 'PutBucketEncryption', 'DeleteBucketEncryption', 'PutBucketReplication', 'DeleteBucketReplication', 'PutBucketPolicy', 'DeleteBucketPolicy'],
      },
    ]);
    expect(JSON.stringify(rules[0].Properties.Targets)).toContain('AlarmsTopic');
  });

  test('a second data stack of the account does not add the rule again', () => {
    const app = new App();
    new DataAccountStack(app, 'A', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, alarmEmails: ['security@example.com'] });
    const b = new DataAccountStack(app, 'B', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    expect(JSON.stringify(b.node.findAll().map((c) => c.node.id))).not.toContain('DataStoreTamperAlarms');
  });
});

// =============================================================================================
// The data perimeter of classified buckets (one file with the other guards of classified stores above: one module load).
{
  const ORG = 'o-exampleorg1';

  /** Each configuration is built (and synthesized) once for the file: the tests only read it. */
  const built = new Map<string, ReturnType<typeof build>>();
  function stackWith(organizationId: string | undefined, dataPerimeter?: DataPerimeterOptions) {
    const key = JSON.stringify([organizationId, dataPerimeter]);
    if (!built.has(key)) built.set(key, build(organizationId, dataPerimeter));
    return built.get(key)!;
  }

  function build(organizationId: string | undefined, dataPerimeter?: DataPerimeterOptions) {
    const stack = new DataAccountStack(new App(), 'Hr', {
      env: { account: DATA_ACCOUNT, region: REGION },
      accounts: { ...ACCOUNTS, organizationId },
      alarmEmails: ['security@example.com'],
      dataPerimeter,
    });
    const key = stack.keyFor(DataClassification.CONFIDENTIAL);
    const payroll = new s3.Bucket(stack, 'Payroll', { bucketName: 'hr-payroll', encryptionKey: key, encryption: s3.BucketEncryption.KMS, removalPolicy: RemovalPolicy.RETAIN });
    classify(payroll, DataClassification.CONFIDENTIAL);
    const site = new s3.Bucket(stack, 'Site', { bucketName: 'hr-site', removalPolicy: RemovalPolicy.RETAIN });
    classify(site, DataClassification.PUBLIC);
    stack.protect();
    return { stack, payroll, site };
  }

  const PERIMETER = {
    Sid: 'DataPerimeterDenyPrincipalsOutsideOrganization',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 's3:*',
    Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
  };

  /** The statements of the bucket policy of the bucket whose logical id starts with `prefix`. */
  function statementsOf(template: Template, prefix: string): any[] {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as any[];
    const policy = policies.find((p) => String(p.Properties.Bucket.Ref).startsWith(prefix));
    return policy?.Properties.PolicyDocument.Statement ?? [];
  }

  describe('data perimeter of classified buckets', () => {
    test('with an organization id, classified buckets deny principals outside it (AWS service principals excepted); PUBLIC buckets do not', () => {
      const { stack, payroll } = stackWith(ORG);
      const template = Template.fromStack(stack);
      const statements = statementsOf(template, 'Payroll');
      expect(statements).toContainEqual({
        ...PERIMETER,
        Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/^Payroll/), 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Payroll/), 'Arn'] }, '/*']] }],
      });
      expect(statementsOf(template, 'Site').some((s) => s.Sid === PERIMETER.Sid)).toBe(false);
      expect(controlsOf(payroll)).toContainEqual({ control: 'data-perimeter', organizationId: ORG });
    });

    test('without an organization id there is nothing to compare with: no statement, an info annotation', () => {
      const { stack } = stackWith(undefined);
      const template = Template.fromStack(stack);
      expect(statementsOf(template, 'Payroll').some((s) => s.Sid === PERIMETER.Sid)).toBe(false);
      Annotations.fromStack(stack).hasInfo('/Hr', Match.stringLikeRegexp('1 classified bucket\\(s\\) get no data perimeter: accounts.organizationId is not set'));
    });

    test('turned off with a reason: no statement, the reason recorded as an override for the report', () => {
      const { stack } = stackWith(ORG, { disabledReason: 'a partner account outside the organization reads payroll exports' });
      const template = Template.fromStack(stack);
      expect(statementsOf(template, 'Payroll').some((s) => s.Sid === PERIMETER.Sid)).toBe(false);
      const overrides = stack.node.metadata.filter((m) => m.type === METADATA.OVERRIDE).map((m) => m.data);
      expect(overrides).toContainEqual({
        prop: 'DataAccountStackProps.dataPerimeter',
        floor: 'classified buckets deny principals outside the organization',
        value: 'off',
        reason: 'a partner account outside the organization reads payroll exports',
      });
    });

    test('an empty reason is an error', () => {
      expect(() => stackWith(ORG, { disabledReason: ' ' })).toThrow(
        'DataAccountStackProps.dataPerimeter.disabledReason needs a non-empty reason: classified buckets would admit principals outside the organization',
      );
    });

    test("the account's restore alarm leaves out the drill's restores (its state machine and restore roles)", () => {
      const { stack } = stackWith(ORG);
      const filters = Object.values(Template.fromStack(stack).findResources('AWS::Logs::MetricFilter')) as any[];
      const restore = filters.find((f) => f.Properties.MetricTransformations[0].MetricName === 'Restore');
      const pattern = JSON.stringify(restore.Properties.FilterPattern);
      expect(pattern).toMatch(/sessionIssuer.arn NOT EXISTS/);
      expect(pattern).toMatch(/RestoreDrillStateMachineRole[A-Z0-9]+/);
      expect(pattern).toMatch(/RestoreDrillRestoreRole[A-Z0-9]+/);
    });
  });
}

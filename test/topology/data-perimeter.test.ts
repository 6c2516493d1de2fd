import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, DataAccountStack, DataClassification, DataPerimeterOptions } from '../lib';
import { METADATA } from '../../lib/core/constants';
import { controlsOf } from '../../lib/core/controls';
import { ACCOUNTS, DATA_ACCOUNT, REGION } from '../helpers';

const ORG = 'o-exampleorg1';

function stackWith(organizationId: string | undefined, dataPerimeter?: DataPerimeterOptions) {
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

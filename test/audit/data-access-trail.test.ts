import { App, CfnParameter } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataAccessTrail, DataEventSelection } from '../../lib/audit';
import { classify, DataClassification } from '../../lib/classification';
import { CONTROLS, controlsOf } from '../../lib/core';
import { ARCHIVE, auditKey, DATA_ACCOUNT, dataStack, OTHER_DATA_ACCOUNT, REGION, selectorsOf } from './fixtures';

/** A data account with one resource of each kind at each level. */
function hrStack(app = new App()) {
  const stack = dataStack(app);
  const key = auditKey(stack);
  const documents = new s3.Bucket(stack, 'Documents', { bucketName: 'hr-documents' });
  classify(documents, DataClassification.CONFIDENTIAL);
  const payroll = new s3.Bucket(stack, 'Payroll');
  classify(payroll, DataClassification.HIGHLY_SENSITIVE);
  const handbook = new s3.Bucket(stack, 'Handbook', { bucketName: 'hr-handbook' });
  classify(handbook, DataClassification.INTERNAL);
  const website = new s3.Bucket(stack, 'Website', { bucketName: 'hr-website' });
  classify(website, DataClassification.PUBLIC);
  new s3.Bucket(stack, 'Scratch', { bucketName: 'hr-scratch' });
  const employees = new dynamodb.TableV2(stack, 'Employees', { tableName: 'hr-employees', partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  classify(employees, DataClassification.HIGHLY_SENSITIVE);
  const legacy = new dynamodb.Table(stack, 'Legacy', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  classify(legacy, DataClassification.CONFIDENTIAL);
  new dynamodb.Table(stack, 'Sessions', { tableName: 'hr-sessions', partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  const payslips = new lambda.Function(stack, 'Payslips', {
    functionName: 'hr-payslips',
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
  });
  classify(payslips, DataClassification.CONFIDENTIAL);
  const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: key, archiveBucketName: ARCHIVE });
  return { app, stack, key, trail, documents, payroll, handbook, website, employees, legacy, payslips };
}

describe('DataAccessTrail', () => {
  test('selectors cover every CONFIDENTIAL+ resource (S3, DynamoDB, Lambda), reads and writes, and nothing else', () => {
    const { stack, payroll, legacy } = hrStack();
    const template = Template.fromStack(stack);
    const selectors = selectorsOf(template);
    const payrollArn = `{GetAtt:${stack.getLogicalId(payroll.node.defaultChild as s3.CfnBucket)}}/`;
    const legacyArn = `{GetAtt:${stack.getLogicalId(legacy.node.defaultChild as dynamodb.CfnTable)}}`;
    expect(selectors).toEqual([
      { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      {
        Name: 'S3 objects of classified resources',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'resources.ARN', StartsWith: expect.arrayContaining(['arn:aws:s3:::hr-documents/', payrollArn]) },
        ],
      },
      {
        Name: 'DynamoDB items of classified resources',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
          { Field: 'resources.ARN', Equals: expect.arrayContaining([`arn:aws:dynamodb:${REGION}:${DATA_ACCOUNT}:table/hr-employees`, legacyArn]) },
        ],
      },
      {
        Name: 'Lambda invocations of classified resources',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::Lambda::Function'] },
          { Field: 'resources.ARN', Equals: [`arn:aws:lambda:${REGION}:${DATA_ACCOUNT}:function:hr-payslips`] },
        ],
      },
    ]);
    // Exactly two values each: nothing else, and no readOnly field (reads and writes).
    expect(selectors[1].FieldSelectors[2].StartsWith).toHaveLength(2);
    expect(selectors[2].FieldSelectors[2].Equals).toHaveLength(2);
    const all = JSON.stringify(selectors);
    for (const other of ['hr-handbook', 'hr-website', 'hr-scratch', 'hr-sessions', 'readOnly']) expect(all).not.toContain(other);
  });

  test('records the data-events control on every covered resource and on nothing else', () => {
    const { trail, documents, payroll, employees, legacy, payslips, handbook, website } = hrStack();
    for (const r of [documents, payroll, employees, legacy, payslips]) {
      expect(controlsOf(r)).toContainEqual(expect.objectContaining({ control: CONTROLS.DATA_EVENTS, trail: trail.trailName }));
    }
    for (const r of [handbook, website]) expect(controlsOf(r).filter((c) => c.control === CONTROLS.DATA_EVENTS)).toEqual([]);
    expect(trail.coveredResources().map((r) => r.scope)).toEqual(expect.arrayContaining([documents, payroll, employees, legacy, payslips]));
    expect(trail.coveredResources()).toHaveLength(5);
  });

  test('multi-region, log-file validation, audit key ARN, encrypted log group with retention, deterministic names', () => {
    const { stack, trail } = hrStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: 'data-protection-data-access',
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      IsOrganizationTrail: false,
      EnableLogFileValidation: true,
      S3BucketName: `data-protection-audit-444444444444-${REGION}`,
      S3KeyPrefix: 'data-access',
      KMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AuditKey(DescribeKey|SharedLookup)'), 'KeyMetadata.Arn'] },
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('TrailLogGroup'), 'Arn'] },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: '/data-protection/cloudtrail/data-protection-data-access',
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AuditKey(DescribeKey|SharedLookup)'), 'KeyMetadata.Arn'] },
      },
      DeletionPolicy: 'Retain',
    });
    // Only this trail may assume the delivery role, which may only write to its log group.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:${REGION}:${DATA_ACCOUNT}:trail/data-protection-data-access`]] } } },
        }],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('TrailLogGroup'), 'Arn'] } }] },
    });
    expect(stack.resolve(trail.trailArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:${REGION}:${DATA_ACCOUNT}:trail/data-protection-data-access`]] });
  });

  test('resources classified after the trail is created are covered too', () => {
    const stack = dataStack();
    const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
    const late = new s3.Bucket(stack, 'Late', { bucketName: 'late-bucket' });
    classify(late, DataClassification.CONFIDENTIAL);
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(selectors[1].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::late-bucket/'] });
    expect(controlsOf(late)).toContainEqual(expect.objectContaining({ control: CONTROLS.DATA_EVENTS, trail: trail.trailName }));
  });

  test('with no classified data only management events are recorded', () => {
    const stack = dataStack();
    new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
    expect(selectorsOf(Template.fromStack(stack))).toEqual([{ Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }]);
  });

  test('follows the policy, not the level: INTERNAL tightened to dataEvents is covered, CONFIDENTIAL loosened with a reason is not', () => {
    const stack = dataStack();
    classify(new s3.Bucket(stack, 'Tight', { bucketName: 'tightened' }), DataClassification.INTERNAL, { dataEvents: true });
    classify(new s3.Bucket(stack, 'Loose', { bucketName: 'loosened' }), DataClassification.CONFIDENTIAL, { dataEvents: false, overrideReason: 'public research data set, reads are not sensitive' });
    new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(selectors[1].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::tightened/'] });
  });

  test('excludes its own log bucket, with a warning, even when it is classified', () => {
    const stack = dataStack();
    const own = new s3.Bucket(stack, 'Own', { bucketName: 'same-account-archive' });
    classify(own, DataClassification.CONFIDENTIAL);
    classify(new s3.Bucket(stack, 'Data', { bucketName: 'same-account-data' }), DataClassification.CONFIDENTIAL);
    new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: 'same-account-archive' });
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(selectors[1].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::same-account-data/'] });
    Annotations.fromStack(stack).hasWarning('/Data/Trail', Match.stringLikeRegexp("is this trail's own log bucket"));
  });

  test('beyond 500 values, excludes the unrecorded resources instead, and its own bucket even when the name is a deploy-time token', () => {
    const app = new App();
    const stack = dataStack(app);
    // 498 classified buckets with generated names: 501 values by exact ARN, none can share a prefix.
    const conf = dataStack(app, 'Conf');
    for (let i = 0; i < 498; i++) classify(new s3.CfnBucket(conf, `Conf${i}`), DataClassification.CONFIDENTIAL);
    const other = dataStack(app, 'Other');
    for (let i = 0; i < 2; i++) new s3.CfnBucket(other, `Scratch${i}`, { bucketName: `scratch-${i}` });
    new s3.CfnBucket(stack, 'Local');
    // Generated names in another stack: excluding them would take an export each.
    for (let i = 0; i < 2; i++) new s3.CfnBucket(other, `Generated${i}`);
    const archive = new CfnParameter(stack, 'Archive').valueAsString;
    const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: archive });
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(selectors[1].FieldSelectors).toEqual([
      { Field: 'eventCategory', Equals: ['Data'] },
      { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
      { Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::scratch-0/', 'arn:aws:s3:::scratch-1/', `{GetAtt:${stack.getLogicalId(stack.node.findChild('Local') as s3.CfnBucket)}}/`, 'arn:aws:s3:::{Ref:Archive}/'] },
    ]);
    const plan = trail.selectorPlan();
    expect(plan.types).toEqual([{ resourceType: 'AWS::S3::Object', selection: DataEventSelection.EXCLUSION, resources: 498, values: 6, excluded: 3 }]);
    expect(plan.excluded.sort()).toEqual(['Data/Local', 'Other/Scratch0', 'Other/Scratch1']);
    expect(plan.overRecorded).toEqual(['Other/Generated0', 'Other/Generated1']);
    expect(trail.coveredResources()).toHaveLength(498);
    // Excluding needs no export: neither of the recorded buckets' ARNs nor of the others'.
    for (const s of [conf, other]) expect(Template.fromStack(s).toJSON().Outputs ?? {}).toEqual({});
    const annotations = Annotations.fromStack(stack);
    annotations.hasInfo('/Data/Trail', Match.stringLikeRegexp('selected by exclusion \\(6 values\\).*except the app\'s 3 unrecorded ones and the trail\'s own bucket, so resources created outside this app are recorded too'));
    annotations.hasInfo('/Data/Trail', Match.stringLikeRegexp('2 unrecorded resources in other stacks have generated names \\(e.g. Other/Generated0\\): the exclusion selectors record them'));
  });

  test('classified resources without CloudTrail data events (EFS) get an info note, not a selector', () => {
    const stack = dataStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
    classify(new efs.FileSystem(stack, 'Files', { vpc }), DataClassification.CONFIDENTIAL);
    new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
    expect(selectorsOf(Template.fromStack(stack))).toHaveLength(1);
    Annotations.fromStack(stack).hasInfo('/Data/Trail', Match.stringLikeRegexp('AWS::EFS::FileSystem, CONFIDENTIAL\\) has no CloudTrail data events'));
  });

  test('organization trail option covers the classified resources of every account in the app', () => {
    const app = new App();
    const management = dataStack(app, 'Management', '999999999999');
    const other = dataStack(app, 'Other', OTHER_DATA_ACCOUNT);
    classify(new s3.Bucket(other, 'Records', { bucketName: 'other-records' }), DataClassification.CONFIDENTIAL);
    new DataAccessTrail(management, 'Trail', { encryptionKey: auditKey(management), archiveBucketName: ARCHIVE, organizationTrail: true });
    const template = Template.fromStack(management);
    template.hasResourceProperties('AWS::CloudTrail::Trail', { IsOrganizationTrail: true });
    expect(selectorsOf(template)[1].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::other-records/'] });
  });

  test('an account trail ignores classified resources of other accounts', () => {
    const app = new App();
    const stack = dataStack(app);
    const other = dataStack(app, 'Other', OTHER_DATA_ACCOUNT);
    classify(new s3.Bucket(other, 'Records', { bucketName: 'other-records' }), DataClassification.CONFIDENTIAL);
    new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
    expect(selectorsOf(Template.fromStack(stack))).toHaveLength(1);
  });

  describe('bad input', () => {
    test('log-file validation cannot be turned off for classified data', () => {
      const stack = dataStack();
      classify(new s3.Bucket(stack, 'Docs'), DataClassification.CONFIDENTIAL);
      expect(() => new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE, enableLogFileValidation: false })).toThrow(
        /DataAccessTrailProps.enableLogFileValidation must be true when the trail records classified data \(1 resources covered\), got false/,
      );
    });

    test('log-file validation turned off, then classified data added, fails at synth', () => {
      const stack = dataStack();
      new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE, enableLogFileValidation: false });
      classify(new s3.Bucket(stack, 'Docs'), DataClassification.CONFIDENTIAL);
      expect(() => Template.fromStack(stack)).toThrow(/DataAccessTrailProps.enableLogFileValidation must be true/);
    });

    test.each([0, 45, 366, 10000])('log retention %d days is not a CloudWatch Logs value', (days) => {
      const stack = dataStack();
      expect(() => new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE, logRetentionDays: days })).toThrow(
        new RegExp(`DataAccessTrailProps.logRetentionDays must be one of the CloudWatch Logs retention values 1, 3, 5, .*3653 days, got ${days} days`),
      );
    });

    test('an alias ARN instead of a key ARN', () => {
      const stack = dataStack();
      const alias = kms.Key.fromKeyArn(stack, 'Alias', `arn:aws:kms:${REGION}:111111111111:alias/data-protection/audit`);
      expect(() => new DataAccessTrail(stack, 'Trail', { encryptionKey: alias, archiveBucketName: ARCHIVE })).toThrow(/DataAccessTrailProps.encryptionKey must be a key ARN/);
    });

    test('an invalid trail name', () => {
      const stack = dataStack();
      expect(() => new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE, trailName: 'a b' })).toThrow(/DataAccessTrailProps.trailName must be 3-128/);
    });
  });

  test('allowed retention values pass', () => {
    const stack = dataStack();
    new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE, logRetentionDays: 2557 });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 2557 });
  });

  test('snapshot', () => {
    const { stack } = hrStack();
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});


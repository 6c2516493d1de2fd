import { App, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { aggregatePrefixes, DataAccessTrail, DataEventSelection, MAX_SELECTOR_VALUES, planDataEventSelectors } from '../../lib/audit';
import { classify, DataClassification } from '../../lib/classification';
import { CONTROLS, controlsOf } from '../../lib/core';
import { ARCHIVE, auditKey, DATA_ACCOUNT, dataStack, EventSelector, OTHER_DATA_ACCOUNT, planSelectors, recordsDataEvent, REGION, selectorsOf, valueCount } from './fixtures';

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

// =============================================================================================
// Existing resources of the trail (one file with the trail above: one module load).
{
  const LEDGER_BUCKET = 'arn:aws:s3:::finance-ledger-legacy';
  const ORDERS_TABLE = 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders-legacy';
  const EXPORT_FUNCTION = 'arn:aws:lambda:eu-west-1:222222222222:function:legacy-export';

  function trailWith(existing: Array<{ resourceArn: string; classification: DataClassification }>, classifiedBucket = true) {
    const app = new App();
    const stack = dataStack(app);
    if (classifiedBucket) classify(new s3.Bucket(stack, 'Documents', { bucketName: 'hr-documents' }), DataClassification.CONFIDENTIAL);
    const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE, existingResources: existing });
    return { app, stack, trail };
  }

  describe('DataAccessTrail existing resources', () => {
    test('records data events of existing buckets, tables and functions by exact ARN, next to classified resources', () => {
      const { stack, trail } = trailWith([
        { resourceArn: LEDGER_BUCKET, classification: DataClassification.HIGHLY_SENSITIVE },
        { resourceArn: ORDERS_TABLE, classification: DataClassification.CONFIDENTIAL },
        { resourceArn: EXPORT_FUNCTION, classification: DataClassification.CONFIDENTIAL },
      ]);
      const byType = Object.fromEntries(
        selectorsOf(Template.fromStack(stack)).filter((s) => s.Name !== 'Management events').map((s) => [s.FieldSelectors[1].Equals![0], s.FieldSelectors[2]]),
      );
      expect(byType).toEqual({
        'AWS::S3::Object': { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::hr-documents/', `${LEDGER_BUCKET}/`] },
        'AWS::DynamoDB::Table': { Field: 'resources.ARN', Equals: [ORDERS_TABLE] },
        'AWS::Lambda::Function': { Field: 'resources.ARN', Equals: [EXPORT_FUNCTION] },
      });
      expect(trail.coveredExistingResources().sort()).toEqual([ORDERS_TABLE, EXPORT_FUNCTION, LEDGER_BUCKET].sort());
    });

    test('addExistingResources works after construction (the trail protect() creates) and ignores duplicates', () => {
      const { stack, trail } = trailWith([], false);
      trail.addExistingResources({ resourceArn: ORDERS_TABLE, classification: DataClassification.CONFIDENTIAL });
      trail.addExistingResources({ resourceArn: ORDERS_TABLE, classification: DataClassification.CONFIDENTIAL });
      const dynamo = selectorsOf(Template.fromStack(stack)).find((s) => s.FieldSelectors[1]?.Equals?.[0] === 'AWS::DynamoDB::Table');
      expect(dynamo!.FieldSelectors[2]).toEqual({ Field: 'resources.ARN', Equals: [ORDERS_TABLE] });
    });

    test('levels without data events and types without data events are noted, not selected', () => {
      const { stack, trail } = trailWith(
        [
          { resourceArn: 'arn:aws:s3:::internal-wiki', classification: DataClassification.INTERNAL },
          { resourceArn: 'arn:aws:rds:eu-west-1:222222222222:cluster:billing', classification: DataClassification.HIGHLY_SENSITIVE },
        ],
        false,
      );
      expect(trail.coveredExistingResources()).toEqual([]);
      const annotations = Annotations.fromStack(stack);
      annotations.hasInfo('/Data/Trail', Match.stringLikeRegexp('arn:aws:s3:::internal-wiki \\(existing, INTERNAL\\): data events are recorded for CONFIDENTIAL and above only'));
      annotations.hasInfo('/Data/Trail', Match.stringLikeRegexp('cluster:billing \\(existing, HIGHLY_SENSITIVE\\) has no CloudTrail data events'));
    });

    test("the trail's own log bucket listed as an existing resource is not recorded", () => {
      const { stack, trail } = trailWith([{ resourceArn: `arn:aws:s3:::${ARCHIVE}`, classification: DataClassification.HIGHLY_SENSITIVE }], false);
      expect(trail.coveredExistingResources()).toEqual([]);
      expect(JSON.stringify(selectorsOf(Template.fromStack(stack)))).not.toContain(ARCHIVE);
      Annotations.fromStack(stack).hasWarning('/Data/Trail', Match.stringLikeRegexp(`arn:aws:s3:::${ARCHIVE} \\(existing\\) is this trail's own log bucket`));
      // Planned directly, the planner drops it too.
      const plan = planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: true, existingArns: [`arn:aws:s3:::${ARCHIVE}`] });
      expect(plan.coveredExistingArns).toEqual([]);
      expect(plan.valueCount).toBe(1);
    });

    test('rejects tokens, malformed ARNs and resources of another account', () => {
      const { stack, trail } = trailWith([], false);
      const imported = s3.Bucket.fromBucketName(stack, 'Imported', 'x-bucket');
      expect(() => trail.addExistingResources({ resourceArn: imported.bucketArn, classification: DataClassification.CONFIDENTIAL })).toThrow(
        'ExistingDataEventResource(0).resourceArn must be a literal ARN (the trail selects it by value), got a token',
      );
      expect(() => trail.addExistingResources({ resourceArn: 'arn:aws:s3:::ledger/2024/*', classification: DataClassification.CONFIDENTIAL })).toThrow(
        "must be an S3 bucket, DynamoDB table or Lambda function ARN (arn:aws:s3:::name, …:table/name, …:function:name), got 'arn:aws:s3:::ledger/2024/*'",
      );
      expect(() => trail.addExistingResources({ resourceArn: 'arn:aws:dynamodb:eu-west-1:555555555555:table/crm', classification: DataClassification.CONFIDENTIAL })).toThrow(
        "is in account 555555555555, but this trail records account 222222222222 only: add it to that account's trail, or use organizationTrail, got 'arn:aws:dynamodb:eu-west-1:555555555555:table/crm'",
      );
    });

    test('existing resources count against the value limit and are never aggregated into prefixes', () => {
      const { trail } = trailWith([], false);
      const arns = Array.from({ length: 10 }, (_, i) => `arn:aws:s3:::legacy-bucket-${i}`);
      const plan = planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [], includeManagementEvents: true, existingArns: arns, maxValues: MAX_SELECTOR_VALUES });
      expect(plan.valueCount).toBe(1 + 2 + 10);
      expect(() => planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [], includeManagementEvents: true, existingArns: arns, maxValues: 8 })).toThrow(
        /S3 objects: 0 classified \(0 with a literal bucketName\), 10 existing, 0 not covered, 12 values/,
      );
    });
  });
}

// =============================================================================================
// Data event selectors (one file with the trail above: one module load).
{
  const pad = (i: number) => String(i).padStart(4, '0');

  /** `count` L1 buckets spread over stacks of 250 (CloudFormation allows 500 resources per template). */
  function bucketsInStacks(app: App, group: string, count: number, name: (i: number) => string | undefined, level: DataClassification | undefined) {
    const buckets: s3.CfnBucket[] = [];
    for (let i = 0; i < count; i++) {
      const stackId = `${group}${Math.floor(i / 250)}`;
      const stack = (app.node.tryFindChild(stackId) as Stack | undefined) ?? dataStack(app, stackId);
      const bucket = new s3.CfnBucket(stack, `Bucket${pad(i)}`, { bucketName: name(i) });
      if (level) classify(bucket, level);
      buckets.push(bucket);
    }
    return buckets;
  }

  function trailIn(app: App) {
    const stack = dataStack(app, 'Audit');
    const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
    return { stack, trail };
  }

  /** Whether the trail records data events on an S3 object, as CloudTrail matches its selectors. */
  function s3Matches(selectors: EventSelector[], objectArn: string): boolean {
    return recordsDataEvent(selectors, 'AWS::S3::Object', objectArn);
  }

  describe('aggregatePrefixes', () => {
    test('shortest prefixes that avoid every other name', () => {
      expect(aggregatePrefixes(['hr-conf-a', 'hr-conf-b', 'hr-secret-1'], ['hr-public'])).toEqual({ prefixes: ['hr-c', 'hr-s'], exact: [] });
      expect(aggregatePrefixes(['fin-1', 'fin-2', 'hr-1'], [])).toEqual({ prefixes: ['fin', 'hr-'], exact: [] });
    });

    test('a name that is a prefix of an avoided name stays exact', () => {
      expect(aggregatePrefixes(['data', 'data-conf-1'], ['data-public'])).toEqual({ prefixes: ['data-c'], exact: ['data'] });
    });

    test('never shorter than the minimum length', () => {
      expect(aggregatePrefixes(['a1', 'abc-1', 'abc-2'], [], 3)).toEqual({ prefixes: ['abc'], exact: ['a1'] });
    });
  });

  describe('selectors at scale', () => {
    test('400 classified buckets with generated names: one exact value each, within the limit', () => {
      const app = new App();
      const buckets = bucketsInStacks(app, 'Conf', 400, () => undefined, DataClassification.CONFIDENTIAL);
      bucketsInStacks(app, 'Other', 10, () => undefined, undefined);
      const { stack, trail } = trailIn(app);
      const selectors = selectorsOf(Template.fromStack(stack));
      expect(valueCount(selectors)).toBe(1 + 2 + 400);
      expect(trail.selectorPlan().types).toEqual([{ resourceType: 'AWS::S3::Object', selection: DataEventSelection.EXACT, resources: 400, values: 402 }]);
      for (const b of buckets) expect(controlsOf(b)).toContainEqual(expect.objectContaining({ control: CONTROLS.DATA_EVENTS }));
      // Generated names in other stacks become exports: the trail says so.
      Annotations.fromStack(stack).hasWarning('/Audit/Trail', Match.stringLikeRegexp('400 covered resources in other stacks have generated names'));
    });

    test('1,000 classified buckets named by convention: aggregated into name prefixes that select every one and no other bucket', () => {
      const app = new App();
      const conf = bucketsInStacks(app, 'Hr', 500, (i) => `hr-confidential-${pad(i)}`, DataClassification.CONFIDENTIAL);
      const secret = bucketsInStacks(app, 'Fin', 500, (i) => `fin-secret-${pad(i)}`, DataClassification.HIGHLY_SENSITIVE);
      const others = bucketsInStacks(app, 'Other', 100, (i) => (i % 2 ? `hr-public-${pad(i)}` : `fin-reports-${pad(i)}`), undefined);
      const { stack, trail } = trailIn(app);
      const selectors = selectorsOf(Template.fromStack(stack));
      expect(valueCount(selectors)).toBeLessThanOrEqual(MAX_SELECTOR_VALUES);
      expect(valueCount(selectors)).toBe(1 + 2 + 2);
      expect(selectors[1].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::fin-s', 'arn:aws:s3:::hr-c'] });
      for (const b of [...conf, ...secret]) expect(s3Matches(selectors, `arn:aws:s3:::${b.bucketName}/key`)).toBe(true);
      for (const b of others) expect(s3Matches(selectors, `arn:aws:s3:::${b.bucketName}/key`)).toBe(false);
      expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/AWSLogs/x`)).toBe(false);
      expect(trail.coveredResources()).toHaveLength(1000);
      expect(trail.selectorPlan().types[0].selection).toBe(DataEventSelection.PREFIX);
    });

    test('1,000 classified buckets with generated names, every bucket of the account classified: all S3 objects but the trail\'s own bucket', () => {
      const app = new App();
      bucketsInStacks(app, 'Conf', 1000, () => undefined, DataClassification.CONFIDENTIAL);
      const { stack, trail } = trailIn(app);
      const selectors = selectorsOf(Template.fromStack(stack));
      expect(selectors[1].FieldSelectors).toEqual([
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
        { Field: 'resources.ARN', NotStartsWith: [`arn:aws:s3:::${ARCHIVE}/`] },
      ]);
      expect(valueCount(selectors)).toBe(4);
      expect(trail.selectorPlan().types[0]).toEqual({ resourceType: 'AWS::S3::Object', selection: DataEventSelection.ALL_RESOURCES, resources: 1000, values: 3 });
      expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/AWSLogs/x`)).toBe(false);
    });

    test('1,000 classified tables and 600 buckets: each type aggregated as needed, largest first', () => {
      const app = new App();
      for (let s = 0; s < 4; s++) {
        const stack = dataStack(app, `Tables${s}`);
        for (let i = 0; i < 250; i++) {
          const table = new dynamodb.CfnTable(stack, `T${pad(i)}`, {
            tableName: `crm-${s}-${pad(i)}`,
            keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
            attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
          });
          classify(table, DataClassification.CONFIDENTIAL);
        }
      }
      new dynamodb.CfnTable(dataStack(app, 'Cache'), 'Cache', {
        tableName: 'crm-cache',
        keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
        attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
      });
      bucketsInStacks(app, 'Docs', 300, (i) => `docs-${pad(i)}`, DataClassification.CONFIDENTIAL);
      bucketsInStacks(app, 'Conf', 300, () => undefined, DataClassification.CONFIDENTIAL);
      bucketsInStacks(app, 'Other', 5, () => undefined, undefined);
      const { stack, trail } = trailIn(app);
      const selectors = selectorsOf(Template.fromStack(stack));
      expect(valueCount(selectors)).toBeLessThanOrEqual(MAX_SELECTOR_VALUES);
      const ddb = selectors.find((s) => s.Name.startsWith('DynamoDB'))!;
      // 'crm-c' would also select crm-cache: the prefixes stop one character after it.
      expect(ddb.FieldSelectors[2].StartsWith).toEqual([0, 1, 2, 3].map((s) => `arn:aws:dynamodb:eu-west-1:222222222222:table/crm-${s}`));
      expect(trail.coveredResources()).toHaveLength(1600);
    });

    test('selectors that fit neither way fail at synth, naming the counts of both sides and the fixes', () => {
      const app = new App();
      // Generated names for the 600 classified: no prefix can select them, nor exclude the 600 others without risking them.
      bucketsInStacks(app, 'Conf', 600, () => undefined, DataClassification.CONFIDENTIAL);
      bucketsInStacks(app, 'Other', 600, (i) => `scratch-${pad(i)}`, undefined);
      trailIn(app);
      expect(() => app.synth()).toThrow(
        'the data-event selectors need 603 values, more than CloudTrail\'s limit of 500 per trail (603 selecting the recorded resources, 604 excluding the unrecorded ones; ' +
          'S3 objects: 600 classified (0 with a literal bucketName), 600 not covered (600 with a literal bucketName), 602 values, 603 by exclusion). ' +
          'To fix: give the classified resources literal names with a shared prefix (e.g. bucketName \'confidential-…\') so one StartsWith value covers them; ' +
          'or give the unrecorded ones (unclassified, or below CONFIDENTIAL) literal names with a shared prefix (e.g. \'internal-…\'), and the classified ones literal names, so one NotStartsWith value excludes them; ' +
          'or classify every resource of the type in the account so the trail selects the whole type; ' +
          'or split them across trails with DataAccessTrailProps.coverageScopes (at most 5 trails per region).',
      );
    });

    test('coverageScopes splits a large account across trails', () => {
      const app = new App();
      bucketsInStacks(app, 'Conf', 600, () => undefined, DataClassification.CONFIDENTIAL);
      bucketsInStacks(app, 'Other', 1, () => undefined, undefined);
      const stack = dataStack(app, 'Audit');
      const key = auditKey(stack);
      const first = new DataAccessTrail(stack, 'TrailA', { encryptionKey: key, archiveBucketName: ARCHIVE, trailName: 'data-access-a', coverageScopes: [app.node.findChild('Conf0')] });
      const second = new DataAccessTrail(stack, 'TrailB', {
        encryptionKey: key, archiveBucketName: ARCHIVE, trailName: 'data-access-b', includeManagementEvents: false,
        coverageScopes: [app.node.findChild('Conf1'), app.node.findChild('Conf2')],
      });
      app.synth();
      expect(first.selectorPlan().valueCount).toBe(1 + 2 + 250);
      expect(second.selectorPlan().valueCount).toBe(2 + 350);
    });
  });

  /** Seeded pseudo-random numbers (mulberry32): the same "random" names on every run. */
  function seeded(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** `count` distinct names of 12 random letters and digits: no naming convention at all. */
  function randomNames(count: number, seed: number): string[] {
    const next = seeded(seed);
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const names = new Set<string>();
    while (names.size < count) names.add(Array.from({ length: 12 }, () => chars[Math.floor(next() * chars.length)]).join(''));
    return [...names];
  }

  interface Store {
    readonly cfn: CfnResource;
    readonly type: 'AWS::S3::Object' | 'AWS::DynamoDB::Table';
    readonly name: string;
    /** The data-event ARN CloudTrail matches: an object in the bucket, or the table. */
    readonly arn: string;
    /** Classified with `dataEvents` (CONFIDENTIAL and above). */
    readonly recorded: boolean;
  }

  /**
   * Data stores of an account as L1s, 250 per stack: a bucket or a table (a `TableV2`'s
   * `AWS::DynamoDB::GlobalTable` every other one) per name, classified at the given level.
   */
  function storesIn(app: App, group: string, specs: Array<{ kind: 's3' | 'ddb'; name: string; level?: DataClassification }>, account = DATA_ACCOUNT): Store[] {
    return specs.map(({ kind, name, level }, i) => {
      const stackId = `${group}${Math.floor(i / 250)}`;
      const stack = (app.node.tryFindChild(stackId) as Stack | undefined) ?? dataStack(app, stackId, account);
      const keys = { keySchema: [{ attributeName: 'id', keyType: 'HASH' }], attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }] };
      const cfn = kind === 's3'
        ? new s3.CfnBucket(stack, `S${pad(i)}`, { bucketName: name })
        : i % 2
          ? new dynamodb.CfnGlobalTable(stack, `T${pad(i)}`, { tableName: name, ...keys, billingMode: 'PAY_PER_REQUEST', replicas: [{ region: REGION }] })
          : new dynamodb.CfnTable(stack, `T${pad(i)}`, { tableName: name, ...keys });
      if (level) classify(cfn, level);
      return {
        cfn,
        type: kind === 's3' ? 'AWS::S3::Object' : 'AWS::DynamoDB::Table',
        name,
        arn: kind === 's3' ? `arn:aws:s3:::${name}/reports/2024/q1.csv` : `arn:aws:dynamodb:${REGION}:${account}:table/${name}`,
        recorded: level !== undefined && level.isAtLeast(DataClassification.CONFIDENTIAL),
      };
    });
  }

  /** The stores whose data events the selectors record, as CloudTrail matches them, against those that should be. */
  function recordedSets(selectors: EventSelector[], stores: Store[]) {
    return {
      recorded: stores.filter((s) => recordsDataEvent(selectors, s.type, s.arn)).map((s) => s.name),
      expected: stores.filter((s) => s.recorded).map((s) => s.name),
    };
  }

  /** Resources the app does not know: created outside CDK, or by another app in the account. */
  const UNKNOWN = { bucket: 'arn:aws:s3:::created-outside-cdk/exports/all.csv', table: `arn:aws:dynamodb:${REGION}:${DATA_ACCOUNT}:table/created-outside-cdk` };

  describe('exclusion selectors', () => {
    test('1,000 stores, a third INTERNAL, names sharing one prefix: the unrecorded third is excluded within 500 values (DataAccessTrail synth)', () => {
      const app = new App();
      const stores = storesIn(app, 'Data', Array.from({ length: 1000 }, (_, i) => ({
        kind: i < 500 ? 's3' as const : 'ddb' as const,
        name: `data-${pad(i)}`,
        level: i % 3 === 0 ? DataClassification.INTERNAL : i % 2 ? DataClassification.CONFIDENTIAL : DataClassification.HIGHLY_SENSITIVE,
      })));
      // Another account's stores in the same app are not this trail's: neither selected nor excluded.
      storesIn(app, 'OtherAccount', Array.from({ length: 100 }, (_, i) => ({ kind: i % 2 ? 's3' as const : 'ddb' as const, name: `data-other-${pad(i)}`, level: DataClassification.INTERNAL })), OTHER_DATA_ACCOUNT);
      const { stack, trail } = trailIn(app);
      const selectors = selectorsOf(Template.fromStack(stack));

      // Selecting the 666 recorded stores needs 671 values; excluding the 334 others (and the trail's bucket) needs 340.
      expect(valueCount(selectors)).toBe(1 + (2 + 167 + 1) + (2 + 167));
      expect(trail.selectorPlan().types).toEqual([
        { resourceType: 'AWS::S3::Object', selection: DataEventSelection.EXCLUSION, resources: 333, values: 170, excluded: 167 },
        { resourceType: 'AWS::DynamoDB::Table', selection: DataEventSelection.EXCLUSION, resources: 333, values: 169, excluded: 167 },
      ]);
      expect(selectors.slice(1).map((s) => s.FieldSelectors.slice(0, 2))).toEqual([
        [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }],
        [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] }],
      ]);
      const { recorded, expected } = recordedSets(selectors, stores);
      expect(expected).toHaveLength(666);
      expect(recorded).toEqual(expected);
      expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/data-access/AWSLogs/${DATA_ACCOUNT}/CloudTrail/x.json.gz`)).toBe(false);
      // The other account's stores cost no value and appear nowhere.
      expect(JSON.stringify(selectors)).not.toMatch(/data-other|555555555555/);
      expect(trail.selectorPlan().excluded).toHaveLength(334);
      // The trade-off: what the app does not know is recorded.
      expect(recordsDataEvent(selectors, 'AWS::S3::Object', UNKNOWN.bucket)).toBe(true);
      expect(recordsDataEvent(selectors, 'AWS::DynamoDB::Table', UNKNOWN.table)).toBe(true);
      for (const s of stores.filter((x) => x.recorded)) expect(controlsOf(s.cfn)).toContainEqual(expect.objectContaining({ control: CONTROLS.DATA_EVENTS }));
      for (const s of stores.filter((x) => !x.recorded)) expect(controlsOf(s.cfn).filter((c) => c.control === CONTROLS.DATA_EVENTS)).toEqual([]);
      Annotations.fromStack(stack).hasInfo('/Audit/Trail', Match.stringLikeRegexp(
        "AWS::S3::Object data events are selected by exclusion \\(170 values\\): every resource of the type in the account except the app's 167 unrecorded ones and the trail's own bucket, so resources created outside this app are recorded too",
      ));
    });

    describe('5,000 stores with random names', () => {
      let app: App;
      let app2: App;
      let stores: Store[];
      let stores2: Store[];
      beforeAll(() => {
        const names = randomNames(5000, 16);
        const next = seeded(3);
        // 4,700 recorded and 300 not, at random, in the same account as the trail.
        const unrecorded = new Set<number>();
        while (unrecorded.size < 300) unrecorded.add(Math.floor(next() * 5000));
        app = new App();
        stores = storesIn(app, 'Random', names.map((name, i) => ({
          kind: i % 2 ? 's3' as const : 'ddb' as const,
          name,
          level: unrecorded.has(i) ? (i % 3 ? DataClassification.INTERNAL : undefined) : DataClassification.CONFIDENTIAL,
        })));
        // The mirror image in a second app: 300 recorded, 4,700 not.
        app2 = new App();
        stores2 = storesIn(app2, 'Random', names.map((name, i) => ({
          kind: i % 2 ? 's3' as const : 'ddb' as const,
          name,
          level: unrecorded.has(i) ? DataClassification.HIGHLY_SENSITIVE : (i % 3 ? DataClassification.PUBLIC : undefined),
        })));
      });
      const planFor = (a: App, maxValues?: number) => {
        const stack = (a.node.tryFindChild('Audit') as Stack | undefined) ?? dataStack(a, 'Audit');
        const trail = (stack.node.tryFindChild('Trail') as CfnParameter | undefined) ?? new CfnParameter(stack, 'Trail');
        const plan = planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: true, maxValues });
        return { plan, selectors: planSelectors(stack, plan.advancedEventSelectors) };
      };

      test('4,700 recorded, 300 not: the 300 are excluded, every recorded store is recorded and no other store of the app', () => {
        const { plan, selectors } = planFor(app);
        expect(plan.types.map((t) => t.selection)).toEqual([DataEventSelection.EXCLUSION, DataEventSelection.EXCLUSION]);
        // At most one value per unrecorded store (random names can still share a prefix), plus the trail's bucket.
        expect(plan.valueCount).toBe(valueCount(selectors));
        expect(plan.valueCount).toBeLessThanOrEqual(1 + 2 * 2 + 300 + 1);
        const { recorded, expected } = recordedSets(selectors, stores);
        expect(expected).toHaveLength(4700);
        expect(recorded).toEqual(expected);
        expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/data-access/x`)).toBe(false);
        expect(recordsDataEvent(selectors, 'AWS::S3::Object', UNKNOWN.bucket)).toBe(true);
        // Fits whenever that side fits: exactly at the limit it passes, one value below no side fits.
        expect(planFor(app, plan.valueCount).plan.valueCount).toBe(plan.valueCount);
        expect(() => planFor(app, plan.valueCount - 1)).toThrow(/excluding the unrecorded ones/);
      });

      test('300 recorded, 4,700 not: the 300 are selected, one value each, nothing else recorded', () => {
        const { plan, selectors } = planFor(app2);
        expect(plan.types.map((t) => t.selection)).toEqual([DataEventSelection.EXACT, DataEventSelection.EXACT]);
        expect(plan.valueCount).toBe(1 + 2 * 2 + 300);
        const { recorded, expected } = recordedSets(selectors, stores2);
        expect(expected).toHaveLength(300);
        expect(recorded).toEqual(expected);
        expect(recordsDataEvent(selectors, 'AWS::S3::Object', UNKNOWN.bucket)).toBe(false);
      });
    });

    describe('unrecorded names with a shared prefix', () => {
      const recordedNames = randomNames(600, 7);
      const existingArns = ['arn:aws:s3:::scratch-keep'];
      let app: App;
      let stack: Stack;
      let stores: Store[];
      beforeAll(() => {
        app = new App();
        stores = storesIn(app, 'Mixed', [
          ...recordedNames.map((name) => ({ kind: 's3' as const, name, level: DataClassification.CONFIDENTIAL })),
          ...Array.from({ length: 600 }, (_, i) => ({ kind: 's3' as const, name: `scratch-${pad(i)}` })),
        ]);
        stack = dataStack(app, 'Audit');
      });
      const plan = () => planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: true, existingArns });

      test('are excluded by prefix, avoiding every recorded and existing name', () => {
        const p = plan();
        const selectors = planSelectors(stack, p.advancedEventSelectors);
        expect(p.types).toEqual([{ resourceType: 'AWS::S3::Object', selection: DataEventSelection.EXCLUSION, resources: 601, values: 4, excluded: 600 }]);
        // 'scratch-' would exclude the existing scratch-keep: the prefix stops one character after it.
        expect(selectors[1].FieldSelectors[2].NotStartsWith).toContain('arn:aws:s3:::scratch-0');
        expect(recordedSets(selectors, stores).recorded).toEqual(recordedNames);
        expect(s3Matches(selectors, 'arn:aws:s3:::scratch-keep/ledger.csv')).toBe(true);
        expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/data-access/x`)).toBe(false);
      });

      test('but exactly once a recorded bucket has a generated name (a prefix could exclude it)', () => {
        const late = new s3.CfnBucket(app.node.findChild('Mixed0') as Stack, 'Generated');
        classify(late, DataClassification.CONFIDENTIAL);
        try {
          expect(plan).toThrow(/S3 objects: 601 classified \(600 with a literal bucketName\), 1 existing, 600 not covered \(600 with a literal bucketName\), \d+ values, 603 by exclusion/);
        } finally {
          late.node.scope!.node.tryRemoveChild(late.node.id);
        }
      });
    });

    test('unrecorded resources with generated names in other stacks are recorded rather than imported: a selector without ARN condition', () => {
      const app = new App();
      const tables = dataStack(app, 'Tables');
      const keys = { keySchema: [{ attributeName: 'id', keyType: 'HASH' }], attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }] };
      for (let i = 0; i < 5; i++) classify(new dynamodb.CfnTable(tables, `Conf${i}`, keys), DataClassification.CONFIDENTIAL);
      new dynamodb.CfnTable(tables, 'Cache', keys);
      const stack = dataStack(app, 'Audit');
      const plan = planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: false, maxValues: 4 });
      expect(plan.types).toEqual([{ resourceType: 'AWS::DynamoDB::Table', selection: DataEventSelection.EXCLUSION, resources: 5, values: 2, excluded: 0 }]);
      expect(planSelectors(stack, plan.advancedEventSelectors)[0].FieldSelectors).toEqual([
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
      ]);
      expect(plan.overRecorded).toEqual(['Tables/Cache']);
      expect(plan.excluded).toEqual([]);
    });

    test("the trail's bucket is deselected by every selector that could match it when its name is known only at deploy time", () => {
      const app = new App();
      const stores = storesIn(app, 'Data', [
        ...['conf-a', 'conf-b', 'conf-c', 'conf-d', 'hr-1', 'fin-1'].map((name) => ({ kind: 's3' as const, name, level: DataClassification.CONFIDENTIAL })),
        { kind: 's3', name: 'public-site' },
      ]);
      const stack = dataStack(app, 'Audit');
      const archive = new CfnParameter(stack, 'ArchiveBucketName').valueAsString;
      const own = 'arn:aws:s3:::{Ref:ArchiveBucketName}/';
      const planWith = (maxValues: number) => {
        const p = planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [archive], includeManagementEvents: false, maxValues });
        const selectors = planSelectors(stack, p.advancedEventSelectors);
        expect(s3Matches(selectors, `${own}data-access/AWSLogs/x.json.gz`)).toBe(false);
        expect(recordedSets(selectors, stores).recorded).toEqual(['conf-a', 'conf-b', 'conf-c', 'conf-d', 'hr-1', 'fin-1']);
        return { selection: p.types[0].selection, arn: selectors[0].FieldSelectors[2] };
      };
      // Exact values (8) cannot match it; prefixes (6) and exclusions (4) deselect it.
      expect(planWith(8).selection).toBe(DataEventSelection.EXACT);
      expect(planWith(6)).toEqual({ selection: DataEventSelection.PREFIX, arn: { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::con', 'arn:aws:s3:::fin', 'arn:aws:s3:::hr-'], NotStartsWith: [own] } });
      expect(planWith(4)).toEqual({ selection: DataEventSelection.EXCLUSION, arn: { Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::pub', own] } });
      // Every bucket classified: the whole type but the archive.
      stores[6].cfn.node.scope!.node.tryRemoveChild(stores[6].cfn.node.id);
      const all = planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [archive], includeManagementEvents: false, maxValues: 4 });
      expect(all.types[0].selection).toBe(DataEventSelection.ALL_RESOURCES);
      expect(planSelectors(stack, all.advancedEventSelectors)[0].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', NotStartsWith: [own] });
    });
  });
}

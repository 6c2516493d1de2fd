import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ClassifiedResources, classify, CONTROLS, controlsOf, DataAccountStack, DataClassification, DRILL_TAG } from '../lib';
import { DrillResourceType, DrillTarget, DrillTargetProps, pollSchedule, RestoreDrill, RestoreDrillProps } from '../../lib/drill';
import { aslOf, drillStack, ENV } from './helpers';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';


const { stack, drill, table } = drillStack();
const template = Template.fromStack(stack);

const asList = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
const statementsOfRole = (roleLogicalId: string) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleLogicalId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);

describe('cleanup can only reach drill resources', () => {
  const roleId = stack.getLogicalId(drill.cleanupRole.node.defaultChild as any);
  const statements = statementsOfRole(roleId);

  test('every statement of the cleanup role carries the drill tag condition or a drill- resource pattern', () => {
    expect(statements.length).toBeGreaterThanOrEqual(5);
    for (const s of statements.filter((x: any) => x.Sid !== 'WriteOwnLogsOnly' && x.Sid !== 'ListDrillLeftovers')) {
      const tagCondition = s.Condition?.StringLike?.[`aws:ResourceTag/${DRILL_TAG}`] === 'drill-*';
      const drillResources = asList(s.Resource).every((r: any) => /(:::|table\/|:db:|:cluster:)drill-\*/.test(JSON.stringify(r)));
      expect({ sid: s.Sid, guarded: tagCondition || drillResources }).toEqual({ sid: s.Sid, guarded: true });
    }
  });

  test('the cleanup role has no inline statement outside those (no X-Ray, no logs wildcard)', () => {
    expect(statements.map((s: any) => s.Sid).sort()).toEqual(['DrillBucketsOnly', 'DrillDatabasesOnly', 'DrillTablesOnly', 'DrillTaggedFileSystemsOnly', 'DrillTaggedVolumesOnly', 'ListDrillLeftovers', 'WriteOwnLogsOnly']);
    const logs = statements.find((s: any) => s.Sid === 'WriteOwnLogsOnly');
    expect(logs.Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(drill.node.findChild('CleanupLogs').node.defaultChild as any), 'Arn'] });
  });

  test("the sweep's one unscoped statement only lists (names, creation times, tags, restore jobs), one action per drilled type, no condition", () => {
    const list = statements.find((s: any) => s.Sid === 'ListDrillLeftovers');
    const perType: { [type: string]: string } = {
      S3: 's3:ListAllMyBuckets',
      DynamoDB: 'dynamodb:ListTables',
      RDS: 'rds:DescribeDBInstances',
      Aurora: 'rds:DescribeDBClusters',
      EBS: 'ec2:DescribeVolumes',
      EFS: 'elasticfilesystem:DescribeFileSystems',
    };
    // backup:ListRestoreJobs: provenance — the sweep deletes only what this drill's restore jobs created.
    const expected = [...new Set(drill.targets.map((t) => perType[t.resourceType.backupResourceType])), 'backup:ListRestoreJobs'].sort();
    expect(list).toEqual({ Sid: 'ListDrillLeftovers', Effect: 'Allow', Action: expected, Resource: '*' });
  });

  test('no managed policy: AWSLambdaBasicExecutionRole would reach every log group of the account', () => {
    const roles = Template.fromStack(stack).findResources('AWS::IAM::Role');
    const managed = Object.values(roles).flatMap((r: any) => r.Properties.ManagedPolicyArns ?? []).map((a: any) => JSON.stringify(a));
    expect(managed.filter((a) => a.includes('AWSLambdaBasicExecutionRole'))).toEqual([]);
  });

  test('tagging is separate from deleting: the workflow may only add the drill tag, and cannot delete', () => {
    const s = new Stack(new App(), 'Ebs', { env: ENV });
    const key = new kms.Key(s, 'K');
    const d = new RestoreDrill(s, 'D', {
      targets: [DrillTarget.of({ ...base, name: 'vol', resourceType: DrillResourceType.EBS, resourceArn: 'arn:aws:ec2:eu-west-1:111111111111:volume/vol-1' })],
      evidenceKey: key,
      alarmTopic: new sns.Topic(s, 'T'),
    });
    const t = Template.fromStack(s);
    const smRole = s.getLogicalId(d.stateMachine.role.node.defaultChild as any);
    const sm = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === smRole))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(sm.flatMap((x: any) => asList(x.Action)).filter((a: string) => /^(s3|dynamodb|rds|ec2|elasticfilesystem|backup):.*Delete/.test(a))).toEqual([]);
    const tagging = sm.filter((x: any) => asList(x.Action).includes('ec2:CreateTags'));
    expect(tagging.length).toBeGreaterThan(0);
    for (const x of tagging) {
      expect(x.Condition).toEqual({ StringLike: { [`aws:RequestTag/${DRILL_TAG}`]: 'drill-*' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': [DRILL_TAG] } });
    }
  });
});

describe('8g: the state machine role grants exactly what its states call', () => {
  // Beside the calls: CDK's log delivery (execution logging), X-Ray (tracing), and the alarm topic's key for an encrypted publish.
  const NOT_CALLS = /^(logs:(Create|Get|Update|Delete|List)LogDelivery|logs:ListLogDeliveries|logs:PutResourcePolicy|logs:DescribeResourcePolicies|logs:DescribeLogGroups|xray:.*|kms:Decrypt|kms:GenerateDataKey)$/;
  const IAM_PREFIX: { [sdk: string]: string } = { efs: 'elasticfilesystem' };
  function tasksOf(states: any): any[] {
    return Object.values(states).flatMap((st: any) => [st, ...(st.ItemProcessor ? tasksOf(st.ItemProcessor.States) : [])]).filter((st: any) => st.Type === 'Task');
  }
  function machineCalls(t: Template): string[] {
    const calls = new Set<string>();
    for (const task of tasksOf(aslOf(t).States)) {
      const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):(\w+)$/.exec(task.Resource);
      if (sdk) calls.add(`${IAM_PREFIX[sdk[1]] ?? sdk[1]}:${sdk[2][0].toUpperCase()}${sdk[2].slice(1)}`);
      else if (/^arn:aws:lambda:/.test(task.Resource) || task.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') calls.add('lambda:InvokeFunction');
      else throw new Error(`unexpected task resource ${task.Resource}`);
      if (task.Parameters?.IamRoleArn) calls.add('iam:PassRole');
    }
    return [...calls].sort();
  }
  function roleActions(st: Stack, t: Template, d: RestoreDrill): string[] {
    const roleId = st.getLogicalId(d.stateMachine.role.node.defaultChild as any);
    return [...new Set(
      Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement.flatMap((x: any) => asList(x.Action))),
    )].filter((a) => !NOT_CALLS.test(a)).sort();
  }

  test('DynamoDB and S3 targets: no tagging states, and no tagging permission', () => {
    const calls = machineCalls(template);
    expect(calls).toEqual([
      'backup:DescribeRestoreJob', 'backup:GetRecoveryPointRestoreMetadata', 'backup:StartRestoreJob', 'cloudwatch:PutMetricData', 'iam:PassRole', 'lambda:InvokeFunction', 'sns:Publish',
    ]);
    expect(roleActions(stack, template, drill)).toEqual(calls);
  });

  test('EBS and EFS targets: the tagging states and exactly their permission, tag-only', () => {
    const s = new Stack(new App(), 'Volumes', { env: ENV });
    const key = new kms.Key(s, 'K');
    const d = new RestoreDrill(s, 'D', {
      targets: [
        DrillTarget.of({ ...base, name: 'vol', resourceType: DrillResourceType.EBS, resourceArn: 'arn:aws:ec2:eu-west-1:111111111111:volume/vol-1' }),
        DrillTarget.of({ ...base, name: 'fs', resourceType: DrillResourceType.EFS, resourceArn: 'arn:aws:elasticfilesystem:eu-west-1:111111111111:file-system/fs-1' }),
      ],
      evidenceKey: key,
      alarmTopic: new sns.Topic(s, 'T', { masterKey: key }),
      schedule: false,
    });
    const t = Template.fromStack(s);
    const calls = machineCalls(t);
    expect(calls).toEqual(expect.arrayContaining(['ec2:CreateTags', 'elasticfilesystem:TagResource']));
    expect(roleActions(s, t, d)).toEqual(calls);
  });
});

test('the recovery point function may list the drilled vaults and describe recovery points, nothing else', () => {
  const roleId = stack.getLogicalId(drill.recoveryPointFunction.role!.node.defaultChild as any);
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  expect(statements.flatMap((x: any) => asList(x.Action)).filter((a: string) => !a.startsWith('xray:')).sort()).toEqual([
    'backup:DescribeRecoveryPoint', 'backup:ListRecoveryPointsByBackupVault', 'logs:CreateLogStream', 'logs:PutLogEvents',
  ]);
  expect(statements.find((x: any) => x.Action === 'backup:ListRecoveryPointsByBackupVault').Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':backup:eu-west-1:111111111111:backup-vault:data-vault']] });
});

test('8b: the default validator may read the size of exactly the drilled sources', () => {
  const roleId = stack.getLogicalId((drill.validator as lambda.Function).role!.node.defaultChild as any);
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  const tableArn = stack.resolve((drill.targets.find((t) => t.name === 'employees')!).resourceArn);
  const bucketArn = stack.resolve((drill.targets.find((t) => t.name === 'documents')!).resourceArn);
  expect(statements).toEqual(expect.arrayContaining([
    { Action: 'dynamodb:DescribeTable', Effect: 'Allow', Resource: tableArn },
    { Action: 's3:ListBucket', Effect: 'Allow', Resource: bucketArn },
  ]));
});

test('no IAM statement in the stack grants a wildcard action', () => {
  for (const p of Object.values(template.findResources('AWS::IAM::Policy')) as any[]) {
    for (const s of p.Properties.PolicyDocument.Statement) {
      for (const a of asList(s.Action)) expect(a).not.toMatch(/(^\*$|:\*$)/);
    }
  }
});

test('PassRole is limited to the restore role and to AWS Backup', () => {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } }, Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('RestoreRole'), 'Arn'] } }),
      ]),
    },
  });
});

test('metrics can only be written to the DataProtection namespace', () => {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': 'DataProtection' } } })]) },
  });
});

test('schedules: one per drill interval with the targets as input, plus the daily staleness check and canary writer', () => {
  template.resourceCountIs('AWS::Scheduler::Schedule', 4);
  template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 day)', Target: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DrillCanary'), 'Arn'] } } });
  template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(30 days)', Target: { Arn: { Ref: Match.stringLikeRegexp('DrillStateMachine') } } });
  template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(90 days)' });
  template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 day)', Target: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DrillStaleness'), 'Arn'] } } });
  const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')) as any[];
  const monthly = schedules.find((s) => s.Properties.ScheduleExpression === 'rate(30 days)');
  expect(JSON.stringify(monthly.Properties.Target.Input)).toContain('employees');
});

test('alarms: drill failed, stale targets, RTO exceeded, restore events not handled, canary not written — one each per drill, all notifying the topic', () => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
  expect(alarms).toHaveLength(5);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmDescription: Match.stringLikeRegexp('^cdk-data-protection: restore drill .*canary writer failed'),
    MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('DrillCanary') } }],
  });
  const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
  for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  const drill = [{ Name: 'Drill', Value: Match.stringLikeRegexp('/Drill$') }];
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'StaleTargets', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'breaching', Dimensions: drill,
    AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }],
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RtoExceeded', Threshold: 1, Dimensions: drill, AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }] });
  // The objectives travel with each target, so the evidence handler can compare per target.
  const input = JSON.stringify(template.findResources('AWS::Scheduler::Schedule'));
  expect(input).toContain('rtoSeconds');
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]), AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }] });
});

test('execution logs go to an encrypted log group; X-Ray tracing is on', () => {
  template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
    TracingConfiguration: { Enabled: true },
    LoggingConfiguration: { Level: 'ALL', Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DrillExecutionLogs'), 'Arn'] } } }] },
  });
  template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('EvidenceKey'), 'Arn'] } });
});

test('evidence goes to an Object Lock bucket in COMPLIANCE mode', () => {
  template.hasResourceProperties('AWS::S3::Bucket', {
    ObjectLockEnabled: true,
    ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
  });
});

test('restore overrides isolate and encrypt the copy per type', () => {
  const input = stack.resolve(drill.executionInput()) as any;
  const [employees, documents] = input.targets;
  expect(employees).toMatchObject({ name: 'employees', resourceType: 'DynamoDB', backupVaultName: 'data-vault', rtoSeconds: 4 * 3600, rpoSeconds: 3600, intervalDays: 30 });
  expect(employees.restoreMetadata).toEqual({ encryptionType: 'KMS', kmsMasterKeyArn: { 'Fn::GetAtt': [expect.stringMatching(/^EvidenceKey/), 'Arn'] } });
  expect(documents.restoreMetadata).toMatchObject({ NewBucket: 'true', EncryptionType: 'SSE-KMS' });
  const rds = DrillTarget.of({ ...base, resourceType: DrillResourceType.RDS, isolation: { dbSubnetGroupName: 'drill-isolated', securityGroupIds: ['sg-1'] } });
  expect(rds.restoreMetadataOverrides()).toEqual({ PubliclyAccessible: 'false', MultiAZ: 'false', DBSubnetGroupName: 'drill-isolated', VpcSecurityGroupIds: '["sg-1"]' });
  expect(DrillTarget.of({ ...base, resourceType: DrillResourceType.EFS }).restoreMetadataOverrides()).toEqual({ newFileSystem: 'true', Encrypted: 'true' });
});

test('each drilled classified resource records the RESTORE_DRILL control', () => {
  expect(controlsOf(table)).toEqual(
    expect.arrayContaining([
      // With what the report's restore runbook reads: the target (metric dimension, latest-success pointer), the evidence bucket and restore role.
      expect.objectContaining({ control: CONTROLS.RESTORE_DRILL, drill: 'Data/Drill', intervalDays: 30, target: 'employees', evidenceBucket: 'Data/Drill/EvidenceBucket/Bucket', restoreRole: 'Data/Drill/RestoreRole', rtoSeconds: expect.any(Number) }),
    ]),
  );
});

test('a supplied validator replaces the default one', () => {
  const s = new Stack(new App(), 'S', { env: ENV });
  const key = new kms.Key(s, 'K');
  const validator = new lambda.Function(s, 'MyValidator', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'i.h', code: lambda.Code.fromInline('x') });
  const d = new RestoreDrill(s, 'D', { targets: [DrillTarget.of(base)], evidenceKey: key, alarmTopic: new sns.Topic(s, 'T'), validator, schedule: false });
  expect(d.validator).toBe(validator);
  const t = Template.fromStack(s);
  expect(Object.keys(t.findResources('AWS::Lambda::Function')).some((id) => id.includes('Validator') && !id.includes('MyValidator'))).toBe(false);
  t.resourceCountIs('AWS::Scheduler::Schedule', 0);
});

test('poll schedule doubles up to the maximum and sums to the timeout', () => {
  expect(pollSchedule(900, 8 * 3600, 24 * 3600)).toEqual([900, 1800, 3600, 7200, 14400, 28800, 28800, 900]);
});

test('template snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

const base: DrillTargetProps = {
  name: 'orders',
  resourceType: DrillResourceType.DYNAMODB,
  resourceArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/orders',
  backupVaultName: 'vault',
  rto: Duration.hours(4),
  rpo: Duration.hours(1),
  interval: Duration.days(30),
};

describe('bad input fails at synth time, naming prop, value and range', () => {
  const build = (targets: DrillTarget[], extra: Partial<RestoreDrillProps> = {}) => {
    const s = new Stack(new App(), 'Bad', { env: ENV });
    const key = new kms.Key(s, 'K');
    return new RestoreDrill(s, 'D', { targets, evidenceKey: key, alarmTopic: new sns.Topic(s, 'T'), ...extra });
  };

  test('a restore timeout shorter than the first poll', () => {
    expect(() => build([DrillTarget.of({ ...base, restoreTimeout: Duration.minutes(5) })])).toThrow(
      'DrillTargetProps(orders).restoreTimeout must be at least RestoreDrillProps.firstPoll (900 seconds) or the restore is never polled, got 300 seconds',
    );
  });

  test('a restore timeout shorter than the RTO', () => {
    expect(() => build([DrillTarget.of({ ...base, restoreTimeout: Duration.hours(2) })])).toThrow(
      'DrillTargetProps(orders).restoreTimeout must be at least its rto (14400 seconds): a drill that stops waiting before the RTO cannot tell whether it is met, got 7200 seconds',
    );
  });

  test('a tolerance outside 0-100 or a compareWithSource that is not a boolean string', () => {
    expect(() => DrillTarget.of({ ...base, validation: { tolerancePercent: '120' } })).toThrow(
      "DrillTargetProps(orders).validation.tolerancePercent must be a number from 0 to 100 (percent the restored copy may fall short of its source), got '120'",
    );
    expect(() => DrillTarget.of({ ...base, validation: { tolerancePercent: 'ten' } })).toThrow("validation.tolerancePercent must be a number from 0 to 100");
    expect(() => DrillTarget.of({ ...base, validation: { compareWithSource: 'no' } })).toThrow("DrillTargetProps(orders).validation.compareWithSource must be 'true' or 'false', got 'no'");
    expect(DrillTarget.of({ ...base, validation: { tolerancePercent: '25', compareWithSource: 'false' } }).validation).toEqual({ tolerancePercent: '25', compareWithSource: 'false' });
  });

  test('a schedule more frequent than the restore can finish', () => {
    expect(() => DrillTarget.of({ ...base, interval: Duration.days(1), restoreTimeout: Duration.hours(36) })).toThrow(
      'DrillTargetProps(orders).interval must be at least the restore timeout so drills of one resource never overlap: restoreTimeout is 36 hours, got an interval of 24 hours',
    );
  });

  test('an unsupported resource type', () => {
    const s = new Stack(new App(), 'U', { env: ENV });
    const fn = new lambda.Function(s, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'i.h', code: lambda.Code.fromInline('x') });
    classify(fn, DataClassification.INTERNAL);
    const [resource] = ClassifiedResources.within(s);
    expect(() => DrillTarget.fromClassified(resource, { backupVaultName: 'v' })).toThrow(
      "DrillTarget.fromClassified(U/Fn).resourceType: unsupported resource type 'AWS::Lambda::Function' for a restore drill; supported: AWS::S3::Bucket",
    );
    expect(() => DrillTarget.of({ ...base, resourceType: 'Lambda' as unknown as DrillResourceType })).toThrow("DrillTargetProps(orders).resourceType: unsupported resource type 'Lambda'");
  });

  test('an empty list of targets', () => {
    expect(() => build([])).toThrow('RestoreDrillProps.targets must list at least one DrillTarget, got an empty list');
  });

  test('a target without a vault', () => {
    expect(() => DrillTarget.of({ ...base, backupVaultName: undefined })).toThrow('DrillTargetProps(orders).backupVaultName is required');
  });

  test('a target without a recovery point source', () => {
    expect(() => DrillTarget.of({ ...base, resourceArn: undefined })).toThrow(
      'DrillTargetProps(orders): a recovery point source is required: give resourceArn (restore its latest recovery point) or recoveryPointArn, got neither',
    );
  });

  test('a name that cannot name a drill- copy, and duplicate names', () => {
    expect(() => DrillTarget.of({ ...base, name: 'Orders_Table' })).toThrow("DrillTargetProps.name must be 1-40 lowercase letters, digits and single hyphens starting with a letter (it names the restored copy 'drill-<name>-<id>'), got 'Orders_Table'");
    expect(() => build([DrillTarget.of(base), DrillTarget.of(base)])).toThrow("duplicate target name 'orders'");
  });

  test('out-of-range concurrency and poll settings', () => {
    expect(() => build([DrillTarget.of(base)], { maxConcurrency: 0 })).toThrow('RestoreDrillProps.maxConcurrency must be between 1 and 40, got 0');
    expect(() => build([DrillTarget.of(base)], { firstPoll: Duration.seconds(10) })).toThrow('RestoreDrillProps.firstPoll must be between 60 and 86400 seconds, got 10 seconds');
  });

  test('overriding the drill- name in restore metadata', () => {
    expect(() => DrillTarget.of({ ...base, restoreMetadata: { targetTableName: 'prod' } })).toThrow('DrillTargetProps(orders).restoreMetadata.targetTableName is set by the drill');
  });
});

// =============================================================================================
// The reference data account's drill (one file with the restore drill above: one module load).
{
  const accounts = { keyAccount: '111111111111', dataAccounts: ['222222222222'], backupAccount: '333333333333', auditAccount: '444444444444', primaryRegion: 'eu-west-1' };

  test('the snippet for the reference data account: drills for every classified resource, evidence key from the key account', () => {
    const stack = new DataAccountStack(new App(), 'DataAccount', { env: { account: '222222222222', region: 'eu-west-1' }, accounts });
    const employees = new dynamodb.TableV2(stack, 'Employees', {
      tableName: 'hr-employees',
      partitionKey: { name: 'employeeId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(DataClassification.HIGHLY_SENSITIVE)),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    classify(employees, DataClassification.HIGHLY_SENSITIVE);
    const documents = new s3.Bucket(stack, 'Documents', { encryptionKey: stack.keyFor(DataClassification.CONFIDENTIAL), versioned: true });
    classify(documents, DataClassification.CONFIDENTIAL);
    const cluster = new rds.CfnDBCluster(stack, 'Payroll', { engine: 'aurora-postgresql', dbClusterIdentifier: 'hr-payroll' });
    classify(cluster, DataClassification.HIGHLY_SENSITIVE);

    // --- the snippet ---
    const drill = new RestoreDrill(stack, 'RestoreDrill', {
      targets: ClassifiedResources.within(stack).map((r) =>
        DrillTarget.fromClassified(r, {
          backupVaultName: 'data-protection',
          restoreKey: r.resourceType === 'AWS::S3::Bucket' ? stack.keyFor(r.classification) : undefined,
        }),
      ),
      evidenceKey: stack.evidenceKey,
      alarmTopic: stack.alarmTopic.topic,
    });
    // ---

    expect(drill.targets.map((t) => [t.name, t.resourceType, t.intervalDays])).toEqual([
      ['employees', DrillResourceType.DYNAMODB, 30],
      ['documents', DrillResourceType.S3, 90],
      ['payroll', DrillResourceType.AURORA, 30],
    ]);
    expect(stack.resolve(drill.targets[2].resourceArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:eu-west-1:222222222222:cluster:', { Ref: 'Payroll' }]] });
    for (const c of [employees, documents, cluster]) expect(controlsOf(c).map((x) => x.control)).toContain(CONTROLS.RESTORE_DRILL);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    t.resourceCountIs('AWS::Scheduler::Schedule', 4); // 30 days, 90 days, daily staleness, daily canary
  });
}

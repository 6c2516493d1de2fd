import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BackupAlarms } from '../lib';
import { DATA_ACCOUNT, testStack } from '../helpers';

describe('BackupAlarms', () => {
  test('EventBridge rules: backup jobs by state, copy jobs by state, restore jobs by status, to the topic', () => {
    const stack = testStack(DATA_ACCOUNT);
    const topic = new sns.Topic(stack, 'Topic');
    new BackupAlarms(stack, 'Alarms', { topic });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.backup'], 'detail-type': ['Backup Job State Change'], detail: { state: ['FAILED', 'ABORTED', 'EXPIRED'] } },
      Targets: [{ Arn: { Ref: 'TopicBFC7AF6E' } }],
    });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Copy Job State Change'], detail: { state: ['FAILED'] } } });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Restore Job State Change'], detail: { status: ['FAILED', 'ABORTED'] } } });
    // No staleness alarm without a vault; one delivery alarm per rule (EventBridge FailedInvocations), to the same topic.
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a: any) => [a.Properties.Namespace, a.Properties.MetricName, a.Properties.AlarmActions])).toEqual(
      Array(3).fill(['AWS/Events', 'FailedInvocations', [{ Ref: 'TopicBFC7AF6E' }]]),
    );
    const ruleNames = Object.keys(template.findResources('AWS::Events::Rule')).map((id) => ({ Ref: id }));
    expect(alarms.map((a: any) => a.Properties.Dimensions)).toEqual(ruleNames.map((Value) => [{ Name: 'RuleName', Value }]));
  });

  test('jobEvents false: no job rules (another stack of the account has them), staleness alarms stay', () => {
    const stack = testStack(DATA_ACCOUNT);
    const alarms = new BackupAlarms(stack, 'Alarms', { topic: new sns.Topic(stack, 'Topic'), backupVaultName: 'v', resourceTypes: ['S3'], jobEvents: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(alarms.backupJobRule).toBeUndefined();
  });

  test('no recent recovery point: one alarm per resource type, missing data breaches', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupAlarms(stack, 'Alarms', { topic: new sns.Topic(stack, 'Topic'), backupVaultName: 'hr-backups', resourceTypes: ['DynamoDB', 'S3'], maxRecoveryPointAge: Duration.days(2) });
    const template = Template.fromStack(stack);
    // two staleness alarms, and the delivery alarms of the three job rules
    expect(Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/Backup' } })).length).toBe(2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Backup',
      MetricName: 'NumberOfRecoveryPointsCompleted',
      Dimensions: [{ Name: 'BackupVaultName', Value: 'hr-backups' }, { Name: 'ResourceType', Value: 'DynamoDB' }],
      Statistic: 'Sum',
      Period: 86400,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('snapshot', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupAlarms(stack, 'Alarms', { topic: new sns.Topic(stack, 'Topic'), backupVaultName: 'v', resourceTypes: ['S3'] });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test('resource types without a vault', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupAlarms(stack, 'A', { topic: new sns.Topic(stack, 'T'), resourceTypes: ['S3'] })).toThrow(/BackupAlarmsProps.backupVaultName is required with resourceTypes \(S3\)/);
    });
    test('recovery point age outside 1 hour-7 days', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupAlarms(stack, 'A', { topic: new sns.Topic(stack, 'T'), maxRecoveryPointAge: Duration.days(8) })).toThrow(
        'BackupAlarmsProps.maxRecoveryPointAge must be between 1 and 168 hours, got 192 hours',
      );
    });
  });
});

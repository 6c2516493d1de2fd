import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataAccessAlarms, DataAccessTrail } from '../../lib/audit';
import { AlarmTopic } from '../../lib/keys';
import { ARCHIVE, auditKey, dataStack } from './fixtures';

function setup(props: Partial<ConstructorParameters<typeof DataAccessAlarms>[2]> = {}) {
  const stack = dataStack();
  const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
  const topic = new AlarmTopic(stack, 'Alarms');
  const alarms = new DataAccessAlarms(stack, 'DataAccessAlarms', { logGroup: trail.logGroup, topic: topic.topic, ...props });
  return { stack, trail, topic, alarms };
}

const PATTERNS: Record<string, string> = {
  AccessDenied: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
  UnusualExport:
    '{ ($.eventName = "ExportTableToPointInTime") || ($.eventName = "PutBucketReplication") || ($.eventName = "PutBucketPolicy") || ($.eventName = "ModifyDBSnapshotAttribute") || ($.eventName = "ModifyDBClusterSnapshotAttribute") || ($.eventName = "ModifySnapshotAttribute") || ($.eventName = "StartExportTask") }',
  KeyTamper:
    '{ ($.eventSource = "kms.amazonaws.com") && (($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion") || ($.eventName = "PutKeyPolicy") || ($.eventName = "DeleteAlias") || ($.eventName = "UpdateAlias") || ($.eventName = "DisableKeyRotation") || ($.eventName = "DeleteImportedKeyMaterial")) }',
  BackupDeletion:
    '{ ($.eventSource = "backup.amazonaws.com") && (($.eventName = "DeleteBackupVault") || ($.eventName = "DeleteRecoveryPoint") || ($.eventName = "DeleteBackupVaultLockConfiguration") || ($.eventName = "DeleteBackupVaultAccessPolicy") || ($.eventName = "PutBackupVaultAccessPolicy") || ($.eventName = "UpdateRecoveryPointLifecycle") || ($.eventName = "DeleteBackupPlan") || ($.eventName = "DeleteBackupSelection")) }',
  TrailTamper:
    '{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail") || ($.eventName = "UpdateTrail") || ($.eventName = "PutEventSelectors")) }',
};

describe('DataAccessAlarms', () => {
  test('metric filters on the trail log group with the documented patterns', () => {
    const { stack } = setup();
    const template = Template.fromStack(stack);
    const filters = template.findResources('AWS::Logs::MetricFilter');
    expect(Object.keys(filters)).toHaveLength(5);
    for (const [metric, pattern] of Object.entries(PATTERNS)) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: Match.stringLikeRegexp('TrailLogGroup') },
        FilterPattern: pattern,
        MetricTransformations: [{ MetricNamespace: 'DataProtection/DataAccess', MetricName: metric, MetricValue: '1' }],
      });
    }
  });

  test('every alarm notifies the encrypted alarm topic, with safe default thresholds over 5 minutes', () => {
    const { stack, alarms } = setup();
    const template = Template.fromStack(stack);
    const all = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(all)).toHaveLength(6);
    expect(alarms.alarms).toHaveLength(6);
    for (const alarm of Object.values(all)) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmsTopic/) }]);
      expect(alarm.Properties.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const byMetric = (name: string) => Object.values(all).find((a: any) => a.Properties.MetricName === name) as any;
    expect(byMetric('AccessDenied').Properties).toMatchObject({ Threshold: 10, Period: 300, Statistic: 'Sum', Namespace: 'DataProtection/DataAccess' });
    for (const name of ['UnusualExport', 'KeyTamper', 'BackupDeletion', 'TrailTamper']) expect(byMetric(name).Properties.Threshold).toBe(1);
  });

  test('mass reads: Contributor Insights counts reads per principal, the alarm watches the top contributor', () => {
    const { stack, alarms } = setup();
    const template = Template.fromStack(stack);
    const [rule] = Object.values(template.findResources('AWS::CloudWatch::InsightRule')) as any[];
    expect(rule.Properties.RuleState).toBe('ENABLED');
    const body = stack.resolve(alarms.massReadRule.ruleBody);
    const parsed = JSON.parse(body['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : p.Ref)).join(''));
    expect(parsed).toEqual({
      Schema: { Name: 'CloudWatchLogRule', Version: 1 },
      LogGroupNames: [expect.stringMatching(/^TrailLogGroup/)],
      LogFormat: 'JSON',
      Contribution: { Keys: ['$.userIdentity.arn'], Filters: [{ Match: '$.eventName', In: ['GetObject', 'SelectObjectContent', 'GetItem', 'BatchGetItem', 'Query', 'Scan', 'ExecuteStatement', 'BatchExecuteStatement'] }] },
      AggregateOn: 'Count',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1000,
      Metrics: [{ Expression: `INSIGHT_RULE_METRIC('${rule.Properties.RuleName}', 'MaxContributorValue')`, Period: 300, ReturnData: true }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
  });

  test('thresholds and period are configurable', () => {
    const { stack } = setup({ accessDeniedThreshold: 25, massReadThreshold: 5000, keyTamperThreshold: 2, period: Duration.minutes(15) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AccessDenied', Threshold: 25, Period: 900 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'KeyTamper', Threshold: 2 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5000, Metrics: [Match.objectLike({ Period: 900 })] });
  });

  describe('bad input', () => {
    test.each(['accessDeniedThreshold', 'massReadThreshold', 'unusualExportThreshold', 'keyTamperThreshold', 'backupDeletionThreshold', 'trailTamperThreshold'])('%s of 0 or less', (prop) => {
      expect(() => setup({ [prop]: 0 })).toThrow(new RegExp(`DataAccessAlarmsProps.${prop} must be between 1 and 1000000 events, got 0 events`));
      expect(() => setup({ [prop]: -5 })).toThrow(new RegExp(`DataAccessAlarmsProps.${prop} must be between 1 and 1000000 events, got -5 events`));
    });

    test('a fractional threshold', () => {
      expect(() => setup({ accessDeniedThreshold: 2.5 })).toThrow(/DataAccessAlarmsProps.accessDeniedThreshold must be a whole number, got 2.5/);
    });

    test('a period outside 1-1440 minutes', () => {
      expect(() => setup({ period: Duration.seconds(30) })).toThrow(/DataAccessAlarmsProps.period must be a whole number, got 0.5/);
      expect(() => setup({ period: Duration.days(2) })).toThrow(/DataAccessAlarmsProps.period must be between 1 and 1440 minutes, got 2880 minutes/);
    });

    test('an unencrypted topic', () => {
      const stack = dataStack();
      const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
      const plain = new sns.Topic(stack, 'Plain');
      expect(() => new DataAccessAlarms(stack, 'A', { logGroup: trail.logGroup, topic: plain })).toThrow(/DataAccessAlarmsProps.topic Data\/Plain must be encrypted with a customer managed key/);
    });
  });

  test('snapshot', () => {
    const { stack } = setup();
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});

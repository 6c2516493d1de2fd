import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataAccessAlarms, DataAccessTrail } from '../../lib/audit';
import { AlarmTopic } from '../../lib/keys';
import { ARCHIVE, auditKey, dataStack } from './fixtures';

function setup(props: Partial<ConstructorParameters<typeof DataAccessAlarms>[2]> = {}) {
  const stack = dataStack();
  const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
  const topic = new AlarmTopic(stack, 'Alarms', { noSubscriberReason: 'unit test of the alarms alone' });
  const alarms = new DataAccessAlarms(stack, 'DataAccessAlarms', { logGroup: trail.logGroup, topic: topic.topic, ...props });
  return { stack, trail, topic, alarms };
}

const READS = ['GetObject', 'SelectObjectContent', 'CopyObject', 'UploadPartCopy', 'GetItem', 'BatchGetItem', 'Query', 'Scan', 'ExecuteStatement', 'BatchExecuteStatement'];
const anyName = (names: string[]) => names.map((n) => `($.eventName = "${n}")`).join(' || ');
const RESTORES =
  '(($.eventSource = "backup.amazonaws.com") && ($.eventName = "StartRestoreJob")) || ' +
  '(($.eventSource = "dynamodb.amazonaws.com") && (($.eventName = "RestoreTableToPointInTime") || ($.eventName = "RestoreTableFromBackup"))) || ' +
  '(($.eventSource = "rds.amazonaws.com") && (($.eventName = "RestoreDBClusterToPointInTime") || ($.eventName = "RestoreDBInstanceToPointInTime") || ($.eventName = "RestoreDBClusterFromSnapshot") || ($.eventName = "RestoreDBInstanceFromDBSnapshot")))';

const PATTERNS: Record<string, string> = {
  AccessDenied: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
  UnusualExport:
    '{ (($.eventName = "ExportTableToPointInTime") || ($.eventName = "EnableKinesisStreamingDestination") || ($.eventName = "PutBucketReplication") || ($.eventName = "PutBucketPolicy") || ($.eventName = "ModifyDBSnapshotAttribute") || ($.eventName = "ModifyDBClusterSnapshotAttribute") || ($.eventName = "ModifySnapshotAttribute") || ($.eventName = "StartExportTask")) || (($.eventSource = "s3.amazonaws.com") && (($.eventName = "CreateJob") || ($.eventName = "JobCreated"))) }',
  Restore: `{ ${RESTORES} }`,
  KeyTamper:
    '{ ($.eventSource = "kms.amazonaws.com") && (($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion") || ($.eventName = "PutKeyPolicy") || ($.eventName = "DeleteAlias") || ($.eventName = "UpdateAlias") || ($.eventName = "DisableKeyRotation") || ($.eventName = "DeleteImportedKeyMaterial")) }',
  BackupDeletion:
    '{ ($.eventSource = "backup.amazonaws.com") && (($.eventName = "DeleteBackupVault") || ($.eventName = "DeleteRecoveryPoint") || ($.eventName = "DeleteBackupVaultLockConfiguration") || ($.eventName = "DeleteBackupVaultAccessPolicy") || ($.eventName = "PutBackupVaultAccessPolicy") || ($.eventName = "UpdateRecoveryPointLifecycle") || ($.eventName = "DeleteBackupPlan") || ($.eventName = "DeleteBackupSelection")) }',
  TrailTamper:
    '{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail") || ($.eventName = "UpdateTrail") || ($.eventName = "PutEventSelectors")) }',
  AccountMassRead: `{ ${anyName(READS)} }`,
  // Any Region (STS logs where it serves), and any IAM call naming the role (a global-service event the multi-region trail records).
  BreakGlass:
    '{ (($.eventSource = "sts.amazonaws.com") && ($.eventName = "AssumeRole") && ($.requestParameters.roleArn = "*:role/data-protection-break-glass")) || (($.eventSource = "iam.amazonaws.com") && ($.requestParameters.roleName = "data-protection-break-glass")) }',
};

/** The rule body of a Contributor Insights rule, with the log group's Ref as its name. */
function ruleBody(stack: ReturnType<typeof setup>['stack'], rule: any): any {
  const body = stack.resolve(rule.ruleBody);
  return JSON.parse(body['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : p.Ref)).join(''));
}

describe('DataAccessAlarms', () => {
  test('metric filters on the trail log group with the documented patterns', () => {
    const { stack } = setup();
    const template = Template.fromStack(stack);
    const filters = template.findResources('AWS::Logs::MetricFilter');
    expect(Object.keys(filters)).toHaveLength(9);
    for (const [metric, pattern] of Object.entries(PATTERNS)) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: Match.stringLikeRegexp('TrailLogGroup') },
        FilterPattern: pattern,
        MetricTransformations: [{ MetricNamespace: 'DataProtection/DataAccess', MetricName: metric, MetricValue: '1' }],
      });
    }
  });

  test('every pattern fits the 1024 characters of a metric filter pattern', () => {
    const { stack } = setup();
    for (const f of Object.values(Template.fromStack(stack).findResources('AWS::Logs::MetricFilter')) as any[]) {
      expect(typeof f.Properties.FilterPattern === 'string' ? f.Properties.FilterPattern.length : 0).toBeLessThanOrEqual(1024);
    }
  });

  test('every alarm notifies the encrypted alarm topic, with safe default thresholds over 5 minutes', () => {
    const { stack, alarms } = setup();
    const template = Template.fromStack(stack);
    const all = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(all)).toHaveLength(10);
    expect(alarms.alarms).toHaveLength(10);
    for (const alarm of Object.values(all)) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmsTopic/) }]);
      expect(alarm.Properties.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
      // Forwarded to the audit account by their description prefix.
      expect(alarm.Properties.AlarmDescription).toMatch(/^cdk-data-protection: /);
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const byMetric = (name: string) => Object.values(all).find((a: any) => a.Properties.MetricName === name) as any;
    expect(byMetric('AccessDenied').Properties).toMatchObject({ Threshold: 10, Period: 300, Statistic: 'Sum', Namespace: 'DataProtection/DataAccess' });
    expect(byMetric('AccountMassRead').Properties).toMatchObject({ Threshold: 10000, Period: 300, Statistic: 'Sum' });
    for (const name of ['UnusualExport', 'Restore', 'KeyTamper', 'BackupDeletion', 'TrailTamper', 'BreakGlass']) expect(byMetric(name).Properties.Threshold).toBe(1);
  });

  test('byte volume: the sum of bytesTransferredOut of S3 data events, 10 GiB per 5 minutes by default', () => {
    const { stack } = setup();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.eventSource = "s3.amazonaws.com") && ($.additionalEventData.bytesTransferredOut > 0) }',
      MetricTransformations: [{ MetricNamespace: 'DataProtection/DataAccess', MetricName: 'EgressBytes', MetricValue: '$.additionalEventData.bytesTransferredOut', Unit: 'Bytes' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EgressBytes',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10 * 1024 ** 3,
      AlarmDescription: Match.stringLikeRegexp('^cdk-data-protection: 10 GiB or more were read out of S3 objects in 5 minutes'),
    });
  });

  test('mass reads: Contributor Insights counts reads per role whatever the session name, and per IAM user; the alarm watches the busier top contributor', () => {
    const { stack, alarms } = setup();
    const template = Template.fromStack(stack);
    const rules = Object.values(template.findResources('AWS::CloudWatch::InsightRule')) as any[];
    expect(rules).toHaveLength(2);
    for (const r of rules) expect(r.Properties.RuleState).toBe('ENABLED');
    const base = { Schema: { Name: 'CloudWatchLogRule', Version: 1 }, LogGroupNames: [expect.stringMatching(/^TrailLogGroup/)], LogFormat: 'JSON', AggregateOn: 'Count' };
    expect(ruleBody(stack, alarms.massReadRule)).toEqual({
      ...base,
      Contribution: {
        Keys: ['$.userIdentity.sessionContext.sessionIssuer.arn'],
        Filters: [{ Match: '$.eventName', In: READS }, { Match: '$.userIdentity.sessionContext.sessionIssuer.arn', IsPresent: true }],
      },
    });
    expect(ruleBody(stack, alarms.massReadByUserRule)).toEqual({
      ...base,
      Contribution: {
        Keys: ['$.userIdentity.arn'],
        Filters: [{ Match: '$.eventName', In: READS }, { Match: '$.userIdentity.sessionContext.sessionIssuer.arn', IsPresent: false }],
      },
    });
    // A Contributor Insights In filter takes at most 10 values.
    expect(READS.length).toBeLessThanOrEqual(10);
    const [roleName, userName] = [alarms.massReadRule, alarms.massReadByUserRule].map((r) => r.ruleName);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1000,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([byRole, byUser])', ReturnData: true }),
        Match.objectLike({ Id: 'byRole', Expression: `INSIGHT_RULE_METRIC('${roleName}', 'MaxContributorValue')`, ReturnData: false }),
        Match.objectLike({ Id: 'byUser', Expression: `INSIGHT_RULE_METRIC('${userName}', 'MaxContributorValue')`, ReturnData: false }),
      ]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
  });

  test("restores by the expected roles (the drill's) are not counted; sessions without a role always are", () => {
    const stack = dataStack();
    const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
    const topic = new AlarmTopic(stack, 'Alarms', { noSubscriberReason: 'unit test of the alarms alone' });
    const drillRole = iam.Role.fromRoleArn(stack, 'DrillRole', 'arn:aws:iam::111111111111:role/drill-restore');
    new DataAccessAlarms(stack, 'DataAccessAlarms', { logGroup: trail.logGroup, topic: topic.topic, expectedRestoreRoles: [drillRole] });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [Match.objectLike({ MetricName: 'Restore' })],
      FilterPattern:
        `{ (${RESTORES}) && (($.userIdentity.sessionContext.sessionIssuer.arn NOT EXISTS) || ($.userIdentity.sessionContext.sessionIssuer.arn != "arn:aws:iam::111111111111:role/drill-restore")) }`,
    });
  });

  test('thresholds and period are configurable', () => {
    const { stack } = setup({ accessDeniedThreshold: 25, massReadThreshold: 5000, keyTamperThreshold: 2, period: Duration.minutes(15) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AccessDenied', Threshold: 25, Period: 900 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'KeyTamper', Threshold: 2 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5000, Metrics: Match.arrayWith([Match.objectLike({ Id: 'byRole', Period: 900 })]) });
  });

  test('account-wide, byte-volume and restore thresholds are configurable', () => {
    const { stack } = setup({ accountMassReadThreshold: 250_000, egressBytesThreshold: 512 * 1024 ** 2, restoreThreshold: 3 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AccountMassRead', Threshold: 250000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EgressBytes', Threshold: 536870912, AlarmDescription: Match.stringLikeRegexp('512 MiB or more') });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Restore', Threshold: 3 });
  });

  describe('bad input', () => {
    test.each(['accessDeniedThreshold', 'massReadThreshold', 'unusualExportThreshold', 'restoreThreshold', 'keyTamperThreshold', 'backupDeletionThreshold', 'trailTamperThreshold'])('%s of 0 or less', (prop) => {
      expect(() => setup({ [prop]: 0 })).toThrow(new RegExp(`DataAccessAlarmsProps.${prop} must be between 1 and 1000000 events, got 0 events`));
      expect(() => setup({ [prop]: -5 })).toThrow(new RegExp(`DataAccessAlarmsProps.${prop} must be between 1 and 1000000 events, got -5 events`));
    });

    test('accountMassReadThreshold outside 1-100000000 events', () => {
      expect(() => setup({ accountMassReadThreshold: 0 })).toThrow(/DataAccessAlarmsProps.accountMassReadThreshold must be between 1 and 100000000 events, got 0 events/);
      expect(() => setup({ accountMassReadThreshold: 100_000_001 })).toThrow(/DataAccessAlarmsProps.accountMassReadThreshold must be between 1 and 100000000 events, got 100000001 events/);
    });

    test('egressBytesThreshold outside 1 MiB-100 TiB', () => {
      expect(() => setup({ egressBytesThreshold: 1000 })).toThrow(/DataAccessAlarmsProps.egressBytesThreshold must be between 1048576 and 109951162777600 bytes, got 1000 bytes/);
      expect(() => setup({ egressBytesThreshold: 2 * 109951162777600 })).toThrow(/DataAccessAlarmsProps.egressBytesThreshold must be between 1048576 and 109951162777600 bytes, got 219902325555200 bytes/);
      expect(() => setup({ egressBytesThreshold: 1.5 * 1024 ** 2 + 0.5 })).toThrow(/DataAccessAlarmsProps.egressBytesThreshold must be a whole number/);
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

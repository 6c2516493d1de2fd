import { Match, Template } from 'aws-cdk-lib/assertions';
import { ALARM_DESCRIPTION_PREFIX, SECURITY_EVENT_BUS_NAME } from '../../lib/keys/alarm-topic';
import { LIBRARY_NAME_PREFIX } from '../../lib/core/naming';
import { App } from 'aws-cdk-lib';
import { buildReferenceApp } from '../../bin/app';
import { referenceContext } from '../helpers';

// Issue 19, item 2: detection lands in the audit account. One synth of the reference app.
const ref = buildReferenceApp(new App({ context: referenceContext() }));
const stacks = [ref.keys, ref.keysDr!, ref.backup, ref.backupDr!, ref.data];
/** The literal start of a string that may be an `Fn::Join`. */
const firstText = (v: any): string => (typeof v === 'string' ? v : firstText(v['Fn::Join'][1][0]));
const resources = (stack: any, type: string) => Object.entries<any>(Template.fromStack(stack).findResources(type));

describe('detection outside the watched account', () => {
  test('every CloudWatch alarm of every stack starts its description with the prefix the forwarding rule matches', () => {
    let alarms = 0;
    for (const stack of [...stacks, ref.audit]) {
      for (const [id, alarm] of resources(stack, 'AWS::CloudWatch::Alarm')) {
        alarms++;
        expect({ id, prefix: firstText(alarm.Properties.AlarmDescription).startsWith(ALARM_DESCRIPTION_PREFIX) }).toEqual({ id, prefix: true });
      }
    }
    expect(alarms).toBeGreaterThan(20);
  });

  test('every watched stack forwards its alarm state changes and every rule notifying its topic to the audit bus, through one role that may only PutEvents there', () => {
    for (const stack of stacks) {
      const rules = resources(stack, 'AWS::Events::Rule');
      const topics = resources(stack, 'AWS::SNS::Topic').map(([id]) => id);
      const toBus = (rule: any) => rule.Properties.Targets.filter((t: any) => JSON.stringify(t.Arn).includes(`:event-bus/${SECURITY_EVENT_BUS_NAME}`));
      const toTopic = (rule: any) => rule.Properties.Targets.some((t: any) => topics.includes(t.Arn?.Ref));
      const notifying = rules.filter(([, r]) => toTopic(r));
      expect({ stack: stack.stackName, unforwarded: notifying.filter(([, r]) => toBus(r).length !== 1).map(([id]) => id) }).toEqual({ stack: stack.stackName, unforwarded: [] });
      // The audit account's bus in the primary region, whatever the stack's region.
      for (const [, r] of notifying) expect(JSON.stringify(toBus(r)[0].Arn)).toContain(`:events:eu-west-1:444444444444:event-bus/${SECURITY_EVENT_BUS_NAME}`);
    }
    // The alarm-state forwarder: once per account and region, matched on the description prefix.
    const forwarders = stacks.flatMap((s) => resources(s, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern?.['detail-type']?.[0] === 'CloudWatch Alarm State Change'));
    expect(forwarders).toHaveLength(stacks.length);
    // And an hourly heartbeat through the same target and role, once per account and region: a broken path goes silent.
    for (const stack of stacks) {
      const beats = resources(stack, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression === 'rate(1 hour)' && JSON.stringify(r.Properties.Targets).includes(`:event-bus/${SECURITY_EVENT_BUS_NAME}`));
      expect({ stack: stack.stackName, heartbeats: beats.length, role: !!beats[0]?.[1].Properties.Targets[0].RoleArn }).toEqual({ stack: stack.stackName, heartbeats: 1, role: true });
    }
    for (const [, r] of forwarders) expect(r.Properties.EventPattern.detail).toEqual({ configuration: { description: [{ prefix: ALARM_DESCRIPTION_PREFIX }] } });
    // The forwarding role: assumed by EventBridge of its own account, PutEvents on the audit bus only.
    const t = Template.fromStack(ref.data);
    const [roleId] = Object.keys(t.findResources('AWS::IAM::Role', { Properties: { Description: 'cdk-data-protection: EventBridge forwards data-protection events to the audit account' } }));
    const policies = Object.values<any>(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
    expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement.map((s: any) => [s.Action, JSON.stringify(s.Resource).includes(SECURITY_EVENT_BUS_NAME)]))).toEqual([['events:PutEvents', true]]);
  });

  test('the audit account admits the watched accounts on its bus, notifies its subscribed topic of every event, archives them, and alarms when a data trail goes silent', () => {
    const t = Template.fromStack(ref.audit);
    t.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: { Action: 'events:PutEvents', Effect: 'Allow', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } } },
    });
    const watched = ['111111111111', '333333333333', '222222222222'];
    t.hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: Match.stringLikeRegexp('^SecurityEventsBus') }, EventPattern: { account: watched } });
    t.hasResourceProperties('AWS::Events::Archive', { EventPattern: { account: watched }, RetentionDays: 400 });
    t.resourceCountIs('AWS::SNS::Subscription', 1);
    // Heartbeats are counted, not mailed: the notify rule leaves them out, a log group and a metric filter with dimensions count them.
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: watched, 'detail-type': [{ 'anything-but': ['Scheduled Event'] }] } });
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: watched, source: ['aws.events'], 'detail-type': ['Scheduled Event'] } });
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.detail-type = "Scheduled Event" }',
      MetricTransformations: [{ MetricNamespace: 'DataProtection/Forwarding', MetricName: 'Heartbeats', MetricValue: '1', Dimensions: [{ Key: 'Account', Value: '$.account' }, { Key: 'Region', Value: '$.region' }] }],
    });
    // One heartbeat alarm per forwarding account and region: key and backup in both Regions, the data account in the primary.
    const silent = Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.Namespace === 'DataProtection/Forwarding');
    expect(silent.map((a) => a.Properties.Dimensions.map((d: any) => d.Value).join('/')).sort()).toEqual(
      ['111111111111/eu-central-1', '111111111111/eu-west-1', '222222222222/eu-west-1', '333333333333/eu-central-1', '333333333333/eu-west-1'],
    );
    for (const a of silent) expect(a.Properties).toMatchObject({ ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', EvaluationPeriods: 3, Period: 3600 });
    // The log group admits EventBridge for the heartbeat rule only (the policy document is joined with the rule's ARN).
    const [policy] = Object.values<any>(t.findResources('AWS::Logs::ResourcePolicy'));
    const doc = JSON.stringify(policy.Properties.PolicyDocument);
    for (const part of ['events.amazonaws.com', 'logs:CreateLogStream', 'logs:PutLogEvents', 'aws:SourceArn', 'SecurityEventsHeartbeatRule']) expect(doc).toContain(part);
    t.hasResourceProperties('AWS::S3::Bucket', { MetricsConfigurations: [{ Id: 'trail-delivery-222222222222', Prefix: 'data-access/AWSLogs/222222222222/' }] });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PutRequests',
      Namespace: 'AWS/S3',
      Dimensions: [{ Name: 'BucketName', Value: Match.anyValue() }, { Name: 'FilterId', Value: 'trail-delivery-222222222222' }],
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 3,
    });
  });

  test("the library's functions and drill workflows carry the name prefix the monitoring-tamper rule matches", () => {
    for (const stack of stacks) {
      for (const [id, fn] of resources(stack, 'AWS::Lambda::Function')) {
        if (!fn.Properties.FunctionName) continue; // aws-cdk-lib's own providers (custom resources)
        expect({ id, name: String(fn.Properties.FunctionName).startsWith(LIBRARY_NAME_PREFIX) }).toEqual({ id, name: true });
      }
    }
    const machines = resources(ref.data, 'AWS::StepFunctions::StateMachine');
    expect(machines.length).toBeGreaterThan(0);
    for (const [, m] of machines) expect(m.Properties.StateMachineName).toMatch(new RegExp(`^${LIBRARY_NAME_PREFIX}`));
  });
});

describe('tamper and erosion watchers, once per account and region', () => {
  const patterns = (stack: any) => resources(stack, 'AWS::Events::Rule').map(([, r]) => r.Properties.EventPattern ?? {});

  test('monitoring tampering: alarms, metric filters, log groups, rules, the alarm topic, the drill code and workflow, grants and key replication', () => {
    for (const stack of [ref.keys, ref.backup, ref.data]) {
      const monitoring = patterns(stack).filter((p) => p.source?.includes('aws.cloudwatch') && p['detail-type'][0] === 'AWS API Call via CloudTrail');
      expect({ stack: stack.stackName, count: monitoring.length }).toEqual({ stack: stack.stackName, count: 1 });
      const p = monitoring[0];
      expect(p.source).toEqual(['aws.cloudwatch', 'aws.logs', 'aws.events', 'aws.sns', 'aws.lambda', 'aws.states', 'aws.kms']);
      const bySource = Object.fromEntries(p.detail.$or.map((d: any) => [d.eventSource[0], d]));
      expect(bySource['monitoring.amazonaws.com'].eventName).toEqual(['DeleteAlarms', 'DisableAlarmActions']);
      expect(bySource['logs.amazonaws.com'].eventName).toEqual(expect.arrayContaining(['DeleteMetricFilter', 'DeleteLogGroup']));
      expect(bySource['events.amazonaws.com'].eventName).toEqual(expect.arrayContaining(['DisableRule', 'RemoveTargets']));
      expect(bySource['sns.amazonaws.com'].eventName).toEqual(expect.arrayContaining(['Unsubscribe', 'SetTopicAttributes']));
      // Lambda's versioned event names by prefix, the library's functions by name.
      expect(bySource['lambda.amazonaws.com'].eventName).toEqual(expect.arrayContaining([{ prefix: 'UpdateFunctionCode' }]));
      expect(bySource['lambda.amazonaws.com'].requestParameters).toEqual({ functionName: [{ wildcard: `*${LIBRARY_NAME_PREFIX}*` }] });
      expect(bySource['states.amazonaws.com'].eventName).toEqual(['UpdateStateMachine', 'DeleteStateMachine']);
      expect(bySource['kms.amazonaws.com'].eventName).toEqual(['RevokeGrant', 'ReplicateKey', 'UpdatePrimaryRegion']);
    }
    // The rule changes are watched twice: by the monitoring-tamper rule and by a second rule watching it.
    for (const stack of [ref.keys, ref.backup, ref.data]) {
      const ruleWatchers = patterns(stack).filter((p) => JSON.stringify(p.detail ?? {}).includes('"DisableRule"'));
      expect(ruleWatchers).toHaveLength(2);
    }
    // The DR stacks of the key and backup accounts watch their own region.
    for (const stack of [ref.keysDr!, ref.backupDr!]) expect(patterns(stack).filter((p) => p.source?.includes('aws.logs'))).toHaveLength(1);
  });

  test('backup erosion: plan, selection and region settings, and protection tags removed, in accounts that hold backups', () => {
    for (const stack of [ref.backup, ref.data]) {
      const erosion = patterns(stack).filter((p) => p.source?.includes('aws.tag'));
      expect(erosion).toHaveLength(1);
      const bySource = Object.fromEntries(erosion[0].detail.$or.map((d: any) => [d.eventSource[0], d]));
      expect(bySource['backup.amazonaws.com'].eventName).toEqual(['UpdateBackupPlan', 'DeleteBackupSelection', 'UpdateRegionSettings', 'UpdateGlobalSettings']);
      expect(bySource['dynamodb.amazonaws.com']).toEqual({ eventSource: ['dynamodb.amazonaws.com'], eventName: ['UntagResource'], requestParameters: { tagKeys: ['data-classification', 'data-protection:backup-plan', 'data-protection:drill-skip'] } });
      expect(bySource['s3.amazonaws.com'].eventName).toEqual(['PutBucketTagging', 'DeleteBucketTagging']);
    }
    expect(patterns(ref.keys).filter((p) => p.source?.includes('aws.tag'))).toHaveLength(0);
  });

  test('break-glass: one role per account, assumable from the identity account with MFA only, managing keys and vaults of its account; every assumption notifies', () => {
    for (const stack of [ref.keys, ref.backup, ref.data]) {
      const t = Template.fromStack(stack);
      t.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'data-protection-break-glass' }, 1);
      t.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'data-protection-break-glass',
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::777777777777:root' },
              Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' }, NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
            },
          ],
        },
      });
      const assumed = patterns(stack).filter((p) => p.source?.[0] === 'aws.sts');
      expect(assumed).toHaveLength(1);
      expect(JSON.stringify(stack.resolve(assumed[0].detail.requestParameters.roleArn))).toContain(`:iam::${stack.account}:role/data-protection-break-glass`);
      // Its permissions: key and vault management of its own account, nothing on data.
      const [roleId] = Object.keys(t.findResources('AWS::IAM::Role', { Properties: { RoleName: 'data-protection-break-glass' } }));
      const statements = Object.values<any>(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements.map((s: any) => s.Sid)).toEqual(['ManageKeysOfThisAccount', 'ManageVaultsOfThisAccount']);
      for (const s of statements) expect(JSON.stringify(stack.resolve(s.Resource))).toContain(`:${stack.account}:`);
    }
    // The DR regions of those accounts: no second role (IAM is global), but their own assumption rule.
    for (const stack of [ref.keysDr!, ref.backupDr!]) {
      Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'data-protection-break-glass' }, 0);
      expect(patterns(stack).filter((p) => p.source?.[0] === 'aws.sts')).toHaveLength(1);
    }
  });
});

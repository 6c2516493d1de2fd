import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmTopic, AuditAccountStack, BreakGlassRole, DataAccountStack, SecurityEventBus, TrailDeliveryMonitor } from '../../lib';
import { validateAccounts } from '../../lib/topology/accounts';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ACCOUNTS } from '../helpers';

const REAL = { keyAccount: '210987654321', dataAccounts: ['123456789012'], backupAccount: '345678901234', auditAccount: '456789012345', primaryRegion: 'eu-west-1', organizationId: 'o-a1b2c3d4e5' };
const stack = () => new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });

describe('identity account (issue 19, item 1)', () => {
  test('required with real account ids, naming where to set it', () => {
    expect(() => validateAccounts(REAL)).toThrow("DataProtectionAccounts.identityAccount is required: the library creates a break-glass role");
    expect(() => validateAccounts({ ...REAL, identityAccount: '567890123456' })).not.toThrow();
  });
  test('must be 12 digits and not a data account', () => {
    expect(() => validateAccounts({ ...REAL, identityAccount: '5678' })).toThrow('DataProtectionAccounts.identityAccount');
    expect(() => validateAccounts({ ...REAL, identityAccount: '123456789012' })).toThrow('DataProtectionAccounts.identityAccount (123456789012) must not be one of the dataAccounts');
  });
  test('placeholder layouts may leave it out: no role, and a warning on each stack that says what is missing', () => {
    const data = new DataAccountStack(new App(), 'D', { accounts: ACCOUNTS, env: { account: ACCOUNTS.dataAccounts[0], region: ACCOUNTS.primaryRegion } });
    Template.fromStack(data).resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'data-protection-break-glass' }, 0);
    Annotations.fromStack(data).hasWarning('*', Match.stringLikeRegexp('No break-glass role: DataProtectionAccounts.identityAccount is not set'));
  });
});

describe('BreakGlassRole bad input', () => {
  let n = 0;
  const topic = (s: Stack) => new AlarmTopic(s, `T${n++}`, { emailSubscribers: ['a@example.com'] }).topic;
  test('the identity account cannot be the role\'s own account', () => {
    const s = stack();
    expect(() => new BreakGlassRole(s, 'B', { identityAccount: '123456789012', topic: topic(s) })).toThrow('BreakGlassRoleProps.identityAccount (123456789012) must differ from the account of S');
  });
  test('session length 1-12 whole hours', () => {
    const s = stack();
    expect(() => new BreakGlassRole(s, 'B', { identityAccount: '567890123456', topic: topic(s), maxSessionDuration: Duration.hours(13) })).toThrow('BreakGlassRoleProps.maxSessionDuration must be between 1 and 12 hours, got 13 hours');
    expect(() => new BreakGlassRole(s, 'C', { identityAccount: '567890123456', topic: topic(s), maxSessionDuration: Duration.minutes(90) })).toThrow('BreakGlassRoleProps.maxSessionDuration must be whole hours, got 1.5 hours');
  });
});

describe('no alarm without a subscriber or forwarding (issue 19, item 2)', () => {
  test('a topic with neither fails synth, naming the ways out', () => {
    const s = stack();
    new AlarmTopic(s, 'Alarms');
    expect(() => Template.fromStack(s)).toThrow('the alarm topic data-protection-alarms has no subscriber and forwards nowhere');
  });
  test('a subscription added later, forwarding, or a reason is enough; the reason is recorded for the report', () => {
    for (const props of [{ forwardTo: { auditAccount: '456789012345' } }, { noSubscriberReason: 'subscribed by the SIEM team outside CDK' }]) {
      const s = stack();
      new AlarmTopic(s, 'Alarms', props);
      expect(() => Template.fromStack(s)).not.toThrow();
    }
    const s = stack();
    new AlarmTopic(s, 'Alarms', { noSubscriberReason: 'subscribed outside CDK' });
    expect(JSON.stringify(s.node.findAll().flatMap((c) => c.node.metadata))).toContain('AlarmTopicProps.noSubscriberReason');
    expect(() => new AlarmTopic(stack(), 'A', { noSubscriberReason: ' ' })).toThrow('AlarmTopicProps.noSubscriberReason needs a non-empty reason');
  });
  test('the audit account stack fails without alarmEmails', () => {
    const app = new App();
    new AuditAccountStack(app, 'Audit', { accounts: ACCOUNTS, env: { account: ACCOUNTS.auditAccount, region: ACCOUNTS.primaryRegion } });
    expect(() => app.synth()).toThrow('has no subscriber and forwards nowhere');
  });
});

describe('audit-account constructs, bad input', () => {
  test('SecurityEventBus: accounts and archive retention', () => {
    const s = stack();
    const t = new AlarmTopic(s, 'T', { emailSubscribers: ['a@example.com'] }).topic;
    expect(() => new SecurityEventBus(s, 'A', { sourceAccounts: [], topic: t })).toThrow('SecurityEventBusProps.sourceAccounts must list at least one account id, got []');
    expect(() => new SecurityEventBus(s, 'B', { sourceAccounts: ['12'], topic: t })).toThrow('SecurityEventBusProps.sourceAccounts[0]');
    expect(() => new SecurityEventBus(s, 'C', { sourceAccounts: ['210987654321'], topic: t, archiveRetention: Duration.days(4000) })).toThrow('SecurityEventBusProps.archiveRetention must be between 1 and 3650 days, got 4000 days');
  });
  test('TrailDeliveryMonitor: silence in whole hours 2-24, and a bucket of its own stack', () => {
    const s = stack();
    const t = new AlarmTopic(s, 'T', { emailSubscribers: ['a@example.com'] }).topic;
    const bucket = new s3.Bucket(s, 'B');
    const base = { bucket, s3KeyPrefix: 'data-access', accounts: ['210987654321'], topic: t };
    expect(() => new TrailDeliveryMonitor(s, 'M1', { ...base, maxSilence: Duration.hours(1) })).toThrow('TrailDeliveryMonitorProps.maxSilence must be between 2 and 24 hours, got 1 hours');
    expect(() => new TrailDeliveryMonitor(s, 'M2', { ...base, maxSilence: Duration.minutes(150) })).toThrow('TrailDeliveryMonitorProps.maxSilence must be whole hours, got 2.5 hours');
    const other = new Stack(s.node.scope as App, 'Other', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(() => new TrailDeliveryMonitor(other, 'M3', base)).toThrow('TrailDeliveryMonitorProps.bucket must be a bucket created in Other');
  });
});

/**
 * The audit account's copy of each drill result (RestoreDrillProps.evidenceEventBusArn): the
 * workflow executed with its REAL bundled handlers against the fake AWS. The evidence function puts
 * one event on the audit account's bus after writing the local record; a failed put (an error, or
 * HTTP 200 with FailedEntryCount > 0) keeps the local evidence, still notifies and publishes
 * metrics, and fails the execution with EVIDENCE_FAILED (the drill-failed alarm).
 */
import { createHash } from 'node:crypto';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataAccountStack } from '../../lib';
import { DrillResourceType, DrillTarget, RESTORE_DRILL_STATES as S, RestoreDrill, RestoreDrillProps } from '../../lib/drill';
import { ACCOUNT, EVIDENCE_BUCKET, evidenceWritten, runDrill, withFakeAws } from './drill-harness';
import { FakeAws } from './fake-aws';
import { ACCOUNTS, DATA_ACCOUNT, REGION } from '../helpers';
import { aslOf, ENV } from './helpers';

const BUS = 'arn:aws:events:eu-west-1:999999999999:event-bus/data-protection-security-events';
const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/hr-employees`;

function drillIn(stack: Stack, extra: Partial<RestoreDrillProps> = {}) {
  const key = new kms.Key(stack, 'Key');
  return new RestoreDrill(stack, 'Drill', {
    targets: [DrillTarget.of({ name: 'employees', resourceType: DrillResourceType.DYNAMODB, resourceArn: TABLE, backupVaultName: 'data-vault', rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) })],
    evidenceKey: key,
    alarmTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
    schedule: false,
    evidenceEventBusArn: BUS,
    ...extra,
  });
}

const stack = new Stack(new App(), 'Audited', { env: ENV });
const drill = drillIn(stack);
const template = Template.fromStack(stack);
const asl = aslOf(template);
const input = JSON.parse(JSON.stringify(stack.resolve(drill.executionInput())));
const evidenceEnv = template.toJSON().Resources[stack.getLogicalId(drill.evidenceFunction.node.defaultChild as any)].Properties.Environment.Variables;

let aws: FakeAws;
withFakeAws((a) => (aws = a));
beforeAll(() => (process.env.EVIDENCE_EVENT_BUS_ARN = evidenceEnv.EVIDENCE_EVENT_BUS_ARN));
afterAll(() => delete process.env.EVIDENCE_EVENT_BUS_ARN);

async function run() {
  const r = await runDrill(asl, input);
  return { ...r, evidence: evidenceWritten(aws), notifications: r.calls[S.NOTIFY] ?? [], metrics: (r.calls[S.METRICS] ?? [])[0]?.MetricData ?? [], puts: aws.callsOf('events.PutEvents') };
}

describe('template', () => {
  test('the evidence function gets the bus ARN and events:PutEvents on that bus only', () => {
    expect(evidenceEnv.EVIDENCE_EVENT_BUS_ARN).toBe(BUS);
    const statements = Object.values(template.toJSON().Resources as { [k: string]: any })
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('events:PutEvents'));
    expect(statements).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: BUS }]);
  });

  test("DataAccountStack: the account's drill sends its evidence to the audit account's security bus (its alarm topic's forwarding)", () => {
    const data = new DataAccountStack(new App(), 'Hr', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    data.protect({});
    const t = Template.fromStack(data);
    const bus = data.resolve(data.alarmTopic.securityEventBusArn);
    expect(JSON.stringify(bus)).toContain(`:${ACCOUNTS.auditAccount}:event-bus/data-protection-security-events`);
    const fn = t.toJSON().Resources[data.getLogicalId(data.restoreDrill!.evidenceFunction.node.defaultChild as any)];
    expect(fn.Properties.Environment.Variables.EVIDENCE_EVENT_BUS_ARN).toEqual(bus);
    const puts = Object.values(t.toJSON().Resources as { [k: string]: any })
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('events:PutEvents'));
    // The evidence function's grant is on the audit bus only (the forwarding role's is the same bus).
    expect(puts.length).toBeGreaterThanOrEqual(1);
    for (const st of puts) expect(st.Resource).toEqual(bus);
  });

  test('without the prop nothing is put and no PutEvents is granted', () => {
    const s = new Stack(new App(), 'Local', { env: ENV });
    drillIn(s, { evidenceEventBusArn: undefined });
    expect(JSON.stringify(Template.fromStack(s).toJSON())).not.toMatch(/events:PutEvents|EVIDENCE_EVENT_BUS_ARN/);
  });

  test('a literal that is no event bus ARN is a synth error naming the prop and the value', () => {
    expect(() => drillIn(new Stack(new App(), 'Bad', { env: ENV }), { evidenceEventBusArn: 'arn:aws:sns:eu-west-1:999999999999:topic' })).toThrow(
      "RestoreDrillProps.evidenceEventBusArn must be an EventBridge event bus ARN (arn:<partition>:events:<region>:<12-digit account>:event-bus/<name>), got 'arn:aws:sns:eu-west-1:999999999999:topic'",
    );
  });
});

describe('the workflow (real bundled handlers, fake AWS)', () => {
  test('success: after the local record, one event on the audit bus with the essentials and the SHA-256 of the evidence object', async () => {
    aws.on('events.PutEvents', { FailedEntryCount: 0, Entries: [{ EventId: '11111111-2222-3333-4444-555555555555' }] });
    const r = await run();
    expect(r.result.status).toBe('SUCCEEDED');
    expect(r.evidence).toHaveLength(1);
    expect(r.puts).toHaveLength(1);
    const [entry] = r.puts[0].Entries;
    expect(entry).toMatchObject({ EventBusName: BUS, Source: 'cdk-data-protection.drill', DetailType: 'Restore Drill Evidence' });
    const detail = JSON.parse(entry.Detail);
    const body = aws.callsOf('s3.PutObject').find((p) => p.Key === r.evidence[0].key).Body;
    expect(detail).toMatchObject({
      drill: 'Audited/Drill',
      target: 'employees',
      status: 'SUCCEEDED',
      recoveryPoint: { arn: r.evidence[0].record.recoveryPoint.arn },
      restoreJob: { id: 'job-1', status: 'COMPLETED' },
      rto: { measuredSeconds: 42 * 60, met: true },
      rpo: { measuredSeconds: 30 * 60, met: true },
      evidence: { bucket: EVIDENCE_BUCKET, key: r.evidence[0].key, written: true, sha256: createHash('sha256').update(body).digest('hex'), checksumSHA256: createHash('sha256').update(body).digest('base64') },
    });
    // The notification says where the audit copy went; the pointer names the restore job the staleness check verifies.
    expect(r.notifications[0].Message).toContain('audit account copy: event 11111111-2222-3333-4444-555555555555');
    expect(JSON.parse(aws.callsOf('s3.PutObject').find((p) => p.Key === 'latest-success/employees.json').Body)).toMatchObject({ evidenceKey: r.evidence[0].key, restoreJobId: 'job-1' });
  });

  test.each([
    ['HTTP 200 with FailedEntryCount 1', (a: FakeAws) => a.on('events.PutEvents', { FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized to put events on the bus' }] }), 'AccessDeniedException: PutEvents failed for the evidence event (FailedEntryCount 1): AccessDeniedException: not authorized to put events on the bus'],
    ['an error answer', (a: FakeAws) => a.fails('events.PutEvents', 'ResourceNotFoundException', 'Event bus data-protection-security-events does not exist.'), 'ResourceNotFoundException: Event bus data-protection-security-events does not exist.'],
  ])('a failed put (%s) keeps the local evidence, notifies, publishes metrics and fails the execution with EVIDENCE_FAILED', async (_name, fault, text) => {
    fault(aws);
    const r = await run();
    // Local evidence written and intact: the drill itself succeeded.
    expect(r.evidence).toHaveLength(1);
    expect(r.evidence[0].record.status).toBe('SUCCEEDED');
    expect(aws.callsOf('s3.PutObject').map((p) => p.Key)).toContain('latest-success/employees.json');
    // Notified and measured, then the execution fails: the drill-failed alarm fires.
    expect(r.notifications).toHaveLength(1);
    expect(r.notifications[0].Subject).toBe('Restore drill EVIDENCE_FAILED: employees');
    expect(r.notifications[0].Message).toContain(`EVIDENCE NOT SENT to the audit account's bus ${BUS}: ${text}`);
    expect(r.metrics.find((m: any) => m.MetricName === 'DrillSucceeded')?.Value).toBe(1);
    expect(r.result.status).toBe('FAILED');
    expect(r.result.error).toBe(JSON.stringify(['EVIDENCE_FAILED']));
    const summary = (JSON.parse(r.result.cause) as any[])[0];
    expect(summary).toMatchObject({ target: 'employees', status: 'EVIDENCE_FAILED', drillStatus: 'SUCCEEDED', ok: false });
    expect(summary.reason).toContain('evidence NOT sent to the audit account');
    expect(summary.reason).toContain(`recorded at s3://${EVIDENCE_BUCKET}/${r.evidence[0].key}`);
  });

  test('the local write failing still sends the event (written: false): the audit account has the record', async () => {
    aws.on('events.PutEvents', { FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    aws.fails('s3.PutObject', 'AccessDenied', 'Access Denied', 403);
    const r = await run();
    expect(r.result.status).toBe('FAILED');
    expect(JSON.parse(r.puts[0].Entries[0].Detail)).toMatchObject({ status: 'SUCCEEDED', evidence: { written: false } });
    expect(r.notifications[0].Subject).toBe('Restore drill EVIDENCE_FAILED: employees');
  });
});

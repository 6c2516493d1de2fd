/**
 * Event-driven completion of the restore wait (GitHub issue 16, item 4): the workflow's
 * `.waitForTaskToken` tasks run the REAL bundled restore-events function (register), AWS Backup's
 * "Restore Job State Change" events run it again (resume), and the fake AWS answers DynamoDB (the
 * token table), DescribeRestoreJob and SendTaskSuccess, which resolves the waiting task
 * (drill-harness.ts `restoreEventsWorld`). Template assertions cover the rule, the table and the grants.
 */
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DrillResourceType, DrillTarget, RESTORE_DRILL_STATES as S, RestoreDrill, waitSchedule } from '../../lib/drill';
import { ACCOUNT, evidenceWritten, runDrill, RunOptions, TOKEN_TABLE, withFakeAws } from './drill-harness';
import { FakeAws } from './fake-aws';
import { aslOf, ENV } from './helpers';

const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/hr-employees`;
const stack = new Stack(new App(), 'Events', { env: ENV });
const key = new kms.Key(stack, 'Key');
const drill = new RestoreDrill(stack, 'Drill', {
  targets: [
    DrillTarget.of({ name: 'employees', resourceType: DrillResourceType.DYNAMODB, resourceArn: TABLE, backupVaultName: 'data-vault', rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) }),
  ],
  evidenceKey: key,
  alarmTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
  schedule: false,
});
const template = Template.fromStack(stack);
const asl = aslOf(template);
const input = JSON.parse(JSON.stringify(stack.resolve(drill.executionInput())));
const states = asl.States[S.MAP].ItemProcessor.States;
const { first, every } = input.targets[0].poll;

let aws: FakeAws;
withFakeAws((a) => (aws = a));

async function run(options: RunOptions = {}) {
  const r = await runDrill(asl, input, options);
  const record = evidenceWritten(aws)[0]?.record;
  const entered = r.result.events.filter((e: any) => e.type === 'StateEntered').map((e: any) => e.state.name);
  return { ...r, record, entered };
}
const ops = () => aws.calls.map((c) => `${c.service}.${c.operation}`);

describe('the drill resumes from the restore job event', () => {
  test('event arrives during the first wait: resumed with the job, validated, token deleted, no fallback check', async () => {
    const r = await run();
    expect(r.result.status).toBe('SUCCEEDED');
    expect(r.record.status).toBe('SUCCEEDED');
    expect(r.calls[S.WAIT]).toEqual([
      { FunctionName: expect.stringContaining('RestoreEvents'), Payload: { register: true, taskToken: 'local-task-token', restoreJobId: 'job-1', restoreTimeoutSeconds: 8 * 3600, waitSeconds: first } },
    ]);
    expect(r.calls[S.WAIT_AGAIN]).toBeUndefined();
    expect(r.restoreEvents.registered).toEqual([{ resumed: false, reason: "waiting for the restore job's event (status RUNNING)", status: 'RUNNING' }]);
    expect(r.restoreEvents.delivered.map((d) => d.outcome)).toEqual([{ resumed: true, reason: 'the restore job ended COMPLETED', status: 'COMPLETED' }]);
    // Register: store the token, THEN describe. Event: look the token up, describe, resume, forget.
    expect(ops().filter((o) => /PutItem|GetItem|DeleteItem|DescribeRestoreJob|SendTaskSuccess/.test(o))).toEqual([
      'dynamodb.PutItem', 'backup.DescribeRestoreJob', 'dynamodb.GetItem', 'backup.DescribeRestoreJob', 'states.SendTaskSuccess', 'dynamodb.DeleteItem',
    ]);
    const put = aws.callsOf('dynamodb.PutItem')[0];
    expect(put).toMatchObject({ TableName: TOKEN_TABLE, Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 'token-1' } } });
    // Expires after the restore timeout, the wait and a day.
    expect(Number(put.Item.expiresAt.N) - Date.now() / 1000).toBeGreaterThanOrEqual(8 * 3600 + first + 86_400 - 60);
    // SendTaskSuccess carries DescribeRestoreJob's answer as the SDK integration would (ISO dates), into $.job.
    const output = JSON.parse(aws.callsOf('states.SendTaskSuccess')[0].output);
    expect(output).toMatchObject({ RestoreJobId: 'job-1', Status: 'COMPLETED', CreatedResourceArn: expect.stringMatching(/table\/drill-employees-/), CompletionDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(aws.callsOf('dynamodb.DeleteItem')).toEqual([expect.objectContaining({ Key: { restoreJobId: { S: 'job-1' } }, ConditionExpression: 'taskToken = :t', ExpressionAttributeValues: { ':t': { S: 'token-1' } } })]);
    // The record has the real RTO (CreationDate to CompletionDate of the description).
    expect(r.record.rto).toMatchObject({ measuredSeconds: 42 * 60, met: true });
  });

  test('job already ended before the token was stored: the register step finds it and resumes the execution itself', async () => {
    const r = await run({ job: { polls: 1 } });
    expect(r.result.status).toBe('SUCCEEDED');
    expect(r.restoreEvents.registered).toEqual([{ resumed: true, reason: 'the restore job had already ended COMPLETED', status: 'COMPLETED' }]);
    expect(r.restoreEvents.delivered).toEqual([]);
    expect(aws.callsOf('states.SendTaskSuccess')).toHaveLength(1);
    expect(aws.callsOf('dynamodb.DeleteItem')).toHaveLength(1);
  });

  test('event lost: the wait times out after firstPoll, the next registration describes the job and resumes', async () => {
    const r = await run({ job: { events: 'lost' } });
    expect(r.result.status).toBe('SUCCEEDED');
    expect(r.restoreEvents.timeouts).toBe(1);
    expect(r.restoreEvents.virtualSeconds).toBe(first);
    expect(r.calls[S.WAIT_AGAIN]).toEqual([expect.objectContaining({ Payload: expect.objectContaining({ waitSeconds: every }) })]);
    expect(r.restoreEvents.registered.map((o) => o.resumed)).toEqual([false, true]);
    // Waits, then the choice: one state transition per fallback check.
    expect(r.entered.filter((s: string) => [S.WAIT, S.WAIT_AGAIN, S.FINISHED].includes(s))).toEqual([S.WAIT, S.WAIT_AGAIN, S.FINISHED]);
  });

  test.each(['FAILED', 'ABORTED'])('%s event: RESTORE_FAILED, nothing validated, cleanup still runs', async (final) => {
    const r = await run({ job: { final } });
    expect(r.restoreEvents.delivered.map((d) => d.outcome)).toEqual([{ resumed: true, reason: `the restore job ended ${final}`, status: final }]);
    expect(r.calls[S.VALIDATE]).toBeUndefined();
    expect(r.calls[S.CLEANUP]).toHaveLength(1);
    expect(r.record.status).toBe('RESTORE_FAILED');
    expect(r.result).toMatchObject({ status: 'FAILED', error: '["RESTORE_FAILED"]' });
  });

  test('a forged resume (SendTaskSuccess claiming COMPLETED with the source as the copy) changes nothing: the drill decides on DescribeRestoreJob, which says FAILED', async () => {
    const forged = { RestoreJobId: 'job-1', Status: 'COMPLETED', CreationDate: new Date().toISOString(), CompletionDate: new Date().toISOString(), CreatedResourceArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/hr-employees` };
    const r = await run({ job: { final: 'FAILED', polls: 1 }, sdk: { [S.WAIT]: () => forged } });
    expect(r.entered).toContain(S.CONFIRM);
    expect(r.calls[S.VALIDATE]).toBeUndefined();
    expect(r.record.status).toBe('RESTORE_FAILED');
  });

  test('restore timeout: the waits sum to it, the last registration resumes with the job still RUNNING, the drain follows', async () => {
    const r = await run({ job: { polls: Infinity } });
    expect(r.restoreEvents.virtualSeconds).toBe(8 * 3600);
    expect(r.restoreEvents.registered.at(-1)).toMatchObject({ resumed: true, status: 'RUNNING' });
    expect(r.entered).toEqual(expect.arrayContaining([S.TIMED_OUT, S.TIMEOUT_METRICS, S.DRAIN_WAIT, S.DRAIN_DESCRIBE]));
    expect(r.record.status).toBe('RESTORE_TIMED_OUT');
    // No token left behind for a late event.
    expect(aws.callsOf('dynamodb.DeleteItem')).toHaveLength(1);
  });
});

describe('the resume handler on its own (as EventBridge invokes it)', () => {
  const handler = () => require(join(__dirname, '..', '..', 'assets', 'handlers', 'drill-restore-events', 'index.js')).handler;
  const event = (restoreJobId: string, status = 'COMPLETED') => ({ source: 'aws.backup', 'detail-type': 'Restore Job State Change', detail: { restoreJobId, status } });

  test('a restore job no drill waits for: no-op, nothing described or resumed', async () => {
    aws.on('dynamodb.GetItem', {});
    expect(await handler()(event('someone-elses-job'))).toEqual({ resumed: false, reason: 'no drill waits for restore job someone-elses-job' });
    expect(ops()).toEqual(['dynamodb.GetItem']);
    expect(aws.callsOf('dynamodb.GetItem')[0]).toMatchObject({ TableName: TOKEN_TABLE, Key: { restoreJobId: { S: 'someone-elses-job' } }, ConsistentRead: true });
  });

  test('an event without a restore job id: no-op', async () => {
    expect(await handler()({ source: 'aws.backup', detail: {} })).toEqual({ resumed: false, reason: 'the event names no restore job' });
    expect(ops()).toEqual([]);
  });

  test('the register step resumed it first: TaskTimedOut is ignored', async () => {
    aws.on('dynamodb.GetItem', { Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 'used' } } });
    aws.on('backup.DescribeRestoreJob', { RestoreJobId: 'job-1', Status: 'COMPLETED', CreationDate: new Date().toISOString() });
    aws.fails('states.SendTaskSuccess', 'TaskTimedOut', 'Task Timed Out');
    aws.fails('dynamodb.DeleteItem', 'ConditionalCheckFailedException', 'The conditional request failed');
    expect(await handler()(event('job-1'))).toEqual({ resumed: false, reason: 'the execution had already moved on', status: 'COMPLETED' });
  });

  test('DescribeRestoreJob still reports RUNNING: left to the next check, not resumed with a running job', async () => {
    aws.on('dynamodb.GetItem', { Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 't' } } });
    aws.on('backup.DescribeRestoreJob', { RestoreJobId: 'job-1', Status: 'RUNNING', CreationDate: new Date().toISOString() });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await handler()(event('job-1'))).toMatchObject({ resumed: false, status: 'RUNNING' });
    warn.mockRestore();
    expect(aws.callsOf('states.SendTaskSuccess')).toEqual([]);
  });

  test('any other SendTaskSuccess error fails the invocation (Lambda retries, the alarm counts it)', async () => {
    aws.on('dynamodb.GetItem', { Item: { restoreJobId: { S: 'job-1' }, taskToken: { S: 't' } } });
    aws.on('backup.DescribeRestoreJob', { RestoreJobId: 'job-1', Status: 'FAILED', CreationDate: new Date().toISOString() });
    aws.fails('states.SendTaskSuccess', 'AccessDeniedException', 'not authorized to perform states:SendTaskSuccess');
    await expect(handler()(event('job-1', 'FAILED'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('the template', () => {
  test('the rule: AWS Backup restore-job events of the drill restore role, terminal statuses only, to the restore-events function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.backup'],
        'detail-type': ['Restore Job State Change'],
        detail: { status: ['COMPLETED', 'FAILED', 'ABORTED'], iamRoleArn: [{ 'Fn::GetAtt': [stack.getLogicalId(drill.restoreRole.node.defaultChild as any), 'Arn'] }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(drill.restoreEventsFunction.node.defaultChild as any), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [stack.getLogicalId(drill.restoreEventsRule.node.defaultChild as any), 'Arn'] } });
  });

  test('the token table: key restoreJobId, on demand, TTL, PITR, encrypted, deleted with the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: {
        KeySchema: [{ AttributeName: 'restoreJobId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  test('grants: the function reaches only the table for DynamoDB; SendTaskSuccess and DescribeRestoreJob (no resource types) on *, acknowledged', () => {
    const roleId = stack.getLogicalId(drill.restoreEventsFunction.role!.node.defaultChild as any);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(drill.restoreTokenTable.node.defaultChild as any), 'Arn'] };
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'], Resource: tableArn }),
      expect.objectContaining({ Action: ['backup:DescribeRestoreJob', 'states:SendTaskSuccess'], Resource: '*' }),
    ]));
    for (const s of statements) {
      const actions = [s.Action].flat();
      if (actions.some((a: string) => a.startsWith('dynamodb:'))) expect(s.Resource).toEqual(tableArn);
      expect(actions).not.toContain('*');
    }
    // The state machine role may invoke the function; it never resumes tasks itself.
    const machineRoleId = stack.getLogicalId(drill.stateMachine.role.node.defaultChild as any);
    const machine = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === machineRoleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(machine.flatMap((s: any) => [s.Action].flat())).not.toContain('states:SendTaskSuccess');
    expect(JSON.stringify(machine)).toContain(stack.getLogicalId(drill.restoreEventsFunction.node.defaultChild as any));
  });

  test('an alarm on function errors and failed rule invocations notifies the alarm topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('restore-job event was not handled'),
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'errors + failed' })]),
      AlarmActions: [Match.anyValue()],
    });
  });

  test('after a wait resumes, the job is described again and the decision is on AWS Backup\'s answer, not on what SendTaskSuccess carried', () => {
    expect(states[S.CONFIRM]).toMatchObject({ Resource: 'arn:aws:states:::aws-sdk:backup:describeRestoreJob', Parameters: { 'RestoreJobId.$': '$.restoreJob.RestoreJobId' }, ResultPath: '$.job', Next: S.FINISHED });
  });

  test('the wait states: .waitForTaskToken, timeouts from the input, States.Timeout before States.ALL, the second loops on itself', () => {
    for (const [name, path] of [[S.WAIT, '$.target.poll.first'], [S.WAIT_AGAIN, '$.target.poll.every']]) {
      expect(states[name]).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: path, ResultPath: '$.job', Next: S.CONFIRM });
      expect(states[name].Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
      expect(states[name].Catch.map((c: any) => [c.ErrorEquals, c.Next])).toEqual([[['States.Timeout'], S.WAIT_AGAIN], [['States.ALL'], 'Drill step failed']]);
      expect(states[name].Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['Lambda.TooManyRequestsException'], MaxAttempts: 8 })]));
    }
    expect(states[S.FINISHED].Default).toBe(S.TIMED_OUT);
    expect(states).not.toHaveProperty(['Describe restore job']);
  });
});

describe('waitSchedule', () => {
  test('first check after firstPoll, then even waits of at most the maximum that end on the timeout', () => {
    // 48 h timeout: 15 min, then 6 waits of 7.96 h; the sixth ends on the timeout (rounded up to the second).
    expect(waitSchedule(900, 8 * 3600, 48 * 3600)).toEqual({ first: 900, every: 28650 });
    expect(900 + 6 * 28650).toBe(48 * 3600);
    expect(waitSchedule(900, 8 * 3600, 8 * 3600)).toEqual({ first: 900, every: 27900 });
    expect(waitSchedule(3600, 8 * 3600, 3600)).toEqual({ first: 3600, every: 28800 });
  });
});

/**
 * Executes the synthesized state machine locally (aws-local-stepfunctions) with every task
 * mocked: each path must end with an evidence record, a notification and a final status
 * that says what happened.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Duration } from 'aws-cdk-lib';
import { DrillResourceType, DrillTarget, RESTORE_DRILL_STATES as S, RestoreDrill } from '../../lib/drill';
import { aslOf, drillStack, ENV, happyHandlers, restoreJob, runLocally } from './helpers';

function singleTarget(type = DrillResourceType.DYNAMODB, extra: Partial<Parameters<typeof DrillTarget.of>[0]> = {}) {
  const stack = new Stack(new App(), 'Data', { env: ENV });
  const key = new kms.Key(stack, 'Key');
  const drill = new RestoreDrill(stack, 'Drill', {
    targets: [
      DrillTarget.of({
        name: 'employees',
        resourceType: type,
        resourceArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/hr-employees',
        backupVaultName: 'data-vault',
        rto: Duration.hours(4),
        rpo: Duration.hours(1),
        interval: Duration.days(30),
        ...extra,
      }),
    ],
    evidenceKey: key,
    alarmTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
  });
  const asl = aslOf(Template.fromStack(stack));
  const input = JSON.parse(JSON.stringify(stack.resolve(drill.executionInput())));
  return { asl, input, drill };
}

const { asl, input } = singleTarget();

async function drill(break_: (h: ReturnType<typeof happyHandlers>) => void = () => undefined, run = { asl, input }) {
  const calls: { [state: string]: any[] } = {};
  const mocks = happyHandlers();
  break_(mocks);
  const handlers = Object.fromEntries(
    Object.entries(mocks).map(([name, fn]) => [name, (i: any) => ((calls[name] ??= []).push(i), fn(i))]),
  );
  const result = await runLocally(run.asl, run.input, handlers);
  const evidence = calls[S.EVIDENCE]?.[0];
  return { result, calls, evidence, record: evidence ? require('../../lib/drill/handlers/drill-evidence.lambda').buildEvidence(evidence, Date.now()) : undefined };
}

function expectEvidenceAndNotification(r: Awaited<ReturnType<typeof drill>>, status: string) {
  expect(r.calls[S.CLEANUP]).toHaveLength(1);
  expect(r.calls[S.EVIDENCE]).toHaveLength(1);
  expect(r.calls[S.METRICS]).toHaveLength(1);
  expect(r.calls[S.NOTIFY]).toHaveLength(1);
  expect(r.calls[S.NOTIFY][0].Subject).toBe(`Restore drill ${status}`);
  expect(r.record.status).toBe(status);
  if (status === 'SUCCEEDED') {
    expect(r.result.status).toBe('SUCCEEDED');
  } else {
    expect(r.result.status).toBe('FAILED');
    expect(r.result.error).toBe(JSON.stringify([status]));
    expect(JSON.parse(r.result.cause)[0]).toMatchObject({ target: 'employees', status, ok: false });
  }
}

test('success: restores the latest COMPLETED point under a drill- name, validates, cleans up, records RTO and RPO', async () => {
  const r = await drill();
  expectEvidenceAndNotification(r, 'SUCCEEDED');
  const start = r.calls[S.START][0];
  expect(start.RecoveryPointArn).toMatch(/rp-1$/); // rp-2 is still CREATING
  expect(start.Metadata.targetTableName).toMatch(/^drill-employees-[0-9a-f]{8}$/);
  expect(start.IdempotencyToken).toBe(start.Metadata.targetTableName);
  expect(start.Metadata.tableName).toBe('hr-employees'); // recorded metadata kept, name overridden
  expect(r.calls[S.DESCRIBE]).toHaveLength(3);
  expect(r.calls[S.VALIDATE][0]).toMatchObject({ restoreJobId: 'job-1', resourceType: 'DynamoDB', drillName: start.Metadata.targetTableName });
  expect(r.calls[S.CLEANUP][0].drillName).toBe(start.Metadata.targetTableName);
  expect(r.record.rto).toEqual({ measuredSeconds: 42 * 60, objectiveSeconds: 4 * 3600, met: true });
  expect(r.record.recoveryPoint.createdAt).toBe('2025-01-01T09:30:00.000Z');
  expect(r.record.cleanup.status).toBe('DELETED');
  expect((r.result as any).output.results[0]).toMatchObject({ target: 'employees', status: 'SUCCEEDED', ok: true });
});

test('no recovery point: nothing is restored, cleanup still runs, status NO_RECOVERY_POINT', async () => {
  const r = await drill((h) => (h[S.LIST] = () => ({ RecoveryPoints: [{ RecoveryPointArn: 'rp-x', Status: 'EXPIRED' }] })));
  expect(r.calls[S.START]).toBeUndefined();
  expectEvidenceAndNotification(r, 'NO_RECOVERY_POINT');
});

test('restore job FAILED: status RESTORE_FAILED with the job message, copy cleaned up', async () => {
  const r = await drill((h) => (h[S.DESCRIBE] = restoreJob(2, 'FAILED')));
  expect(r.calls[S.VALIDATE]).toBeUndefined();
  expectEvidenceAndNotification(r, 'RESTORE_FAILED');
  expect(r.record.reason).toContain('Access denied to KMS key');
});

test('restore never finishes: polls with backoff until the timeout, status RESTORE_TIMED_OUT', async () => {
  const r = await drill((h) => (h[S.DESCRIBE] = restoreJob(Infinity)));
  expect(r.calls[S.DESCRIBE]).toHaveLength(input.targets[0].poll.schedule.length);
  expectEvidenceAndNotification(r, 'RESTORE_TIMED_OUT');
  const waits = r.result.events.filter((e: any) => e.type === 'StateEntered' && e.state.name === S.WAIT).map((e: any) => e.state.input.poll.wait);
  expect(waits).toEqual(input.targets[0].poll.schedule);
  expect(waits.reduce((a: number, b: number) => a + b, 0)).toBe(8 * 3600);
});

test('validator throws: status VALIDATION_ERROR, copy cleaned up', async () => {
  const r = await drill((h) => (h[S.VALIDATE] = () => { throw new Error('AccessDenied on drill table'); }));
  expectEvidenceAndNotification(r, 'VALIDATION_ERROR');
  expect(r.record.reason).toContain('AccessDenied on drill table');
});

test('validator reports invalid data: status VALIDATION_FAILED with its message', async () => {
  const r = await drill((h) => (h[S.VALIDATE] = () => ({ valid: false, message: 'failed: itemCount (0 item(s), expected at least 1)', checks: [] })));
  expectEvidenceAndNotification(r, 'VALIDATION_FAILED');
  expect(r.record.reason).toContain('itemCount');
});

test('cleanup fails: reported as CLEANUP_FAILED, not swallowed', async () => {
  const r = await drill((h) => (h[S.CLEANUP] = () => { throw new Error('AccessDenied: rds:DeleteDBCluster'); }));
  expectEvidenceAndNotification(r, 'CLEANUP_FAILED');
  expect(r.record.cleanup).toMatchObject({ status: 'FAILED' });
  expect(r.record.reason).toContain('rds:DeleteDBCluster');
});

test('restore failure and cleanup failure are both reported', async () => {
  const r = await drill((h) => {
    h[S.DESCRIBE] = restoreJob(1, 'ABORTED');
    h[S.CLEANUP] = () => { throw new Error('boom'); };
  });
  expectEvidenceAndNotification(r, 'RESTORE_FAILED');
  expect(r.record.reason).toContain('cleanup also FAILED');
});

test('a failing API step (StartRestoreJob) ends as STEP_FAILED with evidence and notification', async () => {
  const r = await drill((h) => (h[S.START] = () => { throw new Error('InvalidParameterValueException'); }));
  expectEvidenceAndNotification(r, 'STEP_FAILED');
});

test('evidence write fails: a notification still goes out and the execution fails with EVIDENCE_FAILED', async () => {
  const r = await drill((h) => (h[S.EVIDENCE] = () => { throw new Error('KMS AccessDenied'); }));
  expect(r.calls[S.NOTIFY_EVIDENCE_FAILED]).toHaveLength(1);
  expect(r.result.status).toBe('FAILED');
  expect(r.result.error).toBe('["EVIDENCE_FAILED"]');
});

test('a chosen recovery point skips the listing', async () => {
  const chosen = singleTarget(DrillResourceType.DYNAMODB, { recoveryPointArn: 'arn:aws:backup:eu-west-1:111111111111:recovery-point:chosen' });
  const r = await drill(() => undefined, chosen);
  expect(r.calls[S.LIST]).toBeUndefined();
  expect(r.calls[S.START][0].RecoveryPointArn).toMatch(/chosen$/);
  expectEvidenceAndNotification(r, 'SUCCEEDED');
});

test('EBS: the restored volume is tagged as a drill resource before validation', async () => {
  const ebs = singleTarget(DrillResourceType.EBS, { resourceArn: 'arn:aws:ec2:eu-west-1:111111111111:volume/vol-prod' });
  const r = await drill((h) => (h[S.DESCRIBE] = restoreJob(1, 'COMPLETED', 'arn:aws:ec2:eu-west-1:111111111111:volume/vol-0drill')), ebs);
  expect(r.calls[S.TAG_VOLUME][0]).toEqual({ Resources: ['vol-0drill'], Tags: [{ Key: 'data-protection:drill', Value: expect.stringMatching(/^drill-employees-/) }] });
  expect(r.calls[S.START][0].Metadata).toMatchObject({ encrypted: 'true' });
  expectEvidenceAndNotification(r, 'SUCCEEDED');
});

test('many targets: one execution drills each, one failure fails the execution and names it', async () => {
  const multi = drillStack();
  const run = { asl: aslOf(Template.fromStack(multi.stack)), input: JSON.parse(JSON.stringify(multi.stack.resolve(multi.drill.executionInput()))) };
  const r = await drill((h) => {
    const ok = h[S.VALIDATE];
    h[S.VALIDATE] = (i) => (i.resourceType === 'S3' ? { valid: false, message: 'objectCount 0' } : ok(i));
  }, run);
  expect(r.calls[S.EVIDENCE]).toHaveLength(2);
  expect(r.calls[S.NOTIFY]).toHaveLength(2);
  expect(r.result.status).toBe('FAILED');
  expect(JSON.parse(r.result.error!).sort()).toEqual(['SUCCEEDED', 'VALIDATION_FAILED']);
  expect(asl.States[S.MAP].MaxConcurrency).toBe(2);
});

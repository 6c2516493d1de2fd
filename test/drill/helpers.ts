import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import { classify, ClassifiedResources, DataClassification } from '../lib';
import { DrillTarget, RESTORE_DRILL_STATES as S, RestoreDrill, RestoreDrillProps } from '../../lib/drill';

export const ENV = { account: '111111111111', region: 'eu-west-1' };

/** A data-account-like stack with a classified table and bucket, and a drill over both. */
export function drillStack(overrides: Partial<RestoreDrillProps> = {}, app = new App()) {
  const stack = new Stack(app, 'Data', { env: ENV });
  const key = new kms.Key(stack, 'EvidenceKey');
  const topic = new sns.Topic(stack, 'Alarms', { masterKey: key });
  const table = new dynamodb.TableV2(stack, 'Employees', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  classify(table, DataClassification.HIGHLY_SENSITIVE);
  const bucket = new s3.Bucket(stack, 'Documents', { versioned: true });
  classify(bucket, DataClassification.CONFIDENTIAL);
  const targets = ClassifiedResources.within(stack).map((r) => DrillTarget.fromClassified(r, { backupVaultName: 'data-vault', restoreKey: key }));
  const drill = new RestoreDrill(stack, 'Drill', { targets, evidenceKey: key, alarmTopic: topic, ...overrides });
  return { app, stack, drill, table, bucket, key, topic };
}

/** Resolves the intrinsics of a synthesized state machine definition into plain ASL. */
export function aslOf(template: Template): any {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const def = Object.values(machines)[0].Properties.DefinitionString;
  const resolve = (v: any): string => {
    if (typeof v === 'string') return v;
    if (v.Ref) return v.Ref === 'AWS::Partition' ? 'aws' : v.Ref === 'AWS::Region' ? ENV.region : v.Ref === 'AWS::AccountId' ? ENV.account : `ref-${v.Ref}`;
    if (v['Fn::GetAtt']) return `arn:aws:lambda:${ENV.region}:${ENV.account}:function:${v['Fn::GetAtt'][0]}`;
    if (v['Fn::Join']) return v['Fn::Join'][1].map(resolve).join(v['Fn::Join'][0]);
    throw new Error(`cannot resolve ${JSON.stringify(v)}`);
  };
  return JSON.parse(resolve(def));
}

export type Handlers = { [state: string]: (input: any) => any };

/** A restore job that completes after `polls` describes. */
export function restoreJob(polls = 1, final = 'COMPLETED', resourceArn = 'arn:aws:dynamodb:eu-west-1:111111111111:table/drill-x') {
  let n = 0;
  return () => {
    n++;
    const done = n >= polls;
    return {
      RestoreJobId: 'job-1',
      Status: done ? final : 'RUNNING',
      ...(done && final === 'FAILED' ? { StatusMessage: 'Access denied to KMS key' } : {}),
      CreationDate: '2025-01-01T10:00:00.000Z',
      ...(done ? { CompletionDate: '2025-01-01T10:42:00.000Z', CreatedResourceArn: resourceArn } : {}),
      RecoveryPointCreationDate: '2025-01-01T09:30:00.000Z',
      RecoveryPointArn: 'arn:aws:backup:eu-west-1:111111111111:recovery-point:rp-1',
    };
  };
}

/** Mocks of every task for a successful drill (bench/drill-cost.ts); test/drill/workflow.test.ts runs the real bundled handlers instead. */
export function happyHandlers(): Handlers {
  return {
    [S.FIND]: () => ({ found: true, reason: 'newest', RecoveryPointArn: 'arn:aws:backup:eu-west-1:111111111111:recovery-point:rp-1', CreationDate: '2025-01-01T09:30:00.000Z', listed: 2, skippedContinuous: 0, skippedNotRestorable: 1 }),
    [S.METADATA]: (i) => ({ BackupVaultArn: 'arn:aws:backup:eu-west-1:111111111111:backup-vault:data-vault', RecoveryPointArn: i.RecoveryPointArn, RestoreMetadata: { tableName: 'hr-employees', encryptionType: 'Default' }, ResourceType: 'DynamoDB' }),
    [S.START]: () => ({ RestoreJobId: 'job-1' }),
    // The wait resumed by the restore job's event (SendTaskSuccess with DescribeRestoreJob's answer).
    [S.WAIT]: restoreJob(1),
    [S.CONFIRM]: restoreJob(1),
    [S.TAG_VOLUME]: () => ({}),
    [S.TAG_FILE_SYSTEM]: () => ({}),
    [S.VALIDATE]: () => ({ valid: true, message: '3 check(s) passed', checks: [] }),
    [S.CLEANUP]: (i) => ({ status: 'DELETED', resource: i.drillName, message: `deleted ${i.drillName}` }),
    [S.EVIDENCE]: (i) => {
      const { buildEvidence, metricDataOf } = require('../../lib/drill/handlers/drill-evidence.lambda');
      const r = buildEvidence(i, Date.parse('2025-01-01T11:00:00Z'));
      return { summary: { target: r.target, status: r.status, ok: r.status === 'SUCCEEDED', reason: r.reason, evidenceKey: `s3://evidence/${r.drillName}.json` }, written: true, metricData: metricDataOf(r, i.target.drill), subject: `Restore drill ${r.status}`, message: r.reason };
    },
    [S.METRICS]: () => ({}),
    [S.TIMEOUT_METRICS]: () => ({}),
    [S.NOTIFY]: () => ({ MessageId: 'm-1' }),
    [S.NOTIFY_EVIDENCE_FAILED]: () => ({ MessageId: 'm-2' }),
  };
}

/**
 * The ASL as aws-local-stepfunctions 3.0.0 can run it: it reads a task's TimeoutSecondsPath from
 * the Parameters' output, where Step Functions reads the state input, and has no
 * `.waitForTaskToken`; the `.waitForTaskToken` tasks' local handlers (drill-harness.ts, the bench)
 * simulate their timeouts themselves, so the path becomes a fixed day that never elapses.
 */
function localAsl(asl: any): any {
  const copy = JSON.parse(JSON.stringify(asl));
  const visit = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (node.Type === 'Task' && node.TimeoutSecondsPath) {
      delete node.TimeoutSecondsPath;
      node.TimeoutSeconds = 86400;
    }
    Object.values(node).forEach(visit);
  };
  visit(copy);
  return copy;
}

/**
 * The definitions asl-validator has accepted in this test file. aws-local-stepfunctions validates
 * the definition on every `new StateMachine` (a fresh Ajv compiling every ASL schema, about 0.1 s);
 * the result depends only on the definition, so each distinct one is validated once.
 */
const validated = new Set<string>();

/** Runs the drill's ASL locally with zero waits and retry intervals; returns status, output/error and events. */
export async function runLocally(asl: any, input: unknown, handlers: Handlers, beforeRun: () => void = () => undefined) {
  // Zero every wait and every retry interval: the local run takes milliseconds.
  const zero = Object.fromEntries(Object.values(S).map((name) => [name, 0]));
  const definition = localAsl(asl);
  const key = JSON.stringify(definition);
  // Throws on an invalid definition (then it is not recorded, and every run validates it again).
  const machine = new StateMachine(definition, { validationOptions: validated.has(key) ? { noValidate: true } : { checkArn: false, checkPaths: false } });
  validated.add(key);
  beforeRun();
  const execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: zero, retryIntervalOverrides: zero },
    // Task.Token: `.waitForTaskToken` payloads read $$.Task.Token (the harness replaces it per wait).
    context: { Execution: { Name: 'exec-1', StartTime: '2025-01-01T10:00:00.000Z', Input: input as any }, Task: { Token: 'local-task-token' } } as any,
  });
  const events: any[] = [];
  const collect = (async () => {
    for await (const e of execution.eventLogs) events.push(e);
  })();
  try {
    const output = await execution.result;
    await collect;
    return { status: 'SUCCEEDED' as const, output, events };
  } catch (e: any) {
    await collect.catch(() => undefined);
    return { status: 'FAILED' as const, error: e.name === 'ExecutionError' ? e.cause?.name ?? e.name : e.name, cause: e.cause?.message ?? e.message, raw: e, events };
  }
}

export const TEN_MINUTES = Duration.minutes(10);

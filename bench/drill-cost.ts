/**
 * Drill cost: state transitions, Lambda invocations and detection delay of one restore drill
 * against the restore duration, with the event-driven wait (AWS Backup's "Restore Job State
 * Change" event resumes the execution; the wait's timeout, 15 min then every at most 8 h, is the
 * fallback for lost events). Executes the synthesized state machine locally
 * (aws-local-stepfunctions) with mocked tasks and simulated time. The event is taken to arrive
 * 5 minutes after the job ends ("AWS Backup emits events to EventBridge in a best-effort manner
 * every 5 minutes", https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
 * Targets: <= 30 transitions and detection within 15 minutes for a 24 h restore when events arrive.
 * Not part of `npm test`.
 *
 *   npx tsx bench/drill-cost.ts
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DrillResourceType, DrillTarget, RESTORE_DRILL_STATES as S, RestoreDrill } from '../lib/drill';
import { aslOf, ENV, happyHandlers, runLocally } from '../test/drill/helpers';

// aws-local-stepfunctions needs Promise.withResolvers (Node 22+).
if (typeof (Promise as any).withResolvers !== 'function') {
  (Promise as any).withResolvers = () => {
    let resolve: any, reject: any;
    const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
    return { promise, resolve, reject };
  };
}

const PRICE_PER_TRANSITION = 0.025 / 1000; // Step Functions Standard, us-east-1
const PRICE_PER_INVOCATION = 0.2 / 1_000_000; // Lambda requests (duration not counted), us-east-1
const LAMBDA_STATES = [S.FIND, S.SWEEP, S.VALIDATE, S.CLEANUP, S.EVIDENCE];
/** Delay of the event after the job ends: AWS Backup emits events about every 5 minutes. */
const EVENT_DELAY = 300;

function timeout(): Error {
  return Object.assign(new Error('States.Timeout'), { name: 'States.Timeout' });
}

async function main() {
  const stack = new Stack(new App(), 'Bench', { env: ENV });
  const key = new kms.Key(stack, 'Key');
  const drill = new RestoreDrill(stack, 'Drill', {
    targets: [
      DrillTarget.of({
        name: 'bench',
        resourceType: DrillResourceType.DYNAMODB,
        resourceArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/bench',
        backupVaultName: 'vault',
        rto: Duration.hours(24),
        rpo: Duration.hours(1),
        interval: Duration.days(30),
      }),
    ],
    evidenceKey: key,
    alarmTopic: new sns.Topic(stack, 'Topic'),
  });
  const asl = aslOf(Template.fromStack(stack));
  const input = JSON.parse(JSON.stringify(stack.resolve(drill.executionInput())));
  const { first, every } = input.targets[0].poll as { first: number; every: number };

  const h = (s: number) => (s < 3600 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(2)} h`);
  const rows: string[] = [];
  let verdict = true;
  for (const [label, seconds] of [['10 min', 600], ['1 h', 3600], ['6 h', 6 * 3600], ['24 h', 24 * 3600]] as const) {
    const cells: { detected: number; transitions: number; lambdas: number }[] = [];
    for (const events of [true, false]) {
      // Simulated seconds since the job was created; each wait registers (one invocation), then
      // resumes on the event, or times out and registers again (the register step describes the job).
      let v = 0;
      let invocations = 0;
      const wait = (i: any) => {
        invocations++;
        const w = i.Payload.waitSeconds as number;
        const job = { RestoreJobId: 'job-1', Status: 'COMPLETED', CreationDate: 0, CompletionDate: seconds, CreatedResourceArn: 'arn:x/drill-bench' };
        if (seconds <= v) return job; // ended before this registration: the register step resumes
        if (events && seconds + EVENT_DELAY <= v + w) {
          v = seconds + EVENT_DELAY;
          invocations++; // the event's invocation
          return job;
        }
        v += w;
        throw timeout();
      };
      const handlers = happyHandlers();
      handlers[S.WAIT] = wait;
      handlers[S.WAIT_AGAIN] = wait;
      // AWS Backup's own answer after the wait resumes.
      handlers[S.CONFIRM] = () => ({ RestoreJobId: 'job-1', Status: 'COMPLETED', CreationDate: 0, CompletionDate: seconds, CreatedResourceArn: 'arn:x/drill-bench' });
      const result = await runLocally(asl, input, handlers);
      if (result.status !== 'SUCCEEDED') throw new Error(`${label}: drill ended ${result.status} ${result.error}`);
      const entered = result.events.filter((e: any) => e.type === 'StateEntered');
      cells.push({ detected: v - seconds, transitions: entered.length, lambdas: entered.filter((e: any) => LAMBDA_STATES.includes(e.state.name)).length + invocations });
    }
    const [on, lost] = cells;
    const ok = on.transitions <= 30 && on.detected <= 15 * 60;
    if (seconds === 24 * 3600) verdict = ok;
    const cost = (c: { transitions: number; lambdas: number }) => `$${(c.transitions * PRICE_PER_TRANSITION + c.lambdas * PRICE_PER_INVOCATION).toFixed(5)}`;
    rows.push(
      `| ${label} | ${h(on.detected)} | ${h(lost.detected)} | ${on.transitions} / ${lost.transitions} | ${on.lambdas} / ${lost.lambdas} | ${cost(on)} / ${cost(lost)} | ${ok ? 'yes' : 'NO'} |`,
    );
  }
  console.log(`Waits for the restore job's event (s): first ${first}, then every ${every} until the restore timeout (${input.targets[0].restoreTimeoutSeconds}); the event arrives ${EVENT_DELAY / 60} min after the job ends.\n`);
  console.log('| Restore duration | Detected after (events on) | Detected after (events lost) | State transitions (on / lost) | Lambda invocations (on / lost) | Cost (on / lost) | <= 30 transitions, <= 15 min (events on) |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
  console.log(`\n24 h restore: ${verdict ? 'targets met' : 'targets NOT met'}. Lost events are detected at the next check: at most ${h(first)} after a restore that ends within the first wait, otherwise at most ${h(every)}.`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});

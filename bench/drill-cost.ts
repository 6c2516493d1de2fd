/**
 * Drill cost: state transitions and Lambda invocations of one restore drill against the restore
 * duration, under the default poll backoff (first wait 15 min, doubling, at most 8 h). Executes the
 * synthesized state machine locally (aws-local-stepfunctions) with mocked tasks and zeroed waits.
 * Target: <= 50 transitions for a 24 h restore. Not part of `npm test`.
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
const LAMBDA_STATES = [S.FIND, S.VALIDATE, S.CLEANUP, S.EVIDENCE];

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
  const schedule: number[] = input.targets[0].poll.schedule;

  const rows: string[] = [];
  for (const [label, seconds] of [['10 min', 600], ['1 h', 3600], ['6 h', 6 * 3600], ['24 h', 24 * 3600]] as const) {
    const handlers = happyHandlers();
    let polls = 0;
    handlers[S.DESCRIBE] = () => {
      const waited = schedule.slice(0, ++polls).reduce((a, b) => a + b, 0);
      return { RestoreJobId: 'job', Status: waited >= seconds ? 'COMPLETED' : 'RUNNING', CreationDate: 0, CompletionDate: seconds, CreatedResourceArn: 'arn:x/drill-bench' };
    };
    const result = await runLocally(asl, input, handlers);
    if (result.status !== 'SUCCEEDED') throw new Error(`${label}: drill ended ${result.status} ${result.error}`);
    const entered = result.events.filter((e: any) => e.type === 'StateEntered');
    const transitions = entered.length;
    const lambdas = entered.filter((e: any) => LAMBDA_STATES.includes(e.state.name)).length;
    const detectedAfter = schedule.slice(0, polls).reduce((a, b) => a + b, 0);
    rows.push(
      `| ${label} | ${polls} | ${(detectedAfter / 3600).toFixed(2)} h | ${transitions} | ${lambdas} | $${(transitions * PRICE_PER_TRANSITION).toFixed(5)} | ${transitions <= 50 ? 'yes' : 'NO'} |`,
    );
  }
  console.log(`Poll waits (s): ${schedule.join(', ')}\n`);
  console.log('| Restore duration | Polls | Detected after | State transitions | Lambda invocations | Step Functions cost | <= 50 transitions |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

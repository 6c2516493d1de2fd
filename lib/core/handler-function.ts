import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeInlinePolicy, acknowledgeWildcards, defaultPolicyOf, STOCK_RULES } from './acknowledgements';
import { handlerCode } from './handler-code';
import { libraryResourceName } from './naming';

/** How `handlerFunction` builds a function of a bundled handler. */
export interface HandlerFunctionOptions {
  /** Bundle name: `lib/**\/<handler>.lambda.ts`. */
  readonly handler: string;
  readonly description: string;
  readonly environment: { [key: string]: string };
  /** Key of the function's log group (its policy must let CloudWatch Logs of this account use it). */
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default - a new role `<id>Role` assumed by Lambda */
  readonly role?: iam.Role;
  /** @default lambda.Tracing.ACTIVE */
  readonly tracing?: lambda.Tracing;
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default - none */
  readonly reservedConcurrentExecutions?: number;
  /** @default - none */
  readonly codeSigningConfig?: lambda.ICodeSigningConfig;
  /** Why the function runs outside a VPC (stock packs' LambdaInsideVPC). */
  readonly vpcReason: string;
  /** Why the function has no dead-letter queue (stock packs' LambdaDLQ). */
  readonly dlqReason: string;
}

/**
 * A Lambda function of a bundled handler, as every scheduled or workflow function of the library
 * is built: a role of its own (`<id>Role`), an encrypted log group kept on removal (`<id>Logs`)
 * that the role alone may write, Node.js 24, and the stock-pack acknowledgements of its design
 * (no VPC, no dead-letter queue) with the caller's reasons.
 */
export function handlerFunction(scope: Construct, id: string, options: HandlerFunctionOptions): lambda.Function {
  const role = options.role ?? new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: options.description });
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { encryptionKey: options.logKey, retention: options.logRetention, removalPolicy: RemovalPolicy.RETAIN });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogsOnly', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new lambda.Function(scope, id, {
    // A name the monitoring-tamper rule recognizes: replacing this code is reported to the audit account.
    functionName: libraryResourceName(scope, id, 64),
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: handlerCode(options.handler),
    description: options.description,
    environment: options.environment,
    role,
    logGroup,
    tracing: options.tracing ?? lambda.Tracing.ACTIVE,
    codeSigningConfig: options.codeSigningConfig,
    timeout: options.timeout ?? Duration.minutes(15),
    memorySize: options.memorySize ?? 512,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
  });
  const cfn = fn.node.defaultChild!;
  acknowledge(cfn, STOCK_RULES.LAMBDA_IN_VPC, options.vpcReason);
  acknowledge(cfn, STOCK_RULES.LAMBDA_DLQ, options.dlqReason);
  return fn;
}

/**
 * An hourly EventBridge Scheduler invocation of `fn` (`Hourly`), with a role (`SchedulerRole`) that
 * this account's scheduler alone may assume and that may invoke only `fn` and its versions. `what`
 * names the check in the role's description and the acknowledgement.
 */
export function hourlyInvocation(scope: Construct, fn: lambda.IFunction, what: string, description: string): scheduler.Schedule {
  const role = new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    description: `EventBridge Scheduler runs the ${what} check hourly`,
  });
  const schedule = new scheduler.Schedule(scope, 'Hourly', {
    description,
    schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
    target: new schedulerTargets.LambdaInvoke(fn, { retryAttempts: 2, role }),
  });
  acknowledgeWildcards(defaultPolicyOf(role)!, [
    { resource: `${fn.functionArn}:*`, reason: `The scheduler target may invoke the ${what} function and its versions (function ARN with :*), nothing else.` },
  ]);
  acknowledgeInlinePolicy(defaultPolicyOf(role));
  return schedule;
}

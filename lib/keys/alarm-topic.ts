import { Aws, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ProtectedKey } from './protected-key';
import { AccountWideWatcher, claimAccountWide } from '../core/account-wide';
import { METADATA } from '../core/constants';
import { acknowledgeInlinePolicy, defaultPolicyOf } from '../core/acknowledgements';
import { requireReason, validateAccountId } from '../core/validation';

export interface AlarmTopicProps {
  /** @default 'data-protection-alarms' */
  readonly topicName?: string;
  /** Email addresses subscribed to the topic. @default - none */
  readonly emailSubscribers?: string[];
  /**
   * Forward every alarm and tamper event of this topic to the audit account's security event bus
   * (`SecurityEventBus`), where an attacker holding this account cannot unsubscribe, re-key or
   * silence it.
   * @default - not forwarded (the topic then needs a subscriber, or `noSubscriberReason`)
   */
  readonly forwardTo?: SecurityEventForwarding;
  /**
   * Why this topic may have no subscriber and no forwarding at synth (e.g. subscriptions are
   * added outside CDK). Without it, such a topic is a synth error: an alarm nobody receives
   * protects nothing. Shown in the report.
   * @default - a subscriber or `forwardTo` is required
   */
  readonly noSubscriberReason?: string;
}

/** Where an account forwards its data-protection events: the audit account's `SecurityEventBus`. */
export interface SecurityEventForwarding {
  /** The audit account (12 digits). */
  readonly auditAccount: string;
  /** Region of the audit account's bus. @default - the forwarding stack's region */
  readonly region?: string;
  /** @default AuditNames.SECURITY_EVENT_BUS_NAME ('data-protection-security-events') */
  readonly eventBusName?: string;
}

/** Name of the audit account's security event bus, rebuilt by every forwarding account. */
export const SECURITY_EVENT_BUS_NAME = 'data-protection-security-events';

/** Every CloudWatch alarm of the library starts its description with this: the forwarding rule matches on it. */
export const ALARM_DESCRIPTION_PREFIX = 'cdk-data-protection:';

/**
 * The SNS topic every alarm of the library notifies: encrypted with a `ProtectedKey` of its
 * own account (EventBridge and CloudWatch cannot publish to a topic whose key lives in
 * another account), TLS-only, publishable by CloudWatch alarms of this account and by the
 * EventBridge rules that target it (`alarmTopicTarget`: each rule by its ARN, no role).
 */
export class AlarmTopic extends Construct {
  public readonly topic: sns.ITopic;
  public readonly key: ProtectedKey;
  /** The audit account's bus this topic's events are forwarded to (undefined without `forwardTo`). */
  public readonly securityEventBusArn?: string;

  public constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const topicName = props.topicName ?? 'data-protection-alarms';
    this.key = new ProtectedKey(this, 'Key', { aliasName: `alias/data-protection/${topicName}-${Stack.of(this).stackName}`.slice(0, 256) });
    // CloudWatch alarms publish as the service; EventBridge rules too, each admitted by alarmTopicTarget.
    this.key.allowServicePrincipal('cloudwatch.amazonaws.com');
    const topic = new sns.Topic(this, 'Topic', { topicName, masterKey: this.key.key, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    for (const email of props.emailSubscribers ?? []) topic.addSubscription(new subs.EmailSubscription(email));
    this.topic = topic;
    if (props.forwardTo) {
      this.securityEventBusArn = forwardTopic(this, topic, props.forwardTo);
    }
    if (props.noSubscriberReason !== undefined) {
      const reason = requireReason('AlarmTopicProps.noSubscriberReason', props.noSubscriberReason, 'an alarm nobody receives protects nothing');
      topic.node.addMetadata(METADATA.OVERRIDE, { prop: 'AlarmTopicProps.noSubscriberReason', floor: 'a subscriber or forwarding to the audit account', value: 'neither', reason });
    } else if (!props.forwardTo) {
      // Subscriptions may be added after construction (topic.addSubscription): count them at synth.
      this.node.addValidation({
        validate: () =>
          topic.node.findAll().some((c) => c instanceof sns.Subscription || c instanceof sns.CfnSubscription)
            ? []
            : [
              `${this.node.path}: the alarm topic ${topicName} has no subscriber and forwards nowhere: its alarms would reach nobody. ` +
                'Set AlarmTopicProps.emailSubscribers (or alarmEmails on the stack), forwardTo the audit account, add a subscription, or give noSubscriberReason',
            ],
      });
    }
  }
}

/** Per forwarding topic: the EventBridge target that puts events on the audit account's bus. */
const FORWARD_TARGETS = new WeakMap<sns.ITopic, events.IRuleTarget>();

/**
 * Makes `topic` forward: one role per stack that may `events:PutEvents` on the audit account's
 * bus only, a target using it (a cross-account event-bus target takes a role: "the sending event bus
 * must have IAM roles attached to them when sending events to another account",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html; "We recommend
 * always using IAM roles when the target of a rule is an event bus",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html), and, once per
 * account and region, a rule forwarding the state changes of the library's CloudWatch alarms
 * (matched on `detail.configuration.description`, which CloudWatch puts in every "CloudWatch Alarm
 * State Change" event and whose delivery it guarantees:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 */
function forwardTopic(scope: AlarmTopic, topic: sns.ITopic, forwarding: SecurityEventForwarding): string {
  validateAccountId('AlarmTopicProps.forwardTo.auditAccount', forwarding.auditAccount);
  const stack = Stack.of(scope);
  const busArn = stack.formatArn({
    service: 'events',
    account: forwarding.auditAccount,
    region: forwarding.region ?? stack.region,
    resource: 'event-bus',
    resourceName: forwarding.eventBusName ?? SECURITY_EVENT_BUS_NAME,
  });
  const role = new iam.Role(scope, 'ForwardRole', {
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    description: 'cdk-data-protection: EventBridge forwards data-protection events to the audit account',
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [busArn] }));
  acknowledgeInlinePolicy(defaultPolicyOf(role));
  const target: events.IRuleTarget = { bind: () => ({ arn: busArn, role }) };
  FORWARD_TARGETS.set(topic, target);
  if (claimAccountWide(scope, AccountWideWatcher.ALARM_FORWARDING)) {
    new events.Rule(scope, 'ForwardAlarms', {
      description: 'cdk-data-protection: forwards the state changes of the library alarms of this account to the audit account',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { configuration: { description: [{ prefix: ALARM_DESCRIPTION_PREFIX }] } },
      },
      targets: [target],
    });
    // A heartbeat through the same role and target: the audit account alarms when it stops
    // (SecurityEventBus), whatever broke the path — a rule disabled or deleted, its target
    // removed, the role's policy changed.
    new events.Rule(scope, 'ForwardHeartbeat', {
      description: 'cdk-data-protection: hourly heartbeat of this account and region to the audit account',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [target],
    });
  }
  return busArn;
}

/**
 * The targets of a rule that notifies `topic`: the topic (`alarmTopicTarget`) and, when the topic
 * forwards (`AlarmTopicProps.forwardTo`), the audit account's security event bus.
 */
export function alarmTargets(topic: sns.ITopic, message?: events.RuleTargetInput): events.IRuleTarget[] {
  const forward = FORWARD_TARGETS.get(topic);
  return forward ? [alarmTopicTarget(topic, message), forward] : [alarmTopicTarget(topic, message)];
}

/** Whether `topic` forwards its events to the audit account. */
export function isForwarded(topic: sns.ITopic): boolean {
  return FORWARD_TARGETS.has(topic);
}

/**
 * Lets a principal publish to an alarm topic: `sns:Publish` on the topic and, on its key, only
 * the `kms:GenerateDataKey` and `kms:Decrypt` SNS calls for an encrypted publish
 * (`ITopic.grantPublish` would grant `kms:GenerateDataKey*`).
 */
export function grantAlarmPublish(topic: sns.ITopic, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
  topic.masterKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
}

/**
 * The EventBridge target for an alarm topic, with no `RoleArn`: "For targets that use resource-based
 * policies (Lambda, Amazon SNS, Amazon SQS, and Amazon CloudWatch Logs), do not specify a RoleArn
 * ... event delivery may fail, particularly for Amazon SQS and Amazon SNS targets with AWS KMS
 * encryption enabled" (EventBridge User Guide, "Using resource-based policies for Amazon
 * EventBridge"). When bound to a rule it admits that rule (`allowEventBridgeRule`).
 * Not `targets.SnsTopic`: its grant adds `events.amazonaws.com` to the topic and key policies with
 * no condition at all.
 */
export function alarmTopicTarget(topic: sns.ITopic, message?: events.RuleTargetInput): events.IRuleTarget {
  return {
    bind: (rule: events.IRuleRef) => {
      allowEventBridgeRule(topic, rule);
      watchDelivery(topic, rule);
      return { arn: topic.topicArn, input: message, targetResource: topic };
    },
  };
}

/** Per topic: the ARNs of the rules of its own stack that its policy admits (one statement, filled in at synth). */
const EVENTBRIDGE_RULES = new WeakMap<sns.ITopic, Set<string>>();
/** Topics that also admit the rules of other stacks. */
const OTHER_STACK_RULES = new WeakSet<sns.ITopic>();
/** Topics whose key already lets EventBridge encrypt for them. */
const ADMITTED = new WeakSet<sns.ITopic>();

/**
 * Lets an EventBridge rule of this account publish to `topic`: a topic-policy statement for
 * `events.amazonaws.com` conditioned on the rules' ARNs (`aws:SourceArn`), and, on the topic's key,
 * `kms:GenerateDataKey` and `kms:Decrypt` for `events.amazonaws.com` on this topic only. The key
 * statement is conditioned on SNS's encryption context (`kms:EncryptionContext:aws:sns:topicArn`,
 * as in the GameLift guide's "Set up an SNS topic with server-side encryption"), not on
 * `aws:SourceArn`/`aws:SourceAccount`: "Adding the aws:SourceAccount, aws:SourceArn, and
 * aws:SourceOrgID to a AWS KMS policy is not supported for EventBridge-to-encrypted topics"
 * (SNS Developer Guide, "Enable compatibility between event sources from AWS services and
 * encrypted topics"). The EventBridge troubleshooting page names the two KMS actions.
 * Rules of another stack are admitted by `rule/*` of the topic's account and region instead: naming
 * their ARNs would make the two stacks depend on each other.
 */
export function allowEventBridgeRule(topic: sns.ITopic, rule: events.IRuleRef): void {
  const events = new iam.ServicePrincipal('events.amazonaws.com');
  const publish = (sid: string, conditions: Record<string, unknown>) => {
    const { statementAdded } = topic.addToResourcePolicy(new iam.PolicyStatement({ sid, principals: [events], actions: ['sns:Publish'], resources: [topic.topicArn], conditions }));
    if (!statementAdded) {
      throw new Error(
        `alarmTopicTarget: ${topic.node.path} is an imported topic whose policy this app cannot change: EventBridge could not publish to it; use the topic of an AlarmTopic in this stack`,
      );
    }
  };
  if (!ADMITTED.has(topic)) {
    ADMITTED.add(topic);
    topic.masterKey?.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeEncryptsForAlarmTopic',
        principals: [events],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: topicArnCondition(topic),
      }),
    );
  }
  if (Stack.of(rule) === Stack.of(topic)) {
    let rules = EVENTBRIDGE_RULES.get(topic);
    if (!rules) {
      const arns = (rules = new Set<string>());
      EVENTBRIDGE_RULES.set(topic, rules);
      publish('EventBridgeRulesPublish', { ArnEquals: { 'aws:SourceArn': Lazy.list({ produce: () => [...arns] }) } });
    }
    rules.add(rule.ruleRef.ruleArn);
  } else if (!OTHER_STACK_RULES.has(topic)) {
    OTHER_STACK_RULES.add(topic);
    publish('EventBridgeRulesOfOtherStacksPublish', { ArnLike: { 'aws:SourceArn': Stack.of(topic).formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) } });
  }
}

/**
 * The `kms:EncryptionContext:aws:sns:topicArn` condition for `topic`, built from its literal name:
 * the topic's own ARN attribute would make the key depend on the topic that depends on the key.
 * Without a literal name, every topic of the stack's account and region (`StringLike`).
 */
function topicArnCondition(topic: sns.ITopic): Record<string, Record<string, string>> {
  const stack = Stack.of(topic);
  const name = (topic.node.defaultChild as sns.CfnTopic | undefined)?.topicName;
  if (typeof name === 'string' && !Token.isUnresolved(name)) {
    return { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': stack.formatArn({ service: 'sns', resource: name }) } };
  }
  return { StringLike: { 'kms:EncryptionContext:aws:sns:topicArn': stack.formatArn({ service: 'sns', resource: '*' }) } };
}

/**
 * An alarm on the rule's `FailedInvocations` (AWS/Events, dimension RuleName; sent only when not
 * zero: "Monitoring Amazon EventBridge"), notifying the same topic through CloudWatch, whose
 * publishing is authorized separately from EventBridge's. A tamper alarm that EventBridge could
 * not deliver (a key or topic policy that does not admit it) is then not lost without a word.
 */
function watchDelivery(topic: sns.ITopic, rule: events.IRuleRef): void {
  if (!Construct.isConstruct(rule) || !('ruleName' in rule) || rule.node.tryFindChild('DeliveryFailed')) return;
  const alarm = new cloudwatch.Alarm(rule, 'DeliveryFailed', {
    alarmDescription: `cdk-data-protection: EventBridge could not deliver an event of rule ${rule.node.path} to the alarm topic`,
    metric: new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: (rule as events.IRule).ruleName }, statistic: 'Sum', period: Duration.minutes(5) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cwActions.SnsAction(topic));
}

/** API calls of one service that a rule matches (`apiCallAlarmRule`). */
export interface ApiCalls {
  /** The service: event source `aws.<service>`, CloudTrail `eventSource` `<service>.amazonaws.com`. */
  readonly service: string;
  /** The calls (CloudTrail `eventName`). */
  readonly eventNames: string[];
  /** The EventBridge `source` when it differs from `aws.<service>` (e.g. `aws.cloudwatch` for `monitoring`). */
  readonly source?: string;
  /** More `detail` fields to match (e.g. `requestParameters`). */
  readonly detail?: Record<string, unknown>;
}

/** Options of `apiCallAlarmRule`. */
export interface ApiCallAlarmRuleProps extends ApiCalls {
  readonly description: string;
  readonly topic: sns.ITopic;
  /** Calls of more services matched by the same rule (`$or` of the services' `detail`). */
  readonly more?: ApiCalls[];
}

/**
 * An EventBridge rule on "AWS API Call via CloudTrail" events of `service` (`aws.<service>`,
 * `<service>.amazonaws.com`) named in `eventNames` (and of the `more` services), notifying `topic`
 * and, when the topic forwards, the audit account. EventBridge receives such events only where a
 * trail logs management events in that account and region ("Events from AWS services",
 * EventBridge User Guide). Several services in one rule use `$or` ("Content filtering in Amazon
 * EventBridge event patterns", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
 * One shape for the key, vault, trail, monitoring and erosion rules.
 */
export function apiCallAlarmRule(scope: Construct, id: string, props: ApiCallAlarmRuleProps): events.Rule {
  if (!props.description.startsWith(ALARM_DESCRIPTION_PREFIX)) {
    throw new Error(`apiCallAlarmRule: the description of ${scope.node.path}/${id} must start with '${ALARM_DESCRIPTION_PREFIX}', got '${props.description}'`);
  }
  const calls = [props, ...(props.more ?? [])];
  const detailOf = (c: ApiCalls) => ({ eventSource: [`${c.service}.amazonaws.com`], eventName: c.eventNames, ...c.detail });
  return new events.Rule(scope, id, {
    description: props.description.slice(0, 512),
    eventPattern: {
      source: [...new Set(calls.map((c) => c.source ?? `aws.${c.service}`))],
      detailType: ['AWS API Call via CloudTrail'],
      detail: calls.length === 1 ? detailOf(props) : { $or: calls.map(detailOf) },
    },
    targets: alarmTargets(props.topic),
  });
}

/** Options of `notifyingAlarm`. */
export interface NotifyingAlarmProps {
  /** Why it fires; `ALARM_DESCRIPTION_PREFIX` is put before it. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  readonly topic: sns.ITopic;
}

/**
 * An alarm that fires on one datapoint >= 1 and notifies `topic`; its description starts with
 * `ALARM_DESCRIPTION_PREFIX`, so its state changes are forwarded to the audit account
 * (`AlarmTopicProps.forwardTo`). The restore drills' alarms.
 */
export function notifyingAlarm(scope: Construct, id: string, props: NotifyingAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: `${ALARM_DESCRIPTION_PREFIX} ${props.description}`.slice(0, 1024),
    metric: props.metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: props.treatMissingData,
  });
  alarm.addAlarmAction(new cwActions.SnsAction(props.topic));
  return alarm;
}

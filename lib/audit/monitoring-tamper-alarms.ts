import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LIBRARY_NAME_PREFIX } from '../core/naming';
import { ApiCalls, apiCallAlarmRule } from '../keys/alarm-topic';


/** EventBridge calls that switch a rule off or cut it from its targets. */
const RULE_TAMPER_CALLS: ApiCalls = { service: 'events', eventNames: ['DisableRule', 'DeleteRule', 'RemoveTargets'] };

/** Lambda calls that replace or expose a function's code, matched as event-name prefixes. */
const LAMBDA_TAMPER_CALLS = ['UpdateFunctionCode', 'UpdateFunctionConfiguration', 'DeleteFunction', 'AddPermission'];

/**
 * The calls that blind or rewire the monitoring of an account, by service. Event names as
 * CloudTrail records them: Lambda's carry an API-version suffix, so they are matched by prefix
 * ("Logging AWS Lambda API calls using AWS CloudTrail", https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html);
 * CloudWatch's come from `monitoring.amazonaws.com` with EventBridge source `aws.cloudwatch`
 * ("Logging Amazon CloudWatch API calls with AWS CloudTrail",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/logging_cw_api_calls.html).
 */
export const MONITORING_TAMPER_CALLS: ApiCalls[] = [
  // Alarms deleted or silenced (every alarm of the account: alarm names are generated).
  { service: 'monitoring', source: 'aws.cloudwatch', eventNames: ['DeleteAlarms', 'DisableAlarmActions'] },
  // The trail's log group and the metric filters the data-access alarms count with.
  { service: 'logs', eventNames: ['DeleteMetricFilter', 'DeleteLogGroup', 'DeleteSubscriptionFilter'] },
  // The rules that watch and forward.
  RULE_TAMPER_CALLS,
  // The alarm topic: subscribers removed, key or policy changed, deleted.
  {
    service: 'sns',
    eventNames: ['Unsubscribe', 'SetTopicAttributes', 'DeleteTopic', 'RemovePermission'],
    detail: { requestParameters: { $or: [{ topicArn: [{ wildcard: `*:${LIBRARY_NAME_PREFIX}*` }] }, { subscriptionArn: [{ wildcard: `*:${LIBRARY_NAME_PREFIX}*` }] }] } },
  },
  // The drill's code and workflow replaced: the drill could be made to report success.
  // Lambda's event names carry an API-version suffix (e.g. UpdateFunctionCode20150331v2): matched by prefix.
  {
    service: 'lambda',
    eventNames: LAMBDA_TAMPER_CALLS,
    detail: { eventName: LAMBDA_TAMPER_CALLS.map((prefix) => ({ prefix })), requestParameters: { functionName: [{ wildcard: `*${LIBRARY_NAME_PREFIX}*` }] } },
  },
  {
    service: 'states',
    eventNames: ['UpdateStateMachine', 'DeleteStateMachine'],
    detail: { requestParameters: { stateMachineArn: [{ wildcard: `*:stateMachine:${LIBRARY_NAME_PREFIX}*` }] } },
  },
  // Grants revoked (a service loses the key it encrypts with) and keys copied or moved out of the Region.
  { service: 'kms', eventNames: ['RevokeGrant', 'ReplicateKey', 'UpdatePrimaryRegion'] },
];

export interface MonitoringTamperAlarmsProps {
  /** Where alarms go (an `AlarmTopic` that forwards to the audit account). */
  readonly topic: sns.ITopic;
}

/**
 * One EventBridge rule on the calls that blind the monitoring of this account and region
 * (`MONITORING_TAMPER_CALLS`): deleting or silencing alarms, metric filters, log groups, rules
 * and their targets, unsubscribing or re-keying the alarm topic, replacing the drill's code or
 * workflow, revoking grants, replicating keys. It notifies the account's topic and, through its
 * forwarding, the audit account — so the first step of an attacker who silences this account's
 * alarms is itself reported where the attacker cannot reach. Create one per account and region.
 */
export class MonitoringTamperAlarms extends Construct {
  public readonly rule: events.Rule;
  /**
   * A second rule on EventBridge rule changes only: disabling or deleting either rule is an event
   * the other one still matches, so the watcher cannot be switched off silently in one step.
   */
  public readonly ruleWatcher: events.Rule;

  public constructor(scope: Construct, id: string, props: MonitoringTamperAlarmsProps) {
    super(scope, id);
    const [first, ...more] = MONITORING_TAMPER_CALLS;
    this.rule = apiCallAlarmRule(this, 'Rule', {
      ...first,
      more,
      description: 'cdk-data-protection: monitoring tampered with: alarms, metric filters, log groups, rules, the alarm topic, the drill code or key grants',
      topic: props.topic,
    });
    this.ruleWatcher = apiCallAlarmRule(this, 'RuleWatcher', {
      ...RULE_TAMPER_CALLS,
      description: 'cdk-data-protection: an EventBridge rule or its targets were disabled, deleted or removed (the monitoring-tamper rule watches this one)',
      topic: props.topic,
    });
  }
}

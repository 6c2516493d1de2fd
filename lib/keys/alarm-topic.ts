import { Aws, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ProtectedKey } from './protected-key';
import { acknowledgeInlinePolicy, defaultPolicyOf } from '../core/acknowledgements';

export interface AlarmTopicProps {
  /** @default 'data-protection-alarms' */
  readonly topicName?: string;
  /** Email addresses subscribed to the topic. @default - none */
  readonly emailSubscribers?: string[];
}

/**
 * The SNS topic every alarm of the library notifies: encrypted with a `ProtectedKey` of its
 * own account (EventBridge and CloudWatch cannot publish to a topic whose key lives in
 * another account), TLS-only, publishable by CloudWatch alarms of this account and by
 * EventBridge rules through a role (`alarmTopicTarget`).
 */
export class AlarmTopic extends Construct {
  public readonly topic: sns.ITopic;
  public readonly key: ProtectedKey;

  public constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const topicName = props.topicName ?? 'data-protection-alarms';
    this.key = new ProtectedKey(this, 'Key', { aliasName: `alias/data-protection/${topicName}-${Stack.of(this).stackName}`.slice(0, 256) });
    // CloudWatch alarms publish as the service; EventBridge rules publish through a role (alarmTopicTarget).
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
  }
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
 * The EventBridge target for an alarm topic. Publishes through a role of `scope` (id
 * `AlarmTopicPublisher`), so neither the topic policy nor the key policy needs an unconditioned
 * `events.amazonaws.com` statement, and the role gets only `grantAlarmPublish`.
 */
export function alarmTopicTarget(scope: Construct, topic: sns.ITopic, message?: events.RuleTargetInput): events.IRuleTarget {
  const role = new iam.Role(scope, 'AlarmTopicPublisher', {
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    description: 'EventBridge rules publish data-protection alarms to the encrypted alarm topic',
  });
  grantAlarmPublish(topic, role);
  acknowledgeInlinePolicy(defaultPolicyOf(role));
  // Not targets.SnsTopic: it would also grant the role kms:GenerateDataKey* through topic.grantPublish.
  return { bind: () => ({ arn: topic.topicArn, role, input: message, targetResource: topic }) };
}

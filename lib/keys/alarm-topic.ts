import { Aws, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ProtectedKey } from './protected-key';

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
 * The EventBridge target for an alarm topic. Publishes through a role, so neither the topic
 * policy nor the key policy needs an unconditioned `events.amazonaws.com` statement.
 */
export function alarmTopicTarget(topic: sns.ITopic, message?: events.RuleTargetInput): targets.SnsTopic {
  return new targets.SnsTopic(topic, { authorizeUsingRole: true, message });
}

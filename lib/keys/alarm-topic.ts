import { Aws, Stack } from 'aws-cdk-lib';
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
 * another account), TLS-only, publishable only by EventBridge and CloudWatch of this account.
 */
export class AlarmTopic extends Construct {
  public readonly topic: sns.ITopic;
  public readonly key: ProtectedKey;

  public constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const topicName = props.topicName ?? 'data-protection-alarms';
    this.key = new ProtectedKey(this, 'Key', { aliasName: `alias/data-protection/${topicName}-${Stack.of(this).stackName}`.slice(0, 256) });
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) this.key.allowServicePrincipal(service);
    const topic = new sns.Topic(this, 'Topic', { topicName, masterKey: this.key.key, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmPublishersOfThisAccount',
        principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    for (const email of props.emailSubscribers ?? []) topic.addSubscription(new subs.EmailSubscription(email));
    this.topic = topic;
  }
}

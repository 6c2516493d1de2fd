import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { apiCallAlarmRule } from './alarm-topic';

/** KMS API calls that weaken or destroy a key. */
export const KEY_TAMPER_EVENT_NAMES = [
  'DisableKey',
  'ScheduleKeyDeletion',
  'PutKeyPolicy',
  'DeleteAlias',
  'UpdateAlias',
  'DisableKeyRotation',
  'DeleteImportedKeyMaterial',
];

export interface KeyTamperAlarmsProps {
  /** Where alarms go (an `AlarmTopic`). */
  readonly topic: sns.ITopic;
}

/**
 * EventBridge rules that notify on key tampering in this account and region: disable,
 * scheduled deletion, policy change, alias deletion or re-pointing, rotation disabled.
 * EventBridge receives these as "AWS API Call via CloudTrail" events only where a trail logs
 * management events in the account ("To record events with a detail-type value of AWS API Call
 * via CloudTrail, a CloudTrail trail with logging enabled is required", EventBridge User Guide,
 * "Events from AWS services"): the data accounts' `DataAccessTrail` and the key and backup
 * accounts' `ManagementEventsTrail` (multi-region) provide it. The rule matches every key of the
 * account and region: create one per account and region.
 */
export class KeyTamperAlarms extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: KeyTamperAlarmsProps) {
    super(scope, id);
    this.rule = apiCallAlarmRule(this, 'Rule', {
      service: 'kms',
      eventNames: KEY_TAMPER_EVENT_NAMES,
      description: 'cdk-data-protection: KMS key disabled, scheduled for deletion, re-policied or de-aliased',
      topic: props.topic,
    });
  }
}

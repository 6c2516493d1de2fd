import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { apiCallAlarmRule } from '../keys/alarm-topic';
import { VAULT_DESTRUCTIVE_ACTIONS, VAULT_POLICY_ACTIONS } from './immutable-backup-vault';

/**
 * AWS Backup API calls that weaken a vault or shorten its recovery points: the actions the
 * `ImmutableBackupVault` access policy denies (to all but the break-glass role, or to all but it
 * and the deployment roles), so every attempt, denied or not, notifies.
 */
export const VAULT_TAMPER_EVENT_NAMES = [...VAULT_DESTRUCTIVE_ACTIONS, ...VAULT_POLICY_ACTIONS].map((a) => a.replace(/^backup:/, '')).sort();

export interface VaultTamperAlarmsProps {
  /** Where alarms go (an `AlarmTopic`'s topic). */
  readonly topic: sns.ITopic;
}

/**
 * An EventBridge rule that notifies on changes to the vaults of this account and region: access
 * policy put or deleted, Vault Lock put or deleted, notifications changed, the vault deleted, and
 * recovery points deleted, disassociated or given a shorter lifecycle. EventBridge receives these
 * as "AWS API Call via CloudTrail" events, so the account needs a trail logging management events
 * (`ManagementEventsTrail` in the backup account, `DataAccessTrail` in data accounts). The rule
 * matches every vault of the account and region: create one per account and region.
 */
export class VaultTamperAlarms extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: VaultTamperAlarmsProps) {
    super(scope, id);
    this.rule = apiCallAlarmRule(this, 'Rule', {
      service: 'backup',
      eventNames: VAULT_TAMPER_EVENT_NAMES,
      description: 'cdk-data-protection: a backup vault policy, lock or notification changed, or a vault or recovery point was deleted',
      topic: props.topic,
    });
  }
}

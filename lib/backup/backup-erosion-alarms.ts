import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BACKUP_PLAN_TAG, CLASSIFICATION_TAG, DRILL_SKIP_TAG } from '../core/constants';
import { ApiCalls, apiCallAlarmRule } from '../keys/alarm-topic';

/** Tags that decide what is backed up and drilled: removing them takes a store out of its protection. */
export const PROTECTION_TAG_KEYS = [CLASSIFICATION_TAG, BACKUP_PLAN_TAG, DRILL_SKIP_TAG];

/**
 * The calls that erode backups without deleting a recovery point, by service:
 * - AWS Backup: a plan's rules changed (shorter retention, copy actions dropped), a selection
 *   deleted, resource types turned off for the Region (`UpdateRegionSettings`) or cross-account
 *   backup turned off (`UpdateGlobalSettings`) ("Logging AWS Backup API calls with CloudTrail",
 *   https://docs.aws.amazon.com/aws-backup/latest/devguide/logging-using-cloudtrail.html);
 * - the tags that select stores for backup and drills removed: DynamoDB, EFS and the Resource
 *   Groups Tagging API `UntagResource(s)` and RDS `RemoveTagsFromResource` carry the removed keys in
 *   `requestParameters.tagKeys`; S3 replaces or deletes a bucket's whole tag set
 *   (`PutBucketTagging`, `DeleteBucketTagging`), so every change of a bucket's tags is reported.
 */
export const BACKUP_EROSION_CALLS: ApiCalls[] = [
  { service: 'backup', eventNames: ['UpdateBackupPlan', 'DeleteBackupSelection', 'UpdateRegionSettings', 'UpdateGlobalSettings'] },
  { service: 'dynamodb', eventNames: ['UntagResource'], detail: { requestParameters: { tagKeys: PROTECTION_TAG_KEYS } } },
  { service: 'elasticfilesystem', eventNames: ['UntagResource'], detail: { requestParameters: { tagKeys: PROTECTION_TAG_KEYS } } },
  { service: 'rds', eventNames: ['RemoveTagsFromResource'], detail: { requestParameters: { tagKeys: PROTECTION_TAG_KEYS } } },
  { service: 'tagging', source: 'aws.tag', eventNames: ['UntagResources'], detail: { requestParameters: { tagKeys: PROTECTION_TAG_KEYS } } },
  { service: 's3', eventNames: ['PutBucketTagging', 'DeleteBucketTagging'] },
];

export interface BackupErosionAlarmsProps {
  /** Where alarms go (an `AlarmTopic` that forwards to the audit account). */
  readonly topic: sns.ITopic;
}

/**
 * One EventBridge rule on the quiet ways to erode backups in this account and region
 * (`BACKUP_EROSION_CALLS`): backup plans changed, selections deleted, Region or global settings
 * changed, protection tags removed from stores. The vault lock still holds what was backed up;
 * this reports the moment new backups stop matching the policy. Create one per account and region.
 */
export class BackupErosionAlarms extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: BackupErosionAlarmsProps) {
    super(scope, id);
    const [first, ...more] = BACKUP_EROSION_CALLS;
    this.rule = apiCallAlarmRule(this, 'Rule', {
      ...first,
      more,
      description: 'cdk-data-protection: backups eroded: plan or selection changed, Region settings changed, or protection tags removed from a store',
      topic: props.topic,
    });
  }
}

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

/** Prefix of every per-store drill setting tag (name, RTO/RPO, interval, skip, isolation: lib/drill/target-item.ts). */
const DRILL_SETTING_TAG_PREFIX = 'data-protection:drill-';
/** The `tags` list of a tagging call, whose members CloudTrail spells `key` or `Key` depending on the service. */
const drillTagIn = (field: string) => [
  { requestParameters: { [field]: { key: [{ prefix: DRILL_SETTING_TAG_PREFIX }] } } },
  { requestParameters: { [field]: { Key: [{ prefix: DRILL_SETTING_TAG_PREFIX }] } } },
];

/**
 * Drill settings set or changed on a store: a drill reads them at run time, so a tag could skip a
 * store, lengthen its interval, loosen its objectives or rename it out of its staleness history.
 * The data stacks write them at deploy time; any other change is reported. DynamoDB and EFS
 * `TagResource` and RDS `AddTagsToResource` carry the tags in `requestParameters.tags`, EC2
 * `CreateTags` in `requestParameters.tagSet.items`; the Resource Groups Tagging API `TagResources`
 * carries a map whose keys a pattern cannot match, so every such call is reported; S3 bucket tag
 * changes are reported by `BACKUP_EROSION_CALLS` already (AWS API Call via CloudTrail events,
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html; each service's
 * "Logging ... API calls with AWS CloudTrail" page for the request parameters).
 */
export const DRILL_TAG_CALLS: ApiCalls[] = [
  ...drillTagIn('tags').map((detail) => ({ service: 'dynamodb', eventNames: ['TagResource'], detail })),
  ...drillTagIn('tags').map((detail) => ({ service: 'elasticfilesystem', eventNames: ['TagResource'], detail })),
  ...drillTagIn('tags').map((detail) => ({ service: 'rds', eventNames: ['AddTagsToResource'], detail })),
  { service: 'ec2', eventNames: ['CreateTags'], detail: { requestParameters: { tagSet: { items: { key: [{ prefix: DRILL_SETTING_TAG_PREFIX }] } } } } },
  { service: 'tagging', source: 'aws.tag', eventNames: ['TagResources'] },
];

export interface BackupErosionAlarmsProps {
  /** Where alarms go (an `AlarmTopic` that forwards to the audit account). */
  readonly topic: sns.ITopic;
}

/**
 * One EventBridge rule on the quiet ways to erode backups in this account and region
 * (`BACKUP_EROSION_CALLS`): backup plans changed, selections deleted, Region or global settings
 * changed, protection tags removed from stores; and a second rule on drill setting tags set on
 * stores (`DRILL_TAG_CALLS`). The vault lock still holds what was backed up;
 * this reports the moment new backups stop matching the policy. Create one per account and region.
 */
export class BackupErosionAlarms extends Construct {
  public readonly rule: events.Rule;
  /** Drill setting tags set or changed on a store (`DRILL_TAG_CALLS`). */
  public readonly drillTagRule: events.Rule;

  public constructor(scope: Construct, id: string, props: BackupErosionAlarmsProps) {
    super(scope, id);
    const [first, ...more] = BACKUP_EROSION_CALLS;
    this.rule = apiCallAlarmRule(this, 'Rule', {
      ...first,
      more,
      description: 'cdk-data-protection: backups eroded: plan or selection changed, Region settings changed, or protection tags removed from a store',
      topic: props.topic,
    });
    const [firstTag, ...moreTags] = DRILL_TAG_CALLS;
    this.drillTagRule = apiCallAlarmRule(this, 'DrillTagRule', {
      ...firstTag,
      more: moreTags,
      description: 'cdk-data-protection: drill settings of a store set or changed outside a deployment (skip, interval, objectives, name)',
      topic: props.topic,
    });
  }
}

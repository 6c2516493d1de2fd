import { Aws, Token } from 'aws-cdk-lib';
import { validateAccountId } from '../core/validation';

/**
 * Deterministic names shared by the data accounts' trails and the audit account's archive.
 * Stacks in different accounts cannot share tokens, so both sides rebuild the names.
 */
export class AuditNames {
  /** Name of the data-access trail in every data account. */
  public static readonly DEFAULT_TRAIL_NAME = 'data-protection-data-access';
  /** Key prefix of the log files in the archive bucket. */
  public static readonly DEFAULT_KEY_PREFIX = 'data-access';
  /** Name of the management-events trail of the key and backup accounts (`ManagementEventsTrail`). */
  public static readonly MANAGEMENT_TRAIL_NAME = 'data-protection-management-events';

  /**
   * The archive bucket of the audit account: `data-protection-audit-<account>-<region>`.
   * @throws unless `auditAccount` is a 12-digit account id
   */
  public static archiveBucketName(auditAccount: string, region: string): string {
    validateAccountId('AuditNames.archiveBucketName(auditAccount)', auditAccount);
    if (Token.isUnresolved(region)) {
      throw new Error('AuditNames.archiveBucketName(region) must be a literal region (the name is rebuilt in other accounts), got a token');
    }
    return `data-protection-audit-${auditAccount}-${region}`;
  }

  /** The ARN of a trail: the `aws:SourceArn` CloudTrail presents to the archive bucket and the key. */
  public static trailArn(account: string, region: string, trailName: string = AuditNames.DEFAULT_TRAIL_NAME): string {
    return `arn:${Aws.PARTITION}:cloudtrail:${region}:${account}:trail/${trailName}`;
  }

  /** The CloudWatch Logs group that receives a trail's events. */
  public static logGroupName(trailName: string = AuditNames.DEFAULT_TRAIL_NAME): string {
    return `/data-protection/cloudtrail/${trailName}`;
  }
}

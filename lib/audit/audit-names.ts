import { Aws, Stack, Token } from 'aws-cdk-lib';
import { IKey } from 'aws-cdk-lib/aws-kms';
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

/** Throws unless a literal `name` is a CloudTrail trail name (3-128 letters, digits, '.', '_' or '-', starting with a letter or digit). */
export function validateTrailName(prop: string, name: string): void {
  if (!Token.isUnresolved(name) && !/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/.test(name)) {
    throw new Error(`${prop} must be 3-128 letters, digits, '.', '_' or '-', starting with a letter or digit, got '${name}'`);
  }
}

/** Throws when `key` is known at synth to be an alias, not a key ARN (CloudTrail and CloudWatch Logs need a key ARN). */
export function requireTrailKeyArn(prop: string, key: IKey, needs: string): void {
  const arn = Stack.of(key).resolve(key.keyArn);
  if (typeof arn === 'string' && /(^alias\/|:alias\/)/.test(arn)) {
    throw new Error(`${prop} must be a key ARN (${needs}), got the alias '${arn}': use CrossAccountKey to resolve it`);
  }
}

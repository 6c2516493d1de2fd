import { Token } from 'aws-cdk-lib';

/** The retention values CloudWatch Logs accepts (`PutRetentionPolicy.retentionInDays`). */
export const CLOUDWATCH_LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Throws unless `days` is a CloudWatch Logs retention value (tokens skipped). */
export function validateLogRetentionDays(prop: string, days: number): void {
  if (Token.isUnresolved(days)) return;
  if (!CLOUDWATCH_LOG_RETENTION_DAYS.includes(days)) {
    throw new Error(`${prop} must be one of the CloudWatch Logs retention values ${CLOUDWATCH_LOG_RETENTION_DAYS.join(', ')} days, got ${days} days`);
  }
}

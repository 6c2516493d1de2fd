import { Annotations, Stack, Token } from 'aws-cdk-lib';
import { MonitoringTamperAlarms } from '../audit/monitoring-tamper-alarms';
import { BackupErosionAlarms } from '../backup/backup-erosion-alarms';
import { AccountWideWatcher, claimAccountWide, registerPerAccount } from '../core/account-wide';
import { BreakGlassRole, breakGlassAssumedRule } from '../core/break-glass-role';
import { AlarmTopic, apiCallAlarmRule, SecurityEventForwarding } from '../keys/alarm-topic';
import { DataProtectionAccounts } from './accounts';

/**
 * Where a stack of the layout forwards its data-protection events: the audit account's
 * `SecurityEventBus` in the primary region. None for the audit account's own stacks (the bus is
 * theirs).
 */
export function securityForwarding(stack: Stack, accounts: DataProtectionAccounts): SecurityEventForwarding | undefined {
  if (!Token.isUnresolved(stack.account) && stack.account === accounts.auditAccount && accounts.singleAccountReason === undefined) return undefined;
  return { auditAccount: accounts.auditAccount, region: accounts.primaryRegion };
}

/** Options of `watchAccount`. */
export interface WatchAccountOptions {
  /** The account holds backups (vaults, plans): watch their erosion. */
  readonly backups: boolean;
  /**
   * The account holds copies it never restores in normal operation (the backup account): every
   * `StartRestoreJob` there is reported. @default false
   */
  readonly restoresAreUnexpected?: boolean;
  /**
   * Roles whose `StartRestoreJob` calls are expected there: the state machine role of the drill
   * of the copies. Matched on the session's role (`userIdentity.sessionContext.sessionIssuer.arn`);
   * calls of any other identity (another role, a user, the root user) are still reported.
   * @default - none
   */
  readonly expectedRestoreRoleArns?: string[];
  /** Name of the account's break-glass role. @default DEFAULT_BREAK_GLASS_ROLE_NAME */
  readonly breakGlassRoleName?: string;
}

/**
 * The watchers every account of the layout gets once per account and region, notifying `topic`
 * (which forwards to the audit account): tampering with the monitoring itself, backup erosion
 * where the account holds backups, and the break-glass role (created once per account, its
 * assumptions watched in every region of the app).
 */
export function watchAccount(stack: Stack, accounts: DataProtectionAccounts, topic: AlarmTopic, options: WatchAccountOptions): void {
  if (claimAccountWide(stack, AccountWideWatcher.MONITORING_TAMPER)) new MonitoringTamperAlarms(stack, 'MonitoringTamperAlarms', { topic: topic.topic });
  if (options.backups && claimAccountWide(stack, AccountWideWatcher.BACKUP_EROSION)) new BackupErosionAlarms(stack, 'BackupErosionAlarms', { topic: topic.topic });
  if (options.restoresAreUnexpected && claimAccountWide(stack, AccountWideWatcher.UNEXPECTED_RESTORES)) {
    // A restore of a copy is how its data would be read out of the backup account ("Logging AWS Backup API calls with CloudTrail").
    apiCallAlarmRule(stack, 'CopyRestoreAlarm', {
      service: 'backup',
      eventNames: ['StartRestoreJob'],
      // Every restore but the drill's: a session of another role, or an identity that is no
      // assumed role at all ("anything-but" and "$or", Amazon EventBridge User Guide, "Comparison
      // operators for use in event patterns", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html;
      // CloudTrail userIdentity `type` and `sessionContext.sessionIssuer.arn`,
      // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
      ...(options.expectedRestoreRoleArns?.length
        ? {
          detail: {
            $or: [
              { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
              { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': options.expectedRestoreRoleArns }] } } } },
            ],
          },
        }
        : {}),
      description: options.expectedRestoreRoleArns?.length
        ? 'cdk-data-protection: a recovery point was restored in this account by another identity than the drill of the copies (the backup account restores nothing else in normal operation)'
        : 'cdk-data-protection: a recovery point was restored in this account (the backup account restores nothing in normal operation)',
      topic: topic.topic,
    });
  }
  if (accounts.identityAccount === undefined) {
    Annotations.of(stack).addWarningV2(
      'cdk-data-protection:no-break-glass-role',
      "No break-glass role: DataProtectionAccounts.identityAccount is not set (accepted with placeholder account ids only). Every Deny of the library exempts the role name 'data-protection-break-glass', which any administrator of this account could then create.",
    );
    return;
  }
  if (accounts.singleAccountReason !== undefined && accounts.identityAccount === stack.account) return;
  if (registerPerAccount(stack, 'break-glass-role') === undefined) {
    new BreakGlassRole(stack, 'BreakGlassRole', { identityAccount: accounts.identityAccount, topic: topic.topic, roleName: options.breakGlassRoleName });
    claimAccountWide(stack, AccountWideWatcher.BREAK_GLASS);
  } else if (claimAccountWide(stack, AccountWideWatcher.BREAK_GLASS)) {
    breakGlassAssumedRule(stack, 'BreakGlassAssumed', options.breakGlassRoleName, topic.topic);
  }
}

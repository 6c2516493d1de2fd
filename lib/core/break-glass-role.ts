import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { apiCallAlarmRule } from '../keys/alarm-topic';
import { acknowledgeInlinePolicy, acknowledgeWildcards, defaultPolicyOf } from './acknowledgements';
import { DEFAULT_BREAK_GLASS_ROLE_NAME } from '../keys/protected-key';
import { breakGlassRoleArn } from './break-glass';
import { requireLiteral, validateAccountId, validateRange } from './validation';

export interface BreakGlassRoleProps {
  /**
   * The account whose IAM principals may assume the role, with MFA: the identity account where
   * break-glass users live (hardware MFA, credentials in a safe). Not a data account.
   */
  readonly identityAccount: string;
  /** Notified of every assumption of the role (an `AlarmTopic` that forwards to the audit account). */
  readonly topic: sns.ITopic;
  /** @default 'data-protection-break-glass' */
  readonly roleName?: string;
  /**
   * Longest session (1–12 hours, whole hours).
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

/**
 * The break-glass role every Deny of the library exempts, created so that nobody else can create
 * a role of that name and walk past them. Assumable only by principals of `identityAccount` that
 * signed in with MFA in the last hour (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`:
 * "AWS global condition context keys",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html — these
 * keys are present for IAM users' MFA sessions, not for sessions of IAM Identity Center or SAML,
 * so break-glass identities are IAM users with MFA, as break-glass accounts usually are).
 * Its permissions are the management actions the library denies to everyone else, on this account's
 * keys and vaults only. Every assumption notifies `topic` (an EventBridge rule on STS `AssumeRole`
 * of this role; STS records calls to a Regional endpoint in that Region and calls to the global
 * endpoint in us-east-1: "Logging IAM and AWS STS API calls with AWS CloudTrail",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html). What the role
 * then does to keys and vaults is reported by the key and vault tamper rules.
 *
 * An administrator of the account can still change this role's trust policy: only a service
 * control policy stops that (see the README's limits).
 */
export class BreakGlassRole extends Construct {
  public readonly role: iam.Role;
  /** Notifies on every AssumeRole of the role in this stack's Region. */
  public readonly assumeRule: events.Rule;

  public constructor(scope: Construct, id: string, props: BreakGlassRoleProps) {
    super(scope, id);
    validateAccountId('BreakGlassRoleProps.identityAccount', props.identityAccount);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(props.identityAccount) && !Token.isUnresolved(stack.account) && props.identityAccount === stack.account) {
      throw new Error(`BreakGlassRoleProps.identityAccount (${props.identityAccount}) must differ from the account of ${stack.stackName}: an administrator of this account must not be able to assume its break-glass role`);
    }
    requireLiteral('BreakGlassRoleProps.maxSessionDuration', props.maxSessionDuration, 'the session length is validated at synth');
    const hours = props.maxSessionDuration?.toHours({ integral: false }) ?? 1;
    if (!Number.isInteger(hours)) throw new Error(`BreakGlassRoleProps.maxSessionDuration must be whole hours, got ${hours} hours; allowed: 1-12 hours`);
    validateRange('BreakGlassRoleProps.maxSessionDuration', hours, 1, 12, 'hours');
    const roleName = props.roleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME;
    this.role = new iam.Role(this, 'Role', {
      roleName,
      description: `cdk-data-protection break-glass: exempt from the library's Denies; assumable from ${props.identityAccount} with MFA only`,
      maxSessionDuration: Duration.hours(hours),
      assumedBy: new iam.AccountPrincipal(props.identityAccount).withConditions({
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
        NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' },
      }),
    });
    const anyRegion = (service: string, resource: string) => stack.formatArn({ service, region: '*', resource, resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageKeysOfThisAccount',
        actions: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy', 'kms:EnableKey', 'kms:DisableKey', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion'],
        resources: [stack.formatArn({ service: 'kms', region: '*', resource: 'key', resourceName: '*' })],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageVaultsOfThisAccount',
        actions: [
          'backup:DescribeBackupVault',
          'backup:GetBackupVaultAccessPolicy',
          'backup:PutBackupVaultAccessPolicy',
          'backup:DeleteBackupVaultAccessPolicy',
          'backup:DeleteBackupVaultLockConfiguration',
          'backup:DeleteBackupVault',
          'backup:DeleteRecoveryPoint',
          'backup:UpdateRecoveryPointLifecycle',
        ],
        resources: [anyRegion('backup', 'backup-vault'), anyRegion('backup', 'recovery-point')],
      }),
    );
    const why = "The break-glass role manages the keys and vaults of this account in any Region (the ones the library's Denies protect; key ids are random): no other account, no data action.";
    acknowledgeInlinePolicy(defaultPolicyOf(this.role));
    acknowledgeWildcards(this.role.node.findChild('DefaultPolicy'), [
      { resource: stack.formatArn({ service: 'kms', region: '*', resource: 'key', resourceName: '*' }), reason: why },
      { resource: anyRegion('backup', 'backup-vault'), reason: why },
      { resource: anyRegion('backup', 'recovery-point'), reason: why },
    ]);
    this.assumeRule = breakGlassAssumedRule(this, 'Assumed', roleName, props.topic);
  }
}

/**
 * The EventBridge rule notifying `topic` of every STS `AssumeRole` of the break-glass role
 * `roleName` in this stack's account and region (a `BreakGlassRole` creates one; stacks of the
 * same account in other regions add their own).
 */
export function breakGlassAssumedRule(scope: Construct, id: string, roleName: string | undefined, topic: sns.ITopic): events.Rule {
  const name = roleName ?? DEFAULT_BREAK_GLASS_ROLE_NAME;
  return apiCallAlarmRule(scope, id, {
    service: 'sts',
    eventNames: ['AssumeRole'],
    detail: { requestParameters: { roleArn: [breakGlassRoleArn(Stack.of(scope), name)] } },
    description: `cdk-data-protection: the break-glass role ${name} was assumed: every Deny of the library is open to this session`,
    topic,
  });
}

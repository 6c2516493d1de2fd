import { Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeInlinePolicy, acknowledgeWildcards, defaultPolicyOf } from '../core/acknowledgements';
import { METRIC_NAMESPACE, SILENT_MEMBER_ACCOUNTS_METRIC } from '../core/constants';
import { handlerFunction, hourlyInvocation } from '../core/handler-function';
import { validateRegion } from '../core/validation';
import { ALARM_DESCRIPTION_PREFIX } from '../keys/alarm-topic';
import { HEARTBEAT_METRIC, HEARTBEAT_NAMESPACE, silenceHours } from './security-event-bus';

export interface MemberHeartbeatMonitorProps {
  /** The organization id (`o-…`): the OUs' ARNs the function may list are limited to it. */
  readonly organizationId: string;
  /**
   * The entity paths of the member OUs (`DataProtectionAccounts.memberOrganizationalUnitPaths`):
   * `…/` lists the accounts directly in the last OU (or root), `…/*` that OU and every child OU.
   */
  readonly organizationalUnitPaths: string[];
  /** The Regions every member account forwards from (the layout's primary and DR Regions). */
  readonly regions: string[];
  /** Accounts not counted even when found under the OUs (the fixed accounts, watched by their own alarms). @default - none */
  readonly excludedAccounts?: string[];
  /** Longest silence of a member account's heartbeat in a Region (2–24 whole hours). @default Duration.hours(3) */
  readonly maxHeartbeatSilence?: Duration;
  /** Notified when at least one member account/Region is silent, or the monitor stops running. */
  readonly alarmTopic: sns.ITopic;
  /** Key of the function's log group (its policy must let CloudWatch Logs of this account use it). */
  readonly logKey: kms.IKey;
}

/**
 * The forwarding heartbeats of the member accounts of the StackSet baseline, watched in the audit
 * account — an account their administrators do not control. The security bus counts every
 * admitted account's hourly heartbeat per account and Region (`SecurityEventBus`, metric
 * `Heartbeats` in `DataProtection/Forwarding`), but its alarms name accounts, and the members of
 * the OUs are not listed anywhere. Hourly, a function lists the ACTIVE accounts under
 * `organizationalUnitPaths` itself (AWS Organizations `ListAccountsForParent` and
 * `ListOrganizationalUnitsForParent`, every page, recursively for `/*`), reads each account's
 * heartbeats in every Region over `maxHeartbeatSilence`, logs the silent pairs and publishes their
 * number (`SilentMemberAccounts`, namespace `DataProtection`); one alarm fires at 1 or more, and
 * when the function stops publishing (missing data breaching). An account that joined the
 * organization within `maxHeartbeatSilence` + 24 hours is not counted yet (its StackSet instance
 * may still be deploying).
 *
 * The audit account calls AWS Organizations as a delegated administrator: the List operations
 * "can be called only from the organization's management account or by a member account that is
 * a delegated administrator" (AWS Organizations API Reference, ListAccountsForParent,
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html, and
 * ListOrganizationalUnitsForParent); registering an account as delegated administrator of a service
 * "grants read-only access to Organizations service data"
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_RegisterDelegatedAdministrator.html).
 * The audit account is CloudTrail's delegated administrator with `AuditAccountStackProps.organizationTrail`
 * (`CloudTrailDelegatedAdministrator`). Without a registration the calls fail, the function
 * errors, and the alarm fires.
 *
 * Scale: the bus's metric filter turns each account/Region pair into a metric; CloudWatch Logs may
 * disable a metric filter that produces 1,000 different dimension values within an hour
 * (PutMetricFilter, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricFilter.html),
 * which silences every pair and fires the alarms (fail-safe, not quiet).
 */
export class MemberHeartbeatMonitor extends Construct {
  /** Lists the member accounts and publishes `SilentMemberAccounts`, hourly. */
  public readonly function: lambda.Function;
  /** Runs the function every hour. */
  public readonly schedule: scheduler.Schedule;
  /** At least one member account/Region is silent, or the monitor stopped publishing. */
  public readonly alarm: cloudwatch.Alarm;
  /** The longest silence, hours. */
  public readonly maxHeartbeatSilenceHours: number;

  public constructor(scope: Construct, id: string, props: MemberHeartbeatMonitorProps) {
    super(scope, id);
    const hours = silenceHours('MemberHeartbeatMonitorProps.maxHeartbeatSilence', props.maxHeartbeatSilence);
    if (props.organizationalUnitPaths.length === 0) {
      throw new Error("MemberHeartbeatMonitorProps.organizationalUnitPaths must list at least one entity path (e.g. 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*'), got []");
    }
    if (props.regions.length === 0) throw new Error("MemberHeartbeatMonitorProps.regions must list at least one Region (e.g. 'eu-west-1'), got []");
    props.regions.forEach((r, i) => validateRegion(`MemberHeartbeatMonitorProps.regions[${i}]`, r));
    this.maxHeartbeatSilenceHours = hours;
    const stack = Stack.of(this);

    this.function = handlerFunction(this, 'Function', {
      handler: 'member-heartbeats',
      description: "cdk-data-protection: counts the member accounts whose forwarding heartbeats stopped",
      environment: {
        ORGANIZATIONAL_UNIT_PATHS: stack.toJsonString(props.organizationalUnitPaths),
        REGIONS: stack.toJsonString([...new Set(props.regions)]),
        EXCLUDED_ACCOUNTS: stack.toJsonString(props.excludedAccounts ?? []),
        SILENCE_HOURS: String(hours),
        GRACE_HOURS: String(hours + 24),
        HEARTBEAT_NAMESPACE,
        HEARTBEAT_METRIC,
        METRIC_NAMESPACE,
      },
      logKey: props.logKey,
      logRetention: logs.RetentionDays.ONE_YEAR,
      // No X-Ray: its trace calls have no resource-level permissions (a `*` grant for nothing the alarm needs).
      tracing: lambda.Tracing.DISABLED,
      timeout: Duration.minutes(5),
      memorySize: 256,
      reservedConcurrentExecutions: 1,
      vpcReason: 'The member-heartbeat function only calls the AWS Organizations and CloudWatch APIs, never a data store endpoint, so a VPC would add endpoints without isolating anything.',
      dlqReason: 'A failed hourly run publishes no SilentMemberAccounts data point and the alarm treats missing data as breaching, so a failure alarms without a queue.',
    });
    // Service Authorization Reference, AWS Organizations
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html):
    // ListAccountsForParent and ListOrganizationalUnitsForParent take the root and organizationalunit
    // resource types (arn:…:organizations::<management account>:root/<org id>/<root id>, …:ou/<org id>/<ou id>).
    // The management account is not part of the layout: the ARNs are limited to this organization.
    const orgResources = [`arn:${Aws.PARTITION}:organizations::*:root/${props.organizationId}/*`, `arn:${Aws.PARTITION}:organizations::*:ou/${props.organizationId}/*`];
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'ListMemberAccounts', actions: ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'], resources: orgResources }),
    );
    // Amazon CloudWatch (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html):
    // GetMetricData and PutMetricData take no resource of a metric (only the optional `dataset`
    // type); PutMetricData is limited to this namespace by cloudwatch:namespace.
    this.function.addToRolePolicy(new iam.PolicyStatement({ sid: 'ReadHeartbeats', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'PublishSilentMembers', actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } } }),
    );
    acknowledgeWildcards(defaultPolicyOf(this.function.role!)!, [
      {
        resource: orgResources[0],
        reason: "The roots of this organization: the management account that owns the ARN is not part of the layout; ListAccountsForParent and ListOrganizationalUnitsForParent are read-only.",
      },
      { resource: orgResources[1], reason: 'The OUs of this organization (any depth: child OUs are found at run time); read-only List calls.' },
      {
        resource: '*',
        reason: 'cloudwatch:GetMetricData (read-only) has no resource-level permission for metrics; cloudwatch:PutMetricData neither, limited to the DataProtection namespace by cloudwatch:namespace.',
      },
    ]);
    acknowledgeInlinePolicy(defaultPolicyOf(this.function.role!));

    this.schedule = hourlyInvocation(this, this.function, 'member-heartbeat', 'Counts the member accounts whose forwarding heartbeats stopped');

    // Two hourly periods: one run landing in the neighbouring hour leaves a period empty and must
    // not alarm alone (missing data breaches); a silent pair stays silent, so it alarms at the second run.
    this.alarm = new cloudwatch.Alarm(this, 'SilentMembers', {
      alarmDescription:
        `${ALARM_DESCRIPTION_PREFIX} at least one member account of ${Token.isUnresolved(props.organizationId) ? 'the organization' : props.organizationId} sent no forwarding heartbeat for ${hours} hours ` +
        "in a watched Region (its forwarding rule, target or alarm topic was changed, or its StackSet instance was deleted), or the monitor stopped running: the silent pairs are in the function's log",
      metric: new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: SILENT_MEMBER_ACCOUNTS_METRIC, statistic: 'Maximum', period: Duration.hours(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
  }
}

import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { requireLiteral, validateAccountId, validateRange } from '../core/validation';
import { ALARM_DESCRIPTION_PREFIX, alarmTopicTarget, SECURITY_EVENT_BUS_NAME } from '../keys/alarm-topic';
import { ProtectedKey } from '../keys/protected-key';
import { validateEntityPaths } from '../topology/accounts';

export interface SecurityEventBusProps {
  /** Accounts whose data-protection events this bus receives (data, key and backup accounts). */
  readonly sourceAccounts: string[];
  /** Where every received event goes: the audit account's `AlarmTopic`. */
  readonly topic: sns.ITopic;
  /** Admit only principals of this organization as well (`aws:PrincipalOrgID`). @default - the account list only */
  readonly organizationId?: string;
  /**
   * AWS Organizations entity paths (`o-…/r-…/ou-…/*`) whose accounts may put events too, whatever
   * their ids (the accounts of a `DataProtectionStackSet`): principal `*` narrowed by
   * `aws:PrincipalOrgPaths` and `aws:PrincipalOrgID`. Each must start with `organizationId`, which
   * is required. Their events reach the topic and the archive; their heartbeats are counted too
   * (metric `Heartbeats` per `Account` and `Region`), watched by a `MemberHeartbeatMonitor`
   * (`AuditAccountStack` creates one), not by a per-pair alarm.
   * @default - the `sourceAccounts` only
   */
  readonly sourceOrganizationalUnitPaths?: string[];
  /** @default 'data-protection-security-events' */
  readonly eventBusName?: string;
  /**
   * How long received events are kept in the bus's archive (1–3,650 days), for the incident
   * review: the evidence of what the watched accounts reported, out of their reach.
   * @default Duration.days(400)
   */
  readonly archiveRetention?: Duration;
  /**
   * The account and Region pairs that forward to this bus (each sends an hourly heartbeat through
   * its forwarding role and target, `AlarmTopicProps.forwardTo`): one alarm per pair when its
   * heartbeats stop for `maxHeartbeatSilence`, whatever broke the path.
   * @default - no heartbeat alarms
   */
  readonly heartbeats?: SecurityEventSource[];
  /** Longest silence of a heartbeat (2–24 whole hours). @default Duration.hours(3) */
  readonly maxHeartbeatSilence?: Duration;
  /** Encrypts the heartbeat log group (its policy must let CloudWatch Logs of this account use it). Required with `heartbeats`. */
  readonly logKey?: ProtectedKey;
}

/** An account and Region that forwards its data-protection events (`SecurityEventBusProps.heartbeats`). */
export interface SecurityEventSource {
  readonly account: string;
  readonly region: string;
}

/**
 * The audit account's security event bus: every data, key and backup account of the layout puts
 * its data-protection events on it (tamper events and the state changes of the library's alarms,
 * `AlarmTopicProps.forwardTo`), one rule sends each to the audit account's alarm topic, and an
 * archive keeps them. An attacker holding a watched account can stop its own forwarding — which is
 * itself an event forwarded first (`MonitoringTamperAlarms`) — but cannot unsubscribe, re-key or
 * silence what reached this account.
 *
 * The bus policy admits `events:PutEvents` from the listed accounts only ("Permissions for event
 * buses in Amazon EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html),
 * and, with an organization id, only from inside it.
 */
export class SecurityEventBus extends Construct {
  public readonly eventBus: events.EventBus;
  /** The rule sending every received event to the topic. */
  public readonly notifyRule: events.Rule;
  /** One alarm per `heartbeats` pair whose heartbeats stopped. */
  public readonly heartbeatAlarms: cloudwatch.Alarm[] = [];

  public constructor(scope: Construct, id: string, props: SecurityEventBusProps) {
    super(scope, id);
    if (props.sourceAccounts.length === 0) throw new Error('SecurityEventBusProps.sourceAccounts must list at least one account id, got []');
    props.sourceAccounts.forEach((a, i) => validateAccountId(`SecurityEventBusProps.sourceAccounts[${i}]`, a));
    requireLiteral('SecurityEventBusProps.archiveRetention', props.archiveRetention, 'the archive retention is validated at synth');
    const retentionDays = props.archiveRetention?.toDays() ?? 400;
    validateRange('SecurityEventBusProps.archiveRetention', retentionDays, 1, 3650, 'days');
    const accounts = [...new Set(props.sourceAccounts)];
    this.eventBus = new events.EventBus(this, 'Bus', { eventBusName: props.eventBusName ?? SECURITY_EVENT_BUS_NAME, description: 'cdk-data-protection: data-protection events of the watched accounts' });
    this.eventBus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WatchedAccountsPutEvents',
        principals: accounts.map((a) => new iam.AccountPrincipal(a)),
        actions: ['events:PutEvents'],
        resources: [this.eventBus.eventBusArn],
        conditions: props.organizationId ? { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } } : undefined,
      }),
    );
    const paths = props.sourceOrganizationalUnitPaths ?? [];
    if (paths.length > 0) {
      const org = props.organizationId;
      // Literal entity paths of that organization, validated as the layout's (organization id set and
      // first; a token is refused: the bus's reach must be reviewable).
      validateEntityPaths('SecurityEventBusProps.sourceOrganizationalUnitPaths', paths, org, 'SecurityEventBusProps.organizationId');
      // The forwarding roles of the OUs' accounts: principal '*' only with aws:PrincipalOrgPaths and
      // aws:PrincipalOrgID (global condition keys, "AWS global condition context keys", IAM User Guide,
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths;
      // a bus policy admits principals by organization with a condition, "Permissions for event buses
      // in Amazon EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html).
      this.eventBus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'MemberAccountsPutEvents',
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.eventBus.eventBusArn],
          conditions: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': paths }, 'StringEquals': { 'aws:PrincipalOrgID': org } },
        }),
      );
    }
    // With member OUs, any account the policy admits: the bus policy is the filter (an event pattern cannot name OUs).
    // (Exists matching on a leaf field every event has: "Comparison operators for use in event patterns in
    // Amazon EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html.)
    const pattern: events.EventPattern = paths.length > 0 ? { account: events.Match.exists() } : { account: accounts };
    this.notifyRule = new events.Rule(this, 'Notify', {
      eventBus: this.eventBus,
      description: 'cdk-data-protection: every data-protection event of a watched account notifies the audit account',
      // Heartbeats (EventBridge's "Scheduled Event") are counted below, not mailed.
      eventPattern: { ...pattern, detailType: events.Match.anythingBut(HEARTBEAT_DETAIL_TYPE) },
      targets: [alarmTopicTarget(props.topic)],
    });
    this.eventBus.archive('Archive', { eventPattern: pattern, retention: Duration.days(retentionDays), description: 'cdk-data-protection: data-protection events of the watched accounts' });
    if (props.heartbeats?.length) this.watchHeartbeats(props, accounts);
  }

  /**
   * Heartbeats land in a log group (a rule target needing only a CloudWatch Logs resource policy
   * for `events.amazonaws.com`, "Amazon CloudWatch Logs permissions" in the EventBridge User Guide,
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html), counted per
   * account and Region by one metric filter with dimensions (`$.account`, `$.region` of the event;
   * "Using dimensions in metric filters", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringPolicyExamples.html);
   * an alarm per pair breaches when no heartbeat arrived for `maxHeartbeatSilence`.
   */
  private watchHeartbeats(props: SecurityEventBusProps, accounts: string[]): void {
    const hours = silenceHours('SecurityEventBusProps.maxHeartbeatSilence', props.maxHeartbeatSilence);
    if (!props.logKey) throw new Error('SecurityEventBusProps.logKey is required with heartbeats: it encrypts the heartbeat log group, got undefined');
    const stack = Stack.of(this);
    props.logKey.allowCloudWatchLogs([stack.account]);
    const logGroup = new logs.LogGroup(this, 'Heartbeats', { encryptionKey: props.logKey.key, retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const rule = new events.Rule(this, 'HeartbeatRule', {
      eventBus: this.eventBus,
      description: 'cdk-data-protection: heartbeats of the watched accounts, counted per account and Region',
      eventPattern: { ...(props.sourceOrganizationalUnitPaths?.length ? {} : { account: accounts }), source: ['aws.events'], detailType: [HEARTBEAT_DETAIL_TYPE] },
      targets: [{ bind: () => ({ arn: logGroup.logGroupArn }) }],
    });
    new logs.ResourcePolicy(this, 'HeartbeatDelivery', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${logGroup.logGroupArn}`],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      ],
    });
    const filter = new logs.MetricFilter(this, 'HeartbeatFilter', {
      logGroup,
      // Only heartbeats reach this log group (the rule above); the source field keeps the selector plain.
      filterPattern: logs.FilterPattern.stringValue('$.source', '=', 'aws.events'),
      metricNamespace: HEARTBEAT_NAMESPACE,
      metricName: HEARTBEAT_METRIC,
      metricValue: '1',
      dimensions: { Account: '$.account', Region: '$.region' },
    });
    const seen = new Set<string>();
    for (const source of props.heartbeats ?? []) {
      validateAccountId('SecurityEventBusProps.heartbeats[].account', source.account);
      if (Token.isUnresolved(source.account) || Token.isUnresolved(source.region)) {
        throw new Error('SecurityEventBusProps.heartbeats must name literal accounts and Regions (they name the alarms), got a token');
      }
      const key = `${source.account}/${source.region}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.heartbeatAlarms.push(
        silenceAlarm(
          this,
          `Silent${source.account}${source.region}`,
          `no heartbeat from account ${source.account} in ${source.region} for ${hours} hours: its forwarding to the audit account is broken (rule disabled or deleted, target removed, role changed) or its stack was deleted`,
          filter.metric({ statistic: 'Sum', period: Duration.hours(1), dimensionsMap: { Account: source.account, Region: source.region } }),
          hours,
          props.topic,
        ),
      );
    }
  }
}

/** The detail-type of EventBridge's scheduled events: the forwarding heartbeats. */
const HEARTBEAT_DETAIL_TYPE = 'Scheduled Event';
/** Namespace of the heartbeat metric in the audit account. */
export const HEARTBEAT_NAMESPACE = 'DataProtection/Forwarding';
/** The heartbeat metric (dimensions `Account` and `Region`), counted by the bus's metric filter. */
export const HEARTBEAT_METRIC = 'Heartbeats';

export interface TrailDeliveryMonitorProps {
  /** The audit archive bucket the data accounts' trails deliver to (a bucket of this stack). */
  readonly bucket: s3.IBucket;
  /** Key prefix of the log files. */
  readonly s3KeyPrefix: string;
  /** Accounts whose trails deliver into the bucket. */
  readonly accounts: string[];
  /** Notified when an account's trail stops delivering. */
  readonly topic: sns.ITopic;
  /**
   * Longest silence of an account's trail (2–24 hours, whole hours). A trail with log-file validation
   * delivers a digest file every hour, so an account whose trail logs never stays silent longer.
   * @default Duration.hours(3)
   */
  readonly maxSilence?: Duration;
}

/**
 * A heartbeat of the data accounts' trails, in the audit account: an S3 request-metrics filter per
 * account on the archive bucket (prefix `<prefix>/AWSLogs/<account>/`: its log and digest files,
 * "CloudTrail digest file structure",
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html)
 * and an alarm when no object was written under it for `maxSilence` (`PutRequests` of the filter,
 * missing data breaching). Every hour a trail with log-file validation delivers a digest file
 * ("Validating CloudTrail log file integrity",
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html),
 * so silence means the trail stopped, was deleted, or lost its access to the bucket or key —
 * whatever the watched account's administrator did to its own alarms.
 * S3 request metrics are billed as CloudWatch custom metrics and reported "on a best-effort basis"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html).
 */
export class TrailDeliveryMonitor extends Construct {
  /** One alarm per account. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  public constructor(scope: Construct, id: string, props: TrailDeliveryMonitorProps) {
    super(scope, id);
    const hours = silenceHours('TrailDeliveryMonitorProps.maxSilence', props.maxSilence);
    const bucket = props.bucket;
    if (!(bucket instanceof s3.Bucket) || Stack.of(bucket) !== Stack.of(this)) {
      throw new Error(`TrailDeliveryMonitorProps.bucket must be a bucket created in ${Stack.of(this).stackName} (request metrics are part of its definition), got ${bucket.node.path}`);
    }
    for (const account of [...new Set(props.accounts)]) {
      validateAccountId('TrailDeliveryMonitorProps.accounts', account);
      if (Token.isUnresolved(account)) throw new Error('TrailDeliveryMonitorProps.accounts must be literal account ids (they name the metrics filters), got a token');
      const filterId = `trail-delivery-${account}`;
      bucket.addMetric({ id: filterId, prefix: `${props.s3KeyPrefix}/AWSLogs/${account}/` });
      this.alarms.push(
        silenceAlarm(
          this,
          `Silent${account}`,
          `the trail of account ${account} delivered nothing to the audit archive for ${hours} hours: stopped, deleted, or cut off from its bucket or key`,
          new cloudwatch.Metric({ namespace: 'AWS/S3', metricName: 'PutRequests', dimensionsMap: { BucketName: bucket.bucketName, FilterId: filterId }, statistic: 'Sum', period: Duration.hours(1) }),
          hours,
          props.topic,
        ),
      );
    }
  }
}

/** A longest silence in whole hours, 2–24 (default 3): one alarm period per hour. */
export function silenceHours(prop: string, value: Duration | undefined): number {
  requireLiteral(prop, value, 'the alarm periods are computed from it at synth');
  const hours = value?.toHours({ integral: false }) ?? 3;
  if (!Number.isInteger(hours)) throw new Error(`${prop} must be whole hours, got ${hours} hours; allowed: 2-24 hours`);
  validateRange(prop, hours, 2, 24, 'hours');
  return hours;
}

/** An alarm when `metric` (hourly sums) stays below 1 for `hours` hours, missing data breaching, notifying `topic`. */
function silenceAlarm(scope: Construct, id: string, what: string, metric: cloudwatch.IMetric, hours: number, topic: sns.ITopic): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: `${ALARM_DESCRIPTION_PREFIX} ${what}`,
    metric,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: hours,
    datapointsToAlarm: hours,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  alarm.addAlarmAction(new cwActions.SnsAction(topic));
  return alarm;
}

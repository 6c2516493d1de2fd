import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, IConstruct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy } from '../classification/protection-policy';
import { METRIC_NAMESPACE } from '../core/constants';
import { requireLiteral, validateInteger, validateRange } from '../core/validation';
import { DrillMetrics, RestoreDrill } from '../drill/restore-drill';
import { CopyArrivalMonitor } from '../backup/copy-arrival-monitor';
import { ALARM_DESCRIPTION_PREFIX } from '../keys/alarm-topic';
import { DataAccessAlarms, DATA_ACCESS_METRIC_NAMESPACE } from './data-access-alarms';

/**
 * Limits of a CloudWatch dashboard. "Up to 500 widgets per dashboard. Up to 500 metrics per
 * dashboard widget" (CloudWatch service quotas,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html); an
 * alarm status widget's `alarms` "can have 1-100 ARNs" (Dashboard Body Structure and Syntax,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html);
 * a dashboard name has at most 255 characters of A-Z, a-z, 0-9, "-" and "_" (PutDashboard,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html).
 */
export const DASHBOARD_LIMITS = {
  WIDGETS: 500,
  METRICS_PER_WIDGET: 500,
  ALARMS_PER_STATUS_WIDGET: 100,
  NAME_MAX_LENGTH: 255,
  NAME_PATTERN: /^[A-Za-z0-9_-]+$/,
} as const;

/** Known stores per graph: readable legends, far below METRICS_PER_WIDGET. */
const STORES_PER_GRAPH = 50;
/** Stores drawn per level by default (two RTO and two RPO graphs), and at most (five of each). */
const DEFAULT_MAX_STORES_PER_LEVEL = 100;
const MAX_STORES_PER_LEVEL = 250;

/**
 * AWS Backup's job metrics (namespace `AWS/Backup`, "Monitoring AWS Backup metrics with
 * CloudWatch", https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html). Each is
 * published per resource type and, for backup and copy jobs, per vault: a SEARCH without a schema
 * matches whichever dimension combination the service publishes.
 */
export const BACKUP_JOB_FAILURE_METRICS = ['NumberOfBackupJobsFailed', 'NumberOfCopyJobsFailed', 'NumberOfRestoreJobsFailed'];
/** Recovery points completed in a vault (the metric of `BackupAlarms`' "no recent recovery point" alarms). */
export const RECOVERY_POINTS_COMPLETED_METRIC = 'NumberOfRecoveryPointsCompleted';

/** A drilled store whose objectives are known at synth: its drill target name and its level. */
export interface DashboardStore {
  /** The store's drill target name: the `Target` dimension of the drill metrics (`DrillTarget.name`). */
  readonly name: string;
  /** Its classification level: the RTO and RPO of the level's `ProtectionPolicy` are its objectives. */
  readonly classification: DataClassification;
}

export interface DataProtectionDashboardProps {
  /**
   * Name of the dashboard (1–255 characters: letters, digits, `-` and `_`).
   * @default 'data-protection-<stack name>'
   */
  readonly dashboardName?: string;
  /**
   * Levels whose RTO, RPO and drill interval are drawn as horizontal lines on the graphs of every
   * target (targets found at run time carry no level in their metrics).
   * @default - every level from INTERNAL up (the drilled levels)
   */
  readonly levels?: DataClassification[];
  /**
   * Drilled stores known at synth: per level, graphs of their measured RTO and RPO against the
   * level's objective.
   * @default - none: only the graphs of every target (SEARCH)
   */
  readonly stores?: DashboardStore[];
  /**
   * Stores of one level drawn in that level's RTO and RPO graphs (the first ones of `stores`, 50
   * per graph). A level with more stores gets a text widget saying how many are not drawn against
   * its objective; the per-target graphs (SEARCH) still show them, up to the 500 series a search
   * expression returns (aws-cdk-lib `SearchExpressionProps`), so in an account drilling more than
   * 500 stores some appear on neither. The bound keeps the dashboard's size independent of the
   * account's size: each drawn store adds ~350 bytes to the template of the stack holding it (the
   * protection set's, for `DataAccountStack`: `DataProtectionOptions.dashboardMaxStoresPerLevel`),
   * and CloudFormation accepts templates of at most 1 MB ("Template body size in an Amazon S3
   * object", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
   * Between 0 (per-target graphs only) and 250.
   * @default 100
   */
  readonly maxStoresPerLevel?: number;
  /** Restore drills whose stale and unverified target counts are graphed. @default - none (the SEARCH graphs still show every drill of the account and region) */
  readonly drills?: RestoreDrill[];
  /** Copy-arrival monitor whose hours since the last copy per source account are graphed. @default - none */
  readonly copyArrival?: CopyArrivalMonitor;
  /** Data-access alarms whose denied-access, read and egress metrics and mass-read alarm are shown. @default - none */
  readonly dataAccessAlarms?: DataAccessAlarms;
  /**
   * Show the state of every alarm of this stack whose description starts with
   * `cdk-data-protection:` (the library's alarms), collected at synth.
   * @default true
   */
  readonly includeStackAlarms?: boolean;
  /** More alarms whose state is shown. @default - none */
  readonly alarms?: cloudwatch.IAlarm[];
}

/**
 * A CloudWatch dashboard of the account's data protection, to look at before reading evidence:
 * drill results (succeeded, failed, stale and unverified targets, days since the last success),
 * measured RTO and RPO per drill target against the level objectives (every target by a SEARCH
 * expression, so targets found at run time appear; the stores known at synth per level), failed
 * backup, copy and restore jobs and completed recovery points (AWS/Backup), hours since the last
 * copy per source account, denied-access, read and egress metrics with the mass-read alarm, and
 * the state of every alarm of the library in the stack. Synth fails beyond CloudWatch's 500
 * widgets per dashboard.
 */
export class DataProtectionDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Its name. */
  public readonly dashboardName: string;
  /** Alarms shown by the alarm status widgets (complete at synth, once the stack's alarms are collected). */
  public readonly shownAlarms: cloudwatch.IAlarm[] = [];
  private widgetCount = 0;

  public constructor(scope: Construct, id: string, props: DataProtectionDashboardProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.dashboardName = props.dashboardName ?? `data-protection-${stack.stackName}`;
    validateDashboardName(this.dashboardName);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      defaultInterval: Duration.days(14),
    });
    const levels = props.levels ?? DataClassification.all().filter((c) => c.isAtLeast(DataClassification.INTERNAL));
    const policies = levels.map((c) => ({ level: c.name, policy: ProtectionPolicy.forClassification(c) }));
    const annotations = (pick: (p: ProtectionPolicy) => number, unit: string, scale: number): cloudwatch.HorizontalAnnotation[] =>
      policies.map(({ level, policy }) => ({ value: pick(policy) * scale, label: `${level} objective ${pick(policy)} ${unit}`, fill: cloudwatch.Shading.NONE }));
    const rto = annotations((p) => p.rtoHours, 'h', 3600);
    const rpo = annotations((p) => p.rpoHours, 'h', 3600);

    this.add(new cloudwatch.TextWidget({
      width: 24,
      height: 2,
      markdown:
        '# Data protection\n' +
        `Drill results and measured RTO/RPO (namespace \`${METRIC_NAMESPACE}\`, per \`Target\`), AWS Backup job failures, copies and data access. ` +
        'Evidence records and notifications hold the details; this dashboard is generated by cdk-data-protection (changes in the console are overwritten).',
    }));

    const day = 86400;
    // Drill results: every target of every drill of the account and region, found at run time too.
    // SEARCH('{namespace,dims} MetricName="..."', stat, period) graphs every series matching the
    // schema (exactly those dimensions); 'Namespace="AWS/Backup" MetricName="..."' any dimension
    // combination ("CloudWatch search expression syntax",
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html).
    const search = (query: string, stat: string, periodSeconds: number, label?: string) =>
      new cloudwatch.MathExpression({ expression: `SEARCH('${query}', '${stat}', ${periodSeconds})`, usingMetrics: {}, label, period: Duration.seconds(periodSeconds) });
    const perTarget = (metric: string) => search(`{${METRIC_NAMESPACE},Target} MetricName="${metric}"`, 'Maximum', day);
    this.add(
      graph('Restore drills failed (per target)', [perTarget(DrillMetrics.FAILED)], { right: [perTarget(DrillMetrics.SUCCEEDED)] }),
      graph('Days since the last successful drill (per target)', [perTarget(DrillMetrics.DAYS_SINCE_SUCCESS)], {
        annotations: annotations((p) => p.drillIntervalDays, 'days (drill interval)', 1),
      }),
    );
    this.add(
      graph('Measured RTO: restore time per target (seconds)', [perTarget(DrillMetrics.RESTORE_TIME)], { annotations: rto }),
      graph('Measured RPO: age of the restored recovery point per target (seconds)', [perTarget(DrillMetrics.RECOVERY_POINT_AGE)], { annotations: rpo }),
    );
    const drillMetric = (drill: RestoreDrill, metricName: string) =>
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { Drill: drill.drillId }, statistic: 'Maximum', period: Duration.days(1), label: `${metricName} ${drill.drillId}` });
    const drills = props.drills ?? [];
    if (drills.length > 0) {
      this.add(graph('Stale, unverified and slow drill targets (per drill)', drills.flatMap((d) => [
        drillMetric(d, DrillMetrics.STALE_TARGETS), drillMetric(d, DrillMetrics.UNVERIFIED_TARGETS), drillMetric(d, DrillMetrics.RTO_EXCEEDED),
      ]), { width: 24 }));
    }

    // The stores known at synth, per level, against that level's objective (at most maxStoresPerLevel of each).
    const maxStores = props.maxStoresPerLevel ?? DEFAULT_MAX_STORES_PER_LEVEL;
    requireLiteral('DataProtectionDashboardProps.maxStoresPerLevel', maxStores, 'it decides at synth how many graphs the dashboard has');
    validateInteger('DataProtectionDashboardProps.maxStoresPerLevel', maxStores);
    validateRange('DataProtectionDashboardProps.maxStoresPerLevel', maxStores, 0, MAX_STORES_PER_LEVEL);
    for (const level of DataClassification.all()) {
      const all = (props.stores ?? []).filter((s) => s.classification.name === level.name);
      const stores = all.slice(0, maxStores);
      const policy = ProtectionPolicy.forClassification(level);
      if (all.length > stores.length) {
        this.add(new cloudwatch.TextWidget({
          width: 24,
          height: 1,
          markdown: `${level.name}: ${all.length} drilled stores, ${stores.length === 0 ? 'none' : `the first ${stores.length}`} drawn against the level's objectives (maxStoresPerLevel); the per-target graphs show the others, up to 500 targets in all.`,
        }));
      }
      for (let i = 0; i < stores.length; i += STORES_PER_GRAPH) {
        const chunk = stores.slice(i, i + STORES_PER_GRAPH);
        const part = stores.length > STORES_PER_GRAPH ? ` (${i / STORES_PER_GRAPH + 1})` : '';
        const perStore = (metricName: string) => chunk.map((s) => new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { Target: s.name }, statistic: 'Maximum', period: Duration.days(1), label: s.name,
        }));
        this.add(
          graph(`${level.name} stores: RTO (seconds) against ${policy.rtoHours} h${part}`, perStore(DrillMetrics.RESTORE_TIME), {
            annotations: [{ value: policy.rtoHours * 3600, label: `RTO ${policy.rtoHours} h`, fill: cloudwatch.Shading.NONE }],
          }),
          graph(`${level.name} stores: RPO (seconds) against ${policy.rpoHours} h${part}`, perStore(DrillMetrics.RECOVERY_POINT_AGE), {
            annotations: [{ value: policy.rpoHours * 3600, label: `RPO ${policy.rpoHours} h`, fill: cloudwatch.Shading.NONE }],
          }),
        );
      }
    }

    // AWS Backup: failed jobs and completed recovery points, every vault and type of the account and region.
    const hour = 3600;
    this.add(
      graph('AWS Backup: failed backup, copy and restore jobs', BACKUP_JOB_FAILURE_METRICS.map((m) => search(`Namespace="AWS/Backup" MetricName="${m}"`, 'Sum', hour, m))),
      graph('AWS Backup: recovery points completed (per vault and type)', [search(`Namespace="AWS/Backup" MetricName="${RECOVERY_POINTS_COMPLETED_METRIC}"`, 'Sum', day)]),
    );

    if (props.copyArrival) {
      const monitor = props.copyArrival;
      const metrics = Object.entries(monitor.alarms).map(([account, alarm]) => (alarm.metric as cloudwatch.Metric).with({ label: `from ${account}` }));
      this.add(graph('Hours since the last copy arrived (per source account)', metrics, {
        width: 24,
        annotations: [{ value: monitor.maxCopyAgeHours, label: `alarm above ${monitor.maxCopyAgeHours} h`, fill: cloudwatch.Shading.NONE }],
      }));
    }

    if (props.dataAccessAlarms) {
      const access = props.dataAccessAlarms;
      this.add(
        graph(`Denied access and data reads (${DATA_ACCESS_METRIC_NAMESPACE})`, [access.accessDeniedAlarm.metric, access.accountMassReadAlarm.metric], { right: [access.egressBytesAlarm.metric] }),
        // The mass-read alarm's metric is the top contributor of its Contributor Insights rules (INSIGHT_RULE_METRIC).
        new cloudwatch.AlarmWidget({ title: 'Mass reads by the top role or IAM user (Contributor Insights)', alarm: access.massReadAlarm, width: 12, height: 6 }),
      );
    }

    for (const alarm of props.alarms ?? []) this.shownAlarms.push(alarm);
    // At synth, once every construct of the stack exists (the protection set is built by aspects):
    // the stack's library alarms, then the limits.
    const includeStack = props.includeStackAlarms ?? true;
    let collected = false;
    this.node.addValidation({
      validate: () => {
        if (!collected) {
          collected = true;
          if (includeStack) {
            for (const a of libraryAlarmsOf(stack)) if (!this.shownAlarms.includes(a)) this.shownAlarms.push(a);
          }
          this.addAlarmStatusWidgets();
        }
        if (this.widgetCount > DASHBOARD_LIMITS.WIDGETS) {
          return [
            `DataProtectionDashboard ${this.node.path} has ${this.widgetCount} widgets, more than CloudWatch's ${DASHBOARD_LIMITS.WIDGETS} per dashboard: ` +
              'lower DataProtectionDashboardProps.maxStoresPerLevel, give fewer alarms, or set includeStackAlarms to false',
          ];
        }
        return [];
      },
    });
  }

  private addAlarmStatusWidgets(): void {
    const alarms = this.shownAlarms;
    const per = DASHBOARD_LIMITS.ALARMS_PER_STATUS_WIDGET;
    for (let i = 0; i < alarms.length; i += per) {
      const chunk = alarms.slice(i, i + per);
      this.add(new cloudwatch.AlarmStatusWidget({
        title: `Alarms of the stack${alarms.length > per ? ` (${i / per + 1})` : ''}`,
        alarms: chunk,
        width: 24,
        height: Math.max(3, Math.ceil(chunk.length / 4) + 1),
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }));
    }
  }

  private add(...widgets: cloudwatch.IWidget[]): void {
    this.widgetCount += widgets.length;
    this.dashboard.addWidgets(...widgets);
  }
}

function graph(title: string, left: cloudwatch.IMetric[], options: { right?: cloudwatch.IMetric[]; annotations?: cloudwatch.HorizontalAnnotation[]; width?: number } = {}): cloudwatch.GraphWidget {
  const count = left.length + (options.right?.length ?? 0);
  if (count > DASHBOARD_LIMITS.METRICS_PER_WIDGET) {
    throw new Error(`DataProtectionDashboard: graph '${title}' has ${count} metrics, more than CloudWatch's ${DASHBOARD_LIMITS.METRICS_PER_WIDGET} per widget`);
  }
  return new cloudwatch.GraphWidget({
    title,
    left,
    right: options.right,
    leftAnnotations: options.annotations,
    width: options.width ?? 12,
    height: 6,
    legendPosition: cloudwatch.LegendPosition.BOTTOM,
  });
}

/** Every CloudWatch alarm of `stack` (not of nested stages) whose description starts with the library's prefix. */
function libraryAlarmsOf(stack: Stack): cloudwatch.Alarm[] {
  return stack.node.findAll().filter((c: IConstruct): c is cloudwatch.Alarm => {
    if (!(c instanceof cloudwatch.Alarm) || Stack.of(c) !== stack) return false;
    const description = (c.node.defaultChild as cloudwatch.CfnAlarm).alarmDescription;
    return typeof description === 'string' && description.startsWith(ALARM_DESCRIPTION_PREFIX);
  });
}

function validateDashboardName(name: string): void {
  if (Token.isUnresolved(name)) return;
  if (name.length < 1 || name.length > DASHBOARD_LIMITS.NAME_MAX_LENGTH || !DASHBOARD_LIMITS.NAME_PATTERN.test(name)) {
    throw new Error(
      `DataProtectionDashboardProps.dashboardName must be 1-${DASHBOARD_LIMITS.NAME_MAX_LENGTH} characters of A-Z, a-z, 0-9, '-' and '_', got '${name}' (${name.length} characters)`,
    );
  }
}

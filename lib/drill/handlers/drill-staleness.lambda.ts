/**
 * Runs daily: publishes DaysSinceLastSuccessfulDrill per target and StaleTargets for the whole drill
 * (dimension `Drill`): the targets never drilled successfully or not within their interval, which
 * the drill's one staleness alarm watches. A success counts only when AWS Backup's record of its
 * restore job agrees (./verified-success.ts): the `latest-success/<target>.json` pointer and the
 * evidence record are files the data account can write, so their dates are not trusted. Evidence
 * AWS Backup contradicts, or whose job is missing while its record would still be kept, counts as
 * no success (stale). Evidence whose job record is gone (older than the job-record retention) is
 * `unverified`: dated by the evidence, stale past its interval like any other, logged, and counted
 * in UnverifiedTargets (dimension `Drill`). Metrics are written in CloudWatch Embedded Metric
 * Format (a log line), so the function needs no PutMetricData permission.
 *
 * The staleness check of `NativeRestoreTesting` is this function too: `RESTORE_TESTING_PLAN_ARN`
 * makes only that plan's restore jobs count as successes, and `RESTORE_TESTING_TYPES` (JSON list of
 * AWS Backup resource types) limits the stores to the types its selections test.
 */
import { METRIC_NAMESPACE } from '../../core/constants';
import { DISCOVERY_ENV } from '../target-item';
import { configFromEnv, discover } from './discovery';
import { lastVerifiedSuccesses, restoreRoleFromEnv, SuccessState } from './verified-success';

interface StalenessTarget {
  readonly name: string;
  readonly intervalDays: number;
  /** The store's ARN: a success counts only for a restore of it (when known). */
  readonly resourceArn?: string;
}

export async function handler(): Promise<{ ages: { [target: string]: number | null }; stale: string[]; states: { [target: string]: SuccessState }; unverified: string[] }> {
  const bucket = process.env.EVIDENCE_BUCKET;
  const drill = process.env.DRILL_ID ?? 'unknown';
  if (!bucket) throw new Error('EVIDENCE_BUCKET must be set');
  const restoreRoleArn = restoreRoleFromEnv();
  // A discovering drill (DRILL_DISCOVERY) finds every target as its discover function does; a
  // store whose drill tags are wrong is never drilled, so it counts stale (named by its ARN).
  let targets: StalenessTarget[];
  let rejected: string[] = [];
  if (process.env[DISCOVERY_ENV]) {
    const found = await discover(configFromEnv());
    const tested: string[] | undefined = process.env.RESTORE_TESTING_TYPES ? JSON.parse(process.env.RESTORE_TESTING_TYPES) : undefined;
    targets = found.items.filter((i) => !tested || tested.includes(i.resourceType)).map((i) => ({ name: i.name, intervalDays: i.intervalDays, resourceArn: i.resourceArn }));
    rejected = found.rejected.map((r) => {
      console.warn(`store ${r.resourceArn} is not drilled: ${r.reason}`);
      return r.resourceArn;
    });
  } else {
    targets = JSON.parse(process.env.DRILL_TARGETS ?? '[]');
  }
  const now = Date.now();
  const ages: { [target: string]: number | null } = {};
  const states: { [target: string]: SuccessState } = {};
  const plan = process.env.RESTORE_TESTING_PLAN_ARN || undefined;
  const last = await lastVerifiedSuccesses(bucket, targets, restoreRoleArn, now, { restoreTestingPlanArn: plan });
  for (const { name } of targets) {
    states[name] = last[name].state;
    ages[name] = last[name].at === undefined ? null : (now - last[name].at!) / 86_400_000;
  }
  for (const [target, days] of Object.entries(ages)) {
    if (days === null) continue;
    console.log(JSON.stringify(emf(target, Math.round(days * 100) / 100, now)));
  }
  // UNVERIFIED_IS_STALE: a restore testing plan that runs daily or weekly has a real success of each
  // store within AWS Backup's job records; one whose record is gone (unverified) is forged or too old.
  const unverifiedIsStale = process.env.UNVERIFIED_IS_STALE === 'true';
  const stale = [...targets.filter((t) => ages[t.name] === null || ages[t.name]! > t.intervalDays || (unverifiedIsStale && states[t.name] === 'unverified')).map((t) => t.name), ...rejected];
  if (stale.length > 0) console.warn(`stale restore drill targets of ${drill}: ${stale.join(', ')}`);
  const unverified = targets.filter((t) => states[t.name] === 'unverified').map((t) => t.name);
  console.log(JSON.stringify(staleEmf(drill, stale.length, now, unverified.length)));
  return { ages, stale, states, unverified };
}

/** The drill-wide counts of stale and of unverified targets, as one Embedded Metric Format record. */
export function staleEmf(drill: string, count: number, timestamp: number, unverified = 0) {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Drill']], Metrics: [{ Name: 'StaleTargets', Unit: 'Count' }, { Name: 'UnverifiedTargets', Unit: 'Count' }] }],
    },
    Drill: drill,
    StaleTargets: count,
    UnverifiedTargets: unverified,
  };
}

/** One Embedded Metric Format record: CloudWatch Logs turns it into a metric data point. */
export function emf(target: string, days: number, timestamp: number) {
  return {
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Target']], Metrics: [{ Name: 'DaysSinceLastSuccessfulDrill', Unit: 'None' }] }] },
    Target: target,
    DaysSinceLastSuccessfulDrill: days,
  };
}

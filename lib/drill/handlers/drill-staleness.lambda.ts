/**
 * Runs daily: publishes DaysSinceLastSuccessfulDrill per target from the `latest-success/<target>.json`
 * records the evidence handler writes, and StaleTargets for the whole drill (dimension `Drill`):
 * the targets never drilled successfully or not within their interval, which the drill's one
 * staleness alarm watches. Metrics are written in CloudWatch
 * Embedded Metric Format (a log line), so the function needs no PutMetricData permission.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { METRIC_NAMESPACE } from '../../core/constants';
import { DISCOVERY_ENV } from '../target-item';
import { configFromEnv, discover } from './discovery';

const s3 = new S3Client({});

interface StalenessTarget {
  readonly name: string;
  readonly intervalDays: number;
}

export async function handler(): Promise<{ ages: { [target: string]: number | null }; stale: string[] }> {
  const bucket = process.env.EVIDENCE_BUCKET;
  const drill = process.env.DRILL_ID ?? 'unknown';
  if (!bucket) throw new Error('EVIDENCE_BUCKET must be set');
  // A discovering drill (DRILL_DISCOVERY) finds every target as its discover function does; a
  // store whose drill tags are wrong is never drilled, so it counts stale (named by its ARN).
  let targets: StalenessTarget[];
  let rejected: string[] = [];
  if (process.env[DISCOVERY_ENV]) {
    const found = await discover(configFromEnv());
    targets = found.items.map((i) => ({ name: i.name, intervalDays: i.intervalDays }));
    rejected = found.rejected.map((r) => {
      console.warn(`store ${r.resourceArn} is not drilled: ${r.reason}`);
      return r.resourceArn;
    });
  } else {
    targets = JSON.parse(process.env.DRILL_TARGETS ?? '[]');
  }
  const now = Date.now();
  const ages: { [target: string]: number | null } = {};
  for (const { name } of targets) {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `latest-success/${name}.json` }));
      ages[name] = head.LastModified ? (now - head.LastModified.getTime()) / 86_400_000 : null;
    } catch (e) {
      if ((e as { name?: string }).name !== 'NotFound' && (e as { name?: string }).name !== 'NoSuchKey') throw e;
      ages[name] = null;
    }
  }
  for (const [target, days] of Object.entries(ages)) {
    if (days === null) continue;
    console.log(JSON.stringify(emf(target, Math.round(days * 100) / 100, now)));
  }
  const stale = [...targets.filter((t) => ages[t.name] === null || ages[t.name]! > t.intervalDays).map((t) => t.name), ...rejected];
  if (stale.length > 0) console.warn(`stale restore drill targets of ${drill}: ${stale.join(', ')}`);
  console.log(JSON.stringify(staleEmf(drill, stale.length, now)));
  return { ages, stale };
}

/** The drill-wide count of stale targets, as one Embedded Metric Format record. */
export function staleEmf(drill: string, count: number, timestamp: number) {
  return {
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Drill']], Metrics: [{ Name: 'StaleTargets', Unit: 'Count' }] }] },
    Drill: drill,
    StaleTargets: count,
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

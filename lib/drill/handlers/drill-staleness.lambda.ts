/**
 * Runs daily: publishes DaysSinceLastSuccessfulDrill per target from the `latest-success/<target>.json`
 * records the evidence handler writes. A target never drilled successfully publishes nothing,
 * which its alarm treats as breaching (no proof it restores). Metrics are written in CloudWatch
 * Embedded Metric Format (a log line), so the function needs no PutMetricData permission.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { METRIC_NAMESPACE } from '../../core/constants';

const s3 = new S3Client({});

export async function handler(): Promise<{ [target: string]: number | null }> {
  const bucket = process.env.EVIDENCE_BUCKET;
  const targets: string[] = JSON.parse(process.env.DRILL_TARGETS ?? '[]');
  if (!bucket) throw new Error('EVIDENCE_BUCKET must be set');
  const now = Date.now();
  const ages: { [target: string]: number | null } = {};
  for (const target of targets) {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `latest-success/${target}.json` }));
      ages[target] = head.LastModified ? (now - head.LastModified.getTime()) / 86_400_000 : null;
    } catch (e) {
      if ((e as { name?: string }).name !== 'NotFound' && (e as { name?: string }).name !== 'NoSuchKey') throw e;
      ages[target] = null;
    }
  }
  for (const [target, days] of Object.entries(ages)) {
    if (days === null) continue;
    console.log(JSON.stringify(emf(target, Math.round(days * 100) / 100, now)));
  }
  return ages;
}

/** One Embedded Metric Format record: CloudWatch Logs turns it into a metric data point. */
export function emf(target: string, days: number, timestamp: number) {
  return {
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Target']], Metrics: [{ Name: 'DaysSinceLastSuccessfulDrill', Unit: 'None' }] }] },
    Target: target,
    DaysSinceLastSuccessfulDrill: days,
  };
}

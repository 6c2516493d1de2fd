/**
 * First state of a discovering restore drill's daily execution: finds the stores tagged with a
 * drilled classification level (lib/drill/handlers/discovery.ts), reads when each last drilled
 * successfully, and returns `{ targets }` for the Map: the due ones, most overdue first, at most
 * `maxTargets`. Stores whose drill tags are wrong are logged and listed in `summary.rejected`
 * (the daily staleness check counts them stale).
 */
import { selectDue } from '../target-item';
import { configFromEnv, discover, lastSuccesses } from './discovery';

/** At most this many rejected or skipped stores are listed in the result (the log has them all). */
const LISTED = 20;

export async function handler(): Promise<{ targets: unknown[]; summary: { [key: string]: unknown } }> {
  const bucket = process.env.EVIDENCE_BUCKET;
  if (!bucket) throw new Error('EVIDENCE_BUCKET must be set');
  const config = configFromEnv();
  const found = await discover(config);
  for (const r of found.rejected) console.warn(`restore drill ${config.drill}: store ${r.resourceArn} is not drilled: ${r.reason}`);
  const last = await lastSuccesses(bucket, found.items.map((i) => i.name));
  const due = selectDue(found.items, last, Date.now(), Number.POSITIVE_INFINITY);
  const targets = due.slice(0, config.maxTargets);
  console.log(JSON.stringify({ drill: config.drill, discovered: found.items.length, due: due.length, selected: targets.map((t) => t.name), skipped: found.skipped.length, rejected: found.rejected.length }));
  return {
    targets,
    summary: {
      discovered: found.items.length,
      due: due.length,
      selected: targets.length,
      rejected: found.rejected.slice(0, LISTED),
      rejectedCount: found.rejected.length,
      skippedCount: found.skipped.length,
    },
  };
}

/**
 * First state of a discovering restore drill's daily execution: finds the stores tagged with a
 * drilled classification level (lib/drill/handlers/discovery.ts), reads when each last drilled
 * successfully (as AWS Backup's restore job record confirms it, ./verified-success.ts), and returns
 * `{ targets }` for the Map: the due ones, most overdue first, at most
 * `maxTargets`. Stores whose drill tags are wrong are logged and listed in `summary.rejected`
 * (the daily staleness check counts them stale).
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { selectDue, TargetItem } from '../target-item';
import { configFromEnv, discover, lastSuccesses } from './discovery';
import { restoreRoleFromEnv } from './verified-success';

const dynamodb = new DynamoDBClient({});

/**
 * A DynamoDB target whose tags and level name no restore key is restored with its source table's
 * own key. Without one, AWS Backup encrypts the restored table with a DynamoDB-owned key (AWS
 * Backup Developer Guide, "Restore a DynamoDB table",
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-dynamodb.html: "(Default)
 * DynamoDB-owned KMS key"): weaker than its source. Each table's key is read from DescribeTable
 * (`SSEDescription.KMSMasterKeyArn`), so data stacks need not tag it.
 */
export async function withSourceKeys(targets: TargetItem[], client: Pick<DynamoDBClient, 'send'> = dynamodb): Promise<TargetItem[]> {
  const out: TargetItem[] = [];
  for (const t of targets) {
    const metadata = t.restoreMetadata;
    if (t.resourceType !== 'DynamoDB' || metadata.kmsMasterKeyArn || !t.resourceArn) {
      out.push(t);
      continue;
    }
    let table: any;
    try {
      table = await client.send(new DescribeTableCommand({ TableName: t.resourceArn }));
    } catch (e) {
      // Never restored with a weaker key, and one table (deleted since, or not readable) does not
      // stop the others: it is left out today; the staleness check counts it until it is drilled.
      console.warn(`restore drill: ${t.name} (${t.resourceArn}) left out today: its key could not be read (${(e as Error).name}: ${(e as Error).message})`);
      continue;
    }
    const sse = table.Table?.SSEDescription;
    const key = sse?.SSEType === 'KMS' ? sse.KMSMasterKeyArn : undefined;
    out.push(key ? { ...t, restoreMetadata: { ...metadata, encryptionType: 'KMS', kmsMasterKeyArn: key } } : t);
  }
  return out;
}

/** At most this many rejected or skipped stores are listed in the result (the log has them all). */
const LISTED = 20;

export async function handler(): Promise<{ targets: unknown[]; summary: { [key: string]: unknown } }> {
  const bucket = process.env.EVIDENCE_BUCKET;
  if (!bucket) throw new Error('EVIDENCE_BUCKET must be set');
  const config = configFromEnv();
  const found = await discover(config);
  for (const r of found.rejected) console.warn(`restore drill ${config.drill}: store ${r.resourceArn} is not drilled: ${r.reason}`);
  // Due by the last success AWS Backup confirms: a forged evidence file does not make a store look drilled.
  const now = Date.now();
  const last = await lastSuccesses(bucket, found.items, restoreRoleFromEnv(), now);
  const due = selectDue(found.items, last, now, Number.POSITIVE_INFINITY);
  // Copies are restored with the copy level's keys: their source tables are in other accounts.
  const targets = config.copyVaults ? due.slice(0, config.maxTargets) : await withSourceKeys(due.slice(0, config.maxTargets));
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

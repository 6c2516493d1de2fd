/**
 * Canary writer of a restore drill, run on a schedule (daily): for each drilled S3 bucket and
 * DynamoDB table, first records a new canary (random content, its SHA-256) as an Object Lock
 * object in the evidence bucket (`canaries/<target>/<id>.json`, never rewritten: COMPLIANCE
 * retention), then writes the canary into the store: the object `data-protection-canary/current`
 * of a bucket, the item with the reserved partition-key value `data-protection-canary` of a table
 * (string partition keys only; other tables are reported 'not applicable'). The next backup holds
 * it; the drill's validator checks that the restored copy's canary has the recorded hash, so a
 * restore of data encrypted by ransomware after the canary was written fails.
 * Targets: `CANARY_TARGETS` (static) or, with discovery, the stores found by their tags.
 * Returns `{ written, notApplicable, failed }`; throws when any write failed (Lambda's Errors
 * metric, watched by the drill's canary alarm).
 */
import { randomBytes } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CANARY_ID_ATTRIBUTE,
  CANARY_ID_METADATA,
  CANARY_OBJECT_KEY,
  CANARY_PARTITION_KEY,
  CANARY_PAYLOAD_ATTRIBUTE,
  CanaryRecord,
  canaryId,
  canaryRecordKey,
  canarySortKeyValue,
  sha256Hex,
} from '../canary';
import { DISCOVERY_ENV } from '../target-item';
import { configFromEnv, discover } from './discovery';

const s3 = new S3Client({});
const ddb = new DynamoDBClient({});

export interface CanaryTarget {
  readonly name: string;
  readonly resourceType: string;
  readonly resourceArn?: string;
  readonly validation?: { [key: string]: string };
}

const bucketOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
const errorText = (e: unknown) => `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`;

/** The stores that get a canary: S3 and DynamoDB targets with a source ARN, unless `validation.canary` is 'false'. */
export function canaryTargets(all: CanaryTarget[]): { targets: CanaryTarget[]; skipped: { target: string; reason: string }[] } {
  const targets: CanaryTarget[] = [];
  const skipped: { target: string; reason: string }[] = [];
  for (const t of all) {
    if (t.resourceType !== 'S3' && t.resourceType !== 'DynamoDB') continue;
    if (t.validation?.canary === 'false') skipped.push({ target: t.name, reason: 'validation.canary is false' });
    else if (!t.resourceArn) skipped.push({ target: t.name, reason: 'the target has no resourceArn' });
    else targets.push(t);
  }
  return { targets, skipped };
}

/** Where the canary goes in a table: its key, or why the table takes none. */
async function tableKey(table: string): Promise<{ key?: { [name: string]: { [type: string]: string } }; notApplicable?: string }> {
  const t = (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table;
  const typeOf = (name: string) => t?.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
  const hash = t?.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = t?.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  if (!hash) throw new Error(`DescribeTable of ${table} returned no partition key`);
  if (typeOf(hash) !== 'S') return { notApplicable: `partition key '${hash}' is of type ${typeOf(hash)}: the canary item's reserved value '${CANARY_PARTITION_KEY}' needs a string partition key` };
  const key: { [name: string]: { [type: string]: string } } = { [hash]: { S: CANARY_PARTITION_KEY } };
  if (range) {
    const v = canarySortKeyValue(typeOf(range) ?? '');
    if (!v) return { notApplicable: `sort key '${range}' has unknown type ${typeOf(range)}` };
    key[range] = v;
  }
  return { key };
}

export async function handler(): Promise<{ written: CanaryRecord[]; notApplicable: { target: string; reason: string }[]; failed: { target: string; error: string }[] }> {
  const bucket = process.env.EVIDENCE_BUCKET;
  const keyArn = process.env.EVIDENCE_KEY_ARN;
  if (!bucket || !keyArn) throw new Error('EVIDENCE_BUCKET and EVIDENCE_KEY_ARN must be set');
  const all: CanaryTarget[] = process.env[DISCOVERY_ENV] ? (await discover(configFromEnv())).items : JSON.parse(process.env.CANARY_TARGETS ?? '[]');
  const { targets, skipped } = canaryTargets(all);
  const written: CanaryRecord[] = [];
  const notApplicable = [...skipped];
  const failed: { target: string; error: string }[] = [];
  for (const t of targets) {
    try {
      const arn = t.resourceArn!;
      const key = t.resourceType === 'DynamoDB' ? await tableKey(arn) : undefined;
      if (key?.notApplicable) {
        notApplicable.push({ target: t.name, reason: key.notApplicable });
        continue;
      }
      const now = Date.now();
      const id = canaryId(now, randomBytes(4).toString('hex'));
      const content = JSON.stringify({ canary: 'cdk-data-protection restore drill', target: t.name, id, writtenAt: new Date(now).toISOString(), nonce: randomBytes(32).toString('hex') });
      const record: CanaryRecord = { target: t.name, id, resourceArn: arn, resourceType: t.resourceType, sha256: sha256Hex(content), writtenAt: new Date(now).toISOString() };
      // The record first: a canary in the store always has one. Object Lock retains it.
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: canaryRecordKey(t.name, id),
          Body: JSON.stringify(record, null, 2),
          ContentType: 'application/json',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: keyArn,
          ChecksumAlgorithm: 'SHA256',
          // Never replaces a record (a conditional write: 412 if the key exists).
          IfNoneMatch: '*',
        }),
      );
      if (t.resourceType === 'S3') {
        // Encrypted as the bucket's default encryption says (the writer's KMS use is held to S3 by kms:ViaService).
        await s3.send(new PutObjectCommand({ Bucket: bucketOf(arn), Key: CANARY_OBJECT_KEY, Body: content, ContentType: 'application/json', Metadata: { [CANARY_ID_METADATA]: id }, ChecksumAlgorithm: 'SHA256' }));
      } else {
        await ddb.send(new PutItemCommand({ TableName: arn, Item: { ...key!.key!, [CANARY_PAYLOAD_ATTRIBUTE]: { S: content }, [CANARY_ID_ATTRIBUTE]: { S: id } } }));
      }
      written.push(record);
    } catch (e) {
      failed.push({ target: t.name, error: errorText(e) });
    }
  }
  console.log(JSON.stringify({ written: written.map((w) => `${w.target}:${w.id}`), notApplicable, failed }));
  if (failed.length) throw new Error(`canary NOT written for ${failed.map((f) => `${f.target} (${f.error})`).join('; ')}`.slice(0, 2000));
  return { written, notApplicable, failed };
}

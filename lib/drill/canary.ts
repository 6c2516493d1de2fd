/**
 * Canary records of restore drills, without aws-cdk-lib: what the canary writer (drill-canary)
 * writes into a drilled store and records in the evidence bucket, and the pure decision of the
 * validator (drill-validator) on the canary it finds in the restored copy. Synth code
 * (RestoreDrill: IAM resources and conditions) and the bundled handlers import this one module.
 */
import { createHash } from 'node:crypto';

/** Key prefix of the canary objects in a drilled S3 bucket (the writer may write only under it). */
export const CANARY_KEY_PREFIX = 'data-protection-canary/';
/** The canary object of a bucket: overwritten with new random content at each run of the writer. */
export const CANARY_OBJECT_KEY = `${CANARY_KEY_PREFIX}current`;
/** Object metadata (`x-amz-meta-canary-id`) naming the canary's record. */
export const CANARY_ID_METADATA = 'canary-id';
/** Reserved partition-key value of the canary item of a DynamoDB table (`dynamodb:LeadingKeys`). */
export const CANARY_PARTITION_KEY = 'data-protection-canary';
/** Attribute of the canary item holding its content (the hashed payload). */
export const CANARY_PAYLOAD_ATTRIBUTE = 'dataProtectionCanary';
/** Attribute of the canary item naming its record. */
export const CANARY_ID_ATTRIBUTE = 'dataProtectionCanaryId';
/** Prefix of the canary records in the evidence bucket: `canaries/<target>/<id>.json`. */
export const CANARY_RECORD_PREFIX = 'canaries/';

/** Evidence-bucket key of a canary record. Ids sort by time, so the first key listed is the oldest. */
export const canaryRecordKey = (target: string, id: string) => `${CANARY_RECORD_PREFIX}${target}/${id}.json`;

/** A canary id: the UTC time it was written (sortable) and random hex. */
export function canaryId(now: number, random: string): string {
  return `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${random}`;
}

/** Epoch milliseconds of an SDK or Step Functions date: ISO string, epoch seconds or milliseconds. */
export function millisOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value instanceof Date) return value.getTime();
  const n = Number(value);
  if (Number.isFinite(n)) return n < 1e12 ? Math.round(n * 1000) : n;
  const t = Date.parse(String(value));
  return Number.isNaN(t) ? undefined : t;
}

/** SHA-256 of the canary's content, hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Value of the canary item's sort key, by the sort key's DynamoDB type (S, N or B). */
export function canarySortKeyValue(type: string): { [type: string]: string } | undefined {
  switch (type) {
    case 'S':
      return { S: CANARY_PARTITION_KEY };
    case 'N':
      return { N: '0' };
    case 'B':
      return { B: Buffer.from(CANARY_PARTITION_KEY).toString('base64') };
    default:
      return undefined;
  }
}

/** What the writer records, where the data account cannot rewrite it (an Object Lock object, COMPLIANCE). */
export interface CanaryRecord {
  readonly target: string;
  readonly id: string;
  readonly resourceArn: string;
  readonly resourceType: string;
  readonly sha256: string;
  readonly writtenAt: string;
}

/** The canary found in a restored copy. */
export interface RestoredCanary {
  /** Its id (object metadata or item attribute; the JSON content otherwise), when one could be read. */
  readonly id?: string;
  /** SHA-256 of its content. */
  readonly sha256: string;
}

export interface CanaryCheck {
  name: 'canary';
  passed: boolean;
  detail: string;
}

/**
 * The validator's verdict on a restored copy's canary (pure). It fails when the canary is missing
 * although canaries were recorded before the recovery point was created, when it names no record,
 * when its content hash differs from the recorded one (ransomware encrypted or replaced it), or
 * when its record was written after the recovery point was created (it cannot vouch for it).
 */
export function canaryVerdict(input: {
  target: string;
  restored?: RestoredCanary;
  /** The record the restored canary names (undefined: none found). */
  record?: CanaryRecord & { recordedAt?: number };
  /** When the first canary of the target was recorded (undefined: never). */
  firstRecordedAt?: number;
  /** When the restored recovery point was created (undefined: unknown). */
  recoveryPointCreatedAt?: number;
}): CanaryCheck {
  const iso = (ms: number | undefined) => (ms === undefined ? 'unknown' : new Date(ms).toISOString());
  const verdict = (passed: boolean, detail: string): CanaryCheck => ({ name: 'canary', passed, detail });
  const { restored, record, firstRecordedAt, recoveryPointCreatedAt } = input;
  if (!restored) {
    if (firstRecordedAt === undefined) return verdict(true, `not checked yet: no canary of ${input.target} was ever recorded (the canary writer has not run for it)`);
    if (recoveryPointCreatedAt !== undefined && recoveryPointCreatedAt < firstRecordedAt) {
      return verdict(true, `not checked: the recovery point (created ${iso(recoveryPointCreatedAt)}) predates the first canary of ${input.target} (${iso(firstRecordedAt)})`);
    }
    return verdict(false, `the restored copy has NO canary although canaries of ${input.target} were recorded since ${iso(firstRecordedAt)}, before the recovery point was created (${iso(recoveryPointCreatedAt)}): the backed-up data lost it (deleted, encrypted or replaced)`);
  }
  if (!restored.id) return verdict(false, `the restored canary names no record (its content is not the canary written: sha256 ${restored.sha256}): the backed-up data was changed after the canary was written, e.g. encrypted`);
  if (!record) return verdict(false, `the restored canary names record ${restored.id}, which the canary writer never recorded: it was not written by the drill`);
  if (record.sha256 !== restored.sha256) {
    return verdict(false, `the restored canary ${restored.id} has content hash ${restored.sha256}, not the ${record.sha256} recorded when it was written (${record.writtenAt}): the backed-up data was changed after the canary was written, e.g. encrypted by ransomware`);
  }
  if (record.recordedAt !== undefined && recoveryPointCreatedAt !== undefined && record.recordedAt > recoveryPointCreatedAt) {
    return verdict(false, `the record of canary ${restored.id} was written ${iso(record.recordedAt)}, after the recovery point was created (${iso(recoveryPointCreatedAt)}): it cannot vouch for it`);
  }
  return verdict(true, `canary ${restored.id} restored intact: content hash ${restored.sha256} matches the hash recorded when it was written (${record.writtenAt})`);
}

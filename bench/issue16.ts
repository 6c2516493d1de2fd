/**
 * The app shape of GitHub issue 16 (item 2) and the child process that times it.
 *
 * N data stores: S3 buckets and `TableV2` alternating, CONFIDENTIAL and HIGHLY_SENSITIVE
 * alternating within each kind, literal names without a classification prefix (`store-<i>`).
 * - plain: the same L2s with S3-managed encryption and no keys (tables: AWS-owned key), in plain
 *   `Stack`s of `perStack`;
 * - library: `DataAccountStack`s of `perStack` (keys from `keyFor` / `dynamoDbKeyFor`, `classify`,
 *   `protect`) plus the `KeyAccountStack`, `BackupAccountStack` and `AuditAccountStack`, accounts
 *   from the cdk.json context;
 * - library+packs: the library app with the five nag packs (`DataProtection.addPacks`).
 *
 * Child process commands (run by bench/issue16-section.ts, which reads the last stdout line as JSON):
 * - `tsx bench/issue16.ts time <n> <perStack> <side,side,...> <repeat>`: every side in this one
 *   process, after one untimed warm-up synth of each at a small N; sides alternate order run by
 *   run, with a forced GC before each timed run; reports the median ms of each side.
 * - `tsx bench/issue16.ts mem <side> <n> <perStack>`: one synth of one side alone, so the process's
 *   peak resident set (`process.resourceUsage().maxRSS`) is that side's.
 * The bundled CloudFormation validator follows `CDK_VALIDATION` (`false` turns it off), as `cdk synth` does.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AuditAccountStack, BackupAccountStack, DataAccountStack, DataClassification, DataProtection, KeyAccountStack } from '../lib';
import { cliContext } from './scale-apps';

export type Issue16Side = 'plain' | 'library' | 'library+packs';
export const ISSUE16_SIDES: readonly Issue16Side[] = ['plain', 'library', 'library+packs'];

/** The kind of the i-th store: buckets and tables alternate. */
export function issue16KindOf(i: number): 's3' | 'dynamodb' {
  return i % 2 === 0 ? 's3' : 'dynamodb';
}

/** The level of the i-th store: CONFIDENTIAL and HIGHLY_SENSITIVE alternate within each kind. */
export function issue16LevelOf(i: number): DataClassification {
  return Math.floor(i / 2) % 2 === 0 ? DataClassification.CONFIDENTIAL : DataClassification.HIGHLY_SENSITIVE;
}

/** A literal name without a classification prefix. */
export function issue16NameOf(i: number): string {
  return `store-${i}`;
}

export function addStore(scope: Construct, i: number, key?: { s3: kms.IKey; dynamodb: kms.IKey }): Construct {
  if (issue16KindOf(i) === 's3') {
    return new s3.Bucket(scope, `Bucket${i}`, {
      bucketName: issue16NameOf(i),
      encryption: key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: key?.s3,
      bucketKeyEnabled: key ? true : undefined,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
  return new dynamodb.TableV2(scope, `Table${i}`, {
    tableName: issue16NameOf(i),
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    encryption: key ? dynamodb.TableEncryptionV2.customerManagedKey(key.dynamodb) : undefined,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** Builds the issue-16 app of `side` into `app` (unsynthesized). */
export function buildIssue16App(side: Issue16Side, n: number, perStack: number, app: App): App {
  const accounts = DataProtection.accountsFromContext(app);
  const env = (account: string) => ({ account, region: accounts.primaryRegion });
  if (side === 'plain') {
    for (let start = 0, s = 0; start < n; start += perStack, s++) {
      const stack = new Stack(app, `Plain${s}`, { env: env(accounts.dataAccounts[0]) });
      for (let i = start; i < Math.min(start + perStack, n); i++) addStore(stack, i);
    }
    return app;
  }
  if (side === 'library+packs') DataProtection.addPacks(app);
  const keys = new KeyAccountStack(app, 'KeyAccount', { env: env(accounts.keyAccount), accounts });
  const backup = new BackupAccountStack(app, 'BackupAccount', { env: env(accounts.backupAccount), accounts });
  backup.addStackDependency(keys, 'the central vault uses the key-account backup key');
  const audit = new AuditAccountStack(app, 'AuditAccount', { env: env(accounts.auditAccount), accounts, alarmEmails: ['security@example.com'] });
  audit.addStackDependency(keys, 'the archive uses the key-account audit key');
  for (let start = 0, s = 0; start < n; start += perStack, s++) {
    const stack = new DataAccountStack(app, `Data${s}`, { env: env(accounts.dataAccounts[0]), accounts });
    stack.addStackDependency(keys, 'data keys are resolved from the key account');
    stack.addStackDependency(backup, 'copy jobs need the central vault');
    stack.addStackDependency(audit, 'CloudTrail checks the archive bucket policy');
    for (let i = start; i < Math.min(start + perStack, n); i++) {
      const level = issue16LevelOf(i);
      DataProtection.classify(addStore(stack, i, { s3: stack.keyFor(level), dynamodb: stack.dynamoDbKeyFor(level) }), level);
    }
    stack.protect();
  }
  return app;
}

/** One synthesis of one side: construction + `app.synth()` timed; template counts taken afterwards. */
export interface Issue16Synth {
  side: Issue16Side;
  ms: number;
  stacks: number;
  resources: number;
  bytes: number;
  /** The packs' findings failed synthesis (after every rule ran): expected for library+packs. */
  failed?: string;
}

export function synthIssue16(side: Issue16Side, n: number, perStack: number, count = true): Issue16Synth {
  const outdir = mkdtempSync(join(tmpdir(), 'dp-bench16-'));
  try {
    const started = process.hrtime.bigint();
    const app = new App({ outdir, context: cliContext() });
    buildIssue16App(side, n, perStack, app);
    let assembly;
    let failed: string | undefined;
    try {
      assembly = app.synth();
    } catch (e) {
      // With the packs, unacknowledged findings fail synthesis once every rule has run.
      if (side !== 'library+packs') throw e;
      failed = String((e as Error).message).split('\n').slice(0, 2).join(' | ').slice(0, 300);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    let resources = 0;
    let bytes = 0;
    const stacks = assembly?.stacks ?? [];
    if (count) {
      for (const stack of stacks) {
        const file = join(outdir, stack.templateFile);
        bytes += statSync(file).size;
        resources += Object.keys(JSON.parse(readFileSync(file, 'utf8')).Resources ?? {}).length;
      }
    }
    return { side, ms, stacks: stacks.length, resources, bytes, failed };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function parseSide(s: string): Issue16Side {
  if (!(ISSUE16_SIDES as readonly string[]).includes(s)) throw new Error(`side must be one of ${ISSUE16_SIDES.join(', ')}, got '${s}'`);
  return s as Issue16Side;
}

function parseCount(name: string, s: string | undefined): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number, at least 1, got '${s}'`);
  return v;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

if (require.main === module) {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'time') {
    const n = parseCount('n', args[0]);
    const perStack = parseCount('perStack', args[1]);
    const sides = (args[2] ?? 'plain,library').split(',').map(parseSide);
    const repeat = parseCount('repeat', args[3] ?? '3');
    // Warm-up: loads every module and JIT-compiles both sides' code paths, so neither side pays it.
    for (const side of sides) synthIssue16(side, Math.min(n, 4), Math.min(perStack, 2), false);
    const runs = new Map<Issue16Side, Issue16Synth[]>(sides.map((s) => [s, []]));
    for (let r = 0; r < repeat; r++) {
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        gc();
        // Count the templates on the last run only (outside the timed part either way).
        runs.get(side)!.push(synthIssue16(side, n, perStack, r === repeat - 1));
        process.stderr.write(`  ${side} N=${n} (${perStack}/stack) run ${r + 1}/${repeat}: ${runs.get(side)!.at(-1)!.ms.toFixed(0)} ms\n`);
      }
    }
    const result: Record<string, Issue16Synth & { runs: number[] }> = {};
    for (const [side, list] of runs) {
      const sorted = list.map((x) => x.ms).sort((a, b) => a - b);
      result[side] = { ...list[list.length - 1], ms: sorted[Math.floor(sorted.length / 2)], runs: list.map((x) => Math.round(x.ms)) };
    }
    process.stdout.write(JSON.stringify({ n, perStack, validator: process.env.CDK_VALIDATION !== 'false', sides: result }) + '\n');
  } else if (command === 'mem') {
    const side = parseSide(args[0]);
    const n = parseCount('n', args[1]);
    const perStack = parseCount('perStack', args[2]);
    const s = synthIssue16(side, n, perStack, false);
    process.stdout.write(JSON.stringify({ side, n, perStack, ms: s.ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
  } else {
    throw new Error(`usage: tsx bench/issue16.ts time <n> <perStack> <side,side> <repeat> | mem <side> <n> <perStack>; got '${command}'`);
  }
}

/**
 * The "Issue 16 shape" section of bench/RESULTS.md (GitHub issue 16, items 2 and 6): the app shape
 * of bench/issue16.ts, plain and library timed in one process, the bundled CloudFormation
 * validator off and on reported separately, each side's peak memory in a process of its own, and
 * the added cost of the five nag packs. Loads no aws-cdk-lib itself: every synth runs in a child.
 *
 * Options (environment):
 * - BENCH_ISSUE16_ROWS: N/perStack pairs, default `100/100,1000/100,5000/100,100/50,1000/50`
 *   (add `5000/50` for 100 data stacks: the slowest row);
 * - BENCH_ISSUE16_VALIDATOR: `off,on` (default) or one of them;
 * - BENCH_ISSUE16_MEMORY: `0` skips the peak-memory processes;
 * - BENCH_ISSUE16_NAG: the N/perStack of the nag row, default `1000/100`; `0` skips it;
 * - BENCH_REPEAT: timed runs per side (median reported), default 3.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export const ISSUE16_HEADING = '## Issue 16 shape';

interface Shape {
  n: number;
  perStack: number;
}

interface SideResult {
  ms: number;
  runs: number[];
  stacks: number;
  resources: number;
  bytes: number;
  failed?: string;
}

interface TimeResult {
  sides: Record<string, SideResult>;
}

export interface Issue16Options {
  rows: Shape[];
  validators: Array<'off' | 'on'>;
  repeat: number;
  memory: boolean;
  nag?: Shape;
}

function parseShape(s: string, name: string): Shape {
  const [n, perStack] = s.split('/').map(Number);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(perStack) || perStack < 1) {
    throw new Error(`${name} must list N/perStack pairs of whole numbers, at least 1 (e.g. 1000/100), got '${s}'`);
  }
  return { n, perStack };
}

export function issue16OptionsFromEnv(repeat: number): Issue16Options {
  const rows = (process.env.BENCH_ISSUE16_ROWS ?? '100/100,1000/100,5000/100,100/50,1000/50')
    .split(',')
    .filter(Boolean)
    .map((s) => parseShape(s, 'BENCH_ISSUE16_ROWS'));
  const validators = (process.env.BENCH_ISSUE16_VALIDATOR ?? 'off,on').split(',').filter(Boolean);
  for (const v of validators) if (v !== 'off' && v !== 'on') throw new Error(`BENCH_ISSUE16_VALIDATOR must list 'off' and/or 'on', got '${v}'`);
  const nag = process.env.BENCH_ISSUE16_NAG ?? '1000/100';
  return {
    rows,
    validators: validators as Array<'off' | 'on'>,
    repeat,
    memory: process.env.BENCH_ISSUE16_MEMORY !== '0',
    nag: nag === '0' || nag === '' ? undefined : parseShape(nag, 'BENCH_ISSUE16_NAG'),
  };
}

const root = join(__dirname, '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function child(validator: 'off' | 'on', args: string[]): string {
  const r = spawnSync(tsx, [join(__dirname, 'issue16.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    // The validator's and the packs' reports go to the child's stderr (captured, not echoed).
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDK_VALIDATION: validator === 'off' ? 'false' : 'true', NODE_OPTIONS: '--max-old-space-size=8192 --expose-gc' },
  });
  const progress = (r.stderr ?? '').split('\n').filter((l) => /^ {2}\S+ N=\d+ .* run \d+\/\d+: /.test(l));
  if (progress.length) process.stderr.write(progress.join('\n') + '\n');
  if (r.status !== 0) throw new Error(`bench/issue16.ts ${args.join(' ')} (validator ${validator}) failed with exit ${r.status}: ${(r.stderr ?? '').slice(-3000)}`);
  return r.stdout.trim().split('\n').pop()!;
}

function time(shape: Shape, validator: 'off' | 'on', sides: string[], repeat: number): TimeResult {
  process.stderr.write(`issue16: time ${sides.join(' vs ')} N=${shape.n} (${shape.perStack}/stack), validator ${validator}...\n`);
  return JSON.parse(child(validator, ['time', String(shape.n), String(shape.perStack), sides.join(','), String(repeat)]));
}

function peakRss(shape: Shape, validator: 'off' | 'on', side: string): number {
  process.stderr.write(`issue16: peak memory ${side} N=${shape.n} (${shape.perStack}/stack), validator ${validator}...\n`);
  return JSON.parse(child(validator, ['mem', side, String(shape.n), String(shape.perStack)])).maxRssMb;
}

const fmt = (x: number, d = 0) => x.toFixed(d);

interface Row extends Shape {
  validator: 'off' | 'on';
  plain: SideResult;
  lib: SideResult;
  plainMb?: number;
  libMb?: number;
}

/** Runs the section; returns its Markdown lines, starting with its heading. */
export function issue16Section(opts: Issue16Options): string[] {
  const rows: Row[] = [];
  for (const validator of opts.validators) {
    for (const shape of opts.rows) {
      const t = time(shape, validator, ['plain', 'library'], opts.repeat);
      const row: Row = { ...shape, validator, plain: t.sides.plain, lib: t.sides.library };
      if (opts.memory) {
        row.plainMb = peakRss(shape, validator, 'plain');
        row.libMb = peakRss(shape, validator, 'library');
      }
      rows.push(row);
    }
  }

  // Marginal ms per store: against the next smaller N of the same per-stack size and validator.
  const previous = (r: Row) =>
    rows
      .filter((o) => o.perStack === r.perStack && o.validator === r.validator && o.n < r.n)
      .sort((a, b) => b.n - a.n)[0];
  const marginal = (r: Row) => {
    const p = previous(r);
    return p ? { from: p.n, lib: (r.lib.ms - p.lib.ms) / (r.n - p.n), plain: (r.plain.ms - p.plain.ms) / (r.n - p.n) } : undefined;
  };

  const lines: string[] = [ISSUE16_HEADING, ''];
  lines.push(
    `Measured by \`npm run bench -- --only issue16\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ` +
      `${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
    'The shape of GitHub issue 16, item 2: N data stores, S3 buckets and `TableV2` alternating, CONFIDENTIAL and HIGHLY_SENSITIVE ' +
      'alternating within each kind, literal names without a classification prefix (`store-<i>`). "plain" is the same L2s with ' +
      'S3-managed encryption and no keys in plain `Stack`s; "library" puts them in `DataAccountStack`s (keys from `keyFor` / ' +
      '`dynamoDbKeyFor`, `classify`, `protect`) plus the `KeyAccountStack`, `BackupAccountStack` and `AuditAccountStack`, accounts from ' +
      'cdk.json. Both get the cdk.json context and the CLI defaults (`cliContext`). Time is construction + `app.synth()`; both sides run ' +
      `in the same process (after one untimed warm-up synth of each; order alternating run by run; a forced GC before each run), the median of ${opts.repeat} run${opts.repeat === 1 ? '' : 's'}. ` +
      'The bundled CloudFormation validator is off (`CDK_VALIDATION=false`) or on (the default of `cdk synth`), in separate processes. ' +
      'Marginal ms per store is the added time per added store against the next smaller N of the same per-stack size and validator. ' +
      (opts.memory
        ? 'Peak RSS is `process.resourceUsage().maxRSS` of a separate process that builds and synthesizes only that side once (Node and the loaded modules included).'
        : 'Peak memory not measured (BENCH_ISSUE16_MEMORY=0).'),
    '',
  );
  lines.push('| N | per stack | validator | plain ms | library ms | ratio | marginal ms/store (library / plain) | peak RSS MB (plain / library) | RSS ratio | stacks (plain / library) | resources (plain / library) |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const m = marginal(r);
    const mem = r.plainMb !== undefined && r.libMb !== undefined ? `${fmt(r.plainMb)} / ${fmt(r.libMb)} | ${fmt(r.libMb / r.plainMb, 2)}` : '— | —';
    lines.push(
      `| ${r.n} | ${r.perStack} | ${r.validator} | ${fmt(r.plain.ms)} | ${fmt(r.lib.ms)} | ${fmt(r.lib.ms / r.plain.ms, 2)} | ` +
        `${m ? `${fmt(m.lib, 1)} / ${fmt(m.plain, 1)} (from N=${m.from})` : '—'} | ${mem} | ${r.plain.stacks} / ${r.lib.stacks} | ${r.plain.resources} / ${r.lib.resources} |`,
    );
  }

  lines.push('', '### Against the issue\'s targets', '');
  const targetsAt = lines.length;
  for (const validator of opts.validators) {
    const ofV = rows.filter((r) => r.validator === validator);
    const at1000 = ofV.filter((r) => r.n === 1000);
    if (at1000.length) {
      lines.push(
        `- Validator ${validator}, ratio <= 1.5 at N = 1,000: ` +
          at1000.map((r) => `${r.perStack} per stack **${fmt(r.lib.ms / r.plain.ms, 2)}** (${r.lib.ms / r.plain.ms <= 1.5 ? 'met' : 'not met'})`).join('; ') +
          '.',
      );
    }
    for (const perStack of [...new Set(ofV.map((r) => r.perStack))]) {
      const series = ofV.filter((r) => r.perStack === perStack).sort((a, b) => a.n - b.n);
      const steps = series.map(marginal).filter((m): m is NonNullable<ReturnType<typeof marginal>> => m !== undefined);
      if (steps.length >= 2) {
        const [first, last] = [steps[0], steps[steps.length - 1]];
        const growth = first.lib > 0 ? last.lib / first.lib : NaN;
        lines.push(
          `- Validator ${validator}, ${perStack} per stack, marginal library ms per store from N=${series[0].n} to N=${series[series.length - 1].n}: ` +
            `${steps.map((s) => fmt(s.lib, 1)).join(' → ')} (last / first **${fmt(growth, 2)}**; flat means about 1, within run-to-run noise).`,
        );
      }
      const largest = series[series.length - 1];
      if (largest?.plainMb !== undefined && largest.libMb !== undefined && largest.n >= 1000) {
        lines.push(
          `- Validator ${validator}, ${perStack} per stack, peak memory at N=${largest.n}: library / plain **${fmt(largest.libMb / largest.plainMb, 2)}** ` +
            `(<= 2: ${largest.libMb / largest.plainMb <= 2 ? 'met' : 'not met'}).`,
        );
      }
    }
  }

  if (lines.length === targetsAt) lines.push('- None of these rows is at N = 1,000, and no per-stack size has three N: nothing to compare (see BENCH_ISSUE16_ROWS).');

  if (opts.nag) {
    const nag = opts.nag;
    lines.push('', '### Nag packs (issue 16, item 6)', '');
    lines.push(
      `The library app of the row above at N=${nag.n} (${nag.perStack} per stack) without and with the five packs (\`DataProtection.addPacks\`), ` +
        'in one process as above. The stores are bare L2s with findings of their own (no server access logs), so synthesis with the packs ' +
        'ends with a failed validation report: the time still covers every rule on every resource. Target: <= +50%.',
      '',
    );
    lines.push('| N | per stack | validator | library ms | library + packs ms | added % | target |', '|---|---|---|---|---|---|---|');
    for (const validator of opts.validators) {
      const t = time(nag, validator, ['library', 'library+packs'], opts.repeat);
      const base = t.sides.library.ms;
      const withPacks = t.sides['library+packs'].ms;
      const added = (withPacks / base - 1) * 100;
      lines.push(`| ${nag.n} | ${nag.perStack} | ${validator} | ${fmt(base)} | ${fmt(withPacks)} | ${added >= 0 ? '+' : ''}${fmt(added)}% | ${added <= 50 ? 'met' : 'not met'} |`);
    }
  }
  return lines;
}

/**
 * Replaces the `## heading` section of `markdown` (up to the next `## ` heading) with `section`,
 * or inserts it before `before` (or at the end when that heading is absent).
 */
export function spliceSection(markdown: string, heading: string, section: string[], before?: string): string {
  const lines = markdown.replace(/\n+$/, '').split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  const block = [...section, ''];
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end < 0) end = lines.length;
    lines.splice(start, end - start, ...block);
  } else {
    const at = before ? lines.findIndex((l) => l.trim() === before) : -1;
    if (at >= 0) lines.splice(at, 0, ...block);
    else lines.push('', ...block);
  }
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}

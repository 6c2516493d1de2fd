/**
 * One benchmark case in its own process (so peak memory is its own):
 * `tsx bench/synth-one.ts <mode> <n> [nag] [perStack]`. The app gets the context `cdk synth`
 * gives it (`cliContext`), so templates and times are what a user's synth produces.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildScaleApp, cliContext, Mode, RESOURCES_PER_STACK } from './scale-apps';
import { addAllPacks } from './packs';

const [mode, nArg, nag, perStackArg] = process.argv.slice(2);
const n = Number(nArg);
const perStack = perStackArg ? Number(perStackArg) : RESOURCES_PER_STACK;
const outdir = mkdtempSync(join(tmpdir(), 'dp-bench-'));
const context = cliContext();
const started = process.hrtime.bigint();
const app = new App({ outdir, context });
if (nag === 'nag') addAllPacks(app);
buildScaleApp(mode as Mode, n, app, perStack);
let assembly;
try {
  assembly = app.synth();
} catch (e) {
  // With the packs, the bench apps' own plain resources have findings: synthesis ran in full, then failed.
  if (nag !== 'nag') throw e;
  process.stderr.write(`synth failed (expected with findings): ${String((e as Error).message).split("\n").slice(0, 3).join(" | ").slice(0, 400)}\n`);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;

let bytes = 0;
let resources = 0;
let maxResources = 0;
let maxBytes = 0;
for (const stack of assembly?.stacks ?? []) {
  const file = join(outdir, stack.templateFile);
  const size = statSync(file).size;
  const count = Object.keys(JSON.parse(readFileSync(file, 'utf8')).Resources ?? {}).length;
  bytes += size;
  resources += count;
  maxResources = Math.max(maxResources, count);
  maxBytes = Math.max(maxBytes, size);
}
rmSync(outdir, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({ mode, n, perStack, nag: nag === 'nag', ms, maxRssMb: process.resourceUsage().maxRSS / 1024, stacks: assembly?.stacks.length ?? 0, bytes, resources, maxResources, maxBytes }) + '\n',
);

/** One benchmark case in its own process (so peak memory is its own): `tsx bench/synth-one.ts <mode> <n> [nag]`. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildScaleApp, Mode } from './scale-apps';
import { addAllPacks } from './packs';

const [mode, nArg, nag] = process.argv.slice(2);
const n = Number(nArg);
const outdir = mkdtempSync(join(tmpdir(), 'dp-bench-'));
const started = process.hrtime.bigint();
const app = new App({ outdir });
if (nag === 'nag') addAllPacks(app);
buildScaleApp(mode as Mode, n, app);
let assembly;
try {
  assembly = app.synth();
} catch (e) {
  // With the packs, the bench apps' own plain resources have findings: synthesis ran in full, then failed.
  if (nag !== 'nag') throw e;
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
  JSON.stringify({ mode, n, nag: nag === 'nag', ms, maxRssMb: process.resourceUsage().maxRSS / 1024, stacks: assembly?.stacks.length ?? 0, bytes, resources, maxResources, maxBytes }) + '\n',
);

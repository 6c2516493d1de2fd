// `npm test`: the type-check (`tsc --noEmit`: lib, bin, test, examples, bench, scripts) and the
// jest suite, run side by side rather than one after the other. tsc is single-threaded and takes
// ~15 s (skipped when no input changed since the last clean check); jest keeps both cores of a 2-core machine busy except at its start and end, which tsc
// fills. Before jest, the Lambda handlers are bundled unless their bundles are current (scripts/bundle-handlers.mjs: tests use
// assets/handlers). Arguments go to jest (`npm test -- test/drill -t name`). Fails if either fails;
// tsc's errors are printed when it ends, not interleaved with jest's output.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { bundleHandlers, handlerBundles, libFiles, root } from './bundle-handlers.mjs';

const require = createRequire(import.meta.url);
const run = (script, args, stdio, env = process.env) => spawn(process.execPath, [require.resolve(script), ...args], { stdio, env });

// Piped, tsc would print without colours: keep them where the terminal shows them.
// Incremental: a repeated run re-checks only what changed (the build info lives in node_modules/.cache,
// outside git); a fresh clone checks everything, as before.
const tscArgs = ['--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/cdk-data-protection/tsc-test.tsbuildinfo'];
// A run whose inputs are those of the last clean check (same files, sizes and times) skips it: tsc
// re-parses every declaration file even when incremental (~11 s of CPU beside jest's).
const stampFile = join(root, 'node_modules/.cache/cdk-data-protection/tsc-test.ok');
const fingerprint = typeCheckInputs();
const unchanged = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === fingerprint;
if (unchanged) console.log('type-check skipped: no TypeScript input changed since the last clean check');
const tsc = unchanged ? undefined : run('typescript/bin/tsc', [...tscArgs, ...(process.stdout.isTTY ? ['--pretty'] : [])], ['ignore', 'pipe', 'pipe']);
const tscOutput = [];
tsc?.stdout.on('data', (d) => tscOutput.push(d));
tsc?.stderr.on('data', (d) => tscOutput.push(d));
const tscDone = tsc ? new Promise((resolve) => tsc.on('close', (code) => resolve(code ?? 1))) : Promise.resolve(0);

try {
  if (bundlesAreCurrent()) console.log('handler bundles are newer than every file of lib/ and the lockfile: not bundled again');
  else await bundleHandlers();
} catch (e) {
  tsc?.kill();
  console.error(e);
  process.exit(1);
}

// Synthesizing CDK apps allocates many short-lived objects: 64 MB semi-spaces for the young
// generation (V8 sizes them from the heap limit, 16 MB at most on 64-bit) save about 5% of the
// jest workers' time (they inherit NODE_OPTIONS).
const jestEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim() };
const jest = run('jest/bin/jest', process.argv.slice(2), 'inherit', jestEnv);
const jestCode = await new Promise((resolve) => jest.on('close', (code) => resolve(code ?? 1)));

const tscCode = await tscDone;
if (tsc && tscCode === 0) {
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, fingerprint);
}
if (tscCode !== 0) {
  process.stderr.write(Buffer.concat(tscOutput));
  console.error(`\ntsc --noEmit failed (exit code ${tscCode}): the type errors are above.`);
}
process.exit(jestCode !== 0 ? jestCode : tscCode);

/**
 * Whether assets/handlers holds a bundle for every handler of lib/ and each is newer than every
 * file of lib/ and package-lock.json (a handler imports lib modules and dependencies; any change
 * there rebundles them all). Saves the bundling of an unchanged tree on repeated runs.
 */
function bundlesAreCurrent() {
  const sources = libFiles();
  const bundles = handlerBundles(sources).map((b) => b.outfile);
  if (!bundles.every((b) => existsSync(b))) return false;
  const newestSource = Math.max(...[...sources, join(root, 'package-lock.json')].map((f) => statSync(f).mtimeMs));
  return Math.min(...bundles.map((b) => statSync(b).mtimeMs)) > newestSource;
}

/**
 * Every input of the type-check as path, size and modification time (the tsconfig's include
 * directories, the tsconfigs, the lockfile for the dependencies' types), hashed.
 */
function typeCheckInputs() {
  // The tsconfig's excludes: node_modules and cdk.out at any depth, the others from the root only.
  const anyDepth = new Set(['node_modules', 'cdk.out']);
  const fromRoot = new Set(['build', 'dist', 'scripts/consumer']);
  const entries = [];
  const add = (file) => {
    const st = statSync(file);
    entries.push(`${relative(root, file)}:${st.size}:${st.mtimeMs}`);
  };
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (anyDepth.has(name) || fromRoot.has(relative(root, full))) continue;
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|json)$/.test(name)) add(full);
    }
  };
  for (const dir of ['lib', 'bin', 'test', 'examples', 'bench', 'scripts']) walk(join(root, dir));
  // Root JSON (tsconfig, cdk.json imported by tests, the lockfile) and npm's record of what is installed
  // (rewritten by every install: types that changed under node_modules re-run the check).
  for (const name of readdirSync(root)) if (name.endsWith('.json')) add(join(root, name));
  if (existsSync(join(root, 'node_modules/.package-lock.json'))) add(join(root, 'node_modules/.package-lock.json'));
  return createHash('sha256').update(entries.sort().join('\n')).digest('hex');
}

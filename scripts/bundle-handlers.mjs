// Bundles every Lambda handler (lib/**/*.lambda.ts), and the CLI commands that use the AWS SDK
// (lib/**/*.bundle.ts, e.g. `doctor`), with esbuild into assets/handlers/<name>/index.js.
// Runs on `npm ci` (prepare) and before `npm test` (scripts/test.mjs, unless the bundles are
// current), so synth never bundles and needs no Docker.
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(fileURLToPath(import.meta.url), '..', '..');

/** Every file under lib/. */
export function libFiles() {
  const files = [];
  (function walk(dir) {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.push(full);
    }
  })(join(root, 'lib'));
  return files;
}

/** The handler entry points and where each bundle goes. */
export function handlerBundles(files = libFiles()) {
  return files
    .filter((f) => f.endsWith('.lambda.ts') || f.endsWith('.bundle.ts'))
    .map((entry) => ({ entry, outfile: join(root, 'assets', 'handlers', basename(basename(entry, '.lambda.ts'), '.bundle.ts'), 'index.js') }));
}

export async function bundleHandlers() {
  const found = handlerBundles();
  await Promise.all(
    found.map(({ entry, outfile }) =>
      build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: true,
        sourcemap: false,
        legalComments: 'none',
        outfile,
        logLevel: 'warning',
      }),
    ),
  );
  console.log(`bundled ${found.length} handler(s): ${found.map((f) => relative(root, f.entry)).join(', ') || 'none'}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundleHandlers();

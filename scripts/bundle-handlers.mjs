// Bundles every Lambda handler (lib/**/*.lambda.ts), and the CLI commands that use the AWS SDK
// (lib/**/*.bundle.ts, e.g. `doctor`), with esbuild into assets/handlers/<name>/index.js.
// Runs on `npm ci` (prepare) and before `npm test`, so synth never bundles and needs no Docker.
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const found = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.lambda.ts') || name.endsWith('.bundle.ts')) found.push(full);
  }
})(join(root, 'lib'));

await Promise.all(
  found.map((entry) =>
    build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      outfile: join(root, 'assets', 'handlers', basename(basename(entry, '.lambda.ts'), '.bundle.ts'), 'index.js'),
      logLevel: 'warning',
    }),
  ),
);
console.log(`bundled ${found.length} handler(s): ${found.map((f) => relative(root, f)).join(', ') || 'none'}`);

// Jest global teardown: every `new App()` without an outdir synthesizes into a fresh
// `<tmpdir>/cdk.outXXXXXX` (aws-cdk-lib), Lambda assets included, and never removes it: a run of
// the suite leaves hundreds of them (several GB over a day of runs). Remove the ones written since
// this run started (KEEP_CDK_OUT=1 keeps them for inspection).
const { readdirSync, rmSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  if (process.env.KEEP_CDK_OUT === '1') return;
  const start = (globalThis.__cdpTestRunStart ?? Date.now()) - 1000;
  const dir = tmpdir();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('cdk.out')) continue;
    const full = join(dir, name);
    try {
      if (statSync(full).mtimeMs >= start) rmSync(full, { recursive: true, force: true });
    } catch {
      // removed meanwhile, or not ours to remove
    }
  }
};

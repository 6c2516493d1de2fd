// Jest global teardown: removes the run's temp directory (global-setup.js) with every cloud
// assembly and report the tests wrote into it, and restores TMPDIR. KEEP_CDK_OUT=1 keeps it for
// inspection (its path is printed).
const { rmSync } = require('node:fs');

module.exports = async () => {
  const run = globalThis.__cdpTestTmp;
  if (!run) return;
  if (run.previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = run.previous;
  if (process.env.KEEP_CDK_OUT === '1') {
    console.log(`\nKEEP_CDK_OUT=1: this run's cloud assemblies are in ${run.dir}`);
    return;
  }
  rmSync(run.dir, { recursive: true, force: true });
};

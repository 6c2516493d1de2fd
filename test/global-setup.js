// Jest global setup: one temp directory of this run's own, which the workers use as their temp
// root. Every `new App()` without an outdir synthesizes into a fresh `<tmpdir>/cdk.outXXXXXX`
// (aws-cdk-lib) and never removes it, and tests write reports and assemblies under tmpdir():
// pointing TMPDIR at a directory of this run (the workers are started after this and inherit the
// environment; os.tmpdir() reads TMPDIR on each call) keeps all of it in one place, which
// global-teardown.js removes. Other jest runs on the machine (each with its own directory) are
// never touched.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-jest-'));
  globalThis.__cdpTestTmp = { dir, previous: process.env.TMPDIR };
  process.env.TMPDIR = dir;
};

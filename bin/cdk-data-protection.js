#!/usr/bin/env node
// The checklist CLI, compiled by the jsii build into build/ (shipped in the package): plain node, no tsx.
let cli;
try {
  cli = require('../build/report/cli.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && /build[\\/]report[\\/]cli\.js/.test(e.message)) {
    console.error("cdk-data-protection: the CLI is not built (build/report/cli.js missing): run 'npm run build' in the library's repository");
    process.exit(2);
  }
  throw e;
}
process.exitCode = cli.main(process.argv.slice(2));

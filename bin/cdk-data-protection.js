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
// `doctor` answers asynchronously (AWS calls); `report` synchronously.
Promise.resolve(cli.main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`cdk-data-protection: ${e && e.message ? e.message : e}`);
    process.exitCode = 2;
  },
);

#!/usr/bin/env node
// Runs the TypeScript CLI with plain node: tsx compiles lib/ on the fly (no build step).
require('tsx/cjs');
const { main } = require('../lib/report/cli.ts');
process.exitCode = main(process.argv.slice(2));

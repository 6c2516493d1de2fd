/**
 * Jest setup: a snapshot serializer that makes CloudFormation snapshots stable
 * across machines, the Node 22 APIs some dependencies expect on Node 20, and quiet synth reports.
 */

// aws-local-stepfunctions uses Promise.withResolvers (Node 22+).
if (typeof (Promise as any).withResolvers !== 'function') {
  (Promise as any).withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// Asset hashes depend on the machine (file modes, bundler output): replace them.
const ASSET_HASH = /[0-9a-f]{64}/;
const MARKER = '@@stable@@';

expect.addSnapshotSerializer({
  test: (value: unknown) => typeof value === 'string' && !value.startsWith(MARKER) && ASSET_HASH.test(value),
  serialize: (value: string, config, indentation, depth, refs, printer) =>
    printer(MARKER + value.replace(new RegExp(ASSET_HASH.source, 'g'), 'ASSET_HASH'), config, indentation, depth, refs).replace(MARKER, ''),
});

// aws-cdk-lib prints its synth-time validation report (the IRREVERSIBLE warnings, the template
// validator's warnings on bare test fixtures) with console.error on every synth. Tests assert
// those through Annotations and Template; the printed copies only bury real failures in
// thousands of lines. Any other console.error output passes through.
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('A copy of this report can be found in:')) return;
  consoleError(...args);
};

// The Lambda handlers' warnings (a store left out today, a success not counted) are printed when a
// test provokes them. jest adds a code frame to every console.warn, and a frame of a minified
// bundle is one line of ~200 KB: a run printed 860 KB, mostly bundle source. Printed as info they
// keep their text and origin line, without the frame. Warnings from anywhere else keep theirs.
const consoleWarn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (new Error().stack?.includes('/assets/handlers/')) console.info(...args);
  else consoleWarn(...args);
};

// aws-cdk-lib runs its bundled CloudFormation template validator on every synth (about 2 s per
// app). The tests run it once, on purpose, in test/aws/aws-data.test.ts (over the reference
// app and every example, warnings included); every other synth skips it. `cdk synth` and CI's
// reference-app synth keep it on.
process.env.CDK_VALIDATION = 'false';

// aws-cdk-lib records a creation stack trace on every stack and CloudFormation element
// (`aws:cdk:creationStack` metadata, used only to point reports at source lines). Under jest a
// trace is up to 100 frames (jest raises Error.stackTraceLimit), each one source-mapped by jest:
// about a fifth of the synth time of the larger apps. No test reads them; every app the tests
// build gets the context key that turns them off (CDK_CONTEXT_JSON is merged into every App's
// context, over its own). `cdk synth` keeps them. Assets are not staged (copied into each test
// app's cloud assembly): templates and asset hashes are the same, and a run writes a few MB to the
// temp directory instead of GBs (test/global-teardown.js removes what remains).
process.env.CDK_CONTEXT_JSON = JSON.stringify({ ...JSON.parse(process.env.CDK_CONTEXT_JSON ?? '{}'), 'aws:cdk:disable-creation-stack-traces': true, 'aws:cdk:disable-asset-staging': true });

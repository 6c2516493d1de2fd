import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataClassification, DataProtection } from '../lib';

// Two copies of aws-cdk-lib make cdk-nag's `instanceof` rules see nothing: the library refuses to
// run in that case instead of letting synth pass unchecked. A second copy is loaded here with
// jest.isolateModules, which gives fresh module instances (other classes) of the same package.
function foreignCdkLib(): { App: typeof App; Stack: typeof Stack; s3: typeof s3 } {
  let loaded: { App: typeof App; Stack: typeof Stack; s3: typeof s3 } | undefined;
  jest.isolateModules(() => {
    const core = require('aws-cdk-lib');
    loaded = { App: core.App, Stack: core.Stack, s3: require('aws-cdk-lib/aws-s3') };
  });
  return loaded!;
}

test('an app built on another copy of aws-cdk-lib is a synth error naming the library copy', () => {
  const other = foreignCdkLib();
  expect(other.App).not.toBe(App);
  const app = new other.App();
  const stack = new other.Stack(app, 'S');
  const bucket = new other.s3.Bucket(stack, 'B');
  expect(() => DataProtection.classify(bucket, DataClassification.CONFIDENTIAL)).toThrow(/Two copies of aws-cdk-lib: .*cdk-data-protection uses .*aws-cdk-lib.*cdk-nag would check nothing/);
  expect(() => DataProtection.addPacks(app)).toThrow(/Two copies of aws-cdk-lib/);
});

test('one copy: classify and addPacks run', () => {
  const app = new App();
  const stack = new Stack(app, 'S');
  expect(() => DataProtection.addPacks(app)).not.toThrow();
  expect(DataProtection.classify(new s3.Bucket(stack, 'B'), DataClassification.INTERNAL).classification).toBe(DataClassification.INTERNAL);
});

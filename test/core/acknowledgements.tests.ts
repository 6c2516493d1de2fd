import { App, Stack, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../../lib/core/acknowledgements';
import { DataProtection } from '../../lib';

describe('acknowledge', () => {
  test("writes every pack rule's acknowledgement under the key Validations.acknowledge records (the shortcut skips only its stack trace)", () => {
    const app = new App();
    DataProtection.addPacks(app);
    const stack = new Stack(app, 'S');
    const ids = ['AwsSolutions-S1', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'DataProtection-ClassifiedRestoreDrill', 'AwsSolutions-IAM5[Resource::arn:aws:s3:::x/*]', 'HIPAA.Security-S3BucketLoggingEnabled'];
    const ours = new Construct(stack, 'Ours');
    const reference = new Construct(stack, 'Reference');
    // Twice each: the second call of an id on the same construct is a no-op (the first reason stays).
    for (const id of [...ids, ...ids]) acknowledge(ours, id, `why ${id}`);
    for (const id of ids) Validations.of(reference).acknowledge({ id, reason: `why ${id}` });
    const keys = (c: Construct) => Object.assign({}, ...c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data));
    expect(keys(ours)).toEqual(keys(reference));
    expect(Object.keys(keys(ours))).toHaveLength(ids.length);
  });

  test('a reason is required', () => {
    expect(() => acknowledge(new Construct(new Stack(new App(), 'S'), 'C'), 'AwsSolutions-S1', ' ')).toThrow('a reason is required for AwsSolutions-S1');
  });
});

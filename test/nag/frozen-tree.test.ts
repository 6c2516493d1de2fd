import { App, Lazy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Node } from 'constructs';
import { withFrozenTree } from '../../lib/nag/frozen-tree';

/** The packs validate a synthesized app with tree walks and token resolution memoized; nothing leaks out. */
describe('withFrozenTree', () => {
  const app = new App();
  const stack = new Stack(app, 'S');
  const bucket = new s3.Bucket(stack, 'B');
  let produced = 0;
  const lazy = Lazy.uncachedString({ produce: () => `value-${++produced}` });

  test('inside: one walk and one resolution per token, each caller gets its own copy of an object', () => {
    const findAll = Node.prototype.findAll;
    const result = withFrozenTree(() => {
      const a = stack.node.findAll();
      const b = stack.node.findAll();
      expect(b).toEqual(a);
      expect(b).not.toBe(a); // a copy: sorting it must not reorder the cache
      expect([stack.resolve(lazy), stack.resolve(lazy)]).toEqual(['value-1', 'value-1']);
      const ref1 = stack.resolve(bucket.bucketArn);
      const ref2 = stack.resolve(bucket.bucketArn);
      expect(ref2).toEqual(ref1);
      ref1.changed = true;
      expect(stack.resolve(bucket.bucketArn)).not.toHaveProperty('changed');
      return Node.prototype.findAll === findAll;
    });
    expect(result).toBe(false);
  });

  test('outside, and after a throw: the originals are back', () => {
    const findAll = Node.prototype.findAll;
    const resolve = Stack.prototype.resolve;
    expect(() => withFrozenTree(() => { throw new Error('rule failed'); })).toThrow('rule failed');
    expect([Node.prototype.findAll, Stack.prototype.resolve]).toEqual([findAll, resolve]);
    // Tokens resolve afresh outside.
    const before = produced;
    expect([stack.resolve(lazy), stack.resolve(lazy)]).toEqual([`value-${before + 1}`, `value-${before + 2}`]);
  });
});

import { Stack } from 'aws-cdk-lib';
import { IConstruct, Node } from 'constructs';

/**
 * Runs `fn` (a pack's validation of a synthesized app) with two read-only lookups memoized:
 * `Node.findAll` and `Stack.resolve` of a token (a string, or a resolvable object such as a policy
 * document: the same token resolves the same way). Packs validate after synthesis, when the
 * construct tree and every token's value are final, and some stock rules repeat both per resource
 * (cdk-nag's S3BucketSSLRequestsOnly walks the whole stack and resolves every bucket policy's
 * bucket once per bucket: quadratic in the buckets of a stack). The originals are restored when
 * `fn` returns or throws; nested calls share the outer caches.
 */
export function withFrozenTree<T>(fn: () => T): T {
  if (active) return fn();
  const findAll = Node.prototype.findAll;
  const resolve = Stack.prototype.resolve;
  const found = new Map<Node, Map<unknown, IConstruct[]>>();
  const resolved = new WeakMap<Stack, { strings: Map<string, unknown>; objects: WeakMap<object, unknown> }>();
  Node.prototype.findAll = function (this: Node, order?: any): IConstruct[] {
    const byOrder = found.get(this) ?? new Map<unknown, IConstruct[]>();
    found.set(this, byOrder);
    let all = byOrder.get(order);
    if (!all) {
      all = findAll.call(this, order);
      byOrder.set(order, all);
    }
    // A copy: callers may sort or splice what they get.
    return [...all];
  };
  // Each caller gets its own copy of an object: it could change what it gets.
  const copy = (v: unknown) => (v !== null && typeof v === 'object' ? structuredClone(v) : v);
  Stack.prototype.resolve = function (this: Stack, obj: any): any {
    // Strings (tokens) and resolvable objects (a policy document, a lazy value): the same input
    // resolves the same way once the app is synthesized. Plain objects are often built per call.
    const resolvable = obj !== null && typeof obj === 'object' && typeof obj.resolve === 'function';
    if (typeof obj !== 'string' && !resolvable) return resolve.call(this, obj);
    const cache = resolved.get(this) ?? { strings: new Map<string, unknown>(), objects: new WeakMap<object, unknown>() };
    resolved.set(this, cache);
    const hit = typeof obj === 'string' ? cache.strings.has(obj) : cache.objects.has(obj);
    if (hit) return copy(typeof obj === 'string' ? cache.strings.get(obj) : cache.objects.get(obj));
    const value = resolve.call(this, obj);
    if (typeof obj === 'string') cache.strings.set(obj, copy(value));
    else cache.objects.set(obj, copy(value));
    return value;
  };
  active = true;
  try {
    return fn();
  } finally {
    active = false;
    Node.prototype.findAll = findAll;
    Stack.prototype.resolve = resolve;
  }
}

let active = false;

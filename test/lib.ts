// Everything the tests reach: the public API (lib/index.ts) plus the internal helpers of each area,
// which jsii does not export and users do not call.
export * from '../lib';
export * from '../lib/core';
export * from '../lib/classification';
export * from '../lib/keys';
export * from '../lib/backup';
export * from '../lib/audit';
export * from '../lib/drill';
export * from '../lib/nag';
export * from '../lib/report';
export * from '../lib/topology';

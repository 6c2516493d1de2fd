import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Code of a handler bundled by `scripts/bundle-handlers.mjs` (run by `npm ci` and `npm test`)
 * from `lib/**\/<name>.lambda.ts`. Synth never bundles: it needs neither Docker nor network.
 */
export function handlerCode(name: string): lambda.Code {
  const dir = join(__dirname, '..', '..', 'assets', 'handlers', name);
  if (!existsSync(join(dir, 'index.js'))) {
    throw new Error(`Lambda handler '${name}' is not bundled (${dir}/index.js missing): run 'npm run bundle'`);
  }
  return lambda.Code.fromAsset(dir);
}

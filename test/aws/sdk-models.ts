/**
 * AWS SDK for JavaScript v3 service models, as the client packages ship them: each
 * `@aws-sdk/client-<service>` exports `<Operation>Command` and, since the clients moved to
 * schema-based serialization, the operation's static Smithy schema `<Operation>$` (input and output
 * structures, members, list/map/structure targets) that the client itself serializes with. Read
 * through `NormalizedSchema` of `@smithy/core/schema`, the public reader of those schemas.
 *
 * These are the SDK's own models, versioned with the client that calls the API: no separate model
 * package (aws-sdk v2's `apis/*.json` is deprecated and frozen, `@aws-cdk/aws-service-spec` holds
 * CloudFormation resources, not service APIs).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The subset of `NormalizedSchema` (@smithy/core/schema) the checks use. */
export interface Shape {
  getName(withNamespace?: boolean): string | undefined;
  isStructSchema(): boolean;
  isListSchema(): boolean;
  isMapSchema(): boolean;
  isDocumentSchema(): boolean;
  getValueSchema(): Shape;
  structIterator(): Iterable<[string, Shape]>;
  getSchema(): unknown;
}

export interface SdkOperation {
  /** `@aws-sdk/client-backup`. */
  readonly pkg: string;
  /** `StartRestoreJob`. */
  readonly operation: string;
  readonly input: Shape;
  readonly output: Shape;
  /** Required input members (Smithy `@required`), in the SDK's spelling. */
  readonly required: string[];
  /** The SigV4 signing name of the client (`elasticfilesystem` for EFS). */
  readonly signingName: string;
}

const SDK_DIR = join(__dirname, '..', '..', 'node_modules', '@aws-sdk');

/** `@aws-sdk/client-*` packages installed, by their name without dashes (`rdsdata`, `cloudwatchlogs`). */
function installedClients(): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of readdirSync(SDK_DIR)) {
    if (dir.startsWith('client-')) out.set(dir.slice('client-'.length).replace(/-/g, ''), `@aws-sdk/${dir}`);
  }
  return out;
}

let clients: Map<string, string> | undefined;

/**
 * The v3 client package of a Step Functions `aws-sdk:<service>` name. Step Functions names services
 * as the SDK does, lowercased without separators (`rdsdata`, `cloudwatchlogs`,
 * `elasticloadbalancingv2`): the client package of the same name without its dashes.
 */
export function clientPackage(sfnService: string): string | undefined {
  clients ??= installedClients();
  return clients.get(sfnService.toLowerCase());
}

/** `startRestoreJob` → `StartRestoreJob`. */
export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

const operations = new Map<string, SdkOperation | string>();

/** The SDK operation behind `aws-sdk:<service>:<action>`, or why there is none. */
export function sdkOperation(sfnService: string, action: string): SdkOperation | string {
  const key = `${sfnService}:${action}`;
  if (!operations.has(key)) operations.set(key, loadOperation(sfnService, action));
  return operations.get(key)!;
}

function loadOperation(sfnService: string, action: string): SdkOperation | string {
  const pkg = clientPackage(sfnService);
  if (!pkg) return `no AWS SDK v3 client for service '${sfnService}' in node_modules (add @aws-sdk/client-${sfnService} at an exact version to devDependencies)`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(pkg);
  const operation = pascal(action);
  if (typeof mod[`${operation}Command`] !== 'function') return `${pkg} has no ${operation}Command: '${sfnService}:${action}' is not an API action`;
  const schema = mod[`${operation}$`];
  if (!Array.isArray(schema)) return `${pkg} exports no schema for ${operation} (a client older than schema-based serialization: update it)`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NormalizedSchema } = require(require.resolve('@smithy/core/schema', { paths: [require.resolve(pkg)] }));
  const ref = (r: unknown) => (typeof r === 'function' ? r() : r);
  // Static operation schema: [9, namespace, name, traits, input, output].
  const inputStatic = ref(schema[4]);
  const input: Shape = NormalizedSchema.of(inputStatic);
  const output: Shape = NormalizedSchema.of(ref(schema[5]));
  // Static structure schema: [3, namespace, name, traits, memberNames, memberSchemas, requiredCount];
  // the generated clients list the @required members first and count them in the last element.
  const required = Array.isArray(inputStatic) && inputStatic[0] === 3 ? (inputStatic[4] as string[]).slice(0, Number(inputStatic[6] ?? 0)) : [];
  return { pkg, operation, input, output, required, signingName: signingNameOf(mod, pkg) };
}

function signingNameOf(mod: Record<string, any>, pkg: string): string {
  const name = Object.keys(mod).find((k) => k.endsWith('Client') && !k.startsWith('__'));
  if (!name) return pkg.replace('@aws-sdk/client-', '');
  // A client only to read its configuration: no request, no credentials; and no warning about
  // the Node.js version (the project's engines field decides that).
  const flag = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
  const before = process.env[flag];
  process.env[flag] = 'true';
  const client = new mod[name]({ region: 'us-east-1' });
  try {
    return client.config.defaultSigningName ?? pkg.replace('@aws-sdk/client-', '');
  } finally {
    client.destroy();
    if (before === undefined) delete process.env[flag];
    else process.env[flag] = before;
  }
}

/**
 * The member of a structure that a Step Functions field name stands for: Step Functions writes
 * every member in PascalCase ("Parameters in Step Functions are expressed in PascalCase, even if
 * the native service API is in camelCase" — Step Functions Developer Guide, "AWS SDK service
 * integrations").
 */
export function member(shape: Shape, field: string): Shape | undefined {
  if (!shape.isStructSchema()) return undefined;
  for (const [name, m] of shape.structIterator()) if (pascal(name) === field) return m;
  return undefined;
}

/** The member names of a structure, as Step Functions spells them. */
export function memberNames(shape: Shape): string[] {
  return shape.isStructSchema() ? [...shape.structIterator()].map(([n]) => pascal(n)) : [];
}

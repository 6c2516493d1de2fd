import { App, Stack } from 'aws-cdk-lib';

export const KEY_ACCOUNT = '111111111111';
export const DATA_ACCOUNT = '222222222222';
export const BACKUP_ACCOUNT = '333333333333';
export const AUDIT_ACCOUNT = '444444444444';
export const REGION = 'eu-west-1';

export const ACCOUNTS = {
  keyAccount: KEY_ACCOUNT,
  dataAccounts: [DATA_ACCOUNT],
  backupAccount: BACKUP_ACCOUNT,
  auditAccount: AUDIT_ACCOUNT,
  primaryRegion: REGION,
  drRegion: 'eu-central-1',
};

/** A stack in a fixed account and region, in a fresh app. */
export function testStack(account = DATA_ACCOUNT, id = 'Test'): Stack {
  const app = new App();
  return new Stack(app, id, { env: { account, region: REGION } });
}

/** The reference app's context, as in cdk.json. */
export function referenceContext(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../cdk.json').context;
}

/**
 * The drill settings of a stack's stores as the account's drill reads them at run time: the
 * `data-protection:drill-` tags of each resource carrying a drill name, by name.
 */
export function drillTagsIn(stack: Stack): { [name: string]: { [key: string]: unknown } } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Template } = require('aws-cdk-lib/assertions');
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties?: { Tags?: unknown; Replicas?: { Tags?: unknown }[] } }>;
  const out: { [name: string]: { [key: string]: unknown } } = {};
  for (const r of Object.values(resources)) {
    const tags = [...((r.Properties?.Tags as { Key: string; Value: unknown }[]) ?? []), ...(r.Properties?.Replicas ?? []).flatMap((x) => (x.Tags as { Key: string; Value: unknown }[]) ?? [])];
    if (!Array.isArray(tags)) continue;
    const drill = Object.fromEntries(tags.filter((t) => t.Key?.startsWith('data-protection:drill-')).map((t) => [t.Key, t.Value]));
    const name = drill['data-protection:drill-name'];
    if (typeof name === 'string') out[name] = drill;
  }
  return out;
}

/** The run-time discovery configuration of the stack's restore drill (its discover function's environment). */
export function drillDiscoveryConfig(stack: Stack): Record<string, any> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Template } = require('aws-cdk-lib/assertions');
  const fns = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }[];
  const raw = fns.map((f) => f.Properties.Environment?.Variables?.DRILL_DISCOVERY).find((v) => v !== undefined);
  if (raw === undefined) throw new Error(`${stack.node.path} has no discovering restore drill`);
  // Deploy-time values (key ARNs) make it an Fn::Join: keep its literal parts.
  const text = typeof raw === 'string' ? raw : ((raw as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '"TOKEN"')).join(''));
  return JSON.parse(text.replace(/""TOKEN""/g, '"TOKEN"'));
}

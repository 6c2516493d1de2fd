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
 * `data-protection:drill-` tags of each classified store of a drillable type, by the name the drill
 * gives it (its name tag, else the name derived from its type and literal physical name).
 */
export function drillTagsIn(stack: Stack): { [name: string]: { [key: string]: unknown } } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Template } = require('aws-cdk-lib/assertions');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { nameOfStore } = require('../lib/drill/target-item');
  const types: { [cfn: string]: [string, string] } = {
    'AWS::S3::Bucket': ['S3', 'BucketName'],
    'AWS::DynamoDB::Table': ['DynamoDB', 'TableName'],
    'AWS::DynamoDB::GlobalTable': ['DynamoDB', 'TableName'],
    'AWS::RDS::DBCluster': ['Aurora', 'DBClusterIdentifier'],
    'AWS::RDS::DBInstance': ['RDS', 'DBInstanceIdentifier'],
    'AWS::EFS::FileSystem': ['EFS', ''],
    'AWS::EC2::Volume': ['EBS', ''],
  };
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties?: any }>;
  const out: { [name: string]: { [key: string]: unknown } } = {};
  for (const [id, r] of Object.entries(resources)) {
    const type = types[r.Type];
    if (!type) continue;
    const raw = [...(r.Properties?.Tags ?? r.Properties?.FileSystemTags ?? []), ...(r.Properties?.Replicas ?? []).flatMap((x: any) => x.Tags ?? [])] as { Key: string; Value: unknown }[];
    const tags = Object.fromEntries(raw.map((t) => [t.Key, t.Value]));
    if (tags['data-classification'] === undefined || tags['data-protection:drill-skip'] === 'true') continue;
    if (r.Type === 'AWS::RDS::DBInstance' && r.Properties?.DBClusterIdentifier !== undefined) continue; // a cluster member: the cluster is drilled
    const drill = Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith('data-protection:drill-')));
    const physical = type[1] ? r.Properties?.[type[1]] : undefined;
    const name = (drill['data-protection:drill-name'] as string | undefined) ?? (typeof physical === 'string' ? nameOfStore(type[0], physical) : `<${id}>`);
    out[name] = drill;
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

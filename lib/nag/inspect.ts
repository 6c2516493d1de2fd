import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { DataClassification } from '../classification/data-classification';
import { ProtectionPolicy, ProtectionPolicyProps } from '../classification/protection-policy';
import { CLASSIFICATION_TAG, METADATA } from '../core/constants';

/**
 * Read-only helpers shared by the rules. Rules see one `CfnResource` at a time; coverage
 * rules (backup selection, trail selectors, drills) look at the rest of the app through
 * `resourcesOfType`, on resolved CloudFormation, so they work on resources this library did
 * not build. Nothing here mutates the tree.
 */

/** Resource types that store data, hence need a classification (and, once classified, its controls). */
export const DATA_STORE_TYPES = [
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::EFS::FileSystem',
  'AWS::EC2::Volume',
  'AWS::DocDB::DBCluster',
  'AWS::Neptune::DBCluster',
  'AWS::Redshift::Cluster',
  'AWS::FSx::FileSystem',
  'AWS::Timestream::Table',
];

/**
 * Types AWS Backup protects and a restore drill can restore (the `ProtectedBackupPlan` /
 * `RestoreDrill` scope): today every data-store type, so the same list.
 */
export const RESTORABLE_TYPES = DATA_STORE_TYPES;

/**
 * Tag that marks a bucket as holding backups, logs or evidence for the protection rules, when
 * the bucket was not built by this library (`backups`, `logs`, `evidence` or `audit`).
 */
export const PROTECTION_PURPOSE_TAG = 'data-protection:holds';

let session: { props: WeakMap<CfnResource, Record<string, any>>; byRoot: WeakMap<IConstruct, CfnResource[]> } | undefined;

/** Caches resolved templates while a pack walks the tree; the pack opens and closes the session. */
export function withInspectionCache<T>(fn: () => T): T {
  const outer = session;
  session = { props: new WeakMap(), byRoot: new WeakMap() };
  try {
    return fn();
  } finally {
    session = outer;
  }
}

/** The resource as CloudFormation renders it: `{ Type, Properties, Metadata, DeletionPolicy, ... }`, resolved. */
export function rendered(node: CfnResource): Record<string, any> {
  const cached = session?.props.get(node);
  if (cached) return cached;
  const stack = Stack.of(node);
  const cfn = stack.resolve((node as any)._toCloudFormation()) as { Resources?: Record<string, any> };
  const body = Object.values(cfn.Resources ?? {})[0] ?? {};
  session?.props.set(node, body);
  return body;
}

/** The resolved `Properties` of a resource (never undefined). */
export function propsOf(node: CfnResource): Record<string, any> {
  return rendered(node).Properties ?? {};
}

/**
 * Whether the resource is an instance of an RDS or Aurora cluster (`AWS::RDS::DBInstance` with
 * `DBClusterIdentifier`). It inherits its cluster's classification tag but is encrypted, backed
 * up, copied and restored through the cluster, so the rules judge it through the cluster: they
 * check the cluster itself and treat its members as not applicable.
 */
export function isClusterMember(node: CfnResource): boolean {
  return node.cfnResourceType === 'AWS::RDS::DBInstance' && propsOf(node).DBClusterIdentifier !== undefined;
}

/** The logical id of a resource, as other resources of its stack reference it. */
export function logicalIdOf(node: CfnResource): string {
  return Stack.of(node).resolve(node.logicalId);
}

/** Every CloudFormation resource of the app that contains `scope`, optionally of some types. */
export function resourcesOfType(scope: IConstruct, ...types: string[]): CfnResource[] {
  const root = scope.node.root;
  let all = session?.byRoot.get(root);
  if (!all) {
    all = root.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c));
    session?.byRoot.set(root, all);
  }
  return types.length === 0 ? all : all.filter((r) => types.includes(r.cfnResourceType));
}

/**
 * Whether two resources can be in the same account and region: equal when both are known,
 * assumed when either is environment-agnostic.
 */
export function sameEnvironment(a: IConstruct, b: IConstruct): boolean {
  const sa = Stack.of(a);
  const sb = Stack.of(b);
  if (sa === sb) return true;
  const eq = (x: string, y: string) => Token.isUnresolved(x) || Token.isUnresolved(y) || x === y;
  return eq(sa.account, sb.account) && eq(sa.region, sb.region);
}

/** Same stack: intrinsic references (`Ref`, `Fn::GetAtt`) between the two are meaningful. */
export function sameStack(a: IConstruct, b: IConstruct): boolean {
  return Stack.of(a) === Stack.of(b);
}

/** The resource's tags as a map, from `Tags` (list or map) or DynamoDB global table replicas. */
export function tagsOf(node: CfnResource): Record<string, string> {
  const p = propsOf(node);
  const out: Record<string, string> = {};
  const add = (tags: unknown) => {
    if (Array.isArray(tags)) {
      for (const t of tags) if (t && typeof t.Key === 'string' && typeof t.Value === 'string') out[t.Key] = t.Value;
    } else if (tags && typeof tags === 'object') {
      for (const [k, v] of Object.entries(tags)) if (typeof v === 'string') out[k] = v;
    }
  };
  add(p.Tags);
  for (const replica of Array.isArray(p.Replicas) ? p.Replicas : []) add(replica?.Tags);
  return out;
}

/** The classification of a resource and the policy it must meet. */
export interface Classification {
  readonly level: DataClassification;
  readonly policy: Required<ProtectionPolicyProps>;
  /** Where it came from: `classify()` metadata or only the tag. */
  readonly source: 'metadata' | 'tag';
}

/**
 * The classification recorded by `classify()` (with its possibly overridden policy), else the
 * `data-classification` tag with the level's floor. Undefined when unclassified; throws on an
 * unknown level name so the rule reports it.
 */
export function classificationOf(node: CfnResource): Classification | undefined {
  const meta = [node, node.node.scope].flatMap((c) => c?.node.metadata ?? []).find((m) => m.type === METADATA.CLASSIFIED);
  if (meta) {
    const data = meta.data as { classification: string; policy: Required<ProtectionPolicyProps> };
    return { level: DataClassification.fromName(data.classification), policy: data.policy, source: 'metadata' };
  }
  const tag = tagsOf(node)[CLASSIFICATION_TAG];
  if (tag === undefined) return undefined;
  const level = DataClassification.fromName(tag);
  return { level, policy: ProtectionPolicy.forClassification(level)._values(), source: 'tag' };
}

/** `classificationOf`, but undefined instead of throwing on an unknown level. */
export function tryClassificationOf(node: CfnResource): Classification | undefined {
  try {
    return classificationOf(node);
  } catch {
    return undefined;
  }
}

/** The control metadata (`cdk-data-protection:control`) recorded on a resource or the L2 that owns it. */
export function controlsOn(node: CfnResource, control: string): Array<Record<string, unknown>> {
  return [node, node.node.scope]
    .flatMap((c) => c?.node.metadata ?? [])
    .filter((m) => m.type === METADATA.CONTROL && (m.data as { control?: string })?.control === control)
    .map((m) => m.data as Record<string, unknown>);
}

export const asList = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/**
 * Whether a resolved value mentions a resource: a `Ref`/`Fn::GetAtt` to it (same stack) or
 * one of its literal physical names.
 */
export function mentions(value: unknown, target: CfnResource, from: IConstruct): boolean {
  const text = JSON.stringify(value ?? null);
  if (sameStack(target, from)) {
    const id = logicalIdOf(target);
    if (text.includes(`{"Ref":"${id}"}`) || text.includes(`{"Fn::GetAtt":["${id}",`)) return true;
  }
  return physicalNames(target).some((n) => text.includes(n));
}

/** Literal physical names of a data store (bucket, table, cluster, file system names). */
export function physicalNames(node: CfnResource): string[] {
  const p = propsOf(node);
  return [p.BucketName, p.TableName, p.DBInstanceIdentifier, p.DBClusterIdentifier, p.FileSystemName, p.ClusterIdentifier, p.Name]
    .filter((n): n is string => typeof n === 'string' && n.length >= 3);
}

/**
 * A resolved value flattened to text, with intrinsics reduced to their literal parts, e.g.
 * `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":backup:eu-west-1:333333333333:backup-vault:v"]]}`
 * becomes `arn:*:backup:eu-west-1:333333333333:backup-vault:v`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(flatten).join(String(join[0]));
    const sub = (value as Record<string, unknown>)['Fn::Sub'];
    if (typeof sub === 'string') return sub.replace(/\$\{[^}]+\}/g, '*');
  }
  return '*';
}

/** The account id in an ARN-like value, when literal. */
export function accountInArn(value: unknown): string | undefined {
  const m = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(flatten(value));
  return m?.[1];
}

/** The resource's backup-vault name from a vault ARN or name, when literal. */
export function vaultNameInArn(value: unknown): string | undefined {
  const text = flatten(value);
  const m = /:backup-vault:([^:*]+)$/.exec(text);
  return m?.[1];
}

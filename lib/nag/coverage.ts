import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import { CLASSIFICATION_TAG } from '../core/constants';
import { accountInArn, asList, flatten, logicalIdOf, mentions, propsOf, resourcesOfType, sameEnvironment, sameStack, tagsOf, tryClassificationOf } from './inspect';

/**
 * Coverage of a data store by backup selections, restore-testing selections and trail
 * selectors, decided on resolved CloudFormation. Each answer errs on the side of "not
 * covered" only where the template says so; anything unresolvable counts as covered.
 */

/** Tags AWS would see on the resource, including the classification tag `classify()` adds. */
function effectiveTags(target: CfnResource): Record<string, string> {
  const tags = { ...tagsOf(target) };
  const c = tryClassificationOf(target);
  if (c) tags[CLASSIFICATION_TAG] = c.level.name;
  return tags;
}

function glob(pattern: unknown, value: string | undefined): boolean {
  if (value === undefined) return false;
  const p = flatten(pattern);
  const re = new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(value);
}

/** ARN service and resource-name prefix per data-store type, for type-wide wildcards. */
const ARN_SHAPES: Record<string, { service: string; prefixes: string[] }> = {
  'AWS::S3::Bucket': { service: 's3', prefixes: [''] },
  'AWS::DynamoDB::Table': { service: 'dynamodb', prefixes: ['table/'] },
  'AWS::DynamoDB::GlobalTable': { service: 'dynamodb', prefixes: ['table/'] },
  'AWS::RDS::DBInstance': { service: 'rds', prefixes: ['db:'] },
  'AWS::RDS::DBCluster': { service: 'rds', prefixes: ['cluster:'] },
  'AWS::EFS::FileSystem': { service: 'elasticfilesystem', prefixes: ['file-system/'] },
  'AWS::EC2::Volume': { service: 'ec2', prefixes: ['volume/'] },
};

/** Whether an ARN pattern (`*`, a wildcard for the whole type, or the resource itself) selects the target. */
export function arnSelects(entry: unknown, target: CfnResource, from: CfnResource): boolean {
  const text = flatten(entry);
  if (text === '*') return true;
  if (mentions(entry, target, from)) return true;
  const shape = ARN_SHAPES[target.cfnResourceType];
  if (!shape) return false;
  const parts = text.split(':');
  if (parts.length < 6 || parts[2] !== shape.service) return false;
  const rest = parts.slice(5).join(':');
  return shape.prefixes.some((p) => rest === p + '*' || rest === p || (rest.startsWith(p) && rest.slice(p.length) === '*'));
}

function conditionsAllow(conditions: Record<string, any> | undefined, tags: Record<string, string>): boolean {
  if (!conditions) return true;
  const tagOf = (key: unknown) => tags[String(flatten(key)).replace(/^aws:ResourceTag\//, '')];
  const each = (op: string) => asList(conditions[op]) as Array<{ ConditionKey?: unknown; ConditionValue?: unknown }>;
  return (
    each('StringEquals').every((c) => tagOf(c.ConditionKey) === flatten(c.ConditionValue)) &&
    each('StringLike').every((c) => glob(c.ConditionValue, tagOf(c.ConditionKey))) &&
    each('StringNotEquals').every((c) => tagOf(c.ConditionKey) !== flatten(c.ConditionValue)) &&
    each('StringNotLike').every((c) => !glob(c.ConditionValue, tagOf(c.ConditionKey)))
  );
}

/** Whether an `AWS::Backup::BackupSelection` selects the target (by ARN, wildcard or tag). */
export function selectionCovers(selection: CfnResource, target: CfnResource): boolean {
  if (!sameEnvironment(selection, target)) return false;
  const sel = propsOf(selection).BackupSelection ?? {};
  const tags = effectiveTags(target);
  if (asList(sel.NotResources).some((r) => mentions(r, target, selection))) return false;
  const byArn = asList(sel.Resources).some((r) => arnSelects(r, target, selection));
  const byTag = asList(sel.ListOfTags).some((t: any) => glob(t.ConditionValue, tags[flatten(t.ConditionKey)]));
  return (byArn || byTag) && conditionsAllow(sel.Conditions, tags);
}

/** The `AWS::Backup::BackupPlan` a selection belongs to, when it is in the same stack. */
export function planOfSelection(selection: CfnResource): CfnResource | undefined {
  const planRef = propsOf(selection).BackupPlanId;
  return resourcesOfType(selection, 'AWS::Backup::BackupPlan').find((p) => sameStack(p, selection) && JSON.stringify(planRef ?? null).includes(`"${logicalIdOf(p)}"`));
}

/** The backup selections that select the target. */
export function selectionsCovering(target: CfnResource): CfnResource[] {
  return resourcesOfType(target, 'AWS::Backup::BackupSelection').filter((s) => selectionCovers(s, target));
}

/** Whether a backup plan copies recovery points into a vault of another account. */
export function planCopiesCrossAccount(plan: CfnResource): boolean {
  const account = Stack.of(plan).account;
  const rules = asList(propsOf(plan).BackupPlan?.BackupPlanRule) as Array<Record<string, any>>;
  return rules.some((r) =>
    asList(r.CopyActions).some((c: any) => {
      const dest = accountInArn(c.DestinationBackupVaultArn);
      return dest !== undefined && (Token.isUnresolved(account) || dest !== account);
    }),
  );
}

/** Restore-testing resource type names per CloudFormation type. */
const RESTORE_TESTING_TYPES: Record<string, string[]> = {
  'AWS::S3::Bucket': ['S3'],
  'AWS::DynamoDB::Table': ['DynamoDB'],
  'AWS::DynamoDB::GlobalTable': ['DynamoDB'],
  'AWS::RDS::DBInstance': ['RDS'],
  'AWS::RDS::DBCluster': ['Aurora', 'RDS'],
  'AWS::EFS::FileSystem': ['EFS'],
  'AWS::EC2::Volume': ['EBS'],
  'AWS::DocDB::DBCluster': ['DocumentDB'],
  'AWS::Neptune::DBCluster': ['Neptune'],
  'AWS::Redshift::Cluster': ['Redshift'],
  'AWS::FSx::FileSystem': ['FSx'],
  'AWS::Timestream::Table': ['Timestream'],
};

/** Whether a native `AWS::Backup::RestoreTestingSelection` restores the target. */
export function restoreTestingCovers(selection: CfnResource, target: CfnResource): boolean {
  if (!sameEnvironment(selection, target)) return false;
  const p = propsOf(selection);
  if (!(RESTORE_TESTING_TYPES[target.cfnResourceType] ?? []).includes(flatten(p.ProtectedResourceType))) return false;
  if (!asList(p.ProtectedResourceArns).some((a) => arnSelects(a, target, selection))) return false;
  const tags = effectiveTags(target);
  const cond = p.ProtectedResourceConditions ?? {};
  const eq = asList(cond.StringEquals) as Array<{ Key?: unknown; Value?: unknown }>;
  const ne = asList(cond.StringNotEquals) as Array<{ Key?: unknown; Value?: unknown }>;
  const tagOf = (k: unknown) => tags[flatten(k).replace(/^aws:ResourceTag\//, '')];
  return eq.every((c) => tagOf(c.Key) === flatten(c.Value)) && ne.every((c) => tagOf(c.Key) !== flatten(c.Value));
}

/** CloudTrail data-event resource type per data-store type. */
export const DATA_EVENT_TYPES: Record<string, string> = {
  'AWS::S3::Bucket': 'AWS::S3::Object',
  'AWS::DynamoDB::Table': 'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable': 'AWS::DynamoDB::Table',
};

/** Which of reads / writes of the target's data a trail records. */
export function trailCoverage(trail: CfnResource, target: CfnResource): { read: boolean; write: boolean } {
  const none = { read: false, write: false };
  const p = propsOf(trail);
  const org = p.IsOrganizationTrail === true || p.IsOrganizationTrail === 'true';
  if (!org && !sameEnvironment(trail, target)) return none;
  const type = DATA_EVENT_TYPES[target.cfnResourceType];
  if (!type) return none;
  const got = { read: false, write: false };
  const arnCovers = (values: unknown[]) =>
    values.some((v) => {
      const text = flatten(v);
      // A prefix naming only the service (`arn:aws:s3:::`, `arn:aws:dynamodb`) selects every resource of the type.
      return mentions(v, target, trail) || /^arn:[^:]*:(s3|dynamodb)(:[^:]*(:[^:]*(:(table\/?)?)?)?)?:?$/.test(text) || text === '*';
    });
  for (const sel of asList(p.AdvancedEventSelectors) as Array<{ FieldSelectors?: any[] }>) {
    const fields = new Map<string, any>((sel.FieldSelectors ?? []).map((f) => [f.Field, f]));
    const eq = (f: string) => asList(fields.get(f)?.Equals).map(flatten);
    if (!eq('eventCategory').includes('Data') || !eq('resources.type').includes(type)) continue;
    if (fields.has('eventName') || fields.has('eventSource') || fields.has('userIdentity.arn')) continue; // a filtered subset
    const arn = fields.get('resources.ARN');
    if (arn) {
      const excluded = [...asList(arn.NotEquals), ...asList(arn.NotStartsWith), ...asList(arn.NotEndsWith)].some((v) => mentions(v, target, trail));
      const positive = [...asList(arn.Equals), ...asList(arn.StartsWith)];
      if (excluded || (positive.length > 0 && !arnCovers(positive)) || asList(arn.EndsWith).length > 0) continue;
    }
    const ro = eq('readOnly');
    if (ro.length === 0 || ro.includes('true')) got.read = true;
    if (ro.length === 0 || ro.includes('false')) got.write = true;
  }
  for (const sel of asList(p.EventSelectors) as Array<{ DataResources?: any[]; ReadWriteType?: string }>) {
    if (!asList(sel.DataResources).some((d: any) => d.Type === type && arnCovers(asList(d.Values)))) continue;
    const rw = sel.ReadWriteType ?? 'All';
    if (rw !== 'WriteOnly') got.read = true;
    if (rw !== 'ReadOnly') got.write = true;
  }
  return got;
}

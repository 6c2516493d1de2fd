import { Aws, CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import { IConstruct } from 'constructs';
import { ClassifiedResource, ClassifiedResources } from '../classification/classify';

/** CloudTrail allows at most this many values across all advanced event selectors of a trail. */
export const MAX_SELECTOR_VALUES = 500;

/** Shortest name prefix used to aggregate resources: shorter ones select too much by accident. */
export const MIN_AGGREGATION_PREFIX_LENGTH = 3;

/** How the resources of one data-event type are selected. Enum-like class. */
export class DataEventSelection {
  /** One ARN value per resource. Nothing else is recorded. */
  public static readonly EXACT = new DataEventSelection('EXACT');
  /** ARN prefixes derived from the resources' literal names, avoiding every other known name. */
  public static readonly PREFIX = new DataEventSelection('PREFIX');
  /** Every resource of the type: every known resource of the type in the account is covered. */
  public static readonly ALL_RESOURCES = new DataEventSelection('ALL_RESOURCES');
  private constructor(public readonly name: string) {}
}

/** How one data-event resource type was selected. */
export interface DataEventTypeSelection {
  /** The CloudTrail `resources.type`, e.g. `AWS::S3::Object`. */
  readonly resourceType: string;
  readonly selection: DataEventSelection;
  /** Classified resources covered. */
  readonly resources: number;
  /** Selector values spent on this type (including `eventCategory` and `resources.type`). */
  readonly values: number;
}

/** The advanced event selectors of a `DataAccessTrail` and what they cover. */
export interface DataEventSelectorPlan {
  readonly advancedEventSelectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[];
  /** Total values across all selectors; at most `MAX_SELECTOR_VALUES`. */
  readonly valueCount: number;
  /** The classified resources whose data events are recorded. */
  readonly covered: ClassifiedResource[];
  /** ARNs of resources created outside the app whose data events are recorded (`existingResources`). */
  readonly coveredExistingArns: string[];
  /** Classified resources with `dataEvents` whose type has no CloudTrail data events (e.g. EFS). */
  readonly withoutDataEvents: ClassifiedResource[];
  /** Classified buckets left out because the trail writes its logs into them. */
  readonly excludedOwnBuckets: ClassifiedResource[];
  /**
   * Covered resources of other stacks selected by a generated ARN: each becomes a
   * CloudFormation export (at most 200 outputs per template). Literal names avoid it.
   */
  readonly importedArns: ClassifiedResource[];
  readonly types: DataEventTypeSelection[];
}

/** Inputs of `planDataEventSelectors`. */
export interface DataEventSelectorPlanInput {
  /** The construct that owns the trail: its stack decides "the account". */
  readonly trail: IConstruct;
  /** Cover classified resources under these scopes only. @default - the whole app */
  readonly coverageScopes?: IConstruct[];
  /** An organization trail covers every account of the app. */
  readonly organizationTrail: boolean;
  /** Buckets the trail writes into (never selected: logging them would feed back). */
  readonly ownBucketNames: string[];
  readonly includeManagementEvents: boolean;
  /**
   * ARNs of resources created outside the app (S3 buckets, DynamoDB tables, Lambda functions)
   * to record as well. Always selected by their exact ARN. @default - none
   */
  readonly existingArns?: string[];
  /** @default MAX_SELECTOR_VALUES */
  readonly maxValues?: number;
}

interface TypeInfo {
  /** CloudTrail `resources.type`. */
  readonly dataType: string;
  readonly label: string;
  /** CloudFormation property holding the physical name. */
  readonly nameProp: string;
  /** S3 objects are matched by `<bucket ARN>/` prefixes; the others by ARN equality. */
  readonly exactByPrefix: boolean;
  /** ARN up to the name, in the resource's stack. */
  arnBase(stack: Stack): string;
  readonly nameSuffix: string;
  readonly howToName: string;
}

const S3_ARN_BASE = `arn:${Aws.PARTITION}:s3:::`;
const S3: TypeInfo = {
  dataType: 'AWS::S3::Object', label: 'S3 objects', nameProp: 'bucketName', exactByPrefix: true, nameSuffix: '/',
  arnBase: () => S3_ARN_BASE, howToName: 'bucketName',
};
const DYNAMODB: TypeInfo = {
  dataType: 'AWS::DynamoDB::Table', label: 'DynamoDB items', nameProp: 'tableName', exactByPrefix: false, nameSuffix: '',
  arnBase: (s) => `arn:${Aws.PARTITION}:dynamodb:${s.region}:${s.account}:table/`, howToName: 'tableName',
};
const LAMBDA: TypeInfo = {
  dataType: 'AWS::Lambda::Function', label: 'Lambda invocations', nameProp: 'functionName', exactByPrefix: false, nameSuffix: '',
  arnBase: (s) => `arn:${Aws.PARTITION}:lambda:${s.region}:${s.account}:function:`, howToName: 'functionName',
};

/** CloudFormation types whose data events CloudTrail records, in selector order. */
const TYPES: Record<string, TypeInfo> = {
  'AWS::S3::Bucket': S3,
  'AWS::DynamoDB::Table': DYNAMODB,
  'AWS::DynamoDB::GlobalTable': DYNAMODB,
  'AWS::Lambda::Function': LAMBDA,
};
const ORDER = [S3, DYNAMODB, LAMBDA];

interface Target {
  readonly cfn: CfnResource;
  readonly name?: string;
  readonly arnBase: string;
  readonly classified?: ClassifiedResource;
}

/** The literal physical name of a resource, if it has one. */
function literalName(cfn: CfnResource, info: TypeInfo): string | undefined {
  const value = (cfn as unknown as Record<string, unknown>)[info.nameProp];
  return typeof value === 'string' && !Token.isUnresolved(value) ? value : undefined;
}

function sameAccount(a: Stack, b: Stack): boolean {
  if (a === b) return true;
  if (Token.isUnresolved(a.account) || Token.isUnresolved(b.account)) return false;
  return a.account === b.account;
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * The shortest prefixes that select every name in `names` and none in `avoid`. Each name's
 * shortest safe prefix is one character longer than its longest common prefix with any name to
 * avoid; any safe prefix of that name extends it, so the deduplicated set is minimal. A name
 * that is itself a prefix of a name to avoid comes back `exact`.
 */
export function aggregatePrefixes(names: string[], avoid: string[], minLength = MIN_AGGREGATION_PREFIX_LENGTH): { prefixes: string[]; exact: string[] } {
  const sortedAvoid = [...new Set(avoid)].sort();
  const exact = new Set<string>();
  const candidates = new Set<string>();
  for (const name of new Set(names)) {
    // Only the sorted neighbours can share the longest prefix with `name`.
    let lo = 0;
    let hi = sortedAvoid.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedAvoid[mid] < name) lo = mid + 1;
      else hi = mid;
    }
    let longest = 0;
    for (const i of [lo - 1, lo]) {
      if (i >= 0 && i < sortedAvoid.length) longest = Math.max(longest, commonPrefixLength(name, sortedAvoid[i]));
    }
    const length = Math.max(longest + 1, minLength);
    if (length > name.length) exact.add(name);
    else candidates.add(name.slice(0, length));
  }
  const prefixes: string[] = [];
  for (const p of [...candidates].sort()) {
    if (prefixes.length === 0 || !p.startsWith(prefixes[prefixes.length - 1])) prefixes.push(p);
  }
  // An exact name already under a prefix needs no value of its own.
  const exactLeft = [...exact].filter((e) => !prefixes.some((p) => e.startsWith(p))).sort();
  return { prefixes, exact: exactLeft };
}

interface TypeChoice {
  readonly info: TypeInfo;
  readonly selection: DataEventSelection;
  readonly selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[];
  readonly values: number;
  readonly covered: Target[];
  /** Selector values of existing resources (outside the app), always exact. */
  readonly existing: string[];
}

function countValues(selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[]): number {
  let n = 0;
  for (const s of selectors) {
    for (const f of s.fieldSelectors as cloudtrail.CfnTrail.AdvancedFieldSelectorProperty[]) {
      n += (f.equalTo?.length ?? 0) + (f.startsWith?.length ?? 0) + (f.endsWith?.length ?? 0);
      n += (f.notEquals?.length ?? 0) + (f.notStartsWith?.length ?? 0) + (f.notEndsWith?.length ?? 0);
    }
  }
  return n;
}

function dataSelector(name: string, info: TypeInfo, arn?: cloudtrail.CfnTrail.AdvancedFieldSelectorProperty): cloudtrail.CfnTrail.AdvancedEventSelectorProperty {
  const fieldSelectors: cloudtrail.CfnTrail.AdvancedFieldSelectorProperty[] = [
    { field: 'eventCategory', equalTo: ['Data'] },
    { field: 'resources.type', equalTo: [info.dataType] },
  ];
  if (arn) fieldSelectors.push(arn);
  return { name, fieldSelectors };
}

/** One value per resource: the ARN (a token when the name is not literal). */
function exactChoice(info: TypeInfo, covered: Target[], existing: string[]): TypeChoice {
  const values = covered.map((t) => (t.name !== undefined ? `${t.arnBase}${t.name}${info.nameSuffix}` : `${t.cfn.getAtt('Arn').toString()}${info.nameSuffix}`));
  values.push(...existing);
  const selector = dataSelector(`${info.label} of classified resources`, info, info.exactByPrefix
    ? { field: 'resources.ARN', startsWith: values }
    : { field: 'resources.ARN', equalTo: values });
  return { info, selection: DataEventSelection.EXACT, selectors: [selector], values: countValues([selector]), covered, existing };
}

function allResourcesChoice(info: TypeInfo, covered: Target[], existing: string[], ownBucketNames: string[]): TypeChoice {
  const exclude = info === S3 && ownBucketNames.length > 0
    ? { field: 'resources.ARN', notStartsWith: ownBucketNames.map((b) => `${S3_ARN_BASE}${b}/`) }
    : undefined;
  const selector = dataSelector(`${info.label}: all (every ${info.label.split(' ')[0]} resource of the account is classified)`, info, exclude);
  return { info, selection: DataEventSelection.ALL_RESOURCES, selectors: [selector], values: countValues([selector]), covered, existing };
}

/** ARN prefixes for literal names (grouped by ARN base), exact ARNs for the rest. */
function prefixChoice(info: TypeInfo, covered: Target[], existing: string[], uncovered: Target[], ownBucketNames: string[]): TypeChoice {
  const startsWith: string[] = [];
  const equalTo: string[] = [];
  const bases = new Map<string, { names: string[]; avoid: string[] }>();
  const tokens: Target[] = [];
  for (const t of covered) {
    if (t.name === undefined) {
      tokens.push(t);
      continue;
    }
    const group = bases.get(t.arnBase) ?? { names: [], avoid: [] };
    group.names.push(t.name);
    bases.set(t.arnBase, group);
  }
  for (const u of uncovered) {
    const group = bases.get(u.arnBase);
    if (group && u.name !== undefined) group.avoid.push(u.name);
  }
  // The trail's own buckets may live elsewhere (the audit account): never select them by prefix.
  if (info === S3) bases.get(S3_ARN_BASE)?.avoid.push(...ownBucketNames);
  for (const [base, { names, avoid }] of bases) {
    const { prefixes, exact } = aggregatePrefixes(names, avoid);
    startsWith.push(...prefixes.map((p) => `${base}${p}`));
    (info.exactByPrefix ? startsWith : equalTo).push(...exact.map((e) => `${base}${e}${info.nameSuffix}`));
  }
  const tokenValues = tokens.map((t) => `${t.cfn.getAtt('Arn').toString()}${info.nameSuffix}`);
  (info.exactByPrefix ? startsWith : equalTo).push(...tokenValues, ...existing);
  const selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] = [];
  if (startsWith.length > 0) selectors.push(dataSelector(`${info.label} of classified resources, by name prefix`, info, { field: 'resources.ARN', startsWith }));
  if (equalTo.length > 0) selectors.push(dataSelector(`${info.label} of classified resources`, info, { field: 'resources.ARN', equalTo }));
  return { info, selection: DataEventSelection.PREFIX, selectors, values: countValues(selectors), covered, existing };
}

/**
 * Plans the advanced event selectors of a data-access trail: every classified resource with
 * `policy.dataEvents` in the trail's account gets its data events (read and write) recorded,
 * nothing else does while the exact selectors fit CloudTrail's 500-value limit. Beyond it, types
 * are aggregated, largest first: all resources of the type when every known one is covered,
 * else name prefixes that avoid every other known name. Throws when even that does not fit.
 */
export function planDataEventSelectors(input: DataEventSelectorPlanInput): DataEventSelectorPlan {
  const maxValues = input.maxValues ?? MAX_SELECTOR_VALUES;
  const trailStack = Stack.of(input.trail);
  const inAccount = (c: IConstruct) => input.organizationTrail || sameAccount(Stack.of(c), trailStack);
  const scopes = input.coverageScopes ?? [input.trail.node.root];
  const classified = new Map<CfnResource, ClassifiedResource>();
  for (const scope of scopes) {
    for (const r of ClassifiedResources.within(scope)) {
      const cfn = r.cfnResource;
      if (cfn && r.policy.dataEvents && inAccount(cfn)) classified.set(cfn, r);
    }
  }

  const covered = new Map<TypeInfo, Target[]>(ORDER.map((i) => [i, []]));
  const uncovered = new Map<TypeInfo, Target[]>(ORDER.map((i) => [i, []]));
  const withoutDataEvents: ClassifiedResource[] = [];
  const excludedOwnBuckets: ClassifiedResource[] = [];
  for (const r of classified.values()) {
    if (!TYPES[r.cfnResource!.cfnResourceType]) withoutDataEvents.push(r);
  }
  // Every resource of a data-event type the app deploys into the trail's account.
  for (const c of input.trail.node.root.node.findAll()) {
    if (!CfnResource.isCfnResource(c)) continue;
    const info = TYPES[c.cfnResourceType];
    if (!info || !inAccount(c)) continue;
    const name = literalName(c, info);
    const target: Target = { cfn: c, name, arnBase: info.arnBase(Stack.of(c)), classified: classified.get(c) };
    if (info === S3 && name !== undefined && input.ownBucketNames.includes(name)) {
      if (target.classified) excludedOwnBuckets.push(target.classified);
      continue;
    }
    (target.classified ? covered : uncovered).get(info)!.push(target);
  }
  const existing = new Map<TypeInfo, string[]>(ORDER.map((i) => [i, []]));
  for (const arn of new Set(input.existingArns ?? [])) {
    const e = existingSelectorValue(arn);
    if (e) existing.get(e.info)!.push(e.value);
  }
  const choices = new Map<TypeInfo, TypeChoice>();
  for (const info of ORDER) {
    if (covered.get(info)!.length > 0 || existing.get(info)!.length > 0) choices.set(info, exactChoice(info, covered.get(info)!, existing.get(info)!));
  }
  const management = input.includeManagementEvents ? 1 : 0;
  const total = () => management + [...choices.values()].reduce((n, c) => n + c.values, 0);
  if (total() > maxValues) {
    const bySize = [...choices.values()].sort((a, b) => b.covered.length - a.covered.length);
    for (const choice of bySize) {
      const info = choice.info;
      // Existing resources alone never widen to the whole type or to guessed prefixes.
      if (choice.covered.length === 0) continue;
      // Own buckets are excluded by NotStartsWith, so they do not block ALL_RESOURCES.
      const candidate = uncovered.get(info)!.length === 0
        ? allResourcesChoice(info, choice.covered, choice.existing, input.ownBucketNames)
        : prefixChoice(info, choice.covered, choice.existing, uncovered.get(info)!, input.ownBucketNames);
      if (candidate.values < choice.values) choices.set(info, candidate);
      if (total() <= maxValues) break;
    }
  }
  const valueCount = total();
  const byValue = (c: TypeChoice) => c.selection !== DataEventSelection.ALL_RESOURCES;
  const importedArns = [...choices.values()].filter(byValue).flatMap((c) => c.covered)
    .filter((t) => t.name === undefined && Stack.of(t.cfn) !== trailStack).map((t) => t.classified!);
  const coveredExistingArns = [...choices.values()].flatMap((c) => (c.existing.length > 0 ? existingArnsOf(c.info, input.existingArns ?? []) : []));
  if (valueCount > maxValues) {
    const detail = [...choices.values()].map((c) => {
      const literal = c.covered.filter((t) => t.name !== undefined).length;
      const others = uncovered.get(c.info)!.length;
      return `${c.info.label}: ${c.covered.length} classified (${literal} with a literal ${c.info.howToName}), ${c.existing.length > 0 ? `${c.existing.length} existing, ` : ''}${others} not covered, ${c.values} values`;
    });
    throw new Error(
      `DataAccessTrail ${input.trail.node.path}: the data-event selectors need ${valueCount} values, more than CloudTrail's limit of ${maxValues} per trail (${detail.join('; ')}). ` +
        'To fix: give the classified resources literal names with a shared prefix (e.g. bucketName \'confidential-…\') so one StartsWith value covers them; ' +
        'or classify every resource of the type in the account so the trail selects the whole type; ' +
        'or split them across trails with DataAccessTrailProps.coverageScopes (at most 5 trails per region).',
    );
  }

  const selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] = [];
  if (input.includeManagementEvents) selectors.push({ name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] });
  for (const c of choices.values()) selectors.push(...c.selectors);
  return {
    advancedEventSelectors: selectors,
    valueCount,
    covered: [...choices.values()].flatMap((c) => c.covered.map((t) => t.classified!)),
    coveredExistingArns,
    withoutDataEvents,
    excludedOwnBuckets,
    importedArns,
    types: [...choices.values()].map((c) => ({ resourceType: c.info.dataType, selection: c.selection, resources: c.covered.length + c.existing.length, values: c.values })),
  };
}

/** The data-event type of an existing resource's ARN, or undefined when CloudTrail records no data events for it. */
export function dataEventTypeOfArn(arn: string): string | undefined {
  return existingSelectorValue(arn)?.info.dataType;
}

/** The selector value of an existing resource: `<bucket ARN>/` for S3, the ARN for tables and functions. */
function existingSelectorValue(arn: string): { info: TypeInfo; value: string } | undefined {
  const m = /^arn:[a-z-]+:(s3|dynamodb|lambda):/.exec(arn);
  if (!m) return undefined;
  if (m[1] === 's3') return /^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(arn) ? { info: S3, value: `${arn}/` } : undefined;
  if (m[1] === 'dynamodb') return /:table\/[A-Za-z0-9_.-]{3,255}$/.test(arn) ? { info: DYNAMODB, value: arn } : undefined;
  return /:function:[A-Za-z0-9_-]{1,64}$/.test(arn) ? { info: LAMBDA, value: arn } : undefined;
}

function existingArnsOf(info: TypeInfo, arns: string[]): string[] {
  return [...new Set(arns)].filter((a) => existingSelectorValue(a)?.info === info);
}

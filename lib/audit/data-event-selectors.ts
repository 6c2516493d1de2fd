import { Aws, CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import { IConstruct } from 'constructs';
import { ClassifiedResource, ClassifiedResources } from '../classification/classify';

/**
 * CloudTrail allows at most this many values across all advanced event selectors of a trail,
 * every value of every condition counting ("Quotas in AWS CloudTrail": advanced event selectors,
 * "a maximum of 500 total values for all conditions in all advanced event selectors"; CloudTrail
 * API Reference, PutEventSelectors: "up to a maximum of 500 values for all conditions and
 * selectors on a trail"). Hence `eventCategory` and `resources.type` values count too.
 *
 * How a field's conditions combine ("Filtering data events by using advanced event selectors",
 * section "How CloudTrail evaluates multiple conditions for a field"): the values of SELECT
 * operators (`Equals`, `StartsWith`, `EndsWith`) are ORed, DESELECT operators (`NotEquals`,
 * `NotStartsWith`, `NotEndsWith`) are ANDed ("if any of the DESELECT operator conditions are
 * met, the event is not delivered"), and both groups are ANDed; the fields of a selector are
 * ANDed and an event is logged when it matches any selector (PutEventSelectors). Any operator
 * may be used on `resources.ARN`, but `Equals` / `NotEquals` values must be the exact ARN of a
 * resource of the selector's `resources.type`; S3 objects are matched by `<bucket ARN>/` with
 * `StartsWith` / `NotStartsWith` (same page, and AdvancedFieldSelector in the API Reference).
 */
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
  /**
   * Every resource of the type except the app's known unrecorded ones in the trail's account
   * (`NotStartsWith` / `NotEquals` on `resources.ARN`) and the trail's own bucket. Used when
   * selecting the recorded resources does not fit and excluding the others does. Resources the
   * app does not know (created outside it, or by another app in the account) are recorded too:
   * more than needed, never less.
   */
  public static readonly EXCLUSION = new DataEventSelection('EXCLUSION');
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
  /** With `EXCLUSION`: the app's resources of the type in the account left out. @default - none */
  readonly excluded?: number;
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
  /**
   * Construct paths of the app's resources in the trail's account that exclusion selectors
   * (`DataEventSelection.EXCLUSION`) leave out: unclassified, or classified without `dataEvents`.
   */
  readonly excluded: string[];
  /**
   * Construct paths of the app's unrecorded resources that exclusion selectors record anyway:
   * generated names in other stacks. Excluding one would take a CloudFormation export of its ARN
   * (at most 200 outputs per template; an export in use blocks replacing or deleting the
   * resource, and couples the stacks' deployment order), so it is recorded instead: more than
   * needed, never less. Literal names avoid it.
   */
  readonly overRecorded: string[];
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
  /**
   * Whether covered resources with generated names in other stacks may be selected by importing
   * their ARNs (a CloudFormation export each). When false, their types are selected by exclusion
   * instead, so the trail's stack depends on no other stack. @default true
   */
  readonly crossStackReferences?: boolean;
  /**
   * Buckets the trail writes into (never selected: logging them would feed back). A token is
   * excluded with `NotStartsWith` wherever a selector could match it.
   */
  readonly ownBucketNames: string[];
  readonly includeManagementEvents: boolean;
  /**
   * ARNs of resources created outside the app (S3 buckets, DynamoDB tables, Lambda functions)
   * to record as well. Always selected by their exact ARN. @default - none
   */
  readonly existingArns?: string[];
  /** @default MAX_SELECTOR_VALUES */
  readonly maxValues?: number;
  /**
   * Also record the S3 objects and DynamoDB tables the app does not define (the stores of the
   * accounts a StackSet baseline protects: they are classified by tag in their own accounts, and
   * selectors cannot match tags): both types are selected by exclusion — every data event but
   * those of the app's unrecorded resources and the trail's own buckets. @default false
   */
  readonly recordUnknownStores?: boolean;
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
  /** Known resources left out by exclusion selectors (EXCLUSION only). */
  readonly excluded: Target[];
  /** Known unrecorded resources exclusion selectors record anyway (EXCLUSION only). */
  readonly overRecorded: Target[];
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

/** The selector value of a target: `<ARN>/` for S3 (`StartsWith`), the ARN otherwise (a token when the name is not literal). */
function targetValue(t: Target, info: TypeInfo): string {
  return t.name !== undefined ? `${t.arnBase}${t.name}${info.nameSuffix}` : `${t.cfn.getAtt('Arn').toString()}${info.nameSuffix}`;
}

/** `NotStartsWith` values excluding the trail's own buckets (names may be tokens). */
function ownBucketExclusions(ownBucketNames: string[]): string[] {
  return ownBucketNames.map((b) => `${S3_ARN_BASE}${b}/`);
}

/** One value per resource: the ARN (a token when the name is not literal). */
function exactChoice(info: TypeInfo, covered: Target[], existing: string[]): TypeChoice {
  const values = covered.map((t) => targetValue(t, info));
  values.push(...existing);
  const selector = dataSelector(`${info.label} of classified resources`, info, info.exactByPrefix
    ? { field: 'resources.ARN', startsWith: values }
    : { field: 'resources.ARN', equalTo: values });
  return { info, selection: DataEventSelection.EXACT, selectors: [selector], values: countValues([selector]), covered, existing, excluded: [], overRecorded: [] };
}

function allResourcesChoice(info: TypeInfo, covered: Target[], existing: string[], ownBucketNames: string[]): TypeChoice {
  const exclude = info === S3 && ownBucketNames.length > 0
    ? { field: 'resources.ARN', notStartsWith: ownBucketExclusions(ownBucketNames) }
    : undefined;
  const selector = dataSelector(`${info.label}: all (every ${info.label.split(' ')[0]} resource of the account is classified)`, info, exclude);
  return { info, selection: DataEventSelection.ALL_RESOURCES, selectors: [selector], values: countValues([selector]), covered, existing, excluded: [], overRecorded: [] };
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
  const ownLiteral = ownBucketNames.filter((b) => !Token.isUnresolved(b));
  if (info === S3) bases.get(S3_ARN_BASE)?.avoid.push(...ownLiteral);
  for (const [base, { names, avoid }] of bases) {
    const { prefixes, exact } = aggregatePrefixes(names, avoid);
    startsWith.push(...prefixes.map((p) => `${base}${p}`));
    (info.exactByPrefix ? startsWith : equalTo).push(...exact.map((e) => `${base}${e}${info.nameSuffix}`));
  }
  const tokenValues = tokens.map((t) => targetValue(t, info));
  (info.exactByPrefix ? startsWith : equalTo).push(...tokenValues, ...existing);
  const selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] = [];
  // An own bucket whose name is a token cannot be avoided by the prefixes: deselect it (DESELECT and SELECT conditions are ANDed).
  const ownTokens = info === S3 ? ownBucketNames.filter((b) => Token.isUnresolved(b)) : [];
  if (startsWith.length > 0) {
    selectors.push(dataSelector(`${info.label} of classified resources, by name prefix`, info, {
      field: 'resources.ARN',
      startsWith,
      ...(ownTokens.length > 0 ? { notStartsWith: ownBucketExclusions(ownTokens) } : {}),
    }));
  }
  if (equalTo.length > 0) selectors.push(dataSelector(`${info.label} of classified resources`, info, { field: 'resources.ARN', equalTo }));
  return { info, selection: DataEventSelection.PREFIX, selectors, values: countValues(selectors), covered, existing, excluded: [], overRecorded: [] };
}

/**
 * Every resource of the type but the known unrecorded ones of the trail's account and the
 * trail's own buckets: `NotStartsWith` (S3, and name prefixes) or `NotEquals` (exact ARNs of
 * tables and functions). Unrecorded literal names are aggregated into the shortest prefixes
 * that match no recorded or existing name, but only when every recorded resource of the type
 * has a literal name: a prefix could otherwise exclude a recorded resource whose name is only
 * known at deploy time. Existing resources need no value: nothing excludes them. Unrecorded
 * resources with generated names in other stacks than the trail's are recorded rather than
 * excluded through an export of their ARN (see `DataEventSelectorPlan.overRecorded`).
 */
function exclusionChoice(
  info: TypeInfo,
  covered: Target[],
  existing: string[],
  uncovered: Target[],
  ownBucketNames: string[],
  existingNames: Map<string, Set<string>>,
  trailStack: Stack,
  exactOnly = false,
): TypeChoice {
  const isOverRecorded = (u: Target) => u.name === undefined && Stack.of(u.cfn) !== trailStack;
  const overRecorded = uncovered.filter(isOverRecorded);
  // A resource both deployed here unrecorded and listed as existing is recorded (over-recording is the safe side).
  const excluded = uncovered.filter((u) => !isOverRecorded(u) && (u.name === undefined || !existingNames.get(u.arnBase)?.has(u.name)));
  if (excluded.length === 0 && overRecorded.length === 0) return allResourcesChoice(info, covered, existing, ownBucketNames);
  const notStartsWith: string[] = [];
  const notEquals: string[] = [];
  const exactValues = info.exactByPrefix ? notStartsWith : notEquals;
  const literal = new Map<string, string[]>();
  const addLiteral = (base: string, name: string) => (literal.get(base) ?? literal.set(base, []).get(base)!).push(name);
  const tokenValues: string[] = [];
  for (const t of excluded) {
    if (t.name === undefined) tokenValues.push(targetValue(t, info));
    else addLiteral(t.arnBase, t.name);
  }
  if (info === S3) {
    for (const own of ownBucketNames) {
      if (Token.isUnresolved(own)) tokenValues.push(`${S3_ARN_BASE}${own}/`);
      else addLiteral(S3_ARN_BASE, own);
    }
  }
  // Names of stores outside the app are unknown: a shortened prefix could exclude them (exactOnly).
  const aggregate = !exactOnly && covered.every((t) => t.name !== undefined);
  for (const [base, names] of literal) {
    if (!aggregate) {
      exactValues.push(...[...new Set(names)].sort().map((n) => `${base}${n}${info.nameSuffix}`));
      continue;
    }
    const avoid = [...covered.filter((t) => t.arnBase === base).map((t) => t.name!), ...(existingNames.get(base) ?? [])];
    const { prefixes, exact } = aggregatePrefixes(names, avoid);
    notStartsWith.push(...prefixes.map((p) => `${base}${p}`));
    exactValues.push(...exact.map((e) => `${base}${e}${info.nameSuffix}`));
  }
  exactValues.push(...tokenValues);
  // A field selector needs at least one condition.
  const selector = dataSelector(`${info.label}: all but the unrecorded resources of the account (exclusion)`, info, notEquals.length + notStartsWith.length === 0 ? undefined : {
    field: 'resources.ARN',
    ...(notEquals.length > 0 ? { notEquals } : {}),
    ...(notStartsWith.length > 0 ? { notStartsWith } : {}),
  });
  return { info, selection: DataEventSelection.EXCLUSION, selectors: [selector], values: countValues([selector]), covered, existing, excluded, overRecorded };
}

/** The construct a user knows a resource by: the L2 whose default child it is, else the L1. */
function displayPath(cfn: CfnResource): string {
  const parent = cfn.node.scope;
  return parent && parent.node.defaultChild === cfn ? parent.node.path : cfn.node.path;
}

/**
 * Plans the advanced event selectors of a data-access trail: every classified resource with
 * `policy.dataEvents` in the trail's account gets its data events (read and write) recorded,
 * nothing else does while the exact selectors fit CloudTrail's 500-value limit. Beyond it, types
 * are aggregated, largest first: all resources of the type when every known one is covered,
 * else name prefixes that avoid every other known name. When selecting the recorded resources
 * still does not fit, types switch to exclusion (all resources of the type but the known
 * unrecorded ones), largest saving first: whichever side needs fewer values. Throws when
 * neither fits.
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
  // Every resource of a data-event type the app deploys into the trail's account (resources of
  // stacks in other accounts are neither selected nor excluded: they are not this trail's).
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
  const existingNames = new Map<string, Set<string>>();
  for (const arn of new Set(input.existingArns ?? [])) {
    const e = existingSelectorValue(arn);
    // The trail's own bucket is never recorded, not even when listed as an existing resource.
    if (!e || (e.info === S3 && input.ownBucketNames.includes(e.name))) continue;
    existing.get(e.info)!.push(e.value);
    existingNames.set(e.base, (existingNames.get(e.base) ?? new Set()).add(e.name));
  }
  const choices = new Map<TypeInfo, TypeChoice>();
  for (const info of ORDER) {
    if (covered.get(info)!.length > 0 || existing.get(info)!.length > 0) choices.set(info, exactChoice(info, covered.get(info)!, existing.get(info)!));
  }
  // Without cross-stack references, a type whose covered resources include generated names in
  // other stacks can only be selected by exclusion (which names the unrecorded ones, never them).
  const fixed = new Set<TypeInfo>();
  if (input.crossStackReferences === false) {
    for (const info of ORDER) {
      const imported = (covered.get(info) ?? []).some((t) => t.name === undefined && Stack.of(t.cfn) !== trailStack);
      if (!imported || !choices.has(info)) continue;
      choices.set(info, exclusionChoice(info, covered.get(info)!, existing.get(info)!, uncovered.get(info)!, input.ownBucketNames, existingNames, trailStack));
      fixed.add(info);
    }
  }
  if (input.recordUnknownStores) {
    for (const info of [S3, DYNAMODB]) {
      choices.set(info, exclusionChoice(info, covered.get(info)!, existing.get(info)!, uncovered.get(info)!, input.ownBucketNames, existingNames, trailStack, true));
      fixed.add(info);
    }
    // Too many exact exclusions: record those stores too (over-recording is the safe side), the own buckets still excluded.
    const known = () => (input.includeManagementEvents ? 1 : 0) + [...choices.values()].reduce((n, c) => n + c.values, 0);
    for (const info of [S3, DYNAMODB]) {
      if (known() > maxValues) choices.set(info, allResourcesChoice(info, covered.get(info)!, existing.get(info)!, input.ownBucketNames));
    }
  }
  const management = input.includeManagementEvents ? 1 : 0;
  const total = () => management + [...choices.values()].reduce((n, c) => n + c.values, 0);
  // Existing resources alone never widen to the whole type, to guessed prefixes or to exclusion.
  const widenable = () => [...choices.values()].filter((c) => c.covered.length > 0 && !fixed.has(c.info));
  const inclusion = new Map<TypeInfo, TypeChoice>();
  if (total() > maxValues) {
    // 1. Select the recorded resources with fewer values (records the least beyond them).
    for (const choice of widenable().sort((a, b) => b.covered.length - a.covered.length)) {
      const info = choice.info;
      // Own buckets are excluded by NotStartsWith, so they do not block ALL_RESOURCES.
      const candidate = uncovered.get(info)!.length === 0
        ? allResourcesChoice(info, choice.covered, choice.existing, input.ownBucketNames)
        : prefixChoice(info, choice.covered, choice.existing, uncovered.get(info)!, input.ownBucketNames);
      if (candidate.values < choice.values) choices.set(info, candidate);
      if (total() <= maxValues) break;
    }
  }
  const exclusion = new Map<TypeInfo, TypeChoice>();
  if (total() > maxValues) {
    // 2. Exclude the unrecorded ones instead, where that needs fewer values: largest saving first.
    for (const c of widenable()) {
      inclusion.set(c.info, c);
      exclusion.set(c.info, exclusionChoice(c.info, c.covered, c.existing, uncovered.get(c.info)!, input.ownBucketNames, existingNames, trailStack));
    }
    const saving = (c: TypeChoice) => c.values - exclusion.get(c.info)!.values;
    for (const choice of widenable().sort((a, b) => saving(b) - saving(a))) {
      if (saving(choice) > 0) choices.set(choice.info, exclusion.get(choice.info)!);
      if (total() <= maxValues) break;
    }
  }
  const valueCount = total();
  if (valueCount > maxValues) {
    const sum = (pick: (c: TypeChoice) => TypeChoice) => management + [...choices.values()].reduce((n, c) => n + pick(c).values, 0);
    const inclusionTotal = sum((c) => inclusion.get(c.info) ?? c);
    const exclusionTotal = sum((c) => exclusion.get(c.info) ?? c);
    const detail = [...choices.values()].map((c) => {
      const literal = c.covered.filter((t) => t.name !== undefined).length;
      const others = uncovered.get(c.info)!;
      const othersLiteral = others.filter((t) => t.name !== undefined).length;
      const byExclusion = exclusion.has(c.info) ? `, ${exclusion.get(c.info)!.values} by exclusion` : '';
      return `${c.info.label}: ${c.covered.length} classified (${literal} with a literal ${c.info.howToName}), ${c.existing.length > 0 ? `${c.existing.length} existing, ` : ''}` +
        `${others.length} not covered${others.length > 0 ? ` (${othersLiteral} with a literal ${c.info.howToName})` : ''}, ${(inclusion.get(c.info) ?? c).values} values${byExclusion}`;
    });
    throw new Error(
      `DataAccessTrail ${input.trail.node.path}: the data-event selectors need ${valueCount} values, more than CloudTrail's limit of ${maxValues} per trail ` +
        `(${inclusionTotal} selecting the recorded resources, ${exclusionTotal} excluding the unrecorded ones; ${detail.join('; ')}). ` +
        'To fix: give the classified resources literal names with a shared prefix (e.g. bucketName \'confidential-…\') so one StartsWith value covers them; ' +
        'or give the unrecorded ones (unclassified, or below CONFIDENTIAL) literal names with a shared prefix (e.g. \'internal-…\'), and the classified ones literal names, so one NotStartsWith value excludes them; ' +
        'or classify every resource of the type in the account so the trail selects the whole type; ' +
        'or split them across trails with DataAccessTrailProps.coverageScopes (at most 5 trails per region).',
    );
  }

  const selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] = [];
  if (input.includeManagementEvents) selectors.push({ name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] });
  for (const c of choices.values()) selectors.push(...c.selectors);
  const otherStack = (t: Target) => t.name === undefined && Stack.of(t.cfn) !== trailStack;
  const byValue = (c: TypeChoice) => c.selection === DataEventSelection.EXACT || c.selection === DataEventSelection.PREFIX;
  const excluded = [...choices.values()].flatMap((c) => c.excluded);
  return {
    advancedEventSelectors: selectors,
    valueCount,
    covered: [...choices.values()].flatMap((c) => c.covered.map((t) => t.classified!)),
    coveredExistingArns: [...choices.values()].flatMap((c) => (c.existing.length > 0 ? existingArnsOf(c.info, input.existingArns ?? [], input.ownBucketNames) : [])),
    withoutDataEvents,
    excludedOwnBuckets,
    importedArns: [...choices.values()].filter(byValue).flatMap((c) => c.covered).filter(otherStack).map((t) => t.classified!),
    excluded: excluded.map((t) => displayPath(t.cfn)),
    overRecorded: [...choices.values()].flatMap((c) => c.overRecorded).map((t) => displayPath(t.cfn)),
    types: [...choices.values()].map((c) => ({
      resourceType: c.info.dataType,
      selection: c.selection,
      resources: c.covered.length + c.existing.length,
      values: c.values,
      ...(c.selection === DataEventSelection.EXCLUSION ? { excluded: c.excluded.length } : {}),
    })),
  };
}

/** The data-event type of an existing resource's ARN, or undefined when CloudTrail records no data events for it. */
export function dataEventTypeOfArn(arn: string): string | undefined {
  return existingSelectorValue(arn)?.info.dataType;
}

/**
 * The selector value of an existing resource (`<bucket ARN>/` for S3, the ARN for tables and
 * functions), and its name under the ARN base the app's resources of the same account and region
 * have, so exclusion prefixes can avoid it.
 */
function existingSelectorValue(arn: string): { info: TypeInfo; value: string; base: string; name: string } | undefined {
  const m = /^arn:[a-z-]+:(s3|dynamodb|lambda):([a-z0-9-]*):([0-9]*):/.exec(arn);
  if (!m) return undefined;
  const [, service, region, account] = m;
  if (service === 's3') {
    return /^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(arn) ? { info: S3, value: `${arn}/`, base: S3_ARN_BASE, name: arn.slice(arn.indexOf(':::') + 3) } : undefined;
  }
  if (service === 'dynamodb') {
    const name = /:table\/([A-Za-z0-9_.-]{3,255})$/.exec(arn)?.[1];
    return name ? { info: DYNAMODB, value: arn, base: `arn:${Aws.PARTITION}:dynamodb:${region}:${account}:table/`, name } : undefined;
  }
  const name = /:function:([A-Za-z0-9_-]{1,64})$/.exec(arn)?.[1];
  return name ? { info: LAMBDA, value: arn, base: `arn:${Aws.PARTITION}:lambda:${region}:${account}:function:`, name } : undefined;
}

function existingArnsOf(info: TypeInfo, arns: string[], ownBucketNames: string[]): string[] {
  return [...new Set(arns)].filter((a) => {
    const e = existingSelectorValue(a);
    return e?.info === info && !(info === S3 && ownBucketNames.includes(e.name));
  });
}

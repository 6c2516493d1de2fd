import { App, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { aggregatePrefixes, DataAccessTrail, DataEventSelection, MAX_SELECTOR_VALUES, planDataEventSelectors } from '../../lib/audit';
import { classify, DataClassification } from '../../lib/classification';
import { CONTROLS, controlsOf } from '../../lib/core';
import { ARCHIVE, auditKey, DATA_ACCOUNT, dataStack, EventSelector, OTHER_DATA_ACCOUNT, planSelectors, recordsDataEvent, REGION, selectorsOf, valueCount } from './fixtures';

const pad = (i: number) => String(i).padStart(4, '0');

/** `count` L1 buckets spread over stacks of 250 (CloudFormation allows 500 resources per template). */
function bucketsInStacks(app: App, group: string, count: number, name: (i: number) => string | undefined, level: DataClassification | undefined) {
  const buckets: s3.CfnBucket[] = [];
  for (let i = 0; i < count; i++) {
    const stackId = `${group}${Math.floor(i / 250)}`;
    const stack = (app.node.tryFindChild(stackId) as Stack | undefined) ?? dataStack(app, stackId);
    const bucket = new s3.CfnBucket(stack, `Bucket${pad(i)}`, { bucketName: name(i) });
    if (level) classify(bucket, level);
    buckets.push(bucket);
  }
  return buckets;
}

function trailIn(app: App) {
  const stack = dataStack(app, 'Audit');
  const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE });
  return { stack, trail };
}

/** Whether the trail records data events on an S3 object, as CloudTrail matches its selectors. */
function s3Matches(selectors: EventSelector[], objectArn: string): boolean {
  return recordsDataEvent(selectors, 'AWS::S3::Object', objectArn);
}

describe('aggregatePrefixes', () => {
  test('shortest prefixes that avoid every other name', () => {
    expect(aggregatePrefixes(['hr-conf-a', 'hr-conf-b', 'hr-secret-1'], ['hr-public'])).toEqual({ prefixes: ['hr-c', 'hr-s'], exact: [] });
    expect(aggregatePrefixes(['fin-1', 'fin-2', 'hr-1'], [])).toEqual({ prefixes: ['fin', 'hr-'], exact: [] });
  });

  test('a name that is a prefix of an avoided name stays exact', () => {
    expect(aggregatePrefixes(['data', 'data-conf-1'], ['data-public'])).toEqual({ prefixes: ['data-c'], exact: ['data'] });
  });

  test('never shorter than the minimum length', () => {
    expect(aggregatePrefixes(['a1', 'abc-1', 'abc-2'], [], 3)).toEqual({ prefixes: ['abc'], exact: ['a1'] });
  });
});

describe('selectors at scale', () => {
  test('400 classified buckets with generated names: one exact value each, within the limit', () => {
    const app = new App();
    const buckets = bucketsInStacks(app, 'Conf', 400, () => undefined, DataClassification.CONFIDENTIAL);
    bucketsInStacks(app, 'Other', 10, () => undefined, undefined);
    const { stack, trail } = trailIn(app);
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(valueCount(selectors)).toBe(1 + 2 + 400);
    expect(trail.selectorPlan().types).toEqual([{ resourceType: 'AWS::S3::Object', selection: DataEventSelection.EXACT, resources: 400, values: 402 }]);
    for (const b of buckets) expect(controlsOf(b)).toContainEqual(expect.objectContaining({ control: CONTROLS.DATA_EVENTS }));
    // Generated names in other stacks become exports: the trail says so.
    Annotations.fromStack(stack).hasWarning('/Audit/Trail', Match.stringLikeRegexp('400 covered resources in other stacks have generated names'));
  });

  test('1,000 classified buckets named by convention: aggregated into name prefixes that select every one and no other bucket', () => {
    const app = new App();
    const conf = bucketsInStacks(app, 'Hr', 500, (i) => `hr-confidential-${pad(i)}`, DataClassification.CONFIDENTIAL);
    const secret = bucketsInStacks(app, 'Fin', 500, (i) => `fin-secret-${pad(i)}`, DataClassification.HIGHLY_SENSITIVE);
    const others = bucketsInStacks(app, 'Other', 100, (i) => (i % 2 ? `hr-public-${pad(i)}` : `fin-reports-${pad(i)}`), undefined);
    const { stack, trail } = trailIn(app);
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(valueCount(selectors)).toBeLessThanOrEqual(MAX_SELECTOR_VALUES);
    expect(valueCount(selectors)).toBe(1 + 2 + 2);
    expect(selectors[1].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::fin-s', 'arn:aws:s3:::hr-c'] });
    for (const b of [...conf, ...secret]) expect(s3Matches(selectors, `arn:aws:s3:::${b.bucketName}/key`)).toBe(true);
    for (const b of others) expect(s3Matches(selectors, `arn:aws:s3:::${b.bucketName}/key`)).toBe(false);
    expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/AWSLogs/x`)).toBe(false);
    expect(trail.coveredResources()).toHaveLength(1000);
    expect(trail.selectorPlan().types[0].selection).toBe(DataEventSelection.PREFIX);
  });

  test('1,000 classified buckets with generated names, every bucket of the account classified: all S3 objects but the trail\'s own bucket', () => {
    const app = new App();
    bucketsInStacks(app, 'Conf', 1000, () => undefined, DataClassification.CONFIDENTIAL);
    const { stack, trail } = trailIn(app);
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(selectors[1].FieldSelectors).toEqual([
      { Field: 'eventCategory', Equals: ['Data'] },
      { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
      { Field: 'resources.ARN', NotStartsWith: [`arn:aws:s3:::${ARCHIVE}/`] },
    ]);
    expect(valueCount(selectors)).toBe(4);
    expect(trail.selectorPlan().types[0]).toEqual({ resourceType: 'AWS::S3::Object', selection: DataEventSelection.ALL_RESOURCES, resources: 1000, values: 3 });
    expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/AWSLogs/x`)).toBe(false);
  });

  test('1,000 classified tables and 600 buckets: each type aggregated as needed, largest first', () => {
    const app = new App();
    for (let s = 0; s < 4; s++) {
      const stack = dataStack(app, `Tables${s}`);
      for (let i = 0; i < 250; i++) {
        const table = new dynamodb.CfnTable(stack, `T${pad(i)}`, {
          tableName: `crm-${s}-${pad(i)}`,
          keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
          attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
        });
        classify(table, DataClassification.CONFIDENTIAL);
      }
    }
    new dynamodb.CfnTable(dataStack(app, 'Cache'), 'Cache', {
      tableName: 'crm-cache',
      keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
    });
    bucketsInStacks(app, 'Docs', 300, (i) => `docs-${pad(i)}`, DataClassification.CONFIDENTIAL);
    bucketsInStacks(app, 'Conf', 300, () => undefined, DataClassification.CONFIDENTIAL);
    bucketsInStacks(app, 'Other', 5, () => undefined, undefined);
    const { stack, trail } = trailIn(app);
    const selectors = selectorsOf(Template.fromStack(stack));
    expect(valueCount(selectors)).toBeLessThanOrEqual(MAX_SELECTOR_VALUES);
    const ddb = selectors.find((s) => s.Name.startsWith('DynamoDB'))!;
    // 'crm-c' would also select crm-cache: the prefixes stop one character after it.
    expect(ddb.FieldSelectors[2].StartsWith).toEqual([0, 1, 2, 3].map((s) => `arn:aws:dynamodb:eu-west-1:222222222222:table/crm-${s}`));
    expect(trail.coveredResources()).toHaveLength(1600);
  });

  test('selectors that fit neither way fail at synth, naming the counts of both sides and the fixes', () => {
    const app = new App();
    // Generated names for the 600 classified: no prefix can select them, nor exclude the 600 others without risking them.
    bucketsInStacks(app, 'Conf', 600, () => undefined, DataClassification.CONFIDENTIAL);
    bucketsInStacks(app, 'Other', 600, (i) => `scratch-${pad(i)}`, undefined);
    trailIn(app);
    expect(() => app.synth()).toThrow(
      'the data-event selectors need 603 values, more than CloudTrail\'s limit of 500 per trail (603 selecting the recorded resources, 604 excluding the unrecorded ones; ' +
        'S3 objects: 600 classified (0 with a literal bucketName), 600 not covered (600 with a literal bucketName), 602 values, 603 by exclusion). ' +
        'To fix: give the classified resources literal names with a shared prefix (e.g. bucketName \'confidential-…\') so one StartsWith value covers them; ' +
        'or give the unrecorded ones (unclassified, or below CONFIDENTIAL) literal names with a shared prefix (e.g. \'internal-…\'), and the classified ones literal names, so one NotStartsWith value excludes them; ' +
        'or classify every resource of the type in the account so the trail selects the whole type; ' +
        'or split them across trails with DataAccessTrailProps.coverageScopes (at most 5 trails per region).',
    );
  });

  test('coverageScopes splits a large account across trails', () => {
    const app = new App();
    bucketsInStacks(app, 'Conf', 600, () => undefined, DataClassification.CONFIDENTIAL);
    bucketsInStacks(app, 'Other', 1, () => undefined, undefined);
    const stack = dataStack(app, 'Audit');
    const key = auditKey(stack);
    const first = new DataAccessTrail(stack, 'TrailA', { encryptionKey: key, archiveBucketName: ARCHIVE, trailName: 'data-access-a', coverageScopes: [app.node.findChild('Conf0')] });
    const second = new DataAccessTrail(stack, 'TrailB', {
      encryptionKey: key, archiveBucketName: ARCHIVE, trailName: 'data-access-b', includeManagementEvents: false,
      coverageScopes: [app.node.findChild('Conf1'), app.node.findChild('Conf2')],
    });
    app.synth();
    expect(first.selectorPlan().valueCount).toBe(1 + 2 + 250);
    expect(second.selectorPlan().valueCount).toBe(2 + 350);
  });
});

/** Seeded pseudo-random numbers (mulberry32): the same "random" names on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct names of 12 random letters and digits: no naming convention at all. */
function randomNames(count: number, seed: number): string[] {
  const next = seeded(seed);
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const names = new Set<string>();
  while (names.size < count) names.add(Array.from({ length: 12 }, () => chars[Math.floor(next() * chars.length)]).join(''));
  return [...names];
}

interface Store {
  readonly cfn: CfnResource;
  readonly type: 'AWS::S3::Object' | 'AWS::DynamoDB::Table';
  readonly name: string;
  /** The data-event ARN CloudTrail matches: an object in the bucket, or the table. */
  readonly arn: string;
  /** Classified with `dataEvents` (CONFIDENTIAL and above). */
  readonly recorded: boolean;
}

/**
 * Data stores of an account as L1s, 250 per stack: a bucket or a table (a `TableV2`'s
 * `AWS::DynamoDB::GlobalTable` every other one) per name, classified at the given level.
 */
function storesIn(app: App, group: string, specs: Array<{ kind: 's3' | 'ddb'; name: string; level?: DataClassification }>, account = DATA_ACCOUNT): Store[] {
  return specs.map(({ kind, name, level }, i) => {
    const stackId = `${group}${Math.floor(i / 250)}`;
    const stack = (app.node.tryFindChild(stackId) as Stack | undefined) ?? dataStack(app, stackId, account);
    const keys = { keySchema: [{ attributeName: 'id', keyType: 'HASH' }], attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }] };
    const cfn = kind === 's3'
      ? new s3.CfnBucket(stack, `S${pad(i)}`, { bucketName: name })
      : i % 2
        ? new dynamodb.CfnGlobalTable(stack, `T${pad(i)}`, { tableName: name, ...keys, billingMode: 'PAY_PER_REQUEST', replicas: [{ region: REGION }] })
        : new dynamodb.CfnTable(stack, `T${pad(i)}`, { tableName: name, ...keys });
    if (level) classify(cfn, level);
    return {
      cfn,
      type: kind === 's3' ? 'AWS::S3::Object' : 'AWS::DynamoDB::Table',
      name,
      arn: kind === 's3' ? `arn:aws:s3:::${name}/reports/2024/q1.csv` : `arn:aws:dynamodb:${REGION}:${account}:table/${name}`,
      recorded: level !== undefined && level.isAtLeast(DataClassification.CONFIDENTIAL),
    };
  });
}

/** The stores whose data events the selectors record, as CloudTrail matches them, against those that should be. */
function recordedSets(selectors: EventSelector[], stores: Store[]) {
  return {
    recorded: stores.filter((s) => recordsDataEvent(selectors, s.type, s.arn)).map((s) => s.name),
    expected: stores.filter((s) => s.recorded).map((s) => s.name),
  };
}

/** Resources the app does not know: created outside CDK, or by another app in the account. */
const UNKNOWN = { bucket: 'arn:aws:s3:::created-outside-cdk/exports/all.csv', table: `arn:aws:dynamodb:${REGION}:${DATA_ACCOUNT}:table/created-outside-cdk` };

describe('exclusion selectors', () => {
  test('1,000 stores, a third INTERNAL, names sharing one prefix: the unrecorded third is excluded within 500 values (DataAccessTrail synth)', () => {
    const app = new App();
    const stores = storesIn(app, 'Data', Array.from({ length: 1000 }, (_, i) => ({
      kind: i < 500 ? 's3' as const : 'ddb' as const,
      name: `data-${pad(i)}`,
      level: i % 3 === 0 ? DataClassification.INTERNAL : i % 2 ? DataClassification.CONFIDENTIAL : DataClassification.HIGHLY_SENSITIVE,
    })));
    // Another account's stores in the same app are not this trail's: neither selected nor excluded.
    storesIn(app, 'OtherAccount', Array.from({ length: 100 }, (_, i) => ({ kind: i % 2 ? 's3' as const : 'ddb' as const, name: `data-other-${pad(i)}`, level: DataClassification.INTERNAL })), OTHER_DATA_ACCOUNT);
    const { stack, trail } = trailIn(app);
    const selectors = selectorsOf(Template.fromStack(stack));

    // Selecting the 666 recorded stores needs 671 values; excluding the 334 others (and the trail's bucket) needs 340.
    expect(valueCount(selectors)).toBe(1 + (2 + 167 + 1) + (2 + 167));
    expect(trail.selectorPlan().types).toEqual([
      { resourceType: 'AWS::S3::Object', selection: DataEventSelection.EXCLUSION, resources: 333, values: 170, excluded: 167 },
      { resourceType: 'AWS::DynamoDB::Table', selection: DataEventSelection.EXCLUSION, resources: 333, values: 169, excluded: 167 },
    ]);
    expect(selectors.slice(1).map((s) => s.FieldSelectors.slice(0, 2))).toEqual([
      [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }],
      [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] }],
    ]);
    const { recorded, expected } = recordedSets(selectors, stores);
    expect(expected).toHaveLength(666);
    expect(recorded).toEqual(expected);
    expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/data-access/AWSLogs/${DATA_ACCOUNT}/CloudTrail/x.json.gz`)).toBe(false);
    // The other account's stores cost no value and appear nowhere.
    expect(JSON.stringify(selectors)).not.toMatch(/data-other|555555555555/);
    expect(trail.selectorPlan().excluded).toHaveLength(334);
    // The trade-off: what the app does not know is recorded.
    expect(recordsDataEvent(selectors, 'AWS::S3::Object', UNKNOWN.bucket)).toBe(true);
    expect(recordsDataEvent(selectors, 'AWS::DynamoDB::Table', UNKNOWN.table)).toBe(true);
    for (const s of stores.filter((x) => x.recorded)) expect(controlsOf(s.cfn)).toContainEqual(expect.objectContaining({ control: CONTROLS.DATA_EVENTS }));
    for (const s of stores.filter((x) => !x.recorded)) expect(controlsOf(s.cfn).filter((c) => c.control === CONTROLS.DATA_EVENTS)).toEqual([]);
    Annotations.fromStack(stack).hasInfo('/Audit/Trail', Match.stringLikeRegexp(
      "AWS::S3::Object data events are selected by exclusion \\(170 values\\): every resource of the type in the account except the app's 167 unrecorded ones and the trail's own bucket, so resources created outside this app are recorded too",
    ));
  });

  describe('5,000 stores with random names', () => {
    let app: App;
    let app2: App;
    let stores: Store[];
    let stores2: Store[];
    beforeAll(() => {
      const names = randomNames(5000, 16);
      const next = seeded(3);
      // 4,700 recorded and 300 not, at random, in the same account as the trail.
      const unrecorded = new Set<number>();
      while (unrecorded.size < 300) unrecorded.add(Math.floor(next() * 5000));
      app = new App();
      stores = storesIn(app, 'Random', names.map((name, i) => ({
        kind: i % 2 ? 's3' as const : 'ddb' as const,
        name,
        level: unrecorded.has(i) ? (i % 3 ? DataClassification.INTERNAL : undefined) : DataClassification.CONFIDENTIAL,
      })));
      // The mirror image in a second app: 300 recorded, 4,700 not.
      app2 = new App();
      stores2 = storesIn(app2, 'Random', names.map((name, i) => ({
        kind: i % 2 ? 's3' as const : 'ddb' as const,
        name,
        level: unrecorded.has(i) ? DataClassification.HIGHLY_SENSITIVE : (i % 3 ? DataClassification.PUBLIC : undefined),
      })));
    });
    const planFor = (a: App, maxValues?: number) => {
      const stack = (a.node.tryFindChild('Audit') as Stack | undefined) ?? dataStack(a, 'Audit');
      const trail = (stack.node.tryFindChild('Trail') as CfnParameter | undefined) ?? new CfnParameter(stack, 'Trail');
      const plan = planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: true, maxValues });
      return { plan, selectors: planSelectors(stack, plan.advancedEventSelectors) };
    };

    test('4,700 recorded, 300 not: the 300 are excluded, every recorded store is recorded and no other store of the app', () => {
      const { plan, selectors } = planFor(app);
      expect(plan.types.map((t) => t.selection)).toEqual([DataEventSelection.EXCLUSION, DataEventSelection.EXCLUSION]);
      // At most one value per unrecorded store (random names can still share a prefix), plus the trail's bucket.
      expect(plan.valueCount).toBe(valueCount(selectors));
      expect(plan.valueCount).toBeLessThanOrEqual(1 + 2 * 2 + 300 + 1);
      const { recorded, expected } = recordedSets(selectors, stores);
      expect(expected).toHaveLength(4700);
      expect(recorded).toEqual(expected);
      expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/data-access/x`)).toBe(false);
      expect(recordsDataEvent(selectors, 'AWS::S3::Object', UNKNOWN.bucket)).toBe(true);
      // Fits whenever that side fits: exactly at the limit it passes, one value below no side fits.
      expect(planFor(app, plan.valueCount).plan.valueCount).toBe(plan.valueCount);
      expect(() => planFor(app, plan.valueCount - 1)).toThrow(/excluding the unrecorded ones/);
    });

    test('300 recorded, 4,700 not: the 300 are selected, one value each, nothing else recorded', () => {
      const { plan, selectors } = planFor(app2);
      expect(plan.types.map((t) => t.selection)).toEqual([DataEventSelection.EXACT, DataEventSelection.EXACT]);
      expect(plan.valueCount).toBe(1 + 2 * 2 + 300);
      const { recorded, expected } = recordedSets(selectors, stores2);
      expect(expected).toHaveLength(300);
      expect(recorded).toEqual(expected);
      expect(recordsDataEvent(selectors, 'AWS::S3::Object', UNKNOWN.bucket)).toBe(false);
    });
  });

  describe('unrecorded names with a shared prefix', () => {
    const recordedNames = randomNames(600, 7);
    const existingArns = ['arn:aws:s3:::scratch-keep'];
    let app: App;
    let stack: Stack;
    let stores: Store[];
    beforeAll(() => {
      app = new App();
      stores = storesIn(app, 'Mixed', [
        ...recordedNames.map((name) => ({ kind: 's3' as const, name, level: DataClassification.CONFIDENTIAL })),
        ...Array.from({ length: 600 }, (_, i) => ({ kind: 's3' as const, name: `scratch-${pad(i)}` })),
      ]);
      stack = dataStack(app, 'Audit');
    });
    const plan = () => planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: true, existingArns });

    test('are excluded by prefix, avoiding every recorded and existing name', () => {
      const p = plan();
      const selectors = planSelectors(stack, p.advancedEventSelectors);
      expect(p.types).toEqual([{ resourceType: 'AWS::S3::Object', selection: DataEventSelection.EXCLUSION, resources: 601, values: 4, excluded: 600 }]);
      // 'scratch-' would exclude the existing scratch-keep: the prefix stops one character after it.
      expect(selectors[1].FieldSelectors[2].NotStartsWith).toContain('arn:aws:s3:::scratch-0');
      expect(recordedSets(selectors, stores).recorded).toEqual(recordedNames);
      expect(s3Matches(selectors, 'arn:aws:s3:::scratch-keep/ledger.csv')).toBe(true);
      expect(s3Matches(selectors, `arn:aws:s3:::${ARCHIVE}/data-access/x`)).toBe(false);
    });

    test('but exactly once a recorded bucket has a generated name (a prefix could exclude it)', () => {
      const late = new s3.CfnBucket(app.node.findChild('Mixed0') as Stack, 'Generated');
      classify(late, DataClassification.CONFIDENTIAL);
      try {
        expect(plan).toThrow(/S3 objects: 601 classified \(600 with a literal bucketName\), 1 existing, 600 not covered \(600 with a literal bucketName\), \d+ values, 603 by exclusion/);
      } finally {
        late.node.scope!.node.tryRemoveChild(late.node.id);
      }
    });
  });

  test('unrecorded resources with generated names in other stacks are recorded rather than imported: a selector without ARN condition', () => {
    const app = new App();
    const tables = dataStack(app, 'Tables');
    const keys = { keySchema: [{ attributeName: 'id', keyType: 'HASH' }], attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }] };
    for (let i = 0; i < 5; i++) classify(new dynamodb.CfnTable(tables, `Conf${i}`, keys), DataClassification.CONFIDENTIAL);
    new dynamodb.CfnTable(tables, 'Cache', keys);
    const stack = dataStack(app, 'Audit');
    const plan = planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: false, maxValues: 4 });
    expect(plan.types).toEqual([{ resourceType: 'AWS::DynamoDB::Table', selection: DataEventSelection.EXCLUSION, resources: 5, values: 2, excluded: 0 }]);
    expect(planSelectors(stack, plan.advancedEventSelectors)[0].FieldSelectors).toEqual([
      { Field: 'eventCategory', Equals: ['Data'] },
      { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
    ]);
    expect(plan.overRecorded).toEqual(['Tables/Cache']);
    expect(plan.excluded).toEqual([]);
  });

  test("the trail's bucket is deselected by every selector that could match it when its name is known only at deploy time", () => {
    const app = new App();
    const stores = storesIn(app, 'Data', [
      ...['conf-a', 'conf-b', 'conf-c', 'conf-d', 'hr-1', 'fin-1'].map((name) => ({ kind: 's3' as const, name, level: DataClassification.CONFIDENTIAL })),
      { kind: 's3', name: 'public-site' },
    ]);
    const stack = dataStack(app, 'Audit');
    const archive = new CfnParameter(stack, 'ArchiveBucketName').valueAsString;
    const own = 'arn:aws:s3:::{Ref:ArchiveBucketName}/';
    const planWith = (maxValues: number) => {
      const p = planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [archive], includeManagementEvents: false, maxValues });
      const selectors = planSelectors(stack, p.advancedEventSelectors);
      expect(s3Matches(selectors, `${own}data-access/AWSLogs/x.json.gz`)).toBe(false);
      expect(recordedSets(selectors, stores).recorded).toEqual(['conf-a', 'conf-b', 'conf-c', 'conf-d', 'hr-1', 'fin-1']);
      return { selection: p.types[0].selection, arn: selectors[0].FieldSelectors[2] };
    };
    // Exact values (8) cannot match it; prefixes (6) and exclusions (4) deselect it.
    expect(planWith(8).selection).toBe(DataEventSelection.EXACT);
    expect(planWith(6)).toEqual({ selection: DataEventSelection.PREFIX, arn: { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::con', 'arn:aws:s3:::fin', 'arn:aws:s3:::hr-'], NotStartsWith: [own] } });
    expect(planWith(4)).toEqual({ selection: DataEventSelection.EXCLUSION, arn: { Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::pub', own] } });
    // Every bucket classified: the whole type but the archive.
    stores[6].cfn.node.scope!.node.tryRemoveChild(stores[6].cfn.node.id);
    const all = planDataEventSelectors({ trail: stack, organizationTrail: false, ownBucketNames: [archive], includeManagementEvents: false, maxValues: 4 });
    expect(all.types[0].selection).toBe(DataEventSelection.ALL_RESOURCES);
    expect(planSelectors(stack, all.advancedEventSelectors)[0].FieldSelectors[2]).toEqual({ Field: 'resources.ARN', NotStartsWith: [own] });
  });
});

import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { aggregatePrefixes, DataAccessTrail, DataEventSelection, MAX_SELECTOR_VALUES } from '../../lib/audit';
import { classify, DataClassification } from '../../lib/classification';
import { CONTROLS, controlsOf } from '../../lib/core';
import { ARCHIVE, auditKey, dataStack, selectorsOf, valueCount } from './fixtures';

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

/** Whether a concrete S3 object ARN matches the trail's S3 selectors (StartsWith / NotStartsWith). */
function s3Matches(selectors: ReturnType<typeof selectorsOf>, objectArn: string): boolean {
  return selectors
    .filter((s) => s.FieldSelectors.some((f) => f.Field === 'resources.type' && f.Equals?.includes('AWS::S3::Object')))
    .some((s) => {
      const arn = s.FieldSelectors.find((f) => f.Field === 'resources.ARN');
      if (!arn) return true;
      if (arn.StartsWith) return arn.StartsWith.some((p) => objectArn.startsWith(p));
      if (arn.NotStartsWith) return !arn.NotStartsWith.some((p) => objectArn.startsWith(p));
      return false;
    });
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

  test('selectors that cannot fit fail at synth, saying how to fix it', () => {
    const app = new App();
    bucketsInStacks(app, 'Conf', 600, () => undefined, DataClassification.CONFIDENTIAL);
    bucketsInStacks(app, 'Other', 1, () => undefined, undefined);
    trailIn(app);
    expect(() => app.synth()).toThrow(
      /the data-event selectors need 603 values, more than CloudTrail's limit of 500 per trail \(S3 objects: 600 classified \(0 with a literal bucketName\), 1 not covered, 602 values\)\. To fix: give the classified resources literal names with a shared prefix/,
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

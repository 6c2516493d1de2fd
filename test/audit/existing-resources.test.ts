import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataAccessTrail, MAX_SELECTOR_VALUES, planDataEventSelectors } from '../../lib/audit';
import { classify, DataClassification } from '../../lib/classification';
import { ARCHIVE, auditKey, dataStack, selectorsOf } from './fixtures';

const LEDGER_BUCKET = 'arn:aws:s3:::finance-ledger-legacy';
const ORDERS_TABLE = 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders-legacy';
const EXPORT_FUNCTION = 'arn:aws:lambda:eu-west-1:222222222222:function:legacy-export';

function trailWith(existing: Array<{ resourceArn: string; classification: DataClassification }>, classifiedBucket = true) {
  const app = new App();
  const stack = dataStack(app);
  if (classifiedBucket) classify(new s3.Bucket(stack, 'Documents', { bucketName: 'hr-documents' }), DataClassification.CONFIDENTIAL);
  const trail = new DataAccessTrail(stack, 'Trail', { encryptionKey: auditKey(stack), archiveBucketName: ARCHIVE, existingResources: existing });
  return { app, stack, trail };
}

describe('DataAccessTrail existing resources', () => {
  test('records data events of existing buckets, tables and functions by exact ARN, next to classified resources', () => {
    const { stack, trail } = trailWith([
      { resourceArn: LEDGER_BUCKET, classification: DataClassification.HIGHLY_SENSITIVE },
      { resourceArn: ORDERS_TABLE, classification: DataClassification.CONFIDENTIAL },
      { resourceArn: EXPORT_FUNCTION, classification: DataClassification.CONFIDENTIAL },
    ]);
    const byType = Object.fromEntries(
      selectorsOf(Template.fromStack(stack)).filter((s) => s.Name !== 'Management events').map((s) => [s.FieldSelectors[1].Equals![0], s.FieldSelectors[2]]),
    );
    expect(byType).toEqual({
      'AWS::S3::Object': { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::hr-documents/', `${LEDGER_BUCKET}/`] },
      'AWS::DynamoDB::Table': { Field: 'resources.ARN', Equals: [ORDERS_TABLE] },
      'AWS::Lambda::Function': { Field: 'resources.ARN', Equals: [EXPORT_FUNCTION] },
    });
    expect(trail.coveredExistingResources().sort()).toEqual([ORDERS_TABLE, EXPORT_FUNCTION, LEDGER_BUCKET].sort());
  });

  test('addExistingResources works after construction (the trail protect() creates) and ignores duplicates', () => {
    const { stack, trail } = trailWith([], false);
    trail.addExistingResources({ resourceArn: ORDERS_TABLE, classification: DataClassification.CONFIDENTIAL });
    trail.addExistingResources({ resourceArn: ORDERS_TABLE, classification: DataClassification.CONFIDENTIAL });
    const dynamo = selectorsOf(Template.fromStack(stack)).find((s) => s.FieldSelectors[1]?.Equals?.[0] === 'AWS::DynamoDB::Table');
    expect(dynamo!.FieldSelectors[2]).toEqual({ Field: 'resources.ARN', Equals: [ORDERS_TABLE] });
  });

  test('levels without data events and types without data events are noted, not selected', () => {
    const { stack, trail } = trailWith(
      [
        { resourceArn: 'arn:aws:s3:::internal-wiki', classification: DataClassification.INTERNAL },
        { resourceArn: 'arn:aws:rds:eu-west-1:222222222222:cluster:billing', classification: DataClassification.HIGHLY_SENSITIVE },
      ],
      false,
    );
    expect(trail.coveredExistingResources()).toEqual([]);
    const annotations = Annotations.fromStack(stack);
    annotations.hasInfo('/Data/Trail', Match.stringLikeRegexp('arn:aws:s3:::internal-wiki \\(existing, INTERNAL\\): data events are recorded for CONFIDENTIAL and above only'));
    annotations.hasInfo('/Data/Trail', Match.stringLikeRegexp('cluster:billing \\(existing, HIGHLY_SENSITIVE\\) has no CloudTrail data events'));
  });

  test("the trail's own log bucket listed as an existing resource is not recorded", () => {
    const { stack, trail } = trailWith([{ resourceArn: `arn:aws:s3:::${ARCHIVE}`, classification: DataClassification.HIGHLY_SENSITIVE }], false);
    expect(trail.coveredExistingResources()).toEqual([]);
    expect(JSON.stringify(selectorsOf(Template.fromStack(stack)))).not.toContain(ARCHIVE);
    Annotations.fromStack(stack).hasWarning('/Data/Trail', Match.stringLikeRegexp(`arn:aws:s3:::${ARCHIVE} \\(existing\\) is this trail's own log bucket`));
    // Planned directly, the planner drops it too.
    const plan = planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [ARCHIVE], includeManagementEvents: true, existingArns: [`arn:aws:s3:::${ARCHIVE}`] });
    expect(plan.coveredExistingArns).toEqual([]);
    expect(plan.valueCount).toBe(1);
  });

  test('rejects tokens, malformed ARNs and resources of another account', () => {
    const { stack, trail } = trailWith([], false);
    const imported = s3.Bucket.fromBucketName(stack, 'Imported', 'x-bucket');
    expect(() => trail.addExistingResources({ resourceArn: imported.bucketArn, classification: DataClassification.CONFIDENTIAL })).toThrow(
      'ExistingDataEventResource(0).resourceArn must be a literal ARN (the trail selects it by value), got a token',
    );
    expect(() => trail.addExistingResources({ resourceArn: 'arn:aws:s3:::ledger/2024/*', classification: DataClassification.CONFIDENTIAL })).toThrow(
      "must be an S3 bucket, DynamoDB table or Lambda function ARN (arn:aws:s3:::name, …:table/name, …:function:name), got 'arn:aws:s3:::ledger/2024/*'",
    );
    expect(() => trail.addExistingResources({ resourceArn: 'arn:aws:dynamodb:eu-west-1:555555555555:table/crm', classification: DataClassification.CONFIDENTIAL })).toThrow(
      "is in account 555555555555, but this trail records account 222222222222 only: add it to that account's trail, or use organizationTrail, got 'arn:aws:dynamodb:eu-west-1:555555555555:table/crm'",
    );
  });

  test('existing resources count against the value limit and are never aggregated into prefixes', () => {
    const { trail } = trailWith([], false);
    const arns = Array.from({ length: 10 }, (_, i) => `arn:aws:s3:::legacy-bucket-${i}`);
    const plan = planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [], includeManagementEvents: true, existingArns: arns, maxValues: MAX_SELECTOR_VALUES });
    expect(plan.valueCount).toBe(1 + 2 + 10);
    expect(() => planDataEventSelectors({ trail, organizationTrail: false, ownBucketNames: [], includeManagementEvents: true, existingArns: arns, maxValues: 8 })).toThrow(
      /S3 objects: 0 classified \(0 with a literal bucketName\), 10 existing, 0 not covered, 12 values/,
    );
  });
});

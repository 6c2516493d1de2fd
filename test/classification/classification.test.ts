import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CLASSIFICATION_TAG, classify, ClassifiedResources, DataClassification, METADATA, ProtectionPolicy } from '../lib';
import { testStack } from '../helpers';

describe('DataClassification', () => {
  test('levels are ordered from PUBLIC to HIGHLY_SENSITIVE', () => {
    expect(DataClassification.all().map((c) => c.name)).toEqual(['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'HIGHLY_SENSITIVE']);
    expect(DataClassification.HIGHLY_SENSITIVE.isAtLeast(DataClassification.CONFIDENTIAL)).toBe(true);
    expect(DataClassification.INTERNAL.isAtLeast(DataClassification.CONFIDENTIAL)).toBe(false);
  });

  test('fromName returns the level and rejects unknown names with the allowed values', () => {
    expect(DataClassification.fromName('CONFIDENTIAL')).toBe(DataClassification.CONFIDENTIAL);
    expect(() => DataClassification.fromName('SECRET')).toThrow(
      "Unknown data classification 'SECRET': allowed values are PUBLIC, INTERNAL, CONFIDENTIAL, HIGHLY_SENSITIVE",
    );
  });
});

describe('classify', () => {
  test('tags the resource, records it, and writes the policy into metadata', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Docs');
    const table = new dynamodb.TableV2(stack, 'People', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    classify(bucket, DataClassification.CONFIDENTIAL);
    classify(table, DataClassification.HIGHLY_SENSITIVE);

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', { Tags: [{ Key: CLASSIFICATION_TAG, Value: 'CONFIDENTIAL' }] });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [{ Tags: [{ Key: CLASSIFICATION_TAG, Value: 'HIGHLY_SENSITIVE' }] }],
    });

    const all = ClassifiedResources.within(stack);
    expect(all.map((r) => [r.resourceType, r.classification.name])).toEqual([
      ['AWS::S3::Bucket', 'CONFIDENTIAL'],
      ['AWS::DynamoDB::GlobalTable', 'HIGHLY_SENSITIVE'],
    ]);
    expect(ClassifiedResources.within(stack, DataClassification.HIGHLY_SENSITIVE)).toHaveLength(1);
    const meta = (bucket.node.defaultChild as s3.CfnBucket).node.metadata.find((m) => m.type === METADATA.CLASSIFIED);
    expect(meta?.data).toMatchObject({ classification: 'CONFIDENTIAL', policy: { crossAccountCopy: true, dataEvents: true } });
  });

  test('resources in other stacks are not within this one', () => {
    const app = new App();
    const a = new Stack(app, 'A');
    const b = new Stack(app, 'B');
    classify(new s3.Bucket(a, 'Bucket'), DataClassification.INTERNAL);
    expect(ClassifiedResources.within(a)).toHaveLength(1);
    expect(ClassifiedResources.within(b)).toHaveLength(0);
    expect(ClassifiedResources.all(b)).toHaveLength(1);
  });

  test('a resource can be classified only once', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Docs');
    classify(bucket, DataClassification.INTERNAL);
    expect(() => classify(bucket, DataClassification.PUBLIC)).toThrow('Test/Docs is already classified INTERNAL; classify each resource once');
  });

  test('an unknown classification is rejected with the allowed values', () => {
    const stack = testStack();
    expect(() => classify(new s3.Bucket(stack, 'Docs'), 'SECRET' as unknown as DataClassification)).toThrow(
      "classify(Test/Docs): unknown classification 'SECRET': use DataClassification.PUBLIC, INTERNAL, CONFIDENTIAL or HIGHLY_SENSITIVE",
    );
  });

  test('loosening a control records the override and its reason', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Docs');
    const r = classify(bucket, DataClassification.CONFIDENTIAL, { crossAccountCopy: false, overrideReason: 'Rebuilt nightly from the CRM export' });
    expect(r.policy.crossAccountCopy).toBe(false);
    const meta = (bucket.node.defaultChild as s3.CfnBucket).node.metadata.filter((m) => m.type === METADATA.OVERRIDE);
    expect(meta.map((m) => m.data)).toEqual([{ prop: 'crossAccountCopy', floor: 'true', value: 'false', reason: 'Rebuilt nightly from the CRM export' }]);
  });
});

describe('ProtectionPolicy', () => {
  test('floors tighten with sensitivity', () => {
    const [pub, internal, conf, hs] = DataClassification.all().map((c) => ProtectionPolicy.forClassification(c));
    expect(pub.requireCmk).toBe(false);
    expect(internal.requireCmk).toBe(true);
    expect(conf.crossAccountCopy).toBe(true);
    expect(conf.dataEvents).toBe(true);
    expect(conf.drillIntervalDays).toBe(90);
    expect(hs.crossRegionCopy).toBe(true);
    expect(hs.backupRetentionDays).toBeGreaterThan(conf.backupRetentionDays);
    expect(hs.rtoHours).toBeLessThan(conf.rtoHours);
  });

  test('tightening needs no reason', () => {
    const p = ProtectionPolicy.forClassification(DataClassification.INTERNAL).withOverrides({ backupRetentionDays: 400, dataEvents: true, drillIntervalDays: 30 });
    expect(p.backupRetentionDays).toBe(400);
    expect(p.overrides).toEqual([]);
  });

  test.each([
    [{ backupRetentionDays: 30 }, 'backupRetentionDays=30 is looser than the CONFIDENTIAL floor backupRetentionDays=90'],
    [{ dataEvents: false }, 'dataEvents=false is looser than the CONFIDENTIAL floor dataEvents=true'],
    [{ drillIntervalDays: 180 }, 'drillIntervalDays=180 is looser than the CONFIDENTIAL floor drillIntervalDays=90'],
    [{ rtoHours: 48 }, 'rtoHours=48 is looser than the CONFIDENTIAL floor rtoHours=8'],
  ])('loosening %j without a reason is an error', (overrides, message) => {
    const policy = ProtectionPolicy.forClassification(DataClassification.CONFIDENTIAL);
    expect(() => policy.withOverrides(overrides)).toThrow(`ProtectionPolicyOverrides.overrideReason needs a non-empty reason: ${message}`);
    expect(() => policy.withOverrides({ ...overrides, overrideReason: '   ' })).toThrow('needs a non-empty reason');
  });

  test.each([
    [{ pointInTimeRecoveryDays: 36 }, 'ProtectionPolicyOverrides.pointInTimeRecoveryDays must be between 1 and 35 days, got 36 days'],
    [{ pointInTimeRecoveryDays: 0 }, 'ProtectionPolicyOverrides.pointInTimeRecoveryDays must be between 1 and 35 days, got 0 days'],
    [{ backupRetentionDays: 36501 }, 'ProtectionPolicyOverrides.backupRetentionDays must be between 1 and 36500 days, got 36501 days'],
    [{ backupIntervalHours: 25 }, 'ProtectionPolicyOverrides.backupIntervalHours must be between 1 and 24 hours, got 25 hours'],
    [{ drillIntervalDays: 1.5 }, 'ProtectionPolicyOverrides.drillIntervalDays must be a whole number, got 1.5'],
  ])('out-of-range %j is an error naming prop, value and range', (overrides, message) => {
    expect(() => ProtectionPolicy.forClassification(DataClassification.INTERNAL).withOverrides(overrides)).toThrow(message);
  });

  test('a DR-region copy needs the backup-account copy', () => {
    expect(() => ProtectionPolicy.forClassification(DataClassification.INTERNAL).withOverrides({ crossRegionCopy: true })).toThrow(
      'ProtectionPolicyOverrides.crossRegionCopy=true needs crossAccountCopy=true',
    );
  });
});

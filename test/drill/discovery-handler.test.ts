/**
 * The discover function's logic without AWS: tags to items, due selection, default names, and
 * pagination and skips of the discovery (SDK clients replaced by recording fakes).
 */
import { CLASSIFICATION_TAG, DRILL_SKIP_TAG } from '../../lib/core/constants';
import { discover } from '../../lib/drill/handlers/discovery';
import { DiscoveryConfig, itemOfStore, nameFromArn, selectDue, TARGET_NAME } from '../../lib/drill/target-item';

const ACCOUNT = '111111111111';
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/level`;
const config: DiscoveryConfig = {
  drill: 'Holder/Drill',
  backupVaultName: 'data-vault',
  levels: [
    { classification: 'CONFIDENTIAL', rtoSeconds: 4 * 3600, rpoSeconds: 3600, intervalDays: 30, restoreTimeoutSeconds: 8 * 3600, restoreKeys: { S3: KEY, EBS: KEY } },
    { classification: 'HIGHLY_SENSITIVE', rtoSeconds: 2 * 3600, rpoSeconds: 3600, intervalDays: 7, restoreTimeoutSeconds: 4 * 3600, restoreKeys: {} },
  ],
  isolation: { dbSubnetGroupName: 'drill-subnets', availabilityZone: 'eu-west-1a' },
  maxTargets: 2,
  maxRestoreTimeoutSeconds: 8 * 3600,
  poll: { first: 900, max: 8 * 3600 },
};
const item = (arn: string, tags: { [k: string]: string }) => itemOfStore(config, arn, { [CLASSIFICATION_TAG]: 'CONFIDENTIAL', ...tags }, CLASSIFICATION_TAG);

describe('tags to items', () => {
  test("a store without drill tags gets its level's times and key, the drill's isolation and a name from its ARN", () => {
    const r: any = item('arn:aws:s3:::hr-documents', {});
    expect(r.item).toMatchObject({
      name: 's3-hr-documents',
      resourceType: 'S3',
      resourceArn: 'arn:aws:s3:::hr-documents',
      backupVaultName: 'data-vault',
      restoreMetadata: { NewBucket: 'true', EncryptionType: 'SSE-KMS', KMSKey: KEY },
      validation: {},
      drill: 'Holder/Drill',
      rtoSeconds: 4 * 3600,
      rpoSeconds: 3600,
      restoreTimeoutSeconds: 8 * 3600,
      intervalDays: 30,
    });
    const volume: any = item(`arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-0abc`, {});
    expect(volume.item.restoreMetadata).toEqual({ encrypted: 'true', kmsKeyId: KEY, availabilityZone: 'eu-west-1a' });
    const db: any = item(`arn:aws:rds:eu-west-1:${ACCOUNT}:db:payroll`, {});
    expect(db.item.restoreMetadata).toEqual({ PubliclyAccessible: 'false', MultiAZ: 'false', DBSubnetGroupName: 'drill-subnets' });
  });

  test('the tags override the level: name, times, key, isolation, validation and restore metadata', () => {
    const r: any = item(`arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:payroll`, {
      'data-protection:drill-name': 'payroll',
      'data-protection:drill-rto-seconds': '3600',
      'data-protection:drill-interval-days': '14',
      'data-protection:drill-security-groups': 'sg-1 sg-2',
      'data-protection:drill-validation:tolerancePercent': '5',
      'data-protection:drill-restore-metadata:Port': '5433',
    });
    expect(r.item).toMatchObject({
      name: 'payroll',
      resourceType: 'Aurora',
      rtoSeconds: 3600,
      // A tagged RTO without a tagged timeout: twice the RTO, at least one hour (as DrillTarget).
      restoreTimeoutSeconds: 7200,
      intervalDays: 14,
      validation: { tolerancePercent: '5' },
      restoreMetadata: { DBSubnetGroupName: 'drill-subnets', VpcSecurityGroupIds: '["sg-1","sg-2"]', Port: '5433' },
    });
  });

  test('a restore timeout longer than the drill allows is capped; times out of range, bad numbers, unknown keys and names are rejected', () => {
    expect((item('arn:aws:s3:::a', { 'data-protection:drill-restore-timeout-seconds': String(20 * 3600) }) as any).item.restoreTimeoutSeconds).toBe(8 * 3600);
    expect(item('arn:aws:s3:::a', { 'data-protection:drill-rto-seconds': String(10 * 3600) })).toEqual({ rejected: expect.stringContaining('restoreTimeout must be at least its rto (36000 seconds)') });
    expect(item('arn:aws:s3:::a', { 'data-protection:drill-rto-seconds': 'soon' })).toEqual({ rejected: "tag data-protection:drill-rto-seconds must be a positive number, got 'soon'" });
    expect(item('arn:aws:s3:::a', { 'data-protection:drill-interval-days': '0.5' })).toEqual({ rejected: expect.stringContaining('interval must be between 24 and 8784 hours, got 12 hours') });
    expect(item('arn:aws:s3:::a', { 'data-protection:drill-colour': 'red' })).toEqual({ rejected: 'unknown drill tag data-protection:drill-colour' });
    expect(item('arn:aws:s3:::a', { 'data-protection:drill-name': 'Bad_Name' })).toEqual({ rejected: expect.stringContaining("got 'Bad_Name'") });
    expect(item(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t`, { 'data-protection:drill-restore-metadata:targetTableName': 'x' })).toEqual({ rejected: expect.stringContaining('is set by the drill') });
  });

  test('drill copies, skipped stores, other levels and other types are skipped', () => {
    expect(item(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/drill-orders-1a2b3c4d`, {})).toEqual({ skipped: 'a copy restored by a drill' });
    expect(item(`arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-1`, { 'data-protection:drill': 'drill-orders-1a2b3c4d' })).toEqual({ skipped: 'a copy restored by a drill' });
    expect(item('arn:aws:s3:::a', { [DRILL_SKIP_TAG]: 'true' })).toEqual({ skipped: expect.stringContaining(DRILL_SKIP_TAG) });
    expect(itemOfStore(config, 'arn:aws:s3:::a', { [CLASSIFICATION_TAG]: 'PUBLIC' }, CLASSIFICATION_TAG)).toEqual({ skipped: "classification 'PUBLIC' is not drilled" });
    expect(item(`arn:aws:sqs:eu-west-1:${ACCOUNT}:queue`, {})).toEqual({ skipped: 'not a drillable resource type' });
  });
});

describe('default names', () => {
  test('type and resource id, lowercased to the target name rules', () => {
    expect(nameFromArn(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/HR_Employees`)).toBe('dynamodb-hr-employees');
    expect(nameFromArn(`arn:aws:elasticfilesystem:eu-west-1:${ACCOUNT}:file-system/fs-0123abcd`)).toBe('efs-fs-0123abcd');
    expect(nameFromArn(`arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:payroll`)).toBe('aurora-payroll');
  });

  test('longer than 40 characters: cut, with a hash of the ARN, the same on every run and different per ARN', () => {
    const a = nameFromArn(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/customer-relationship-management-contacts-archive`);
    const b = nameFromArn(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/customer-relationship-management-contacts-archive-2`);
    expect(a).toMatch(/^dynamodb-customer-relationship-[0-9a-f]{8}$/);
    expect(a.length).toBeLessThanOrEqual(40);
    expect(TARGET_NAME.test(a)).toBe(true);
    expect(nameFromArn(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/customer-relationship-management-contacts-archive`)).toBe(a);
    expect(b).not.toBe(a);
  });
});

describe('due selection', () => {
  const now = Date.parse('2025-06-01T00:00:00Z');
  const daysAgo = (d: number) => now - d * 86_400_000;
  const t = (name: string, intervalDays: number) => ({ name, intervalDays });

  test('never drilled first, then the most overdue; due from the interval less one day; at most max', () => {
    const items = [t('fresh', 30), t('almost', 30), t('late', 7), t('never-b', 30), t('never-a', 90), t('very-late', 7)];
    const last = { fresh: daysAgo(2), almost: daysAgo(29.5), late: daysAgo(8), 'very-late': daysAgo(20) };
    expect(selectDue(items, last, now, 10).map((x) => x.name)).toEqual(['never-a', 'never-b', 'very-late', 'late', 'almost']);
    expect(selectDue(items, last, now, 2).map((x) => x.name)).toEqual(['never-a', 'never-b']);
    expect(selectDue([t('fresh', 30)], { fresh: daysAgo(28.9) }, now, 10)).toEqual([]);
  });
});

describe('discover (all pages, Aurora members, duplicate names)', () => {
  test('reads every page, skips Aurora cluster members and rejects the second store of a name', async () => {
    const pages: any[] = [];
    const tagging = {
      send: async (cmd: any) => {
        pages.push(cmd.input);
        const tags = (extra: object = {}) => Object.entries({ [CLASSIFICATION_TAG]: 'CONFIDENTIAL', ...extra }).map(([Key, Value]) => ({ Key, Value }));
        if (!cmd.input.PaginationToken) {
          return { PaginationToken: 't2', ResourceTagMappingList: [{ ResourceARN: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:payroll-instance-1`, Tags: tags() }, { ResourceARN: 'arn:aws:s3:::docs', Tags: tags() }] };
        }
        if (cmd.input.PaginationToken === 't2') {
          return { PaginationToken: 't3', ResourceTagMappingList: [{ ResourceARN: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:ledger`, Tags: tags() }] };
        }
        return { PaginationToken: '', ResourceTagMappingList: [{ ResourceARN: 'arn:aws:s3:::docs-copy', Tags: tags({ 'data-protection:drill-name': 's3-docs' }) }] };
      },
    };
    const rds = { send: async (cmd: any) => ({ DBInstances: [{ DBInstanceIdentifier: cmd.input.DBInstanceIdentifier, ...(cmd.input.DBInstanceIdentifier.includes('payroll') ? { DBClusterIdentifier: 'payroll' } : {}) }] }) };
    const found = await discover(config, { tagging: tagging as any, rds: rds as any });
    expect(pages.map((p) => p.PaginationToken)).toEqual([undefined, 't2', 't3']);
    expect(pages[0]).toMatchObject({ TagFilters: [{ Key: CLASSIFICATION_TAG, Values: ['CONFIDENTIAL', 'HIGHLY_SENSITIVE'] }], ResourcesPerPage: 100 });
    expect(found.items.map((i) => i.name)).toEqual(['rds-ledger', 's3-docs']);
    expect(found.skipped).toEqual([{ resourceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:payroll-instance-1`, reason: expect.stringContaining('Aurora cluster') }]);
    expect(found.rejected).toEqual([{ resourceArn: 'arn:aws:s3:::docs-copy', reason: expect.stringContaining("name 's3-docs' is already the name of arn:aws:s3:::docs") }]);
  });
});

describe('DynamoDB targets are restored with their own table key', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { withSourceKeys } = require('../../assets/handlers/drill-discover/index.js');
  const table = (name: string, tags: { [k: string]: string } = {}) =>
    (itemOfStore(config, `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${name}`, { [CLASSIFICATION_TAG]: 'HIGHLY_SENSITIVE', ...tags }, CLASSIFICATION_TAG) as any).item;

  test('no key from a tag or the level: the KMS key DescribeTable reports (an AWS-owned key would be the restore default)', async () => {
    const calls: string[] = [];
    const client = { send: async (cmd: any) => { calls.push(cmd.input.TableName); return { Table: { SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/table-key` } } }; } };
    const [t] = await withSourceKeys([table('orders')], client);
    expect(t.restoreMetadata).toMatchObject({ encryptionType: 'KMS', kmsMasterKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/table-key` });
    expect(calls).toEqual([`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders`]);
  });

  test('a table without a KMS key keeps the default', async () => {
    const calls: string[] = [];
    const client = { send: async (cmd: any) => { calls.push(cmd.input.TableName); return { Table: { SSEDescription: undefined } }; } };
    const [b] = await withSourceKeys([table('plain')], client);
    expect(b.restoreMetadata.kmsMasterKeyArn).toBeUndefined();
    expect(calls).toEqual([`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/plain`]);
  });

  test('a table whose key cannot be read is left out today (never restored with a weaker key), the others are drilled', async () => {
    const client = { send: async (cmd: any) => {
      if (cmd.input.TableName.endsWith('/gone')) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
      return { Table: { SSEDescription: { SSEType: 'KMS', KMSMasterKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k` } } };
    } };
    const out = await withSourceKeys([table('gone'), table('orders')], client);
    expect(out.map((t: any) => t.name)).toEqual(['dynamodb-orders']);
  });
});

describe('tags cannot weaken a restore', () => {
  test('restore metadata deciding exposure or encryption, and a restore key, are refused: the store is rejected (counted stale), not drilled', () => {
    for (const [key, value] of [
      ['data-protection:drill-restore-metadata:PubliclyAccessible', 'true'],
      ['data-protection:drill-restore-metadata:EncryptionType', 'SSE-S3'],
      ['data-protection:drill-restore-metadata:KMSKey', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/attacker`],
      ['data-protection:drill-restore-key', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/attacker`],
    ]) {
      const r: any = item('arn:aws:s3:::hr-documents', { [key]: value });
      expect({ key, rejected: r.rejected }).toEqual({ key, rejected: expect.stringMatching(/may not set|not accepted/) });
    }
  });
});

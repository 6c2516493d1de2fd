import { readdirSync, readFileSync } from 'node:fs';
import { join, parse } from 'node:path';
import { App, CfnResource, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DATA_PROTECTION_RULES, DataProtectionChecks, VALIDATION_METADATA } from '../../lib/nag';
import * as cdkJson from '../../cdk.json';
import { findingsOf } from './helpers';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { arnSelects, planCopiesCrossAccount, planOfSelection, restoreTestingCovers, selectionCovers, selectionsCovering, trailCoverage } from '../../lib/nag/coverage';
import { Node } from 'constructs';
import { withFrozenTree } from '../../lib/nag/frozen-tree';

const RULES_DIR = join(__dirname, '..', '..', 'lib', 'nag', 'rules');

test('every rule id is its file name, every rule file is in the pack, RULES.md lists each', () => {
  const files = readdirSync(RULES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(RULES_DIR, d.name)).map((f) => parse(f).name));
  expect(DATA_PROTECTION_RULES.map((r) => r.id).sort()).toEqual(files.sort());
  const rulesMd = readFileSync(join(__dirname, '..', '..', 'lib', 'nag', 'RULES.md'), 'utf8');
  for (const r of DATA_PROTECTION_RULES) {
    expect(r.info.length).toBeGreaterThan(20);
    expect(r.explanation.length).toBeGreaterThan(40);
    expect(r.rule.name).toBe(r.id);
    expect(rulesMd).toContain(`DataProtection-${r.id}`);
  }
});

function appWithUnlockedVault(): { app: App; stack: Stack } {
  const app = new App({ context: cdkJson.context, outdir: undefined });
  const stack = new Stack(app, 'S', { env: { account: '222222222222', region: 'eu-west-1' } });
  new backup.CfnBackupVault(stack, 'Vault', { backupVaultName: 'v' });
  return { app, stack };
}

test('registered with Validations, an unlocked vault fails synth with the rule id and its info', () => {
  const { app } = appWithUnlockedVault();
  Validations.of(app).addPlugins(new DataProtectionChecks(app, { verbose: true }));
  expect(() => app.synth()).toThrow(/no Vault Lock in compliance mode[\s\S]*DataProtection-BackupVaultLocked/);
});

test('acknowledgements are honoured and, with writeSuppressionsToCloudFormation, written into the template', () => {
  const { app, stack } = appWithUnlockedVault();
  const vault = stack.node.findChild('Vault');
  Validations.of(vault).acknowledge(
    { id: 'DataProtection-BackupVaultLocked', reason: 'test vault, locked in the backup account instead' },
    { id: 'DataProtection-BackupVaultCmk', reason: 'test vault' },
  );
  Validations.of(app).addPlugins(new DataProtectionChecks(app, { writeSuppressionsToCloudFormation: true }));
  const assembly = app.synth();
  const template = assembly.getStackByName('S').template;
  expect(template.Resources.Vault.Metadata.cdk_nag.rules_to_suppress).toEqual([
    { id: 'DataProtection-BackupVaultLocked', reason: 'test vault, locked in the backup account instead' },
    { id: 'DataProtection-BackupVaultCmk', reason: 'test vault' },
  ]);
  expect(assembly.getStackByName('S').findMetadataByType(VALIDATION_METADATA).map((m) => m.data)).toEqual([{ plugins: ['DataProtection'] }]);
});

test('validateScope honours acknowledgements on an ancestor', () => {
  const app = new App({ context: cdkJson.context });
  const stack = new Stack(app, 'S', { env: { account: '222222222222', region: 'eu-west-1' } });
  new s3.Bucket(stack, 'Unclassified');
  expect(findingsOf(stack)).toContain('DataProtection-DataStoreClassified S/Unclassified/Resource');
  Validations.of(stack).acknowledge({ id: 'DataProtection-DataStoreClassified', reason: 'scratch stack' });
  expect(findingsOf(stack)).not.toContain('DataProtection-DataStoreClassified S/Unclassified/Resource');
});

// =============================================================================================
// Rule coverage (one file with the pack above: one module load).
/**
 * lib/nag/coverage.ts, branch by branch: which backup selections, restore-testing selections and
 * trail selectors cover a data store (type-wide ARN wildcards, tag conditions of every operator,
 * NotResources, other environments, advanced and legacy trail selectors).
 */
{
  const DATA = '222222222222';
  const ARN_TABLE = `arn:aws:dynamodb:eu-west-1:${DATA}:table`;

  function stack(app = new App(), id = 'Data', account = DATA, region = 'eu-west-1'): Stack {
    return new Stack(app, id, { env: { account, region } });
  }

  function table(s: Stack, name = 'orders', tags: Record<string, string> = {}): dynamodb.CfnTable {
    return new dynamodb.CfnTable(s, `Table${name}`, {
      tableName: name,
      keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
  }

  function selection(s: Stack, id: string, sel: Partial<backup.CfnBackupSelection.BackupSelectionResourceTypeProperty>): backup.CfnBackupSelection {
    return new backup.CfnBackupSelection(s, id, { backupPlanId: 'plan', backupSelection: { selectionName: id, iamRoleArn: 'arn:aws:iam::222222222222:role/b', ...sel } });
  }

  describe('arnSelects: which ARN patterns select a data store', () => {
    const s = stack();
    const orders = table(s);
    const bucket = new s3.CfnBucket(s, 'Bucket', { bucketName: 'ledger-bucket' });
    const cluster = new rds.CfnDBCluster(s, 'Cluster', { engine: 'aurora-postgresql', dbClusterIdentifier: 'payroll' });
    const queue = new sqs.CfnQueue(s, 'Queue');

    test('everything, a reference to it, its name', () => {
      expect(arnSelects('*', orders, orders)).toBe(true);
      expect(arnSelects({ 'Fn::GetAtt': [s.resolve(orders.logicalId), 'Arn'] }, orders, orders)).toBe(true);
      expect(arnSelects(`${ARN_TABLE}/orders`, orders, orders)).toBe(true);
    });

    test('type-wide wildcards of its own service and resource type', () => {
      expect(arnSelects(`${ARN_TABLE}/*`, orders, orders)).toBe(true);
      expect(arnSelects('arn:aws:s3:::*', bucket, bucket)).toBe(true);
      expect(arnSelects(`arn:aws:rds:eu-west-1:${DATA}:cluster:*`, cluster, cluster)).toBe(true);
    });

    test('not: another table, another service, another resource type of the service, a malformed ARN, a type with no ARN shape', () => {
      expect(arnSelects(`${ARN_TABLE}/invoices`, orders, orders)).toBe(false);
      expect(arnSelects(`arn:aws:s3:::*`, orders, orders)).toBe(false);
      expect(arnSelects(`arn:aws:rds:eu-west-1:${DATA}:db:*`, cluster, cluster)).toBe(false);
      expect(arnSelects('arn:aws:dynamodb:*', orders, orders)).toBe(false);
      expect(arnSelects(`arn:aws:sqs:eu-west-1:${DATA}:*`, queue, queue)).toBe(false);
    });
  });

  describe('selectionCovers: ARNs, tags and conditions', () => {
    const s = stack();
    const orders = table(s, 'orders', { team: 'billing', env: 'prod' });
    const cover = (id: string, sel: Partial<backup.CfnBackupSelection.BackupSelectionResourceTypeProperty>) => selectionCovers(selection(s, id, sel), orders);
    // `conditions` is JSON in the L1 (passed as written): CloudFormation's own casing.
    const tag = (key: string, value: string) => ({ ConditionKey: `aws:ResourceTag/${key}`, ConditionValue: value });

    test('by ARN wildcard or by tag (with a value glob)', () => {
      expect(cover('ByArn', { resources: [`${ARN_TABLE}/*`] })).toBe(true);
      expect(cover('ByTag', { listOfTags: [{ conditionType: 'STRINGEQUALS', conditionKey: 'team', conditionValue: 'bill*' }] })).toBe(true);
      expect(cover('ByOtherTag', { listOfTags: [{ conditionType: 'STRINGEQUALS', conditionKey: 'team', conditionValue: 'hr' }] })).toBe(false);
      expect(cover('Nothing', {})).toBe(false);
    });

    test('NotResources takes it out', () => {
      expect(cover('Excluded', { resources: ['*'], notResources: [`${ARN_TABLE}/orders`] })).toBe(false);
    });

    test('StringEquals, StringLike, StringNotEquals and StringNotLike conditions on its tags', () => {
      const cond = (conditions: Record<string, unknown>, id: string) => cover(id, { resources: ['*'], conditions });
      expect(cond({ StringEquals: [tag('team', 'billing')] }, 'Eq')).toBe(true);
      expect(cond({ StringEquals: [tag('team', 'hr')] }, 'EqNo')).toBe(false);
      expect(cond({ StringLike: [tag('env', 'pr*')] }, 'Like')).toBe(true);
      expect(cond({ StringLike: [tag('env', 'dev*')] }, 'LikeNo')).toBe(false);
      expect(cond({ StringLike: [tag('missing', '*')] }, 'LikeAbsent')).toBe(false);
      expect(cond({ StringNotEquals: [tag('env', 'dev')] }, 'NotEq')).toBe(true);
      expect(cond({ StringNotEquals: [tag('env', 'prod')] }, 'NotEqNo')).toBe(false);
      expect(cond({ StringNotLike: [tag('env', 'd*')] }, 'NotLike')).toBe(true);
      expect(cond({ StringNotLike: [tag('env', 'p*')] }, 'NotLikeNo')).toBe(false);
    });

    test('a selection in another account covers nothing here; selectionsCovering lists the covering ones', () => {
      const other = stack(s.node.root as App, 'Other', '555555555555');
      expect(selectionCovers(selection(other, 'Elsewhere', { resources: ['*'] }), orders)).toBe(false);
      const covering = selectionsCovering(orders).map((x) => x.node.id);
      expect(covering).toEqual(expect.arrayContaining(['ByArn', 'ByTag', 'Eq', 'Like', 'NotEq', 'NotLike']));
      expect(covering).not.toContain('Elsewhere');
      expect(covering).not.toContain('Excluded');
    });
  });

  describe('backup plans: the plan of a selection, cross-account copies', () => {
    const rule = (copyTo?: unknown) => ({ ruleName: 'daily', targetBackupVault: 'local', copyActions: copyTo ? [{ destinationBackupVaultArn: copyTo as string }] : undefined });

    test('planOfSelection finds the plan its BackupPlanId references, in the same stack only', () => {
      const s = stack();
      const plan = new backup.CfnBackupPlan(s, 'Plan', { backupPlan: { backupPlanName: 'p', backupPlanRule: [rule()] } });
      const sel = new backup.CfnBackupSelection(s, 'Sel', { backupPlanId: plan.attrBackupPlanId, backupSelection: { selectionName: 's', iamRoleArn: 'arn:aws:iam::222222222222:role/b' } });
      expect(planOfSelection(sel)).toBe(plan);
      expect(planOfSelection(selection(s, 'Loose', {}))).toBeUndefined();
    });

    test('a copy into another account is cross-account; into this account, or no copy, is not', () => {
      const s = stack();
      const plan = (id: string, copyTo?: unknown) => new backup.CfnBackupPlan(s, id, { backupPlan: { backupPlanName: id, backupPlanRule: [rule(copyTo)] } });
      expect(planCopiesCrossAccount(plan('Cross', 'arn:aws:backup:eu-west-1:333333333333:backup-vault:central'))).toBe(true);
      expect(planCopiesCrossAccount(plan('Same', `arn:aws:backup:eu-central-1:${DATA}:backup-vault:dr`))).toBe(false);
      expect(planCopiesCrossAccount(plan('None'))).toBe(false);
      expect(planCopiesCrossAccount(plan('Unknown', { 'Fn::ImportValue': 'vault-arn' }))).toBe(false);
    });

    test('from an environment-agnostic stack, any literal destination account counts as another', () => {
      const agnostic = new Stack(new App(), 'Agnostic');
      const p = new backup.CfnBackupPlan(agnostic, 'P', { backupPlan: { backupPlanName: 'p', backupPlanRule: [rule(`arn:aws:backup:eu-west-1:${DATA}:backup-vault:v`)] } });
      expect(planCopiesCrossAccount(p)).toBe(true);
    });
  });

  describe('restoreTestingCovers: native restore testing selections', () => {
    const s = stack();
    const orders = table(s, 'orders', { env: 'prod' });
    const rts = (id: string, props: Partial<backup.CfnRestoreTestingSelectionProps>) =>
      new backup.CfnRestoreTestingSelection(s, id, {
        iamRoleArn: 'arn:aws:iam::222222222222:role/r',
        protectedResourceType: 'DynamoDB',
        restoreTestingPlanName: 'plan',
        restoreTestingSelectionName: id,
        protectedResourceArns: ['*'],
        ...props,
      });

    test('its type and ARN, with StringEquals / StringNotEquals tag conditions', () => {
      expect(restoreTestingCovers(rts('All', {}), orders)).toBe(true);
      expect(restoreTestingCovers(rts('Eq', { protectedResourceConditions: { stringEquals: [{ key: 'aws:ResourceTag/env', value: 'prod' }] } }), orders)).toBe(true);
      expect(restoreTestingCovers(rts('EqNo', { protectedResourceConditions: { stringEquals: [{ key: 'aws:ResourceTag/env', value: 'dev' }] } }), orders)).toBe(false);
      expect(restoreTestingCovers(rts('Ne', { protectedResourceConditions: { stringNotEquals: [{ key: 'aws:ResourceTag/env', value: 'dev' }] } }), orders)).toBe(true);
      expect(restoreTestingCovers(rts('NeNo', { protectedResourceConditions: { stringNotEquals: [{ key: 'aws:ResourceTag/env', value: 'prod' }] } }), orders)).toBe(false);
    });

    test('not: another resource type, another ARN, another account', () => {
      expect(restoreTestingCovers(rts('S3', { protectedResourceType: 'S3' }), orders)).toBe(false);
      expect(restoreTestingCovers(rts('Other', { protectedResourceArns: [`${ARN_TABLE}/invoices`] }), orders)).toBe(false);
      const other = stack(s.node.root as App, 'Other', '555555555555');
      const elsewhere = new backup.CfnRestoreTestingSelection(other, 'Elsewhere', {
        iamRoleArn: 'arn:aws:iam::555555555555:role/r',
        protectedResourceType: 'DynamoDB',
        restoreTestingPlanName: 'plan',
        restoreTestingSelectionName: 'e',
        protectedResourceArns: ['*'],
      });
      expect(restoreTestingCovers(elsewhere, orders)).toBe(false);
    });
  });

  describe('trailCoverage: advanced and legacy selectors', () => {
    const s = stack();
    const orders = table(s);
    const bucket = new s3.CfnBucket(s, 'Bucket', { bucketName: 'ledger-bucket' });
    const rds1 = new rds.CfnDBCluster(s, 'Cluster', { engine: 'aurora-postgresql', dbClusterIdentifier: 'payroll' });
    let n = 0;
    const trail = (props: Partial<cloudtrail.CfnTrailProps>, scope: Stack = s) => new cloudtrail.CfnTrail(scope, `Trail${n++}`, { isLogging: true, s3BucketName: 'logs', ...props });
    const dataSelector = (fields: Array<Record<string, unknown>>) => ({ advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equalTo: ['Data'] }, ...fields] as any }] });
    const both = { read: true, write: true };
    const none = { read: false, write: false };

    test('advanced selectors: all of the type, one ARN, read-only or write-only', () => {
      expect(trailCoverage(trail(dataSelector([{ field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] }])), orders)).toEqual(both);
      expect(trailCoverage(trail(dataSelector([{ field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] }, { field: 'resources.ARN', equalTo: [`${ARN_TABLE}/orders`] }])), orders)).toEqual(both);
      expect(trailCoverage(trail(dataSelector([{ field: 'resources.type', equalTo: ['AWS::S3::Object'] }, { field: 'resources.ARN', startsWith: ['arn:aws:s3:::'] }, { field: 'readOnly', equalTo: ['true'] }])), bucket)).toEqual({ read: true, write: false });
      expect(trailCoverage(trail(dataSelector([{ field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] }, { field: 'readOnly', equalTo: ['false'] }])), orders)).toEqual({ read: false, write: true });
    });

    test('advanced selectors that do not cover: another ARN, excluded, suffix-only, a filtered subset, another type, management events', () => {
      const type = { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] };
      expect(trailCoverage(trail(dataSelector([type, { field: 'resources.ARN', equalTo: [`${ARN_TABLE}/invoices`] }])), orders)).toEqual(none);
      expect(trailCoverage(trail(dataSelector([type, { field: 'resources.ARN', notStartsWith: [`${ARN_TABLE}/orders`] }])), orders)).toEqual(none);
      expect(trailCoverage(trail(dataSelector([type, { field: 'resources.ARN', endsWith: ['orders'] }])), orders)).toEqual(none);
      expect(trailCoverage(trail(dataSelector([type, { field: 'eventName', equalTo: ['GetItem'] }])), orders)).toEqual(none);
      expect(trailCoverage(trail(dataSelector([{ field: 'resources.type', equalTo: ['AWS::S3::Object'] }])), orders)).toEqual(none);
      expect(trailCoverage(trail({ advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] }] }), orders)).toEqual(none);
    });

    test('legacy event selectors: data resources of the type, ReadWriteType All (default), ReadOnly, WriteOnly', () => {
      const legacy = (values: string[], readWriteType?: string, type = 'AWS::S3::Object') => trail({ eventSelectors: [{ readWriteType, dataResources: [{ type, values }] }] });
      expect(trailCoverage(legacy(['arn:aws:s3:::ledger-bucket/']), bucket)).toEqual(both);
      expect(trailCoverage(legacy(['arn:aws:s3'], 'All'), bucket)).toEqual(both);
      expect(trailCoverage(legacy(['arn:aws:s3:::'], 'ReadOnly'), bucket)).toEqual({ read: true, write: false });
      expect(trailCoverage(legacy([`${ARN_TABLE}/orders`], 'WriteOnly', 'AWS::DynamoDB::Table'), orders)).toEqual({ read: false, write: true });
      expect(trailCoverage(legacy(['arn:aws:s3:::other-bucket/']), bucket)).toEqual(none);
      expect(trailCoverage(legacy(['arn:aws:s3:::']), orders)).toEqual(none);
    });

    test('a trail in another account covers nothing here, unless it is an organization trail; stores without data events are never covered', () => {
      const other = stack(s.node.root as App, 'Org', '999999999999');
      const all = dataSelector([{ field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] }]);
      expect(trailCoverage(trail(all, other), orders)).toEqual(none);
      expect(trailCoverage(trail({ ...all, isOrganizationTrail: true }, other), orders)).toEqual(both);
      expect(trailCoverage(trail(dataSelector([{ field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] }])), rds1 as CfnResource)).toEqual(none);
    });
  });
}

// =============================================================================================
// The frozen tree (one file with the pack above: one module load).
{
  /** The packs validate a synthesized app with tree walks and token resolution memoized; nothing leaks out. */
  describe('withFrozenTree', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const bucket = new s3.Bucket(stack, 'B');
    let produced = 0;
    const lazy = Lazy.uncachedString({ produce: () => `value-${++produced}` });

    test('inside: one walk and one resolution per token, each caller gets its own copy of an object', () => {
      const findAll = Node.prototype.findAll;
      const result = withFrozenTree(() => {
        const a = stack.node.findAll();
        const b = stack.node.findAll();
        expect(b).toEqual(a);
        expect(b).not.toBe(a); // a copy: sorting it must not reorder the cache
        expect([stack.resolve(lazy), stack.resolve(lazy)]).toEqual(['value-1', 'value-1']);
        const ref1 = stack.resolve(bucket.bucketArn);
        const ref2 = stack.resolve(bucket.bucketArn);
        expect(ref2).toEqual(ref1);
        ref1.changed = true;
        expect(stack.resolve(bucket.bucketArn)).not.toHaveProperty('changed');
        return Node.prototype.findAll === findAll;
      });
      expect(result).toBe(false);
    });

    test('outside, and after a throw: the originals are back', () => {
      const findAll = Node.prototype.findAll;
      const resolve = Stack.prototype.resolve;
      expect(() => withFrozenTree(() => { throw new Error('rule failed'); })).toThrow('rule failed');
      expect([Node.prototype.findAll, Stack.prototype.resolve]).toEqual([findAll, resolve]);
      // Tokens resolve afresh outside.
      const before = produced;
      expect([stack.resolve(lazy), stack.resolve(lazy)]).toEqual([`value-${before + 1}`, `value-${before + 2}`]);
    });
  });
}

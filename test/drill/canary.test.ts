/**
 * Content validation by canaries (issue 19, item 5): the canary writer's least-privilege IAM
 * (static targets and discovery, checked against the Service Authorization Reference data), the
 * REAL bundled writer against the fake AWS, and drills executed locally whose restored copy holds
 * an intact, a changed (ransomware) or a lost canary. Also: code signing on every drill function.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as signer from 'aws-cdk-lib/aws-signer';
import * as sns from 'aws-cdk-lib/aws-sns';
import { join } from 'node:path';
import { DataClassification } from '../../lib';
import { CANARY_OBJECT_KEY, canaryVerdict, sha256Hex } from '../../lib/drill/canary';
import { DrillResourceType, DrillTarget, RESTORE_DRILL_STATES as S, RestoreDrill } from '../../lib/drill';
import { checkStatement, IamCatalog } from '../aws/iam-data';
import { ACCOUNT, clock, EVIDENCE_BUCKET, EVIDENCE_KEY_ARN, evidenceWritten, runDrill, withFakeAws } from './drill-harness';
import { AwsError, FakeAws } from './fake-aws';
import { aslOf, drillStack, ENV } from './helpers';

const asList = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
function statementsOf(template: Template, stack: Stack, fn: lambda.IFunction) {
  const roleId = stack.getLogicalId(fn.role!.node.defaultChild as any);
  return (Object.values(template.findResources('AWS::IAM::Policy')) as any[])
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const json = (v: unknown) => JSON.stringify(v);
/** The default drill (static targets), built and synthesized once for the file: the tests only read it. */
const base = drillStack();

describe('the canary writer may write only the canary key prefix and the canary item (static targets)', () => {
  const { stack, drill } = base;
  const template = Template.fromStack(stack);
  const statements = statementsOf(template, stack, drill.canaryFunction!);
  const withAction = (a: string) => statements.filter((s: any) => asList(s.Action).includes(a));

  test('S3: PutObject only under data-protection-canary/ of the drilled bucket, and canaries/ of the evidence bucket', () => {
    const puts = withAction('s3:PutObject').flatMap((s: any) => asList(s.Resource).map(json));
    expect(puts).toHaveLength(2);
    expect(puts.some((r: string) => /Documents.*\/data-protection-canary\/\*/.test(r))).toBe(true);
    expect(puts.some((r: string) => /EvidenceBucket.*\/canaries\/\*/.test(r))).toBe(true);
    // Nothing else of S3: no read, no delete.
    const s3Actions = statements.flatMap((s: any) => asList(s.Action)).filter((a: string) => a.startsWith('s3:'));
    expect([...new Set(s3Actions)]).toEqual(['s3:PutObject']);
  });

  test('DynamoDB: PutItem only of the item whose partition key is data-protection-canary (dynamodb:LeadingKeys), DescribeTable for the key schema', () => {
    const [put] = withAction('dynamodb:PutItem');
    expect(put.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['data-protection-canary'] } });
    expect(json(put.Resource)).toMatch(/Employees/);
    const ddbActions = statements.flatMap((s: any) => asList(s.Action)).filter((a: string) => a.startsWith('dynamodb:'));
    expect([...new Set(ddbActions)].sort()).toEqual(['dynamodb:DescribeTable', 'dynamodb:PutItem']);
  });

  test('KMS: the stores\' keys only through S3 and DynamoDB (kms:ViaService); the evidence key to encrypt records', () => {
    const kmsStatements = statements.filter((s: any) => asList(s.Action).some((a: string) => a.startsWith('kms:')));
    for (const s of kmsStatements) {
      const account = /key\/\*/.test(json(s.Resource));
      if (account) expect(Object.keys(s.Condition.StringEquals)).toEqual(['kms:ViaService']);
      expect(asList(s.Action).every((a: string) => ['kms:GenerateDataKey', 'kms:Decrypt'].includes(a))).toBe(true);
    }
  });

  test('every statement names actions and condition keys that exist and apply (Service Authorization Reference data)', async () => {
    const catalog = new IamCatalog();
    const findings = (await Promise.all(statements.map((s: any) => checkStatement(catalog, s)))).flat();
    expect(findings).toEqual([]);
  });

  test('the default validator checks canaries: it may read the records and the restored copy\'s canary item only', async () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const validatorEnv = fns[stack.getLogicalId(drill.validator.node.defaultChild as any)].Properties.Environment.Variables;
    expect(validatorEnv.CANARY_RECORDS_BUCKET).toEqual({ Ref: expect.stringMatching(/EvidenceBucket/) });
    const v = statementsOf(template, stack, drill.validator);
    const getItem = v.find((s: any) => asList(s.Action).includes('dynamodb:GetItem'));
    expect(getItem.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['data-protection-canary'] } });
    expect(json(getItem.Resource)).toContain('table/drill-*');
    expect(v.some((s: any) => asList(s.Action).includes('s3:GetObject') && /canaries\/\*/.test(json(s.Resource)))).toBe(true);
    const catalog = new IamCatalog();
    expect((await Promise.all(v.map((s: any) => checkStatement(catalog, s)))).flat()).toEqual([]);
  });

  test('canary: false writes none and checks none; a custom validator gets none unless asked, then may read the records', () => {
    const off = drillStack({ canary: false });
    expect(off.drill.canaryFunction).toBeUndefined();
    expect(json(Template.fromStack(off.stack).toJSON())).not.toContain('CANARY_RECORDS_BUCKET');
    const app = new App();
    const custom = (canary?: boolean) => {
      const stack = new Stack(app, `Custom${canary}`, { env: ENV });
      const fn = new lambda.Function(stack, 'Mine', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({ valid: true })') });
      const key = new kms.Key(stack, 'Key');
      const drill = new RestoreDrill(stack, 'Drill', {
        targets: [DrillTarget.of({ name: 'docs', resourceType: DrillResourceType.S3, resourceArn: 'arn:aws:s3:::hr-documents', backupVaultName: 'v', rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) })],
        evidenceKey: key,
        alarmTopic: new sns.Topic(stack, 'T', { masterKey: key }),
        validator: fn,
        canary,
      });
      return { stack, drill, fn };
    };
    expect(custom().drill.canaryFunction).toBeUndefined();
    const asked = custom(true);
    expect(asked.drill.canaryFunction).toBeDefined();
    const t = Template.fromStack(asked.stack);
    expect(statementsOf(t, asked.stack, asked.fn).some((s: any) => asList(s.Action).includes('s3:GetObject') && /canaries\/\*/.test(json(s.Resource)))).toBe(true);
  });
});

describe('discovery: buckets and tables found at run time', () => {
  const stack = new Stack(new App(), 'Holder', { env: ENV });
  const key = new kms.Key(stack, 'EvidenceKey');
  const drill = new RestoreDrill(stack, 'Drill', {
    discovery: { backupVaultName: 'data-vault', levels: [{ classification: DataClassification.CONFIDENTIAL, rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) }] },
    evidenceKey: key,
    alarmTopic: new sns.Topic(stack, 'Alarms', { masterKey: key }),
  });
  const template = Template.fromStack(stack);
  const statements = statementsOf(template, stack, drill.canaryFunction!);

  test('S3 objects only under data-protection-canary/ of this account\'s buckets; tables only with a drilled classification tag', () => {
    const put = statements.find((s: any) => asList(s.Action).includes('s3:PutObject') && /data-protection-canary/.test(json(s.Resource)));
    expect(json(put.Resource)).toContain(':s3:::*/data-protection-canary/*');
    expect(put.Condition).toEqual({ StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } } });
    const item = statements.find((s: any) => asList(s.Action).includes('dynamodb:PutItem'));
    expect(item.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/data-classification': ['CONFIDENTIAL'] },
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['data-protection-canary'] },
    });
    const describe = statements.find((s: any) => asList(s.Action).includes('dynamodb:DescribeTable'));
    expect(describe.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/data-classification': ['CONFIDENTIAL'] } });
  });

  test('every statement names actions and condition keys that exist and apply', async () => {
    const catalog = new IamCatalog();
    expect((await Promise.all(statements.map((s: any) => checkStatement(catalog, s)))).flat()).toEqual([]);
  });
});

test('codeSigningConfig is applied to every function of the drill', () => {
  const app = new App();
  const holder = new Stack(app, 'Signing', { env: ENV });
  const profile = new signer.SigningProfile(holder, 'Profile', { platform: signer.Platform.AWS_LAMBDA_SHA384_ECDSA });
  const codeSigningConfig = new lambda.CodeSigningConfig(holder, 'Csc', { signingProfiles: [profile], untrustedArtifactOnDeployment: lambda.UntrustedArtifactOnDeployment.ENFORCE });
  const { stack } = drillStack({ codeSigningConfig }, app);
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as any[];
  expect(functions.length).toBeGreaterThanOrEqual(7);
  for (const f of functions) expect(f.Properties.CodeSigningConfigArn).toBeDefined();
  const unsigned = base;
  for (const f of Object.values(Template.fromStack(unsigned.stack).findResources('AWS::Lambda::Function')) as any[]) expect(f.Properties.CodeSigningConfigArn).toBeUndefined();
});

describe('canaryVerdict', () => {
  const record = { target: 't', id: 'id-1', resourceArn: 'arn', resourceType: 'S3', sha256: 'aaa', writtenAt: '2026-01-01T00:00:00.000Z', recordedAt: 1000 };
  test.each([
    ['intact', { restored: { id: 'id-1', sha256: 'aaa' }, record, recoveryPointCreatedAt: 2000 }, true, /restored intact/],
    ['changed content (ransomware)', { restored: { id: 'id-1', sha256: 'bbb' }, record, recoveryPointCreatedAt: 2000 }, false, /content hash bbb, not the aaa recorded/],
    ['unreadable canary', { restored: { sha256: 'ccc' } }, false, /names no record/],
    ['unknown id', { restored: { id: 'forged', sha256: 'aaa' } }, false, /never recorded/],
    ['record written after the recovery point', { restored: { id: 'id-1', sha256: 'aaa' }, record: { ...record, recordedAt: 3000 }, recoveryPointCreatedAt: 2000 }, false, /after the recovery point/],
    ['lost canary', { firstRecordedAt: 1000, recoveryPointCreatedAt: 2000 }, false, /NO canary/],
    ['recovery point older than the first canary', { firstRecordedAt: 3000, recoveryPointCreatedAt: 2000 }, true, /predates the first canary/],
    ['never recorded', {}, true, /not checked yet/],
  ])('%s', (_name, input, passed, detail) => {
    const v = canaryVerdict({ target: 't', ...(input as any) });
    expect(v.passed).toBe(passed);
    expect(v.detail).toMatch(detail);
  });
});

// ---- Executed: the REAL bundles against the fake AWS.

let aws: FakeAws;
withFakeAws((a) => (aws = a));
beforeAll(() => {
  // The default validator's environment with canaries on (the template sets it to the evidence bucket).
  process.env.CANARY_RECORDS_BUCKET = EVIDENCE_BUCKET;
});
afterAll(() => {
  delete process.env.CANARY_RECORDS_BUCKET;
  delete process.env.CANARY_TARGETS;
});

describe('the canary writer (bundled) writes a locked record first, then the canary', () => {
  const writer = () => require(join(__dirname, '..', '..', 'assets', 'handlers', 'drill-canary', 'index.js'));
  const TABLE = (name: string) => `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${name}`;

  beforeEach(() => {
    process.env.CANARY_TARGETS = JSON.stringify([
      { name: 'docs', resourceType: 'S3', resourceArn: 'arn:aws:s3:::hr-documents' },
      { name: 'employees', resourceType: 'DynamoDB', resourceArn: TABLE('hr-employees') },
      { name: 'counters', resourceType: 'DynamoDB', resourceArn: TABLE('counters') },
      { name: 'payroll', resourceType: 'Aurora', resourceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:payroll` },
    ]);
    aws.on('s3.PutObject', {});
    aws.on('dynamodb.PutItem', {});
    aws.on('dynamodb.DescribeTable', (i: any) =>
      i.TableName.endsWith('counters')
        ? { Table: { KeySchema: [{ AttributeName: 'n', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'n', AttributeType: 'N' }] } }
        : { Table: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }] } },
    );
  });

  test('S3 object and DynamoDB item whose SHA-256 is the recorded one; a numeric partition key is not applicable; other types untouched', async () => {
    const out = await writer().handler();
    expect(out.written.map((w: any) => w.target)).toEqual(['docs', 'employees']);
    expect(out.notApplicable).toEqual([{ target: 'counters', reason: expect.stringContaining("partition key 'n' is of type N") }]);
    const puts = aws.callsOf('s3.PutObject');
    const records = puts.filter((p) => p.Bucket === EVIDENCE_BUCKET);
    expect(records.map((r) => r.Key)).toEqual([expect.stringMatching(/^canaries\/docs\/\d{8}T\d{9}Z-[0-9a-f]{8}\.json$/), expect.stringMatching(/^canaries\/employees\//)]);
    for (const r of records) expect(r).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: EVIDENCE_KEY_ARN, IfNoneMatch: '*' });
    // The record precedes its canary.
    expect(puts.map((p) => p.Bucket)).toEqual([EVIDENCE_BUCKET, 'hr-documents', EVIDENCE_BUCKET]);
    const canary = puts.find((p) => p.Bucket === 'hr-documents')!;
    const docs = JSON.parse(records[0].Body);
    expect(canary).toMatchObject({ Key: CANARY_OBJECT_KEY, Metadata: { 'canary-id': docs.id } });
    expect(sha256Hex(canary.Body)).toBe(docs.sha256);
    const [item] = aws.callsOf('dynamodb.PutItem');
    const employees = JSON.parse(records[1].Body);
    expect(item.TableName).toBe(TABLE('hr-employees'));
    expect(item.Item.pk).toEqual({ S: 'data-protection-canary' });
    expect(item.Item.sk).toEqual({ N: '0' });
    expect(item.Item.dataProtectionCanaryId).toEqual({ S: employees.id });
    expect(sha256Hex(item.Item.dataProtectionCanary.S)).toBe(employees.sha256);
  });

  test('a store it cannot write: the others are still written, then it throws naming the store (the canary alarm watches Errors)', async () => {
    aws.on('s3.PutObject', (i: any) => {
      if (i.Bucket === 'hr-documents') throw new AwsError('AccessDenied', 'Access Denied', 403);
      return {};
    });
    await expect(writer().handler()).rejects.toThrow(/canary NOT written for docs \(AccessDenied: Access Denied\)/);
    expect(aws.callsOf('dynamodb.PutItem')).toHaveLength(1);
  });
});

describe('drills executed with canaries', () => {
  const app = new App();
  const s3Machine = (() => {
    const stack = new Stack(app, 'CanaryBucket', { env: ENV });
    const key = new kms.Key(stack, 'Key');
    const drill = new RestoreDrill(stack, 'Drill', {
      targets: [DrillTarget.of({ name: 'employees', resourceType: DrillResourceType.S3, resourceArn: 'arn:aws:s3:::hr-documents', backupVaultName: 'data-vault', rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) })],
      evidenceKey: key,
      alarmTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
      schedule: false,
    });
    return { asl: aslOf(Template.fromStack(stack)), input: JSON.parse(JSON.stringify(stack.resolve(drill.executionInput()))) };
  })();

  const ID = '20260101T000000000Z-0a1b2c3d';
  const CONTENT = JSON.stringify({ canary: 'cdk-data-protection restore drill', target: 'employees', id: ID, nonce: 'ab'.repeat(32) });
  /** The S3 world: a restored copy as large as its source, holding `restoredCanary`; the canary record in the evidence bucket. */
  function bucketWorld(restoredCanary: { Body: string; Metadata?: { [k: string]: string } } | 'none') {
    const objects = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `doc-${i}.pdf`, Size: 1000 }));
    aws.on('s3.ListObjectsV2', (i: any) =>
      i.Bucket === EVIDENCE_BUCKET ? { Contents: [{ Key: `canaries/employees/${ID}.json`, LastModified: clock.at(-24 * 60) }] } : { Contents: objects(50) },
    );
    aws.on('s3.GetObject', (i: any) => {
      if (i.Bucket === EVIDENCE_BUCKET) {
        if (i.Key !== `canaries/employees/${ID}.json`) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
        return { Body: JSON.stringify({ target: 'employees', id: ID, resourceArn: 'arn:aws:s3:::hr-documents', resourceType: 'S3', sha256: sha256Hex(CONTENT), writtenAt: clock.at(-24 * 60) }), LastModified: clock.at(-24 * 60) };
      }
      if (i.Key === CANARY_OBJECT_KEY) {
        if (restoredCanary === 'none') throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
        return restoredCanary;
      }
      return { Body: 'x'.repeat(1000) };
    });
    aws.on('s3.ListObjectVersions', (i: any) => ({ Versions: objects(2).map((o) => ({ Key: o.Key, VersionId: 'v1' })), Name: i.Bucket }));
    aws.on('s3.DeleteObjects', {});
    aws.on('s3.DeleteBucket', {});
  }
  async function run() {
    const r = await runDrill(s3Machine.asl, s3Machine.input, { resourceType: 'S3', job: { createdResourceArn: 'arn:aws:s3:::drill-employees-x' } });
    const evidence = evidenceWritten(aws);
    const record = evidence[0]?.record;
    const canary = (record?.validation?.checks ?? []).find((c: any) => c.name === 'canary');
    return { ...r, evidence, record, canary, notifications: r.calls[S.NOTIFY] ?? [] };
  }

  test('the restored canary has the recorded hash: the drill succeeds', async () => {
    bucketWorld({ Body: CONTENT, Metadata: { 'canary-id': ID } });
    const r = await run();
    expect(r.record.status).toBe('SUCCEEDED');
    expect(r.canary).toMatchObject({ passed: true, detail: expect.stringContaining(`canary ${ID} restored intact`) });
    expect(r.result.status).toBe('SUCCEEDED');
  });

  test('ransomware encrypted the data (the canary too) before the backup: VALIDATION_FAILED, evidence written, notified, copy deleted', async () => {
    bucketWorld({ Body: 'ENCRYPTED:' + Buffer.from(CONTENT).toString('base64'), Metadata: { 'canary-id': ID } });
    const r = await run();
    // Counts and bytes match the source: only the content check catches it.
    const checks = Object.fromEntries(r.record.validation.checks.map((c: any) => [c.name, c.passed]));
    expect(checks).toMatchObject({ objectCount: true, objectsComparedWithSource: true, bytesComparedWithSource: true, canary: false });
    expect(r.record.status).toBe('VALIDATION_FAILED');
    expect(r.record.reason).toMatch(new RegExp(`the validator reported the restored data invalid: failed: canary \\(the restored canary ${ID} has content hash [0-9a-f]{64}, not the ${sha256Hex(CONTENT)} recorded`));
    expect(r.evidence).toHaveLength(1);
    expect(r.notifications[0]).toMatchObject({ Subject: 'Restore drill VALIDATION_FAILED: employees', Message: expect.stringContaining('e.g. encrypted by ransomware') });
    expect(aws.callsOf('backup.PutRestoreValidationResult')[0]).toMatchObject({ ValidationStatus: 'FAILED' });
    expect(aws.callsOf('s3.DeleteBucket')).toHaveLength(1);
    expect(r.result.status).toBe('FAILED');
    expect(r.result.error).toBe(JSON.stringify(['VALIDATION_FAILED']));
  });

  test('the canary was lost (ransomware replaced the objects, metadata dropped): VALIDATION_FAILED', async () => {
    bucketWorld('none');
    const r = await run();
    expect(r.record.status).toBe('VALIDATION_FAILED');
    expect(r.canary).toMatchObject({ passed: false, detail: expect.stringContaining('the restored copy has NO canary although canaries of employees were recorded since') });
  });
});

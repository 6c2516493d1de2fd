/**
 * RestoreDrill with `discovery`: targets found at run time by their classification and drill
 * tags. The template (discover function, one daily schedule, no target list, IAM scoped without
 * store ARNs), bad input, the per-store tags, and the workflow executed locally with the REAL
 * bundled handlers against the fake AWS (tagging API included).
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataClassification } from '../../lib';
import { CLASSIFICATION_TAG, DRILL_SKIP_TAG } from '../../lib/core/constants';
import { DrillDiscoveryLevel, DrillDiscoveryProps, DrillResourceType, drillTagsOf, DrillTarget, RESTORE_DRILL_STATES as S, RestoreDrill, RestoreDrillProps } from '../../lib/drill';
import { DISCOVERY_ENV, DiscoveryConfig, itemOfStore, nameFromArn, parseDrillTags, selectDue, TARGET_NAME } from '../../lib/drill/target-item';
import { checkStatement, IamCatalog } from '../aws/iam-data';
import { ACCOUNT, clock, dynamoDbWorld, earlierSuccess, rpArn, evidenceWritten, objectStore, pastRestoreJobs, runDrill, startFakeAws, StoredObject } from './drill-harness';
import { FakeAws } from './fake-aws';
import { aslOf, ENV } from './helpers';
import { discover } from '../../lib/drill/handlers/discovery';

const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/hr-employees`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function levels(stack: Stack, withKeys = true): DrillDiscoveryLevel[] {
  const key = withKeys ? kms.Key.fromKeyArn(stack, 'RestoreKey', KEY_ARN) : undefined;
  return [
    { classification: DataClassification.CONFIDENTIAL, rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30), ...(key ? { restoreKeys: { s3: key, ebs: key, efs: key } } : {}) },
    { classification: DataClassification.HIGHLY_SENSITIVE, rto: Duration.hours(2), rpo: Duration.hours(1), interval: Duration.days(7), restoreTimeout: Duration.hours(8) },
  ];
}

function discoveryStack(options: { discovery?: Partial<DrillDiscoveryProps>; props?: Partial<RestoreDrillProps>; withKeys?: boolean; app?: App; id?: string } = {}) {
  const stack = new Stack(options.app ?? new App(), options.id ?? 'Holder', { env: ENV });
  const key = new kms.Key(stack, 'EvidenceKey');
  const topic = new sns.Topic(stack, 'Alarms', { masterKey: key });
  const drill = new RestoreDrill(stack, 'Drill', {
    discovery: { backupVaultName: 'data-vault', levels: levels(stack, options.withKeys ?? true), ...options.discovery },
    evidenceKey: key,
    alarmTopic: topic,
    ...options.props,
  });
  return { stack, drill, key, topic };
}

describe('template in discovery mode', () => {
  const { stack, drill } = discoveryStack();
  const template = Template.fromStack(stack);
  const functions = template.findResources('AWS::Lambda::Function');
  const envOf = (fn: any) => (functions[stack.getLogicalId(fn.node.defaultChild)].Properties.Environment?.Variables ?? {}) as { [k: string]: any };
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
  const statementsOf = (fn: any) => {
    const roleId = stack.getLogicalId(fn.role.node.defaultChild);
    return policies.filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement);
  };
  const asList = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

  test('a discover function carries the configuration in one variable; no function carries a target list', () => {
    expect(drill.discoverFunction).toBeDefined();
    expect(drill.targets).toEqual([]);
    expect(typeof envOf(drill.discoverFunction)[DISCOVERY_ENV]).toBe('string');
    expect(JSON.parse(envOf(drill.discoverFunction)[DISCOVERY_ENV])).toMatchObject({
      drill: 'Holder/Drill',
      backupVaultName: 'data-vault',
      maxTargets: 20,
      maxRestoreTimeoutSeconds: 8 * 3600,
      levels: [
        { classification: 'CONFIDENTIAL', rtoSeconds: 4 * 3600, rpoSeconds: 3600, intervalDays: 30, restoreTimeoutSeconds: 8 * 3600, restoreKeys: { S3: KEY_ARN, EBS: KEY_ARN, EFS: KEY_ARN } },
        { classification: 'HIGHLY_SENSITIVE', rtoSeconds: 2 * 3600, rpoSeconds: 3600, intervalDays: 7, restoreTimeoutSeconds: 8 * 3600, restoreKeys: {} },
      ],
    });
    // The staleness function discovers the same way.
    expect(envOf(drill.stalenessFunction)[DISCOVERY_ENV]).toEqual(envOf(drill.discoverFunction)[DISCOVERY_ENV]);
    for (const fn of Object.values(functions) as any[]) expect(Object.keys(fn.Properties.Environment?.Variables ?? {})).not.toContain('DRILL_TARGETS');
  });

  test('one daily schedule starts a discovery execution (no per-interval schedules), beside the daily staleness check and canary writer', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')) as any[];
    expect(schedules).toHaveLength(3);
    expect(schedules.map((s) => s.Properties.ScheduleExpression)).toEqual(['rate(1 day)', 'rate(1 day)', 'rate(1 day)']);
    const start = schedules.find((s) => s.Properties.Target.Arn.Ref === stack.getLogicalId(drill.stateMachine.node.defaultChild as any));
    expect(JSON.parse(start.Properties.Target.Input)).toEqual({});
    expect(drill.schedules.map((s) => s.node.id)).toEqual(['DailyDiscovery', 'DailyStalenessCheck', 'DailyCanary']);
  });

  test("the workflow starts with 'Targets given?', discovers otherwise, and skips the Map when nothing is due; timeout from maxTargetsPerExecution and the longest restore timeout", () => {
    const asl = aslOf(template);
    expect(asl.StartAt).toBe(S.TARGETS_GIVEN);
    expect(asl.States[S.TARGETS_GIVEN]).toMatchObject({ Type: 'Choice', Choices: [{ Variable: '$.targets', IsPresent: true, Next: S.ANY_DUE }], Default: S.DISCOVER });
    expect(asl.States[S.DISCOVER]).toMatchObject({ Type: 'Task', Next: S.ANY_DUE });
    expect(asl.States[S.DISCOVER].ResultPath).toBeUndefined();
    expect(asl.States[S.DISCOVER].Catch).toBeUndefined();
    expect(asl.States[S.ANY_DUE]).toMatchObject({ Choices: [{ Variable: '$.targets[0]', IsPresent: true, Next: S.MAP }], Default: S.NONE_DUE });
    // Every drillable type has its states: the stores are known only at run time.
    for (const t of DrillResourceType.all()) expect(Object.keys(asl.States[S.MAP].ItemProcessor.States)).toContain(`Name ${t.backupResourceType} copy`);
    // 20 targets, 2 at a time: 10 rounds of (2 × 8 h + 4 h), and an hour for the discovery.
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as any;
    expect(asl.TimeoutSeconds ?? machine.Properties.TimeoutSeconds).toBe(10 * (2 * 8 * 3600 + 4 * 3600) + 3600);
  });

  test('the discover role lists tags on * (no resource-level permissions), reads only the evidence pointers, and describes only classified DB instances of this account and region', () => {
    const statements = statementsOf(drill.discoverFunction);
    const byAction = (a: string) => statements.filter((s: any) => asList(s.Action).includes(a));
    expect(byAction('tag:GetResources')).toEqual([expect.objectContaining({ Resource: '*' })]);
    expect(asList(byAction('tag:GetResources')[0].Action)).toEqual(['tag:GetResources']);
    const rds = byAction('rds:DescribeDBInstances')[0];
    expect(JSON.stringify(rds.Resource)).toContain(':rds:eu-west-1:111111111111:db:*');
    expect(rds.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${CLASSIFICATION_TAG}`]: ['CONFIDENTIAL', 'HIGHLY_SENSITIVE'] } });
    // The pointers and the evidence records they name, to verify each success with AWS Backup.
    expect(JSON.stringify(byAction('s3:GetObject')[0].Resource)).toContain('/latest-success/*');
    expect(JSON.stringify(byAction('s3:GetObject')[0].Resource)).toContain('/drills/*');
    // Nothing else on '*' but tag:GetResources, backup:DescribeRestoreJob (neither has resource types) and the X-Ray trace calls.
    const onStar = statements.filter((s: any) => asList(s.Resource).includes('*')).flatMap((s: any) => asList(s.Action));
    expect(onStar.filter((a: string) => !a.startsWith('xray:')).sort()).toEqual(['backup:DescribeRestoreJob', 'tag:GetResources']);
    expect(envOf(drill.discoverFunction).RESTORE_ROLE_ARN).toEqual(stack.resolve(drill.restoreRole.roleArn));
  });

  test("the validator reads sources of this account only: DynamoDB tables and Aurora clusters by classification tag, buckets by s3:ResourceAccount", () => {
    const statements = statementsOf(drill.validator);
    const find = (a: string, re: RegExp) => statements.find((s: any) => asList(s.Action).includes(a) && re.test(JSON.stringify(s.Resource)));
    const classified = { StringEquals: { [`aws:ResourceTag/${CLASSIFICATION_TAG}`]: ['CONFIDENTIAL', 'HIGHLY_SENSITIVE'] } };
    expect(find('dynamodb:DescribeTable', /table\/\*"/).Condition).toEqual(classified);
    expect(find('rds:DescribeDBClusters', /cluster:\*"/).Condition).toEqual(classified);
    expect(find('s3:ListBucket', /s3:::\*"/).Condition).toEqual({ StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } } });
    // The levels' restore key is granted to the validator and the restore role.
    expect(JSON.stringify(statements)).toContain(KEY_ARN);
    expect(JSON.stringify(statementsOf({ role: drill.restoreRole }))).toContain(KEY_ARN);
  });

  test('every statement of the drill passes the IAM data check (actions exist, condition keys apply to them)', async () => {
    const catalog = new IamCatalog();
    const findings: string[] = [];
    for (const p of policies) for (const s of p.Properties.PolicyDocument.Statement) findings.push(...(await checkStatement(catalog, s)));
    expect(findings).toEqual([]);
  });

  test('the wildcard resources of discovery are acknowledged with their reasons', () => {
    const acknowledged = (c: IConstruct) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    const text = JSON.stringify(drill.node.findAll().flatMap(acknowledged));
    expect(text).toContain('tag:GetResources has none either');
    expect(text).toContain('skip the members of an Aurora cluster');
    expect(text).toContain('s3:ResourceAccount holds it to this account');
  });

  test('defaultsFor gives the level and the isolation the discover function derives', () => {
    expect(drill.defaultsFor(DataClassification.HIGHLY_SENSITIVE).level?.rto.toHours()).toBe(2);
    expect(drill.defaultsFor(DataClassification.PUBLIC)).toEqual({});
  });
});

describe('bad input', () => {
  const build = (props: Partial<RestoreDrillProps>) => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const key = new kms.Key(stack, 'K');
    return () => new RestoreDrill(stack, 'Drill', { evidenceKey: key, alarmTopic: new sns.Topic(stack, 'T', { masterKey: key }), ...props } as RestoreDrillProps);
  };
  const level = (extra: Partial<DrillDiscoveryLevel> = {}): DrillDiscoveryLevel => ({ classification: DataClassification.CONFIDENTIAL, rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30), ...extra });
  const target = DrillTarget.of({ name: 'employees', resourceType: DrillResourceType.DYNAMODB, resourceArn: TABLE, backupVaultName: 'v', rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) });

  test('both targets and discovery, or neither, name both props', () => {
    expect(build({ targets: [target], discovery: { backupVaultName: 'v', levels: [level()] } })).toThrow(/RestoreDrillProps.targets and RestoreDrillProps.discovery are exclusive.*got both/);
    expect(build({})).toThrow('RestoreDrillProps.targets or RestoreDrillProps.discovery is required');
  });

  test('maxTargetsPerExecution outside 1-100, levels empty or repeated, the vault missing', () => {
    expect(build({ discovery: { backupVaultName: 'v', levels: [level()], maxTargetsPerExecution: 0 } })).toThrow('RestoreDrillProps.discovery.maxTargetsPerExecution must be between 1 and 100, got 0');
    expect(build({ discovery: { backupVaultName: 'v', levels: [level()], maxTargetsPerExecution: 101 } })).toThrow('must be between 1 and 100, got 101');
    expect(build({ discovery: { backupVaultName: 'v', levels: [level()], maxTargetsPerExecution: 2.5 } })).toThrow('must be a whole number, got 2.5');
    expect(build({ discovery: { backupVaultName: 'v', levels: [] } })).toThrow('RestoreDrillProps.discovery.levels must list at least one DrillDiscoveryLevel');
    expect(build({ discovery: { backupVaultName: 'v', levels: [level(), level()] } })).toThrow('CONFIDENTIAL is listed twice');
    expect(build({ discovery: { backupVaultName: '', levels: [level()] } })).toThrow('RestoreDrillProps.discovery.backupVaultName is required');
  });

  test("a level's times are checked as a DrillTarget's: ranges, restore timeout within the interval, at least the RTO and the first poll", () => {
    const d = (extra: Partial<DrillDiscoveryLevel>) => build({ discovery: { backupVaultName: 'v', levels: [level(extra)] } });
    expect(d({ rto: Duration.minutes(5) })).toThrow('RestoreDrillProps.discovery.levels[CONFIDENTIAL].rto must be between 0.25 and 720 hours, got 0.08333333333333333 hours');
    expect(d({ interval: Duration.hours(12) })).toThrow('RestoreDrillProps.discovery.levels[CONFIDENTIAL].interval must be between 24 and 8784 hours, got 12 hours');
    expect(d({ interval: Duration.days(1), restoreTimeout: Duration.hours(30) })).toThrow('levels[CONFIDENTIAL].interval must be at least the restore timeout');
    expect(d({ restoreTimeout: Duration.hours(2) })).toThrow('levels[CONFIDENTIAL].restoreTimeout must be at least its rto (14400 seconds)');
    expect(d({ rto: Duration.minutes(15), restoreTimeout: Duration.minutes(16) })).not.toThrow();
    expect(build({ firstPoll: Duration.minutes(30), discovery: { backupVaultName: 'v', levels: [level({ rto: Duration.minutes(15), restoreTimeout: Duration.minutes(20) })] } })).toThrow(
      'levels[CONFIDENTIAL].restoreTimeout must be at least RestoreDrillProps.firstPoll (1800 seconds)',
    );
  });

  test("a configuration over Lambda's 4 KB environment is a synth error naming the size", () => {
    const groups = Array.from({ length: 250 }, (_, i) => `sg-${String(i).padStart(17, '0')}`);
    expect(build({ discovery: { backupVaultName: 'v', levels: [level()], isolation: { securityGroupIds: groups } } })).toThrow(
      /RestoreDrill discover function: its Lambda environment would be \d+ bytes .* over Lambda's 4096-byte quota/,
    );
  });
});

describe('per-store drill tags (drillTagsOf)', () => {
  const stack = new Stack(new App(), 'Data', { env: ENV });
  const key = kms.Key.fromKeyArn(stack, 'K', KEY_ARN);
  const otherKey = kms.Key.fromKeyArn(stack, 'K2', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/other`);
  const level: DrillDiscoveryLevel = { classification: DataClassification.CONFIDENTIAL, rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30), restoreKeys: { s3: key } };
  const base = { resourceType: DrillResourceType.S3, resourceArn: 'arn:aws:s3:::hr-documents', backupVaultName: 'data-vault', rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30) };

  test('nothing is written when the store is what the level and its ARN give', () => {
    expect(drillTagsOf(DrillTarget.of({ ...base, name: 's3-hr-documents', restoreKey: key }), { level })).toEqual({});
  });

  test('only what differs: the name, the times, the isolation, validation and restore metadata', () => {
    const t = DrillTarget.of({
      ...base,
      name: 'documents',
      rto: Duration.hours(6),
      interval: Duration.days(90),
      isolation: { securityGroupIds: ['sg-1', 'sg-2'] },
      validation: { minObjects: '10' },
      restoreMetadata: { CreationToken: 'x' },
    });
    expect(drillTagsOf(t, { level })).toEqual({
      'data-protection:drill-name': 'documents',
      'data-protection:drill-rto-seconds': '21600',
      'data-protection:drill-interval-days': '90',
      'data-protection:drill-security-groups': 'sg-1 sg-2',
      'data-protection:drill-validation:minObjects': '10',
      'data-protection:drill-restore-metadata:CreationToken': 'x',
    });
  });

  test('a per-store restore key, or restore metadata deciding exposure or encryption, is a synth error: the drill would refuse such tags', () => {
    expect(() => drillTagsOf(DrillTarget.of({ ...base, name: 'documents', restoreKey: otherKey }), { level })).toThrow(
      /DrillTarget\(documents\)\.restoreKey cannot be set per store for a drill that finds its targets at run time/,
    );
    expect(() => drillTagsOf(DrillTarget.of({ ...base, name: 'documents', restoreMetadata: { EncryptionType: 'SSE-S3' } }), { level })).toThrow(
      /DrillTarget\(documents\)\.restoreMetadata\.EncryptionType cannot be set per store/,
    );
  });

  test('without a level, the times are written; a token value is accepted', () => {
    const tags = drillTagsOf(DrillTarget.of({ ...base, name: 's3-hr-documents', validation: { minObjects: new kms.Key(stack, 'Own').keyArn } }));
    expect(Object.keys(tags).sort()).toEqual(['data-protection:drill-interval-days', 'data-protection:drill-rpo-seconds', 'data-protection:drill-rto-seconds', 'data-protection:drill-validation:minObjects']);
  });

  test('a value no tag can carry is a synth error naming the setting and the value', () => {
    const t = DrillTarget.of({ ...base, resourceType: DrillResourceType.RDS, resourceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:payroll`, name: 'payroll', validation: { sqlQuery: 'SELECT count(*) FROM t' } });
    expect(() => drillTagsOf(t, { level })).toThrow("DrillTarget(payroll).validation.sqlQuery cannot be carried by a tag: 'SELECT count(*) FROM t' has a character outside letters, digits, spaces and _ . : / = + -");
    const long = DrillTarget.of({ ...base, name: 'docs', validation: { note: 'x'.repeat(300) } });
    expect(() => drillTagsOf(long, { level })).toThrow('DrillTarget(docs).validation.note cannot be carried by a tag');
    expect(() => drillTagsOf(DrillTarget.of({ ...base, name: 'docs', isolation: { availabilityZone: 'eu-west-1a@' } }), { level })).toThrow("isolation.availabilityZone cannot be carried by a tag: 'eu-west-1a@'");
  });

  test('round trip: the tags give the discover function the item executionInput() gives for the target', () => {
    const stack2 = new Stack(new App(), 'Holder', { env: ENV });
    const k = kms.Key.fromKeyArn(stack2, 'K', KEY_ARN);
    const evidenceKey = new kms.Key(stack2, 'E');
    const lvl: DrillDiscoveryLevel = { classification: DataClassification.CONFIDENTIAL, rto: Duration.hours(4), rpo: Duration.hours(1), interval: Duration.days(30), restoreKeys: { ebs: k } };
    const target = DrillTarget.of({
      name: 'volume-a',
      resourceType: DrillResourceType.EBS,
      resourceArn: `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-0abc`,
      backupVaultName: 'data-vault',
      rto: Duration.hours(3),
      rpo: Duration.hours(2),
      interval: Duration.days(14),
      restoreKey: k,
      isolation: { availabilityZone: 'eu-west-1b' },
      validation: { tolerancePercent: '5' },
    });
    const topic = new sns.Topic(stack2, 'T', { masterKey: evidenceKey });
    const discovering = new RestoreDrill(stack2, 'Drill', { discovery: { backupVaultName: 'data-vault', levels: [lvl] }, evidenceKey, alarmTopic: topic, schedule: false });
    const listed = new RestoreDrill(stack2, 'Listed', { targets: [target], evidenceKey, alarmTopic: topic, schedule: false });
    const config = JSON.parse(Template.fromStack(stack2).toJSON().Resources[stack2.getLogicalId(discovering.discoverFunction!.node.defaultChild as any)].Properties.Environment.Variables[DISCOVERY_ENV]);
    const tags = { [CLASSIFICATION_TAG]: 'CONFIDENTIAL', ...drillTagsOf(target, discovering.defaultsFor(DataClassification.CONFIDENTIAL)) };
    const found = itemOfStore(config, target.resourceArn!, tags, CLASSIFICATION_TAG);
    const expected = (stack2.resolve(listed.executionInput()) as any).targets[0];
    expect(found).toEqual({ item: { ...expected, drill: 'Holder/Drill' } });
    expect(parseDrillTags(tags).problems).toEqual([]);
  });
});

// ---- Drills of the copies (RestoreDrillProps.copyDiscovery): targets from the recovery points of
// vaults of this account, restored here; one stack for the template and the executed workflow.
const DATA_A = '333333333333';
const DATA_B = '444444444444';
const copyApp = new App();
const copyStack = new Stack(copyApp, 'Copies', { env: ENV });
const copyEvidenceKey = new kms.Key(copyStack, 'EvidenceKey');
const copyTopic = new sns.Topic(copyStack, 'Alarms', { masterKey: copyEvidenceKey });
const restoreKey = kms.Key.fromKeyArn(copyStack, 'RestoreKey', KEY_ARN);
const vaultKeyArn = 'arn:aws:kms:eu-west-1:555555555555:key/backup';
const copyDrill = new RestoreDrill(copyStack, 'Drill', {
  copyDiscovery: {
    backupVaultNames: ['central', 'central-365d'],
    rto: Duration.hours(8),
    rpo: Duration.hours(26),
    interval: Duration.days(90),
    restoreKeys: { s3: restoreKey, dynamoDb: restoreKey },
    recoveryPointKeys: [kms.Key.fromKeyArn(copyStack, 'VaultKey', vaultKeyArn)],
  },
  evidenceKey: copyEvidenceKey,
  alarmTopic: copyTopic,
  schedule: false,
});
const copyTemplate = Template.fromStack(copyStack);
const copyResources = copyTemplate.toJSON().Resources;
const copyEnvOf = (fn: any) => (copyResources[copyStack.getLogicalId(fn.node.defaultChild)].Properties.Environment?.Variables ?? {}) as { [k: string]: any };
const copyPolicies = Object.values(copyTemplate.findResources('AWS::IAM::Policy')) as any[];
const copyStatementsOf = (role: any) => {
  const roleId = copyStack.getLogicalId(role.node.defaultChild);
  return copyPolicies.filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement);
};
const copyEnv = copyEnvOf(copyDrill.discoverFunction)[DISCOVERY_ENV];

describe('drills of the copies: template', () => {
  test('the discover function lists the recovery points of the given vaults only: no tag listing, no source reads', () => {
    expect(JSON.parse(copyEnv)).toMatchObject({ copyVaults: ['central', 'central-365d'], levels: [{ classification: 'copies', intervalDays: 90, rtoSeconds: 8 * 3600, rpoSeconds: 26 * 3600 }] });
    const statements = copyStatementsOf(copyDrill.discoverFunction!.role);
    const actions = statements.flatMap((s: any) => [s.Action].flat());
    expect(actions).toContain('backup:ListRecoveryPointsByBackupVault');
    expect(actions).not.toContain('tag:GetResources');
    expect(actions).not.toContain('dynamodb:DescribeTable');
    const list = statements.find((s: any) => s.Action === 'backup:ListRecoveryPointsByBackupVault');
    expect(JSON.stringify(list.Resource)).toContain(':backup-vault:central');
    expect(JSON.stringify(list.Resource)).toContain(':backup-vault:central-365d');
    // The validator compares no source: it may not list buckets or describe tables outside the drill copies.
    expect(JSON.stringify(copyStatementsOf(copyDrill.validator.role))).not.toContain('s3:ResourceAccount');
  });

  test('no canaries (records and stores are in the data accounts); the restore role may read the copies with the vaults\' key', () => {
    expect(copyDrill.canaryFunction).toBeUndefined();
    expect(copyEnvOf(copyDrill.validator).CANARY_RECORDS_BUCKET).toBeUndefined();
    const restore = copyStatementsOf(copyDrill.restoreRole);
    expect(restore).toEqual(expect.arrayContaining([expect.objectContaining({ Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant'], Resource: vaultKeyArn })]));
    // Evidence under Object Lock in this account.
    copyTemplate.hasResourceProperties('AWS::S3::Bucket', { ObjectLockEnabled: true });
  });

  test('every statement passes the IAM data check', async () => {
    const catalog = new IamCatalog();
    const findings: string[] = [];
    for (const p of copyPolicies) for (const st of p.Properties.PolicyDocument.Statement) findings.push(...(await checkStatement(catalog, st)));
    expect(findings).toEqual([]);
  });

  test('bad input names the prop', () => {
    const build = (props: Partial<RestoreDrillProps>) => () => {
      const s = new Stack(new App(), 'Bad', { env: ENV });
      const k = new kms.Key(s, 'K');
      new RestoreDrill(s, 'Drill', { evidenceKey: k, alarmTopic: new sns.Topic(s, 'T'), ...props } as RestoreDrillProps);
    };
    const copies = { backupVaultNames: ['central'], rto: Duration.hours(8), rpo: Duration.hours(26), interval: Duration.days(90) };
    expect(build({ copyDiscovery: { ...copies, backupVaultNames: [] } })).toThrow('RestoreDrillProps.copyDiscovery.backupVaultNames must list at least one vault');
    expect(build({ copyDiscovery: { ...copies, backupVaultNames: ['bad name'] } })).toThrow("got 'bad name'");
    expect(build({ copyDiscovery: { ...copies, interval: Duration.hours(12) } })).toThrow('RestoreDrillProps.copyDiscovery.interval must be between 24 and 8784 hours, got 12 hours');
    expect(build({ copyDiscovery: copies, canary: true })).toThrow('RestoreDrillProps.canary must be false or unset with copyDiscovery');
    expect(build({ copyDiscovery: copies, discovery: { backupVaultName: 'v', levels: [] } })).toThrow('RestoreDrillProps.copyDiscovery is exclusive with targets and discovery');
  });
});


// ---- The workflow, executed locally with the real bundled handlers.

const app = new App();
const wf = discoveryStack({ app, id: 'Discovering', withKeys: false, props: { schedule: false } });
const wfTemplate = Template.fromStack(wf.stack);
const asl = aslOf(wfTemplate);
const discoveryEnv = wfTemplate.toJSON().Resources[wf.stack.getLogicalId(wf.drill.discoverFunction!.node.defaultChild as any)].Properties.Environment.Variables[DISCOVERY_ENV];

describe('the workflow in discovery mode (real bundled handlers, fake AWS)', () => {
  let aws: FakeAws;
  beforeAll(async () => {
    aws = await startFakeAws();
    process.env[DISCOVERY_ENV] = discoveryEnv;
  });
  afterAll(async () => {
    delete process.env[DISCOVERY_ENV];
    await aws.stop();
  });
  /** The evidence bucket's objects (latest-success pointers and evidence records). */
  let objects: Map<string, StoredObject>;
  beforeEach(() => {
    aws.reset();
    pastRestoreJobs.clear();
    objects = new Map();
    dynamoDbWorld(aws);
  });

  const tags = (o: { [k: string]: string }) => Object.entries(o).map(([Key, Value]) => ({ Key, Value }));
  /**
   * The Discover task as Step Functions runs it: the REAL bundled drill-discover handler; a thrown
   * error becomes Error = errorType and Cause = the Node.js runtime's error payload.
   */
  const discoverTask = async (input: unknown) => {
    try {
      return JSON.parse(JSON.stringify(await require('../../assets/handlers/drill-discover/index.js').handler(input)));
    } catch (e) {
      const err = e as Error;
      throw Object.assign(new Error(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: [] })), { name: err.name });
    }
  };
  const run = (input: unknown) => runDrill(asl, input, { functions: { [S.DISCOVER]: discoverTask } });
  /** Two pages: the table (due, never drilled), a bucket drilled 2 days ago as AWS Backup confirms (not due), a drill copy, a skipped store. */
  function taggedWorld() {
    aws.on('tagging.GetResources', (i: any) =>
      i.PaginationToken === 'page-2'
        ? {
            PaginationToken: '',
            ResourceTagMappingList: [
              { ResourceARN: 'arn:aws:s3:::hr-documents', Tags: tags({ [CLASSIFICATION_TAG]: 'CONFIDENTIAL' }) },
              { ResourceARN: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/drill-employees-1a2b3c4d`, Tags: tags({ [CLASSIFICATION_TAG]: 'HIGHLY_SENSITIVE' }) },
              { ResourceARN: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/legacy`, Tags: tags({ [CLASSIFICATION_TAG]: 'HIGHLY_SENSITIVE', [DRILL_SKIP_TAG]: 'true' }) },
            ],
          }
        : { PaginationToken: 'page-2', ResourceTagMappingList: [{ ResourceARN: TABLE, Tags: tags({ [CLASSIFICATION_TAG]: 'HIGHLY_SENSITIVE', 'data-protection:drill-name': 'employees' }) }] },
    );
    earlierSuccess(objects, 's3-hr-documents', { daysAgo: 2, sourceArn: 'arn:aws:s3:::hr-documents' });
    aws.on('s3.GetObject', objectStore(objects));
  }

  test('a daily execution discovers the due table across pages and drills it like a listed target', async () => {
    taggedWorld();
    const r = await run({});
    expect(r.result.status).toBe('SUCCEEDED');
    // Both pages were read, filtered by the drilled levels and the drillable types.
    const calls = aws.callsOf('tagging.GetResources');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ TagFilters: [{ Key: CLASSIFICATION_TAG, Values: ['CONFIDENTIAL', 'HIGHLY_SENSITIVE'] }], ResourceTypeFilters: expect.arrayContaining(['dynamodb:table', 'rds:cluster', 'ec2:volume']) });
    expect(calls[1].PaginationToken).toBe('page-2');
    // Only the due table was drilled: the bucket succeeded 2 days ago (30-day interval), the copy and the skipped table are left out.
    const discovered = (r.calls[S.DISCOVER] ?? []).length;
    expect(discovered).toBe(1);
    expect(r.calls[S.FIND].map((c: any) => c.target.name)).toEqual(['employees']);
    expect(r.calls[S.FIND][0].target).toMatchObject({ resourceType: 'DynamoDB', resourceArn: TABLE, backupVaultName: 'data-vault', drill: 'Discovering/Drill', rtoSeconds: 7200, intervalDays: 7, restoreTimeoutSeconds: 8 * 3600 });
    const evidence = evidenceWritten(aws);
    expect(evidence).toHaveLength(1);
    expect(evidence[0].record).toMatchObject({ target: 'employees', status: 'SUCCEEDED' });
    expect((r.result as any).output.results[0]).toMatchObject({ target: 'employees', status: 'SUCCEEDED', ok: true });
  });

  test('nothing due: the execution succeeds without entering the Map', async () => {
    aws.on('tagging.GetResources', { ResourceTagMappingList: [{ ResourceARN: 'arn:aws:s3:::hr-documents', Tags: tags({ [CLASSIFICATION_TAG]: 'CONFIDENTIAL' }) }] });
    earlierSuccess(objects, 's3-hr-documents', { daysAgo: 1, sourceArn: 'arn:aws:s3:::hr-documents' });
    aws.on('s3.GetObject', objectStore(objects));
    const r = await run({});
    expect(r.result.status).toBe('SUCCEEDED');
    expect(r.calls[S.FIND]).toBeUndefined();
    expect(r.result.events.some((e: any) => e.state?.name === S.NONE_DUE)).toBe(true);
  });

  test("a success claimed with another store's real restore job (a forged record naming it) does not make a store look drilled: it is due", async () => {
    aws.on('tagging.GetResources', { ResourceTagMappingList: [{ ResourceARN: 'arn:aws:s3:::hr-documents', Tags: tags({ [CLASSIFICATION_TAG]: 'CONFIDENTIAL' }) }] });
    // A real, completed restore job of the drill's role — of the payroll bucket, not of hr-documents.
    earlierSuccess(objects, 's3-hr-documents', { daysAgo: 1, sourceArn: 'arn:aws:s3:::payroll' });
    aws.on('s3.GetObject', objectStore(objects));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      // Due, so the execution goes on to restore it (this fake AWS knows only DynamoDB restores: how it ends is not the point).
      const r = await run({});
      expect(r.calls[S.FIND].map((c: any) => c.target.name)).toEqual(['s3-hr-documents']);
      expect(warn.mock.calls.flat().join(' ')).toContain('it restored arn:aws:s3:::payroll, not arn:aws:s3:::hr-documents');
    } finally {
      warn.mockRestore();
    }
  });

  test('a forged success (evidence naming a restore job AWS Backup does not have, written yesterday) does not make a store look drilled: it is due and drilled', async () => {
    aws.on('tagging.GetResources', { ResourceTagMappingList: [{ ResourceARN: TABLE, Tags: tags({ [CLASSIFICATION_TAG]: 'HIGHLY_SENSITIVE', 'data-protection:drill-name': 'employees' }) }] });
    earlierSuccess(objects, 'employees', { daysAgo: 1, restoreJobId: 'job-forged', job: 'gone' });
    aws.on('s3.GetObject', objectStore(objects));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const r = await run({});
      expect(r.result.status).toBe('SUCCEEDED');
      expect(r.calls[S.FIND].map((c: any) => c.target.name)).toEqual(['employees']);
      expect(aws.callsOf('backup.DescribeRestoreJob').map((c) => c.RestoreJobId)).toContain('job-forged');
      expect(warn.mock.calls.flat().join(' ')).toContain('AWS Backup has no restore job job-forged');
    } finally {
      warn.mockRestore();
    }
  });

  test('the discover step failing fails the execution with its error (the drill-failed alarm notifies), nothing is drilled', async () => {
    aws.fails('tagging.GetResources', 'AccessDeniedException', 'User is not authorized to perform: tag:GetResources', 400);
    const r = await run({});
    expect(r.result.status).toBe('FAILED');
    expect(r.result.error).toBe('AccessDeniedException');
    expect(r.result.cause).toContain('tag:GetResources');
    expect(r.calls[S.FIND]).toBeUndefined();
    expect(evidenceWritten(aws)).toEqual([]);
  });

  test('an on-demand input with targets skips the discovery', async () => {
    const stackInput = { targets: [{ ...((await discoverOnce()) as any).targets[0] }] };
    aws.reset();
    dynamoDbWorld(aws);
    const r = await run(stackInput);
    expect(r.result.status).toBe('SUCCEEDED');
    expect(r.calls[S.DISCOVER]).toBeUndefined();
    expect(aws.callsOf('tagging.GetResources')).toEqual([]);
    expect(r.calls[S.FIND].map((c: any) => c.target.name)).toEqual(['employees']);
  });

  async function discoverOnce() {
    taggedWorld();
    const bundle = require('../../assets/handlers/drill-discover/index.js');
    return bundle.handler({});
  }

  test('the staleness function discovers every target (due or not) and counts stores with wrong tags stale', async () => {
    taggedWorld();
    aws.on('tagging.GetResources', {
      ResourceTagMappingList: [
        { ResourceARN: TABLE, Tags: tags({ [CLASSIFICATION_TAG]: 'HIGHLY_SENSITIVE', 'data-protection:drill-name': 'employees' }) },
        { ResourceARN: 'arn:aws:s3:::hr-documents', Tags: tags({ [CLASSIFICATION_TAG]: 'CONFIDENTIAL' }) },
        { ResourceARN: 'arn:aws:s3:::broken', Tags: tags({ [CLASSIFICATION_TAG]: 'CONFIDENTIAL', 'data-protection:drill-rto-seconds': 'soon' }) },
      ],
    });
    const staleness = require('../../assets/handlers/drill-staleness/index.js');
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const out = await staleness.handler();
      expect(Object.keys(out.ages).sort()).toEqual(['employees', 's3-hr-documents']);
      expect(out.stale).toContain('arn:aws:s3:::broken');
      expect(warn.mock.calls.flat().join(' ')).toContain("tag data-protection:drill-rto-seconds must be a positive number, got 'soon'");
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
  });

  describe('drills of the copies: the real bundled handlers against the fake AWS', () => {
    // The parent's fake AWS (the bundled handlers keep their first clients); its configuration back after.
    afterAll(() => {
      process.env[DISCOVERY_ENV] = discoveryEnv;
    });
    const SOURCE_TABLE = `arn:aws:dynamodb:eu-west-1:${DATA_A}:table/hr-employees`;
    const sourceVault = (account: string) => `arn:aws:backup:eu-west-1:${account}:backup-vault:data-vault`;
    /** The central vaults' copies: two pages of 'central', one of 'central-365d'. */
    function copiesWorld(objects: Map<string, StoredObject>) {
      dynamoDbWorld(aws);
      aws.on('backup.ListRecoveryPointsByBackupVault', (i: any) => {
        if (i.ByResourceArn) {
          // The recovery-point chooser: the copies of the one table in the vault it was found in.
          return { RecoveryPoints: [{ RecoveryPointArn: rpArn('copy-new'), ResourceArn: i.ByResourceArn, Status: 'COMPLETED', CreationDate: clock.at(-60), BackupSizeInBytes: 2_400_000, ResourceType: 'DynamoDB' }] };
        }
        if (i.BackupVaultName === 'central-365d') {
          return { RecoveryPoints: [
            // Newer than its copy in 'central': the table is drilled from this vault.
            { RecoveryPointArn: rpArn('copy-new'), ResourceArn: SOURCE_TABLE, ResourceType: 'DynamoDB', SourceBackupVaultArn: sourceVault(DATA_A), Status: 'COMPLETED', CreationDate: clock.at(-60) },
          ] };
        }
        return i.NextToken === 'page-2'
          ? { RecoveryPoints: [
              // Same bucket name in two data accounts: two targets, named by account.
              { RecoveryPointArn: rpArn('b-a'), ResourceArn: 'arn:aws:s3:::hr-documents', ResourceType: 'S3', SourceBackupVaultArn: sourceVault(DATA_A), Status: 'COMPLETED', CreationDate: clock.at(-120) },
              { RecoveryPointArn: rpArn('b-b'), ResourceArn: 'arn:aws:s3:::hr-documents-b', ResourceType: 'S3', SourceBackupVaultArn: sourceVault(DATA_B), Status: 'COMPLETED', CreationDate: clock.at(-120) },
              // Not restorable, and an RDS copy without a subnet group of this account (rejected, counted stale).
              { RecoveryPointArn: rpArn('x'), ResourceArn: `arn:aws:dynamodb:eu-west-1:${DATA_B}:table/partial`, ResourceType: 'DynamoDB', Status: 'PARTIAL', CreationDate: clock.at(-120) },
              { RecoveryPointArn: rpArn('db'), ResourceArn: `arn:aws:rds:eu-west-1:${DATA_B}:db:orders`, ResourceType: 'RDS', SourceBackupVaultArn: sourceVault(DATA_B), Status: 'COMPLETED', CreationDate: clock.at(-120) },
            ] }
          : { NextToken: 'page-2', RecoveryPoints: [
              { RecoveryPointArn: rpArn('copy-old'), ResourceArn: SOURCE_TABLE, ResourceType: 'DynamoDB', SourceBackupVaultArn: sourceVault(DATA_A), Status: 'COMPLETED', CreationDate: clock.at(-24 * 60) },
            ] };
      });
      aws.on('s3.GetObject', objectStore(objects));
    }

    test('the discover function groups the copies by source store, keeps the vault of the newest, and names them by account', async () => {
      aws.reset();
      pastRestoreJobs.clear();
      const objects = new Map<string, StoredObject>();
      copiesWorld(objects);
      // The bucket of account A drilled 2 days ago (90-day interval): not due.
      earlierSuccess(objects, `s3-${DATA_A}-hr-documents`, { daysAgo: 2, sourceArn: 'arn:aws:s3:::hr-documents' });
      process.env[DISCOVERY_ENV] = copyEnv;
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        const out = await require('../../assets/handlers/drill-discover/index.js').handler({});
        // Every page of both vaults, no tag listing.
        const calls = aws.callsOf('backup.ListRecoveryPointsByBackupVault');
        expect(calls.map((c) => [c.BackupVaultName, c.NextToken ?? null])).toEqual([['central', null], ['central', 'page-2'], ['central-365d', null]]);
        expect(aws.callsOf('tagging.GetResources')).toEqual([]);
        expect(out.targets.map((t: any) => t.name)).toEqual([`dynamodb-${DATA_A}-hr-employees`, `s3-${DATA_B}-hr-documents-b`]);
        expect(out.targets[0]).toMatchObject({
          resourceType: 'DynamoDB',
          resourceArn: SOURCE_TABLE,
          backupVaultName: 'central-365d',
          validation: { compareWithSource: 'false', canary: 'false' },
          restoreMetadata: { encryptionType: 'KMS', kmsMasterKeyArn: KEY_ARN },
          intervalDays: 90,
        });
        // The source table is in another account: never described.
        expect(aws.callsOf('dynamodb.DescribeTable')).toEqual([]);
        expect(out.summary).toMatchObject({ discovered: 3, due: 2, rejectedCount: 1 });
        expect(out.summary.rejected[0]).toMatchObject({ resourceArn: `arn:aws:rds:eu-west-1:${DATA_B}:db:orders`, reason: expect.stringContaining('dbSubnetGroupName') });
      } finally {
        log.mockRestore();
        warn.mockRestore();
      }
    });

    test('a daily execution restores the due copy here, validates it without its source, and writes the evidence', async () => {
      aws.reset();
      pastRestoreJobs.clear();
      const objects = new Map<string, StoredObject>();
      copiesWorld(objects);
      earlierSuccess(objects, `s3-${DATA_A}-hr-documents`, { daysAgo: 2, sourceArn: 'arn:aws:s3:::hr-documents' });
      earlierSuccess(objects, `s3-${DATA_B}-hr-documents-b`, { daysAgo: 2, sourceArn: 'arn:aws:s3:::hr-documents-b' });
      process.env[DISCOVERY_ENV] = copyEnv;
      const discoverTask = async (input: unknown) => JSON.parse(JSON.stringify(await require('../../assets/handlers/drill-discover/index.js').handler(input)));
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        const r = await runDrill(aslOf(copyTemplate), {}, { functions: { [S.DISCOVER]: discoverTask } });
        expect(r.result.status).toBe('SUCCEEDED');
        expect(r.calls[S.FIND].map((c: any) => c.target.name)).toEqual([`dynamodb-${DATA_A}-hr-employees`]);
        const evidence = evidenceWritten(aws);
        expect(evidence).toHaveLength(1);
        expect(evidence[0].record).toMatchObject({ target: `dynamodb-${DATA_A}-hr-employees`, status: 'SUCCEEDED' });
        expect(aws.callsOf('dynamodb.DescribeTable').map((c) => c.TableName)).not.toContain(SOURCE_TABLE);
      } finally {
        log.mockRestore();
        warn.mockRestore();
      }
    });
  });
});

// =============================================================================================
// The discovery handler (one file with the discovery above: one module load).
/**
 * The discover function's logic without AWS: tags to items, due selection, default names, and
 * pagination and skips of the discovery (SDK clients replaced by recording fakes).
 */
{
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
}

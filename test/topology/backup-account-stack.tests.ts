import { App, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, DataClassification, ImmutableBackupVault, KeyAccountStack, ProtectedBackupPlan } from '../lib';
import { airGappedVaultTarget, BackupAccountStack, CENTRAL_BACKUP_VAULT_NAME } from '../../lib/topology/backup-account-stack';
import { AIR_GAPPED_VAULT_NAME } from '../../lib/backup/logically-air-gapped-vault';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import { App as CdkApp, Stack, Token } from 'aws-cdk-lib';
import { DataAccountStack } from '../../lib/topology/data-account-stack';
import { DataProtectionDashboard } from '../../lib/audit/data-protection-dashboard';
import { DrillNetwork, NETWORK_OPENING_CALLS } from '../../lib/drill/drill-network';
import { ACCOUNTS, AUDIT_ACCOUNT, BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, REGION } from '../helpers';
import { METADATA } from '../../lib/core/constants';

const ORG = { ...ACCOUNTS, organizationId: 'o-exampleorg1' };

function backupStack(app = new App(), props: Partial<ConstructorParameters<typeof BackupAccountStack>[2]> = {}, region = REGION): BackupAccountStack {
  return new BackupAccountStack(app, `Backup${region.replace(/-/g, '')}`, { env: { account: BACKUP_ACCOUNT, region }, accounts: ORG, ...props });
}

/**
 * A `Fn::Join` of JSON text around deploy-time values, parsed: each value written as its reference
 * (`Ref:<id>`, `GetAtt:<id>.<attribute>`), or as `token(value)`.
 */
function parseJoinedJson(joined: any, token = (v: any): string => (v.Ref ? `Ref:${v.Ref}` : `GetAtt:${v['Fn::GetAtt'].join('.')}`)): any {
  return JSON.parse(joined['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : token(p))).join(''));
}

/** The discovery configuration of the drill of the copies (its functions' `DRILL_DISCOVERY`), parsed. */
function copyDiscoveryOf(t: Template): any {
  const fns = Object.values(t.findResources('AWS::Lambda::Function')) as any[];
  return parseJoinedJson(fns.map((f) => f.Properties.Environment?.Variables?.DRILL_DISCOVERY).find((v) => v !== undefined));
}

/** A stack with every default, built once and shared by the tests that only read it. */
const DEFAULT_STACK = backupStack();
const DEFAULT_TEMPLATE = Template.fromStack(DEFAULT_STACK);

describe('BackupAccountStack', () => {
  test('central vault: compliance lock 90-3650 days, key-account backup key, copies only from the data accounts of the organization', () => {
    const stack = DEFAULT_STACK;
    const template = DEFAULT_TEMPLATE;
    template.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: CENTRAL_BACKUP_VAULT_NAME,
      LockConfiguration: { MinRetentionDays: 90, MaxRetentionDays: 3650, ChangeableForDays: 3 },
      EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BackupKeyDescribeKey'), 'KeyMetadata.Arn'] },
      AccessPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCopyIntoVaultFromSourceAccounts',
            Action: 'backup:CopyIntoBackupVault',
            Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
          }),
        ]),
      },
    });
    const policy = JSON.stringify(template.toJSON());
    expect(policy).toContain(`:iam::${DATA_ACCOUNT}:root`);
    // The alias ARN is rebuilt from the deterministic name, resolved in the key account.
    const lookups = JSON.stringify(template.findResources('Custom::DataProtectionKeyLookup'));
    expect(lookups).toContain(`:kms:${REGION}:${KEY_ACCOUNT}:alias/data-protection/backup`);
    expect(stack.centralVault).toEqual({ backupVaultName: CENTRAL_BACKUP_VAULT_NAME, account: BACKUP_ACCOUNT, region: REGION, minRetentionDays: 90, maxRetentionDays: 3650 });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('IRREVERSIBLE: Vault Lock COMPLIANCE on data-protection-central'));
  });

  test('alarms on failed copy and restore jobs', () => {
    const template = DEFAULT_TEMPLATE;
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Copy Job State Change'], detail: { state: ['FAILED'] } } });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Restore Job State Change'], detail: { status: ['FAILED', 'ABORTED'] } } });
  });

  test('a DR-region instance: same vault name, DR region', () => {
    const dr = backupStack(new App(), {}, 'eu-central-1');
    expect(dr.centralVault.region).toBe('eu-central-1');
    Template.fromStack(dr).hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: CENTRAL_BACKUP_VAULT_NAME });
  });

  test('a data-account plan copies into the central vault by ARN, with no cross-stack reference, and every retention fits the lock', () => {
    const app = new App();
    const central = backupStack(app);
    const dr = backupStack(app, {}, 'eu-central-1');
    const data = new DataAccountStack(app, 'Data', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ORG });
    const bucket = new s3.Bucket(data, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.HIGHLY_SENSITIVE) });
    classify(bucket, DataClassification.HIGHLY_SENSITIVE);
    const vault = new ImmutableBackupVault(data, 'Vault', { backupVaultName: 'hr-backups', encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL), copySourceAccounts: [BACKUP_ACCOUNT] });
    new ProtectedBackupPlan(data, 'Plan', { backupVault: vault, centralVault: central.centralVault, drVault: dr.centralVault });
    const template = Template.fromStack(data);
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).toContain(`:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:${CENTRAL_BACKUP_VAULT_NAME}`);
    expect(json).toContain(`:backup:eu-central-1:${BACKUP_ACCOUNT}:backup-vault:${CENTRAL_BACKUP_VAULT_NAME}`);
    app.synth();
  });

  test('KMS for cross-account copy, both directions: the key account grants the backup account its data keys (RDS/EBS copies) and the data accounts the backup key (copy back)', () => {
    const keys = new KeyAccountStack(new App(), 'Keys', { env: { account: KEY_ACCOUNT, region: REGION }, accounts: ORG });
    const policy = (k: { resource: kms.CfnKey }) => keys.resolve(k.resource.keyPolicy);
    const consumers = (k: { resource: kms.CfnKey }) => policy(k).Statement.find((s: any) => s.Sid === 'ConsumerAccountsUseKeyViaServices');
    const data = consumers(keys.dataKeys.CONFIDENTIAL);
    expect(data.Condition.StringEquals['kms:CallerAccount']).toEqual(expect.arrayContaining([DATA_ACCOUNT, BACKUP_ACCOUNT]));
    expect(data.Condition.StringEquals['kms:ViaService']).toEqual(expect.arrayContaining([`backup.${REGION}.amazonaws.com`, `rds.${REGION}.amazonaws.com`]));
    const backupKey = consumers(keys.backupKey);
    expect(backupKey.Condition.StringEquals['kms:CallerAccount']).toEqual(expect.arrayContaining([BACKUP_ACCOUNT, DATA_ACCOUNT]));
    expect(backupKey.Condition.StringEquals['kms:ViaService']).toContain(`backup.${REGION}.amazonaws.com`);
    expect(keys.backupKey.aliasName).toBe('alias/data-protection/backup');
  });

  test('snapshot', () => {
    expect(DEFAULT_TEMPLATE.toJSON()).toMatchSnapshot();
  });

  describe('logically air-gapped vault (opt-in)', () => {
    const RECOVERY = '555555555555';
    const stack = backupStack(new App(), { airGappedVault: { recoveryAccount: RECOVERY, encryptWithBackupKey: true } });
    const template = Template.fromStack(stack);
    test('vault: 7-3650 days, backup key, copies only from the data accounts of the organization, shared through RAM', () => {
      template.hasResource('AWS::Backup::LogicallyAirGappedBackupVault', {
        Properties: {
          BackupVaultName: AIR_GAPPED_VAULT_NAME,
          MinRetentionDays: 7,
          MaxRetentionDays: 3650,
          EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BackupKeyDescribeKey'), 'KeyMetadata.Arn'] },
          AccessPolicy: {
            Statement: Match.arrayWith([
              Match.objectLike({ Sid: 'DenyRecoveryPointDeletionExceptBreakGlass', Effect: 'Deny' }),
              Match.objectLike({ Sid: 'AllowCopyIntoVaultFromSourceAccounts', Action: 'backup:CopyIntoBackupVault', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } } }),
            ]),
          },
        },
        DeletionPolicy: 'Retain',
      });
      template.hasResourceProperties('AWS::RAM::ResourceShare', {
        Principals: [RECOVERY],
        AllowExternalPrincipals: false,
        ResourceArns: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('AirGappedVault'), 'BackupVaultArn'] }],
      });
      expect(stack.airGappedVault!.target).toEqual(airGappedVaultTarget(BACKUP_ACCOUNT, REGION));
      Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('IRREVERSIBLE: Logically air-gapped vault data-protection-air-gapped'));
    });
    test('default templates have none', () => {
      expect(JSON.stringify(DEFAULT_TEMPLATE.toJSON())).not.toContain('LogicallyAirGapped');
    });

    function dataStack(): Stack {
      return new Stack(new CdkApp(), 'Data', { env: { account: DATA_ACCOUNT, region: REGION } });
    }
    function plan(data: Stack, extra: Partial<ConstructorParameters<typeof ProtectedBackupPlan>[2]> = {}): ProtectedBackupPlan {
      const key = new kms.Key(data, 'Key');
      const vault = new ImmutableBackupVault(data, 'Vault', { backupVaultName: 'local', encryptionKey: key, maxRetention: Duration.days(3650) });
      return new ProtectedBackupPlan(data, 'Plan', {
        backupVault: vault,
        noCrossAccountCopyReason: 'test',
        noCrossRegionCopyReason: 'test',
        manageRegionSettings: false,
        airGappedVault: airGappedVaultTarget(BACKUP_ACCOUNT, REGION),
        ...extra,
      });
    }
    test('a HIGHLY_SENSITIVE plan copies into it by ARN; other levels do not', () => {
      const data = dataStack();
      classify(new s3.Bucket(data, 'Docs'), DataClassification.HIGHLY_SENSITIVE);
      classify(new s3.Bucket(data, 'Notes'), DataClassification.CONFIDENTIAL);
      plan(data);
      const plans = Template.fromStack(data).findResources('AWS::Backup::BackupPlan');
      const copies = (level: string) =>
        JSON.stringify(Object.values(plans).filter((p: any) => Object.values(p.Properties.BackupPlanTags).includes(level)));
      expect(copies('HIGHLY_SENSITIVE')).toContain(`:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:${AIR_GAPPED_VAULT_NAME}`);
      expect(copies('CONFIDENTIAL')).not.toContain(AIR_GAPPED_VAULT_NAME);
    });
    test('bad combinations: a type AWS Backup cannot copy there, retention outside the lock', () => {
      const ddb = dataStack();
      classify(new dynamodb.Table(ddb, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }), DataClassification.HIGHLY_SENSITIVE);
      expect(() => plan(ddb)).toThrow(/ProtectedBackupPlanProps.airGappedVault: rule '.*-highly-sensitive-scheduled' would copy AWS::DynamoDB::Table recovery points into logically air-gapped vault .*; AWS Backup copies only AWS::S3::Bucket/);
      const s3Data = dataStack();
      classify(new s3.Bucket(s3Data, 'Docs'), DataClassification.HIGHLY_SENSITIVE);
      expect(() => plan(s3Data, { airGappedVault: airGappedVaultTarget(BACKUP_ACCOUNT, REGION, 400) })).toThrow(/retention 365 days is outside the lock of vault 'data-protection-air-gapped'/);
    });
  });

  describe('bad input', () => {
    test('air-gapped vault options', () => {
      expect(() => backupStack(new App(), { airGappedVault: { minRetention: Duration.days(3) } })).toThrow('LogicallyAirGappedVaultProps.minRetention must be between 7 and 36500 days, got 3 days');
      expect(() => backupStack(new App(), { airGappedVault: { recoveryAccount: '123' } })).toThrow(/LogicallyAirGappedVaultProps.recoveryAccount must be a 12-digit AWS account id/);
    });
    test('deployed to another account', () => {
      expect(() => new BackupAccountStack(new App(), 'B', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ORG })).toThrow(
        `BackupAccountStackProps.env.account must be the backup account ${BACKUP_ACCOUNT}, got ${DATA_ACCOUNT}`,
      );
    });
    test('environment-agnostic', () => {
      expect(() => new BackupAccountStack(new App(), 'B', { accounts: ORG })).toThrow(/got an environment-agnostic stack/);
    });
    test('a region that is neither primary nor DR', () => {
      expect(() => backupStack(new App(), {}, 'us-east-1')).toThrow('BackupAccountStackProps.env.region must be the primary or DR region (eu-west-1, eu-central-1), got us-east-1');
    });
    test('lock range and grace time', () => {
      expect(() => backupStack(new App(), { minRetention: Duration.days(0) })).toThrow('BackupAccountStackProps.minRetention must be between 1 and 90 days, got 0 days');
      expect(() => backupStack(new App(), { changeableFor: Duration.days(1) })).toThrow(/changeableFor must be between 3 and 36500 days, got 1 days/);
    });
  });
});

describe('DataProtectionDashboard of the backup account', () => {
  const stack = DEFAULT_STACK;
  const template = DEFAULT_TEMPLATE;
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as any[];
  const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);

  test('the primary-region stack has one, named after the stack: copy arrival per data account, drills, job failures and every alarm', () => {
    expect(dashboards.map((d) => d.Properties.DashboardName)).toEqual([`data-protection-${stack.stackName}`]);
    // The central vault's name is its GetAtt; the data account is the SourceAccount dimension.
    expect(body).toContain('\\"DataProtection\\",\\"HoursSinceLastCopy\\",\\"BackupVaultName\\",\\"",{"Fn::GetAtt":["CentralVault');
    expect(body).toContain(`\\"SourceAccount\\",\\"${DATA_ACCOUNT}\\"`);
    expect(body).toContain('RestoreTimeSeconds');
    expect(body).toContain('NumberOfCopyJobsFailed');
    // The levels copied here: CONFIDENTIAL and HIGHLY_SENSITIVE objectives, not INTERNAL's.
    expect(body).toContain('HIGHLY_SENSITIVE objective');
    expect(body).not.toContain('INTERNAL objective');
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const id of alarms) expect(body).toContain(`{"Fn::GetAtt":["${id}","Arn"]}`);
  });

  describe('stores per level drawn against their objective (maxStoresPerLevel): the dashboard does not grow with the account', () => {
    const stores = (level: DataClassification, count: number, prefix: string) => Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, classification: level }));
    // 250 CONFIDENTIAL and 30 HIGHLY_SENSITIVE stores; one app, one synth for both dashboards.
    const app = new CdkApp();
    const known = [...stores(DataClassification.CONFIDENTIAL, 250, 'c'), ...stores(DataClassification.HIGHLY_SENSITIVE, 30, 'h')];
    const byDefault = new Stack(app, 'Default');
    new DataProtectionDashboard(byDefault, 'D', { stores: known });
    const none = new Stack(app, 'None');
    new DataProtectionDashboard(none, 'D', { stores: known, maxStoresPerLevel: 0 });
    const exactly = new Stack(app, 'Exactly');
    new DataProtectionDashboard(exactly, 'D', { stores: known, maxStoresPerLevel: 30 });
    const most = new Stack(app, 'Most');
    new DataProtectionDashboard(most, 'D', { stores: known, maxStoresPerLevel: 250 });
    // The body is a Fn::Join of JSON text around the stack's region: joined with a literal region, it parses.
    const bodyOf = (stack: Stack) =>
      parseJoinedJson((Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'))[0] as any).Properties.DashboardBody, () => 'eu-west-1');
    const titles = (body: any) => body.widgets.map((w: any) => w.properties.title ?? w.properties.markdown);
    const drawn = (body: any) => body.widgets.flatMap((w: any) => (w.properties.metrics ?? []).filter((m: unknown[]) => m.includes('Target')).map((m: unknown[]) => m[m.indexOf('Target') + 1]));
    /** The stores of one level's RTO (or RPO) graphs, in order. */
    const graphed = (body: any, level: string, objective: 'RTO' | 'RPO') =>
      drawn({ widgets: body.widgets.filter((w: any) => String(w.properties.title).startsWith(`${level} stores: ${objective} `)) });
    const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

    test('by default the first 100 of a level, in graphs of 50, and a text widget naming how many are not drawn; a level within the bound is drawn whole', () => {
      const body = bodyOf(byDefault);
      expect(titles(body).filter((t: string) => /^CONFIDENTIAL stores: RTO/.test(t))).toEqual(['CONFIDENTIAL stores: RTO (seconds) against 8 h (1)', 'CONFIDENTIAL stores: RTO (seconds) against 8 h (2)']);
      expect(titles(body)).toContain("CONFIDENTIAL: 250 drilled stores, the first 100 drawn against the level's objectives (maxStoresPerLevel); the per-target graphs show the others, up to 500 targets in all.");
      for (const objective of ['RTO', 'RPO'] as const) {
        expect(graphed(body, 'CONFIDENTIAL', objective)).toEqual(names('c', 100));
        expect(graphed(body, 'HIGHLY_SENSITIVE', objective)).toEqual(names('h', 30));
      }
      expect(titles(body).filter((t: string) => /^HIGHLY_SENSITIVE: /.test(t))).toEqual([]);
      // The others are in the per-target SEARCH graphs.
      expect(titles(body)).toContain('Measured RTO: restore time per target (seconds)');
    });

    test('a level with exactly the bound is drawn whole without a text widget; 250, the most, gives five RTO and five RPO graphs', () => {
      const at = bodyOf(exactly);
      expect(graphed(at, 'HIGHLY_SENSITIVE', 'RTO')).toEqual(names('h', 30));
      expect(titles(at).filter((t: string) => /^HIGHLY_SENSITIVE: /.test(t))).toEqual([]);
      expect(titles(at)).toContain("CONFIDENTIAL: 250 drilled stores, the first 30 drawn against the level's objectives (maxStoresPerLevel); the per-target graphs show the others, up to 500 targets in all.");
      const full = bodyOf(most);
      expect(titles(full).filter((t: string) => /^CONFIDENTIAL stores: RPO /.test(t))).toHaveLength(5);
      expect(graphed(full, 'CONFIDENTIAL', 'RTO')).toEqual(names('c', 250));
      expect(titles(full).filter((t: string) => / drilled stores, /.test(t))).toEqual([]);
    });

    test('0 draws no store: the per-target graphs and one text widget per level with stores', () => {
      const body = bodyOf(none);
      expect(drawn(body)).toEqual([]);
      expect(titles(body).filter((t: string) => / drilled stores, none drawn /.test(t))).toHaveLength(2);
    });

    test('bad input names the prop, the value and the range; a token is refused (it decides the graphs at synth)', () => {
      const make = (maxStoresPerLevel: number) => () => new DataProtectionDashboard(new Stack(), 'D', { maxStoresPerLevel });
      expect(make(251)).toThrow('DataProtectionDashboardProps.maxStoresPerLevel must be between 0 and 250, got 251');
      expect(make(-1)).toThrow('DataProtectionDashboardProps.maxStoresPerLevel must be between 0 and 250, got -1');
      expect(make(1.5)).toThrow('DataProtectionDashboardProps.maxStoresPerLevel must be a whole number, got 1.5');
      expect(make(Token.asNumber({ resolve: () => 5 }))).toThrow('DataProtectionDashboardProps.maxStoresPerLevel needs a literal value, got a token');
    });
  });

  test('a dashboard name CloudWatch would refuse is a synth error naming the prop, the value and the rule', () => {
    expect(() => new DataProtectionDashboard(new Stack(), 'D', { dashboardName: 'data protection!' })).toThrow(
      "DataProtectionDashboardProps.dashboardName must be 1-255 characters of A-Z, a-z, 0-9, '-' and '_', got 'data protection!' (16 characters)",
    );
  });
});

describe('drill of the copies, on by default (BackupAccountStackProps.copyDrill)', () => {
  const stack = DEFAULT_STACK;
  const template = DEFAULT_TEMPLATE;
  const json = template.toJSON();
  const drill = stack.copyDrill!;
  const envOf = (fn: any) => json.Resources[stack.getLogicalId(fn.node.defaultChild)].Properties.Environment.Variables;

  test('a stack given no options has the drill: one state machine, and no override recorded', () => {
    expect(drill).toBeDefined();
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(JSON.stringify(DEFAULT_STACK.node.metadata)).not.toContain('copyDrillDisabledReason');
  });

  test('copyDrillDisabledReason turns it off and is recorded as an override (shown in the report)', () => {
    const off = backupStack(new App(), { copyDrillDisabledReason: ' Copies are drilled in the recovery account ' });
    expect(off.copyDrill).toBeUndefined();
    const t = Template.fromStack(off);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    expect(JSON.stringify(t.toJSON())).not.toContain('EvidenceKeyDescribeKey');
    expect(off.node.metadata.filter((m) => m.type === METADATA.OVERRIDE).map((m) => m.data)).toContainEqual({
      prop: 'BackupAccountStackProps.copyDrillDisabledReason',
      floor: "a restore drill of the central vaults' copies",
      value: 'no drill of the copies',
      reason: 'Copies are drilled in the recovery account',
    });
  });

  test('classified RDS/Aurora in a data account of this region and no DB subnet group: a synth warning naming the database and the prop; none with the subnet group', () => {
    const withDatabase = (props: Partial<ConstructorParameters<typeof BackupAccountStack>[2]>) => {
      const app = new App();
      const backup = backupStack(app, props);
      const data = new Stack(app, 'Data', { env: { account: DATA_ACCOUNT, region: REGION } });
      classify(new rds.CfnDBCluster(data, 'Payroll', { engine: 'aurora-postgresql' }), DataClassification.HIGHLY_SENSITIVE);
      classify(new rds.CfnDBInstance(data, 'Wiki', { engine: 'postgres', dbInstanceClass: 'db.t4g.micro' }), DataClassification.INTERNAL); // not copied: no warning for it
      return Annotations.fromStack(backup).findWarning('*', Match.stringLikeRegexp('DB subnet group of the backup account'));
    };
    const warnings = withDatabase({});
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toContain('the copies of Data/Payroll will not be drilled, count as stale');
    expect(warnings[0].entry.data).not.toContain('Data/Wiki');
    expect(warnings[0].entry.data).toContain('Set BackupAccountStackProps.copyDrill.isolatedNetwork (an isolated network built in this stack) or copyDrill.isolation.dbSubnetGroupName');
    expect(withDatabase({ copyDrill: { isolation: { dbSubnetGroupName: 'drill-isolated' } } })).toEqual([]);
    expect(withDatabase({ copyDrill: { isolatedNetwork: {} } })).toEqual([]);
  });

  describe('copyDrill.isolatedNetwork: RDS and Aurora copies restored where nothing reaches them', () => {
    const stack = backupStack(new App(), { copyDrill: { isolatedNetwork: { cidr: '10.100.0.0/24' } } });
    const t = Template.fromStack(stack);
    const only = (type: string) => Object.values(t.findResources(type)) as any[];

    test('a VPC with two subnets in the first two Availability Zones (chosen at deploy time), halves of the block, no public IPs', () => {
      expect(only('AWS::EC2::VPC').map((v) => v.Properties.CidrBlock)).toEqual(['10.100.0.0/24']);
      const subnets = only('AWS::EC2::Subnet');
      expect(subnets.map((s) => s.Properties.AvailabilityZone)).toEqual([0, 1].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })));
      // Subnet i is the i-th of 'Fn::Cidr' [the VPC's block, 2 subnets, 7 host bits]: two /25s of the /24.
      const vpcId = Object.keys(t.findResources('AWS::EC2::VPC'))[0];
      expect(subnets.map((s) => s.Properties.CidrBlock)).toEqual([0, 1].map((i) => ({ 'Fn::Select': [i, { 'Fn::Cidr': [{ 'Fn::GetAtt': [vpcId, 'CidrBlock'] }, 2, '7'] }] })));
      expect(subnets.every((s) => s.Properties.MapPublicIpOnLaunch === false && s.Properties.VpcId.Ref === vpcId)).toBe(true);
    });

    test('block sizes: /16 gives two /17s (15 host bits), /27 two /28s (4); named Availability Zones are used as given', () => {
      const hostBits = (cidr: string) => {
        const stack = new Stack();
        new DrillNetwork(stack, 'N', { cidr, availabilityZones: ['eu-west-1a', 'eu-west-1c'] });
        const subnets = Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')) as any[];
        return { bits: subnets.map((x) => x.Properties.CidrBlock['Fn::Select'][1]['Fn::Cidr'][2]), zones: subnets.map((x) => x.Properties.AvailabilityZone) };
      };
      expect(hostBits('10.0.0.0/16')).toEqual({ bits: ['15', '15'], zones: ['eu-west-1a', 'eu-west-1c'] });
      expect(hostBits('192.168.7.32/27').bits).toEqual(['4', '4']);
    });

    test('no way in or out: no internet or NAT gateway, no peering or endpoint, a route table without routes, a security group with no ingress and an egress rule that matches nothing', () => {
      for (const type of [
        'AWS::EC2::InternetGateway', 'AWS::EC2::EgressOnlyInternetGateway', 'AWS::EC2::VPCGatewayAttachment', 'AWS::EC2::NatGateway', 'AWS::EC2::VPNGateway', 'AWS::EC2::Route',
        'AWS::EC2::VPCPeeringConnection', 'AWS::EC2::VPCEndpoint', 'AWS::EC2::TransitGatewayAttachment', 'AWS::EC2::TransitGatewayVpcAttachment',
        'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress', 'AWS::EC2::NetworkAclEntry',
      ]) {
        t.resourceCountIs(type, 0);
      }
      const vpcId = Object.keys(t.findResources('AWS::EC2::VPC'))[0];
      const routeTable = Object.keys(t.findResources('AWS::EC2::RouteTable'))[0];
      expect(only('AWS::EC2::SubnetRouteTableAssociation').map((a) => a.Properties.RouteTableId)).toEqual([{ Ref: routeTable }, { Ref: routeTable }]);
      const [group] = only('AWS::EC2::SecurityGroup');
      expect(group.Properties.VpcId).toEqual({ Ref: vpcId });
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
      expect(group.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', IpProtocol: 'icmp', FromPort: 252, ToPort: 86 }]);
    });

    test("the copy drill restores databases into its DB subnet group (both subnets) with its security group", () => {
      const [group] = Object.entries(t.findResources('AWS::RDS::DBSubnetGroup'));
      expect((group[1] as any).Properties.SubnetIds).toHaveLength(2);
      const sg = Object.keys(t.findResources('AWS::EC2::SecurityGroup'))[0];
      expect(copyDiscoveryOf(t).isolation).toEqual({ dbSubnetGroupName: `Ref:${group[0]}`, securityGroupIds: [`GetAtt:${sg}.GroupId`] });
    });

    test('a call that could open a network in the backup account alarms on the stack topic, CloudFormation included', () => {
      const rules = Object.values(t.findResources('AWS::Events::Rule')) as any[];
      const opened = rules.filter((r) => JSON.stringify(r.Properties.EventPattern?.detail?.eventName ?? []) === JSON.stringify(NETWORK_OPENING_CALLS));
      expect(opened).toHaveLength(1);
      expect(opened[0].Properties.EventPattern.detail.eventSource).toEqual(['ec2.amazonaws.com']);
      expect(opened[0].Properties.EventPattern.detail.userIdentity).toBeUndefined();
      // The stack's topic and, directly, the audit account's security bus (out of this account's reach).
      const targets = JSON.stringify(opened[0].Properties.Targets.map((x: any) => x.Arn));
      expect(targets).toContain(JSON.stringify({ Ref: Object.keys(t.findResources('AWS::SNS::Topic'))[0] }));
      expect(targets).toContain(`:events:${REGION}:${AUDIT_ACCOUNT}:event-bus/data-protection-security-events`);
      for (const call of ['AuthorizeSecurityGroupIngress', 'CreateRoute', 'AttachInternetGateway', 'CreateVpcPeeringConnection', 'CreateVpcEndpoint']) expect(NETWORK_OPENING_CALLS).toContain(call);
    });

    test("an EBS availabilityZone given in isolation is kept beside the network's placement", () => {
      const withZone = backupStack(new App(), { copyDrill: { isolatedNetwork: {}, isolation: { availabilityZone: 'eu-west-1b' } } });
      expect(copyDiscoveryOf(Template.fromStack(withZone)).isolation).toEqual({
        availabilityZone: 'eu-west-1b',
        dbSubnetGroupName: expect.stringMatching(/^Ref:\w*CopyDrillNetworkDbSubnetGroup\w+$/),
        securityGroupIds: [expect.stringMatching(/^GetAtt:\w*CopyDrillNetworkSecurityGroup\w+\.GroupId$/)],
      });
    });

    test('bad input names the prop, the value and the range; exclusive with isolation', () => {
      expect(() => new DrillNetwork(new Stack(), 'N', { cidr: '10.0.0.1/24' })).toThrow("DrillNetworkProps.cidr must start at its block's first address (the host bits zero), got '10.0.0.1/24'");
      expect(() => new DrillNetwork(new Stack(), 'N', { availabilityZones: ['eu-west-1a'] })).toThrow('DrillNetworkProps.availabilityZones must name two different Availability Zones, got [eu-west-1a]');
      expect(() => new DrillNetwork(new Stack(), 'N', { availabilityZones: ['eu-west-1a', 'eu-west-1a'] })).toThrow('DrillNetworkProps.availabilityZones must name two different Availability Zones, got [eu-west-1a, eu-west-1a]');
      for (const cidr of ['10.0.0.0', '10.0.0.0/28', '10.0.0.0/15', '300.0.0.0/24', '10.0.0/24', '010.0.0.0/24']) {
        expect(() => new DrillNetwork(new Stack(), 'N', { cidr })).toThrow(`DrillNetworkProps.cidr must be an IPv4 block a.b.c.d/n with n between 16 and 27 (two subnets of half its size, each at least /28), got '${cidr}'`);
      }
      expect(() => new DrillNetwork(new Stack(), 'N', { cidr: Token.asString({ resolve: () => '10.0.0.0/24' }) })).toThrow('DrillNetworkProps.cidr needs a literal value, got a token');
      expect(() => backupStack(new App(), { copyDrill: { isolatedNetwork: {}, isolation: { dbSubnetGroupName: 'mine' } } })).toThrow(
        'BackupAccountStackProps.copyDrill.isolatedNetwork and copyDrill.isolation.dbSubnetGroupName/securityGroupIds are exclusive: isolatedNetwork builds the network databases are restored in, isolation names yours, got both',
      );
    });
  });

  test('bad input: both props, or a blank reason, are synth errors naming the props', () => {
    expect(() => backupStack(new App(), { copyDrill: {}, copyDrillDisabledReason: 'x' })).toThrow(
      'BackupAccountStackProps.copyDrill and copyDrillDisabledReason are exclusive: copyDrill configures the drill of the copies, copyDrillDisabledReason turns it off, got both',
    );
    expect(() => backupStack(new App(), { copyDrillDisabledReason: '  ' })).toThrow(/^BackupAccountStackProps.copyDrillDisabledReason needs a non-empty reason/);
  });

  test('its targets are the recovery points of every central vault, with CONFIDENTIAL times and the copy-arrival RPO; restored with keys the backup account may use', () => {
    const config = JSON.stringify(envOf(drill.discoverFunction)['DRILL_DISCOVERY']);
    for (const v of stack.vaults) expect(config).toContain(stack.getLogicalId(v.vault.node.defaultChild as any));
    expect(config).toContain('copyVaults');
    expect(config).toContain('\\"intervalDays\\":90');
    expect(config).toContain(`\\"rpoSeconds\\":${26 * 3600}`);
    // The restored copies: the key account's HIGHLY_SENSITIVE key; DynamoDB: a fallback key of this account.
    const lookups = JSON.stringify(template.findResources('Custom::DataProtectionKeyLookup'));
    expect(lookups).toContain(`:kms:${REGION}:${KEY_ACCOUNT}:alias/data-protection/data-highly-sensitive`);
    expect(lookups).toContain(`:kms:${REGION}:${KEY_ACCOUNT}:alias/data-protection/evidence`);
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: Match.stringLikeRegexp('-dynamodb/') });
    expect(drill.canaryFunction).toBeUndefined();
  });

  test('evidence under Object Lock in the backup account, encrypted with the evidence key', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('EvidenceKeyDescribeKey'), 'KeyMetadata.Arn'] }) }) })] },
    });
  });

  test("the same alarms, forwarded: every drill alarm's description starts with 'cdk-data-protection:' and notifies the stack's topic; evidence events go to the audit account's bus", () => {
    const topicRef = stack.getLogicalId(stack.alarmTopic.topic.node.defaultChild as any);
    for (const a of [drill.drillFailedAlarm, drill.staleAlarm, drill.rtoAlarm, drill.restoreEventsAlarm]) {
      const props = json.Resources[stack.getLogicalId(a.node.defaultChild as any)].Properties;
      expect(props.AlarmDescription.startsWith('cdk-data-protection:')).toBe(true);
      expect(props.AlarmActions).toEqual([{ Ref: topicRef }]);
    }
    // One event per drill result to the audit account's security bus (AUDIT_ACCOUNT's, built from its deterministic name).
    expect(envOf(drill.evidenceFunction).EVIDENCE_EVENT_BUS_ARN).toEqual(stack.resolve(stack.alarmTopic.securityEventBusArn));
    expect(JSON.stringify(envOf(drill.evidenceFunction).EVIDENCE_EVENT_BUS_ARN)).toContain(`:events:${REGION}:${AUDIT_ACCOUNT}:event-bus/`);
  });

  test("the drill's own restores do not trip the unexpected-restore rule; any other identity's still do", () => {
    const roleId = stack.getLogicalId(drill.stateMachine.role.node.defaultChild as any);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        detail: {
          eventName: ['StartRestoreJob'],
          $or: [
            { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
            { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [{ 'Fn::GetAtt': [roleId, 'Arn'] }] }] } } } },
          ],
        },
      },
    });
  });
});

describe('BackupAccountStack with DataProtectionAccounts.memberOrganizationalUnitPaths', () => {
  const PATHS = ['o-exampleorg1/r-ab12/ou-ab12-11111111/*'];
  const template = Template.fromStack(backupStack(new App(), { accounts: { ...ORG, memberOrganizationalUnitPaths: PATHS } }));
  const vaultPolicies = (t: Template) => (Object.values(t.findResources('AWS::Backup::BackupVault')) as any[]).map((v) => v.Properties.AccessPolicy.Statement);

  test("every central vault admits copies from the OUs' accounts: principal '*' only with aws:PrincipalOrgPaths and aws:PrincipalOrgID", () => {
    const policies = vaultPolicies(template);
    expect(policies.length).toBeGreaterThan(1);
    for (const statements of policies) {
      expect(statements).toContainEqual({
        Sid: 'AllowCopyIntoVaultFromOrganizationalUnits',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'backup:CopyIntoBackupVault',
        Resource: '*',
        Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': PATHS }, StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
      });
      // The listed data accounts keep their own statement.
      expect(statements.map((s: any) => s.Sid)).toContain('AllowCopyIntoVaultFromSourceAccounts');
    }
  });

  test('absent without the field (the default stack)', () => {
    expect(JSON.stringify(DEFAULT_TEMPLATE.toJSON())).not.toContain('aws:PrincipalOrgPaths');
  });

  test('a vault given paths outside its organization, or without one, is a synth error', () => {
    const stack = new Stack(new CdkApp(), 'V', { env: { account: BACKUP_ACCOUNT, region: REGION } });
    const key = kms.Key.fromKeyArn(stack, 'K', `arn:aws:kms:${REGION}:${KEY_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    expect(() => new ImmutableBackupVault(stack, 'A', { encryptionKey: key, copySourceOrganizationId: 'o-a1b2c3d4e5', copySourceOrganizationalUnitPaths: PATHS })).toThrow(
      /ImmutableBackupVaultProps.copySourceOrganizationalUnitPaths\[0\] must start with ImmutableBackupVaultProps.copySourceOrganizationId 'o-a1b2c3d4e5\/', got 'o-exampleorg1\/r-ab12\/ou-ab12-11111111\/\*'/,
    );
    expect(() => new ImmutableBackupVault(stack, 'B', { encryptionKey: key, copySourceOrganizationalUnitPaths: PATHS })).toThrow(/copySourceOrganizationalUnitPaths needs ImmutableBackupVaultProps.copySourceOrganizationId/);
  });
});

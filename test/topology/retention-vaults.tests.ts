import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BackupVaultTarget, classify, DataAccountStack, DataClassification, ImmutableBackupVault, ProtectedBackupPlan, ProtectionPolicy } from '../lib';
import { BackupAccountStack, CENTRAL_BACKUP_VAULT_NAME, centralRetentionClasses, centralVaultName } from '../../lib/topology/backup-account-stack';
import { ACCOUNTS, BACKUP_ACCOUNT, DATA_ACCOUNT, drillDiscoveryConfig, REGION } from '../helpers';

/** A data account holding data of every level (PUBLIC, INTERNAL and CONFIDENTIAL buckets, a HIGHLY_SENSITIVE table). */
function account(): { stack: DataAccountStack; template: Template } {
  const stack = new DataAccountStack(new App(), 'Hr', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, alarmEmails: ['ops@example.com'] });
  for (const level of [DataClassification.PUBLIC, DataClassification.INTERNAL, DataClassification.CONFIDENTIAL]) {
    const key = level === DataClassification.PUBLIC ? undefined : stack.keyFor(level);
    classify(new s3.Bucket(stack, `Docs${level.name}`, key ? { encryption: s3.BucketEncryption.KMS, encryptionKey: key, versioned: true } : { versioned: true }), level);
  }
  classify(
    new dynamodb.TableV2(stack, 'Employees', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(DataClassification.HIGHLY_SENSITIVE)),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      removalPolicy: RemovalPolicy.RETAIN,
    }),
    DataClassification.HIGHLY_SENSITIVE,
  );
  stack.protect();
  return { stack, template: Template.fromStack(stack) };
}

describe('DataAccountStack: one locked vault per retention class', () => {
  const { stack, template } = account();
  const vaults = Object.values(template.findResources('AWS::Backup::BackupVault')).map((v: any) => [v.Properties.BackupVaultName, v.Properties.LockConfiguration.MinRetentionDays]);
  const rules = Object.values(template.findResources('AWS::Backup::BackupPlan')).flatMap((p: any) => p.Properties.BackupPlan.BackupPlanRule);

  test("each vault's lock minimum is the retention floor of what it holds", () => {
    expect(vaults).toEqual([
      ['data-protection-Hr', 7],
      ['data-protection-Hr-35d', 35],
      ['data-protection-Hr-90d', 90],
      ['data-protection-Hr-365d', 365],
    ]);
    expect(stack.backupVaults.map((v) => v.minRetentionDays)).toEqual([7, 35, 90, 365]);
    // Only the first vault accepts copies brought back from the backup account.
    const policies = Object.values(template.findResources('AWS::Backup::BackupVault')).map((v: any) => JSON.stringify(v.Properties.AccessPolicy));
    expect(policies.map((p) => p.includes('backup:CopyIntoBackupVault'))).toEqual([true, false, false, false]);
  });

  test('each rule writes to the vault of its level, whose lock minimum equals its retention floor', () => {
    const minOf = new Map(vaults.map(([name, min]) => [name, min]));
    for (const rule of rules) {
      // Scheduled rules keep the level's floor; continuous rules the point-in-time recovery days.
      expect(minOf.get(rule.TargetBackupVault)).toBe(rule.Lifecycle.DeleteAfterDays);
    }
    const target = (name: string) => rules.find((r: any) => r.RuleName === name)?.TargetBackupVault;
    expect(target('Hr-public-scheduled')).toBe('data-protection-Hr');
    expect(target('Hr-internal-scheduled')).toBe('data-protection-Hr-35d');
    expect(target('Hr-confidential-scheduled')).toBe('data-protection-Hr-90d');
    expect(target('Hr-confidential-continuous')).toBe('data-protection-Hr-35d');
    expect(target('Hr-highly-sensitive-scheduled')).toBe('data-protection-Hr-365d');
    for (const level of DataClassification.all()) {
      expect(ProtectionPolicy.forClassification(level).backupRetentionDays).toBe(minOf.get(target(`Hr-${level.name.toLowerCase().replace('_', '-')}-scheduled`)));
    }
  });

  test('the copy schedule meets the copy RPO objective of each level', () => {
    const rule = (name: string) => rules.find((r: any) => r.RuleName === name);
    expect(rule('Hr-highly-sensitive-scheduled')).toMatchObject({ ScheduleExpression: 'cron(0 * * * ? *)' });
    // The backup account's central vault and its DR-region vault, after every hourly job.
    expect(rule('Hr-highly-sensitive-scheduled').CopyActions).toHaveLength(2);
    expect(rule('Hr-confidential-scheduled')).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)' });
    expect(rule('Hr-confidential-scheduled').CopyActions).toHaveLength(1);
  });

  test("the drill finds each level's recovery points in its vault, and may list every vault", () => {
    const config = drillDiscoveryConfig(stack);
    expect(Object.fromEntries(config.levels.map((l: any) => [l.classification, l.backupVaultName]))).toEqual({
      INTERNAL: 'data-protection-Hr-35d',
      CONFIDENTIAL: 'data-protection-Hr-90d',
      HIGHLY_SENSITIVE: 'data-protection-Hr-365d',
    });
    const listed = JSON.stringify(
      Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement.filter((s: any) => JSON.stringify(s.Action).includes('backup:ListRecoveryPointsByBackupVault'))),
    );
    for (const name of ['data-protection-Hr-35d', 'data-protection-Hr-90d', 'data-protection-Hr-365d']) expect(listed).toContain(`backup-vault:${name}`);
  });

  test('"no recent recovery point" alarms watch the vault each type lands in', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a: any) => a.Properties)
      .filter((a: any) => a.MetricName === 'NumberOfRecoveryPointsCompleted')
      .map((a: any) => `${a.Dimensions.find((d: any) => d.Name === 'BackupVaultName').Value}/${a.Dimensions.find((d: any) => d.Name === 'ResourceType').Value}`)
      .sort();
    expect(alarms).toEqual(['data-protection-Hr-35d/S3', 'data-protection-Hr-365d/DynamoDB', 'data-protection-Hr-90d/S3', 'data-protection-Hr/S3']);
  });
});

// =============================================================================================
// The backup account's side of the retention classes (one file with the data account's side above: one module load).
/**
 * Issue 19, item 3, backup-account side: one locked central vault per copy retention class, each
 * locked at the floor of what it holds, in the primary and the DR region; data-account copies go
 * to the vault of their level's class, and the retention-vs-lock check uses the chosen vault.
 */
{
  const DR_REGION = 'eu-central-1';
  const OTHER_DATA_ACCOUNT = '555555555555';
  const ORG = { ...ACCOUNTS, dataAccounts: [DATA_ACCOUNT, OTHER_DATA_ACCOUNT], organizationId: 'o-exampleorg1' };
  const CENTRAL_365 = `${CENTRAL_BACKUP_VAULT_NAME}-365d`;

  const arn = (region: string, name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${region}:${BACKUP_ACCOUNT}:backup-vault:${name}`]] });

  function backupStack(props: Partial<ConstructorParameters<typeof BackupAccountStack>[2]> = {}, region = REGION, app = new App()): BackupAccountStack {
    return new BackupAccountStack(app, `Backup${region.replace(/-/g, '')}`, { env: { account: BACKUP_ACCOUNT, region }, accounts: ORG, ...props });
  }

  /** The default backup account stack of each region, built (and synthesized) once for the file: the tests only read it. */
  const defaults = new Map<string, BackupAccountStack>();
  function defaultBackupStack(region = REGION): BackupAccountStack {
    if (!defaults.has(region)) defaults.set(region, backupStack({}, region));
    return defaults.get(region)!;
  }

  const vaultsOf = (template: Template) =>
    Object.values(template.findResources('AWS::Backup::BackupVault')).map((v: any) => ({
      name: v.Properties.BackupVaultName,
      min: v.Properties.LockConfiguration.MinRetentionDays,
      max: v.Properties.LockConfiguration.MaxRetentionDays,
      policy: v.Properties.AccessPolicy,
    }));

  describe('BackupAccountStack: one locked central vault per copy retention class', () => {
    test.each([REGION, DR_REGION])("%s: each central vault's lock minimum is its class floor (CONFIDENTIAL 90, HIGHLY_SENSITIVE 365)", (region) => {
      const stack = defaultBackupStack(region);
      const vaults = vaultsOf(Template.fromStack(stack));
      expect(vaults.map(({ name, min, max }) => [name, min, max])).toEqual([
        [CENTRAL_BACKUP_VAULT_NAME, 90, 3650],
        [CENTRAL_365, 365, 3650],
      ]);
      expect(centralRetentionClasses()).toEqual([90, 365]);
      expect(stack.vaults.map((v) => v.minRetentionDays)).toEqual([90, 365]);
      expect(stack.vault).toBe(stack.vaults[0]);
      // The first vault keeps its construct id: deployed apps keep the vault and its copies.
      expect(stack.vault.node.id).toBe('CentralVault');
      expect(stack.centralVault).toEqual({ backupVaultName: CENTRAL_BACKUP_VAULT_NAME, account: BACKUP_ACCOUNT, region, minRetentionDays: 90, maxRetentionDays: 3650 });
      expect(stack.centralRetentionClassVaults).toEqual([{ backupVaultName: CENTRAL_365, account: BACKUP_ACCOUNT, region, minRetentionDays: 365, maxRetentionDays: 3650 }]);
    });

    test('every central vault admits copies from the data accounts only, from inside the organization, and keeps the deletion denials', () => {
      const vaults = vaultsOf(Template.fromStack(defaultBackupStack()));
      expect(vaults).toHaveLength(2);
      for (const { policy } of vaults) {
        const copy = policy.Statement.find((s: any) => s.Sid === 'AllowCopyIntoVaultFromSourceAccounts');
        expect(copy).toMatchObject({ Effect: 'Allow', Action: 'backup:CopyIntoBackupVault', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } } });
        const principals = JSON.stringify(copy.Principal);
        for (const account of [DATA_ACCOUNT, OTHER_DATA_ACCOUNT]) expect(principals).toContain(`:iam::${account}:root`);
        expect(policy.Statement.map((s: any) => s.Sid)).toEqual(expect.arrayContaining(['DenyRecoveryPointDeletionExceptBreakGlass', 'DenyVaultPolicyChangesExceptBreakGlassAndDeployment']));
      }
    });

    test('minRetention is the lowest class lock; a custom name prefixes every class; maxRetention is every vault lock maximum', () => {
      const stack = backupStack({ minRetention: Duration.days(30), maxRetention: Duration.days(4000), backupVaultName: 'central' });
      expect(vaultsOf(Template.fromStack(stack)).map(({ name, min, max }) => [name, min, max])).toEqual([
        ['central', 30, 4000],
        ['central-90d', 90, 4000],
        ['central-365d', 365, 4000],
      ]);
      expect(centralVaultName(365, 30, 'central')).toBe('central-365d');
    });

    test('the copy-arrival monitor lists every central vault; its alarms stay one per data account', () => {
      const stack = defaultBackupStack();
      const template = Template.fromStack(stack);
      const ids = stack.vaults.map((v) => stack.getLogicalId(v.vault.node.defaultChild as any));
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Sid: 'ListRecoveryPointsOfTheVault', Action: 'backup:ListRecoveryPointsByBackupVault', Effect: 'Allow', Resource: ids.map((id) => ({ 'Fn::GetAtt': [id, 'BackupVaultArn'] })) },
          ]),
        },
      });
      const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Environment?.Variables?.SOURCE_ACCOUNTS) as any;
      expect(stack.resolve(fn.Properties.Environment.Variables.BACKUP_VAULT_NAME)).toEqual({ 'Fn::GetAtt': [ids[0], 'BackupVaultName'] });
      expect(JSON.stringify(fn.Properties.Environment.Variables.BACKUP_VAULT_NAMES)).toContain(ids[1]);
      expect(Object.keys(stack.copyArrival!.alarms)).toEqual([DATA_ACCOUNT, OTHER_DATA_ACCOUNT]);
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'HoursSinceLastCopy' }, 2);
    });

    test('vault tampering and failed copy jobs are watched account-wide (every central vault), not per vault', () => {
      const template = Template.fromStack(defaultBackupStack());
      const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r: any) => r.Properties.EventPattern ?? {});
      const copyJobs = rules.find((p: any) => JSON.stringify(p['detail-type']) === JSON.stringify(['Copy Job State Change']));
      expect(copyJobs).toBeDefined();
      expect(JSON.stringify(copyJobs)).not.toContain('backupVault');
      const tamper = rules.filter((p: any) => JSON.stringify(p).includes('PutBackupVaultLockConfiguration'));
      expect(tamper.length).toBeGreaterThan(0);
      for (const p of tamper) expect(JSON.stringify(p)).not.toContain(CENTRAL_BACKUP_VAULT_NAME);
    });

    describe('bad input', () => {
      test('minRetention above the lowest copy floor (90 days), or below 1 day', () => {
        expect(() => backupStack({ minRetention: Duration.days(120) })).toThrow('BackupAccountStackProps.minRetention must be between 1 and 90 days, got 120 days');
        expect(() => backupStack({ minRetention: Duration.days(0) })).toThrow('BackupAccountStackProps.minRetention must be between 1 and 90 days, got 0 days');
      });
      test('maxRetention not above the longest class (365 days), or above 36500', () => {
        expect(() => backupStack({ maxRetention: Duration.days(365) })).toThrow(
          'BackupAccountStackProps.maxRetention must be more than 365 days (the lock minimum of the longest copy retention class) and at most 36500 days, got 365 days',
        );
        expect(() => backupStack({ maxRetention: Duration.days(40000) })).toThrow(/BackupAccountStackProps.maxRetention must be more than 365 days .* got 40000 days/);
      });
    });
  });

  describe('data-account plans copy each level into the central vault of its class', () => {
    const app = new App();
    const data = new DataAccountStack(app, 'Hr', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ORG, alarmEmails: ['ops@example.com'] });
    classify(new s3.Bucket(data, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL), versioned: true }), DataClassification.CONFIDENTIAL);
    classify(
      new dynamodb.TableV2(data, 'Employees', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(data.dynamoDbKeyFor(DataClassification.HIGHLY_SENSITIVE)),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      DataClassification.HIGHLY_SENSITIVE,
    );
    data.protect();
    const primary = backupStack({}, REGION, app);
    const dr = backupStack({}, DR_REGION, app);
    const template = Template.fromStack(data);
    const rule = (name: string) =>
      Object.values(template.findResources('AWS::Backup::BackupPlan'))
        .flatMap((p: any) => p.Properties.BackupPlan.BackupPlanRule)
        .find((r: any) => r.RuleName === name);

    test('HIGHLY_SENSITIVE: both copies (central and DR) into the 365-day vaults, kept 365 days', () => {
      expect(rule('Hr-highly-sensitive-scheduled').CopyActions).toEqual([
        { DestinationBackupVaultArn: arn(REGION, CENTRAL_365), Lifecycle: { DeleteAfterDays: 365 } },
        { DestinationBackupVaultArn: arn(DR_REGION, CENTRAL_365), Lifecycle: { DeleteAfterDays: 365 } },
      ]);
    });

    test('CONFIDENTIAL: one copy into the 90-day vault (data-protection-central), kept 90 days', () => {
      expect(rule('Hr-confidential-scheduled').CopyActions).toEqual([{ DestinationBackupVaultArn: arn(REGION, CENTRAL_BACKUP_VAULT_NAME), Lifecycle: { DeleteAfterDays: 90 } }]);
    });

    test("every destination exists in the backup account's stacks with a lock minimum equal to the copy's retention", () => {
      const locks = new Map<string, number>();
      for (const s of [primary, dr]) for (const v of s.vaults) locks.set(`${s.region}/${v.backupVaultName}`, v.minRetentionDays);
      const copies = Object.values(template.findResources('AWS::Backup::BackupPlan'))
        .flatMap((p: any) => p.Properties.BackupPlan.BackupPlanRule)
        .flatMap((r: any) => r.CopyActions ?? []);
      expect(copies.length).toBeGreaterThan(0);
      for (const c of copies) {
        const [, , region, , , name] = c.DestinationBackupVaultArn['Fn::Join'][1][2].split(':');
        expect(locks.get(`${region}/${name}`)).toBe(c.Lifecycle.DeleteAfterDays);
      }
      // The backup role may copy into exactly the chosen vaults.
      const copyInto = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
        .find((s: any) => s.Sid === 'CopyIntoVaults');
      expect(copyInto.Resource).toEqual(expect.arrayContaining([arn(REGION, CENTRAL_365), arn(DR_REGION, CENTRAL_365), arn(REGION, CENTRAL_BACKUP_VAULT_NAME)]));
      expect(copyInto.Resource).not.toContainEqual(arn(DR_REGION, CENTRAL_BACKUP_VAULT_NAME));
    });
  });

  describe('ProtectedBackupPlan with central retention class vaults (hand-built)', () => {
    function fixture(props: { centralMax?: number; confidentialRetention?: number } = {}) {
      const app = new App();
      const central = backupStack({}, REGION, app);
      const dr = backupStack({}, DR_REGION, app);
      const data = new DataAccountStack(app, 'Data', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ORG });
      classify(new s3.Bucket(data, 'Secrets', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.HIGHLY_SENSITIVE) }), DataClassification.HIGHLY_SENSITIVE);
      classify(
        new s3.Bucket(data, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL) }),
        DataClassification.CONFIDENTIAL,
        props.confidentialRetention ? { backupRetentionDays: props.confidentialRetention } : {},
      );
      const vault = new ImmutableBackupVault(data, 'Vault', { backupVaultName: 'hr-backups', encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL), maxRetention: Duration.days(5000) });
      const first: BackupVaultTarget = props.centralMax ? { ...central.centralVault, maxRetentionDays: props.centralMax } : central.centralVault;
      const build = () =>
        new ProtectedBackupPlan(data, 'Plan', {
          backupVault: vault,
          centralVault: first,
          centralRetentionClassVaults: central.centralRetentionClassVaults,
          drVault: dr.centralVault,
          drRetentionClassVaults: dr.centralRetentionClassVaults,
          backupPlanName: 'hr',
        });
      return { data, build };
    }

    test("the lock check uses the chosen vault: a 365-day copy fits the 365-day vault even when the first central vault's lock would refuse it", () => {
      const { data, build } = fixture({ centralMax: 180 });
      build();
      const copies = Object.values(Template.fromStack(data).findResources('AWS::Backup::BackupPlan'))
        .flatMap((p: any) => p.Properties.BackupPlan.BackupPlanRule)
        .find((r: any) => r.RuleName === 'hr-highly-sensitive-scheduled').CopyActions;
      expect(copies.map((c: any) => c.DestinationBackupVaultArn)).toEqual([arn(REGION, CENTRAL_365), arn(DR_REGION, CENTRAL_365)]);
    });

    test('a copy retention no central vault admits fails at synth, naming the vault, its lock and the retention', () => {
      const { build } = fixture({ centralMax: 180, confidentialRetention: 200 });
      expect(build).toThrow(
        `ProtectedBackupPlan rule 'hr-confidential-custom1-scheduled (copy to the central vault)': retention 200 days is outside the lock of vault '${CENTRAL_BACKUP_VAULT_NAME}' (account ${BACKUP_ACCOUNT}, ${REGION}) (min 90, max 180 days)`,
      );
    });

    test('a copy longer than every lock maximum fails against the vault of its class', () => {
      const { build } = fixture({ confidentialRetention: 4000 });
      expect(build).toThrow(/rule 'hr-confidential-custom1-scheduled \(copy to the central vault\)': retention 4000 days is outside the lock of vault 'data-protection-central' .*\(min 90, max 3650 days\)/);
    });

    test('bad input: class vaults without a first vault, or in another account or region', () => {
      const { data } = fixture();
      const vault = new ImmutableBackupVault(data, 'V2', { backupVaultName: 'v2', encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL) });
      const t365: BackupVaultTarget = { backupVaultName: CENTRAL_365, account: BACKUP_ACCOUNT, region: REGION, minRetentionDays: 365, maxRetentionDays: 3650 };
      expect(() => new ProtectedBackupPlan(data, 'P1', { backupVault: vault, centralRetentionClassVaults: [t365], noCrossAccountCopyReason: 'x', noCrossRegionCopyReason: 'x', backupPlanName: 'p1' })).toThrow(
        'ProtectedBackupPlanProps.centralRetentionClassVaults needs ProtectedBackupPlanProps.centralVault: they are more vaults next to it, got 1 vault(s) and no centralVault',
      );
      const central: BackupVaultTarget = { ...t365, backupVaultName: CENTRAL_BACKUP_VAULT_NAME, minRetentionDays: 90 };
      expect(() => new ProtectedBackupPlan(data, 'P2', { backupVault: vault, centralVault: central, centralRetentionClassVaults: [{ ...t365, region: DR_REGION }], noCrossRegionCopyReason: 'x', backupPlanName: 'p2' })).toThrow(
        `ProtectedBackupPlanProps.centralRetentionClassVaults[0] must be in the account and region of centralVault (${BACKUP_ACCOUNT}, ${REGION}), got '${CENTRAL_365}' (account ${BACKUP_ACCOUNT}, ${DR_REGION})`,
      );
    });
  });
}

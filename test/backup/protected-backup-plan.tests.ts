import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { CfnVolume } from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BackupVaultTarget, centralVaultTargets, classify, CONTROLS, controlsOf, DataClassification, ImmutableBackupVault, KeyAccountReplicaStack, KeyAccountStack, METADATA, OrganizationBackupPolicy, OrganizationBackupPolicyProps, ProtectedBackupPlan, ProtectedBackupPlanProps } from '../lib';
import { ACCOUNTS, BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, REGION, testStack } from '../helpers';
import { RDS_NO_DR_COPY } from '../../lib/backup/protected-backup-plan';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555';
const CENTRAL: BackupVaultTarget = { backupVaultName: 'data-protection-central', account: BACKUP_ACCOUNT, region: REGION, minRetentionDays: 90, maxRetentionDays: 3650 };
const DR: BackupVaultTarget = { ...CENTRAL, region: 'eu-central-1' };

interface Fixture {
  stack: Stack;
  vault: ImmutableBackupVault;
  table: dynamodb.TableV2;
  bucket: s3.Bucket;
  cluster: rds.CfnDBCluster;
}

function dataStack(options: { pitr?: boolean; withCluster?: boolean } = {}): Fixture {
  const stack = testStack(DATA_ACCOUNT);
  const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
  const vault = new ImmutableBackupVault(stack, 'LocalVault', { backupVaultName: 'hr-backups', encryptionKey: key, copySourceAccounts: [BACKUP_ACCOUNT] });
  const table = new dynamodb.TableV2(stack, 'Employees', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    pointInTimeRecoverySpecification: options.pitr === false ? undefined : { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
    removalPolicy: RemovalPolicy.RETAIN,
  });
  classify(table, DataClassification.HIGHLY_SENSITIVE);
  const bucket = new s3.Bucket(stack, 'Documents', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, versioned: true });
  classify(bucket, DataClassification.CONFIDENTIAL);
  const cluster = new rds.CfnDBCluster(stack, 'Payroll', {
    engine: 'aurora-postgresql',
    storageEncrypted: true,
    kmsKeyId: KEY_ARN,
    masterUsername: 'admin_user',
    manageMasterUserPassword: true,
  });
  if (options.withCluster !== false) classify(cluster, DataClassification.CONFIDENTIAL);
  return { stack, vault, table, bucket, cluster };
}

function plan(f: Fixture, props: Partial<ProtectedBackupPlanProps> = {}): ProtectedBackupPlan {
  return new ProtectedBackupPlan(f.stack, 'Backups', { backupVault: f.vault, centralVault: CENTRAL, drVault: DR, backupPlanName: 'hr', ...props });
}

function planNamed(template: Template, name: string): any {
  const found = Object.values(template.findResources('AWS::Backup::BackupPlan')).find((r: any) => r.Properties.BackupPlan.BackupPlanName === name);
  if (!found) throw new Error(`no plan ${name}`);
  return (found as any).Properties.BackupPlan;
}

const centralArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:data-protection-central`]] };
const drArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:eu-central-1:${BACKUP_ACCOUNT}:backup-vault:data-protection-central`]] };

describe('ProtectedBackupPlan', () => {
  test('one plan per level; CONFIDENTIAL: daily, 90 days, copy to the central vault, continuous backup for S3/Aurora', () => {
    const f = dataStack();
    const p = plan(f);
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::Backup::BackupPlan', 2);
    expect(p.resourceTypes).toEqual(['Aurora', 'DynamoDB', 'S3']);
    const confidential = planNamed(template, 'hr-confidential');
    expect(confidential.BackupPlanRule).toEqual([
      {
        RuleName: 'hr-confidential-scheduled',
        TargetBackupVault: 'hr-backups',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        StartWindowMinutes: 60,
        Lifecycle: { DeleteAfterDays: 90 },
        CopyActions: [{ DestinationBackupVaultArn: centralArn, Lifecycle: { DeleteAfterDays: 90 } }],
        RecoveryPointTags: { 'data-classification': 'CONFIDENTIAL' },
      },
      {
        RuleName: 'hr-confidential-continuous',
        TargetBackupVault: 'hr-backups',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        StartWindowMinutes: 60,
        EnableContinuousBackup: true,
        Lifecycle: { DeleteAfterDays: 35 },
        RecoveryPointTags: { 'data-classification': 'CONFIDENTIAL' },
      },
    ]);
  });

  test('HIGHLY_SENSITIVE: hourly (the copy RPO of 1 hour), 365 days, copies to the central vault and the DR region; DynamoDB gets no AWS Backup continuous rule', () => {
    const f = dataStack();
    plan(f);
    const hs = planNamed(Template.fromStack(f.stack), 'hr-highly-sensitive');
    expect(hs.BackupPlanRule).toHaveLength(1);
    expect(hs.BackupPlanRule[0]).toMatchObject({
      ScheduleExpression: 'cron(0 * * * ? *)',
      Lifecycle: { DeleteAfterDays: 365 },
      CopyActions: [
        { DestinationBackupVaultArn: centralArn, Lifecycle: { DeleteAfterDays: 365 } },
        { DestinationBackupVaultArn: drArn, Lifecycle: { DeleteAfterDays: 365 } },
      ],
    });
  });

  test('selection by classification tag AND plan tag, excluding nothing by default', () => {
    const f = dataStack();
    plan(f);
    const template = Template.fromStack(f.stack);
    for (const level of ['CONFIDENTIAL', 'HIGHLY_SENSITIVE']) {
      template.hasResourceProperties('AWS::Backup::BackupSelection', {
        BackupSelection: {
          SelectionName: `${level.toLowerCase().replace('_', '-')}-by-tag`,
          Resources: ['*'],
          ListOfTags: Match.absent(),
          Conditions: {
            StringEquals: [
              { ConditionKey: 'aws:ResourceTag/data-classification', ConditionValue: level },
              { ConditionKey: 'aws:ResourceTag/data-protection:backup-plan', ConditionValue: 'hr' },
            ],
          },
          NotResources: Match.absent(),
          IamRoleArn: Match.anyValue(),
        },
      });
    }
    template.resourceCountIs('AWS::Backup::BackupSelection', 2);
  });

  test('tags every covered resource with its plan, so plans of other stacks in the account do not select it', () => {
    const f = dataStack();
    plan(f);
    const template = Template.fromStack(f.stack);
    const planTag = { Key: 'data-protection:backup-plan', Value: 'hr' };
    template.hasResourceProperties('AWS::S3::Bucket', { Tags: Match.arrayWith([planTag]) });
    template.hasResourceProperties('AWS::RDS::DBCluster', { Tags: Match.arrayWith([planTag]) });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ Tags: Match.arrayWith([planTag]) })] });
  });

  test('two data stacks in one account: each selection only matches its own stack', () => {
    const a = dataStack();
    const b = dataStack();
    plan(a, { backupPlanName: 'orders' });
    plan(b, { backupPlanName: 'payments' });
    const values = [a, b].map((f) =>
      Object.values(Template.fromStack(f.stack).findResources('AWS::Backup::BackupSelection')).map(
        (r: any) => r.Properties.BackupSelection.Conditions.StringEquals.find((c: any) => c.ConditionKey.endsWith('backup-plan')).ConditionValue,
      ),
    );
    expect(values).toEqual([
      ['orders', 'orders'],
      ['payments', 'payments'],
    ]);
  });

  test('records the backup-plan control on every covered classified resource', () => {
    const f = dataStack();
    plan(f);
    expect(controlsOf(f.table)).toContainEqual(expect.objectContaining({ control: CONTROLS.BACKUP_PLAN, plan: 'hr-highly-sensitive', crossAccountCopy: true, crossRegionCopy: true, retentionDays: 365 }));
    expect(controlsOf(f.bucket)).toContainEqual(expect.objectContaining({ control: CONTROLS.BACKUP_PLAN, plan: 'hr-confidential', crossAccountCopy: true, crossRegionCopy: false, retentionDays: 90 }));
    expect(controlsOf(f.cluster)).toContainEqual(expect.objectContaining({ control: CONTROLS.BACKUP_PLAN, plan: 'hr-confidential' }));
    // The vaults holding its recovery points, for the report's restore runbooks.
    const planOf = (c: Construct) => controlsOf(c).find((x) => x.control === CONTROLS.BACKUP_PLAN) as Record<string, unknown>;
    expect(Object.keys(planOf(f.table))).toEqual(expect.arrayContaining(['backupVaultName', 'copyVaultName', 'copyAccount', 'copyRegion']));
  });

  test('a resource with a tightened policy gets its own plan, selected by its own plan tag (no ARN: the plan may live in another stack)', () => {
    const f = dataStack({ withCluster: false });
    classify(f.cluster, DataClassification.CONFIDENTIAL, { backupRetentionDays: 730 });
    plan(f);
    const template = Template.fromStack(f.stack);
    expect(planNamed(template, 'hr-confidential-custom1').BackupPlanRule[0]).toMatchObject({
      Lifecycle: { DeleteAfterDays: 730 },
      CopyActions: [{ Lifecycle: { DeleteAfterDays: 730 } }],
    });
    const selections = template.findResources('AWS::Backup::BackupSelection');
    const bySelection = Object.fromEntries(Object.values(selections).map((x: any) => [x.Properties.BackupSelection.SelectionName, x.Properties.BackupSelection]));
    expect(Object.keys(bySelection).sort()).toEqual(['confidential-by-tag', 'confidential-custom1-by-tag', 'highly-sensitive-by-tag']);
    expect(bySelection['confidential-custom1-by-tag'].Conditions.StringEquals).toContainEqual({ ConditionKey: 'aws:ResourceTag/data-protection:backup-plan', ConditionValue: 'hr-confidential-custom1' });
    expect(bySelection['confidential-by-tag'].Conditions.StringEquals).toContainEqual({ ConditionKey: 'aws:ResourceTag/data-protection:backup-plan', ConditionValue: 'hr' });
    expect(bySelection['confidential-by-tag'].NotResources).toBeUndefined();
    // The cluster carries its own plan's tag value, the other CONFIDENTIAL resources the level plan's.
    const cluster = Object.values(template.findResources('AWS::RDS::DBCluster'))[0] as any;
    expect(cluster.Properties.Tags).toContainEqual({ Key: 'data-protection:backup-plan', Value: 'hr-confidential-custom1' });
    expect(controlsOf(f.cluster)).toContainEqual(expect.objectContaining({ plan: 'hr-confidential-custom1', retentionDays: 730 }));
  });

  test('existing resources are selected by ARN', () => {
    const f = dataStack();
    const arn = `arn:aws:dynamodb:${REGION}:${DATA_ACCOUNT}:table/legacy`;
    plan(f, { existingResources: [{ resourceArn: arn, classification: DataClassification.CONFIDENTIAL }] });
    Template.fromStack(f.stack).hasResourceProperties('AWS::Backup::BackupSelection', { BackupSelection: { SelectionName: 'confidential-by-arn', Resources: [arn] } });
  });

  test('least-privilege backup role: no managed policies, no wildcard actions, keys only through the backed-up services', () => {
    const f = dataStack();
    plan(f);
    const template = Template.fromStack(f.stack);
    const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })] } } });
    const [roleId, role] = Object.entries(roles)[0] as [string, any];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => JSON.stringify(p.Properties.Roles).includes(roleId)) as any[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    for (const s of statements) {
      for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
    }
    const kmsUse = statements.find((s) => s.Sid === 'UseDataKeysThroughServices');
    expect(JSON.stringify(kmsUse.Condition)).toContain('dynamodb.');
    expect(statements.find((s) => s.Sid === 'CopyIntoVaults').Resource).toEqual(expect.arrayContaining([centralArn, drArn]));
    expect(statements.map((s) => s.Sid)).not.toContain('EfsBackup');
    expect(statements.find((s) => s.Sid === 'DynamoDbBackup').Action).not.toContain('dynamodb:DeleteBackup');
  });

  test('turns on advanced DynamoDB backup and opts the covered types in', () => {
    const f = dataStack();
    plan(f);
    const cr = Object.values(Template.fromStack(f.stack).findResources('Custom::AWS')).map((r: any) => JSON.stringify(r.Properties.Create));
    expect(cr.some((c) => c.includes('updateRegionSettings') && c.includes('ResourceTypeManagementPreference') && c.includes('\\"DynamoDB\\":true'))).toBe(true);
  });

  test('cold storage at least 90 days before deletion is accepted', () => {
    const f = dataStack();
    // Only the HIGHLY_SENSITIVE table: 90-day CONFIDENTIAL retention leaves no room for cold storage.
    plan(f, { coldStorageAfter: Duration.days(30), manageRegionSettings: false, coverage: f.table });
    const hs = planNamed(Template.fromStack(f.stack), 'hr-highly-sensitive');
    expect(hs.BackupPlanRule[0].Lifecycle).toEqual({ DeleteAfterDays: 365, MoveToColdStorageAfterDays: 30 });
    // Copies into another account never go cold.
    expect(hs.BackupPlanRule[0].CopyActions[0].Lifecycle).toEqual({ DeleteAfterDays: 365 });
  });

  test('without copy destinations, a reason skips the copies and is recorded as an override', () => {
    const f = dataStack();
    plan(f, { centralVault: undefined, drVault: undefined, noCrossAccountCopyReason: 'single-account sandbox', noCrossRegionCopyReason: 'single-region sandbox' });
    const hs = planNamed(Template.fromStack(f.stack), 'hr-highly-sensitive');
    expect(hs.BackupPlanRule[0].CopyActions).toBeUndefined();
    const overrides = (f.table.node.defaultChild as any).node.metadata.filter((m: any) => m.type === METADATA.OVERRIDE).map((m: any) => m.data);
    expect(overrides).toEqual(
      expect.arrayContaining([
        { prop: 'crossAccountCopy', floor: 'true', value: 'false', reason: 'single-account sandbox' },
        { prop: 'crossRegionCopy', floor: 'true', value: 'false', reason: 'single-region sandbox' },
      ]),
    );
    expect(controlsOf(f.table)).toContainEqual(expect.objectContaining({ crossAccountCopy: false, crossRegionCopy: false }));
  });

  test('snapshot', () => {
    const f = dataStack();
    plan(f);
    expect(Template.fromStack(f.stack).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test('retention below the local vault lock minimum', () => {
      const f = dataStack();
      const strict = new ImmutableBackupVault(f.stack, 'Strict', { backupVaultName: 'strict', encryptionKey: kms.Key.fromKeyArn(f.stack, 'K2', KEY_ARN), minRetention: Duration.days(100) });
      expect(() => plan(f, { backupVault: strict })).toThrow(
        "ProtectedBackupPlan rule 'hr-confidential-scheduled': retention 90 days is outside the lock of vault 'strict' (min 100, max 3650 days)",
      );
    });

    test('copy retention outside the central vault lock', () => {
      const f = dataStack();
      expect(() => plan(f, { centralVault: { ...CENTRAL, maxRetentionDays: 180 } })).toThrow(
        `ProtectedBackupPlan rule 'hr-highly-sensitive-scheduled (copy to the central vault)': retention 365 days is outside the lock of vault 'data-protection-central' (account ${BACKUP_ACCOUNT}, ${REGION}) (min 90, max 180 days)`,
      );
    });

    test('continuous backup retention below the vault lock minimum', () => {
      const f = dataStack();
      const strict = new ImmutableBackupVault(f.stack, 'Strict', { backupVaultName: 'strict', encryptionKey: kms.Key.fromKeyArn(f.stack, 'K2', KEY_ARN), minRetention: Duration.days(60) });
      expect(() => plan(f, { backupVault: strict })).toThrow(/rule 'hr-confidential-continuous': retention 35 days is outside the lock of vault 'strict' \(min 60/);
    });

    test('cold storage less than 90 days before deletion', () => {
      const f = dataStack();
      expect(() => plan(f, { coldStorageAfter: Duration.days(30) })).toThrow(
        "ProtectedBackupPlan rule 'hr-confidential-scheduled': moves recovery points to cold storage after 30 days and deletes them after 90 days in vault 'hr-backups'; deletion must come at least 90 days after cold storage (after 120 days or later)",
      );
    });

    test('HIGHLY_SENSITIVE data with no cross-account copy destination and no reason', () => {
      const f = dataStack();
      expect(() => plan(f, { centralVault: undefined, coverage: f.table })).toThrow(/ProtectedBackupPlanProps.centralVault is required: HIGHLY_SENSITIVE data \(Test\/Employees\) has crossAccountCopy=true/);
    });

    test('HIGHLY_SENSITIVE data with crossAccountCopy=false needs a reason at classification', () => {
      const stack = testStack(DATA_ACCOUNT);
      const bucket = new s3.Bucket(stack, 'B');
      expect(() => classify(bucket, DataClassification.HIGHLY_SENSITIVE, { crossAccountCopy: false })).toThrow(/overrideReason needs a non-empty reason: crossAccountCopy=false is looser than the HIGHLY_SENSITIVE floor/);
    });

    test.each([0, 36])('PITR of %d days is outside 1-35', (days) => {
      const stack = testStack(DATA_ACCOUNT);
      const bucket = new s3.Bucket(stack, 'B');
      expect(() => classify(bucket, DataClassification.CONFIDENTIAL, { pointInTimeRecoveryDays: days, overrideReason: 'x' })).toThrow(
        `ProtectionPolicyOverrides.pointInTimeRecoveryDays must be between 1 and 35 days, got ${days} days`,
      );
    });

    test('a DynamoDB table without PITR when its policy requires it', () => {
      const f = dataStack({ pitr: false });
      plan(f);
      expect(() => Template.fromStack(f.stack)).toThrow(/Test\/Employees: HIGHLY_SENSITIVE requires point-in-time recovery/);
    });

    test('a resource classified after the plan is not covered', () => {
      const f = dataStack();
      plan(f);
      classify(new s3.Bucket(f.stack, 'Late'), DataClassification.CONFIDENTIAL);
      expect(() => Template.fromStack(f.stack)).toThrow(/Test\/Late was classified after the plan was created/);
    });

    test('copy destination in the default vault or a bad account', () => {
      const f = dataStack();
      expect(() => plan(f, { centralVault: { ...CENTRAL, backupVaultName: 'Default' } })).toThrow(/centralVault.backupVaultName must not be 'Default'/);
      const g = dataStack();
      expect(() => plan(g, { centralVault: { ...CENTRAL, account: '12' } })).toThrow("ProtectedBackupPlanProps.centralVault.account must be a 12-digit AWS account id, got '12'");
    });

    test('DR vault in the same region as the central vault', () => {
      const f = dataStack();
      expect(() => plan(f, { drVault: CENTRAL })).toThrow(`ProtectedBackupPlanProps.drVault.region must differ from centralVault.region, got '${REGION}' for both`);
    });

    test('unsupported existing resource ARN', () => {
      const f = dataStack();
      expect(() => plan(f, { existingResources: [{ resourceArn: `arn:aws:sqs:${REGION}:${DATA_ACCOUNT}:q`, classification: DataClassification.CONFIDENTIAL }] })).toThrow(
        /existingResources: unsupported resourceArn 'arn:aws:sqs/,
      );
    });

    test('a resource covered by two plans', () => {
      const f = dataStack();
      plan(f);
      expect(() => new ProtectedBackupPlan(f.stack, 'Again', { backupVault: f.vault, centralVault: CENTRAL, drVault: DR, backupPlanName: 'hr2' })).toThrow(
        /ProtectedBackupPlan Test\/Again: Test\/Employees is already covered by ProtectedBackupPlan Test\/Backups; give each plan its own resources with ProtectedBackupPlanProps.coverage/,
      );
    });

    test('more existing resources than one selection can list', () => {
      const f = dataStack();
      const existingResources = Array.from({ length: 501 }, (_, i) => ({ resourceArn: `arn:aws:dynamodb:${REGION}:${DATA_ACCOUNT}:table/legacy-${i}`, classification: DataClassification.CONFIDENTIAL }));
      expect(() => plan(f, { existingResources })).toThrow(
        'ProtectedBackupPlan: hr-confidential Resources (ProtectedBackupPlanProps.existingResources) lists 501 ARNs; AWS Backup allows at most 500 per selection.',
      );
      const g = dataStack();
      const wildcards = Array.from({ length: 31 }, (_, i) => ({ resourceArn: `arn:aws:dynamodb:${REGION}:${DATA_ACCOUNT}:table/legacy-${i}-*`, classification: DataClassification.CONFIDENTIAL }));
      expect(() => plan(g, { existingResources: wildcards })).toThrow('lists 31 ARNs; AWS Backup allows at most 30 per selection when an ARN has a wildcard.');
    });

    test('two plans with one name in an account and region (their plan tags would select each other\'s resources)', () => {
      const f = dataStack();
      const a = new Construct(f.stack, 'A');
      const b = new Construct(f.stack, 'B');
      classify(new s3.Bucket(a, 'Docs'), DataClassification.CONFIDENTIAL);
      classify(new s3.Bucket(b, 'Docs'), DataClassification.CONFIDENTIAL);
      const props = { backupVault: f.vault, centralVault: CENTRAL, drVault: DR };
      new ProtectedBackupPlan(f.stack, 'PlanA', { ...props, coverage: a });
      expect(() => new ProtectedBackupPlan(f.stack, 'PlanB', { ...props, coverage: b })).toThrow(
        "ProtectedBackupPlan Test/PlanB: backupPlanName 'Test' (the stack name, by default) is already used by ProtectedBackupPlan Test/PlanA in the same account and region; selections match the data-protection:backup-plan tag, so each plan there needs its own ProtectedBackupPlanProps.backupPlanName",
      );
      expect(() => new ProtectedBackupPlan(f.stack, 'PlanC', { ...props, coverage: b, backupPlanName: 'b-plan' })).not.toThrow();
    });

    test('a plan name AWS Backup would reject', () => {
      const f = dataStack();
      expect(() => plan(f, { backupPlanName: 'hr records' })).toThrow(
        "ProtectedBackupPlanProps.backupPlanName must be 1-171 characters of letters, digits, '-', '_' and '.' (AWS Backup plan names are at most 200, and the level, a custom-policy number and '-rds' are appended), got 'hr records'",
      );
    });

    test('scheduleStartHour outside 0-23', () => {
      const f = dataStack();
      expect(() => plan(f, { scheduleStartHour: 24 })).toThrow('ProtectedBackupPlanProps.scheduleStartHour must be between 0 and 23 hours, got 24 hours');
    });
  });

  describe('copy recovery point objective (copyRpoHours)', () => {
    const backupControl = (_f: Fixture, c: Construct) => controlsOf(c).find((x) => x.control === CONTROLS.BACKUP_PLAN) as any;

    test('the rule carrying the copies runs at least every copyRpoHours; the control records the RPO of each location', () => {
      const f = dataStack();
      plan(f);
      const template = Template.fromStack(f.stack);
      // CONFIDENTIAL: copy objective 24 h, daily copies; HIGHLY_SENSITIVE: 1 h, hourly copies.
      expect(planNamed(template, 'hr-confidential').BackupPlanRule[0]).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', CopyActions: [{ DestinationBackupVaultArn: centralArn }] });
      expect(planNamed(template, 'hr-highly-sensitive').BackupPlanRule[0]).toMatchObject({ ScheduleExpression: 'cron(0 * * * ? *)', CopyActions: [{ DestinationBackupVaultArn: centralArn }, { DestinationBackupVaultArn: drArn }] });
      expect(backupControl(f, f.table.node.defaultChild as Construct)).toMatchObject({
        rpoObjectiveHours: 1,
        localRpo: 'continuous (DynamoDB point-in-time recovery)',
        copyRpoObjectiveHours: 1,
        backupAccountRpo: '1 h',
        drRegionRpo: '1 h',
      });
      expect(backupControl(f, f.bucket.node.defaultChild as Construct)).toMatchObject({
        localRpo: 'continuous (point-in-time recovery)',
        copyRpoObjectiveHours: 24,
        backupAccountRpo: '24 h',
        drRegionRpo: 'none',
      });
    });

    test('without copies the schedule is backupIntervalHours, and the control says no copy exists', () => {
      const f = dataStack();
      plan(f, { centralVault: undefined, drVault: undefined, noCrossAccountCopyReason: 'evaluation account', noCrossRegionCopyReason: 'no DR region' });
      const rule = planNamed(Template.fromStack(f.stack), 'hr-highly-sensitive').BackupPlanRule[0];
      expect(rule.ScheduleExpression).toBe('cron(0 3/12 * * ? *)');
      expect(rule.CopyActions).toBeUndefined();
      expect(backupControl(f, f.table.node.defaultChild as Construct)).toMatchObject({ backupAccountRpo: 'none', drRegionRpo: 'none', localRpo: 'continuous (DynamoDB point-in-time recovery)' });
    });

    test('a looser copy objective needs overrideReason and is recorded; the copies then follow it', () => {
      const stack = testStack(DATA_ACCOUNT);
      const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
      const vault = new ImmutableBackupVault(stack, 'LocalVault', { backupVaultName: 'hr-backups', encryptionKey: key });
      const bucket = new s3.Bucket(stack, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, versioned: true });
      expect(() => classify(bucket, DataClassification.HIGHLY_SENSITIVE, { copyRpoHours: 6 })).toThrow(/copyRpoHours=6 is looser than the HIGHLY_SENSITIVE floor copyRpoHours=1/);
      const r = classify(bucket, DataClassification.HIGHLY_SENSITIVE, { copyRpoHours: 6, overrideReason: 'hourly jobs cost too much for this archive' });
      expect(r.policy.overrides).toContainEqual({ prop: 'copyRpoHours', floor: '1', value: '6', reason: 'hourly jobs cost too much for this archive' });
      new ProtectedBackupPlan(stack, 'Backups', { backupVault: vault, centralVault: CENTRAL, drVault: DR, backupPlanName: 'hr' });
      const rule = planNamed(Template.fromStack(stack), 'hr-highly-sensitive-custom1').BackupPlanRule[0];
      expect(rule.ScheduleExpression).toBe('cron(0 3/6 * * ? *)');
    });

    test('copyRpoHours outside 1-24 hours is an error naming the prop', () => {
      const stack = testStack(DATA_ACCOUNT);
      const bucket = new s3.Bucket(stack, 'Docs');
      expect(() => classify(bucket, DataClassification.CONFIDENTIAL, { copyRpoHours: 48, overrideReason: 'x' })).toThrow(/ProtectionPolicyOverrides.copyRpoHours must be between 1 and 24 hours, got 48/);
      expect(() => classify(bucket, DataClassification.CONFIDENTIAL, { copyRpoHours: 0 })).toThrow(/ProtectionPolicyOverrides.copyRpoHours must be between 1 and 24 hours, got 0/);
    });
  });

  describe('retention-class vaults', () => {
    test('each rule writes to the vault with the highest lock minimum its retention fits', () => {
      const f = dataStack();
      const key = kms.Key.fromKeyArn(f.stack, 'Key2', KEY_ARN);
      const classes = [35, 90, 365].map((d) => new ImmutableBackupVault(f.stack, `Vault${d}`, { backupVaultName: `hr-backups-${d}d`, encryptionKey: key, minRetention: Duration.days(d) }));
      const p = plan(f, { retentionClassVaults: classes });
      const template = Template.fromStack(f.stack);
      const confidential = planNamed(template, 'hr-confidential').BackupPlanRule;
      expect(confidential.map((r: any) => [r.RuleName, r.TargetBackupVault])).toEqual([
        ['hr-confidential-scheduled', 'hr-backups-90d'],
        // Continuous recovery points live 35 days: the 35-day class.
        ['hr-confidential-continuous', 'hr-backups-35d'],
      ]);
      expect(planNamed(template, 'hr-highly-sensitive').BackupPlanRule.map((r: any) => r.TargetBackupVault)).toEqual(['hr-backups-365d']);
      expect([...p._scheduledTypesByVault.entries()].map(([v, t]) => [v, [...t].sort()])).toEqual([
        ['hr-backups-90d', ['Aurora', 'S3']],
        ['hr-backups-365d', ['DynamoDB']],
      ]);
    });

    test('a vault that is not an ImmutableBackupVault is an error', () => {
      const f = dataStack();
      expect(() => plan(f, { retentionClassVaults: [{} as any] })).toThrow(/ProtectedBackupPlanProps.retentionClassVaults\[0\] must be an ImmutableBackupVault/);
    });
  });
});

// =============================================================================================
// RDS and Aurora copies (one file with the backup plan above: one module load).
{
  // Defect 4: AWS Backup copies RDS/Aurora either cross-account or cross-Region, never both in one copy.
  const KEY_ARN = `arn:aws:kms:${REGION}:${KEY_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
  const CENTRAL: BackupVaultTarget = { backupVaultName: 'data-protection-central', account: BACKUP_ACCOUNT, region: REGION, minRetentionDays: 90, maxRetentionDays: 3650 };
  const DR: BackupVaultTarget = { ...CENTRAL, region: 'eu-central-1' };
  const centralArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:data-protection-central`]] };
  const drArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:eu-central-1:${BACKUP_ACCOUNT}:backup-vault:data-protection-central`]] };
  const EXISTING_DB = `arn:aws:rds:${REGION}:${DATA_ACCOUNT}:db:legacy-payroll`;
  const rdsWildcard = (kind: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:${REGION}:${DATA_ACCOUNT}:${kind}:*`]] });

  function planNamed(template: Template, name: string): any {
    const found = Object.values(template.findResources('AWS::Backup::BackupPlan')).find((r: any) => r.Properties.BackupPlan.BackupPlanName === name) as any;
    if (!found) throw new Error(`no plan ${name}`);
    return found.Properties.BackupPlan;
  }

  function selection(template: Template, name: string): any {
    const found = Object.values(template.findResources('AWS::Backup::BackupSelection')).find((r: any) => r.Properties.BackupSelection.SelectionName === name) as any;
    if (!found) throw new Error(`no selection ${name}`);
    return found.Properties.BackupSelection;
  }

  // One app for the file: a HIGHLY_SENSITIVE table and Aurora cluster, and an existing RDS instance.
  const stack = new Stack(new App(), 'Data', { env: { account: DATA_ACCOUNT, region: REGION } });
  const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
  const vault = new ImmutableBackupVault(stack, 'LocalVault', { backupVaultName: 'hr-backups', encryptionKey: key, copySourceAccounts: [BACKUP_ACCOUNT] });
  const table = new dynamodb.TableV2(stack, 'Employees', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
    removalPolicy: RemovalPolicy.RETAIN,
  });
  classify(table, DataClassification.HIGHLY_SENSITIVE);
  const cluster = new rds.CfnDBCluster(stack, 'Payroll', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: KEY_ARN, masterUsername: 'admin_user', manageMasterUserPassword: true });
  classify(cluster, DataClassification.HIGHLY_SENSITIVE);
  new ProtectedBackupPlan(stack, 'Backups', {
    backupVault: vault,
    centralVault: CENTRAL,
    drVault: DR,
    backupPlanName: 'hr',
    existingResources: [{ resourceArn: EXISTING_DB, classification: DataClassification.HIGHLY_SENSITIVE }],
  });
  const template = Template.fromStack(stack);

  describe('RDS and Aurora copies', () => {
    test('other HIGHLY_SENSITIVE resources keep both copies, and their tag selection excludes RDS and Aurora', () => {
      expect(planNamed(template, 'hr-highly-sensitive').BackupPlanRule.map((r: any) => r.CopyActions)).toEqual([
        [
          { DestinationBackupVaultArn: centralArn, Lifecycle: { DeleteAfterDays: 365 } },
          { DestinationBackupVaultArn: drArn, Lifecycle: { DeleteAfterDays: 365 } },
        ],
      ]);
      expect(selection(template, 'highly-sensitive-by-tag')).toMatchObject({ Resources: ['*'], NotResources: [rdsWildcard('db'), rdsWildcard('cluster')] });
    });

    test('RDS and Aurora get their own plan: the cross-account copy into the central vault of their Region only, continuous backup kept', () => {
      const rules = planNamed(template, 'hr-highly-sensitive-rds').BackupPlanRule;
      expect(rules.map((r: any) => [r.RuleName, r.CopyActions])).toEqual([
        ['hr-highly-sensitive-rds-scheduled', [{ DestinationBackupVaultArn: centralArn, Lifecycle: { DeleteAfterDays: 365 } }]],
        ['hr-highly-sensitive-rds-continuous', undefined],
      ]);
      expect(selection(template, 'highly-sensitive-rds-by-tag')).toEqual({
        SelectionName: 'highly-sensitive-rds-by-tag',
        IamRoleArn: expect.anything(),
        Resources: [rdsWildcard('db'), rdsWildcard('cluster')],
        Conditions: {
          StringEquals: [
            { ConditionKey: 'aws:ResourceTag/data-classification', ConditionValue: 'HIGHLY_SENSITIVE' },
            { ConditionKey: 'aws:ResourceTag/data-protection:backup-plan', ConditionValue: 'hr' },
          ],
        },
      });
      expect(selection(template, 'highly-sensitive-rds-by-arn').Resources).toEqual([EXISTING_DB]);
      expect(() => selection(template, 'highly-sensitive-by-arn')).toThrow('no selection');
    });

    test('no plan copies an RDS or Aurora recovery point to a vault in another account and another Region', () => {
      const rdsPlans = Object.entries(template.findResources('AWS::Backup::BackupSelection'))
        .filter(([, r]: [string, any]) => JSON.stringify(r.Properties.BackupSelection.Resources ?? []).includes(':rds:'))
        .map(([, r]: [string, any]) => r.Properties.BackupPlanId['Fn::GetAtt'][0]);
      expect(rdsPlans.length).toBeGreaterThan(0);
      const plans = template.findResources('AWS::Backup::BackupPlan');
      for (const id of rdsPlans) expect(JSON.stringify(plans[id].Properties.BackupPlan)).not.toContain('eu-central-1');
    });

    test('the cluster records the copy it gets, the reason it has no DR copy, and a synth warning', () => {
      expect(controlsOf(cluster)).toContainEqual(expect.objectContaining({ control: CONTROLS.BACKUP_PLAN, plan: 'hr-highly-sensitive-rds', crossAccountCopy: true, crossRegionCopy: false, retentionDays: 365 }));
      expect(controlsOf(table)).toContainEqual(expect.objectContaining({ plan: 'hr-highly-sensitive', crossAccountCopy: true, crossRegionCopy: true }));
      expect(cluster.node.metadata.filter((m) => m.type === METADATA.OVERRIDE).map((m) => m.data)).toEqual([{ prop: 'crossRegionCopy', floor: 'true', value: 'false', reason: RDS_NO_DR_COPY }]);
      expect(RDS_NO_DR_COPY).toContain('Copy a backup');
      Annotations.fromStack(stack).hasWarning('/Data/Payroll', Match.stringLikeRegexp('never both'));
    });

    test('an explicit crossRegionCopy=true on RDS or Aurora is a synth error', () => {
      const s = new Stack(new App(), 'Explicit', { env: { account: DATA_ACCOUNT, region: REGION } });
      const db = new rds.CfnDBCluster(s, 'Db', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: KEY_ARN, masterUsername: 'u', manageMasterUserPassword: true });
      expect(() => classify(db, DataClassification.CONFIDENTIAL, { crossAccountCopy: true, crossRegionCopy: true })).toThrow(
        'classify(Explicit/Db): ProtectionPolicyOverrides.crossRegionCopy=true cannot be met for AWS::RDS::DBCluster: AWS Backup copies RDS and Aurora recovery points either to another account or to another Region, never both',
      );
    });
  });

  describe('backup key: each copy hop can use it', () => {
    test('the backup key (primary and DR replica) lets RDS re-encrypt copies for the backup and data accounts', () => {
      const accounts = { ...ACCOUNTS, organizationId: 'o-exampleorg1' };
      const app = new App();
      const keys = new KeyAccountStack(app, 'Keys', { env: { account: KEY_ACCOUNT, region: REGION }, accounts });
      const replica = new KeyAccountReplicaStack(app, 'KeysDr', { env: { account: KEY_ACCOUNT, region: 'eu-central-1' }, accounts });
      for (const [stack, region, policy] of [
        [keys, REGION, keys.backupKey.resource.keyPolicy],
        [replica, 'eu-central-1', replica.replicas.BackupKey.resource.keyPolicy],
      ] as const) {
        const backupKey = { Properties: { KeyPolicy: stack.resolve(policy) } };
        const use = backupKey.Properties.KeyPolicy.Statement.find((st: any) => st.Sid === 'ConsumerAccountsUseKeyViaServices');
        expect(use.Condition.StringEquals['kms:ViaService']).toEqual([`backup.${region}.amazonaws.com`, `s3.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`]);
        expect(use.Condition.StringEquals['kms:CallerAccount']).toEqual([BACKUP_ACCOUNT, DATA_ACCOUNT]);
      }
    });
  });
}

describe('OrganizationBackupPolicy', () => {
  const MANAGEMENT_ACCOUNT = '555555555555';
  const ORG_PROPS: OrganizationBackupPolicyProps = { targetIds: ['ou-ab12-cdef3456', 'r-ab12', DATA_ACCOUNT], regions: [REGION], backupAccount: BACKUP_ACCOUNT, drRegion: 'eu-central-1' };
  const orgStack = (): Stack => new Stack(new App(), 'Org', { env: { account: MANAGEMENT_ACCOUNT, region: 'us-east-1' } });

  // Built once: the data-account plans of every level (one bucket per level, the central vaults of
  // the backup account by retention class) and the organization policy from the same floors.
  const dataAccount = testStack(DATA_ACCOUNT, 'OrgCompare');
  const key = kms.Key.fromKeyArn(dataAccount, 'Key', KEY_ARN);
  const localVault = new ImmutableBackupVault(dataAccount, 'LocalVault', { backupVaultName: 'hr-backups', encryptionKey: key, minRetention: Duration.days(7) });
  for (const level of DataClassification.all()) {
    classify(new s3.Bucket(dataAccount, `Bucket${level.name}`, { encryption: s3.BucketEncryption.KMS, encryptionKey: key, versioned: true }), level);
  }
  const [central, ...centralClasses] = centralVaultTargets(BACKUP_ACCOUNT, REGION);
  const [dr, ...drClasses] = centralVaultTargets(BACKUP_ACCOUNT, 'eu-central-1');
  new ProtectedBackupPlan(dataAccount, 'Backups', { backupVault: localVault, centralVault: central, centralRetentionClassVaults: centralClasses, drVault: dr, drRetentionClassVaults: drClasses, backupPlanName: 'hr', manageRegionSettings: false });
  const dataTemplate = Template.fromStack(dataAccount);
  const org = orgStack();
  const policy = new OrganizationBackupPolicy(org, 'BackupPolicy', ORG_PROPS);
  const orgTemplate = Template.fromStack(org);
  const doc = JSON.parse(policy.document);
  const arnString = (arn: any): string => (typeof arn === 'string' ? arn : arn['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'aws')).join(''));
  const value = (v: any) => v['@@assign'];

  test('an Organizations BACKUP_POLICY attached to the targets, compact JSON', () => {
    orgTemplate.hasResourceProperties('AWS::Organizations::Policy', { Type: 'BACKUP_POLICY', TargetIds: ORG_PROPS.targetIds, Content: doc });
    expect(Object.keys(doc.plans)).toEqual(['data-protection-org-public', 'data-protection-org-internal', 'data-protection-org-confidential-eu-west-1', 'data-protection-org-highly-sensitive-eu-west-1']);
  });

  for (const level of DataClassification.all()) {
    const suffix = level.name.toLowerCase().replace(/_/g, '-');
    test(`${level.name}: the same schedule, retention, continuous backup and copy targets as the data-account plan, selected by the classification tag`, () => {
      const dataPlan = planNamed(dataTemplate, `hr-${suffix}`);
      const orgName = Object.keys(doc.plans).find((n) => n.startsWith(`data-protection-org-${suffix}`))!;
      const orgPlan = doc.plans[orgName];
      expect(value(orgPlan.regions)).toEqual([REGION]);
      const orgRules = Object.entries(orgPlan.rules).map(([, r]: [string, any]) => ({
        ScheduleExpression: value(r.schedule_expression),
        StartWindowMinutes: Number(value(r.start_backup_window_minutes)),
        EnableContinuousBackup: r.enable_continuous_backup ? value(r.enable_continuous_backup) === 'true' : undefined,
        DeleteAfterDays: Number(value(r.lifecycle.delete_after_days)),
        Copies: r.copy_actions ? Object.entries(r.copy_actions).map(([k, c]: [string, any]) => {
          expect(value(c.target_backup_vault_arn)).toEqual(k);
          return [k, Number(value(c.lifecycle.delete_after_days))];
        }) : undefined,
        Tags: Object.fromEntries(Object.values(r.recovery_point_tags).map((t: any) => [value(t.tag_key), value(t.tag_value)])),
      }));
      const dataRules = dataPlan.BackupPlanRule.map((r: any) => ({
        ScheduleExpression: r.ScheduleExpression,
        StartWindowMinutes: r.StartWindowMinutes,
        EnableContinuousBackup: r.EnableContinuousBackup,
        DeleteAfterDays: r.Lifecycle.DeleteAfterDays,
        Copies: r.CopyActions?.map((c: any) => [arnString(c.DestinationBackupVaultArn), c.Lifecycle.DeleteAfterDays]),
        Tags: r.RecoveryPointTags,
      }));
      expect(orgRules).toEqual(dataRules);
      // Selection: the classification tag = the level, through the member account's role.
      const selection: any = Object.values(orgPlan.selections.tags)[0];
      expect(value(selection.tag_key)).toEqual('data-classification');
      expect(value(selection.tag_value)).toEqual([level.name]);
      expect(value(selection.iam_role_arn)).toEqual('arn:aws:iam::$account:role/data-protection-organization-backup');
      const dataSelection: any = Object.values(dataTemplate.findResources('AWS::Backup::BackupSelection')).find((r: any) => r.Properties.BackupSelection.SelectionName === `${suffix}-by-tag`);
      expect(dataSelection.Properties.BackupSelection.Conditions.StringEquals).toContainEqual({ ConditionKey: 'aws:ResourceTag/data-classification', ConditionValue: level.name });
      for (const r of Object.values(orgPlan.rules) as any[]) expect(value(r.target_backup_vault_name)).toEqual('data-protection-organization');
    });
  }

  test('HIGHLY_SENSITIVE copies go to the 365-day central vaults of the backup account, here and in the DR region', () => {
    const rule = doc.plans['data-protection-org-highly-sensitive-eu-west-1'].rules['data-protection-org-highly-sensitive-eu-west-1-scheduled'];
    expect(Object.keys(rule.copy_actions)).toEqual([
      `arn:aws:backup:${REGION}:${BACKUP_ACCOUNT}:backup-vault:data-protection-central-365d`,
      `arn:aws:backup:eu-central-1:${BACKUP_ACCOUNT}:backup-vault:data-protection-central-365d`,
    ]);
  });

  describe('bad input', () => {
    const attempt = (props: Partial<OrganizationBackupPolicyProps>) => () => new OrganizationBackupPolicy(orgStack(), 'P', { ...ORG_PROPS, ...props });
    test('target ids', () => {
      expect(attempt({ targetIds: [] })).toThrow('OrganizationBackupPolicyProps.targetIds must list at least one organizational unit');
      expect(attempt({ targetIds: ['ou-12'] })).toThrow("OrganizationBackupPolicyProps.targetIds[0] must be an organizational unit id matching ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$ (e.g. ou-ab12-cdef3456), got 'ou-12'");
      expect(attempt({ targetIds: ['o-exampleorg1'] })).toThrow("OrganizationBackupPolicyProps.targetIds[0] must be a root id");
    });
    test('regions', () => {
      expect(attempt({ regions: [] })).toThrow('OrganizationBackupPolicyProps.regions must list at least one region');
      expect(attempt({ regions: ['Ireland'] })).toThrow("OrganizationBackupPolicyProps.regions[0] must be a Region name matching");
      expect(attempt({ regions: [REGION, REGION] })).toThrow('OrganizationBackupPolicyProps.regions must not repeat a region');
      expect(attempt({ drRegion: REGION })).toThrow("OrganizationBackupPolicyProps.drRegion must differ from every region in regions");
    });
    test('backup account, DR copy and cold storage', () => {
      expect(attempt({ backupAccount: '123' })).toThrow("OrganizationBackupPolicyProps.backupAccount must be a 12-digit AWS account id, got '123'");
      expect(attempt({ drRegion: undefined })).toThrow('OrganizationBackupPolicyProps.noCrossRegionCopyReason');
      expect(attempt({ coldStorageAfter: Duration.days(30) })).toThrow('OrganizationBackupPolicyProps.coldStorageAfter: the PUBLIC plan moves recovery points to cold storage after 30 days and deletes them after 7 days');
    });
    test('a document over the 10,000-character backup policy quota is a synth error with its size', () => {
      const regions = ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'eu-south-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
      expect(attempt({ regions })).toThrow(/the backup policy document is \d{5} characters; AWS Organizations allows at most 10000 for a backup policy/);
    });
  });
});

describe('ProtectedBackupPlanProps.airGappedPrimaryVault: a logically air-gapped vault of the same account as primary target', () => {
  const LAG: BackupVaultTarget = { backupVaultName: 'hr-air-gapped', account: DATA_ACCOUNT, region: REGION, minRetentionDays: 7, maxRetentionDays: 3650 };
  const lagArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${REGION}:${DATA_ACCOUNT}:backup-vault:hr-air-gapped`]] };
  const f = dataStack();
  const p = plan(f, { airGappedPrimaryVault: LAG, airGappedPrimaryClassifications: [DataClassification.CONFIDENTIAL] });
  const template = Template.fromStack(f.stack);

  test('the scheduled rules of the level name it next to their locked vault; continuous rules and other levels do not', () => {
    for (const name of ['hr-confidential']) {
      const [scheduled, ...rest] = planNamed(template, name).BackupPlanRule;
      expect(scheduled).toMatchObject({ RuleName: `${name}-scheduled`, TargetBackupVault: 'hr-backups', TargetLogicallyAirGappedBackupVaultArn: lagArn });
      expect(scheduled.CopyActions).toContainEqual({ DestinationBackupVaultArn: centralArn, Lifecycle: { DeleteAfterDays: 90 } });
      for (const r of rest) expect(r.TargetLogicallyAirGappedBackupVaultArn).toBeUndefined();
    }
    expect(JSON.stringify(planNamed(template, 'hr-highly-sensitive'))).not.toContain('hr-air-gapped');
  });

  test('the backup role may copy into it; the report names it; fully managed types are watched there, the others in the locked vault', () => {
    const role = Object.values(template.findResources('AWS::IAM::Policy')).find((x: any) => x.Properties.PolicyDocument.Statement.some((st: any) => st.Sid === 'CopyIntoVaults')) as any;
    expect(role.Properties.PolicyDocument.Statement.find((st: any) => st.Sid === 'CopyIntoVaults').Resource).toContainEqual(lagArn);
    expect(controlsOf(f.bucket)).toContainEqual(expect.objectContaining({ control: CONTROLS.BACKUP_PLAN, backupVaultName: 'hr-backups', airGappedPrimaryVaultName: 'hr-air-gapped' }));
    expect(controlsOf(f.table).find((c) => c.control === CONTROLS.BACKUP_PLAN)?.airGappedPrimaryVaultName).toBeUndefined();
    expect([...(p._scheduledTypesByVault.get('hr-air-gapped') ?? [])]).toEqual(['S3']);
    expect([...(p._scheduledTypesByVault.get('hr-backups') ?? [])].sort()).toEqual(['Aurora', 'DynamoDB']);
  });

  test('a vault of another account or Region, or no level, is a synth error', () => {
    const other = (t: Partial<BackupVaultTarget>, levels?: DataClassification[]) => () => plan(dataStack(), { airGappedPrimaryVault: { ...LAG, ...t }, airGappedPrimaryClassifications: levels });
    expect(other({ account: BACKUP_ACCOUNT })).toThrow(
      `ProtectedBackupPlanProps.airGappedPrimaryVault: logically air-gapped vault 'hr-air-gapped' (account ${BACKUP_ACCOUNT}, ${REGION}) is in account ${BACKUP_ACCOUNT}, the plan's resources in ${DATA_ACCOUNT}; AWS Backup backs up into a logically air-gapped vault of the same account and Region only`,
    );
    expect(other({ region: 'eu-central-1' })).toThrow(/is in region eu-central-1, the plan's resources in eu-west-1; AWS Backup backs up into a logically air-gapped vault of the same account and Region only/);
    expect(other({}, [])).toThrow(/airGappedPrimaryClassifications must name at least one level/);
  });

  test('stores AWS Backup would keep out of it are synth errors naming the store, its type and the rule', () => {
    const s = testStack(DATA_ACCOUNT, 'Stores');
    const vault = new ImmutableBackupVault(s, 'LocalVault', { backupVaultName: 'hr-backups', encryptionKey: kms.Key.fromKeyArn(s, 'Key', KEY_ARN) });
    classify(new CfnVolume(s, 'Disk', { availabilityZone: `${REGION}a`, size: 10, encrypted: true }), DataClassification.HIGHLY_SENSITIVE);
    classify(new rds.CfnDBCluster(s, 'MultiAz', { engine: 'postgres', storageEncrypted: true, kmsKeyId: KEY_ARN, dbClusterInstanceClass: 'db.m6gd.large' }), DataClassification.HIGHLY_SENSITIVE);
    classify(new rds.CfnDBInstance(s, 'Db', { engine: 'postgres', dbInstanceClass: 'db.t3.micro', storageEncrypted: true }), DataClassification.HIGHLY_SENSITIVE);
    new ProtectedBackupPlan(s, 'Backups', { backupVault: vault, centralVault: CENTRAL, drVault: DR, backupPlanName: 'hr', airGappedPrimaryVault: LAG });
    const at = (path: string, type: string, rule: string) => `ProtectedBackupPlanProps.airGappedPrimaryVault: Stores/${path} (${type}), rule '${rule}' with logically air-gapped vault 'hr-air-gapped' (account ${DATA_ACCOUNT}, ${REGION}) as primary target`;
    let error = '';
    try {
      Template.fromStack(s);
    } catch (e) {
      error = String(e);
    }
    expect(error).toContain(`${at('Disk', 'AWS::EC2::Volume', 'hr-highly-sensitive-scheduled')}: the volume is encrypted with the AWS managed key aws/ebs`);
    expect(error).toContain(`${at('MultiAz', 'AWS::RDS::DBCluster', 'hr-highly-sensitive-rds-scheduled')}: engine 'postgres' makes a Multi-AZ DB cluster`);
    expect(error).toContain(`${at('Db', 'AWS::RDS::DBInstance', 'hr-highly-sensitive-rds-scheduled')}: storage is encrypted with the AWS managed key aws/rds`);
  });
});

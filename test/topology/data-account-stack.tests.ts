import { App, CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import { classify, DataAccountStack, DataClassification, DataProtectionOptions, DrillEngine, NativeRestoreTesting } from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, drillTagsIn, REGION } from '../helpers';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AuditNames } from '../../lib/audit/audit-names';
import { DataProtectionStage } from '../../lib/topology/data-protection-stage';
import { ImmutableBackupVault } from '../../lib/backup/immutable-backup-vault';
import { ProtectedBackupPlan } from '../../lib/backup/protected-backup-plan';
import { DataProtectionChecks } from '../../lib/nag/data-protection-checks';
import { controlsOf } from '../../lib/core/controls';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:payroll-drill-AbCdEf';

function stackWith(options: DataProtectionOptions): DataAccountStack {
  const stack = new DataAccountStack(new App(), 'Hr', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
  classify(
    new dynamodb.TableV2(stack, 'Employees', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(DataClassification.CONFIDENTIAL)),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      removalPolicy: RemovalPolicy.RETAIN,
    }),
    DataClassification.CONFIDENTIAL,
  );
  classify(new rds.CfnDBCluster(stack, 'Payroll', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: stack.keyFor(DataClassification.CONFIDENTIAL).keyArn }), DataClassification.CONFIDENTIAL);
  stack.protect(options);
  return stack;
}

/** The tags of the stack's table and cluster after synth: drill settings travel to the account's drill as tags. */
function tagsOf(stack: DataAccountStack): { employees: { [k: string]: unknown }; payroll: { [k: string]: unknown } } {
  const template = Template.fromStack(stack);
  const table = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))[0] as any;
  const cluster = Object.values(template.findResources('AWS::RDS::DBCluster'))[0] as any;
  const toMap = (tags: { Key: string; Value: unknown }[] = []) => Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
  return { employees: toMap(table.Properties.Replicas[0].Tags), payroll: toMap(cluster.Properties.Tags) };
}

describe('DataAccountStack.protect drill options', () => {
  test('targetOptions sets per-resource drill settings, carried as tags the account drill reads; the others keep the defaults', () => {
    const stack = stackWith({
      drill: {
        targetOptions: {
          optionsFor: (r) =>
            r.resourceType === 'AWS::RDS::DBCluster' ? { validation: { tolerancePercent: '5' }, restoreTimeout: Duration.hours(10) } : undefined,
        },
      },
    });
    const { employees, payroll } = tagsOf(stack);
    expect(payroll).toMatchObject({ 'data-protection:drill-name': 'payroll', 'data-protection:drill-validation:tolerancePercent': '5', 'data-protection:drill-restore-timeout-seconds': '36000' });
    expect(employees['data-protection:drill-name']).toBe('employees');
    expect(Object.keys(employees).filter((k) => k.startsWith('data-protection:drill-validation'))).toEqual([]);
    // The drill finds them at run time: it lists no target, and restores from the account's vault.
    expect(stack.restoreDrill!.targets).toEqual([]);
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::Lambda::Function'))).toContain(`\\"backupVaultName\\":\\"${stack.backupVault!.backupVaultName}\\"`);
  });

  test('an option returned as undefined keeps the stack default', () => {
    const isolation = { dbSubnetGroupName: 'drill-subnets', securityGroupIds: ['sg-0123456789abcdef0'] };
    const stack = stackWith({ drill: { isolation, targetOptions: { optionsFor: () => ({ isolation: undefined, restoreKey: undefined }) } } });
    const { employees, payroll } = tagsOf(stack);
    // The drill's isolation is the default: no tag repeats it.
    expect(payroll['data-protection:drill-subnet-group']).toBeUndefined();
    // The table's restored copy is encrypted with the table's own key, read when the drill runs: no tag.
    expect(employees['data-protection:drill-restore-key']).toBeUndefined();
  });

  test('a sqlQuery on an Aurora cluster is a synth error: the restored cluster has no DB instance to query', () => {
    const stack = stackWith({ drill: { targetOptions: { optionsFor: (r) => (r.resourceType === 'AWS::RDS::DBCluster' ? { validation: { sqlQuery: 'select 1', secretArn: SECRET } } : undefined) } } });
    expect(() => (stack.node.root as App).synth()).toThrow(
      /DrillTargetProps\(payroll\)\.validation\.sqlQuery is not supported for an Aurora target: AWS Backup restores the cluster without DB instances.*got 'select 1'.*compares its engine and AllocatedStorage/,
    );
  });

  test('targetOptions cannot move a target to another vault', () => {
    const stack = stackWith({ drill: { targetOptions: { optionsFor: () => ({ backupVaultName: 'elsewhere' }) as any } } });
    expect(() => (stack.node.root as App).synth()).toThrow(
      "DataProtectionDrillOptions.targetOptions(Hr/Employees) returned backupVaultName 'elsewhere': drills restore from the account's vault; use your own RestoreDrill for another vault",
    );
  });
});

describe('DataAccountStack account-wide alarms', () => {
  test('the accountWide stack has the job-failure and key-tamper rules even before protect(); other stacks have none', () => {
    const app = new App();
    const wide = new DataAccountStack(app, 'Wide', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    const other = new DataAccountStack(app, 'Other', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, accountWide: false });
    const sources = (s: DataAccountStack) =>
      Object.values(Template.fromStack(s).findResources('AWS::Events::Rule')).map((r: any) => (r.Properties.EventPattern ? `${r.Properties.EventPattern.source[0]} ${r.Properties.EventPattern['detail-type'][0]}` : `schedule ${r.Properties.ScheduleExpression}`)).sort();
    expect(sources(wide)).toEqual([
      'aws.backup AWS API Call via CloudTrail', // vault tampering
      'aws.backup AWS API Call via CloudTrail', // backup erosion (with tag removals of other services)
      'aws.backup Backup Job State Change',
      'aws.backup Copy Job State Change',
      'aws.backup Restore Job State Change',
      'aws.cloudwatch AWS API Call via CloudTrail', // monitoring tampering (with logs, events, sns, lambda, states, kms)
      'aws.cloudwatch CloudWatch Alarm State Change', // the library's alarms, forwarded to the audit account
      'aws.dynamodb AWS API Call via CloudTrail',
      'aws.dynamodb AWS API Call via CloudTrail', // drill setting tags set on stores (with efs, rds, ec2, tagging)
      'aws.events AWS API Call via CloudTrail', // the rule watching the monitoring-tamper rule
      'aws.kms AWS API Call via CloudTrail',
      'schedule rate(1 hour)', // the forwarding heartbeat
    ]);
    expect(sources(other)).toEqual([]);
  });
});

describe('DataAccountStack: data stacks sharing the protection set of their account', () => {
  test('two stores drilled under one name in one account are a synth error naming both and the fix', () => {
    const app = new App();
    const env = { account: DATA_ACCOUNT, region: REGION };
    for (const id of ['Hr', 'Crm']) {
      const s = new DataAccountStack(app, id, { env, accounts: ACCOUNTS });
      classify(new dynamodb.TableV2(s, 'Orders', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(s.dynamoDbKeyFor(DataClassification.CONFIDENTIAL)),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      }), DataClassification.CONFIDENTIAL);
    }
    expect(() => app.synth()).toThrow(
      "Crm/Orders and Hr/Orders would both be drilled as 'orders' by the restore drill of 222222222222/eu-west-1 (names key evidence and metrics): give one of them its own name with DataProtectionDrillOptions.targetOptions (optionsFor returns { name: '...' }) or a different construct id",
    );
  });

  test('fallback DynamoDB keys are held once by the protection set; the other stacks resolve them by alias through its shared key lookup and deploy after it', () => {
    const app = new App();
    const env = { account: DATA_ACCOUNT, region: REGION };
    const [hr, crm] = ['Hr', 'Crm'].map((id) => new DataAccountStack(app, id, { env, accounts: ACCOUNTS }));
    for (const s of [hr, crm]) {
      s.dynamoDbKeyFor(DataClassification.CONFIDENTIAL);
      s.keyFor(DataClassification.CONFIDENTIAL);
    }
    app.synth();
    const alias = (s: DataAccountStack) => Object.values(Template.fromStack(s).findResources('AWS::KMS::Alias')).map((a: any) => a.Properties.AliasName);
    // Named after the stack holding it: moving the protection set, or a second stage in the account, never collides.
    expect(alias(hr)).toContain('alias/data-protection/data-confidential-dynamodb/Hr');
    expect(alias(crm)).toEqual([]);
    // No function in the second stack: its lookups call the holder's function by its name.
    expect(Object.keys(Template.fromStack(crm).findResources('AWS::Lambda::Function'))).toEqual([]);
    Template.fromStack(hr).hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'data-protection-key-lookup-Hr' });
    const lookups = Object.values(Template.fromStack(crm).findResources('Custom::DataProtectionKeyLookup')) as any[];
    expect(lookups.map((l) => JSON.stringify(l.Properties.ServiceToken))).toEqual(lookups.map(() => expect.stringContaining(':function:data-protection-key-lookup-Hr')));
    expect(lookups.map((l) => JSON.stringify(l.Properties.AliasArn)).sort()).toEqual([
      expect.stringContaining(`:kms:eu-west-1:${ACCOUNTS.keyAccount}:alias/data-protection/data-confidential`),
      expect.stringContaining(`:kms:eu-west-1:${DATA_ACCOUNT}:alias/data-protection/data-confidential-dynamodb/Hr`),
    ].sort((a: any, b: any) => String(a).localeCompare(String(b))));
    expect(crm.dependencies.map((s) => s.stackName)).toEqual(['Hr']);
  });
});

describe('the protection set depends on no data stack', () => {
  test('a classified bucket with a generated name in another data stack is recorded by exclusion, not through an exported ARN (the data stacks deploy after the holder)', () => {
    const app = new App();
    const env = { account: DATA_ACCOUNT, region: REGION };
    const holder = new DataAccountStack(app, 'Holder', { env, accounts: ACCOUNTS });
    const other = new DataAccountStack(app, 'Other', { env, accounts: ACCOUNTS });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const s3 = require('aws-cdk-lib/aws-s3');
    classify(new s3.Bucket(other, 'Generated', { encryption: s3.BucketEncryption.KMS, encryptionKey: other.keyFor(DataClassification.CONFIDENTIAL) }), DataClassification.CONFIDENTIAL);
    const assembly = app.synth();
    for (const s of assembly.stacks) expect(JSON.stringify(s.template)).not.toContain('Fn::ImportValue');
    const trail = Object.values(Template.fromStack(holder).findResources('AWS::CloudTrail::Trail'))[0] as any;
    const s3Selector = trail.Properties.AdvancedEventSelectors.find((x: any) => JSON.stringify(x).includes('AWS::S3::Object'));
    expect(s3Selector.Name).toMatch(/exclusion/);
    expect(holder.dependencies).toEqual([]);
    expect(other.dependencies.map((d) => d.stackName)).toEqual(['Holder']);
  });
});

describe('one protection set per stage', () => {
  test('two stages deploying data stacks into the same account each get their own protection set, with names that do not collide', () => {
    const app = new App();
    const env = { account: DATA_ACCOUNT, region: REGION };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Stage } = require('aws-cdk-lib');
    const stacks = ['Beta', 'Prod'].map((name) => new DataAccountStack(new Stage(app, name), 'Data', { env, accounts: ACCOUNTS }));
    expect(stacks.map((s) => s.accountWide)).toEqual([true, true]);
    for (const s of stacks) s.dynamoDbKeyFor(DataClassification.CONFIDENTIAL);
    const names = stacks.map((s) => {
      const t = Template.fromStack(s);
      return [
        ...Object.values(t.findResources('AWS::Lambda::Function')).map((f: any) => f.Properties.FunctionName).filter((n: unknown) => typeof n === 'string'),
        ...Object.values(t.findResources('AWS::KMS::Alias')).map((a: any) => a.Properties.AliasName),
      ];
    });
    expect(names[0].filter((n: string) => names[1].includes(n))).toEqual([]);
  });
});

// =============================================================================================
// Several data stacks and data accounts (one file with the data account stack above: one module load).
{
  /**
   * Two data accounts in one stage: each gets its account-wide protections (trail, job-failure and
   * key-tamper rules, Audit Manager frameworks) exactly once, however its data stacks were created.
   * One app, synthesized once, with aspect stabilization on (the other tests run without it).
   */

  process.env.CDK_VALIDATION = 'false';

  const SECOND = '555555555555';
  const accounts = { ...ACCOUNTS, dataAccounts: [DATA_ACCOUNT, SECOND] };
  const app = new App({ context: { '@aws-cdk/core:aspectStabilization': true } });
  const stage = new DataProtectionStage(app, 'Prod', { accounts, alarmEmails: ['security@example.com'] });

  function withBucket(stack: DataAccountStack, name: string): DataAccountStack {
    classify(new s3.Bucket(stack, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.CONFIDENTIAL), bucketName: name }), DataClassification.CONFIDENTIAL);
    return stack;
  }

  // First account: one stack, protect() never called (protected at synth).
  const hr = withBucket(new DataAccountStack(stage, 'Hr', stage.dataStackProps()), 'hr-docs');
  // Second account, the way the issue built it: the first account's props with another account.
  const crm = withBucket(new DataAccountStack(stage, 'Crm', { ...stage.dataStackProps(), env: { account: SECOND } }), 'crm-docs');
  crm.protect();
  // A second stack in the second account, through dataStackProps(account).
  const billing = withBucket(new DataAccountStack(stage, 'Billing', stage.dataStackProps(SECOND)), 'billing-docs');
  billing.protect();

  const assembly = app.synth().getNestedAssembly(stage.artifactId);
  const dataStacks = [hr, crm, billing];

  /** `account: count` of the resources matching `pick` over the data stacks. */
  function perAccount(pick: (template: Template) => number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const s of dataStacks) counts[s.account] = (counts[s.account] ?? 0) + pick(Template.fromJSON(assembly.getStackByName(s.stackName).template));
    return counts;
  }
  const rules = (source: string) => (t: Template) => Object.values(t.findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventPattern?.source?.[0] === source).length;

  test('the first data stack of each account holds its account-wide protections, the others do not', () => {
    expect(Object.fromEntries(dataStacks.map((s) => [s.node.id, s.accountWide]))).toEqual({ Hr: true, Crm: true, Billing: false });
  });

  test('a stack given only an account is placed in the primary region', () => {
    expect(Object.fromEntries(dataStacks.map((s) => [s.node.id, `${s.account}/${s.region}`]))).toEqual({
      Hr: `${DATA_ACCOUNT}/${REGION}`,
      Crm: `${SECOND}/${REGION}`,
      Billing: `${SECOND}/${REGION}`,
    });
  });

  test('each data account has exactly one trail, one set of job-failure rules, one key-tamper rule, one vault-tamper rule and one set of Audit Manager frameworks', () => {
    expect(perAccount((t) => Object.keys(t.findResources('AWS::CloudTrail::Trail')).length)).toEqual({ [DATA_ACCOUNT]: 1, [SECOND]: 1 });
    // Backup/Copy/Restore job state changes, the vault-tamper and backup-erosion rules (API calls via CloudTrail) and the drill's restore-job events.
    expect(perAccount(rules('aws.backup'))).toEqual({ [DATA_ACCOUNT]: 6, [SECOND]: 6 });
    expect(perAccount(rules('aws.kms'))).toEqual({ [DATA_ACCOUNT]: 1, [SECOND]: 1 });
    const frameworks = perAccount((t) => Object.keys(t.findResources('AWS::Backup::Framework')).length);
    expect(frameworks[DATA_ACCOUNT]).toBeGreaterThan(0);
    expect(frameworks[SECOND]).toBe(frameworks[DATA_ACCOUNT]);
  });

  test('every trail the audit archive admits exists, in the account and region it is admitted for', () => {
    const trailArns = dataStacks.filter((s) => s.dataAccessTrail).map((s) => AuditNames.trailArn(s.account, s.region, s.dataAccessTrail!.trailName));
    expect(trailArns.sort()).toEqual([...stage.audit.archive.trailArns].sort());
  });

  test('a stack whose protect() was never called is protected at synth, with aspect stabilization on too', () => {
    expect(hr.backupVault).toBeDefined();
    expect(hr.restoreDrill).toBeDefined();
    expect(Template.fromStack(hr).findResources('AWS::S3::Bucket', { Properties: { Tags: Match.arrayWith([{ Key: 'data-protection:drill-name', Value: 'hr-docs' }]) } })).toEqual({});
    // A literal bucket name gives the drill its name (s3-hr-docs) at run time: no name tag is written.
    expect(Object.keys(drillTagsIn(hr))).toEqual(['s3-hr-docs']);
  });

  test('dataStackProps(account) rejects an account that is not a data account, naming the allowed ones', () => {
    expect(() => stage.dataStackProps('444444444444')).toThrow(
      `DataProtectionStage.dataStackProps(account) must be one of accounts.dataAccounts (${DATA_ACCOUNT}, ${SECOND}), got 444444444444`,
    );
  });

  describe('DataAccountStackProps.accountWide, set by hand', () => {
    const env = { account: DATA_ACCOUNT, region: REGION };

    test('true on a stack created after the one that already holds them is an error naming both', () => {
      const other = new App();
      new DataAccountStack(other, 'First', { env, accounts: ACCOUNTS });
      expect(() => new DataAccountStack(other, 'Second', { env, accounts: ACCOUNTS, accountWide: true })).toThrow(
        `DataAccountStackProps.accountWide is true on Second, but First (created before it) already holds the account-wide protections of ${DATA_ACCOUNT}/${REGION}; exactly one data stack per account and region may: set accountWide: false on First, or leave accountWide unset here`,
      );
    });

    test('true on a later stack is fine when the first one says false', () => {
      const other = new App();
      const first = new DataAccountStack(other, 'First', { env, accounts: ACCOUNTS, accountWide: false });
      const second = new DataAccountStack(other, 'Second', { env, accounts: ACCOUNTS, accountWide: true });
      expect([first.accountWide, second.accountWide]).toEqual([false, true]);
      expect(first.node.validate()).toEqual([]);
    });

    test('false on every data stack of an account fails synth saying how to fix it', () => {
      const lonely = new DataAccountStack(new App(), 'Lonely', { env, accounts: ACCOUNTS, accountWide: false });
      expect(lonely.node.validate()).toEqual([
        `Lonely: no DataAccountStack of account ${DATA_ACCOUNT} in ${REGION} holds the protection set (locked vault, backup plans, restore drill, data-access trail and alarms, Audit Manager frameworks, job-failure and key-tamper rules): DataAccountStackProps.accountWide is false on each; set it to true on one of them, or leave it unset on the first`,
      ]);
    });

    test('data-access alarm thresholds on a stack that does not hold them are an error', () => {
      const other = new App();
      new DataAccountStack(other, 'First', { env, accounts: ACCOUNTS });
      const second = new DataAccountStack(other, 'Second', { env, accounts: ACCOUNTS });
      expect(() => second.protect({ dataAccessAlarms: { massReadThreshold: 10 } })).toThrow(
        `DataProtectionOptions.dataAccessAlarms applies to the protection set of ${DATA_ACCOUNT}/${REGION}, held by First, and Second does not hold it (accountWide is false): set it in that stack's protect()`,
      );
    });
  });

  test('a data stack in an account that is not a data account is an error: its keys and trail would be refused', () => {
    expect(() => new DataAccountStack(new App(), 'Stray', { env: { account: '666666666666', region: REGION }, accounts: ACCOUNTS })).toThrow(
      `DataAccountStackProps.env.account must be one of accounts.dataAccounts (${DATA_ACCOUNT}), got 666666666666: the key account lets only those accounts use its keys, and the audit archive admits only their trails`,
    );
  });
}

// =============================================================================================
// Protection at synth (one file with the data account stack above: one module load).
{
  /**
   * A `DataAccountStack` whose `protect()` was forgotten is protected with the default options at
   * synth; one that calls it keeps its options; one that protects its data by hand is left alone.
   * One app (aspects without stabilization, the aws-cdk-lib default), synthesized once.
   */

  process.env.CDK_VALIDATION = 'false';

  const env = { account: DATA_ACCOUNT, region: REGION };
  const app = new App();

  function withData(stack: DataAccountStack): DataAccountStack {
    classify(new s3.Bucket(stack, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.CONFIDENTIAL) }), DataClassification.CONFIDENTIAL);
    classify(
      new dynamodb.TableV2(stack, 'Orders', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(DataClassification.CONFIDENTIAL)),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      }),
      DataClassification.CONFIDENTIAL,
    );
    return stack;
  }

  // The quickstart as pasted: classified, protect() forgotten. The first stack of the account.
  const forgotten = withData(new DataAccountStack(app, 'Forgotten', { env, accounts: ACCOUNTS }));
  // Explicit configuration still wins (a stack sharing the account's protection set sets only its own drill options).
  const explicit = withData(new DataAccountStack(app, 'Explicit', { env, accounts: ACCOUNTS }));
  explicit.protect({ drill: { disabledReason: 'drilled by the platform team in the backup account' } });
  // Protection built by hand with the library's constructs.
  const byHand = withData(new DataAccountStack(app, 'ByHand', { env, accounts: ACCOUNTS }));
  new ProtectedBackupPlan(byHand, 'Plan', {
    backupVault: new ImmutableBackupVault(byHand, 'Vault', { backupVaultName: 'by-hand', encryptionKey: byHand.backupKey }),
    noCrossAccountCopyReason: 'copied by the platform team',
    backupPlanName: 'by-hand',
  });
  // Nothing classified, nothing to protect.
  const empty = new DataAccountStack(app, 'Empty', { env, accounts: ACCOUNTS });

  app.synth();
  const template = (s: DataAccountStack) => Template.fromStack(s);
  const count = (s: DataAccountStack, type: string) => Object.keys(template(s).findResources(type)).length;

  describe('protect() forgotten', () => {
    test('the stack is protected with the default options at synth: vault, plan copying to the backup account, drill, trail — for every data stack of the account but the hand-built one', () => {
      // One locked vault per retention class (7, 35, 90, 365 days).
      expect([count(forgotten, 'AWS::Backup::BackupVault'), count(forgotten, 'AWS::Backup::BackupPlan'), count(forgotten, 'AWS::StepFunctions::StateMachine'), count(forgotten, 'AWS::CloudTrail::Trail')]).toEqual([4, 1, 1, 1]);
      expect(forgotten.backupPlan!.covered.map((r) => r.scope.node.path).sort()).toEqual(['Explicit/Docs', 'Explicit/Orders', 'Forgotten/Docs', 'Forgotten/Orders']);
      // The drill finds its targets at run time, by tag.
      expect(forgotten.restoreDrill!.targets).toEqual([]);
      template(forgotten).hasResourceProperties('AWS::S3::Bucket', { Tags: Match.arrayWith([{ Key: 'data-protection:drill-name', Value: 'docs' }]) });
      expect(JSON.stringify(template(forgotten).findResources('AWS::Backup::BackupPlan'))).toContain(':backup-vault:data-protection-central');
    });

    test('tags added at synth reach the template: each resource of the account carries the shared plan tag', () => {
      for (const s of [forgotten, explicit]) {
        template(s).hasResourceProperties('AWS::S3::Bucket', { Tags: Match.arrayWith([{ Key: 'data-protection:backup-plan', Value: 'Forgotten' }]) });
        template(s).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
          Replicas: Match.arrayWith([Match.objectLike({ Tags: Match.arrayWith([{ Key: 'data-protection:backup-plan', Value: 'Forgotten' }]) })]),
        });
      }
    });

    test('says so in an info annotation, and no aspect was skipped', () => {
      Annotations.fromStack(forgotten).hasInfo('*', Match.stringLikeRegexp('protect\\(\\) was not called on Forgotten; its 2 classified resource\\(s\\) are protected with the default options at synth'));
      Annotations.fromStack(forgotten).hasNoWarning('*', Match.stringLikeRegexp('Aspect was added via another Aspect'));
    });

    test('the data-protection pack finds no gap in its backups, copies, drills or data events', () => {
      const findings = new DataProtectionChecks().validateScope(forgotten).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
      expect(findings.filter((f) => /Classified(BackupCoverage|CrossAccountCopy|RestoreDrill|DataEvents)/.test(f))).toEqual([]);
    });
  });

  test('an explicit protect(options) is kept, with no second protection at synth and no annotation: drills off for its resources (skip tag)', () => {
    expect([count(explicit, 'AWS::Backup::BackupVault'), count(explicit, 'AWS::StepFunctions::StateMachine')]).toEqual([0, 0]);
    template(explicit).hasResourceProperties('AWS::S3::Bucket', { Tags: Match.arrayWith([{ Key: 'data-protection:drill-skip', Value: 'true' }]) });
    Annotations.fromStack(explicit).hasNoInfo('*', Match.stringLikeRegexp('protect\\(\\) was not called'));
  });

  test('options of the whole account on a stack that does not hold the protection set are an error naming the holder', () => {
    const other = new App();
    new DataAccountStack(other, 'Holder', { env, accounts: ACCOUNTS });
    const second = new DataAccountStack(other, 'Second', { env, accounts: ACCOUNTS });
    expect(() => second.protect({ backupVaultName: 'mine' })).toThrow(
      `DataProtectionOptions.backupVaultName applies to the protection set of ${DATA_ACCOUNT}/${REGION}, held by Holder, and Second does not hold it (accountWide is false): set it in that stack's protect()`,
    );
  });

  test('protection built by hand is left alone: no second vault or plan, and an annotation says so', () => {
    expect([count(byHand, 'AWS::Backup::BackupVault'), count(byHand, 'AWS::Backup::BackupPlan')]).toEqual([1, 1]);
    expect(byHand.backupVault).toBeUndefined();
    Annotations.fromStack(byHand).hasInfo('*', Match.stringLikeRegexp('protect\\(\\) was not called on ByHand and your own backup plan or restore drill covers ByHand/Docs, ByHand/Orders: the protection set adds no plan or drill settings'));
  });

  test('a stack with nothing classified gets nothing: the protection set is in the first stack', () => {
    expect([empty.accountWide, count(empty, 'AWS::Backup::BackupVault'), count(empty, 'AWS::CloudTrail::Trail'), count(empty, 'AWS::SNS::Topic')]).toEqual([false, 0, 0, 0]);
    expect(empty.alarmTopic).toBe(forgotten.alarmTopic);
  });
}

describe('DataProtectionDashboard of the protection set', () => {
  const stack = stackWith({});
  const template = Template.fromStack(stack);
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);

  test('one dashboard, named after the stack, in the stack holding the protection set', () => {
    expect(Object.values(dashboards).map((d: any) => d.Properties.DashboardName)).toEqual(['data-protection-Hr']);
    expect(stack.dashboard?.dashboardName).toBe('data-protection-Hr');
  });

  test('drill results and RTO/RPO of every target found at run time (SEARCH), against the level objectives', () => {
    for (const metric of ['DrillFailed', 'DrillSucceeded', 'DaysSinceLastSuccessfulDrill', 'RestoreTimeSeconds', 'RecoveryPointAgeSeconds']) {
      expect(body).toContain(`SEARCH('{DataProtection,Target} MetricName=\\\\\\"${metric}\\\\\\"', 'Maximum', 86400)`);
    }
    // The drill's own counts, by its Drill dimension.
    for (const metric of ['StaleTargets', 'UnverifiedTargets', 'RtoExceeded']) expect(body).toContain(`\\"${metric}\\",\\"Drill\\",\\"${stack.restoreDrill!.drillId}\\"`);
    // CONFIDENTIAL: RTO 8 h (28800 s) drawn on the RTO graphs.
    expect(body).toContain('CONFIDENTIAL objective 8 h');
    expect(body).toContain('\\"value\\":28800');
  });

  test('the stores known at synth, by their drill target names, against their level', () => {
    expect(body).toContain('CONFIDENTIAL stores: RTO (seconds) against 8 h');
    for (const name of ['employees', 'payroll']) expect(body).toContain(`\\"RestoreTimeSeconds\\",\\"Target\\",\\"${name}\\"`);
  });

  test('DataProtectionOptions.dashboardMaxStoresPerLevel reaches the dashboard (1 of the 2 CONFIDENTIAL stores drawn, a text widget for the other); on a stack not holding the protection set it is an error naming the holder', () => {
    const bounded = JSON.stringify(Object.values(Template.fromStack(stackWith({ dashboardMaxStoresPerLevel: 1 })).findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody);
    expect(bounded).toContain("CONFIDENTIAL: 2 drilled stores, the first 1 drawn against the level's objectives (maxStoresPerLevel)");
    expect([...bounded.matchAll(/\\"RestoreTimeSeconds\\",\\"Target\\",\\"(\w+)\\"/g)].map((m) => m[1])).toEqual(['employees']);
    const other = new App();
    new DataAccountStack(other, 'Holder', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    const second = new DataAccountStack(other, 'Second', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    expect(() => second.protect({ dashboardMaxStoresPerLevel: 0 })).toThrow(
      `DataProtectionOptions.dashboardMaxStoresPerLevel applies to the protection set of ${DATA_ACCOUNT}/${REGION}, held by Holder, and Second does not hold it (accountWide is false): set it in that stack's protect()`,
    );
  });

  test('AWS Backup job failures, recovery points, data access and every alarm of the stack', () => {
    for (const metric of ['NumberOfBackupJobsFailed', 'NumberOfCopyJobsFailed', 'NumberOfRestoreJobsFailed', 'NumberOfRecoveryPointsCompleted']) {
      expect(body).toContain(`SEARCH('Namespace=\\\\\\"AWS/Backup\\\\\\" MetricName=\\\\\\"${metric}\\\\\\"'`);
    }
    expect(body).toContain('\\"DataProtection/DataAccess\\",\\"AccessDenied\\"');
    expect(body).toContain('Mass reads by the top role or IAM user');
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(10);
    for (const id of alarms) expect(body).toContain(`{"Fn::GetAtt":["${id}","Arn"]}`);
  });
});

describe('DataProtectionDrillOptions.engine: AWS Backup restore testing (NativeRestoreTesting)', () => {
  const stack = stackWith({ drill: { engine: DrillEngine.NATIVE_RESTORE_TESTING } });
  const template = Template.fromStack(stack);
  const native = stack.nativeRestoreTesting!;

  test('a plan over the account\'s locked vaults, the latest recovery point, scheduled as often as the most drilled level; no Step Functions drill', () => {
    expect(stack.restoreDrill).toBeUndefined();
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    const vaults = stack.backupVaults.map((v) => stack.resolve(v.backupVaultArn));
    expect(vaults.length).toBeGreaterThan(0);
    template.hasResourceProperties('AWS::Backup::RestoreTestingPlan', {
      // HIGHLY_SENSITIVE is drilled every 30 days: weekly runs.
      ScheduleExpression: 'cron(0 5 ? * 2 *)',
      StartWindowHours: 8,
      RecoveryPointSelection: { Algorithm: 'LATEST_WITHIN_WINDOW', IncludeVaults: vaults, RecoveryPointTypes: ['SNAPSHOT'], SelectionWindowDays: 7 },
    });
  });

  test('one selection per level and validated resource type, by the classification tag, restored with the restore role', () => {
    const selections = Object.values(template.findResources('AWS::Backup::RestoreTestingSelection')) as any[];
    expect(selections).toHaveLength(3 * 6);
    expect(new Set(selections.map((s) => s.Properties.ProtectedResourceType))).toEqual(new Set(['S3', 'DynamoDB', 'Aurora', 'RDS', 'EBS', 'EFS']));
    template.hasResourceProperties('AWS::Backup::RestoreTestingSelection', {
      ProtectedResourceType: 'DynamoDB',
      ProtectedResourceArns: ['*'],
      ProtectedResourceConditions: { StringEquals: [{ Key: 'aws:ResourceTag/data-classification', Value: 'CONFIDENTIAL' }] },
      ValidationWindowHours: 4,
      IamRoleArn: stack.resolve(native.restoreRole.roleArn),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })] },
      ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores'])]) })]),
    });
  });

  test('ended restore jobs of the plan (COMPLETED, FAILED, ABORTED) invoke the validator, which reports to AWS Backup and alarms on failures', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.backup'],
        'detail-type': ['Restore Job State Change'],
        detail: { status: ['COMPLETED', 'FAILED', 'ABORTED'], restoreTestingPlanArn: [stack.resolve(native.restoreTestingPlanArn)] },
      },
      Targets: [Match.objectLike({ Arn: stack.resolve(native.validator.functionArn) })],
    });
    const policy = JSON.stringify(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(native.validator.role!.roleName)] } }));
    for (const action of ['backup:PutRestoreValidationResult', 'backup:DescribeRestoreJob', 'dynamodb:Scan', 'cloudwatch:PutMetricData']) expect(policy).toContain(action);
    expect(policy).toContain('"cloudwatch:namespace":"DataProtection"');
    expect(policy).toContain('"s3:ResourceAccount"');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('^cdk-data-protection: restore testing plan .*failed validation') });
  });

  test("the same evidence and alarms as the drill: Object Lock records (also on the audit bus), RTO and staleness alarms, a daily staleness check of this plan's successes", () => {
    // Evidence: a COMPLIANCE Object Lock bucket encrypted with the evidence key, written by the validator.
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
    });
    const validatorPolicy = JSON.stringify(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(native.validator.role!.roleName)] } }));
    expect(validatorPolicy).toContain('"s3:PutObject"');
    expect(validatorPolicy).toContain('/drills/*');
    expect(validatorPolicy).toContain('/latest-success/*');
    expect(validatorPolicy).toContain('"events:PutEvents"');
    expect(validatorPolicy).toContain('data-protection-security-events');
    expect(validatorPolicy).toContain('"tag:GetResources"');
    const env = template.toJSON().Resources[stack.getLogicalId(native.validator.node.defaultChild as CfnElement)].Properties.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual(['DRILL_DISCOVERY', 'EVIDENCE_BUCKET', 'EVIDENCE_EVENT_BUS_ARN', 'EVIDENCE_KEY_ARN', 'RESTORE_TESTING_PLAN_ARN']);
    // Staleness: the drill's handler, held to this plan's jobs and the tested types, daily.
    const staleness = template.toJSON().Resources[stack.getLogicalId(native.stalenessFunction.node.defaultChild as CfnElement)].Properties;
    expect(staleness.Handler).toBe('index.handler');
    expect(staleness.Environment.Variables).toMatchObject({
      DRILL_ID: native.restoreTestingPlanName,
      RESTORE_TESTING_PLAN_ARN: stack.resolve(native.restoreTestingPlanArn),
      RESTORE_ROLE_ARN: stack.resolve(native.restoreRole.roleArn),
      RESTORE_TESTING_TYPES: JSON.stringify(['S3', 'DynamoDB', 'Aurora', 'RDS', 'EBS', 'EFS']),
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)', Targets: [Match.objectLike({ Arn: stack.resolve(native.stalenessFunction.functionArn) })] });
    const alarm = (a: { node: { defaultChild?: unknown } }) => template.toJSON().Resources[stack.getLogicalId(a.node.defaultChild as CfnElement)].Properties;
    expect(alarm(native.staleAlarm)).toMatchObject({ MetricName: 'StaleTargets', Dimensions: [{ Name: 'Drill', Value: native.restoreTestingPlanName }], TreatMissingData: 'breaching', AlarmDescription: expect.stringMatching(/^cdk-data-protection: restore testing plan /) });
    expect(alarm(native.rtoAlarm)).toMatchObject({ MetricName: 'RtoExceeded', Dimensions: [{ Name: 'Drill', Value: native.restoreTestingPlanName }] });
    for (const a of [native.staleAlarm, native.rtoAlarm, native.validationFailedAlarm]) expect(alarm(a).AlarmActions).toEqual([stack.resolve(stack.alarmTopic.topic.topicArn)]);
    // The report sees the stores as drilled by restore testing (no "no drill" override).
    const table = stack.node.findChild('Employees');
    expect(controlsOf(table).find((c) => c.control === 'restore-drill')).toMatchObject({ drill: native.node.path, engine: 'NATIVE_RESTORE_TESTING', intervalDays: 90, rtoSeconds: 8 * 3600 });
  });

  test('BOTH keeps the Step Functions drill beside restore testing', () => {
    const both = stackWith({ drill: { engine: DrillEngine.BOTH } });
    expect(both.restoreDrill).toBeDefined();
    expect(both.nativeRestoreTesting).toBeDefined();
  });

  test('bad inputs are synth errors naming the prop, the value and the range', () => {
    const props = (extra: object) => ({ backupVaultArns: ['arn:aws:backup:eu-west-1:111111111111:backup-vault:v'], classifications: [DataClassification.INTERNAL], alarmTopic: stack.alarmTopic.topic, logKey: stack.evidenceKey, ...extra });
    const make = (extra: object) => () => new NativeRestoreTesting(new Stack(new App(), 'S', { env: { account: DATA_ACCOUNT, region: REGION } }), 'T', props(extra));
    expect(make({ resourceTypes: ['Redshift'] })).toThrow("NativeRestoreTestingProps.resourceTypes: 'Redshift' is not supported by AWS Backup restore testing; supported: Aurora, DocumentDB, DynamoDB, EBS, EC2, EFS, FSx, Neptune, RDS, S3");
    expect(make({ validationWindow: Duration.hours(169) })).toThrow('NativeRestoreTestingProps.validationWindow must be between 0 and 168 hours, got 169 hours');
    expect(make({ selectionWindow: Duration.days(366) })).toThrow('NativeRestoreTestingProps.selectionWindow must be between 1 and 365 days, got 366 days');
    expect(make({ selectionWindow: Duration.hours(12) })).toThrow('NativeRestoreTestingProps.selectionWindow must be between 1 and 365 days, got 0.5 days');
    expect(make({ validationWindow: Duration.minutes(90) })).toThrow('NativeRestoreTestingProps.validationWindow must be a whole number of hours, got 1.5');
  });
});

describe('DataAccountStackProps.airGappedCopies: the shared plan copies into the backup account\'s logically air-gapped vault', () => {
  const AIR_GAPPED_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${REGION}:${ACCOUNTS.backupAccount}:backup-vault:data-protection-air-gapped`]] };
  const app = new App();
  const stack = new DataAccountStack(app, 'AirGapped', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedCopies: {} });
  classify(new s3.Bucket(stack, 'Secrets', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.HIGHLY_SENSITIVE) }), DataClassification.HIGHLY_SENSITIVE);
  classify(new s3.Bucket(stack, 'Notes', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.CONFIDENTIAL) }), DataClassification.CONFIDENTIAL);
  const rulesOf = (level: string) =>
    Object.values(Template.fromStack(stack).findResources('AWS::Backup::BackupPlan'))
      .filter((p: any) => Object.values(p.Properties.BackupPlanTags).includes(level))
      .flatMap((p: any) => p.Properties.BackupPlan.BackupPlanRule as any[]);

  test('the HIGHLY_SENSITIVE rule that copies (the scheduled one) also copies into the vault by its fixed name, kept for the level\'s retention; CONFIDENTIAL rules do not', () => {
    const copying = rulesOf('HIGHLY_SENSITIVE').filter((r) => r.CopyActions);
    expect(copying.map((r) => r.RuleName)).toEqual(['AirGapped-highly-sensitive-scheduled']);
    expect(copying[0].CopyActions).toContainEqual({ DestinationBackupVaultArn: AIR_GAPPED_ARN, Lifecycle: { DeleteAfterDays: 365 } });
    const confidential = rulesOf('CONFIDENTIAL');
    expect(confidential.length).toBeGreaterThan(0);
    expect(JSON.stringify(confidential)).not.toContain('data-protection-air-gapped');
  });

  test('only the stack holding the protection set takes it; bad ranges are synth errors naming the prop, value and range', () => {
    const other = new App();
    new DataAccountStack(other, 'Holder', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    expect(() => new DataAccountStack(other, 'Second', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedCopies: {} })).toThrow(
      `DataAccountStackProps.airGappedCopies applies to the stack that holds the protection set of ${DATA_ACCOUNT}/${REGION}, and Second does not (accountWide is false): set it on that stack`,
    );
    const bad = (airGappedCopies: object) => () => new DataAccountStack(new App(), 'Bad', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedCopies });
    expect(bad({ minRetention: Duration.days(3) })).toThrow('DataAccountStackProps.airGappedCopies.minRetention must be between 7 and 36500 days, got 3 days');
    expect(bad({ minRetention: Duration.days(30), maxRetention: Duration.days(30) })).toThrow(/DataAccountStackProps.airGappedCopies.minRetention \(30 days\) must be less than maxRetention \(30 days\)/);
    expect(bad({ classifications: [] })).toThrow(/DataAccountStackProps.airGappedCopies.classifications must name at least one level/);
  });

  test('DataProtectionStageProps.airGappedVault turns on both sides with one lock range; every data stack takes dataStackProps()', () => {
    const stage = new DataProtectionStage(new App(), 'Prod', { accounts: ACCOUNTS, alarmEmails: ['security@example.com'], airGappedVault: { minRetention: Duration.days(30) } });
    const holder = new DataAccountStack(stage, 'Hr', stage.dataStackProps());
    const second = new DataAccountStack(stage, 'Crm', stage.dataStackProps());
    classify(new s3.Bucket(second, 'Secrets', { encryption: s3.BucketEncryption.KMS, encryptionKey: second.keyFor(DataClassification.HIGHLY_SENSITIVE) }), DataClassification.HIGHLY_SENSITIVE);
    for (const backup of [stage.backup, stage.backupDr!]) {
      Template.fromStack(backup).hasResourceProperties('AWS::Backup::LogicallyAirGappedBackupVault', { BackupVaultName: 'data-protection-air-gapped', MinRetentionDays: 30, MaxRetentionDays: 3650 });
    }
    expect(JSON.stringify(Template.fromStack(holder).findResources('AWS::Backup::BackupPlan'))).toContain(`:backup:${REGION}:${ACCOUNTS.backupAccount}:backup-vault:data-protection-air-gapped`);
    expect(() => new DataProtectionStage(new App(), 'Bad', { accounts: ACCOUNTS, airGappedCopyClassifications: [DataClassification.CONFIDENTIAL] })).toThrow(/airGappedCopyClassifications applies to copies into the air-gapped vault: set airGappedVault too/);
  });

  test('a lock range that does not admit the level\'s retention, or a type AWS Backup cannot copy there, is the plan\'s synth error', () => {
    const locked = new DataAccountStack(new App(), 'Locked', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedCopies: { minRetention: Duration.days(400) } });
    classify(new s3.Bucket(locked, 'Secrets', { encryption: s3.BucketEncryption.KMS, encryptionKey: locked.keyFor(DataClassification.HIGHLY_SENSITIVE) }), DataClassification.HIGHLY_SENSITIVE);
    expect(() => Template.fromStack(locked)).toThrow(/retention 365 days is outside the lock of vault 'data-protection-air-gapped'.*\(min 400, max 3650 days\)/);
    const ddb = new DataAccountStack(new App(), 'Ddb', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedCopies: {} });
    classify(
      new dynamodb.TableV2(ddb, 'Ledger', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(ddb.dynamoDbKeyFor(DataClassification.HIGHLY_SENSITIVE)),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      DataClassification.HIGHLY_SENSITIVE,
    );
    expect(() => Template.fromStack(ddb)).toThrow(/ProtectedBackupPlanProps.airGappedVault: rule '.*' would copy AWS::DynamoDB::GlobalTable recovery points into logically air-gapped vault/);
  });
});

describe('DataAccountStackProps.airGappedPrimary: a logically air-gapped vault of the data account as primary backup target', () => {
  const RECOVERY = '999999999999';
  const stack = new DataAccountStack(new App(), 'LagPrimary', {
    env: { account: DATA_ACCOUNT, region: REGION },
    accounts: ACCOUNTS,
    airGappedPrimary: { keyAccountKey: true, recoveryAccount: RECOVERY, minRetention: Duration.days(30) },
  });
  const secrets = new s3.Bucket(stack, 'Secrets', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.HIGHLY_SENSITIVE) });
  classify(secrets, DataClassification.HIGHLY_SENSITIVE);
  classify(new s3.Bucket(stack, 'Notes', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.CONFIDENTIAL) }), DataClassification.CONFIDENTIAL);
  const ledger = new rds.CfnDBCluster(stack, 'Ledger', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: stack.keyFor(DataClassification.HIGHLY_SENSITIVE).keyArn });
  classify(ledger, DataClassification.HIGHLY_SENSITIVE);
  const template = Template.fromStack(stack);
  const vaultId = stack.getLogicalId(stack.airGappedPrimaryVault!.vault);
  const rules = () =>
    Object.values(template.findResources('AWS::Backup::BackupPlan')).flatMap((p: any) => (p.Properties.BackupPlan.BackupPlanRule as any[]).map((r) => ({ ...r, level: p.Properties.BackupPlanTags['data-classification'] })));

  test('the vault is in the data account: locked 30-3650 days, under the key-account backup key, shared through RAM with the recovery account', () => {
    template.hasResourceProperties('AWS::Backup::LogicallyAirGappedBackupVault', {
      BackupVaultName: 'data-protection-LagPrimary-air-gapped',
      MinRetentionDays: 30,
      MaxRetentionDays: 3650,
      EncryptionKeyArn: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::RAM::ResourceShare', { Principals: [RECOVERY], AllowExternalPrincipals: false, ResourceArns: [{ 'Fn::GetAtt': [vaultId, 'BackupVaultArn'] }] });
  });

  test('HIGHLY_SENSITIVE scheduled rules target it, keep their locked vault and their copies; continuous and CONFIDENTIAL rules do not; the plans are created after it', () => {
    // By its name, like every vault the plan names; the DependsOn below orders the deployment.
    const lag = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:backup:${REGION}:${DATA_ACCOUNT}:backup-vault:data-protection-LagPrimary-air-gapped`]] };
    const all = rules();
    const scheduled = all.filter((r) => r.level === 'HIGHLY_SENSITIVE' && r.RuleName.endsWith('-scheduled'));
    expect(scheduled.map((r) => r.RuleName).sort()).toEqual(['LagPrimary-highly-sensitive-rds-scheduled', 'LagPrimary-highly-sensitive-scheduled']);
    for (const r of scheduled) {
      expect(r.TargetLogicallyAirGappedBackupVaultArn).toEqual(lag);
      expect(r.TargetBackupVault).toBe('data-protection-LagPrimary-365d');
      expect(JSON.stringify(r.CopyActions)).toContain('data-protection-central');
    }
    const others = all.filter((r) => !scheduled.includes(r));
    expect(others.length).toBeGreaterThan(0);
    for (const r of others) expect(r.TargetLogicallyAirGappedBackupVaultArn).toBeUndefined();
    for (const plan of Object.values(template.findResources('AWS::Backup::BackupPlan'))) expect((plan as any).DependsOn).toContain(vaultId);
  });

  test('the report, the recovery point alarms and the drill follow the recovery points into it', () => {
    expect(controlsOf(secrets)).toContainEqual(expect.objectContaining({ control: 'backup-plan', airGappedPrimaryVaultName: 'data-protection-LagPrimary-air-gapped' }));
    expect(controlsOf(ledger)).toContainEqual(expect.objectContaining({ control: 'backup-plan', airGappedPrimaryVaultName: 'data-protection-LagPrimary-air-gapped' }));
    // S3 backs up straight into the air-gapped vault; Aurora's temporary recovery point completes in the locked vault.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Dimensions: Match.arrayWith([{ Name: 'BackupVaultName', Value: 'data-protection-LagPrimary-air-gapped' }, { Name: 'ResourceType', Value: 'S3' }]) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Dimensions: Match.arrayWith([{ Name: 'BackupVaultName', Value: 'data-protection-LagPrimary-365d' }, { Name: 'ResourceType', Value: 'Aurora' }]) });
    // The drill's HIGHLY_SENSITIVE level restores from the air-gapped vault, the others from their locked vault.
    const discovery = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f: any) => JSON.stringify(f.Properties.Environment ?? {}))
      .find((e) => e.includes('HIGHLY_SENSITIVE') && e.includes('backupVaultName'));
    expect(discovery).toMatch(/HIGHLY_SENSITIVE[^}]*data-protection-LagPrimary-air-gapped/);
    expect(discovery).toContain('data-protection-LagPrimary-90d');
  });

  test('synth errors: another data stack, no level, a retention outside its lock', () => {
    const other = new App();
    new DataAccountStack(other, 'Holder', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    expect(() => new DataAccountStack(other, 'Second', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedPrimary: {} })).toThrow(
      `DataAccountStackProps.airGappedPrimary applies to the stack that holds the protection set of ${DATA_ACCOUNT}/${REGION}, and Second does not (accountWide is false): set it on that stack`,
    );
    expect(() => new DataAccountStack(new App(), 'None', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedPrimary: { classifications: [] } })).toThrow(
      /DataAccountStackProps.airGappedPrimary.classifications must name at least one level/,
    );
    const locked = new DataAccountStack(new App(), 'Locked', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, airGappedPrimary: { minRetention: Duration.days(400) } });
    classify(new s3.Bucket(locked, 'Secrets', { encryption: s3.BucketEncryption.KMS, encryptionKey: locked.keyFor(DataClassification.HIGHLY_SENSITIVE) }), DataClassification.HIGHLY_SENSITIVE);
    expect(() => Template.fromStack(locked)).toThrow(
      `ProtectedBackupPlan rule 'Locked-highly-sensitive-scheduled (primary backup to the logically air-gapped vault)': retention 365 days is outside the lock of vault 'data-protection-Locked-air-gapped' (account ${DATA_ACCOUNT}, ${REGION}) (min 400, max 3650 days)`,
    );
  });
});

import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import { classify, DataAccountStack, DataClassification, DataProtectionOptions } from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, REGION } from '../helpers';

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

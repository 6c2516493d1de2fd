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

describe('DataAccountStack.protect drill options', () => {
  test('targetOptions sets per-resource drill settings; the others keep the defaults', () => {
    const stack = stackWith({
      drill: {
        targetOptions: {
          optionsFor: (r) =>
            r.resourceType === 'AWS::RDS::DBCluster' ? { validation: { tolerancePercent: '5' }, restoreTimeout: Duration.hours(10) } : undefined,
        },
      },
    });
    const byName = Object.fromEntries(stack.restoreDrill!.targets.map((t) => [t.name, t]));
    expect(byName.payroll.validation).toEqual({ tolerancePercent: '5' });
    expect(byName.payroll.restoreTimeout.toHours()).toBe(10);
    expect(byName.employees.validation).toEqual({});
    // The vault stays the stack's for every target.
    expect(new Set(stack.restoreDrill!.targets.map((t) => t.backupVaultName))).toEqual(new Set([stack.backupVault!.backupVaultName]));
  });

  test('an option returned as undefined keeps the stack default', () => {
    const isolation = { dbSubnetGroupName: 'drill-subnets', securityGroupIds: ['sg-0123456789abcdef0'] };
    const stack = stackWith({ drill: { isolation, targetOptions: { optionsFor: () => ({ isolation: undefined, restoreKey: undefined }) } } });
    const payroll = stack.restoreDrill!.targets.find((t) => t.name === 'payroll')!;
    const employees = stack.restoreDrill!.targets.find((t) => t.name === 'employees')!;
    expect(payroll.isolation).toEqual(isolation);
    expect(employees.restoreKey).toBeDefined(); // the fallback key of the table's level
  });

  test('a sqlQuery on an Aurora cluster is a synth error: the restored cluster has no DB instance to query', () => {
    expect(() =>
      stackWith({ drill: { targetOptions: { optionsFor: (r) => (r.resourceType === 'AWS::RDS::DBCluster' ? { validation: { sqlQuery: 'select 1', secretArn: SECRET } } : undefined) } } }),
    ).toThrow(/DrillTargetProps\(payroll\)\.validation\.sqlQuery is not supported for an Aurora target: AWS Backup restores the cluster without DB instances.*got 'select 1'.*compares its engine and AllocatedStorage/);
  });

  test('targetOptions cannot move a target to another vault', () => {
    expect(() => stackWith({ drill: { targetOptions: { optionsFor: () => ({ backupVaultName: 'elsewhere' }) as any } } })).toThrow(
      "DataProtectionDrillOptions.targetOptions(Hr/Employees) returned backupVaultName 'elsewhere': drills restore from this stack's vault; use your own RestoreDrill for another vault",
    );
  });
});

describe('DataAccountStack account-wide alarms', () => {
  test('the accountWide stack has the job-failure and key-tamper rules even before protect(); other stacks have none', () => {
    const app = new App();
    const wide = new DataAccountStack(app, 'Wide', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS });
    const other = new DataAccountStack(app, 'Other', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS, accountWide: false });
    const sources = (s: DataAccountStack) =>
      Object.values(Template.fromStack(s).findResources('AWS::Events::Rule')).map((r: any) => `${r.Properties.EventPattern.source[0]} ${r.Properties.EventPattern['detail-type'][0]}`).sort();
    expect(sources(wide)).toEqual(['aws.backup AWS API Call via CloudTrail', 'aws.backup Backup Job State Change', 'aws.backup Copy Job State Change', 'aws.backup Restore Job State Change', 'aws.kms AWS API Call via CloudTrail']);
    expect(sources(other)).toEqual([]);
  });
});

import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import { classify, DataAccountStack, DataClassification, DataProtectionOptions } from '../../lib';
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
        targetOptions: (r) => (r.resourceType === 'AWS::RDS::DBCluster' ? { validation: { sqlQuery: 'select count(*) from employees', secretArn: SECRET, database: 'payroll' }, restoreTimeout: Duration.hours(10) } : undefined),
      },
    });
    const byName = Object.fromEntries(stack.restoreDrill!.targets.map((t) => [t.name, t]));
    expect(byName.payroll.validation).toEqual({ sqlQuery: 'select count(*) from employees', secretArn: SECRET, database: 'payroll' });
    expect(byName.payroll.restoreTimeout.toHours()).toBe(10);
    expect(byName.employees.validation).toEqual({});
    // The vault stays the stack's for every target.
    expect(new Set(stack.restoreDrill!.targets.map((t) => t.backupVaultName))).toEqual(new Set([stack.backupVault!.backupVaultName]));
  });

  test('targetOptions cannot move a target to another vault', () => {
    expect(() => stackWith({ drill: { targetOptions: () => ({ backupVaultName: 'elsewhere' }) as any } })).toThrow(
      "DataProtectionDrillOptions.targetOptions(Hr/Employees) returned backupVaultName 'elsewhere': drills restore from this stack's vault; use your own RestoreDrill for another vault",
    );
  });
});

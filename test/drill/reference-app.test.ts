import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, ClassifiedResources, controlsOf, CONTROLS, DataAccountStack, DataClassification } from '../lib';
import { DrillResourceType, DrillTarget, RestoreDrill } from '../../lib/drill';

const accounts = { keyAccount: '111111111111', dataAccounts: ['222222222222'], backupAccount: '333333333333', auditAccount: '444444444444', primaryRegion: 'eu-west-1' };

test('the snippet for the reference data account: drills for every classified resource, evidence key from the key account', () => {
  const stack = new DataAccountStack(new App(), 'DataAccount', { env: { account: '222222222222', region: 'eu-west-1' }, accounts });
  const employees = new dynamodb.TableV2(stack, 'Employees', {
    tableName: 'hr-employees',
    partitionKey: { name: 'employeeId', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(stack.dynamoDbKeyFor(DataClassification.HIGHLY_SENSITIVE)),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  classify(employees, DataClassification.HIGHLY_SENSITIVE);
  const documents = new s3.Bucket(stack, 'Documents', { encryptionKey: stack.keyFor(DataClassification.CONFIDENTIAL), versioned: true });
  classify(documents, DataClassification.CONFIDENTIAL);
  const cluster = new rds.CfnDBCluster(stack, 'Payroll', { engine: 'aurora-postgresql', dbClusterIdentifier: 'hr-payroll' });
  classify(cluster, DataClassification.HIGHLY_SENSITIVE);

  // --- the snippet ---
  const drill = new RestoreDrill(stack, 'RestoreDrill', {
    targets: ClassifiedResources.within(stack).map((r) =>
      DrillTarget.fromClassified(r, {
        backupVaultName: 'data-protection',
        restoreKey: r.resourceType === 'AWS::S3::Bucket' ? stack.keyFor(r.classification) : undefined,
      }),
    ),
    evidenceKey: stack.evidenceKey,
    alarmTopic: stack.alarmTopic.topic,
  });
  // ---

  expect(drill.targets.map((t) => [t.name, t.resourceType, t.intervalDays])).toEqual([
    ['employees', DrillResourceType.DYNAMODB, 30],
    ['documents', DrillResourceType.S3, 90],
    ['payroll', DrillResourceType.AURORA, 30],
  ]);
  expect(stack.resolve(drill.targets[2].resourceArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:eu-west-1:222222222222:cluster:', { Ref: 'Payroll' }]] });
  for (const c of [employees, documents, cluster]) expect(controlsOf(c).map((x) => x.control)).toContain(CONTROLS.RESTORE_DRILL);
  const t = Template.fromStack(stack);
  t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  t.resourceCountIs('AWS::Scheduler::Schedule', 4); // 30 days, 90 days, daily staleness, daily canary
});

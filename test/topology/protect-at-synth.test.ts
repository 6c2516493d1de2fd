import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ImmutableBackupVault } from '../../lib/backup/immutable-backup-vault';
import { ProtectedBackupPlan } from '../../lib/backup/protected-backup-plan';
import { classify } from '../../lib/classification/classify';
import { DataClassification } from '../../lib/classification/data-classification';
import { DataProtectionChecks } from '../../lib/nag/data-protection-checks';
import { DataAccountStack } from '../../lib/topology/data-account-stack';
import { ACCOUNTS, DATA_ACCOUNT, REGION } from '../helpers';

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

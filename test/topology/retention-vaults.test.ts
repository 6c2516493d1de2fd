import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, DataAccountStack, DataClassification, ProtectionPolicy } from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, drillDiscoveryConfig, REGION } from '../helpers';

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

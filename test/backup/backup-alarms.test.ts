import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BackupAlarms } from '../lib';
import { ACCOUNTS, BACKUP_ACCOUNT, DATA_ACCOUNT, REGION, testStack } from '../helpers';
import { join } from 'node:path';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CopyArrivalMonitor, CopyArrivalMonitorProps } from '../../lib';
import { BackupAccountStack, CENTRAL_BACKUP_VAULT_NAME } from '../../lib/topology/backup-account-stack';
import { FakeAws } from '../drill/fake-aws';

describe('BackupAlarms', () => {
  test('EventBridge rules: backup jobs by state, copy jobs by state, restore jobs by status, to the topic', () => {
    const stack = testStack(DATA_ACCOUNT);
    const topic = new sns.Topic(stack, 'Topic');
    new BackupAlarms(stack, 'Alarms', { topic });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.backup'], 'detail-type': ['Backup Job State Change'], detail: { state: ['FAILED', 'ABORTED', 'EXPIRED'] } },
      Targets: [{ Arn: { Ref: 'TopicBFC7AF6E' } }],
    });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Copy Job State Change'], detail: { state: ['FAILED'] } } });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['Restore Job State Change'], detail: { status: ['FAILED', 'ABORTED'] } } });
    // No staleness alarm without a vault; one delivery alarm per rule (EventBridge FailedInvocations), to the same topic.
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a: any) => [a.Properties.Namespace, a.Properties.MetricName, a.Properties.AlarmActions])).toEqual(
      Array(3).fill(['AWS/Events', 'FailedInvocations', [{ Ref: 'TopicBFC7AF6E' }]]),
    );
    const ruleNames = Object.keys(template.findResources('AWS::Events::Rule')).map((id) => ({ Ref: id }));
    expect(alarms.map((a: any) => a.Properties.Dimensions)).toEqual(ruleNames.map((Value) => [{ Name: 'RuleName', Value }]));
  });

  test('jobEvents false: no job rules (another stack of the account has them), staleness alarms stay', () => {
    const stack = testStack(DATA_ACCOUNT);
    const alarms = new BackupAlarms(stack, 'Alarms', { topic: new sns.Topic(stack, 'Topic'), backupVaultName: 'v', resourceTypes: ['S3'], jobEvents: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(alarms.backupJobRule).toBeUndefined();
  });

  test('no recent recovery point: one alarm per resource type, missing data breaches', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupAlarms(stack, 'Alarms', { topic: new sns.Topic(stack, 'Topic'), backupVaultName: 'hr-backups', resourceTypes: ['DynamoDB', 'S3'], maxRecoveryPointAge: Duration.days(2) });
    const template = Template.fromStack(stack);
    // two staleness alarms, and the delivery alarms of the three job rules
    expect(Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/Backup' } })).length).toBe(2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Backup',
      MetricName: 'NumberOfRecoveryPointsCompleted',
      Dimensions: [{ Name: 'BackupVaultName', Value: 'hr-backups' }, { Name: 'ResourceType', Value: 'DynamoDB' }],
      Statistic: 'Sum',
      Period: 86400,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('snapshot', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupAlarms(stack, 'Alarms', { topic: new sns.Topic(stack, 'Topic'), backupVaultName: 'v', resourceTypes: ['S3'] });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test('resource types without a vault', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupAlarms(stack, 'A', { topic: new sns.Topic(stack, 'T'), resourceTypes: ['S3'] })).toThrow(/BackupAlarmsProps.backupVaultName is required with resourceTypes \(S3\)/);
    });
    test('recovery point age outside 1 hour-7 days', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupAlarms(stack, 'A', { topic: new sns.Topic(stack, 'T'), maxRecoveryPointAge: Duration.days(8) })).toThrow(
        'BackupAlarmsProps.maxRecoveryPointAge must be between 1 and 168 hours, got 192 hours',
      );
    });
  });
});

// =============================================================================================
// Copy-arrival alarms (one file with the backup alarms above: one module load).
/**
 * Copy-arrival alarms of the backup account (issue 19, item 3): the REAL bundled copy-arrival
 * handler (assets/handlers/copy-arrival/index.js) against a fake AWS at the HTTP layer, the
 * construct's template (one alarm per source account, IAM limited to the vault), the
 * BackupAccountStack wiring and bad input.
 */
{
  const OTHER_DATA_ACCOUNT = '555555555555';
  const ORG = { ...ACCOUNTS, dataAccounts: [DATA_ACCOUNT, OTHER_DATA_ACCOUNT], organizationId: 'o-exampleorg1' };
  const vaultArn = (account: string, name = 'hr-backups') => `arn:aws:backup:${REGION}:${account}:backup-vault:${name}`;

  describe('the copy-arrival handler (bundled), against a fake AWS Backup', () => {
    let aws: FakeAws;
    let handler: () => Promise<any>;
    let log: jest.SpyInstance;
    let warn: jest.SpyInstance;
    const env = { ...process.env };

    beforeAll(async () => {
      aws = new FakeAws();
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: await aws.start(),
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'AKIDFAKECOPYTEST',
        AWS_SECRET_ACCESS_KEY: 'fake-secret',
        AWS_MAX_ATTEMPTS: '1',
        BACKUP_VAULT_NAME: CENTRAL_BACKUP_VAULT_NAME,
        SOURCE_ACCOUNTS: JSON.stringify([DATA_ACCOUNT, OTHER_DATA_ACCOUNT]),
        LOOKBACK_HOURS: '52',
      });
      delete process.env.AWS_PROFILE;
      delete process.env.AWS_SESSION_TOKEN;
      // The bundle creates its client at load: after the environment points it at the fake.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require(join(__dirname, '..', '..', 'assets', 'handlers', 'copy-arrival', 'index.js')).handler;
    });
    afterAll(async () => {
      await aws.stop();
      process.env = env;
    });
    beforeEach(() => {
      aws.reset();
      log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    });
    afterEach(() => {
      log.mockRestore();
      warn.mockRestore();
    });
    const emfRecords = () => log.mock.calls.map((c) => JSON.parse(c[0]));
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

    test('copies from one account, the other silent: its real age, and the window length for the silent one; only arrived copies count', async () => {
      aws.on('backup.ListRecoveryPointsByBackupVault', {
        RecoveryPoints: [
          { RecoveryPointArn: 'rp-1', SourceBackupVaultArn: vaultArn(DATA_ACCOUNT), Status: 'COMPLETED', CreationDate: hoursAgo(30), CompletionDate: hoursAgo(29) },
          { RecoveryPointArn: 'rp-2', SourceBackupVaultArn: vaultArn(DATA_ACCOUNT), Status: 'COMPLETED', CreationDate: hoursAgo(6), CompletionDate: hoursAgo(5) },
          // Still copying: not arrived, even though newer.
          { RecoveryPointArn: 'rp-3', SourceBackupVaultArn: vaultArn(DATA_ACCOUNT), Status: 'CREATING', CreationDate: hoursAgo(1) },
          // Partial copy of the other account: not arrived.
          { RecoveryPointArn: 'rp-4', SourceBackupVaultArn: vaultArn(OTHER_DATA_ACCOUNT), Status: 'PARTIAL', CreationDate: hoursAgo(2), CompletionDate: hoursAgo(2) },
        ],
      });
      const r = await handler();
      expect(r.hours[DATA_ACCOUNT]).toBeCloseTo(5, 1);
      expect(r.hours[OTHER_DATA_ACCOUNT]).toBe(52);
      expect(r.silent).toEqual([OTHER_DATA_ACCOUNT]);
      // One call, on the central vault, for the recovery points created within the 52-hour window.
      const [call] = aws.callsOf('backup.ListRecoveryPointsByBackupVault');
      expect(call).toMatchObject({ BackupVaultName: CENTRAL_BACKUP_VAULT_NAME, MaxResults: 1000 });
      expect(Date.now() - Date.parse(call.ByCreatedAfter)).toBeGreaterThanOrEqual(52 * 3_600_000 - 1000);
      expect(Date.now() - Date.parse(call.ByCreatedAfter)).toBeLessThan(52 * 3_600_000 + 60_000);
      // One Embedded Metric Format record per watched account: no PutMetricData.
      expect(emfRecords()).toEqual([
        expect.objectContaining({ BackupVaultName: CENTRAL_BACKUP_VAULT_NAME, SourceAccount: DATA_ACCOUNT, HoursSinceLastCopy: r.hours[DATA_ACCOUNT] }),
        expect.objectContaining({ BackupVaultName: CENTRAL_BACKUP_VAULT_NAME, SourceAccount: OTHER_DATA_ACCOUNT, HoursSinceLastCopy: 52 }),
      ]);
      expect(emfRecords()[0]._aws.CloudWatchMetrics).toEqual([
        { Namespace: 'DataProtection', Dimensions: [['BackupVaultName', 'SourceAccount']], Metrics: [{ Name: 'HoursSinceLastCopy', Unit: 'None' }] },
      ]);
      expect(warn).toHaveBeenCalledWith(`no copy arrived in vault ${CENTRAL_BACKUP_VAULT_NAME} within 52 hours from: ${OTHER_DATA_ACCOUNT}`);
    });

    test('pages through every result with NextToken: the newest copy may be on the last page', async () => {
      aws.on('backup.ListRecoveryPointsByBackupVault', (input: any) => {
        switch (input.NextToken) {
          case undefined:
            return { RecoveryPoints: [{ SourceBackupVaultArn: vaultArn(DATA_ACCOUNT), Status: 'COMPLETED', CreationDate: hoursAgo(40), CompletionDate: hoursAgo(40) }], NextToken: 'page-2' };
          case 'page-2':
            return { RecoveryPoints: [{ SourceBackupVaultArn: vaultArn(OTHER_DATA_ACCOUNT), Status: 'AVAILABLE', CreationDate: hoursAgo(20), CompletionDate: hoursAgo(20) }], NextToken: 'page-3' };
          default:
            return { RecoveryPoints: [{ SourceBackupVaultArn: vaultArn(DATA_ACCOUNT), Status: 'COMPLETED', CreationDate: hoursAgo(3), CompletionDate: hoursAgo(2) }] };
        }
      });
      const r = await handler();
      expect(aws.callsOf('backup.ListRecoveryPointsByBackupVault').map((c) => c.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
      expect(r.pages).toBe(3);
      expect(r.hours[DATA_ACCOUNT]).toBeCloseTo(2, 1);
      expect(r.hours[OTHER_DATA_ACCOUNT]).toBeCloseTo(20, 1);
      expect(r.silent).toEqual([]);
    });

    test('a recovery point without SourceBackupVaultArn (made in this account) is attributed to no account; an unwatched source is reported, not measured', async () => {
      aws.on('backup.ListRecoveryPointsByBackupVault', {
        RecoveryPoints: [
          { RecoveryPointArn: 'local', Status: 'COMPLETED', CreationDate: hoursAgo(1), CompletionDate: hoursAgo(1) },
          { RecoveryPointArn: 'other', SourceBackupVaultArn: vaultArn('999999999999'), Status: 'COMPLETED', CreationDate: hoursAgo(1), CompletionDate: hoursAgo(1) },
        ],
      });
      const r = await handler();
      expect(r.unattributed).toBe(1);
      expect(r.unwatched).toEqual(['999999999999']);
      expect(r.hours).toEqual({ [DATA_ACCOUNT]: 52, [OTHER_DATA_ACCOUNT]: 52 });
      expect(r.silent).toEqual([DATA_ACCOUNT, OTHER_DATA_ACCOUNT]);
    });

    test('several vaults (the central vaults of each retention class): lists each, and an account counts its newest copy in any of them, under the first vault\'s name', async () => {
      process.env.BACKUP_VAULT_NAMES = JSON.stringify([CENTRAL_BACKUP_VAULT_NAME, `${CENTRAL_BACKUP_VAULT_NAME}-365d`]);
      try {
        aws.on('backup.ListRecoveryPointsByBackupVault', (input: any) =>
          input.BackupVaultName === CENTRAL_BACKUP_VAULT_NAME
            ? { RecoveryPoints: [{ SourceBackupVaultArn: vaultArn(DATA_ACCOUNT), Status: 'COMPLETED', CreationDate: hoursAgo(20), CompletionDate: hoursAgo(20) }] }
            : { RecoveryPoints: [{ SourceBackupVaultArn: vaultArn(DATA_ACCOUNT, 'hr-backups-365d'), Status: 'COMPLETED', CreationDate: hoursAgo(2), CompletionDate: hoursAgo(1) }] },
        );
        const r = await handler();
        expect(aws.callsOf('backup.ListRecoveryPointsByBackupVault').map((c) => c.BackupVaultName)).toEqual([CENTRAL_BACKUP_VAULT_NAME, `${CENTRAL_BACKUP_VAULT_NAME}-365d`]);
        expect(r.hours[DATA_ACCOUNT]).toBeCloseTo(1, 1);
        expect(r.silent).toEqual([OTHER_DATA_ACCOUNT]);
        expect(emfRecords().map((e) => [e.BackupVaultName, e.SourceAccount])).toEqual([
          [CENTRAL_BACKUP_VAULT_NAME, DATA_ACCOUNT],
          [CENTRAL_BACKUP_VAULT_NAME, OTHER_DATA_ACCOUNT],
        ]);
      } finally {
        delete process.env.BACKUP_VAULT_NAMES;
      }
    });

    test('an AWS error fails the run and publishes nothing (the alarms treat missing data as breaching)', async () => {
      aws.fails('backup.ListRecoveryPointsByBackupVault', 'AccessDeniedException', 'not authorized', 403);
      await expect(handler()).rejects.toMatchObject({ name: 'AccessDeniedException' });
      expect(log).not.toHaveBeenCalled();
    });
  });

  describe('CopyArrivalMonitor', () => {
    function monitor(props: Partial<CopyArrivalMonitorProps> = {}) {
      const stack = new Stack(new App(), 'Monitor', { env: { account: BACKUP_ACCOUNT, region: REGION } });
      const key = new kms.Key(stack, 'Key');
      const vault = new backup.BackupVault(stack, 'Vault', { backupVaultName: 'central', encryptionKey: key });
      const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
      const m = new CopyArrivalMonitor(stack, 'CopyArrival', { backupVault: vault, sourceAccounts: [DATA_ACCOUNT, OTHER_DATA_ACCOUNT], alarmTopic: topic, logKey: key, ...props });
      return { stack, m, template: Template.fromStack(stack) };
    }

    test('one alarm per source account on its HoursSinceLastCopy: threshold maxCopyAge, missing data breaching, notifying the topic', () => {
      const { template, m } = monitor({ maxCopyAge: Duration.hours(30) });
      const alarms = template.findResources('AWS::CloudWatch::Alarm');
      expect(Object.keys(alarms)).toHaveLength(2);
      for (const account of [DATA_ACCOUNT, OTHER_DATA_ACCOUNT]) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmDescription: { 'Fn::Join': ['', Match.arrayWith([`cdk-data-protection: no copy from account ${account} arrived in vault `])] },
          Namespace: 'DataProtection',
          MetricName: 'HoursSinceLastCopy',
          Dimensions: Match.arrayEquals([
            { Name: 'BackupVaultName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Vault'), 'BackupVaultName'] } },
            { Name: 'SourceAccount', Value: account },
          ]),
          Statistic: 'Maximum',
          Period: 3600,
          Threshold: 30,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
          TreatMissingData: 'breaching',
          AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
        });
      }
      expect(Object.keys(m.alarms)).toEqual([DATA_ACCOUNT, OTHER_DATA_ACCOUNT]);
      // The function looks back twice the threshold, for the vault and the accounts the alarms watch.
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { BACKUP_VAULT_NAME: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Vault'), 'BackupVaultName'] }, SOURCE_ACCOUNTS: JSON.stringify([DATA_ACCOUNT, OTHER_DATA_ACCOUNT]), LOOKBACK_HOURS: '60' } },
        ReservedConcurrentExecutions: 1,
        Runtime: 'nodejs24.x',
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
    });

    test('default maxCopyAge: 26 hours (daily copies plus two hours)', () => {
      const { template, m } = monitor();
      expect(m.maxCopyAgeHours).toBe(26);
      expect(m.lookbackHours).toBe(52);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { Threshold: 26 });
    });

    test('IAM: ListRecoveryPointsByBackupVault on the vault ARN only, no PutMetricData, no wildcard action', () => {
      const { template } = monitor();
      const policies = template.findResources('AWS::IAM::Policy');
      const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
      const list = statements.filter((s: any) => JSON.stringify(s.Action).includes('backup:'));
      expect(list).toEqual([
        { Sid: 'ListRecoveryPointsOfTheVault', Action: 'backup:ListRecoveryPointsByBackupVault', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Vault/), 'BackupVaultArn'] } },
      ]);
      const actions = statements.flatMap((s: any) => [s.Action].flat());
      expect(actions).not.toContain('cloudwatch:PutMetricData');
      expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    });

    describe('bad input', () => {
      test.each([
        [Duration.minutes(30), 'CopyArrivalMonitorProps.maxCopyAge must be between 1 and 168 hours, got 0.5 hours'],
        [Duration.days(8), 'CopyArrivalMonitorProps.maxCopyAge must be between 1 and 168 hours, got 192 hours'],
      ])('maxCopyAge %s out of range', (maxCopyAge, message) => {
        expect(() => monitor({ maxCopyAge })).toThrow(message);
      });
      test('maxCopyAge as a token', () => {
        expect(() => monitor({ maxCopyAge: Duration.hours(Lazy.number({ produce: () => 12 })) })).toThrow(
          'CopyArrivalMonitorProps.maxCopyAge needs a literal value, got a token (known only at deploy time): it becomes the alarm threshold and the look-back window of the function at synth',
        );
      });
      test('no source account, a malformed one, a duplicate', () => {
        expect(() => monitor({ sourceAccounts: [] })).toThrow('CopyArrivalMonitorProps.sourceAccounts must list at least one 12-digit account id, got an empty list');
        expect(() => monitor({ sourceAccounts: ['1234'] })).toThrow("CopyArrivalMonitorProps.sourceAccounts must be a 12-digit AWS account id, got '1234'");
        expect(() => monitor({ sourceAccounts: [DATA_ACCOUNT, DATA_ACCOUNT] })).toThrow(`CopyArrivalMonitorProps.sourceAccounts lists ${DATA_ACCOUNT} twice`);
      });
    });
  });

  describe('BackupAccountStack copy-arrival alarms', () => {
    const backupStack = (props: Partial<ConstructorParameters<typeof BackupAccountStack>[2]> = {}, region = REGION) =>
      new BackupAccountStack(new App(), 'Backup', { env: { account: BACKUP_ACCOUNT, region }, accounts: ORG, alarmEmails: ['ops@example.com'], ...props });

    test('primary region: one alarm per data account on the central vaults, notifying the alarm topic; logs encrypted with the topic key, which admits this account\'s CloudWatch Logs', () => {
      const stack = backupStack({ maxCopyAge: Duration.hours(12) });
      const template = Template.fromStack(stack);
      const vaultId = stack.getLogicalId(stack.vault.vault.node.defaultChild as backup.CfnBackupVault);
      // One central vault per copy retention class: the function lists each.
      const vaultIds = stack.vaults.map((v) => stack.getLogicalId(v.vault.node.defaultChild as backup.CfnBackupVault));
      expect(vaultIds).toHaveLength(2);
      const topicId = stack.getLogicalId(stack.alarmTopic.topic.node.defaultChild as sns.CfnTopic);
      const copyAlarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'HoursSinceLastCopy' } });
      expect(Object.values(copyAlarms).map((a: any) => a.Properties.Dimensions.find((d: any) => d.Name === 'SourceAccount').Value).sort()).toEqual([DATA_ACCOUNT, OTHER_DATA_ACCOUNT]);
      for (const alarm of Object.values(copyAlarms) as any[]) {
        expect(alarm.Properties).toMatchObject({ Threshold: 12, TreatMissingData: 'breaching', AlarmActions: [{ Ref: topicId }] });
        expect(alarm.Properties.Dimensions).toContainEqual({ Name: 'BackupVaultName', Value: { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] } });
        expect(alarm.Properties.AlarmDescription['Fn::Join'][1][0]).toMatch(/^cdk-data-protection: no copy from account \d{12} arrived in vaults $/);
      }
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'ListRecoveryPointsOfTheVault', Action: 'backup:ListRecoveryPointsByBackupVault', Effect: 'Allow', Resource: vaultIds.map((id) => ({ 'Fn::GetAtt': [id, 'BackupVaultArn'] })) }]) },
      });
      const keyId = stack.getLogicalId(stack.alarmTopic.key.resource);
      template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      const keyPolicy = template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement;
      expect(keyPolicy.find((s: any) => s.Sid === 'CloudWatchLogsEncryptLogGroups').Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${BACKUP_ACCOUNT}:log-group:*`]] },
      ]);
      expect(stack.copyArrival).toBeDefined();
    });

    test('DR region: no copy-arrival alarms (DR copies are HIGHLY_SENSITIVE only)', () => {
      const dr = backupStack({}, 'eu-central-1');
      expect(dr.copyArrival).toBeUndefined();
      Template.fromStack(dr).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'HoursSinceLastCopy' }, 0);
    });

    test('accountsWithoutCopies: no alarm for that account, an override with its reason', () => {
      const stack = backupStack({ accountsWithoutCopies: { [OTHER_DATA_ACCOUNT]: 'Holds only INTERNAL data: nothing is copied' } });
      expect(Object.keys(stack.copyArrival!.alarms)).toEqual([DATA_ACCOUNT]);
      const override = stack.node.metadata.find((m) => m.type === 'cdk-data-protection:override' && (m.data as any).prop.includes('accountsWithoutCopies'));
      expect(override?.data).toEqual({
        prop: `BackupAccountStackProps.accountsWithoutCopies[${OTHER_DATA_ACCOUNT}]`,
        floor: 'a copy-arrival alarm per data account',
        value: `no copy-arrival alarm for ${OTHER_DATA_ACCOUNT}`,
        reason: 'Holds only INTERNAL data: nothing is copied',
      });
    });

    test('bad input: an exemption of a non-data account, or without a reason; maxCopyAge out of range', () => {
      expect(() => backupStack({ accountsWithoutCopies: { '999999999999': 'x' } })).toThrow(
        `BackupAccountStackProps.accountsWithoutCopies names 999999999999, which is not a data account (${DATA_ACCOUNT}, ${OTHER_DATA_ACCOUNT})`,
      );
      expect(() => backupStack({ accountsWithoutCopies: { [DATA_ACCOUNT]: ' ' } })).toThrow(`BackupAccountStackProps.accountsWithoutCopies[${DATA_ACCOUNT}] needs a non-empty reason`);
      expect(() => backupStack({ maxCopyAge: Duration.days(30) })).toThrow('CopyArrivalMonitorProps.maxCopyAge must be between 1 and 168 hours, got 720 hours');
    });
  });
}

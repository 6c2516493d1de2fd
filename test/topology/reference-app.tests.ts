import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BackupAccountStack } from '../../lib/topology/backup-account-stack';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { buildReferenceApp } from '../../bin/app';
import { CLASSIFICATION_TAG, classify, DataAccountStack, DataClassification, DataProtectionStage, keyPolicyFindings } from '../lib';
import { ACCOUNTS, referenceContext } from '../helpers';
import * as s3 from 'aws-cdk-lib/aws-s3';

const app = new App({ context: referenceContext() });
const stacks = buildReferenceApp(app);
const assembly = app.synth();

function allStacks(): Stack[] {
  return app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

describe('reference app', () => {
  test("the payroll database's copies have a place to be restored: the primary backup stack builds the isolated drill network (none in the DR region), and synth no longer warns they count as stale", () => {
    const vpcs = (stack: any) => Object.keys(Template.fromStack(stack).findResources('AWS::EC2::VPC')).length;
    expect([vpcs(stacks.backup), vpcs(stacks.backupDr!)]).toEqual([1, 0]);
    const warnings = assembly.stacks.flatMap((s) => s.messages.filter((m) => m.level === 'warning' && String(m.entry.data).includes('DB subnet group of the backup account')));
    expect(warnings).toEqual([]);
  });

  test('synthesizes every stack into its own placeholder account', () => {
    const envs = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.environment.account]));
    expect(envs).toMatchObject({ KeyAccount: '111111111111', DataAccount: '222222222222' });
  });

  test('every KMS key rotates, keeps a deletion window, and has a sound policy', () => {
    let keys = 0;
    for (const stack of allStacks()) {
      for (const [id, key] of Object.entries(Template.fromStack(stack).findResources('AWS::KMS::Key'))) {
        keys++;
        expect({ id, rotation: key.Properties.EnableKeyRotation }).toEqual({ id, rotation: true });
        expect(key.Properties.PendingWindowInDays).toBeGreaterThanOrEqual(7);
        expect(key.DeletionPolicy).toBe('Retain');
        expect({ id, findings: keyPolicyFindings(stack.resolve(key.Properties.KeyPolicy)) }).toEqual({ id, findings: [] });
        const denied = key.Properties.KeyPolicy.Statement.filter((s: any) => s.Effect === 'Deny').flatMap((s: any) => [s.Action].flat());
        expect(denied).toEqual(expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy']));
      }
    }
    expect(keys).toBeGreaterThanOrEqual(5);
  });

  test('the data account holds no key for its S3 data: the bucket key is resolved from the key account', () => {
    const template = Template.fromStack(stacks.data);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('CONFIDENTIALKey(DescribeKey|SharedLookup)'), 'KeyMetadata.Arn'] } } },
        ],
      },
      Tags: Match.arrayWith([{ Key: CLASSIFICATION_TAG, Value: 'CONFIDENTIAL' }]),
    });
    // The only keys in the data account besides its alarm topic's are fallbacks administered from the key account:
    // DynamoDB's (classified data) and the Backup Audit Manager reports' (its role can use no other account's key).
    const dataKeys = Object.values(template.findResources('AWS::KMS::Key')).filter((k: any) => k.Properties.Description.includes('fallback'));
    expect(dataKeys.map((k: any) => k.Properties.Description.split(':')[0]).sort()).toEqual([
      'cdk-data-protection fallback key alias/data-protection/backup-reports/DataAccount',
      'cdk-data-protection fallback key alias/data-protection/data-highly-sensitive-dynamodb/DataAccount',
    ]);
    for (const key of dataKeys) expect(JSON.stringify(key)).toContain(':iam::111111111111:role/data-protection-key-admin');
  });

  test('the key account grants data keys to the data and backup accounts only through services', () => {
    const policy = Template.fromStack(stacks.keys).findResources('AWS::KMS::Key');
    const confidential = Object.entries(policy).find(([id]) => id.startsWith('DataKeyCONFIDENTIAL'))![1];
    const use = confidential.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'ConsumerAccountsUseKeyViaServices');
    expect(use.Condition.StringEquals['kms:CallerAccount']).toEqual(['222222222222', '333333333333']);
    expect(use.Condition.StringEquals['kms:ViaService']).toContain('s3.eu-west-1.amazonaws.com');
  });

  test.each(['KeyAccount', 'DataAccount'])('%s snapshot', (name) => {
    const stack = allStacks().find((s) => s.stackName === name)!;
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});

// =============================================================================================
// The data protection stage (one file with the reference app above: one module load).
{
  function stageWithData(): { app: App; stage: DataProtectionStage; data: DataAccountStack; second: DataAccountStack } {
    const app = new App();
    const stage = new DataProtectionStage(app, 'Prod', { accounts: ACCOUNTS, alarmEmails: ['security@example.com'] });
    const data = new DataAccountStack(stage, 'Hr', stage.dataStackProps());
    classify(
      new s3.Bucket(data, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL), bucketName: 'hr-docs' }),
      DataClassification.CONFIDENTIAL,
    );
    data.protect();
    const second = new DataAccountStack(stage, 'Crm', stage.dataStackProps());
    classify(
      new s3.Bucket(second, 'Notes', { encryption: s3.BucketEncryption.KMS, encryptionKey: second.keyFor(DataClassification.INTERNAL), bucketName: 'crm-notes' }),
      DataClassification.INTERNAL,
    );
    second.protect();
    return { app, stage, data, second };
  }

  describe('DataProtectionStage', () => {
    const { app, stage, data, second } = stageWithData();
    const assembly = app.synth().getNestedAssembly(stage.artifactId);

    test('puts each stack in its account and region', () => {
      const envs = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, `${s.environment.account}/${s.environment.region}`]));
      expect(envs).toEqual({
        'Prod-Keys': '111111111111/eu-west-1',
        'Prod-KeysDr': '111111111111/eu-central-1',
        'Prod-Backup': '333333333333/eu-west-1',
        'Prod-BackupDr': '333333333333/eu-central-1',
        'Prod-Audit': '444444444444/eu-west-1',
        'Prod-Hr': '222222222222/eu-west-1',
        'Prod-Crm': '222222222222/eu-west-1',
      });
    });

    test('data stacks deploy after the key, backup and audit stacks, and the account\'s other data stacks after the one holding its protection set', () => {
      expect(data.dependencies.map((s) => s.stackName).sort()).toEqual(['Prod-Audit', 'Prod-Backup', 'Prod-BackupDr', 'Prod-Keys']);
      expect(second.dependencies.map((s) => s.stackName).sort()).toEqual(['Prod-Audit', 'Prod-Backup', 'Prod-BackupDr', 'Prod-Hr', 'Prod-Keys']);
      expect(stage.backupDr!.dependencies.map((s) => s.stackName)).toEqual(['Prod-KeysDr']);
    });

    test('no ARN crosses an account as a token: no stack imports another stack\'s outputs', () => {
      for (const s of assembly.stacks) expect(JSON.stringify(s.template)).not.toContain('Fn::ImportValue');
    });

    test('only the first data stack of an account holds the protection set: trail, frameworks, vault, plans, drill, topic', () => {
      for (const [type, counts] of Object.entries({
        'AWS::CloudTrail::Trail': [1, 0],
        'AWS::Backup::BackupVault': [4, 0], // one per retention class
        'AWS::StepFunctions::StateMachine': [1, 0],
        'AWS::SNS::Topic': [1, 0],
      })) {
        expect([type, ...[data, second].map((d) => Object.keys(Template.fromStack(d).findResources(type)).length)]).toEqual([type, ...counts]);
      }
      // Audit Manager frameworks: in the holding stack only.
      expect(Object.keys(Template.fromStack(data).findResources('AWS::Backup::Framework')).length).toBeGreaterThan(0);
      expect(Object.keys(Template.fromStack(second).findResources('AWS::Backup::Framework'))).toEqual([]);
    });

    test('two data stacks of one account: one plan per level selects both stacks\' resources by tag, job-failure and key-tamper rules exist once', () => {
      const planTags = [data, second].map((d) =>
        Object.values(Template.fromStack(d).findResources('AWS::Backup::BackupSelection')).flatMap((r: any) =>
          r.Properties.BackupSelection.Conditions.StringEquals.filter((c: any) => c.ConditionKey === 'aws:ResourceTag/data-protection:backup-plan').map((c: any) => c.ConditionValue),
        ),
      );
      expect(planTags.map((t) => [...new Set(t)])).toEqual([['Prod-Hr'], []]);
      Template.fromStack(data).hasResourceProperties('AWS::S3::Bucket', { BucketName: 'hr-docs', Tags: Match.arrayWith([{ Key: 'data-protection:backup-plan', Value: 'Prod-Hr' }]) });
      Template.fromStack(second).hasResourceProperties('AWS::S3::Bucket', { BucketName: 'crm-notes', Tags: Match.arrayWith([{ Key: 'data-protection:backup-plan', Value: 'Prod-Hr' }]) });
      const jobRules = (d: Stack) => Object.values(Template.fromStack(d).findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventPattern?.source?.[0] === 'aws.backup').length;
      // three job-state rules, the vault-tamper rule, the backup-erosion rule and the drill's restore-job events
      expect([jobRules(data), jobRules(second)]).toEqual([6, 0]);
      const tamperRules = (d: Stack) => Object.values(Template.fromStack(d).findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventPattern?.source?.[0] === 'aws.kms').length;
      expect([tamperRules(data), tamperRules(second)]).toEqual([1, 0]);
    });

    test('the data stack copies into the backup account vaults by ARN', () => {
      Template.fromStack(data).hasResourceProperties('AWS::Backup::BackupPlan', {
        BackupPlan: {
          BackupPlanRule: Match.arrayWith([
            Match.objectLike({
              CopyActions: Match.arrayWith([
                Match.objectLike({ DestinationBackupVaultArn: { 'Fn::Join': ['', Match.arrayWith([':backup:eu-west-1:333333333333:backup-vault:data-protection-central'])] } }),
              ]),
            }),
          ]),
        },
      });
    });

    test('dataStackProps rejects an account that is not a data account', () => {
      expect(() => stage.dataStackProps('444444444444')).toThrow(
        'DataProtectionStage.dataStackProps(account) must be one of accounts.dataAccounts (222222222222), got 444444444444',
      );
    });

    test('both backup stacks drill the copies of their central vaults by default', () => {
      for (const b of [stage.backup, stage.backupDr!]) {
        expect(b.copyDrill).toBeDefined();
        Template.fromStack(b).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      }
    });

    test('is recognised as a stage', () => {
      expect(DataProtectionStage.isDataProtectionStage(stage)).toBe(true);
      expect(DataProtectionStage.isDataProtectionStage(new Stage(new App(), 'Other'))).toBe(false);
    });
  });

  describe('DataProtectionStageProps.copyDrill / drCopyDrill / copyDrillDisabledReason', () => {
    test('copyDrill configures the primary-region drill; the DR drill gets it without the regional isolation', () => {
      const stage = new DataProtectionStage(new App(), 'Drills', { accounts: ACCOUNTS, copyDrill: { interval: Duration.days(30), isolation: { dbSubnetGroupName: 'drill-isolated' } } });
      const configOf = (b: BackupAccountStack) => {
        const fn = b.copyDrill!.discoverFunction!.node.defaultChild as lambda.CfnFunction;
        return JSON.stringify(b.resolve(fn.environment).variables.DRILL_DISCOVERY);
      };
      expect(configOf(stage.backup)).toContain('drill-isolated');
      expect(configOf(stage.backup)).toContain('\\"intervalDays\\":30');
      expect(configOf(stage.backupDr!)).not.toContain('drill-isolated');
      expect(configOf(stage.backupDr!)).toContain('\\"intervalDays\\":30');
    });

    test('copyDrill.isolatedNetwork builds the network in the primary-region backup stack only (no RDS or Aurora copies reach the DR region)', () => {
      const stage = new DataProtectionStage(new App(), 'Network', { accounts: ACCOUNTS, copyDrill: { isolatedNetwork: {} } });
      const vpcs = (b: BackupAccountStack) => b.node.findAll().filter((c) => c instanceof ec2.CfnVPC).length;
      expect([vpcs(stage.backup), vpcs(stage.backupDr!)]).toEqual([1, 0]);
    });

    test('copyDrillDisabledReason turns off the drill in both backup stacks', () => {
      const stage = new DataProtectionStage(new App(), 'NoDrills', { accounts: ACCOUNTS, copyDrillDisabledReason: 'Drilled in the recovery account' });
      expect([stage.backup.copyDrill, stage.backupDr!.copyDrill]).toEqual([undefined, undefined]);
      expect(stage.backup.node.metadata.find((m) => m.type === 'cdk-data-protection:override')?.data).toMatchObject({ prop: 'BackupAccountStackProps.copyDrillDisabledReason', reason: 'Drilled in the recovery account' });
    });

    test('bad input: the opt-out with options, drCopyDrill without a DR region', () => {
      expect(() => new DataProtectionStage(new App(), 'Bad', { accounts: ACCOUNTS, copyDrill: {}, copyDrillDisabledReason: 'x' })).toThrow(
        'DataProtectionStageProps.copyDrillDisabledReason and copyDrill are exclusive: copyDrillDisabledReason turns off the drill of the copies, copyDrill and drCopyDrill configure it, got both',
      );
      expect(() => new DataProtectionStage(new App(), 'Bad', { accounts: { ...ACCOUNTS, drRegion: undefined }, drCopyDrill: {} })).toThrow(
        'DataProtectionStageProps.drCopyDrill configures the DR-region backup stack: set accounts.drRegion too, got drCopyDrill and no drRegion',
      );
    });
  });

  describe('single-account evaluation mode', () => {
    test('synthesizes with a warning on every stack that separation is not met', () => {
      const app = new App();
      const stage = DataProtectionStage.singleAccount(app, 'Eval', { account: '555555555555', primaryRegion: 'eu-west-1', reason: 'Proof of concept with synthetic data', alarmEmails: ['security@example.com'] });
      const data = new DataAccountStack(stage, 'Data', stage.dataStackProps());
      classify(new s3.Bucket(data, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: data.keyFor(DataClassification.CONFIDENTIAL), bucketName: 'eval-docs' }), DataClassification.CONFIDENTIAL);
      data.protect();
      const stacks = stage.node.children.filter((c): c is Stack => Stack.isStack(c));
      expect(stacks.map((s) => s.account)).toEqual(Array(stacks.length).fill('555555555555'));
      for (const s of stacks) {
        Annotations.fromStack(s).hasWarning('*', Match.stringLikeRegexp('SINGLE-ACCOUNT EVALUATION MODE'));
      }
      // Keys are still sound: consumers are named as '*' conditioned on kms:CallerAccount, not as the managing root.
      Template.fromStack(stage.keys).hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'ConsumerAccountsUseKeyViaServices', Principal: { AWS: '*' }, Condition: { StringEquals: Match.objectLike({ 'kms:CallerAccount': ['555555555555'] }) } }),
          ]),
        },
      });
    });

    test('one account: each account-wide watcher exists once, in the first stack that wants it', () => {
      const app = new App();
      const stage = DataProtectionStage.singleAccount(app, 'Eval', { account: '555555555555', primaryRegion: 'eu-west-1', reason: 'Proof of concept with synthetic data', alarmEmails: ['security@example.com'] });
      const data = new DataAccountStack(stage, 'Data', stage.dataStackProps());
      const stacks = stage.node.children.filter((c): c is Stack => Stack.isStack(c) && c.region === 'eu-west-1');
      const rules = (pattern: (p: any) => boolean) =>
        stacks.flatMap((s) => Object.values(Template.fromStack(s).findResources('AWS::Events::Rule')).filter((r: any) => pattern(r.Properties.EventPattern ?? {})).map(() => s.stackName));
      expect(rules((p) => p.source?.[0] === 'aws.kms')).toEqual([stage.keys.stackName]);
      expect(rules((p) => p['detail-type']?.[0] === 'Backup Job State Change')).toEqual([stage.backup.stackName]);
      expect(rules((p) => p['detail-type']?.[0] === 'Backup Job State Change')).not.toContain(data.stackName);
    });

    test('needs a reason', () => {
      expect(() => DataProtectionStage.singleAccount(new App(), 'Eval', { account: '555555555555', primaryRegion: 'eu-west-1', reason: ' ' })).toThrow(
        'DataProtectionStageProps.accounts.singleAccountReason needs a non-empty reason',
      );
    });
  });
}

import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BACKUP_CONTROLS, BackupCompliance, DataClassification } from '../lib';
import { BACKUP_ACCOUNT, DATA_ACCOUNT, testStack } from '../helpers';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555';

function controlsOf(template: Template, level: string): Record<string, Record<string, string>> {
  const fw = Object.values(template.findResources('AWS::Backup::Framework')).find((f: any) => f.Properties.FrameworkName.endsWith(level)) as any;
  return Object.fromEntries(
    fw.Properties.FrameworkControls.map((c: any) => [c.ControlName, Object.fromEntries((c.ControlInputParameters ?? []).map((p: any) => [p.ParameterName, p.ParameterValue]))]),
  );
}

describe('BackupCompliance', () => {
  test('a framework per level with every control, parameters from the level policy, scoped to the classification tag', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN), backupAccount: BACKUP_ACCOUNT, drRegion: 'eu-central-1' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Backup::Framework', 2);
    const hs = controlsOf(template, 'HIGHLY_SENSITIVE');
    expect(Object.keys(hs).sort()).toEqual(Object.values(BACKUP_CONTROLS).sort());
    expect(hs[BACKUP_CONTROLS.RECOVERY_POINT_MINIMUM_RETENTION]).toEqual({ requiredRetentionDays: '365' });
    expect(hs[BACKUP_CONTROLS.PLAN_MIN_FREQUENCY_AND_MIN_RETENTION]).toEqual({ requiredFrequencyUnit: 'hours', requiredFrequencyValue: '12', requiredRetentionDays: '365' });
    expect(hs[BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_CROSS_ACCOUNT]).toEqual({ crossAccountList: BACKUP_ACCOUNT });
    expect(hs[BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_CROSS_REGION]).toEqual({ crossRegionList: 'eu-central-1' });
    expect(hs[BACKUP_CONTROLS.RESTORE_TIME_MEETS_TARGET]).toEqual({ maxRestoreTime: '240' });
    const confidential = controlsOf(template, 'CONFIDENTIAL');
    expect(confidential[BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_CROSS_REGION]).toBeUndefined();
    expect(confidential[BACKUP_CONTROLS.RESOURCES_PROTECTED_BY_CROSS_ACCOUNT]).toEqual({ crossAccountList: BACKUP_ACCOUNT });
    template.hasResourceProperties('AWS::Backup::Framework', {
      FrameworkControls: Match.arrayWith([
        Match.objectLike({ ControlName: BACKUP_CONTROLS.RECOVERY_POINT_ENCRYPTED, ControlScope: { Tags: [{ Key: 'data-classification', Value: 'CONFIDENTIAL' }] } }),
      ]),
    });
  });

  test('report plans deliver into an Object Lock bucket the Audit Manager role may write to', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN), classifications: [DataClassification.HIGHLY_SENSITIVE] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Backup::ReportPlan', 4);
    template.hasResourceProperties('AWS::Backup::ReportPlan', {
      ReportSetting: { ReportTemplate: 'CONTROL_COMPLIANCE_REPORT', FrameworkArns: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('FrameworkHIGHLYSENSITIVE'), 'FrameworkArn'] }] },
      ReportDeliveryChannel: { S3BucketName: { Ref: Match.stringLikeRegexp('ReportsBucket') }, Formats: ['CSV', 'JSON'] },
    });
    for (const t of ['BACKUP_JOB_REPORT', 'COPY_JOB_REPORT', 'RESTORE_JOB_REPORT']) template.hasResourceProperties('AWS::Backup::ReportPlan', { ReportSetting: { ReportTemplate: t } });
    template.hasResourceProperties('AWS::S3::Bucket', { ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE' } } } });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'BackupAuditManagerDeliversReports', Principal: { AWS: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSServiceRoleForBackupReports')])] } } }),
        ]),
      },
    });
  });

  test('snapshot', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN), backupAccount: BACKUP_ACCOUNT, drRegion: 'eu-central-1' });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test('no report key and no bucket', () => {
      expect(() => new BackupCompliance(testStack(DATA_ACCOUNT), 'C')).toThrow(/BackupComplianceProps.reportKey is required/);
    });
    test('no levels', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupCompliance(stack, 'C', { reportKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN), classifications: [] })).toThrow('BackupComplianceProps.classifications must name at least one level, got []');
    });
    test('bad backup account', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupCompliance(stack, 'C', { reportKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN), backupAccount: 'x' })).toThrow("BackupComplianceProps.backupAccount must be a 12-digit AWS account id, got 'x'");
    });
  });
});

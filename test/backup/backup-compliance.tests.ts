import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BACKUP_CONTROLS, BackupCompliance, DataAccountFallbackKey, DataClassification, KeyConsumerService, LOCKED_VAULT_TAG, ObjectLockBucket } from '../lib';
import { BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, testStack } from '../helpers';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555';
const REPORTS_ROLE = ':role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports';

/** A key of the data account whose policy BackupCompliance may extend, as DataAccountStack passes it. */
function reportKey(stack: Stack): kms.IKey {
  return new DataAccountFallbackKey(stack, 'ReportsKey', { aliasName: 'alias/data-protection/backup-reports', keyAccount: KEY_ACCOUNT, services: [KeyConsumerService.S3], reason: 'test' }).key;
}

function controlsOf(template: Template, level: string): Record<string, Record<string, string>> {
  const fw = Object.values(template.findResources('AWS::Backup::Framework')).find((f: any) => f.Properties.FrameworkName.endsWith(level)) as any;
  return Object.fromEntries(
    fw.Properties.FrameworkControls.map((c: any) => [c.ControlName, Object.fromEntries((c.ControlInputParameters ?? []).map((p: any) => [p.ParameterName, p.ParameterValue]))]),
  );
}

describe('BackupCompliance', () => {
  test('a framework per level with every control, parameters from the level policy, scoped to the classification tag', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: reportKey(stack), backupAccount: BACKUP_ACCOUNT, drRegion: 'eu-central-1' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Backup::Framework', 3);
    const hs = controlsOf(template, 'HIGHLY_SENSITIVE');
    expect(Object.keys(hs).sort()).toEqual(Object.values(BACKUP_CONTROLS).filter((c) => c !== BACKUP_CONTROLS.RECOVERY_POINT_MANUAL_DELETION_DISABLED).sort());
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

  test('defect 6: manual deletion is evaluated on the locked vaults (their tag), once, not on the classification tag vaults never carry', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: reportKey(stack) });
    const template = Template.fromStack(stack);
    const controls = Object.values(template.findResources('AWS::Backup::Framework')).flatMap((f: any) => f.Properties.FrameworkControls);
    const manualDeletion = controls.filter((c: any) => c.ControlName === BACKUP_CONTROLS.RECOVERY_POINT_MANUAL_DELETION_DISABLED);
    expect(manualDeletion).toHaveLength(1);
    expect(manualDeletion[0].ControlScope).toEqual({ Tags: [{ Key: LOCKED_VAULT_TAG, Value: 'true' }] });
    expect(JSON.stringify(stack.resolve(manualDeletion[0].ControlInputParameters))).toMatch(/"ParameterName":"principalArnList".*role\/data-protection-break-glass/);
    // Every other control stays on the classification tag.
    for (const c of controls.filter((x: any) => x.ControlName !== BACKUP_CONTROLS.RECOVERY_POINT_MANUAL_DELETION_DISABLED)) {
      expect(c.ControlScope.Tags[0].Key).toBe('data-classification');
    }
  });

  test('report plans deliver into an Object Lock bucket the Audit Manager role may write to', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: reportKey(stack), classifications: [DataClassification.HIGHLY_SENSITIVE] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Backup::ReportPlan', 4);
    template.hasResourceProperties('AWS::Backup::ReportPlan', {
      ReportSetting: {
        ReportTemplate: 'CONTROL_COMPLIANCE_REPORT',
        FrameworkArns: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('FrameworkHIGHLYSENSITIVE'), 'FrameworkArn'] }, { 'Fn::GetAtt': [Match.stringLikeRegexp('FrameworkVaults'), 'FrameworkArn'] }],
      },
      ReportDeliveryChannel: { S3BucketName: { Ref: Match.stringLikeRegexp('ReportsBucket') }, Formats: ['CSV', 'JSON'] },
    });
    for (const t of ['BACKUP_JOB_REPORT', 'COPY_JOB_REPORT', 'RESTORE_JOB_REPORT']) template.hasResourceProperties('AWS::Backup::ReportPlan', { ReportSetting: { ReportTemplate: t } });
    template.hasResourceProperties('AWS::S3::Bucket', { ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE' } } } });
  });

  test('defect 1: the reports role is named only after a framework created it, in the bucket policy and in the key policy', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: reportKey(stack), classifications: [DataClassification.HIGHLY_SENSITIVE] });
    const template = Template.fromStack(stack);
    const frameworks = Object.keys(template.findResources('AWS::Backup::Framework')).sort();
    expect(frameworks).toHaveLength(2);
    // S3 and KMS reject policies whose principal does not exist: AWS creates the role with the first framework.
    const [policyId, policy] = Object.entries(template.findResources('AWS::S3::BucketPolicy')).find(([, p]: any) => JSON.stringify(p).includes('BackupAuditManagerDeliversReports'))!;
    expect([...policy.DependsOn].sort()).toEqual(frameworks);
    const deliver = policy.Properties.PolicyDocument.Statement.find((x: any) => x.Sid === 'BackupAuditManagerDeliversReports');
    expect(deliver.Action).toBe('s3:PutObject');
    expect(JSON.stringify(deliver.Principal)).toContain(REPORTS_ROLE);
    const [keyId, key] = Object.entries(template.findResources('AWS::KMS::Key'))[0] as [string, any];
    expect([...key.DependsOn].sort()).toEqual(frameworks);
    const encrypt = key.Properties.KeyPolicy.Statement.find((x: any) => x.Sid === 'BackupAuditManagerEncryptsReports');
    expect(encrypt.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(encrypt.Principal)).toContain(REPORTS_ROLE);
    expect(encrypt.Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } });
    // Report plans start delivering once the role may write and encrypt.
    for (const plan of Object.values(template.findResources('AWS::Backup::ReportPlan'))) expect(plan.DependsOn).toEqual(expect.arrayContaining([policyId, keyId]));
  });

  test('defect 1: a report key the reports role cannot use (another account, or a policy this app does not write) fails synth', () => {
    const stack = testStack(DATA_ACCOUNT);
    expect(() => new BackupCompliance(stack, 'C', { reportKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN) })).toThrow(
      /^BackupComplianceProps.reportKey must be a key this app creates in account 222222222222 \(e.g. a DataAccountFallbackKey\), got Test\/K: Backup Audit Manager writes reports as its service-linked role AWSServiceRoleForBackupReports, which has no KMS permissions/,
    );
    const other = testStack(DATA_ACCOUNT, 'Other');
    const bucket = new ObjectLockBucket(other, 'Reports', { encryptionKey: kms.Key.fromKeyArn(other, 'K', KEY_ARN) });
    expect(() => new BackupCompliance(other, 'C', { reportBucket: bucket })).toThrow(/^BackupComplianceProps.reportBucket must be encrypted with a key this app creates in account 222222222222/);
  });

  test('snapshot', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupCompliance(stack, 'Compliance', { reportKey: reportKey(stack), backupAccount: BACKUP_ACCOUNT, drRegion: 'eu-central-1' });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test('no report key and no bucket', () => {
      expect(() => new BackupCompliance(testStack(DATA_ACCOUNT), 'C')).toThrow(/BackupComplianceProps.reportKey is required/);
    });
    test('no levels', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupCompliance(stack, 'C', { reportKey: reportKey(stack), classifications: [] })).toThrow('BackupComplianceProps.classifications must name at least one level, got []');
    });
    test('bad backup account', () => {
      const stack = testStack(DATA_ACCOUNT);
      expect(() => new BackupCompliance(stack, 'C', { reportKey: reportKey(stack), backupAccount: 'x' })).toThrow("BackupComplianceProps.backupAccount must be a 12-digit AWS account id, got 'x'");
    });
  });
});

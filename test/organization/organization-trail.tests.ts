import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { classify, DataClassification } from '../../lib/classification';
import { METADATA } from '../../lib/core/constants';
import { BackupDelegatedAdministrator, CloudTrailDelegatedAdministrator, OrganizationDataAccessTrail } from '../../lib';
import { planDataEventSelectors } from '../../lib/audit/data-event-selectors';
import { AuditAccountStack } from '../../lib/topology/audit-account-stack';
import { KeyAccountStack } from '../../lib/topology/key-account-stack';
import { ACCOUNTS, ARCHIVE, AUDIT_ACCOUNT, BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, OTHER_DATA_ACCOUNT, plain, REGION } from '../audit/fixtures';

const MANAGEMENT_ACCOUNT = '666666666666';
const ORG_ID = 'o-exampleorg1';
const ORG_TRAIL = OrganizationDataAccessTrail.DEFAULT_TRAIL_NAME;
const ORG_TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${MANAGEMENT_ACCOUNT}:trail/${ORG_TRAIL}`;

// One app, synthesized once: the management account's registrations, two data accounts with
// classified and unclassified buckets, and the audit account with the organization trail.
const app = new App();
const management = new Stack(app, 'Management', { env: { account: MANAGEMENT_ACCOUNT, region: REGION } });
new BackupDelegatedAdministrator(management, 'BackupAdmin', { delegatedAdminAccount: BACKUP_ACCOUNT, organizationId: ORG_ID });
new CloudTrailDelegatedAdministrator(management, 'CloudTrailAdmin', { delegatedAdminAccount: AUDIT_ACCOUNT, organizationId: ORG_ID });
// The opt-in: deregister when deleted or replaced.
const managementOptIn = new Stack(app, 'ManagementOptIn', { env: { account: MANAGEMENT_ACCOUNT, region: REGION } });
new BackupDelegatedAdministrator(managementOptIn, 'BackupAdmin', { delegatedAdminAccount: BACKUP_ACCOUNT, organizationId: ORG_ID, deregisterOnDelete: true });
new CloudTrailDelegatedAdministrator(managementOptIn, 'CloudTrailAdmin', { delegatedAdminAccount: AUDIT_ACCOUNT, organizationId: ORG_ID, deregisterOnDelete: true });
const dataA = new Stack(app, 'DataA', { env: { account: DATA_ACCOUNT, region: REGION } });
classify(new s3.Bucket(dataA, 'Payroll', { bucketName: 'conf-payroll-a' }), DataClassification.CONFIDENTIAL);
new s3.Bucket(dataA, 'Scratch', { bucketName: 'scratch-a' });
const dataB = new Stack(app, 'DataB', { env: { account: OTHER_DATA_ACCOUNT, region: REGION } });
classify(new s3.Bucket(dataB, 'Records', { bucketName: 'conf-records-b' }), DataClassification.HIGHLY_SENSITIVE);
classify(new s3.Bucket(dataB, 'Handbook', { bucketName: 'handbook-b' }), DataClassification.INTERNAL);
const audit = new AuditAccountStack(app, 'Audit', {
  env: { account: AUDIT_ACCOUNT, region: REGION },
  accounts: { ...ACCOUNTS, dataAccounts: [DATA_ACCOUNT, OTHER_DATA_ACCOUNT] },
  alarmEmails: ['security@example.com'],
  organizationTrail: { managementAccount: MANAGEMENT_ACCOUNT },
});
// The key account's audit key admits the management account's trails too.
const keys = new KeyAccountStack(app, 'Keys', { env: { account: KEY_ACCOUNT, region: REGION }, accounts: { ...ACCOUNTS, dataAccounts: [DATA_ACCOUNT, OTHER_DATA_ACCOUNT] } });
keys.auditKey.allowCloudTrail([MANAGEMENT_ACCOUNT]);
const managementTemplate = Template.fromStack(management);
const optInTemplate = Template.fromStack(managementOptIn);

/** The Create, Update and Delete calls of a registration (`Custom::AWS` whose Create calls `action`), values made plain. */
function registrationCalls(template: Template, action: string): { create: any; update: any; del: any } {
  const [r] = Object.values(template.findResources('Custom::AWS')).filter((x: any) => JSON.parse(plain(x.Properties.Create)).action === action) as any[];
  const call = (k: string) => (r.Properties[k] ? JSON.parse(plain(r.Properties[k])) : undefined);
  return { create: call('Create'), update: call('Update'), del: call('Delete') };
}
const auditTemplate = Template.fromStack(audit);

/** Every statement of the AwsCustomResource policies of a template, values made plain. */
function customResourceStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .map((s: any) => JSON.parse(JSON.stringify(s, (_k, v) => (v && typeof v === 'object' && (v['Fn::Join'] || v.Ref) ? plain(v) : v))));
}

function controls(stack: Stack, control: string): any[] {
  const artifact = app.synth().getStackArtifact(stack.artifactId);
  return artifact.findMetadataByType(METADATA.CONTROL).map((m) => m.data as any).filter((d) => d.control === control);
}

describe('BackupDelegatedAdministrator (management account)', () => {
  test('enables trusted access, cross-account backup, and registers the backup account for backup.amazonaws.com (kept registered on delete)', () => {
    const calls = Object.values(managementTemplate.findResources('Custom::AWS')).map((r: any) => ({
      create: JSON.parse(plain(r.Properties.Create)),
      del: r.Properties.Delete ? JSON.parse(plain(r.Properties.Delete)) : undefined,
    }));
    expect(calls).toEqual(expect.arrayContaining([
      { create: expect.objectContaining({ service: 'Organizations', action: 'enableAWSServiceAccess', parameters: { ServicePrincipal: 'backup.amazonaws.com' } }), del: undefined },
      { create: expect.objectContaining({ service: 'Backup', action: 'updateGlobalSettings', parameters: { GlobalSettings: { isCrossAccountBackupEnabled: 'true' } } }), del: undefined },
      {
        create: expect.objectContaining({ service: 'Organizations', action: 'registerDelegatedAdministrator', parameters: { AccountId: BACKUP_ACCOUNT, ServicePrincipal: 'backup.amazonaws.com' } }),
        // Removing the construct (a merged change) must not weaken the organization.
        del: undefined,
      },
    ]));
    expect(controls(management, 'backup-delegated-admin')).toEqual([
      { control: 'backup-delegated-admin', detail: { delegatedAdminAccount: BACKUP_ACCOUNT, servicePrincipal: 'backup.amazonaws.com', organizationId: ORG_ID, crossAccountMonitoring: true, crossAccountBackup: true, deregisterOnDelete: false } },
    ]);
  });

  test('a new delegatedAdminAccount replaces the registration: the update registers it under a physical id naming the account', () => {
    const { create, update } = registrationCalls(managementTemplate, 'registerDelegatedAdministrator');
    expect(create.physicalResourceId).toEqual({ id: `backup-delegated-admin-${BACKUP_ACCOUNT}` });
    // The same call, the account in the physical id: a different account is a new physical id, so
    // CloudFormation deletes the old resource (with its old properties) after the update.
    expect(update).toEqual({ ...create, ignoreErrorCodesMatching: 'AccountAlreadyRegisteredException' });
  });

  test('deregisterOnDelete: the delete deregisters the account, for backup only, any account of the organization (the replaced one too)', () => {
    const { del } = registrationCalls(optInTemplate, 'registerDelegatedAdministrator');
    expect(del).toMatchObject({ service: 'Organizations', action: 'deregisterDelegatedAdministrator', parameters: { AccountId: BACKUP_ACCOUNT, ServicePrincipal: 'backup.amazonaws.com' } });
    expect(customResourceStatements(optInTemplate)).toEqual(expect.arrayContaining([
      {
        Action: 'organizations:DeregisterDelegatedAdministrator',
        Effect: 'Allow',
        Resource: `arn:aws:organizations::{Ref:AWS::AccountId}:account/${ORG_ID}/*`,
        Condition: { StringEquals: { 'organizations:ServicePrincipal': 'backup.amazonaws.com' } },
      },
    ]));
    expect(controls(managementOptIn, 'backup-delegated-admin')[0].detail.deregisterOnDelete).toBe(true);
  });

  test('each call gets only its own action: the registration on the backup account of the organization, for backup only; no * action', () => {
    const statements = customResourceStatements(managementTemplate);
    expect(statements).toEqual(expect.arrayContaining([
      {
        Action: 'organizations:RegisterDelegatedAdministrator',
        Effect: 'Allow',
        Resource: `arn:aws:organizations::{Ref:AWS::AccountId}:account/${ORG_ID}/${BACKUP_ACCOUNT}`,
        Condition: { StringEquals: { 'organizations:ServicePrincipal': 'backup.amazonaws.com' } },
      },
      { Action: 'organizations:EnableAWSServiceAccess', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'organizations:ServicePrincipal': 'backup.amazonaws.com' } } },
      { Action: 'backup:UpdateGlobalSettings', Effect: 'Allow', Resource: '*' },
    ]));
    // No deregistration without deregisterOnDelete.
    expect(JSON.stringify(statements)).not.toContain('Deregister');
    for (const s of statements) {
      const actions = [s.Action].flat();
      expect(actions.some((a: string) => a.includes('*'))).toBe(false);
      // '*' resources only for actions without resource-level permissions, or with a condition.
      if (s.Resource === '*') expect(actions.every((a: string) => ['organizations:EnableAWSServiceAccess', 'backup:UpdateGlobalSettings', 'cloudtrail:RegisterOrganizationDelegatedAdmin', 'cloudtrail:DeregisterOrganizationDelegatedAdmin', 'organizations:ListAWSServiceAccessForOrganization', 'iam:CreateServiceLinkedRole', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy'].includes(a))).toBe(true);
    }
  });
});

describe('CloudTrailDelegatedAdministrator (management account)', () => {
  test('registers the audit account with CloudTrail after trusted access, kept registered on delete, with the documented permissions', () => {
    const [registration] = Object.values(managementTemplate.findResources('Custom::AWS')).filter((r: any) => plain(r.Properties.Create).includes('registerOrganizationDelegatedAdmin')) as any[];
    expect(JSON.parse(plain(registration.Properties.Create))).toMatchObject({ service: 'CloudTrail', action: 'registerOrganizationDelegatedAdmin', parameters: { MemberAccountId: AUDIT_ACCOUNT } });
    expect(registration.Properties.Delete).toBeUndefined();
    expect(registration.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^CloudTrailAdminTrustedAccess/)]));
    expect(customResourceStatements(managementTemplate)).toEqual(expect.arrayContaining([
      { Action: 'organizations:EnableAWSServiceAccess', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'organizations:ServicePrincipal': 'cloudtrail.amazonaws.com' } } },
      { Action: ['cloudtrail:RegisterOrganizationDelegatedAdmin', 'organizations:ListAWSServiceAccessForOrganization'], Effect: 'Allow', Resource: '*' },
      {
        Action: 'organizations:RegisterDelegatedAdministrator',
        Effect: 'Allow',
        Resource: `arn:aws:organizations::{Ref:AWS::AccountId}:account/${ORG_ID}/${AUDIT_ACCOUNT}`,
        Condition: { StringEquals: { 'organizations:ServicePrincipal': 'cloudtrail.amazonaws.com' } },
      },
      { Action: 'iam:CreateServiceLinkedRole', Effect: 'Allow', Resource: '*', Condition: { StringLike: { 'iam:AWSServiceName': ['cloudtrail.amazonaws.com', 'context.cloudtrail.amazonaws.com'] } } },
    ]));
  });

  test('a new delegatedAdminAccount replaces the registration: the update registers it under a physical id naming the account', () => {
    const { create, update } = registrationCalls(managementTemplate, 'registerOrganizationDelegatedAdmin');
    expect(create.physicalResourceId).toEqual({ id: `cloudtrail-delegated-admin-${AUDIT_ACCOUNT}` });
    expect(update).toEqual({ ...create, ignoreErrorCodesMatching: 'AccountRegisteredException' });
  });

  test('deregisterOnDelete: the delete deregisters the account; Organizations deregistration for CloudTrail only, any account of the organization', () => {
    const { del } = registrationCalls(optInTemplate, 'registerOrganizationDelegatedAdmin');
    expect(del).toMatchObject({ service: 'CloudTrail', action: 'deregisterOrganizationDelegatedAdmin', parameters: { DelegatedAdminAccountId: AUDIT_ACCOUNT } });
    expect(customResourceStatements(optInTemplate)).toEqual(expect.arrayContaining([
      { Action: ['cloudtrail:RegisterOrganizationDelegatedAdmin', 'cloudtrail:DeregisterOrganizationDelegatedAdmin', 'organizations:ListAWSServiceAccessForOrganization'], Effect: 'Allow', Resource: '*' },
      {
        Action: 'organizations:DeregisterDelegatedAdministrator',
        Effect: 'Allow',
        Resource: `arn:aws:organizations::{Ref:AWS::AccountId}:account/${ORG_ID}/*`,
        Condition: { StringEquals: { 'organizations:ServicePrincipal': 'cloudtrail.amazonaws.com' } },
      },
    ]));
  });
});

describe('OrganizationDataAccessTrail (audit account, CloudTrail delegated administrator)', () => {
  test('an organization trail, multi-region, validated, encrypted, into the archive', () => {
    auditTemplate.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: ORG_TRAIL,
      IsOrganizationTrail: true,
      IsMultiRegionTrail: true,
      EnableLogFileValidation: true,
      S3BucketName: ARCHIVE,
      KMSKeyId: Match.anyValue(),
    });
  });

  test('selects the classified buckets of every account (CONFIDENTIAL and above), never the archive, within the 500-value limit', () => {
    const [trail] = Object.values(auditTemplate.findResources('AWS::CloudTrail::Trail')) as any[];
    const selectors = trail.Properties.AdvancedEventSelectors;
    expect(selectors).toHaveLength(1);
    const fields = selectors[0].FieldSelectors;
    expect(fields).toEqual(expect.arrayContaining([{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }]));
    const arn = fields.find((f: any) => f.Field === 'resources.ARN');
    expect(arn.StartsWith.map(plain).sort()).toEqual(['arn:aws:s3:::conf-payroll-a/', 'arn:aws:s3:::conf-records-b/']);
    const all = JSON.stringify(selectors.map((s: any) => s.FieldSelectors.map((f: any) => ({ ...f, ...(f.StartsWith ? { StartsWith: f.StartsWith.map(plain) } : {}) }))));
    expect(all).not.toContain(ARCHIVE);
    expect(all).not.toContain('handbook-b');
    expect(all).not.toContain('scratch-a');
    const [control] = controls(audit, 'organization-trail');
    expect(control.detail).toMatchObject({ trail: ORG_TRAIL, covered: 2, selectorValues: 4, archiveBucket: ARCHIVE });
    expect(control.detail.selectorValues).toBeLessThanOrEqual(500);
  });

  test("the archive admits the management account's trail ARN, under AWSLogs/<management account>/ and AWSLogs/<organization id>/", () => {
    const [policy] = Object.values(auditTemplate.findResources('AWS::S3::BucketPolicy')).filter((p: any) => JSON.stringify(p).includes('CloudTrailAclCheck')) as any[];
    const statements = policy.Properties.PolicyDocument.Statement.map((s: any) => JSON.parse(JSON.stringify(s, (_k, v) => (v && typeof v === 'object' && (v['Fn::Join'] || v.Ref) ? plain(v) : v))));
    const acl = statements.find((s: any) => s.Sid === 'CloudTrailAclCheck');
    expect(acl.Condition.StringEquals['aws:SourceArn']).toContain(ORG_TRAIL_ARN);
    const orgWrites = statements.filter((s: any) => s.Action === 's3:PutObject' && s.Condition?.StringEquals?.['aws:SourceArn'] === ORG_TRAIL_ARN);
    expect(orgWrites.map((s: any) => String(s.Resource).replace(/^.*:::[^/]*\//, '').replace(/^\{GetAtt:[^}]*\}\//, '')).sort()).toEqual([
      `data-access/AWSLogs/${MANAGEMENT_ACCOUNT}/*`,
      `data-access/AWSLogs/${ORG_ID}/*`,
    ]);
    for (const s of orgWrites) expect(s.Condition.StringEquals['s3:x-amz-acl']).toBe('bucket-owner-full-control');
    // The trail waits for the bucket policy: CloudTrail checks it on creation.
    const [trailId] = Object.keys(auditTemplate.findResources('AWS::CloudTrail::Trail'));
    const [policyId] = Object.keys(auditTemplate.findResources('AWS::S3::BucketPolicy')).filter((id) => id.includes('DataAccessArchive'));
    expect(auditTemplate.toJSON().Resources[trailId].DependsOn).toContain(policyId);
  });
});

test("the audit key lets CloudTrail encrypt for the management account's trails, in statements of their own (unique ids)", () => {
  const statements = keys.resolve(keys.auditKey.resource.keyPolicy).Statement;
  const sids = statements.map((st: any) => st.Sid).filter(Boolean);
  expect(new Set(sids).size).toBe(sids.length);
  const encrypt = statements.find((st: any) => st.Sid === 'CloudTrailEncryptsLogs2');
  expect(encrypt).toMatchObject({ Action: 'kms:GenerateDataKey*', Principal: { Service: 'cloudtrail.amazonaws.com' } });
  expect(plain(encrypt.Condition.StringLike['kms:EncryptionContext:aws:cloudtrail:arn'][0])).toBe(`arn:aws:cloudtrail:*:${MANAGEMENT_ACCOUNT}:trail/*`);
  expect(statements.map((st: any) => st.Sid)).toEqual(expect.arrayContaining(['CloudTrailEncryptsLogs', 'CloudTrailDescribesKey2', 'CloudTrailDecryptsForBucketKey2']));
});

describe('OrganizationDataAccessTrail with the StackSet members (recordMemberStores)', () => {
  // The same data accounts; the layout also admits OUs of members whose stores the app does not define.
  const membersApp = new App();
  const a = new Stack(membersApp, 'DataA', { env: { account: DATA_ACCOUNT, region: REGION } });
  classify(new s3.Bucket(a, 'Payroll', { bucketName: 'conf-payroll-a' }), DataClassification.CONFIDENTIAL);
  new s3.Bucket(a, 'Scratch', { bucketName: 'scratch-a' });
  new s3.Bucket(a, 'Scratch2', { bucketName: 'scratch-ab' });
  const withMembers = new AuditAccountStack(membersApp, 'Audit', {
    env: { account: AUDIT_ACCOUNT, region: REGION },
    accounts: { ...ACCOUNTS, organizationId: ORG_ID, dataAccounts: [DATA_ACCOUNT], memberOrganizationalUnitPaths: [`${ORG_ID}/r-ab12/ou-ab12-11111111/*`] },
    alarmEmails: ['security@example.com'],
    organizationTrail: { managementAccount: MANAGEMENT_ACCOUNT },
  });
  const [trail] = Object.values(Template.fromStack(withMembers).findResources('AWS::CloudTrail::Trail')) as any[];
  const byType = Object.fromEntries(trail.Properties.AdvancedEventSelectors.map((sel: any) => [sel.FieldSelectors.find((f: any) => f.Field === 'resources.type').Equals[0], sel.FieldSelectors]));

  test("records every S3 object and DynamoDB data event of the organization but the app's unrecorded buckets (by exact name) and the archive: the members' stores are unknown to the app", () => {
    const arn = byType['AWS::S3::Object'].find((f: any) => f.Field === 'resources.ARN');
    expect(arn.StartsWith).toBeUndefined();
    // Exact names, never a shortened prefix (which could exclude a member's store).
    expect(arn.NotStartsWith.map(plain)).toEqual(expect.arrayContaining(['arn:aws:s3:::scratch-a/', 'arn:aws:s3:::scratch-ab/', `arn:aws:s3:::${ARCHIVE}/`]));
    expect(arn.NotStartsWith.map(plain)).not.toContain('arn:aws:s3:::scratch-a');
    expect(JSON.stringify(arn.NotStartsWith.map(plain))).not.toContain('conf-payroll-a');
    expect(byType['AWS::DynamoDB::Table']).toEqual([{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] }]);
  });

  test('without member paths, only the classified resources of the app are selected', () => {
    const [plainTrail] = Object.values(auditTemplate.findResources('AWS::CloudTrail::Trail')) as any[];
    expect(plainTrail.Properties.AdvancedEventSelectors).toHaveLength(1);
  });
});

describe('bad input is a synth error naming the prop, the value and the expected form', () => {
  const key = (stack: Stack) => kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:${REGION}:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
  const mgmt = () => new Stack(new App(), 'M', { env: { account: MANAGEMENT_ACCOUNT, region: REGION } });
  const auditAccount = () => new Stack(new App(), 'A', { env: { account: AUDIT_ACCOUNT, region: REGION } });

  test.each([
    [() => new BackupDelegatedAdministrator(mgmt(), 'X', { delegatedAdminAccount: '1234', organizationId: ORG_ID }), "BackupDelegatedAdministratorProps.delegatedAdminAccount must be a 12-digit AWS account id, got '1234'"],
    [() => new BackupDelegatedAdministrator(mgmt(), 'X', { delegatedAdminAccount: BACKUP_ACCOUNT, organizationId: 'org-1' }), "BackupDelegatedAdministratorProps.organizationId must be an organization id matching ^o-[a-z0-9]{10,32}$ (e.g. o-a1b2c3d4e5), got 'org-1'"],
    [() => new BackupDelegatedAdministrator(mgmt(), 'X', { delegatedAdminAccount: MANAGEMENT_ACCOUNT, organizationId: ORG_ID }), `BackupDelegatedAdministratorProps.delegatedAdminAccount must be a member account, not the management account this stack deploys to, got '${MANAGEMENT_ACCOUNT}'`],
    [() => new CloudTrailDelegatedAdministrator(mgmt(), 'X', { delegatedAdminAccount: 'abc', organizationId: ORG_ID }), "CloudTrailDelegatedAdministratorProps.delegatedAdminAccount must be a 12-digit AWS account id, got 'abc'"],
    [() => new OrganizationDataAccessTrail(auditAccount(), 'X', { managementAccount: '12', organizationId: ORG_ID, encryptionKey: key(auditAccount()), archiveBucketName: ARCHIVE }), "OrganizationDataAccessTrailProps.managementAccount must be a 12-digit AWS account id, got '12'"],
    [() => {
      const s = auditAccount();
      return new OrganizationDataAccessTrail(s, 'X', { managementAccount: MANAGEMENT_ACCOUNT, organizationId: 'o-UPPER', encryptionKey: key(s), archiveBucketName: ARCHIVE });
    }, "OrganizationDataAccessTrailProps.organizationId must be an organization id matching ^o-[a-z0-9]{10,32}$ (e.g. o-a1b2c3d4e5), got 'o-UPPER'"],
    [() => {
      const s = auditAccount();
      return new OrganizationDataAccessTrail(s, 'X', {
        managementAccount: MANAGEMENT_ACCOUNT, organizationId: ORG_ID, encryptionKey: key(s), archiveBucketName: ARCHIVE,
        existingResources: [{ resourceArn: 'arn:aws:rds:eu-west-1:222222222222:db:payroll', classification: DataClassification.CONFIDENTIAL }],
      });
    }, "OrganizationDataAccessTrailProps.existingResources[0].resourceArn must be an S3 bucket, DynamoDB table or Lambda function ARN (arn:aws:s3:::name, …:table/name, …:function:name): other types have no CloudTrail data events, got 'arn:aws:rds:eu-west-1:222222222222:db:payroll'"],
    [() => new AuditAccountStack(new App(), 'Audit', {
      env: { account: AUDIT_ACCOUNT, region: REGION }, accounts: ACCOUNTS, alarmEmails: ['security@example.com'],
      organizationTrail: { managementAccount: MANAGEMENT_ACCOUNT }, organizationTrailAccount: MANAGEMENT_ACCOUNT,
    }), `AuditAccountStackProps.organizationTrail and organizationTrailAccount both admit an organization trail: use one, got organizationTrailAccount '${MANAGEMENT_ACCOUNT}'`],
    [() => new AuditAccountStack(new App(), 'Audit', {
      env: { account: AUDIT_ACCOUNT, region: REGION }, accounts: ACCOUNTS, alarmEmails: ['security@example.com'], organizationTrail: { managementAccount: 'mgmt' },
    }), "AuditAccountStackProps.organizationTrail.managementAccount must be a 12-digit AWS account id, got 'mgmt'"],
  ])('%#', (build, message) => {
    expect(build).toThrow(message);
  });

  test('an organization trail that selects nothing fails synth (CloudTrail would log every management event instead)', () => {
    const s = auditAccount();
    new OrganizationDataAccessTrail(s, 'Empty', { managementAccount: MANAGEMENT_ACCOUNT, organizationId: ORG_ID, encryptionKey: key(s), archiveBucketName: ARCHIVE });
    expect(() => Template.fromStack(s)).toThrow(/OrganizationDataAccessTrail A\/Empty selects nothing: no classified resource with data events/);
  });
});

describe('recordUnknownStores when the exact exclusions do not fit', () => {
  test('the stores are recorded whole (over-recording is the safe side), the trail\'s own bucket still excluded, instead of a synth error', () => {
    const a = new App();
    const data = new Stack(a, 'Data', { env: { account: DATA_ACCOUNT, region: REGION } });
    for (let i = 0; i < 6; i++) new s3.Bucket(data, `Scratch${i}`, { bucketName: `scratch-${i}` });
    const audit = new Stack(a, 'Audit', { env: { account: AUDIT_ACCOUNT, region: REGION } });
    const input = { trail: audit, organizationTrail: true, crossStackReferences: false, ownBucketNames: [ARCHIVE], includeManagementEvents: false, recordUnknownStores: true };
    const fits = planDataEventSelectors({ ...input, maxValues: 20 });
    const s3Arn = (plan: any) => plan.advancedEventSelectors.find((sel: any) => sel.fieldSelectors.some((f: any) => f.equalTo?.includes('AWS::S3::Object'))).fieldSelectors.find((f: any) => f.field === 'resources.ARN');
    expect(s3Arn(fits).notStartsWith).toHaveLength(7);
    const tight = planDataEventSelectors({ ...input, maxValues: 6 });
    expect(s3Arn(tight).notStartsWith.map((v: string) => plain(audit.resolve(v)))).toEqual([`arn:aws:s3:::${ARCHIVE}/`]);
    expect(tight.valueCount).toBeLessThanOrEqual(6);
  });
});

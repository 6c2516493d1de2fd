import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ORGANIZATION_BACKUP_ROLE_NAME, ORGANIZATION_BACKUP_VAULT_NAME } from '../../lib/backup/organization-backup-policy';
import { METADATA } from '../../lib/core/constants';
import { DataAccountBaselineStack } from '../../lib/organization/data-account-baseline';
import { DataProtectionStackSet, DataProtectionStackSetProps, OrganizationAssetBucket, StackSetCallAs, StackSetRegionConcurrency } from '../../lib/organization/data-protection-stack-set';

const MANAGEMENT = '999999999999';
const ORG = 'o-abcdefghij';
const PREFIX = 'acme-dp-assets';
const LAYOUT = {
  keyAccount: '111111111111',
  backupAccount: '333333333333',
  auditAccount: '444444444444',
  identityAccount: '555555555555',
  primaryRegion: 'eu-west-1',
  drRegion: 'eu-central-1',
  organizationId: ORG,
};
const dataAccounts = (n: number) => Array.from({ length: n }, (_, i) => String(200000000000 + i * 7919));
const ous = (n: number) => Array.from({ length: n }, (_, i) => `ou-ab12-${String(10000000 + i)}`);
/** The layout's member paths covering `ouIds` (each OU and its child OUs). */
const pathsOf = (ouIds: string[]) => ouIds.map((ou) => `${ORG}/r-ab12/${ou}/*`);
const TRAIL_REASON = 'The organization trail of the audit account records the data events of every account';

/** A management stack with the baseline and its StackSet over `n` data accounts and `n` OUs; the baseline template as written. */
function rollout(n: number, props: Partial<DataProtectionStackSetProps> = {}, assetRegions = ['eu-central-1', 'eu-west-1']) {
  const app = new App();
  // The asset bucket of every region, in the management account (the StackSet requires them in the app).
  for (const region of assetRegions) new OrganizationAssetBucket(new Stack(app, `Assets-${region}`, { env: { account: MANAGEMENT, region } }), 'Assets', { assetBucketPrefix: PREFIX, organizationId: ORG });
  const management = new Stack(app, 'Management', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
  const baseline = new DataAccountBaselineStack(management, 'Baseline', {
    accounts: { ...LAYOUT, dataAccounts: dataAccounts(n), memberOrganizationalUnitPaths: pathsOf(ous(n)) },
    assetBucketPrefix: PREFIX,
    organizationTrailReason: TRAIL_REASON,
  });
  const stackSet = new DataProtectionStackSet(management, 'StackSet', { baseline, organizationalUnitIds: ous(n), regions: ['eu-central-1', 'eu-west-1'], ...props });
  const assembly = app.synth();
  const text = fs.readFileSync(path.join(assembly.directory, baseline.templateFile), 'utf8');
  return { app, management, baseline, stackSet, text, template: Template.fromJSON(JSON.parse(text)), managementTemplate: Template.fromStack(management) };
}

const small = rollout(3, { callAs: StackSetCallAs.DELEGATED_ADMIN, failureToleranceCount: 2, maxConcurrentCount: 3, regionConcurrency: StackSetRegionConcurrency.PARALLEL });
const large = rollout(300);

// Bad inputs: one baseline, never synthesized; each StackSet throws before it adds anything.
const scratch = new Stack(new App(), 'Scratch', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
const scratchBaseline = new DataAccountBaselineStack(scratch, 'Baseline', {
  accounts: { ...LAYOUT, dataAccounts: dataAccounts(1), memberOrganizationalUnitPaths: pathsOf(['ou-ab12-cdef3456']) },
  assetBucketPrefix: PREFIX,
  organizationTrailReason: TRAIL_REASON,
});
let n = 0;
const stackSetWith = (props: Partial<DataProtectionStackSetProps>) => () =>
  new DataProtectionStackSet(scratch, `Bad${n++}`, { baseline: scratchBaseline, organizationalUnitIds: ['ou-ab12-cdef3456'], regions: ['eu-west-1'], ...props });

describe('DataProtectionStackSet', () => {
  test('a service-managed StackSet with automatic deployment to the OUs and regions, the primary region first', () => {
    small.managementTemplate.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'DELEGATED_ADMIN',
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      ManagedExecution: { Active: true },
      OperationPreferences: { FailureToleranceCount: 2, MaxConcurrentCount: 3, RegionConcurrencyType: 'PARALLEL', RegionOrder: ['eu-west-1', 'eu-central-1'] },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ous(3) }, Regions: ['eu-west-1', 'eu-central-1'] }],
      // The baseline template, a file asset of the management stack.
      TemplateURL: { 'Fn::Sub': Match.stringLikeRegexp(`cdk-hnb659fds-assets-${MANAGEMENT}-eu-west-1/[0-9a-f]{64}\\.json$`) },
    });
    large.managementTemplate.hasResourceProperties('AWS::CloudFormation::StackSet', {
      CallAs: 'SELF',
      OperationPreferences: { FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25, RegionConcurrencyType: 'SEQUENTIAL' },
    });
  });

  test('records the OUs and regions it covers for the report', () => {
    const entries = small.stackSet.stackSet.node.metadata.filter((m) => m.type === METADATA.CONTROL).map((m) => m.data);
    expect(entries).toEqual([{ control: 'organization-rollout', detail: { organizationalUnitIds: ous(3), regions: ['eu-west-1', 'eu-central-1'] } }]);
  });

  test("copies every Lambda bundle of the baseline into each region's asset bucket, unextracted", () => {
    const keys = Object.values(small.template.findResources('AWS::Lambda::Function')).map((f: any) => f.Properties.Code.S3Key).sort();
    expect(keys.length).toBeGreaterThan(0);
    for (const region of ['eu-west-1', 'eu-central-1']) {
      const deployment = Object.values(small.managementTemplate.findResources('Custom::CDKBucketDeployment', { Properties: { DestinationBucketName: `${PREFIX}-${region}` } })) as any[];
      expect(deployment).toHaveLength(1);
      expect(deployment[0].Properties).toMatchObject({ Extract: false, Prune: false, RetainOnDelete: true });
      expect([...new Set(deployment[0].Properties.SourceObjectKeys)].sort()).toEqual([...new Set(keys)].sort());
    }
  });

  test.each([
    [{ organizationalUnitIds: ['ou-AB12-x'] }, /organizationalUnitIds\[0\] must be an organizational unit id matching .* got 'ou-AB12-x'/],
    [{ organizationalUnitIds: ['r-ab'] }, /organizationalUnitIds\[0\] must be an organization root id .* got 'r-ab'/],
    [{ organizationalUnitIds: [] }, /organizationalUnitIds must list at least one/],
    [{ organizationalUnitIds: ['ou-ab12-cdef3456', 'ou-ab12-cdef3456'] }, /organizationalUnitIds must not repeat a value, got 'ou-ab12-cdef3456'/],
    [{ regions: ['eu-west'] }, /regions\[0\] must be a Region name matching .* got 'eu-west'/],
    [{ regions: ['eu-central-1'] }, /regions must include the primary region 'eu-west-1'/],
    [{ failureToleranceCount: -1 }, /failureToleranceCount must be at least 0 accounts, got -1/],
    [{ failureTolerancePercentage: 101 }, /failureTolerancePercentage must be between 0 and 100 percent, got 101 percent/],
    [{ maxConcurrentCount: 0 }, /maxConcurrentCount must be at least 1 accounts, got 0/],
    [{ maxConcurrentPercentage: 0 }, /maxConcurrentPercentage must be between 1 and 100 percent, got 0 percent/],
    [{ maxConcurrentCount: 2.5 }, /maxConcurrentCount must be a whole number, got 2.5/],
    [{ maxConcurrentCount: 5, maxConcurrentPercentage: 10 }, /maxConcurrentCount \(5\) and DataProtectionStackSetProps.maxConcurrentPercentage \(10\) are exclusive/],
    [{ stackSetName: '1-baseline' }, /stackSetName must be 1-128 letters, digits and '-', starting with a letter, got '1-baseline'/],
  ])('bad input %j is a synth error naming the prop, the value and the expected form', (props, message) => {
    expect(stackSetWith(props as Partial<DataProtectionStackSetProps>)).toThrow(message);
  });

  test('every target OU must be covered by a wildcard member path of the layout, naming both props', () => {
    expect(stackSetWith({ organizationalUnitIds: ['ou-ab12-cdef3456', 'ou-ab12-99999999'] })).toThrow(
      /DataProtectionStackSetProps.organizationalUnitIds \["ou-ab12-99999999"\] are not covered by DataProtectionAccounts.memberOrganizationalUnitPaths .*o-abcdefghij\/r-ab12\/ou-ab12-cdef3456\/\*/,
    );
    // The root is covered by the root's wildcard path only.
    expect(stackSetWith({ organizationalUnitIds: ['r-ab12'] })).toThrow(/\["r-ab12"\] are not covered/);
  });

  test("the asset copy is denied on a destination bucket of another account (bucket squatting)", () => {
    const policies = Object.values(small.managementTemplate.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    for (const region of ['eu-west-1', 'eu-central-1']) {
      const bucket = `${PREFIX}-${region}`;
      expect(policies).toContainEqual(expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${bucket}`]] },
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${bucket}/*`]] },
        ],
        Condition: { StringNotEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } } },
      }));
    }
  });

  test('a region without an OrganizationAssetBucket of the prefix in this account and app is a synth error naming the region and the prop', () => {
    expect(() => rollout(1, {}, ['eu-west-1'])).toThrow(
      /DataProtectionStackSetProps.regions 'eu-central-1' has no OrganizationAssetBucket with assetBucketPrefix 'acme-dp-assets' \(DataAccountBaselineStackProps.assetBucketPrefix\) in account 999999999999/,
    );
  });

  test('a target at the organization root warns: the baseline would reach the key, backup, audit and identity accounts', () => {
    const app = new App();
    new OrganizationAssetBucket(new Stack(app, 'Assets', { env: { account: MANAGEMENT, region: 'eu-west-1' } }), 'Assets', { assetBucketPrefix: PREFIX, organizationId: ORG });
    const stack = new Stack(app, 'RootTarget', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    const baseline = new DataAccountBaselineStack(stack, 'Baseline', {
      accounts: { ...LAYOUT, dataAccounts: dataAccounts(1), memberOrganizationalUnitPaths: [`${ORG}/r-ab12/*`] },
      assetBucketPrefix: PREFIX,
      organizationTrailReason: TRAIL_REASON,
    });
    new DataProtectionStackSet(stack, 'StackSet', { baseline, organizationalUnitIds: ['r-ab12'], regions: ['eu-west-1'] });
    Annotations.fromStack(stack).hasWarning('/RootTarget/StackSet', Match.stringLikeRegexp('targets the organization root \\["r-ab12"\\].*key, backup, audit and identity accounts'));
  });

  test('the baseline must be created inside the StackSet stack', () => {
    const other = new Stack(scratch.node.root as App, 'Other');
    expect(() => new DataProtectionStackSet(other, 'S', { baseline: scratchBaseline, organizationalUnitIds: ['ou-ab12-cdef3456'], regions: ['eu-west-1'] })).toThrow(/baseline must be created inside the stack of the DataProtectionStackSet/);
  });
});

describe('DataAccountBaselineStack', () => {
  test('environment-agnostic: no data account id, and the same size for 3 and for 300 accounts and OUs', () => {
    for (const id of [...dataAccounts(300), MANAGEMENT]) expect(large.text).not.toContain(id);
    expect(small.text).not.toContain(dataAccounts(3)[0]);
    expect(small.text.length).toBe(large.text.length);
    expect(small.template.toJSON().Parameters ?? {}).toEqual({});
  });

  test("a template rule fails a stack instance in the layout's key, backup, audit or identity account", () => {
    const layoutAccounts = [LAYOUT.keyAccount, LAYOUT.backupAccount, LAYOUT.auditAccount, LAYOUT.identityAccount];
    expect(small.template.toJSON().Rules).toEqual({
      NotALayoutAccount: {
        Assertions: [{
          Assert: { 'Fn::Not': [{ 'Fn::Contains': [layoutAccounts, { Ref: 'AWS::AccountId' }] }] },
          AssertDescription: expect.stringContaining(layoutAccounts.join(', ')),
        }],
      },
    });
  });

  test("holds the vault and role the OrganizationBackupPolicy names, the roles in the primary region's instance only", () => {
    small.template.resourceCountIs('AWS::Backup::BackupVault', 1);
    small.template.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: ORGANIZATION_BACKUP_VAULT_NAME, LockConfiguration: { MinRetentionDays: 7 } });
    // The drill restores every level from that vault: no retention-class vault is named.
    expect(small.text).toContain(`\\"backupVaultName\\":\\"${ORGANIZATION_BACKUP_VAULT_NAME}\\"`);
    expect(small.text).not.toMatch(new RegExp(`${ORGANIZATION_BACKUP_VAULT_NAME}-\\d+d`));
    small.template.hasCondition('IsPrimaryRegion', { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] });
    for (const roleName of [ORGANIZATION_BACKUP_ROLE_NAME, 'data-protection-break-glass']) {
      small.template.hasResource('AWS::IAM::Role', { Condition: 'IsPrimaryRegion', Properties: { RoleName: roleName } });
    }
    small.template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: ORGANIZATION_BACKUP_ROLE_NAME,
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })] },
    });
  });

  test('the restore drill and alarms forwarded to the audit account are in the baseline; the organization trail records data events instead of its own trail', () => {
    small.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    // A member account's trail cannot deliver into the archive (aws:SourceArn per account): no trail, the reason in the report.
    small.template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    const overrides = small.baseline.node.metadata.filter((m) => m.type === METADATA.OVERRIDE).map((m) => m.data);
    expect(overrides).toContainEqual(expect.objectContaining({ prop: 'DataAccountBaselineStackProps.organizationTrailReason', reason: TRAIL_REASON }));
    // Alarms and drill results go to the audit account's security event bus.
    expect(small.text).toMatch(new RegExp(`:${LAYOUT.auditAccount}:event-bus/`));
  });

  test("the drill's log groups are encrypted with a key of the member account (CloudWatch Logs may use the key account's keys only for named accounts)", () => {
    const groups = Object.entries(small.template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.startsWith('RestoreDrill'));
    expect(groups.length).toBeGreaterThan(5);
    const keys = Object.entries(small.template.findResources('AWS::KMS::Key'));
    for (const [, g] of groups as [string, any][]) {
      const ref = g.Properties.KmsKeyId['Fn::GetAtt']?.[0];
      // A key defined in the baseline itself (its alarm topic's), which admits this account's CloudWatch Logs.
      expect(keys.map(([id]) => id)).toContain(ref);
      expect(JSON.stringify(small.template.toJSON().Resources[ref].Properties.KeyPolicy)).toContain('logs.');
    }
  });

  test("the asset copies log into a log group encrypted with a key of the management account", () => {
    const fn = Object.values(small.managementTemplate.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.LoggingConfig?.LogGroup) as any;
    const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
    const group = small.managementTemplate.toJSON().Resources[groupId];
    expect(group).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^StackSetAssetDeploymentLogKey/), 'Arn'] }, RetentionInDays: 365 } });
  });

  test("every function's code is read from the asset bucket of the instance's region", () => {
    const functions = Object.values(small.template.findResources('AWS::Lambda::Function')) as any[];
    expect(functions.length).toBeGreaterThan(0);
    for (const f of functions) {
      expect(f.Properties.Code.S3Bucket).toEqual({ 'Fn::Join': ['', [`${PREFIX}-`, { Ref: 'AWS::Region' }]] });
      expect(f.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    }
  });

  test('bad asset bucket prefix and a scope outside any stack are synth errors', () => {
    const app = new App();
    expect(() => new DataAccountBaselineStack(new Stack(app, 'M'), 'B', { accounts: { ...LAYOUT, dataAccounts: [] }, assetBucketPrefix: 'Acme_Assets' })).toThrow(
      /DataAccountBaselineStackProps.assetBucketPrefix must be a literal prefix of S3 bucket names: .* got 'Acme_Assets'/,
    );
    expect(() => new DataAccountBaselineStack(app, 'B', { accounts: { ...LAYOUT, dataAccounts: [] }, assetBucketPrefix: PREFIX })).toThrow(/must be created inside the stack holding its DataProtectionStackSet/);
  });

  test('member paths without organizationTrailReason, and bad member paths, are synth errors', () => {
    const stack = new Stack(new App(), 'M');
    const accounts = (paths: string[]) => ({ ...LAYOUT, dataAccounts: dataAccounts(1), memberOrganizationalUnitPaths: paths });
    expect(() => new DataAccountBaselineStack(stack, 'NoReason', { accounts: accounts(pathsOf(['ou-ab12-cdef3456'])), assetBucketPrefix: PREFIX })).toThrow(
      /DataAccountBaselineStackProps.organizationTrailReason is required with DataAccountBaselineStackProps.accounts.memberOrganizationalUnitPaths/,
    );
    expect(() => new DataAccountBaselineStack(stack, 'BadPath', { accounts: accounts(['ou-ab12-cdef3456']), assetBucketPrefix: PREFIX, organizationTrailReason: TRAIL_REASON })).toThrow(
      /memberOrganizationalUnitPaths\[0\] must be an AWS Organizations entity path .* got 'ou-ab12-cdef3456'/,
    );
  });
});

describe('OrganizationAssetBucket', () => {
  const stack = new Stack(new App(), 'Assets', { env: { account: MANAGEMENT, region: 'eu-central-1' } });
  new OrganizationAssetBucket(stack, 'Assets', { assetBucketPrefix: PREFIX, organizationId: ORG });
  const template = Template.fromStack(stack);

  test('per region, readable by the organization only, over TLS, encrypted, versioned, not public', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `${PREFIX}-eu-central-1`,
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Sid: 'OrganizationReadsStackSetAssets', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } } }),
        ]),
      },
    });
  });

  test('bad organization id is a synth error', () => {
    expect(() => new OrganizationAssetBucket(stack, 'Bad', { assetBucketPrefix: PREFIX, organizationId: 'o-short' })).toThrow(/OrganizationAssetBucketProps.organizationId must be an organization id matching .* got 'o-short'/);
  });
});

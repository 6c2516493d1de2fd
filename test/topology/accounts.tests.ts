import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { accountsFromContext, DataProtectionGuardrails, DataProtectionGuardrailsProps, ImmutableBackupVault, KeyAccountStack, validateAccounts } from '../lib';
import { keyPolicyFindings } from '../../lib/core/key-policy';
import { SecurityEventBus } from '../../lib/audit/security-event-bus';
import { entityPathsCover } from '../../lib/topology/accounts';
import { ACCOUNTS, DATA_ACCOUNT, KEY_ACCOUNT, referenceContext } from '../helpers';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { isPlaceholderAccount, validateOrganizationalUnitId, validateOrganizationId, validatePolicyTargetId, validateRegion, validateRootId } from '../../lib/core/validation';

describe('account layout', () => {
  test('reads the placeholder layout from cdk.json context', () => {
    const app = new App({ context: referenceContext() });
    expect(accountsFromContext(app)).toEqual({
      keyAccount: '111111111111',
      dataAccounts: ['222222222222'],
      backupAccount: '333333333333',
      auditAccount: '444444444444',
      identityAccount: '777777777777',
      primaryRegion: 'eu-west-1',
      drRegion: 'eu-central-1',
      organizationId: 'o-exampleorg1',
    });
  });

  test('missing context is an error that says what to add', () => {
    expect(() => accountsFromContext(new App())).toThrow("Context 'cdk-data-protection:accounts' is missing");
  });

  test.each([
    [{ keyAccount: DATA_ACCOUNT }, 'DataProtectionAccounts.keyAccount (222222222222) must not be one of the dataAccounts'],
    [{ backupAccount: DATA_ACCOUNT }, 'DataProtectionAccounts.backupAccount (222222222222) must not be one of the dataAccounts'],
    [{ auditAccount: DATA_ACCOUNT }, 'DataProtectionAccounts.auditAccount (222222222222) must not be one of the dataAccounts'],
    [{ backupAccount: KEY_ACCOUNT }, 'DataProtectionAccounts.backupAccount (111111111111) must differ from keyAccount'],
    [{ dataAccounts: [] }, 'DataProtectionAccounts.dataAccounts must list at least one account id, got []'],
    [{ dataAccounts: ['12'] }, "DataProtectionAccounts.dataAccounts[0] must be a 12-digit AWS account id, got '12'"],
    [{ keyAccount: 'keys' }, "DataProtectionAccounts.keyAccount must be a 12-digit AWS account id, got 'keys'"],
  ])('%j is rejected', (change, message) => {
    expect(() => validateAccounts({ ...ACCOUNTS, ...change })).toThrow(message);
  });
});

// =============================================================================================
// The organization id (one file with the accounts above: one module load).
{
  // Defect 10: cross-account copies need the organization; a placeholder id never reaches a real deployment.
  const REAL = { keyAccount: '210987654321', dataAccounts: ['123456789012'], backupAccount: '345678901234', auditAccount: '456789012345', identityAccount: '567890123456' };
  const WHERE = 'aws organizations describe-organization --query Organization.Id';

  describe('organization id', () => {
    test('placeholder account ids are eleven equal leading digits', () => {
      expect(['111111111111', '222222222223', '999999999999'].map(isPlaceholderAccount)).toEqual([true, true, true]);
      expect(['123456789012', '111111111121', '11111111111'].map(isPlaceholderAccount)).toEqual([false, false, false]);
    });

    test("this repository's cdk.json (placeholder accounts and o-exampleorg1) synthesizes offline", () => {
      const app = new App({ context: referenceContext() });
      expect(accountsFromContext(app).organizationId).toBe('o-exampleorg1');
      expect(() => validateAccounts(ACCOUNTS)).not.toThrow(); // placeholders without an organization id: tests and examples
    });

    test('real account ids with the placeholder organization id fail, saying where to find the real one', () => {
      const context = { ...referenceContext(), 'cdk-data-protection:accounts': { key: REAL.keyAccount, data: REAL.dataAccounts[0], backup: REAL.backupAccount, audit: REAL.auditAccount, identity: REAL.identityAccount } };
      expect(() => accountsFromContext(new App({ context }))).toThrow(
        "context 'cdk-data-protection:organizationId' is the placeholder 'o-exampleorg1' of the examples, accepted only with placeholder account ids (eleven equal leading digits, such as 111111111111) for offline synth; the layout names real accounts (210987654321, 345678901234, 456789012345, 123456789012)",
      );
      expect(() => accountsFromContext(new App({ context }))).toThrow(WHERE);
    });

    test('one real account among placeholders is enough to require a real organization id', () => {
      expect(() => validateAccounts({ ...ACCOUNTS, dataAccounts: ['123456789012'], organizationId: 'o-exampleorg1' })).toThrow(
        "DataProtectionAccounts.organizationId is the placeholder 'o-exampleorg1'",
      );
    });

    test('real account ids without an organization id fail', () => {
      expect(() => validateAccounts({ ...ACCOUNTS, ...REAL })).toThrow(
        'DataProtectionAccounts.organizationId is required for cross-account backup copies: AWS Backup copies between accounts of one AWS Organization only',
      );
      expect(() => validateAccounts({ ...ACCOUNTS, ...REAL })).toThrow('AWS Organizations console');
    });

    test.each(['o-abc', 'O-ABCDEFGHIJ', 'exampleorg12', `o-${'a'.repeat(33)}`])('a malformed id %s fails with the pattern', (id) => {
      expect(() => validateAccounts({ ...ACCOUNTS, organizationId: id })).toThrow(`DataProtectionAccounts.organizationId must match ^o-[a-z0-9]{10,32}$, got '${id}'`);
    });

    test('a real organization id passes with real accounts; tokens are accepted', () => {
      expect(() => validateAccounts({ ...ACCOUNTS, ...REAL, organizationId: 'o-a1b2c3d4e5' })).not.toThrow();
      expect(() => validateOrganizationId('p', Lazy.string({ produce: () => 'o-exampleorg1' }), REAL.dataAccounts)).not.toThrow();
    });

    test('single-account evaluation mode has no cross-account copy and needs no organization', () => {
      const one = REAL.dataAccounts[0];
      expect(() => validateAccounts({ ...ACCOUNTS, keyAccount: one, dataAccounts: [one], backupAccount: one, auditAccount: one, singleAccountReason: 'evaluation' })).not.toThrow();
    });

    test('ImmutableBackupVault: copies from another real account need the organization id', () => {
      const stack = new Stack(new App(), 'Vault', { env: { account: REAL.backupAccount, region: 'eu-west-1' } });
      const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:eu-west-1:${REAL.keyAccount}:key/11111111-2222-3333-4444-555555555555`);
      const props = { encryptionKey: key, minRetention: Duration.days(7), backupVaultName: 'central' };
      expect(() => new ImmutableBackupVault(stack, 'A', { ...props, copySourceAccounts: REAL.dataAccounts })).toThrow(
        'ImmutableBackupVaultProps.copySourceOrganizationId is required for cross-account backup copies',
      );
      expect(() => new ImmutableBackupVault(stack, 'B', { ...props, copySourceAccounts: REAL.dataAccounts, copySourceOrganizationId: 'o-exampleorg1' })).toThrow(
        "ImmutableBackupVaultProps.copySourceOrganizationId is the placeholder 'o-exampleorg1'",
      );
      expect(() => new ImmutableBackupVault(stack, 'C', { ...props, copySourceAccounts: [REAL.backupAccount] })).not.toThrow(); // its own account: no cross-account copy
      expect(() => new ImmutableBackupVault(stack, 'D', { ...props, copySourceAccounts: REAL.dataAccounts, copySourceOrganizationId: 'o-a1b2c3d4e5' })).not.toThrow();
    });
  });
}

// Organization guardrails (service control policies), merged here: each jest file reloads aws-cdk-lib.
{
const OU = 'ou-ab12-cdef3456';
const ROOT = 'r-ab12';
const ACCOUNT = '222222222222';
const ADMIN = 'arn:aws:iam::*:role/stacksets-exec-*';
const BREAK_GLASS = 'arn:aws:iam::*:role/data-protection-break-glass';
const props: DataProtectionGuardrailsProps = { targetIds: [OU, ACCOUNT], guardrailAdminRoleArnPattern: ADMIN };

// One app, one management-account stack, one synth for every policy assertion.
const app = new App();
const stack = new Stack(app, 'Management', { env: { account: '999999999999', region: 'us-east-1' } });
const guardrails = new DataProtectionGuardrails(stack, 'Guardrails', props);
const template = Template.fromStack(stack);
const policies = Object.values(template.findResources('AWS::Organizations::Policy'));
const statements: any[] = policies.flatMap((p) => p.Properties.Content.Statement);
const statement = (sid: string) => {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
};

/** A fresh scope for a construct that must fail (its stack is never synthesized). */
let n = 0;
const build = (overrides: Partial<DataProtectionGuardrailsProps>) => () => new DataProtectionGuardrails(stack, `Bad${n++}`, { ...props, ...overrides });

describe('DataProtectionGuardrails policies', () => {
  test('service control policies attached to the targets, each within the size limit', () => {
    expect(policies.length).toBe(guardrails.policies.length);
    for (const p of policies) {
      expect(p.Properties.Type).toBe('SERVICE_CONTROL_POLICY');
      expect(p.Properties.TargetIds).toEqual([OU, ACCOUNT]);
      expect(JSON.stringify(p.Properties.Content).length).toBeLessThanOrEqual(5120);
      expect(p.Properties.Content.Version).toBe('2012-10-17');
    }
    template.hasResourceProperties('AWS::Organizations::Policy', { Name: 'data-protection-guardrails-1' });
    expect(guardrails.policySizes).toEqual(policies.map((p) => JSON.stringify(p.Properties.Content).length));
    expect(guardrails.guardrails).toEqual([
      'DenyKeyDeletion', 'DenyKeyPolicyChanges', 'DenyKeyAliasChanges', 'DenyVaultDeletion', 'DenyVaultPolicyChanges',
      'DenyRecoveryPointDeletion', 'DenyTrailDeletion', 'DenyTrailChanges', 'DenyBucketLockChanges', 'DenyBreakGlassRoleChanges',
      'DenyGuardrailAdminRoleChanges',
    ]);
    expect(statements.every((s) => s.Effect === 'Deny')).toBe(true);
  });

  test('keys with a data-protection alias: deletion and disabling for break-glass only', () => {
    expect(statement('DenyKeyDeletion')).toEqual({
      Sid: 'DenyKeyDeletion', Effect: 'Deny',
      Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey'],
      Resource: ['arn:aws:kms:*:*:key/*'],
      Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': ['alias/data-protection/*'] }, 'ArnNotLike': { 'aws:PrincipalArn': [BREAK_GLASS] } },
    });
  });

  test('key policies: break-glass and the deployment role', () => {
    const s = statement('DenyKeyPolicyChanges');
    expect(s.Action).toEqual(['kms:PutKeyPolicy']);
    expect(s.Condition.ArnNotLike['aws:PrincipalArn']).toEqual([BREAK_GLASS, ADMIN]);
    expect(s.Condition['ForAnyValue:StringLike']).toEqual({ 'kms:ResourceAliases': ['alias/data-protection/*'] });
  });

  test('the aliases that mark the keys cannot be removed or re-pointed', () => {
    const s = statement('DenyKeyAliasChanges');
    expect(s.Action).toEqual(['kms:DeleteAlias', 'kms:UpdateAlias']);
    expect(s.Resource).toEqual(['arn:aws:kms:*:*:alias/data-protection/*']);
    expect(s.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS] } });
  });

  test('vaults: deletion and unlocking for break-glass only, access policy also for deployments', () => {
    const del = statement('DenyVaultDeletion');
    expect(del.Action).toEqual(['backup:DeleteBackupVault', 'backup:DeleteBackupVaultLockConfiguration', 'backup:DeleteBackupVaultAccessPolicy']);
    expect(del.Resource).toEqual(['arn:aws:backup:*:*:backup-vault:data-protection-*']);
    expect(del.Condition.ArnNotLike['aws:PrincipalArn']).toEqual([BREAK_GLASS]);
    const put = statement('DenyVaultPolicyChanges');
    expect(put.Action).toEqual(['backup:PutBackupVaultAccessPolicy']);
    expect(put.Resource).toEqual(['arn:aws:backup:*:*:backup-vault:data-protection-*']);
    expect(put.Condition.ArnNotLike['aws:PrincipalArn']).toEqual([BREAK_GLASS, ADMIN]);
  });

  test('recovery points: every recovery point, break-glass only', () => {
    expect(statement('DenyRecoveryPointDeletion')).toMatchObject({
      Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'],
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS] } },
    });
  });

  test('trails: stopping and deleting for break-glass only, selectors also for deployments', () => {
    expect(statement('DenyTrailDeletion')).toMatchObject({
      Action: ['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail'],
      Resource: ['arn:aws:cloudtrail:*:*:trail/data-protection-*'],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS] } },
    });
    expect(statement('DenyTrailChanges')).toMatchObject({
      Action: ['cloudtrail:PutEventSelectors', 'cloudtrail:UpdateTrail'],
      Resource: ['arn:aws:cloudtrail:*:*:trail/data-protection-*'],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS, ADMIN] } },
    });
  });

  test('buckets: Object Lock and lifecycle configuration, break-glass and deployments', () => {
    expect(statement('DenyBucketLockChanges')).toMatchObject({
      Action: ['s3:PutBucketObjectLockConfiguration', 's3:PutLifecycleConfiguration'],
      Resource: ['arn:aws:s3:::data-protection-*'],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS, ADMIN] } },
    });
  });

  test('the break-glass role: created and changed by the deployment role only, not by itself', () => {
    const s = statement('DenyBreakGlassRoleChanges');
    expect(s.Resource).toEqual([BREAK_GLASS]);
    expect(s.Action).toEqual(expect.arrayContaining(['iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DeleteRolePolicy', 'iam:DetachRolePolicy']));
    expect(s.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [ADMIN] } });
  });

  test('the deployment roles every guardrail exempts: created and changed only by themselves and break-glass (nobody can mint an exempt role)', () => {
    const s = statement('DenyGuardrailAdminRoleChanges');
    expect(s.Resource).toEqual([ADMIN]);
    expect(s.Action).toEqual(statement('DenyBreakGlassRoleChanges').Action);
    expect(s.Action).toEqual(expect.arrayContaining(['iam:CreateRole', 'iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePermissionsBoundary']));
    expect(s.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [ADMIN, BREAK_GLASS] } });
  });

  test('no statement allows anything', () => {
    template.allResourcesProperties('AWS::Organizations::Policy', { Content: { Version: '2012-10-17', Statement: Match.anyValue() } });
    expect(statements.some((s) => s.Effect !== 'Deny')).toBe(false);
  });
});

describe('DataProtectionGuardrails size', () => {
  test('statements that do not fit one policy are split into several, each within the limit', () => {
    const buckets = Array.from({ length: 60 }, (_, i) => `data-protection-bucket-with-a-long-name-${String(i).padStart(3, '0')}-*`);
    const split = new DataProtectionGuardrails(stack, 'Split', { ...props, bucketNamePatterns: buckets });
    expect(split.policies.length).toBeGreaterThan(1);
    for (const size of split.policySizes) expect(size).toBeLessThanOrEqual(DataProtectionGuardrails.MAX_POLICY_CHARACTERS);
    expect(split.policies.map((p) => p.name)).toEqual(split.policies.map((_, i) => `data-protection-guardrails-${i + 1}`));
  });

  test('a statement over 5,120 characters fails with its size and the limit', () => {
    const buckets = Array.from({ length: 200 }, (_, i) => `data-protection-bucket-${i}-*`);
    expect(build({ bucketNamePatterns: buckets })).toThrow(/statement DenyBucketLockChanges alone is \d{4,} characters as minified JSON, over the 5120-character limit/);
  });

  test('more policies than fit beside FullAWSAccess is an error', () => {
    const keyAliasPatterns = Array.from({ length: 80 }, (_, i) => `alias/data-protection/team-${String(i).padStart(3, '0')}-*`);
    const bucketNamePatterns = Array.from({ length: 80 }, (_, i) => `data-protection-bucket-name-${String(i).padStart(3, '0')}-*`);
    expect(build({ keyAliasPatterns, bucketNamePatterns })).toThrow(/the guardrails need [5-9] policies of at most 5120 characters, over the 4 that fit beside FullAWSAccess/);
  });

  test('tokens are refused: the size must be known at synth', () => {
    const token = Lazy.string({ produce: () => 'data-protection-*' });
    expect(build({ vaultNamePattern: token })).toThrow('DataProtectionGuardrailsProps.vaultNamePattern must be a literal, got a token');
    expect(build({ targetIds: [token] })).toThrow('DataProtectionGuardrailsProps.targetIds[0] must be a literal, got a token');
  });
});

describe('DataProtectionGuardrails bad input', () => {
  test.each([
    ['an OU id', 'ou-ab12-short', "DataProtectionGuardrailsProps.targetIds[0] must be an organizational unit id matching ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$ (e.g. ou-ab12-cdef3456), got 'ou-ab12-short'"],
    ['a root id', 'r-AB', "DataProtectionGuardrailsProps.targetIds[0] must be an organization root id matching ^r-[0-9a-z]{4,32}$ (e.g. r-ab12), got 'r-AB'"],
    ['an account id', '12345', "DataProtectionGuardrailsProps.targetIds[0] must be a 12-digit AWS account id, got '12345'"],
    ['anything else', 'o-exampleorg1', "DataProtectionGuardrailsProps.targetIds[0] must be a root id (^r-[0-9a-z]{4,32}$), an organizational unit id (^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$) or a 12-digit account id, got 'o-exampleorg1'"],
  ])('targetIds: %s', (_what, value, message) => {
    expect(build({ targetIds: [value] })).toThrow(message);
  });

  test('targetIds: empty or repeated', () => {
    expect(build({ targetIds: [] })).toThrow('DataProtectionGuardrailsProps.targetIds must name at least one root (r-…), organizational unit (ou-…) or account (12 digits), got []');
    expect(build({ targetIds: [ROOT, ROOT] })).toThrow("DataProtectionGuardrailsProps.targetIds must not repeat an id (a policy is attached once per target), got 'r-ab12' twice");
  });

  test.each([
    ['every role', 'arn:aws:iam::*:role/*'],
    ['not a role ARN', 'arn:aws:iam::*:user/deployer'],
    ['another partition', 'arn:aws-cn:iam::*:role/stacksets-exec-*'],
  ])('guardrailAdminRoleArnPattern: %s', (_what, value) => {
    expect(build({ guardrailAdminRoleArnPattern: value })).toThrow(
      `DataProtectionGuardrailsProps.guardrailAdminRoleArnPattern must be an IAM role ARN pattern arn:aws:iam::<account id or *>:role/<name pattern> whose name is not only wildcards (e.g. arn:aws:iam::*:role/stacksets-exec-* or arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*), got '${value}'`,
    );
  });

  test('name patterns, aliases, role name, partition and policy names', () => {
    expect(build({ vaultNamePattern: '*' })).toThrow("DataProtectionGuardrailsProps.vaultNamePattern must be a backup vault name pattern of 1-128 letters, digits, '.', '_', '-', '*' or '?' and not only wildcards (it would cover every backup vault of the account), got '*'");
    expect(build({ trailNamePattern: 'trail/x' })).toThrow("DataProtectionGuardrailsProps.trailNamePattern must be a trail name pattern");
    expect(build({ bucketNamePatterns: [] })).toThrow('DataProtectionGuardrailsProps.bucketNamePatterns must name at least one bucket name pattern, got []');
    expect(build({ bucketNamePatterns: ['data-protection-*', 'a b'] })).toThrow("DataProtectionGuardrailsProps.bucketNamePatterns[1] must be a bucket name pattern");
    expect(build({ keyAliasPatterns: ['alias/aws/*'] })).toThrow("DataProtectionGuardrailsProps.keyAliasPatterns[0] must be alias/<pattern> of letters, digits, '/', '_', '-', '*' or '?', not only wildcards and not an AWS managed alias (alias/aws/…), got 'alias/aws/*'");
    expect(build({ keyAliasPatterns: ['alias/*'] })).toThrow("got 'alias/*'");
    expect(build({ keyAliasPatterns: [] })).toThrow('DataProtectionGuardrailsProps.keyAliasPatterns must name at least one alias pattern, got []');
    expect(build({ breakGlassRoleName: 'break glass' })).toThrow("DataProtectionGuardrailsProps.breakGlassRoleName must be an IAM role name (1-64 letters, digits or +=,.@_-), got 'break glass'");
    expect(build({ partition: 'aws-eu' })).toThrow("DataProtectionGuardrailsProps.partition must be one of aws, aws-cn, aws-us-gov, got 'aws-eu'");
    expect(build({ policyNamePrefix: '' })).toThrow("DataProtectionGuardrailsProps.policyNamePrefix must be 1-120 printable ASCII characters (policy names are 1-128), got ''");
  });
});

describe('organization id validators', () => {
  test('OU, root, region and target ids name the prop, the value and the expected form', () => {
    expect(() => validateOrganizationalUnitId('P.ou', 'ou-ab12')).toThrow("P.ou must be an organizational unit id matching ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$ (e.g. ou-ab12-cdef3456), got 'ou-ab12'");
    expect(() => validateOrganizationalUnitId('P.ou', undefined)).toThrow('P.ou must be an organizational unit id matching ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$ (e.g. ou-ab12-cdef3456), got undefined');
    expect(() => validateRootId('P.root', 'r-abc')).toThrow("P.root must be an organization root id matching ^r-[0-9a-z]{4,32}$ (e.g. r-ab12), got 'r-abc'");
    expect(() => validateRegion('P.region', 'EU-WEST-1')).toThrow("P.region must be a Region name matching ^[a-z]{2,4}(-[a-z]+)+-\\d{1,2}$ (e.g. eu-west-1, us-gov-west-1), got 'EU-WEST-1'");
    expect(() => validateRegion('P.region', 'eu-west')).toThrow("got 'eu-west'");
    expect(() => validatePolicyTargetId('P.target', '')).toThrow("P.target must be a root id");
    for (const ok of ['eu-west-1', 'us-gov-west-1', 'ap-southeast-5', 'eusc-de-east-1', 'us-isob-east-1']) expect(() => validateRegion('P.region', ok)).not.toThrow();
    expect(() => validateOrganizationalUnitId('P.ou', OU)).not.toThrow();
    expect(() => validateRootId('P.root', ROOT)).not.toThrow();
    const token = Lazy.string({ produce: () => 'x' });
    expect(() => validateOrganizationalUnitId('P.ou', token)).not.toThrow();
    expect(() => validateRegion('P.region', token)).not.toThrow();
  });
});
}

// =============================================================================================
// DataProtectionAccounts.memberOrganizationalUnitPaths: the key account admits the accounts of the OUs.
describe('KeyAccountStack with DataProtectionAccounts.memberOrganizationalUnitPaths', () => {
  const ORG_ID = 'o-exampleorg1';
  const PATHS = [`${ORG_ID}/r-ab12/ou-ab12-11111111/*`];
  const keysOf = (accounts: Record<string, unknown>) => new KeyAccountStack(new App(), 'Keys', { env: { account: KEY_ACCOUNT, region: 'eu-west-1' }, accounts: accounts as any });
  const members = keysOf({ ...ACCOUNTS, organizationId: ORG_ID, memberOrganizationalUnitPaths: PATHS });
  const plain = keysOf({ ...ACCOUNTS, organizationId: ORG_ID });
  const policy = (keys: KeyAccountStack, k: { resource: kms.CfnKey }) => keys.resolve(k.resource.keyPolicy);
  const keys = (stack: KeyAccountStack) => [...Object.values(stack.dataKeys), stack.backupKey, stack.auditKey, stack.evidenceKey];

  test("every key the data accounts use admits the OUs' accounts through the same services, principal '*' only with aws:PrincipalOrgPaths and aws:PrincipalOrgID", () => {
    for (const key of [...Object.values(members.dataKeys), members.backupKey, members.evidenceKey]) {
      const doc = policy(members, key);
      const sid = (id: string) => doc.Statement.find((s: any) => s.Sid === id);
      const listed = sid('ConsumerAccountsUseKeyViaServices');
      const inPaths = { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': PATHS } };
      expect(sid('MemberAccountsUseKeyViaServices')).toMatchObject({
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Condition: { ...inPaths, StringEquals: { 'kms:ViaService': listed.Condition.StringEquals['kms:ViaService'], 'aws:PrincipalOrgID': ORG_ID } },
      });
      expect(sid('MemberAccountsGrantToAwsResources')).toMatchObject({ Principal: { AWS: '*' }, Condition: { ...inPaths, StringEquals: { 'aws:PrincipalOrgID': ORG_ID }, Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
      // The alias lookup (CrossAccountKey) of a member account's stacks.
      expect(sid('MemberAccountsDescribeKey')).toMatchObject({ Principal: { AWS: '*' }, Action: 'kms:DescribeKey', Condition: { ...inPaths, StringEquals: { 'aws:PrincipalOrgID': ORG_ID } } });
      // Never an unconditioned '*', nor a principal that both administers and uses the key.
      expect(keyPolicyFindings(doc)).toEqual([]);
    }
  });

  test('not the audit key: the members create no trail of their own, and the organization trail writes as the management account', () => {
    const doc = policy(members, members.auditKey);
    expect(JSON.stringify(doc)).not.toContain('aws:PrincipalOrgPaths');
    expect(doc.Statement.map((s: any) => s.Sid)).not.toContain('MemberAccountsUseKeyViaServices');
  });

  test('a nested OU needs its full path: only the form and the last OU are checked, so a wrong parent passes synth (and matches nothing at run time)', () => {
    const wrongParent = `${ORG_ID}/r-ab12/ou-ab12-99999999/ou-ab12-11111111/*`;
    expect(() => validateAccounts({ ...ACCOUNTS, organizationId: ORG_ID, memberOrganizationalUnitPaths: [wrongParent] })).not.toThrow();
    expect(entityPathsCover([wrongParent], 'ou-ab12-11111111')).toBe(true);
  });

  test('absent when the field is unset', () => {
    for (const key of keys(plain)) expect(JSON.stringify(policy(plain, key))).not.toContain('aws:PrincipalOrgPaths');
  });

  test.each([
    [{ memberOrganizationalUnitPaths: PATHS, organizationId: undefined }, /memberOrganizationalUnitPaths needs DataProtectionAccounts.organizationId/],
    [{ memberOrganizationalUnitPaths: ['r-ab12/ou-ab12-11111111/*'] }, /memberOrganizationalUnitPaths\[0\] must be an AWS Organizations entity path .* got 'r-ab12\/ou-ab12-11111111\/\*'/],
    [{ memberOrganizationalUnitPaths: ['o-a1b2c3d4e5/r-ab12/*'] }, /memberOrganizationalUnitPaths\[0\] must start with DataProtectionAccounts.organizationId 'o-exampleorg1\/', got 'o-a1b2c3d4e5\/r-ab12\/\*'/],
    [{ memberOrganizationalUnitPaths: [Lazy.string({ produce: () => 'o-exampleorg1/r-ab12/*' })] }, /memberOrganizationalUnitPaths\[0\] must be a literal entity path .* got a token: the accounts a policy admits must be reviewable at synth/],
  ])('%j is rejected', (change, message) => {
    expect(() => validateAccounts({ ...ACCOUNTS, organizationId: ORG_ID, ...change })).toThrow(message);
  });
});

// SecurityEventBusProps.sourceOrganizationalUnitPaths: the same validator as the layout's.
describe('SecurityEventBus sourceOrganizationalUnitPaths', () => {
  const bus = (paths: string[]) => () => {
    const stack = new Stack(new App(), 'Audit', { env: { account: '444444444444', region: 'eu-west-1' } });
    new SecurityEventBus(stack, 'Bus', { sourceAccounts: [DATA_ACCOUNT], topic: new sns.Topic(stack, 'Topic'), organizationId: 'o-exampleorg1', sourceOrganizationalUnitPaths: paths });
  };
  test.each([
    [['o-exampleorg1/anything'], /SecurityEventBusProps.sourceOrganizationalUnitPaths\[0\] must be an AWS Organizations entity path .* got 'o-exampleorg1\/anything'/],
    [['o-exampleorg1/r-ab12/ou-cd34-11111111/*'], /sourceOrganizationalUnitPaths\[0\] names 'ou-cd34-11111111', not an OU of root 'r-ab12'/],
    [[Lazy.string({ produce: () => 'o-exampleorg1/r-ab12/*' })], /sourceOrganizationalUnitPaths\[0\] must be a literal entity path .* got a token/],
  ])('%j is rejected', (paths, message) => {
    expect(bus(paths)).toThrow(message);
  });
  test('a valid path is accepted', () => {
    expect(bus(['o-exampleorg1/r-ab12/ou-ab12-11111111/*'])).not.toThrow();
  });
});

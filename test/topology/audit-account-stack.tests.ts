import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AuditLogArchive, AuditNames, DataAccessTrail } from '../../lib/audit';
import { classify, DataClassification } from '../../lib/classification';
import { AuditAccountStack } from '../../lib/topology/audit-account-stack';
import { ACCOUNTS, ARCHIVE, AUDIT_ACCOUNT, auditKey, DATA_ACCOUNT, dataStack, OTHER_DATA_ACCOUNT, REGION } from '../audit/fixtures';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as memberHeartbeats } from '../../lib/audit/handlers/member-heartbeats.lambda';

const trailArn = (account: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:${REGION}:${account}:trail/data-protection-data-access`]] });

function auditStack(props: Partial<ConstructorParameters<typeof AuditAccountStack>[2]> = {}, app = new App()) {
  return new AuditAccountStack(app, 'AuditAccount', { env: { account: AUDIT_ACCOUNT, region: REGION }, accounts: ACCOUNTS, alarmEmails: ['security@example.com'], ...props });
}

function policyStatements(template: Template): any[] {
  const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: Match.stringLikeRegexp('ArchiveBucket') } } })) as any[];
  return policy.Properties.PolicyDocument.Statement;
}

describe('AuditAccountStack', () => {
  test('the archive is an Object Lock COMPLIANCE bucket with a deterministic name, encrypted with the key-account audit key', () => {
    const template = Template.fromStack(auditStack());
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketName: ARCHIVE,
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } } },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('AuditKeyDescribeKey'), 'KeyMetadata.Arn'] } },
          }],
        },
      },
      DeletionPolicy: 'Retain',
    });
    // The key is resolved from the key account's audit alias.
    const [lookup] = Object.values(template.findResources('Custom::DataProtectionKeyLookup')) as any[];
    expect(JSON.stringify(lookup.Properties.AliasArn)).toContain(':kms:eu-west-1:111111111111:alias/data-protection/audit');
  });

  test('CloudTrail may check the ACL and write, only for the data accounts\' trails and only under their own path', () => {
    const template = Template.fromStack(auditStack({}, new App()));
    const statements = policyStatements(template);
    const acl = statements.find((s) => s.Sid === 'CloudTrailAclCheck');
    expect(acl).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl',
      Condition: { StringEquals: { 'aws:SourceArn': [trailArn(DATA_ACCOUNT)] } },
    });
    const write = statements.find((s) => s.Sid === 'CloudTrailWrite0');
    expect(write).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn(DATA_ACCOUNT) } },
    });
    expect(JSON.stringify(write.Resource)).toContain(`/data-access/AWSLogs/${DATA_ACCOUNT}/*`);
    // Uploads with another key or none stay denied (ObjectLockBucket).
    expect(statements.map((s) => s.Sid)).toEqual(expect.arrayContaining(['DenyUnencryptedOrWrongKeyUploads', 'DenyUploadsWithAnotherKey']));
  });

  test('several data accounts: one write statement each; an organization trail writes under the org id', () => {
    const stack = auditStack({ accounts: { ...ACCOUNTS, dataAccounts: [DATA_ACCOUNT, OTHER_DATA_ACCOUNT] }, organizationTrailAccount: '999999999999' });
    const statements = policyStatements(Template.fromStack(stack));
    const writes = statements.filter((s) => String(s.Sid).startsWith('CloudTrailWrite'));
    expect(writes.map((w) => JSON.stringify(w.Resource).match(/AWSLogs\/([^/]+)\//)![1])).toEqual([DATA_ACCOUNT, OTHER_DATA_ACCOUNT, '999999999999', 'o-exampleorg1']);
    expect(writes[3].Condition.StringEquals['aws:SourceArn']).toEqual(trailArn('999999999999'));
    expect(stack.archive.trailArns).toHaveLength(3);
  });

  test('archive retention is configurable', () => {
    Template.fromStack(auditStack({ archiveRetention: Duration.days(2557) })).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } } },
    });
  });

  test('the data account trail delivers into the archive: same bucket name and trail ARN on both sides, no cross-account tokens', () => {
    const app = new App();
    const audit = auditStack({}, app);
    const data = dataStack(app, 'DataAccount');
    classify(new s3.Bucket(data, 'Docs', { bucketName: 'hr-docs' }), DataClassification.CONFIDENTIAL);
    const trail = new DataAccessTrail(data, 'Trail', { encryptionKey: auditKey(data), archiveBucketName: AuditNames.archiveBucketName(AUDIT_ACCOUNT, REGION) });
    const assembly = app.synth();
    expect(assembly.getStackByName(data.stackName).template.Outputs ?? {}).toEqual({});
    Template.fromStack(data).hasResourceProperties('AWS::CloudTrail::Trail', { S3BucketName: ARCHIVE, S3KeyPrefix: 'data-access' });
    expect(data.resolve(trail.trailArn)).toEqual(trailArn(DATA_ACCOUNT));
    const acl = policyStatements(Template.fromStack(audit)).find((s) => s.Sid === 'CloudTrailAclCheck');
    expect(acl.Condition.StringEquals['aws:SourceArn']).toEqual([data.resolve(trail.trailArn)]);
  });

  test('snapshot', () => {
    expect(Template.fromStack(auditStack()).toJSON()).toMatchSnapshot();
  });

  describe('bad input', () => {
    test('an archive bucket without Object Lock', () => {
      const stack = new Stack(new App(), 'S', { env: { account: AUDIT_ACCOUNT, region: REGION } });
      const key = kms.Key.fromKeyArn(stack, 'K', `arn:aws:kms:${REGION}:111111111111:key/abc`);
      const bucket = new s3.Bucket(stack, 'Plain', { encryptionKey: key });
      expect(() => new AuditLogArchive(stack, 'Archive', { encryptionKey: key, sourceAccounts: [DATA_ACCOUNT], bucket })).toThrow(
        /AuditLogArchiveProps.bucket must have Object Lock enabled with a default retention \(use ObjectLockBucket\), got S\/Plain with objectLockEnabled=undefined and no default retention/,
      );
    });

    test('Object Lock without a default retention', () => {
      const stack = new Stack(new App(), 'S', { env: { account: AUDIT_ACCOUNT, region: REGION } });
      const key = kms.Key.fromKeyArn(stack, 'K', `arn:aws:kms:${REGION}:111111111111:key/abc`);
      const bucket = new s3.Bucket(stack, 'Locked', { objectLockEnabled: true });
      expect(() => new AuditLogArchive(stack, 'Archive', { encryptionKey: key, sourceAccounts: [DATA_ACCOUNT], bucket })).toThrow(/objectLockEnabled=true and no default retention/);
    });

    test('an imported bucket, whose Object Lock cannot be verified', () => {
      const stack = new Stack(new App(), 'S', { env: { account: AUDIT_ACCOUNT, region: REGION } });
      const key = kms.Key.fromKeyArn(stack, 'K', `arn:aws:kms:${REGION}:111111111111:key/abc`);
      const bucket = s3.Bucket.fromBucketName(stack, 'Imported', 'somebody-elses-bucket');
      expect(() => new AuditLogArchive(stack, 'Archive', { encryptionKey: key, sourceAccounts: [DATA_ACCOUNT], bucket })).toThrow(/an imported bucket whose Object Lock cannot be verified/);
    });

    test('no source accounts, or a malformed one', () => {
      const stack = new Stack(new App(), 'S', { env: { account: AUDIT_ACCOUNT, region: REGION } });
      const key = kms.Key.fromKeyArn(stack, 'K', `arn:aws:kms:${REGION}:111111111111:key/abc`);
      expect(() => new AuditLogArchive(stack, 'A', { encryptionKey: key, sourceAccounts: [] })).toThrow(/AuditLogArchiveProps.sourceAccounts must list at least one account/);
      expect(() => new AuditLogArchive(stack, 'B', { encryptionKey: key, sourceAccounts: ['1234'] })).toThrow(/AuditLogArchiveProps.sourceAccounts\[0\] must be a 12-digit AWS account id, got '1234'/);
    });

    test('deployed to another account than the audit account', () => {
      expect(() => new AuditAccountStack(new App(), 'A', { env: { account: DATA_ACCOUNT, region: REGION }, accounts: ACCOUNTS })).toThrow(
        /AuditAccountStack must be deployed to accounts.auditAccount \(444444444444\), got env.account 222222222222/,
      );
    });

    test('an organization trail without an organization id', () => {
      expect(() => auditStack({ accounts: { ...ACCOUNTS, organizationId: undefined }, organizationTrailAccount: '999999999999' })).toThrow(/organizationTrailAccount needs accounts.organizationId/);
    });

    test('archive retention outside 1-36,500 days', () => {
      expect(() => auditStack({ archiveRetention: Duration.days(0) })).toThrow(/ObjectLockBucketProps.retention must be between 1 and 36500 days, got 0 days/);
    });
  });
});

describe('AuditAccountStack with DataProtectionAccounts.memberOrganizationalUnitPaths', () => {
  const PATHS = ['o-exampleorg1/r-ab12/ou-ab12-11111111/*', 'o-exampleorg1/r-ab12/ou-ab12-11111111/ou-ab12-22222222/'];
  const stack = auditStack({ accounts: { ...ACCOUNTS, memberOrganizationalUnitPaths: PATHS }, organizationTrailAccount: '999999999999' });
  const template = Template.fromStack(stack);
  const busStatements = () => (Object.values(template.findResources('AWS::Events::EventBusPolicy')) as any[]).map((p) => p.Properties.Statement ?? p.Properties);

  test("the security bus admits the OUs' accounts: principal '*' only with aws:PrincipalOrgPaths and aws:PrincipalOrgID", () => {
    const member = busStatements().find((s) => s.Sid === 'cdk-MemberAccountsPutEvents');
    expect(member).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'events:PutEvents',
      Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': PATHS }, StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
    });
    // Their events reach the topic and the archive: no account filter, the bus policy is the filter.
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: [{ exists: true }], 'detail-type': [{ 'anything-but': ['Scheduled Event'] }] } });
    template.hasResourceProperties('AWS::Events::Archive', { EventPattern: { account: [{ exists: true }] } });
  });

  test('without the field the bus admits the listed accounts only', () => {
    const plain = Template.fromStack(auditStack());
    const sids = (Object.values(plain.findResources('AWS::Events::EventBusPolicy')) as any[]).map((p) => (p.Properties.Statement ?? p.Properties).Sid);
    expect(sids).not.toContain('cdk-MemberAccountsPutEvents');
    expect(JSON.stringify(plain.toJSON())).not.toContain('aws:PrincipalOrgPaths');
  });

  test("member accounts' trails cannot deliver into the archive: an organization trail is required", () => {
    expect(() => auditStack({ accounts: { ...ACCOUNTS, memberOrganizationalUnitPaths: PATHS } })).toThrow(
      /AuditAccountStackProps.organizationTrail \(or organizationTrailAccount\) is required with accounts.memberOrganizationalUnitPaths/,
    );
  });

  test.each([
    [[], /memberOrganizationalUnitPaths must list at least one entity path/],
    [['o-otherorg123/r-ab12/ou-ab12-11111111/*'], /memberOrganizationalUnitPaths\[0\] must start with .*organizationId 'o-exampleorg1\/', got 'o-otherorg123\/r-ab12\/ou-ab12-11111111\/\*'/],
    [['o-exampleorg1/r-ab12/ou-cd34-11111111/*'], /memberOrganizationalUnitPaths\[0\] names 'ou-cd34-11111111', not an OU of root 'r-ab12'/],
    [['o-exampleorg1/r-ab12/ou-ab12-11111111'], /memberOrganizationalUnitPaths\[0\] must be an AWS Organizations entity path .* got 'o-exampleorg1\/r-ab12\/ou-ab12-11111111'/],
    [['o-exampleorg1/r-ab12/ou-ab12-11111111/*/ou-ab12-22222222/'], /must be an AWS Organizations entity path/],
    [[PATHS[0], PATHS[0]], /memberOrganizationalUnitPaths must not repeat a path/],
  ])('bad paths %j are synth errors naming the prop, the value and the expected form', (paths, message) => {
    expect(() => auditStack({ accounts: { ...ACCOUNTS, memberOrganizationalUnitPaths: paths }, organizationTrailAccount: '999999999999' })).toThrow(message);
  });

  test('the paths need the organization id', () => {
    expect(() => auditStack({ accounts: { ...ACCOUNTS, organizationId: undefined, memberOrganizationalUnitPaths: PATHS } })).toThrow(/memberOrganizationalUnitPaths needs AuditAccountStackProps.accounts.organizationId/);
  });

  test("the members' silence alarms in the audit account: an hourly function finds them and counts the silent ones", () => {
    const [[fnId, fn]] = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('member accounts whose forwarding heartbeats stopped') } })) as any[];
    const env = fn.Properties.Environment.Variables;
    expect(JSON.parse(env.ORGANIZATIONAL_UNIT_PATHS)).toEqual(PATHS);
    expect(JSON.parse(env.REGIONS)).toEqual([REGION]);
    expect(JSON.parse(env.EXCLUDED_ACCOUNTS)).toEqual(expect.arrayContaining([ACCOUNTS.keyAccount, ACCOUNTS.backupAccount, DATA_ACCOUNT, AUDIT_ACCOUNT]));
    expect(env).toMatchObject({ SILENCE_HOURS: '3', GRACE_HOURS: '27', HEARTBEAT_NAMESPACE: 'DataProtection/Forwarding', HEARTBEAT_METRIC: 'Heartbeats', METRIC_NAMESPACE: 'DataProtection' });
    // Its log group is encrypted with the audit account's alarm-topic key.
    const logGroupRef = fn.Properties.LoggingConfig.LogGroup.Ref;
    expect(template.toJSON().Resources[logGroupRef].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Alarms/), 'Arn'] });
    // Hourly, by EventBridge Scheduler.
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)', Target: { Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } } });
    // Least privilege: the two List calls on this organization's roots and OUs, GetMetricData, PutMetricData in its namespace only.
    const roleRef = fn.Properties.Role['Fn::GetAtt'][0];
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleRef }] } })) as any[];
    const statements = policy.Properties.PolicyDocument.Statement;
    const sid = (id: string) => statements.find((x: any) => x.Sid === id);
    expect(sid('ListMemberAccounts')).toMatchObject({
      Effect: 'Allow',
      Action: ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
      Resource: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':organizations::*:root/o-exampleorg1/*']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':organizations::*:ou/o-exampleorg1/*']] },
      ],
    });
    expect(sid('ReadHeartbeats')).toMatchObject({ Action: 'cloudwatch:GetMetricData', Resource: '*' });
    expect(sid('PublishSilentMembers')).toMatchObject({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'DataProtection' } } });
    const actions = statements.flatMap((x: any) => [].concat(x.Action));
    expect(actions.sort()).toEqual(
      ['cloudwatch:GetMetricData', 'cloudwatch:PutMetricData', 'logs:CreateLogStream', 'logs:PutLogEvents', 'organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'].sort(),
    );
    // One alarm at >= 1 silent pair, missing data breaching, notifying the audit account's own topic.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^cdk-data-protection: at least one member account of o-exampleorg1 sent no forwarding heartbeat for 3 hours'),
      Namespace: 'DataProtection',
      MetricName: 'SilentMemberAccounts',
      Dimensions: Match.absent(),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
  });

  test('without member paths there is no member-heartbeat monitor', () => {
    const plain = Template.fromStack(auditStack());
    expect(JSON.stringify(plain.toJSON())).not.toContain('SilentMemberAccounts');
    plain.resourcePropertiesCountIs('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('member accounts whose forwarding heartbeats stopped') }, 0);
  });
});

describe('member-heartbeats handler', () => {
  const organizations = mockClient(OrganizationsClient);
  const cloudwatch = mockClient(CloudWatchClient);
  const HOUR = 3_600_000;
  const old = new Date(Date.now() - 400 * 24 * HOUR);
  const account = (Id: string, joined = old, State: string = 'ACTIVE') => ({ Id, State, JoinedTimestamp: joined }) as any;
  /** Heartbeat sums per `<account>/<region>`: absent = no data. */
  let beats: { [pair: string]: number } = {};

  beforeEach(() => {
    organizations.reset();
    cloudwatch.reset();
    beats = {};
    Object.assign(process.env, {
      ORGANIZATIONAL_UNIT_PATHS: JSON.stringify(['o-exampleorg1/r-ab12/ou-ab12-11111111/*']),
      REGIONS: JSON.stringify(['eu-west-1', 'eu-central-1']),
      EXCLUDED_ACCOUNTS: JSON.stringify(['111111111111']),
      SILENCE_HOURS: '3',
      GRACE_HOURS: '27',
      HEARTBEAT_NAMESPACE: 'DataProtection/Forwarding',
      HEARTBEAT_METRIC: 'Heartbeats',
      METRIC_NAMESPACE: 'DataProtection',
    });
    cloudwatch.on(GetMetricDataCommand).callsFake((input: any) => ({
      MetricDataResults: input.MetricDataQueries.map((q: any) => {
        const dims = Object.fromEntries(q.MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value]));
        const sum = beats[`${dims.Account}/${dims.Region}`];
        return { Id: q.Id, Values: sum === undefined ? [] : [sum] };
      }),
    }));
    cloudwatch.on(PutMetricDataCommand).resolves({});
  });
  const published = () => cloudwatch.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData?.[0]);

  test('a silent account/Region is counted; beating pairs, excluded, inactive and new accounts are not', async () => {
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-11111111' }).resolves({
      Accounts: [account('200000000001'), account('200000000002'), account('111111111111'), account('200000000003', old, 'SUSPENDED'), account('200000000004', new Date(Date.now() - 5 * HOUR))],
    });
    organizations.on(ListOrganizationalUnitsForParentCommand).resolves({ OrganizationalUnits: [] });
    beats = { '200000000001/eu-west-1': 3, '200000000001/eu-central-1': 2, '200000000002/eu-west-1': 3 };
    const result = await memberHeartbeats();
    expect(result.accounts).toEqual(['200000000001', '200000000002']);
    expect(result.inGrace).toEqual(['200000000004']);
    expect(result.silent).toEqual(['200000000002/eu-central-1']);
    expect(published()).toEqual([expect.objectContaining({ MetricName: 'SilentMemberAccounts', Value: 1, Unit: 'Count' })]);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)[0].args[0].input.Namespace).toBe('DataProtection');
    // The window is the last SILENCE_HOURS.
    const q = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(q.EndTime!.getTime() - q.StartTime!.getTime()).toBe(3 * HOUR);
  });

  test('an account that joined just outside the grace period is counted', async () => {
    organizations.on(ListAccountsForParentCommand).resolves({ Accounts: [account('200000000005', new Date(Date.now() - 28 * HOUR))] });
    organizations.on(ListOrganizationalUnitsForParentCommand).resolves({});
    const result = await memberHeartbeats();
    expect(result.silent).toEqual(['200000000005/eu-west-1', '200000000005/eu-central-1']);
    expect(published()[0]?.Value).toBe(2);
  });

  test('every page of accounts and child OUs is read, recursively', async () => {
    // The catch-all first: a more specific matcher registered after it takes precedence.
    organizations
      .on(ListOrganizationalUnitsForParentCommand)
      .resolves({ OrganizationalUnits: [] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-11111111', NextToken: undefined })
      .resolves({ Accounts: [account('200000000001')], NextToken: 'a2' })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-11111111', NextToken: 'a2' })
      .resolves({ Accounts: [], NextToken: 'a3' }) // an empty page with a token: keep reading
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-11111111', NextToken: 'a3' })
      .resolves({ Accounts: [account('200000000002')] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-22222222' })
      .resolves({ Accounts: [account('200000000003')] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-33333333' })
      .resolves({ Accounts: [account('200000000004')] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-11111111', NextToken: undefined })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-22222222' }], NextToken: 'o2' })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-11111111', NextToken: 'o2' })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-33333333' }] });
    for (const a of ['200000000001', '200000000002', '200000000003', '200000000004']) beats[`${a}/eu-west-1`] = beats[`${a}/eu-central-1`] = 1;
    beats['200000000004/eu-west-1'] = 0;
    const result = await memberHeartbeats();
    expect(result.accounts).toEqual(['200000000001', '200000000002', '200000000003', '200000000004']);
    expect(result.silent).toEqual(['200000000004/eu-west-1']);
    expect(organizations.commandCalls(ListAccountsForParentCommand)).toHaveLength(5);
  });

  test("a path ending in '/' lists the accounts directly in that OU only", async () => {
    process.env.ORGANIZATIONAL_UNIT_PATHS = JSON.stringify(['o-exampleorg1/r-ab12/ou-ab12-11111111/ou-ab12-22222222/']);
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-22222222' }).resolves({ Accounts: [account('200000000003')] });
    beats = { '200000000003/eu-west-1': 1, '200000000003/eu-central-1': 1 };
    const result = await memberHeartbeats();
    expect(result).toEqual({ accounts: ['200000000003'], inGrace: [], silent: [] });
    expect(organizations.commandCalls(ListOrganizationalUnitsForParentCommand)).toHaveLength(0);
    expect(published()[0]?.Value).toBe(0);
  });

  test('an AWS Organizations or CloudWatch error fails the run and publishes nothing (the alarm breaches on missing data)', async () => {
    organizations.on(ListAccountsForParentCommand).rejects(Object.assign(new Error('You don\'t have permissions to access this resource.'), { name: 'AccessDeniedException' }));
    await expect(memberHeartbeats()).rejects.toThrow(/permissions/);
    expect(published()).toHaveLength(0);
    organizations.reset();
    organizations.on(ListAccountsForParentCommand).resolves({ Accounts: [account('200000000001')] });
    organizations.on(ListOrganizationalUnitsForParentCommand).resolves({});
    cloudwatch.on(GetMetricDataCommand).rejects(new Error('Throttling'));
    await expect(memberHeartbeats()).rejects.toThrow(/Throttling/);
    expect(published()).toHaveLength(0);
  });
});

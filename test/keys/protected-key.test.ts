import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmTopic, CrossAccountKey, DataAccountFallbackKey, KeyAccountStack, KeyConsumerService, keyPolicyFindings, KeyTamperAlarms, ProtectedKey } from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, KEY_ACCOUNT, testStack } from '../helpers';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { handleEvent, KeyLookupEvent, lookupKeyArn, RETRY_DELAYS_SECONDS } from '../../lib/keys/handlers/key-lookup.lambda';

const ALIAS = 'alias/data-protection/test';

function keyPolicies(stack: Stack): Array<{ Statement: any[] }> {
  return Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key')).map((r: any) => r.Properties.KeyPolicy);
}

describe('ProtectedKey', () => {
  test('rotation is on with the default period and a 30-day deletion window, retained on delete', () => {
    const stack = testStack(KEY_ACCOUNT);
    new ProtectedKey(stack, 'Key', { aliasName: ALIAS });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, RotationPeriodInDays: 365, PendingWindowInDays: 30, MultiRegion: false },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: ALIAS });
  });

  test('rotation period is configurable within 90-2560 days', () => {
    const stack = testStack(KEY_ACCOUNT);
    new ProtectedKey(stack, 'Key', { aliasName: ALIAS, rotationPeriod: Duration.days(90), pendingWindow: Duration.days(7) });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', { RotationPeriodInDays: 90, PendingWindowInDays: 7 });
  });

  test('no statement allows a wildcard action or an unconditioned * principal, and admins never use the key', () => {
    const stack = testStack(KEY_ACCOUNT);
    const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
    const user = new iam.Role(stack, 'User', { assumedBy: new iam.AccountRootPrincipal() });
    new ProtectedKey(stack, 'Key', {
      aliasName: ALIAS,
      administrators: [admin],
      users: [user],
      consumers: { accounts: [DATA_ACCOUNT], services: [KeyConsumerService.S3] },
    });
    const [policy] = keyPolicies(stack);
    expect(keyPolicyFindings(stack.resolve(policy))).toEqual([]);
    for (const s of policy.Statement) {
      expect([s.Action].flat()).not.toContain('kms:*');
      expect([s.Action].flat()).not.toContain('*');
    }
    const root = policy.Statement.find((s) => s.Sid === 'AccountRootManagesKey');
    expect(root.Action).not.toContain('kms:Decrypt');
    expect(root.Action).not.toContain('kms:GenerateDataKey');
    const users = policy.Statement.find((s) => s.Sid === 'KeyUsers');
    expect(users.Action).not.toContain('kms:PutKeyPolicy');
    expect(users.Action).toContain('kms:Decrypt');
  });

  test('cross-account use is conditioned on kms:CallerAccount and kms:ViaService', () => {
    const stack = testStack(KEY_ACCOUNT);
    new ProtectedKey(stack, 'Key', { aliasName: ALIAS, consumers: { accounts: [DATA_ACCOUNT], services: [KeyConsumerService.S3, KeyConsumerService.RDS] } });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ConsumerAccountsUseKeyViaServices',
            Condition: { StringEquals: { 'kms:CallerAccount': [DATA_ACCOUNT], 'kms:ViaService': ['s3.eu-west-1.amazonaws.com', 'rds.eu-west-1.amazonaws.com'] } },
          }),
          Match.objectLike({
            Sid: 'ConsumerAccountsGrantToAwsResources',
            Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
            Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          }),
          Match.objectLike({ Sid: 'ConsumerAccountsDescribeKey', Action: 'kms:DescribeKey', Condition: { StringEquals: { 'kms:CallerAccount': [DATA_ACCOUNT] } } }),
        ]),
      },
    });
  });

  test('disable, rotation off, deletion and imported-material deletion are denied to all but break-glass; policy changes to all but break-glass and the deployment roles', () => {
    const stack = testStack(KEY_ACCOUNT);
    new ProtectedKey(stack, 'Key', { aliasName: ALIAS, breakGlassRoleName: 'incident-break-glass', deploymentRoleArns: ['arn:aws:iam::111111111111:role/deployer'] });
    const [policy] = keyPolicies(stack);
    const denies = stack.resolve(policy).Statement.filter((s: any) => s.Effect === 'Deny');
    const breakGlass = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/incident-break-glass']] };
    expect(denies).toEqual([
      {
        Sid: 'DenyKeyTamperingExceptBreakGlass',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:DeleteImportedKeyMaterial', 'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion'],
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass] } },
      },
      {
        // KMS's lockout check: the deploying role must keep PutKeyPolicy, and nothing else.
        Sid: 'DenyKeyPolicyChangesExceptBreakGlassAndDeployment',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:PutKeyPolicy',
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass, 'arn:aws:iam::111111111111:role/deployer'] } },
      },
    ]);
  });

  test('a statement added later that breaks the guarantees fails synthesis', () => {
    const stack = testStack(KEY_ACCOUNT);
    const key = new ProtectedKey(stack, 'Key', { aliasName: ALIAS });
    key.key.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['kms:*'], resources: ['*'] }));
    expect(() => Template.fromStack(stack)).toThrow(/allows the wildcard action 'kms:\*'[\s\S]*allows principal '\*' without conditions/);
  });

  test('grants to a principal that also administers the key fail synthesis', () => {
    const stack = testStack(KEY_ACCOUNT);
    const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
    const key = new ProtectedKey(stack, 'Key', { aliasName: ALIAS, administrators: [admin] });
    key.key.grantDecrypt(admin);
    expect(() => Template.fromStack(stack)).toThrow(/both administers and uses the key/);
  });

  test('service principals are conditioned on the source account', () => {
    const stack = testStack(KEY_ACCOUNT);
    const key = new ProtectedKey(stack, 'Key', { aliasName: ALIAS });
    key.allowServicePrincipal('cloudwatch.amazonaws.com');
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': [{ Ref: 'AWS::AccountId' }] } } }),
        ]),
      },
    });
  });

  test('CloudTrail and CloudWatch Logs of named accounts only', () => {
    const stack = testStack(KEY_ACCOUNT);
    const key = new ProtectedKey(stack, 'Key', { aliasName: ALIAS });
    key.allowCloudTrail([DATA_ACCOUNT]);
    key.allowCloudWatchLogs([DATA_ACCOUNT]);
    const policy = JSON.stringify(stack.resolve(keyPolicies(stack)[0]));
    expect(policy).toContain(`:cloudtrail:*:${DATA_ACCOUNT}:trail/*`);
    expect(policy).toContain(`:logs:eu-west-1:${DATA_ACCOUNT}:log-group:*`);
    expect(keyPolicyFindings(stack.resolve(keyPolicies(stack)[0]))).toEqual([]);
  });

  describe('bad input', () => {
    test.each([
      [{ rotationPeriod: Duration.days(89) }, 'ProtectedKeyProps.rotationPeriod must be between 90 and 2560 days, got 89 days'],
      [{ rotationPeriod: Duration.days(2561) }, 'ProtectedKeyProps.rotationPeriod must be between 90 and 2560 days, got 2561 days'],
      [{ pendingWindow: Duration.days(6) }, 'ProtectedKeyProps.pendingWindow must be between 7 and 30 days, got 6 days'],
      [{ pendingWindow: Duration.days(31) }, 'ProtectedKeyProps.pendingWindow must be between 7 and 30 days, got 31 days'],
      [{ aliasName: 'alias/aws/s3' }, "ProtectedKeyProps.aliasName must match alias/[a-zA-Z0-9/_-]+ and not start with alias/aws/, got 'alias/aws/s3'"],
      [{ aliasName: 'data-key' }, "ProtectedKeyProps.aliasName must match alias/[a-zA-Z0-9/_-]+ and not start with alias/aws/, got 'data-key'"],
      [
        { consumers: { accounts: ['2222'], services: [KeyConsumerService.S3] } },
        "ProtectedKeyProps.consumers.accounts[0] must be a 12-digit AWS account id, got '2222'",
      ],
      [{ consumers: { accounts: [], services: [KeyConsumerService.S3] } }, 'ProtectedKeyProps.consumers.accounts must name at least one 12-digit account id, got an empty list'],
      [{ consumers: { accounts: [DATA_ACCOUNT], services: [] } }, 'ProtectedKeyProps.consumers.services must name at least one service (kms:ViaService), got an empty list'],
      // OU paths: literal entity paths of ProtectedKeyProps.organizationId, validated as the layout's.
      [
        { consumers: { accounts: [DATA_ACCOUNT], services: [KeyConsumerService.S3], organizationalUnitPaths: ['o-a1b2c3d4e5/r-ab12/*'] } },
        'ProtectedKeyProps.consumers.organizationalUnitPaths needs ProtectedKeyProps.organizationId: every path starts with it, got no organizationId',
      ],
      [
        { organizationId: 'o-a1b2c3d4e5', consumers: { accounts: [DATA_ACCOUNT], services: [KeyConsumerService.S3], organizationalUnitPaths: ['o-a1b2c3d4e5*'] } },
        "ProtectedKeyProps.consumers.organizationalUnitPaths[0] must be an AWS Organizations entity path",
      ],
      [
        { organizationId: 'o-a1b2c3d4e5', consumers: { accounts: [DATA_ACCOUNT], services: [KeyConsumerService.S3], organizationalUnitPaths: ['o-zzzzzzzzzz/r-ab12/*'] } },
        "ProtectedKeyProps.consumers.organizationalUnitPaths[0] must start with ProtectedKeyProps.organizationId 'o-a1b2c3d4e5/', got 'o-zzzzzzzzzz/r-ab12/*'",
      ],
      [
        { organizationId: 'o-a1b2c3d4e5', consumers: { accounts: [DATA_ACCOUNT], services: [KeyConsumerService.S3], organizationalUnitPaths: [Lazy.string({ produce: () => 'o-a1b2c3d4e5/r-ab12/*' })] } },
        'ProtectedKeyProps.consumers.organizationalUnitPaths[0] must be a literal entity path',
      ],
    ])('%j is rejected', (props, message) => {
      const stack = testStack(KEY_ACCOUNT);
      expect(() => new ProtectedKey(stack, 'Key', { aliasName: ALIAS, ...props })).toThrow(message);
    });

    test('a principal both administrator and user is rejected', () => {
      const stack = testStack(KEY_ACCOUNT);
      const both = new iam.ArnPrincipal('arn:aws:iam::111111111111:role/ops');
      expect(() => new ProtectedKey(stack, 'Key', { aliasName: ALIAS, administrators: [both], users: [new iam.ArnPrincipal('arn:aws:iam::111111111111:role/ops')] })).toThrow(
        'ProtectedKeyProps: {"AWS":["arn:aws:iam::111111111111:role/ops"]} is listed in both administrators and users; a principal may administer or use a key, not both',
      );
    });

    test('an unknown consumer service endpoint is rejected', () => {
      expect(() => KeyConsumerService.of('S3 Bucket')).toThrow("KeyConsumerService.of: endpoint prefix must match [a-z0-9-]+, got 'S3 Bucket'");
    });
  });
});

describe('CrossAccountKey', () => {
  test('resolves the alias ARN in the key account to the key ARN at deploy time (key-lookup.test.ts covers the provider)', () => {
    const stack = testStack(DATA_ACCOUNT);
    const ref = new CrossAccountKey(stack, 'Key', { keyAccount: KEY_ACCOUNT, aliasName: ALIAS });
    expect(stack.resolve(ref.keyArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^KeyDescribeKey/), 'KeyMetadata.Arn'] });
    Template.fromStack(stack).hasResourceProperties('Custom::DataProtectionKeyLookup', {
      AliasArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:${KEY_ACCOUNT}:alias/data-protection/test`]] },
      Region: 'eu-west-1',
    });
  });

  test.each([
    [{ keyAccount: 'key-account' }, "CrossAccountKeyProps.keyAccount must be a 12-digit AWS account id, got 'key-account'"],
    [{ aliasName: 'data-protection/test' }, "CrossAccountKeyProps.aliasName must start with 'alias/', got 'data-protection/test'"],
  ])('%j is rejected', (props, message) => {
    const stack = testStack(DATA_ACCOUNT);
    expect(() => new CrossAccountKey(stack, 'Key', { keyAccount: KEY_ACCOUNT, aliasName: ALIAS, ...props })).toThrow(message);
  });
});

describe('DataAccountFallbackKey', () => {
  test('the data account can use the key only through its services and cannot manage it', () => {
    const stack = testStack(DATA_ACCOUNT);
    new DataAccountFallbackKey(stack, 'Key', { aliasName: ALIAS, keyAccount: KEY_ACCOUNT, services: [KeyConsumerService.DYNAMODB], reason: 'DynamoDB' });
    const policy = stack.resolve(keyPolicies(stack)[0]);
    expect(policy.Statement.map((s: any) => s.Sid)).not.toContain('AccountRootManagesKey');
    const use = policy.Statement.find((s: any) => s.Sid === 'ConsumerAccountsUseKeyViaServices');
    expect(use.Condition.StringEquals['kms:ViaService']).toEqual(['dynamodb.eu-west-1.amazonaws.com']);
    expect(keyPolicyFindings(policy)).toEqual([]);
  });

  test('only break-glass administers it: no data-account administrator or deployment role holds a management right beyond deploying it', () => {
    const stack = testStack(DATA_ACCOUNT);
    new DataAccountFallbackKey(stack, 'Key', { aliasName: ALIAS, keyAccount: KEY_ACCOUNT, services: [KeyConsumerService.DYNAMODB], reason: 'DynamoDB' });
    const template = Template.fromStack(stack);
    // Created without KMS's lockout check: the creator (the deployment role) cannot re-policy it.
    template.hasResourceProperties('AWS::KMS::Key', { BypassPolicyLockoutSafetyCheck: true });
    const policy = stack.resolve(keyPolicies(stack)[0]);
    const allows = policy.Statement.filter((s: any) => s.Effect === 'Allow');
    const actions = (s: any) => [s.Action].flat() as string[];
    const deployment = ['kms:CreateAlias', 'kms:DescribeKey', 'kms:EnableKeyRotation', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags', 'kms:TagResource', 'kms:UntagResource', 'kms:UpdateKeyDescription'];
    const destructive = ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:DeleteImportedKeyMaterial', 'kms:UpdateAlias', 'kms:DeleteAlias', 'kms:CancelKeyDeletion'];
    // The deployment role: exactly what CloudFormation needs to create and re-deploy the key.
    const deployer = allows.filter((s: any) => JSON.stringify(s.Principal).includes('cdk-hnb659fds-cfn-exec-role'));
    expect(deployer.map((s: any) => s.Sid)).toEqual(['DeploymentRolesDeployKey']);
    expect(actions(deployer[0]).sort()).toEqual(deployment);
    // Every Allow naming a management action is break-glass's (root narrowed to the role) or the deployer's.
    for (const s of allows) {
      const grantsManagement = actions(s).some((a) => destructive.includes(a));
      if (!grantsManagement) continue;
      expect(s.Sid).toBe('BreakGlassAdministersKey');
      expect(JSON.stringify(s.Condition.ArnEquals['aws:PrincipalArn'])).toContain('role/data-protection-break-glass');
    }
    // The key account's admin role only reads (KMS refuses management calls across accounts).
    const observer = policy.Statement.find((s: any) => s.Sid === 'KeyAccountObservesKey');
    expect(JSON.stringify(observer.Principal)).toContain(`:iam::${KEY_ACCOUNT}:role/data-protection-key-admin`);
    expect(actions(observer).sort()).toEqual(['kms:DescribeKey', 'kms:GetKeyRotationStatus', 'kms:ListGrants']);
    // Every management action but deployment's is denied to all but break-glass, PutKeyPolicy included.
    const denied = policy.Statement.filter((s: any) => s.Effect === 'Deny' && s.Sid !== 'DenyGrantsNotForAwsResourcesExceptBreakGlass');
    for (const s of denied) expect(JSON.stringify(s.Condition.ArnNotLike['aws:PrincipalArn'])).not.toContain('cfn-exec-role');
    const deniedActions = denied.flatMap(actions);
    for (const a of destructive) expect(deniedActions).toContain(a);
    for (const a of deployment) expect(deniedActions).not.toContain(a);
    const grants = policy.Statement.find((s: any) => s.Sid === 'DenyGrantsNotForAwsResourcesExceptBreakGlass');
    expect(grants).toMatchObject({ Effect: 'Deny', Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } } });
  });

  test('an ordinary ProtectedKey keeps the lockout check and its deployment role keeps PutKeyPolicy', () => {
    const stack = testStack(KEY_ACCOUNT);
    new ProtectedKey(stack, 'Key', { aliasName: ALIAS });
    expect(Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0].Properties.BypassPolicyLockoutSafetyCheck).toBeUndefined();
  });
});

describe('AlarmTopic and KeyTamperAlarms', () => {
  test('the topic is encrypted with a protected key, TLS-only, and tampering events notify it', () => {
    const stack = testStack(KEY_ACCOUNT);
    const topic = new AlarmTopic(stack, 'Alarms', { emailSubscribers: ['security@example.com'] });
    new KeyTamperAlarms(stack, 'Tamper', { topic: topic.topic });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue(), TopicName: 'data-protection-alarms' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'security@example.com' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.kms'],
        detail: { eventName: Match.arrayWith(['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'DeleteAlias']) },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('AlarmsTopic') } })],
    });
    // CloudWatch alarms and EventBridge (for this topic's encryption context only) can use the topic's key.
    const policy = stack.resolve(keyPolicies(stack)[0]);
    expect(policy.Statement.map((s: any) => s.Principal.Service).filter(Boolean)).toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
    expect(policy.Statement.find((s: any) => s.Principal.Service === 'events.amazonaws.com')).toEqual({
      Sid: 'EventBridgeEncryptsForAlarmTopic',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:111111111111:data-protection-alarms']] } } },
    });
    expect(keyPolicyFindings(policy)).toEqual([]);
    // EventBridge publishes without a role (AWS advises against RoleArn on SNS targets), admitted by the rule's ARN.
    const [ruleId, rule] = Object.entries(template.findResources('AWS::Events::Rule'))[0];
    expect(rule.Properties.Targets[0].RoleArn).toBeUndefined();
    template.resourceCountIs('AWS::IAM::Role', 0);
    const topicPolicy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument;
    expect(topicPolicy.Statement.find((s: any) => s.Sid === 'EventBridgeRulesPublish')).toEqual({
      Sid: 'EventBridgeRulesPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: expect.stringMatching(/^AlarmsTopic/) },
      Condition: { ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': [ruleId, 'Arn'] }] } },
    });
  });

  test('a rule of another stack is admitted by the account and region\'s rule ARNs, so the two stacks do not depend on each other', () => {
    const stack = testStack(KEY_ACCOUNT);
    const topic = new AlarmTopic(stack, 'Alarms', { emailSubscribers: ['security@example.com'] });
    const other = new Stack(stack.node.scope as Construct, 'Other', { env: { account: KEY_ACCOUNT, region: 'eu-west-1' } });
    new KeyTamperAlarms(other, 'Tamper', { topic: topic.topic });
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument;
    expect(policy.Statement.map((s: any) => s.Sid)).not.toContain('EventBridgeRulesPublish');
    expect(policy.Statement.find((s: any) => s.Sid === 'EventBridgeRulesOfOtherStacksPublish')).toEqual({
      Sid: 'EventBridgeRulesOfOtherStacksPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: expect.stringMatching(/^AlarmsTopic/) },
      Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:111111111111:rule/*']] } } },
    });
    expect(other.dependencies).toEqual([stack]);
    expect(stack.dependencies).toEqual([]);
  });

  test('an imported topic, whose policy the app cannot extend, fails synth instead of silently dropping alarms', () => {
    const stack = testStack(KEY_ACCOUNT);
    const imported = sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:eu-west-1:111111111111:elsewhere');
    expect(() => new KeyTamperAlarms(stack, 'Tamper', { topic: imported })).toThrow(
      "alarmTopicTarget: Test/Imported is an imported topic whose policy this app cannot change: EventBridge could not publish to it; use the topic of an AlarmTopic in this stack",
    );
  });
});

describe('data perimeter on keys (issue 19, item 6)', () => {
  const perimeter = (t: Template) =>
    Object.values<any>(t.findResources('AWS::KMS::Key')).map((k) => k.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'DataPerimeterDenyPrincipalsOutsideOrganization'));

  test('with an organization id, every KMS action is denied to principals outside it, AWS service principals excepted', () => {
    const stack = new Stack(new App(), 'K', { env: { account: KEY_ACCOUNT, region: 'eu-west-1' } });
    new ProtectedKey(stack, 'Key', { aliasName: 'alias/data-protection/test', organizationId: 'o-a1b2c3d4e5' });
    expect(perimeter(Template.fromStack(stack))).toEqual([
      {
        Sid: 'DataPerimeterDenyPrincipalsOutsideOrganization',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:*',
        Resource: '*',
        Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
      },
    ]);
  });

  test('the key account applies it to every key it holds for data, backups, audit and evidence when the layout names an organization; without one there is none', () => {
    const keysOf = (accounts: any) => {
      const t = Template.fromStack(new KeyAccountStack(new App(), 'Keys', { accounts, env: { account: KEY_ACCOUNT, region: 'eu-west-1' } }));
      return Object.values<any>(t.findResources('AWS::KMS::Key')).map((k) => ({
        alarmKey: String(k.Properties.Description).includes('data-protection-alarms'),
        perimeter: k.Properties.KeyPolicy.Statement.some((st: any) => st.Sid === 'DataPerimeterDenyPrincipalsOutsideOrganization'),
      }));
    };
    const withOrg = keysOf({ ...ACCOUNTS, organizationId: 'o-exampleorg1' });
    // Six keys (three data levels, backup, audit, evidence) carry it; the alarm topic's key, used by AWS services only, does not.
    expect(withOrg.filter((k) => k.perimeter)).toHaveLength(6);
    expect(withOrg.filter((k) => !k.perimeter)).toEqual([{ alarmKey: true, perimeter: false }]);
    expect(keysOf(ACCOUNTS).some((k) => k.perimeter)).toBe(false);
  });
});

// =============================================================================================
// The key lookup (one file with the protected key above: one module load).
{
  const ALIAS_ARN = `arn:aws:kms:eu-west-1:${KEY_ACCOUNT}:alias/data-protection/data-confidential`;
  const KEY_ARN = `arn:aws:kms:eu-west-1:${KEY_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

  function kmsError(name: string): Error {
    return Object.assign(new Error(`${name} from KMS`), { name, $metadata: {} });
  }

  describe('Custom::DataProtectionKeyLookup template (defect 3: no dependency on alias authorization)', () => {
    // One app for the file: three lookups in two regions share one provider.
    const stack = testStack(DATA_ACCOUNT);
    new CrossAccountKey(stack, 'Confidential', { keyAccount: KEY_ACCOUNT, aliasName: 'alias/data-protection/data-confidential' });
    new CrossAccountKey(stack, 'Audit', { keyAccount: KEY_ACCOUNT, aliasName: 'alias/data-protection/audit' });
    new CrossAccountKey(stack, 'Primary', { keyAccount: KEY_ACCOUNT, aliasName: 'alias/data-protection/backup', region: 'eu-central-1' });
    const template = Template.fromStack(stack);
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('DataProtectionKeyLookupProvider'))!;
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId)) as any;
    const statements: any[] = policy.Properties.PolicyDocument.Statement;

    test('one provider function per stack, no AwsCustomResource, one custom resource per key', () => {
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.resourceCountIs('Custom::AWS', 0);
      template.resourceCountIs('Custom::DataProtectionKeyLookup', 3);
      template.hasResource('Custom::DataProtectionKeyLookup', { Properties: { ServiceTimeout: String(Duration.minutes(15).toSeconds()), Region: 'eu-central-1' } });
      template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Timeout: 600 });
    });

    test('the role may describe keys of the key account only, with no kms:ResourceAliases (or any) condition, and write only its log group', () => {
      const describe = statements.find((s) => s.Sid === 'DescribeKeyAccountKeys');
      expect(describe).toEqual({
        Sid: 'DescribeKeyAccountKeys',
        Effect: 'Allow',
        Action: 'kms:DescribeKey',
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:${KEY_ACCOUNT}:key/*`]] },
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-central-1:${KEY_ACCOUNT}:key/*`]] },
        ],
      });
      expect(JSON.stringify(statements)).not.toContain('kms:ResourceAliases');
      expect(statements.map((s) => s.Sid).sort()).toEqual(['DescribeKeyAccountKeys', 'WriteOwnLogsOnly']);
      expect(statements.find((s) => s.Sid === 'WriteOwnLogsOnly').Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    });
  });

  describe('key-lookup handler: bounded retry with backoff', () => {
    const kms = mockClient(KMSClient);
    beforeEach(() => kms.reset());

    test('retries NotFound and AccessDenied (propagation), then returns the key ARN', async () => {
      kms.on(DescribeKeyCommand, { KeyId: ALIAS_ARN })
        .rejectsOnce(kmsError('NotFoundException'))
        .rejectsOnce(kmsError('AccessDeniedException'))
        .resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN } });
      const waits: number[] = [];
      const arn = await lookupKeyArn(ALIAS_ARN, 'eu-west-1', { client: new KMSClient({ region: 'eu-west-1' }), sleep: async (ms) => void waits.push(ms), log: () => undefined });
      expect(arn).toBe(KEY_ARN);
      expect(waits).toEqual([5000, 10000]);
    });

    test('gives up after the documented schedule (more than the five minutes KMS gives alias and tag changes)', async () => {
      kms.on(DescribeKeyCommand).rejects(kmsError('NotFoundException'));
      const waits: number[] = [];
      await expect(lookupKeyArn(ALIAS_ARN, 'eu-west-1', { client: new KMSClient({ region: 'eu-west-1' }), sleep: async (ms) => void waits.push(ms), log: () => undefined })).rejects.toThrow(
        `DescribeKey(${ALIAS_ARN}) still failed after 10 attempts over 375 s: NotFoundException: NotFoundException from KMS. Deploy the key account stack first`,
      );
      expect(waits).toEqual(RETRY_DELAYS_SECONDS.map((s) => s * 1000));
      expect(RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0)).toBeGreaterThan(300);
      expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(RETRY_DELAYS_SECONDS.length + 1);
    });

    test('other errors fail at once', async () => {
      kms.on(DescribeKeyCommand).rejects(kmsError('InvalidArnException'));
      const sleep = jest.fn(async () => undefined);
      await expect(lookupKeyArn(ALIAS_ARN, 'eu-west-1', { client: new KMSClient({ region: 'eu-west-1' }), sleep, log: () => undefined })).rejects.toThrow('InvalidArnException from KMS');
      expect(sleep).not.toHaveBeenCalled();
    });

    describe('answers CloudFormation on every path', () => {
      let server: http.Server;
      let url: string;
      const bodies: any[] = [];
      beforeAll(async () => {
        server = http.createServer((req, res) => {
          let data = '';
          req.on('data', (c) => (data += c));
          req.on('end', () => {
            bodies.push({ method: req.method, ...JSON.parse(data) });
            res.end();
          });
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
      });
      afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
      beforeEach(() => (bodies.length = 0));

      const event = (RequestType: KeyLookupEvent['RequestType']): KeyLookupEvent => ({
        RequestType,
        ResponseURL: url,
        StackId: 'stack',
        RequestId: 'req',
        LogicalResourceId: 'KeyDescribeKey',
        ResourceProperties: { AliasArn: ALIAS_ARN, Region: 'eu-west-1' },
      });
      const deps = () => ({ client: new KMSClient({ region: 'eu-west-1' }), sleep: async () => undefined, log: () => undefined });

      test('Create: SUCCESS with KeyMetadata.Arn, physical id the alias ARN', async () => {
        kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN } });
        await handleEvent(event('Create'), deps());
        expect(bodies).toEqual([
          { method: 'PUT', Status: 'SUCCESS', StackId: 'stack', RequestId: 'req', LogicalResourceId: 'KeyDescribeKey', PhysicalResourceId: ALIAS_ARN, Data: { 'KeyMetadata.Arn': KEY_ARN } },
        ]);
      });

      test('a lookup that fails answers FAILED with the error name and message (the deployment fails instead of hanging)', async () => {
        kms.on(DescribeKeyCommand).rejects(kmsError('AccessDeniedException'));
        await handleEvent(event('Update'), { ...deps(), delaysSeconds: [1] });
        expect(bodies).toHaveLength(1);
        expect(bodies[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: ALIAS_ARN });
        expect(bodies[0].Reason).toMatch(/^Error: DescribeKey\(.+\) still failed after 2 attempts over 1 s: AccessDeniedException/);
      });

      test('Delete: SUCCESS without calling KMS', async () => {
        await handleEvent({ ...event('Delete'), PhysicalResourceId: ALIAS_ARN }, deps());
        expect(bodies).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: ALIAS_ARN })]);
        expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(0);
      });
    });
  });
}

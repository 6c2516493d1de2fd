import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmTopic, CrossAccountKey, DataAccountFallbackKey, KeyAccountStack, KeyConsumerService, keyPolicyFindings, KeyTamperAlarms, ProtectedKey } from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, KEY_ACCOUNT, testStack } from '../helpers';

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

import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AlarmTopic, CrossAccountKey, DataAccountFallbackKey, KeyConsumerService, keyPolicyFindings, KeyTamperAlarms, ProtectedKey } from '../lib';
import { DATA_ACCOUNT, KEY_ACCOUNT, testStack } from '../helpers';

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

  test('disable, deletion and policy change are denied to all but the break-glass and deployment roles', () => {
    const stack = testStack(KEY_ACCOUNT);
    new ProtectedKey(stack, 'Key', { aliasName: ALIAS, breakGlassRoleName: 'incident-break-glass' });
    const [policy] = keyPolicies(stack);
    const deny = stack.resolve(policy).Statement.find((s: any) => s.Effect === 'Deny');
    expect(deny.Action).toEqual(expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy', 'kms:DisableKeyRotation']));
    expect(deny.Principal).toEqual({ AWS: '*' });
    const exempt = JSON.stringify(deny.Condition.ArnNotLike['aws:PrincipalArn']);
    expect(exempt).toContain(':iam::111111111111:role/incident-break-glass');
    expect(exempt).toContain('cdk-hnb659fds-cfn-exec-role-');
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
    key.allowServicePrincipal('events.amazonaws.com');
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': [{ Ref: 'AWS::AccountId' }] } } }),
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
  test('resolves the alias ARN in the key account to the key ARN at deploy time, with DescribeKey on that alias only', () => {
    const stack = testStack(DATA_ACCOUNT);
    const ref = new CrossAccountKey(stack, 'Key', { keyAccount: KEY_ACCOUNT, aliasName: ALIAS });
    expect(stack.resolve(ref.keyArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^KeyDescribeKey/), 'KeyMetadata.Arn'] });
    const template = Template.fromStack(stack);
    const create = JSON.stringify(stack.resolve(Object.values(template.findResources('Custom::AWS'))[0]));
    expect(create).toMatch(/\\"action\\":\\"describeKey\\"/);
    expect(create).toContain(`:kms:eu-west-1:${KEY_ACCOUNT}:alias/data-protection/test`);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'kms:DescribeKey',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:${KEY_ACCOUNT}:key/*`]] },
            Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [ALIAS] } },
          },
        ],
      },
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
    const admins = JSON.stringify(policy.Statement.find((s: any) => s.Sid === 'KeyAdministrators').Principal);
    expect(admins).toContain(`:iam::${KEY_ACCOUNT}:role/data-protection-key-admin`);
    expect(admins).toContain('cdk-hnb659fds-cfn-exec-role');
    const use = policy.Statement.find((s: any) => s.Sid === 'ConsumerAccountsUseKeyViaServices');
    expect(use.Condition.StringEquals['kms:ViaService']).toEqual(['dynamodb.eu-west-1.amazonaws.com']);
    expect(keyPolicyFindings(policy)).toEqual([]);
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
    // CloudWatch alarms can publish to the encrypted topic.
    const policy = stack.resolve(keyPolicies(stack)[0]);
    expect(policy.Statement.map((s: any) => s.Principal.Service).filter(Boolean)).toEqual(['cloudwatch.amazonaws.com']);
    expect(keyPolicyFindings(policy)).toEqual([]);
    // EventBridge publishes through a role, never as an unconditioned service principal.
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ RoleArn: Match.anyValue() })] });
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).not.toContain('events.amazonaws.com');
  });
});

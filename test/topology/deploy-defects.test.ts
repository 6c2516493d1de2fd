// Issue 15 ("Deploy-ready"), defects 1, 2, 5, 6 and 9: one test per defect, asserting the corrected
// templates of the reference app (synthesized once for the file).
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildReferenceApp } from '../../bin/app';
import {
  AuditNames,
  BACKUP_AUDIT_RECORDED_TYPES,
  BACKUP_CONTROLS,
  DataAccountStack,
  KEY_DESTRUCTIVE_ACTIONS,
  LOCKED_VAULT_TAG,
  METADATA,
  VAULT_DESTRUCTIVE_ACTIONS,
  VAULT_POLICY_ACTIONS,
  VAULT_TAMPER_EVENT_NAMES,
} from '../lib';
import { ACCOUNTS, DATA_ACCOUNT, referenceContext } from '../helpers';

const app = new App({ context: referenceContext() });
const ref = buildReferenceApp(app);
const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
const templates = new Map(stacks.map((s) => [s, Template.fromStack(s).toJSON()]));
const json = (s: Stack) => templates.get(s)! as { Resources: Record<string, any> };
const resources = (s: Stack, type: string) => Object.entries(json(s).Resources).filter(([, r]) => r.Type === type) as Array<[string, any]>;
const statement = (doc: any, sid: string) => doc.Statement.find((x: any) => x.Sid === sid);
const str = (s: Stack, v: unknown) => JSON.stringify(s.resolve(v));

const REPORTS_ROLE = ':role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports';
const CFN_EXEC = 'cdk-hnb659fds-cfn-exec-role-';

describe('issue 15: the reference app as AWS documents it', () => {
  test('defect 1: the report bucket and its key name the reports role only after a framework created it, and the key is one the role can use', () => {
    const data = ref.data;
    const frameworks = resources(data, 'AWS::Backup::Framework').map(([id]) => id).sort();
    expect(frameworks.length).toBeGreaterThanOrEqual(2);
    const [policyId, policy] = resources(data, 'AWS::S3::BucketPolicy').find(([, p]) => statement(p.Properties.PolicyDocument, 'BackupAuditManagerDeliversReports'))!;
    const deliver = statement(policy.Properties.PolicyDocument, 'BackupAuditManagerDeliversReports');
    expect({ action: deliver.Action, effect: deliver.Effect }).toEqual({ action: 's3:PutObject', effect: 'Allow' });
    expect(str(data, deliver.Principal)).toContain(REPORTS_ROLE);
    expect([...policy.DependsOn].sort()).toEqual(frameworks);

    // The bucket is encrypted with a key of the data account (a fallback key), whose policy names the role.
    const bucketId = policy.Properties.Bucket.Ref;
    const keyId = json(data).Resources[bucketId].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0];
    const key = json(data).Resources[keyId];
    expect(key.Type).toBe('AWS::KMS::Key');
    expect([...key.DependsOn].sort()).toEqual(frameworks);
    const encrypt = statement(key.Properties.KeyPolicy, 'BackupAuditManagerEncryptsReports');
    expect(encrypt.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(str(data, encrypt.Principal)).toContain(REPORTS_ROLE);
    expect(encrypt.Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } });
    // The key account's evidence key is no longer used for the reports.
    expect(str(data, key)).not.toMatch(/EvidenceKey(DescribeKey|SharedLookup)/);
    for (const [, plan] of resources(data, 'AWS::Backup::ReportPlan')) expect(plan.DependsOn).toEqual(expect.arrayContaining([policyId, keyId]));
  });

  test('defect 2: CloudTrail may describe the audit key (no encryption-context condition), decrypt for the S3 Bucket Key, and encrypt, each for the named accounts\' trails', () => {
    const keys = ref.keys;
    const [, auditKey] = resources(keys, 'AWS::KMS::Key').find(([id]) => id.startsWith('AuditKey'))!;
    const policy = auditKey.Properties.KeyPolicy;
    const trails = (accounts: string[]) => accounts.map((a) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:*:${a}:trail/*`]] }));
    const expected = trails([DATA_ACCOUNT, ACCOUNTS.keyAccount, ACCOUNTS.backupAccount]);
    const cloudtrail = policy.Statement.filter((x: any) => x.Principal?.Service === 'cloudtrail.amazonaws.com');
    expect(cloudtrail.map((x: any) => [x.Sid, x.Action])).toEqual([
      ['CloudTrailEncryptsLogs', 'kms:GenerateDataKey*'],
      ['CloudTrailDescribesKey', 'kms:DescribeKey'],
      ['CloudTrailDecryptsForBucketKey', 'kms:Decrypt'],
    ]);
    expect(statement(policy, 'CloudTrailEncryptsLogs').Condition).toEqual({ StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': expected, 'aws:SourceArn': expected } });
    // DescribeKey requests carry no encryption context: a kms:EncryptionContext condition would void the grant.
    expect(statement(policy, 'CloudTrailDescribesKey').Condition).toEqual({ StringLike: { 'aws:SourceArn': expected } });
    expect(statement(policy, 'CloudTrailDecryptsForBucketKey').Condition).toEqual({ StringLike: { 'aws:SourceArn': expected } });
  });

  test('defect 5: the key and backup accounts log management events with one multi-region trail each, alarm on key, vault and trail tampering in every region, and EventBridge publishes without a role', () => {
    // One trail per account, in the primary-region stack, covering the DR region too.
    for (const stack of [ref.keys, ref.backup]) {
      const trails = resources(stack, 'AWS::CloudTrail::Trail');
      expect(trails).toHaveLength(1);
      const [trailId, trail] = trails[0];
      expect(trail.Properties).toMatchObject({
        TrailName: AuditNames.MANAGEMENT_TRAIL_NAME,
        IsLogging: true,
        IsMultiRegionTrail: true,
        EnableLogFileValidation: true,
        AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }],
      });
      expect(str(stack, trail.Properties.KMSKeyId)).toMatch(stack === ref.keys ? /AuditKey[A-Z0-9]+","Arn"/ : /AuditKeyDescribeKey/);
      const bucket = json(stack).Resources[trail.Properties.S3BucketName.Ref];
      expect(bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 400 });
      const [policyId, policy] = resources(stack, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === trail.Properties.S3BucketName.Ref)!;
      expect(trail.DependsOn).toContain(policyId);
      const write = statement(policy.Properties.PolicyDocument, 'CloudTrailWrite');
      expect(write.Condition.StringEquals['aws:SourceArn']).toEqual(statement(policy.Properties.PolicyDocument, 'CloudTrailAclCheck').Condition.StringEquals['aws:SourceArn']);
      expect(str(stack, write.Condition.StringEquals['aws:SourceArn'])).toContain(`:trail/${AuditNames.MANAGEMENT_TRAIL_NAME}`);
      expect(trailId).toMatch(/^ManagementEventsTrail/);
    }
    for (const stack of [ref.keysDr!, ref.backupDr!, ref.audit]) expect(resources(stack, 'AWS::CloudTrail::Trail')).toHaveLength(0);
    // The data account's own trail records management events already: no second trail there.
    expect(resources(ref.data, 'AWS::CloudTrail::Trail').map(([id]) => id)).toEqual([expect.stringMatching(/^DataAccessTrail/)]);

    const patterns = (stack: Stack) => resources(stack, 'AWS::Events::Rule').map(([, r]) => r.Properties.EventPattern);
    const kmsRule = { source: ['aws.kms'], 'detail-type': ['AWS API Call via CloudTrail'] };
    for (const stack of [ref.keys, ref.keysDr!, ref.backup, ref.backupDr!]) expect(patterns(stack)).toContainEqual(expect.objectContaining(kmsRule));
    for (const stack of [ref.backup, ref.backupDr!]) {
      expect(patterns(stack)).toContainEqual({ source: ['aws.backup'], 'detail-type': ['AWS API Call via CloudTrail'], detail: { eventSource: ['backup.amazonaws.com'], eventName: VAULT_TAMPER_EVENT_NAMES } });
    }
    expect(VAULT_TAMPER_EVENT_NAMES).toEqual([...VAULT_DESTRUCTIVE_ACTIONS, ...VAULT_POLICY_ACTIONS].map((a) => a.slice('backup:'.length)).sort());
    for (const stack of [ref.keys, ref.backup]) {
      expect(patterns(stack)).toContainEqual({
        source: ['aws.cloudtrail'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['cloudtrail.amazonaws.com'], eventName: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'] },
      });
    }

    // Every rule of every stack targets its alarm topic without a role; the topic admits exactly
    // those rules, and the topic's key lets EventBridge encrypt for that topic only.
    for (const stack of stacks) {
      const rules = resources(stack, 'AWS::Events::Rule');
      // ... except the second target of each: the audit account's security event bus, which takes a role.
      const forwardRoles = new Set<string>();
      for (const [, rule] of rules) {
        for (const target of rule.Properties.Targets) {
          if (JSON.stringify(target.Arn).includes(':event-bus/data-protection-security-events')) forwardRoles.add(target.RoleArn['Fn::GetAtt'][0]);
          else expect(target.RoleArn).toBeUndefined();
        }
      }
      for (const [id, role] of resources(stack, 'AWS::IAM::Role')) {
        if (!forwardRoles.has(id)) expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).not.toContain('events.amazonaws.com');
      }
      if (rules.length === 0) continue;
      const [, topicPolicy] = resources(stack, 'AWS::SNS::TopicPolicy')[0];
      const publish = statement(topicPolicy.Properties.PolicyDocument, 'EventBridgeRulesPublish');
      expect({ stack: stack.stackName, principal: publish.Principal, action: publish.Action }).toEqual({ stack: stack.stackName, principal: { Service: 'events.amazonaws.com' }, action: 'sns:Publish' });
      // The rules that publish to the topic (the drill's restore-job rule invokes its function instead).
      const topicIds = resources(stack, 'AWS::SNS::Topic').map(([id]) => id);
      const publishing = rules.filter(([, rule]) => rule.Properties.Targets.some((t: any) => topicIds.includes(t.Arn?.Ref)));
      expect(publishing.length).toBeGreaterThan(0);
      expect(publish.Condition.ArnEquals['aws:SourceArn']).toEqual(publishing.map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
      const eventsStatements = resources(stack, 'AWS::KMS::Key').flatMap(([, k]) => k.Properties.KeyPolicy.Statement).filter((x: any) => x.Principal?.Service === 'events.amazonaws.com');
      expect(eventsStatements).toEqual([
        {
          Sid: 'EventBridgeEncryptsForAlarmTopic',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          // aws:SourceArn / aws:SourceAccount are not supported for EventBridge-to-encrypted topics.
          Condition: { StringEquals: { 'kms:EncryptionContext:aws:sns:topicArn': `arn:aws:sns:${stack.region}:${stack.account}:data-protection-alarms` } },
        },
      ]);
    }
  });

  test('defect 6: the account-wide data stack records what Backup Audit Manager evaluates, and manual deletion is evaluated on the locked vaults', () => {
    const data = ref.data;
    const [recorderId, recorder] = resources(data, 'AWS::Config::ConfigurationRecorder')[0];
    expect(recorder.Properties.RecordingGroup).toEqual({
      AllSupported: false,
      IncludeGlobalResourceTypes: false,
      ResourceTypes: BACKUP_AUDIT_RECORDED_TYPES,
      RecordingStrategy: { UseOnly: 'INCLUSION_BY_RESOURCE_TYPES' },
    });
    expect(BACKUP_AUDIT_RECORDED_TYPES).toEqual(expect.arrayContaining(['AWS::Backup::BackupPlan', 'AWS::Backup::BackupSelection', 'AWS::Backup::BackupVault', 'AWS::Backup::RecoveryPoint']));
    const role = json(data).Resources[recorder.Properties.RoleARN['Fn::GetAtt'][0]];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'config.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': DATA_ACCOUNT } } },
    ]);
    expect(str(data, role.Properties.ManagedPolicyArns)).toContain(':iam::aws:policy/service-role/AWS_ConfigRole');
    const roleId = recorder.Properties.RoleARN['Fn::GetAtt'][0];
    const [, rolePolicy] = resources(data, 'AWS::IAM::Policy').find(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))!;
    expect(rolePolicy.Properties.PolicyDocument.Statement.map((x: any) => [x.Sid, x.Action, x.Condition])).toEqual([
      ['CheckDeliveryBucket', 's3:GetBucketAcl', undefined],
      ['DeliverConfigurationHistory', ['s3:PutObject', 's3:PutObjectAcl'], { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } }],
      [undefined, ['kms:Decrypt', 'kms:GenerateDataKey'], undefined],
    ]);
    expect(str(data, rolePolicy.Properties.PolicyDocument.Statement[1].Resource)).toContain(`/AWSLogs/${DATA_ACCOUNT}/Config/*`);
    const [, channel] = resources(data, 'AWS::Config::DeliveryChannel')[0];
    expect(channel.DependsOn).toContain(recorderId);
    expect(str(data, channel.Properties.S3KmsKeyArn)).toMatch(/EvidenceKey(DescribeKey|SharedLookup)/);
    const history = json(data).Resources[channel.Properties.S3BucketName.Ref];
    expect(history.Properties.ObjectLockConfiguration.Rule.DefaultRetention.Mode).toBe('COMPLIANCE');
    expect(str(data, history.Properties.BucketEncryption)).toMatch(/EvidenceKey(DescribeKey|SharedLookup)/);

    // The control that evaluates vaults is scoped to a tag the vaults carry.
    const controls = resources(data, 'AWS::Backup::Framework').flatMap(([, f]) => f.Properties.FrameworkControls);
    const manual = controls.filter((c: any) => c.ControlName === BACKUP_CONTROLS.RECOVERY_POINT_MANUAL_DELETION_DISABLED);
    expect(manual.map((c: any) => c.ControlScope)).toEqual([{ Tags: [{ Key: LOCKED_VAULT_TAG, Value: 'true' }] }]);
    for (const stack of [data, ref.backup, ref.backupDr!]) {
      for (const [, vault] of resources(stack, 'AWS::Backup::BackupVault')) expect(vault.Properties.BackupVaultTags).toMatchObject({ [LOCKED_VAULT_TAG]: 'true' });
    }
  });

  test('defect 6: an existing recorder is an explicit, reasoned opt-out shown in the report, and only the account-wide stack may choose it', () => {
    const optOut = new App();
    const stack = new DataAccountStack(optOut, 'Data', { env: { account: DATA_ACCOUNT, region: 'eu-west-1' }, accounts: ACCOUNTS, configRecorder: { existingRecorderReason: 'Control Tower manages the recorder' } });
    stack.protect();
    expect(stack.node.findAll().filter((c) => c.node.id === 'BackupConfigRecorder')).toHaveLength(0);
    expect(stack.node.metadata.filter((m) => m.type === METADATA.OVERRIDE).map((m) => m.data)).toContainEqual({
      prop: 'DataAccountStackProps.configRecorder',
      floor: 'a BackupConfigRecorder in this stack',
      value: 'an existing recorder',
      reason: 'Control Tower manages the recorder',
    });
    expect(() => new DataAccountStack(optOut, 'Second', { env: { account: DATA_ACCOUNT, region: 'eu-west-1' }, accounts: ACCOUNTS, configRecorder: { existingRecorderReason: 'x' } })).toThrow(
      /^DataAccountStackProps.configRecorder applies to the stack that holds the protection set of 222222222222\/eu-west-1, and Second does not \(accountWide is false\)/,
    );
    const blank = new DataAccountStack(new App(), 'Blank', { env: { account: DATA_ACCOUNT, region: 'eu-west-1' }, accounts: ACCOUNTS, configRecorder: { existingRecorderReason: ' ' } });
    expect(() => blank.protect()).toThrow('DataAccountStackProps.configRecorder.existingRecorderReason needs a non-empty reason');
  });

  test('defect 9: no deployment role may disable, un-rotate or delete any key of the app, only change its policy; vaults and buckets keep the same split', () => {
    let keys = 0;
    let fallbacks = 0;
    for (const stack of stacks) {
      for (const [id, key] of resources(stack, 'AWS::KMS::Key')) {
        keys++;
        // The data perimeter (issue 19, item 6) is no tamper deny: asserted in test/keys/protected-key.test.ts.
        const denies = key.Properties.KeyPolicy.Statement.filter((x: any) => x.Effect === 'Deny' && x.Sid !== 'DataPerimeterDenyPrincipalsOutsideOrganization');
        const breakGlass = `arn:aws:iam::${stack.account}:role/data-protection-break-glass`;
        if (key.Properties.BypassPolicyLockoutSafetyCheck === true) {
          // A data account's fallback key: not even the deployment role may change its policy (issue 19, item 4).
          fallbacks++;
          expect(stack.resolve(denies[0])).toMatchObject({ Sid: 'DenyKeyManagementExceptBreakGlass', Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass] } } });
          expect(denies[0].Action).toEqual(expect.arrayContaining([...KEY_DESTRUCTIVE_ACTIONS, 'kms:PutKeyPolicy']));
          expect(JSON.stringify(stack.resolve(denies))).not.toContain(CFN_EXEC);
          continue;
        }
        expect({ id, denies: stack.resolve(denies) }).toEqual({
          id,
          denies: [
            {
              Sid: 'DenyKeyTamperingExceptBreakGlass',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: KEY_DESTRUCTIVE_ACTIONS,
              Resource: '*',
              Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass] } },
            },
            {
              Sid: 'DenyKeyPolicyChangesExceptBreakGlassAndDeployment',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'kms:PutKeyPolicy',
              Resource: '*',
              Condition: { ArnNotLike: { 'aws:PrincipalArn': [breakGlass, expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([`:role/${CFN_EXEC}`])] })] } },
            },
          ],
        });
      }
    }
    // Key account (data, backup, audit, evidence, alarms), its DR replicas, the data account's two fallback keys, every alarm key.
    expect(keys).toBeGreaterThanOrEqual(12);
    expect(fallbacks).toBeGreaterThanOrEqual(1);
    expect(KEY_DESTRUCTIVE_ACTIONS).toEqual(['kms:DeleteImportedKeyMaterial', 'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion']);
    // Replicas carry the same policy (KeyAccountDr) and so do the fallback keys (DataAccount): covered above.
    expect(resources(ref.keysDr!, 'AWS::KMS::ReplicaKey').length).toBeGreaterThan(0);
    for (const [id, replica] of resources(ref.keysDr!, 'AWS::KMS::ReplicaKey')) {
      const denies = replica.Properties.KeyPolicy.Statement.filter((x: any) => x.Effect === 'Deny' && x.Sid !== 'DataPerimeterDenyPrincipalsOutsideOrganization');
      expect({ id, actions: denies.map((d: any) => d.Action), exempt: denies.map((d: any) => JSON.stringify(d.Condition).includes(CFN_EXEC)) }).toEqual({
        id,
        actions: [KEY_DESTRUCTIVE_ACTIONS, 'kms:PutKeyPolicy'],
        exempt: [false, true],
      });
    }

    // Vaults: deletion and lifecycle denied to all but break-glass; deployments keep only the puts CloudFormation makes.
    for (const stack of [ref.data, ref.backup, ref.backupDr!]) {
      for (const [id, vault] of resources(stack, 'AWS::Backup::BackupVault')) {
        const policy = vault.Properties.AccessPolicy;
        const destructive = statement(policy, 'DenyRecoveryPointDeletionExceptBreakGlass');
        expect({ id, actions: destructive.Action, exempt: stack.resolve(destructive.Condition) }).toEqual({
          id,
          actions: VAULT_DESTRUCTIVE_ACTIONS,
          exempt: { ArnNotLike: { 'aws:PrincipalArn': [`arn:aws:iam::${stack.account}:role/data-protection-break-glass`] } },
        });
        expect(statement(policy, 'DenyVaultPolicyChangesExceptBreakGlassAndDeployment').Action).toEqual(VAULT_POLICY_ACTIONS);
      }
    }
    // The library's buckets exempt no deployment role at all; a classified bucket of the user's exempts it
    // only from the configuration deny CloudFormation needs to manage the bucket (issue 19, item 8), whose
    // changes the data-store tamper rule reports.
    for (const stack of stacks) {
      for (const [, policy] of resources(stack, 'AWS::S3::BucketPolicy')) {
        const statements = stack.resolve(policy.Properties.PolicyDocument.Statement) as any[];
        const exempting = statements.filter((x) => JSON.stringify(x).includes(CFN_EXEC)).map((x) => x.Sid);
        expect(exempting.filter((sid) => sid !== 'DenyProtectionChangesExceptDeploymentAndBreakGlass')).toEqual([]);
      }
    }
  });
});

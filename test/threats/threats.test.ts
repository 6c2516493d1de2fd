// Issue 19, "Must show": every row of the attack table in docs/THREATS.md, asserted on the templates
// of the reference app (synthesized once for the file). A row the doc calls "blocked" is checked for
// the statement or lock that blocks it; a "detected" row for the EventBridge rule or CloudWatch alarm
// that reports it AND its way to the audit account's security event bus; "not covered" rows have no
// assertion but must be listed here with the same outcome as in the doc, so the doc cannot drift.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildReferenceApp } from '../../bin/app';
import { ALARM_DESCRIPTION_PREFIX, SECURITY_EVENT_BUS_NAME } from '../../lib/keys/alarm-topic';
import { referenceContext } from '../helpers';

const app = new App({ context: referenceContext() });
const ref = buildReferenceApp(app);
const templates = new Map<Stack, any>();
const tpl = (s: Stack) => {
  if (!templates.has(s)) templates.set(s, Template.fromStack(s).toJSON());
  return templates.get(s);
};
const resources = (s: Stack, type: string): Array<[string, any]> => Object.entries<any>(tpl(s).Resources).filter(([, r]) => r.Type === type);
const str = (v: unknown) => JSON.stringify(v);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const BUS = `:event-bus/${SECURITY_EVENT_BUS_NAME}`;
const AUDIT_BUS = `arn:aws:events:eu-west-1:444444444444${BUS}`;
const BREAK_GLASS = ':role/data-protection-break-glass';
const DEPLOYMENT = ':role/cdk-hnb659fds-cfn-exec-role-';

type Outcome = 'blocked' | 'detected' | 'not covered';
interface Row { readonly outcome: Outcome; readonly check?: () => void }

// ---------------------------------------------------------------- blocks

/** The statement `sid` of a policy document. */
const statement = (doc: any, sid: string) => {
  const s = list(doc.Statement).find((x: any) => x.Sid === sid);
  if (!s) throw new Error(`no statement ${sid} in ${str(doc).slice(0, 300)}`);
  return s as any;
};

/**
 * A Deny to every principal (`*`) of all `actions`, exempting exactly the break-glass role (and the
 * deployment role when `deployment`), by `aws:PrincipalArn`.
 */
function expectDenyAllBut(doc: any, sid: string, actions: string[], deployment = false): void {
  const s = statement(doc, sid);
  expect({ sid, effect: s.Effect, principal: s.Principal }).toEqual({ sid, effect: 'Deny', principal: expect.anything() });
  expect(['*', { AWS: '*' }]).toContainEqual(s.Principal);
  expect(list(s.Action)).toEqual(expect.arrayContaining(actions));
  const exempt = list(s.Condition?.ArnNotLike?.['aws:PrincipalArn']).map(str);
  expect(exempt.filter((e) => e.includes(BREAK_GLASS))).toHaveLength(1);
  expect(exempt.filter((e) => e.includes(DEPLOYMENT))).toHaveLength(deployment ? 1 : 0);
  expect(exempt).toHaveLength(deployment ? 2 : 1);
  // No other condition narrows the deny.
  expect(Object.keys(s.Condition)).toEqual(['ArnNotLike']);
}

const vaults = (s: Stack) => resources(s, 'AWS::Backup::BackupVault').map(([, v]) => v.Properties);
const lockMin = (s: Stack, name: string) => vaults(s).find((v) => v.BackupVaultName === name)?.LockConfiguration?.MinRetentionDays;

/** Every vault of the stack: COMPLIANCE lock (grace time set) and the two access-policy denies. */
function expectLockedVaults(s: Stack, actions: string[], deploymentExempt = false): void {
  expect(vaults(s).length).toBeGreaterThan(0);
  for (const v of vaults(s)) {
    // ChangeableForDays is set only in COMPLIANCE mode (ImmutableBackupVault): after it, nobody, root included, can remove or loosen the lock.
    expect({ vault: v.BackupVaultName, changeableFor: v.LockConfiguration.ChangeableForDays, min: v.LockConfiguration.MinRetentionDays >= 7 }).toEqual({ vault: v.BackupVaultName, changeableFor: 3, min: true });
    const sid = deploymentExempt ? 'DenyVaultPolicyChangesExceptBreakGlassAndDeployment' : 'DenyRecoveryPointDeletionExceptBreakGlass';
    expectDenyAllBut(v.AccessPolicy, sid, actions, deploymentExempt);
  }
}

const keys = (s: Stack) => resources(s, 'AWS::KMS::Key');
const keyPolicy = (s: Stack, idPrefix: string) => {
  const found = keys(s).filter(([id]) => id.startsWith(idPrefix));
  expect(found.length).toBeGreaterThan(0);
  return found.map(([, k]) => k.Properties.KeyPolicy);
};

/** The key account's data, backup, audit and evidence keys (not its alarm topic's key). */
const keyAccountKeys = () => keys(ref.keys).filter(([id]) => !id.startsWith('Alarms'));

/** The classified Documents bucket's policy. */
const documentsPolicy = () => resources(ref.data, 'AWS::S3::BucketPolicy').find(([id]) => id.startsWith('DocumentsPolicy'))![1].Properties.PolicyDocument;

/** A retention-class vault per rule: each plan rule's recovery points land in a vault whose lock minimum is their retention. */
function expectPlanRetentionLocked(): void {
  const rules = resources(ref.data, 'AWS::Backup::BackupPlan').flatMap(([, p]) => p.Properties.BackupPlan.BackupPlanRule);
  expect(rules.length).toBeGreaterThan(0);
  expect(vaults(ref.data).map((v) => v.LockConfiguration.MinRetentionDays).sort((a, b) => a - b)).toEqual([7, 35, 90, 365]);
  for (const r of rules) {
    expect({ rule: r.RuleName, lockMin: lockMin(ref.data, r.TargetBackupVault) }).toEqual({ rule: r.RuleName, lockMin: r.Lifecycle.DeleteAfterDays });
  }
}

/** Every copy action lands in a central vault whose lock minimum is the copy's retention. */
function expectCopiesLocked(): void {
  const copies = resources(ref.data, 'AWS::Backup::BackupPlan').flatMap(([, p]) => p.Properties.BackupPlan.BackupPlanRule.flatMap((r: any) => r.CopyActions ?? []));
  expect(copies.length).toBeGreaterThan(0);
  for (const c of copies) {
    const arn = str(c.DestinationBackupVaultArn);
    const name = /backup-vault:([A-Za-z0-9_-]+)/.exec(arn)![1];
    const stack = arn.includes(':eu-central-1:') ? ref.backupDr! : ref.backup;
    expect({ name, lockMin: lockMin(stack, name) }).toEqual({ name, lockMin: c.Lifecycle.DeleteAfterDays });
  }
}

// ---------------------------------------------------------------- detections

/** Whether a rule forwards to the audit account's security event bus. */
const forwards = (rule: any) => list(rule.Properties.Targets).some((t: any) => str(t.Arn) === str(AUDIT_BUS) && t.RoleArn !== undefined);

/** The `detail` alternatives of a CloudTrail API-call rule. */
const details = (rule: any): any[] => {
  const d = rule.Properties.EventPattern.detail ?? {};
  return d.$or ?? [d];
};

/** Whether `names` (exact, or `{ prefix }`) match `eventName`. */
const namesMatch = (names: any[], eventName: string) => names.some((n) => n === eventName || (typeof n === 'object' && n.prefix !== undefined && eventName.startsWith(n.prefix)));

/**
 * An "AWS API Call via CloudTrail" rule of `s` matching `service`'s `eventName` (and `extra` on the
 * matching alternative), that forwards to the audit account's bus.
 */
function expectWatched(s: Stack, service: string, eventNames: string[], extra: (detail: any) => boolean = () => true): void {
  for (const eventName of eventNames) {
    const match = resources(s, 'AWS::Events::Rule').filter(([, r]) =>
      r.Properties.EventPattern?.['detail-type']?.[0] === 'AWS API Call via CloudTrail' &&
      details(r).some((d) => list(d.eventSource).includes(`${service}.amazonaws.com`) && namesMatch(list(d.eventName), eventName) && extra(d)),
    );
    expect({ stack: s.stackName, service, eventName, rules: match.length > 0 }).toEqual({ stack: s.stackName, service, eventName, rules: true });
    expect({ stack: s.stackName, eventName, forwarded: match.every(([, r]) => forwards(r)) }).toEqual({ stack: s.stackName, eventName, forwarded: true });
    for (const [, r] of match) expect(r.Properties.Description.startsWith(ALARM_DESCRIPTION_PREFIX)).toBe(true);
  }
}

/** The literal start of a string that may be an `Fn::Join`. */
const text = (v: any): string => (typeof v === 'string' ? v : v?.['Fn::Join'] ? v['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : '')).join('') : '');

/** The stack forwards the state changes of its library alarms (description prefix) to the audit bus. */
function expectAlarmsForwarded(s: Stack): void {
  const fwd = resources(s, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern?.['detail-type']?.[0] === 'CloudWatch Alarm State Change');
  expect(fwd).toHaveLength(1);
  expect(fwd[0][1].Properties.EventPattern.detail).toEqual({ configuration: { description: [{ prefix: ALARM_DESCRIPTION_PREFIX }] } });
  expect(forwards(fwd[0][1])).toBe(true);
}

/** A library alarm: forwarded by its description prefix, and notifying the stack's topic. */
function expectLibraryAlarm(alarm: any): void {
  expect(text(alarm.Properties.AlarmDescription).startsWith(ALARM_DESCRIPTION_PREFIX)).toBe(true);
  expect(list(alarm.Properties.AlarmActions).length).toBeGreaterThan(0);
}

/**
 * A metric filter on the data trail's log group whose pattern contains every one of `fragments`,
 * with an alarm on its metric that the stack forwards to the audit account.
 */
function expectFilterAlarm(s: Stack, fragments: string[]): void {
  const filters = resources(s, 'AWS::Logs::MetricFilter').filter(([, f]) => fragments.every((x) => str(f.Properties.FilterPattern).includes(str(x).slice(1, -1))));
  expect({ fragments, filters: filters.length > 0 }).toEqual({ fragments, filters: true });
  for (const [, f] of filters) {
    const { MetricName, MetricNamespace } = f.Properties.MetricTransformations[0];
    const alarms = resources(s, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === MetricName && a.Properties.Namespace === MetricNamespace);
    expect(alarms).toHaveLength(1);
    expectLibraryAlarm(alarms[0][1]);
  }
  expectAlarmsForwarded(s);
}

/** An alarm of `s` whose description contains `fragment`, forwarded to the audit account. */
function expectAlarm(s: Stack, fragment: string, check: (alarm: any) => void = () => undefined): void {
  const alarms = resources(s, 'AWS::CloudWatch::Alarm').filter(([, a]) => str(a.Properties.AlarmDescription).includes(fragment));
  expect({ fragment, alarms: alarms.length > 0 }).toEqual({ fragment, alarms: true });
  for (const [, a] of alarms) {
    expectLibraryAlarm(a);
    check(a);
  }
  if (s === ref.audit) {
    // Already in the audit account: its topic has a subscriber (AuditAccountStackProps.alarmEmails).
    expect(resources(s, 'AWS::SNS::Subscription').length).toBeGreaterThan(0);
    for (const [, a] of alarms) expect(str(a.Properties.AlarmActions)).toContain('AlarmsTopic');
  } else {
    expectAlarmsForwarded(s);
  }
}

const watchedStacks = () => [ref.data, ref.keys, ref.keysDr!, ref.backup, ref.backupDr!];
const MASS_READ = ['GetObject', 'CopyObject', 'UploadPartCopy', 'GetItem', 'Query', 'Scan'];

// ---------------------------------------------------------------- the table

const ROWS: Record<string, Row> = {
  // (A) an administrator of a data account
  A1: { outcome: 'blocked', check: () => expectLockedVaults(ref.data, ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle', 'backup:DisassociateRecoveryPoint']) },
  A2: { outcome: 'blocked', check: () => expectLockedVaults(ref.data, ['backup:DeleteBackupVault', 'backup:DeleteBackupVaultLockConfiguration', 'backup:DeleteBackupVaultAccessPolicy']) },
  A3: { outcome: 'blocked', check: () => expectLockedVaults(ref.data, ['backup:PutBackupVaultAccessPolicy', 'backup:PutBackupVaultLockConfiguration'], true) },
  A4: { outcome: 'blocked', check: expectPlanRetentionLocked },
  A5: {
    outcome: 'detected',
    check: () => {
      expectWatched(ref.data, 'backup', ['UpdateBackupPlan']);
      // ... and, out of the data account's reach, the backup account alarms when its copies stop arriving.
      expectAlarm(ref.backup, 'no copy from account 222222222222', (a) => expect(a.Properties.TreatMissingData).toBe('breaching'));
    },
  },
  A6: { outcome: 'detected', check: () => expectWatched(ref.data, 'backup', ['DeleteBackupSelection', 'UpdateRegionSettings', 'UpdateGlobalSettings']) },
  A7: {
    outcome: 'detected',
    check: () => {
      for (const service of ['dynamodb', 'elasticfilesystem', 'rds', 'tagging']) {
        expectWatched(ref.data, service, service === 'rds' ? ['RemoveTagsFromResource'] : service === 'tagging' ? ['UntagResources'] : ['UntagResource'], (d) =>
          ['data-classification', 'data-protection:backup-plan'].every((k) => list(d.requestParameters?.tagKeys).includes(k)),
        );
      }
      expectWatched(ref.data, 's3', ['PutBucketTagging', 'DeleteBucketTagging']);
    },
  },
  A8: { outcome: 'detected', check: () => expectWatched(ref.data, 'dynamodb', ['UpdateContinuousBackups']) },
  A9: {
    outcome: 'detected',
    check: () => {
      expectWatched(ref.data, 'dynamodb', ['UpdateTable'], (d) => str(d.requestParameters?.deletionProtectionEnabled) === '[false]');
      expectWatched(ref.data, 'dynamodb', ['DeleteTable']);
      expectWatched(ref.data, 'rds', ['ModifyDBCluster', 'ModifyDBInstance'], (d) => str(d.requestParameters?.deletionProtection) === '[false]');
    },
  },
  A10: {
    outcome: 'blocked',
    check: () => expectDenyAllBut(documentsPolicy(), 'DenyProtectionChangesExceptDeploymentAndBreakGlass', ['s3:PutBucketVersioning', 's3:PutLifecycleConfiguration', 's3:PutEncryptionConfiguration', 's3:PutReplicationConfiguration', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'], true),
  },
  A11: {
    outcome: 'blocked',
    check: () => {
      const doc = documentsPolicy();
      const other = statement(doc, 'DenyUploadsUnderAnotherKmsKey');
      expect({ effect: other.Effect, action: other.Action }).toEqual({ effect: 'Deny', action: 's3:PutObject' });
      expect(Object.keys(other.Condition.StringNotEqualsIfExists)).toEqual(['s3:x-amz-server-side-encryption-aws-kms-key-id']);
      expect(statement(doc, 'DenyUploadsWithCustomerProvidedKeys').Condition).toEqual({ Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } });
      expect(statement(doc, 'DenyUploadsWithAnotherEncryptionType').Effect).toBe('Deny');
    },
  },
  A12: { outcome: 'blocked', check: () => expectDenyAllBut(documentsPolicy(), 'DenyPermanentDeletionExceptBreakGlass', ['s3:DeleteObjectVersion']) },
  A13: {
    outcome: 'detected',
    check: () => expectWatched(ref.data, 'dynamodb', ['UpdateTable'], (d) => JSON.stringify(d.requestParameters ?? {}).includes('sSESpecification')),
  },
  A14: {
    outcome: 'blocked',
    check: () => {
      for (const policy of keyPolicy(ref.data, 'DynamoDb')) {
        expectDenyAllBut(policy, 'DenyKeyManagementExceptBreakGlass', ['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:DisableKeyRotation', 'kms:UpdateAlias', 'kms:DeleteAlias']);
        // No data-account administrator administers it: no Allow names the account root without narrowing it to break-glass.
        const root = policy.Statement.filter((s: any) => s.Effect === 'Allow' && str(s.Principal).includes(':iam::222222222222:root') && str(s.Action).includes('kms:PutKeyPolicy'));
        expect(root.map((s: any) => s.Sid)).toEqual(['BreakGlassAdministersKey']);
        expect(str(statement(policy, 'BreakGlassAdministersKey').Condition.ArnEquals)).toContain(BREAK_GLASS);
      }
    },
  },
  A15: {
    outcome: 'blocked',
    check: () => {
      for (const [, k] of keyAccountKeys()) {
        const toData = k.Properties.KeyPolicy.Statement.filter((s: any) => s.Effect === 'Allow' && str(s.Principal).includes('222222222222'));
        expect(toData.length).toBeGreaterThan(0);
        // The data account may use the key and describe it, through AWS services; never manage it.
        for (const s of toData) expect(list(s.Action).filter((a: string) => !['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant', 'kms:GenerateDataKey*'].includes(a))).toEqual([]);
      }
    },
  },
  A16: {
    outcome: 'blocked',
    check: () => {
      for (const policy of keyPolicy(ref.data, 'AlarmsKey')) {
        expectDenyAllBut(policy, 'DenyKeyTamperingExceptBreakGlass', ['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:DisableKeyRotation']);
        expectDenyAllBut(policy, 'DenyKeyPolicyChangesExceptBreakGlassAndDeployment', ['kms:PutKeyPolicy'], true);
      }
    },
  },
  A17: {
    outcome: 'detected',
    check: () => {
      expectWatched(ref.data, 'monitoring', ['DeleteAlarms', 'DisableAlarmActions']);
      expectWatched(ref.data, 'logs', ['DeleteMetricFilter', 'DeleteLogGroup']);
      expectWatched(ref.data, 'sns', ['Unsubscribe', 'SetTopicAttributes', 'DeleteTopic']);
      expectWatched(ref.data, 'events', ['DisableRule', 'DeleteRule', 'RemoveTargets']);
    },
  },
  A18: {
    outcome: 'detected',
    check: () => {
      // Two forwarded rules match DisableRule/DeleteRule/RemoveTargets: switching one off is an event the other reports.
      const watchers = resources(ref.data, 'AWS::Events::Rule').filter(
        ([, r]) => r.Properties.EventPattern?.['detail-type']?.[0] === 'AWS API Call via CloudTrail' && details(r).some((d) => list(d.eventSource).includes('events.amazonaws.com') && namesMatch(list(d.eventName), 'DisableRule')),
      );
      expect(watchers).toHaveLength(2);
      for (const [, r] of watchers) expect(forwards(r)).toBe(true);
      // And whatever breaks the forwarding path silences the account's hourly heartbeat, which alarms in the audit account.
      expectAlarm(ref.audit, 'no heartbeat from account 222222222222 in eu-west-1', (a) => expect(a.Properties.TreatMissingData).toBe('breaching'));
    },
  },
  A19: { outcome: 'detected', check: () => expectAlarm(ref.audit, 'the trail of account 222222222222 delivered nothing', (a) => expect(a.Properties.TreatMissingData).toBe('breaching')) },
  A20: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, ['cloudtrail.amazonaws.com', 'PutEventSelectors', 'StopLogging']) },
  A21: {
    outcome: 'detected',
    check: () => {
      expectWatched(ref.data, 'lambda', ['UpdateFunctionCode20150331v2', 'UpdateFunctionConfiguration20150331v2'], (d) => str(d.requestParameters?.functionName).includes('data-protection-'));
      expectWatched(ref.data, 'states', ['UpdateStateMachine'], (d) => str(d.requestParameters?.stateMachineArn).includes(':stateMachine:data-protection-'));
    },
  },
  A22: {
    outcome: 'blocked',
    check: () => {
      const bucket = resources(ref.data, 'AWS::S3::Bucket').find(([id]) => id.startsWith('RestoreDrillEvidenceBucket') && !id.includes('AccessLogs'))![1];
      expect(bucket.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } });
      expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    },
  },
  A23: {
    outcome: 'detected',
    check: () => {
      // The canary writer runs daily; a restored copy whose canary is missing or changed fails the drill, which alarms.
      expect(resources(ref.data, 'AWS::Scheduler::Schedule').some(([id]) => id.startsWith('RestoreDrillDailyCanary'))).toBe(true);
      expectAlarm(ref.data, 'A restore drill failed');
    },
  },
  A24: { outcome: 'detected', check: () => expectAlarm(ref.data, 'has no successful drill within its interval', (a) => expect(a.Properties.TreatMissingData).toBe('breaching')) },
  A25: {
    outcome: 'detected',
    check: () => {
      // The role exists (nobody can create another of its name) and any IAM change to it alarms from the data trail (all Regions, global events included).
      const role = resources(ref.data, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'data-protection-break-glass')![1];
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ AWS: 'arn:aws:iam::777777777777:root' });
      expectFilterAlarm(ref.data, ['iam.amazonaws.com', '$.requestParameters.roleName', 'data-protection-break-glass']);
      const trail = resources(ref.data, 'AWS::CloudTrail::Trail')[0][1].Properties;
      expect({ multiRegion: trail.IsMultiRegionTrail, global: trail.IncludeGlobalServiceEvents }).toEqual({ multiRegion: true, global: true });
    },
  },
  A26: {
    outcome: 'detected',
    check: () => {
      expectWatched(ref.data, 'sts', ['AssumeRole'], (d) => str(d.requestParameters?.roleArn).includes(BREAK_GLASS));
      expectFilterAlarm(ref.data, ['sts.amazonaws.com', 'AssumeRole', `*${BREAK_GLASS}`]);
    },
  },
  A27: {
    outcome: 'blocked',
    check: () => {
      // Vault Lock COMPLIANCE binds every principal, break-glass included, until the minimum retention.
      for (const v of vaults(ref.data)) expect(v.LockConfiguration).toEqual(expect.objectContaining({ ChangeableForDays: 3, MinRetentionDays: expect.any(Number) }));
      expectPlanRetentionLocked();
    },
  },
  A28: {
    outcome: 'detected',
    check: () => {
      expectWatched(ref.data, 'kms', ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy']);
      for (const [, k] of keys(ref.data)) expect(k.Properties.PendingWindowInDays).toBe(30);
    },
  },
  A29: {
    outcome: 'detected',
    check: () => {
      // A success counts only when AWS Backup's DescribeRestoreJob confirms it (handlers/verified-success.ts): a forged
      // pointer or record leaves the stale-drill alarm firing; and each drill result is also put on the audit account's bus.
      const fns = resources(ref.data, 'AWS::Lambda::Function');
      const policies = resources(ref.data, 'AWS::IAM::Policy');
      const roleOf = (fn: any) => fn.Properties.Role['Fn::GetAtt'][0];
      const actionsOf = (roleId: string) => policies.filter(([, p]) => str(p.Properties.Roles).includes(roleId)).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      const staleness = fns.find(([id]) => id.startsWith('RestoreDrillStaleness'))![1];
      expect(actionsOf(roleOf(staleness)).some((st: any) => list(st.Action).includes('backup:DescribeRestoreJob'))).toBe(true);
      const evidence = fns.find(([id]) => id.startsWith('RestoreDrillEvidenceWriter'))![1];
      expect(str(evidence.Properties.Environment.Variables.EVIDENCE_EVENT_BUS_ARN)).toContain(AUDIT_BUS);
      expect(actionsOf(roleOf(evidence)).some((st: any) => list(st.Action).includes('events:PutEvents') && str(st.Resource) === str(AUDIT_BUS))).toBe(true);
      expectAlarm(ref.data, 'has no successful drill within its interval', (a) => expect(a.Properties.TreatMissingData).toBe('breaching'));
    },
  },
  // (P) whoever can merge a change into the pipeline
  P1: {
    outcome: 'blocked',
    check: () => {
      for (const s of [ref.data, ref.backup, ref.backupDr!]) expectLockedVaults(s, ['backup:DeleteBackupVaultLockConfiguration', 'backup:DeleteRecoveryPoint', 'backup:DeleteBackupVault']);
    },
  },
  P2: {
    outcome: 'blocked',
    check: () => {
      for (const [, k] of [...keyAccountKeys(), ...keys(ref.keysDr!)]) {
        expectDenyAllBut(k.Properties.KeyPolicy, 'DenyKeyTamperingExceptBreakGlass', ['kms:DisableKey', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion', 'kms:DeleteImportedKeyMaterial']);
      }
      for (const [, k] of keyAccountKeys()) expect({ deletion: k.DeletionPolicy, replace: k.UpdateReplacePolicy }).toEqual({ deletion: 'Retain', replace: 'Retain' });
    },
  },
  P3: { outcome: 'detected', check: () => expectWatched(ref.keys, 'kms', ['PutKeyPolicy']) },
  P4: {
    outcome: 'blocked',
    check: () => {
      for (const policy of keyPolicy(ref.data, 'DynamoDb')) {
        const deploy = statement(policy, 'DeploymentRolesDeployKey');
        expect(str(deploy.Principal)).toContain(DEPLOYMENT);
        expect(list(deploy.Action)).not.toContain('kms:PutKeyPolicy');
        expectDenyAllBut(policy, 'DenyKeyManagementExceptBreakGlass', ['kms:PutKeyPolicy', 'kms:DisableKey', 'kms:ScheduleKeyDeletion']);
      }
    },
  },
  P5: { outcome: 'detected', check: () => { for (const s of [ref.data, ref.backup, ref.backupDr!]) expectWatched(s, 'backup', ['PutBackupVaultAccessPolicy', 'PutBackupVaultLockConfiguration']); } },
  P6: { outcome: 'blocked', check: () => { expectPlanRetentionLocked(); expectCopiesLocked(); } },
  P7: { outcome: 'detected', check: () => expectWatched(ref.data, 'backup', ['UpdateBackupPlan']) },
  P8: { outcome: 'detected', check: () => expectWatched(ref.data, 's3', ['PutBucketVersioning', 'PutBucketLifecycle', 'PutBucketEncryption', 'PutBucketReplication', 'PutBucketPolicy', 'DeleteBucketPolicy']) },
  P9: { outcome: 'detected', check: () => { expectWatched(ref.data, 'dynamodb', ['UpdateContinuousBackups']); expectWatched(ref.data, 'rds', ['ModifyDBCluster'], (d) => d.requestParameters?.deletionProtection !== undefined); } },
  P10: {
    outcome: 'detected',
    check: () => {
      expectWatched(ref.data, 'lambda', ['UpdateFunctionCode20150331v2']);
      expectWatched(ref.backup, 'lambda', ['UpdateFunctionCode20150331v2', 'DeleteFunction20150331']);
    },
  },
  P11: { outcome: 'not covered' },
  P12: { outcome: 'not covered' },
  // (K) an administrator of the key account
  K1: {
    outcome: 'blocked',
    check: () => { for (const [, k] of keyAccountKeys()) expectDenyAllBut(k.Properties.KeyPolicy, 'DenyKeyTamperingExceptBreakGlass', ['kms:DisableKey', 'kms:DisableKeyRotation', 'kms:ScheduleKeyDeletion']); },
  },
  K2: { outcome: 'blocked', check: () => { for (const [, k] of keyAccountKeys()) expectDenyAllBut(k.Properties.KeyPolicy, 'DenyKeyPolicyChangesExceptBreakGlassAndDeployment', ['kms:PutKeyPolicy'], true); } },
  K3: { outcome: 'detected', check: () => { for (const s of [ref.keys, ref.keysDr!]) expectWatched(s, 'kms', ['PutKeyPolicy']); } },
  K4: {
    outcome: 'blocked',
    check: () => {
      for (const [, k] of keyAccountKeys()) {
        for (const sid of ['AccountRootManagesKey', 'KeyAdministrators']) {
          expect(list(statement(k.Properties.KeyPolicy, sid).Action).filter((a: string) => /Decrypt|Encrypt|GenerateDataKey/.test(a))).toEqual([]);
        }
      }
    },
  },
  K5: { outcome: 'detected', check: () => { for (const s of [ref.keys, ref.keysDr!]) expectWatched(s, 'kms', ['UpdateAlias', 'DeleteAlias']); } },
  K6: { outcome: 'detected', check: () => { for (const s of [ref.keys, ref.keysDr!]) expectWatched(s, 'kms', ['RevokeGrant', 'ReplicateKey', 'UpdatePrimaryRegion']); } },
  K7: { outcome: 'detected', check: () => expectWatched(ref.keys, 'cloudtrail', ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors']) },
  K8: {
    outcome: 'detected',
    check: () => { for (const s of [ref.keys, ref.keysDr!]) { expectWatched(s, 'monitoring', ['DeleteAlarms', 'DisableAlarmActions']); expectWatched(s, 'sns', ['Unsubscribe', 'SetTopicAttributes']); } },
  },
  K9: { outcome: 'not covered' },
  // (B) an administrator of the backup account
  B1: { outcome: 'blocked', check: () => { for (const s of [ref.backup, ref.backupDr!]) expectLockedVaults(s, ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle', 'backup:DisassociateRecoveryPoint']); } },
  B2: { outcome: 'blocked', check: () => { for (const s of [ref.backup, ref.backupDr!]) expectLockedVaults(s, ['backup:DeleteBackupVault', 'backup:DeleteBackupVaultLockConfiguration', 'backup:DeleteBackupVaultAccessPolicy']); } },
  B3: { outcome: 'blocked', check: () => { for (const s of [ref.backup, ref.backupDr!]) expectLockedVaults(s, ['backup:PutBackupVaultAccessPolicy'], true); } },
  B4: {
    outcome: 'blocked',
    check: () => {
      expectCopiesLocked();
      // HIGHLY_SENSITIVE copies (kept 365 days) land in a central vault locked for 365 days.
      const hs = resources(ref.data, 'AWS::Backup::BackupPlan').flatMap(([, p]) => p.Properties.BackupPlan.BackupPlanRule).filter((r: any) => r.RuleName.includes('highly-sensitive') && r.CopyActions);
      expect(hs.length).toBeGreaterThan(0);
      for (const r of hs) for (const c of r.CopyActions) expect(c.Lifecycle.DeleteAfterDays).toBe(365);
    },
  },
  B5: {
    outcome: 'blocked',
    check: () => {
      // The backup key lives in the key account: the backup account may only use it through AWS services.
      const [, backupKey] = keyAccountKeys().find(([id]) => id.startsWith('BackupKey'))!;
      const toBackup = backupKey.Properties.KeyPolicy.Statement.filter((s: any) => s.Effect === 'Allow' && str(s.Principal).includes('333333333333'));
      expect(toBackup.length).toBeGreaterThan(0);
      for (const s of toBackup) expect(list(s.Action).some((a: string) => /PutKeyPolicy|DisableKey|ScheduleKeyDeletion/.test(a))).toBe(false);
      expect(keys(ref.backup).length).toBe(1); // its alarm topic's key only
    },
  },
  B6: {
    outcome: 'detected',
    check: () => {
      expectAlarm(ref.backup, 'no copy from account', (a) => expect(a.Properties.TreatMissingData).toBe('breaching'));
      expectWatched(ref.backup, 'lambda', ['UpdateFunctionCode20150331v2', 'DeleteFunction20150331']);
      expectWatched(ref.backup, 'monitoring', ['DeleteAlarms', 'DisableAlarmActions']);
    },
  },
  B7: { outcome: 'detected', check: () => expectWatched(ref.backup, 'cloudtrail', ['StopLogging', 'DeleteTrail', 'PutEventSelectors']) },
  B8: { outcome: 'detected', check: () => { for (const s of [ref.backup, ref.backupDr!]) expectWatched(s, 'backup', ['PutBackupVaultAccessPolicy', 'DeleteBackupVaultAccessPolicy']); } },
  B9: { outcome: 'detected', check: () => expectWatched(ref.backup, 'backup', ['StartRestoreJob']) },
  // (I) a quiet insider exfiltrating data
  I1: {
    outcome: 'detected',
    check: () => {
      const rule = resources(ref.data, 'AWS::CloudWatch::InsightRule').find(([id]) => id.includes('MassReadRule'))![1];
      expect(str(rule.Properties.RuleBody)).toContain('\\"Keys\\":[\\"$.userIdentity.sessionContext.sessionIssuer.arn\\"]');
      expectAlarm(ref.data, 'one role (any session name)');
    },
  },
  I2: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, MASS_READ.map((n) => `"${n}"`)) },
  I3: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, ['$.additionalEventData.bytesTransferredOut']) },
  I4: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, ['"CopyObject"', '"UploadPartCopy"']) },
  I5: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, ['ExportTableToPointInTime', 'EnableKinesisStreamingDestination', 'CreateJob', 'JobCreated']) },
  I6: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute', 'ModifySnapshotAttribute']) },
  I7: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, ['StartRestoreJob', 'RestoreTableToPointInTime', 'RestoreDBClusterToPointInTime']) },
  I8: {
    outcome: 'blocked',
    check: () => {
      expectDenyAllBut(documentsPolicy(), 'DenyProtectionChangesExceptDeploymentAndBreakGlass', ['s3:PutBucketPolicy', 's3:PutReplicationConfiguration'], true);
      expectFilterAlarm(ref.data, ['PutBucketReplication', 'PutBucketPolicy']);
    },
  },
  I9: {
    outcome: 'blocked',
    check: () => {
      const s = statement(documentsPolicy(), 'DataPerimeterDenyPrincipalsOutsideOrganization');
      expect({ effect: s.Effect, action: s.Action, condition: s.Condition }).toEqual({
        effect: 'Deny',
        action: 's3:*',
        condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-exampleorg1' }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
      });
    },
  },
  I10: {
    outcome: 'blocked',
    check: () => {
      for (const [, k] of keyAccountKeys()) {
        const use = statement(k.Properties.KeyPolicy, 'ConsumerAccountsUseKeyViaServices');
        expect(Object.keys(use.Condition.StringEquals).sort()).toEqual(['kms:CallerAccount', 'kms:ViaService']);
      }
    },
  },
  I11: { outcome: 'detected', check: () => expectFilterAlarm(ref.data, ['*UnauthorizedOperation', 'AccessDenied*']) },
  I12: { outcome: 'not covered' },
  I13: { outcome: 'not covered' },
};

// ---------------------------------------------------------------- the doc

const DOC = path.join(__dirname, '..', '..', 'docs', 'THREATS.md');
const doc = fs.readFileSync(DOC, 'utf8');
/** Rows of the attack table: `| id | actor | target | step | outcome | what decides | test |`. */
const docRows = doc
  .split('\n')
  .filter((l) => /^\| [ABIKP]\d+ \|/.test(l))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
  .map((cells) => {
    const outcome = cells[4].replace(/\*/g, '').toLowerCase();
    const kind: Outcome | undefined = outcome.startsWith('blocked') ? 'blocked' : outcome.startsWith('detected') ? 'detected' : outcome.startsWith('not covered') ? 'not covered' : undefined;
    return { id: cells[0], outcome: kind, raw: cells[4], cells };
  });

describe('docs/THREATS.md matches the tests', () => {
  test('every row of the doc has a test with the same outcome, and every test a row', () => {
    expect(docRows.map((r) => r.id)).toEqual(Object.keys(ROWS));
    expect(Object.fromEntries(docRows.map((r) => [r.id, r.outcome]))).toEqual(Object.fromEntries(Object.entries(ROWS).map(([id, r]) => [id, r.outcome])));
    for (const r of docRows) expect({ id: r.id, cells: r.cells.length }).toEqual({ id: r.id, cells: 7 });
    // Every detection names an account outside the attacker's reach: the audit account (or the backup account for a data-account attacker).
    for (const r of docRows.filter((x) => x.outcome === 'detected')) expect({ id: r.id, where: /in (the )?audit account/.test(r.raw) }).toEqual({ id: r.id, where: true });
  });

  test('the figures in the doc are the counts of the table', () => {
    const count = (o: Outcome) => Object.values(ROWS).filter((r) => r.outcome === o).length;
    const now = /Now:\s*\*\*(\d+) steps: (\d+) blocked, (\d+) detected, (\d+) not covered\*\*/.exec(doc);
    expect(now).not.toBeNull();
    expect(now!.slice(1).map(Number)).toEqual([Object.keys(ROWS).length, count('blocked'), count('detected'), count('not covered')]);
  });
});

describe('the attack table, asserted on the reference app', () => {
  test.each(Object.entries(ROWS).filter(([, r]) => r.check))('%s', (_id, row) => {
    row.check!();
  });

  test('every watched stack forwards its library alarms to the audit account', () => {
    for (const s of watchedStacks()) expectAlarmsForwarded(s);
  });
});

// Issue 19, "Must show": every row of the attack table in docs/THREATS.md, asserted on the templates
// of the reference app (synthesized once for the file, and read by the two other groups of tests on
// the reference app's templates at the end of the file: detection outside the watched account
// (issue 19, item 2) and the deploy defects of issue 15 — one file, so one synthesis of it). A row the doc calls "blocked" is checked for
// the statement or lock that blocks it; a "detected" row for the EventBridge rule or CloudWatch alarm
// that reports it AND its way to the audit account's security event bus; "not covered" rows have no
// assertion but must be listed here with the same outcome as in the doc, so the doc cannot drift.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildReferenceApp } from '../../bin/app';
import { LIBRARY_NAME_PREFIX } from '../../lib/core/naming';
import { ALARM_DESCRIPTION_PREFIX, SECURITY_EVENT_BUS_NAME } from '../../lib/keys/alarm-topic';
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

/** The `detail` alternatives of a CloudTrail API-call rule (each `$or` branch with the fields beside it: EventBridge ANDs them). */
const details = (rule: any): any[] => {
  const { $or, ...rest } = rule.Properties.EventPattern.detail ?? {};
  return $or ? $or.map((alt: any) => ({ ...rest, ...alt })) : [rest];
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
      // Its alarm topic's key, and the fallback key of the drill of the copies (restored DynamoDB copies, deleted after validation), which this account may only use.
      expect(keys(ref.backup).map(([, k]) => k.Properties.Description.split(':')[0]).filter((d: string) => !d.includes('alarm'))).toEqual([
        'cdk-data-protection fallback key alias/data-protection/data-highly-sensitive-dynamodb/BackupAccount',
      ]);
      expect(keys(ref.backup).length).toBe(2);
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
  B10: { outcome: 'detected', check: () => expectWatched(ref.backup, 'ec2', ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'CreateRoute', 'AttachInternetGateway', 'CreateVpcPeeringConnection', 'CreateVpcEndpoint']) },
  B11: { outcome: 'not covered' },
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

// =============================================================================================
// Issue 19, item 2: detection lands in the audit account (on the reference app above).
{
  const stacks = [ref.keys, ref.keysDr!, ref.backup, ref.backupDr!, ref.data];
  /** The literal start of a string that may be an `Fn::Join`. */
  const firstText = (v: any): string => (typeof v === 'string' ? v : firstText(v['Fn::Join'][1][0]));
  const resources = (stack: any, type: string) => Object.entries<any>(Template.fromStack(stack).findResources(type));

  describe('detection outside the watched account', () => {
    test('every CloudWatch alarm of every stack starts its description with the prefix the forwarding rule matches', () => {
      let alarms = 0;
      for (const stack of [...stacks, ref.audit]) {
        for (const [id, alarm] of resources(stack, 'AWS::CloudWatch::Alarm')) {
          alarms++;
          expect({ id, prefix: firstText(alarm.Properties.AlarmDescription).startsWith(ALARM_DESCRIPTION_PREFIX) }).toEqual({ id, prefix: true });
        }
      }
      expect(alarms).toBeGreaterThan(20);
    });

    test('every watched stack forwards its alarm state changes and every rule notifying its topic to the audit bus, through one role that may only PutEvents there', () => {
      for (const stack of stacks) {
        const rules = resources(stack, 'AWS::Events::Rule');
        const topics = resources(stack, 'AWS::SNS::Topic').map(([id]) => id);
        const toBus = (rule: any) => rule.Properties.Targets.filter((t: any) => JSON.stringify(t.Arn).includes(`:event-bus/${SECURITY_EVENT_BUS_NAME}`));
        const toTopic = (rule: any) => rule.Properties.Targets.some((t: any) => topics.includes(t.Arn?.Ref));
        const notifying = rules.filter(([, r]) => toTopic(r));
        expect({ stack: stack.stackName, unforwarded: notifying.filter(([, r]) => toBus(r).length !== 1).map(([id]) => id) }).toEqual({ stack: stack.stackName, unforwarded: [] });
        // The audit account's bus in the primary region, whatever the stack's region.
        for (const [, r] of notifying) expect(JSON.stringify(toBus(r)[0].Arn)).toContain(`:events:eu-west-1:444444444444:event-bus/${SECURITY_EVENT_BUS_NAME}`);
      }
      // The alarm-state forwarder: once per account and region, matched on the description prefix.
      const forwarders = stacks.flatMap((s) => resources(s, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern?.['detail-type']?.[0] === 'CloudWatch Alarm State Change'));
      expect(forwarders).toHaveLength(stacks.length);
      // And an hourly heartbeat through the same target and role, once per account and region: a broken path goes silent.
      for (const stack of stacks) {
        const beats = resources(stack, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression === 'rate(1 hour)' && JSON.stringify(r.Properties.Targets).includes(`:event-bus/${SECURITY_EVENT_BUS_NAME}`));
        expect({ stack: stack.stackName, heartbeats: beats.length, role: !!beats[0]?.[1].Properties.Targets[0].RoleArn }).toEqual({ stack: stack.stackName, heartbeats: 1, role: true });
      }
      for (const [, r] of forwarders) expect(r.Properties.EventPattern.detail).toEqual({ configuration: { description: [{ prefix: ALARM_DESCRIPTION_PREFIX }] } });
      // The forwarding role: assumed by EventBridge of its own account, PutEvents on the audit bus only.
      const t = Template.fromStack(ref.data);
      const [roleId] = Object.keys(t.findResources('AWS::IAM::Role', { Properties: { Description: 'cdk-data-protection: EventBridge forwards data-protection events to the audit account' } }));
      const policies = Object.values<any>(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
      expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement.map((s: any) => [s.Action, JSON.stringify(s.Resource).includes(SECURITY_EVENT_BUS_NAME)]))).toEqual([['events:PutEvents', true]]);
    });

    test('the audit account admits the watched accounts on its bus, notifies its subscribed topic of every event, archives them, and alarms when a data trail goes silent', () => {
      const t = Template.fromStack(ref.audit);
      t.hasResourceProperties('AWS::Events::EventBusPolicy', {
        Statement: { Action: 'events:PutEvents', Effect: 'Allow', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } } },
      });
      const watched = ['111111111111', '333333333333', '222222222222'];
      t.hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: Match.stringLikeRegexp('^SecurityEventsBus') }, EventPattern: { account: watched } });
      t.hasResourceProperties('AWS::Events::Archive', { EventPattern: { account: watched }, RetentionDays: 400 });
      t.resourceCountIs('AWS::SNS::Subscription', 1);
      // Heartbeats are counted, not mailed: the notify rule leaves them out, a log group and a metric filter with dimensions count them.
      t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: watched, 'detail-type': [{ 'anything-but': ['Scheduled Event'] }] } });
      t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: watched, source: ['aws.events'], 'detail-type': ['Scheduled Event'] } });
      t.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: '{ $.source = "aws.events" }',
        MetricTransformations: [{ MetricNamespace: 'DataProtection/Forwarding', MetricName: 'Heartbeats', MetricValue: '1', Dimensions: [{ Key: 'Account', Value: '$.account' }, { Key: 'Region', Value: '$.region' }] }],
      });
      // One heartbeat alarm per forwarding account and region: key and backup in both Regions, the data account in the primary.
      const silent = Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.Namespace === 'DataProtection/Forwarding');
      expect(silent.map((a) => a.Properties.Dimensions.map((d: any) => d.Value).join('/')).sort()).toEqual(
        ['111111111111/eu-central-1', '111111111111/eu-west-1', '222222222222/eu-west-1', '333333333333/eu-central-1', '333333333333/eu-west-1'],
      );
      for (const a of silent) expect(a.Properties).toMatchObject({ ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', EvaluationPeriods: 3, Period: 3600 });
      // The log group admits EventBridge for the heartbeat rule only (the policy document is joined with the rule's ARN).
      const [policy] = Object.values<any>(t.findResources('AWS::Logs::ResourcePolicy'));
      const doc = JSON.stringify(policy.Properties.PolicyDocument);
      for (const part of ['events.amazonaws.com', 'logs:CreateLogStream', 'logs:PutLogEvents', 'aws:SourceArn', 'SecurityEventsHeartbeatRule']) expect(doc).toContain(part);
      t.hasResourceProperties('AWS::S3::Bucket', { MetricsConfigurations: [{ Id: 'trail-delivery-222222222222', Prefix: 'data-access/AWSLogs/222222222222/' }] });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'PutRequests',
        Namespace: 'AWS/S3',
        Dimensions: [{ Name: 'BucketName', Value: Match.anyValue() }, { Name: 'FilterId', Value: 'trail-delivery-222222222222' }],
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        EvaluationPeriods: 3,
      });
    });

    test("the library's functions and drill workflows carry the name prefix the monitoring-tamper rule matches", () => {
      for (const stack of stacks) {
        for (const [id, fn] of resources(stack, 'AWS::Lambda::Function')) {
          if (!fn.Properties.FunctionName) continue; // aws-cdk-lib's own providers (custom resources)
          expect({ id, name: String(fn.Properties.FunctionName).startsWith(LIBRARY_NAME_PREFIX) }).toEqual({ id, name: true });
        }
      }
      const machines = resources(ref.data, 'AWS::StepFunctions::StateMachine');
      expect(machines.length).toBeGreaterThan(0);
      for (const [, m] of machines) expect(m.Properties.StateMachineName).toMatch(new RegExp(`^${LIBRARY_NAME_PREFIX}`));
    });
  });

  describe('tamper and erosion watchers, once per account and region', () => {
    const patterns = (stack: any) => resources(stack, 'AWS::Events::Rule').map(([, r]) => r.Properties.EventPattern ?? {});

    test('monitoring tampering: alarms, metric filters, log groups, rules, the alarm topic, the drill code and workflow, grants and key replication', () => {
      for (const stack of [ref.keys, ref.backup, ref.data]) {
        const monitoring = patterns(stack).filter((p) => p.source?.includes('aws.cloudwatch') && p['detail-type'][0] === 'AWS API Call via CloudTrail');
        expect({ stack: stack.stackName, count: monitoring.length }).toEqual({ stack: stack.stackName, count: 1 });
        const p = monitoring[0];
        expect(p.source).toEqual(['aws.cloudwatch', 'aws.logs', 'aws.events', 'aws.sns', 'aws.lambda', 'aws.states', 'aws.kms']);
        const bySource = Object.fromEntries(p.detail.$or.map((d: any) => [d.eventSource[0], d]));
        expect(bySource['monitoring.amazonaws.com'].eventName).toEqual(['DeleteAlarms', 'DisableAlarmActions']);
        expect(bySource['logs.amazonaws.com'].eventName).toEqual(expect.arrayContaining(['DeleteMetricFilter', 'DeleteLogGroup']));
        expect(bySource['events.amazonaws.com'].eventName).toEqual(expect.arrayContaining(['DisableRule', 'RemoveTargets']));
        expect(bySource['sns.amazonaws.com'].eventName).toEqual(expect.arrayContaining(['Unsubscribe', 'SetTopicAttributes']));
        // Lambda's versioned event names by prefix, the library's functions by name.
        expect(bySource['lambda.amazonaws.com'].eventName).toEqual(expect.arrayContaining([{ prefix: 'UpdateFunctionCode' }]));
        expect(bySource['lambda.amazonaws.com'].requestParameters).toEqual({ functionName: [{ wildcard: `*${LIBRARY_NAME_PREFIX}*` }] });
        expect(bySource['states.amazonaws.com'].eventName).toEqual(['UpdateStateMachine', 'DeleteStateMachine']);
        expect(bySource['kms.amazonaws.com'].eventName).toEqual(['RevokeGrant', 'ReplicateKey', 'UpdatePrimaryRegion']);
      }
      // The rule changes are watched twice: by the monitoring-tamper rule and by a second rule watching it.
      for (const stack of [ref.keys, ref.backup, ref.data]) {
        const ruleWatchers = patterns(stack).filter((p) => JSON.stringify(p.detail ?? {}).includes('"DisableRule"'));
        expect(ruleWatchers).toHaveLength(2);
      }
      // The DR stacks of the key and backup accounts watch their own region.
      for (const stack of [ref.keysDr!, ref.backupDr!]) expect(patterns(stack).filter((p) => p.source?.includes('aws.logs'))).toHaveLength(1);
    });

    test('backup erosion: plan, selection and region settings, and protection tags removed, in accounts that hold backups', () => {
      for (const stack of [ref.backup, ref.data]) {
        const erosion = patterns(stack).filter((p) => p.source?.includes('aws.tag') && p.source?.includes('aws.backup'));
        expect(erosion).toHaveLength(1);
        // Drill settings set or changed by tag (skip, interval, objectives, name): a rule of their own.
        const drillTags = patterns(stack).filter((p) => p.source?.includes('aws.tag') && !p.source?.includes('aws.backup'));
        expect(drillTags).toHaveLength(1);
        const tagged = drillTags[0].detail.$or;
        expect(tagged).toContainEqual({ eventSource: ['dynamodb.amazonaws.com'], eventName: ['TagResource'], requestParameters: { tags: { key: [{ prefix: 'data-protection:drill-' }] } } });
        expect(tagged).toContainEqual({ eventSource: ['rds.amazonaws.com'], eventName: ['AddTagsToResource'], requestParameters: { tags: { Key: [{ prefix: 'data-protection:drill-' }] } } });
        expect(tagged).toContainEqual({ eventSource: ['tagging.amazonaws.com'], eventName: ['TagResources'] });
        const bySource = Object.fromEntries(erosion[0].detail.$or.map((d: any) => [d.eventSource[0], d]));
        expect(bySource['backup.amazonaws.com'].eventName).toEqual(['UpdateBackupPlan', 'DeleteBackupSelection', 'UpdateRegionSettings', 'UpdateGlobalSettings']);
        expect(bySource['dynamodb.amazonaws.com']).toEqual({ eventSource: ['dynamodb.amazonaws.com'], eventName: ['UntagResource'], requestParameters: { tagKeys: ['data-classification', 'data-protection:backup-plan', 'data-protection:drill-skip'] } });
        expect(bySource['s3.amazonaws.com'].eventName).toEqual(['PutBucketTagging', 'DeleteBucketTagging']);
      }
      expect(patterns(ref.keys).filter((p) => p.source?.includes('aws.tag'))).toHaveLength(0);
    });

    test('break-glass: one role per account, assumable from the identity account with MFA only, managing keys and vaults of its account; every assumption notifies', () => {
      for (const stack of [ref.keys, ref.backup, ref.data]) {
        const t = Template.fromStack(stack);
        t.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'data-protection-break-glass' }, 1);
        t.hasResourceProperties('AWS::IAM::Role', {
          RoleName: 'data-protection-break-glass',
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            Statement: [
              {
                Action: 'sts:AssumeRole',
                Effect: 'Allow',
                Principal: { AWS: 'arn:aws:iam::777777777777:root' },
                Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' }, NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
              },
            ],
          },
        });
        const assumed = patterns(stack).filter((p) => p.source?.[0] === 'aws.sts');
        expect(assumed).toHaveLength(1);
        expect(JSON.stringify(stack.resolve(assumed[0].detail.requestParameters.roleArn))).toContain(`:iam::${stack.account}:role/data-protection-break-glass`);
        // Its permissions: key and vault management of its own account, nothing on data.
        const [roleId] = Object.keys(t.findResources('AWS::IAM::Role', { Properties: { RoleName: 'data-protection-break-glass' } }));
        const statements = Object.values<any>(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement);
        expect(statements.map((s: any) => s.Sid)).toEqual(['ManageKeysOfThisAccount', 'ManageVaultsOfThisAccount']);
        for (const s of statements) expect(JSON.stringify(stack.resolve(s.Resource))).toContain(`:${stack.account}:`);
      }
      // The DR regions of those accounts: no second role (IAM is global), but their own assumption rule.
      for (const stack of [ref.keysDr!, ref.backupDr!]) {
        Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'data-protection-break-glass' }, 0);
        expect(patterns(stack).filter((p) => p.source?.[0] === 'aws.sts')).toHaveLength(1);
      }
    });
  });
}

// =============================================================================================
// Issue 15 ("Deploy-ready"), defects 1, 2, 5, 6 and 9: one test per defect, asserting the corrected
// templates of the reference app (the one synthesized at the top of the file).
{
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
}

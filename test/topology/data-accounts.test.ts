import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AuditNames } from '../../lib/audit/audit-names';
import { classify } from '../../lib/classification/classify';
import { DataClassification } from '../../lib/classification/data-classification';
import { DataAccountStack } from '../../lib/topology/data-account-stack';
import { DataProtectionStage } from '../../lib/topology/data-protection-stage';
import { ACCOUNTS, DATA_ACCOUNT, drillTagsIn, REGION } from '../helpers';

/**
 * Two data accounts in one stage: each gets its account-wide protections (trail, job-failure and
 * key-tamper rules, Audit Manager frameworks) exactly once, however its data stacks were created.
 * One app, synthesized once, with aspect stabilization on (the other tests run without it).
 */

process.env.CDK_VALIDATION = 'false';

const SECOND = '555555555555';
const accounts = { ...ACCOUNTS, dataAccounts: [DATA_ACCOUNT, SECOND] };
const app = new App({ context: { '@aws-cdk/core:aspectStabilization': true } });
const stage = new DataProtectionStage(app, 'Prod', { accounts, alarmEmails: ['security@example.com'] });

function withBucket(stack: DataAccountStack, name: string): DataAccountStack {
  classify(new s3.Bucket(stack, 'Docs', { encryption: s3.BucketEncryption.KMS, encryptionKey: stack.keyFor(DataClassification.CONFIDENTIAL), bucketName: name }), DataClassification.CONFIDENTIAL);
  return stack;
}

// First account: one stack, protect() never called (protected at synth).
const hr = withBucket(new DataAccountStack(stage, 'Hr', stage.dataStackProps()), 'hr-docs');
// Second account, the way the issue built it: the first account's props with another account.
const crm = withBucket(new DataAccountStack(stage, 'Crm', { ...stage.dataStackProps(), env: { account: SECOND } }), 'crm-docs');
crm.protect();
// A second stack in the second account, through dataStackProps(account).
const billing = withBucket(new DataAccountStack(stage, 'Billing', stage.dataStackProps(SECOND)), 'billing-docs');
billing.protect();

const assembly = app.synth().getNestedAssembly(stage.artifactId);
const dataStacks = [hr, crm, billing];

/** `account: count` of the resources matching `pick` over the data stacks. */
function perAccount(pick: (template: Template) => number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of dataStacks) counts[s.account] = (counts[s.account] ?? 0) + pick(Template.fromJSON(assembly.getStackByName(s.stackName).template));
  return counts;
}
const rules = (source: string) => (t: Template) => Object.values(t.findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventPattern?.source?.[0] === source).length;

test('the first data stack of each account holds its account-wide protections, the others do not', () => {
  expect(Object.fromEntries(dataStacks.map((s) => [s.node.id, s.accountWide]))).toEqual({ Hr: true, Crm: true, Billing: false });
});

test('a stack given only an account is placed in the primary region', () => {
  expect(Object.fromEntries(dataStacks.map((s) => [s.node.id, `${s.account}/${s.region}`]))).toEqual({
    Hr: `${DATA_ACCOUNT}/${REGION}`,
    Crm: `${SECOND}/${REGION}`,
    Billing: `${SECOND}/${REGION}`,
  });
});

test('each data account has exactly one trail, one set of job-failure rules, one key-tamper rule, one vault-tamper rule and one set of Audit Manager frameworks', () => {
  expect(perAccount((t) => Object.keys(t.findResources('AWS::CloudTrail::Trail')).length)).toEqual({ [DATA_ACCOUNT]: 1, [SECOND]: 1 });
  // Backup/Copy/Restore job state changes, the vault-tamper and backup-erosion rules (API calls via CloudTrail) and the drill's restore-job events.
  expect(perAccount(rules('aws.backup'))).toEqual({ [DATA_ACCOUNT]: 6, [SECOND]: 6 });
  expect(perAccount(rules('aws.kms'))).toEqual({ [DATA_ACCOUNT]: 1, [SECOND]: 1 });
  const frameworks = perAccount((t) => Object.keys(t.findResources('AWS::Backup::Framework')).length);
  expect(frameworks[DATA_ACCOUNT]).toBeGreaterThan(0);
  expect(frameworks[SECOND]).toBe(frameworks[DATA_ACCOUNT]);
});

test('every trail the audit archive admits exists, in the account and region it is admitted for', () => {
  const trailArns = dataStacks.filter((s) => s.dataAccessTrail).map((s) => AuditNames.trailArn(s.account, s.region, s.dataAccessTrail!.trailName));
  expect(trailArns.sort()).toEqual([...stage.audit.archive.trailArns].sort());
});

test('a stack whose protect() was never called is protected at synth, with aspect stabilization on too', () => {
  expect(hr.backupVault).toBeDefined();
  expect(hr.restoreDrill).toBeDefined();
  expect(Template.fromStack(hr).findResources('AWS::S3::Bucket', { Properties: { Tags: Match.arrayWith([{ Key: 'data-protection:drill-name', Value: 'hr-docs' }]) } })).toEqual({});
  // A literal bucket name gives the drill its name (s3-hr-docs) at run time: no name tag is written.
  expect(Object.keys(drillTagsIn(hr))).toEqual(['s3-hr-docs']);
});

test('dataStackProps(account) rejects an account that is not a data account, naming the allowed ones', () => {
  expect(() => stage.dataStackProps('444444444444')).toThrow(
    `DataProtectionStage.dataStackProps(account) must be one of accounts.dataAccounts (${DATA_ACCOUNT}, ${SECOND}), got 444444444444`,
  );
});

describe('DataAccountStackProps.accountWide, set by hand', () => {
  const env = { account: DATA_ACCOUNT, region: REGION };

  test('true on a stack created after the one that already holds them is an error naming both', () => {
    const other = new App();
    new DataAccountStack(other, 'First', { env, accounts: ACCOUNTS });
    expect(() => new DataAccountStack(other, 'Second', { env, accounts: ACCOUNTS, accountWide: true })).toThrow(
      `DataAccountStackProps.accountWide is true on Second, but First (created before it) already holds the account-wide protections of ${DATA_ACCOUNT}/${REGION}; exactly one data stack per account and region may: set accountWide: false on First, or leave accountWide unset here`,
    );
  });

  test('true on a later stack is fine when the first one says false', () => {
    const other = new App();
    const first = new DataAccountStack(other, 'First', { env, accounts: ACCOUNTS, accountWide: false });
    const second = new DataAccountStack(other, 'Second', { env, accounts: ACCOUNTS, accountWide: true });
    expect([first.accountWide, second.accountWide]).toEqual([false, true]);
    expect(first.node.validate()).toEqual([]);
  });

  test('false on every data stack of an account fails synth saying how to fix it', () => {
    const lonely = new DataAccountStack(new App(), 'Lonely', { env, accounts: ACCOUNTS, accountWide: false });
    expect(lonely.node.validate()).toEqual([
      `Lonely: no DataAccountStack of account ${DATA_ACCOUNT} in ${REGION} holds the protection set (locked vault, backup plans, restore drill, data-access trail and alarms, Audit Manager frameworks, job-failure and key-tamper rules): DataAccountStackProps.accountWide is false on each; set it to true on one of them, or leave it unset on the first`,
    ]);
  });

  test('data-access alarm thresholds on a stack that does not hold them are an error', () => {
    const other = new App();
    new DataAccountStack(other, 'First', { env, accounts: ACCOUNTS });
    const second = new DataAccountStack(other, 'Second', { env, accounts: ACCOUNTS });
    expect(() => second.protect({ dataAccessAlarms: { massReadThreshold: 10 } })).toThrow(
      `DataProtectionOptions.dataAccessAlarms applies to the protection set of ${DATA_ACCOUNT}/${REGION}, held by First, and Second does not hold it (accountWide is false): set it in that stack's protect()`,
    );
  });
});

test('a data stack in an account that is not a data account is an error: its keys and trail would be refused', () => {
  expect(() => new DataAccountStack(new App(), 'Stray', { env: { account: '666666666666', region: REGION }, accounts: ACCOUNTS })).toThrow(
    `DataAccountStackProps.env.account must be one of accounts.dataAccounts (${DATA_ACCOUNT}), got 666666666666: the key account lets only those accounts use its keys, and the audit archive admits only their trails`,
  );
});



import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupClient, DescribeGlobalSettingsCommand } from '@aws-sdk/client-backup';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { deploymentsOf, main, readLayout } from '../../lib/doctor/doctor.bundle';
import { main as cli } from '../../lib/report/cli';
import { referenceContext } from '../helpers';

// Defect 10: `cdk-data-protection doctor`, read-only pre-deploy checks, AWS mocked at the SDK.
const KEY = '111111111111';
const DEPLOY = '999999999999';
const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
const contextFile = join(dir, 'cdk.json');
writeFileSync(contextFile, JSON.stringify({ context: referenceContext() }));

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
const backup = mockClient(BackupClient);
const clients = () => ({ sts: new STSClient({ region: 'eu-west-1' }), iam: new IAMClient({ region: 'eu-west-1' }), backup: new BackupClient({ region: 'eu-west-1' }) });
const error = (name: string) => Object.assign(new Error(`${name} message`), { name, $metadata: {} });

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--context', contextFile, ...args], (s) => out.push(s), (s) => err.push(s), clients);
  return { code, out, err };
}

beforeEach(() => {
  sts.reset();
  iam.reset();
  backup.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: KEY, Arn: `arn:aws:sts::${KEY}:assumed-role/admin/me` });
  backup.on(DescribeGlobalSettingsCommand).resolves({ GlobalSettings: { isCrossAccountBackupEnabled: 'true' } });
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({
    Role: { RoleName, Arn: `arn:aws:iam::${KEY}:role/${RoleName}`, Path: '/', RoleId: 'AROA', CreateDate: new Date(), AssumeRolePolicyDocument: encodeURIComponent(`{"Principal":{"AWS":"arn:aws:iam::${DEPLOY}:root"}}`) },
  }));
});

describe('cdk-data-protection doctor', () => {
  test('reads the layout and the regions each account deploys to', () => {
    const layout = readLayout(contextFile);
    expect(deploymentsOf(layout, KEY)).toEqual({ roles: ['key'], regions: ['eu-west-1', 'eu-central-1'] });
    expect(deploymentsOf(layout, '222222222222')).toEqual({ roles: ['data'], regions: ['eu-west-1'] });
  });

  test('all set: passes, and only reads (GetCallerIdentity, DescribeGlobalSettings, GetRole)', async () => {
    const { code, out } = await run(['--trust', DEPLOY]);
    expect(code).toBe(0);
    expect(out).toContain('PASS cross-account backup: isCrossAccountBackupEnabled is true in the organization');
    expect(out).toContain(`PASS execution role the key and vault policies exempt: cdk-hnb659fds-cfn-exec-role-${KEY}-eu-west-1 exists`);
    expect(out).toContain(`PASS execution role the key and vault policies exempt: cdk-hnb659fds-cfn-exec-role-${KEY}-eu-central-1 exists`);
    expect(iam.commandCalls(GetRoleCommand).map((c) => c.args[0].input.RoleName).sort()).toEqual(
      ['deploy-role', 'file-publishing-role', 'lookup-role', 'cfn-exec-role'].flatMap((k) => [`cdk-hnb659fds-${k}-${KEY}-eu-central-1`, `cdk-hnb659fds-${k}-${KEY}-eu-west-1`]).sort(),
    );
    expect(sts.calls()).toHaveLength(1);
    expect(backup.calls()).toHaveLength(1);
  });

  test('cross-account backup turned off fails with the command that turns it on', async () => {
    backup.on(DescribeGlobalSettingsCommand).resolves({ GlobalSettings: { isCrossAccountBackupEnabled: 'false' } });
    const { code, out } = await run([]);
    expect(code).toBe(1);
    expect(out).toContain(
      'FAIL cross-account backup: isCrossAccountBackupEnabled is false: every copy into the backup account fails. In the management account: aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true',
    );
  });

  test('a member account refused DescribeGlobalSettings gets a warning, not a failure', async () => {
    backup.on(DescribeGlobalSettingsCommand).rejects(error('AccessDeniedException'));
    const { code, out } = await run([]);
    expect(code).toBe(0);
    expect(out.find((l) => l.startsWith('WARN cross-account backup'))).toContain("run doctor with the organization's management account credentials");
  });

  test('a missing execution role fails, naming the bootstrap command; a custom qualifier is checked under its own name', async () => {
    iam.on(GetRoleCommand, { RoleName: `cdk-custom1-cfn-exec-role-${KEY}-eu-central-1` }).rejects(error('NoSuchEntityException'));
    const { code, out } = await run(['--qualifier', 'custom1']);
    expect(code).toBe(1);
    expect(out).toContain(
      `FAIL execution role the key and vault policies exempt: cdk-custom1-cfn-exec-role-${KEY}-eu-central-1 does not exist: cdk bootstrap aws://${KEY}/eu-central-1 --trust <deploy account> --cloudformation-execution-policies <policy ARN> (KMS refuses a key policy that locks out the role creating it; with another qualifier, pass ProtectedKeyProps.deploymentRoleArns)`,
    );
  });

  test('a deploy role that does not trust the deploying account fails', async () => {
    const { code, out } = await run(['--trust', '888888888888']);
    expect(code).toBe(1);
    expect(out).toContain(`FAIL bootstrap trust: cdk-hnb659fds-deploy-role-${KEY}-eu-west-1 does not trust 888888888888: cdk bootstrap aws://${KEY}/eu-west-1 --trust 888888888888 --cloudformation-execution-policies <policy ARN>`);
  });

  test('without credentials it checks nothing and exits 2', async () => {
    sts.on(GetCallerIdentityCommand).rejects(error('CredentialsProviderError'));
    const { code, err } = await run([]);
    expect(code).toBe(2);
    expect(err[0]).toContain('no usable AWS credentials (CredentialsProviderError: CredentialsProviderError message); doctor runs only where credentials exist');
    expect(iam.calls()).toHaveLength(0);
  });

  test('usage errors exit 2', async () => {
    expect((await run(['--trust', 'me'])).code).toBe(2);
    expect((await run(['--bogus'])).code).toBe(2);
    expect(await main(['--context', join(dir, 'missing.json')], () => undefined, () => undefined, clients)).toBe(2);
  });

  test('the CLI runs the bundled doctor (built by scripts/bundle-handlers.mjs)', async () => {
    const out: string[] = [];
    expect(await cli(['doctor', '--help'], (s) => out.push(s), () => undefined)).toBe(0);
    expect(out[0]).toContain('usage: cdk-data-protection doctor');
  });
});

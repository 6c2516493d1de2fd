/**
 * `cdk-data-protection doctor`: read-only checks of what a first deployment needs but no
 * template can create, run with the credentials of each account before `cdk deploy`.
 *
 * Bundled with esbuild (scripts/bundle-handlers.mjs) into assets/handlers/doctor/index.js, like
 * the Lambda handlers, so the AWS SDK v3 clients it uses ship inside the package without being
 * runtime dependencies of the construct library (jsii would require them to be bundled
 * dependencies); `lib/report/cli.ts` loads the bundle only for this command.
 *
 * Checks, for the account the credentials belong to:
 * - credentials: `sts:GetCallerIdentity` (no credentials: exit 2, nothing checked);
 * - cross-account backup: `backup:DescribeGlobalSettings`, `isCrossAccountBackupEnabled` must be
 *   `true` ("Creating backup copies across AWS accounts": turned on once, in the organization's
 *   management account; other accounts may be refused the call, which is a warning);
 * - bootstrap: the CDK bootstrap roles (`cdk bootstrap`, default qualifier `hnb659fds`) of each
 *   region the layout deploys to in this account, and that the deploy role trusts the deploying
 *   account (`--trust <account>`);
 * - the CloudFormation execution role `cdk-<qualifier>-cfn-exec-role-<account>-<region>` that the
 *   key and vault policies exempt from their PutKeyPolicy / vault-policy deny: KMS refuses a key
 *   policy that would lock out the principal setting it (KMS API reference, PutKeyPolicy:
 *   BypassPolicyLockoutSafetyCheck), so a deployment through another role fails.
 * Only Get/Describe calls: `iam:GetRole`, `backup:DescribeGlobalSettings`, `sts:GetCallerIdentity`.
 */
import { BackupClient, DescribeGlobalSettingsCommand } from '@aws-sdk/client-backup';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { existsSync, readFileSync } from 'node:fs';
import { layoutFromContext } from '../core/account-context';
import type { DataProtectionAccounts } from '../topology/accounts';

export const DOCTOR_USAGE = `usage: cdk-data-protection doctor [--context cdk.json] [--qualifier hnb659fds] [--trust <account>] [--region <region>]

Read-only pre-deploy checks with the AWS credentials of the environment (AWS_PROFILE, SSO, ...),
for the account they belong to. Run it once per account of the layout in cdk.json
(cdk-data-protection:accounts, cdk-data-protection:regions), and in the organization's
management account for the cross-account backup setting.

  --context    file holding the layout in "context" (default ./cdk.json)
  --qualifier  CDK bootstrap qualifier (default hnb659fds)
  --trust      account that deploys (pipeline or CLI): the deploy role must trust it
  --region     region of the Backup call (default: the layout's primary region)

Exits 1 when a check fails, 2 on a usage error or without credentials.`;

export type Status = 'PASS' | 'FAIL' | 'WARN';

export interface Finding {
  readonly status: Status;
  readonly check: string;
  readonly detail: string;
}

export interface DoctorClients {
  readonly sts: STSClient;
  readonly iam: IAMClient;
  readonly backup: BackupClient;
}

export interface DoctorOptions {
  readonly layout: DataProtectionAccounts;
  readonly qualifier?: string;
  readonly trust?: string;
}

/** Reads the layout from a cdk.json-like file's `context`. */
export function readLayout(file: string): DataProtectionAccounts {
  if (!existsSync(file)) throw new Error(`${file} not found: pass --context <file> holding cdk-data-protection:accounts and cdk-data-protection:regions`);
  const context = JSON.parse(readFileSync(file, 'utf8')).context ?? {};
  return layoutFromContext((key) => context[key], file);
}

/** The regions the layout deploys to in `account`, and the roles the account plays. */
export function deploymentsOf(layout: DataProtectionAccounts, account: string): { roles: string[]; regions: string[] } {
  const roles: string[] = [];
  const regions = new Set<string>();
  const both = [layout.primaryRegion, ...(layout.drRegion ? [layout.drRegion] : [])];
  if (layout.keyAccount === account) (roles.push('key'), both.forEach((r) => regions.add(r)));
  if (layout.backupAccount === account) (roles.push('backup'), both.forEach((r) => regions.add(r)));
  if (layout.dataAccounts.includes(account)) (roles.push('data'), regions.add(layout.primaryRegion));
  if (layout.auditAccount === account) (roles.push('audit'), regions.add(layout.primaryRegion));
  return { roles, regions: [...regions] };
}

const errorName = (e: unknown) => (e as { name?: string }).name ?? 'Error';
const errorMessage = (e: unknown) => (e as { message?: string }).message ?? String(e);

/** Runs every check; never throws for an AWS error (it becomes a finding). */
export async function runChecks(clients: DoctorClients, options: DoctorOptions): Promise<{ account: string; findings: Finding[] }> {
  const qualifier = options.qualifier ?? 'hnb659fds';
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  const account = identity.Account ?? '';
  const findings: Finding[] = [];
  const { roles, regions } = deploymentsOf(options.layout, account);
  findings.push(
    roles.length > 0
      ? { status: 'PASS', check: 'account', detail: `${account} (${identity.Arn}) is the ${roles.join(' and ')} account of the layout; regions ${regions.join(', ')}` }
      : { status: 'WARN', check: 'account', detail: `${account} (${identity.Arn}) is not in the layout: only the organization setting applies here` },
  );

  try {
    const settings = await clients.backup.send(new DescribeGlobalSettingsCommand({}));
    const enabled = settings.GlobalSettings?.isCrossAccountBackupEnabled;
    findings.push(
      enabled === 'true'
        ? { status: 'PASS', check: 'cross-account backup', detail: 'isCrossAccountBackupEnabled is true in the organization' }
        : {
            status: 'FAIL',
            check: 'cross-account backup',
            detail: `isCrossAccountBackupEnabled is ${enabled ?? 'not set'}: every copy into the backup account fails. In the management account: aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true`,
          },
    );
  } catch (e) {
    findings.push({
      status: 'WARN',
      check: 'cross-account backup',
      detail: `backup:DescribeGlobalSettings failed (${errorName(e)}: ${errorMessage(e)}): run doctor with the organization's management account credentials to check isCrossAccountBackupEnabled`,
    });
  }

  for (const region of regions) {
    const name = (kind: string) => `cdk-${qualifier}-${kind}-${account}-${region}`;
    for (const kind of ['deploy-role', 'file-publishing-role', 'lookup-role', 'cfn-exec-role']) {
      const roleName = name(kind);
      const check = kind === 'cfn-exec-role' ? 'execution role the key and vault policies exempt' : 'bootstrap role';
      try {
        const role = (await clients.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
        if (kind === 'deploy-role' && options.trust && options.trust !== account) {
          const trust = decodeURIComponent(role?.AssumeRolePolicyDocument ?? '');
          if (!trust.includes(options.trust)) {
            findings.push({ status: 'FAIL', check: 'bootstrap trust', detail: `${roleName} does not trust ${options.trust}: cdk bootstrap aws://${account}/${region} --trust ${options.trust} --cloudformation-execution-policies <policy ARN>` });
            continue;
          }
        }
        findings.push({ status: 'PASS', check, detail: `${roleName} exists` });
      } catch (e) {
        const missing = errorName(e) === 'NoSuchEntityException' || errorName(e) === 'NoSuchEntity';
        findings.push({
          status: missing ? 'FAIL' : 'WARN',
          check,
          detail: missing
            ? `${roleName} does not exist: cdk bootstrap aws://${account}/${region}${options.trust ? ` --trust ${options.trust}` : ' --trust <deploy account>'} --cloudformation-execution-policies <policy ARN>` +
              (kind === 'cfn-exec-role' ? ' (KMS refuses a key policy that locks out the role creating it; with another qualifier, pass ProtectedKeyProps.deploymentRoleArns)' : '')
            : `iam:GetRole ${roleName} failed (${errorName(e)}: ${errorMessage(e)})`,
        });
      }
    }
  }
  return { account, findings };
}

/** The command: returns the exit code. Clients are injectable for tests. */
export async function main(
  argv: string[],
  log: (s: string) => void = console.log,
  error: (s: string) => void = console.error,
  makeClients: (region: string) => DoctorClients = (region) => ({ sts: new STSClient({ region }), iam: new IAMClient({ region }), backup: new BackupClient({ region }) }),
): Promise<number> {
  let context = 'cdk.json';
  let qualifier: string | undefined;
  let trust: string | undefined;
  let region: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (!v || v.startsWith('-')) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--help' || a === '-h') {
        log(DOCTOR_USAGE);
        return 0;
      } else if (a === '--context') context = value();
      else if (a === '--qualifier') qualifier = value();
      else if (a === '--trust') trust = value();
      else if (a === '--region') region = value();
      else throw new Error(`unknown option ${a}`);
    } catch (e) {
      error(`${errorMessage(e)}\n${DOCTOR_USAGE}`);
      return 2;
    }
  }
  if (trust !== undefined && !/^\d{12}$/.test(trust)) {
    error(`--trust must be a 12-digit account id, got '${trust}'\n${DOCTOR_USAGE}`);
    return 2;
  }
  let layout: DataProtectionAccounts;
  try {
    layout = readLayout(context);
  } catch (e) {
    error(`cdk-data-protection doctor: ${errorMessage(e)}`);
    return 2;
  }
  let result: { account: string; findings: Finding[] };
  try {
    result = await runChecks(makeClients(region ?? layout.primaryRegion), { layout, qualifier, trust });
  } catch (e) {
    // Only GetCallerIdentity throws out of runChecks: no usable credentials.
    error(`cdk-data-protection doctor: no usable AWS credentials (${errorName(e)}: ${errorMessage(e)}); doctor runs only where credentials exist, and checks nothing without them`);
    return 2;
  }
  for (const f of result.findings) log(`${f.status} ${f.check}: ${f.detail}`);
  const failed = result.findings.filter((f) => f.status === 'FAIL').length;
  log(`doctor: account ${result.account}: ${result.findings.length - failed} ok or warning, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { accountInArn, asList, flatten, logicalIdOf, propsOf, resourcesOfType, sameEnvironment, sameStack, vaultNameInArn } from '../../inspect';
import { defineRule } from '../../rule';

interface Lifecycle {
  DeleteAfterDays?: number;
  MoveToColdStorageAfterDays?: number;
}

/** The vault a plan rule targets (same stack by reference, else same environment by name). */
function vaultByReference(plan: CfnResource, target: unknown): CfnResource | undefined {
  const vaults = resourcesOfType(plan, 'AWS::Backup::BackupVault');
  const text = JSON.stringify(target ?? null);
  const byRef = vaults.find((v) => sameStack(v, plan) && text.includes(`"${logicalIdOf(v)}"`));
  if (byRef) return byRef;
  const name = typeof target === 'string' ? target : vaultNameInArn(target);
  return name ? vaults.find((v) => sameEnvironment(v, plan) && propsOf(v).BackupVaultName === name) : undefined;
}

/** The destination vault of a copy action, found by name (and account, when literal) anywhere in the app. */
function vaultByArn(plan: CfnResource, arn: unknown): CfnResource | undefined {
  const name = vaultNameInArn(arn);
  if (!name) return undefined;
  const account = accountInArn(arn);
  return resourcesOfType(plan, 'AWS::Backup::BackupVault').find((v) => {
    if (propsOf(v).BackupVaultName !== name) return false;
    const va = Stack.of(v).account;
    return account === undefined || /^\d{12}$/.test(va) === false || va === account;
  });
}

/** Problems of one lifecycle against one vault lock, or none when the lock is absent or unknown. */
export function lifecycleProblems(lifecycle: Lifecycle | undefined, vault: CfnResource | undefined): string[] {
  const problems: string[] = [];
  const del = lifecycle?.DeleteAfterDays === undefined ? undefined : Number(lifecycle.DeleteAfterDays);
  const cold = lifecycle?.MoveToColdStorageAfterDays === undefined ? undefined : Number(lifecycle.MoveToColdStorageAfterDays);
  if (cold !== undefined && del !== undefined && del < cold + 90) problems.push(`DeleteAfterDays ${del} < MoveToColdStorageAfterDays ${cold} + 90`);
  const lock = vault ? propsOf(vault).LockConfiguration : undefined;
  if (!lock) return problems;
  const min = lock.MinRetentionDays === undefined ? undefined : Number(lock.MinRetentionDays);
  const max = lock.MaxRetentionDays === undefined ? undefined : Number(lock.MaxRetentionDays);
  if (max !== undefined && del === undefined) problems.push(`no DeleteAfterDays but the vault lock has MaxRetentionDays ${max}`);
  if (del !== undefined && min !== undefined && del < min) problems.push(`DeleteAfterDays ${del} < MinRetentionDays ${min}`);
  if (del !== undefined && max !== undefined && del > max) problems.push(`DeleteAfterDays ${del} > MaxRetentionDays ${max}`);
  return problems;
}

/** Every rule and copy of a backup plan keeps recovery points within the destination vault's lock. */
export default defineRule({
  id: 'BackupRetentionWithinLock',
  info: 'A backup plan rule or copy action keeps recovery points outside the Vault Lock range of its destination vault (or deletes cold-storage points before 90 days).',
  explanation:
    'Vault Lock fails every backup or copy job whose retention is outside MinRetentionDays..MaxRetentionDays, and a copy with no DeleteAfterDays fails when the destination has a maximum: the plan reports success at deploy time and then produces no recovery points. Checked wherever the destination vault is in the same app; ProtectedBackupPlan checks it at synth time.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::Backup::BackupPlan') return NagRuleCompliance.NOT_APPLICABLE;
    const rules = asList(propsOf(node).BackupPlan?.BackupPlanRule) as Array<Record<string, any>>;
    const problems = rules.flatMap((r) => [
      ...lifecycleProblems(r.Lifecycle, vaultByReference(node, r.TargetBackupVault)).map((p) => `${flatten(r.RuleName)}: ${p}`),
      ...asList(r.CopyActions).flatMap((c: any) => lifecycleProblems(c.Lifecycle, vaultByArn(node, c.DestinationBackupVaultArn)).map((p) => `${flatten(r.RuleName)} copy: ${p}`)),
    ]);
    return problems.length > 0 ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
});

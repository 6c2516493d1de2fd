import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The CDK bootstrap CloudFormation execution role of the stack's account and region (default
 * qualifier `hnb659fds`): the role that deploys, which key and vault policies let keep
 * PutKeyPolicy / PutBackupVaultAccessPolicy (KMS's lockout check) and nothing else of their denies.
 */
export function defaultDeploymentRoleArn(): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-hnb659fds-cfn-exec-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

/** The ARN of the break-glass role `roleName` in `stack`'s account. */
export function breakGlassRoleArn(stack: Stack, roleName: string): string {
  return stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: roleName });
}

/**
 * A resource-policy statement denying `actions` to every principal whose ARN is not one of
 * `exempt` (the break-glass role, and for policy changes the deployment roles).
 */
export function denyAllBut(sid: string, actions: string[], exempt: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions,
    resources: ['*'],
    conditions: { ArnNotLike: { 'aws:PrincipalArn': exempt } },
  });
}

import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { defaultDeploymentRoleArn } from '../core/break-glass';
import { Construct } from 'constructs';
import { CONTROLS, recordControl } from '../core/controls';
import { validateAccountId } from '../core/validation';
import { KeyConsumerService } from './key-consumer-service';
import { ProtectedKey } from './protected-key';

/** Default name of the key-account role that administers keys. */
export const DEFAULT_KEY_ADMIN_ROLE_NAME = 'data-protection-key-admin';

export interface DataAccountFallbackKeyProps {
  /** Alias in the data account. */
  readonly aliasName: string;
  /** The key account, whose admin role administers this key. */
  readonly keyAccount: string;
  /** Services that use the key in this account, e.g. DynamoDB. */
  readonly services: KeyConsumerService[];
  /** Why the key cannot live in the key account (shown in the report). */
  readonly reason: string;
  /** @default 'data-protection-key-admin' */
  readonly keyAdminRoleName?: string;
  /** @default Duration.days(365) */
  readonly rotationPeriod?: Duration;
}

/**
 * For services that cannot use a key from another account (DynamoDB does not document it):
 * a key in the data account that this account can only *use*, through the named services.
 * It is administered by the key account's admin role; the deployment role may change its policy
 * (KMS's lockout check requires it) but, like everyone but the break-glass role, never disable,
 * un-rotate or delete it. The data account's IAM (its root) gets no management rights. Recorded
 * as a fallback in the report.
 */
export class DataAccountFallbackKey extends ProtectedKey {
  public constructor(scope: Construct, id: string, props: DataAccountFallbackKeyProps) {
    validateAccountId('DataAccountFallbackKeyProps.keyAccount', props.keyAccount);
    const deployRole = defaultDeploymentRoleArn();
    super(scope, id, {
      aliasName: props.aliasName,
      rotationPeriod: props.rotationPeriod,
      accountRootManagement: false,
      administrators: [
        new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${props.keyAccount}:role/${props.keyAdminRoleName ?? DEFAULT_KEY_ADMIN_ROLE_NAME}`),
        // KMS refuses a key policy that would lock out its creator (the deployment role). The tamper
        // denies of ProtectedKey leave it PutKeyPolicy only: never DisableKey, DisableKeyRotation,
        // ScheduleKeyDeletion or DeleteImportedKeyMaterial.
        new iam.ArnPrincipal(deployRole),
      ],
      consumers: { accounts: [Aws.ACCOUNT_ID], services: props.services },
      description: `cdk-data-protection fallback key ${props.aliasName}: administered from key account ${props.keyAccount}`,
    });
    recordControl(this.resource, CONTROLS.FALLBACK_KEY, { keyAccount: props.keyAccount, reason: props.reason });
  }
}

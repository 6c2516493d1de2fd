import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CONTROLS, recordControl } from '../core/controls';
import { validateAccountId } from '../core/validation';
import { KeyConsumerService } from './key-consumer-service';
import { breakGlassOnlyPolicy, ProtectedKey } from './protected-key';

/** Default name of the key-account role that administers keys. */
export const DEFAULT_KEY_ADMIN_ROLE_NAME = 'data-protection-key-admin';

export interface DataAccountFallbackKeyProps {
  /** Alias in the data account. */
  readonly aliasName: string;
  /** The key account, whose admin role observes this key (KMS allows it only reads across accounts). */
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
 *
 * KMS lets no principal of another account change a key's policy, disable it or schedule its
 * deletion ("Cross-account use: No"), so the key account cannot administer it directly: its admin
 * role only reads the key's state (DescribeKey, GetKeyRotationStatus, ListGrants). The key is
 * administered by the break-glass role of this account alone, the role the key account's
 * administrators use in an incident. The deployment role may create and re-deploy it but never
 * change its policy (the key is created with `BypassPolicyLockoutSafetyCheck`), disable it,
 * un-rotate, delete or re-point it; the data account's IAM (its root) gets nothing else. A policy
 * change therefore needs the break-glass role (README, "Keys"). Recorded as a fallback in the report.
 */
export class DataAccountFallbackKey extends ProtectedKey {
  public constructor(scope: Construct, id: string, props: DataAccountFallbackKeyProps) {
    validateAccountId('DataAccountFallbackKeyProps.keyAccount', props.keyAccount);
    super(
      scope,
      id,
      breakGlassOnlyPolicy(
        {
          aliasName: props.aliasName,
          rotationPeriod: props.rotationPeriod,
          accountRootManagement: false,
          consumers: { accounts: [Aws.ACCOUNT_ID], services: props.services },
          description: `cdk-data-protection fallback key ${props.aliasName}: administered by break-glass only, observed from key account ${props.keyAccount}`,
        },
        { observers: [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${props.keyAccount}:role/${props.keyAdminRoleName ?? DEFAULT_KEY_ADMIN_ROLE_NAME}`)] },
      ),
    );
    recordControl(this.resource, CONTROLS.FALLBACK_KEY, { keyAccount: props.keyAccount, reason: props.reason });
  }
}

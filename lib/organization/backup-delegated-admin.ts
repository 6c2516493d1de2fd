import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResourceProvider, acknowledgeInlinePolicy, acknowledgeWildcards } from '../core/acknowledgements';
import { CONTROLS, recordControl } from '../core/controls';
import { validateAccountId, validateOrganizationIdFormat } from '../core/validation';
import { customResourceCfn, enableTrustedAccess, organizationsAccountArn } from './organization-trail';


const BACKUP_SERVICE_PRINCIPAL = 'backup.amazonaws.com';

export interface BackupDelegatedAdministratorProps {
  /**
   * The member account that administers AWS Backup for the organization: monitors the backup,
   * copy and restore jobs of every account (cross-account monitoring) and, once delegated in the
   * Organizations delegation policy, manages backup policies. Usually the backup account (or the
   * audit account).
   */
  readonly delegatedAdminAccount: string;
  /** The organization id (`o-…`): scopes the Organizations permissions to this account of this organization. */
  readonly organizationId: string;
  /**
   * Turn on cross-account backup (`isCrossAccountBackupEnabled`, AWS Backup `UpdateGlobalSettings`,
   * management account only), which the copies of the data accounts into the backup account's
   * vault need. Applies to this stack's Region. Left on when the construct is deleted: turning it
   * off would stop every cross-account copy.
   * @default true
   */
  readonly crossAccountBackup?: boolean;
  /**
   * Deregister the delegated administrator when the construct (or its stack) is deleted, and the
   * previous account when `delegatedAdminAccount` changes. Off by default: a merged change that
   * removes the construct would otherwise silently take cross-account monitoring away from the
   * organization. With it off, deregister a replaced account yourself
   * (`aws organizations deregister-delegated-administrator`).
   * @default false
   */
  readonly deregisterOnDelete?: boolean;
}

/**
 * AWS Backup's delegated administrator and cross-account management, for the organization's
 * **management account** (only it may call these APIs): trusted access for AWS Backup in AWS
 * Organizations (what the AWS Backup console's "cross-account monitoring" turns on), cross-account
 * backup, and the member account registered as delegated administrator for `backup.amazonaws.com`
 * ("Managing AWS Backup resources across multiple AWS accounts",
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/manage-cross-account.html).
 *
 * CloudFormation has no resource for any of these, so each is an `AwsCustomResource` with only
 * the permissions of its call: `organizations:EnableAWSServiceAccess`
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnableAWSServiceAccess.html),
 * `backup:UpdateGlobalSettings`
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateGlobalSettings.html) and
 * `organizations:RegisterDelegatedAdministrator` / `DeregisterDelegatedAdministrator`
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_RegisterDelegatedAdministrator.html).
 * Deleting the construct leaves the account registered unless `deregisterOnDelete`; trusted access
 * and cross-account backup always stay on. Changing `delegatedAdminAccount` replaces the
 * registration (the account is part of its physical id): CloudFormation registers the new account,
 * then deletes the old resource with its old properties ("If the value returned is different,
 * CloudFormation recognizes the update as a replacement and sends a delete request to the old
 * resource", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-delete.html),
 * which deregisters the old account only with `deregisterOnDelete`.
 *
 * Letting the delegated administrator also manage backup policies takes a statement in the
 * organization's resource-based delegation policy (`AWS::Organizations::ResourcePolicy`, one per
 * organization), which this construct does not write.
 */
export class BackupDelegatedAdministrator extends Construct {
  /** The account registered. */
  public readonly delegatedAdminAccount: string;
  /** The `RegisterDelegatedAdministrator` call for `backup.amazonaws.com` (deregisters on delete with `deregisterOnDelete` only). */
  public readonly registration: cr.AwsCustomResource;
  /** Trusted access for AWS Backup (cross-account monitoring). */
  public readonly trustedAccess: cr.AwsCustomResource;
  /** Cross-account backup, when turned on. */
  public readonly globalSettings?: cr.AwsCustomResource;

  public constructor(scope: Construct, id: string, props: BackupDelegatedAdministratorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    validateAccountId('BackupDelegatedAdministratorProps.delegatedAdminAccount', props.delegatedAdminAccount);
    validateOrganizationIdFormat('BackupDelegatedAdministratorProps.organizationId', props.organizationId);
    if (!Token.isUnresolved(stack.account) && stack.account === props.delegatedAdminAccount) {
      throw new Error(
        `BackupDelegatedAdministratorProps.delegatedAdminAccount must be a member account, not the management account this stack deploys to, got '${props.delegatedAdminAccount}': ` +
          'the management account cannot be its own delegated administrator',
      );
    }
    this.delegatedAdminAccount = props.delegatedAdminAccount;

    // 1. Trusted access: cross-account monitoring, and the precondition of registering a delegated administrator.
    this.trustedAccess = enableTrustedAccess(this, BACKUP_SERVICE_PRINCIPAL);

    // 2. Cross-account backup (copies between accounts of the organization).
    const crossAccountBackup = props.crossAccountBackup ?? true;
    if (crossAccountBackup) {
      this.globalSettings = new cr.AwsCustomResource(this, 'CrossAccountBackup', {
        onCreate: {
          service: 'Backup',
          action: 'updateGlobalSettings',
          parameters: { GlobalSettings: { isCrossAccountBackupEnabled: 'true' } },
          physicalResourceId: cr.PhysicalResourceId.of(`backup-cross-account-backup-${stack.region}`),
        },
        installLatestAwsSdk: false,
        policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['backup:UpdateGlobalSettings'], resources: ['*'] })]),
      });
      this.globalSettings.node.addDependency(this.trustedAccess);
      const policy = this.globalSettings.node.tryFindChild('CustomResourcePolicy');
      acknowledgeWildcards(policy!, [{ resource: '*', reason: "backup:UpdateGlobalSettings has no resource-level permissions: the settings belong to the organization's management account." }]);
      acknowledgeInlinePolicy(policy, "AwsCustomResource attaches each call's permissions as an inline policy of its provider role; this one only turns on cross-account backup.");
    }

    // 3. The delegated administrator for backup.amazonaws.com. The account is in the physical id, so
    // a new account replaces the resource; an update with the same account (another property
    // changed) registers again, and an account already registered is what we want
    // (AccountAlreadyRegisteredException, "RegisterDelegatedAdministrator", AWS Organizations API
    // Reference, https://docs.aws.amazon.com/organizations/latest/APIReference/API_RegisterDelegatedAdministrator.html).
    const deregisterOnDelete = props.deregisterOnDelete ?? false;
    const register: cr.AwsSdkCall = {
      service: 'Organizations',
      action: 'registerDelegatedAdministrator',
      parameters: { AccountId: props.delegatedAdminAccount, ServicePrincipal: BACKUP_SERVICE_PRINCIPAL },
      physicalResourceId: cr.PhysicalResourceId.of(`backup-delegated-admin-${props.delegatedAdminAccount}`),
    };
    // The account resource type and organizations:ServicePrincipal (Service Authorization Reference, AWS Organizations).
    const statements = [
      new iam.PolicyStatement({
        actions: ['organizations:RegisterDelegatedAdministrator'],
        resources: [organizationsAccountArn(props.organizationId, props.delegatedAdminAccount)],
        conditions: { StringEquals: { 'organizations:ServicePrincipal': BACKUP_SERVICE_PRINCIPAL } },
      }),
    ];
    // A replaced registration is deleted after the policy names the new account: deregistering
    // needs every account of the organization, for this service only.
    const deregisterResource = organizationsAccountArn(props.organizationId, '*');
    if (deregisterOnDelete) {
      statements.push(new iam.PolicyStatement({
        actions: ['organizations:DeregisterDelegatedAdministrator'],
        resources: [deregisterResource],
        conditions: { StringEquals: { 'organizations:ServicePrincipal': BACKUP_SERVICE_PRINCIPAL } },
      }));
    }
    this.registration = new cr.AwsCustomResource(this, 'Registration', {
      onCreate: register,
      onUpdate: { ...register, ignoreErrorCodesMatching: 'AccountAlreadyRegisteredException' },
      onDelete: deregisterOnDelete
        ? { service: 'Organizations', action: 'deregisterDelegatedAdministrator', parameters: { AccountId: props.delegatedAdminAccount, ServicePrincipal: BACKUP_SERVICE_PRINCIPAL } }
        : undefined,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements(statements),
    });
    if (deregisterOnDelete) {
      acknowledgeWildcards(this.registration.node.tryFindChild('CustomResourcePolicy')!, [
        { resource: deregisterResource, reason: 'Deregisters the delegated administrator of AWS Backup only (organizations:ServicePrincipal), also the previous account after delegatedAdminAccount changed, whose id the policy no longer names.' },
      ]);
    }
    this.registration.node.addDependency(this.trustedAccess);
    acknowledgeInlinePolicy(
      this.registration.node.tryFindChild('CustomResourcePolicy'),
      "AwsCustomResource attaches each call's permissions as an inline policy of its provider role; this one only registers (and, with deregisterOnDelete, deregisters) the delegated administrator of AWS Backup.",
    );
    acknowledgeAwsCustomResourceProvider(stack);

    recordControl(customResourceCfn(this.registration), CONTROLS.BACKUP_DELEGATED_ADMIN, {
      detail: {
        delegatedAdminAccount: props.delegatedAdminAccount,
        servicePrincipal: BACKUP_SERVICE_PRINCIPAL,
        organizationId: props.organizationId,
        crossAccountMonitoring: true,
        crossAccountBackup,
        deregisterOnDelete,
      },
    });
  }
}

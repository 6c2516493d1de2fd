import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CONTROLS, recordControl } from '../core/controls';
import { addKeyPolicyValidation, buildProtectedKeyPolicy, ProtectedKeyProps } from './protected-key';

export interface ProtectedKeyReplicaProps extends ProtectedKeyProps {
  /** ARN of the multi-Region primary key (`mrk-` id), e.g. from `CrossAccountKey` in the primary region. */
  readonly primaryKeyArn: string;
}

/**
 * A replica of a multi-Region `ProtectedKey` in another region (the DR region), under the same
 * alias and with the same policy guarantees, with `kms:ViaService` values of its own region.
 * Rotation follows the primary key. Lets the backup account's DR vault and DR-region copies
 * use key-account keys there.
 */
export class ProtectedKeyReplica extends Construct {
  public readonly key: kms.IKey;
  public readonly keyArn: string;
  public readonly aliasName: string;
  public readonly resource: kms.CfnReplicaKey;

  public constructor(scope: Construct, id: string, props: ProtectedKeyReplicaProps) {
    super(scope, id);
    const policy = buildProtectedKeyPolicy(this, props, 'ProtectedKeyReplicaProps');
    this.aliasName = props.aliasName;
    this.resource = new kms.CfnReplicaKey(this, 'Resource', {
      primaryKeyArn: props.primaryKeyArn,
      description: props.description ?? `cdk-data-protection replica ${props.aliasName}`,
      pendingWindowInDays: props.pendingWindow?.toDays() ?? 30,
      keyPolicy: policy.toJSON(),
    });
    this.resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.keyArn = this.resource.attrArn;
    this.key = kms.Key.fromKeyArn(this, 'Key', this.keyArn);
    const alias = new kms.CfnAlias(this, 'Alias', { aliasName: props.aliasName, targetKeyId: this.resource.attrKeyId });
    alias.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    recordControl(this.resource, CONTROLS.KEY, { aliasName: props.aliasName, replicaOf: Stack.of(this).resolve(props.primaryKeyArn), pendingDays: props.pendingWindow?.toDays() ?? 30 });
    addKeyPolicyValidation(this, this.resource, props.aliasName);
  }
}

import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResourceProvider, acknowledgeInlinePolicy, acknowledgeWildcards } from '../core/acknowledgements';
import { validateAccountId } from '../core/validation';
import { ProtectedKey } from './protected-key';

export interface CrossAccountKeyProps {
  /** The key account's id. */
  readonly keyAccount: string;
  /** The alias of the `ProtectedKey` in the key account, e.g. `alias/data-protection/confidential`. */
  readonly aliasName: string;
  /** @default - this stack's region */
  readonly region?: string;
}

/**
 * A key that lives in the key account, used from a data, backup or audit account. Resolves
 * the deterministic alias ARN to the key ARN at deploy time with `kms:DescribeKey`
 * (granted to consumer accounts by `ProtectedKey`), because resource properties (S3 default
 * encryption, Backup vaults, CloudWatch Logs, KMS grants) need the key ARN, not the alias.
 * No ARN is copied by hand.
 */
export class CrossAccountKey extends Construct {
  /** The key, for `encryptionKey` props and `grant*` (grants land in IAM policies only). */
  public readonly key: kms.IKey;
  /** The resolved key ARN (a deploy-time token). */
  public readonly keyArn: string;
  /** The alias ARN it was resolved from. */
  public readonly aliasArn: string;

  public constructor(scope: Construct, id: string, props: CrossAccountKeyProps) {
    super(scope, id);
    validateAccountId('CrossAccountKeyProps.keyAccount', props.keyAccount);
    if (!Token.isUnresolved(props.aliasName) && !props.aliasName.startsWith('alias/')) {
      throw new Error(`CrossAccountKeyProps.aliasName must start with 'alias/', got '${props.aliasName}'`);
    }
    const stack = Stack.of(this);
    const region = props.region ?? stack.region;
    this.aliasArn = ProtectedKey.aliasArnFor(props.keyAccount, region, props.aliasName);
    const describe: cr.AwsSdkCall = {
      service: 'KMS',
      action: 'describeKey',
      parameters: { KeyId: this.aliasArn },
      region,
      physicalResourceId: cr.PhysicalResourceId.of(this.aliasArn),
      outputPaths: ['KeyMetadata.Arn'],
    };
    const keysOfAccount = `arn:${stack.partition}:kms:${region}:${props.keyAccount}:key/*`;
    const lookup = new cr.AwsCustomResource(this, 'DescribeKey', {
      onCreate: describe,
      onUpdate: describe,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        // Only the key behind this alias: key ARNs are random, so match on the alias.
        new iam.PolicyStatement({
          actions: ['kms:DescribeKey'],
          resources: [keysOfAccount],
          conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [props.aliasName] } },
        }),
      ]),
    });
    const policy = lookup.node.tryFindChild('CustomResourcePolicy');
    acknowledgeWildcards(policy!, [
      { resource: keysOfAccount, reason: 'Key ids are random, so DescribeKey names key/* of the key account and the kms:ResourceAliases condition narrows it to the key behind this alias.' },
    ]);
    acknowledgeInlinePolicy(policy, "AwsCustomResource attaches each call's permissions as an inline policy of its provider role; this one only allows DescribeKey of the key behind one alias.");
    acknowledgeAwsCustomResourceProvider(this);
    this.keyArn = lookup.getResponseField('KeyMetadata.Arn');
    this.key = kms.Key.fromKeyArn(this, 'Key', this.keyArn);
  }
}

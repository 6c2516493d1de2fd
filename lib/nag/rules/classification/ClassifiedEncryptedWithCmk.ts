import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { asList, classificationOf, flatten, isClusterMember, propsOf } from '../../inspect';
import { defineRule } from '../../rule';

const present = (v: unknown) => v !== undefined && v !== null && v !== '' && !/alias\/aws\//.test(flatten(v));
const truthy = (v: unknown) => v === true || v === 'true';

/** Whether the store is encrypted with a customer managed key; undefined for types not checked. */
function encryptedWithCmk(node: CfnResource): boolean | undefined {
  const p = propsOf(node);
  switch (node.cfnResourceType) {
    case 'AWS::S3::Bucket':
      return asList(p.BucketEncryption?.ServerSideEncryptionConfiguration).some(
        (c: any) => /^aws:kms/.test(c?.ServerSideEncryptionByDefault?.SSEAlgorithm ?? '') && present(c.ServerSideEncryptionByDefault.KMSMasterKeyID),
      );
    case 'AWS::DynamoDB::Table':
      return truthy(p.SSESpecification?.SSEEnabled) && p.SSESpecification?.SSEType === 'KMS' && present(p.SSESpecification?.KMSMasterKeyId);
    case 'AWS::DynamoDB::GlobalTable': {
      const replicas = asList(p.Replicas) as Array<Record<string, any>>;
      return truthy(p.SSESpecification?.SSEEnabled) && p.SSESpecification?.SSEType === 'KMS' && replicas.length > 0 && replicas.every((r) => present(r.SSESpecification?.KMSMasterKeyId));
    }
    case 'AWS::RDS::DBInstance':
    case 'AWS::RDS::DBCluster':
    case 'AWS::DocDB::DBCluster':
    case 'AWS::Neptune::DBCluster':
      // Cluster members are encrypted by their cluster: judged through it.
      if (isClusterMember(node)) return undefined;
      return truthy(p.StorageEncrypted) && present(p.KmsKeyId);
    case 'AWS::EFS::FileSystem':
    case 'AWS::EC2::Volume':
    case 'AWS::Redshift::Cluster':
      return truthy(p.Encrypted) && present(p.KmsKeyId);
    case 'AWS::FSx::FileSystem':
      return present(p.KmsKeyId);
    default:
      return undefined;
  }
}

/** Classified data whose policy requires a CMK is encrypted with one (never AWS owned or AWS managed keys). */
export default defineRule({
  id: 'ClassifiedEncryptedWithCmk',
  info: 'The classified data store must be encrypted with a customer managed KMS key (policy requireCmk, INTERNAL and above) but uses no key, an AWS owned key or an AWS managed key.',
  explanation:
    'Encryption with a key its own account controls protects nothing when that account is compromised: keys must live apart from the data (the key account), with their own administrators, rotation and deletion protection. AWS managed keys cannot be shared, so cross-account backup copies of such data fail too.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    const c = classificationOf(node);
    if (!c || !c.policy.requireCmk) return NagRuleCompliance.NOT_APPLICABLE;
    const ok = encryptedWithCmk(node);
    if (ok === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

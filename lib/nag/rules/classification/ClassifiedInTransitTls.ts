import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { tlsParameterFor } from '../../../core/database-tls';
import { deniesInsecureTransport } from '../../buckets';
import { classificationOf, flatten, isClusterMember, logicalIdOf, propsOf, resourcesOfType, sameStack } from '../../inspect';
import { defineRule } from '../../rule';

/** Per database type: the parameter group type, and the property naming it on both (the database references it, the group names itself). */
const GROUP_TYPES: Record<string, { type: string; prop: string }> = {
  'AWS::RDS::DBCluster': { type: 'AWS::RDS::DBClusterParameterGroup', prop: 'DBClusterParameterGroupName' },
  'AWS::RDS::DBInstance': { type: 'AWS::RDS::DBParameterGroup', prop: 'DBParameterGroupName' },
};

/**
 * Whether a database's parameter group (defined in the app) forces TLS for its engine. A missing
 * group, an RDS `default.*` group (which cannot be changed) and a group the app does not define
 * are not proof, hence false. Undefined for engines whose TLS setting is not a parameter.
 */
function databaseForcesTls(node: CfnResource): boolean | undefined {
  const p = propsOf(node);
  const parameter = tlsParameterFor(typeof p.Engine === 'string' ? p.Engine : undefined);
  if (!parameter) return undefined;
  const { type, prop } = GROUP_TYPES[node.cfnResourceType];
  const ref = p[prop];
  if (ref === undefined || ref === null) return false;
  const group = resourcesOfType(node, type).find((g) => {
    if (typeof ref === 'string') return propsOf(g)[prop] === ref;
    return sameStack(g, node) && typeof ref === 'object' && ref.Ref === logicalIdOf(g);
  });
  if (!group) return false;
  const value = propsOf(group).Parameters?.[parameter.name];
  return value !== undefined && parameter.accepted.includes(flatten(value).toLowerCase());
}

/**
 * Classified data travels only over TLS. S3 accepts plain HTTP unless the bucket policy denies
 * it, and RDS accepts unencrypted connections unless the engine's parameter forces TLS (see
 * lib/core/database-tls.ts for the parameter per engine and AWS's pages). DynamoDB is not judged:
 * its API is HTTPS only, clients must use TLS 1.2 or 1.3
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/network-isolation.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/data-protection.html).
 */
export default defineRule({
  id: 'ClassifiedInTransitTls',
  info: 'The classified data store accepts connections without TLS: an S3 bucket whose policy does not deny aws:SecureTransport=false and s3:TlsVersion < 1.2, or an RDS/Aurora database whose parameter group (defined in the app, not a default.* group) does not set rds.force_ssl=1 (PostgreSQL, SQL Server) or require_secure_transport=ON (MySQL, MariaDB).',
  explanation:
    'Encryption at rest does nothing for data on the wire: without a server-side requirement, a misconfigured or old client reads and writes classified data in clear text or over broken TLS. For buckets use enforceSSL: true and minimumTLSVersion: 1.2; for RDS and Aurora use DataProtection.forceTls(database). DynamoDB endpoints accept TLS only and are not judged.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    const type = node.cfnResourceType;
    if (type !== 'AWS::S3::Bucket' && type !== 'AWS::RDS::DBCluster' && type !== 'AWS::RDS::DBInstance') return NagRuleCompliance.NOT_APPLICABLE;
    if (!classificationOf(node)) return NagRuleCompliance.NOT_APPLICABLE;
    if (type === 'AWS::S3::Bucket') return deniesInsecureTransport(node) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
    // Cluster members connect through their cluster's parameter group: judged through it.
    if (isClusterMember(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const ok = databaseForcesTls(node);
    if (ok === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
});

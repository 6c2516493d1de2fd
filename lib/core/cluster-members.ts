import { CfnResource, Stack } from 'aws-cdk-lib';

/**
 * The instances of an RDS or Aurora cluster: `AWS::RDS::DBInstance` resources of the same stack
 * whose `DBClusterIdentifier` refers to the cluster (by `Ref` or its literal identifier). They
 * inherit the cluster's classification but are encrypted, backed up and restored through it.
 */
export function clusterMembers(cluster: CfnResource): CfnResource[] {
  const stack = Stack.of(cluster);
  const id = stack.resolve(cluster.logicalId);
  const name = stack.resolve((cluster as any).dbClusterIdentifier);
  return stack.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::RDS::DBInstance')
    .filter((i) => {
      const ref = stack.resolve((i as any).dbClusterIdentifier);
      if (ref === undefined) return false;
      return (typeof ref === 'object' && ref?.Ref === id) || (typeof name === 'string' && typeof ref === 'string' && ref.toLowerCase() === name.toLowerCase());
    });
}

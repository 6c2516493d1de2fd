import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { asList, propsOf } from '../../inspect';
import { defineRule } from '../../rule';
import { plainSecretReason } from '../../secrets';

/** ECS containers get secrets through `Secrets` (Secrets Manager / SSM), never through `Environment`. */
export default defineRule({
  id: 'ECSNoPlainSecrets',
  info: 'An ECS container definition has a secret in a plain Environment entry instead of Secrets (Secrets Manager or SSM SecureString).',
  explanation:
    'Plain Environment values are stored in the task definition, readable by anyone with ecs:DescribeTaskDefinition, and copied into every revision forever. ContainerDefinition Secrets are injected at start from Secrets Manager or SSM, so they rotate and stay out of the template.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::ECS::TaskDefinition') return NagRuleCompliance.NOT_APPLICABLE;
    const containers = asList(propsOf(node).ContainerDefinitions) as Array<{ Environment?: Array<{ Name?: string; Value?: unknown }> }>;
    const found = containers.some((c) => asList(c.Environment).some((e) => typeof e.Name === 'string' && plainSecretReason(e.Name, e.Value)));
    return found ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
});

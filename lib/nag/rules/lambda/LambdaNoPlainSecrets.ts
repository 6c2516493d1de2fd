import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { propsOf } from '../../inspect';
import { defineRule } from '../../rule';
import { plainSecretReason } from '../../secrets';

/** Lambda functions read secrets from Secrets Manager at run time, never from plain environment variables. */
export default defineRule({
  id: 'LambdaNoPlainSecrets',
  info: 'The Lambda function has a secret in a plain environment variable (a literal password/token/key, a credential-looking value, or a resolved {{resolve:secretsmanager}} value).',
  explanation:
    'Environment variables are readable by anyone with lambda:GetFunctionConfiguration, appear in the template, in CloudFormation events and in logs of deployment tools, and never rotate. Pass the secret ARN or name in the environment and read the value with the Secrets Manager SDK or the Parameters and Secrets extension.',
  level: NagMessageLevel.ERROR,
  rule: (node) => {
    if (node.cfnResourceType !== 'AWS::Lambda::Function') return NagRuleCompliance.NOT_APPLICABLE;
    const vars = (propsOf(node).Environment?.Variables ?? {}) as Record<string, unknown>;
    return Object.entries(vars).some(([k, v]) => plainSecretReason(k, v)) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
});

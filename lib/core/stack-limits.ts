import { CfnResource, Stack } from 'aws-cdk-lib';

/** CloudFormation's resource limit per template. */
export const MAX_RESOURCES_PER_STACK = 500;

/**
 * Fails synthesis when a stack holds more resources than CloudFormation accepts, saying how to
 * split, instead of failing mid-deployment.
 */
export function addStackLimitsValidation(stack: Stack): void {
  stack.node.addValidation({
    validate: () => {
      const count = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === stack).length;
      return count > MAX_RESOURCES_PER_STACK
        ? [
            `${stack.stackName} has ${count} resources; CloudFormation allows at most ${MAX_RESOURCES_PER_STACK} per stack. ` +
              'Split the classified resources over several DataAccountStacks (e.g. one per application or per 100 tables/buckets); each protects its own.',
          ]
        : [];
    },
  });
}

import { statSync } from 'node:fs';
import { CfnResource, Stack } from 'aws-cdk-lib';

/** CloudFormation's resource limit per template. */
export const MAX_RESOURCES_PER_STACK = 500;

/**
 * CloudFormation's limit on a template body read from S3, as the CDK CLI deploys it: 1 MB
 * ("Template body size in an Amazon S3 object", CloudFormation quotas,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;

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

/**
 * Fails synthesis when the template just written for `stack` (at `file`) is larger than
 * CloudFormation accepts, saying how to split, instead of failing at deploy time. The size is that
 * of the file the CLI uploads, known only once the template is written.
 */
export function checkTemplateSize(stack: Stack, file: string): void {
  const bytes = statSync(file).size;
  if (bytes <= MAX_TEMPLATE_BYTES) return;
  throw new Error(
    `${stack.node.path}: its template is ${bytes} bytes (${Math.ceil(bytes / 1024)} KB); CloudFormation accepts at most ${MAX_TEMPLATE_BYTES} bytes (1 MB). ` +
      'Split the classified resources over several DataAccountStacks (e.g. one per application or per 100 tables/buckets); each protects its own.',
  );
}

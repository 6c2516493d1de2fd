import { statSync } from 'node:fs';
import { CfnResource, Stack } from 'aws-cdk-lib';

/** CloudFormation's resource limit per template. */
export const MAX_RESOURCES_PER_STACK = 500;

/**
 * CloudFormation's limit on a template body read from S3, as the CDK CLI deploys it: 1 MB
 * ("Template body size in an Amazon S3 object", CloudFormation quotas,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html),
 * which CloudFormation counts as 1,000,000 bytes ("Template may not exceed 1000000 bytes in size";
 * aws-cdk-lib's own size warning uses the same 1e6, `TEMPLATE_BODY_MAXIMUM_SIZE` in core/lib/stack.js).
 */
export const MAX_TEMPLATE_BYTES = 1_000_000;

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
 * CloudFormation accepts, saying how to split, instead of failing at deploy time (aws-cdk-lib only
 * warns). The size is that of the file the CLI uploads, known only once the template is written.
 *
 * @param split how to make this stack smaller, e.g. which resources to move where
 */
export function checkTemplateSize(stack: Stack, file: string, split: string): void {
  const bytes = statSync(file).size;
  if (bytes <= MAX_TEMPLATE_BYTES) return;
  throw new Error(
    `${stack.node.path}: its template is ${bytes} bytes; CloudFormation accepts at most ${MAX_TEMPLATE_BYTES} bytes (1 MB) and would refuse it at deploy. ` +
      `${split}, or set the stack's suppressTemplateIndentation (the template is written without indentation).`,
  );
}

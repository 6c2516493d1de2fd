import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { ClassifiedResources } from '../classification/classify';
import { DataClassification } from '../classification/data-classification';
import { METADATA } from '../core/constants';
import { CONTROLS, recordControl } from '../core/controls';
import { requireReason } from '../core/validation';

/** Whether the classified buckets of a `DataAccountStack` get the data perimeter (`DataAccountStackProps.dataPerimeter`). */
export interface DataPerimeterOptions {
  /**
   * Why the classified buckets of this stack admit principals outside the organization, e.g.
   * `'a partner account outside the organization reads the exports bucket'`. Shown in the report.
   * @default - the perimeter applies whenever `accounts.organizationId` is set
   */
  readonly disabledReason?: string;
}

/** Sid of the perimeter statement in a classified bucket's policy. */
export const DATA_PERIMETER_SID = 'DataPerimeterDenyPrincipalsOutsideOrganization';

/**
 * The identity perimeter of a classified bucket: every S3 action on the bucket and its objects is
 * denied to principals outside `organizationId`, unless an AWS service makes the request with its
 * service principal (CloudTrail, S3 server access logging, CloudFront origin access control).
 * The statement of AWS's resource-based data-perimeter example ("EnforceIdentityPerimeter",
 * https://github.com/aws-samples/data-perimeter-policy-examples/blob/main/resource_based_policies/s3_bucket_policy.json):
 * `aws:PrincipalOrgID` with `StringNotEqualsIfExists` (anonymous requests carry no organization
 * and are denied too), `aws:PrincipalIsAWSService` with `BoolIfExists` ("AWS global condition
 * context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
 *
 * `aws:PrincipalOrgID`, not `aws:ResourceOrgID`: a bucket policy constrains who calls it, and the
 * resource's own organization is always this one there. `aws:ResourceOrgID` belongs in identity
 * policies, SCPs and VPC endpoint policies, where it stops this organization's principals from
 * writing into buckets of other organizations: that needs an SCP in the management account,
 * outside this library.
 */
export function dataPerimeterStatement(bucket: s3.IBucket, organizationId: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: DATA_PERIMETER_SID,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:*'],
    resources: [bucket.bucketArn, bucket.arnForObjects('*')],
    conditions: {
      StringNotEqualsIfExists: { 'aws:PrincipalOrgID': organizationId },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    },
  });
}

/**
 * Adds the perimeter to the policy of every S3 bucket classified INTERNAL or above under `scope`
 * (PUBLIC buckets may be public on purpose). Without `organizationId` nothing is added (an info
 * annotation says so); with `disabledReason` nothing is added and the reason is recorded as an
 * override for the report. Buckets classified as L1 `CfnBucket`s get a warning instead: their
 * policy may be a separate `CfnBucketPolicy` this library cannot extend safely (one policy per bucket).
 */
export function applyDataPerimeter(scope: IConstruct, organizationId: string | undefined, options: DataPerimeterOptions = {}): void {
  const buckets = ClassifiedResources.within(scope, DataClassification.INTERNAL).filter((r) => r.resourceType === 'AWS::S3::Bucket');
  if (options.disabledReason !== undefined) {
    const reason = requireReason('DataAccountStackProps.dataPerimeter.disabledReason', options.disabledReason, 'classified buckets would admit principals outside the organization');
    scope.node.addMetadata(METADATA.OVERRIDE, { prop: 'DataAccountStackProps.dataPerimeter', floor: 'classified buckets deny principals outside the organization', value: 'off', reason });
    return;
  }
  if (buckets.length === 0) return;
  if (organizationId === undefined) {
    Annotations.of(scope).addInfoV2(
      'cdk-data-protection:no-data-perimeter',
      `${buckets.length} classified bucket(s) get no data perimeter: accounts.organizationId is not set, so their policies cannot deny principals outside the organization`,
    );
    return;
  }
  for (const r of buckets) {
    const bucket = r.scope;
    if (!(bucket instanceof s3.Bucket)) {
      Annotations.of(bucket).addWarningV2(
        'cdk-data-protection:data-perimeter-l1',
        `${bucket.node.path} is classified as a CfnBucket: add the data perimeter to its bucket policy yourself (Deny s3:* to Principal * with StringNotEqualsIfExists aws:PrincipalOrgID ${Token.isUnresolved(organizationId) ? 'your organization id' : organizationId} and BoolIfExists aws:PrincipalIsAWSService false)`,
      );
      continue;
    }
    bucket.addToResourcePolicy(dataPerimeterStatement(bucket, organizationId));
    recordControl(bucket, CONTROLS.DATA_PERIMETER, { organizationId: Stack.of(bucket).resolve(organizationId) });
  }
}

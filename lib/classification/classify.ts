import { ArnFormat, CfnResource, Stack, Tags } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CLASSIFICATION_TAG, METADATA } from '../core/constants';
import { DataClassification } from './data-classification';
import { ProtectionPolicy, ProtectionPolicyOverrides } from './protection-policy';

/** Options for `classify`. Policy overrides tighten, or loosen with a reason. */
export interface ClassifyOptions extends ProtectionPolicyOverrides {}

/** A resource with a classification, as recorded by `classify`. */
export class ClassifiedResource {
  public constructor(
    /** The construct that was classified (an L2 such as `s3.Bucket`, or an L1). */
    public readonly scope: IConstruct,
    /** Its level. */
    public readonly classification: DataClassification,
    /** The controls it gets. */
    public readonly policy: ProtectionPolicy,
  ) {}

  /** The CloudFormation resource that holds the data. */
  public get cfnResource(): CfnResource | undefined {
    if (CfnResource.isCfnResource(this.scope)) return this.scope;
    const child = this.scope.node.defaultChild;
    return child && CfnResource.isCfnResource(child) ? child : undefined;
  }

  /** CloudFormation type, e.g. `AWS::DynamoDB::Table`. */
  public get resourceType(): string | undefined {
    return this.cfnResource?.cfnResourceType;
  }

  /** The resource's ARN (a token), for backup selections, trail selectors and drills. */
  public get resourceArn(): string | undefined {
    const cfn = this.cfnResource;
    if (!cfn) return undefined;
    const stack = Stack.of(cfn);
    const ref = cfn.ref;
    switch (cfn.cfnResourceType) {
      case 'AWS::S3::Bucket':
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::EFS::FileSystem':
      case 'AWS::Lambda::Function':
        return cfn.getAtt('Arn').toString();
      case 'AWS::RDS::DBCluster':
        return stack.formatArn({ service: 'rds', resource: 'cluster', resourceName: ref, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      case 'AWS::RDS::DBInstance':
        return stack.formatArn({ service: 'rds', resource: 'db', resourceName: ref, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      case 'AWS::EC2::Volume':
        return stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: ref });
      default:
        return undefined;
    }
  }
}


/** Classified resources per app root, in classification order. */
const REGISTRY = new WeakMap<IConstruct, ClassifiedResource[]>();
/** The record of a classified construct, under the construct, its CloudFormation resource and its default child: O(1) lookups at any scale. */
const BY_CONSTRUCT = new WeakMap<IConstruct, ClassifiedResource>();

/**
 * Classifies a resource: tags it (`data-classification`), records its level and policy so
 * backup selection, data-event auditing, drills and the report can find it, and writes the
 * policy (with any overrides and their reasons) into the cloud assembly metadata.
 *
 * @throws when the resource is already classified, or a control is loosened without a reason
 */
export function classify(scope: IConstruct, classification: DataClassification, options: ClassifyOptions = {}): ClassifiedResource {
  if (!(classification instanceof DataClassification)) {
    throw new Error(`classify(${scope.node.path}): unknown classification '${String(classification)}': use DataClassification.PUBLIC, INTERNAL, CONFIDENTIAL or HIGHLY_SENSITIVE`);
  }
  const existing = ClassifiedResources.find(scope);
  if (existing) {
    throw new Error(`${scope.node.path} is already classified ${existing.classification.name}; classify each resource once`);
  }
  const policy = ProtectionPolicy.forClassification(classification).withOverrides(options);
  const resource = new ClassifiedResource(scope, classification, policy);
  if (options.crossRegionCopy === true && (resource.resourceType === 'AWS::RDS::DBCluster' || resource.resourceType === 'AWS::RDS::DBInstance')) {
    // AWS Backup Developer Guide, "Copy a backup": "For Amazon RDS and Aurora snapshots, AWS Backup
    // only supports automating either cross-account or cross-Region copies"; the DR vault is both.
    throw new Error(
      `classify(${scope.node.path}): ProtectionPolicyOverrides.crossRegionCopy=true cannot be met for ${resource.resourceType}: AWS Backup copies RDS and Aurora recovery points ` +
        "either to another account or to another Region, never both, and the DR vault is in the backup account in another Region. Remove the override: the database gets the cross-account copy into the backup account's central vault, and the report shows it has no DR-region copy",
    );
  }
  const root = scope.node.root;
  const list = REGISTRY.get(root) ?? [];
  list.push(resource);
  REGISTRY.set(root, list);
  for (const c of [scope, resource.cfnResource, scope.node.defaultChild]) if (c) BY_CONSTRUCT.set(c, resource);

  Tags.of(scope).add(CLASSIFICATION_TAG, classification.name);
  const target = resource.cfnResource ?? scope;
  target.node.addMetadata(METADATA.CLASSIFIED, { classification: classification.name, policy: policy.values() });
  for (const o of policy.overrides) target.node.addMetadata(METADATA.OVERRIDE, o);
  return resource;
}

/** Construct paths never change once a construct exists; `node.path` walks every scope on each call. */
const PATHS = new WeakMap<ClassifiedResource, string>();
function pathOf(r: ClassifiedResource): string {
  let path = PATHS.get(r);
  if (path === undefined) {
    path = r.scope.node.path;
    PATHS.set(r, path);
  }
  return path;
}

/** Finds classified resources recorded by `classify`. */
export class ClassifiedResources {
  /** Every classified resource in the app that contains `scope`, in classification order. */
  public static all(scope: IConstruct): ClassifiedResource[] {
    return [...(REGISTRY.get(scope.node.root) ?? [])];
  }

  /** The classified resources under `scope` (e.g. one stack). */
  public static within(scope: IConstruct, minimum: DataClassification = DataClassification.PUBLIC): ClassifiedResource[] {
    const prefix = scope.node.path;
    return ClassifiedResources.all(scope).filter((r) => {
      const path = pathOf(r);
      return (prefix === '' || path === prefix || path.startsWith(prefix + '/')) && r.classification.isAtLeast(minimum);
    });
  }

  /** The record for this construct (or the L2 whose default child it is), if classified. */
  public static find(scope: IConstruct): ClassifiedResource | undefined {
    return BY_CONSTRUCT.get(scope);
  }
}

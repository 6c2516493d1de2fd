/**
 * A resource type a restore drill can restore, with what the workflow needs to know about it:
 * AWS Backup's name for it, its CloudFormation type, and which restore-metadata key names the
 * restored copy (so the copy gets a `drill-` name the cleanup permissions can match).
 *
 * Enum-like class (jsii friendly).
 */
export class DrillResourceType {
  /** S3 bucket, restored into a new `drill-` bucket. */
  public static readonly S3 = new DrillResourceType('S3', 'AWS::S3::Bucket', 'DestinationBucketName');
  /** DynamoDB table, restored into a new `drill-` table. */
  public static readonly DYNAMODB = new DrillResourceType('DynamoDB', 'AWS::DynamoDB::Table', 'targetTableName');
  /** RDS DB instance, restored into a new private `drill-` instance. */
  public static readonly RDS = new DrillResourceType('RDS', 'AWS::RDS::DBInstance', 'DBInstanceIdentifier');
  /** Aurora DB cluster, restored into a new `drill-` cluster (AWS Backup restores the cluster without instances). */
  public static readonly AURORA = new DrillResourceType('Aurora', 'AWS::RDS::DBCluster', 'DBClusterIdentifier');
  /** EBS volume. Volume ids are random: the workflow tags the restored volume with the drill tag. */
  public static readonly EBS = new DrillResourceType('EBS', 'AWS::EC2::Volume', undefined);
  /** EFS file system, restored as a new file system with a `drill-` creation token, then tagged. */
  public static readonly EFS = new DrillResourceType('EFS', 'AWS::EFS::FileSystem', 'CreationToken');

  /** Every supported type. */
  public static all(): DrillResourceType[] {
    return [DrillResourceType.S3, DrillResourceType.DYNAMODB, DrillResourceType.RDS, DrillResourceType.AURORA, DrillResourceType.EBS, DrillResourceType.EFS];
  }

  /** Whether resources of this CloudFormation type can be drilled. */
  public static supports(cfnType: string): boolean {
    return DrillResourceType.find(cfnType) !== undefined;
  }

  private static find(cfnType: string): DrillResourceType | undefined {
    // TableV2 synthesizes a global table; AWS Backup protects its replica in this region as a table.
    const type = cfnType === 'AWS::DynamoDB::GlobalTable' ? 'AWS::DynamoDB::Table' : cfnType;
    return DrillResourceType.all().find((t) => t.cloudFormationType === type);
  }

  /**
   * The drill type of a CloudFormation resource type.
   * @throws when the type cannot be drilled, naming the supported ones
   */
  public static fromCloudFormationType(cfnType: string, prop = 'resourceType'): DrillResourceType {
    const found = DrillResourceType.find(cfnType);
    if (!found) {
      throw new Error(
        `${prop}: unsupported resource type '${cfnType}' for a restore drill; supported: ${DrillResourceType.all().map((t) => t.cloudFormationType).join(', ')}, AWS::DynamoDB::GlobalTable`,
      );
    }
    return found;
  }

  private constructor(
    /** AWS Backup's `ResourceType` (`StartRestoreJob`, `DescribeRestoreJob`). */
    public readonly backupResourceType: string,
    /** CloudFormation type of the protected resource. */
    public readonly cloudFormationType: string,
    /** Restore-metadata key that names the restored copy; undefined when the type has none (EBS). */
    public readonly nameMetadataKey: string | undefined,
  ) {}

  /** True when the restored copy has a random id and the workflow tags it instead of naming it. */
  public get taggedAfterRestore(): boolean {
    return this === DrillResourceType.EBS || this === DrillResourceType.EFS;
  }

  public toString(): string {
    return this.backupResourceType;
  }
}

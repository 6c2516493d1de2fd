/**
 * An AWS service through which another account may use a key (`kms:ViaService`).
 * Enum-like class, so unlisted services stay usable through `of`.
 */
export class KeyConsumerService {
  public static readonly S3 = new KeyConsumerService('s3');
  public static readonly DYNAMODB = new KeyConsumerService('dynamodb');
  public static readonly BACKUP = new KeyConsumerService('backup');
  public static readonly RDS = new KeyConsumerService('rds');
  /** EBS volumes and snapshots. */
  public static readonly EC2 = new KeyConsumerService('ec2');
  public static readonly EFS = new KeyConsumerService('elasticfilesystem');
  public static readonly SECRETS_MANAGER = new KeyConsumerService('secretsmanager');
  public static readonly SNS = new KeyConsumerService('sns');
  public static readonly SQS = new KeyConsumerService('sqs');
  public static readonly LAMBDA = new KeyConsumerService('lambda');
  public static readonly STATES = new KeyConsumerService('states');

  /** A service by its endpoint prefix, e.g. `glue`. */
  public static of(endpointPrefix: string): KeyConsumerService {
    if (!/^[a-z0-9-]+$/.test(endpointPrefix)) {
      throw new Error(`KeyConsumerService.of: endpoint prefix must match [a-z0-9-]+, got '${endpointPrefix}'`);
    }
    return new KeyConsumerService(endpointPrefix);
  }

  private constructor(public readonly endpointPrefix: string) {}

  /** The `kms:ViaService` value in a region. */
  public viaService(region: string): string {
    return `${this.endpointPrefix}.${region}.amazonaws.com`;
  }
}

import { IConstruct } from 'constructs';
import { ClassifiedResource, ClassifyOptions, classify } from '../classification/classify';
import { DataClassification } from '../classification/data-classification';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import { acknowledge, acknowledgeInlinePolicy, acknowledgeManagedPolicy, acknowledgeVpcDefaultSecurityGroupRestriction, INLINE_POLICY_REASON } from '../core/acknowledgements';
import { forceTls } from '../core/database-tls';
import { BACKUP_PLAN_TAG, CLASSIFICATION_TAG, DRILL_PREFIX, DRILL_TAG, METRIC_NAMESPACE } from '../core/constants';
import { assertSingleAwsCdkLib } from '../core/single-copy';
import { addDataProtectionPacks, DataProtectionPacksOptions } from '../nag/packs';
import { DataProtectionAccounts, accountsFromContext } from '../topology/accounts';

/**
 * The library's entry points that are not constructs, as static methods so that every jsii
 * language (Python, Java, .NET, Go) reaches them: jsii does not export free functions.
 *
 * ```ts
 * DataProtection.classify(bucket, DataClassification.CONFIDENTIAL);
 * DataProtection.addPacks(app);
 * ```
 */
export class DataProtection {
  /** Tag that carries a resource's classification (`DataClassification.name`). */
  public static readonly CLASSIFICATION_TAG = CLASSIFICATION_TAG;
  /** Tag naming the `ProtectedBackupPlan` that backs a classified resource up. */
  public static readonly BACKUP_PLAN_TAG = BACKUP_PLAN_TAG;
  /** Tag on every resource a restore drill creates; cleanup permissions are conditioned on it. */
  public static readonly DRILL_TAG = DRILL_TAG;
  /** Name prefix of every resource a restore drill creates. */
  public static readonly DRILL_PREFIX = DRILL_PREFIX;
  /** CloudWatch namespace of the metrics the library publishes. */
  public static readonly METRIC_NAMESPACE = METRIC_NAMESPACE;

  /**
   * Classifies a resource: tags it (`data-classification`), records its level and policy so
   * backup selection, data-event auditing, drills and the report find it, and writes the policy
   * (with any overrides and their reasons) into the cloud assembly metadata.
   *
   * @param scope the data store: an L2 (`s3.Bucket`, `dynamodb.TableV2`, …) or its L1
   * @param classification its level
   * @param options policy overrides: tighten freely, loosen only with a reason
   * @throws when the resource is already classified, or a control is loosened without a reason
   */
  public static classify(scope: IConstruct, classification: DataClassification, options?: ClassifyOptions): ClassifiedResource {
    assertSingleAwsCdkLib(scope);
    return classify(scope, classification, options);
  }

  /**
   * Adds the five packs the library is checked with — AwsSolutions, NIST 800-53 R5, HIPAA
   * Security, PCI DSS 3.2.1 (cdk-nag) and `DataProtectionChecks` — to `scope` (usually the app).
   * Errors fail `cdk synth`; findings land in `cdk.out/**\/validation-report.json`.
   */
  public static addPacks(scope: IConstruct, options?: DataProtectionPacksOptions): void {
    assertSingleAwsCdkLib(scope);
    addDataProtectionPacks(scope, options);
  }

  /**
   * Acknowledges findings (bare rule ids such as `AwsSolutions-S1` or `DataProtection-DataStoreClassified`) on
   * `scope` with a reason. The reason is written into the template next to the resource.
   * @throws when the reason is empty
   */
  public static acknowledge(scope: IConstruct, ruleIds: string[], reason: string): void {
    acknowledge(scope, ruleIds, reason);
  }

  /**
   * Acknowledges the stock packs' inline-policy rules (NIST/HIPAA/PCI `IAMNoInlinePolicy`) on an
   * `iam.Policy`, e.g. a role's `DefaultPolicy` where `grant*` lands. No-op when undefined.
   * @param reason @default - an inline policy lives and dies with its one role
   */
  public static acknowledgeInlinePolicy(policy?: IConstruct, reason?: string): void {
    acknowledgeInlinePolicy(policy, reason ?? INLINE_POLICY_REASON);
  }

  /** Acknowledges `AwsSolutions-IAM4` for an AWS managed policy attached to a role, with a reason. */
  public static acknowledgeManagedPolicy(role: IConstruct, policy: iam.IManagedPolicy, reason: string): void {
    acknowledgeManagedPolicy(role, policy, reason);
  }

  /**
   * Acknowledges, with reasons, the findings on the custom resource that restricts a VPC's default
   * security group (aws-cdk-lib's `@aws-cdk/aws-ec2:restrictDefaultSecurityGroup`): its provider
   * role and function are untyped resources that only a template scanner sees. Keeps the
   * restriction: the default security group would otherwise allow all traffic between members.
   * @param vpc an `ec2.Vpc` created with the restriction on
   * @throws when the VPC does not restrict its default security group
   */
  public static acknowledgeVpcDefaultSecurityGroupRestriction(vpc: IConstruct): void {
    acknowledgeVpcDefaultSecurityGroupRestriction(vpc);
  }

  /**
   * Makes an RDS or Aurora database refuse connections without TLS (the
   * `DataProtection-ClassifiedInTransitTls` rule checks it for classified databases): sets
   * `rds.force_ssl` = 1 (PostgreSQL, Aurora PostgreSQL, SQL Server) or `require_secure_transport`
   * = ON (MySQL, MariaDB, Aurora MySQL) in the database's `rds.ParameterGroup`, or, when it uses
   * none or an RDS `default.*` group, in a new parameter group for its engine.
   * @param database an L2 `rds.DatabaseCluster` or `rds.DatabaseInstance`
   * @returns the parameter group that forces TLS
   * @throws when `database` is not one of those, its engine has no known TLS parameter (e.g.
   *   Oracle, which uses an option group), or it uses a parameter group not defined in the app
   */
  public static forceTls(database: IConstruct): rds.IParameterGroup {
    assertSingleAwsCdkLib(database);
    return forceTls(database);
  }

  /**
   * Reads the account layout from CDK context (`cdk.json`): `cdk-data-protection:accounts` with
   * `key`, `data` (one id or a list), `backup`, `audit`; `cdk-data-protection:regions` with
   * `primary` and `dr`; optional `cdk-data-protection:organizationId`.
   * @throws when the context is missing or an account id is malformed
   */
  public static accountsFromContext(scope: IConstruct): DataProtectionAccounts {
    return accountsFromContext(scope);
  }

  private constructor() {}
}

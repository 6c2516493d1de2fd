import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';

/**
 * The parameter that makes an RDS or Aurora engine refuse connections without TLS, and the
 * values that turn it on. AWS documents one parameter per engine family:
 * - PostgreSQL and Aurora PostgreSQL: `rds.force_ssl` = 1 (DB parameter group; for Aurora the DB
 *   cluster parameter group):
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html
 * - SQL Server: `rds.force_ssl` = 1 (AWS Config's rds-sqlserver-encrypted-in-transit checks it,
 *   https://docs.aws.amazon.com/config/latest/developerguide/rds-sqlserver-encrypted-in-transit.html)
 * - MySQL, MariaDB and Aurora MySQL: `require_secure_transport` = ON (1):
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mariadb-ssl-connections.require-ssl.html,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Security.html
 * Oracle requires TLS through the SSL option of an option group and Db2 through its own
 * parameters: neither is judged nor set here (see "Using SSL/TLS to encrypt a connection to a DB
 * instance or cluster", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html).
 */
export interface TlsParameter {
  /** Parameter name. */
  readonly name: string;
  /** The value the helper sets. */
  readonly value: string;
  /** Values (lower case) that force TLS. */
  readonly accepted: string[];
}

const FORCE_SSL: TlsParameter = { name: 'rds.force_ssl', value: '1', accepted: ['1', 'true', 'on'] };
const REQUIRE_SECURE_TRANSPORT: TlsParameter = { name: 'require_secure_transport', value: 'ON', accepted: ['on', '1', 'true'] };

/** Engine names (CloudFormation `Engine`) whose TLS parameter is known. */
export const TLS_ENGINES = ['aurora-postgresql', 'postgres', 'sqlserver-ee', 'sqlserver-se', 'sqlserver-ex', 'sqlserver-web', 'aurora-mysql', 'aurora', 'mysql', 'mariadb'];

/** The TLS parameter of an engine (CloudFormation `Engine`, any case), or undefined when unknown. */
export function tlsParameterFor(engine: string | undefined): TlsParameter | undefined {
  const e = (engine ?? '').toLowerCase();
  if (e === 'postgres' || e === 'aurora-postgresql' || e.startsWith('sqlserver-')) return FORCE_SSL;
  if (e === 'mysql' || e === 'mariadb' || e === 'aurora-mysql' || e === 'aurora') return REQUIRE_SECURE_TRANSPORT;
  return undefined;
}

/**
 * Makes an L2 `rds.DatabaseCluster` or `rds.DatabaseInstance` refuse connections without TLS:
 * sets the engine's parameter in the parameter group it uses when that group is defined in the
 * app (an `rds.ParameterGroup`), else (no group, or an RDS `default.*` group, which cannot be
 * changed) creates one for the engine and attaches it. Returns the group.
 */
export function forceTls(database: IConstruct): rds.IParameterGroup {
  const where = `DataProtection.forceTls(${database.node.path})`;
  const cfn = database.node.defaultChild;
  const type = cfn && CfnResource.isCfnResource(cfn) ? cfn.cfnResourceType : undefined;
  const engine = (database as { engine?: rds.IClusterEngine | rds.IInstanceEngine }).engine;
  if ((type !== 'AWS::RDS::DBCluster' && type !== 'AWS::RDS::DBInstance') || !engine) {
    throw new Error(`${where}: database must be an rds.DatabaseCluster or rds.DatabaseInstance with an engine, got ${type ?? 'a construct without a CloudFormation resource'}${type && !engine ? ' without an engine' : ''}`);
  }
  const parameter = tlsParameterFor(engine.engineType);
  if (!parameter) {
    throw new Error(`${where}: engine '${engine.engineType}' has no TLS parameter this library knows; allowed engines: ${TLS_ENGINES.join(', ')} (Oracle requires TLS through the SSL option of an option group)`);
  }
  const isCluster = type === 'AWS::RDS::DBCluster';
  const l1 = cfn as { dbClusterParameterGroupName?: string; dbParameterGroupName?: string };
  const current: string | undefined = isCluster ? l1.dbClusterParameterGroupName : l1.dbParameterGroupName;

  const existing = current === undefined ? undefined : parameterGroupOf(Stack.of(database), current);
  if (existing) {
    existing.addParameter(parameter.name, parameter.value);
    return existing;
  }
  if (current !== undefined && !(!Token.isUnresolved(current) && current.startsWith('default.'))) {
    throw new Error(
      `${where}: the database uses parameter group '${Token.isUnresolved(current) ? Stack.of(database).toJsonString(current) : current}', which is not an rds.ParameterGroup of this app; set ${parameter.name}=${parameter.value} in it, or give the database an rds.ParameterGroup`,
    );
  }
  // A sibling, not a child: tags a classification puts on the database (data-classification,
  // backup plan) are not the parameter group's.
  const group = new rds.ParameterGroup(database.node.scope ?? database, `${database.node.id}TlsParameterGroup`, {
    engine,
    description: `cdk-data-protection: connections to ${database.node.path} require TLS (${parameter.name})`,
    parameters: { [parameter.name]: parameter.value },
  });
  if (isCluster) l1.dbClusterParameterGroupName = group.bindToCluster({}).parameterGroupName;
  else l1.dbParameterGroupName = group.bindToInstance({}).parameterGroupName;
  return group;
}

/** The `rds.ParameterGroup` of the stack whose L1 the (token) name refers to. */
function parameterGroupOf(stack: Stack, name: string): rds.ParameterGroup | undefined {
  if (!Token.isUnresolved(name)) return undefined;
  const ref = stack.resolve(name) as { Ref?: string } | undefined;
  if (!ref || typeof ref.Ref !== 'string') return undefined;
  const l1 = stack.node
    .findAll()
    .find((c) => CfnResource.isCfnResource(c) && Stack.of(c) === stack && stack.resolve(c.logicalId) === ref.Ref && /^AWS::RDS::DB(Cluster)?ParameterGroup$/.test(c.cfnResourceType));
  const owner = l1?.node.scope;
  return owner instanceof rds.ParameterGroup ? owner : undefined;
}

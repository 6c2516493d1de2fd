import { Fn, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledgements';
import { DrillIsolation } from './drill-target';

export interface DrillNetworkProps {
  /**
   * IPv4 block of the network, `a.b.c.d/n` with `n` between 16 and 27: split into two subnets (one
   * per Availability Zone) of half its size, at least /28 each (the smallest subnet AWS allows,
   * "Subnet sizing", https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html). Nothing
   * routes to or from it, so it may overlap other networks; choose one your IP address management
   * expects. A literal: the subnets' size is computed at synth.
   * @default '10.255.255.0/24'
   */
  readonly cidr?: string;
}

/**
 * A network for restored drill copies of RDS and Aurora databases, where nothing reaches them and
 * they reach nothing: a VPC with two subnets in the region's first two Availability Zones (chosen
 * at deploy time, `Fn::GetAZs`: no context lookup, works offline), a route table with no route
 * beyond the VPC (no internet or NAT gateway, no peering), a DB subnet group of both subnets ("DB
 * subnet groups must contain at least one subnet in at least two AZs in the AWS Region",
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html),
 * and a security group admitting nothing in and letting nothing out. Give `isolation` to a
 * `RestoreDrill` or `BackupAccountStackProps.copyDrill` (`isolatedNetwork` builds one). The
 * drill's validator reads restored databases through the RDS API, not the network (an Aurora
 * drill reads no rows).
 */
export class DrillNetwork extends Construct {
  /** The VPC. */
  public readonly vpcId: string;
  /** The DB subnet group restored databases are placed in. */
  public readonly dbSubnetGroupName: string;
  /** The security group of restored databases: no ingress, no egress. */
  public readonly securityGroupId: string;

  public constructor(scope: Construct, id: string, props: DrillNetworkProps = {}) {
    super(scope, id);
    const cidr = props.cidr ?? '10.255.255.0/24';
    const prefix = validateCidr('DrillNetworkProps.cidr', cidr);
    const vpc = new ec2.CfnVPC(this, 'Vpc', { cidrBlock: cidr, enableDnsSupport: true, enableDnsHostnames: true });
    const routes = new ec2.CfnRouteTable(this, 'RouteTable', { vpcId: vpc.ref });
    // Two subnets of half the block each ('Fn::Cidr' takes the host bits of each subnet).
    const halves = Fn.cidr(vpc.attrCidrBlock, 2, String(32 - (prefix + 1)));
    const subnets = [0, 1].map((i) => {
      const subnet = new ec2.CfnSubnet(this, `Subnet${i + 1}`, {
        vpcId: vpc.ref,
        cidrBlock: Fn.select(i, halves),
        availabilityZone: Fn.select(i, Fn.getAzs()),
        mapPublicIpOnLaunch: false,
      });
      new ec2.CfnSubnetRouteTableAssociation(this, `Subnet${i + 1}Routes`, { subnetId: subnet.ref, routeTableId: routes.ref });
      return subnet;
    });
    const subnetGroup = new rds.CfnDBSubnetGroup(this, 'DbSubnetGroup', {
      dbSubnetGroupDescription: 'Restore-drill copies: isolated subnets, no route beyond the VPC',
      subnetIds: subnets.map((s) => s.ref),
    });
    // Without an egress rule EC2 allows all outbound traffic: one rule that matches nothing
    // (as aws-cdk-lib's SecurityGroup writes for allowAllOutbound: false).
    const securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: 'Restore-drill copies: no ingress, no egress',
      vpcId: vpc.ref,
      securityGroupEgress: [{ cidrIp: '255.255.255.255/32', description: 'Disallow all traffic', ipProtocol: 'icmp', fromPort: 252, toPort: 86 }],
    });
    this.vpcId = vpc.ref;
    this.dbSubnetGroupName = subnetGroup.ref;
    this.securityGroupId = securityGroup.attrGroupId;
    acknowledge(
      vpc,
      ['AwsSolutions-VPC7', 'NIST.800.53.R5-VPCFlowLogsEnabled', 'HIPAA.Security-VPCFlowLogsEnabled', 'PCI.DSS.321-VPCFlowLogsEnabled'],
      'Holds only restored drill copies: no route beyond the VPC and a security group that admits and sends nothing, so there is no traffic to log; restores are recorded by CloudTrail and the drill evidence.',
    );
    acknowledge(
      vpc,
      ['NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'HIPAA.Security-VPCDefaultSecurityGroupClosed', 'PCI.DSS.321-VPCDefaultSecurityGroupClosed'],
      "Restored copies get the network's own security group (no ingress, no egress); nothing uses the default one, and no route leaves the VPC.",
    );
  }

  /** Where restored databases go: this network's DB subnet group and security group. */
  public get isolation(): DrillIsolation {
    return { dbSubnetGroupName: this.dbSubnetGroupName, securityGroupIds: [this.securityGroupId] };
  }
}

/** The prefix length of a literal `a.b.c.d/n` with `n` 16–27; throws otherwise (a token included). */
function validateCidr(prop: string, cidr: string): number {
  if (Token.isUnresolved(cidr)) throw new Error(`${prop} needs a literal value, got a token (known only at deploy time): the subnets' size is computed at synth`);
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || !(prefix >= 16 && prefix <= 27)) {
    throw new Error(`${prop} must be an IPv4 block a.b.c.d/n with n between 16 and 27 (two subnets of half its size, each at least /28), got '${cidr}'`);
  }
  return prefix;
}

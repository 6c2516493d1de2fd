import { Fn, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, STOCK_RULES } from '../core/acknowledgements';
import { apiCallAlarmRule } from '../keys/alarm-topic';
import { DrillIsolation } from './drill-target';

export interface DrillNetworkProps {
  /**
   * IPv4 block of the network, `a.b.c.d/n` with `n` between 16 and 27, its host bits zero: split
   * into two subnets (one per Availability Zone) of half its size, at least /28 each ("The allowed
   * block size is between a /16 netmask and /28 netmask", "VPC CIDR blocks",
   * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html). Nothing routes to or
   * from it, so it may overlap other networks; choose one your IP address management expects.
   * Changing it replaces the network. A literal: the subnets' size is computed at synth.
   * @default '10.255.255.0/24'
   */
  readonly cidr?: string;
  /**
   * The two Availability Zones of the subnets (names of this account, e.g. `eu-west-1a`; tokens
   * accepted). `Fn::GetAZs` returns only the zones with a default subnet when the account has a
   * default VPC ("Fn::GetAZs", CloudFormation User Guide,
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getavailabilityzones.html):
   * name two zones when it could return fewer than two. Its order is not guaranteed and can change
   * when zones are added (same page), which would move (replace) the subnets: name them to pin them.
   * @default - the first two zones `Fn::GetAZs` returns at deploy time
   */
  readonly availabilityZones?: string[];
  /**
   * Topic notified when anyone, CloudFormation included, makes a call in this account and Region
   * that could open a network to traffic: security group rules, routes and route-table
   * associations, internet, NAT, VPN and transit gateways, peering, VPC endpoints, subnet and VPC
   * attributes. Meant for an account holding no other network (the backup account): every such
   * call alarms, whatever network it names (CloudTrail's EC2 request parameters differ per call).
   * @default - no alarm
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * EC2 calls that could let traffic into or out of a network (Amazon EC2 API Reference). What an
 * administrator of the account would call to reach a restored drill copy.
 */
export const NETWORK_OPENING_CALLS = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'ModifySecurityGroupRules',
  'ModifyNetworkInterfaceAttribute',
  'CreateRoute',
  'ReplaceRoute',
  'AssociateRouteTable',
  'ReplaceRouteTableAssociation',
  'AttachInternetGateway',
  'CreateEgressOnlyInternetGateway',
  'CreateNatGateway',
  'AttachVpnGateway',
  'CreateTransitGatewayVpcAttachment',
  'CreateVpcPeeringConnection',
  'AcceptVpcPeeringConnection',
  'CreateVpcEndpoint',
  'ModifyVpcEndpoint',
  'ModifySubnetAttribute',
  'ModifyVpcAttribute',
  'AssociateVpcCidrBlock',
  'ReplaceNetworkAclEntry',
  'CreateNetworkAclEntry',
];

/**
 * A network for restored drill copies of RDS and Aurora databases, where no traffic reaches them
 * and they send none beyond the VPC (the VPC's own DNS resolver, which security groups do not
 * filter, answers them): a VPC with two subnets in two Availability Zones (`availabilityZones`, or
 * the first two `Fn::GetAZs` returns at deploy time: no context lookup, works offline), a route table with no route
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
    const zones = props.availabilityZones;
    if (zones !== undefined && (zones.length !== 2 || (!zones.some((z) => Token.isUnresolved(z)) && zones[0] === zones[1]))) {
      throw new Error(`DrillNetworkProps.availabilityZones must name two different Availability Zones, got [${zones.join(', ')}]`);
    }
    // DNS resolution stays on (the Amazon-provided resolver); no public DNS hostnames are needed.
    const vpc = new ec2.CfnVPC(this, 'Vpc', { cidrBlock: cidr, enableDnsSupport: true, enableDnsHostnames: false });
    const routes = new ec2.CfnRouteTable(this, 'RouteTable', { vpcId: vpc.ref });
    // Two subnets of half the block each ('Fn::Cidr' takes the host bits of each subnet).
    const halves = Fn.cidr(vpc.attrCidrBlock, 2, String(32 - (prefix + 1)));
    const subnets = [0, 1].map((i) => {
      const subnet = new ec2.CfnSubnet(this, `Subnet${i + 1}`, {
        vpcId: vpc.ref,
        cidrBlock: Fn.select(i, halves),
        availabilityZone: zones ? zones[i] : Fn.select(i, Fn.getAzs()),
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
    if (props.alarmTopic) {
      apiCallAlarmRule(this, 'OpenedAlarm', {
        service: 'ec2',
        eventNames: NETWORK_OPENING_CALLS,
        description: 'cdk-data-protection: a call that could open a network to traffic was made in this account, which holds the isolated network of restored drill copies (CloudFormation creating or changing the network alarms too)',
        topic: props.alarmTopic,
      });
    }
    this.vpcId = vpc.ref;
    this.dbSubnetGroupName = subnetGroup.ref;
    this.securityGroupId = securityGroup.attrGroupId;
    acknowledge(
      vpc,
      ['AwsSolutions-VPC7', ...STOCK_RULES.VPC_FLOW_LOGS],
      'Holds only restored drill copies: no route beyond the VPC and a security group that admits and sends nothing, so there is no traffic to log; restores are recorded by CloudTrail and the drill evidence.',
    );
    acknowledge(
      vpc,
      STOCK_RULES.VPC_DEFAULT_SG_CLOSED,
      "Restored copies get the network's own security group (no ingress, no egress); nothing uses the default one, and no route leaves the VPC.",
    );
  }

  /** Where restored databases go: this network's DB subnet group and security group. */
  public get isolation(): DrillIsolation {
    return { dbSubnetGroupName: this.dbSubnetGroupName, securityGroupIds: [this.securityGroupId] };
  }
}

/** The prefix length of a literal `a.b.c.d/n` with `n` 16–27, its address the block's first; throws otherwise (a token included). */
function validateCidr(prop: string, cidr: string): number {
  if (Token.isUnresolved(cidr)) throw new Error(`${prop} needs a literal value, got a token (known only at deploy time): the subnets' size is computed at synth`);
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || m.slice(1, 5).some((o) => o.length > 1 && o.startsWith('0')) || !(prefix >= 16 && prefix <= 27)) {
    throw new Error(`${prop} must be an IPv4 block a.b.c.d/n with n between 16 and 27 (two subnets of half its size, each at least /28), got '${cidr}'`);
  }
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  // EC2 would silently use the block's canonical form (host bits zero) instead.
  if (address % 2 ** (32 - prefix) !== 0) {
    throw new Error(`${prop} must start at its block's first address (the host bits zero), got '${cidr}'`);
  }
  return prefix;
}

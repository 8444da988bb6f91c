"""Network: the database and Lambda client security groups.

The database accepts connections only from the client group on the InfluxDB port; the clients
may reach the database on that port and AWS APIs over HTTPS, nothing else. The two groups and
the client->database rule are retained like the instance on stack deletion: a retained instance
keeps its network interfaces, so EC2 refuses to delete its group (DependencyViolation), and a
group another group's rule refers to cannot be deleted either; deleting them would leave the
stack DELETE_FAILED. A replaced client->database rule is deleted (see add_security_groups).
How the subnets reach AWS APIs (NAT gateway, VPC endpoints) is the network's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt
from troposphere.ec2 import SecurityGroup, SecurityGroupEgress, SecurityGroupRule

from ..common import Context, retained

HTTPS_PORT = 443
ANYWHERE_IPV4 = "0.0.0.0/0"
# A security group with no egress rule allows all egress; a single rule to the loopback address
# replaces that default and matches no real traffic (replies to allowed ingress are stateful).
NO_EGRESS_CIDR = "127.0.0.1/32"


@dataclass(frozen=True)
class SecurityGroups:
    database: SecurityGroup
    client: SecurityGroup


def add_security_groups(
    ctx: Context, database_egress: list[SecurityGroupRule] | None = None
) -> SecurityGroups:
    """The client group first (no ingress), then the database group that admits only it; all
    three resources retained on stack deletion (see the module's docstring).

    ``database_egress`` replaces the database group's default of no egress (an InfluxDB 3 cluster
    reaches its object store, Amazon S3)."""
    p, naming = ctx.form, ctx.naming
    port = p.ref("Port")
    client = ctx.add(
        retained(
            SecurityGroup(
                "LambdaClientSecurityGroup",
                GroupDescription="Lambda clients of InfluxDB: no ingress; egress to InfluxDB and HTTPS",
                VpcId=p.ref("VpcId"),
                SecurityGroupEgress=[
                    SecurityGroupRule(
                        Description="HTTPS to AWS APIs (Secrets Manager, S3, CloudWatch, Logs)",
                        IpProtocol="tcp",
                        FromPort=HTTPS_PORT,
                        ToPort=HTTPS_PORT,
                        CidrIp=ANYWHERE_IPV4,
                    )
                ],
                Tags=naming.tags("lambda-clients"),
            )
        )
    )
    # SecurityGroupIngress is not create-only for AWS::EC2::SecurityGroup (only GroupDescription,
    # GroupName and VpcId are, in cfn-lint's bundled schema): a Port change updates the group's
    # inline rule in place (revoke the old, authorize the new), the group is not replaced.
    database = ctx.add(
        retained(
            SecurityGroup(
                "InfluxDBSecurityGroup",
                GroupDescription="Timestream for InfluxDB: ingress only from the Lambda client group",
                VpcId=p.ref("VpcId"),
                SecurityGroupIngress=[
                    SecurityGroupRule(
                        Description="InfluxDB API from the Lambda client security group",
                        IpProtocol="tcp",
                        FromPort=port,
                        ToPort=port,
                        SourceSecurityGroupId=GetAtt(client, "GroupId"),
                    )
                ],
                SecurityGroupEgress=database_egress
                or [
                    SecurityGroupRule(
                        Description="No egress: replaces the default allow-all rule",
                        IpProtocol="-1",
                        CidrIp=NO_EGRESS_CIDR,
                    )
                ],
                Tags=naming.tags("influxdb"),
            )
        )
    )
    # A separate rule resource: inline, it would make the two groups refer to each other (a cycle).
    # Every property of AWS::EC2::SecurityGroupEgress is create-only (cfn-lint's bundled schema),
    # so a Port change replaces this rule. The old rule is deleted then (UpdateReplacePolicy
    # Delete): kept on the client group, it would make a later change back to the old port create
    # the same rule again, which EC2 refuses (InvalidPermission.Duplicate). A stack deletion still
    # keeps it, like the two groups.
    ctx.add(
        retained(
            SecurityGroupEgress(
                "LambdaClientToInfluxDBEgress",
                Description="InfluxDB API on the database security group",
                GroupId=GetAtt(client, "GroupId"),
                IpProtocol="tcp",
                FromPort=port,
                ToPort=port,
                DestinationSecurityGroupId=GetAtt(database, "GroupId"),
            ),
            replaced="Delete",
        )
    )
    return SecurityGroups(database=database, client=client)

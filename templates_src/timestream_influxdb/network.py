"""Network: the database and Lambda client security groups, and an optional Secrets Manager endpoint.

The database accepts connections only from the client group on the InfluxDB port; the clients
may reach the database on that port and AWS APIs over HTTPS, nothing else. Functions in
private subnets reach Secrets Manager through a NAT gateway or an interface endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import Equals, GetAtt, If, NoValue, Ref, Sub
from troposphere.ec2 import SecurityGroup, SecurityGroupEgress, SecurityGroupRule, VPCEndpoint

from ..common import Context
from . import names

HTTPS_PORT = 443
ANYWHERE_IPV4 = "0.0.0.0/0"
# A security group with no egress rule allows all egress; a single rule to the loopback address
# replaces that default and matches no real traffic (replies to allowed ingress are stateful).
NO_EGRESS_CIDR = "127.0.0.1/32"


@dataclass(frozen=True)
class SecurityGroups:
    database: SecurityGroup
    client: SecurityGroup


@dataclass(frozen=True)
class SecretsEndpoint:
    """The Secrets Manager interface endpoint, which exists only when :attr:`condition` holds."""

    endpoint: VPCEndpoint
    condition: str

    def ref_if_created(self) -> If:
        """A reference to the endpoint when it exists: a resource given it waits for the endpoint."""
        return If(self.condition, Ref(self.endpoint), NoValue)


def add_security_groups(ctx: Context) -> SecurityGroups:
    """The client group first (no ingress), then the database group that admits only it."""
    p, naming = ctx.form, ctx.naming
    port = p.ref("Port")
    client = ctx.add(
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
    database = ctx.add(
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
            SecurityGroupEgress=[
                SecurityGroupRule(
                    Description="No egress: replaces the default allow-all rule",
                    IpProtocol="-1",
                    CidrIp=NO_EGRESS_CIDR,
                )
            ],
            Tags=naming.tags("influxdb"),
        )
    )
    # A separate rule resource: inline, it would make the two groups refer to each other (a cycle).
    ctx.add(
        SecurityGroupEgress(
            "LambdaClientToInfluxDBEgress",
            Description="InfluxDB API on the database security group",
            GroupId=GetAtt(client, "GroupId"),
            IpProtocol="tcp",
            FromPort=port,
            ToPort=port,
            DestinationSecurityGroupId=GetAtt(database, "GroupId"),
        )
    )
    return SecurityGroups(database=database, client=client)


def add_secrets_endpoint(ctx: Context, sgs: SecurityGroups) -> SecretsEndpoint:
    """A Secrets Manager interface endpoint in SubnetIds, open on 443 to the client group only.

    Created when CreateSecretsManagerEndpoint is true (the condition of the same name, added
    here). Private DNS makes the regular Secrets Manager host name resolve to it (the VPC needs
    DNS support and DNS host names).
    """
    p, naming = ctx.form, ctx.naming
    condition = ctx.add_condition(
        "CreateSecretsManagerEndpoint", Equals(p.ref("CreateSecretsManagerEndpoint"), "true")
    )
    group = ctx.add(
        SecurityGroup(
            "SecretsManagerEndpointSecurityGroup",
            Condition=condition,
            GroupDescription="Secrets Manager endpoint: HTTPS from the Lambda client group only",
            VpcId=p.ref("VpcId"),
            SecurityGroupIngress=[
                SecurityGroupRule(
                    Description="HTTPS from the Lambda client security group",
                    IpProtocol="tcp",
                    FromPort=HTTPS_PORT,
                    ToPort=HTTPS_PORT,
                    SourceSecurityGroupId=GetAtt(sgs.client, "GroupId"),
                )
            ],
            # No egress rule: an interface endpoint only answers connections (replies are
            # stateful) and never opens one, so the default egress rule is never used.
            Tags=naming.tags(names.SECRETS_ENDPOINT),
        )
    )
    endpoint = ctx.add(
        VPCEndpoint(
            "SecretsManagerEndpoint",
            Condition=condition,
            VpcEndpointType="Interface",
            ServiceName=Sub("com.amazonaws.${AWS::Region}.secretsmanager"),
            VpcId=p.ref("VpcId"),
            SubnetIds=p.ref("SubnetIds"),
            SecurityGroupIds=[GetAtt(group, "GroupId")],
            PrivateDnsEnabled=True,
            Tags=naming.tags(names.SECRETS_ENDPOINT),
        )
    )
    return SecretsEndpoint(endpoint, condition)

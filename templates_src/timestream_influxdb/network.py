"""Network: the database and Lambda client security groups, and an optional Secrets Manager endpoint.

The database accepts connections only from the client group on the InfluxDB port; the clients
may reach the database on that port and AWS APIs over HTTPS, nothing else. Functions in
private subnets reach Secrets Manager through a NAT gateway or an interface endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, Sub, Template
from troposphere.ec2 import SecurityGroup, SecurityGroupEgress, SecurityGroupRule, VPCEndpoint

from ..common import Naming, ParameterForm
from . import names as suffixes
from .parameters import CONDITIONS

HTTPS_PORT = 443
ANYWHERE_IPV4 = "0.0.0.0/0"
# A security group with no egress rule allows all egress; a single rule to the loopback address
# replaces that default and matches no real traffic (replies to allowed ingress are stateful).
NO_EGRESS_CIDR = "127.0.0.1/32"


@dataclass(frozen=True)
class SecurityGroups:
    database: SecurityGroup
    client: SecurityGroup


def add_security_groups(t: Template, p: ParameterForm, names: Naming) -> SecurityGroups:
    """The client group first (no ingress), then the database group that admits only it."""
    port = p.ref("Port")
    client = t.add_resource(
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
            Tags=names.tags("lambda-clients"),
        )
    )
    database = t.add_resource(
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
            Tags=names.tags("influxdb"),
        )
    )
    # A separate rule resource: inline, it would make the two groups refer to each other (a cycle).
    t.add_resource(
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


def add_secrets_endpoint(t: Template, p: ParameterForm, names: Naming, sgs: SecurityGroups) -> VPCEndpoint:
    """A Secrets Manager interface endpoint in SubnetIds, open on 443 to the client group only.

    Created when CreateSecretsManagerEndpoint is true. Private DNS makes the regular Secrets
    Manager host name resolve to it (the VPC needs DNS support and DNS host names).
    """
    group = t.add_resource(
        SecurityGroup(
            "SecretsManagerEndpointSecurityGroup",
            Condition=CONDITIONS.create_secrets_endpoint,
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
            Tags=names.tags(suffixes.SECRETS_ENDPOINT),
        )
    )
    return t.add_resource(
        VPCEndpoint(
            "SecretsManagerEndpoint",
            Condition=CONDITIONS.create_secrets_endpoint,
            VpcEndpointType="Interface",
            ServiceName=Sub("com.amazonaws.${AWS::Region}.secretsmanager"),
            VpcId=p.ref("VpcId"),
            SubnetIds=p.ref("SubnetIds"),
            SecurityGroupIds=[GetAtt(group, "GroupId")],
            PrivateDnsEnabled=True,
            Tags=names.tags(suffixes.SECRETS_ENDPOINT),
        )
    )

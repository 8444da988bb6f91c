"""Access: the least-privilege IAM role for the Lambda functions that load and query InfluxDB.

The role's policy is composed from grants made by the owners of what it grants on (the secrets,
the key, the log group; AWS CDK's ``grantRead`` is the model), plus the data buckets and the
metrics namespace, which the template does not own. Every statement names the narrowest resource
AWS allows; where AWS allows nothing narrower than ``*``, the statement says why.
"""

from __future__ import annotations

from awacs import cloudwatch, ec2, s3
from awacs.aws import Allow, ArnEquals, ArnEqualsIfExists, Condition, PolicyDocument, Statement, StringEquals
from troposphere import GetAtt, Ref, Sub
from troposphere.iam import ManagedPolicy, Policy, PolicyType, Role

from ..common import POLICY_VERSION, Context, Naming, trust_policy
from . import names
from .encryption import ProductKey
from .monitoring import grant_write_logs
from .network import SecurityGroups
from .secrets import Secrets

EC2_ARN = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}"
S3_ARN = "arn:${AWS::Partition}:s3:::"


def lambda_trust_policy() -> PolicyDocument:
    """The trust policy of every role the product's Lambda functions run with: Lambda only."""
    return trust_policy("lambda.amazonaws.com")


def add_vpc_access_policy(ctx: Context, sgs: SecurityGroups) -> ManagedPolicy:
    """What Lambda needs to run a function in the VPC with the client security group.

    One managed policy for every role whose functions run in the VPC (the clients' and the
    token function's), so the statements are written once.
    """
    return ctx.add(
        ManagedPolicy(
            "LambdaVpcAccessPolicy",
            Description="Network interfaces of Lambda functions in the client security group",
            PolicyDocument=PolicyDocument(
                Version=POLICY_VERSION, Statement=vpc_network_interface_statements(sgs)
            ),
        )
    )


def add_lambda_role(ctx: Context, vpc_access: ManagedPolicy, secrets: Secrets, key: ProductKey) -> Role:
    """The role, its inline policy, and (when StorageEncrypted) the policy to decrypt the secrets."""
    naming = ctx.naming
    # No RoleName: IAM names are global, so a fixed name would collide between two Regions.
    role = ctx.add(
        Role(
            "LambdaExecutionRole",
            Description=naming.name("influxdb Lambda clients"),
            AssumeRolePolicyDocument=lambda_trust_policy(),
            ManagedPolicyArns=[Ref(vpc_access)],
            Policies=[
                Policy(
                    PolicyName="influxdb-client",
                    PolicyDocument=PolicyDocument(
                        Version=POLICY_VERSION,
                        Statement=[
                            grant_write_logs(naming),
                            secrets.grant_read(sid="ReadInfluxDBSecrets"),
                            *data_bucket_statements(),
                            metrics_statement(naming),
                        ],
                    ),
                )
            ],
            Tags=naming.tags(names.LAMBDA_ROLE),
        )
    )
    # A policy of its own: the key, and so this grant, exists only when StorageEncrypted.
    ctx.add(
        PolicyType(
            "LambdaKmsPolicy",
            Condition=key.condition,
            PolicyName="influxdb-client-kms",
            Roles=[Ref(role)],
            PolicyDocument=PolicyDocument(
                Version=POLICY_VERSION, Statement=[key.grant_decrypt(sid="DecryptSecretsWithKey")]
            ),
        )
    )
    return role


def vpc_network_interface_statements(sgs: SecurityGroups) -> list[Statement]:
    """What Lambda needs to attach the functions to the VPC, with the client security group only.

    Scoped to the stack's VPC with the condition key ec2:Vpc (the VPC's ARN): deleting an interface
    and changing its addresses only for interfaces in that VPC, creating one only in its subnets.
    The IAM reference lists ec2:Vpc for CreateNetworkInterface on the subnet and the security
    group but not on the interface it makes (only tag keys and ec2:NetworkInterfaceID), and one
    statement grants the action on all three (parliament checks each statement names every
    resource type the action requires): ``ArnEqualsIfExists`` checks the key where the request
    carries it and lets the new interface through.
    """
    in_vpc = Sub(EC2_ARN + ":vpc/${VpcId}")  # the VpcId parameter
    interfaces = Sub(EC2_ARN + ":network-interface/*")
    return [
        Statement(
            Sid="DescribeNetwork",
            Effect=Allow,
            Action=[ec2.DescribeNetworkInterfaces, ec2.DescribeSubnets],
            # EC2 Describe* actions support no resource-level permissions.
            Resource=["*"],
        ),
        Statement(
            Sid="CreateFunctionNetworkInterfaces",
            Effect=Allow,
            Action=[ec2.CreateNetworkInterface],
            Resource=[
                # The new interface: its ID is not known before the call.
                interfaces,
                Sub(EC2_ARN + ":subnet/*"),
                Sub(EC2_ARN + ":security-group/${GroupId}", GroupId=GetAtt(sgs.client, "GroupId")),
            ],
            Condition=Condition(ArnEqualsIfExists("ec2:Vpc", in_vpc)),
        ),
        Statement(
            Sid="ManageFunctionNetworkInterfaces",
            Effect=Allow,
            Action=[
                ec2.DeleteNetworkInterface,
                ec2.AssignPrivateIpAddresses,
                ec2.UnassignPrivateIpAddresses,
            ],
            Resource=[interfaces],
            Condition=Condition(ArnEquals("ec2:Vpc", in_vpc)),
        ),
    ]


def data_bucket_statements() -> list[Statement]:
    """Read the processed bucket; write rejected records under the rejected prefix only."""
    return [
        Statement(
            Sid="ListProcessedData",
            Effect=Allow,
            Action=[s3.ListBucket],
            Resource=[Sub(S3_ARN + "${ProcessedDataBucket}")],
        ),
        Statement(
            Sid="ReadProcessedData",
            Effect=Allow,
            Action=[s3.GetObject],
            Resource=[Sub(S3_ARN + "${ProcessedDataBucket}/*")],
        ),
        Statement(
            Sid="WriteRejectedData",
            Effect=Allow,
            Action=[s3.PutObject],
            Resource=[Sub(S3_ARN + "${RejectedDataBucket}/${RejectedDataPrefix}*")],
        ),
    ]


def metrics_statement(naming: Naming) -> Statement:
    """Publish custom metrics to the project's namespace only."""
    return Statement(
        Sid="PublishProjectMetrics",
        Effect=Allow,
        Action=[cloudwatch.PutMetricData],
        # PutMetricData supports no resource-level permissions; the namespace condition limits it.
        Resource=["*"],
        Condition=Condition(StringEquals("cloudwatch:namespace", naming.metrics_namespace())),
    )

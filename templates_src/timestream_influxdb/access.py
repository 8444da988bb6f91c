"""Access: the least-privilege IAM role for the Lambda functions that load and query InfluxDB.

Every statement names the narrowest resource AWS allows; where AWS allows nothing narrower than
``*``, the statement says why.
"""

from __future__ import annotations

from awacs import cloudwatch, ec2, kms, logs, s3, secretsmanager
from awacs.aws import Allow, Condition, PolicyDocument, Statement, StringEquals
from troposphere import GetAtt, Ref, Sub, Template
from troposphere.iam import ManagedPolicy, Policy, PolicyType, Role
from troposphere.kms import Key

from ..common import POLICY_VERSION, Naming, trust_policy
from . import names
from .network import SecurityGroups
from .parameters import CONDITIONS
from .secrets import Secrets

EC2_ARN = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}"
S3_ARN = "arn:${AWS::Partition}:s3:::"


def lambda_trust_policy() -> PolicyDocument:
    """The trust policy of every role the product's Lambda functions run with: Lambda only."""
    return trust_policy("lambda.amazonaws.com")


def via_secrets_manager() -> Condition:
    """KMS use only when Secrets Manager asks on the caller's behalf."""
    return Condition(StringEquals("kms:ViaService", Sub("secretsmanager.${AWS::Region}.amazonaws.com")))


def add_vpc_access_policy(t: Template, sgs: SecurityGroups) -> ManagedPolicy:
    """What Lambda needs to run a function in the VPC with the client security group.

    One managed policy for every role whose functions run in the VPC (the clients' and the
    token function's), so the statements are written once.
    """
    return t.add_resource(
        ManagedPolicy(
            "LambdaVpcAccessPolicy",
            PolicyDocument=PolicyDocument(
                Version=POLICY_VERSION, Statement=vpc_network_interface_statements(sgs)
            ),
        )
    )


def add_lambda_role(
    t: Template,
    naming: Naming,
    vpc_access: ManagedPolicy,
    secrets: Secrets,
    key: Key,
) -> Role:
    """The role, its inline policy, and (when StorageEncrypted) the policy to decrypt the secrets."""
    # No RoleName: IAM names are global, so a fixed name would collide between two Regions.
    role = t.add_resource(
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
                            log_statement(naming),
                            secrets_statement(secrets),
                            *data_bucket_statements(),
                            metrics_statement(naming),
                        ],
                    ),
                )
            ],
            Tags=naming.tags(names.LAMBDA_ROLE),
        )
    )
    t.add_resource(
        PolicyType(
            "LambdaKmsPolicy",
            Condition=CONDITIONS.encrypted,
            PolicyName="influxdb-client-kms",
            Roles=[Ref(role)],
            PolicyDocument=PolicyDocument(
                Version=POLICY_VERSION, Statement=[kms_statement(key)]
            ),
        )
    )
    return role


def vpc_network_interface_statements(sgs: SecurityGroups) -> list[Statement]:
    """What Lambda needs to attach the functions to the VPC, with the client security group only."""
    return [
        Statement(
            Sid="DescribeNetwork",
            Effect=Allow,
            Action=[ec2.DescribeNetworkInterfaces, ec2.DescribeSubnets],
            # EC2 Describe* actions support no resource-level permissions.
            Resource=["*"],
        ),
        Statement(
            Sid="ManageFunctionNetworkInterfaces",
            Effect=Allow,
            Action=[
                ec2.CreateNetworkInterface,
                ec2.DeleteNetworkInterface,
                ec2.AssignPrivateIpAddresses,
                ec2.UnassignPrivateIpAddresses,
            ],
            Resource=[
                Sub(EC2_ARN + ":network-interface/*"),
                Sub(EC2_ARN + ":subnet/*"),
                Sub(EC2_ARN + ":security-group/${GroupId}", GroupId=GetAtt(sgs.client, "GroupId")),
            ],
        ),
    ]


def log_statement(naming: Naming) -> Statement:
    """Write to the product's log group only (the group exists, so no CreateLogGroup)."""
    return Statement(
        Sid="WriteOwnLogGroup",
        Effect=Allow,
        Action=[logs.CreateLogStream, logs.PutLogEvents],
        Resource=[
            Sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                + naming.template(names.LOG_GROUP)
                + ":*"
            )
        ],
    )


def secrets_statement(secrets: Secrets) -> Statement:
    """Read the connection details and the token; nothing else in Secrets Manager."""
    return Statement(
        Sid="ReadInfluxDBSecrets",
        Effect=Allow,
        Action=[secretsmanager.GetSecretValue],
        Resource=[Ref(secrets.credentials), Ref(secrets.token)],
    )


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


def kms_statement(key: Key) -> Statement:
    """Decrypt with the key, and only when Secrets Manager asks on the function's behalf."""
    return Statement(
        Sid="DecryptSecretsWithKey",
        Effect=Allow,
        Action=[kms.Decrypt],
        Resource=[GetAtt(key, "Arn")],
        Condition=via_secrets_manager(),
    )

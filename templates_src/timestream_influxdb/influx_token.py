"""API token: an InfluxDB authorization for the Lambda clients, made by a custom resource.

When InfluxDBToken is empty, ``functions/api_token.py`` runs in SubnetIds with the Lambda client
security group, reads the admin credentials from the credentials secret at run time (the
password is never a resource property), signs in to the instance, creates an authorization with
read and write on the configured bucket only, and writes its token into the credentials secret
(JSON field ``token``) and the token secret (raw). The subnets need a route to Secrets Manager:
a NAT gateway, or the interface endpoint CreateSecretsManagerEndpoint adds.
A given InfluxDBToken is stored by the secrets themselves and no token is made.
"""

from __future__ import annotations

from awacs import kms, secretsmanager
from awacs.aws import Allow, Statement
from troposphere import GetAtt, If, NoValue, Ref, Sub, Template
from troposphere.awslambda import VPCConfig
from troposphere.ec2 import VPCEndpoint
from troposphere.iam import ManagedPolicy
from troposphere.kms import Key
from troposphere.timestream import InfluxDBInstance

from ..common import Naming, ParameterForm
from . import names
from .access import via_secrets_manager
from .custom_resources import CustomResource, add_custom_resource, add_function
from .network import SecurityGroups
from .outputs import URL
from .parameters import CONDITIONS
from .secrets import Secrets

# Seconds the function may run. The work takes seconds; a server that hangs is given up on after
# 3 tries of 10 s a request, and CloudFormation is answered before this timeout in any case.
TIMEOUT = 120


def add_token(
    t: Template,
    p: ParameterForm,
    naming: Naming,
    key: Key,
    sgs: SecurityGroups,
    vpc_access: ManagedPolicy,
    instance: InfluxDBInstance,
    secrets: Secrets,
    endpoint: VPCEndpoint,
) -> CustomResource:
    """The token function in the VPC, its role, and the token resource (when InfluxDBToken is empty)."""
    fn = add_function(
        t,
        p,
        naming,
        key,
        title="TokenFunction",
        suffix=names.TOKEN_FUNCTION,
        module="api_token",
        statements=[*secret_statements(secrets), kms_statement(key)],
        managed_policies=[Ref(vpc_access)],
        timeout=TIMEOUT,
        vpc=VPCConfig(SubnetIds=p.ref("SubnetIds"), SecurityGroupIds=[GetAtt(sgs.client, "GroupId")]),
        condition=CONDITIONS.create_token,
    )
    return add_custom_resource(
        t,
        "InfluxDBApiToken",
        "InfluxDBToken",
        fn,
        TIMEOUT,
        condition=CONDITIONS.create_token,
        # Addresses and names only; the function reads the password from the secret.
        Url=Sub(URL, Endpoint=GetAtt(instance, "Endpoint")),
        Org=p.ref("Organization"),
        Bucket=p.ref("Bucket"),
        CredentialsSecretArn=Ref(secrets.credentials),
        TokenSecretArn=Ref(secrets.token),
        # Makes the resource wait for the endpoint (when there is one) on create and delete.
        SecretsManagerEndpoint=If(CONDITIONS.create_secrets_endpoint, Ref(endpoint), NoValue),
    )


def secret_statements(secrets: Secrets) -> list[Statement]:
    """Read the admin credentials; write the token into the two secrets; nothing else."""
    return [
        Statement(
            Sid="ReadCredentials",
            Effect=Allow,
            Action=[secretsmanager.GetSecretValue],
            Resource=[Ref(secrets.credentials)],
        ),
        Statement(
            Sid="StoreToken",
            Effect=Allow,
            Action=[secretsmanager.PutSecretValue],
            Resource=[Ref(secrets.credentials), Ref(secrets.token)],
        ),
    ]


def kms_statement(key: Key) -> Statement:
    """Decrypt and encrypt the secrets with the product's key, only through Secrets Manager.

    Without StorageEncrypted the secrets use the AWS managed key ``aws/secretsmanager``, whose
    key policy already lets Secrets Manager use it for the account: the statement then names
    that alias, which grants nothing more.
    """
    return Statement(
        Sid="SecretsWithKey",
        Effect=Allow,
        Action=[kms.Decrypt, kms.GenerateDataKey],
        Resource=[
            If(
                CONDITIONS.encrypted,
                GetAtt(key, "Arn"),
                Sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/secretsmanager"),
            )
        ],
        Condition=via_secrets_manager(),
    )

"""API token: an InfluxDB authorization for the Lambda clients, made by a custom resource.

When InfluxDBToken is empty (condition CreateInfluxDBToken, added here), ``functions/api_token.py``
runs in SubnetIds with the Lambda client security group, reads the admin credentials from the
credentials secret at run time (the password is never a resource property), signs in to the
instance, creates an authorization with read and write on the configured bucket only, and writes
its token into the credentials secret (JSON field ``token``) and the token secret (raw). The
subnets need a route to Secrets Manager (a NAT gateway or an endpoint the network provides).
A given InfluxDBToken is stored by the secrets themselves and
no token is made.
"""

from __future__ import annotations

from troposphere import Equals, GetAtt, Ref, Sub
from troposphere.awslambda import VPCConfig
from troposphere.iam import ManagedPolicy
from troposphere.timestream import InfluxDBInstance

from ..common import Context
from . import names
from .custom_resources import CustomResource, add_custom_resource, add_function
from .encryption import ProductKey
from .network import SecurityGroups
from .outputs import URL
from .secrets import Secrets

# Seconds the function may run. The work takes seconds; a server that hangs is given up on after
# 3 tries of 10 s a request, and CloudFormation is answered before this timeout in any case.
TIMEOUT = 120
#: True when InfluxDBToken is empty: the stack makes the token.
CREATE_TOKEN = "CreateInfluxDBToken"


def add_token(
    ctx: Context,
    key: ProductKey,
    sgs: SecurityGroups,
    vpc_access: ManagedPolicy,
    instance: InfluxDBInstance,
    secrets: Secrets,
) -> CustomResource:
    """The token function in the VPC, its role, and the token resource (when InfluxDBToken is empty)."""
    condition = ctx.add_condition(CREATE_TOKEN, Equals(ctx.ref("InfluxDBToken"), ""))
    fn = add_function(
        ctx,
        key,
        title="TokenFunction",
        suffix=names.TOKEN_FUNCTION,
        module="api_token",
        statements=[
            # Read the admin credentials; write the token into the two secrets; nothing else.
            secrets.grant_read(secrets.credentials, sid="ReadCredentials"),
            secrets.grant_write(sid="StoreToken"),
            key.grant_secrets_use(sid="SecretsWithKey"),
        ],
        managed_policies=[Ref(vpc_access)],
        timeout=TIMEOUT,
        vpc=VPCConfig(SubnetIds=ctx.ref("SubnetIds"), SecurityGroupIds=[GetAtt(sgs.client, "GroupId")]),
        condition=condition,
    )
    return add_custom_resource(
        ctx,
        "InfluxDBApiToken",
        "InfluxDBToken",
        fn,
        # Addresses and names only; the function reads the password from the secret.
        properties={
            "Url": Sub(URL, Endpoint=GetAtt(instance, "Endpoint")),
            "Org": ctx.ref("Organization"),
            "Bucket": ctx.ref("Bucket"),
            "CredentialsSecretArn": Ref(secrets.credentials),
            "TokenSecretArn": Ref(secrets.token),
        },
    )

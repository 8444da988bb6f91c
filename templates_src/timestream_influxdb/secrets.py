"""Secrets: the admin password, the connection details and the API token for the Lambda clients.

The password never appears in the template, an output or a log: either Secrets Manager generates
it and the instance reads it through a dynamic reference, or it comes from a NoEcho parameter.
Either way it is kept in the admin password secret, which only the token function (and the
account's operators) may read. The clients read the connection details (no password, no token)
and the token secret (the raw token). The secrets' owner is also where access to them is granted
(:meth:`Secrets.grant_read`, :meth:`Secrets.grant_write`), as a role's policy composes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awacs import secretsmanager
from awacs.aws import Allow, Statement
from troposphere import Equals, GetAtt, If, NoValue, Ref, Sub
from troposphere.secretsmanager import GenerateSecretString, Secret
from troposphere.timestream import InfluxDBInstance

from ..common import Context, Naming, retained
from . import names
from .encryption import ProductKey

GENERATED_PASSWORD_LENGTH = 32
#: True when the Password parameter is empty: Secrets Manager generates the password.
GENERATE_PASSWORD = "GeneratePassword"


@dataclass(frozen=True)
class AdminPassword:
    secret: Secret  # the password, generated or the Password parameter's
    value: If  # what the instance's Password property receives


@dataclass(frozen=True)
class Secrets:
    """The secrets the Lambda clients read - the connection details (JSON) and the raw token - and
    the admin password, which they do not."""

    credentials: Secret
    token: Secret
    admin_password: Secret

    def grant_read(self, *secrets: Secret, sid: str = "ReadInfluxDBSecrets") -> Statement:
        """Read the value of ``secrets`` (default: the clients' two); nothing else in Secrets Manager."""
        return self._grant(sid, secretsmanager.GetSecretValue, secrets)

    def grant_write(self, *secrets: Secret, sid: str = "WriteInfluxDBSecrets") -> Statement:
        """Store a new value in ``secrets`` (default: the clients' two)."""
        return self._grant(sid, secretsmanager.PutSecretValue, secrets)

    def grant_rotate(self, *secrets: Secret, sid: str = "RotateInfluxDBSecrets") -> Statement:
        """What a rotation function does to ``secrets`` besides reading and storing values: read
        their versions and labels (DescribeSecret) and move AWSCURRENT (UpdateSecretVersionStage),
        as the Secrets Manager User Guide lists for a rotation function's execution role."""
        return self._grant(
            sid, [secretsmanager.DescribeSecret, secretsmanager.UpdateSecretVersionStage], secrets
        )

    def _grant(self, sid: str, action, secrets: tuple[Secret, ...]) -> Statement:
        chosen = secrets or (self.credentials, self.token)
        for secret in chosen:
            if not any(secret is mine for mine in (self.credentials, self.token, self.admin_password)):
                raise ValueError(f"{secret.title} is not one of these secrets")
        actions = action if isinstance(action, list) else [action]
        return Statement(Sid=sid, Effect=Allow, Action=actions, Resource=[Ref(s) for s in chosen])


def add_product_secret(
    ctx: Context, key: ProductKey, title: str, suffix: str, description: str, **value: Any
) -> Secret:
    """A secret of the product: named and tagged ``{project}-{environment}-<suffix>``, encrypted
    with the product's key when StorageEncrypted, retained (it protects data); ``value`` is its
    SecretString or GenerateSecretString, if any."""
    naming = ctx.naming
    return ctx.add(
        retained(
            Secret(
                title,
                Name=naming.name(suffix),
                Description=description,
                **value,
                KmsKeyId=key.arn_if_encrypted(),
                Tags=naming.tags(suffix),
            )
        )
    )


def add_admin_password(ctx: Context, key: ProductKey) -> AdminPassword:
    """The admin password's secret: a generated letters-and-digits password when the Password
    parameter is empty, else the parameter's value (the raw password either way)."""
    condition = ctx.add_condition(GENERATE_PASSWORD, Equals(ctx.ref("Password"), ""))
    secret = add_product_secret(
        ctx,
        key,
        "AdminPasswordSecret",
        names.ADMIN_PASSWORD_SECRET,
        "Password of the InfluxDB admin user",
        GenerateSecretString=If(
            condition,
            GenerateSecretString(
                PasswordLength=GENERATED_PASSWORD_LENGTH,
                # The service accepts letters and digits only.
                ExcludePunctuation=True,
                IncludeSpace=False,
                RequireEachIncludedType=True,
            ),
            NoValue,
        ),
        SecretString=If(condition, NoValue, ctx.ref("Password")),
    )
    # Exactly what the instance has always received: a new value here would replace the instance.
    value = If(
        condition,
        Sub("{{resolve:secretsmanager:${%s}:SecretString}}" % secret.title),
        ctx.ref("Password"),
    )
    return AdminPassword(secret=secret, value=value)


def add_connection_secrets(
    ctx: Context, instance: InfluxDBInstance, key: ProductKey, password: AdminPassword
) -> Secrets:
    """The credentials secret (JSON: connection details only) and the token secret (the raw token,
    or no value yet)."""
    credentials = add_product_secret(
        ctx,
        key,
        "CredentialsSecret",
        names.CREDENTIALS_SECRET,
        "InfluxDB connection details for the Lambda clients (JSON, no credentials)",
        SecretString=Sub(
            '{"endpoint":"${Endpoint}","port":${Port},"url":"https://${Endpoint}:${Port}",'
            '"org":"${Organization}","bucket":"${Bucket}"}',
            Endpoint=GetAtt(instance, "Endpoint"),
        ),
    )
    token = add_product_secret(
        ctx,
        key,
        "TokenSecret",
        names.TOKEN_SECRET,
        "InfluxDB API token for the Lambda clients (the raw token)",
        # A SecretString must not be empty: without a token the secret is created with no value.
        SecretString=ctx.form.if_given("InfluxDBToken"),
    )
    return Secrets(credentials=credentials, token=token, admin_password=password.secret)


def token_secret_name(naming: Naming) -> Sub:
    """The token secret's name, which clients read through INFLUXDB_TOKEN_SECRET_NAME."""
    return naming.name(names.TOKEN_SECRET)

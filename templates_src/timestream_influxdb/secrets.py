"""Secrets: the admin password, the connection details and the API token for the Lambda clients.

The password never appears in the template, an output or a log: either Secrets Manager generates
it and the instance reads it through a dynamic reference, or it comes from a NoEcho parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, If, NoValue, Sub, Template
from troposphere.secretsmanager import GenerateSecretString, Secret
from troposphere.timestream import InfluxDBInstance

from ..common import Naming, ParameterForm
from . import names
from .encryption import key_arn_if_encrypted
from .parameters import CONDITIONS

GENERATED_PASSWORD_LENGTH = 32
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


@dataclass(frozen=True)
class AdminPassword:
    secret: Secret  # exists only when the password is generated
    value: If  # what the instance's Password property receives


@dataclass(frozen=True)
class Secrets:
    credentials: Secret
    token: Secret


def add_admin_password(t: Template, p: ParameterForm, naming: Naming, key) -> AdminPassword:
    """A generated letters-and-digits password when the Password parameter is empty."""
    secret = t.add_resource(
        Secret(
            "AdminPasswordSecret",
            Condition=CONDITIONS.generate_password,
            Name=naming.name(names.ADMIN_PASSWORD_SECRET),
            Description="Generated password of the InfluxDB admin user",
            GenerateSecretString=GenerateSecretString(
                PasswordLength=GENERATED_PASSWORD_LENGTH,
                # The service accepts letters and digits only.
                ExcludePunctuation=True,
                IncludeSpace=False,
                RequireEachIncludedType=True,
            ),
            KmsKeyId=key_arn_if_encrypted(key),
            Tags=naming.tags(names.ADMIN_PASSWORD_SECRET),
            **RETAIN,
        )
    )
    value = If(
        CONDITIONS.generate_password,
        Sub("{{resolve:secretsmanager:${%s}:SecretString}}" % secret.title),
        p.ref("Password"),
    )
    return AdminPassword(secret=secret, value=value)


def add_connection_secrets(
    t: Template,
    p: ParameterForm,
    naming: Naming,
    instance: InfluxDBInstance,
    key,
    password: AdminPassword,
) -> Secrets:
    """The credentials secret (JSON) and the token secret (the raw token, or no value yet)."""
    credentials = t.add_resource(
        Secret(
            "CredentialsSecret",
            Name=naming.name(names.CREDENTIALS_SECRET),
            Description="InfluxDB connection details for the Lambda clients (JSON)",
            SecretString=Sub(
                '{"username":"${Username}","password":"${Password}",'
                '"endpoint":"${Endpoint}","port":${Port},"url":"https://${Endpoint}:${Port}",'
                '"org":"${Organization}","bucket":"${Bucket}","token":"${InfluxDBToken}"}',
                Password=password.value,
                Endpoint=GetAtt(instance, "Endpoint"),
            ),
            KmsKeyId=key_arn_if_encrypted(key),
            Tags=naming.tags(names.CREDENTIALS_SECRET),
            **RETAIN,
        )
    )
    token = t.add_resource(
        Secret(
            "TokenSecret",
            Name=naming.name(names.TOKEN_SECRET),
            Description="InfluxDB API token for the Lambda clients (the raw token)",
            # A SecretString must not be empty: without a token the secret is created with no value.
            SecretString=If(CONDITIONS.has_token, p.ref("InfluxDBToken"), NoValue),
            KmsKeyId=key_arn_if_encrypted(key),
            Tags=naming.tags(names.TOKEN_SECRET),
            **RETAIN,
        )
    )
    return Secrets(credentials=credentials, token=token)


def token_secret_name(naming: Naming) -> Sub:
    """The token secret's name, which clients read through INFLUXDB_TOKEN_SECRET_NAME."""
    return naming.name(names.TOKEN_SECRET)

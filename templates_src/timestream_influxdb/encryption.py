"""Encryption: a customer-managed KMS key (when StorageEncrypted) for the secrets and the log group.

CloudFormation's InfluxDBInstance has no KmsKeyId property (only the service API has one), so the
instance's storage stays encrypted with the service's own key; this key protects everything else.
"""

from __future__ import annotations

from awacs import kms
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringLike
from troposphere import GetAtt, If, NoValue, Ref, Sub, Template
from troposphere.kms import Alias, Key

from ..common import Naming
from . import names
from .parameters import CONDITIONS

ACCOUNT_ROOT = Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")


def log_groups_arn(naming: Naming) -> Sub:
    """ARN pattern of the product's log groups - the clients' and each custom-resource function's -
    as CloudWatch Logs names a log group in the encryption context."""
    return Sub(
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        + naming.template(names.LOG_GROUPS)
    )


def add_key(t: Template, naming: Naming) -> Key:
    """A rotating key the account administers and CloudWatch Logs may use for the product's log groups only."""
    key = t.add_resource(
        Key(
            "KmsKey",
            Condition=CONDITIONS.encrypted,
            Description=naming.name("influxdb: secrets and Lambda logs"),
            EnableKeyRotation=True,
            KeyPolicy=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    # The account's IAM policies decide who uses the key; without this statement
                    # nobody could administer it.
                    Statement(
                        Sid="AccountAdministersKey",
                        Effect=Allow,
                        Principal=Principal("AWS", ACCOUNT_ROOT),
                        Action=[kms.Action("*")],
                        Resource=["*"],  # in a key policy, "*" means this key
                    ),
                    Statement(
                        Sid="CloudWatchLogsUsesKeyForLogGroup",
                        Effect=Allow,
                        Principal=Principal("Service", Sub("logs.${AWS::Region}.amazonaws.com")),
                        Action=[
                            kms.Encrypt,
                            kms.Decrypt,
                            kms.ReEncryptFrom,
                            kms.ReEncryptTo,
                            kms.GenerateDataKey,
                            kms.GenerateDataKeyWithoutPlaintext,
                        ],
                        Resource=["*"],  # in a key policy, "*" means this key
                        # The context key is a String (IAM's service reference): StringLike, not
                        # ArnLike, matches it against the log groups' ARN pattern.
                        Condition=Condition(
                            StringLike("kms:EncryptionContext:aws:logs:arn", log_groups_arn(naming))
                        ),
                    ),
                    # DescribeKey carries no encryption context, so under the condition above it
                    # would never be allowed; it reveals the key's metadata only.
                    Statement(
                        Sid="CloudWatchLogsDescribesKey",
                        Effect=Allow,
                        Principal=Principal("Service", Sub("logs.${AWS::Region}.amazonaws.com")),
                        Action=[kms.DescribeKey],
                        Resource=["*"],  # in a key policy, "*" means this key
                    ),
                ],
            ),
            Tags=naming.tags(names.KEY),
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    t.add_resource(
        Alias(
            "KmsKeyAlias",
            Condition=CONDITIONS.encrypted,
            AliasName=Sub("alias/" + naming.template(names.KEY)),
            TargetKeyId=Ref(key),
        )
    )
    return key


def key_arn_if_encrypted(key: Key) -> If:
    """The key's ARN when StorageEncrypted, otherwise no value (the service's default key)."""
    return If(CONDITIONS.encrypted, GetAtt(key, "Arn"), NoValue)

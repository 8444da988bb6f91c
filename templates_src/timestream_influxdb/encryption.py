"""Encryption: a customer-managed KMS key (when StorageEncrypted) for the secrets and the log group.

CloudFormation's InfluxDBInstance has no KmsKeyId property (only the service API has one), so the
instance's storage stays encrypted with the service's own key; this key protects everything else.
The key's owner is also where its grants are made (:meth:`ProductKey.grant_decrypt`,
:meth:`ProductKey.grant_secrets_use`), so a role's policy never spells the key's ARN itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import kms
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals, StringLike
from troposphere import Equals, GetAtt, If, NoValue, Ref, Sub
from troposphere.kms import Alias, Key

from ..common import POLICY_VERSION, Context, Naming, retained
from . import names

ACCOUNT_ROOT = Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
#: True when StorageEncrypted is "true": the key (and its alias) exist.
ENCRYPTED = "CreateKmsKey"
#: The AWS managed key Secrets Manager uses for a secret that names no key of its own.
SECRETS_MANAGER_DEFAULT_KEY = (
    "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/secretsmanager"
)


def via_secrets_manager() -> Condition:
    """KMS use only when Secrets Manager asks on the caller's behalf."""
    return Condition(StringEquals("kms:ViaService", Sub("secretsmanager.${AWS::Region}.amazonaws.com")))


@dataclass(frozen=True)
class ProductKey:
    """The product's KMS key, which exists only when :data:`ENCRYPTED` holds, and its grants."""

    key: Key
    condition: str = ENCRYPTED

    def arn(self) -> GetAtt:
        """The key's ARN; only where the key exists (under :attr:`condition`)."""
        return GetAtt(self.key, "Arn")

    def arn_if_encrypted(self) -> If:
        """The key's ARN when StorageEncrypted, otherwise no value (the service's default key)."""
        return If(self.condition, self.arn(), NoValue)

    def grant_decrypt(self, sid: str = "DecryptSecretsWithKey") -> Statement:
        """Decrypt with the key, only when Secrets Manager asks on the grantee's behalf.

        For a policy that exists only under :attr:`condition`: it names the key itself.
        """
        return Statement(
            Sid=sid,
            Effect=Allow,
            Action=[kms.Decrypt],
            Resource=[self.arn()],
            Condition=via_secrets_manager(),
        )

    def grant_secrets_use(self, sid: str = "SecretsWithKey") -> Statement:
        """Decrypt and encrypt secrets with the key, only through Secrets Manager; in any policy.

        Without StorageEncrypted the secrets use the AWS managed key ``aws/secretsmanager``, whose
        key policy already lets Secrets Manager use it for the account: the statement then names
        that alias, which grants nothing more.
        """
        return Statement(
            Sid=sid,
            Effect=Allow,
            Action=[kms.Decrypt, kms.GenerateDataKey],
            Resource=[If(self.condition, self.arn(), Sub(SECRETS_MANAGER_DEFAULT_KEY))],
            Condition=via_secrets_manager(),
        )


def log_groups_arn(naming: Naming) -> Sub:
    """ARN pattern of the product's log groups - the clients' and each custom-resource function's -
    as CloudWatch Logs names a log group in the encryption context."""
    return Sub(
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        + naming.template(names.LOG_GROUPS)
    )


def add_key(ctx: Context) -> ProductKey:
    """A rotating key the account administers and CloudWatch Logs may use for the product's log groups only.

    Made when StorageEncrypted is true (condition :data:`ENCRYPTED`, added here).
    """
    naming = ctx.naming
    condition = ctx.add_condition(ENCRYPTED, Equals(ctx.ref("StorageEncrypted"), "true"))
    key = ctx.add(
        retained(
            Key(
                "KmsKey",
                Condition=condition,
                Description=naming.name("influxdb: secrets and Lambda logs"),
                EnableKeyRotation=True,
                KeyPolicy=PolicyDocument(
                    Version=POLICY_VERSION,
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
            )
        )
    )
    ctx.add(
        Alias(
            "KmsKeyAlias",
            Condition=condition,
            AliasName=Sub("alias/" + naming.template(names.KEY)),
            TargetKeyId=Ref(key),
        )
    )
    return ProductKey(key, condition)

"""Backup: automated DAILY and CONTINUOUS backups, and a final backup, through a custom resource.

CloudFormation's InfluxDBInstance and InfluxDBCluster have no backup configuration (cfn-lint's
bundled schemas); the API's UpdateDbInstance or UpdateDbCluster (``dbBackupConfigurations``) and
CreateDbBackup do it, called by ``functions/backup.py``. :func:`add_backups` takes either database.
Meaning of the parameters (see also :mod:`.parameters`):

- BackupRetentionPeriod (1-365): DAILY automated backups, always on, kept that many days;
- ContinuousBackupRetentionDays: 0 turns CONTINUOUS backups (point-in-time recovery) off;
  1-365 keeps them that many days;
- FinalBackupRetentionDays: 0 takes no final backup; 1-3650 takes an on-demand backup, kept that
  many days, when the stack is deleted or the instance or cluster replaced (which is retained).
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import timestream_influxdb as tsi
from awacs.aws import Allow, Statement
from troposphere import AWS_STACK_ID, AWSObject, GetAtt, Ref, Sub
from troposphere.timestream import InfluxDBCluster, InfluxDBInstance

from ..common import Context, checkov_skips
from . import names
from .custom_resources import (
    FUNCTION_CHECKOV_SKIPS,
    OUTSIDE_VPC_SKIP,
    CustomResource,
    add_custom_resource,
    add_function,
    grant_read_stack_status,
)
from .database import Database
from .encryption import ProductKey
from .functions.backup import CONFIGURED

TIMEOUT = 300  # UpdateDbInstance/UpdateDbCluster is retried while the database is busy with another change
#: Logical id of the backup resource; the function refuses requests for any other.
BACKUP_RESOURCE = "BackupConfiguration"
ENVIRONMENT_SKIP = {
    "CKV_AWS_173": (
        "The backup function's environment holds no secret (a database id and type, retention days, the "
        "stack id, a logical id), and Lambda encrypts environment variables at rest with an AWS "
        "managed key in any case"
    ),
}
TSI_ARN = "arn:${AWS::Partition}:timestream-influxdb:${AWS::Region}:${AWS::AccountId}"


@dataclass(frozen=True)
class DbResource:
    """What the backup and parameter group functions need of the database they act on."""

    resource: AWSObject
    #: DbResourceType: the ResourceType values of botocore's model (RestoreFromDbBackup's output)
    type: str
    #: the resource type of its ARN in IAM's reference (``db-instance/<id>``, ``db-cluster/<id>``)
    arn_type: str
    #: the noun of statement ids ("Instance", "Cluster")
    noun: str

    @property
    def is_cluster(self) -> bool:
        return self.type == "DB_CLUSTER"

    def properties(self) -> dict:
        """The DbResourceType and DbResourceId properties of a function's resource."""
        return {"DbResourceType": self.type, "DbResourceId": GetAtt(self.resource, "Id")}


def db_resource(database: InfluxDBInstance | InfluxDBCluster | Database) -> DbResource:
    """The instance or read-replica cluster ``database`` is (a bare resource or a :class:`Database`)."""
    resource = database.resource if isinstance(database, Database) else database
    if isinstance(resource, InfluxDBCluster):
        return DbResource(resource, "DB_CLUSTER", "db-cluster", "Cluster")
    if isinstance(resource, InfluxDBInstance):
        return DbResource(resource, "DB_INSTANCE", "db-instance", "Instance")
    raise TypeError(f"not an InfluxDB instance or cluster: {type(resource).__name__}")


def add_backups(
    ctx: Context, key: ProductKey, instance: InfluxDBInstance | InfluxDBCluster | Database
) -> CustomResource:
    """The backup function, its role (this instance or cluster only) and the backup configuration
    resource; ``instance`` is the product's instance or read-replica cluster.

    The function's environment holds the values its resource is given: it refuses requests asking
    for others (functions/backup.py)."""
    database = db_resource(instance)
    properties = {
        **database.properties(),
        "DailyRetentionDays": ctx.ref("BackupRetentionPeriod"),
        "ContinuousRetentionDays": ctx.ref("ContinuousBackupRetentionDays"),
        "FinalBackupRetentionDays": ctx.ref("FinalBackupRetentionDays"),
    }
    fn = add_function(
        ctx,
        key,
        title="BackupFunction",
        suffix=names.BACKUP_FUNCTION,
        module="backup",
        statements=[*backup_statements(database), grant_read_stack_status()],
        timeout=TIMEOUT,
        environment={
            **{CONFIGURED[name]: value for name, value in properties.items()},
            "STACK_ID": Ref(AWS_STACK_ID),
            "LOGICAL_RESOURCE_ID": BACKUP_RESOURCE,
        },
    )
    fn.function.Metadata = checkov_skips({**FUNCTION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP, **ENVIRONMENT_SKIP})
    return add_custom_resource(ctx, BACKUP_RESOURCE, "InfluxDBBackups", fn, properties=properties)


def backup_statements(
    database: InfluxDBInstance | InfluxDBCluster | Database | DbResource,
) -> list[Statement]:
    db = database if isinstance(database, DbResource) else db_resource(database)
    update = tsi.UpdateDbCluster if db.is_cluster else tsi.UpdateDbInstance
    return [
        Statement(
            Sid=f"ConfigureThis{db.noun}sBackups",
            Effect=Allow,
            Action=[update],
            Resource=[GetAtt(db.resource, "Arn")],
        ),
        *(cluster_node_statements("UpdateTheClustersNodes") if db.is_cluster else []),
        Statement(
            Sid="TakeFinalBackup",
            Effect=Allow,
            Action=[tsi.CreateDbBackup],
            # The final backup of a *replaced* instance or cluster runs after CloudFormation has
            # pointed this policy at the new one, whose ARN (an id the service generates) is all
            # it can name; the old one is only known as one of this account's instances or
            # clusters. The backup's own ARN is generated by the service too. Creating a backup
            # changes no data; only the function's code decides what it backs up.
            Resource=[Sub(f"{TSI_ARN}:{db.arn_type}/*"), Sub(TSI_ARN + ":db-backup/*")],
        ),
    ]


def cluster_node_statements(sid: str) -> list[Statement]:
    """UpdateDbInstance on the account's instances, for a caller of UpdateDbCluster.

    IAM's reference (the Service Authorization Reference as parliament bundles it) lists
    timestream-influxdb:UpdateDbInstance as a dependent action of UpdateDbCluster, and CloudFormation's
    own update handler of AWS::Timestream::InfluxDBCluster asks for it too (cfn-lint's bundled
    schema): the cluster's change reaches its nodes. The nodes are instances whose ids the service
    generates, and the reference lists no condition key that ties them to their cluster, so the
    grant names this account's instances in this Region. The function itself never calls
    UpdateDbInstance on a cluster: the grant is for the call the service makes on its behalf.
    """
    return [
        Statement(
            Sid=sid,
            Effect=Allow,
            Action=[tsi.UpdateDbInstance],
            Resource=[Sub(TSI_ARN + ":db-instance/*")],
        )
    ]

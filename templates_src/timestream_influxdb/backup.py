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

from collections.abc import Iterable
from dataclasses import dataclass

from awacs import timestream_influxdb as tsi
from awacs.aws import Action, Allow, Statement
from troposphere import AWS_STACK_ID, AWSObject, GetAtt, Ref, Sub
from troposphere.timestream import InfluxDBCluster, InfluxDBInstance

from ..common import Context, checkov_skips
from . import names
from .custom_resources import (
    FUNCTION_CHECKOV_SKIPS,
    OUTSIDE_VPC_SKIP,
    WAIT_FOR,
    CustomResource,
    add_custom_resource,
    add_function,
    grant_read_stack_status,
)
from .database import Database
from .encryption import ProductKey
from .functions.backup import CONFIGURED

# Seconds the function may run: UpdateDbInstance/UpdateDbCluster retried while the database is busy
# with another change, then GetDbInstance/GetDbCluster read until it is AVAILABLE again (the time
# left, less cfn_response.MARGIN). Lambda's maximum (cfn-lint's bundled schema for
# AWS::Lambda::Function: "the maximum allowed value is 900 seconds"), since how long the service
# takes to apply a change is documented nowhere; the ServiceTimeout is this plus
# custom_resources.ANSWER_GRACE (cfn-lint rule E9106 wants it above the Timeout).
TIMEOUT = 900
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

    @property
    def read_and_update(self) -> tuple[Action, Action]:
        """GetDbCluster and UpdateDbCluster for a cluster, GetDbInstance and UpdateDbInstance for an
        instance: what a function reads and changes it with."""
        if self.is_cluster:
            return tsi.GetDbCluster, tsi.UpdateDbCluster
        return tsi.GetDbInstance, tsi.UpdateDbInstance

    def properties(self) -> dict:
        """The DbResourceType and DbResourceId properties of a function's resource."""
        return {"DbResourceType": self.type, "DbResourceId": GetAtt(self.resource, "Id")}


def db_resource(database: InfluxDBInstance | InfluxDBCluster | Database | DbResource) -> DbResource:
    """The instance or read-replica cluster ``database`` is (a bare resource, a :class:`Database`,
    or already a :class:`DbResource`)."""
    if isinstance(database, DbResource):
        return database
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
    db = db_resource(database)
    read, update = db.read_and_update
    return [
        Statement(
            Sid=f"ConfigureThis{db.noun}sBackups",
            Effect=Allow,
            Action=[update],
            Resource=[GetAtt(db.resource, "Arn")],
        ),
        # The function answers once the change is applied: it reads the status until AVAILABLE.
        Statement(
            Sid=f"WaitForThis{db.noun}",
            Effect=Allow,
            Action=[read],
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


def after_database_changes(
    ctx: Context, resource: CustomResource, changes: Iterable[CustomResource | None]
) -> None:
    """Create and update ``resource`` (one that talks HTTP to the database) only after each of
    ``changes`` (the backup and parameter group resources: they change the database with
    UpdateDbInstance or UpdateDbCluster and answer once it is AVAILABLE again) has answered.

    Otherwise CloudFormation runs them at the same time, and a parameter group switch, which can
    restart the database, makes the HTTP calls fail mid-create and the stack roll back. On delete
    CloudFormation goes the other way: ``resource`` is deleted (a token revoked) while the database
    is untouched, before the backup resource takes its final backup.

    An unconditional change is named in DependsOn. A DependsOn naming a resource whose Condition
    is false is a template error (cfn-lint E3005), so a conditional one is referred to in a
    ``WaitFor<logical id>`` property under ``Fn::If`` on its condition instead (the function never
    reads it: custom_resources.WAIT_FOR). Its value is the resource's physical id, so a change of
    it (a new parameter group) sends ``resource`` an Update after the switch, which checks the
    HTTP side again against the restarted database.
    """
    for change in changes:
        if change is None:
            continue
        condition = getattr(change, "Condition", None)
        if condition is None:
            depends = getattr(resource, "DependsOn", [])
            depends = [depends] if isinstance(depends, str) else list(depends)
            resource.DependsOn = [*depends, change.title]
        else:
            resource.properties[WAIT_FOR + change.title] = ctx.if_(condition, Ref(change))

"""Custom resource: automated backups of the InfluxDB instance or cluster, and a final backup on delete.

Properties (numbers arrive as strings, and a CloudFormation Number parameter may read "20.0" or
"3e2": any integral value is accepted): DbResourceType (DB_INSTANCE or DB_CLUSTER, the values of
the ResourceType shape in botocore's model); DbResourceId (the instance's or the cluster's id);
DailyRetentionDays (1-365: the DAILY automated backup); ContinuousRetentionDays (0: no CONTINUOUS
backups, i.e. no point-in-time recovery; 1-365 keeps them that many days); FinalBackupRetentionDays
(0: no final backup; 1-3650: an on-demand backup kept that many days, taken when the resource is
deleted - stack deletion, or replacement of the instance or cluster, which gives this resource a new
physical id). The physical id is the instance's or cluster's id. Resources made by an earlier
version of the function carry InstanceId instead of the first two (an instance): a Delete or the
OldResourceProperties of such a resource are read that way.

What is sent is what the user asked for. In botocore's model, UpdateDbInstance (``identifier``) and
UpdateDbCluster (``dbClusterId``) both take dbBackupConfigurations, a DbBackupConfigurationInputList
("A list of backup configurations to update", 1 to 4 items) of DbBackupConfiguration (type,
retentionDays and enabled all required; retentionDays an AutomatedBackupRetentionDays, 1-365); and
CreateDbBackup's dbResourceId is "The id of the DB instance or DB cluster to back up". Nothing in
the model says that a type left out of the list is turned off, so the list only changes the types
it names: CONTINUOUS is named when it is on, and with enabled false only to turn off what this
resource turned on before (an Update of the same instance or cluster whose OldResourceProperties
had it on).

Whoever may invoke the function must not change the product database's backups: the template
sets each property's value in the function's environment too (CONFIGURED), with the stack id and
the resource's logical id (STACK_ID, LOGICAL_RESOURCE_ID). A request from another stack or for
another resource, or a Create or Update whose properties differ from the environment (another
instance, a cluster where the template made an instance), is refused with no action. A Delete is
checked for its stack and resource only: when the database is replaced, the Delete of the old
physical id carries the old id, and the environment already names the new one.

A Delete takes the final backup only while CloudFormation deletes this resource's physical id
(cfn_response.deletion_of: the stack deleting resources, and this resource DELETE_IN_PROGRESS, gone,
or holding another id - a replaced database's), or when that cannot be read (an extra backup costs
storage; a missing one may cost data): a Delete sent by anyone else at rest or during another
resource's clean-up takes none. The final backup is best effort: it never blocks a deletion. A busy
instance or cluster (ConflictException) is retried while the time allows; any other failure is
logged and the deletion goes on.
"""

import decimal
import os
import time

import boto3

from .cfn_response import MARGIN, deletion_of, properties, run
from .database_status import KINDS, not_available, wait_until_available

PROPERTIES = (
    "DbResourceType",
    "DbResourceId",
    "DailyRetentionDays",
    "ContinuousRetentionDays",
    "FinalBackupRetentionDays",
)
RETRY_SECONDS = 20
#: The environment variable that holds the configured value of each property.
CONFIGURED = {
    "DbResourceType": "DB_RESOURCE_TYPE",
    "DbResourceId": "DB_RESOURCE_ID",
    "DailyRetentionDays": "DAILY_RETENTION_DAYS",
    "ContinuousRetentionDays": "CONTINUOUS_RETENTION_DAYS",
    "FinalBackupRetentionDays": "FINAL_BACKUP_RETENTION_DAYS",
}
#: Accepted range of each number property (the service's: AutomatedBackupRetentionDays 1-365 for
#: automated backups, RetentionDays 1-3650 for an on-demand backup; 0 means "none" here).
RANGES = {
    "DailyRetentionDays": (1, 365),
    "ContinuousRetentionDays": (0, 365),
    "FinalBackupRetentionDays": (0, 3650),
}
#: The property that named the instance before DbResourceType and DbResourceId existed.
LEGACY_ID = "InstanceId"


def configuration():
    """The function's configuration, from its environment (set by the template)."""
    return {name: os.environ[name] for name in (*CONFIGURED.values(), "STACK_ID", "LOGICAL_RESOURCE_ID")}


def check(event, config):
    """Refuse a request from another stack or resource, or a Create or Update asking for anything
    but the configured values (names, not values, in the message)."""
    if event["StackId"] != config["STACK_ID"]:
        raise ValueError("refused: request from another stack")
    if event["LogicalResourceId"] != config["LOGICAL_RESOURCE_ID"]:
        raise ValueError("refused: not this stack's backup resource")
    if event["RequestType"] == "Delete":
        return
    props = properties(event, PROPERTIES)
    wrong = [name for name, variable in CONFIGURED.items() if props[name] != config[variable]]
    if wrong:
        raise ValueError("refused: not this stack's " + ", ".join(wrong))
    if props["DbResourceType"] not in KINDS:  # a template error: the environment says the same
        raise ValueError(f"DbResourceType must be one of {', '.join(KINDS)}, not {props['DbResourceType']!r}")


def target(props):
    """(DbResourceType, id) that ``props`` (a request's properties) name, a legacy InstanceId too."""
    if "DbResourceId" in props:
        return props.get("DbResourceType", "DB_INSTANCE"), props["DbResourceId"]
    return "DB_INSTANCE", props[LEGACY_ID]


def whole_number(props, name):
    """The property ``name`` as an int: "20", "20.0" and "2e1" are 20; anything else fails, naming it."""
    text = str(props[name]).strip()
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"{name} must be a whole number of days, not {text!r}")
    low, high = RANGES[name]
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, not {text!r}")
    return int(value)


def continuous_was_on(event, resource):
    """True when this resource turned CONTINUOUS backups on for ``resource`` ((type, id)) before
    this request."""
    old = event.get("OldResourceProperties") or {}
    try:
        same = event["RequestType"] == "Update" and target(old) == resource
    except KeyError:
        same = False
    if not same:
        return False  # a new instance or cluster has never had them
    try:
        return whole_number(old, "ContinuousRetentionDays") > 0
    except (KeyError, ValueError):
        return True  # unknown: turning off what may be on is harmless


def backup_configurations(props, was_on=False):
    """The dbBackupConfigurations of UpdateDbInstance or UpdateDbCluster (the same shape in
    botocore's model): what the properties ask for, nothing else."""
    configs = [{"type": "DAILY", "retentionDays": whole_number(props, "DailyRetentionDays"), "enabled": True}]
    continuous = whole_number(props, "ContinuousRetentionDays")
    if continuous:
        configs.append({"type": "CONTINUOUS", "retentionDays": continuous, "enabled": True})
    elif was_on:
        # retentionDays is required (1-365) even to turn a configuration off.
        configs.append({"type": "CONTINUOUS", "retentionDays": 1, "enabled": False})
    return configs


def final_backup(event, context, client):
    """Take the final backup if one is asked for; log every failure, never raise."""
    try:
        props = event["ResourceProperties"]
        kind, resource = target(props)
        days = whole_number(props, "FinalBackupRetentionDays")
    except Exception as e:  # a deletion is never blocked by what the resource was given
        print("final backup skipped:", f"{type(e).__name__}: {e}")
        return
    # A physical id other than the database's id means Create failed: nothing to back up.
    if not days or event.get("PhysicalResourceId") != resource:
        return
    # 3-40 letters, digits and single hyphens, unique per second.
    name = time.strftime(f"final-{resource[:16]}-%Y%m%d%H%M%S", time.gmtime())
    while True:
        try:
            client.create_db_backup(name=name, dbResourceId=resource, retentionDays=days)
            print("final backup started:", name)
            return
        except client.exceptions.ConflictException as e:
            # The instance or cluster is busy with another change: retry while the time allows.
            if context.get_remaining_time_in_millis() < (RETRY_SECONDS + MARGIN) * 1000:
                print(f"final backup not taken, the {KINDS.get(kind, kind)} stayed busy:", e)
                return
            time.sleep(RETRY_SECONDS)
        except Exception as e:  # gone (ResourceNotFoundException), denied, throttled: log, go on
            print("final backup not taken:", f"{type(e).__name__}: {e}")
            return


def configure(client, kind, resource, configs):
    """Send ``configs`` to the instance (UpdateDbInstance) or the cluster (UpdateDbCluster)."""
    if kind == "DB_CLUSTER":
        client.update_db_cluster(dbClusterId=resource, dbBackupConfigurations=configs)
    else:
        client.update_db_instance(identifier=resource, dbBackupConfigurations=configs)


def act(event, context, client=None, config=None, cloudformation=None):
    check(event, config or configuration())
    client = client or boto3.client("timestream-influxdb")
    if event["RequestType"] == "Delete":
        try:
            verdict, why = deletion_of(event, cloudformation or boto3.client("cloudformation"))
        except Exception as e:
            # Fail open: an extra backup costs storage, a missing final backup may cost data.
            print("stack status unreadable, taking the final backup anyway:", e)
            verdict, why = "deleting", "unknown"
        # "replaced": the Delete of a replaced database's old physical id, whose final backup is due.
        if verdict == "kept":
            print("refused: a Delete while", why)
            return None, {}, f"SUCCESS, but no final backup was taken: {why}"
        final_backup(event, context, client)
        return None, {}  # None: the request's own physical id
    props = properties(event, PROPERTIES)
    kind, resource = target(props)
    configs = backup_configurations(props, continuous_was_on(event, (kind, resource)))
    whole_number(props, "FinalBackupRetentionDays")  # fail now, not when the stack is deleted
    while True:
        try:
            configure(client, kind, resource, configs)
            break
        except client.exceptions.ConflictException:
            # The instance or cluster is busy with another change: retry while the time allows.
            if context.get_remaining_time_in_millis() < (RETRY_SECONDS + MARGIN) * 1000:
                raise
            time.sleep(RETRY_SECONDS)
    # Answer once the change is applied: the resources that talk to the database come after.
    status = wait_until_available(client, context, kind, resource)
    if status != "AVAILABLE":
        return resource, {}, not_available(kind, status)
    return resource, {}


def handler(event, context):
    return run(event, context, act)

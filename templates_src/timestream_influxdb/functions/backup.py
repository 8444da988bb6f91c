"""Custom resource: automated backups of the InfluxDB instance, and a final backup on delete.

Properties (numbers arrive as strings): InstanceId; DailyRetentionDays (1-365: the DAILY
automated backup); ContinuousRetentionDays (0 turns CONTINUOUS backups, i.e. point-in-time
recovery, off; 1-365 keeps them that many days); FinalBackupRetentionDays (0: no final backup;
1-3650: an on-demand backup kept that many days, taken when the resource is deleted - stack
deletion, or instance replacement, which gives this resource a new physical id).
The physical id is the instance id.
"""

import time

import boto3

from .cfn_response import run

RETRY_SECONDS = 20


def backup_configurations(props):
    """The UpdateDbInstance dbBackupConfigurations for the resource properties."""
    continuous = int(props.get("ContinuousRetentionDays", 0))
    return [
        {"type": "DAILY", "retentionDays": int(props["DailyRetentionDays"]), "enabled": True},
        # retentionDays is required (1-365) even for a disabled configuration.
        {"type": "CONTINUOUS", "retentionDays": max(continuous, 1), "enabled": continuous > 0},
    ]


def final_backup_name(instance_id, now):
    """A backup name the API accepts (3-40 letters, digits, single hyphens) and unique per second."""
    return "final-%s-%s" % (instance_id[:16], time.strftime("%Y%m%d%H%M%S", time.gmtime(now)))


def act(event, context, client=None, now=time.time):
    client = client or boto3.client("timestream-influxdb")
    props = event["ResourceProperties"]
    instance_id = props["InstanceId"]
    if event["RequestType"] == "Delete":
        days = int(props.get("FinalBackupRetentionDays", 0))
        # A physical id other than the instance id means Create failed: nothing was configured.
        if days and event["PhysicalResourceId"] == instance_id:
            try:
                backup = client.create_db_backup(
                    name=final_backup_name(instance_id, now()), dbResourceId=instance_id, retentionDays=days
                )
            except client.exceptions.ResourceNotFoundException:
                return instance_id, {}
            return instance_id, {"FinalBackupId": backup["id"]}
        return event["PhysicalResourceId"], {}
    while True:
        try:
            client.update_db_instance(identifier=instance_id, dbBackupConfigurations=backup_configurations(props))
            return instance_id, {}
        except client.exceptions.ConflictException:
            # The instance is busy (e.g. still applying another change): retry while time allows.
            if context.get_remaining_time_in_millis() < (RETRY_SECONDS + 10) * 1000:
                raise
            time.sleep(RETRY_SECONDS)


def handler(event, context):
    return run(event, context, act)

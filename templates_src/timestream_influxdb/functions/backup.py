"""Custom resource: automated backups of the InfluxDB instance, and a final backup on delete.

Properties (numbers arrive as strings): InstanceId; DailyRetentionDays (1-365: the DAILY
automated backup); ContinuousRetentionDays (0 turns CONTINUOUS backups, i.e. point-in-time
recovery, off; 1-365 keeps them that many days); FinalBackupRetentionDays (0: no final backup;
1-3650: an on-demand backup kept that many days, taken when the resource is deleted - stack
deletion, or instance replacement, which gives this resource a new physical id).
The physical id is the instance id.
"""

import contextlib
import time

import boto3

from .cfn_response import MARGIN, properties, run

PROPERTIES = ("InstanceId", "DailyRetentionDays", "ContinuousRetentionDays", "FinalBackupRetentionDays")
RETRY_SECONDS = 20


def backup_configurations(props):
    """The UpdateDbInstance dbBackupConfigurations for the resource properties."""
    continuous = int(props["ContinuousRetentionDays"])
    return [
        {"type": "DAILY", "retentionDays": int(props["DailyRetentionDays"]), "enabled": True},
        # retentionDays is required (1-365) even in a disabled configuration.
        {"type": "CONTINUOUS", "retentionDays": max(continuous, 1), "enabled": continuous > 0},
    ]


def act(event, context, client=None):
    client = client or boto3.client("timestream-influxdb")
    props = properties(event, PROPERTIES)
    instance = props["InstanceId"]
    days = int(props["FinalBackupRetentionDays"])
    if event["RequestType"] == "Delete":
        # A physical id other than the instance id means Create failed: nothing to back up.
        if days and event["PhysicalResourceId"] == instance:
            # 3-40 letters, digits and single hyphens, unique per second.
            name = time.strftime(f"final-{instance[:16]}-%Y%m%d%H%M%S", time.gmtime())
            # An instance that is gone has nothing left to back up.
            with contextlib.suppress(client.exceptions.ResourceNotFoundException):
                client.create_db_backup(name=name, dbResourceId=instance, retentionDays=days)
        return None, {}  # None: the request's own physical id
    while True:
        try:
            client.update_db_instance(
                identifier=instance, dbBackupConfigurations=backup_configurations(props)
            )
            return instance, {}
        except client.exceptions.ConflictException:
            # The instance is busy with another change: retry while the time allows.
            if context.get_remaining_time_in_millis() < (RETRY_SECONDS + MARGIN) * 1000:
                raise
            time.sleep(RETRY_SECONDS)


def handler(event, context):
    return run(event, context, act)

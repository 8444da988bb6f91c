"""Waiting for an instance or cluster to apply a change it accepted: the backup and parameter
group functions answer CloudFormation once the database is AVAILABLE again, so that the resources
ordered after theirs (the API token, the InfluxDB 3 database) find it up.

Shared, not copied: :func:`templates_src.timestream_influxdb.functions.inline` inlines this module
into a function's ``index.py`` after ``cfn_response`` (whose MARGIN it uses).
"""

import time

from .cfn_response import MARGIN

#: What the functions act on: DbResourceType -> the noun of their messages (botocore's model's
#: ResourceType values; CreateDbBackup takes the id of either).
KINDS = {"DB_INSTANCE": "instance", "DB_CLUSTER": "cluster"}

#: Seconds between two reads of the database's status while it applies an accepted change.
POLL_SECONDS = 5
#: Seconds kept beyond MARGIN for the last status read (a call retried by botocore on throttling).
READ_SECONDS = 15


def status_of(client, kind, resource):
    """The instance's (GetDbInstance) or cluster's (GetDbCluster) ``status``: botocore's model's
    Status or ClusterStatus, both of which name AVAILABLE."""
    if kind == "DB_CLUSTER":
        return client.get_db_cluster(dbClusterId=resource).get("status")
    return client.get_db_instance(identifier=resource).get("status")


def wait_until_available(client, context, kind, resource):
    """Read the status every POLL_SECONDS until it is AVAILABLE, while the Lambda's remaining time
    allows one more read and the answer to CloudFormation (MARGIN); the last status read.

    The first read comes one interval after the change was accepted, not at once: the service
    may still report the status it had before the change."""
    status = None
    while context.get_remaining_time_in_millis() >= (POLL_SECONDS + READ_SECONDS + MARGIN) * 1000:
        time.sleep(POLL_SECONDS)
        status = status_of(client, kind, resource)
        if status == "AVAILABLE":
            return status
    return status


def not_available(kind, status):
    """The line logged, and given as the answer's Reason, when the time ran out before AVAILABLE.

    Success anyway, not failure: the change was accepted and the service goes on applying it. A
    failed Create rolls the stack back and deletes the new database; a failed Update rolls back
    with a second change of a database still busy with the first. The resources ordered after
    this one talk to the database with retries of their own."""
    line = f"the {KINDS[kind]} accepted the change but was {status or 'not read'}, not yet AVAILABLE, "
    line += "when the time to wait ran out"
    print(line)
    return line

"""What must be true of the account before this product's stack is created: its part of
``build.py preflight``. The instance product's, except the Availability Zones (three, one per node),
the quota (the service documents none for clusters), the alarm topics (no alarms), and a probe of
ListDbClusters besides the backup probe.

Not checkable through an API the tooling calls: the AWS Marketplace subscription to the read-replica
add-on (the launch form and README state it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..common import Probe
from ..timestream_influxdb.prerequisites import BACKUP_PROBE
from ..timestream_influxdb.prerequisites import PREREQUISITES as INSTANCE
from . import service


def zones_needed(values: Mapping[str, str]) -> int:
    """Availability Zones the subnets must span: three, whatever the values."""
    return service.ZONES_MIN


PREREQUISITES = dataclasses.replace(
    INSTANCE,
    alarm_topics=None,  # the product makes no alarms
    zones_needed=zones_needed,
    max_subnets=service.SUBNETS,
    quota=None,
    # CloudFormation creates the cluster (ListDbClusters answers for the Region); the backup and
    # parameter group functions configure it through the same API (the instance's backup probe).
    probes=(
        Probe(
            "timestream-influxdb",
            "list_db_clusters",
            {"maxResults": 1},
            purpose="CloudFormation creates the read-replica cluster through it",
        ),
        BACKUP_PROBE,
    ),
)

"""What must be true of the account before this product's stack is created: its part of
``build.py preflight``. The instance product's (the data buckets, the engine-log bucket, what the
clients lack without a route to a service), with:

- two Availability Zones (the product takes two or three subnets in different zones);
- no storage rule, no quota (the service documents none for clusters), no alarm topics;
- probes: ListDbClusters (CloudFormation creates the cluster through it) and GetDbParameterGroup of
  each service-defined InfluxDB 3 group, which settles that the identifiers the template uses are
  the ones the service has in the Region (AWS's guide spells them in two capitalisations).

Not checkable through a parameter: that the subnets' route tables have an Amazon S3 gateway
endpoint for S3PrefixListId (the launch form and README state it); without it the cluster cannot
reach its object store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..common import Probe
from ..timestream_influxdb.prerequisites import PREREQUISITES as INSTANCE
from . import service


def zones_needed(values: Mapping[str, str]) -> int:
    """Availability Zones the subnets must span: two, whatever the values."""
    return service.SUBNETS_MIN


PREREQUISITES = dataclasses.replace(
    INSTANCE,
    alarm_topics=None,
    zones_needed=zones_needed,
    max_subnets=service.SUBNETS_MAX,
    storage_problem=None,
    storage_parameters=(),
    quota=None,
    probes=(
        Probe(
            "timestream-influxdb",
            "list_db_clusters",
            {"maxResults": 1},
            purpose="CloudFormation creates the InfluxDB 3 cluster through it",
        ),
        *(
            Probe(
                "timestream-influxdb",
                "get_db_parameter_group",
                {"identifier": group},
                purpose=f"the template names the service-defined parameter group {group}",
            )
            for group in service.PARAMETER_GROUPS.values()
        ),
    ),
)

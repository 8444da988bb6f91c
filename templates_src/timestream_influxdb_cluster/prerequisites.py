"""What must be true of the account before this product's stack is created: its part of
``build.py preflight``. The instance product's, except the Availability Zones (three, one per node),
the quota (the service documents none for clusters) and the backup probe (no backup resource).

Not checkable through an API the tooling calls: the AWS Marketplace subscription to the read-replica
add-on (the launch form and README state it).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..timestream_influxdb import prerequisites as instance_prerequisites
from . import service

BUCKETS = instance_prerequisites.BUCKETS
LOG_BUCKET = instance_prerequisites.LOG_BUCKET
LOG_PRINCIPAL = instance_prerequisites.LOG_PRINCIPAL
LOG_PREFIX = instance_prerequisites.LOG_PREFIX
CLIENT_SERVICES = instance_prerequisites.CLIENT_SERVICES
MAX_SUBNETS = service.SUBNETS
STORAGE_PARAMETERS = instance_prerequisites.STORAGE_PARAMETERS
storage_problem = instance_prerequisites.storage_problem
#: The token function (its worker reaches the cluster) is the only custom resource; the cluster
#: itself is created by CloudFormation: GetDbCluster's list form answers for the Region.
CLUSTER_PROBE = ("timestream-influxdb", "list_db_clusters", {"maxResults": 1})


def zones_needed(values: Mapping[str, str]) -> int:
    """Availability Zones the subnets must span: three, whatever the values."""
    return service.ZONES_MIN

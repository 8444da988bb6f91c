"""What a Timestream for InfluxDB read-replica cluster accepts beyond what an instance does.

Every value was read from cfn-lint's bundled schema for AWS::Timestream::InfluxDBCluster and
botocore's model of the Timestream for InfluxDB API (``tests/test_cluster_template.py`` re-reads
them). Instance types, storage, port, names and credentials are the instance's
(:mod:`templates_src.timestream_influxdb.service`): the schema and CreateDbCluster give them the same
limits.
"""

from __future__ import annotations

#: The schema's DeploymentType enum for a cluster (botocore: ClusterDeploymentType): one value.
DEPLOYMENT_TYPES = ("MULTI_NODE_READ_REPLICAS",)
#: FailoverMode enum (schema and botocore shape FailoverMode); updatable in place.
FAILOVER_MODES = ("AUTOMATIC", "NO_FAILOVER")
#: The service's rule (developer guide, "Create a read replica cluster": the subnets "must cover at
#: least three Availability Zones", one DB instance per zone) ...
ZONES_MIN = 3
#: ... and the schema's VpcSubnetIds maxItems (the API takes up to 6, CloudFormation 3): through
#: CloudFormation a cluster gets exactly three subnets, each in its own Availability Zone.
SUBNETS = 3
#: The AWS Marketplace listing the account must subscribe to before it can create a read-replica
#: cluster (developer guide, "Read replica licensing"); the seller is InfluxData, billed per
#: cluster hour while a cluster exists.
MARKETPLACE_LISTING = "Timestream for InfluxDB Read Replicas (Add-On)"

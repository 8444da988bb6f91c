"""What an Amazon Timestream for InfluxDB 3 cluster accepts, and how the engine is chosen.

Sources (``tests/test_influxdb3_template.py`` re-reads what the installed models hold):
- cfn-lint's bundled schema for AWS::Timestream::InfluxDBCluster: no ``required`` list; Port 1024 to
  65535; VpcSubnetIds 1 to 3 items; DbParameterGroupIdentifier ``^[a-zA-Z0-9]+$``, updatable;
  the attributes Endpoint and InfluxAuthParametersSecretArn; no property chooses the engine
  (EngineType is read-only).
- botocore's model of CreateDbCluster: port "Default: 8086 for InfluxDB v2, 8181 for InfluxDB v3";
  the instance's reserved ports.
- The Timestream developer guide, "Create a cluster in Timestream for InfluxDB 3": the
  service-defined parameter groups choose the engine and topology (Core single node, Enterprise
  three nodes, Enterprise single node); every AWS CLI example there passes two subnets and no
  storage, deployment type, user, password, organization or bucket. The Terraform AWS provider
  refuses allocated_storage, bucket, deployment_type, organization, password and username with an
  InfluxDB 3 parameter group, and its acceptance test creates a Core cluster with the identifier
  ``InfluxDBV3Core`` (the guide spells it ``InfluxDBv3Core`` in places: the capitalisation the
  service takes for the two Enterprise groups is checked by ``build.py preflight``, which gets
  each group).
"""

from __future__ import annotations

from ..timestream_influxdb import service as instance_service

#: The launch form's engines.
CORE, ENTERPRISE = "Core", "Enterprise"
ENGINES = (CORE, ENTERPRISE)
#: Enterprise topologies (nodes) of the service-defined parameter groups; "" on Core.
ENTERPRISE_NODES = ("3", "1")
#: Service-defined parameter group identifier by (engine, nodes).
PARAMETER_GROUPS = {
    (CORE, ""): "InfluxDBV3Core",
    (ENTERPRISE, "3"): "InfluxDBV3Enterprise",
    (ENTERPRISE, "1"): "InfluxDBV3Enterprise1Node",
}
#: The engine parameter set (a member of CreateDbParameterGroup's ``parameters`` union in
#: botocore's model) of each launch-form engine.
MODEL_ENGINES = {CORE: "InfluxDBv3Core", ENTERPRISE: "InfluxDBv3Enterprise"}
#: The port the API documents as InfluxDB 3's default; the template always sets Port, so the
#: cluster listens where the launch form says (the guide's connectivity example shows 8086).
DEFAULT_PORT = 8181
PORT_MIN, PORT_MAX = instance_service.PORT_MIN, instance_service.PORT_MAX
RESERVED_PORTS = instance_service.RESERVED_PORTS
#: Subnets: the schema allows 1 to 3; the service's minimum for InfluxDB 3 is not documented, and
#: every AWS example (and the Terraform acceptance test) passes two, in different zones: two to three.
SUBNETS_MIN, SUBNETS_MAX = 2, 3
#: A database name, InfluxDB 3's OpenAPI pattern (stricter than the server's own check: no
#: underscore, no "/"): letters, digits and hyphens, starting and ending with a letter or digit.
DATABASE_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$|^[a-zA-Z0-9]$"
#: The server's limit on a database name's length (influxdb3_server validate_db_name).
DATABASE_MAX = 511

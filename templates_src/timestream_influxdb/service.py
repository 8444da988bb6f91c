"""What Timestream for InfluxDB and its neighbours accept: enums, limits and names.

Every value here was read from the cfn-lint resource schemas and the botocore service model
(``tests/test_service_facts.py`` re-reads them, so a drift fails the suite). The parameters,
the resources and the validation all take their values from here.
"""

from __future__ import annotations

INSTANCE_TYPES = (
    "db.influx.medium",
    "db.influx.large",
    "db.influx.xlarge",
    "db.influx.2xlarge",
    "db.influx.4xlarge",
    "db.influx.8xlarge",
    "db.influx.12xlarge",
    "db.influx.16xlarge",
    "db.influx.24xlarge",
)
STORAGE_TYPES = ("InfluxIOIncludedT1", "InfluxIOIncludedT2", "InfluxIOIncludedT3")
STORAGE_IOPS = {"InfluxIOIncludedT1": 3000, "InfluxIOIncludedT2": 12000, "InfluxIOIncludedT3": 16000}
DEPLOYMENT_TYPES = ("SINGLE_AZ", "WITH_MULTIAZ_STANDBY")
MULTI_AZ = "WITH_MULTIAZ_STANDBY"
NETWORK_TYPES = ("IPV4", "DUAL")

# The CreateDbInstance API's allocatedStorage range (botocore model, shape AllocatedStorage: 20 to
# 15,360 GiB). The CloudFormation schema says 16,384, which the API then refuses: the API's value wins.
ALLOCATED_STORAGE_MIN, ALLOCATED_STORAGE_MAX = 20, 15360
# The service's storage documentation: the 12K and 16K IOPS tiers need at least 400 GiB. Neither the
# CloudFormation schema nor the botocore model says so; CreateDbInstance refuses less.
STORAGE_MIN_GIB = {"InfluxIOIncludedT1": 20, "InfluxIOIncludedT2": 400, "InfluxIOIncludedT3": 400}
PORT_MIN, PORT_MAX, DEFAULT_PORT = 1024, 65535, 8086
# CreateDbInstance refuses these ports although the schema's range admits them.
RESERVED_PORTS = (2375, 2376, *range(7788, 7800), 8090, 51678, 51679, 51680)

INSTANCE_NAME_MIN, INSTANCE_NAME_MAX = 3, 40
INSTANCE_NAME_PATTERN = r"^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$"
SUBNETS_MAX = 3  # VpcSubnetIds maxItems in the CloudFormation schema
MULTI_AZ_SUBNETS_MIN = 2

PASSWORD_MIN, PASSWORD_MAX = 8, 64  # letters and digits only
USERNAME_MAX = 64
ORGANIZATION_MAX = 64
BUCKET_MIN, BUCKET_MAX = 2, 64

# PutMetricAlarm AlarmActions (botocore model, shape ResourceList): at most 5 actions per alarm state.
ALARM_ACTIONS_MAX = 5

# CloudWatch metrics the service publishes for each instance.
METRIC_NAMESPACE = "AWS/Timestream/InfluxDB"
METRIC_DIMENSION = "DbInstanceName"

# AWS::Logs::LogGroup RetentionInDays enum.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Automated backups (UpdateDbInstance dbBackupConfigurations) and on-demand backups
# (CreateDbBackup retentionDays), from the botocore model.
AUTOMATED_BACKUP_RETENTION_MIN, AUTOMATED_BACKUP_RETENTION_MAX = 1, 365
ON_DEMAND_BACKUP_RETENTION_MIN, ON_DEMAND_BACKUP_RETENTION_MAX = 1, 3650
BACKUP_NAME_MAX = 40

# Lambda runtime of the custom resources (accepted by cfn-lint in every linted Region).
LAMBDA_RUNTIME = "python3.12"

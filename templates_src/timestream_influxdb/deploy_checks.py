"""What deploying and restoring this product needs to know about it, beyond the template.

The registry hangs these on the product's entry, so ``tooling`` (deploy, restore) uses them
without importing this package: which parameters are secrets and where their values come from,
which resource types lose data when replaced, what the InfluxDB API refuses that CloudFormation
only finds out while creating the instance, and which output names the instance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from . import engine_parameters, names, service

#: NoEcho parameter -> environment variable its value is read from.
SECRET_ENV = {"Password": "INFLUXDB_ADMIN_PASSWORD", "InfluxDBToken": "INFLUXDB_TOKEN"}

#: Resource types whose replacement or deletion loses data: the database, its secrets, the key that
#: encrypts them (a replaced key cannot decrypt what the old one encrypted).
PROTECTED_TYPES = (
    "AWS::Timestream::InfluxDBInstance",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
)

#: Retention parameters whose decrease deletes backups (automated and continuous ones are pruned to
#: the new retention at once) or keeps the final backup for less time: deploy refuses it unless told.
RETENTION_PARAMETERS = ("BackupRetentionPeriod", "ContinuousBackupRetentionDays", "FinalBackupRetentionDays")

#: Parameters that rename the instance: the only ones that can replace it. Any other change to a
#: create-only property keeps its fixed name, so CloudFormation refuses the replacement and the update
#: fails and rolls back.
RENAMING_PARAMETERS = ("ProjectName", "Environment")

#: The stack output holding the InfluxDB instance's id (what restore starts from).
INSTANCE_OUTPUT = "DbInstanceId"


_SNS_ARN_REGION = re.compile(r"arn:[a-z-]+:sns:([a-z0-9-]+):")


def value_problems(values: Mapping[str, str], region: str | None = None) -> list[tuple[str, str]]:
    """(parameter, message) for what the InfluxDB API or CloudWatch refuses but CloudFormation only
    finds out while creating the resources; ``region`` is the stack's Region when it is known."""
    problems: list[tuple[str, str]] = []
    problems.extend(_storage_problems(values))
    problems.extend(_alarm_action_problems(values, region))
    problems.extend(_engine_parameter_problems(values))
    problems.extend(environment_problems(values, parameter_group_environment))
    project, environment = values.get("ProjectName"), values.get("Environment")
    if project and environment:
        name = f"{project}-{environment}-{names.INSTANCE}"
        if len(name) > service.INSTANCE_NAME_MAX:
            problems.append(
                (
                    "ProjectName",
                    f"the instance name {name} is {len(name)} characters; the service allows "
                    f"{service.INSTANCE_NAME_MAX}: shorten ProjectName to at most "
                    f"{service.INSTANCE_NAME_MAX - len(name) + len(project)} characters",
                )
            )
        elif not re.fullmatch(service.INSTANCE_NAME_PATTERN, name):
            problems.append(
                (
                    "ProjectName",
                    f"the instance name {name} is not accepted by the service "
                    f"(pattern {service.INSTANCE_NAME_PATTERN})",
                )
            )
    subnets = [s.strip() for s in values.get("SubnetIds", "").split(",") if s.strip()]
    if subnets:
        duplicates = sorted({s for s in subnets if subnets.count(s) > 1})
        if duplicates:
            problems.append(("SubnetIds", f"lists {', '.join(duplicates)} more than once"))
        if len(subnets) > service.SUBNETS_MAX:
            problems.append(
                ("SubnetIds", f"has {len(subnets)} subnets; the instance takes at most {service.SUBNETS_MAX}")
            )
        if (
            values.get("DeploymentType") == service.MULTI_AZ
            and len(set(subnets)) < service.MULTI_AZ_SUBNETS_MIN
        ):
            problems.append(
                (
                    "DeploymentType",
                    f"{service.MULTI_AZ} needs at least {service.MULTI_AZ_SUBNETS_MIN} subnets in different "
                    f"Availability Zones; SubnetIds has {len(set(subnets))}",
                )
            )
    return problems


def _storage_problems(values: Mapping[str, str]) -> list[tuple[str, str]]:
    """The 12K and 16K IOPS storage tiers need at least 400 GiB (the service's documentation)."""
    kind, storage = values.get("DbStorageType", ""), values.get("AllocatedStorage", "")
    least = service.STORAGE_MIN_GIB.get(kind)
    if least is None or not re.fullmatch(r"[0-9]+", storage) or int(storage) >= least:
        return []
    return [("AllocatedStorage", f"{storage} GiB is less than the {least} GiB that {kind} needs")]


def _engine_parameter_problems(values: Mapping[str, str]) -> list[tuple[str, str]]:
    """EngineParameters against botocore's model of the InfluxDB v2 parameters (the parameter group
    function checks them again against its own botocore). Giving DbParameterGroupIdentifier too is
    the OneParameterGroupSource Rule's to refuse, which deploy evaluates offline."""
    text = values.get("EngineParameters", "")
    return [
        ("EngineParameters", problem)
        for problem in engine_parameters.text_problems(engine_parameters.INFLUXDB_V2, text)
    ]


#: Lambda's limit on a function's environment variables: "Total size of environment variables set:
#: 4 KB" (AWS Lambda Developer Guide, "Lambda quotas"). The guide does not say how the size is
#: counted; Lambda's refusal is reported to quote the variables JSON-encoded ("String measured:
#: {...}"), so they are measured that way here: a quote or newline in a value counts twice.
LAMBDA_ENVIRONMENT_MAX = 4096
#: Bytes kept free below that limit, for what the JSON measure here may not count as Lambda does.
LAMBDA_ENVIRONMENT_MARGIN = 128
#: The longest stack id: arn:<partition>:cloudformation:<Region>:<account>:stack/<name>/<uuid>, with
#: the longest stack name CreateStack takes (128 characters, botocore's CloudFormation model).
LONGEST_STACK_ID = (
    "arn:aws-us-gov:cloudformation:" + "r" * 20 + ":123456789012:stack/" + "s" * 128 + "/" + "u" * 36
)
#: The longest instance or cluster id (DbInstanceId, DbClusterId: 3 to 64 characters, botocore's
#: timestream-influxdb model).
_LONGEST_INSTANCE_ID = "i" * 64


def parameter_group_environment(values: Mapping[str, str]) -> dict[str, str]:
    """The parameter group function's environment variables as the template sets them, with the
    values only known at deploy (the stack id, the instance id) at their longest."""
    from .functions.parameter_group import CONFIGURED
    from .parameter_group import PARAMETER_GROUP_RESOURCE

    given = {
        "DbResourceType": "DB_INSTANCE",  # the longer of DB_INSTANCE and DB_CLUSTER
        "DbResourceId": _LONGEST_INSTANCE_ID,
        "Engine": engine_parameters.INFLUXDB_V2,
        "EngineParameters": values.get("EngineParameters", ""),
        "ProjectName": values.get("ProjectName", ""),
        "Environment": values.get("Environment", ""),
    }
    return {
        **{CONFIGURED[name]: value for name, value in given.items()},
        "STACK_ID": LONGEST_STACK_ID,
        "LOGICAL_RESOURCE_ID": PARAMETER_GROUP_RESOURCE,
    }


def environment_size(variables: Mapping[str, str]) -> int:
    """The size Lambda's 4 KB limit is taken to measure: the variables as a JSON object, in bytes
    (non-ASCII escaped, so never fewer bytes than UTF-8 would take)."""
    return len(json.dumps(dict(variables)).encode("ascii"))


def environment_problems(
    values: Mapping[str, str], environment: Callable[[Mapping[str, str]], Mapping[str, str]]
) -> list[tuple[str, str]]:
    """EngineParameters is also in the parameter group function's environment (``environment``
    gives it for ``values``): Lambda refuses it, in the middle of the deploy, when the variables
    pass 4 KB in all."""
    if not values.get("EngineParameters", "").strip():
        return []
    size = environment_size(environment(values))
    room = LAMBDA_ENVIRONMENT_MAX - LAMBDA_ENVIRONMENT_MARGIN
    if size <= room:
        return []
    return [
        (
            "EngineParameters",
            f"makes the parameter group function's environment {size} bytes JSON-encoded (quotes and "
            f"newlines count twice); Lambda allows {LAMBDA_ENVIRONMENT_MAX} bytes in all, and deploy keeps "
            f"{LAMBDA_ENVIRONMENT_MARGIN} free: shorten it by {size - room} bytes (write it on one line, "
            "without spaces)",
        )
    ]


def _alarm_action_problems(values: Mapping[str, str], region: str | None) -> list[tuple[str, str]]:
    """At most 5 topics, no empty entry next to a topic, every topic in the stack's Region."""
    items = [item.strip() for item in values.get("AlarmActions", "").split(",")]
    topics = [item for item in items if item]
    problems: list[tuple[str, str]] = []
    if topics and len(topics) != len(items):
        problems.append(("AlarmActions", "has an empty entry (two commas, or a comma at an end)"))
    if len(topics) > service.ALARM_ACTIONS_MAX:
        problems.append(
            (
                "AlarmActions",
                f"has {len(topics)} topics; CloudWatch takes at most {service.ALARM_ACTIONS_MAX} per alarm state",
            )
        )
    if region:
        for topic in topics:
            match = _SNS_ARN_REGION.match(topic)
            if match and match[1] != region:
                problems.append(
                    (
                        "AlarmActions",
                        f"{topic} is in {match[1]}; CloudWatch alarms notify SNS topics in their own Region "
                        f"only, and the stack is in {region}",
                    )
                )
    return problems


def instance_name_problem(name: str) -> str | None:
    """Why the service refuses ``name`` for a new instance (None when it accepts it)."""
    if not service.INSTANCE_NAME_MIN <= len(name) <= service.INSTANCE_NAME_MAX or not re.match(
        service.INSTANCE_NAME_PATTERN, name
    ):
        return (
            f"use {service.INSTANCE_NAME_MIN} to {service.INSTANCE_NAME_MAX} letters, "
            "digits and single hyphens, starting with a letter"
        )
    return None

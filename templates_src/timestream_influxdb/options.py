"""Build-time options of the Timestream for InfluxDB template.

Options change the template that is generated (which environments exist, the defaults on the
launch form); everything a person chooses per stack is a CloudFormation parameter instead.
The defaults reproduce ``output/timestream-influxdb.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import engine_parameters, names, service

ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9]*$"


class OptionError(ValueError):
    """An option value the template cannot be built with; the message names the accepted values."""


@dataclass(frozen=True)
class Options:
    """Typed build options; each default is what the committed template uses."""

    #: Values the Environment parameter accepts (lower-case letters and digits).
    environments: tuple[str, ...] = ("development", "staging", "production")
    #: Environment preselected on the launch form.
    default_environment: str = "development"
    #: DbInstanceClass preselected on the launch form.
    default_instance_type: str = "db.influx.medium"
    #: AllocatedStorage (GiB) preselected on the launch form.
    default_allocated_storage: int = service.ALLOCATED_STORAGE_MIN
    #: Port preselected on the launch form.
    default_port: int = service.DEFAULT_PORT
    #: LogRetentionDays preselected on the launch form.
    default_log_retention_days: int = 30
    #: EngineParameters preselected on the launch form: a JSON object of InfluxDB v2 engine
    #: parameters (as botocore's model names and types them), checked now; empty for none.
    default_engine_parameters: str = ""

    def __post_init__(self) -> None:
        if not self.environments:
            raise OptionError("environments: give at least one environment name")
        for env in self.environments:
            if not re.match(ENVIRONMENT_PATTERN, env):
                raise OptionError(
                    f"environments: {env!r} is not accepted; use lower-case letters and digits, "
                    "starting with a letter"
                )
        if self.default_environment not in self.environments:
            raise OptionError(
                f"default_environment: {self.default_environment!r} is not one of "
                f"{', '.join(self.environments)}"
            )
        if self.project_name_max_length < 1:
            raise OptionError(
                f"environments: {max(self.environments, key=len)!r} leaves no room for a project "
                f"name in the {service.INSTANCE_NAME_MAX}-character instance name"
            )
        _one_of("default_instance_type", self.default_instance_type, service.INSTANCE_TYPES)
        _in_range(
            "default_allocated_storage",
            self.default_allocated_storage,
            service.ALLOCATED_STORAGE_MIN,
            service.ALLOCATED_STORAGE_MAX,
        )
        _in_range("default_port", self.default_port, service.PORT_MIN, service.PORT_MAX)
        if self.default_port in service.RESERVED_PORTS:
            raise OptionError(f"default_port: {self.default_port} is reserved by the service")
        _one_of(
            "default_log_retention_days",
            self.default_log_retention_days,
            service.LOG_RETENTION_DAYS,
        )
        problems = engine_parameters.text_problems(
            engine_parameters.INFLUXDB_V2, self.default_engine_parameters
        )
        if problems:
            raise OptionError("default_engine_parameters: " + "; ".join(problems))

    @property
    def project_name_max_length(self) -> int:
        """Longest ProjectName for which ``{project}-{environment}-influxdb`` fits the instance Name."""
        longest_env = max(len(env) for env in self.environments)
        return service.INSTANCE_NAME_MAX - len(f"--{names.INSTANCE}") - longest_env


def _one_of(name: str, value: object, accepted: tuple) -> None:
    if value not in accepted:
        raise OptionError(f"{name}: {value!r} is not accepted; use one of {', '.join(map(str, accepted))}")


def _in_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise OptionError(f"{name}: {value} is out of range; use {low} to {high}")

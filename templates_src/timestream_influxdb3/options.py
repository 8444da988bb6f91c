"""Build-time options of the InfluxDB 3 template: the launch-form defaults.

The shared values (environments, instance type, log retention) are checked by the instance
product's :class:`~templates_src.timestream_influxdb.options.Options`, so the products accept the
same; the engine and database defaults are this product's. The defaults reproduce
``output/timestream-influxdb3.yaml``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..timestream_influxdb import engine_parameters
from ..timestream_influxdb.options import OptionError
from ..timestream_influxdb.options import Options as InstanceOptions
from . import service
from .functions.influxdb3_parameter_group import node_count_problem


@dataclass(frozen=True)
class Options:
    """Typed build options; each default is what the committed template uses."""

    #: Values the Environment parameter accepts (lower-case letters and digits).
    environments: tuple[str, ...] = ("development", "staging", "production")
    #: Environment preselected on the launch form.
    default_environment: str = "development"
    #: DbInstanceClass (of every node) preselected on the launch form.
    default_instance_type: str = "db.influx.medium"
    #: LogRetentionDays preselected on the launch form.
    default_log_retention_days: int = 30
    #: Engine preselected on the launch form.
    default_engine: str = service.CORE
    #: Database preselected on the launch form.
    default_database: str = "telemetry"
    #: EngineParameters preselected on the launch form: a JSON object of InfluxDB 3 parameters (as
    #: botocore's model names and types them) that both engines take, checked now; empty for none.
    #: A product version with a new default gives it to every provisioned product updated to that
    #: version without a value of its own: their clusters restart on the new group.
    default_engine_parameters: str = ""

    def __post_init__(self) -> None:
        self.instance_options()  # raises OptionError for a shared value the instance refuses
        if self.default_engine not in service.ENGINES:
            raise OptionError(
                f"default_engine: {self.default_engine!r} is not accepted; use one of "
                f"{', '.join(service.ENGINES)}"
            )
        problem = database_problem(self.default_database)
        if problem:
            raise OptionError(f"default_database: {problem}")
        # A launch may pick either engine: the default must suit both.
        found = [
            problem
            for engine in service.ENGINES
            for problem in engine_parameter_problems(engine, "", self.default_engine_parameters)
        ]
        if found:
            raise OptionError(
                "default_engine_parameters: "
                + "; ".join(dict.fromkeys(found))
                + f" (the launch form offers {' and '.join(service.ENGINES)}: a default must suit both)"
            )

    def instance_options(self) -> InstanceOptions:
        """The instance product's options with the same shared values (the launch-form parameters
        this product reuses); its port default is the instance's, this product sets its own."""
        return InstanceOptions(
            environments=self.environments,
            default_environment=self.default_environment,
            default_instance_type=self.default_instance_type,
            default_log_retention_days=self.default_log_retention_days,
        )

    @property
    def project_name_max_length(self) -> int:
        """Longest ProjectName for which the cluster Name fits (the instance's 40 characters)."""
        return self.instance_options().project_name_max_length


def engine_parameter_problems(engine: str, nodes: str, text: str) -> list[str]:
    """What the service or this product refuses in EngineParameters ``text`` for the launch-form
    ``engine`` and EnterpriseNodes ``nodes`` (none for an empty value: no group)."""
    found = engine_parameters.text_problems(service.MODEL_ENGINES[engine], text)
    if found or not text.strip():
        return found
    group = service.PARAMETER_GROUPS[(engine, (nodes or "3") if engine == service.ENTERPRISE else "")]
    problem = node_count_problem(json.loads(text), group)
    return [problem] if problem else []


def database_problem(name: str) -> str | None:
    """Why InfluxDB 3 refuses ``name`` as a database (None: it takes it)."""
    if not re.fullmatch(service.DATABASE_PATTERN, name) or len(name) > service.DATABASE_MAX:
        return (
            f"{name!r} is not a database name InfluxDB 3 takes: 1 to {service.DATABASE_MAX} letters, "
            "digits and hyphens, starting and ending with a letter or digit (no underscore)"
        )
    return None


__all__ = ["OptionError", "Options", "database_problem", "engine_parameter_problems"]

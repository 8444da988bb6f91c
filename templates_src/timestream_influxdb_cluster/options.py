"""Build-time options of the read-replica cluster template.

The same choices as the instance product's options (environments, launch-form defaults) and the
failover mode preselected on the launch form; the shared values are checked by the instance's
:class:`~templates_src.timestream_influxdb.options.Options`, so the two products accept the same.
The defaults reproduce ``output/timestream-influxdb-cluster.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..timestream_influxdb import service as instance_service
from ..timestream_influxdb.options import OptionError
from ..timestream_influxdb.options import Options as InstanceOptions
from . import service


@dataclass(frozen=True)
class Options:
    """Typed build options; each default is what the committed template uses."""

    #: Values the Environment parameter accepts (lower-case letters and digits).
    environments: tuple[str, ...] = ("development", "staging", "production")
    #: Environment preselected on the launch form.
    default_environment: str = "development"
    #: DbInstanceClass (of every node) preselected on the launch form.
    default_instance_type: str = "db.influx.medium"
    #: AllocatedStorage (GiB, per node) preselected on the launch form.
    default_allocated_storage: int = instance_service.ALLOCATED_STORAGE_MIN
    #: Port preselected on the launch form.
    default_port: int = instance_service.DEFAULT_PORT
    #: LogRetentionDays preselected on the launch form.
    default_log_retention_days: int = 30
    #: FailoverMode preselected on the launch form.
    default_failover_mode: str = service.FAILOVER_MODES[0]
    #: EngineParameters preselected on the launch form: a JSON object of InfluxDB v2 engine
    #: parameters (checked as the instance product checks it: a cluster runs InfluxDB v2), or "".
    default_engine_parameters: str = ""

    def __post_init__(self) -> None:
        self.instance_options()  # raises OptionError for a shared value the instance refuses
        if self.default_failover_mode not in service.FAILOVER_MODES:
            raise OptionError(
                f"default_failover_mode: {self.default_failover_mode!r} is not accepted; use one of "
                f"{', '.join(service.FAILOVER_MODES)}"
            )

    def instance_options(self) -> InstanceOptions:
        """The instance product's options with the same shared values (its launch-form parameters
        are the ones this product reuses)."""
        return InstanceOptions(
            environments=self.environments,
            default_environment=self.default_environment,
            default_instance_type=self.default_instance_type,
            default_allocated_storage=self.default_allocated_storage,
            default_port=self.default_port,
            default_log_retention_days=self.default_log_retention_days,
            default_engine_parameters=self.default_engine_parameters,
        )

    @property
    def project_name_max_length(self) -> int:
        """Longest ProjectName for which ``{project}-{environment}-influxdb`` fits the cluster Name
        (the cluster's name limit, 40 characters, is the instance's)."""
        return self.instance_options().project_name_max_length


__all__ = ["OptionError", "Options"]

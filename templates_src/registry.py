"""Every template ``make build`` writes, by output name.

Adding a template means adding one entry here: ``build.py``, the lint stage, the freshness and
lint tests all iterate this registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from troposphere import Template

from . import launch_role, timestream_influxdb


@dataclass(frozen=True)
class TemplateSpec:
    """A template: its output name, its builder and the dataclass of its build options."""

    name: str
    summary: str
    build: Callable[[Any], Template]
    options: type

    @property
    def filename(self) -> str:
        return f"{self.name}.yaml"


TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        TemplateSpec(
            name="timestream-influxdb",
            summary="The Timestream for InfluxDB product (Service Catalog product template)",
            build=timestream_influxdb.build,
            options=timestream_influxdb.Options,
        ),
        TemplateSpec(
            name="servicecatalog-launch-role",
            summary="The Service Catalog launch role, its policy derived from the product's resource types",
            build=launch_role.build,
            options=launch_role.Options,
        ),
    )
}

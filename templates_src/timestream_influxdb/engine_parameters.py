"""Engine parameters of a Timestream for InfluxDB parameter group, checked offline.

The build (the ``default_engine_parameters`` option) and deploy (the EngineParameters value)
check parameters here against the service model of the botocore installed with the project,
with the same code the parameter group function runs against its own botocore
(:mod:`.functions.parameter_group`): the model types each engine's parameters (InfluxDBv2,
InfluxDBv3Core, InfluxDBv3Enterprise; booleans, integers with a range, enums, Durations, ...), so
nothing about a parameter is written down twice. Nothing here performs I/O beyond botocore reading
its model once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel

from .functions import parameter_groups as parameter_group

SERVICE = "timestream-influxdb"
#: The engine parameter set of an InfluxDB 2 instance (a member of the model's Parameters union).
INFLUXDB_V2 = "InfluxDBv2"


@cache
def model() -> ServiceModel:
    """botocore's model of the service (read once per process)."""
    return botocore.session.get_session().get_service_model(SERVICE)


def engines() -> tuple[str, ...]:
    """The engines the model has parameter sets for."""
    return parameter_group.engines(model())


def problems(engine: str, parameters: Mapping[str, Any]) -> list[str]:
    """One line for each thing the service would refuse in ``parameters`` for ``engine``."""
    return parameter_group.problems(model(), engine, dict(parameters))


def text_problems(engine: str, text: str) -> list[str]:
    """The problems of EngineParameters as written (JSON text); none for an empty value (no group)."""
    if not text.strip():
        return []
    value, found = parameter_group.parse(text)
    return found or problems(engine, value)


def request_parameters(engine: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """CreateDbParameterGroup's ``parameters`` value; a ValueError lists the problems, one line."""
    return parameter_group.request_parameters(model(), engine, dict(parameters))


def canonical(parameters: Mapping[str, Any]) -> str:
    """``parameters`` as compact JSON with sorted names: how the template writes a default."""
    return json.dumps(dict(parameters), sort_keys=True, separators=(",", ":"))

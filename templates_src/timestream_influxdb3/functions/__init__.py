"""Python sources of the InfluxDB 3 product's Lambda functions (inlined into ``Code.ZipFile`` by
:func:`templates_src.timestream_influxdb.functions.inline` with this directory).

The custom-resource protocol, the worker call, the worker's HTTP request and the parameter group
logic are the instance product's ``cfn_response``, ``worker_call``, ``http_once`` and
``parameter_groups`` modules, shared, not copied: they are
registered here as this package's, so that a function module's ``from .cfn_response import ...``
works when the module is imported as written (its tests), and are inlined from the instance
product's package when the template is built.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ...timestream_influxdb.functions import cfn_response, http_once, parameter_groups, worker_call

HERE = Path(__file__).parent
sys.modules[f"{__name__}.cfn_response"] = cfn_response
sys.modules[f"{__name__}.worker_call"] = worker_call
sys.modules[f"{__name__}.http_once"] = http_once
sys.modules[f"{__name__}.parameter_groups"] = parameter_groups

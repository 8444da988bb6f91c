"""Shared fixtures: the product template as built by the registry, as a plain dict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from templates_src.registry import TEMPLATES
from tooling.build.render import render

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = "timestream-influxdb"


@pytest.fixture(scope="session")
def product_yaml() -> str:
    return render(TEMPLATES[PRODUCT])


@pytest.fixture(scope="session")
def product() -> dict[str, Any]:
    """The product template as CloudFormation sees it (JSON round trip of the troposphere dict)."""
    return json.loads(json.dumps(TEMPLATES[PRODUCT].build(TEMPLATES[PRODUCT].options()).to_dict()))


def resources_of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def substitute(sub: Any, values: dict[str, str]) -> str:
    """Resolve a ``Fn::Sub`` (string or [string, vars]) with sample values, as CloudFormation would."""
    import re

    if isinstance(sub, dict):
        sub = sub["Fn::Sub"]
    text, variables = (sub, {}) if isinstance(sub, str) else sub
    names = set(re.findall(r"\$\{([^}!]+)\}", text))
    missing = names - set(values) - set(variables)
    assert not missing, f"no sample value for {missing}"
    merged = {**values, **{k: values.get(k, f"<{k}>") for k in variables}}
    return re.sub(r"\$\{([^}!]+)\}", lambda m: merged[m.group(1)], text)

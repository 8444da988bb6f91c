"""EngineParameters also lands in the parameter group function's environment, which Lambda caps at
4 KB in all: deploy measures it as Lambda is taken to (JSON-encoded) and refuses a value that would
pass the parameter's MaxLength yet fail at the function's update, in the middle of the deploy."""

from __future__ import annotations

import json

from templates_src.registry import TEMPLATES
from templates_src.timestream_influxdb import deploy_checks
from templates_src.timestream_influxdb.parameters import ENGINE_PARAMETERS_MAX

VALUES = {"ProjectName": "ons-data-platform", "Environment": "development"}


def checks(engine_parameters: str) -> list[tuple[str, str]]:
    values = {**VALUES, "EngineParameters": engine_parameters}
    return TEMPLATES["timestream-influxdb"].value_checks(values, "us-east-1")


def test_the_measured_environment_is_the_functions_own(rendered_product):
    """The check measures the variables the template gives the function, no more and no fewer."""
    function = rendered_product["Resources"]["ParameterGroupFunction"]
    variables = function["Properties"]["Environment"]["Variables"]
    assert set(deploy_checks.parameter_group_environment(VALUES)) == set(variables)


def test_newlines_and_quotes_count_twice_so_a_value_under_max_length_can_be_refused():
    spread = "{" + "\n" * 2500 + '"queryConcurrency": 16}'  # valid JSON, one parameter
    assert len(spread) <= ENGINE_PARAMETERS_MAX
    (problem,) = checks(spread)
    size = deploy_checks.environment_size(
        deploy_checks.parameter_group_environment({**VALUES, "EngineParameters": spread})
    )
    assert size > deploy_checks.LAMBDA_ENVIRONMENT_MAX
    assert problem[0] == "EngineParameters" and "\n" not in problem[1]
    assert problem[1].startswith(
        f"makes the parameter group function's environment {size} bytes JSON-encoded"
    )
    assert "Lambda allows 4096 bytes in all" in problem[1]
    # The same length in spaces (one byte each, encoded) fits.
    assert checks("{" + " " * 2500 + '"queryConcurrency": 16}') == []


def test_the_refusal_starts_where_the_margin_ends():
    base = deploy_checks.environment_size(
        deploy_checks.parameter_group_environment({**VALUES, "EngineParameters": "{}"})
    )
    room = deploy_checks.LAMBDA_ENVIRONMENT_MAX - deploy_checks.LAMBDA_ENVIRONMENT_MARGIN
    padding = room - base  # spaces inside the braces: one byte each, encoded
    assert checks("{" + " " * padding + "}") == []
    assert [p for p, _ in checks("{" + " " * (padding + 1) + "}")] == ["EngineParameters"]
    assert json.loads("{" + " " * padding + "}") == {}

"""``build.py deploy`` of the InfluxDB 3 product refuses an engine change before any change set,
from the stack's current parameter values (botocore's Stubber, against the real service model:
any call not expected, such as CreateChangeSet, fails the test)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from conftest import INFLUXDB3_REQUIRED, ROOT
from templates_src.registry import TEMPLATES
from tooling.deploy import plan
from tooling.deploy.params import read_and_check
from tooling.deploy.runner import Deployer, DeployOptions, load_template

SPEC = TEMPLATES["timestream-influxdb3"]
TEMPLATE_PATH = ROOT / "output" / SPEC.filename
STACK = "ons-influxdb3-development"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1a2b3c4d"
URL = "https://ons-templates.s3.us-east-1.amazonaws.com/timestream-influxdb3/x.yaml"
CS_NAME = "deploy-test"
VALUES = {**INFLUXDB3_REQUIRED, "ProjectName": "ons"}


@pytest.fixture(scope="module")
def template():
    return load_template(TEMPLATE_PATH)


def params_file(tmp_path, **values):
    path = tmp_path / "params.json"
    path.write_text(json.dumps([f"{k}={v}" for k, v in {**VALUES, **values}.items()]))
    return path


def described(template, **stack_values):
    """DescribeStacks of a stack launched with VALUES (and ``stack_values``), defaults elsewhere."""
    values = {**VALUES, **stack_values}
    parameters = [
        {"ParameterKey": k, "ParameterValue": values.get(k, str(d.get("Default", "")))}
        for k, d in template["Parameters"].items()
    ]
    body = {
        "StackName": STACK,
        "StackId": STACK_ID,
        "CreationTime": datetime(2026, 11, 24, tzinfo=UTC),
        "StackStatus": "UPDATE_COMPLETE",
        "Parameters": parameters,
    }
    return {"Stacks": [body]}


def deploy(template, path, stack_response):
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    lines: list[str] = []
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", stack_response, {"StackName": STACK})
        values = read_and_check(path, template, {}, SPEC)
        assert values.ok, values.problems
        options = DeployOptions(
            stack_name=STACK, template_path=TEMPLATE_PATH, params_path=path, poll_seconds=0
        )
        code = Deployer(client, out=lines.append, change_set_name=CS_NAME).run(options, URL, template, values)
        stub.assert_no_pending_responses()
    return code, "\n".join(lines)


def test_the_registry_names_the_parameters_that_choose_the_parameter_group(template):
    assert SPEC.fixed_parameters == ("Engine", "EnterpriseNodes")
    assert set(SPEC.fixed_parameters) <= set(template["Parameters"])


@pytest.mark.parametrize(
    ("launched", "given", "said"),
    [
        (
            {"Engine": "Core"},
            {"Engine": "Enterprise"},
            "Engine cannot be changed after the stack is created "
            "(the stack has Core, the update gives Enterprise)",
        ),
        (
            {"Engine": "Enterprise"},
            {"Engine": "Core"},
            "Engine cannot be changed after the stack is created (the stack has Enterprise, the update gives Core)",
        ),
        (
            {"Engine": "Enterprise", "EnterpriseNodes": "3"},
            {"Engine": "Enterprise", "EnterpriseNodes": "1"},
            "EnterpriseNodes cannot be changed after the stack is created (the stack has 3, the update gives 1)",
        ),
    ],
)
def test_an_engine_change_is_refused_before_any_change_set(tmp_path, template, launched, given, said):
    # The Stubber expects DescribeStacks only: a CreateChangeSet would fail the test.
    code, out = deploy(template, params_file(tmp_path, **given), described(template, **launched))
    assert code == 1
    assert f"deploy  refused: {said}" in out
    assert "No change set was made" in out and "create a new stack with the new value" in out
    assert "creating change set" not in out


def test_an_update_that_keeps_the_engine_goes_on_to_the_change_set(tmp_path, template):
    path = params_file(tmp_path, Engine="Enterprise", LogRetentionDays="90")
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    values = read_and_check(path, template, {}, SPEC)
    stack = described(template, Engine="Enterprise")["Stacks"][0]
    parameters = Deployer(client).parameters(template, values, stack)
    assert plan.fixed_changes(stack["Parameters"], parameters, SPEC.fixed_parameters) == []


def test_fixed_changes_skip_what_cannot_be_compared():
    before = [{"ParameterKey": "A", "ParameterValue": "Core"}, {"ParameterKey": "B", "ParameterValue": ""}]
    new = [
        {"ParameterKey": "A", "ParameterValue": "Enterprise"},
        {"ParameterKey": "B", "UsePreviousValue": True},
        {"ParameterKey": "C", "ParameterValue": "x"},  # the stack has no such parameter yet
    ]
    assert plan.fixed_changes(before, new, ["A", "B", "C"]) == [plan.FixedChange("A", "Core", "Enterprise")]
    assert plan.fixed_changes([], new, ["A"]) == []  # a new stack changes nothing
    assert str(plan.FixedChange("B", "", "1")) == (
        "B cannot be changed after the stack is created (the stack has (empty), the update gives 1)"
    )

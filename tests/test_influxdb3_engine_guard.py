"""The engine guard of the InfluxDB 3 product: the cluster DependsOn it (so an engine change fails
there, before the cluster), its function references nothing of the cluster, and its handler, as
written in ``functions/`` and as the rendered template inlines it, refuses a change of parameter
group in one line and lets everything else through."""

from __future__ import annotations

import importlib

import pytest

from conftest import INFLUXDB3_REQUIRED, loaded_inlined_module, rendered_data
from templates_src.timestream_influxdb3 import Options, build, service
from templates_src.timestream_influxdb3.database import CLUSTER_LINT_SKIPS
from templates_src.timestream_influxdb3.setup import ENGINE_GUARD
from tooling.cfn.evaluate import Resolver, evaluate_conditions, parameter_values

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/v3/guid"
CORE = {"Engine": "Core", "EnterpriseNodes": "", "ParameterGroup": "InfluxDBV3Core"}
ENTERPRISE = {"Engine": "Enterprise", "EnterpriseNodes": "", "ParameterGroup": "InfluxDBV3Enterprise"}
ENTERPRISE_3 = {**ENTERPRISE, "EnterpriseNodes": "3"}
ONE_NODE = {"Engine": "Enterprise", "EnterpriseNodes": "1", "ParameterGroup": "InfluxDBV3Enterprise1Node"}
REQUIRED = INFLUXDB3_REQUIRED


@pytest.fixture(scope="module")
def rendered():
    return rendered_data("timestream-influxdb3")


@pytest.fixture(params=["source", "inlined"])
def guard(request, rendered):
    if request.param == "source":
        return importlib.import_module("templates_src.timestream_influxdb3.functions.influxdb3_engine_guard")
    return loaded_inlined_module(rendered, "EngineGuardFunction")


def pid(props):
    return f"v3-{ENGINE_GUARD}-{props['ParameterGroup']}"


def event(kind, props, old=None, physical_id=None):
    e = {
        "RequestType": kind,
        "StackId": STACK,
        "LogicalResourceId": ENGINE_GUARD,
        "ResourceProperties": props,
    }
    if old is not None:
        e["OldResourceProperties"] = old
        e["PhysicalResourceId"] = physical_id or pid(old)
    elif physical_id is not None:
        e["PhysicalResourceId"] = physical_id
    return e


@pytest.fixture(scope="module")
def _model():
    """The lifecycle rules' template model, imported when a test asks: its package loads cfn-lint
    (and sympy), about 0.5 s that every test process would otherwise pay to collect this module."""
    from tooling.gates.lifecycle_rules import _model

    return _model


# --- template -----------------------------------------------------------------------------------
def test_the_cluster_depends_on_the_guard_which_depends_on_nothing_of_the_cluster(rendered, _model):
    resources = rendered["Resources"]
    assert ENGINE_GUARD in resources["InfluxDBCluster"]["DependsOn"]
    # The guard, its function, role and log group do not wait for the cluster (no cycle, and the
    # guard is updated before it).
    assert "InfluxDBCluster" not in _model.dependencies(ENGINE_GUARD, resources)
    body = resources[ENGINE_GUARD]
    assert body["Type"] == "Custom::InfluxDB3EngineGuard"
    assert body["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["EngineGuardFunction", "Arn"]}
    role = resources["EngineGuardFunctionRole"]["Properties"]
    (policy,) = role["Policies"]
    assert [s["Sid"] for s in policy["PolicyDocument"]["Statement"]] == ["WriteOwnLogGroup"]
    assert "VpcConfig" not in resources["EngineGuardFunction"]["Properties"]


@pytest.mark.parametrize(
    ("engine", "nodes", "group"),
    [
        ("Core", "", "InfluxDBV3Core"),
        ("Enterprise", "", "InfluxDBV3Enterprise"),
        ("Enterprise", "3", "InfluxDBV3Enterprise"),
        ("Enterprise", "1", "InfluxDBV3Enterprise1Node"),
    ],
)
def test_the_guard_is_given_the_cluster_s_very_parameter_group(rendered, engine, nodes, group):
    values = {**REQUIRED, "ProjectName": "demo", "Engine": engine, "EnterpriseNodes": nodes}
    conditions = evaluate_conditions(rendered, values)
    resolver = Resolver(parameter_values(rendered, values), {}, {}, conditions.__getitem__)
    props = rendered["Resources"][ENGINE_GUARD]["Properties"]
    guard = resolver.resolve({k: v for k, v in props.items() if k != "ServiceToken"})
    cluster = resolver.resolve(
        rendered["Resources"]["InfluxDBCluster"]["Properties"]["DbParameterGroupIdentifier"]
    )
    assert guard["ParameterGroup"] == cluster == group
    assert group in service.PARAMETER_GROUPS.values()
    assert (guard["Engine"], guard["EnterpriseNodes"]) == (engine, nodes)


def test_the_cluster_skips_e9103_only_for_the_guard_and_its_parameter_group_the_rest_is_retained(
    rendered, _model
):
    """The two resources whose Delete does nothing (the guard's and the parameter group's, proven by
    their function tests) are the only ones the cluster refers to that the stack may delete."""
    resources = rendered["Resources"]
    cluster = resources["InfluxDBCluster"]
    assert (
        cluster["Metadata"]["cfn-lint"]["config"]["ignore_checks"] == ["E9103"] == sorted(CLUSTER_LINT_SKIPS)
    )
    referred = _model.direct_references(cluster, resources)
    assert referred[ENGINE_GUARD] == "DependsOn"
    assert "EngineParameterGroup" in referred
    # What E9103 checks, for every reference but those two.
    exempt = {ENGINE_GUARD, "EngineParameterGroup"}
    not_retained = [n for n in referred if n not in exempt and not _model.is_retained(resources[n])]
    assert not_retained == []
    assert len(referred) > 1  # the database security group at least


def test_the_launch_form_says_the_engine_cannot_be_changed_after_launch():
    parameters = build(Options()).to_dict()["Parameters"]
    assert "Cannot be changed after launch" in parameters["Engine"]["Description"]
    assert "launch a new product and move the data" in parameters["Engine"]["Description"]
    assert "Cannot be changed after launch" in parameters["EnterpriseNodes"]["Description"]


# --- handler ------------------------------------------------------------------------------------
def test_create_answers_with_the_launched_group_in_the_id(guard):
    assert guard.act(event("Create", CORE), None) == (pid(CORE), {"ParameterGroup": "InfluxDBV3Core"})


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (CORE, ENTERPRISE),
        (ENTERPRISE, CORE),
        (ENTERPRISE, ONE_NODE),
        (ONE_NODE, ENTERPRISE_3),
        (CORE, ONE_NODE),
    ],
)
def test_an_update_that_changes_the_group_is_refused_in_one_line_naming_both_and_the_way_out(guard, old, new):
    with pytest.raises(ValueError) as raised:
        guard.act(event("Update", new, old), None)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        "refused before the cluster was changed: the engine cannot be changed after launch"
    )
    assert f"parameter group {old['ParameterGroup']} -> " in message
    assert f"parameter group {new['ParameterGroup']};" in message
    assert f"Put back Engine {old['Engine']}" in message
    assert f"launch a new product with Engine {new['Engine']}" in message and "move the data" in message


def test_the_refusal_names_the_enterprise_topology():
    from templates_src.timestream_influxdb3.functions import influxdb3_engine_guard as guard

    with pytest.raises(ValueError) as raised:
        guard.act(event("Update", ONE_NODE, ENTERPRISE_3), None)
    assert "(Engine Enterprise, EnterpriseNodes 3, parameter group InfluxDBV3Enterprise -> " in str(
        raised.value
    )
    assert "Engine Enterprise, EnterpriseNodes 1, parameter group InfluxDBV3Enterprise1Node;" in str(
        raised.value
    )


def test_the_rollback_back_to_the_launched_group_succeeds_with_the_same_id(guard):
    # CloudFormation's rollback: the old properties again, the refused ones as OldResourceProperties,
    # the id the stack has (the launched group's).
    rollback = event("Update", CORE, old=ENTERPRISE, physical_id=pid(CORE))
    assert guard.act(rollback, None) == (pid(CORE), {"ParameterGroup": "InfluxDBV3Core"})


def test_an_update_that_keeps_the_group_succeeds(guard):
    # EnterpriseNodes empty and 3 are the same group.
    assert guard.act(event("Update", ENTERPRISE_3, ENTERPRISE), None)[0] == pid(ENTERPRISE)


def test_the_id_not_the_request_s_old_properties_says_what_was_launched(guard):
    # Old properties that claim the new group do not fool it: the id is CloudFormation's record.
    with pytest.raises(ValueError):
        guard.act(event("Update", ENTERPRISE, old=ENTERPRISE, physical_id=pid(CORE)), None)
    # An id it never gave (a forged request): the old properties are compared.
    with pytest.raises(ValueError):
        guard.act(event("Update", ENTERPRISE, old=CORE, physical_id="forged"), None)


@pytest.mark.parametrize("physical_id", [pid(CORE), "2026/11/24/[$LATEST]abc", "forged"])
def test_delete_does_nothing_and_succeeds(guard, physical_id):
    assert guard.act(event("Delete", CORE, physical_id=physical_id), None) == (
        None,
        {},
        "SUCCESS: nothing to delete",
    )


def test_a_missing_property_fails_the_request(guard):
    with pytest.raises(ValueError, match="missing resource properties: ParameterGroup"):
        guard.act(event("Create", {"Engine": "Core", "EnterpriseNodes": ""}), None)

"""functions/influxdb3_parameter_group.py (the InfluxDB 3 product's) against botocore's Stubber
(requests and answers checked against the real model), as written and as the rendered template
inlines it."""

from __future__ import annotations

import importlib
import json

import pytest
from botocore.stub import ANY

from conftest import loaded_inlined_module, rendered_data, stubbed
from servers import FakeContext

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/v3/guid"
LOGICAL_ID = "EngineParameterGroup"
ARN = "arn:aws:timestream-influxdb:us-east-1:123456789012:db-parameter-group/"
CORE = {
    "Engine": "InfluxDBv3Core",
    "EngineParameters": '{"queryFileLimit": 500}',
    "ServiceParameterGroup": "InfluxDBV3Core",
    "ProjectName": "demo",
    "Environment": "development",
}
ENTERPRISE = {**CORE, "Engine": "InfluxDBv3Enterprise", "ServiceParameterGroup": "InfluxDBV3Enterprise"}
#: What a service-defined Enterprise group could hold: node counts and other tuning.
SERVICE_HELD = {
    "InfluxDBv3Enterprise": {
        "ingestQueryInstances": 2,
        "queryOnlyInstances": 0,
        "dedicatedCompactor": True,
        "queryFileLimit": 100,
    }
}
COUNTS = {"ingestQueryInstances": 2, "queryOnlyInstances": 0, "dedicatedCompactor": True}
LEFT = "is left in place: the Timestream for InfluxDB API has no operation that deletes a parameter group"


@pytest.fixture(scope="module")
def rendered():
    return rendered_data("timestream-influxdb3")


@pytest.fixture(params=["source", "inlined"])
def pg(request, rendered):
    if request.param == "source":
        return importlib.import_module(
            "templates_src.timestream_influxdb3.functions.influxdb3_parameter_group"
        )
    return loaded_inlined_module(rendered, "ParameterGroupFunction")


@pytest.fixture
def client():
    with stubbed("timestream-influxdb") as c:
        yield c


def event(kind, props, **extra):
    return {
        "RequestType": kind,
        "StackId": STACK_ID,
        "LogicalResourceId": LOGICAL_ID,
        "ResourceProperties": dict(props),
        **extra,
    }


def configured(pg, props):
    return {
        **{variable: props[name] for name, variable in pg.CONFIGURED.items()},
        "STACK_ID": STACK_ID,
        "LOGICAL_RESOURCE_ID": LOGICAL_ID,
    }


def act(pg, e, client, config=None):
    return pg.act(e, FakeContext(), client, config or configured(pg, e["ResourceProperties"]))


def name_of(pg, engine, parameters, props=CORE):
    group_name = pg.wanted_group.__globals__["group_name"]  # the shared parameter_groups', or index.py's
    return group_name(engine, parameters, props["ProjectName"], props["Environment"])


def expect_service_group(client, gid, held):
    answer = {"id": gid, "name": gid, "arn": ARN + gid, **({"parameters": held} if held else {})}
    client.stub.add_response("get_db_parameter_group", answer, {"identifier": gid})


def expect_create(client, name, parameters, gid="pg0001"):
    client.stub.add_response("list_db_parameter_groups", {"items": []}, {})
    client.stub.add_response(
        "create_db_parameter_group",
        {"id": gid, "name": name, "arn": ARN + gid},
        {
            "name": name,
            "description": ANY,
            "parameters": parameters,
            "tags": {
                "Project": "demo",
                "Environment": "development",
                "Name": name,
                "ManagedBy": "CloudFormation",
            },
        },
    )


def test_core_s_group_is_the_service_group_s_parameters_with_the_given_ones_laid_over(pg, client):
    wanted = {"queryFileLimit": 500, "logFilter": "info"}  # 500 given over the service's 100
    name = name_of(pg, "InfluxDBv3Core", wanted)
    expect_service_group(
        client, "InfluxDBV3Core", {"InfluxDBv3Core": {"queryFileLimit": 100, "logFilter": "info"}}
    )
    expect_create(client, name, {"InfluxDBv3Core": wanted})
    pid, data, reason = act(pg, event("Create", CORE), client)
    assert pid == "pg0001" and data == {"Id": "pg0001", "Name": name, "Arn": ARN + "pg0001"}
    assert reason == "the cluster takes pg0001: InfluxDBV3Core's parameters with 1 given"


def test_a_service_group_holding_nothing_gives_core_exactly_the_parameters_given(pg, client):
    name = name_of(pg, "InfluxDBv3Core", {"queryFileLimit": 500})
    expect_service_group(client, "InfluxDBV3Core", None)
    expect_create(client, name, {"InfluxDBv3Core": {"queryFileLimit": 500}})
    assert act(pg, event("Create", CORE), client)[0] == "pg0001"


def test_enterprise_keeps_the_service_defined_group_s_node_counts_and_settings_under_those_given(pg, client):
    wanted = {**COUNTS, "queryFileLimit": 500}
    name = name_of(pg, "InfluxDBv3Enterprise", wanted)
    expect_service_group(client, "InfluxDBV3Enterprise", SERVICE_HELD)
    expect_create(client, name, {"InfluxDBv3Enterprise": wanted})
    pid, data, reason = act(pg, event("Update", ENTERPRISE, PhysicalResourceId="pgold"), client)
    assert pid == "pg0001" and data["Id"] == "pg0001"
    assert reason == "the cluster takes pg0001: InfluxDBV3Enterprise's parameters with 1 given"


def test_a_botocore_without_the_node_counts_makes_no_enterprise_group(pg):
    """botocore leaves out of an answer what its model lacks: a runtime whose model has no
    dedicatedCompactor would copy a group without it, so the function refuses instead."""
    import copy
    import types

    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    loaded = copy.deepcopy(Loader().load_service_model("timestream-influxdb", "service-2"))
    shape = ServiceModel(loaded).shape_for("Parameters").members["InfluxDBv3Enterprise"].name
    del loaded["shapes"][shape]["members"]["dedicatedCompactor"]
    older = types.SimpleNamespace(
        meta=types.SimpleNamespace(service_model=ServiceModel(loaded, "timestream-influxdb")),
        get_db_parameter_group=lambda identifier: {"id": identifier, "parameters": SERVICE_HELD},
    )
    with pytest.raises(ValueError) as e:
        act(pg, event("Create", ENTERPRISE), older)
    assert str(e.value).startswith("refused: this function's botocore ")
    assert str(e.value).endswith(
        "has no dedicatedCompactor for InfluxDBv3Enterprise, so it cannot keep the cluster's node "
        "counts; no parameter group was made"
    )


def test_a_service_group_without_node_counts_makes_no_group(pg, client):
    expect_service_group(client, "InfluxDBV3Enterprise", {"InfluxDBv3Enterprise": {"queryFileLimit": 100}})
    with pytest.raises(ValueError) as e:
        act(pg, event("Create", ENTERPRISE), client)
    assert str(e.value) == (
        "refused: the service-defined parameter group InfluxDBV3Enterprise shows no node counts "
        "(ingestQueryInstances, queryOnlyInstances, dedicatedCompactor) for InfluxDBv3Enterprise (it "
        "holds InfluxDBv3Enterprise); a parameter group without them could change the cluster's "
        "topology, so none was made"
    )


def test_a_service_group_with_no_parameters_at_all_makes_no_group(pg, client):
    expect_service_group(client, "InfluxDBV3Enterprise", None)
    with pytest.raises(ValueError, match="holds no parameters"):
        act(pg, event("Create", ENTERPRISE), client)


@pytest.mark.parametrize("given", ["queryOnlyInstances", "dedicatedCompactor"])
def test_a_node_count_given_is_refused_before_any_call(pg, client, given):
    value = False if given == "dedicatedCompactor" else 1
    props = {**ENTERPRISE, "EngineParameters": json.dumps({given: value})}
    with pytest.raises(ValueError) as e:
        act(pg, event("Create", props), client)
    assert str(e.value) == (
        f"{given}: the node counts are the launch form's EnterpriseNodes, fixed after launch; leave "
        "them out, and the parameter group takes those of InfluxDBV3Enterprise"
    )


def test_enterprise_parameters_on_core_are_refused_before_any_call(pg, client):
    props = {**CORE, "EngineParameters": '{"compactionRowLimit": 1000}'}
    with pytest.raises(
        ValueError, match="compactionRowLimit: InfluxDBv3Enterprise parameters, not InfluxDBv3Core's"
    ):
        act(pg, event("Create", props), client)


def test_an_out_of_range_value_is_refused_naming_it_and_the_range(pg, client):
    props = {**CORE, "EngineParameters": '{"queryFileLimit": 5000}'}
    with pytest.raises(
        ValueError,
        match=r"InfluxDBv3Core.queryFileLimit: 5000 is out of range; use a whole number from 0 to 1024",
    ):
        act(pg, event("Create", props), client)


def test_a_group_of_that_name_with_this_content_is_taken(pg, client):
    name = name_of(pg, "InfluxDBv3Core", {"queryFileLimit": 500})
    expect_service_group(client, "InfluxDBV3Core", None)
    client.stub.add_response(
        "list_db_parameter_groups", {"items": [{"id": "pg0007", "name": name, "arn": ARN + "pg0007"}]}, {}
    )
    expect_service_group(client, "pg0007", {"InfluxDBv3Core": {"queryFileLimit": 500}})
    pid, _, reason = act(pg, event("Update", CORE, PhysicalResourceId="pg0007"), client)
    assert pid == "pg0007" and reason == "the cluster takes pg0007: InfluxDBV3Core's parameters with 1 given"


def test_a_squatted_name_is_refused_and_nothing_is_created(pg, client):
    name = name_of(pg, "InfluxDBv3Core", {"queryFileLimit": 500})
    expect_service_group(client, "InfluxDBV3Core", None)
    client.stub.add_response(
        "list_db_parameter_groups", {"items": [{"id": "pg0007", "name": name, "arn": ARN + "pg0007"}]}, {}
    )
    expect_service_group(client, "pg0007", {"InfluxDBv3Core": {"queryFileLimit": 500, "logFilter": "debug"}})
    with pytest.raises(
        ValueError,
        match=r"has this stack's content-derived name but not its content \(other values of logFilter\)",
    ):
        act(pg, event("Create", CORE), client)


def test_delete_calls_nothing_and_says_the_group_stays(pg, client):
    assert act(pg, event("Delete", CORE, PhysicalResourceId="pg0001"), client) == (
        None,
        {},
        f"the parameter group pg0001 {LEFT}",
    )
    stream = "2026/11/28/[$LATEST]0123456789abcdef"
    assert act(pg, event("Delete", CORE, PhysicalResourceId=stream), client) == (
        None,
        {},
        "no parameter group was created",
    )


@pytest.mark.parametrize(
    "forged, message",
    [
        (
            {"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/other/guid"},
            "refused: request from another stack",
        ),
        ({"LogicalResourceId": "Other"}, "refused: not this stack's parameter group resource"),
        (
            {"ResourceProperties": {**ENTERPRISE, "ServiceParameterGroup": "InfluxDBV3Enterprise1Node"}},
            "refused: not this stack's ServiceParameterGroup",
        ),
    ],
)
def test_a_request_not_from_this_stack_or_with_other_properties_is_refused_before_any_call(
    pg, client, forged, message
):
    e = {**event("Create", ENTERPRISE), **forged}
    with pytest.raises(ValueError) as error:
        act(pg, e, client, configured(pg, ENTERPRISE))
    assert str(error.value) == message

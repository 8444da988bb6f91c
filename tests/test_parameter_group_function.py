"""functions/parameter_group.py against botocore's Stubber (requests checked against the real model),
as written and as the rendered template inlines it."""

from __future__ import annotations

import pytest
from botocore.stub import ANY

from conftest import function_module, stubbed
from servers import FakeContext
from templates_src.common import MANAGED_BY, TAG_KEYS

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/test/guid"
LOGICAL_ID = "EngineParameterGroup"
INSTANCE = "inst1a2b3c4d5e"
PROPS = {
    "DbResourceType": "DB_INSTANCE",
    "DbResourceId": INSTANCE,
    "Engine": "InfluxDBv2",
    "EngineParameters": '{"queryConcurrency": 16, "logLevel": "info"}',
    "ProjectName": "ons-data-platform",
    "Environment": "development",
}
INSTANCE_ARN = f"arn:aws:timestream-influxdb:us-east-1:123456789012:db-instance/{INSTANCE}"
ARN = "arn:aws:timestream-influxdb:us-east-1:123456789012:db-parameter-group/"


@pytest.fixture(params=["source", "inlined"])
def pg(request, rendered_product):
    module = function_module(request, "parameter_group", rendered_product)
    module.RETRY_SECONDS = 0  # a busy instance is retried at once
    waiting = module.wait_until_available.__globals__  # the shared database_status's, or index.py's
    waiting["POLL_SECONDS"] = 0  # the status is read again at once
    yield module
    module.RETRY_SECONDS, waiting["POLL_SECONDS"] = 20, 5


@pytest.fixture
def client():
    with stubbed("timestream-influxdb") as c:
        yield c


def event(request_type, props=PROPS, **extra):
    return {
        "RequestType": request_type,
        "StackId": STACK_ID,
        "LogicalResourceId": LOGICAL_ID,
        "ResourceProperties": dict(props),
        **extra,
    }


def configured(props=PROPS):
    return {
        "DB_RESOURCE_TYPE": props["DbResourceType"],
        "DB_RESOURCE_ID": props["DbResourceId"],
        "ENGINE": props["Engine"],
        "ENGINE_PARAMETERS": props["EngineParameters"],
        "PROJECT_NAME": props["ProjectName"],
        "ENVIRONMENT": props["Environment"],
        "STACK_ID": STACK_ID,
        "LOGICAL_RESOURCE_ID": LOGICAL_ID,
    }


def act(pg, e, client, config=None, context=None):
    return pg.act(e, context or FakeContext(), client, config or configured(e["ResourceProperties"]))


def name_of(pg, props=PROPS):
    import json

    parameters = json.loads(props["EngineParameters"])
    group_name = pg.wanted_group.__globals__["group_name"]  # the shared parameter_groups', or index.py's
    return group_name(props["Engine"], parameters, props["ProjectName"], props["Environment"])


def summary(name, gid="pg0001"):
    return {"id": gid, "name": name, "arn": ARN + gid}


def expect_list(client, *pages):
    for i, items in enumerate(pages or ([],)):
        answer = {"items": items, **({"nextToken": f"t{i + 1}"} if i + 1 < len(pages) else {})}
        client.stub.add_response("list_db_parameter_groups", answer, {"nextToken": f"t{i}"} if i else {})


def expect_content(client, gid, parameters=None):
    """GetDbParameterGroup of ``gid`` answers ``parameters`` (the wanted ones unless given; none when
    empty)."""
    import json

    held = parameters if parameters is not None else {"InfluxDBv2": json.loads(PROPS["EngineParameters"])}
    answer = {"id": gid, "name": "n" + gid, "arn": ARN + gid, **({"parameters": held} if held else {})}
    client.stub.add_response("get_db_parameter_group", answer, {"identifier": gid})


def expect_instance(client, current, then_update_to=None, statuses=("AVAILABLE",)):
    """GetDbInstance answers the ``current`` group; with ``then_update_to``, UpdateDbInstance switches
    it, and GetDbInstance answers each of ``statuses`` (botocore's model's Status) in turn."""
    answer = {
        "id": INSTANCE,
        "name": "ons-development-influxdb",
        "arn": INSTANCE_ARN,
        "vpcSubnetIds": ["subnet-1"],
    }
    client.stub.add_response(
        "get_db_instance",
        {**answer, **({"dbParameterGroupIdentifier": current} if current else {})},
        {"identifier": INSTANCE},
    )
    if then_update_to:
        client.stub.add_response(
            "update_db_instance",
            answer,
            {"identifier": INSTANCE, "dbParameterGroupIdentifier": then_update_to},
        )
        for status in statuses:
            client.stub.add_response(
                "get_db_instance",
                {**answer, "status": status, "dbParameterGroupIdentifier": then_update_to},
                {"identifier": INSTANCE},
            )


def test_create_makes_the_content_named_group_with_tags_and_switches_the_instance(pg, client):
    name = name_of(pg)
    expect_list(client, [summary("someoneelses", "other1")])
    client.stub.add_response(
        "create_db_parameter_group",
        summary(name),
        {
            "name": name,
            "description": ANY,
            "parameters": {"InfluxDBv2": {"queryConcurrency": 16, "logLevel": "info"}},
            "tags": {
                "Project": "ons-data-platform",
                "Environment": "development",
                "Name": name,
                "ManagedBy": "CloudFormation",
            },
        },
    )
    expect_instance(client, None, then_update_to="pg0001")
    pid, data, reason = act(pg, event("Create"), client)
    assert pid == "pg0001" and data == {"Id": "pg0001", "Name": name, "Arn": ARN + "pg0001"}
    assert reason == "the instance now uses pg0001"


def test_the_tags_sent_are_the_ones_the_role_allows():
    """The role's CreateDbParameterGroup statement asks for exactly these keys and ManagedBy."""
    import inspect

    from templates_src.timestream_influxdb.functions import parameter_groups

    source = inspect.getsource(parameter_groups.create)
    assert all(f'"{key}"' in source for key in TAG_KEYS) and f'"{MANAGED_BY}"' in source


def test_an_existing_group_of_that_name_is_taken_and_an_instance_using_it_is_left_alone(pg, client):
    name = name_of(pg)
    expect_list(client, [summary("aaa1", "aaa1")], [summary(name, "pg0009")])  # on the second page
    expect_content(client, "pg0009")
    expect_instance(client, "pg0009")
    assert act(pg, event("Create"), client) == (
        "pg0009",
        {"Id": "pg0009", "Name": name, "Arn": ARN + "pg0009"},
        "the instance already used pg0009",
    )


def test_a_create_racing_another_request_takes_the_group_that_request_made(pg, client):
    name = name_of(pg)
    expect_list(client)
    client.stub.add_client_error("create_db_parameter_group", "ConflictException", http_status_code=409)
    expect_list(client, [summary(name, "pg0002")])
    expect_content(client, "pg0002")
    expect_instance(client, "default1", then_update_to="pg0002")
    assert act(pg, event("Create"), client)[0] == "pg0002"


@pytest.mark.parametrize(
    ("held", "said"),
    [
        ({"InfluxDBv2": {"queryConcurrency": 16, "logLevel": "debug"}}, "other values of logLevel"),
        (
            {"InfluxDBv2": {"queryConcurrency": 16, "logLevel": "info", "fluxLogEnabled": True}},
            "other values of fluxLogEnabled",
        ),
        ({"InfluxDBv2": {"queryConcurrency": 16}}, "other values of logLevel"),
        ({"InfluxDBv3Core": {"queryFileLimit": 10}}, "engine InfluxDBv3Core instead of InfluxDBv2"),
        ({}, "engine none instead of InfluxDBv2"),
    ],
)
def test_a_squatted_name_with_other_content_is_refused_naming_the_group_and_never_applied(
    pg, client, held, said
):
    """Anyone may create the content-derived name first; the instance is never switched to it
    (no GetDbInstance or UpdateDbInstance: the Stubber fails on an unexpected call)."""
    name = name_of(pg)
    expect_list(client, [summary(name, "pg0666")])
    expect_content(client, "pg0666", held)
    with pytest.raises(ValueError) as err:
        act(pg, event("Create"), client)
    message = str(err.value)
    assert message.startswith(f"refused: the parameter group {name} (pg0666) has this stack's content")
    assert f"({said}); someone else created it" in message and "not switched" in message
    assert "\n" not in message


def test_a_squatted_name_found_after_a_create_conflict_is_refused_too(pg, client):
    name = name_of(pg)
    expect_list(client)
    client.stub.add_client_error("create_db_parameter_group", "ConflictException", http_status_code=409)
    expect_list(client, [summary(name, "pg0666")])
    expect_content(client, "pg0666", {"InfluxDBv2": {"logLevel": "debug"}})
    with pytest.raises(ValueError, match=r"refused: the parameter group .* \(pg0666\)"):
        act(pg, event("Create"), client)


def test_a_busy_instance_is_retried(pg, client):
    name = name_of(pg)
    expect_list(client, [summary(name)])
    expect_content(client, "pg0001")
    client.stub.add_client_error("get_db_instance", "ConflictException", http_status_code=409)
    expect_instance(client, None, then_update_to="pg0001")
    assert (
        act(pg, event("Update", PhysicalResourceId="old1", OldResourceProperties=PROPS), client)[0]
        == "pg0001"
    )


def test_bad_parameters_fail_before_any_call_naming_the_parameter_and_the_botocore(pg, client):
    props = {**PROPS, "EngineParameters": '{"queryConcurrency": 300, "logLevl": "info"}'}
    with pytest.raises(ValueError) as err:
        act(pg, event("Create", props), client)
    message = str(err.value)
    assert "InfluxDBv2.queryConcurrency: 300 is out of range; use a whole number from 0 to 256" in message
    assert "InfluxDBv2 has no parameter logLevl; did you mean logLevel?" in message
    assert "(botocore " in message and "\n" not in message
    with pytest.raises(ValueError, match="not a JSON object"):
        act(pg, event("Create", {**PROPS, "EngineParameters": "queryConcurrency=16"}), client)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/other/guid"}, "another stack"),
        ({"LogicalResourceId": "SomethingElse"}, "not this stack's parameter group resource"),
        ({"ResourceProperties": {**PROPS, "DbResourceId": "otherinstance"}}, "not this stack's DbResourceId"),
        ({"ResourceProperties": {**PROPS, "EngineParameters": "{}"}}, "not this stack's EngineParameters"),
    ],
)
def test_requests_for_anything_but_the_configured_values_are_refused(pg, client, change, refusal):
    with pytest.raises(ValueError, match=refusal):
        pg.act({**event("Create"), **change}, FakeContext(), client, configured())


def test_delete_calls_nothing_and_says_the_group_stays(pg, client):
    pid, data, reason = act(pg, event("Delete", PhysicalResourceId="pg0001"), client)
    assert (pid, data) == (None, {})
    assert reason == (
        "the parameter group pg0001 is left in place: the Timestream for InfluxDB API has no operation "
        "that deletes a parameter group"
    )
    failed_create = event("Delete", PhysicalResourceId=FakeContext.log_stream_name)
    assert act(pg, failed_create, client)[2] == "no parameter group was created"


# --- a read-replica cluster ----------------------------------------------------------------------
CLUSTER = "clu1a2b3c4d5e"
CLUSTER_PROPS = {**PROPS, "DbResourceType": "DB_CLUSTER", "DbResourceId": CLUSTER}
CLUSTER_ANSWER = {
    "id": CLUSTER,
    "name": "ons-development-influxdb",
    "arn": f"arn:aws:timestream-influxdb:us-east-1:123456789012:db-cluster/{CLUSTER}",
    "status": "AVAILABLE",
}


def expect_cluster(client, current, then_update_to=None, statuses=("AVAILABLE",)):
    """GetDbCluster answers the ``current`` group; with ``then_update_to``, UpdateDbCluster switches
    it, and GetDbCluster answers each of ``statuses`` (botocore's model's ClusterStatus) in turn."""
    client.stub.add_response(
        "get_db_cluster",
        {**CLUSTER_ANSWER, **({"dbParameterGroupIdentifier": current} if current else {})},
        {"dbClusterId": CLUSTER},
    )
    if then_update_to:
        client.stub.add_response(
            "update_db_cluster",
            {"dbClusterStatus": "UPDATING"},
            {"dbClusterId": CLUSTER, "dbParameterGroupIdentifier": then_update_to},
        )
        for status in statuses:
            client.stub.add_response(
                "get_db_cluster",
                {**CLUSTER_ANSWER, "status": status, "dbParameterGroupIdentifier": then_update_to},
                {"dbClusterId": CLUSTER},
            )


def test_a_cluster_is_switched_with_update_db_cluster(pg, client):
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_cluster(client, "default1", then_update_to="pg0001")
    assert act(pg, event("Create", CLUSTER_PROPS), client)[2] == "the cluster now uses pg0001"


def test_a_cluster_on_the_group_already_is_left_alone(pg, client):
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_cluster(client, "pg0001")
    e = event("Update", CLUSTER_PROPS, PhysicalResourceId="pg0001", OldResourceProperties=CLUSTER_PROPS)
    assert act(pg, e, client)[2] == "the cluster already used pg0001"


def test_a_busy_cluster_is_retried(pg, client):
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_cluster(client, "default1")
    client.stub.add_client_error("update_db_cluster", "ConflictException", http_status_code=409)
    expect_cluster(client, "default1", then_update_to="pg0001")  # asked again, then switched
    assert act(pg, event("Create", CLUSTER_PROPS), client)[0] == "pg0001"


@pytest.mark.parametrize(
    "parameters",
    ['{"queryFileLimit": 100}', '{"InfluxDBv3Core": {"queryFileLimit": 100}}', '{"compactionRowLimit": 5}'],
)
def test_influxdb_3_parameters_for_an_influxdb_v2_cluster_are_one_line_before_any_call(
    pg, client, parameters
):
    props = {**CLUSTER_PROPS, "EngineParameters": parameters}
    with pytest.raises(ValueError) as err:
        act(pg, event("Create", props), client)
    message = str(err.value)
    assert message.count("; ") >= 1 and "\n" not in message
    assert "not InfluxDBv2's; this database runs InfluxDBv2 and accepts its parameters only" in message
    assert "queryConcurrency" in message and "InfluxDBv3" in message


def test_a_function_configured_for_the_instance_refuses_the_cluster(pg, client):
    with pytest.raises(ValueError, match="refused: not this stack's DbResourceType, DbResourceId$"):
        pg.act(event("Create", CLUSTER_PROPS), FakeContext(), client, configured(PROPS))


# --- waiting for the database after a switch -------------------------------------------------------


class Clock:
    """A Lambda context whose remaining time is each of ``remaining_ms`` in turn, then the last."""

    log_stream_name = FakeContext.log_stream_name

    def __init__(self, *remaining_ms):
        self.remaining = list(remaining_ms)

    def get_remaining_time_in_millis(self):
        return self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0]


def enough_for_one_read(pg):
    waiting = pg.wait_until_available.__globals__
    return (waiting["POLL_SECONDS"] + waiting["READ_SECONDS"] + pg.MARGIN) * 1000


def test_a_switch_answers_only_once_the_instance_is_available_again(pg, client):
    """A switch can restart the instance: the status is read until AVAILABLE, and no more."""
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_instance(
        client, "default1", then_update_to="pg0001", statuses=("UPDATING", "REBOOTING", "AVAILABLE")
    )
    assert act(pg, event("Create"), client)[2] == "the instance now uses pg0001"


def test_a_switch_of_a_cluster_waits_for_the_cluster(pg, client):
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_cluster(client, "default1", then_update_to="pg0001", statuses=("UPDATING", "AVAILABLE"))
    assert act(pg, event("Create", CLUSTER_PROPS), client)[2] == "the cluster now uses pg0001"


def test_a_switch_still_unavailable_when_the_time_runs_out_succeeds_and_says_so(pg, client, capsys):
    """Success, not failure: the change was accepted, and a failed Create would delete the database."""
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_instance(client, "default1", then_update_to="pg0001", statuses=("UPDATING", "UPDATING"))
    enough = enough_for_one_read(pg)
    context = Clock(enough, enough, enough - 1)  # two reads, then too little time for a third
    pid, _, reason = act(pg, event("Create"), client, context=context)
    assert pid == "pg0001"
    assert reason == (
        "the instance now uses pg0001; the instance accepted the change but was UPDATING, not yet "
        "AVAILABLE, when the time to wait ran out"
    )
    assert "not yet AVAILABLE" in capsys.readouterr().out


def test_an_instance_already_on_the_group_is_not_waited_for(pg, client):
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_instance(client, "pg0001")  # one read: no switch, no status reads after it
    assert act(pg, event("Create"), client)[2] == "the instance already used pg0001"


def test_the_wait_keeps_the_margin_to_answer_cloudformation(pg, client):
    """With less time left than one read and the answer need, the status is not read at all."""
    expect_list(client, [summary(name_of(pg))])
    expect_content(client, "pg0001")
    expect_instance(client, "default1", then_update_to="pg0001", statuses=())
    context = Clock(enough_for_one_read(pg) - 1)
    reason = act(pg, event("Create"), client, context=context)[2]
    assert reason.endswith("was not read, not yet AVAILABLE, when the time to wait ran out")

"""The read-replica cluster product's API token through whole stack lifecycles: create, update,
update rollback, failed create, stack delete in every order, a forged Delete, and its rotation. The token resource is
the instance product's (same functions, same inlined code); what differs is where its URL comes
from: the cluster's writer endpoint. The reader endpoint is made unreachable here, so a token made
through it would fail every scenario. The cluster's backup and parameter group resources have
lifecycles of their own (``test_backup_lifecycle``, ``test_parameter_group_lifecycle``); here the
backup resource runs alongside, against a fake that knows the cluster.

The scenario helpers and fixtures are the instance product's (``test_token_lifecycle``).
"""

from __future__ import annotations

import pytest

from conftest import rendered_data
from lifecycle import test_rotation_lifecycle as rotating
from lifecycle import test_token_lifecycle as token
from lifecycle.aws import FakeTimestreamInfluxDB, Rotation
from lifecycle.harness import Stack

CLUSTER = "InfluxDBCluster"
CLUSTER_ID = "clu1a2b3c4d5e"
TOKEN, EGRESS = token.TOKEN, token.EGRESS
values, the_one, posts, marker = token.values, token.the_one, token.posts, token.marker

# The instance product's fixtures, for this module (one HTTPS server and one moto of its own).
server, influx, moto, aws = token.server, token.influx, token.moto, token.aws


@pytest.fixture(scope="module")
def rendered_cluster():
    """The cluster template as rendered to YAML (what CloudFormation is given), loaded back."""
    return rendered_data("timestream-influxdb-cluster")


@pytest.fixture(scope="module")
def defaults(rendered_cluster):
    params = rendered_cluster["Parameters"]
    return {name: params[name]["Default"] for name in ("Organization", "Bucket", "Username")}


@pytest.fixture
def stack(rendered_cluster, influx, aws):
    _, admin_arn, token_arn = aws
    with Stack(
        rendered_cluster,
        name="cluster",
        # The writer is the fake; the reader is nowhere (a reserved name that never resolves).
        attributes={
            f"{CLUSTER}.Endpoint": "localhost",
            f"{CLUSTER}.ReaderEndpoint": "reader.invalid",
            f"{CLUSTER}.Id": CLUSTER_ID,
        },
        refs={"TokenSecret": token_arn, "AdminPasswordSecret": admin_arn},
        clients={"timestream-influxdb": FakeTimestreamInfluxDB(clusters=[CLUSTER_ID]).client},
        before_invoke=token.quick,
    ) as s:
        worker = s.module("TokenWorkerFunction")
        worker.BACKOFF, worker.TIMEOUT = 0, 2
        s.clients["lambda"] = s.lambda_client("TokenWorkerFunction")
        yield s


def test_the_custom_resources_are_the_instance_products_and_the_token_follows_the_egress_rule(
    rendered_cluster, rendered_product
):
    def custom(template):
        return {n: r["Type"] for n, r in template["Resources"].items() if r["Type"].startswith("Custom::")}

    assert custom(rendered_cluster) == custom(rendered_product)
    assert set(custom(rendered_cluster)) == {TOKEN, "BackupConfiguration", "EngineParameterGroup"}
    assert EGRESS in rendered_cluster["Resources"][TOKEN]["DependsOn"]


def test_create_makes_one_marked_token_through_the_writer(stack, influx, aws):
    op = stack.create(values(influx))
    assert op.status == "CREATE_COMPLETE"
    auth = the_one(stack, influx, aws)
    (request,) = op.of(TOKEN)
    assert request.answer["Data"] == {"AuthorizationId": auth["id"]}


def test_an_update_of_other_parameters_sends_nothing_and_a_new_version_keeps_the_token(
    stack, influx, aws, rendered_cluster
):
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    op = stack.update({"FailoverMode": "NO_FAILOVER"})
    assert op.status == "UPDATE_COMPLETE" and op.of(TOKEN) == []
    op = stack.update(template=token.longer_timeout(rendered_cluster))
    assert op.status == "UPDATE_COMPLETE" and [c[1] for c in op.calls] == ["Update"]
    assert the_one(stack, influx, aws) == before and posts(influx) == 1


def test_an_update_rolled_back_keeps_the_token(stack, influx, aws, rendered_cluster):
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    op = stack.update_that_fails(template=token.longer_timeout(rendered_cluster))
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert op.calls == [("forward", "Update", TOKEN), ("rollback", "Update", TOKEN)]
    assert the_one(stack, influx, aws) == before and posts(influx) == 1


def test_a_create_that_fails_at_the_cluster_never_makes_a_token_and_a_retry_makes_one(stack, influx, aws):
    op = stack.create_that_fails(values(influx), at=CLUSTER)
    assert op.status == "ROLLBACK_COMPLETE" and op.of(TOKEN) == [] and influx.authorizations == {}
    assert stack.delete().requests == []
    # Failing after the token was made: the rollback revokes it.
    op = stack.create_that_fails(values(influx))
    assert op.status == "ROLLBACK_COMPLETE" and influx.live() == [] and stack.live == {}
    assert stack.delete().requests == []
    assert stack.create(values(influx)).status == "CREATE_COMPLETE"
    the_one(stack, influx, aws)


def test_stack_delete_revokes_the_token_in_every_order_the_dependencies_allow(stack, influx, aws):
    stack.create(values(influx))
    orders = list(stack.deletion_orders(also=[EGRESS]))
    assert orders
    for order in orders:
        if stack.status == "DELETE_COMPLETE":
            influx.up()
            assert stack.create(values(influx)).status == "CREATE_COMPLETE"
        the_one(stack, influx, aws)
        op = stack.delete(order, on_delete={EGRESS: influx.down})
        assert op.status == "DELETE_COMPLETE", order
        assert influx.live() == [], order


def test_a_delete_forged_between_operations_revokes_nothing(stack, influx, aws):
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    answer = stack.forge(TOKEN, "Delete")
    assert answer["Status"] == "SUCCESS" and "not deleting" in answer["Reason"]
    assert the_one(stack, influx, aws) == before
    assert stack.delete().status == "DELETE_COMPLETE" and influx.live(marker(stack)) == []


# --- rotation: the instance product's schedule and function, against the writer ----------------
@pytest.fixture
def rotation(stack, aws):
    sm, _, token_arn = aws
    return Rotation(sm, token_arn, lambda event: stack.call(rotating.FUNCTION, event))


def test_rotation_makes_the_new_token_through_the_writer_and_the_stack_delete_revokes_both(
    stack, influx, aws, rotation
):
    """The reader endpoint resolves nowhere: a rotation that reached InfluxDB at all went to the writer."""
    op = stack.create(values(influx, TokenRotationDays="30"))
    assert op.status == "CREATE_COMPLETE"
    assert stack.exists(rotating.SCHEDULE) and stack.exists(rotating.PERMISSION)
    (first,) = influx.live(marker(stack))
    rotation.enable()
    assert rotation.rotate() is None
    current, previous = rotating.current_and_previous(stack, influx, aws)
    assert previous == first["token"] and posts(influx) == 2
    assert stack.delete().status == "DELETE_COMPLETE" and influx.live(marker(stack)) == []


def test_rotation_is_off_by_default_on_the_cluster_too(stack, influx):
    stack.create(values(influx))
    assert not stack.exists(rotating.SCHEDULE) and not stack.exists(rotating.PERMISSION)

"""The InfluxDB 3 product's custom resource - the database, and on Enterprise its token - through
whole stack lifecycles: create, a failed create, update, update rollback, stack delete, a forged
Delete. The rendered template's inlined code runs: the database function (answering
CloudFormation, reading the service's admin secret and writing the token secret in moto's Secrets
Manager) invokes the worker in process (:class:`lifecycle.aws.FakeLambda`), which reaches the
stateful InfluxDB 3 fake over HTTPS, verifying its certificate. Each test asserts END STATES: the
databases and tokens the fake has, what the token secret holds, the stack status.
"""

from __future__ import annotations

import json

import pytest

from conftest import yaml_data
from lifecycle.aws import secretsmanager
from lifecycle.harness import Stack
from lifecycle.influxdb3 import DATABASE, TOKEN, InfluxDB3
from templates_src.registry import TEMPLATES
from tooling.build.render import render

RESOURCE = "InfluxDB3Database"
ADMIN = "apiv3_admin-token-1"
REQUIRED = {
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "S3PrefixListId": "pl-63a5400a",
    "ProcessedDataBucket": "processed-data",
    "RejectedDataBucket": "rejected-data",
    "ProjectName": "demo",
}


@pytest.fixture(scope="module")
def rendered():
    return yaml_data(render(TEMPLATES["timestream-influxdb3"]))


@pytest.fixture(scope="module")
def server():
    with InfluxDB3(admin_token=ADMIN) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", server.cafile)
        yield server


@pytest.fixture(scope="module")
def moto():
    with secretsmanager() as sm:
        yield sm


@pytest.fixture
def aws(moto, request):
    """The service's admin secret ({"token": ...}) and the product's token secret (no value)."""
    prefix = request.node.name[:200]
    admin = moto.create_secret(Name=f"{prefix}-READONLY", SecretString=json.dumps({"token": ADMIN}))
    token = moto.create_secret(Name=f"{prefix}-token")
    return moto, admin["ARN"], token["ARN"]


def make_stack(template, aws, name="v3"):
    _, admin_arn, token_arn = aws
    stack = Stack(
        template,
        name=name,
        attributes={
            "InfluxDBCluster.Endpoint": "localhost",
            "InfluxDBCluster.InfluxAuthParametersSecretArn": admin_arn,
        },
        refs={"TokenSecret": token_arn},
    )
    worker = stack.module("DatabaseWorkerFunction")
    worker.BACKOFF, worker.TIMEOUT = 0, 2
    stack.clients["lambda"] = stack.lambda_client("DatabaseWorkerFunction")
    return stack


@pytest.fixture
def enterprise(server):
    server.reset("Enterprise")
    return server


@pytest.fixture
def core(server):
    server.reset("Core")
    return server


@pytest.fixture
def stack(rendered, aws, server):
    with make_stack(rendered, aws) as s:
        yield s


def values(server, **more):
    return {**REQUIRED, "Port": str(server.port), **more}


def held(aws):
    sm, _, token_arn = aws
    try:
        return json.loads(sm.get_secret_value(SecretId=token_arn)["SecretString"])
    except sm.exceptions.ResourceNotFoundException:
        return None


def the_token(stack, server, aws, database):
    """End state on Enterprise: exactly one token, read/write on ``database`` only, in the secret."""
    (name,) = server.tokens
    assert name == f"{stack.name}-{RESOURCE}-{database}"
    assert server.tokens[name]["permissions"] == [("db", (database,), ("read", "write"))]
    assert held(aws) == {"token": server.tokens[name]["token"], "database": database, "token_name": name}
    return name


# --- create -------------------------------------------------------------------------------------
def test_enterprise_create_makes_the_database_and_one_scoped_token_the_secret_holds(stack, enterprise, aws):
    op = stack.create(values(enterprise, Engine="Enterprise"))
    assert op.status == "CREATE_COMPLETE"
    assert enterprise.databases == {"telemetry"}
    name = the_token(stack, enterprise, aws, "telemetry")
    (request,) = op.of(RESOURCE)
    assert request.answer["PhysicalResourceId"] == name
    assert request.answer["Data"] == {"Database": "telemetry", "TokenName": name}


def test_core_create_makes_the_database_and_no_token(stack, core, aws):
    op = stack.create(values(core))
    assert op.status == "CREATE_COMPLETE"
    assert core.databases == {"telemetry"} and core.tokens == {}
    assert held(aws) is None
    assert ("POST", TOKEN) not in core.requests


def test_an_existing_database_is_adopted(stack, enterprise, aws):
    enterprise.databases.add("telemetry")
    assert stack.create(values(enterprise, Engine="Enterprise")).status == "CREATE_COMPLETE"
    assert enterprise.databases == {"telemetry"}
    the_token(stack, enterprise, aws, "telemetry")


def test_the_documentation_s_body_key_is_tried_when_the_openapi_s_is_refused(stack, enterprise, aws):
    enterprise.accepted_key = "resource_identifier"
    assert stack.create(values(enterprise, Engine="Enterprise")).status == "CREATE_COMPLETE"
    the_token(stack, enterprise, aws, "telemetry")


def test_a_token_post_whose_answer_is_lost_leaves_one_token_the_secret_holds(stack, enterprise, aws):
    enterprise.lose(1, "POST", TOKEN)
    assert stack.create(values(enterprise, Engine="Enterprise")).status == "CREATE_COMPLETE"
    the_token(stack, enterprise, aws, "telemetry")


def test_a_secret_without_the_token_key_fails_naming_its_keys_never_values(stack, enterprise, aws):
    sm, admin_arn, _ = aws
    sm.put_secret_value(SecretId=admin_arn, SecretString=json.dumps({"password": "s3cret", "username": "u"}))
    op = stack.create(values(enterprise, Engine="Enterprise"))
    assert op.status == "ROLLBACK_COMPLETE"
    (failed,) = [r for r in op.of(RESOURCE) if r.answer["Status"] == "FAILED"]
    assert "no key 'token'; its keys: password, username" in failed.answer["Reason"]
    assert "s3cret" not in failed.answer["Reason"]
    assert enterprise.databases == set() and enterprise.tokens == {}


# --- failed create ------------------------------------------------------------------------------
def test_a_create_that_fails_after_the_database_revokes_the_token_and_keeps_the_database(
    stack, enterprise, aws
):
    op = stack.create_that_fails(values(enterprise, Engine="Enterprise"))
    assert op.status == "ROLLBACK_COMPLETE"
    assert enterprise.databases == {"telemetry"}  # data is never deleted
    assert enterprise.tokens == {}


# --- update -------------------------------------------------------------------------------------
def test_an_update_of_other_parameters_sends_nothing(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    before = held(aws)
    op = stack.update({"LogRetentionDays": "90"})
    assert op.status == "UPDATE_COMPLETE" and op.of(RESOURCE) == []
    assert held(aws) == before


def test_a_new_database_gets_a_new_token_and_the_old_one_is_revoked_the_old_database_kept(
    stack, enterprise, aws
):
    stack.create(values(enterprise, Engine="Enterprise"))
    op = stack.update({"Database": "metrics"})
    assert op.status == "UPDATE_COMPLETE"
    assert enterprise.databases == {"telemetry", "metrics"}
    the_token(stack, enterprise, aws, "metrics")


def test_an_engine_change_is_refused_and_rolled_back(stack, core, aws):
    stack.create(values(core))
    op = stack.update({"Engine": "Enterprise"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    failed = [r for r in op.of(RESOURCE) if r.answer["Status"] == "FAILED"]
    assert failed and "the engine cannot change from Core to Enterprise" in failed[0].answer["Reason"]
    assert core.tokens == {} and core.databases == {"telemetry"}


# --- rollback -----------------------------------------------------------------------------------
def test_a_failed_update_rolls_back_to_the_old_database_s_token(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    op = stack.update_that_fails({"Database": "metrics"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert enterprise.databases == {"telemetry", "metrics"}
    the_token(stack, enterprise, aws, "telemetry")


# --- delete -------------------------------------------------------------------------------------
def test_delete_revokes_the_token_and_keeps_the_database(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    assert stack.delete().status == "DELETE_COMPLETE"
    assert enterprise.tokens == {} and enterprise.databases == {"telemetry"}


def test_core_delete_keeps_the_database(stack, core, aws):
    stack.create(values(core))
    assert stack.delete().status == "DELETE_COMPLETE"
    assert core.databases == {"telemetry"}
    assert ("DELETE", "/api/v3/configure/token") not in core.requests


def test_a_forged_delete_revokes_nothing_and_the_stack_s_delete_still_does(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    answer = stack.forge(RESOURCE, "Delete")
    assert answer["Status"] == "SUCCESS" and "nothing was revoked" in answer["Reason"]
    the_token(stack, enterprise, aws, "telemetry")
    assert stack.delete().status == "DELETE_COMPLETE" and enterprise.tokens == {}
    assert ("POST", DATABASE) in enterprise.requests

"""The InfluxDB 3 database function and its worker, as written in ``functions/`` and as the
rendered template inlines them: the admin token's key, refusals, the Delete guard, the body-key
fallback of the Enterprise token request."""

from __future__ import annotations

import importlib
import io
import json

import pytest

from conftest import loaded_inlined_module, rendered_data

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/v3/guid"
CONFIG = {
    "INFLUXDB_URL": "https://h:8181",
    "ADMIN_SECRET_ARN": "arn:admin",
    "TOKEN_SECRET_ARN": "arn:token",
    "ENGINE": "Enterprise",
    "DATABASE": "telemetry",
    "WORKER_FUNCTION_NAME": "worker",
    "STACK_ID": STACK,
    "LOGICAL_RESOURCE_ID": "InfluxDB3Database",
}


@pytest.fixture(scope="module")
def rendered():
    return rendered_data("timestream-influxdb3")


@pytest.fixture(params=["source", "inlined"])
def database(request, rendered):
    if request.param == "source":
        return importlib.import_module("templates_src.timestream_influxdb3.functions.influxdb3_database")
    return loaded_inlined_module(rendered, "DatabaseFunction")


@pytest.fixture(params=["source", "inlined"])
def worker(request, rendered):
    if request.param == "source":
        return importlib.import_module("templates_src.timestream_influxdb3.functions.influxdb3_worker")
    return loaded_inlined_module(rendered, "DatabaseWorkerFunction")


class Secrets:
    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, values):
        self.values, self.put = values, []

    def get_secret_value(self, SecretId):
        if SecretId not in self.values:
            raise self.exceptions.ResourceNotFoundException(SecretId)
        return {"SecretString": self.values[SecretId]}

    def put_secret_value(self, SecretId, SecretString):
        self.put.append(SecretId)
        self.values[SecretId] = SecretString


class Lambda:
    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def invoke(self, FunctionName, InvocationType, Payload):
        event = json.loads(Payload)
        self.calls.append(event["action"])
        return {"Payload": io.BytesIO(json.dumps(self.answers[event["action"]]).encode())}


class Cfn:
    class exceptions:
        ClientError = Exception

    def __init__(self, status, resource_status="DELETE_IN_PROGRESS"):
        self.status, self.resource_status = status, resource_status

    def describe_stacks(self, StackName):
        return {"Stacks": [{"StackStatus": self.status}]}

    def describe_stack_resource(self, StackName, LogicalResourceId):
        return {"StackResourceDetail": {"ResourceStatus": self.resource_status, "PhysicalResourceId": "x"}}


def event(kind="Create", **props):
    return {
        "RequestType": kind,
        "StackId": STACK,
        "LogicalResourceId": "InfluxDB3Database",
        "PhysicalResourceId": "v3-InfluxDB3Database-telemetry",
        "ResourceProperties": {
            "Url": "https://h:8181",
            "Database": "telemetry",
            "Engine": "Enterprise",
            "TokenSecretArn": "arn:token",
            **props,
        },
    }


ANSWERS = {
    "database": {"created": True},
    "token": {"token": "apiv3_t", "key": "resource_names"},
    "revoke": {"revoked": True},
}


def test_the_admin_token_key_is_one_named_constant_and_a_missing_key_lists_the_secret_s_keys(database):
    secrets = Secrets({"arn:admin": json.dumps({"password": "hidden", "organization": "o"})})
    with pytest.raises(KeyError) as raised:
        database.act(event(), None, CONFIG, secrets, Lambda(ANSWERS))
    message = str(raised.value)
    assert f"no key {database.ADMIN_TOKEN_KEY!r}; its keys: organization, password" in message
    assert "hidden" not in message


def test_create_stores_the_token_under_the_same_key_clients_read(database):
    secrets = Secrets({"arn:admin": json.dumps({database.ADMIN_TOKEN_KEY: "adm"})})
    lam = Lambda(ANSWERS)
    pid, data = database.act(event(), None, CONFIG, secrets, lam)
    assert pid == "v3-InfluxDB3Database-telemetry" and lam.calls == ["database", "token"]
    stored = json.loads(secrets.values["arn:token"])
    assert stored == {database.ADMIN_TOKEN_KEY: "apiv3_t", "database": "telemetry", "token_name": pid}
    assert "apiv3_t" not in json.dumps(data)


def test_a_request_for_another_database_or_stack_is_refused(database):
    secrets = Secrets({"arn:admin": json.dumps({database.ADMIN_TOKEN_KEY: "adm"})})
    with pytest.raises(ValueError, match="not this stack's Database"):
        database.act(event(Database="other"), None, CONFIG, secrets, Lambda(ANSWERS))
    with pytest.raises(ValueError, match="another stack"):
        database.act({**event(), "StackId": STACK + "x"}, None, CONFIG, secrets, Lambda(ANSWERS))


@pytest.mark.parametrize(("status", "revokes"), [("CREATE_COMPLETE", False), ("DELETE_IN_PROGRESS", True)])
def test_delete_revokes_only_while_the_stack_deletes_it_and_never_deletes_the_database(
    database, status, revokes
):
    secrets = Secrets({"arn:admin": json.dumps({database.ADMIN_TOKEN_KEY: "adm"})})
    lam = Lambda(ANSWERS)
    database.act(event("Delete"), None, CONFIG, secrets, lam, Cfn(status))
    assert lam.calls == (["revoke"] if revokes else [])
    assert "database" not in lam.calls


def test_the_worker_tries_the_documentation_s_key_when_the_openapi_s_is_refused(worker):
    sent = []

    def call(method, path, body=None, expected=()):
        sent.append(body)
        if "resource_names" in body["permissions"][0]:
            raise worker.ApiError(method, path, 400)
        return 201, {"token": "apiv3_x"}

    made = worker.token(call, {"database": "telemetry", "token_name": "n"})
    assert made == {"token": "apiv3_x", "key": "resource_identifier"}
    assert [list(b["permissions"][0]) for b in sent] == [
        ["resource_type", "resource_names", "actions"],
        ["resource_type", "resource_identifier", "actions"],
    ]


def test_the_worker_never_returns_the_admin_token_in_an_error(worker, monkeypatch):
    # Nothing listens on port 9: every try fails; no back-off between them (the waits are not the point).
    monkeypatch.setattr(worker, "BACKOFF", 0)
    answer = worker.handler(
        {"action": "database", "url": "http://127.0.0.1:9", "admin_token": "SECRET", "database": "d"}, None
    )
    assert "error" in answer and "SECRET" not in answer["error"]


def test_the_function_s_timeout_covers_every_worker_call_and_the_answer(database, rendered):
    """The template's Timeout of the database function covers its worker invocations (each bounded
    by the shared worker call's INVOKE_TIMEOUT), one wait for an Inactive worker and the margin kept
    to answer CloudFormation; the worker's own timeout ends before the function stops waiting."""
    from templates_src.timestream_influxdb.functions import cfn_response
    from templates_src.timestream_influxdb3 import setup

    call = database.Worker.invoke.__globals__  # worker_call's globals, or index.py's
    resources = rendered["Resources"]
    functions = {
        props["Properties"]["Timeout"]: title
        for title, props in resources.items()
        if props["Type"] == "AWS::Lambda::Function" and title.startswith("Database")
    }
    assert set(functions) == {setup.TIMEOUT, setup.WORKER_TIMEOUT}
    assert call["INVOKE_TIMEOUT"] >= setup.WORKER_TIMEOUT + 15
    waits = database.INVOCATIONS * call["INVOKE_TIMEOUT"] + call["ACTIVE_WAIT"] + cfn_response.MARGIN
    assert waits <= setup.TIMEOUT
    assert database.INVOKE_CONFIG.read_timeout == call["INVOKE_TIMEOUT"]


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirect_is_refused_and_the_admin_token_goes_nowhere_else(worker, monkeypatch, status):
    """urllib would follow a redirect with the Authorization header, to any host, and turn the
    POST into a GET whose 200 would read as "created"; the worker reports the 3xx instead."""
    from servers import Redirecting, serve, url

    monkeypatch.setattr(worker, "BACKOFF", 0)
    with serve(Redirecting) as elsewhere, serve(Redirecting, status=status) as influx:
        influx.state["location"] = url(elsewhere) + "/api/v3/configure/database"
        answer = worker.handler(
            {"action": "database", "url": url(influx), "admin_token": "SECRET", "database": "d"}, None
        )
    assert answer == {"error": f"ApiError: POST /api/v3/configure/database: {status}"}
    assert len(influx.state["calls"]) == 1 and "calls" not in elsewhere.state


def test_an_answer_over_the_size_limit_is_not_read(worker, monkeypatch):
    from servers import Redirecting, serve, url

    monkeypatch.setattr(worker, "BACKOFF", 0)
    with serve(Redirecting, body_bytes=worker.read_body.__globals__["MAX_BODY"] + 10) as influx:
        answer = worker.handler(
            {"action": "database", "url": url(influx), "admin_token": "SECRET", "database": "d"}, None
        )
    assert answer["error"].startswith("ApiError: POST /api/v3/configure/database: HTTPException")

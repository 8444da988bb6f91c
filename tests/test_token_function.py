"""functions/api_token.py (the token resource's function) with a stubbed Secrets Manager and a fake
Lambda client that runs the token worker against the local InfluxDB v2 fake (tests/servers.py).

Each scenario is a sequence of CloudFormation requests; after each, exactly one marked
authorization (or none after Delete) lives, and the token secret holds its token.
"""

from __future__ import annotations

import io
import json
import time

import boto3
import pytest
from botocore.stub import ANY, Stubber

from conftest import FUNCTIONS, function_module, inlined_module
from servers import FakeContext, FakeInflux, closed_port_url, serve, url

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/test/guid"
MARKER = STACK_ID + " InfluxDBApiToken"
PHYSICAL_ID = "test-InfluxDBApiToken"
ADMIN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ons-development-influxdb-admin-password-AbC"
TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ons-development-influxdb-token-AbCdEf"
ORG_ID, BUCKET_ID, OTHER_BUCKET_ID = "0a1b2c3d4e5f6071", "1122334455667788", "99887766554433aa"
PASSWORD = "Secret123"
RESPONSE_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
    "arn%3Aaws%3Acloudformation/request-1?X-Amz-Signature=abc"
)


@pytest.fixture(params=["source", "inlined"])
def shipped(request, rendered_product):
    """(token function, worker): functions/ as written, or as the rendered template runs them."""
    token = function_module(request, "api_token", rendered_product)
    if request.param == "source":
        return token, function_module(request, "token_worker", rendered_product)
    return token, inlined_module(rendered_product, FUNCTIONS["token_worker"])


@pytest.fixture
def modules(shipped, monkeypatch):
    """The shipped modules, with no wait for a new instance and quick retries."""
    token, worker = shipped
    monkeypatch.setattr(token, "SETTLE", 0)
    monkeypatch.setattr(worker, "BACKOFF", 0)
    monkeypatch.setattr(worker, "TIMEOUT", 2)
    return token, worker


@pytest.fixture
def influx():
    with serve(FakeInflux, **FakeInflux.defaults()) as server:
        server.state["buckets"][(ORG_ID, "other")] = OTHER_BUCKET_ID
        yield server


class FakeLambda:
    """lambda:Invoke (RequestResponse) of the worker, run in-process as Lambda would run it."""

    def __init__(self, worker, name="worker-fn"):
        self.worker, self.name, self.calls = worker, name, []

    def invoke(self, FunctionName, InvocationType, Payload):
        assert (FunctionName, InvocationType) == (self.name, "RequestResponse")
        event = json.loads(Payload)
        self.calls.append(event)
        return {
            "StatusCode": 200,
            "Payload": io.BytesIO(json.dumps(self.worker.handler(event, None)).encode()),
        }


class Secrets:
    """A Secrets Manager client under a Stubber; ``stored`` records each token stored."""

    def __init__(self):
        self.client = boto3.client(
            "secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.stub = Stubber(self.client)
        self.stub.activate()
        self.stored = []
        self.client.meta.events.register(
            "provide-client-params.secretsmanager.PutSecretValue",
            lambda params, **_: self.stored.append(params["SecretString"]),
        )

    def password(self, value=PASSWORD):
        self.stub.add_response(
            "get_secret_value", {"ARN": ADMIN_ARN, "SecretString": value}, {"SecretId": ADMIN_ARN}
        )

    def token(self, value):
        if value is None:  # the token secret was created with no value
            self.stub.add_client_error(
                "get_secret_value", "ResourceNotFoundException", expected_params={"SecretId": TOKEN_ARN}
            )
        else:
            self.stub.add_response(
                "get_secret_value", {"ARN": TOKEN_ARN, "SecretString": value}, {"SecretId": TOKEN_ARN}
            )

    def store(self, fail=False):
        expected = {"SecretId": TOKEN_ARN, "SecretString": ANY}
        if fail:
            self.stub.add_client_error("put_secret_value", "InternalServiceError", expected_params=expected)
        else:
            self.stub.add_response("put_secret_value", {"ARN": TOKEN_ARN}, expected)


@pytest.fixture
def secrets():
    s = Secrets()
    yield s
    s.stub.deactivate()


def config(server_url):
    return {
        "INFLUXDB_URL": server_url,
        "INFLUXDB_USERNAME": "admin",
        "INFLUXDB_ORG": "ons",
        "INFLUXDB_BUCKET": "ons-timeseries",
        "ADMIN_PASSWORD_SECRET_ARN": ADMIN_ARN,
        "TOKEN_SECRET_ARN": TOKEN_ARN,
        "WORKER_FUNCTION_NAME": "worker-fn",
        "STACK_ID": STACK_ID,
    }


def props(server_url, **overrides):
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:token",
        "Url": server_url,
        "Org": "ons",
        "Bucket": "ons-timeseries",
        "TokenSecretArn": TOKEN_ARN,
        **overrides,
    }


def event(request_type, p, old=None, **extra):
    e = {
        "RequestType": request_type,
        "ResponseURL": RESPONSE_URL,
        "StackId": STACK_ID,
        "RequestId": "request-1",
        "ResourceType": "Custom::InfluxDBToken",
        "LogicalResourceId": "InfluxDBApiToken",
        "ResourceProperties": p,
        **extra,
    }
    if request_type != "Create":
        e.setdefault("PhysicalResourceId", PHYSICAL_ID)
    if old is not None:
        e["OldResourceProperties"] = old
    return e


def live(influx):
    return [a for a in influx.state["authorizations"].values() if a["description"] == MARKER]


def only_live(influx, bucket_id=BUCKET_ID):
    """The one marked authorization, read and write on ``bucket_id``."""
    (auth,) = live(influx)
    assert auth["status"] == "active"
    assert {(p["action"], p["resource"]["id"]) for p in auth["permissions"]} == {
        ("read", bucket_id),
        ("write", bucket_id),
    }
    return auth


def posts(influx):
    return influx.state["calls"].count(("POST", "/api/v2/authorizations"))


def run(modules, influx, secrets, e, server_url=None):
    token, worker = modules
    lam = FakeLambda(worker)
    # The template sets the function's Org and Bucket to the resource's (its environment changes
    # with them, before the resource is updated): the configuration follows the request here.
    given = {k: e["ResourceProperties"][k] for k in ("Org", "Bucket") if k in e["ResourceProperties"]}
    configured = {
        **config(server_url or url(influx)),
        **{f"INFLUXDB_{k.upper()}": v for k, v in given.items()},
    }
    result = token.act(e, FakeContext(), configured, secrets.client, lam)
    secrets.stub.assert_no_pending_responses()
    return result, lam


def create(modules, influx, secrets):
    secrets.password()
    secrets.token(None)
    secrets.store()
    return run(modules, influx, secrets, event("Create", props(url(influx))))


def test_create_makes_one_marked_token_stores_it_and_answers_a_stable_id(modules, influx, secrets, capsys):
    (pid, data), lam = create(modules, influx, secrets)
    auth = only_live(influx)
    assert pid == PHYSICAL_ID and data == {"AuthorizationId": auth["id"]}
    assert secrets.stored == [auth["token"]]
    # The worker is sent the configured URL and the marker, never told to act elsewhere.
    assert {(c["action"], c["url"], c["description"]) for c in lam.calls} == {
        ("ensure", url(influx), MARKER),
        ("revoke", url(influx), MARKER),
    }
    out = capsys.readouterr()
    assert auth["token"] not in out.out + out.err and PASSWORD not in out.out + out.err


def test_create_waits_for_a_new_instance_before_the_first_sign_in(modules, influx, secrets, monkeypatch):
    token, _ = modules
    monkeypatch.setattr(token, "SETTLE", 30)
    slept = []
    monkeypatch.setattr(token.time, "sleep", lambda s: slept.append((s, len(influx.state["calls"]))))
    create(modules, influx, secrets)
    assert slept[0] == (30, 0)  # before any call to the instance


def test_a_create_retried_after_a_lost_post_answer_ends_with_one_token(modules, influx, secrets):
    # First attempt: the POST is applied, its answer lost, and the look-up fails: the create fails.
    influx.state["lose_posts"] = 1
    influx.state["then_fail"] = {("GET", "/api/v2/authorizations"): 3}
    secrets.password()
    secrets.token(None)
    with pytest.raises(RuntimeError, match="token worker, ensure: ApiError: GET /api/v2/authorizations"):
        run(modules, influx, secrets, event("Create", props(url(influx))))
    assert posts(influx) == 1 and len(live(influx)) == 1  # an orphan, marked
    # Lambda retries the request: one new token, stored; the orphan is revoked.
    orphan = live(influx)[0]["id"]
    create(modules, influx, secrets)
    auth = only_live(influx)
    assert auth["id"] != orphan and secrets.stored == [auth["token"]] and posts(influx) == 2


def test_a_lost_post_answer_that_can_be_looked_up_converges_at_once(modules, influx, secrets):
    influx.state["lose_posts"] = 1
    create(modules, influx, secrets)
    assert secrets.stored == [only_live(influx)["token"]] and posts(influx) == 1


def test_a_token_that_cannot_be_stored_is_revoked_and_the_request_fails(modules, influx, secrets):
    secrets.password()
    secrets.token(None)
    secrets.store(fail=True)
    with pytest.raises(Exception, match="InternalServiceError"):
        run(modules, influx, secrets, event("Create", props(url(influx))))
    assert posts(influx) == 1 and live(influx) == []


def update(modules, influx, secrets, stored, new=None, old=None, store=True):
    secrets.password()
    secrets.token(stored)
    if store:
        secrets.store()
    new = new or props(url(influx))
    return run(modules, influx, secrets, event("Update", new, old=old or props(url(influx))))


def test_an_update_that_changes_nothing_keeps_the_token(modules, influx, secrets):
    create(modules, influx, secrets)
    before = only_live(influx)
    (pid, data), _ = update(modules, influx, secrets, stored=before["token"], store=False)
    assert pid == PHYSICAL_ID and data == {"AuthorizationId": before["id"]}
    assert only_live(influx) == before and posts(influx) == 1 and secrets.stored == [before["token"]]


def test_an_update_after_the_token_was_revoked_makes_one_and_revokes_the_others(modules, influx, secrets):
    create(modules, influx, secrets)
    revoked = only_live(influx)
    del influx.state["authorizations"][revoked["id"]]  # revoked out of band
    stray = {**revoked, "id": "0000000000000042", "token": "stray"}  # marked, never stored
    influx.state["authorizations"][stray["id"]] = stray
    update(modules, influx, secrets, stored=revoked["token"])
    auth = only_live(influx)
    assert auth["id"] not in (revoked["id"], stray["id"]) and secrets.stored[-1] == auth["token"]


def test_an_update_and_its_rollback_end_with_one_token_on_the_old_bucket(modules, influx, secrets):
    create(modules, influx, secrets)
    first = only_live(influx)
    old, new = props(url(influx)), props(url(influx), Bucket="other")
    update(modules, influx, secrets, stored=first["token"], new=new, old=old)
    second = only_live(influx, OTHER_BUCKET_ID)
    assert secrets.stored[-1] == second["token"]
    # UPDATE_ROLLBACK: the old properties again.
    (pid, _), _ = update(modules, influx, secrets, stored=second["token"], new=old, old=new)
    third = only_live(influx, BUCKET_ID)
    assert pid == PHYSICAL_ID and secrets.stored[-1] == third["token"]
    assert third["id"] not in (first["id"], second["id"])


def test_a_new_url_is_a_new_instance_and_is_waited_for(modules, influx, secrets, monkeypatch):
    token, _ = modules
    create(modules, influx, secrets)
    monkeypatch.setattr(token, "SETTLE", 17)
    slept = []
    monkeypatch.setattr(token.time, "sleep", slept.append)
    update(modules, influx, secrets, stored=only_live(influx)["token"], store=False)
    assert 17 not in slept
    update(
        modules,
        influx,
        secrets,
        stored=only_live(influx)["token"],
        store=False,
        old=props("https://old:8086"),
    )
    assert 17 in slept


def test_delete_revokes_every_marked_authorization_and_nothing_else(modules, influx, secrets):
    create(modules, influx, secrets)
    operator = {**only_live(influx), "id": "0000000000000007", "description": "", "token": "op"}
    influx.state["authorizations"][operator["id"]] = operator
    influx.state["authorizations"]["0000000000000042"] = {
        **operator,
        "id": "0000000000000042",
        "description": MARKER,
    }
    secrets.password()
    result, _ = run(modules, influx, secrets, event("Delete", props(url(influx))))
    assert result == (None, {})
    assert live(influx) == [] and list(influx.state["authorizations"]) == [operator["id"]]


def test_delete_after_a_failed_create_revokes_what_the_create_left(modules, influx, secrets):
    influx.state["authorizations"]["0000000000000042"] = {
        "id": "0000000000000042",
        "token": "t",
        "status": "active",
        "description": MARKER,
        "orgID": ORG_ID,
        "permissions": [],
    }
    secrets.password()
    e = event("Delete", props(url(influx)), PhysicalResourceId=FakeContext.log_stream_name)
    assert run(modules, influx, secrets, e)[0] == (None, {})
    assert live(influx) == []


def test_delete_uses_the_current_url_not_the_requests(modules, influx, secrets):
    create(modules, influx, secrets)
    secrets.password()
    # The request names an instance replaced meanwhile; the current one is revoked on.
    run(modules, influx, secrets, event("Delete", props("https://replaced.example:8086")))
    assert live(influx) == []


def test_delete_with_the_instance_gone_succeeds(modules, secrets, capsys):
    secrets.password()
    gone = closed_port_url()
    result, lam = run(modules, None, secrets, event("Delete", props(gone)), server_url=gone)
    # Still a success (the deletion goes on), with the reason in the stack events.
    assert result[:2] == (None, {}) and [c["action"] for c in lam.calls] == ["revoke"]
    assert result[2].startswith("token not revoked (RuntimeError)")
    assert "not revoked: token worker, revoke: ApiError: POST /api/v2/signin" in capsys.readouterr().out


def test_the_delete_of_a_legacy_physical_id_revokes_only_that_authorization(modules, influx, secrets):
    """A stack made when the physical id was the authorization id: its first Update answers the
    stable id, and CloudFormation deletes the old one; the new, marked token lives on."""
    legacy = {
        "id": "0000000000000001",
        "token": "legacy",
        "status": "active",
        "description": "",
        "orgID": ORG_ID,
        "permissions": only_permissions(),
    }
    influx.state["authorizations"][legacy["id"]] = legacy
    update(modules, influx, secrets, stored="legacy")
    current = only_live(influx)
    secrets.password()
    e = event("Delete", props(url(influx)), PhysicalResourceId=legacy["id"])
    assert run(modules, influx, secrets, e)[0] == (None, {})
    assert list(influx.state["authorizations"]) == [current["id"]]


def only_permissions(bucket_id=BUCKET_ID):
    resource = {"type": "buckets", "id": bucket_id, "orgID": ORG_ID}
    return [{"action": a, "resource": resource} for a in ("read", "write")]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Url", "https://attacker.example:8086", "not this stack's Url"),
        ("TokenSecretArn", TOKEN_ARN.replace("token", "other"), "not this stack's TokenSecretArn"),
        # A token for another bucket or organization, stored where the clients read it: refused.
        ("Bucket", "someone-elses", "not this stack's Bucket"),
        ("Org", "other-org", "not this stack's Org"),
    ],
)
@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_request_naming_another_endpoint_bucket_or_secret_is_refused(
    modules, influx, secrets, field, value, message, request_type
):
    token, worker = modules
    lam = FakeLambda(worker)
    e = event(request_type, props(url(influx), **{field: value}), old=props(url(influx)))
    with pytest.raises(ValueError, match=message):
        token.act(e, FakeContext(), config(url(influx)), secrets.client, lam)
    assert lam.calls == [] and influx.state["calls"] == []  # no secret read, nothing invoked


def test_a_request_from_another_stack_is_refused(modules, influx, secrets):
    token, worker = modules
    lam = FakeLambda(worker)
    e = event("Delete", props(url(influx)), StackId=STACK_ID.replace("test", "other"))
    with pytest.raises(ValueError, match="another stack"):
        token.act(e, FakeContext(), config(url(influx)), secrets.client, lam)
    assert lam.calls == []


@pytest.mark.parametrize(
    ("response_url", "ok"),
    [
        (RESPONSE_URL, True),
        ("https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com/x", True),
        ("https://bucket.s3.cn-north-1.amazonaws.com.cn/x?sig=1", True),
        ("https://s3.amazonaws.com/bucket/x", True),
        ("http://bucket.s3.amazonaws.com/x", False),
        ("https://attacker.example/x", False),
        ("https://s3.amazonaws.com.attacker.example/x", False),
        ("https://bucket.s3.amazonaws.com@attacker.example/x", False),
        ("https://lambda.us-east-1.amazonaws.com/x", False),
        ("", False),
    ],
)
def test_the_response_url_must_be_an_https_s3_url(modules, response_url, ok):
    assert modules[0].response_url_ok(response_url) is ok


class Responses:
    """urllib's urlopen with PUTs to Amazon S3 recorded (and answered 200); the rest goes through."""

    def __init__(self, real):
        self.real, self.puts = real, []

    def __call__(self, req, *args, **kwargs):
        if isinstance(req, str) or ".amazonaws.com" not in req.full_url:
            return self.real(req, *args, **kwargs)
        self.puts.append((req.full_url, req.get_method(), json.loads(req.data)))
        return io.BytesIO(b"")


@pytest.fixture
def responses(monkeypatch):
    import urllib.request

    recorder = Responses(urllib.request.urlopen)
    monkeypatch.setattr(urllib.request, "urlopen", recorder)
    return recorder


@pytest.fixture
def handler_env(modules, influx, secrets, monkeypatch):
    token, worker = modules
    lam = FakeLambda(worker)
    for name, value in config(url(influx)).items():
        monkeypatch.setenv(name, value)
    clients = {"secretsmanager": secrets.client, "lambda": lam}
    monkeypatch.setattr(token.boto3, "client", lambda service, **_: clients[service])
    return token, lam


def test_the_handler_answers_cloudformation_on_s3_with_no_token(
    handler_env, influx, secrets, responses, capsys
):
    token, _ = handler_env
    secrets.password()
    secrets.token(None)
    secrets.store()
    assert token.handler(event("Create", props(url(influx))), FakeContext()) is True
    ((put_url, method, body),) = responses.puts
    assert (put_url, method) == (RESPONSE_URL, "PUT")
    auth = only_live(influx)
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == PHYSICAL_ID
    assert body["Data"] == {"AuthorizationId": auth["id"]}
    out = capsys.readouterr()
    assert auth["token"] not in json.dumps(body) + out.out + out.err


def test_a_foreign_response_url_gets_no_answer_and_nothing_is_done(handler_env, influx, responses):
    token, lam = handler_env
    e = event("Create", props(url(influx)), ResponseURL="https://attacker.example/x")
    assert token.handler(e, FakeContext()) is False
    assert responses.puts == [] and lam.calls == []


def test_a_refused_request_is_answered_failed(handler_env, influx, responses):
    token, lam = handler_env
    e = event("Create", props(url(influx), Url="https://attacker.example:8086"))
    token.handler(e, FakeContext())
    ((_, _, body),) = responses.puts
    assert body["Status"] == "FAILED" and "not this stack's Url" in body["Reason"]
    assert "attacker" not in body["Reason"] and lam.calls == []


def test_a_hanging_worker_still_gets_cloudformation_an_answer_in_time(
    handler_env, influx, secrets, responses
):
    from templates_src.timestream_influxdb.functions import cfn_response

    token, lam = handler_env
    margin = getattr(token, "MARGIN", cfn_response.MARGIN)
    lam.invoke = lambda **_: time.sleep(30)
    secrets.password()
    secrets.token(None)
    context = FakeContext(remaining_ms=(margin + 1) * 1000)
    started = time.monotonic()
    token.handler(event("Create", props(url(influx))), context)
    ((_, _, body),) = responses.puts
    assert body["Status"] == "FAILED" and "Lambda timeout" in body["Reason"]
    # Answered with the whole margin left for the PUT.
    assert time.monotonic() - started < 2 and context.get_remaining_time_in_millis() >= (margin - 1) * 1000


def test_a_worker_error_fails_the_request_with_its_message(modules, influx, secrets):
    token, _ = modules

    class Crashing:
        def invoke(self, **_):
            body = {"errorMessage": "Task timed out after 90.00 seconds", "errorType": "Sandbox.Timedout"}
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(body).encode()),
            }

    secrets.password()
    secrets.token(None)
    with pytest.raises(RuntimeError, match="token worker, ensure: Task timed out"):
        token.act(
            event("Create", props(url(influx))),
            FakeContext(),
            config(url(influx)),
            secrets.client,
            Crashing(),
        )


def test_the_answer_is_always_sent_the_margin_covers_the_worst_response_put(shipped):
    from templates_src.timestream_influxdb import influx_token
    from templates_src.timestream_influxdb.functions import cfn_response

    token, _ = shipped
    margin = getattr(token, "MARGIN", cfn_response.MARGIN)
    put_timeout = getattr(token, "PUT_TIMEOUT", cfn_response.PUT_TIMEOUT)
    put_tries = getattr(token, "PUT_TRIES", cfn_response.PUT_TRIES)
    assert margin > put_timeout * put_tries
    # The worker's own timeout ends before the token function stops waiting for it, and the
    # token function's timeout covers the wait, three invocations and the margin.
    assert influx_token.WORKER_TIMEOUT < token.INVOKE_TIMEOUT
    assert token.SETTLE + 3 * token.INVOKE_TIMEOUT + token.ACTIVATE_SECONDS + margin <= influx_token.TIMEOUT
    assert influx_token.WORKER_TIMEOUT + 15 <= token.INVOKE_TIMEOUT  # a VPC function's start
    assert token.INVOKE_CONFIG.read_timeout == token.INVOKE_TIMEOUT
    assert token.INVOKE_CONFIG.retries == {"total_max_attempts": 1}  # an invocation is never repeated
    assert token.SETTLE == 30


def test_the_template_gives_the_functions_these_timeouts(product):
    from templates_src.timestream_influxdb import influx_token

    resources = product["Resources"]
    assert resources["TokenFunction"]["Properties"]["Timeout"] == influx_token.TIMEOUT
    assert resources["TokenWorkerFunction"]["Properties"]["Timeout"] == influx_token.WORKER_TIMEOUT


class ColdLambda(FakeLambda):
    """A worker Lambda made Inactive by weeks without an invocation: the first invoke fails with
    ResourceNotReadyException (botocore's lambda model lists it for Invoke) and the function is
    Active again once waited for."""

    def __init__(self, worker, code="ResourceNotReadyException"):
        super().__init__(worker)
        self.code, self.waited, self.refused = code, [], 0

    def invoke(self, **kwargs):
        from botocore.exceptions import ClientError

        if not self.waited:
            self.refused += 1
            raise ClientError({"Error": {"Code": self.code, "Message": "Function is inactive"}}, "Invoke")
        return super().invoke(**kwargs)

    def get_waiter(self, name):
        assert name == "function_active_v2"
        lam = self

        class Waiter:
            def wait(self, FunctionName, WaiterConfig):
                assert FunctionName == lam.name and WaiterConfig["Delay"] * WaiterConfig["MaxAttempts"] >= 60
                lam.waited.append(FunctionName)

        return Waiter()


@pytest.mark.parametrize("code", ["ResourceNotReadyException", "ResourceConflictException"])
def test_an_inactive_worker_is_waited_for_and_invoked_again(modules, influx, secrets, code):
    token, worker = modules
    secrets.password()
    secrets.token(None)
    secrets.store()
    lam = ColdLambda(worker, code)
    (pid, data) = token.act(
        event("Create", props(url(influx))), FakeContext(), config(url(influx)), secrets.client, lam
    )
    assert lam.refused == 1 and lam.waited == ["worker-fn"]
    assert data == {"AuthorizationId": only_live(influx)["id"]} and posts(influx) == 1


def test_a_worker_error_other_than_not_ready_is_not_retried(modules, influx, secrets):
    token, worker = modules
    secrets.password()
    secrets.token(None)
    lam = ColdLambda(worker, "AccessDeniedException")
    with pytest.raises(Exception, match="AccessDeniedException"):
        token.act(
            event("Create", props(url(influx))), FakeContext(), config(url(influx)), secrets.client, lam
        )
    assert lam.refused == 1 and lam.waited == [] and posts(influx) == 0


def test_a_lost_answer_to_a_stored_token_keeps_it(modules, influx, secrets):
    """PutSecretValue applied but its answer lost: the secret holds the new token, which lives on."""
    token, worker = modules
    secrets.password()
    secrets.token(None)
    secrets.stub.add_client_error("put_secret_value", "InternalServiceError", "lost", 500)
    lam = FakeLambda(worker)
    new = {}

    def stored_after_all(arn):  # what GetSecretValue then shows: the token the write applied
        new["token"] = only_live(influx)["token"]
        return new["token"]

    original = token.stored_token
    calls = iter([original, lambda s, a: stored_after_all(a)])
    with pytest.MonkeyPatch.context() as m:
        m.setattr(token, "stored_token", lambda s, a: next(calls)(s, a))
        (pid, data) = token.act(
            event("Create", props(url(influx))), FakeContext(), config(url(influx)), secrets.client, lam
        )
    assert only_live(influx)["token"] == new["token"] and data == {"AuthorizationId": only_live(influx)["id"]}

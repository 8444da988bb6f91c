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
import botocore.exceptions
import pytest
from botocore.stub import ANY, Stubber

from conftest import FUNCTIONS, function_module, loaded_inlined_module, offline_client
from servers import FakeContext, FakeInflux, closed_port_url, quick_alarm, serve, url
from stack_status import StackStatus

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
    return token, loaded_inlined_module(rendered_product, FUNCTIONS["token_worker"])


def worker_call_of(function):
    """The globals the function's Worker runs with: the shared worker_call module's, or the
    inlined index.py's (where the shared code is part of the one module)."""
    return function.Worker.invoke.__globals__


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


class NotActiveLambda(FakeLambda):
    """The worker as Lambda has it after weeks idle: the first invocations fail with ``error`` (it is
    Inactive, or Pending while its network interface is made again) and do not run; GetFunction
    answers Pending, then Active. The waiter is botocore's, on a client under a Stubber."""

    def __init__(self, worker, error, refusals=1, states=("Pending", "Active")):
        super().__init__(worker)
        self.error, self.refusals, self.refused = error, refusals, 0
        self.client = boto3.client(
            "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.stub = Stubber(self.client)
        for state in states:
            configuration = {"FunctionName": self.name, "State": state}
            self.stub.add_response(
                "get_function", {"Configuration": configuration}, {"FunctionName": self.name}
            )
        self.stub.activate()

    def invoke(self, **kwargs):
        if self.refused < self.refusals:
            self.refused += 1
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": self.error, "Message": "not active"}}, "Invoke"
            )
        return super().invoke(**kwargs)

    def get_waiter(self, name):
        return self.client.get_waiter(name)


class Secrets:
    """A Secrets Manager client under a Stubber; ``stored`` records each token stored. The client is
    the process's one (``conftest.offline_client``): :meth:`close` takes the Stubber and the
    recording handler off it again."""

    STORE = "provide-client-params.secretsmanager.PutSecretValue"

    def __init__(self):
        self.client = offline_client("secretsmanager")
        self.stub = Stubber(self.client)
        self.stub.activate()
        self.stored = []
        self.client.meta.events.register(self.STORE, self._record)

    def _record(self, params, **_):
        self.stored.append(params["SecretString"])

    def close(self):
        self.stub.deactivate()
        self.client.meta.events.unregister(self.STORE, self._record)

    def password(self, value=PASSWORD):
        self.stub.add_response(
            "get_secret_value", {"ARN": ADMIN_ARN, "SecretString": value}, {"SecretId": ADMIN_ARN}
        )

    def token(self, value, previous=None, pending=None, labels=True):
        """The token secret's AWSCURRENT value, then (``labels``) its AWSPREVIOUS and AWSPENDING ones,
        as a Create or Update reads them; None: no such version (or no value)."""
        self._read(value, {"SecretId": TOKEN_ARN, "VersionStage": "AWSCURRENT"})
        if labels:
            self._read(previous, {"SecretId": TOKEN_ARN, "VersionStage": "AWSPREVIOUS"})
            self._read(pending, {"SecretId": TOKEN_ARN, "VersionStage": "AWSPENDING"})

    def _read(self, value, expected):
        if value is None:  # the token secret was created with no value, or has no such version
            self.stub.add_client_error(
                "get_secret_value", "ResourceNotFoundException", expected_params=expected
            )
        else:
            self.stub.add_response("get_secret_value", {"ARN": TOKEN_ARN, "SecretString": value}, expected)

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
    s.close()


def config(server_url, org="ons", bucket="ons-timeseries"):
    return {
        "INFLUXDB_URL": server_url,
        "INFLUXDB_USERNAME": "admin",
        "ADMIN_PASSWORD_SECRET_ARN": ADMIN_ARN,
        "TOKEN_SECRET_ARN": TOKEN_ARN,
        "ORG": org,
        "BUCKET": bucket,
        "WORKER_FUNCTION_NAME": "worker-fn",
        "STACK_ID": STACK_ID,
        "LOGICAL_RESOURCE_ID": "InfluxDBApiToken",
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


def configured_for(e, server_url):
    """The function's environment as the template sets it for the values a Create or Update names
    (the parameters give both); a Delete's properties may be older than the environment."""
    given = e["ResourceProperties"]
    if e["RequestType"] == "Delete":
        return config(server_url)
    return config(server_url, given["Org"], given["Bucket"])


def run(modules, influx, secrets, e, server_url=None, lam=None, stack=None):
    """``token.act`` on ``e``; ``stack`` answers DescribeStacks (default: a stack being deleted)."""
    token, worker = modules
    lam = lam or FakeLambda(worker)
    server_url = server_url or url(influx)
    stack = stack or StackStatus(STACK_ID)
    result = token.act(e, FakeContext(), configured_for(e, server_url), secrets.client, lam, stack)
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
    secrets.token(None, labels=False)  # read again: still no value, the store failed
    with pytest.raises(Exception, match="InternalServiceError"):
        run(modules, influx, secrets, event("Create", props(url(influx))))
    assert posts(influx) == 1 and live(influx) == []


class LostAnswerSecrets:
    """A Secrets Manager whose PutSecretValue stores the value and then raises (its answer lost)."""

    def __init__(self, stored):
        self.values = {ADMIN_ARN: PASSWORD, TOKEN_ARN: stored}
        self.exceptions = boto3.client(
            "secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        ).exceptions

    def get_secret_value(self, SecretId, VersionStage="AWSCURRENT"):
        if VersionStage != "AWSCURRENT":  # a secret never rotated: no other labelled version
            raise self.exceptions.ResourceNotFoundException(
                {"Error": {"Code": "ResourceNotFoundException"}}, "GetSecretValue"
            )
        return {"SecretString": self.values[SecretId]}

    def put_secret_value(self, SecretId, SecretString):
        self.values[SecretId] = SecretString
        raise ConnectionResetError("the answer was lost")


def test_a_token_stored_although_put_secret_value_raised_is_kept_and_the_old_one_revoked(
    modules, influx, secrets
):
    token, worker = modules
    create(modules, influx, secrets)
    old = only_live(influx)
    lost = LostAnswerSecrets(stored=old["token"])
    e = event("Update", props(url(influx), Bucket="other"), old=props(url(influx)))
    pid, data = token.act(e, FakeContext(), configured_for(e, url(influx)), lost, FakeLambda(worker))
    new = only_live(influx, OTHER_BUCKET_ID)
    # The secret holds the new token, and that one lives: the clients keep working.
    assert lost.values[TOKEN_ARN] == new["token"] and data == {"AuthorizationId": new["id"]}
    assert old["id"] not in influx.state["authorizations"]


def update(modules, influx, secrets, stored, new=None, old=None, store=True, previous=None, pending=None):
    secrets.password()
    secrets.token(stored, previous, pending)
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


def planted(influx, like, auth_id, token, bucket_id=BUCKET_ID):
    """A marked authorization like ``like``, read and write on ``bucket_id``: one a rotation made."""
    permissions = [{**p, "resource": {**p["resource"], "id": bucket_id}} for p in like["permissions"]]
    auth = {**like, "id": auth_id, "token": token, "permissions": permissions}
    influx.state["authorizations"][auth_id] = auth
    return auth


@pytest.mark.parametrize("label", ["previous", "pending"])
def test_an_update_keeps_the_tokens_of_the_rotation_labels_that_fit_the_bucket(
    modules, influx, secrets, label
):
    """AWSPREVIOUS: clients that cached it; AWSPENDING: a rotation in progress made it."""
    create(modules, influx, secrets)
    current = only_live(influx)
    kept = planted(influx, current, "00000000000000a1", "labelled-token")
    stray = planted(influx, current, "00000000000000a2", "stray-token")  # marked, held by no label
    (_, data), _ = update(
        modules, influx, secrets, stored=current["token"], store=False, **{label: kept["token"]}
    )
    assert data == {"AuthorizationId": current["id"]}
    assert sorted(a["id"] for a in live(influx)) == sorted([current["id"], kept["id"]])
    assert stray["id"] not in influx.state["authorizations"]


def test_a_labelled_token_of_another_bucket_is_not_kept(modules, influx, secrets):
    create(modules, influx, secrets)
    current = only_live(influx)
    elsewhere = planted(influx, current, "00000000000000a3", "old-bucket-token", OTHER_BUCKET_ID)
    update(modules, influx, secrets, stored=current["token"], store=False, previous=elsewhere["token"])
    assert only_live(influx) == current


def test_a_new_token_keeps_the_previous_one_and_revokes_the_unusable_current(modules, influx, secrets):
    """The token the secret holds was revoked out of band: a new one is stored (AWSCURRENT); the
    AWSPREVIOUS token of the last rotation stays for the clients that cached it."""
    create(modules, influx, secrets)
    current = only_live(influx)
    previous = planted(influx, current, "00000000000000a4", "previous-token")
    influx.state["authorizations"][current["id"]]["status"] = "inactive"
    update(modules, influx, secrets, stored=current["token"], previous=previous["token"])
    new = [a for a in live(influx) if a["token"] == secrets.stored[-1]]
    assert sorted(a["id"] for a in live(influx)) == sorted([new[0]["id"], previous["id"]])


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
    assert result[:2] == (None, {}) and [c["action"] for c in lam.calls] == ["revoke"]
    # Succeeds, saying in the answer's Reason (shown in the stack events) what was not revoked.
    assert "not revoked: token worker, revoke: ApiError: POST /api/v2/signin" in result[2]
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


@pytest.mark.parametrize(
    "status",
    ["DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    + ["UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"],
)
def test_a_delete_revokes_in_every_status_in_which_cloudformation_deletes(modules, influx, secrets, status):
    create(modules, influx, secrets)
    secrets.password()
    stack = StackStatus(STACK_ID, status)
    assert run(modules, influx, secrets, event("Delete", props(url(influx))), stack=stack)[0] == (None, {})
    assert live(influx) == [] and stack.calls == 1


@pytest.mark.parametrize("status", ["CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"])
def test_a_delete_sent_while_the_stack_deletes_nothing_revokes_nothing(modules, influx, secrets, status):
    """Anyone allowed to invoke the function can send it a Delete; CloudFormation sends one only
    while the stack deletes resources. A forged one must not cut every client off."""
    create(modules, influx, secrets)
    before = only_live(influx)
    calls = len(influx.state["calls"])
    stack = StackStatus(STACK_ID, status)
    result, lam = run(modules, influx, secrets, event("Delete", props(url(influx))), stack=stack)
    assert result[:2] == (None, {}) and f"the stack is {status}, not deleting" in result[2]
    assert only_live(influx) == before and lam.calls == [] and len(influx.state["calls"]) == calls


def test_a_delete_forged_during_another_resources_clean_up_revokes_nothing(modules, influx, secrets):
    """Every update has a clean-up phase; a Delete sent then for this resource, which
    CloudFormation is not deleting (its physical id is stable), must not revoke."""
    create(modules, influx, secrets)
    before = only_live(influx)
    stack = StackStatus(
        STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", resource=("UPDATE_COMPLETE", PHYSICAL_ID)
    )
    result, lam = run(modules, influx, secrets, event("Delete", props(url(influx))), stack=stack)
    assert "nothing was revoked: the resource is UPDATE_COMPLETE, not being deleted" in result[2]
    assert only_live(influx) == before and lam.calls == []
    # Nor with a made-up physical id: the stack's resource has another one, and it is not legacy.
    e = event("Delete", props(url(influx)), PhysicalResourceId="test-made-up")
    stack = StackStatus(
        STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", resource=("UPDATE_COMPLETE", PHYSICAL_ID)
    )
    assert "nothing was revoked" in run(modules, influx, secrets, e, stack=stack)[0][2]
    assert only_live(influx) == before


def test_a_delete_of_a_resource_gone_from_the_stack_revokes(modules, influx, secrets):
    """A resource removed by an update (InfluxDBToken given) is deleted in the clean-up phase."""
    create(modules, influx, secrets)
    secrets.password()
    stack = StackStatus(STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", resource=None)
    assert run(modules, influx, secrets, event("Delete", props(url(influx))), stack=stack)[0] == (None, {})
    assert live(influx) == []


def test_a_delete_whose_stack_status_is_unreadable_revokes_nothing(modules, influx, secrets):
    create(modules, influx, secrets)
    before = only_live(influx)
    stack = StackStatus(STACK_ID, error="AccessDenied")
    result, lam = run(modules, influx, secrets, event("Delete", props(url(influx))), stack=stack)
    assert "nothing was revoked: the stack's status is unreadable" in result[2]
    assert only_live(influx) == before and lam.calls == []


def only_permissions(bucket_id=BUCKET_ID):
    resource = {"type": "buckets", "id": bucket_id, "orgID": ORG_ID}
    return [{"action": a, "resource": resource} for a in ("read", "write")]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Url", "https://attacker.example:8086", "not this stack's Url"),
        ("TokenSecretArn", TOKEN_ARN.replace("token", "other"), "not this stack's TokenSecretArn"),
        ("Org", "another-org", "not this stack's Org"),
        ("Bucket", "other", "not this stack's Bucket"),
    ],
)
@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_request_naming_another_endpoint_or_secret_is_refused(
    modules, influx, secrets, field, value, message, request_type
):
    token, worker = modules
    lam = FakeLambda(worker)
    e = event(request_type, props(url(influx), **{field: value}), old=props(url(influx)))
    with pytest.raises(ValueError, match=message):
        token.act(e, FakeContext(), config(url(influx)), secrets.client, lam)
    assert lam.calls == [] and influx.state["calls"] == []  # no secret read, nothing invoked


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("StackId", STACK_ID.replace("test", "other"), "another stack"),
        ("LogicalResourceId", "OtherToken", "not this stack's token resource"),
    ],
)
def test_a_request_from_another_stack_or_resource_is_refused(
    modules, influx, secrets, request_type, field, value, message
):
    token, worker = modules
    create(modules, influx, secrets)
    before = only_live(influx)
    lam = FakeLambda(worker)
    e = event(request_type, props(url(influx)), old=props(url(influx)), **{field: value})
    with pytest.raises(ValueError, match=message):
        token.act(e, FakeContext(), config(url(influx)), secrets.client, lam)
    assert lam.calls == [] and only_live(influx) == before


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
    clients = {"secretsmanager": secrets.client, "lambda": lam, "cloudformation": StackStatus(STACK_ID)}
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
    handler_env, influx, secrets, responses, monkeypatch
):
    from templates_src.timestream_influxdb.functions import cfn_response

    token, lam = handler_env
    margin = getattr(token, "MARGIN", cfn_response.MARGIN)
    lam.invoke = lambda **_: time.sleep(30)
    # An alarm second passes in 50 ms; the alarm is armed for the time left but the margin, then
    # disarmed.
    alarm = quick_alarm(monkeypatch, token.run)
    secrets.password()
    secrets.token(None)
    context = FakeContext(remaining_ms=(margin + 1) * 1000)
    started = time.monotonic()
    token.handler(event("Create", props(url(influx))), context)
    ((_, _, body),) = responses.puts
    assert body["Status"] == "FAILED" and "Lambda timeout" in body["Reason"]
    # Answered with the whole margin left for the PUT.
    assert time.monotonic() - started < 2 and context.get_remaining_time_in_millis() >= (margin - 1) * 1000
    assert alarm.armed == [1, 0]


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
    # The worker's own timeout, and a cold start in the VPC (its initialization is not counted in
    # it), end before the token function stops waiting for it; the token function's timeout covers
    # the wait for a new instance, every invocation, the wait for an inactive worker and the margin.
    call = worker_call_of(token)
    assert call["INVOKE_TIMEOUT"] >= influx_token.WORKER_TIMEOUT + 15
    assert token.INVOCATIONS == 3
    waits = token.SETTLE + token.INVOCATIONS * call["INVOKE_TIMEOUT"] + call["ACTIVE_WAIT"]
    assert waits + margin <= influx_token.TIMEOUT
    assert (
        call["ACTIVE_WAIT"] >= 60 and call["ACTIVE_POLL"] * (call["ACTIVE_WAIT"] // call["ACTIVE_POLL"]) <= 90
    )
    # The client the function invokes its worker with is made with this configuration.
    assert token.INVOKE_CONFIG is call["INVOKE_CONFIG"]
    assert call["INVOKE_CONFIG"].read_timeout == call["INVOKE_TIMEOUT"]
    assert call["INVOKE_CONFIG"].retries == {"total_max_attempts": 1}  # an invocation is never repeated
    assert token.SETTLE == 30


def test_the_template_gives_the_functions_these_timeouts(product):
    from templates_src.timestream_influxdb import influx_token

    resources = product["Resources"]
    assert resources["TokenFunction"]["Properties"]["Timeout"] == influx_token.TIMEOUT
    assert resources["TokenWorkerFunction"]["Properties"]["Timeout"] == influx_token.WORKER_TIMEOUT
    # CloudFormation waits longer than the function may run (cfn-lint rule E9106).
    assert resources["InfluxDBApiToken"]["Properties"]["ServiceTimeout"] > influx_token.TIMEOUT


@pytest.mark.parametrize("error", ["ResourceNotReadyException", "ResourceConflictException"])
def test_an_inactive_worker_is_waited_for_and_invoked_again(modules, influx, secrets, monkeypatch, error):
    token, worker = modules
    monkeypatch.setitem(worker_call_of(token), "ACTIVE_POLL", 0)
    lam = NotActiveLambda(worker, error)
    secrets.password()
    secrets.token(None)
    secrets.store()
    run(modules, influx, secrets, event("Create", props(url(influx))), lam=lam)
    lam.stub.assert_no_pending_responses()  # GetFunction polled until Active
    assert lam.refused == 1 and [c["action"] for c in lam.calls] == ["ensure", "revoke"]
    assert secrets.stored == [only_live(influx)["token"]]


def test_a_worker_still_not_active_after_the_wait_fails_the_request(modules, influx, secrets, monkeypatch):
    token, worker = modules
    monkeypatch.setitem(worker_call_of(token), "ACTIVE_POLL", 0)
    lam = NotActiveLambda(worker, "ResourceNotReadyException", refusals=2)
    secrets.password()
    secrets.token(None)
    with pytest.raises(botocore.exceptions.ClientError, match="ResourceNotReadyException"):
        run(modules, influx, secrets, event("Create", props(url(influx))), lam=lam)
    assert lam.refused == 2 and lam.calls == [] and live(influx) == []


def test_other_invoke_errors_are_not_waited_for(modules, influx, secrets):
    token, worker = modules
    lam = NotActiveLambda(worker, "TooManyRequestsException", states=())
    secrets.password()
    secrets.token(None)
    with pytest.raises(botocore.exceptions.ClientError, match="TooManyRequestsException"):
        run(modules, influx, secrets, event("Create", props(url(influx))), lam=lam)
    assert lam.refused == 1


def test_the_waiter_and_the_errors_waited_for_are_botocores(shipped):
    """The waiter is in botocore's lambda waiters and polls GetFunction (granted on the worker);
    the errors waited for are among those botocore's model gives for Invoke."""
    token, _ = shipped
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    assert client.get_waiter("function_active_v2").config.operation == "GetFunction"
    invoke_errors = {shape.name for shape in client.meta.service_model.operation_model("Invoke").error_shapes}
    not_active = worker_call_of(token)["NOT_ACTIVE"]
    assert set(not_active) == {"ResourceNotReadyException", "ResourceConflictException"}
    assert set(not_active) <= invoke_errors


def test_a_delete_that_cannot_revoke_says_so_in_the_stack_events(
    handler_env, secrets, responses, monkeypatch
):
    token, _ = handler_env
    gone = closed_port_url()
    monkeypatch.setenv("INFLUXDB_URL", gone)
    secrets.password()
    assert token.handler(event("Delete", props(gone)), FakeContext()) is True
    ((_, _, body),) = responses.puts
    assert body["Status"] == "SUCCESS"
    assert "not revoked: token worker, revoke: ApiError: POST /api/v2/signin" in body["Reason"]

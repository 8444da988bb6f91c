"""functions/api_token.py against a local InfluxDB v2 API and a stubbed Secrets Manager.

The fake server implements what the function uses, as InfluxData documents it: POST
/api/v2/signin (Basic auth -> 204 and a session cookie), GET /api/v2/orgs?org=, GET
/api/v2/buckets?name=&orgID=, POST /api/v2/authorizations (201), DELETE
/api/v2/authorizations/{id} (204, 404 when unknown); every call but signin needs the cookie.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from botocore.stub import Stubber

from conftest import function_module
from servers import FakeContext, Quiet, ResponseReceiver, cfn_event, closed_port_url, serve, url


@pytest.fixture(params=["source", "inlined"])
def api_token(request, rendered_product):
    """functions/api_token.py, and the code the rendered template gives the token function."""
    return function_module(request, "api_token", rendered_product)


USER, PASSWORD = "admin", "Secret123"
ORG_ID, BUCKET_ID = "0a1b2c3d4e5f6071", "1122334455667788"
TOKEN = "tok3n-Abc_def=="
CREDS_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ons-development-influxdb-credentials-AbCdEf"
TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ons-development-influxdb-token-AbCdEf"
CREDS = {
    "username": USER,
    "password": PASSWORD,
    "url": "https://x:8086",
    "org": "ons",
    "bucket": "ons-timeseries",
    "token": "",
}


class FakeInflux(Quiet):
    """Enough of the InfluxDB v2 API; ``state`` holds authorizations and knobs for failures."""

    def session_ok(self) -> bool:
        return self.headers.get("Cookie") == "influxdb-oss-session=s3ss10n"

    def do_POST(self) -> None:
        state = self.server.state
        state.setdefault("calls", []).append(("POST", self.path))
        time.sleep(state.get("delay", 0))
        body = self.body()
        if self.path == "/api/v2/signin":
            expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                return self.reply(401, {"code": "unauthorized", "message": "unauthorized access"})
            return self.reply(
                204, headers={"Set-Cookie": "influxdb-oss-session=s3ss10n; Path=/api/; HttpOnly"}
            )
        if not self.session_ok():
            return self.reply(401, {"code": "unauthorized", "message": "unauthorized access"})
        if self.path == "/api/v2/authorizations":
            auth = json.loads(body)
            assert self.headers.get("Content-Type") == "application/json"
            state.setdefault("authorizations", {})["0f0f0f0f0f0f0f0f"] = auth
            return self.reply(201, {"id": "0f0f0f0f0f0f0f0f", "token": TOKEN, "status": "active", **auth})
        self.reply(404, {"code": "not found"})

    def do_GET(self) -> None:
        state = self.server.state
        state.setdefault("calls", []).append(("GET", self.path))
        if state.get("crash"):
            return self.reply(503, {"code": "unavailable"})
        if not self.session_ok():
            return self.reply(401, {"code": "unauthorized"})
        parsed = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        if parsed.path == "/api/v2/orgs":
            if query.get("org") != "ons":
                return self.reply(404, {"code": "not found", "message": "organization name not found"})
            return self.reply(200, {"orgs": [{"id": ORG_ID, "name": "ons"}]})
        if parsed.path == "/api/v2/buckets":
            found = query.get("name") == "ons-timeseries" and query.get("orgID") == ORG_ID
            return self.reply(
                200,
                {"buckets": [{"id": BUCKET_ID, "name": "ons-timeseries", "orgID": ORG_ID}] if found else []},
            )
        self.reply(404, {"code": "not found"})

    def do_DELETE(self) -> None:
        state = self.server.state
        state.setdefault("calls", []).append(("DELETE", self.path))
        if not self.session_ok():
            return self.reply(401, {"code": "unauthorized"})
        auth_id = self.path.rsplit("/", 1)[-1]
        if state.get("authorizations", {}).pop(auth_id, None) is None:
            return self.reply(404, {"code": "not found", "message": "authorization not found"})
        self.reply(204)


@pytest.fixture
def influx():
    with serve(FakeInflux, authorizations={}) as server:
        yield server


@pytest.fixture(autouse=True)
def fast_retries(api_token, monkeypatch):
    monkeypatch.setattr(api_token, "BACKOFF", 0)
    monkeypatch.setattr(api_token, "TIMEOUT", 2)


@pytest.fixture
def secrets():
    c = boto3.client(
        "secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(c) as stub:
        c.stub = stub
        yield c


def props(server_url, **overrides):
    return {
        "Url": server_url,
        "Org": "ons",
        "Bucket": "ons-timeseries",
        "CredentialsSecretArn": CREDS_ARN,
        "TokenSecretArn": TOKEN_ARN,
        **overrides,
    }


def expect_credentials(secrets, creds=CREDS):
    secrets.stub.add_response(
        "get_secret_value", {"ARN": CREDS_ARN, "SecretString": json.dumps(creds)}, {"SecretId": CREDS_ARN}
    )


def event(request_type, p, **extra):
    return {"RequestType": request_type, "ResourceProperties": p, **extra}


def test_create_makes_a_read_write_token_on_the_bucket_and_stores_it_in_both_secrets(
    api_token, influx, secrets, capsys
):
    expect_credentials(secrets)
    secrets.stub.add_response(
        "put_secret_value", {"ARN": TOKEN_ARN}, {"SecretId": TOKEN_ARN, "SecretString": TOKEN}
    )
    secrets.stub.add_response(
        "put_secret_value",
        {"ARN": CREDS_ARN},
        {"SecretId": CREDS_ARN, "SecretString": json.dumps({**CREDS, "token": TOKEN})},
    )
    pid, data = api_token.act(event("Create", props(url(influx))), FakeContext(), secrets)
    assert pid == "0f0f0f0f0f0f0f0f" and data == {"Token": TOKEN}
    secrets.stub.assert_no_pending_responses()
    (auth,) = influx.state["authorizations"].values()
    resource = {"type": "buckets", "id": BUCKET_ID, "orgID": ORG_ID}
    assert auth == {
        "orgID": ORG_ID,
        "permissions": [{"action": "read", "resource": resource}, {"action": "write", "resource": resource}],
    }
    assert [c[1].split("?")[0] for c in influx.state["calls"]] == [
        "/api/v2/signin",
        "/api/v2/orgs",
        "/api/v2/buckets",
        "/api/v2/authorizations",
    ]
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err and PASSWORD not in out.out + out.err


def test_the_handler_answers_cloudformation_with_the_token_hidden(
    api_token, influx, secrets, capsys, monkeypatch
):
    monkeypatch.setattr(api_token.boto3, "client", lambda *a, **k: secrets)
    expect_credentials(secrets)
    secrets.stub.add_response("put_secret_value", {"ARN": TOKEN_ARN})
    secrets.stub.add_response("put_secret_value", {"ARN": CREDS_ARN})
    with serve(ResponseReceiver) as receiver:
        api_token.handler(cfn_event("Create", url(receiver), props(url(influx))), FakeContext())
        (req,) = receiver.state["requests"]
    body = req["body"]
    assert body["Status"] == "SUCCESS" and body["NoEcho"] is True
    assert body["Data"] == {"Token": TOKEN} and body["PhysicalResourceId"] == "0f0f0f0f0f0f0f0f"
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err


def test_wrong_password_fails_with_401_and_stores_nothing(api_token, influx, secrets):
    expect_credentials(secrets, {**CREDS, "password": "Wrong1234"})
    with pytest.raises(RuntimeError, match=r"POST /api/v2/signin: 401") as err:
        api_token.act(event("Create", props(url(influx))), FakeContext(), secrets)
    assert "Wrong1234" not in str(err.value)
    secrets.stub.assert_no_pending_responses()  # no put_secret_value was expected or made


def test_missing_bucket_fails_and_creates_no_authorization(api_token, influx, secrets):
    expect_credentials(secrets)
    with pytest.raises(RuntimeError, match="buckets not found"):
        api_token.act(event("Create", props(url(influx), Bucket="nope")), FakeContext(), secrets)
    assert influx.state["authorizations"] == {}


def test_missing_organization_fails(api_token, influx, secrets):
    expect_credentials(secrets)
    with pytest.raises(RuntimeError, match=r"GET /api/v2/orgs: 404"):
        api_token.act(event("Create", props(url(influx), Org="other")), FakeContext(), secrets)


def test_server_down_fails_after_bounded_retries(api_token, secrets):
    expect_credentials(secrets)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"POST /api/v2/signin: (URLError|ConnectionRefusedError)"):
        api_token.act(event("Create", props(closed_port_url())), FakeContext(), secrets)
    assert time.monotonic() - started < 5


def test_server_errors_are_retried_then_reported(api_token, influx, secrets):
    influx.state["crash"] = True
    expect_credentials(secrets)
    with pytest.raises(RuntimeError, match=r"GET /api/v2/orgs: 503"):
        api_token.act(event("Create", props(url(influx))), FakeContext(), secrets)
    assert [c for c in influx.state["calls"] if c[0] == "GET"].__len__() == api_token.TRIES


def test_slow_server_times_out(api_token, influx, secrets, monkeypatch):
    monkeypatch.setattr(api_token, "TIMEOUT", 0.2)
    monkeypatch.setattr(api_token, "TRIES", 2)
    influx.state["delay"] = 1
    expect_credentials(secrets)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"POST /api/v2/signin: (TimeoutError|timeout|URLError)"):
        api_token.act(event("Create", props(url(influx))), FakeContext(), secrets)
    assert time.monotonic() - started < 3


def test_delete_revokes_the_authorization(api_token, influx, secrets):
    influx.state["authorizations"]["0f0f0f0f0f0f0f0f"] = {"orgID": ORG_ID}
    expect_credentials(secrets)
    result = api_token.act(
        event("Delete", props(url(influx)), PhysicalResourceId="0f0f0f0f0f0f0f0f"), FakeContext(), secrets
    )
    assert result == (None, {})
    assert influx.state["authorizations"] == {}
    assert ("DELETE", "/api/v2/authorizations/0f0f0f0f0f0f0f0f") in influx.state["calls"]


def test_delete_of_an_unknown_authorization_succeeds(api_token, influx, secrets):
    expect_credentials(secrets)
    assert api_token.act(
        event("Delete", props(url(influx)), PhysicalResourceId="ffffffffffffffff"), FakeContext(), secrets
    ) == (None, {})


def test_delete_when_the_instance_is_gone_succeeds(api_token, secrets):
    expect_credentials(secrets)
    result = api_token.act(
        event("Delete", props(closed_port_url()), PhysicalResourceId="0f0f0f0f0f0f0f0f"),
        FakeContext(),
        secrets,
    )
    assert result == (None, {})


def test_delete_after_a_failed_create_touches_nothing(api_token, influx, secrets):
    result = api_token.act(
        event("Delete", props(url(influx)), PhysicalResourceId=FakeContext.log_stream_name),
        FakeContext(),
        secrets,
    )
    assert result == (None, {})
    assert "calls" not in influx.state


def test_tls_verification_is_on_in_the_shipped_code(api_token):
    import ssl

    assert api_token.CONTEXT.verify_mode == ssl.CERT_REQUIRED
    assert api_token.CONTEXT.check_hostname is True


def test_a_failed_create_reaches_cloudformation_as_failed(api_token, influx, secrets, monkeypatch):
    monkeypatch.setattr(api_token.boto3, "client", lambda *a, **k: secrets)
    expect_credentials(secrets, {**CREDS, "password": "Wrong1234"})
    with serve(ResponseReceiver) as receiver:
        api_token.handler(cfn_event("Create", url(receiver), props(url(influx))), FakeContext())
        body = receiver.state["requests"][0]["body"]
    assert body["Status"] == "FAILED" and "401" in body["Reason"] and "Wrong1234" not in json.dumps(body)

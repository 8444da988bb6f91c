"""functions/token_worker.py against the local InfluxDB v2 fake (tests/servers.py).

The worker is a plain Lambda handler: its event is {action, url, username, password, org, bucket,
description, keep}; it answers a result or {"error": ...}, never a credential or token.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from conftest import function_module
from servers import FakeInflux, Redirecting, closed_port_url, serve, url

MARKER = "arn:aws:cloudformation:us-east-1:123456789012:stack/test/guid InfluxDBApiToken"
ORG_ID, BUCKET_ID = "0a1b2c3d4e5f6071", "1122334455667788"
OTHER_BUCKET_ID = "99887766554433aa"
PASSWORD = "Secret123"


@pytest.fixture(params=["source", "inlined"])
def worker(request, rendered_product, monkeypatch):
    """functions/token_worker.py, and the code the rendered template gives the worker function."""
    module = function_module(request, "token_worker", rendered_product)
    monkeypatch.setattr(module, "BACKOFF", 0)
    monkeypatch.setattr(module, "TIMEOUT", 2)
    return module


@pytest.fixture
def influx():
    with serve(FakeInflux, **FakeInflux.defaults()) as server:
        server.state["buckets"][(ORG_ID, "other")] = OTHER_BUCKET_ID
        yield server


def event(server_url, action="ensure", **fields):
    return {
        "action": action,
        "url": server_url,
        "username": "admin",
        "password": PASSWORD,
        "org": "ons",
        "bucket": "ons-timeseries",
        "description": MARKER,
        "keep": "",
        **fields,
    }


def read_write(bucket_id=BUCKET_ID):
    resource = {"type": "buckets", "id": bucket_id, "orgID": ORG_ID}
    return [{"action": "read", "resource": resource}, {"action": "write", "resource": resource}]


def plant(influx, auth_id, description=MARKER, permissions=None, token=None):
    auth = {
        "id": auth_id,
        "token": token or f"token-{auth_id}",
        "status": "active",
        "description": description,
        "orgID": ORG_ID,
        "permissions": permissions or read_write(),
    }
    influx.state["authorizations"][auth_id] = auth
    return auth


def posts(influx):
    return [c for c in influx.state["calls"] if c == ("POST", "/api/v2/authorizations")]


def test_ensure_makes_one_marked_read_write_authorization_on_the_bucket(worker, influx):
    result = worker.handler(event(url(influx)), None)
    (auth,) = influx.state["authorizations"].values()
    assert result == {"id": auth["id"], "token": auth["token"], "created": True}
    assert auth["description"] == MARKER and auth["orgID"] == ORG_ID
    assert auth["permissions"] == read_write()
    assert [c[1] for c in influx.state["calls"]] == [
        "/api/v2/signin",
        "/api/v2/orgs",
        "/api/v2/buckets",
        "/api/v2/authorizations",
        "/api/v2/authorizations",
    ]


def test_ensure_keeps_the_stored_token_and_revokes_the_other_marked_ones_only(worker, influx):
    kept = plant(influx, "0000000000000001")
    plant(influx, "0000000000000002")  # marked, not stored: a leftover
    operator = plant(influx, "0000000000000003", description="", permissions=read_write())
    other_stack = plant(influx, "0000000000000004", description="another-stack InfluxDBApiToken")
    result = worker.handler(event(url(influx), keep=kept["token"]), None)
    assert result == {"id": kept["id"], "token": kept["token"], "created": False}
    assert set(influx.state["authorizations"]) == {kept["id"], operator["id"], other_stack["id"]}
    assert posts(influx) == []


@pytest.mark.parametrize(
    "change",
    [{"permissions": read_write(OTHER_BUCKET_ID)}, {"status": "inactive"}, {"description": "other"}],
    ids=["other-bucket", "inactive", "not-marked"],
)
def test_a_stored_token_that_does_not_fit_is_replaced_by_a_new_one(worker, influx, change):
    stored = plant(influx, "0000000000000001")
    stored.update(change)
    result = worker.handler(event(url(influx), keep=stored["token"]), None)
    assert result["created"] is True and result["token"] != stored["token"]
    assert len(posts(influx)) == 1
    # The caller revokes the rest once the new token is stored: nothing is revoked yet.
    assert stored["id"] in influx.state["authorizations"]


def test_revoke_revokes_every_marked_authorization_but_the_kept_one(worker, influx):
    kept = plant(influx, "0000000000000001")
    plant(influx, "0000000000000002")
    plant(influx, "0000000000000003", description="")
    result = worker.handler(event(url(influx), "revoke", keep=kept["token"]), None)
    assert result == {"revoked": ["0000000000000002"]}
    assert set(influx.state["authorizations"]) == {"0000000000000001", "0000000000000003"}
    assert worker.handler(event(url(influx), "revoke"), None) == {"revoked": ["0000000000000001"]}
    assert set(influx.state["authorizations"]) == {"0000000000000003"}


def test_an_empty_marker_selects_nothing(worker, influx):
    plant(influx, "0000000000000001", description="")
    result = worker.handler(event(url(influx), "revoke", description=""), None)
    assert result["error"].startswith("ValueError: no marker")
    assert "0000000000000001" in influx.state["authorizations"]


def test_revoke_ids_revokes_only_an_unmarked_read_write_authorization_on_the_bucket(worker, influx):
    legacy = plant(influx, "0000000000000001", description="")
    org_admin = [{"action": a, "resource": {"type": "orgs", "id": ORG_ID}} for a in ("read", "write")]
    everything = plant(influx, "0000000000000002", description="", permissions=org_admin)
    marked = plant(influx, "0000000000000003")
    ids = [legacy["id"], everything["id"], marked["id"], "00000000000000ff"]
    assert worker.handler(event(url(influx), "revoke_ids", ids=ids), None) == {"revoked": [legacy["id"]]}
    assert set(influx.state["authorizations"]) == {everything["id"], marked["id"]}


def test_a_lost_post_answer_is_not_repeated_and_the_authorization_is_adopted(worker, influx):
    influx.state["lose_posts"] = 1
    result = worker.handler(event(url(influx)), None)
    (auth,) = influx.state["authorizations"].values()
    assert result == {"id": auth["id"], "token": auth["token"], "created": True}
    assert len(posts(influx)) == 1


def test_a_lost_post_answer_that_cannot_be_looked_up_fails_without_a_second_post(worker, influx):
    influx.state["lose_posts"] = 1
    # The look-up after the lost answer fails on every try.
    influx.state["then_fail"] = {("GET", "/api/v2/authorizations"): worker.TRIES}
    result = worker.handler(event(url(influx)), None)
    assert result == {"error": "ApiError: GET /api/v2/authorizations: 503"}
    assert len(posts(influx)) == 1
    # The orphan carries the marker: the next operation finds and revokes it.
    (orphan,) = influx.state["authorizations"].values()
    assert orphan["description"] == MARKER
    influx.state["fail"] = {}
    assert worker.handler(event(url(influx), "revoke"), None) == {"revoked": [orphan["id"]]}


def test_a_failed_post_is_not_repeated(worker, influx):
    influx.state["fail"] = {("POST", "/api/v2/authorizations"): 1}
    result = worker.handler(event(url(influx)), None)
    assert result == {"error": "ApiError: POST /api/v2/authorizations: 503"}
    assert len(posts(influx)) == 1 and influx.state["authorizations"] == {}


def test_wrong_password_is_a_401_and_names_no_credential(worker, influx):
    result = worker.handler(event(url(influx), password="Wrong1234"), None)
    assert result == {"error": "ApiError: POST /api/v2/signin: 401"}
    assert influx.state["authorizations"] == {}


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"org": "other"}, "orgs not found"), ({"bucket": "nope"}, "buckets not found")],
    ids=["org", "bucket"],
)
def test_an_unknown_org_or_bucket_fails_and_makes_nothing(worker, influx, fields, message):
    result = worker.handler(event(url(influx), **fields), None)
    assert result["error"].startswith("LookupError: " + message)
    assert posts(influx) == []


def test_server_down_fails_after_bounded_retries(worker):
    started = time.monotonic()
    result = worker.handler(event(closed_port_url()), None)
    assert result["error"].startswith("ApiError: POST /api/v2/signin: ")
    assert time.monotonic() - started < 5


def test_server_errors_are_retried_then_reported(worker, influx):
    influx.state["fail"] = {("GET", "/api/v2/orgs"): 10}
    assert worker.handler(event(url(influx)), None) == {"error": "ApiError: GET /api/v2/orgs: 503"}
    assert influx.state["calls"].count(("GET", "/api/v2/orgs")) == worker.TRIES


def test_slow_server_times_out(worker, influx, monkeypatch):
    monkeypatch.setattr(worker, "TIMEOUT", 0.05)
    monkeypatch.setattr(worker, "TRIES", 2)
    influx.state["delay"] = 1
    started = time.monotonic()
    assert "POST /api/v2/signin" in worker.handler(event(url(influx)), None)["error"]
    assert time.monotonic() - started < 3


def test_no_result_or_error_carries_a_credential(worker, influx):
    stored = plant(influx, "0000000000000001")
    outputs = [
        worker.handler(event(url(influx), password="Wrong1234"), None),
        worker.handler(event(url(influx), bucket="nope", keep=stored["token"]), None),
        worker.handler(event(url(influx), "unknown"), None),
    ]
    text = json.dumps(outputs)
    assert "Wrong1234" not in text and PASSWORD not in text and stored["token"] not in text


def test_tls_verification_is_on_in_the_shipped_code(worker):
    import ssl

    assert worker.CONTEXT.verify_mode == ssl.CERT_REQUIRED
    assert worker.CONTEXT.check_hostname is True


def test_one_opener_serves_every_request_made_with_a_tls_context(worker, influx, monkeypatch):
    """A warm Lambda environment builds its opener once, and the kept opener still refuses a
    redirect."""
    openers = worker.open_once.__globals__["OPENERS"]
    openers.clear()
    built = []
    build = urllib.request.build_opener
    monkeypatch.setattr(urllib.request, "build_opener", lambda *h: built.append(h) or build(*h))
    assert "error" not in worker.handler(event(url(influx)), None)
    assert len(influx.state["calls"]) > 1 and len(built) == 1 and list(openers) == [worker.CONTEXT]
    with serve(Redirecting) as elsewhere, serve(Redirecting, status=302) as moved:
        moved.state["location"] = url(elsewhere) + "/api/v2/signin"
        assert worker.handler(event(url(moved)), None) == {"error": "ApiError: POST /api/v2/signin: 302"}
    assert "calls" not in elsewhere.state and len(built) == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_refused_and_the_password_goes_nowhere_else(worker, status):
    """urllib would follow a redirect with the Authorization header, to any host; the worker
    reports the 3xx instead and the other server is never called."""
    with serve(Redirecting) as elsewhere, serve(Redirecting, status=status) as influx:
        influx.state["location"] = url(elsewhere) + "/api/v2/signin"
        result = worker.handler(event(url(influx)), None)
    assert result == {"error": f"ApiError: POST /api/v2/signin: {status}"}
    assert len(influx.state["calls"]) == 1 and "calls" not in elsewhere.state


def test_an_answer_over_the_size_limit_is_not_read(worker):
    with serve(Redirecting, body_bytes=worker.read_body.__globals__["MAX_BODY"] + 10) as influx:
        result = worker.handler(event(url(influx)), None)
    assert result["error"].startswith("ApiError: POST /api/v2/signin: HTTPException")

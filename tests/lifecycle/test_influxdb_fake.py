"""The InfluxDB v2 fake answers as InfluxDB OSS v2.7 does, keeps state, and fails on demand."""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import urllib.error
import urllib.request

import pytest

from lifecycle.influxdb import SESSION_COOKIE, InfluxDB


@pytest.fixture
def influx():
    with InfluxDB() as server:
        yield server


def call(influx, method, path, body=None, headers=None, timeout=5):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(influx.url + path, data, dict(headers or {}), method=method)
    # A TLS context made now reads SSL_CERT_FILE now, as a worker's does when it loads. urlopen's own
    # opener, made at its first call, keeps the context it made then on Python 3.12 and later.
    context = ssl.create_default_context() if influx.url.startswith("https:") else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None), response.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), e.headers


def signin(influx, password="secret-password"):
    basic = base64.b64encode(f"admin:{password}".encode()).decode()
    return call(influx, "POST", "/api/v2/signin", headers={"Authorization": f"Basic {basic}"})


@pytest.fixture
def session(influx):
    status, _, headers = signin(influx)
    assert status == 204
    cookie = headers["Set-Cookie"].split(";")[0]
    assert cookie.startswith(SESSION_COOKIE + "=")
    return {"Cookie": cookie}


def org_id(influx, session):
    return call(influx, "GET", "/api/v2/orgs?org=myorg", headers=session)[1]["orgs"][0]["id"]


def permission(org, bucket_id):
    return [
        {"action": a, "resource": {"type": "buckets", "id": bucket_id, "orgID": org}}
        for a in ("read", "write")
    ]


def test_bad_credentials_and_no_session_are_unauthorized(influx):
    assert signin(influx, "wrong")[:2] == (401, {"code": "unauthorized", "message": "unauthorized access"})
    assert call(influx, "GET", "/api/v2/orgs")[0] == 401


def test_unknown_org_and_bucket_are_not_found(influx, session):
    status, body, _ = call(influx, "GET", "/api/v2/orgs?org=nope", headers=session)
    assert (status, body["code"]) == (404, "not found")
    org = org_id(influx, session)
    status, body, _ = call(influx, "GET", f"/api/v2/buckets?name=nope&orgID={org}", headers=session)
    assert (status, body) == (404, {"code": "not found", "message": 'bucket "nope" not found'})


def test_authorizations_are_created_listed_with_tokens_and_revoked(influx, session):
    org = org_id(influx, session)
    bucket = call(influx, "GET", f"/api/v2/buckets?name=mybucket&orgID={org}", headers=session)[1]["buckets"][
        0
    ]
    body = {"orgID": org, "description": "stack Token", "permissions": permission(org, bucket["id"])}
    first = call(influx, "POST", "/api/v2/authorizations", body, session)
    second = call(influx, "POST", "/api/v2/authorizations", body, session)
    assert first[0] == second[0] == 201
    assert first[1]["token"] != second[1]["token"]  # POST is not idempotent
    listed = call(influx, "GET", f"/api/v2/authorizations?orgID={org}", headers=session)[1]["authorizations"]
    assert {a["token"] for a in listed} == {first[1]["token"], second[1]["token"]}
    token = {"Authorization": "Token " + first[1]["token"]}
    assert call(influx, "GET", "/api/v2/orgs?org=myorg", headers=token)[0] == 200
    assert call(influx, "DELETE", f"/api/v2/authorizations/{first[1]['id']}", headers=session)[0] == 204
    assert call(influx, "DELETE", f"/api/v2/authorizations/{first[1]['id']}", headers=session)[:2] == (
        404,
        {"code": "not found", "message": "authorization not found"},
    )
    assert call(influx, "GET", "/api/v2/orgs?org=myorg", headers=token)[0] == 401
    assert [a["token"] for a in influx.live("stack Token")] == [second[1]["token"]]


def test_invalid_requests_are_rejected(influx, session):
    org = org_id(influx, session)
    assert call(influx, "GET", "/api/v2/authorizations/xyz", headers=session)[:2] == (
        400,
        {"code": "invalid", "message": "invalid ID"},
    )
    assert (
        call(influx, "POST", "/api/v2/authorizations", b"{", session)[1]["message"]
        == "invalid json structure"
    )
    no_perms = call(influx, "POST", "/api/v2/authorizations", {"orgID": org, "permissions": []}, session)
    assert no_perms[:2] == (400, {"code": "invalid", "message": "authorization must include permissions"})
    no_org = call(
        influx, "POST", "/api/v2/authorizations", {"permissions": permission(org, "0" * 15 + "1")}, session
    )
    assert no_org[1]["message"] == "org id required"


def test_patch_deactivates_and_describes(influx, session):
    auth = influx.add_authorization("old")
    status, body, _ = call(
        influx,
        "PATCH",
        f"/api/v2/authorizations/{auth['id']}",
        {"status": "inactive", "description": "new"},
        session,
    )
    assert (status, body["status"], body["description"]) == (200, "inactive", "new")
    assert not influx.valid(auth["token"]) and influx.live() == []


def test_a_lost_response_still_does_the_work(influx, session):
    org = org_id(influx, session)
    influx.lose(1)
    body = {"orgID": org, "description": "marker", "permissions": permission(org, "0" * 15 + "1")}
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        call(influx, "POST", "/api/v2/authorizations", body, session)
    assert len(influx.live("marker")) == 1


def test_a_lost_response_can_be_one_of_a_method_and_path(influx, session):
    org = org_id(influx, session)
    influx.lose(1, "POST", "/api/v2/authorizations")
    assert call(influx, "GET", "/api/v2/authorizations", headers=session)[0] == 200  # not this one
    body = {"orgID": org, "description": "marker", "permissions": permission(org, "0" * 15 + "1")}
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        call(influx, "POST", "/api/v2/authorizations", body, session)
    assert call(influx, "POST", "/api/v2/authorizations", body, session)[0] == 201  # only one lost
    assert len(influx.live("marker")) == 2


def test_reset_forgets_what_tests_did_and_keeps_the_organizations(influx, session):
    org = org_id(influx, session)
    influx.add_authorization("marker")
    influx.lose(3)
    influx.down()
    influx.reset()
    assert influx.live() == [] and influx.requests == [] and influx.sessions == {}
    status, _, headers = signin(influx)  # up again, nothing lost
    assert status == 204 and org_id(influx, {"Cookie": headers["Set-Cookie"].split(";")[0]}) == org


def test_slow_down_and_restart(influx, session):
    influx.slow = 0.5
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        call(influx, "GET", "/api/v2/orgs", headers=session, timeout=0.1)
    influx.slow = 0
    kept = influx.add_authorization("kept")
    influx.down()
    with pytest.raises(urllib.error.URLError) as refused:
        call(influx, "GET", "/api/v2/orgs", headers=session)
    assert isinstance(refused.value.reason, ConnectionRefusedError)
    influx.up()
    assert call(influx, "GET", "/api/v2/orgs", headers=session)[0] == 401  # sessions are gone
    assert influx.valid(kept["token"])  # authorizations are not


def test_tls_is_verified_against_its_certificate_file(monkeypatch):
    with InfluxDB(tls=True) as server:
        assert server.url.startswith("https://localhost:")
        with pytest.raises(urllib.error.URLError) as untrusted:
            call(server, "GET", "/api/v2/orgs")
        assert isinstance(untrusted.value.reason, ssl.SSLCertVerificationError)
        monkeypatch.setenv("SSL_CERT_FILE", server.cafile)
        assert signin(server)[0] == 204

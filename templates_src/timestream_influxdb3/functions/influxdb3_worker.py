"""InfluxDB 3 worker: the HTTP calls of the database resource, run in the VPC beside the cluster.

A plain Lambda handler, invoked synchronously by the database function
(functions/influxdb3_database.py), which runs outside the VPC, reads and writes the secrets and
answers CloudFormation. This function calls no AWS API: the subnets need no route out of the VPC.

The event: {action, url, admin_token, database, token_name}. Every request carries the header
``Authorization: Bearer <admin_token>`` (InfluxDB 3 accepts the schemes Bearer, Token and Basic).

"database": ``POST /api/v3/configure/database`` with {"db": database} (Content-Type
application/json, which the server requires). 200 means created; 409 means it exists, and it is
adopted (InfluxDB 3's OpenAPI: "409 Database already exists"). Returns {"created": bool}.

"token" (InfluxDB 3 Enterprise only): ONE resource token named ``token_name``, read and write on
``database`` only, with no expiry: ``POST /api/v3/enterprise/configure/token``. The body's key for
the database names is not settled: the Enterprise OpenAPI's schema PermissionDetailsApi names it
``resource_names``, the documentation's example ``resource_identifier``, and the Enterprise
server's source is not public. The OpenAPI's key is sent first; a 400 or 422 answer (the request
was refused, so nothing was made) is followed by one request with the example's key. A 409 (a
token of that name exists: an earlier attempt whose answer was lost, or the token a rollback
replaces) deletes that token and makes it again, once. Returns {"token", "key"} (``key``: the
body key the server took).

"revoke": ``DELETE /api/v3/configure/token?token_name=<token_name>``; 404 counts as revoked (it is
gone). Returns {"revoked": bool}.

Every error comes back as {"error": "<type>: <method> <path>: <status>"}; never a token: the event
carries the admin token and is never logged.
"""

import http.client
import json
import ssl
import time
import urllib.parse
import urllib.request

from .http_once import open_once, read_body

TIMEOUT, TRIES, BACKOFF = 10, 3, 2
# Verifies the endpoint's public certificate; tests give a plain-HTTP URL instead.
CONTEXT = ssl.create_default_context()
DATABASE_PATH = "/api/v3/configure/database"
TOKEN_PATH = "/api/v3/enterprise/configure/token"
DELETE_TOKEN_PATH = "/api/v3/configure/token"
#: The body keys for the database names, in the order tried (see the module docstring).
NAME_KEYS = ("resource_names", "resource_identifier")
#: Statuses of a request the server refused as malformed: it was not applied.
MALFORMED = (400, 422)


class ApiError(RuntimeError):
    """A failed request: ``status`` is the HTTP status, 0 when no answer came (network error)."""

    def __init__(self, method, path, status, cause=""):
        # The path without its query, the status or error type: never a credential.
        super().__init__(f"{method} {path.split('?')[0]}: {status or cause}")
        self.status = status


def client(url, token):
    """``call(method, path, body=None)`` -> (status, JSON answer or None), the admin token sent.

    Retries 5xx answers and network errors ``TRIES`` times; raises ApiError on the rest (each
    caller decides which 4xx statuses are answers)."""

    def call(method, path, body=None, expected=(200, 201, 204)):
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url + path, data, headers, method=method)
        for attempt in range(TRIES):
            try:
                with open_once(req, TIMEOUT, CONTEXT) as r:
                    text = read_body(r)
                    return r.status, (json.loads(text) if text.strip() else None)
            # HTTPError (with a code), URLError, timeouts, TLS errors; a cut answer (IncompleteRead).
            except (OSError, http.client.HTTPException) as e:
                status = getattr(e, "code", 0) or 0
                if status in expected:
                    return status, None
                if 0 < status < 500 or attempt == TRIES - 1:
                    raise ApiError(method, path, status, type(e).__name__) from None
            time.sleep(BACKOFF * (attempt + 1))

    return call


def database(call, event):
    status, _ = call("POST", DATABASE_PATH, {"db": event["database"]}, expected=(200, 201, 204, 409))
    return {"created": status != 409}


def token_body(event, key):
    permission = {"resource_type": "db", key: [event["database"]], "actions": ["read", "write"]}
    return {"token_name": event["token_name"], "permissions": [permission], "expiry_secs": None}


def mint(call, event):
    """The token, trying the body keys in order; raises ApiError 409 when the name exists."""
    for key in NAME_KEYS:
        try:
            _, answer = call("POST", TOKEN_PATH, token_body(event, key), expected=(200, 201))
        except ApiError as e:
            if e.status in MALFORMED and key != NAME_KEYS[-1]:
                continue
            raise
        if not isinstance(answer, dict) or not answer.get("token"):
            raise ValueError(f"POST {TOKEN_PATH}: the answer has no token")
        return {"token": answer["token"], "key": key}
    raise AssertionError("unreachable")


def revoke(call, event):
    query = urllib.parse.urlencode({"token_name": event["token_name"]})
    status, _ = call("DELETE", f"{DELETE_TOKEN_PATH}?{query}", expected=(200, 204, 404))
    return {"revoked": status != 404}


def token(call, event):
    if not event.get("token_name"):
        raise ValueError("no token name")
    try:
        return mint(call, event)
    except ApiError as e:
        if e.status != 409:
            raise
    # A token of this name exists: its value cannot be read back (the server keeps a hash only).
    revoke(call, event)
    return mint(call, event)


ACTIONS = {"database": database, "token": token, "revoke": revoke}


def handler(event, context):
    try:
        action = ACTIONS[event["action"]]
        return action(client(event["url"], event["admin_token"]), event)
    except Exception as e:  # the caller decides; the message names no credential
        return {"error": f"{type(e).__name__}: {e}"}

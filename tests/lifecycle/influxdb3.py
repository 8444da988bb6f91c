"""A stateful fake of the InfluxDB 3 HTTP API, as far as the InfluxDB 3 database resource uses it.

Modelled on the open-source server (influxdata/influxdb, influxdb3_server/src/http.rs) and the Core
and Enterprise OpenAPI documents:
- authentication: ``Authorization: Bearer <token>`` (or ``Token``); without the admin token, 401
  with a JSON ``{"error": ...}`` body;
- ``POST /api/v3/configure/database`` {"db": name}: the body must be JSON (415 otherwise, as the
  server's read_body_json refuses other content types), an invalid name is 400, an existing
  database 409, a new one 200 with an empty body;
- ``POST /api/v3/enterprise/configure/token`` (Enterprise only; 404 on Core, which has no such
  route): {"token_name", "permissions": [{"resource_type", <names key>, "actions"}], "expiry_secs"}.
  The key naming the databases is ``accepted_key`` (the OpenAPI's ``resource_names`` unless a test
  sets the documentation example's ``resource_identifier``): a body without it is 400, as a
  refused deserialization. A name in use is 409; otherwise 201 with {id, name, token, hash,
  created_at, expiry};
- ``DELETE /api/v3/configure/token?token_name=X``: 200, or 404 for an unknown name.

:func:`cluster_updates` models what the harness does not run: the UpdateDbCluster calls
CloudFormation makes for the cluster in a stack update, by its dependencies.

Switches: :meth:`lose` (carried out, answered by a dropped connection). Not modelled: databases'
deletion, retention periods, tables, writes and queries, token expiry, the admin-token endpoints
(``/api/v3/configure/token/admin``), named admin tokens, roles and users, TLS client details
beyond a self-signed certificate, the server's exact error texts (only their statuses matter).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

from lifecycle.influxdb import _self_signed, _Server
from servers import stop

DATABASE = "/api/v3/configure/database"
TOKEN = "/api/v3/enterprise/configure/token"
DELETE_TOKEN = "/api/v3/configure/token"
#: InfluxDB 3's OpenAPI database-name pattern.
NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$|^[a-zA-Z0-9]$")


class InfluxDB3:
    """The server's state and switches; ``url`` while it is up. A context manager."""

    def __init__(self, engine: str = "Enterprise", admin_token: str = "apiv3_admin", tls: bool = True):
        self.engine, self.admin_token, self.tls = engine, admin_token, tls
        self.accepted_key = "resource_names"
        self.databases: set[str] = set()
        self.tokens: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lose: tuple[int, str | None, str | None] = (0, None, None)
        self.lock = threading.Lock()
        self.cafile: str | None = None
        self.port = 0
        self._server = None

    def __enter__(self) -> InfluxDB3:
        server = _Server(("127.0.0.1", 0), _Handler)
        if self.tls:
            import ssl

            self.cafile = _self_signed()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cafile)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        server.influx = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        stop(self._server, self._thread)
        if self.cafile:
            import os

            os.unlink(self.cafile)

    def reset(self, engine: str = "Enterprise") -> None:
        with self.lock:
            self.engine, self.accepted_key = engine, "resource_names"
            self.databases.clear()
            self.tokens.clear()
            self.requests.clear()
            self._lose = (0, None, None)

    def lose(self, n: int = 1, method: str | None = None, path: str | None = None) -> None:
        self._lose = (n, method, path)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}" if self.tls else f"http://127.0.0.1:{self.port}"

    def token_for(self, value: str) -> dict[str, Any] | None:
        """The token (with its name) whose value is ``value``, or None."""
        return next(({"name": n, **t} for n, t in self.tokens.items() if t["token"] == value), None)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    @property
    def influx(self) -> InfluxDB3:
        return self.server.influx  # type: ignore[attr-defined]

    def _answer(self, status: int, body: Any = None) -> None:
        influx, path = self.influx, urllib.parse.urlsplit(self.path).path
        n, method, only = influx._lose
        if n and method in (None, self.command) and only in (None, path):
            influx._lose = (n - 1, method, only)
            self.close_connection = True
            self.connection.close()
            return
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def _authorized(self) -> bool:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        return scheme in ("Bearer", "Token") and token == self.influx.admin_token

    def _handle(self) -> None:
        influx = self.influx
        parsed = urllib.parse.urlsplit(self.path)
        with influx.lock:
            influx.requests.append((self.command, parsed.path))
        if not self._authorized():
            return self._answer(401, {"error": "the request was not authenticated"})
        route = (self.command, parsed.path)
        if route == ("POST", DATABASE):
            return self._create_database()
        if route == ("POST", TOKEN) and influx.engine == "Enterprise":
            return self._create_token()
        if route == ("DELETE", DELETE_TOKEN):
            name = urllib.parse.parse_qs(parsed.query).get("token_name", [""])[0]
            with influx.lock:
                found = influx.tokens.pop(name, None)
            return self._answer(200 if found else 404, None if found else {"error": "token not found"})
        return self._answer(404, {"error": "not found"})

    def _create_database(self) -> None:
        if self.headers.get("Content-Type") != "application/json":
            return self._answer(415, {"error": "expected application/json"})
        body = self._body()
        db = body.get("db") if isinstance(body, dict) else None
        if not isinstance(db, str) or not NAME.match(db):
            return self._answer(400, {"error": "invalid database name"})
        with self.influx.lock:
            if db in self.influx.databases:
                return self._answer(409, {"error": "attempted to create resource that already exists"})
            self.influx.databases.add(db)
        return self._answer(200)

    def _create_token(self) -> None:
        influx, body = self.influx, self._body()
        try:
            name = body["token_name"]
            permissions = [
                (p["resource_type"], tuple(p[influx.accepted_key]), tuple(p["actions"]))
                for p in body["permissions"]
            ]
        except (KeyError, TypeError):
            return self._answer(400, {"error": "invalid request body"})
        with influx.lock:
            if name in influx.tokens:
                return self._answer(409, {"error": "token name already exists"})
            token = "apiv3_" + secrets.token_urlsafe(24)
            influx.tokens[name] = {"token": token, "permissions": permissions}
        answer = {"id": len(influx.tokens), "name": name, "token": token, "hash": "h", "created_at": "now"}
        return self._answer(201, {**answer, "expiry": None})

    do_POST = do_DELETE = do_GET = _handle


#: The cluster's logical id in the product template.
CLUSTER = "InfluxDBCluster"


def cluster_updates(
    stack, op, before: dict[str, str], after: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """The UpdateDbCluster calls CloudFormation makes in ``op``, an update of ``stack`` from the
    parameter values ``before`` to ``after``: (phase, the cluster's resolved properties) each.

    The harness runs custom resources only; this is CloudFormation's documented ordering applied to
    the cluster: a resource whose properties change is updated once every resource it depends on
    (DependsOn and references, through any chain) was updated successfully, and an update that
    fails before that never reaches it. A cluster that was updated is updated back to its old
    properties when the stack rolls back. A custom resource the cluster does not depend on is
    modelled as failing after the cluster (CloudFormation may run both in parallel). A resource
    whose Condition is false for ``after`` is not in the stack: no dependency runs through it.
    """
    from lifecycle.harness import dependencies_among, is_custom
    from tooling.cfn.evaluate import evaluate_conditions

    conditions = evaluate_conditions(stack.template, after)
    template = {
        **stack.template,
        "Resources": {
            n: b
            for n, b in stack.template["Resources"].items()
            if "Condition" not in b or conditions[b["Condition"]]
        },
    }
    body = template["Resources"][CLUSTER]
    old = stack.resolver(before)[0].resolve(body.get("Properties") or {})
    new = stack.resolver(after)[0].resolve(body.get("Properties") or {})
    if old == new:
        return []
    customs = {n for n, b in template["Resources"].items() if is_custom(b)}
    first = dependencies_among(template, customs | {CLUSTER})[CLUSTER]
    forward = [r for r in op.requests if r.phase == "forward" and r.resource in first]
    if any(not r.ok for r in forward):
        return []
    calls = [("forward", new)]
    if op.status.startswith("UPDATE_ROLLBACK"):
        calls.append(("rollback", old))
    return calls

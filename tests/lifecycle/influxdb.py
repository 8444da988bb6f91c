"""A stateful InfluxDB v2 HTTP API on 127.0.0.1, modelled on InfluxDB OSS v2.7's Go handlers.

Routes (and the answers of the v2.7 source: authorization/http_server.go, session/http_server.go,
tenant/http_server_org.go and tenant/service_bucket.go; error codes and statuses from
kit/platform/errors and kit/transport/http/error_handler.go):

- ``POST /api/v2/signin`` with Basic credentials: 204 and ``Set-Cookie: influxdb-oss-session=...``
  (Path=/api/, HttpOnly, SameSite=Strict); bad credentials: 401 ``unauthorized access``.
- ``GET /api/v2/orgs?org=<name>``: ``{"orgs": [...]}``; an unknown name: 404
  ``organization name "<name>" not found``.
- ``GET /api/v2/buckets?name=<name>&orgID=<id>`` (or ``org=<name>``): ``{"buckets": [...]}``; an
  unknown bucket: 404 ``bucket "<name>" not found``.
- ``GET /api/v2/buckets/<id>``: the bucket; an unknown id: 404 ``bucket not found``; a malformed
  one: 400 ``invalid ID``. A request authenticated by a token (not a session) needs the token's
  ``read`` permission on that bucket (401 ``read:orgs/<org>/buckets/<id> is unauthorized``, as
  InfluxDB's authorizer answers): the one route where the fake checks a token's permissions.
- ``GET /api/v2/authorizations`` (filters ``orgID``, ``org``, ``userID``, ``user``, ``id``): every
  match, WITH its token (OSS 2.x lists tokens); ``POST`` (orgID, permissions, description, status;
  201, NOT idempotent: each POST mints a new token); ``GET|PATCH|DELETE
  /api/v2/authorizations/{id}`` (PATCH: status and description; DELETE: 204). A malformed id: 400
  ``invalid ID``; an unknown id: 404 ``authorization not found``; a body that is not JSON: 400
  ``invalid json structure``; no permissions: 400 ``authorization must include permissions``; no
  orgID: 400 ``org id required``.
- Every error body is ``{"code": ..., "message": ...}`` with codes ``unauthorized`` (401),
  ``not found`` (404), ``invalid`` (400).
- Every route but signin needs the session cookie or ``Authorization: Token <token>`` of an active
  authorization (401 otherwise). Permissions of a token are not checked (a session or any active
  token may do everything): the fake models the API's answers and state, not its authorization.

Switches, for the failures a stack operation meets: ``slow`` (seconds before each answer),
``lose(n)`` (the next n requests - of one method and path, when given - are carried out, then
the connection is dropped without an answer), ``down()`` (connection refused), ``up()`` (a
restart on the same port; the state - organizations, buckets, authorizations - survives,
sessions do not, as a restart of the server loses its in-memory sessions) and ``move()`` (a
restart on another port, the state kept). ``InfluxDB(tls=True)`` serves HTTPS on
``https://localhost:<port>`` with a self-signed certificate for localhost and 127.0.0.1;
``cafile`` is its path, for ``SSL_CERT_FILE`` (which Python's default SSL context reads) so a
client verifies it as it would the instance's certificate.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any

from servers import Quiet, stop

SESSION_COOKIE = "influxdb-oss-session"
KNOWN_RESOURCE_TYPES = frozenset(
    [
        "authorizations",
        "buckets",
        "dashboards",
        "orgs",
        "sources",
        "tasks",
        "telegrafs",
        "users",
        "variables",
        "scrapers",
        "secrets",
        "labels",
        "views",
        "documents",
        "notificationRules",
        "notificationEndpoints",
        "checks",
        "dbrp",
        "notebooks",
        "annotations",
        "remotes",
        "replications",
        "instance",
        "flows",
        "functions",
        "subscriptions",
    ]
)


class APIError(Exception):
    STATUS = {"unauthorized": 401, "not found": 404, "invalid": 400, "unprocessable entity": 422}

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def new_id() -> str:
    """A platform ID: 16 lower-case hex digits, never zero."""
    while not valid_id(candidate := secrets.token_hex(8)):
        pass
    return candidate


def valid_id(text: str | None) -> bool:
    return (
        bool(text) and len(text) == 16 and all(c in "0123456789abcdef" for c in text) and int(text, 16) != 0
    )


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        import sys

        # A client that gave up (the slow switch) or a dropped answer (the lose switch).
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, OSError)):
            super().handle_error(request, client_address)


class InfluxDB:
    """The server's state and switches; ``url`` while it is up. A context manager."""

    def __init__(
        self, username="admin", password="secret-password", org="myorg", buckets=("mybucket",), tls=False
    ):
        self.tls = tls
        self.cafile: str | None = None
        self.users = {username: {"id": new_id(), "password": password}}
        self.orgs = {org: {"id": new_id(), "name": org}}
        self.buckets = {(self.orgs[org]["id"], b): {"id": new_id(), "name": b} for b in buckets}
        self.authorizations: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.slow = 0.0
        self._lose = 0
        self._lose_only: tuple[str | None, str | None] = (None, None)
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    # --- life ---------------------------------------------------------------------------------
    def __enter__(self) -> InfluxDB:
        self.up()
        return self

    def __exit__(self, *exc) -> None:
        self.down()
        if self.cafile:
            import os

            os.unlink(self.cafile)

    def up(self) -> None:
        """Start (or restart) the server, on the same port as before."""
        server = _Server(("127.0.0.1", self.port), _Handler)
        if self.tls:
            import ssl

            self.cafile = self.cafile or _self_signed()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cafile)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        server.influx = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self.sessions.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        """Stop the server: connections are refused until :meth:`up`."""
        if self._server is not None:
            stop(self._server, self._thread)
            self._server = None

    def reset(self) -> None:
        """Back to the state of a new server (its users, organizations and buckets), up: what a
        module-scoped fake does between tests, cheaper than a new server and certificate."""
        with self.lock:
            self.authorizations.clear()
            self.sessions.clear()
            self.requests.clear()
            self.slow, self._lose, self._lose_only = 0.0, 0, (None, None)
        if self._server is None:
            self.up()

    def move(self) -> None:
        """Restart on another free port, the state kept (as :meth:`up`): an instance whose Port
        changed in place (Port is not create-only in cfn-lint's bundled schema of
        AWS::Timestream::InfluxDBInstance, so CloudFormation modifies the same instance)."""
        self.down()
        self.port = 0
        self.up()

    def lose(self, n: int = 1, method: str | None = None, path: str | None = None) -> None:
        """The next ``n`` requests (those with ``method`` and ``path``, when given) are carried out
        but answered by a dropped connection."""
        self._lose, self._lose_only = n, (method, path)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}" if self.tls else f"http://127.0.0.1:{self.port}"

    # --- end states ---------------------------------------------------------------------------
    def live(self, description: str | None = None) -> list[dict[str, Any]]:
        """Active authorizations (with ``description``, when given)."""
        return [
            a
            for a in self.authorizations.values()
            if a["status"] == "active" and (description is None or a["description"] == description)
        ]

    def valid(self, token: str) -> bool:
        """Whether ``token`` authenticates (an active authorization has it)."""
        return any(a["token"] == token and a["status"] == "active" for a in self.authorizations.values())

    def add_authorization(self, description: str = "", org: str | None = None, status="active") -> dict:
        """An authorization made outside the code under test (e.g. by an operator)."""
        org_id = self.orgs[org or next(iter(self.orgs))]["id"]
        return self._create(org_id, next(iter(self.users.values()))["id"], description, status, [])

    # --- handlers -----------------------------------------------------------------------------
    def _create(self, org_id, user_id, description, status, permissions) -> dict[str, Any]:
        auth = {
            "id": new_id(),
            "token": base64.urlsafe_b64encode(secrets.token_bytes(64)).decode(),
            "status": status,
            "description": description,
            "orgID": org_id,
            "userID": user_id,
            "permissions": permissions,
            "createdAt": now(),
            "updatedAt": now(),
        }
        self.authorizations[auth["id"]] = auth
        return auth

    def _org_by_id(self, org_id: str) -> dict[str, Any] | None:
        return next((o for o in self.orgs.values() if o["id"] == org_id), None)

    def _response(self, auth: dict[str, Any]) -> dict[str, Any]:
        org = self._org_by_id(auth["orgID"]) or {"name": ""}
        user = next((n for n, u in self.users.items() if u["id"] == auth["userID"]), "")
        return {
            **auth,
            "org": org["name"],
            "user": user,
            "links": {
                "self": f"/api/v2/authorizations/{auth['id']}",
                "user": f"/api/v2/users/{auth['userID']}",
            },
        }

    def authenticate(self, headers) -> str:
        """The user id of the request's session or token; 401 otherwise."""
        cookies = dict(
            part.strip().split("=", 1) for part in (headers.get("Cookie") or "").split(";") if "=" in part
        )
        if cookies.get(SESSION_COOKIE) in self.sessions:
            return self.users[self.sessions[cookies[SESSION_COOKIE]]]["id"]
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme in ("Token", "Bearer"):
            for auth in self.authorizations.values():
                if auth["token"] == token and auth["status"] == "active":
                    return auth["userID"]
        raise APIError("unauthorized", "unauthorized access")

    def handle(self, method: str, path: str, query: dict[str, str], headers, body: bytes):
        """(status, JSON body or None, extra headers) for one request."""
        if (method, path) == ("POST", "/api/v2/signin"):
            return self.signin(headers)
        user_id = self.authenticate(headers)
        if (method, path) == ("GET", "/api/v2/orgs"):
            name = query.get("org")
            orgs = list(self.orgs.values())
            if name:
                if name not in self.orgs:
                    raise APIError("not found", f'organization name "{name}" not found')
                orgs = [self.orgs[name]]
            return 200, {"links": {"self": "/api/v2/orgs"}, "orgs": orgs}, {}
        if (method, path) == ("GET", "/api/v2/buckets"):
            return self.find_buckets(query)
        if method == "GET" and path.startswith("/api/v2/buckets/"):
            return self.get_bucket(path[len("/api/v2/buckets/") :].rstrip("/"), headers)
        if path == "/api/v2/authorizations":
            if method == "GET":
                return self.find_authorizations(query)
            if method == "POST":
                return self.post_authorization(user_id, body)
        prefix = "/api/v2/authorizations/"
        if path.startswith(prefix) and method in ("GET", "PATCH", "DELETE"):
            auth_id = path[len(prefix) :].rstrip("/")
            if not valid_id(auth_id):
                raise APIError("invalid", "invalid ID")
            if auth_id not in self.authorizations:
                raise APIError("not found", "authorization not found")
            auth = self.authorizations[auth_id]
            if method == "DELETE":
                del self.authorizations[auth_id]
                return 204, None, {}
            if method == "PATCH":
                update = self._json(body)
                if "status" in update:
                    if update["status"] not in ("active", "inactive"):
                        raise APIError("invalid", "status must be active or inactive")
                    auth["status"] = update["status"]
                if "description" in update:
                    auth["description"] = update["description"]
                auth["updatedAt"] = now()
            return 200, self._response(auth), {}
        raise APIError("not found", "path not found")

    def signin(self, headers):
        scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            username = password = ""
        user = self.users.get(username) if scheme == "Basic" else None
        if user is None or user["password"] != password:
            raise APIError("unauthorized", "unauthorized access")
        session = secrets.token_urlsafe(32)
        self.sessions[session] = username
        cookie = f"{SESSION_COOKIE}={session}; Path=/api/; HttpOnly; SameSite=Strict"
        return 204, None, {"Set-Cookie": cookie}

    def find_buckets(self, query):
        org_id = query.get("orgID")
        if not org_id and query.get("org"):
            if query["org"] not in self.orgs:
                raise APIError("not found", "organization not found")
            org_id = self.orgs[query["org"]]["id"]
        name = query.get("name")
        found = [
            {**b, "orgID": o}
            for (o, n), b in self.buckets.items()
            if (not org_id or o == org_id) and (not name or n == name)
        ]
        if name and org_id and not found:
            raise APIError("not found", f'bucket "{name}" not found')
        return 200, {"links": {"self": "/api/v2/buckets"}, "buckets": found}, {}

    def get_bucket(self, bucket_id, headers):
        if not valid_id(bucket_id):
            raise APIError("invalid", "invalid ID")
        found = [(o, b) for (o, _), b in self.buckets.items() if b["id"] == bucket_id]
        if not found:
            raise APIError("not found", "bucket not found")
        org_id, bucket = found[0]
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme in ("Token", "Bearer"):
            auth = next(a for a in self.authorizations.values() if a["token"] == token)
            allowed = any(
                p["action"] == "read"
                and p["resource"].get("type") == "buckets"
                and p["resource"].get("id") in (None, bucket_id)
                for p in auth["permissions"]
            )
            if not allowed:
                raise APIError("unauthorized", f"read:orgs/{org_id}/buckets/{bucket_id} is unauthorized")
        return 200, {**bucket, "orgID": org_id}, {}

    def find_authorizations(self, query):
        for key in ("orgID", "userID", "id"):
            if query.get(key) and not valid_id(query[key]):
                raise APIError("invalid", "invalid ID")
        org_id, user_id = query.get("orgID"), query.get("userID")
        if not org_id and query.get("org"):
            if query["org"] not in self.orgs:
                raise APIError("not found", f'organization name "{query["org"]}" not found')
            org_id = self.orgs[query["org"]]["id"]
        if not user_id and query.get("user"):
            if query["user"] not in self.users:
                raise APIError("not found", "user not found")
            user_id = self.users[query["user"]]["id"]
        if query.get("id") and query["id"] not in self.authorizations:
            raise APIError("not found", "authorization not found")
        found = [
            self._response(a)
            for a in self.authorizations.values()
            if (not org_id or a["orgID"] == org_id)
            and (not user_id or a["userID"] == user_id)
            and (not query.get("id") or a["id"] == query["id"])
        ]
        return 200, {"links": {"self": "/api/v2/authorizations"}, "authorizations": found}, {}

    def post_authorization(self, user_id, body):
        request = self._json(body)
        permissions = request.get("permissions") or []
        if not permissions:
            raise APIError("invalid", "authorization must include permissions")
        for permission in permissions:
            resource = permission.get("resource") or {}
            if (
                permission.get("action") not in ("read", "write")
                or resource.get("type") not in KNOWN_RESOURCE_TYPES
            ):
                raise APIError("invalid", f"invalid permission {json.dumps(permission)}")
        org_id = request.get("orgID")
        if not valid_id(org_id):
            raise APIError("invalid", "org id required")
        if self._org_by_id(org_id) is None:
            raise APIError("not found", "organization not found")
        status = request.get("status") or "active"
        if status not in ("active", "inactive"):
            raise APIError("invalid", "status must be active or inactive")
        auth = self._create(
            org_id, request.get("userID") or user_id, request.get("description", ""), status, permissions
        )
        return 201, self._response(auth), {}

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            value = json.loads(body or b"null")
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise APIError("invalid", "invalid json structure")
        return value


def _self_signed() -> str:
    """A PEM file with a self-signed certificate (localhost, 127.0.0.1) and its key."""
    import ipaddress
    import tempfile
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as f:
        f.write(pem)
    return f.name


class _Handler(Quiet):
    protocol_version = "HTTP/1.1"

    def _any(self) -> None:
        influx: InfluxDB = self.server.influx  # type: ignore[attr-defined]
        parts = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
        body = self.body()
        if influx.slow:
            time.sleep(influx.slow)
        with influx.lock:
            influx.requests.append((self.command, parts.path))
            try:
                status, payload, headers = influx.handle(self.command, parts.path, query, self.headers, body)
            except APIError as e:
                status, payload, headers = APIError.STATUS[e.code], {"code": e.code, "message": e.message}, {}
            method, path = influx._lose_only
            lose = influx._lose > 0 and method in (None, self.command) and path in (None, parts.path)
            if lose:
                influx._lose -= 1
        if lose:
            # The work is done; the answer never arrives.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.reply(status, payload, headers)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

"""Local HTTP servers for the custom-resource tests: bound to 127.0.0.1 on a free port.

``serve(handler_class)`` is a context manager: the server runs in a thread while the block runs
and is shut down and closed after it, so every test stops the server it started.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        import sys

        # A client that gave up (the timeout tests) closes the socket before the answer.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(handler: type[BaseHTTPRequestHandler], **state) -> Iterator[ThreadingHTTPServer]:
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop(server, thread)


def stop(server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    """Shut ``server`` down, close it and join its ``thread`` at once.

    ``serve_forever`` sees a shutdown request only when its wait for a connection ends, which is
    up to its poll interval later: a connection of our own ends the wait now (an empty connection,
    which no handler sees as a request).
    """
    stopping = threading.Thread(target=server.shutdown, daemon=True)
    stopping.start()
    while stopping.is_alive():
        with contextlib.suppress(OSError), socket.create_connection(server.server_address[:2], timeout=1):
            pass
        stopping.join(0.01)
    server.server_close()
    thread.join(5)


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class BlackHole:
    """:func:`black_hole`'s server: its URL and the connections it has accepted so far."""

    url: str
    held: list[socket.socket] = field(default_factory=list)


@contextlib.contextmanager
def black_hole() -> Iterator[BlackHole]:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte (a firewall
    or proxy dropping the traffic); stopped, and its connections closed, on exit."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    hole = BlackHole(f"http://127.0.0.1:{server.getsockname()[1]}")
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                hole.held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield hole
    finally:
        stopping.set()
        thread.join(5)
        for connection in hole.held:
            connection.close()
        server.close()


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def reply(self, code: int, body=None, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class ResponseReceiver(Quiet):
    """The pre-signed ResponseURL: records each PUT; ``fail`` first answers with 500s."""

    def do_PUT(self) -> None:
        state = self.server.state
        body = self.body()
        state.setdefault("requests", []).append(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
        )
        if state.get("fail", 0) > 0:
            state["fail"] -= 1
            self.reply(500)
        else:
            self.reply(200)


class FakeContext:
    """The Lambda context attributes the functions use."""

    log_stream_name = "2026/11/24/[$LATEST]0123456789abcdef"

    def __init__(self, remaining_ms: int = 60_000):
        import time

        self.deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(int((self.deadline - time.monotonic()) * 1000), 0)


class QuickAlarm:
    """The ``signal`` module as a function sees it, with ``alarm(seconds)`` firing after ``seconds
    * scale``: the Lambda-timeout path runs in a fraction of the whole seconds ``alarm`` counts in.
    ``armed`` records each ``alarm`` call's seconds (0 disarms)."""

    def __init__(self, scale: float = 0.05):
        self.scale, self.armed = scale, []

    def __getattr__(self, name: str):
        import signal

        return getattr(signal, name)

    def alarm(self, seconds: int) -> int:
        import signal

        self.armed.append(seconds)
        signal.setitimer(signal.ITIMER_REAL, seconds * self.scale)
        return 0


def quick_alarm(monkeypatch, run, scale: float = 0.05) -> QuickAlarm:
    """Give the module of the response protocol's ``run`` (as written, or inlined) a :class:`QuickAlarm`."""
    alarm = QuickAlarm(scale)
    monkeypatch.setitem(run.__globals__, "signal", alarm)
    return alarm


def cfn_event(request_type: str, response_url: str, properties: dict, **extra) -> dict:
    """A custom-resource request as CloudFormation sends it."""
    event = {
        "RequestType": request_type,
        "ResponseURL": response_url + "/response?X-Amz-Signature=abc",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/test/guid",
        "RequestId": "request-1",
        "ResourceType": "Custom::Test",
        "LogicalResourceId": "Resource",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
            **properties,
        },
    }
    event.update(extra)
    return event


class FakeInflux(Quiet):
    """The part of the InfluxDB v2 HTTP API the token worker uses, answering as InfluxDB OSS 2.x does.

    POST /api/v2/signin (Basic auth -> 204 and the cookie ``influxdb-oss-session``; bad credentials
    -> 401); every other call needs the cookie (else 401). GET /api/v2/orgs?org= and
    /api/v2/buckets?name=&orgID= (404 {"code":"not found",...} for an unknown name); POST
    /api/v2/authorizations (201 with id, token, status and description; 400 for an invalid body);
    GET /api/v2/authorizations (each with its token); DELETE /api/v2/authorizations/{id} (204; 404
    unknown; 400 for an id that is not 16 hex digits). Error bodies are {"code", "message"}.

    State (``server.state``): ``users``, ``orgs`` (name -> id), ``buckets`` ((orgID, name) -> id),
    ``authorizations`` (id -> authorization), ``calls``; failure knobs: ``lose_posts`` (POSTs of
    authorizations applied whose answer is lost: the connection closes), ``fail`` ({(method, path):
    n}: n answers 503), ``then_fail`` (added to ``fail`` once a POST is lost), ``delay`` (seconds
    before each answer).
    """

    def log_message(self, *args) -> None:
        pass

    @staticmethod
    def defaults() -> dict:
        """A fresh instance: the admin user, org ``ons`` and its bucket ``ons-timeseries``."""
        return {
            "users": {"admin": "Secret123"},
            "orgs": {"ons": "0a1b2c3d4e5f6071"},
            "buckets": {("0a1b2c3d4e5f6071", "ons-timeseries"): "1122334455667788"},
            "authorizations": {},
            "sessions": set(),
            "calls": [],
            "fail": {},
        }

    def _state(self) -> dict:
        state = self.server.state
        for key, value in self.defaults().items():
            state.setdefault(key, value)
        return state

    def error(self, status: int, code: str, message: str) -> None:
        self.reply(status, {"code": code, "message": message})

    def _begin(self, method: str) -> tuple[dict, str, dict] | None:
        import time
        from urllib.parse import parse_qs, urlparse

        state = self._state()
        parsed = urlparse(self.path)
        state["calls"].append((method, parsed.path))
        time.sleep(state.get("delay", 0))
        fail = state["fail"]
        if fail.get((method, parsed.path), 0) > 0:
            fail[(method, parsed.path)] -= 1
            self.error(503, "unavailable", "service unavailable")
            return None
        if parsed.path != "/api/v2/signin":
            cookie = self.headers.get("Cookie") or ""
            sid = cookie.split("influxdb-oss-session=", 1)[-1] if "influxdb-oss-session=" in cookie else ""
            if sid not in state["sessions"]:
                self.error(401, "unauthorized", "unauthorized access")
                return None
        return state, parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()}

    def do_POST(self) -> None:
        import base64
        import secrets

        begun = self._begin("POST")
        if begun is None:
            return
        state, path, _ = begun
        body = self.body()
        if path == "/api/v2/signin":
            auth = self.headers.get("Authorization") or ""
            try:
                user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
            except ValueError:
                user, password = "", None
            if not auth.startswith("Basic ") or state["users"].get(user) != password:
                return self.error(401, "unauthorized", "Unauthorized")
            sid = secrets.token_hex(8)
            state["sessions"].add(sid)
            return self.reply(
                204, headers={"Set-Cookie": f"influxdb-oss-session={sid}; Path=/api/; HttpOnly"}
            )
        if path != "/api/v2/authorizations":
            return self.error(404, "not found", "path not found")
        try:
            auth = json.loads(body)
            org_id, permissions = auth["orgID"], auth["permissions"]
            assert isinstance(permissions, list) and permissions
            assert all(p["action"] in ("read", "write") and p["resource"]["type"] for p in permissions)
        except (ValueError, KeyError, TypeError, AssertionError):
            return self.error(400, "invalid", "invalid json structure")
        if org_id not in state["orgs"].values():
            return self.error(404, "not found", "organization not found")
        state["next"] = state.get("next", 0x0A00000000000000) + 1
        made = {
            "id": f"{state['next']:016x}",
            "token": secrets.token_urlsafe(32) + "==",
            "status": auth.get("status", "active"),
            "description": auth.get("description", ""),
            "orgID": org_id,
            "permissions": permissions,
            "userID": "0b0b0b0b0b0b0b0b",
        }
        state["authorizations"][made["id"]] = made
        if state.get("lose_posts", 0) > 0:
            state["lose_posts"] -= 1
            state["fail"].update(state.pop("then_fail", {}))
            self.close_connection = True  # applied, and the answer is lost
            return
        self.reply(201, made)

    def do_GET(self) -> None:
        begun = self._begin("GET")
        if begun is None:
            return
        state, path, query = begun
        if path == "/api/v2/orgs":
            name = query.get("org")
            if name not in state["orgs"]:
                return self.error(404, "not found", f'organization name "{name}" not found')
            return self.reply(200, {"orgs": [{"id": state["orgs"][name], "name": name}]})
        if path == "/api/v2/buckets":
            key = (query.get("orgID"), query.get("name"))
            if key not in state["buckets"]:
                return self.error(404, "not found", f'bucket "{key[1]}" not found')
            return self.reply(
                200, {"buckets": [{"id": state["buckets"][key], "name": key[1], "orgID": key[0]}]}
            )
        if path == "/api/v2/authorizations":
            found = [a for a in state["authorizations"].values() if query.get("orgID") in (None, a["orgID"])]
            return self.reply(200, {"links": {"self": "/api/v2/authorizations"}, "authorizations": found})
        self.error(404, "not found", "path not found")

    def do_DELETE(self) -> None:
        import re

        begun = self._begin("DELETE")
        if begun is None:
            return
        state, path, _ = begun
        prefix = "/api/v2/authorizations/"
        if not path.startswith(prefix):
            return self.error(404, "not found", "path not found")
        auth_id = path[len(prefix) :]
        if not re.fullmatch(r"[0-9a-f]{16}", auth_id):
            return self.error(400, "invalid", "id must have a length of 16 bytes")
        if state["authorizations"].pop(auth_id, None) is None:
            return self.error(404, "not found", "authorization not found")
        self.reply(204)


class Redirecting(BaseHTTPRequestHandler):
    """Answers every request with ``state["status"]`` (a 3xx) to ``state["location"]``, or, when
    ``state["body_bytes"]`` is set, with a 200 of that many bytes; records what it was sent."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.state.setdefault("calls", []).append(  # type: ignore[attr-defined]
            (self.command, self.path, self.headers.get("Authorization"))
        )
        state = self.server.state  # type: ignore[attr-defined]
        if state.get("body_bytes"):
            body = b"[" + b"0," * (state["body_bytes"] // 2) + b"0]"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(state["status"])
        self.send_header("Location", state["location"])
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_DELETE = do_PUT = _answer

    def log_message(self, *args) -> None:  # quiet
        pass

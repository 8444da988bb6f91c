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
        server.shutdown()
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

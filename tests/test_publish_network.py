"""build.py publish against an endpoint that accepts connections and never answers: one line, soon."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

from conftest import ROOT
from tooling import cli


class BlackHole:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(conn)

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def black_hole():
    server = BlackHole()
    yield server
    server.stop()


@pytest.mark.slow  # waits for the client's timeouts (about 25 s)
def test_an_unanswering_endpoint_is_one_line_within_30_seconds(black_hole, monkeypatch, tmp_path, capsys):
    import tooling.build.pipeline

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "sa-east-1",
    }.items():
        monkeypatch.setenv(name, value)

    def built(specs, output_dir, **kwargs):  # the committed, gated template: this test is about AWS
        for spec in specs:  # every product of catalog.yaml
            shutil.copy(ROOT / "output" / spec.filename, output_dir / spec.filename)
        return tooling.build.pipeline.BuildResult()

    monkeypatch.setattr(tooling.build.pipeline, "build", built)
    start = time.monotonic()
    status = cli.main(
        [
            "publish",
            "--version",
            "1.0.0",
            "--config",
            str(ROOT / "catalog.yaml"),
            "--endpoint-url",
            black_hole.url,
            "--output-dir",
            str(tmp_path),
        ]
    )
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert elapsed < 30, elapsed
    assert black_hole.held, "the endpoint was never called"
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "did not answer in time" in err and "--endpoint-url" in err

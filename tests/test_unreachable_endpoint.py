"""deploy, restore and preflight against an endpoint that accepts connections and never answers.

Each command runs as a user runs it (``build.py`` in a process of its own, fake credentials, no
profile, no instance metadata) against one black hole; they run at once, since each only waits for
its clients' timeouts (tooling/aws.py: 3 attempts of 5 s connect / 8 s read). Each must end within
30 s with one line that says what to do, its documented exit status and no traceback. (publish has
its own test in test_publish_network.py: it builds first.)
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from conftest import ROOT
from moto_server import isolated_aws_env
from servers import black_hole

PARAMS = str(ROOT / "params" / "development.json")
STACK = "ons-influxdb-development"

#: command -> (arguments after the endpoint is known, exit status, stream with the line, words in it)
COMMANDS = {
    "deploy": (
        lambda url: (
            ["deploy", "--stack-name", STACK, "--params", PARAMS, "--s3-bucket", "templates"]
            + ["--region", "us-east-1", "--endpoint-url", url]
        ),
        1,
        "stderr",
        ("AWS did not answer in time", "--endpoint-url"),
    ),
    "restore": (
        lambda url: ["restore", STACK, "--list", "--region", "us-east-1", "--endpoint-url", url],
        1,
        "stderr",
        ("AWS did not answer in time", "--endpoint-url"),
    ),
    "preflight": (
        lambda url: ["preflight", "--params", PARAMS, "--region", "us-east-1", "--endpoint-url", url],
        1,
        "stdout",
        ("✗ credentials", "did not answer in time"),
    ),
}


@pytest.mark.slow  # waits for the clients' timeouts (about 25 s), the commands side by side
def test_an_endpoint_that_never_answers_is_one_line_within_30_seconds(tmp_path):
    env = isolated_aws_env(tmp_path)
    with black_hole() as url:
        started = time.monotonic()
        running = {
            name: subprocess.Popen(
                [sys.executable, str(ROOT / "build.py"), *argv(url)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            for name, (argv, *_) in COMMANDS.items()
        }
        finished = {}
        for name, process in running.items():
            out, err = process.communicate(timeout=90)
            finished[name] = (process.returncode, out, err, time.monotonic() - started)
    for name, (status, out, err, seconds) in finished.items():
        _, expected, stream, words = COMMANDS[name]
        assert seconds < 30, f"{name} took {seconds:.0f} s"
        assert "Traceback" not in out + err, name
        assert status == expected, (name, status, err)
        lines = (out if stream == "stdout" else err).strip().splitlines()
        assert len(lines) == 1, (name, lines)
        line = lines[0]
        assert all(word in line for word in words), (name, line)

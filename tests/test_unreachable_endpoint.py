"""deploy, restore, preflight and publish against an endpoint that accepts connections and never
answers.

Each must end within 30 s with one line that says what to do, its documented exit status and no
traceback. They run at once, each against a black hole of its own, since each only waits for its
clients' timeouts (tooling/aws.py: 3 attempts of 5 s connect / 8 s read), all with fake credentials,
no profile and no instance metadata: deploy, restore and preflight as a user runs them (``build.py``
in a process of their own); publish meanwhile in this process, because it builds first and the test
gives it the committed, gated templates instead (this test is about AWS, not the gates).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time

import pytest

import tooling.build.pipeline
from conftest import ROOT
from moto_server import isolated_aws_env
from servers import black_hole
from tooling import cli

PARAMS = str(ROOT / "params" / "development.json")
STACK = "ons-influxdb-development"

#: command -> (exit status, stream with the line, words in it)
EXPECTED = {
    "deploy": (1, "stderr", ("AWS did not answer in time", "--endpoint-url")),
    "restore": (1, "stderr", ("AWS did not answer in time", "--endpoint-url")),
    "preflight": (1, "stdout", ("✗ credentials", "did not answer in time")),
    "publish": (2, "stderr", ("did not answer in time", "--endpoint-url")),
}
#: The commands run as processes of their own: their arguments once the endpoint is known.
ARGUMENTS = {
    "deploy": lambda url: (
        ["deploy", "--stack-name", STACK, "--params", PARAMS, "--s3-bucket", "templates"]
        + ["--region", "us-east-1", "--endpoint-url", url]
    ),
    "restore": lambda url: ["restore", STACK, "--list", "--region", "us-east-1", "--endpoint-url", url],
    "preflight": lambda url: [
        "preflight",
        "--params",
        PARAMS,
        "--region",
        "us-east-1",
        "--endpoint-url",
        url,
    ],
}


@pytest.mark.slow  # waits for the clients' timeouts (about 25 s), the commands side by side
def test_an_endpoint_that_never_answers_is_one_line_within_30_seconds(tmp_path, monkeypatch, capsys):
    env = isolated_aws_env(tmp_path)
    finished: dict[str, tuple[int, str, str, float]] = {}
    # A black hole for each command, so each is seen to have called the endpoint it was given.
    with contextlib.ExitStack() as stack:
        holes = {name: stack.enter_context(black_hole()) for name in EXPECTED}
        started = time.monotonic()
        running = {
            name: subprocess.Popen(
                [sys.executable, str(ROOT / "build.py"), *arguments(holes[name].url)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            for name, arguments in ARGUMENTS.items()
        }
        try:
            finished["publish"] = publish(
                holes["publish"].url, env, tmp_path / "publish", monkeypatch, capsys
            )
            for name, process in running.items():
                out, err = process.communicate(timeout=90)
                finished[name] = (process.returncode, out, err, time.monotonic() - started)
        finally:
            for process in running.values():
                if process.poll() is None:
                    process.kill()
                    process.communicate()
        called = {name: bool(hole.held) for name, hole in holes.items()}
    problems = [f"{name} never called its endpoint" for name, was in called.items() if not was]
    for name, (status, out, err, seconds) in finished.items():
        expected, stream, words = EXPECTED[name]
        lines = (out if stream == "stdout" else err).strip().splitlines()
        if seconds >= 30:
            problems.append(f"{name} took {seconds:.0f} s")
        if "Traceback" in out + err:
            problems.append(f"{name} printed a traceback: {err}")
        if status != expected:
            problems.append(f"{name} exited {status}, not {expected}: {err}")
        if len(lines) != 1 or not all(word in lines[0] for word in words):
            problems.append(f"{name} did not say {words} in one line on {stream}: {lines}")
    assert set(finished) == set(EXPECTED)
    assert not problems, "\n".join(problems)


def publish(url: str, env: dict[str, str], output_dir, monkeypatch, capsys) -> tuple[int, str, str, float]:
    """``build.py publish`` of every product of catalog.yaml in this process, with the AWS settings
    of ``env`` (the processes' own) and its build replaced by the committed templates: (exit status,
    stdout, stderr, seconds)."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)

    def built(specs, output_dir, **kwargs):
        for spec in specs:
            shutil.copy(ROOT / "output" / spec.filename, output_dir / spec.filename)
        return tooling.build.pipeline.BuildResult()

    monkeypatch.setattr(tooling.build.pipeline, "build", built)
    output_dir.mkdir()
    capsys.readouterr()
    started = time.monotonic()
    argv = ["publish", "--version", "1.0.0", "--config", str(ROOT / "catalog.yaml")]
    status = cli.main([*argv, "--endpoint-url", url, "--output-dir", str(output_dir)])
    seconds = time.monotonic() - started
    out, err = capsys.readouterr()
    return status, out, err, seconds

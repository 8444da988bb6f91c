"""Isolated tool environments: one per lock file under ``tooling/gates/locks/``.

A tool whose dependencies clash with the project's (checkov pins an older boto3), or that is not a
Python package at all (the cfn-guard binary), runs from its own environment, installed
hash-checked from ``<LOCK_DIR>/<tool>.lock`` into ``.tools/<tool>-<lock hash>/`` on first use:
a virtual environment for a Python tool, or the locked wheels unpacked (``pip install --target``)
for a tool that only ships inside one, which ``finish`` then makes runnable. The directory name
carries the lock's hash, so a changed lock gets a fresh environment; a ``.ready`` marker, written
last, tells a complete install from an interrupted one and names the interpreter that made it (an
environment made by another Python version is made again), and a file lock keeps two concurrent
first runs (``make lint`` and ``make test``) from installing twice. The install takes tens of
seconds: it logs what it is doing every few seconds.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .bootstrap import run_with_progress
from .paths import ROOT

LOCK_DIR = Path(__file__).resolve().parent / "gates" / "locks"
ENV_DIR = ROOT / ".tools"


class ToolEnvError(RuntimeError):
    """The tool environment could not be created; the gate fails, it never 'passes'."""


def lock_file(tool: str) -> Path:
    return LOCK_DIR / f"{tool}.lock"


def lock_hash(tool: str) -> str:
    return hashlib.sha256(lock_file(tool).read_bytes()).hexdigest()[:12]


def env_path(tool: str) -> Path:
    return ENV_DIR / f"{tool}-{lock_hash(tool)}"


def tool_bin(tool: str, program: str | None = None) -> Path:
    return env_path(tool) / "bin" / (program or tool)


def interpreter() -> str:
    """What a ``.ready`` marker records of the interpreter that made the environment."""
    return "python %d.%d" % sys.version_info[:2]


def is_ready(tool: str) -> bool:
    """A complete environment for this lock, made by this interpreter's version.

    A marker holding only the lock's hash was written before markers named the interpreter: it is
    trusted as it is (making the environment again would need the package index).
    """
    marker = env_path(tool) / ".ready"
    try:
        lines = marker.read_text().split()
    except OSError:
        return False
    recorded = " ".join(lines[1:3])
    return not recorded or recorded == interpreter()


def ensure_env(
    tool: str,
    log: Callable[[str], None] = print,
    *,
    venv: bool = True,
    finish: Callable[[Path], None] | None = None,
) -> Path:
    """The tool's environment, created from its lock file when missing; raises ToolEnvError on failure.

    ``venv``: a virtual environment (its ``bin/python`` runs the tool); otherwise the locked wheels
    are only unpacked into ``<env>/site``. ``finish(env)`` then completes and checks the
    environment (it raises ToolEnvError when the tool does not run); ``.ready`` is written after it.
    """
    env = env_path(tool)
    if is_ready(tool):
        return env
    ENV_DIR.mkdir(parents=True, exist_ok=True)
    with open(ENV_DIR / f".{tool}.install-lock", "w") as guard:
        if not _try_lock(guard):
            log(f"tools   {tool}: waiting for another run that is creating {os.path.relpath(env, ROOT)}")
            fcntl.flock(guard, fcntl.LOCK_EX)
        if is_ready(tool):  # another process installed it while we waited
            return env
        begin = time.monotonic()
        log(
            f"tools   {tool}: creating {os.path.relpath(env, ROOT)} from "
            f"{os.path.relpath(lock_file(tool), ROOT)}, about 30 s (first run only)"
        )
        shutil.rmtree(env, ignore_errors=True)
        uv = shutil.which("uv")
        if venv:
            _run([sys.executable, "-m", "venv", str(env)], f"tools   {tool}:", log)
            python = env / "bin" / "python"
            if uv:
                cmd = [uv, "pip", "install", "--python", str(python)]
            else:
                cmd = [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--progress-bar",
                    "off",
                    "--disable-pip-version-check",
                ]
        else:
            target = ["--target", str(env / "site"), "--only-binary", ":all:"]
            if uv:
                cmd = [uv, "pip", "install", "--python", sys.executable, *target]
            else:
                cmd = [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--progress-bar",
                    "off",
                    "--disable-pip-version-check",
                    *target,
                ]
        try:
            _run(cmd + ["--require-hashes", "--no-deps", "-r", str(lock_file(tool))], f"tools   {tool}:", log)
            if finish is not None:
                finish(env)
        except BaseException:
            shutil.rmtree(env, ignore_errors=True)  # half made: never mistaken for a tool
            raise
        (env / ".ready").write_text(f"{lock_hash(tool)} {interpreter()}\n")
        log(f"tools   {tool}: ready in {time.monotonic() - begin:.1f} s")
        for stale in ENV_DIR.glob(f"{tool}-*"):
            if stale != env:
                shutil.rmtree(stale, ignore_errors=True)
    return env


def _try_lock(guard) -> bool:
    try:
        fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _run(cmd: list[str], label: str, log: Callable[[str], None]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    total = sum(1 for line in lock_text_lines(cmd) if "==" in line and not line.startswith((" ", "#")))
    status, lines = run_with_progress(cmd, label, log, total=total, env=env)
    if status:
        tail = lines[-5:]
        raise ToolEnvError(f"`{' '.join(cmd[:4])} ...` failed ({status}): " + " | ".join(tail))


def lock_text_lines(cmd: list[str]) -> list[str]:
    """The lines of the lock file ``cmd`` installs (``-r FILE``), for counting its packages."""
    if "-r" in cmd:
        return Path(cmd[cmd.index("-r") + 1]).read_text().splitlines()
    return []

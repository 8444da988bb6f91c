"""Isolated tool environments: one per lock file under ``tooling/gates/locks/``.

A tool whose dependencies clash with the project's (checkov pins an older boto3), or that is not a
Python package at all (the cfn-guard binary), runs from its own environment, installed
hash-checked from ``<LOCK_DIR>/<tool>.lock`` into ``.tools/<tool>-<lock hash>/`` on first use:
a virtual environment for a Python tool, or the locked wheels unpacked (``pip install --target``)
for a tool that only ships inside one, which ``finish`` then makes runnable. The directory name
carries the lock's hash, so a changed lock gets a fresh environment; a ``.ready`` marker, written
last, tells a complete install from an interrupted one, and a file lock keeps two concurrent
first runs (``make lint`` and ``make test``) from installing twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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


def is_ready(tool: str) -> bool:
    return (env_path(tool) / ".ready").exists()


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
    if (env / ".ready").exists():
        return env
    ENV_DIR.mkdir(parents=True, exist_ok=True)
    with open(ENV_DIR / f".{tool}.install-lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if (env / ".ready").exists():  # another process installed it while we waited
            return env
        log(
            f"tools   {tool}: creating {os.path.relpath(env, ROOT)} from {os.path.relpath(lock_file(tool), ROOT)} (first run only)"
        )
        shutil.rmtree(env, ignore_errors=True)
        uv = shutil.which("uv")
        if venv:
            _run([sys.executable, "-m", "venv", str(env)])
            python = env / "bin" / "python"
            if uv:
                cmd = [uv, "pip", "install", "--quiet", "--python", str(python)]
            else:
                cmd = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        else:
            target = ["--target", str(env / "site"), "--only-binary", ":all:"]
            if uv:
                cmd = [uv, "pip", "install", "--quiet", "--python", sys.executable, *target]
            else:
                cmd = [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    *target,
                ]
        _run(cmd + ["--require-hashes", "--no-deps", "-r", str(lock_file(tool))])
        if finish is not None:
            finish(env)
        (env / ".ready").write_text(lock_hash(tool) + "\n")
        for stale in ENV_DIR.glob(f"{tool}-*"):
            if stale != env:
                shutil.rmtree(stale, ignore_errors=True)
    return env


def _run(cmd: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise ToolEnvError(f"`{' '.join(cmd[:4])} ...` failed ({proc.returncode}): " + " | ".join(tail))

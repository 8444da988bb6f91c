"""checkov (CloudFormation framework, offline) from its own tool environment.

checkov runs as a subprocess of its venv (see ``toolenv``), started before the in-process
checkers so that its ~2.5-6 s of start-up overlaps them. A check that cannot apply to a resource
is skipped in that resource's ``Metadata.checkov.skip`` with a comment; checkov honours it and
``tests/test_checkov.py`` keeps the list of reviewed skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Callable

from . import toolenv
from .findings import Finding, GateResult

NAME = "checkov"
ARGS = ["--framework", "cloudformation", "--skip-download", "--output", "json", "--quiet", "--compact"]


def fingerprint() -> str:
    """What a checkov verdict depends on besides the text: the locked tool set and this adapter."""
    return toolenv.lock_file(NAME).read_text() + Path(__file__).read_text()


class CheckovRun:
    """A running checkov over ``files`` (display name -> file on disk); ``wait()`` for the result."""

    def __init__(self, files: dict[str, Path], log: Callable[[str], None] = print) -> None:
        self.files = files
        self.start = time.perf_counter()
        self.proc: subprocess.Popen | None = None
        self.error: str | None = None
        if not files:
            return
        try:
            toolenv.ensure_env(NAME, log)
        except toolenv.ToolEnvError as err:
            self.error = f"tool environment: {err}"
            return
        self.start = time.perf_counter()  # the install, on a first run, is not checkov's time
        cmd = [str(toolenv.tool_bin(NAME)), *ARGS]
        for path in files.values():
            cmd += ["--file", str(path.resolve())]
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["LOG_LEVEL"] = "ERROR"
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=toolenv.ROOT
        )

    def wait(self) -> GateResult:
        result = GateResult(NAME, checked=list(self.files))
        if self.proc is not None:
            out, err = self.proc.communicate()
            result.findings = parse(out, err, self.proc.returncode, self.files)
        elif self.error:
            result.findings = [_error(name, self.error) for name in self.files]
        result.seconds = time.perf_counter() - self.start
        return result


def parse(stdout: str, stderr: str, returncode: int, files: dict[str, Path]) -> list[Finding]:
    """Findings from checkov's JSON report; anything unexpected is a finding, never a pass."""
    by_path = {str(path.resolve()): name for name, path in files.items()}
    try:
        reports = json.loads(stdout)
    except json.JSONDecodeError:
        tail = " | ".join((stderr or stdout).strip().splitlines()[-3:]) or f"exit status {returncode}"
        return [_error(name, f"no JSON report from checkov: {tail}") for name in files]
    reports = reports if isinstance(reports, list) else [reports]
    findings: list[Finding] = []
    resources = sum(r.get("summary", {}).get("resource_count", 0) for r in reports)
    if files and not resources:
        return [_error(name, "checkov found no CloudFormation resources to check") for name in files]
    for report in reports:
        if report.get("check_type", "cloudformation") != "cloudformation":
            continue
        summary = report.get("summary", {})
        if summary.get("parsing_errors"):
            for path in report.get("results", {}).get("parsing_errors", []) or list(by_path):
                findings.append(_error(by_path.get(str(Path(path).resolve()), path), "checkov could not parse the template"))
        for check in report.get("results", {}).get("failed_checks", []):
            path = str(Path(check.get("file_abs_path") or check["file_path"]).resolve())
            resource = check.get("resource", "").rsplit(".", 1)[-1]
            line = (check.get("file_line_range") or [0])[0]
            findings.append(
                Finding(by_path.get(path, path), NAME, check["check_id"], resource, check["check_name"], line)
            )
    if not findings and returncode not in (0, 1):
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        findings = [_error(name, f"checkov exited with status {returncode}: {tail}") for name in files]
    return sorted(findings)


def _error(file: str, message: str) -> Finding:
    return Finding(file, NAME, "ERROR", "-", message)

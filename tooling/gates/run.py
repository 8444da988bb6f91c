"""Every gate over every template, concurrently, with clean verdicts cached.

The gates are independent. A background gate (checkov, a subprocess of its own tool environment)
is started first, so its start-up (the slowest part of any gate) overlaps the in-process gates.

A clean verdict is cached per gate under ``cache_dir/<gate>/<hash>``, the hash covering the
template text and the gate's fingerprint (tool versions, lock file, rules, the adapter's own
source), so an unchanged template is not checked again. Only clean verdicts are cached: a
template with findings is checked on every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from . import GATES
from .base import Finding, GateResult, Pending, RunContext


def verdict_key(fingerprint: str, text: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()


def run_gates(
    texts: dict[str, str],
    *,
    cache_dir: Path | None = None,
    stage_dir: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[GateResult]:
    """One result per gate (in ``GATES`` order) for ``texts`` (display file name -> text).

    A display name that is a file holding exactly the text is handed to a gate that needs files
    as is; any other text is first written to ``stage_dir`` (the build checks templates before
    writing them). With ``cache_dir`` None every template is checked.
    """
    stamps: dict[str, dict[str, Path]] = {}
    todo: dict[str, dict[str, str]] = {}
    for gate in GATES:
        if cache_dir is None:
            todo[gate.name] = dict(texts)
            continue
        fingerprint = gate.fingerprint()
        stamps[gate.name] = {
            name: cache_dir / gate.name / verdict_key(fingerprint, text) for name, text in texts.items()
        }
        todo[gate.name] = {n: t for n, t in texts.items() if not stamps[gate.name][n].exists()}

    context = RunContext(stage_dir=stage_dir, log=log)
    pending: dict[str, Pending] = {}
    try:
        for gate in sorted(GATES, key=lambda g: not g.background):  # background gates first
            pending[gate.name] = gate.start(todo[gate.name], context)
        results = {gate.name: pending[gate.name].wait() for gate in GATES}
    except BaseException:
        for run in pending.values():
            run.cancel()
        raise

    ordered = []
    for gate in GATES:
        result = results[gate.name]
        result.cached = sorted(texts.keys() - todo[gate.name].keys())
        result.findings.sort()
        if cache_dir is not None:
            dirty = {f.file for f in result.findings}
            if dirty - texts.keys():  # a finding about a file we cannot tell: trust no verdict
                dirty = set(texts)
            for name in todo[gate.name].keys() - dirty:
                stamp = stamps[gate.name][name]
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.write_text(f"{name}\n")
        ordered.append(result)
    return ordered


def findings_of(results: list[GateResult]) -> list[Finding]:
    return sorted(f for r in results for f in r.findings)

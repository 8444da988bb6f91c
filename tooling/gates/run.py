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
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .. import interrupt
from . import GATES
from .base import Finding, GateResult, Pending, RunContext


def verdict_key(fingerprint: str, text: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()


def verdict_path(cache_dir: Path, gate: str, fingerprint: str, text: str) -> Path:
    """Where the clean verdict of ``gate`` (its name and fingerprint) on ``text`` is kept."""
    return cache_dir / gate / verdict_key(fingerprint, text)


def run_gates(
    texts: dict[str, str],
    *,
    cache_dir: Path | None = None,
    stage_dir: Path | None = None,
    log: Callable[[str], None] = print,
    progress: bool = False,
) -> list[GateResult]:
    """One result per gate (in ``GATES`` order) for ``texts`` (display file name -> text).

    A display name that is a file holding exactly the text is handed to a gate that needs files
    as is; any other text is first written to a directory of this run's own under ``stage_dir``
    (the build checks templates before writing them; two builds at once must not overwrite each
    other's staged file while a tool reads it). With ``cache_dir`` None every template is checked.
    ``progress`` logs a line as each gate finishes (the gates take seconds). A Ctrl-C during the
    run raises KeyboardInterrupt, even if a gate's library swallowed it, and caches no verdict.
    """
    stamps: dict[str, dict[str, Path]] = {}
    todo: dict[str, dict[str, str]] = {}
    for gate in GATES:
        if cache_dir is None:
            todo[gate.name] = dict(texts)
            continue
        fingerprint = gate.fingerprint()
        stamps[gate.name] = {
            name: verdict_path(cache_dir, gate.name, fingerprint, text) for name, text in texts.items()
        }
        todo[gate.name] = {n: t for n, t in texts.items() if not stamps[gate.name][n].exists()}

    run_stage = None
    if stage_dir is not None:
        stage_dir.mkdir(parents=True, exist_ok=True)
        run_stage = Path(tempfile.mkdtemp(dir=stage_dir, prefix="run-"))
    context = RunContext(stage_dir=run_stage, log=log)
    pending: dict[str, Pending] = {}
    results: dict[str, GateResult] = {}
    begin = time.perf_counter()
    try:
        if progress and any(todo.values()):
            names = ", ".join(g.name for g in GATES if todo[g.name])
            log(f"check   {max(len(t) for t in todo.values())} template(s) with {names}")
        background = [g for g in GATES if g.background]
        for gate in background + [g for g in GATES if not g.background]:  # background gates first
            pending[gate.name] = gate.start(todo[gate.name], context)
            if not gate.background:
                results[gate.name] = _finished(gate.name, pending[gate.name], todo, begin, progress, log)
        for gate in background:
            if progress and todo[gate.name]:
                log(f"check   waiting for {gate.name} ({time.perf_counter() - begin:.1f} s so far)")
            results[gate.name] = _finished(gate.name, pending[gate.name], todo, begin, progress, log)
        interrupt.check()  # a Ctrl-C a gate's library caught: its results are not to be trusted
    except BaseException:
        for run in pending.values():
            run.cancel()
        raise
    finally:
        if run_stage is not None:
            shutil.rmtree(run_stage, ignore_errors=True)

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


def _finished(
    name: str,
    run: Pending,
    todo: dict[str, dict[str, str]],
    begin: float,
    progress: bool,
    log: Callable[[str], None],
) -> GateResult:
    result = run.wait()
    if progress and todo[name]:
        log(f"check   {name:<12} {len(result.findings)} finding(s)  {time.perf_counter() - begin:.2f} s")
    return result


def findings_of(results: list[GateResult]) -> list[Finding]:
    return sorted(f for r in results for f in r.findings)

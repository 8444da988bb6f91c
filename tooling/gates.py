"""Every gate over every template, concurrently: cfn-lint, checkov, Guard and parliament.

The checkers are independent. checkov runs as a subprocess of its own tool environment and is
started first, so its start-up (the slowest part of any gate) overlaps the in-process checkers:
cfn-lint (forked workers, one rules load), Guard (cfn-guard-rs) and parliament.

A clean verdict is cached per checker under ``cache_dir/<checker>/<hash>``, the hash covering the
template text and everything else the verdict depends on (tool versions, lock file, rules, the
adapter's own source), so an unchanged template is not checked again. Only clean verdicts are
cached: a template with findings is checked on every run.
"""

from __future__ import annotations

import hashlib
import os
import time
from importlib.metadata import version
from pathlib import Path
from typing import Callable

from . import checkov_gate, guard, iam_lint
from .findings import Finding, GateResult

CHECKERS = ("cfn-lint", "checkov", "guard", "parliament")


def fingerprints() -> dict[str, str]:
    """What each checker's verdict depends on, besides the template text."""
    lint_source = (Path(__file__).parent / "lint.py").read_text()
    return {
        "cfn-lint": f"cfn-lint {version('cfn-lint')}\n{lint_source}",
        "checkov": checkov_gate.fingerprint(),
        "guard": guard.fingerprint(),
        "parliament": iam_lint.fingerprint(),
    }


def verdict_key(fingerprint: str, text: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()


def run_gates(
    texts: dict[str, str],
    *,
    cache_dir: Path | None = None,
    stage_dir: Path | None = None,
    log: Callable[[str], None] = print,
    workers: int | None = None,
) -> list[GateResult]:
    """One result per checker (in CHECKERS order) for ``texts`` (display file name -> text).

    A display name that is a file holding exactly the text is handed to checkov as is; any other
    text is first written to ``stage_dir`` (the build checks templates before writing them).
    With ``cache_dir`` None every template is checked.
    """
    stamps: dict[str, dict[str, Path]] = {}
    todo: dict[str, dict[str, str]] = {}
    prints = fingerprints() if cache_dir else {}
    for checker in CHECKERS:
        if cache_dir is None:
            todo[checker] = dict(texts)
            continue
        stamps[checker] = {
            name: cache_dir / checker / verdict_key(prints[checker], text) for name, text in texts.items()
        }
        todo[checker] = {n: t for n, t in texts.items() if not stamps[checker][n].exists()}

    checkov = checkov_gate.CheckovRun(_files_on_disk(todo["checkov"], stage_dir), log)
    if workers is None and todo["checkov"]:
        # checkov keeps one core busy; more cfn-lint workers than the rest would only slow it.
        workers = max(1, _cores() - 1)
    try:
        results = {
            "cfn-lint": _cfn_lint(todo["cfn-lint"], workers),
            "guard": guard.check_texts(todo["guard"]),
            "parliament": iam_lint.check_texts(todo["parliament"]),
        }
    except BaseException:
        checkov.cancel()
        raise
    results["checkov"] = checkov.wait()

    ordered = []
    for checker in CHECKERS:
        result = results[checker]
        result.cached = sorted(texts.keys() - todo[checker].keys())
        result.findings.sort()
        if cache_dir is not None:
            dirty = {f.file for f in result.findings}
            if dirty - texts.keys():  # a finding about a file we cannot tell: trust no verdict
                dirty = set(texts)
            for name in todo[checker].keys() - dirty:
                stamp = stamps[checker][name]
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.write_text(f"{name}\n")
        ordered.append(result)
    return ordered


def _cfn_lint(texts: dict[str, str], workers: int | None) -> GateResult:
    start = time.perf_counter()
    result = GateResult("cfn-lint", checked=list(texts))
    if texts:
        from .lint import lint_texts

        for name, found in lint_texts(texts, workers).items():
            for f in found:
                where = f" [{', '.join(f.regions)}]" if f.regions else ""
                message = _short(f.message) + where
                result.findings.append(Finding(name, "cfn-lint", f.rule, f.resource or "-", message, f.line))
    result.seconds = time.perf_counter() - start
    return result


def _short(text: str, limit: int = 300) -> str:
    """One readable line: cfn-lint lists every allowed value in some messages (hundreds)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _files_on_disk(texts: dict[str, str], stage_dir: Path | None) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for i, (name, text) in enumerate(sorted(texts.items())):
        path = Path(name)
        if not (path.is_file() and path.read_text() == text):
            if stage_dir is None:
                raise ValueError(f"{name}: not on disk with this text, and no stage_dir to write it to")
            path = stage_dir / f"{i:03d}-{path.name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        files[name] = path
    return files


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def findings_of(results: list[GateResult]) -> list[Finding]:
    return sorted(f for r in results for f in r.findings)

"""One gate verdict cache per test run, made by one build, to seed the tests that build.

A fresh clone has no ``.build/gates``: without a seed, every test that builds a copy of the project
runs every gate over every template (checkov's start-up alone is seconds), as only a first build
does; a developer's next build checks just the templates whose text changed. Seeding gives each
test that incremental build.

A seeded verdict can only stand for what a gate already passed: ``tooling/gates/run.py`` keys a
verdict by the sha256 of the gate's fingerprint (tool lock, rules, the adapter's own source) and the
template's text, and keeps clean verdicts only. A changed template, rule file or tool is gated again,
and a template with findings is checked on every run.

The cache is made once per run by ``build()`` of every registered template into a temporary
directory, from scratch; with pytest-xdist the first worker to need it makes it and the others wait
for it (a lock file in the run's shared temporary directory).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tooling.gates.base import Gate
from tooling.gates.run import verdict_path


@dataclass(frozen=True)
class GateSeed:
    """The seeding build's verdicts (``build_dir/gates/<gate>/<key>``), log lines and problems."""

    build_dir: Path
    log: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def gates(self) -> Path:
        return self.build_dir / "gates"

    def passed(self, gate: Gate, text: str) -> bool:
        """Whether ``gate`` passed ``text`` in the seeding build (it keeps clean verdicts only)."""
        return verdict_path(self.gates, gate.name, gate.fingerprint(), text).is_file()

    def stamps(self, filename: str | None = None) -> list[Path]:
        """Verdicts (relative to ``gates``): every one, or those of template file ``filename``.

        A verdict file holds the name the build showed for the template (its output path)."""
        return [
            stamp.relative_to(self.gates)
            for stamp in sorted(self.gates.glob("*/*"))
            if filename is None or _template_of(stamp) == filename
        ]

    def seed(
        self, build_dir: Path, output_dir: Path | None = None, leave_out: Iterable[str] = ()
    ) -> list[Path]:
        """Add the verdicts to ``build_dir/gates``, but none for the template files ``leave_out``.

        Each verdict names ``output_dir`` (default: the project's ``output/`` beside ``build_dir``)
        as that directory's own build would; verdicts already there are kept. Returns those added.
        """
        output_dir = output_dir if output_dir is not None else build_dir.parent / "output"
        left_out = set(leave_out)
        added = []
        for relative in self.stamps():
            filename = _template_of(self.gates / relative)
            target = build_dir / "gates" / relative
            if filename in left_out or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{output_dir / filename}\n")
            added.append(target)
        return added


def _template_of(stamp: Path) -> str:
    return Path(stamp.read_text().strip()).name


_MADE: dict[Path, GateSeed] = {}


def gate_seed(tmp_path_factory: pytest.TempPathFactory) -> GateSeed:
    """This run's seed, made on first use (by this process or another xdist worker of the run)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    home = shared / "gate-seed"
    if home in _MADE:
        return _MADE[home]
    record = home / "build.json"
    with open(shared / "gate-seed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not record.exists():
            from templates_src.registry import TEMPLATES
            from tooling.build.pipeline import build

            shutil.rmtree(home, ignore_errors=True)
            log: list[str] = []
            result = build(
                list(TEMPLATES.values()), home / "output", build_dir=home / ".build", log=log.append
            )
            record.write_text(json.dumps({"log": log, "problems": result.all_problems()}))
    made = json.loads(record.read_text())
    _MADE[home] = GateSeed(home / ".build", tuple(made["log"]), tuple(made["problems"]))
    return _MADE[home]

"""The build: render every registered template, lint it, check its size, write it to ``output/``.

A template with any finding from any gate (``tooling.gates.GATES``) is not written to ``output/``:
its text goes to ``.build/rejected/<file>`` and its findings name that file and its lines (the
committed ``output/`` file, an older text, would have other lines).
Each gate's verdict on a clean template is cached by the hash of its text and of what the gate
depends on, so an unchanged template is not checked again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from templates_src.registry import TEMPLATES, TemplateSpec

from ..paths import project_path
from .render import render, write_atomic

if TYPE_CHECKING:
    from ..gates.base import Finding

# Templates reach CloudFormation by URL from S3, for which CloudFormation's limit is 1 MB.
DEPLOY_TEMPLATE_LIMIT = 1_048_576
#: Rejected and staged templates and cached verdicts, under the project root.
BUILD_DIR = ".build"


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    #: problems by template file name; a template with any is not written
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def all_problems(self) -> list[str]:
        return [p for problems in self.problems.values() for p in problems]


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def seconds(self) -> str:
        return f"{self.elapsed():.2f} s"


def build(
    specs: list[TemplateSpec],
    output_dir: Path,
    options: dict[str, Any] | None = None,
    lint: bool = True,
    log: Callable[[str], None] = print,
    build_dir: Path | None = None,
) -> BuildResult:
    """Render, size-check and lint ``specs``; write the clean ones to ``output_dir``."""
    build_dir = build_dir if build_dir is not None else project_path(BUILD_DIR)
    result = BuildResult()
    rendered: dict[str, str] = {}
    for spec in specs:
        watch = Stopwatch()
        try:
            text = render(spec, (options or {}).get(spec.name))
        except ValueError as err:
            # A builder's BuildError (a ValueError whose message names what to fix, on one line):
            # this template fails; the others are still built.
            result.problems[spec.filename] = [f"build {spec.filename}: {err}"]
            log(f"reject  {spec.filename:<36} cannot be built: {err}")
            continue
        rendered[spec.filename] = text
        result.problems[spec.filename] = size_problems(spec.filename, text)
        size = len(text.encode())
        log(
            f"render  {spec.filename:<36} {size:>7,} bytes "
            f"({DEPLOY_TEMPLATE_LIMIT - size:,} bytes left of the {DEPLOY_TEMPLATE_LIMIT:,}-byte limit "
            f"for a template from S3)  {watch.seconds()}"
        )
    findings: dict[str, list[Finding]] = {name: [] for name in rendered}
    if lint:
        findings = lint_stage(rendered, output_dir, build_dir, log)
    for filename, text in rendered.items():
        rejected = build_dir / "rejected" / filename
        if result.problems[filename] or findings[filename]:
            write_atomic(rejected, text)
            result.problems[filename] += [
                str(dataclasses.replace(f, file=str(rejected))) for f in findings[filename]
            ]
            log(f"reject  {filename:<36} not written; the findings' lines are those of {rejected}")
            continue
        rejected.unlink(missing_ok=True)  # an older rejected text would only mislead
        path = output_dir / filename
        changed = write_atomic(path, text)
        result.written.append(path)
        log(f"write   {str(path):<36} {'updated' if changed else 'unchanged'}")
    return result


def size_problems(filename: str, text: str) -> list[str]:
    size = len(text.encode())
    if size <= DEPLOY_TEMPLATE_LIMIT:
        return []
    return [
        f"size {filename}: {size:,} bytes is over CloudFormation's {DEPLOY_TEMPLATE_LIMIT:,}-byte limit "
        "for a template from S3"
    ]


def lint_stage(
    rendered: dict[str, str], output_dir: Path, build_dir: Path, log: Callable[[str], None]
) -> dict[str, list[Finding]]:
    """Every gate's findings for each rendered template (by file name), the gates run concurrently.

    A verdict is reused for a text a checker already found clean (``.build/gates``); templates
    are staged in ``.build/staged`` for checkov, since a template reaches ``output_dir`` only
    once every gate passes.
    """
    from ..gates import summary_table
    from ..gates.run import run_gates

    watch = Stopwatch()
    shown = {str(output_dir / name): name for name in rendered}
    results = run_gates(
        {path: rendered[name] for path, name in shown.items()},
        cache_dir=build_dir / "gates",
        stage_dir=build_dir / "staged",
        log=log,
        progress=True,
    )
    problems: dict[str, list[Finding]] = {name: [] for name in rendered}
    for result in results:
        for finding in result.findings:
            # A finding about a file the build did not name (a tool's own failure) rejects them all.
            for name in [shown[finding.file]] if finding.file in shown else list(problems):
                problems[name].append(finding)
    for line in summary_table(results, watch.elapsed()).splitlines():
        log(f"gates   {line}")
    return problems


def specs_for(names: list[str]) -> list[TemplateSpec]:
    """The registered templates called ``names`` (all when empty); unknown names raise KeyError."""
    if not names:
        return list(TEMPLATES.values())
    unknown = [n for n in names if n not in TEMPLATES]
    if unknown:
        raise KeyError(f"unknown template {unknown[0]!r}; accepted: {', '.join(TEMPLATES)}")
    return [TEMPLATES[n] for n in names]

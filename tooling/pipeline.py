"""The build: render every registered template, lint it, check its size, write it to ``output/``.

A template with any finding is not written to ``output/`` (it goes to ``.build/rejected/`` so its
line numbers can be read). Lint results of a clean template are cached by the hash of its text
and the cfn-lint version, so an unchanged template is not linted again.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from templates_src.registry import TEMPLATES, TemplateSpec

from .render import render, write_atomic

# `aws cloudformation deploy --template-file` refuses a larger file unless given --s3-bucket.
DEPLOY_TEMPLATE_LIMIT = 51_200
BUILD_DIR = Path(".build")


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

    def seconds(self) -> str:
        return f"{time.perf_counter() - self.start:.2f} s"


def build(
    specs: list[TemplateSpec],
    output_dir: Path,
    options: dict[str, Any] | None = None,
    lint: bool = True,
    log: Callable[[str], None] = print,
    build_dir: Path = BUILD_DIR,
) -> BuildResult:
    """Render, size-check and lint ``specs``; write the clean ones to ``output_dir``."""
    result = BuildResult()
    rendered: dict[str, str] = {}
    for spec in specs:
        watch = Stopwatch()
        text = rendered[spec.filename] = render(spec, (options or {}).get(spec.name))
        result.problems[spec.filename] = size_problems(spec.filename, text)
        size = len(text.encode())
        log(
            f"render  {spec.filename:<36} {size:>7,} bytes "
            f"({DEPLOY_TEMPLATE_LIMIT - size:,} under the deploy limit)  {watch.seconds()}"
        )
    if lint:
        for filename, problems in lint_stage(rendered, output_dir, build_dir, log).items():
            result.problems[filename] += problems
    for filename, text in rendered.items():
        if result.problems[filename]:
            rejected = build_dir / "rejected" / filename
            write_atomic(rejected, text)
            log(f"reject  {filename:<36} not written; see {rejected}")
            continue
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
        f"size {filename}: {size:,} bytes is over the {DEPLOY_TEMPLATE_LIMIT:,}-byte limit of "
        "`aws cloudformation deploy --template-file`"
    ]


def lint_stage(
    rendered: dict[str, str], output_dir: Path, build_dir: Path, log: Callable[[str], None]
) -> dict[str, list[str]]:
    """cfn-lint the rendered templates, reusing the verdict for a text already linted clean."""
    watch = Stopwatch()
    stamps = {name: build_dir / "lint" / lint_key(text) for name, text in rendered.items()}
    todo = {name: text for name, text in rendered.items() if not stamps[name].exists()}
    for name in rendered.keys() - todo.keys():
        log(f"lint    {name:<36} clean (same text and cfn-lint as the last clean lint)")
    if not todo:
        return {}
    from .lint import lint_texts, regions_for_text

    shown = {str(output_dir / name): name for name in todo}
    findings = lint_texts({path: todo[name] for path, name in shown.items()})
    problems: dict[str, list[str]] = {}
    for path, name in shown.items():
        found = findings[path]
        problems[name] = [f"cfn-lint {f}" for f in found]
        regions = len(regions_for_text(todo[name]))
        log(f"lint    {name:<36} {len(found)} finding(s) in {regions} Regions")
        if not found:
            write_atomic(stamps[name], f"{name}\n")
    log(f"lint    {len(todo)} template(s) linted  {watch.seconds()}")
    return problems


def lint_key(text: str) -> str:
    """Hash of the template text, the cfn-lint version and our lint stage: what a verdict depends on."""
    from importlib.metadata import version

    stage = (Path(__file__).parent / "lint.py").read_bytes()
    digest = hashlib.sha256(f"cfn-lint {version('cfn-lint')}\n{text}".encode())
    digest.update(stage)
    return digest.hexdigest()


def specs_for(names: list[str]) -> list[TemplateSpec]:
    """The registered templates called ``names`` (all when empty); unknown names raise KeyError."""
    if not names:
        return list(TEMPLATES.values())
    unknown = [n for n in names if n not in TEMPLATES]
    if unknown:
        raise KeyError(
            f"unknown template {unknown[0]!r}; accepted: {', '.join(TEMPLATES)}"
        )
    return [TEMPLATES[n] for n in names]

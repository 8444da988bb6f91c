"""cfn-lint, in process, over every Region where a template's resource types exist.

The rules are loaded once (about 0.4 s) and reused for every template and Region; the Regions
of one template are split between worker processes forked after the rules are loaded, so the
~50 ms each Region costs is spread over the machine's cores.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import cfnlint
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.helpers import REGIONS
from cfnlint.runner import Runner
from cfnlint.runner.template.runner import run_template_by_data

PROVIDERS_DIR = Path(cfnlint.__file__).parent / "data" / "schemas" / "providers"
CUSTOM_TYPE_PREFIX = "Custom::"
# Informational checks are findings too: a template with any of them does not ship.
INCLUDE_CHECKS = ["I"]


@dataclass(frozen=True, order=True)
class Finding:
    """One cfn-lint match, as a single line: file:line: [rule] message (regions)."""

    filename: str
    line: int
    rule: str
    message: str
    regions: tuple[str, ...] = ()
    #: logical id of the resource, output or parameter the match is about ("" when none)
    resource: str = ""

    def __str__(self) -> str:
        where = f" [{', '.join(self.regions)}]" if self.regions else ""
        return f"{self.filename}:{self.line}: {self.rule} {self.message}{where}"


@lru_cache(maxsize=None)
def provider_types(region: str) -> frozenset[str]:
    """The resource types cfn-lint's bundled schemas list for ``region``."""
    return frozenset(json.loads((PROVIDERS_DIR / f"{region}.json").read_text()))


def regions_for(resource_types: Iterable[str]) -> list[str]:
    """Every Region cfn-lint knows in which all ``resource_types`` exist, sorted."""
    wanted = set(resource_types)
    return sorted(
        region
        for region in REGIONS
        if (PROVIDERS_DIR / f"{region}.json").exists() and wanted <= provider_types(region)
    )


def resource_types(template: dict[str, Any]) -> set[str]:
    """The template's resource types that exist only in some Regions.

    Custom resources (``Custom::*``, ``AWS::CloudFormation::CustomResource``) are backed by the
    template's own functions and exist wherever CloudFormation does, so they narrow nothing.
    """
    return {
        r["Type"]
        for r in template.get("Resources", {}).values()
        if "Type" in r and not _is_custom(r["Type"])
    }


def _is_custom(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


_RUNNER: Runner | None = None
# Decoded templates keep line numbers in node classes that cannot be pickled, so forked workers
# read them from this global, set before the fork, instead of receiving them.
_TEMPLATES: dict[str, dict[str, Any]] = {}


def _runner() -> Runner:
    """The one Runner whose rules every template and Region reuse."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = Runner(ConfigMixIn(include_checks=INCLUDE_CHECKS))
    return _RUNNER


def _lint_task(task: tuple[str, tuple[str, ...]]) -> list[tuple[int, str, str, str]]:
    filename, regions = task
    config = ConfigMixIn(regions=list(regions), include_checks=INCLUDE_CHECKS)
    return [
        (m.linenumber, m.rule.id, m.message, _resource(getattr(m, "path", None)))
        for m in run_template_by_data(_TEMPLATES[filename], config, _runner().rules)
    ]


def _resource(path: list | None) -> str:
    """The logical id a match's path points into (Resources, Outputs, Parameters...), else ""."""
    if path and len(path) >= 2 and path[0] in ("Resources", "Outputs", "Parameters", "Conditions", "Rules", "Mappings"):
        return str(path[1])
    return ""


def lint_texts(texts: dict[str, str], workers: int | None = None) -> dict[str, list[Finding]]:
    """Findings for each template text (by file name), in every Region its resources exist in.

    Work is split into (template, Regions) tasks that the worker processes take in turn.
    """
    workers = workers or _workers()
    findings: dict[str, list[Finding]] = {}
    tasks: list[tuple[str, tuple[str, ...]]] = []
    regions_of: dict[str, list[str]] = {}
    for filename, text in texts.items():
        template, errors = decode_str(text)
        if errors:
            findings[filename] = [Finding(filename, m.linenumber, m.rule.id, m.message) for m in errors]
            continue
        regions = regions_of[filename] = regions_for(resource_types(template))
        if not regions:
            findings[filename] = [
                Finding(filename, 1, "regions", "no Region has every resource type of this template")
            ]
            continue
        _TEMPLATES[filename] = template
        # Every template's Regions are split between all workers: templates differ a lot in
        # cost (the product takes ~20 times the launch role), so a worker per template idles.
        tasks += [(filename, chunk) for chunk in _split(regions, workers)]
    _runner()  # load the rules before forking, so every worker inherits them
    try:
        if len(tasks) <= 1 or workers == 1:
            results = [_lint_task(task) for task in tasks]
        else:
            with multiprocessing.get_context("fork").Pool(min(workers, len(tasks))) as pool:
                results = pool.map(_lint_task, tasks, chunksize=1)
    finally:
        _TEMPLATES.clear()
    by_match: dict[str, dict[tuple[int, str, str, str], list[str]]] = {}
    for (filename, chunk), matches in zip(tasks, results):
        for match in matches:
            by_match.setdefault(filename, {}).setdefault(match, []).extend(chunk)
    for filename in regions_of:
        findings[filename] = sorted(
            Finding(filename, line, rule, message, _regions_label(found, regions_of[filename]), resource)
            for (line, rule, message, resource), found in by_match.get(filename, {}).items()
        )
    return findings


def lint_text(text: str, filename: str, workers: int | None = None) -> list[Finding]:
    """Findings for one template's text."""
    return lint_texts({filename: text}, workers)[filename]


def regions_for_text(text: str) -> list[str]:
    """The Regions a template's text is linted in."""
    template, errors = decode_str(text)
    return [] if errors else regions_for(resource_types(template))


def lint_file(path: Path, workers: int | None = None) -> list[Finding]:
    return lint_text(path.read_text(), str(path), workers)


def _regions_label(found: list[str], all_regions: list[str]) -> tuple[str, ...]:
    # A match reported by every chunk may still be Region-specific; say "all" only when it is not.
    return () if set(found) == set(all_regions) else tuple(sorted(set(found)))


def _split(regions: list[str], n: int) -> list[tuple[str, ...]]:
    n = max(1, min(n, len(regions)))
    return [tuple(regions[i::n]) for i in range(n)]


def _workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

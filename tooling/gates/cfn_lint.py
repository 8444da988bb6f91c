"""cfn-lint, in process, over every Region where a template's resource types exist: once per
group of Regions that cfn-lint cannot tell apart for that template.

cfn-lint checks a template against each Region's resource schemas, with that Region's partition
(``AWS::Partition``, ``AWS::URLSuffix``, ARNs) and its name (the value of ``AWS::Region``, which can
break a length limit in a Region with a longer name). Regions whose schemas for the template's
types have the same content (``cfn.schemas.schema_digest``), in the same partition, with names of
the same length, give the same findings: one representative Region is linted for the group, and
a finding it reports is reported for every Region of the group. The product's 30 Regions are
about ten runs, the launch role's 45 about ten.

The rules are loaded once (about 0.4 s) and reused for every run. The runs are not spread over
worker processes: in the build, checkov already runs beside this gate on the second core, and
linting four templates in one forked process per core measured a slower cold build on two cores
(about 1.16 times the time in turn), each child loading cfn-lint's schemas again.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ..cfn import schemas
from .base import Done, Finding, Gate, GateResult, RunContext, source_of

# cfn-lint itself is imported where it is used: its import takes ~0.4 s, and the command line
# reads this module's GATE for its help text.

NAME = "cfn-lint"
# The project's lifecycle rules (tooling/gates/lifecycle_rules: a template that hangs, fails or
# leaves resources behind on create, retry, update, rollback or delete) run with cfn-lint's own
# for every template; ``lint_texts(..., lifecycle=False)`` leaves them out (tests compare both).
LIFECYCLE_MODULE = "tooling.gates.lifecycle_rules"
LIFECYCLE_DIR = Path(__file__).parent / "lifecycle_rules"
# Informational checks are findings too: a template with any of them does not ship.
INCLUDE_CHECKS = ["I"]


def partition(region: str) -> str:
    """The partition cfn-lint assumes for ``region`` (what ``AWS::Partition`` resolves to)."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def resource_types(template: dict[str, Any]) -> set[str]:
    """The template's resource types that exist only in some Regions (custom resources exist
    wherever CloudFormation does: the template's own functions back them)."""
    return {
        r["Type"]
        for r in template.get("Resources", {}).values()
        if isinstance(r, dict) and "Type" in r and not schemas.is_custom(r["Type"])
    }


def regions_for(resource_types: set[str]) -> list[str]:
    """Every Region cfn-lint knows in which all ``resource_types`` exist, sorted."""
    return schemas.regions_for(resource_types)


def region_groups(types: set[str], regions: list[str]) -> list[tuple[str, ...]]:
    """``regions`` grouped by what cfn-lint reads of a Region for these types; each group sorted,
    its first Region the one linted."""
    groups: dict[tuple[str, str, int], list[str]] = {}
    for region in regions:
        groups.setdefault((schemas.schema_digest(types, region), partition(region), len(region)), []).append(
            region
        )
    return sorted(tuple(sorted(g)) for g in groups.values())


_RUNNERS: dict[bool, Any] = {}
#: The optional SAT solver sympy tries before its own (sympy.logic.inference.satisfiable).
SAT_SOLVER = "pycosat"


def skip_absent_sat_solver() -> None:
    """Make sympy's per-call attempt to import an absent pycosat fail at once.

    cfn-lint asks sympy's ``satisfiable()`` which of a template's Conditions can hold together, and
    ``satisfiable()`` imports pycosat on every call, falling back to sympy's own solver when it is
    missing. Python does not remember a failed import, so each call searched sys.path again: about
    3,500 searches per product template. A None entry in sys.modules is the import system's
    documented way to make an import fail at once; sympy then falls back as before, so the findings
    are the same. An installed pycosat is left alone.
    """
    import importlib.util
    import sys

    if SAT_SOLVER not in sys.modules and importlib.util.find_spec(SAT_SOLVER) is None:
        sys.modules[SAT_SOLVER] = None  # type: ignore[assignment]


def _runner(lifecycle: bool = True) -> Any:
    """The cfn-lint Runner whose rules every template and Region reuse: cfn-lint's own rules, and
    the lifecycle rules when ``lifecycle``."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    skip_absent_sat_solver()
    if lifecycle not in _RUNNERS:
        append = [LIFECYCLE_MODULE] if lifecycle else []
        _RUNNERS[lifecycle] = Runner(ConfigMixIn(include_checks=INCLUDE_CHECKS, append_rules=append))
    return _RUNNERS[lifecycle]


def _lint_run(
    template: dict[str, Any], regions: tuple[str, ...], lifecycle: bool = True
) -> list[tuple[int, str, str, str]]:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner.template.runner import run_template_by_data

    config = ConfigMixIn(regions=list(regions), include_checks=INCLUDE_CHECKS)
    # A regional rule ends its message with " in 'eu-west-1'"; the finding's Regions say it, and
    # must say it for every Region of the group, so a one-Region run drops the suffix.
    suffix = f" in {regions[0]!r}" if len(regions) == 1 else ""
    return [
        (m.linenumber, m.rule.id, m.message.removesuffix(suffix), _resource(getattr(m, "path", None)))
        for m in run_template_by_data(template, config, _runner(lifecycle).rules)
    ]


def _lint_template(
    template: dict[str, Any],
    groups: list[tuple[str, ...]],
    combined: bool = True,
    lifecycle: bool = True,
) -> dict[tuple[int, str, str, str], set[str]]:
    """Each match of one template and the Regions it applies to.

    First one run over the representatives of every group together (a run costs ~0.5 s for the
    product, each further Region ~40 ms); a clean template ends there. Only when that run finds
    something is each representative linted alone, to tell which groups the finding applies to.
    """
    if combined:
        matches = _lint_run(template, tuple(g[0] for g in groups), lifecycle)
        if not matches:
            return {}
        if len(groups) == 1:
            return {m: set(groups[0]) for m in matches}
    found: dict[tuple[int, str, str, str], set[str]] = {}
    for group in groups:
        for match in _lint_run(template, (group[0],), lifecycle):
            found.setdefault(match, set()).update(group)
    return found


def _resource(path: list | None) -> str:
    """The logical id a match's path points into (Resources, Outputs, Parameters...), else ""."""
    sections = ("Resources", "Outputs", "Parameters", "Conditions", "Rules", "Mappings")
    if path and len(path) >= 2 and path[0] in sections:
        return str(path[1])
    return ""


def _short(text: str, limit: int = 300) -> str:
    """One readable line: cfn-lint lists every allowed value in some messages (hundreds)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def lint_texts(
    texts: dict[str, str],
    grouped: bool = True,
    plans: dict[str, list[tuple[str, ...]]] | None = None,
    lifecycle: bool = True,
) -> dict[str, list[Finding]]:
    """Findings for each template text (by file name), in every Region its resources exist in.

    With ``grouped`` (the default) one Region per group of equivalent Regions is linted; without,
    every Region alone (the reference the grouping is tested against). ``plans``, when given, receives
    the Region groups of each template. ``lifecycle=False`` leaves the lifecycle rules out.
    """
    from cfnlint.decode.decode import decode_str

    findings: dict[str, list[Finding]] = {}
    groups_of: dict[str, list[tuple[str, ...]]] = {}
    templates: dict[str, dict[str, Any]] = {}
    for filename, text in texts.items():
        template, errors = decode_str(text)
        if errors:
            findings[filename] = [
                Finding(filename, NAME, m.rule.id, "-", _short(m.message), m.linenumber) for m in errors
            ]
            continue
        types = resource_types(template)
        regions = regions_for(types)
        if not regions:
            findings[filename] = [
                Finding(
                    filename, NAME, "regions", "-", "no Region has every resource type of this template", 1
                )
            ]
            continue
        templates[filename] = template
        groups_of[filename] = region_groups(types, regions) if grouped else [(r,) for r in regions]
    if plans is not None:
        plans.update(groups_of)
    for filename, groups in groups_of.items():
        by_match = _lint_template(templates[filename], groups, combined=grouped, lifecycle=lifecycle)
        every = {r for g in groups for r in g}
        findings[filename] = sorted(
            Finding(
                filename,
                NAME,
                rule,
                resource or "-",
                _short(message),
                line,
                () if found == every else tuple(sorted(found)),
            )
            for (line, rule, message, resource), found in by_match.items()
        )
    return findings


def lint_text(text: str, filename: str) -> list[Finding]:
    """Findings for one template's text."""
    return lint_texts({filename: text})[filename]


def fingerprint() -> str:
    from ..cfn import intrinsics

    text = f"cfn-lint {version('cfn-lint')}\n{source_of(__file__)}\n{source_of(schemas.__file__)}"
    rules = sorted(LIFECYCLE_DIR.glob("*.py"))
    return text + "".join(f"\n{source_of(str(p))}" for p in [*rules, Path(intrinsics.__file__)])


def start(texts: dict[str, str], context: RunContext) -> Done:
    begin = time.perf_counter()
    result = GateResult(NAME, checked=list(texts))
    if texts:
        plans: dict[str, list[tuple[str, ...]]] = {}
        for found in lint_texts(texts, plans=plans).values():
            result.findings += found
        for filename, groups in plans.items():
            regions = sum(len(g) for g in groups)
            result.notes.append(f"{filename}: {len(groups)} Regions linted for {regions}")
    result.seconds = time.perf_counter() - begin
    return Done(result)


GATE = Gate(
    name=NAME,
    does="cfn-lint in every Region where the templates' resource types exist",
    fingerprint=fingerprint,
    start=start,
)

"""The project's own Guard rules (``tooling/gates/rules/*.guard``), run with the cfn-guard 3 engine in process.

``cfn_guard_rs.run_checks`` raises on some ``or`` clauses, so this calls the engine's
``run_checks_rs(template_json, rules, False)`` directly and reads its JSON report: every
non-compliant rule becomes one finding per resource (or output) its failing clauses point at.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from cfn_flip import to_json

from .base import Done, Finding, Gate, GateResult, RunContext, source_of

NAME = "guard"
RULES_DIR = Path(__file__).resolve().parent / "rules"


def rule_files(rules_dir: Path | None = None) -> list[Path]:
    return sorted((rules_dir or RULES_DIR).glob("*.guard"))


def fingerprint(rules_dir: Path | None = None) -> str:
    """The engine's version, every rule file and this adapter: what a Guard verdict depends on."""
    parts = [f"cfn-guard-rs {version('cfn-guard-rs')}", source_of(__file__)]
    parts += [f"{p.name}\n{p.read_text()}" for p in rule_files(rules_dir)]
    return "\n".join(parts)


def check_texts(texts: dict[str, str], rules_dir: Path | None = None) -> GateResult:
    start = time.perf_counter()
    result = GateResult(NAME, checked=list(texts))
    rules = [(p.stem, p.read_text()) for p in rule_files(rules_dir)]
    if not rules:
        result.findings = [
            Finding(f, NAME, "ERROR", "-", f"no rules in {rules_dir or RULES_DIR}") for f in texts
        ]
    for filename, text in texts.items():
        result.findings += check_text(text, filename, rules)
    result.seconds = time.perf_counter() - start
    return result


def check_text(text: str, filename: str, rules: list[tuple[str, str]]) -> list[Finding]:
    from cfn_guard_rs import cfn_guard_rs

    try:
        template = to_json(text)
    except (ValueError, yaml.YAMLError) as err:
        return [Finding(filename, NAME, "ERROR", "-", f"not a YAML or JSON template: {err}")]
    findings: set[Finding] = set()
    for rules_name, rules_text in rules:
        try:
            report = json.loads(cfn_guard_rs.run_checks_rs(template, rules_text, False))
        except Exception as err:  # the engine's own exception types; any of them is a failure
            findings.add(
                Finding(filename, NAME, "ERROR", "-", f"{rules_name}.guard: {type(err).__name__}: {err}")
            )
            continue
        for item in report.get("not_compliant", []):
            rule = item.get("Rule", item)
            name = rule.get("name", "?")
            targets = _targets(rule) or {("-", "")}
            for resource, message in targets:
                findings.add(Finding(filename, NAME, name, resource, message or _rule_message(rule)))
    return sorted(findings)


def _targets(rule: dict[str, Any]) -> set[tuple[str, str]]:
    """(logical id, message) for each failing clause of a rule, from the paths it reports."""
    found: set[tuple[str, str]] = set()
    clauses = list(_clauses(rule.get("checks", [])))
    # `<<message>>` belongs to the clause it follows; its siblings fall back to the first one.
    fallback = next(
        (m for c in clauses if (m := ((c.get("messages") or {}).get("custom_message") or "").strip())), ""
    )
    for clause in clauses:
        messages = clause.get("messages") or {}
        message = (messages.get("custom_message") or "").strip()
        for path in _paths(clause.get("check", {})):
            parts = path.strip("/").split("/")
            if len(parts) >= 2 and parts[0] in ("Resources", "Outputs", "Parameters"):
                found.add((parts[1], message or fallback))
    return found


def _clauses(checks: Any) -> Iterator[dict[str, Any]]:
    """Every leaf clause (Unary or Binary) under a rule's checks, however they are nested."""
    if isinstance(checks, list):
        for item in checks:
            yield from _clauses(item)
    elif isinstance(checks, dict):
        for key, value in checks.items():
            if key in ("Unary", "Binary") and isinstance(value, dict):
                yield value
            else:
                yield from _clauses(value)


def _paths(node: Any) -> Iterator[str]:
    """Paths of what a clause looked at; not those of what it was compared *to* (a list of
    every candidate, for `in` comparisons, that would name innocent resources)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "path" and isinstance(value, str) and value:
                yield value
            elif key != "to":
                yield from _paths(value)
    elif isinstance(node, list):
        for item in node:
            yield from _paths(item)


def _rule_message(rule: dict[str, Any]) -> str:
    messages = rule.get("messages") or {}
    return messages.get("custom_message") or messages.get("error_message") or "rule not satisfied"


def start(texts: dict[str, str], context: RunContext) -> Done:
    return Done(check_texts(texts))


GATE = Gate(name=NAME, does="the Guard rules in tooling/gates/rules/", fingerprint=fingerprint, start=start)

"""The project's own Guard rules (``tooling/gates/rules/*.guard``), run by AWS's cfn-guard 3 binary.

The binary comes from its own hash-locked tool environment (``locks/cfn-guard.lock``, see
``toolenv``): the official cfn-guard builds that AWS cdklabs ship inside a pure-Python wheel,
so the gate works on every Python version and needs no compiler. One ``cfn-guard validate
--payload`` process checks every template against every rule file; its JSON report names, for
each non-compliant rule, the clauses that failed and the paths they looked at: every such rule
becomes one finding per resource (or output, or parameter) those paths point at.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import toolenv
from .base import Done, Finding, Gate, GateResult, RunContext, source_of

NAME = "guard"
RULES_DIR = Path(__file__).resolve().parent / "rules"

ENGINE = "cfn-guard"  # the tool environment: locks/cfn-guard.lock
ENGINE_VERSION = "3.1.1"  # what the locked wheel's binaries print for --version
# Where the wheel keeps its jsii bundle, and the binaries inside that bundle (by OS and CPU).
BUNDLE = "cdklabs/cdk_validator_cfnguard/_jsii/cdk-validator-cfnguard@0.0.62.jsii.tgz"
BUNDLE_OS = {"Linux": "ubuntu", "Darwin": "macos"}
BUNDLE_CPU = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
# cfn-guard's exit status: 0 all compliant, 19 some rule not compliant, 5 a rules file did not parse
# (the other rule files still ran and are in the report).
PASSED, FAILED, RULES_ERROR = 0, 19, 5


def rule_files(rules_dir: Path | None = None) -> list[Path]:
    return sorted((rules_dir or RULES_DIR).glob("*.guard"))


def fingerprint(rules_dir: Path | None = None) -> str:
    """The locked engine, every rule file and this adapter: what a Guard verdict depends on."""
    parts = [toolenv.lock_file(ENGINE).read_text(), source_of(__file__)]
    parts += [f"{p.name}\n{p.read_text()}" for p in rule_files(rules_dir)]
    return "\n".join(parts)


def bundle_member(system: str | None = None, machine: str | None = None) -> str:
    """The path, inside the wheel's bundle, of the cfn-guard binary for this (or the given) platform."""
    system = system or platform.system()
    machine = machine or platform.machine()
    os_name, cpu = BUNDLE_OS.get(system), BUNDLE_CPU.get(machine.lower())
    if not (os_name and cpu):
        raise toolenv.ToolEnvError(
            f"no official cfn-guard binary for {system} {machine}: the locked wheel ships Linux and "
            "macOS builds for x86_64 and aarch64"
        )
    return f"package/bin/{os_name}/{cpu}/cfn-guard"


def install_binary(env: Path) -> None:
    """Take this platform's binary out of the unpacked wheel into ``<env>/bin`` and check it runs."""
    member = bundle_member()
    binary = env / "bin" / ENGINE
    binary.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(env / "site" / BUNDLE) as bundle, bundle.extractfile(member) as source:
            binary.write_bytes(source.read())
    except (OSError, KeyError, tarfile.TarError) as err:
        raise toolenv.ToolEnvError(f"cannot take {member} out of {BUNDLE}: {err}") from err
    binary.chmod(0o755)
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60)
    except OSError as err:
        raise toolenv.ToolEnvError(f"{binary} does not run: {err}") from err
    if proc.stdout.strip() != f"{ENGINE} {ENGINE_VERSION}":
        raise toolenv.ToolEnvError(
            f"{binary} --version printed {(proc.stdout or proc.stderr).strip()!r}, "
            f"not '{ENGINE} {ENGINE_VERSION}'"
        )
    shutil.rmtree(env / "site", ignore_errors=True)  # the binary is all the gate needs


def engine(log: Callable[[str], None] = print) -> Path:
    """The cfn-guard binary, its tool environment made on first use; raises ToolEnvError."""
    env = toolenv.ensure_env(ENGINE, log, venv=False, finish=install_binary)
    return env / "bin" / ENGINE


def check_texts(
    texts: dict[str, str], rules_dir: Path | None = None, log: Callable[[str], None] = print
) -> GateResult:
    start = time.perf_counter()
    result = GateResult(NAME, checked=list(texts))
    files = rule_files(rules_dir)
    if not files:
        result.findings = [_error(f, f"no rules in {rules_dir or RULES_DIR}") for f in texts]
    elif texts:
        try:
            binary = engine(log)
        except toolenv.ToolEnvError as err:
            result.findings = [_error(f, f"tool environment: {err}") for f in texts]
        else:
            result.findings = validate(binary, texts, [(p.name, p.read_text()) for p in files])
    result.seconds = time.perf_counter() - start
    return result


def validate(binary: Path, texts: dict[str, str], rules: list[tuple[str, str]]) -> list[Finding]:
    """Findings of one cfn-guard run over ``texts`` (name -> text) with ``rules`` (file name -> text).

    A template cfn-guard cannot read stops its whole run: the templates are then checked one by
    one, so that one is an ERROR finding and the others still get their verdict.
    """
    names = list(texts)
    payload = json.dumps({"rules": [text for _, text in rules], "data": [texts[n] for n in names]})
    args = ["validate", "--payload", "--output-format", "json", "--show-summary", "none", "--structured"]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    try:
        proc = subprocess.run([str(binary), *args], input=payload, capture_output=True, text=True, env=env)
    except OSError as err:  # the environment was damaged after it was made
        return [_error(name, f"cannot run {binary}: {err}") for name in names]
    findings = parse(proc.stdout, proc.stderr, proc.returncode, names, [name for name, _ in rules])
    if findings is None:
        if len(names) > 1:
            return sorted(f for name in names for f in validate(binary, {name: texts[name]}, rules))
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        return [_error(names[0], f"cfn-guard could not check it (exit status {proc.returncode}): {tail}")]
    return findings


_RULES_ERROR = re.compile(
    r"Parsing error handling rule file = RULES_STDIN\[(\d+)\], Error = (.*?)(?=\n---|\Z)", re.S
)


def parse(
    stdout: str, stderr: str, returncode: int, names: list[str], rule_names: list[str]
) -> list[Finding] | None:
    """Findings from cfn-guard's report, one report per template in ``names`` order.

    ``None`` when there is no complete report (a template it could not read): never a pass.
    A rules file that does not parse is an ERROR finding for every template.
    """
    broken = _RULES_ERROR.findall(stderr)
    if returncode not in (PASSED, FAILED, RULES_ERROR) or (returncode == RULES_ERROR and not broken):
        return None
    try:
        reports = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    if not (isinstance(reports, list) and len(reports) == len(names)):
        return None
    findings: set[Finding] = set()
    for index, message in broken:
        rule_file = rule_names[int(index) - 1] if 0 < int(index) <= len(rule_names) else f"#{index}"
        message = re.sub(r"RULES_STDIN\[\d+\]", rule_file, " ".join(message.split()))
        findings |= {_error(name, f"{rule_file}: {message}") for name in names}
    for name, report in zip(names, reports, strict=True):
        for item in report.get("not_compliant", []):
            rule = item.get("Rule", item)
            targets = _targets(rule) or {("-", ""): 0}
            for (resource, message), line in targets.items():
                findings.add(
                    Finding(name, NAME, rule.get("name", "?"), resource, message or _rule_message(rule), line)
                )
    return sorted(findings)


def _error(file: str, message: str) -> Finding:
    return Finding(file, NAME, "ERROR", "-", message)


SECTIONS = ("Resources", "Outputs", "Parameters")  # whose entries a finding names by logical id
_LOCATED = re.compile(r"(/[^\s\[\]]*)\[L:(\d+),C:\d+\]")


def _targets(rule: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(logical id, message) -> first line (0: unknown) for each failing clause of a rule, from
    the paths it reports."""
    found: dict[tuple[str, str], int] = {}
    clauses = list(_clauses(rule.get("checks", [])))
    # `<<message>>` belongs to the clause it follows; its siblings fall back to the first one.
    fallback = next(
        (m for c in clauses if (m := ((c.get("messages") or {}).get("custom_message") or "").strip())), ""
    )
    for clause in clauses:
        messages = clause.get("messages") or {}
        message = (messages.get("custom_message") or "").strip()
        # cfn-guard counts lines from 0 ("[L:13,C:18]" is where the value starts on line 14).
        located = _LOCATED.findall(messages.get("error_message") or "")
        lines = {path: int(line) + 1 for path, line in located}
        for path in _paths(clause.get("check", {})):
            parts = path.strip("/").split("/")
            if len(parts) >= 2 and parts[0] in SECTIONS:
                key, line = (parts[1], message or fallback), lines.get(path, 0)
                known = found.get(key, 0)
                found[key] = min(known, line) if known and line else known or line
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
    every candidate, for `in` comparisons, that would name innocent resources).

    A key bound in a filter (``Parameters[ name | ... ]``) is reported by cfn-guard 3.1 with the
    section's path and the key as its value: that is the path of the entry the key names.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "path" and isinstance(value, str) and value:
                name = node.get("value")
                if value.strip("/") in SECTIONS and isinstance(name, str) and name:
                    yield f"{value}/{name}"
                else:
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
    return Done(check_texts(texts, log=context.log))


GATE = Gate(name=NAME, does="the Guard rules in tooling/gates/rules/", fingerprint=fingerprint, start=start)

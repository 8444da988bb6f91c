"""Parameter files for ``build.py deploy``: read, complete from the environment, check offline.

Format: a JSON array of ``"Key=Value"`` strings, exactly what ``aws cloudformation deploy
--parameter-overrides`` takes, so the same file works with ``--parameter-overrides
file://params/development.json`` (AWS CLI v1 and v2). A list value (SubnetIds) is one string with
commas: ``"SubnetIds=subnet-a,subnet-b"``.

Secrets (NoEcho parameters) never live in a parameter file: they come from environment variables
(the template's registry entry names them: ``TemplateSpec.secret_env``) or stay empty (the template then generates the password and creates an API
token). On an update, a secret that is not in the environment keeps the stack's previous value, so
forgetting the variable never changes the password (which the instance refuses as an update).

Checks are pure: :func:`check_values` reports every problem at once, from the template's own
Parameters and Rules (:mod:`tooling.constraints`) plus what CloudFormation cannot check before it
starts creating resources (the registry entry's ``value_checks``: for the product, the instance
name built from project and environment, the subnet count for the deployment type).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from templates_src.registry import TemplateSpec
from tooling.constraints import Problem, validate

T = TypeVar("T")

ValueChecks = Callable[[Mapping[str, str], str | None], list[tuple[str, str]]]


@dataclass
class ParameterSet:
    """What a parameter file and the environment give, and every problem found reading them."""

    #: parameter -> value from the file (non-secret) or the environment (secret)
    values: dict[str, str] = field(default_factory=dict)
    #: secret parameters whose value came from the environment (never printed)
    from_env: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    #: secret parameter -> the environment variable its value came from
    secret_env: dict[str, str] = field(default_factory=dict)
    #: template Rules that need AWS to evaluate (CloudFormation checks them when the change set is made)
    unchecked_rules: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_file_text(text: str, source: str = "parameter file") -> tuple[dict[str, str], list[Problem]]:
    """The ``Key=Value`` entries of a parameter file, and every format problem (all at once)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return {}, [Problem(source, f"is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})")]
    except RecursionError:
        return {}, [
            Problem(
                source,
                'is nested too deeply to be a parameter file (a flat JSON array of "Key=Value" strings)',
            )
        ]
    if not isinstance(data, list):
        return {}, [
            Problem(
                source,
                'must be a JSON array of "Key=Value" strings (the aws cloudformation deploy '
                '--parameter-overrides file:// form), e.g. ["ProjectName=ons", "Environment=development"]',
            )
        ]
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, str):
            problems.append(
                Problem(f"{source} entry {number}", f'must be a "Key=Value" string, not {json.dumps(entry)}')
            )
            continue
        bad = invalid_text(entry)
        if bad:
            problems.append(Problem(f"{source} entry {number}", bad))
            continue
        key, sep, value = entry.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(Problem(f"{source} entry {number}", f'{entry!r} is not "Key=Value"'))
            continue
        if key in values:
            problems.append(Problem(key, f"is given more than once in {source} (entry {number})"))
            continue
        values[key] = value
    return values, problems


def templates_taking(keys: Iterable[str], parameters_of: Mapping[T, Iterable[str]]) -> list[T]:
    """The templates (keys of ``parameters_of``) whose parameters include every one of ``keys``."""
    wanted = set(keys)
    return [template for template, names in parameters_of.items() if wanted <= set(names)]


def invalid_text(text: str) -> str | None:
    """Why ``text`` cannot be sent to AWS or printed, if it cannot: a lone UTF-16 surrogate (JSON's
    ``"\\ud800"``, or a non-UTF-8 byte of an environment variable) is not Unicode text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        where = text[err.start : err.end].encode("ascii", "backslashreplace").decode()
        return f"holds {where} at character {err.start + 1}, which is not valid text (a lone surrogate)"
    return None


def load(
    path: Path,
    template: Mapping[str, Any],
    environ: Mapping[str, str],
    secret_env: Mapping[str, str] | None = None,
) -> ParameterSet:
    """Read ``path``, add secrets from ``environ`` (``secret_env``: parameter -> variable); report
    format problems and secrets in the file."""
    result = ParameterSet()
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        result.problems.append(Problem(str(path), f"cannot be read: {err.strerror or err}"))
        return result
    except UnicodeDecodeError as err:
        byte = err.object[err.start : err.start + 1].hex()
        result.problems.append(
            Problem(str(path), f"is not UTF-8 text (byte 0x{byte} at offset {err.start}); save it as UTF-8")
        )
        return result
    values, result.problems = parse_file_text(text, str(path))
    secrets = secret_parameters(template)
    for name in secrets:
        if name in values:
            variable = (secret_env or {}).get(name)
            hint = f"set the environment variable {variable}" if variable else "pass it at deploy time"
            result.problems.append(
                Problem(
                    name, f"is a secret (NoEcho) and must not be in a parameter file; remove it and {hint}"
                )
            )
            del values[name]
    for name in secrets:
        variable = (secret_env or {}).get(name)
        if variable and environ.get(variable):
            if invalid_text(environ[variable]):
                # Never show any of the value: say which variable.
                result.problems.append(
                    Problem(
                        f"{name} (environment variable {variable})",
                        "is not valid text (a byte that is not UTF-8, or a lone surrogate); set it again",
                    )
                )
                continue
            values[name] = environ[variable]
            result.from_env.add(name)
    result.secret_env = {n: v for n, v in (secret_env or {}).items() if n in result.from_env}
    result.values = values
    return result


def secret_parameters(template: Mapping[str, Any]) -> list[str]:
    """The template's NoEcho parameters, in template order."""
    return [
        name
        for name, definition in (template.get("Parameters") or {}).items()
        if str(definition.get("NoEcho", "false")).lower() == "true"
    ]


def check_values(
    template: Mapping[str, Any],
    values: Mapping[str, str],
    value_checks: ValueChecks | None = None,
    region: str | None = None,
) -> list[Problem]:
    """Every reason the values would fail: template constraints and Rules, then the product's own
    (``region``: the stack's Region, for what depends on it, such as alarm topics)."""
    problems = list(validate(template, values).problems)
    if value_checks is not None:
        found = value_checks(effective_values(template, values), region)
        problems.extend(Problem(*problem) for problem in found)
    return problems


def unchecked_rules(template: Mapping[str, Any], values: Mapping[str, str]) -> list[str]:
    """Rules that cannot be evaluated offline for these values."""
    return validate(template, values).unchecked_rules


def effective_values(template: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, str]:
    """Given values over the template's defaults (parameters with neither are left out)."""
    result: dict[str, str] = {}
    for name, definition in (template.get("Parameters") or {}).items():
        if name in values:
            result[name] = values[name]
        elif definition.get("Default") is not None:
            result[name] = str(definition["Default"])
    return result


def read_and_check(
    path: Path,
    template: Mapping[str, Any],
    environ: Mapping[str, str],
    spec: TemplateSpec | None = None,
    region: str | None = None,
) -> ParameterSet:
    """:func:`load` then :func:`check_values`: the whole offline validation of step 1, with the
    secrets and value checks of ``spec`` (the template's registry entry, if it is registered) for a
    stack in ``region`` (None: checks that need the Region are skipped)."""
    result = load(path, template, environ, spec.secret_env if spec else {})
    if not result.problems or result.values:
        checks = spec.value_checks if spec else None
        found = check_values(template, result.values, checks, region)
        # A secret's problem is the environment variable's, not the file's: name the variable.
        result.problems.extend(
            Problem(f"{p.parameter} (environment variable {result.secret_env[p.parameter]})", p.message)
            if p.parameter in result.secret_env
            else p
            for p in found
        )
        result.unchecked_rules = unchecked_rules(template, result.values)
    # The same problem can be found twice (a format problem and a missing value).
    result.problems = list(dict.fromkeys(result.problems))
    return result


def override_args(values: Mapping[str, str]) -> list[str]:
    """The values as ``--parameter-overrides`` arguments (and parameter-file entries)."""
    return [f"{key}={value}" for key, value in values.items()]

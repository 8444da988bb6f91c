"""Evaluate a template's Conditions for given parameter values, as CloudFormation does.

Answers "which resources and outputs does this stack get?" without AWS: the tests use it to
check the optional parts of a template, and deploy and docs can show it to a person.
"""

from __future__ import annotations

from typing import Any, Mapping


class ConditionError(ValueError):
    """A condition uses something that cannot be evaluated from parameter values alone."""


def parameter_values(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    """Given values over defaults; list types become lists, as ``Ref`` returns them."""
    values: dict[str, Any] = {}
    for name, definition in template.get("Parameters", {}).items():
        raw = given.get(name, definition.get("Default"))
        if raw is None:
            continue
        raw = str(raw)
        kind = definition.get("Type", "String")
        values[name] = [v.strip() for v in raw.split(",")] if _is_list(kind) else raw
    return values


def evaluate_conditions(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, bool]:
    """Every condition of ``template`` as True or False for ``given`` parameter values."""
    values = parameter_values(template, given)
    definitions = template.get("Conditions", {})
    results: dict[str, bool] = {}

    def condition(name: str, seen: tuple[str, ...] = ()) -> bool:
        if name in seen:
            raise ConditionError(f"condition {name} refers to itself")
        if name not in results:
            results[name] = bool(_eval(definitions[name], values, lambda n: condition(n, seen + (name,))))
        return results[name]

    for name in definitions:
        condition(name)
    return results


def active(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, set[str]]:
    """Logical ids of the resources and outputs a stack gets for ``given`` values."""
    conditions = evaluate_conditions(template, given)

    def keep(section: str) -> set[str]:
        return {
            name
            for name, body in template.get(section, {}).items()
            if "Condition" not in body or conditions[body["Condition"]]
        }

    return {"Resources": keep("Resources"), "Outputs": keep("Outputs")}


def _eval(node: Any, values: Mapping[str, Any], condition) -> Any:
    if isinstance(node, (str, int, float, bool)):
        return str(node).lower() if isinstance(node, bool) else str(node)
    if isinstance(node, list):
        return [_eval(item, values, condition) for item in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise ConditionError(f"cannot evaluate {node!r}")
    (fn, arg), = node.items()
    if fn == "Ref":
        if arg not in values:
            raise ConditionError(f"Ref {arg} is not a parameter with a value")
        return values[arg]
    if fn == "Condition":
        return condition(arg)
    if fn == "Fn::Equals":
        left, right = (_eval(a, values, condition) for a in arg)
        return left == right
    if fn == "Fn::Not":
        return not _eval(arg[0], values, condition)
    if fn == "Fn::And":
        return all(_eval(a, values, condition) for a in arg)
    if fn == "Fn::Or":
        return any(_eval(a, values, condition) for a in arg)
    if fn == "Fn::Join":
        delimiter, items = arg
        return delimiter.join(_eval(items, values, condition))
    if fn == "Fn::Select":
        index, items = arg
        return _eval(items, values, condition)[int(_eval(index, values, condition))]
    raise ConditionError(f"{fn} is not evaluated offline")


def _is_list(kind: str) -> bool:
    return kind == "CommaDelimitedList" or kind.startswith("List<")

"""Evaluate Conditions and Rules for given parameter values, as CloudFormation does, offline.

One evaluator serves both: a template's ``Conditions`` (which resources and outputs a stack gets)
and its ``Rules`` (which parameter values CloudFormation refuses). What only AWS can evaluate
(``Fn::ValueOf``, ``Fn::ValueOfAll``, ``Fn::RefAll``, pseudo parameters) raises
:class:`NeedsAWS`; a ``Ref`` to a parameter without a value raises :class:`MissingValue`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Rule functions whose value comes from the account (resource attributes or all resources of a
# type): only AWS can evaluate them.
AWS_RULE_FUNCTIONS = frozenset({"Fn::ValueOf", "Fn::ValueOfAll", "Fn::RefAll"})
_LOGIC = frozenset({"Ref", "Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals"})
#: The functions each section may use (CloudFormation's documented lists); others need AWS here.
CONDITION_FUNCTIONS = _LOGIC | {"Condition", "Fn::Join", "Fn::Select"}
RULE_FUNCTIONS = _LOGIC | {"Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn"}


class EvaluationError(ValueError):
    """An expression that cannot be evaluated from parameter values alone."""


class NeedsAWS(EvaluationError):
    """The expression needs AWS (account data, a pseudo parameter, an unknown function)."""


class MissingValue(EvaluationError):
    """The expression refers to a parameter that has no value."""


def text(value: Any) -> str:
    """A template or input value as CloudFormation sees it: a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(text(item) for item in value)
    return str(value)


def is_list_type(kind: str) -> bool:
    return kind == "CommaDelimitedList" or kind.startswith("List<")


class Evaluator:
    """Values of expressions over ``values`` (parameter -> string, or list of strings for list
    types, as ``Ref`` gives them); ``condition`` answers a ``Condition`` by name."""

    def __init__(
        self,
        values: Mapping[str, Any],
        missing: frozenset[str] | set[str] = frozenset(),
        condition: Callable[[str], bool] | None = None,
        functions: frozenset[str] = RULE_FUNCTIONS,
    ) -> None:
        self.values, self.missing, self.condition = values, missing, condition
        self.functions = functions

    def truth(self, node: Any) -> bool:
        """An expression that must be true or false."""
        value = self.value(node)
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise NeedsAWS(f"not a condition: {node!r}")

    def value(self, node: Any) -> Any:
        """A bool, a string or a list of strings."""
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if not isinstance(node, Mapping):
            return text(node)  # literals compare as strings, like a Ref to a Number
        if len(node) != 1:
            raise NeedsAWS(f"not a function: {node!r}")
        ((fn, args),) = node.items()
        if fn in AWS_RULE_FUNCTIONS or fn not in self.functions:
            raise NeedsAWS(f"{fn} is not evaluated offline")
        if fn == "Ref":
            if args in self.missing:
                raise MissingValue(f"Ref {args} is not a parameter with a value")
            if args not in self.values:  # pseudo parameters (AWS::Region, ...) or an unknown name
                raise NeedsAWS(f"Ref {args} is not a parameter with a value")
            return self.values[args]
        if fn == "Condition":
            if self.condition is None:
                raise NeedsAWS(f"Condition {args} outside Conditions")
            return self.condition(args)
        if not isinstance(args, list):
            raise NeedsAWS(f"{fn} needs a list of arguments")
        if fn == "Fn::And":
            return all([self.truth(arg) for arg in args])
        if fn == "Fn::Or":
            return any([self.truth(arg) for arg in args])
        if fn == "Fn::Not" and len(args) == 1:
            return not self.truth(args[0])
        if fn == "Fn::Equals" and len(args) == 2:
            return self.value(args[0]) == self.value(args[1])
        if fn in ("Fn::Contains", "Fn::EachMemberEquals") and len(args) == 2:
            strings = _strings(self.value(args[0]))
            string = self.value(args[1])
            if fn == "Fn::Contains":
                return string in strings
            return all(member == string for member in strings)
        if fn == "Fn::EachMemberIn" and len(args) == 2:
            to_check, to_match = _strings(self.value(args[0])), _strings(self.value(args[1]))
            return all(member in to_match for member in to_check)
        if fn == "Fn::Join" and len(args) == 2:
            return text(args[0]).join(_strings(self.value(args[1])))
        if fn == "Fn::Select" and len(args) == 2:
            return _strings(self.value(args[1]))[int(self.value(args[0]))]
        raise NeedsAWS(f"{fn} is not evaluated offline")


def _strings(value: Any) -> list[Any]:
    """A list argument (a single string counts as a one-item list)."""
    return value if isinstance(value, list) else [value]


# --- Conditions ---------------------------------------------------------------------------------

#: Raised by the Conditions functions: kept as the name callers catch.
ConditionError = EvaluationError


def parameter_values(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    """Given values over defaults; list types become lists, as ``Ref`` returns them."""
    values: dict[str, Any] = {}
    for name, definition in (template.get("Parameters") or {}).items():
        raw = given.get(name, definition.get("Default"))
        if raw is None:
            continue
        raw = str(raw)
        kind = definition.get("Type", "String")
        values[name] = [v.strip() for v in raw.split(",")] if is_list_type(kind) else raw
    return values


def evaluate_conditions(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, bool]:
    """Every condition of ``template`` as True or False for ``given`` parameter values."""
    values = parameter_values(template, given)
    definitions = template.get("Conditions") or {}
    results: dict[str, bool] = {}

    def condition(name: str, seen: tuple[str, ...] = ()) -> bool:
        if name in seen:
            raise EvaluationError(f"condition {name} refers to itself")
        if name not in results:
            evaluator = Evaluator(
                values, condition=lambda n: condition(n, seen + (name,)), functions=CONDITION_FUNCTIONS
            )
            results[name] = evaluator.truth(definitions[name])
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
            for name, body in (template.get(section) or {}).items()
            if "Condition" not in body or conditions[body["Condition"]]
        }

    return {"Resources": keep("Resources"), "Outputs": keep("Outputs")}

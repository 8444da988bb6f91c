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


# --- Resource properties ------------------------------------------------------------------------

#: ``Ref AWS::NoValue``: the property (or list item) it stands for is left out.
NO_VALUE = type("NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()
#: The functions a resource property may use that are evaluated here; Fn::ImportValue,
#: Fn::GetAZs, Fn::FindInMap and the like need AWS (or a Mappings section) and are not.
PROPERTY_FUNCTIONS = CONDITION_FUNCTIONS | {"Fn::If", "Fn::Sub", "Fn::GetAtt", "Fn::Split", "Fn::Base64"}


class Resolver(Evaluator):
    """Values of resource properties, as CloudFormation gives them to a resource.

    ``refs`` answers ``Ref`` beyond the parameters (pseudo parameters, physical ids of resources);
    ``attributes`` answers ``Fn::GetAtt`` by ``"Resource.Attribute"``; ``condition`` answers
    ``Fn::If``. Literals become strings, as a custom resource receives every scalar.
    """

    def __init__(
        self,
        values: Mapping[str, Any],
        refs: Mapping[str, Any],
        attributes: Mapping[str, Any],
        condition: Callable[[str], bool],
    ) -> None:
        super().__init__({**refs, **values}, condition=condition, functions=PROPERTY_FUNCTIONS)
        self.attributes = attributes

    def resolve(self, node: Any) -> Any:
        """``node`` with every function evaluated; a ``Ref AWS::NoValue`` drops its key or item."""
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not NO_VALUE]
        if isinstance(node, Mapping) and not self._is_function(node):
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not NO_VALUE}
        return self.value(node)

    @staticmethod
    def _is_function(node: Mapping[str, Any]) -> bool:
        return len(node) == 1 and next(iter(node)) in PROPERTY_FUNCTIONS | AWS_RULE_FUNCTIONS | {
            "Fn::ImportValue"
        }

    def value(self, node: Any) -> Any:
        if isinstance(node, Mapping) and not self._is_function(node):
            return self.resolve(node)
        if not isinstance(node, Mapping) or len(node) != 1:
            return super().value(node)
        ((fn, args),) = node.items()
        if fn == "Ref" and args == "AWS::NoValue":
            return NO_VALUE
        if fn == "Fn::If" and isinstance(args, list) and len(args) == 3:
            assert self.condition is not None
            return self.resolve(args[1] if self.condition(args[0]) else args[2])
        if fn == "Fn::GetAtt":
            name = args if isinstance(args, str) else ".".join(text(self.value(a)) for a in args)
            if name not in self.attributes:
                raise NeedsAWS(f"no value for Fn::GetAtt {name}")
            return self.attributes[name]
        if fn == "Fn::Sub":
            return self._sub(args)
        if fn == "Fn::Split" and isinstance(args, list) and len(args) == 2:
            return text(self.value(args[1])).split(text(args[0]))
        if fn == "Fn::Base64":
            import base64

            return base64.b64encode(text(self.value(args)).encode()).decode()
        if fn in ("Fn::Join", "Fn::Select") and isinstance(args, list) and len(args) == 2:
            args = [args[0], [v for v in _strings(self.resolve(args[1])) if v is not NO_VALUE]]
        return super().value({fn: args})

    def _sub(self, args: Any) -> str:
        from .intrinsics import SUB_VARIABLE, sub_parts

        string, variables = sub_parts(args)
        local = {name: self.value(expr) for name, expr in variables.items()}

        def one(match: Any) -> str:
            name = match.group(1)
            if name in local:
                return text(local[name])
            if "." in name:
                return text(self.value({"Fn::GetAtt": name}))
            return text(self.value({"Ref": name}))

        return SUB_VARIABLE.sub(one, string).replace("${!", "${")

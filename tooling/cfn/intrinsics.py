"""Which parameters and resources a CloudFormation expression refers to.

``Ref`` names a parameter or a resource; ``Fn::GetAtt`` a resource; ``Fn::Sub`` both through
``${Name}`` and ``${Resource.Attribute}`` in its string (a name the Sub's own variable map
defines is not a reference); ``Fn::If`` and ``Condition`` depend on the parameters of the
condition they name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

#: ``${Name}`` or ``${Resource.Attribute}`` in an Fn::Sub string; ``${!Literal}`` is not a variable.
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def sub_parts(arg: Any) -> tuple[str, Mapping[str, Any]]:
    """(string, variable map) of an Fn::Sub argument, in either of its two forms."""
    if isinstance(arg, str):
        return arg, {}
    if isinstance(arg, list) and arg:
        text = arg[0] if isinstance(arg[0], str) else ""
        variables = arg[1] if len(arg) > 1 and isinstance(arg[1], Mapping) else {}
        return text, variables
    return "", {}


def sub_variables(text: str) -> list[str]:
    """The variable names in an Fn::Sub string, in order (``Resource.Attribute`` kept whole)."""
    return SUB_VARIABLE.findall(text)


def _function(node: Any) -> tuple[str, Any] | None:
    if isinstance(node, Mapping) and len(node) == 1:
        ((fn, arg),) = node.items()
        if fn == "Ref" or fn == "Condition" or fn.startswith("Fn::"):
            return fn, arg
    return None


def resources_in(node: Any, resources: Mapping[str, Any]) -> Iterator[str]:
    """Logical ids of ``resources`` that ``node`` refers to with Ref, Fn::GetAtt or Fn::Sub, in order."""
    if isinstance(node, list):
        for item in node:
            yield from resources_in(item, resources)
        return
    if not isinstance(node, Mapping):
        return
    function = _function(node)
    if function:
        fn, arg = function
        if fn == "Ref":
            if isinstance(arg, str) and arg in resources:
                yield arg
            return
        if fn == "Fn::GetAtt":
            target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
            if isinstance(target, str) and target in resources:
                yield target
            return
        if fn == "Fn::Sub":
            text, variables = sub_parts(arg)
            for var in sub_variables(text):
                target = var.split(".", 1)[0]
                if target in resources and target not in variables:
                    yield target
            yield from resources_in(list(variables.values()), resources)
            return
    for value in node.values():
        yield from resources_in(value, resources)


def parameters_in(node: Any, template: Mapping[str, Any]) -> set[str]:
    """Parameters that decide ``node``'s value: Ref, ``${Param}`` in Fn::Sub, and the conditions
    of Fn::If and Condition (followed through the template's Conditions)."""
    params = template.get("Parameters") or {}
    conditions = template.get("Conditions") or {}
    found: set[str] = set()

    def walk(n: Any, seen: frozenset[str]) -> None:
        if isinstance(n, list):
            for item in n:
                walk(item, seen)
            return
        if not isinstance(n, Mapping):
            return
        function = _function(n)
        if function:
            fn, arg = function
            if fn == "Ref":
                if isinstance(arg, str) and arg in params:
                    found.add(arg)
                return
            if fn == "Fn::Sub":
                text, variables = sub_parts(arg)
                found.update(v for v in sub_variables(text) if v in params and v not in variables)
                walk(list(variables.values()), seen)
                return
            if fn in ("Fn::If", "Condition"):
                name = arg if fn == "Condition" else (arg[0] if isinstance(arg, list) and arg else None)
                if isinstance(name, str) and name in conditions and name not in seen:
                    walk(conditions[name], seen | {name})
                if fn == "Fn::If" and isinstance(arg, list):
                    walk(arg[1:], seen)
                return
        for value in n.values():
            walk(value, seen)

    walk(node, frozenset())
    return found

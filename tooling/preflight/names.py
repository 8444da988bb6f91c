"""The fixed names a stack will create, read from the template for given parameter values.

A resource whose name property is set (an instance's ``Name``, a secret's ``Name``, a log group's
``LogGroupName``, a KMS alias's ``AliasName``) fails to create when the name is taken. The names are
evaluated with the project's CloudFormation evaluator, so they follow the template, not a copy of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..cfn import evaluate
from .checks import PlannedName

#: Resource type -> the property holding the fixed name it creates, for the types preflight looks up
#: (property names from cfn-lint's bundled resource schemas; tests/test_preflight.py re-reads them).
NAME_PROPERTIES: dict[str, str] = {
    "AWS::Timestream::InfluxDBInstance": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::KMS::Alias": "AliasName",
}


def planned_names(
    template: Mapping[str, Any], values: Mapping[str, str], refs: Mapping[str, str]
) -> list[PlannedName]:
    """The fixed names of the resources the stack gets for ``values`` (conditions applied);
    ``refs`` gives pseudo parameters (AWS::StackName, AWS::Region, ...) that are known."""
    conditions = evaluate.evaluate_conditions(template, values)
    active = evaluate.active(template, values)["Resources"]
    resolver = evaluate.Resolver(
        evaluate.parameter_values(template, values), refs, {}, condition=lambda name: conditions[name]
    )
    result: list[PlannedName] = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type", "")
        prop = NAME_PROPERTIES.get(kind)
        if logical_id not in active or prop is None or prop not in (resource.get("Properties") or {}):
            continue
        try:
            name = resolver.value(resource["Properties"][prop])
        except evaluate.EvaluationError as err:
            result.append(PlannedName(logical_id, kind, "", problem=str(err)))
            continue
        if name is evaluate.NO_VALUE:
            continue
        result.append(PlannedName(logical_id, kind, evaluate.text(name)))
    return result

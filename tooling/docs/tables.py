"""Reference tables: parameters, outputs, resources, templates; and for operations: alarms, what a
parameter change does to each resource, what a stack deletion leaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..cfn.intrinsics import parameters_in, resources_in
from .text import NAME_KEY, Template, cell, code, expression, table


def parameter_groups(template: Template) -> list[tuple[str, list[str]]]:
    """(group label, parameter names) in launch-form order; ungrouped parameters come last."""
    params = list(template.get("Parameters", {}))
    interface = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {})
    groups: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for group in interface.get("ParameterGroups", []):
        names = [n for n in group.get("Parameters", []) if n in params and n not in seen]
        seen.update(names)
        if names:
            groups.append((group.get("Label", {}).get("default", "Parameters"), names))
    rest = [n for n in params if n not in seen]
    if rest:
        groups.append(("Other parameters" if groups else "Parameters", rest))
    return groups


def constraint(definition: Mapping[str, Any]) -> str:
    """What a parameter accepts: allowed values, ranges, lengths, pattern, in a person's words."""
    parts: list[str] = []
    allowed = definition.get("AllowedValues")
    if allowed:
        parts.append("one of " + ", ".join(code(v) for v in allowed))
    low, high = definition.get("MinValue"), definition.get("MaxValue")
    if low is not None or high is not None:
        parts.append(_range(low, high, ""))
    low, high = definition.get("MinLength"), definition.get("MaxLength")
    if low is not None or high is not None:
        parts.append(_range(low, high, " characters"))
    if definition.get("AllowedPattern"):
        parts.append("pattern " + code(definition["AllowedPattern"]))
    text = "; ".join(parts)
    if definition.get("ConstraintDescription") and not allowed:
        text = cell(definition["ConstraintDescription"]) + (f" ({text})" if text else "")
    return text or "—"


def _range(low: Any, high: Any, unit: str) -> str:
    if low is not None and high is not None:
        return f"{low}–{high}{unit}"
    return f"at least {low}{unit}" if low is not None else f"at most {high}{unit}"


def default(definition: Mapping[str, Any]) -> str:
    if "Default" not in definition:
        return "—"
    value = definition["Default"]
    if value == "":
        return "*(empty)*"
    return code(value)


def parameters_table(template: Template) -> str:
    """One table per launch-form group: name, description, type, default, constraint, required."""
    params = template.get("Parameters", {})
    if not params:
        return "*No parameters.*"
    labels = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {}).get("ParameterLabels", {})
    blocks = []
    for label, names in parameter_groups(template):
        rows = []
        for name in names:
            d = params[name]
            kind = code(d.get("Type", "String")) + (
                " (NoEcho)" if str(d.get("NoEcho")).lower() == "true" else ""
            )
            shown = labels.get(name, {}).get("default")
            description = cell(d.get("Description", ""))
            if shown and shown != name:
                description = f"**{cell(shown)}.** {description}"
            rows.append(
                [
                    code(name),
                    description,
                    kind,
                    default(d),
                    constraint(d),
                    "no" if "Default" in d else "**yes**",
                ]
            )
        blocks.append(
            f"**{cell(label)}**\n\n"
            + table(
                ["Parameter", "Description", "Type", "Default", "Allowed values / constraint", "Required"],
                rows,
            )
        )
    return "\n\n".join(blocks)


def outputs_table(template: Template) -> str:
    """Name, description, export name and condition of every output."""
    outputs = template.get("Outputs", {})
    if not outputs:
        return "*No outputs.*"
    rows = [
        [
            code(name),
            cell(o.get("Description", "")),
            code(expression(o["Export"]["Name"])) if "Export" in o else "—",
            code(o["Condition"]) if "Condition" in o else "always",
        ]
        for name, o in outputs.items()
    ]
    return table(["Output", "Description", "Export name", "Condition"], rows)


def resources_table(template: Template) -> str:
    """Logical id, type, condition and deletion policy of every resource."""
    resources = template.get("Resources", {})
    rows = [
        [
            code(name),
            code(r["Type"]),
            code(r["Condition"]) if "Condition" in r else "always",
            r.get("DeletionPolicy", "Delete"),
        ]
        for name, r in resources.items()
    ]
    return table(["Logical id", "Type", "Created when", "On stack deletion"], rows)


def templates_table(specs: Mapping[str, tuple[str, Template]]) -> str:
    rows = [
        [
            code(name),
            f"[`output/{name}.yaml`](output/{name}.yaml)",
            cell(summary),
            str(len(t.get("Parameters", {}))),
            str(len(t.get("Resources", {}))),
            str(len(t.get("Outputs", {}))),
        ]
        for name, (summary, t) in specs.items()
    ]
    return table(["Template", "File", "What it is", "Parameters", "Resources", "Outputs"], rows)


# --- operations: alarms, what a parameter change does, what a deletion leaves ----------------


def alarms_table(template: Template) -> str:
    """Every CloudWatch alarm: metric, statistic and period, threshold, missing data, actions."""
    params = template.get("Parameters", {})
    rows = []
    for name, r in template.get("Resources", {}).items():
        if r["Type"] != "AWS::CloudWatch::Alarm":
            continue
        p = r.get("Properties", {})
        threshold = p.get("Threshold")
        if isinstance(threshold, Mapping) and threshold.get("Ref") in params:
            ref = threshold["Ref"]
            shown = f"{code(ref)} (default {params[ref].get('Default', '—')})"
        else:
            shown = code(expression(threshold)) if isinstance(threshold, Mapping) else code(threshold)
        periods = int(p.get("EvaluationPeriods", 1))
        needed = int(p.get("DatapointsToAlarm", periods))
        seconds = int(p.get("Period", 60))
        window = f"{needed} of {periods} × {seconds // 60 if seconds >= 60 else seconds}{' min' if seconds >= 60 else ' s'}"
        rows.append(
            [
                code(name),
                code(expression(p["AlarmName"])) if "AlarmName" in p else "—",
                f"{code(p.get('Namespace', ''))} {code(p.get('MetricName', ''))} ({p.get('Statistic') or p.get('ExtendedStatistic', '')})",
                f"{_COMPARISON.get(p.get('ComparisonOperator', ''), p.get('ComparisonOperator', ''))} {shown}",
                window,
                code(p.get("TreatMissingData", "missing")),
                "SNS topics in "
                + ", ".join(code(x) for x in sorted(parameters_in(p.get("AlarmActions"), template)))
                if p.get("AlarmActions")
                else "none",
            ]
        )
    if not rows:
        return "*No alarms.*"
    return table(
        ["Alarm", "Name", "Metric (statistic)", "Fires when", "Data points", "Missing data", "Notifies"], rows
    )


_COMPARISON = {
    "GreaterThanThreshold": "&gt;",
    "GreaterThanOrEqualToThreshold": "≥",
    "LessThanThreshold": "&lt;",
    "LessThanOrEqualToThreshold": "≤",
}


def parameter_effects(
    template: Template, create_only: Mapping[str, set[str]]
) -> dict[str, dict[str, list[str]]]:
    """For each parameter: what a change to it does to each resource, as CloudFormation plans it.

    ``create_only`` maps a resource type to its create-only top-level properties (from the
    CloudFormation resource schemas). A change to one makes CloudFormation replace the resource,
    which changes its Ref and GetAtt values, so resources that refer to it change too (and are
    replaced in turn when the referring property is create-only). CloudFormation refuses to
    replace a resource whose custom name stays the same: the update fails and rolls back.
    Types ``create_only`` does not know (custom resources) count as updated in place: their
    function receives an Update event and decides.
    """
    params = template.get("Parameters", {})
    resources = template.get("Resources", {})
    effects: dict[str, dict[str, list[str]]] = {}
    for param in params:
        changed: dict[str, set[str]] = {}  # resource -> properties whose value changes
        for name, r in resources.items():
            for prop, value in r.get("Properties", {}).items():
                if param in parameters_in(value, template):
                    changed.setdefault(name, set()).add(prop)
        replaced: set[str] = set()
        while True:
            new = {
                name
                for name, props in changed.items()
                if name not in replaced and props & create_only.get(resources[name]["Type"], set())
            }
            if not new:
                break
            replaced |= new
            for name, r in resources.items():
                for prop, value in r.get("Properties", {}).items():
                    if set(resources_in(value, resources)) & new:
                        changed.setdefault(name, set()).add(prop)
        effect = {"in place": [], "replaces": [], "refused": [], "adds or removes": []}
        for name, r in resources.items():
            if "Condition" in r and param in parameters_in({"Condition": r["Condition"]}, template):
                effect["adds or removes"].append(name)
            if name not in changed:
                continue
            props = changed[name]
            kinds = create_only.get(r["Type"], set())
            if name in replaced:
                names = {k for k in r.get("Properties", {}) if k in kinds and NAME_KEY.match(k)}
                shown = f"{name} ({', '.join(sorted(props & kinds))})"
                effect["refused" if names and not names & props else "replaces"].append(shown)
            else:
                effect["in place"].append(f"{name} ({', '.join(sorted(props))})")
        effects[param] = effect
    return effects


#: The row of a parameter that is fixed after launch: what the template would change is never reached.
FIXED_ROW = "— (fixed after launch: `build.py deploy` refuses a change, and the product's template guards it)"


def parameter_effects_table(
    template: Template, create_only: Mapping[str, set[str]], fixed: tuple[str, ...] = ()
) -> str:
    """What changing each parameter does; a ``fixed`` parameter's change is refused, so its row
    says so instead of listing the updates the refusal prevents."""
    effects = parameter_effects(template, create_only)
    if not effects:
        return "*No parameters.*"
    rows = []
    for param, effect in effects.items():
        if param in fixed:
            rows.append([code(param), FIXED_ROW, "—", "—", "—"])
            continue
        joined = {k: "; ".join(cell(x) for x in v) for k, v in effect.items()}
        rows.append(
            [
                code(param),
                joined["in place"] or "—",
                f"**{joined['replaces']}**" if joined["replaces"] else "—",
                f"**{joined['refused']}**" if joined["refused"] else "—",
                joined["adds or removes"] or "—",
            ]
        )
    return table(
        [
            "Parameter",
            "Updates in place",
            "Replaces (a new resource)",
            "Update fails (replacement refused)",
            "Creates or deletes",
        ],
        rows,
    )


def retained_table(template: Template) -> str:
    """Resources a stack deletion or a replacement leaves behind (DeletionPolicy / UpdateReplacePolicy)."""
    rows = [
        [
            code(name),
            code(r["Type"]),
            r.get("DeletionPolicy", "Delete"),
            r.get("UpdateReplacePolicy", "Delete"),
            code(r["Condition"]) if "Condition" in r else "always",
        ]
        for name, r in template.get("Resources", {}).items()
        if r.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate", "Snapshot")
        or r.get("UpdateReplacePolicy") in ("Retain", "Snapshot")
    ]
    if not rows:
        return "*Nothing is retained: deleting the stack deletes every resource.*"
    return table(["Resource", "Type", "On stack deletion", "On replacement", "Exists when"], rows)

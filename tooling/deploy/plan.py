"""What to do with a stack: pure decisions over CloudFormation's answers, no AWS calls.

- :func:`stack_action`: CREATE, UPDATE or refuse (with the next step) for a stack's status;
- :func:`analyse`: the rows of a change set, and which of them lose data (replace or delete the
  InfluxDB instance, a secret or the KMS key) and which parameters cause that;
- :func:`retention_decreases`: retention parameters an update lowers (backups deleted sooner);
- :func:`fixed_changes`: parameters that cannot change once the stack exists, changed by an update;
- :func:`stack_policy`: the policy that denies Update:Replace and Update:Delete on those resources,
  derived from the template by resource type;
- :func:`template_key` and :func:`template_url`: where the template goes in S3 and the URL the change
  set reads it from.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..cfn import schemas
from ..cfn.intrinsics import parameters_in

# Which resource types lose data when replaced or deleted is product knowledge: the template's
# registry entry says it (``TemplateSpec.protected_types``) and callers pass it in.

#: CreateChangeSet's limit for a template read from S3 (TemplateURL): 1 MB, per the CloudFormation
#: API reference ("The URL must point to a template (max size: 1 MB)"). TemplateBody allows 51,200 bytes.
TEMPLATE_URL_LIMIT = 1_048_576

# --- the template in S3 ---------------------------------------------------------------------------


def template_key(name: str, body: bytes) -> str:
    """``templates/<name>/<sha256>.yaml``: content-addressed, so an unchanged template is uploaded once
    and a key never points at two different templates."""
    return f"templates/{name}/{hashlib.sha256(body).hexdigest()}.yaml"


@functools.cache
def s3_dns_suffix(region: str) -> str:
    """The DNS suffix of the Region's partition (amazonaws.com, amazonaws.com.cn...), from botocore's
    bundled endpoint data (no AWS call)."""
    from botocore.loaders import create_loader
    from botocore.regions import EndpointResolver

    resolver = EndpointResolver(create_loader().load_data("endpoints"))
    return resolver.get_partition_dns_suffix(resolver.get_partition_for_region(region))


def template_url(
    bucket: str, key: str, region: str, dns_suffix: str = "amazonaws.com", endpoint_url: str | None = None
) -> str:
    """The https URL CloudFormation reads the object from.

    The Region-specific form (``https://<bucket>.s3.<region>.<suffix>/<key>``): CloudFormation's
    TemplateURL must start with https://, and in the China and GovCloud partitions S3 endpoints are
    per Region. A bucket name with dots does not match S3's wildcard certificate as a host name, so
    it goes in the path (``https://s3.<region>.<suffix>/<bucket>/<key>``). With ``endpoint_url`` (a
    local test server such as moto) the object is addressed on that endpoint, bucket in the path.
    """
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/{bucket}/{key}"
    if "." in bucket:
        return f"https://s3.{region}.{dns_suffix}/{bucket}/{key}"
    return f"https://{bucket}.s3.{region}.{dns_suffix}/{key}"


# --- stack state ---------------------------------------------------------------------------------

SUCCESS_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
#: Stable states in which a stack can be updated.
UPDATABLE_STATES = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_FAILED",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)


@dataclass(frozen=True)
class StackAction:
    """``kind`` is "CREATE", "UPDATE" or "REFUSE" (then ``message`` says why and what to do)."""

    kind: str
    message: str = ""


def stack_action(stack_name: str, status: str | None) -> StackAction:
    """What a deploy may do to a stack in ``status`` (None: the stack does not exist)."""
    if status is None:
        return StackAction("CREATE")
    if status == "REVIEW_IN_PROGRESS":
        # Created by a change set that was never executed: it has no resources yet.
        return StackAction("CREATE")
    if status in UPDATABLE_STATES:
        return StackAction("UPDATE")
    events = f"aws cloudformation describe-stack-events --stack-name {stack_name}"
    if status.endswith("_IN_PROGRESS"):
        operation = status.split("_", 1)[0].lower()  # CREATE, UPDATE, DELETE, IMPORT, ROLLBACK
        wait = f"stack-{operation if operation in ('create', 'delete', 'import', 'rollback') else 'update'}-complete"
        return StackAction(
            "REFUSE",
            f"stack {stack_name} is {status}: another operation is running. Wait for it "
            f"(aws cloudformation wait {wait} --stack-name {stack_name}), then deploy again.",
        )
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"):
        return StackAction(
            "REFUSE",
            f"stack {stack_name} is {status}: its creation failed and it cannot be updated. Read why "
            f"({events}), delete it (aws cloudformation delete-stack --stack-name {stack_name}; the "
            "InfluxDB instance, secrets and key are retained if they were created) and deploy again.",
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        return StackAction(
            "REFUSE",
            f"stack {stack_name} is {status}: finish the rollback first (aws cloudformation "
            f"continue-update-rollback --stack-name {stack_name}; see {events}), then deploy again.",
        )
    if status == "DELETE_FAILED":
        return StackAction(
            "REFUSE",
            f"stack {stack_name} is {status}: read why ({events}) and delete it again "
            f"(aws cloudformation delete-stack --stack-name {stack_name}) before deploying.",
        )
    return StackAction(
        "REFUSE", f"stack {stack_name} is {status}, which a deploy does not handle; see {events}."
    )


def is_terminal(status: str) -> bool:
    """Whether a stack operation has ended (successfully or not)."""
    return not status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS"


# --- change set analysis -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    action: str
    logical_id: str
    resource_type: str
    replacement: str  # True, False, Conditional or "" (Add/Remove)


@dataclass(frozen=True)
class DataLoss:
    """A protected resource the change set would replace or delete, and why."""

    logical_id: str
    resource_type: str
    what: str  # "replace" or "delete"
    parameters: tuple[str, ...]  # parameters whose change causes it
    reasons: tuple[str, ...]  # other causes (template changes), readable


@dataclass
class Analysis:
    rows: list[Row] = field(default_factory=list)
    data_loss: list[DataLoss] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows

    def causing_parameters(self) -> list[str]:
        return sorted({p for loss in self.data_loss for p in loss.parameters})


def analyse(
    changes: Sequence[Mapping[str, Any]],
    template: Mapping[str, Any],
    changed_parameters: Iterable[str] = (),
    create_only: Mapping[str, Sequence[str]] | None = None,
    *,
    protected_types: Sequence[str],
) -> Analysis:
    """Rows of the change set and every data loss in it.

    ``changes`` is DescribeChangeSet's ``Changes``; ``template`` the new template (for resource
    conditions); ``changed_parameters`` the parameters whose value differs from the stack's
    (to name a cause CloudFormation does not detail, e.g. a NoEcho value); ``create_only`` the
    create-only properties by type (default: from cfn-lint's resource schemas); ``protected_types``
    the types whose replacement or deletion loses data.
    """
    create_only = create_only if create_only is not None else create_only_properties(protected_types)
    changed_parameters = set(changed_parameters)
    by_id = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
        for c in changes
        if c.get("Type", "Resource") == "Resource" and "ResourceChange" in c
    }
    result = Analysis()
    for logical_id, rc in by_id.items():
        result.rows.append(
            Row(rc.get("Action", ""), logical_id, rc.get("ResourceType", ""), rc.get("Replacement", ""))
        )
        if rc.get("ResourceType") not in protected_types:
            continue
        action = rc.get("Action")
        if action == "Remove":
            params, reasons = _removal_causes(logical_id, template, changed_parameters)
            result.data_loss.append(DataLoss(logical_id, rc["ResourceType"], "delete", params, reasons))
        elif action in ("Modify", "Dynamic") and (
            rc.get("Replacement") in ("True", "Conditional")
            or action == "Dynamic"
            or _touches_create_only(rc, create_only)
        ):
            params, reasons = _replacement_causes(rc, by_id, template, changed_parameters, create_only)
            result.data_loss.append(DataLoss(logical_id, rc["ResourceType"], "replace", params, reasons))
    return result


def _touches_create_only(rc: Mapping[str, Any], create_only: Mapping[str, Sequence[str]]) -> bool:
    """Whether a change sets a create-only property: a replacement, whatever
    the Replacement field says."""
    props = set(create_only.get(rc.get("ResourceType", ""), ()))
    return any(
        (d.get("Target") or {}).get("Attribute") == "Properties"
        and (d.get("Target") or {}).get("Name") in props
        for d in rc.get("Details") or []
    )


def _replacement_causes(
    rc: Mapping[str, Any],
    by_id: Mapping[str, Mapping[str, Any]],
    template: Mapping[str, Any],
    changed_parameters: set[str],
    create_only: Mapping[str, Sequence[str]],
    seen: frozenset[str] = frozenset(),
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Parameters (and other reasons) behind the recreation-requiring details of one change."""
    params: set[str] = set()
    reasons: list[str] = []
    recreating_props = set(create_only.get(rc.get("ResourceType", ""), ()))
    for detail in rc.get("Details") or []:
        target = detail.get("Target") or {}
        name = target.get("Name", "")
        recreates = target.get("RequiresRecreation") in ("Always", "Conditionally") or (
            target.get("Attribute") == "Properties" and name in recreating_props
        )
        if not recreates:
            continue
        source, entity = detail.get("ChangeSource"), detail.get("CausingEntity", "")
        if source == "ParameterReference" and entity:
            params.add(entity)
        elif source in ("ResourceReference", "ResourceAttribute") and entity:
            other = entity.split(".", 1)[0]
            if other in by_id and other not in seen:
                more, why = _replacement_causes(
                    by_id[other],
                    by_id,
                    template,
                    changed_parameters,
                    create_only,
                    seen | {rc["LogicalResourceId"]},
                )
                params.update(more)
                reasons.extend(why or [f"{name} follows {entity}, which changes"])
            else:
                reasons.append(f"{name} follows {entity}, which changes")
        elif source == "DirectModification":
            reasons.append(f"the template changes {name}")
        else:
            reasons.append(f"{name} changes ({source or 'cause not reported'})")
    if not params:
        # CloudFormation did not name a parameter (e.g. a Dynamic evaluation): fall back to the changed
        # parameters that reach the resource's create-only properties in the template.
        resource = (template.get("Resources") or {}).get(rc.get("LogicalResourceId", ""), {})
        props = resource.get("Properties") or {}
        reaching: set[str] = set()
        for prop in recreating_props:
            if prop in props:
                reaching |= referenced_parameters(props[prop], template)
        params |= reaching & changed_parameters
    return tuple(sorted(params)), tuple(dict.fromkeys(reasons))


def _removal_causes(
    logical_id: str, template: Mapping[str, Any], changed_parameters: set[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    resource = (template.get("Resources") or {}).get(logical_id)
    if resource is None:
        return (), ("the new template no longer has this resource",)
    condition = resource.get("Condition")
    if condition:
        used = referenced_parameters({"Condition": condition}, template)
        params = used & changed_parameters if changed_parameters & used else used
        return tuple(sorted(params)), (f"its condition {condition} becomes false",)
    return (), ("CloudFormation removes it",)


def referenced_parameters(node: Any, template: Mapping[str, Any]) -> set[str]:
    """Parameters an expression depends on: Refs, ${Name} in Fn::Sub, and conditions of Fn::If."""
    return parameters_in(node, template)


def changed_parameters(
    previous: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], secrets: Iterable[str] = ()
) -> set[str]:
    """Parameters whose value differs between the stack (DescribeStacks) and the change set's input.

    A secret given anew counts as changed: its previous value is masked, so it cannot be compared.
    """
    before = {p["ParameterKey"]: p.get("ParameterValue") for p in previous}
    result: set[str] = set()
    for p in new:
        key = p["ParameterKey"]
        if p.get("UsePreviousValue"):
            continue
        if key in set(secrets) or before.get(key) != p.get("ParameterValue"):
            result.add(key)
    return result


def table(rows: Sequence[Row]) -> str:
    """The change set as an aligned table: action, logical id, type, replacement."""
    head = ("Action", "Logical id", "Type", "Replacement")
    body = [(r.action, r.logical_id, r.resource_type, r.replacement or "-") for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)])


@dataclass(frozen=True)
class RetentionDecrease:
    """A retention parameter an update lowers: backups older than ``after`` days go (or sooner)."""

    parameter: str
    before: str
    after: str

    def __str__(self) -> str:
        return (
            f"lower {self.parameter} from {self.before} to {self.after} days "
            "(backups older than that are deleted, or no longer kept as long)"
        )


def retention_decreases(
    previous: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], retention: Iterable[str]
) -> list[RetentionDecrease]:
    """The ``retention`` parameters whose new value (the change set's input) is below the stack's
    current one (DescribeStacks). A value that is not a number, or kept with UsePreviousValue, is not
    compared."""
    before = {p["ParameterKey"]: p.get("ParameterValue") for p in previous}
    names = set(retention)
    result: list[RetentionDecrease] = []
    for p in new:
        key = p["ParameterKey"]
        if key not in names or p.get("UsePreviousValue") or key not in before:
            continue
        old, value = _number(before[key]), _number(p.get("ParameterValue"))
        if old is not None and value is not None and value < old:
            result.append(RetentionDecrease(key, str(before[key]), str(p["ParameterValue"])))
    return result


@dataclass(frozen=True)
class FixedChange:
    """A parameter that cannot change once the stack exists, changed by an update."""

    parameter: str
    before: str
    after: str

    def __str__(self) -> str:
        return (
            f"{self.parameter} cannot be changed after the stack is created "
            f"(the stack has {self.before or '(empty)'}, the update gives {self.after or '(empty)'})"
        )


def fixed_changes(
    previous: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], fixed: Iterable[str]
) -> list[FixedChange]:
    """The ``fixed`` parameters whose new value (the change set's input) differs from the stack's
    current one (DescribeStacks). A value kept with UsePreviousValue, or a parameter the stack does
    not have yet, is not compared."""
    before = {p["ParameterKey"]: p.get("ParameterValue") for p in previous}
    names = set(fixed)
    return [
        FixedChange(p["ParameterKey"], str(before[p["ParameterKey"]]), str(p.get("ParameterValue")))
        for p in new
        if p["ParameterKey"] in names
        and not p.get("UsePreviousValue")
        and p["ParameterKey"] in before
        and str(before[p["ParameterKey"]]) != str(p.get("ParameterValue"))
    ]


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def describe_loss(loss: DataLoss) -> str:
    causes = []
    if loss.parameters:
        causes.append("caused by parameter(s) " + ", ".join(loss.parameters))
    causes.extend(loss.reasons)
    return f"{loss.what} {loss.logical_id} ({loss.resource_type})" + (
        ": " + "; ".join(causes) if causes else ""
    )


# --- stack policy --------------------------------------------------------------------------------


def protected_resources(template: Mapping[str, Any], protected_types: Sequence[str]) -> list[str]:
    """Logical ids of the template's resources whose replacement or deletion loses data."""
    return [
        logical_id
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") in protected_types
    ]


def stack_policy(template: Mapping[str, Any], protected_types: Sequence[str]) -> dict[str, Any]:
    """Allow every update except replacing or deleting the protected resources."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
    ]
    protected = protected_resources(template, protected_types)
    if protected:
        statements.append(
            {
                "Effect": "Deny",
                "Action": ["Update:Replace", "Update:Delete"],
                "Principal": "*",
                "Resource": [f"LogicalResourceId/{logical_id}" for logical_id in protected],
            }
        )
    return {"Statement": statements}


#: Used for the one update that ``--allow-data-loss`` lets through; the protective policy is set again after it.
ALLOW_ALL_POLICY = {
    "Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]
}


def policy_json(policy: Mapping[str, Any]) -> str:
    return json.dumps(policy, indent=2)


# --- create-only properties ----------------------------------------------------------------------


def create_only_properties(types: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Top-level create-only properties of ``types``: cfn-lint's bundled schemas, the union over
    every Region that has the type (a property create-only anywhere refuses the change)."""
    return {kind: tuple(sorted(props)) for kind, props in schemas.create_only_properties(types).items()}


def policy_difference(current_body: str | None, wanted: Mapping[str, Any]) -> str | None:
    """Why the stack's policy (GetStackPolicy's StackPolicyBody) is not ``wanted``; None when it is.

    Compared as JSON values, so whitespace and key order do not count; statement order does
    (CloudFormation keeps the body as given).
    """
    if not current_body or not current_body.strip():
        return "the stack has no stack policy"
    try:
        current = json.loads(current_body)
    except ValueError:
        return "the stack's policy is not valid JSON"
    if current == json.loads(json.dumps(wanted)):
        return None
    if current == ALLOW_ALL_POLICY:
        return "the stack's policy allows every update (left from an --allow-data-loss deploy that did not finish)"
    return "the stack's policy differs from the one the template calls for"

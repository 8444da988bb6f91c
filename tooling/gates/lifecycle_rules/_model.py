"""What the lifecycle rules read of a template: references between resources, retention, the
Lambda function behind a custom resource, and whether a resource names its physical resource.

Every "what does this expression refer to" question goes to :mod:`tooling.cfn.intrinsics`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from tooling.cfn import intrinsics, schemas

FUNCTION = "AWS::Lambda::Function"
#: CloudFormation's DeletionPolicy values that keep the physical resource when the stack deletes it.
RETAINING = ("Retain", "RetainExceptOnCreate")


def resources(template: Mapping[str, Any]) -> Mapping[str, Any]:
    """The template's resources that are mappings (anything else is cfn-lint's own finding)."""
    found = template.get("Resources")
    return {k: v for k, v in found.items() if isinstance(v, Mapping)} if isinstance(found, Mapping) else {}


def type_of(resource: Mapping[str, Any]) -> str:
    value = resource.get("Type")
    return value if isinstance(value, str) else ""


def properties(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    value = resource.get("Properties")
    return value if isinstance(value, Mapping) else {}


def policy_values(value: Any) -> set[str]:
    """The values a DeletionPolicy can take: a string, or either branch of an Fn::If (the
    AWS::LanguageExtensions transform allows intrinsic functions there)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, Mapping) and list(value) == ["Fn::If"]:
        branches = value["Fn::If"]
        if isinstance(branches, list) and len(branches) == 3:
            return policy_values(branches[1]) | policy_values(branches[2])
    return set()


def is_retained(resource: Mapping[str, Any]) -> bool:
    """Whether deleting the stack (or the resource) can leave the physical resource in place."""
    return bool(policy_values(resource.get("DeletionPolicy")) & set(RETAINING))


def depends_on(resource: Mapping[str, Any]) -> list[str]:
    value = resource.get("DependsOn")
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def direct_references(resource: Mapping[str, Any], every: Mapping[str, Any]) -> dict[str, str]:
    """Resources ``resource`` depends on -> how ("DependsOn" or "Properties"), in template order.

    CloudFormation orders creation and deletion by exactly these: a Ref, Fn::GetAtt or Fn::Sub in
    the properties, and DependsOn.
    """
    found: dict[str, str] = {}
    for name in intrinsics.resources_in(resource.get("Properties"), every):
        found.setdefault(name, "Properties")
    for name in depends_on(resource):
        if name in every:
            found.setdefault(name, "DependsOn")
    return found


def reference_path(name: str, resource: Mapping[str, Any], other: str, every: Mapping[str, Any]) -> list[str]:
    """Where ``resource`` refers to ``other``: the first top-level property that does, else DependsOn."""
    for key, value in properties(resource).items():
        if other in intrinsics.resources_in(value, every):
            return ["Resources", name, "Properties", key]
    return ["Resources", name, "DependsOn"]


def dependencies(name: str, every: Mapping[str, Any]) -> set[str]:
    """Every resource ``name`` depends on, directly or through others (never itself)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for other in direct_references(every[todo.pop()], every):
            if other not in seen and other != name:
                seen.add(other)
                todo.append(other)
    return seen


def is_custom_resource(resource: Mapping[str, Any]) -> bool:
    return schemas.is_custom(type_of(resource))


def custom_resources(every: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, resource in every.items():
        if is_custom_resource(resource):
            yield name, resource


def functions_in(node: Any, every: Mapping[str, Any]) -> list[str]:
    """The Lambda functions ``node`` refers to, directly or through an AWS::Lambda::Alias or
    AWS::Lambda::Version (whose FunctionName names the function), in order, once each."""
    found: list[str] = []
    for name in intrinsics.resources_in(node, every):
        kind = type_of(every[name])
        if kind == FUNCTION:
            targets = [name]
        elif kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
            targets = [
                n
                for n in intrinsics.resources_in(properties(every[name]).get("FunctionName"), every)
                if type_of(every[n]) == FUNCTION
            ]
        else:
            targets = []
        found += [t for t in targets if t not in found]
    return found


def service_functions(resource: Mapping[str, Any], every: Mapping[str, Any]) -> list[str]:
    """The Lambda function(s) a custom resource's ServiceToken names (none for an SNS topic)."""
    return functions_in(properties(resource).get("ServiceToken"), every)


def vpc_config(function: Mapping[str, Any]) -> Mapping[str, Any] | None:
    value = properties(function).get("VpcConfig")
    return value if isinstance(value, Mapping) else None


def security_groups_of(function: Mapping[str, Any], every: Mapping[str, Any]) -> list[str]:
    """The template's security groups a function's VpcConfig attaches it to."""
    config = vpc_config(function) or {}
    return list(dict.fromkeys(intrinsics.resources_in(config.get("SecurityGroupIds"), every)))


def integer(value: Any) -> int | None:
    """A literal integer property (CloudFormation accepts "30" as well as 30), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


@cache
def naming_properties(type_name: str) -> frozenset[str]:
    """Top-level properties of ``type_name`` that give the physical resource its name.

    From cfn-lint's bundled resource schemas, over every Region: a writable, create-only property
    that is the type's primary identifier (LogGroupName, AliasName, BucketName, RoleName), or is
    called ``Name``, or ``<suffix of the type name>Name`` (GroupName of AWS::EC2::SecurityGroup).
    Create-only, because a name that can change in place does not collide with its old self;
    ``DBSubnetGroupName`` of a DB instance is create-only but names another resource, and the
    suffix test leaves it out.
    """
    try:
        every = schemas.schemas(type_name)
    except schemas.UnknownTypeError:
        return frozenset()
    short = type_name.rsplit("::", 1)[-1]
    found: set[str] = set()
    for schema in every:

        def top(paths: Any) -> set[str]:
            return {
                p.split("/")[2] for p in paths or [] if p.startswith("/properties/") and p.count("/") == 2
            }

        create_only = top(schema.get("createOnlyProperties")) - top(schema.get("readOnlyProperties"))
        identifier = top(schema.get("primaryIdentifier"))
        for prop in create_only:
            stem = prop.removesuffix("Name")
            if (
                prop in identifier
                or prop == "Name"
                or (prop.endswith("Name") and stem and short.endswith(stem))
            ):
                found.add(prop)
    return frozenset(found)


def names_itself(resource: Mapping[str, Any]) -> list[str]:
    """The naming properties (see :func:`naming_properties`) ``resource`` sets, sorted."""
    props = properties(resource)
    return sorted(p for p in naming_properties(type_of(resource)) if p in props)


def functions_behind(resource: Mapping[str, Any], every: Mapping[str, Any]) -> list[str]:
    """A custom resource's service function(s) and every Lambda function they refer to (a worker
    named in the Environment, say), followed through functions only, in order."""
    found = service_functions(resource, every)
    for name in found:
        found += [f for f in functions_in(properties(every[name]), every) if f not in found]
    return found


def dependency_path(name: str, resource: Mapping[str, Any]) -> list[str]:
    """Where a finding about a resource's missing dependency points: its DependsOn, else itself."""
    return ["Resources", name, "DependsOn"] if "DependsOn" in resource else ["Resources", name]

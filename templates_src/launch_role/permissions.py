"""Derive the IAM actions a stack needs from its resource types, using cfn-lint's bundled schemas.

Every CloudFormation resource schema lists, for each handler (create, read, update, delete), the
IAM actions CloudFormation calls with the caller's credentials. cfn-lint ships those schemas; they
are read through ``tooling.cfn.schemas`` (the project's one reader, which depends on nothing else of
the project), whose Region policy this follows: the union over the four handlers and over every
Region's schema of a type is what a launch role needs for it.

Actions cfn-lint's IAM action list does not know (a schema may list an S3 REST verb) are dropped:
IAM would refuse nothing for them and cfn-lint would flag them. Custom resources have no schema:
CloudFormation invokes their Lambda function, so they need ``lambda:InvokeFunction``.

Everything is read once per process (``lru_cache``): the build derives the policy in milliseconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tooling.cfn import schemas

HANDLERS = ("create", "read", "update", "delete")

# What a schema's handlers do not list but CloudFormation does with the caller's credentials.
# Each entry says why; keep it short and true.
SUPPLEMENTS: dict[str, tuple[str, ...]] = {
    # A secret encrypted with a customer-managed key: Secrets Manager calls KMS on the caller's
    # behalf (kms:ViaService) to encrypt the value it generates and to read it back.
    "AWS::SecretsManager::Secret": ("kms:GenerateDataKey", "kms:Decrypt"),
}
# Dynamic references CloudFormation resolves with the caller's credentials.
DYNAMIC_REFERENCES: dict[str, tuple[str, ...]] = {
    "{{resolve:secretsmanager:": ("secretsmanager:GetSecretValue",),
    "{{resolve:ssm:": ("ssm:GetParameters",),
    "{{resolve:ssm-secure:": ("ssm:GetParameters",),
}


# Handler permissions a handler can only call when a property names their target: PutUserPolicy
# needs a user name, AttachGroupPolicy a group name. cfn-lint's bundled schemas for AWS::IAM::Policy
# and AWS::IAM::ManagedPolicy list them for every template; a template that attaches its policies
# to roles only (no Users, no Groups) never makes those calls, so the role does not get them.
BY_PROPERTY: dict[str, dict[str, tuple[str, ...]]] = {
    "AWS::IAM::Policy": {
        "Users": ("iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:GetUserPolicy"),
        "Groups": ("iam:PutGroupPolicy", "iam:DeleteGroupPolicy", "iam:GetGroupPolicy"),
    },
    "AWS::IAM::ManagedPolicy": {
        "Users": ("iam:AttachUserPolicy", "iam:DetachUserPolicy"),
        "Groups": ("iam:AttachGroupPolicy", "iam:DetachGroupPolicy"),
    },
}


class UncoveredTypeError(LookupError):
    """A resource type with no schema in any Region and no rule here: the role could not create it."""


def known_actions() -> dict[str, dict[str, Any]]:
    """cfn-lint's IAM reference: service prefix -> {"Actions": {lower-case action: {...}}, ...}."""
    return schemas.additional_spec("Policies")


is_custom = schemas.is_custom


@cache
def handler_actions(type_name: str) -> frozenset[str]:
    """The IAM actions of the create/read/update/delete handlers of ``type_name``, in every Region."""
    try:
        every = schemas.schemas(type_name)
    except schemas.UnknownTypeError as err:
        raise UncoveredTypeError(str(err)) from None
    actions: set[str] = set(SUPPLEMENTS.get(type_name, ()))
    for schema in every:
        handlers = schema.get("handlers", {})
        for handler in HANDLERS:
            actions.update(handlers.get(handler, {}).get("permissions", []))
    return frozenset(a for a in actions if is_known(a))


def is_known(action: str) -> bool:
    service, _, name = action.partition(":")
    return name.lower() in known_actions().get(service.lower(), {}).get("Actions", {})


def action_resource_types(action: str) -> tuple[str, ...]:
    """The resource types (``role``, ``policy``...) IAM's reference lists for ``action``."""
    service, _, name = action.partition(":")
    entry = known_actions().get(service.lower(), {}).get("Actions", {}).get(name.lower(), {})
    return tuple(entry.get("Resources", ()) or ())


def service_of(type_name: str) -> str:
    """The IAM prefix a type's own API uses: the most common prefix of its create handler.

    ``AWS::Lambda::Function`` -> ``lambda``; ``AWS::Timestream::InfluxDBInstance`` ->
    ``timestream-influxdb``. It names the service principal a role is passed to and the service
    a service-linked role is for.
    """
    counts = Counter(a.split(":")[0] for a in handler_actions(type_name) if not a.startswith("iam:"))
    return counts.most_common(1)[0][0] if counts else type_name.split("::")[1].lower()


@dataclass(frozen=True)
class Derived:
    """What a set of resource types needs, split the way the launch role's statements are."""

    types: tuple[str, ...]
    #: actions on resources AWS lets the policy name only as "*", or that CloudFormation names itself
    actions: tuple[str, ...]
    #: iam:* actions other than PassRole and CreateServiceLinkedRole, scoped to the stacks' names
    iam_actions: tuple[str, ...]
    #: service principals roles are passed to (iam:PassedToService)
    pass_role_to: tuple[str, ...]
    #: services that may get a service-linked role (iam:AWSServiceName)
    service_linked_roles: tuple[str, ...]
    #: True when a Custom:: type needs lambda:InvokeFunction
    invokes_functions: bool


def unused_actions(template: Mapping[str, Any] | None, type_name: str) -> frozenset[str]:
    """Handler permissions of ``type_name`` that no resource of that type in ``template`` can call.

    An action is unused when every resource of the type leaves its property (``BY_PROPERTY``)
    unset; without a template nothing is known, so nothing is unused.
    """
    rules = BY_PROPERTY.get(type_name)
    if not rules or template is None:
        return frozenset()
    resources = [r for r in template.get("Resources", {}).values() if r.get("Type") == type_name]
    unused: set[str] = set()
    for prop, actions in rules.items():
        if not any(prop in r.get("Properties", {}) for r in resources):
            unused.update(actions)
    return frozenset(unused)


def needed_actions(type_name: str, template: Mapping[str, Any] | None = None) -> frozenset[str]:
    """``handler_actions`` less what ``template``'s resources of the type cannot call."""
    return handler_actions(type_name) - unused_actions(template, type_name)


def derive(
    types: Iterable[str], template_text: str = "", template: Mapping[str, Any] | None = None
) -> Derived:
    """The actions for ``types`` (and for the dynamic references found in ``template_text``).

    With ``template``, handler permissions its resources cannot call (``BY_PROPERTY``) are left out.
    """
    types = tuple(sorted(set(types)))
    actions: set[str] = set()
    pass_to: set[str] = set()
    linked: set[str] = set()
    invokes = False
    for type_name in types:
        if is_custom(type_name):
            invokes = True
            continue
        own = needed_actions(type_name, template)
        actions |= own
        if "iam:PassRole" in own:
            pass_to.add(f"{service_of(type_name)}.amazonaws.com")
        if "iam:CreateServiceLinkedRole" in own:
            linked.add(f"{service_of(type_name)}.amazonaws.com")
    for marker, needed in DYNAMIC_REFERENCES.items():
        if marker in template_text:
            actions.update(needed)
    iam = {a for a in actions if a.startswith("iam:")}
    return Derived(
        types=types,
        actions=tuple(sorted(actions - iam)),
        iam_actions=tuple(sorted(iam - {"iam:PassRole", "iam:CreateServiceLinkedRole"})),
        pass_role_to=tuple(sorted(pass_to)),
        service_linked_roles=tuple(sorted(linked)),
        invokes_functions=invokes,
    )


def template_types(template: Mapping[str, Any]) -> set[str]:
    return {r["Type"] for r in template.get("Resources", {}).values() if "Type" in r}


def covered(derived: Derived, type_name: str, template: Mapping[str, Any] | None = None) -> bool:
    """True when ``derived`` grants every action ``type_name`` needs (in ``template``, if given)."""
    if is_custom(type_name):
        return derived.invokes_functions
    granted = set(derived.actions) | set(derived.iam_actions)
    if derived.pass_role_to:
        granted.add("iam:PassRole")
    if derived.service_linked_roles:
        granted.add("iam:CreateServiceLinkedRole")
    return needed_actions(type_name, template) <= granted

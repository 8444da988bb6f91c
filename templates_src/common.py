"""Helpers every template shares: names, tags, parameters and the launch-form layout, conditions,
the removal policy, exports, and the build context that a template's steps receive.

One source of truth for how things are named and tagged, so that a resource name, a tag set or an
export name is spelled in exactly one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from awacs.aws import Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from troposphere import (
    AWSHelperFn,
    Equals,
    Export,
    If,
    Join,
    Not,
    NoValue,
    Output,
    Parameter,
    Ref,
    Sub,
    Tags,
    Template,
)

MANAGED_BY = "CloudFormation"
#: The removal policies of everything that holds data or protects it (see :func:`retained`).
#: ``RetainExceptOnCreate`` keeps the resource when the stack is deleted, but deletes it when the
#: stack's own create fails and rolls back (nothing was ever stored in it, and a retained named
#: resource would block the retry). UpdateReplacePolicy has no such value: ``Retain`` there (the
#: values cfn-lint's rules E3035 and E3036 accept: DeletionPolicy Delete, Retain,
#: RetainExceptOnCreate; UpdateReplacePolicy Delete, Retain).
RETAIN_ON_DELETE = "RetainExceptOnCreate"
RETAIN_ON_REPLACE = "Retain"


class BuildError(ValueError):
    """A template that cannot be built as written; the message names what to fix, on one line."""


@dataclass(frozen=True)
class Probe:
    """A read-only call that must answer in the stack's Region: a service API the stack relies on."""

    service: str  # botocore service name
    operation: str  # boto3 method name
    arguments: Mapping[str, Any] = field(default_factory=dict)
    purpose: str = ""


@dataclass(frozen=True)
class Prerequisites:
    """What ``build.py preflight`` checks in the account before a stack of the template is created,
    beyond what the template itself says (subnets and VPC are found by parameter type, the fixed
    names the stack takes by evaluating the template)."""

    #: parameters naming S3 buckets that must exist
    buckets: tuple[str, ...] = ()
    #: parameter naming an (optional) bucket a service delivers logs to, the service principal its
    #: policy must allow s3:PutObject, and the key prefix
    log_bucket: str | None = None
    log_principal: str = ""
    log_prefix: str = ""
    #: parameter listing SNS topic ARNs (must exist, in the stack's Region)
    alarm_topics: str | None = None
    #: Availability Zones the subnets must span, for the values
    zones_needed: Callable[[Mapping[str, str]], int] | None = None
    max_subnets: int | None = None
    #: why the storage values disagree (None: they agree)
    storage_problem: Callable[[Mapping[str, str]], str | None] | None = None
    #: the parameters the storage rule reads (shown in its line)
    storage_parameters: tuple[str, ...] = ()
    #: (resource type, documented default limit) of the account quota a create counts against
    quota: tuple[str, int] | None = None
    #: service APIs that must answer in the Region
    probes: tuple[Probe, ...] = ()
    #: AWS service -> what the stack's clients in its subnets lack without a route to it
    client_services: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Naming:
    """Resource names of the form ``{project}-{environment}-{suffix}``.

    The values come from the ProjectName and Environment parameters, so every name is a ``Fn::Sub``
    that CloudFormation resolves at deploy time.
    """

    project_param: str = "ProjectName"
    environment_param: str = "Environment"

    @property
    def prefix(self) -> str:
        return "${%s}-${%s}" % (self.project_param, self.environment_param)

    def name(self, suffix: str) -> Sub:
        """``{project}-{environment}-{suffix}`` as a ``Fn::Sub``."""
        return Sub(f"{self.prefix}-{suffix}")

    def template(self, suffix: str) -> str:
        """The raw ``Fn::Sub`` string, for composing into a larger ``Fn::Sub``."""
        return f"{self.prefix}-{suffix}"

    def metrics_namespace(self) -> Sub:
        """``{project}/{environment}``: the CloudWatch namespace for the project's own metrics."""
        return Sub("${%s}/${%s}" % (self.project_param, self.environment_param))

    def tags(self, suffix: str, **extra: Any) -> Tags:
        """The tag set every taggable resource carries: Environment, Project, Name, ManagedBy."""
        return Tags(
            Environment=Ref(self.environment_param),
            Project=Ref(self.project_param),
            Name=self.name(suffix),
            ManagedBy=MANAGED_BY,
            **extra,
        )


TAG_KEYS = ("Environment", "Project", "Name", "ManagedBy")


@dataclass
class ParameterForm:
    """Adds parameters to a template and remembers their launch-form group and label.

    ``AWS::CloudFormation::Interface`` is what the CloudFormation console and the Service Catalog
    launch form use to group and label parameters; keeping the label next to the parameter
    means a parameter can't be added without one.
    """

    template: Template
    groups: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: The ``Has<Name>`` condition of each optional parameter, by parameter name.
    given: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, *, group: str, label: str, **props: Any) -> Parameter:
        param = self.template.add_parameter(Parameter(name, **props))
        self.groups.setdefault(group, []).append(name)
        self.labels[name] = label
        return param

    def add_optional(
        self, name: str, *, group: str, label: str, condition: str | None = None, **props: Any
    ) -> Parameter:
        """A parameter that may be left empty (its default), and the condition that it was not.

        The condition is ``Has<name>`` unless ``condition`` names it; it is true when a value was
        given. For a ``CommaDelimitedList`` the values are joined first: an empty list parameter
        is ``[""]``, which joins to "" exactly when no item was given.
        """
        param = self.add(name, group=group, label=label, Default="", **props)
        value = Join("", Ref(name)) if props.get("Type") == "CommaDelimitedList" else Ref(name)
        self.given[name] = condition or f"Has{name}"
        self.template.add_condition(self.given[name], Not(Equals(value, "")))
        return param

    def borrow(self, source: ParameterForm, name: str, group: str, description: str | None = None) -> None:
        """Add ``source``'s parameter ``name`` (and its ``Has<Name>`` condition) to this form, under
        ``group`` and, when given, with this product's ``description``."""
        self.add(name, group=group, label=source.labels[name], **source.template.parameters[name].properties)
        if description is not None:
            self.template.parameters[name].Description = description
        if name in source.given:
            condition = source.given[name]
            self.given[name] = condition
            self.template.add_condition(condition, source.template.conditions[condition])

    def ref(self, name: str) -> Ref:
        """A ``Ref`` to a parameter added earlier; an unknown name fails the build, not the deploy."""
        if name not in self.labels:
            raise KeyError(f"no parameter {name!r} in this template")
        return Ref(name)

    def is_given(self, name: str) -> str:
        """The condition, true when the optional parameter ``name`` is not empty."""
        if name not in self.given:
            raise KeyError(f"no optional parameter {name!r} in this template (see add_optional)")
        return self.given[name]

    def if_given(self, name: str, value: Any = None, otherwise: Any = NoValue) -> If:
        """``value`` (default: the parameter itself) when ``name`` is not empty, else ``otherwise``."""
        return If(self.is_given(name), self.ref(name) if value is None else value, otherwise)

    def interface(self) -> dict[str, Any]:
        """The ``AWS::CloudFormation::Interface`` metadata for the parameters added so far."""
        return {
            "ParameterGroups": [
                {"Label": {"default": group}, "Parameters": names} for group, names in self.groups.items()
            ],
            "ParameterLabels": {name: {"default": label} for name, label in self.labels.items()},
        }


@dataclass
class Context:
    """What every step of a template's build works on: the template, its launch form, how its
    resources are named, and its conditions.

    A step is ``add_<thing>(ctx, <what it depends on>) -> <what it made>``.
    """

    template: Template
    form: ParameterForm
    naming: Naming = field(default_factory=Naming)

    @classmethod
    def for_template(cls, template: Template, naming: Naming | None = None) -> Context:
        return cls(template, ParameterForm(template), naming or Naming())

    def add(self, resource: Any) -> Any:
        """Add ``resource`` to the template and return it."""
        return self.template.add_resource(resource)

    def ref(self, parameter: str) -> Ref:
        """A ``Ref`` to a parameter of the form; an unknown name fails the build."""
        return self.form.ref(parameter)

    def add_condition(self, name: str, expression: Any) -> str:
        """Add a condition; its name is what resources and ``If`` refer to."""
        if name in self.template.conditions:
            raise BuildError(f"condition {name} is defined twice")
        self.template.add_condition(name, expression)
        return name

    def condition(self, name: str) -> str:
        """The name of a condition added earlier; an unknown name fails the build, not the deploy."""
        if name not in self.template.conditions:
            raise BuildError(f"no condition {name} in this template")
        return name

    def if_(self, condition: str, then: Any, otherwise: Any = NoValue) -> If:
        """``Fn::If`` on a condition added earlier."""
        return If(self.condition(condition), then, otherwise)

    def when(self, condition: str | None) -> dict[str, str]:
        """Keyword arguments making a resource exist only when ``condition`` holds (none: always)."""
        return {"Condition": self.condition(condition)} if condition else {}


def retained(resource: Any, replaced: str = RETAIN_ON_REPLACE) -> Any:
    """``resource``, kept by CloudFormation on stack deletion and on replacement, deleted when the
    stack's create fails.

    For what holds data or protects it (a database, its secrets, keys, the clients' logs) and for
    what a retained resource keeps using (the database's security groups): deleting the stack or
    changing a create-only property must never delete it with it, while a failed create leaves
    nothing behind. Returns the resource, so that ``ctx.add(retained(LogGroup(...)))`` reads as
    what it does.

    ``replaced="Delete"`` is for what holds no data and must not outlive its replacement: a
    standalone security-group rule kept on its group after a replacement would make restoring the
    old value fail as a duplicate rule.
    """
    if replaced not in (RETAIN_ON_REPLACE, "Delete"):
        raise BuildError(f"UpdateReplacePolicy {replaced!r}: expected 'Retain' or 'Delete'")
    resource.DeletionPolicy = RETAIN_ON_DELETE
    resource.UpdateReplacePolicy = replaced
    return resource


#: IAM policy language version of every policy document the templates write.
POLICY_VERSION = "2012-10-17"


def trust_policy(service: str) -> PolicyDocument:
    """A role trust policy that lets only ``service`` (e.g. ``lambda.amazonaws.com``) assume the role."""
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[Statement(Effect=Allow, Principal=Principal("Service", service), Action=[AssumeRole])],
    )


def export_output(
    t: Template,
    name: str,
    value: AWSHelperFn | str,
    description: str,
    condition: str | None = None,
) -> Output:
    """An output exported as ``${AWS::StackName}-<name>``, so other stacks can import it."""
    props: dict[str, Any] = {
        "Description": description,
        "Value": value,
        "Export": Export(Sub("${AWS::StackName}-%s" % name)),
    }
    if condition:
        props["Condition"] = condition
    return t.add_output(Output(name, **props))


def checkov_skips(reasons: dict[str, str]) -> dict[str, Any]:
    """A resource's ``Metadata`` that skips checkov checks, each with its written reason.

    Skip a check only where it cannot apply to the resource, never to silence a real finding:
    ``Metadata=checkov_skips({"CKV_AWS_115": "why this check cannot apply here"})``.
    ``tests/test_checkov.py`` lists the reviewed skips; a new one fails until reviewed there.
    """
    for check, reason in reasons.items():
        if not reason or not reason.strip():
            raise ValueError(f"checkov skip {check} needs a written reason")
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in reasons.items()]}}

"""Helpers every template shares: names, tags, parameters and the launch-form layout, exports.

One source of truth for how things are named and tagged, so that a resource name, a tag set or an
export name is spelled in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awacs.aws import Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from troposphere import AWSHelperFn, Export, Output, Parameter, Ref, Sub, Tags, Template

MANAGED_BY = "CloudFormation"


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

    def add(self, name: str, *, group: str, label: str, **props: Any) -> Parameter:
        param = self.template.add_parameter(Parameter(name, **props))
        self.groups.setdefault(group, []).append(name)
        self.labels[name] = label
        return param

    def ref(self, name: str) -> Ref:
        """A ``Ref`` to a parameter added earlier; an unknown name fails the build, not the deploy."""
        if name not in self.labels:
            raise KeyError(f"no parameter {name!r} in this template")
        return Ref(name)

    def interface(self) -> dict[str, Any]:
        """The ``AWS::CloudFormation::Interface`` metadata for the parameters added so far."""
        return {
            "ParameterGroups": [
                {"Label": {"default": group}, "Parameters": names}
                for group, names in self.groups.items()
            ],
            "ParameterLabels": {name: {"default": label} for name, label in self.labels.items()},
        }


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

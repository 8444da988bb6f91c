"""E9103: a retained resource that depends on a resource the stack deletes."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from tooling.gates.lifecycle_rules import _model


class RetainedDependsOnDeleted(CloudFormationLintRule):
    """On stack deletion CloudFormation deletes every resource that is not retained, after the
    resources that refer to it. A retained resource still uses what it refers to: a retained
    database keeps its network interfaces in its security group, so DeleteSecurityGroup fails with
    DependencyViolation and the stack ends DELETE_FAILED; a security group named in a retained
    group's rule cannot be deleted either. Whatever a retained resource refers to (Ref,
    Fn::GetAtt, Fn::Sub in its properties, inline rules included, or DependsOn) must be retained
    too. Parameters and pseudo parameters are not resources and are fine."""

    id = "E9103"
    shortdesc = "Retained resource depends on a resource that is deleted"
    description = (
        "A resource with DeletionPolicy Retain or RetainExceptOnCreate must only refer to resources "
        "that are retained too, or stack deletion deletes what it still uses"
    )
    source_url = (
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html"
    )
    tags = ["resources", "deletionpolicy", "dependencies", "lifecycle"]

    def match(self, cfn):
        every = _model.resources(cfn.template)
        found = []
        for name, resource in every.items():
            if not _model.is_retained(resource):
                continue
            for other, how in _model.direct_references(resource, every).items():
                if not _model.is_retained(every[other]):
                    found.append(
                        RuleMatch(
                            _model.reference_path(name, resource, other, every),
                            f"{name} is retained but refers to {other} ({how}), which stack deletion "
                            "deletes while the retained resource still uses it: retain it too",
                        )
                    )
        return found

"""E9104: a conditional, named, retained resource."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from tooling.gates.lifecycle_rules import _model


class ConditionalNamedRetained(CloudFormationLintRule):
    """A resource with a Condition is deleted by the update that turns the condition off; retained,
    its physical resource stays. The update that turns the condition on again creates it anew with
    the same name, and the create fails with "already exists". A conditional resource that names
    itself (LogGroupName, AliasName, Name...) must not be retained, or must not be named."""

    id = "E9104"
    shortdesc = "Conditional retained resource with a fixed name"
    description = (
        "A resource with a Condition, a retaining DeletionPolicy and a property naming its physical "
        "resource fails with 'already exists' when the condition is switched off and on again"
    )
    source_url = (
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html"
    )
    tags = ["resources", "conditions", "deletionpolicy", "lifecycle"]

    def match(self, cfn):
        found = []
        for name, resource in _model.resources(cfn.template).items():
            if "Condition" not in resource or not _model.is_retained(resource):
                continue
            for prop in _model.names_itself(resource):
                found.append(
                    RuleMatch(
                        ["Resources", name, "Properties", prop],
                        f"{name} is conditional ({resource['Condition']}), retained and named by {prop}: "
                        "switching the condition off and on again meets the retained one "
                        "('already exists')",
                    )
                )
        return found

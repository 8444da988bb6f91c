"""W9102: DeletionPolicy Retain where RetainExceptOnCreate is meant."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from tooling.gates.lifecycle_rules import _model


class RetainOnFailedCreate(CloudFormationLintRule):
    """``DeletionPolicy: Retain`` also keeps a resource when a failed *create* rolls back: the stack
    is gone but the resource stays, and a retry with the same names fails with "already exists".
    ``RetainExceptOnCreate`` deletes it on that rollback and retains it otherwise.
    (UpdateReplacePolicy has no such value: ``Retain`` there keeps what a replacement replaced.)"""

    id = "W9102"
    shortdesc = "DeletionPolicy Retain keeps resources of a failed create"
    description = (
        "Use DeletionPolicy RetainExceptOnCreate, not Retain: Retain keeps the resources a failed "
        "stack creation made, and a retry collides with them"
    )
    source_url = (
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html"
    )
    tags = ["resources", "deletionpolicy", "lifecycle"]

    def match(self, cfn):
        found = []
        for name, resource in _model.resources(cfn.template).items():
            if "Retain" in _model.policy_values(resource.get("DeletionPolicy")):
                found.append(
                    RuleMatch(
                        ["Resources", name, "DeletionPolicy"],
                        f"{name} has DeletionPolicy Retain: a failed create's rollback keeps it; "
                        "use RetainExceptOnCreate",
                    )
                )
        return found

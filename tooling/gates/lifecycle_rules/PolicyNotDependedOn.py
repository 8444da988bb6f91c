"""E9108: a custom resource whose functions' permissions can be deleted before it."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from tooling.cfn import intrinsics
from tooling.gates.lifecycle_rules import _model

#: Policy resources that attach to a role, and the property naming the role(s).
ATTACHING = {
    "AWS::IAM::Policy": "Roles",
    "AWS::IAM::ManagedPolicy": "Roles",
    "AWS::IAM::RolePolicy": "RoleName",
}


class PolicyNotDependedOn(CloudFormationLintRule):
    """A policy resource that attaches itself to a role (AWS::IAM::Policy or ManagedPolicy with
    Roles, AWS::IAM::RolePolicy) refers to the role; the function refers to the role too, but
    nothing orders the policy against the function or the custom resource it backs. CloudFormation
    can then invoke the custom resource's Create before the policy is attached, and deletes the
    policy in parallel with the custom resource's Delete: the function fails with AccessDenied.
    The custom resource must depend on each such policy of its functions' roles (a policy the
    role lists in ManagedPolicyArns is a dependency already)."""

    id = "E9108"
    shortdesc = "Custom resource does not depend on its functions' role policies"
    description = (
        "A custom resource must depend on every policy resource that attaches permissions to the "
        "roles of its functions, or they can be missing during its Create and Delete"
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html"
    tags = ["resources", "custom", "dependencies", "iam", "lifecycle"]

    def match(self, cfn):
        every = _model.resources(cfn.template)
        found = []
        for name, resource in _model.custom_resources(every):
            roles = {
                role: function
                for function in _model.functions_behind(resource, every)
                for role in intrinsics.resources_in(_model.properties(every[function]).get("Role"), every)
            }
            if not roles:
                continue
            needed = _model.dependencies(name, every)
            for policy, policy_resource in every.items():
                prop = ATTACHING.get(_model.type_of(policy_resource))
                if prop is None or policy in needed:
                    continue
                for role in intrinsics.resources_in(_model.properties(policy_resource).get(prop), every):
                    if role in roles:
                        found.append(
                            RuleMatch(
                                _model.dependency_path(name, resource),
                                f"Custom resource {name} does not depend on {policy}, a policy of "
                                f"{role} that {roles[role]} runs as: it can be missing during the "
                                "custom resource's Create and Delete (add DependsOn)",
                            )
                        )
                        break
        return found

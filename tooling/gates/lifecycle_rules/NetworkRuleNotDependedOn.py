"""E9105: a custom resource whose functions' network rules can be deleted before it."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from tooling.cfn import intrinsics
from tooling.gates.lifecycle_rules import _model

#: Standalone rule resources and the property that ties each to a function's security group.
RULE_PROPERTIES = {
    "AWS::EC2::SecurityGroupEgress": "GroupId",
    "AWS::EC2::SecurityGroupIngress": "SourceSecurityGroupId",
}


class NetworkRuleNotDependedOn(CloudFormationLintRule):
    """CloudFormation deletes in parallel whatever nothing orders. A custom resource whose function
    (or a function it invokes, such as a worker named in its Environment) runs in a VPC reaches its
    target through security-group rules; a standalone AWS::EC2::SecurityGroupEgress of the
    function's group, or an AWS::EC2::SecurityGroupIngress admitting it, is not a dependency of the
    custom resource unless the template says so. Stack deletion then removes the rule while the
    custom resource's Delete still needs it, and the Delete times out. The custom resource must
    depend on each such rule (DependsOn or a reference, directly or through other resources)."""

    id = "E9105"
    shortdesc = "Custom resource does not depend on its functions' network rules"
    description = (
        "A custom resource must depend on every standalone security-group rule that lets its "
        "VPC-attached functions reach their targets, or stack deletion removes the rule first"
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html"
    tags = ["resources", "custom", "dependencies", "ec2", "lifecycle"]

    def match(self, cfn):
        every = _model.resources(cfn.template)
        found = []
        for name, resource in _model.custom_resources(every):
            groups = {
                group: function
                for function in _model.functions_behind(resource, every)
                for group in _model.security_groups_of(every[function], every)
            }
            if not groups:
                continue
            needed = _model.dependencies(name, every)
            for rule, rule_resource in every.items():
                prop = RULE_PROPERTIES.get(_model.type_of(rule_resource))
                if prop is None or rule in needed:
                    continue
                for group in intrinsics.resources_in(_model.properties(rule_resource).get(prop), every):
                    if group in groups:
                        found.append(
                            RuleMatch(
                                _model.dependency_path(name, resource),
                                f"Custom resource {name} does not depend on {rule}, the "
                                f"{_model.type_of(rule_resource).rsplit('::', 1)[-1]} rule of {group} "
                                f"that {groups[group]} uses: stack deletion can remove the rule "
                                "before the custom resource's Delete runs (add DependsOn)",
                            )
                        )
                        break
        return found

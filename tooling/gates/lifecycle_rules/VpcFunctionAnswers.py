"""E9101: a custom resource whose function is attached to a VPC."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from tooling.gates.lifecycle_rules import _model


class VpcFunctionAnswers(CloudFormationLintRule):
    """CloudFormation hands a custom resource's function a ResponseURL that is a pre-signed Amazon
    S3 URL, and waits for the function to PUT its answer there. A function with VpcConfig reaches
    S3 only through a NAT gateway or an S3 gateway endpoint, which the template cannot promise: in
    private subnets it never answers, the create waits ServiceTimeout, and the rollback's Delete
    waits again (ROLLBACK_FAILED). Answer from a function outside the VPC; let it invoke a worker
    inside the VPC for what needs the network."""

    id = "E9101"
    shortdesc = "Custom resource answered by a VPC-attached Lambda function"
    description = (
        "A custom resource's ServiceToken function must not have VpcConfig: its answer goes to a "
        "pre-signed S3 URL that private subnets cannot reach without NAT or an S3 endpoint"
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html"
    tags = ["resources", "custom", "lambda", "lifecycle"]

    def match(self, cfn):
        every = _model.resources(cfn.template)
        found = []
        for name, resource in _model.custom_resources(every):
            for function in _model.service_functions(resource, every):
                if _model.vpc_config(every[function]) is not None:
                    found.append(
                        RuleMatch(
                            ["Resources", name, "Properties", "ServiceToken"],
                            f"Custom resource {name} is answered by {function}, which has VpcConfig: "
                            "its answer to the pre-signed S3 ResponseURL needs a route to S3 from the "
                            "subnets, or the stack operation and its rollback hang",
                        )
                    )
        return found

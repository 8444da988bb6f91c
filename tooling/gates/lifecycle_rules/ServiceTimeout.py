"""E9106 and W9107: how long CloudFormation waits for a Lambda-backed custom resource."""

from __future__ import annotations

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from tooling.gates.lifecycle_rules import _model

#: Lambda's Timeout when a function sets none (cfn-lint's bundled schema for AWS::Lambda::Function).
LAMBDA_DEFAULT_TIMEOUT = 3
SOURCE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html"


def _lambda_backed(cfn):
    every = _model.resources(cfn.template)
    for name, resource in _model.custom_resources(every):
        functions = _model.service_functions(resource, every)
        if functions:
            yield name, resource, functions, every


class ServiceTimeoutTooShort(CloudFormationLintRule):
    """CloudFormation stops waiting for a custom resource after its ServiceTimeout. A function
    allowed to run as long (its Timeout) or longer can answer after CloudFormation has already
    failed the operation, which then rolls back something that succeeded. ServiceTimeout must
    be longer than the service function's Timeout: the answer is sent before the function ends,
    and the invocation itself starts after CloudFormation's clock does."""

    id = "E9106"
    shortdesc = "Custom resource ServiceTimeout not longer than its function's Timeout"
    description = (
        "A Lambda-backed custom resource's ServiceTimeout must exceed its service function's Timeout"
    )
    source_url = SOURCE
    tags = ["resources", "custom", "lambda", "lifecycle"]

    def match(self, cfn):
        found = []
        for name, resource, functions, every in _lambda_backed(cfn):
            wait = _model.integer(_model.properties(resource).get("ServiceTimeout"))
            if wait is None:
                continue
            for function in functions:
                timeout = _model.properties(every[function]).get("Timeout", LAMBDA_DEFAULT_TIMEOUT)
                runs = _model.integer(timeout)
                if runs is not None and wait <= runs:
                    found.append(
                        RuleMatch(
                            ["Resources", name, "Properties", "ServiceTimeout"],
                            f"Custom resource {name} waits {wait} s (ServiceTimeout) but {function} may "
                            f"run {runs} s (Timeout): CloudFormation gives up before the answer",
                        )
                    )
        return found


class ServiceTimeoutMissing(CloudFormationLintRule):
    """Without ServiceTimeout CloudFormation waits an hour (3600 s, its default and maximum) for a
    custom resource's answer: a function that dies without answering holds the stack operation,
    and then its rollback, that long. Set ServiceTimeout a little above the function's Timeout."""

    id = "W9107"
    shortdesc = "Lambda-backed custom resource without ServiceTimeout"
    description = (
        "Set ServiceTimeout on a Lambda-backed custom resource; CloudFormation's default wait is one hour"
    )
    source_url = SOURCE
    tags = ["resources", "custom", "lambda", "lifecycle"]

    def match(self, cfn):
        return [
            RuleMatch(
                ["Resources", name, "Properties"],
                f"Custom resource {name} has no ServiceTimeout: CloudFormation waits up to an hour for "
                "an answer that does not come",
            )
            for name, resource, _, _ in _lambda_backed(cfn)
            if "ServiceTimeout" not in _model.properties(resource)
        ]

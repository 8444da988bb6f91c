"""cfn-lint rules for what a template does over its life: create, failed create and retry, update,
update rollback, delete. Each rule is generic over any template.

=====  =====================================================================================
E9101  a custom resource answered by a VPC-attached Lambda function (cannot reach S3 to answer)
W9102  DeletionPolicy Retain (keeps what a failed create made: use RetainExceptOnCreate)
E9103  a retained resource refers to a resource that stack deletion deletes
E9104  a conditional, retained resource with a fixed name ("already exists" on re-enable)
E9105  a custom resource does not depend on its VPC functions' standalone security-group rules
E9106  a custom resource's ServiceTimeout not longer than its function's Timeout
W9107  a Lambda-backed custom resource without ServiceTimeout (CloudFormation waits an hour)
E9108  a custom resource does not depend on the policy resources of its functions' roles
=====  =====================================================================================

cfn-lint loads them from :data:`MODULE` (in process, as ``append_rules``) or :data:`RULES_DIR`
(``PYTHONPATH=. cfn-lint <template> --append-rules tooling/gates/lifecycle_rules`` from the
repository root: the rules import ``tooling.cfn``): each
rule module's name starts with a letter, helpers' with an underscore, which cfn-lint skips.
"""

from __future__ import annotations

from pathlib import Path

from .ConditionalNamedRetained import ConditionalNamedRetained
from .NetworkRuleNotDependedOn import NetworkRuleNotDependedOn
from .PolicyNotDependedOn import PolicyNotDependedOn
from .RetainedDependsOnDeleted import RetainedDependsOnDeleted
from .RetainOnFailedCreate import RetainOnFailedCreate
from .ServiceTimeout import ServiceTimeoutMissing, ServiceTimeoutTooShort
from .VpcFunctionAnswers import VpcFunctionAnswers

RULES_DIR = Path(__file__).parent
MODULE = __name__

RULE_CLASSES = (
    VpcFunctionAnswers,
    RetainOnFailedCreate,
    RetainedDependsOnDeleted,
    ConditionalNamedRetained,
    NetworkRuleNotDependedOn,
    ServiceTimeoutTooShort,
    ServiceTimeoutMissing,
    PolicyNotDependedOn,
)


def rules() -> list:
    """One instance of each lifecycle rule, for a cfn-lint ``Rules`` collection."""
    return [cls() for cls in RULE_CLASSES]


def ids() -> tuple[str, ...]:
    return tuple(cls.id for cls in RULE_CLASSES)


__all__ = ["MODULE", "RULES_DIR", "RULE_CLASSES", "ids", "rules"]

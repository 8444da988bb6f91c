"""A Service Catalog launch role: what Service Catalog may do when a user launches one product.

One role per product (``output/<product>-launch-role.yaml``), each derived from its own product's
template only, so a product's launches get no permission another product needs. Deployed once per
account; the product's launch constraint names it by ``LocalRoleName``, so the same constraint works
in every account that has it.

The policy is *derived*, not written by hand: the product template's resource types give, through
their CloudFormation resource schemas (bundled with cfn-lint), the IAM actions each handler calls.
A new resource type in the product template changes this policy at the next build; a type nobody
can cover fails the build. Every action is then placed on the narrowest resource IAM lets the
policy name (``scopes.py``): the product's names, the product's tags, or the names Service Catalog
gives a product's stacks (``SC-<account>-pp-...``, which CloudFormation prefixes to generated role,
policy and function names). Only creates, metadata reads and actions with no resource type stay
on "*"; a delete, change, tag or secret read there fails the build.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from awacs.aws import (
    Action,
    Allow,
    Condition,
    PolicyDocument,
    Statement,
    StringEquals,
)
from troposphere import GetAtt, Output, Parameter, Ref, Sub, Template, encode_to_dict
from troposphere.iam import ManagedPolicy, Policy, Role

from ..common import POLICY_VERSION, checkov_skips, trust_policy
from . import permissions, scopes

# checkov's least-privilege checks look for Resource "*" on write, permissions-management and
# data-read actions. A launch role is the one place that needs them: it runs the product's
# template, whose resources get their ARNs at create time. Reviewed in tests/test_checkov.py.
LAUNCH_ROLE_CHECKOV_SKIPS = checkov_skips(
    {
        "CKV_AWS_111": (
            "Writes left on Resource '*' are creates of resources whose ids do not exist yet "
            "(kms:CreateKey, the EC2 creates are ARN-scoped) and actions IAM's reference gives no "
            "resource type (logs resource and index policies); every delete, change and tag action "
            "is scoped by the product's names or tags (scopes.py), and the build refuses otherwise."
        ),
        "CKV_AWS_108": (
            "The one s3:GetObject on '*' carries AWS's documented launch-role condition "
            "s3:ExistingObjectTag/servicecatalog:provisioning=true (Service Catalog's own copy of "
            "the template, in a bucket the service owns); secret values are readable only for "
            "secrets named like the product's."
        ),
        "CKV_AWS_110": (
            "The product makes IAM roles and policies for its Lambda functions; those IAM actions "
            "are scoped to the product's SC-<account>-pp-* stack names and PassRole to Lambda."
        ),
        "CKV_AWS_109": (
            "logs:PutResourcePolicy and logs:DeleteResourcePolicy (a log group's handler) have no "
            "resource type in IAM's reference; kms:PutKeyPolicy and kms:CreateGrant are scoped to "
            "keys with the product's tags, IAM actions to the product's stack names."
        ),
    }
)

# Service Catalog names a provisioned product's stack SC-<account>-pp-<id>; CloudFormation starts
# the names it generates (roles, functions) with the stack name.
STACK_PREFIX = scopes.STACK_PREFIX
BUCKET_PARAMETER = "TemplateBucket"
LaunchScopes = scopes.LaunchScopes

# What Service Catalog does with CloudFormation when it launches, updates or terminates a product.
STACK_ACTIONS = (
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "cloudformation:DeleteStack",
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:SetStackPolicy",
    "cloudformation:CreateChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:ListChangeSets",
    "cloudformation:TagResource",
    "cloudformation:UntagResource",
)
# These take a template, not a stack: IAM allows only "*".
TEMPLATE_ACTIONS = ("cloudformation:GetTemplateSummary", "cloudformation:ValidateTemplate")


@dataclass(frozen=True)
class Options:
    """A launch role has no build option: everything it grants follows from its product template."""


def _actions(names) -> list[Action]:
    return [Action(*name.split(":", 1)) for name in names]


def derive(product: Template) -> permissions.Derived:
    """What launching ``product`` needs (its text is searched for dynamic references)."""
    body = product.to_dict()
    return permissions.derive(permissions.template_types(body), json.dumps(body), body)


# Service Catalog copies a provisioning artifact's template into a bucket the service owns and tags
# the copy servicecatalog:provisioning=true; the launch role reads it there. AWS documents this
# statement for every launch role: "Step 6: Add a launch constraint to assign an IAM role",
# https://docs.aws.amazon.com/servicecatalog/latest/adminguide/getstarted-launchconstraint.html
# (and "AWS Service Catalog Launch Constraints", .../adminguide/constraints-launch.html). The
# bucket's name is the service's, so the object tag, not the Resource, is what scopes it.
TEMPLATE_COPY_TAG = "s3:ExistingObjectTag/servicecatalog:provisioning"


def statements(derived: permissions.Derived, names: LaunchScopes | None = None) -> list[Statement]:
    """The launch role's policy statements for what ``derived`` needs; ``names``: the product's
    name patterns."""
    stack_arn = Sub(f"arn:${{AWS::Partition}}:cloudformation:*:${{AWS::AccountId}}:stack/{STACK_PREFIX}*/*")
    placement = scopes.place(derived.actions, BUCKET_PARAMETER, names)
    result = [
        Statement(
            Sid="ManageProductStacks", Effect=Allow, Action=_actions(STACK_ACTIONS), Resource=[stack_arn]
        ),
        Statement(
            Sid="ReadTemplates",
            Effect=Allow,
            Action=_actions(TEMPLATE_ACTIONS),
            Resource=["*"],  # these actions support no resource-level permissions
        ),
        Statement(
            Sid="ReadServiceCatalogTemplateCopies",
            Effect=Allow,
            Action=[Action("s3", "GetObject")],
            Resource=["*"],
            Condition=Condition(StringEquals(TEMPLATE_COPY_TAG, "true")),
        ),
    ]
    for scope, actions in placement.scoped:
        # Sid names the scope; scopes.py says why each one is as narrow as it is.
        statement = Statement(
            Sid=scope.sid, Effect=Allow, Action=_actions(actions), Resource=[Sub(r) for r in scope.resources]
        )
        if scope.condition:
            statement.Condition = scopes.condition_of(scope)
        result.append(statement)
    if placement.no_resource_type:
        result.append(
            Statement(
                Sid="NoResourceLevelPermissions",
                Effect=Allow,
                Action=_actions(placement.no_resource_type),
                # IAM's reference lists no resource type for these actions: only "*" names them.
                Resource=["*"],
            )
        )
    if placement.unscoped:
        result.append(
            Statement(
                Sid="CreatesAndMetadataReads",
                Effect=Allow,
                Action=_actions(placement.unscoped),
                # Creates of resources whose ids do not exist yet (and that attach to the customer's
                # network), and reads of metadata; scopes.place refuses anything that deletes,
                # changes, tags or reads secret data here.
                Resource=["*"],
            )
        )
    if derived.iam_actions:
        kinds = sorted({k for a in derived.iam_actions for k in permissions.action_resource_types(a)})
        result.append(
            Statement(
                Sid="ProductIamResources",
                Effect=Allow,
                Action=_actions(derived.iam_actions),
                Resource=[
                    Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:{kind}/{STACK_PREFIX}*")
                    for kind in kinds
                ],
            )
        )
    if derived.pass_role_to:
        result.append(
            Statement(
                Sid="PassProductRoles",
                Effect=Allow,
                Action=[Action("iam", "PassRole")],
                Resource=[Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{STACK_PREFIX}*")],
                Condition=Condition(StringEquals("iam:PassedToService", list(derived.pass_role_to))),
            )
        )
    if derived.service_linked_roles:
        result.append(
            Statement(
                Sid="CreateServiceLinkedRoles",
                Effect=Allow,
                Action=[Action("iam", "CreateServiceLinkedRole")],
                Resource=[Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*")],
                Condition=Condition(StringEquals("iam:AWSServiceName", list(derived.service_linked_roles))),
            )
        )
    if derived.invokes_functions:
        result.append(
            Statement(
                Sid="InvokeCustomResourceFunctions",
                Effect=Allow,
                Action=[Action("lambda", "InvokeFunction")],
                Resource=[
                    Sub(f"arn:${{AWS::Partition}}:lambda:*:${{AWS::AccountId}}:function:{STACK_PREFIX}*")
                ],
            )
        )
    return result


def build(
    options: Options | None, *, product: str, template: Callable[[], Template], names: LaunchScopes
) -> Template:
    """The launch role of the product registered as ``product``: ``template`` builds it (with its
    default options), ``names`` is what its registry entry says of its names. The registry wires
    them in, so this package imports no product package."""
    derived = derive(template())
    t = Template(
        Description=(
            f"Service Catalog launch role for {names.title}: launches, updates "
            "and terminates the product's stacks with the permissions its resource types need."
        )
    )
    t.set_version("2010-09-09")
    t.set_metadata({"DerivedFrom": {"Template": product, "ResourceTypes": list(derived.types)}})
    role_name = t.add_parameter(
        Parameter(
            "LaunchRoleName",
            Type="String",
            Default=names.role_name,
            AllowedPattern=r"^[A-Za-z0-9_+=,.@-]{1,64}$",
            Description="Role name; the product's launch constraint names it (LocalRoleName), so keep it the same in every account",
        )
    )
    t.add_parameter(
        Parameter(
            BUCKET_PARAMETER,
            Type="String",
            AllowedPattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            Description="S3 bucket `make publish` uploads the product templates to",
        )
    )
    inline, spilled = split_for_iam(statements(derived, names))
    role = t.add_resource(
        Role(
            "LaunchRole",
            RoleName=Ref(role_name),
            Description="Service Catalog launch role (derived from the product template)",
            Metadata=LAUNCH_ROLE_CHECKOV_SKIPS,
            AssumeRolePolicyDocument=trust_policy("servicecatalog.amazonaws.com"),
            Policies=[
                Policy(
                    PolicyName="launch-product",
                    PolicyDocument=PolicyDocument(Version=POLICY_VERSION, Statement=inline),
                )
            ],
        )
    )
    for number, chunk in enumerate(spilled, start=1):
        t.add_resource(
            ManagedPolicy(
                f"LaunchRolePolicy{number}",
                Description=f"Service Catalog launch role, part {number + 1} (over the inline limit)",
                Metadata=LAUNCH_ROLE_CHECKOV_SKIPS,
                Roles=[Ref(role)],
                PolicyDocument=PolicyDocument(Version=POLICY_VERSION, Statement=chunk),
            )
        )
    t.add_output(Output("LaunchRoleArn", Description="ARN of the launch role", Value=GetAtt(role, "Arn")))
    t.add_output(
        Output("LaunchRoleName", Description="LocalRoleName of the launch constraint", Value=Ref(role))
    )
    return t


#: IAM's quotas ("IAM and AWS STS quotas", IAM User Guide): a role's inline policies together at
#: most 10,240 characters, a managed policy at most 6,144, white space not counted. Measured here
#: on the template's form, whose Fn::Sub strings are longer than what they resolve to.
INLINE_POLICY_LIMIT = 10_240
MANAGED_POLICY_LIMIT = 6_144
#: The document around the statements: {"Version":"2012-10-17","Statement":[...]}.
DOCUMENT_OVERHEAD = 64


def policy_size(statements_: list[Statement]) -> int:
    """Characters of ``statements_`` in a policy document, without white space."""
    body = [encode_to_dict(s) for s in statements_]
    return len(json.dumps(body, separators=(",", ":"))) + DOCUMENT_OVERHEAD


def split_for_iam(statements_: list[Statement]) -> tuple[list[Statement], list[list[Statement]]]:
    """The statements in order: those that fit the role's inline policy, then the rest in managed
    policies of at most IAM's size each (a role may have up to 10 attached by default)."""
    inline: list[Statement] = []
    spilled: list[list[Statement]] = []
    for statement in statements_:
        if not spilled and policy_size([*inline, statement]) <= INLINE_POLICY_LIMIT:
            inline.append(statement)
        elif spilled and policy_size([*spilled[-1], statement]) <= MANAGED_POLICY_LIMIT:
            spilled[-1].append(statement)
        else:
            spilled.append([statement])
    return inline, spilled


__all__ = ["LaunchScopes", "Options", "build", "derive", "statements"]

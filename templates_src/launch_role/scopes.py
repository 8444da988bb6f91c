"""Where each of the launch role's derived actions may act: the narrowest resource IAM lets it name.

A derived action (``permissions.derive``) goes to every scope whose resource types it has in IAM's
reference (the ``Resources`` of each action in cfn-lint's bundled IAM policy data); the scopes name
the product's resources three ways:

* by name, where the product names the resource (``{ProjectName}-{Environment}-influxdb...``) or
  CloudFormation does (``SC-<account>-pp-...``, the Service Catalog stack's name, for functions);
* by the product's tags, where the resource's id is generated (KMS key ids, security-group ids,
  InfluxDB instance ids): ``aws:ResourceTag/ManagedBy`` and the presence of ``Project`` and
  ``Environment``, the tag set every taggable resource of the product carries. The product's own
  tags, not CloudFormation's ``aws:cloudformation:*`` tags: cfn-lint's bundled schema for
  AWS::KMS::Key sets ``cloudFormationSystemTags: false``, and every tagged type here sets
  ``tagOnCreate: true``, so the product's tags are on the resource from its create call on;
* as a referenced resource the product does not own (the customer's subnets, route tables,
  parameter groups), for the actions that only attach to them.

What no scope takes stays on ``"*"`` in two statements, each saying why; an action that deletes,
changes, tags or reads secret data (``must_be_scoped``) and has a resource type is refused there:
the build fails rather than grant it on every resource.

Condition keys per resource type are from the IAM service authorization reference ("Actions,
resources, and condition keys for AWS Key Management Service" and its pages for the other services,
as bundled with parliament): ``aws:ResourceTag/${TagKey}`` is listed for KMS ``key``, Timestream for
InfluxDB ``db-instance``, EC2 ``security-group`` and ``vpc-endpoint``.

Tagging while creating is authorized apart from the tag-scoped statements: the handlers of
AWS::KMS::Key, AWS::EC2::SecurityGroup and AWS::Timestream::InfluxDBInstance pass the product's tags
to their create call (``tagOnCreate``; the tag action is in each create handler's permissions), and
IAM then checks the tag action for a resource that has no tags yet, so no ``aws:ResourceTag``
condition can hold. Those statements (``tag_at_create_scopes``) test the tags the request sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from awacs.aws import Condition, ConditionElement, Null, StringEquals

from ..common import MANAGED_BY, BuildError
from . import permissions

ACCOUNT = "${AWS::AccountId}"
STACK_PREFIX = f"SC-{ACCOUNT}-pp-"


@dataclass(frozen=True)
class LaunchScopes:
    """What a product's launch role needs to know of the product beyond its template.

    The registry entry of the product gives it (this package imports no product package). The name
    patterns are what follows ``{ProjectName}-{Environment}-`` in the product's names (``*`` allowed);
    None where the product names no such resource: a delete or change of that type then has no
    scope and fails the build rather than fall to every resource.
    """

    #: default LaunchRoleName of the role (the product's launch constraint names it)
    role_name: str
    #: the product, as the role's Description names it ("the Timestream for InfluxDB product")
    title: str
    secrets: str | None = None
    log_groups: str | None = None
    alarms: str | None = None
    dashboards: str | None = None
    key_aliases: str | None = None


def arn(service: str, rest: str, region: str = "*", account: str = ACCOUNT) -> str:
    return f"arn:${{AWS::Partition}}:{service}:{region}:{account}:{rest}"


def product_tags() -> list[ConditionElement]:
    """The resource carries the product's tag set (``Naming.tags``): ManagedBy, Project, Environment."""
    return [
        StringEquals("aws:ResourceTag/ManagedBy", MANAGED_BY),
        Null({"aws:ResourceTag/Project": "false", "aws:ResourceTag/Environment": "false"}),
    ]


def product_request_tags(also: dict[str, str] | None = None) -> list[ConditionElement]:
    """The request sets the product's tag set: ManagedBy=CloudFormation, Project and Environment
    (and every key of ``also`` equals its value).

    No closed list of tag keys (``ForAllValues`` on ``aws:TagKeys``): Service Catalog propagates the
    provisioned product's tags (its own ``aws:servicecatalog:*`` tags, TagOptions, the tags a user
    gives at launch) to the resources it creates (Service Catalog API reference, "Tag": "Tags are
    propagated to the resources created when provisioning a product"), so their keys are in the
    create request and a closed list would refuse the launch.
    """
    return [
        StringEquals({"aws:RequestTag/ManagedBy": MANAGED_BY, **(also or {})}),
        Null({"aws:RequestTag/Project": "false", "aws:RequestTag/Environment": "false"}),
    ]


# Actions that make a new resource of a tag-scoped type: it has no tags to test yet. Creating harms
# no existing resource; what may then change or delete it is scoped by its tags.
CREATES = frozenset(
    {
        "ec2:CreateSecurityGroup",
        "ec2:CreateVpcEndpoint",
        "ec2:CreateNetworkInterface",
        "timestream-influxdb:CreateDbInstance",
        "timestream-influxdb:CreateDbCluster",
        "kms:CreateKey",
    }
)
#: What makes a product a cluster product: the statements for clusters exist only for it.
CLUSTER_PRODUCT = frozenset({"timestream-influxdb:CreateDbCluster"})
DATABASE_UPDATES = frozenset({"timestream-influxdb:UpdateDbInstance", "timestream-influxdb:UpdateDbCluster"})
# The resources the EC2 creates make or attach (the customer's VPC, subnets and route tables are
# launch parameters), by ARN and nothing else. parliament requires each statement to name every
# resource type an action requires, so they share one statement.
NEW_NETWORK_RESOURCES = (
    "security-group",
    "vpc-endpoint",
    "network-interface",
    "vpc",
    "subnet",
    "route-table",
)
# A permission-only check CreateVpcEndpoint makes; parliament's copy of the IAM reference lists no
# resource type for it, so only "*" satisfies every gate. It allows nothing on its own.
ANY_RESOURCE = frozenset({"vpce:AllowMultiRegion"})
KEY_ALIAS_ACTIONS = frozenset({"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"})


@dataclass(frozen=True)
class Scope:
    """A statement: the derived actions with one of ``types`` on ``resources`` (if ``condition``)."""

    sid: str
    types: frozenset[str]
    resources: tuple[str, ...]
    why: str
    condition: tuple[ConditionElement, ...] = ()
    #: when set, only these actions (a referenced resource must not open every action of its type)
    only: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()
    #: the statement exists only for a product whose derived actions include all of these (a type
    #: only some products make, whose actions other products share: TagResource on db-cluster)
    needs: frozenset[str] = frozenset()
    #: the statement is left out for a product whose derived actions include all of these (one
    #: that a wider statement covers: the role's inline policies share a 10,240-character limit)
    unless: frozenset[str] | None = None

    def takes(self, action: str) -> bool:
        if action in self.exclude or (self.only is not None and action not in self.only):
            return False
        return bool(self.types & set(permissions.action_resource_types(action)))


def name_scopes(names: LaunchScopes | None) -> tuple[Scope, ...]:
    """The statements scoped by the product's own names (``names``), in statement order."""
    if names is None:
        return ()
    found: list[Scope] = []
    if names.secrets:
        found.append(
            Scope(
                "ProductSecrets",
                frozenset({"Secret"}),
                (arn("secretsmanager", f"secret:*-{names.secrets}"),),
                f"the product names its secrets {{ProjectName}}-{{Environment}}-{names.secrets}",
            )
        )
    if names.log_groups:
        found += [
            Scope(
                "ProductLogGroups",
                frozenset({"log-group"}),
                (arn("logs", f"log-group:*-{names.log_groups}"),),
                f"the product names its log groups {{ProjectName}}-{{Environment}}-{names.log_groups}",
            ),
            Scope(
                "ProductLogDeliveryStreams",
                frozenset({"deliverystream"}),
                (arn("firehose", f"deliverystream/*-{names.log_groups}"),),
                "a log group's handler tags delivery streams; only streams named like the product's",
            ),
        ]
    watched = (
        *([arn("cloudwatch", f"alarm:*-{names.alarms}")] if names.alarms else []),
        *([arn("cloudwatch", f"dashboard/*-{names.dashboards}", region="")] if names.dashboards else []),
    )
    if watched:
        found.append(
            Scope(
                "ProductAlarmsAndDashboard",
                frozenset({"alarm", "dashboard"}),
                watched,
                "the product names its alarms and dashboard {ProjectName}-{Environment}-...",
            )
        )
    return tuple(found)


def scopes(template_bucket: str, names: LaunchScopes | None = None) -> tuple[Scope, ...]:
    """The scopes, in statement order; ``template_bucket`` is the ``Fn::Sub`` name of the bucket,
    ``names`` the product's name patterns."""
    tagged = tuple(product_tags())
    alias = names.key_aliases if names else None
    return (
        *name_scopes(names),
        Scope(
            "ProductFunctions",
            frozenset({"function"}),
            (arn("lambda", f"function:{STACK_PREFIX}*"),),
            "CloudFormation names the product's functions after the Service Catalog stack",
            exclude=frozenset({"lambda:PutFunctionCodeSigningConfig"}),
        ),
        Scope(
            "FunctionCodeSigningConfigs",
            frozenset({"code signing config"}),
            (arn("lambda", f"function:{STACK_PREFIX}*"), arn("lambda", "code-signing-config:*")),
            "a product function (by name) may refer to a signing config it does not own",
            only=frozenset({"lambda:PutFunctionCodeSigningConfig"}),
        ),
        Scope(
            "FunctionCodeObjects",
            frozenset({"object"}),
            (f"arn:${{AWS::Partition}}:s3:::${{{template_bucket}}}/*",),
            "a function's code in S3 could only be the one the project publishes; the product's "
            "functions carry their code inline, so nothing else in S3 is readable",
            only=frozenset({"s3:GetObject", "s3:GetObjectVersion"}),
        ),
        Scope(
            "EngineLogBucket",
            frozenset({"bucket"}),
            ("arn:${AWS::Partition}:s3:::*",),
            "the engine-log bucket is a launch parameter (any bucket); bucket-level reads only, "
            "no object is readable through this statement",
        ),
        *(
            (
                Scope(
                    "ProductKeyAlias",
                    frozenset({"alias"}),
                    (arn("kms", f"alias/*-{alias}"), arn("kms", "key/*")),
                    f"the product names its key alias alias/{{ProjectName}}-{{Environment}}-{alias}; an "
                    "alias action also names the key it points to, so the named alias is what limits it",
                    only=KEY_ALIAS_ACTIONS,
                ),
            )
            if alias
            else ()
        ),
        Scope(
            "ProductKeys",
            frozenset({"key"}),
            (arn("kms", "key/*"),),
            "key ids are generated at create time; the key carries the product's tags",
            condition=tagged,
            exclude=CREATES | KEY_ALIAS_ACTIONS,
        ),
        Scope(
            "ProductInstances",
            frozenset({"db-instance"}),
            (arn("timestream-influxdb", "db-instance/*"),),
            "instance ids are generated at create time; the instance carries the product's tags",
            condition=tagged,
            exclude=CREATES | {"timestream-influxdb:UpdateDbInstance"},
            unless=CLUSTER_PRODUCT,
        ),
        # IAM authorizes each resource of a request on its own, so an UpdateDbInstance could be
        # split: the instance by its tags, the customer's parameter group by ARN. parliament refuses
        # that (RESOURCE_MISMATCH): its copy of IAM's reference marks db-instance required for the
        # action, and it wants every statement granting the action to name one. A tag condition on
        # the shared statement would be tested against the parameter group too, which has no
        # product tags. So the instance side is by ARN: any instance of the account.
        Scope(
            "InstanceParameterGroups",
            frozenset({"db-parameter-group"}),
            (arn("timestream-influxdb", "db-instance/*"), arn("timestream-influxdb", "db-parameter-group/*")),
            "an update may name the customer's parameter group (a launch parameter, without the "
            "product's tags) and parliament wants the instance in the same statement, so a tag "
            "condition cannot hold: instances of this account, by ARN. Deleting stays tag-scoped",
            only=frozenset({"timestream-influxdb:UpdateDbInstance"}),
            unless=CLUSTER_PRODUCT,
        ),
        # A read-replica cluster product (its handlers also act on the cluster's instances): the
        # same as for an instance, one statement for both types.
        Scope(
            "ProductDatabases",
            frozenset({"db-instance", "db-cluster"}),
            (arn("timestream-influxdb", "db-instance/*"), arn("timestream-influxdb", "db-cluster/*")),
            "instance and cluster ids are generated at create time; they carry the product's tags",
            condition=tagged,
            exclude=CREATES | DATABASE_UPDATES,
            needs=CLUSTER_PRODUCT,
        ),
        Scope(
            "DatabaseParameterGroups",
            frozenset({"db-parameter-group"}),
            (
                arn("timestream-influxdb", "db-instance/*"),
                arn("timestream-influxdb", "db-cluster/*"),
                arn("timestream-influxdb", "db-parameter-group/*"),
            ),
            "an update may name the customer's parameter group (a launch parameter, without the "
            "product's tags) and parliament wants the instance or cluster in the same statement, so "
            "a tag condition cannot hold: those of this account, by ARN. Deleting stays tag-scoped",
            only=DATABASE_UPDATES,
            needs=CLUSTER_PRODUCT,
        ),
        Scope(
            "ProductNetworkResources",
            frozenset({"security-group", "vpc-endpoint"}),
            (arn("ec2", "security-group/*"), arn("ec2", "vpc-endpoint/*")),
            "security-group and endpoint ids are generated at create time; they carry the product's tags",
            condition=tagged,
            exclude=CREATES,
        ),
        Scope(
            "NewNetworkResources",
            frozenset(NEW_NETWORK_RESOURCES),
            tuple(arn("ec2", f"{kind}/*") for kind in NEW_NETWORK_RESOURCES),
            "creating makes a new resource, which has no tags yet, in the customer's network",
            only=frozenset(a for a in CREATES if a.startswith("ec2:")),
        ),
        *tag_at_create_scopes(),
    )


def tag_at_create_scopes() -> tuple[Scope, ...]:
    """The tag actions of the tag-scoped types' create handlers, for the tags the create sets.

    Each also stays in its type's tag-scoped statement, which is what later tag changes use. Every
    condition key here is one IAM's reference (as bundled with parliament) lists for the action.
    """
    request = tuple(product_request_tags())
    return (
        # "To add tags while creating a KMS key, the principal must have permission in an IAM
        # policy that isn't restricted to particular KMS keys" ("Controlling access to tags",
        # https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html); "at a
        # minimum, the permission must cover all KMS keys in the account and Region" ("Managing
        # KMS key tags with API operations", .../kms/latest/developerguide/manage-tags-api.html).
        # CreateDbInstance with tags also authorizes timestream-influxdb:TagResource (Service
        # Authorization Reference, "Actions, resources, and condition keys for Amazon Timestream
        # InfluxDB", https://docs.aws.amazon.com/service-authorization/latest/reference/
        # list_amazontimestreaminfluxdb.html). Both take aws:RequestTag/${TagKey} and aws:TagKeys,
        # neither a key that tells a create from a later tag change: one statement (the role's
        # inline policy has a size limit), each action with its own resource type.
        Scope(
            "TagKeysAndInstancesAtCreate",
            frozenset({"key", "db-instance"}),
            (arn("kms", "key/*"), arn("timestream-influxdb", "db-instance/*")),
            "a key or an instance is tagged in its create call, before it has tags; only with the "
            "product's tags",
            condition=request,
            only=frozenset({"kms:TagResource", "timestream-influxdb:TagResource"}),
            unless=CLUSTER_PRODUCT,
        ),
        # CreateDbCluster with tags authorizes timestream-influxdb:TagResource too (the same
        # reference), on the db-cluster type: a cluster product's statement names both types.
        Scope(
            "TagKeysAndDatabasesAtCreate",
            frozenset({"key", "db-instance", "db-cluster"}),
            (
                arn("kms", "key/*"),
                arn("timestream-influxdb", "db-instance/*"),
                arn("timestream-influxdb", "db-cluster/*"),
            ),
            "a key, an instance or a cluster is tagged in its create call, before it has tags; only "
            "with the product's tags",
            condition=request,
            only=frozenset({"kms:TagResource", "timestream-influxdb:TagResource"}),
            needs=CLUSTER_PRODUCT,
        ),
        # "In the IAM policy definition for the ec2:CreateTags action, use the Condition element
        # with the ec2:CreateAction condition key to give tagging permissions to the action that
        # creates the resource" ("Grant permission to tag Amazon EC2 resources during creation",
        # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html):
        # ec2:CreateAction keeps this statement from tagging an existing security group.
        Scope(
            "TagSecurityGroupsAtCreate",
            frozenset({"security-group"}),
            (arn("ec2", "security-group/*"),),
            "a security group is tagged in its CreateSecurityGroup call; only then, only with the "
            "product's tags",
            condition=tuple(product_request_tags({"ec2:CreateAction": "CreateSecurityGroup"})),
            only=frozenset({"ec2:CreateTags"}),
        ),
    )


# The verbs that delete, change, tag or grant; with the reads that return secret data, they are
# what must never act on "*" when IAM lets the policy name a resource.
MUTATING_VERBS = (
    "Associate",
    "Attach",
    "Authorize",
    "Delete",
    "Detach",
    "Disable",
    "Disassociate",
    "Enable",
    "Modify",
    "Publish",
    "Put",
    "Remove",
    "Replicate",
    "Revoke",
    "Schedule",
    "Tag",
    "Untag",
    "Update",
)
SECRET_READS = frozenset(
    {
        "secretsmanager:GetSecretValue",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:CreateGrant",
    }
)


def must_be_scoped(action: str) -> bool:
    """True for an action that deletes, changes, tags or reads secret data."""
    name = action.split(":", 1)[1]
    return action in SECRET_READS or name.startswith(MUTATING_VERBS)


@dataclass(frozen=True)
class Placement:
    """Where the derived actions go: per scope, and the rest on "*" (split by why)."""

    scoped: tuple[tuple[Scope, tuple[str, ...]], ...]
    #: IAM's reference lists no resource type for these: "*" is the only Resource that names them
    no_resource_type: tuple[str, ...]
    #: creates of resources with no name known in advance, and reads of non-secret metadata
    unscoped: tuple[str, ...]


def place(actions: Iterable[str], template_bucket: str, names: LaunchScopes | None = None) -> Placement:
    """Place ``actions``; fail the build if one that ``must_be_scoped`` would fall to "*"."""
    actions = sorted(set(actions))
    table = scopes(template_bucket, names)
    scoped = []
    taken: set[str] = set()
    for scope in table:
        if not scope.needs <= set(actions) or (scope.unless is not None and scope.unless <= set(actions)):
            continue
        mine = tuple(a for a in actions if a not in ANY_RESOURCE and scope.takes(a))
        if mine:
            scoped.append((scope, mine))
            taken.update(mine)
    rest = [a for a in actions if a not in taken or a in ANY_RESOURCE]
    no_type = tuple(a for a in rest if not permissions.action_resource_types(a))
    unscoped = tuple(a for a in rest if permissions.action_resource_types(a))
    refused = [a for a in unscoped if must_be_scoped(a)]
    if refused:
        raise BuildError(
            f"launch role: no scope names a resource for {', '.join(refused)}; give the product's "
            "name pattern in its registry entry (LaunchScopes) or add a scope to "
            "templates_src/launch_role/scopes.py rather than grant it on every resource"
        )
    return Placement(tuple(scoped), no_type, unscoped)


def condition_of(scope: Scope) -> Condition | None:
    return Condition(list(scope.condition)) if scope.condition else None

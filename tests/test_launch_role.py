"""The Service Catalog launch roles: one per product, each derived from its own product's resource
types, scoped, small. Every registered product's role is checked, and so is the role of a small
product built here (not shipped), which proves that a role grants only what its own product needs."""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import json

import pytest
from troposphere import Parameter, Sub, Template
from troposphere.logs import LogGroup
from troposphere.secretsmanager import GenerateSecretString, Secret

from conftest import PRODUCT, ROOT, yaml_data
from templates_src import launch_role
from templates_src.common import MANAGED_BY, BuildError
from templates_src.launch_role import LaunchScopes, permissions, scopes
from templates_src.registry import LAUNCH_ROLES, PRODUCTS, TEMPLATES, TemplateSpec, launch_role_for
from tooling.build.render import render
from tooling.cfn import schemas

NAME = f"{PRODUCT}-launch-role"
# IAM refuses a role whose inline policies add up to more than this (whitespace not counted).
INLINE_POLICY_LIMIT = 10_240


@dataclasses.dataclass(frozen=True)
class SmallOptions:
    """The small product has no option."""


def small_product(_options: SmallOptions | None = None) -> Template:
    """A second product: a generated secret and a log group, named like the product's."""
    t = Template()
    t.set_version("2010-09-09")
    for name in ("ProjectName", "Environment"):
        t.add_parameter(Parameter(name, Type="String"))
    t.add_resource(
        Secret(
            "Secret",
            Name=Sub("${ProjectName}-${Environment}-small-secret"),
            GenerateSecretString=GenerateSecretString(PasswordLength=32),
        )
    )
    t.add_resource(
        LogGroup("Logs", LogGroupName=Sub("${ProjectName}-${Environment}-small-logs"), RetentionInDays=30)
    )
    return t


SMALL = TemplateSpec(
    name="small-product",
    summary="A small product for the tests",
    build=small_product,
    options=SmallOptions,
    launch_scopes=LaunchScopes(
        role_name="SmallProductLaunchRole", title="the small product", secrets="small-*", log_groups="small-*"
    ),
)
#: product name -> (its template builder, its launch role spec): every registered product and SMALL
ROLES = {
    **{spec.name: (spec, LAUNCH_ROLES[spec.name]) for spec in PRODUCTS},
    SMALL.name: (SMALL, launch_role_for(SMALL)),
}


def as_cloudformation(template: Template) -> dict:
    return json.loads(json.dumps(template.to_dict()))


@pytest.fixture(scope="module", params=sorted(ROLES))
def case(request) -> tuple[str, dict, dict]:
    """(product name, product template, its launch role template), for every product."""
    spec, role = ROLES[request.param]
    return (
        spec.name,
        as_cloudformation(spec.build(spec.options())),
        as_cloudformation(role.build(role.options())),
    )


@pytest.fixture(scope="module")
def role_template() -> dict:
    """The launch role of the instance product."""
    spec = TEMPLATES[NAME]
    return json.loads(json.dumps(spec.build(spec.options()).to_dict()))


def policy_of(role: dict) -> dict:
    """Everything the role may do: its inline policy's statements, then those of the managed
    policies attached to it (the part over IAM's inline limit), as one document."""
    (inline,) = role["Resources"]["LaunchRole"]["Properties"]["Policies"]
    statements = list(inline["PolicyDocument"]["Statement"])
    for resource in managed_policies(role):
        statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return {**inline["PolicyDocument"], "Statement": statements}


def managed_policies(role: dict) -> list[dict]:
    found = [r for r in role["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert all(r["Properties"]["Roles"] == [{"Ref": "LaunchRole"}] for r in found)
    return found


@pytest.fixture(scope="module")
def policy(role_template) -> dict:
    return policy_of(role_template)


def granted(policy: dict) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


def test_every_product_has_its_own_launch_role_named_after_it():
    assert set(LAUNCH_ROLES) == {spec.name for spec in PRODUCTS}
    defaults = set()
    for name, role in LAUNCH_ROLES.items():
        assert role.name == f"{name}-launch-role" and TEMPLATES[role.name] is role
        assert role.launches == name and TEMPLATES[name].launches is None
        built = role.build(role.options()).to_dict()
        assert built["Metadata"]["DerivedFrom"]["Template"] == name
        defaults.add(built["Parameters"]["LaunchRoleName"]["Default"])
    assert len(defaults) == len(LAUNCH_ROLES), "two products' roles would have the same name"
    assert TEMPLATES[NAME].build(None).to_dict()["Parameters"]["LaunchRoleName"]["Default"] == (
        "TimestreamInfluxDBLaunchRole"
    )


def test_a_role_grants_only_what_its_own_product_needs(case):
    name, product, role = case
    types = permissions.template_types(product)
    assert set(role["Metadata"]["DerivedFrom"]["ResourceTypes"]) == types
    services = {a.split(":", 1)[0] for a in granted(policy_of(role))}
    if name == SMALL.name:
        # No instance, network, function, role or alarm in the small product: none of their
        # permissions (its secret and log group call KMS for a customer key: that they keep).
        assert not services & {"timestream-influxdb", "ec2", "lambda", "iam", "cloudwatch"}, services
        assert {"secretsmanager", "logs", "cloudformation"} <= services
    elif name == PRODUCT:
        assert {"timestream-influxdb", "kms", "ec2", "lambda", "secretsmanager"} <= services


def test_the_name_patterns_come_from_the_products_registry_entry(case):
    name, _, role = case
    by_sid = {s["Sid"]: s for s in policy_of(role)["Statement"]}
    secrets = [r["Fn::Sub"] for r in by_sid["ProductSecrets"]["Resource"]]
    expected = ROLES[name][0].launch_scopes.secrets
    assert secrets == [f"arn:${{AWS::Partition}}:secretsmanager:*:${{AWS::AccountId}}:secret:*-{expected}"]


def test_a_product_without_name_patterns_gets_a_role_that_refuses_to_build():
    """Without its names, a product's secret deletes have no scope: the build fails, never "*"."""
    bare = dataclasses.replace(SMALL, launch_scopes=None)
    role = launch_role_for(bare)
    assert role.name == "small-product-launch-role"
    with pytest.raises(BuildError, match="secretsmanager:DeleteSecret"):
        role.build(role.options())


def test_every_product_resource_type_is_covered(case):
    _, product, role_template = case
    policy = policy_of(role_template)
    types = permissions.template_types(product)
    derived = permissions.derive(types, json.dumps(product), product)
    assert set(role_template["Metadata"]["DerivedFrom"]["ResourceTypes"]) == types
    for type_name in types:
        assert permissions.covered(derived, type_name, product), type_name
        if not permissions.is_custom(type_name):  # custom types have no schema: lambda:InvokeFunction
            needed = permissions.needed_actions(type_name, product)
            assert needed <= granted(policy), type_name
            # Only the user/group calls of the IAM policy types may be left out, and only because
            # no policy of the product names a user or a group.
            assert all(
                a.startswith("iam:") and ("User" in a or "Group" in a)
                for a in permissions.handler_actions(type_name) - needed
            ), type_name


@pytest.mark.parametrize("name", sorted(LAUNCH_ROLES))
def test_the_committed_role_covers_every_type_of_the_product(name):
    """What is deployed is output/: a new type in the product fails here until the role is rebuilt."""
    spec = TEMPLATES[name]
    product = as_cloudformation(spec.build(spec.options()))
    # The build writes it from a mapping (no duplicate keys); its freshness is test_build's.
    committed = yaml_data((ROOT / "output" / LAUNCH_ROLES[name].filename).read_text())
    (inline,) = committed["Resources"]["LaunchRole"]["Properties"]["Policies"]
    statements = inline["PolicyDocument"]["Statement"]
    actions = {a for st in statements for a in st["Action"]}
    for type_name in permissions.template_types(product):
        if permissions.is_custom(type_name):
            assert "lambda:InvokeFunction" in actions, type_name
        else:
            missing = permissions.needed_actions(type_name, product) - actions
            assert not missing, f"{type_name} needs {sorted(missing)}: run `make build`"


def test_a_new_resource_type_is_not_covered_until_derived_again(product):
    types = permissions.template_types(product)
    new = next(t for t in ("AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::DynamoDB::Table") if t not in types)
    before = permissions.derive(types)
    assert not permissions.covered(before, new)
    after = permissions.derive(types | {new})
    assert permissions.covered(after, new)


def test_a_type_without_a_schema_fails_the_build():
    with pytest.raises(permissions.UncoveredTypeError, match="AWS::Nothing::Here"):
        permissions.derive({"AWS::Nothing::Here"})


def test_custom_resources_and_functions_get_scoped_invoke_and_pass_role():
    derived = permissions.derive({"Custom::InfluxToken", "AWS::Lambda::Function", "AWS::IAM::Role"})
    assert derived.invokes_functions and permissions.covered(derived, "Custom::InfluxToken")
    assert derived.pass_role_to == ("lambda.amazonaws.com",)
    from troposphere import encode_to_dict

    by_sid = {s.Sid: encode_to_dict(s) for s in launch_role.statements(derived)}
    invoke = by_sid["InvokeCustomResourceFunctions"]
    assert invoke["Action"] == ["lambda:InvokeFunction"]
    assert ":function:SC-${AWS::AccountId}-pp-*" in invoke["Resource"][0]["Fn::Sub"]
    passing = by_sid["PassProductRoles"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}}
    assert passing["Resource"][0]["Fn::Sub"].endswith(":role/SC-${AWS::AccountId}-pp-*")


def test_dynamic_references_need_their_read_action(product):
    derived = permissions.derive(permissions.template_types(product), json.dumps(product))
    assert "{{resolve:secretsmanager:" in json.dumps(product)
    assert "secretsmanager:GetSecretValue" in derived.actions


def test_role_trusts_service_catalog_only_and_has_no_managed_policies(case):
    _, _, role_template = case
    props = role_template["Resources"]["LaunchRole"]["Properties"]
    (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "servicecatalog.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole"]
    assert "ManagedPolicyArns" not in props
    assert props["RoleName"] == {"Ref": "LaunchRoleName"}


def test_policy_is_least_privilege(case):
    policy = policy_of(case[2])
    actions = granted(policy)
    assert not any("*" in a for a in actions), "no wildcard actions"
    assert not any(a.startswith("servicecatalog:") for a in actions)
    assert "s3:GetObject" in actions and "cloudformation:CreateStack" in actions
    for statement in policy["Statement"]:
        if any(a.startswith("iam:") for a in statement["Action"]):
            assert "*" not in statement["Resource"], statement["Sid"]


def test_template_reads_need_service_catalogs_provisioning_tag(case):
    """Service Catalog's copy of the template is read by its object tag (AWS's launch-role docs)."""
    name, _, role = case
    policy = policy_of(role)
    (read,) = [s for s in policy["Statement"] if s["Sid"] == "ReadServiceCatalogTemplateCopies"]
    assert read["Action"] == ["s3:GetObject"]
    assert read["Condition"] == {"StringEquals": {"s3:ExistingObjectTag/servicecatalog:provisioning": "true"}}
    others = [s for s in policy["Statement"] if "s3:GetObject" in s["Action"] and s is not read]
    assert all("*" not in s["Resource"] and "Condition" not in s for s in others)
    # Function code in S3 may only come from the template bucket (a product with functions has one).
    assert [r["Fn::Sub"] for s in others for r in s["Resource"]] == (
        ["arn:${AWS::Partition}:s3:::${TemplateBucket}/*"] if name == PRODUCT or others else []
    )


# What must never act on every resource: deletes, key-policy and key-state changes, code changes,
# and reads of secret values or objects. Checked by name, and by the rule the build enforces.
NEVER_ON_ANY = (
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "kms:DisableKey",
    "kms:Decrypt",
    "kms:CreateGrant",
    "secretsmanager:GetSecretValue",
    "secretsmanager:DeleteSecret",
    "secretsmanager:UpdateSecret",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "lambda:UpdateFunctionCode",
    "lambda:DeleteFunction",
    "timestream-influxdb:DeleteDbInstance",
    "timestream-influxdb:UpdateDbInstance",
    "logs:DeleteLogGroup",
    "ec2:DeleteSecurityGroup",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DeleteDashboards",
)


def unconditioned_any(policy: dict) -> set[str]:
    return {
        a for s in policy["Statement"] if "*" in s["Resource"] and "Condition" not in s for a in s["Action"]
    }


def test_no_destructive_or_secret_reading_action_on_every_resource(case):
    name, _, role = case
    policy = policy_of(role)
    on_any = unconditioned_any(policy)
    if name == PRODUCT:  # the instance product needs every one of them, scoped
        assert set(NEVER_ON_ANY) <= granted(policy)
    assert not on_any & set(NEVER_ON_ANY), sorted(on_any & set(NEVER_ON_ANY))
    for action in on_any:
        if scopes.must_be_scoped(action):  # only where IAM names no resource type at all
            assert not permissions.action_resource_types(action), action


def test_the_build_refuses_a_destructive_action_no_scope_names():
    with pytest.raises(BuildError, match="sns:DeleteTopic"):
        scopes.place(["sns:DeleteTopic", "sns:ListTopics"], "TemplateBucket")


def test_iam_actions_only_on_the_products_role_and_policy_names(case):
    policy = policy_of(case[2])
    prefix = "arn:${AWS::Partition}:iam::${AWS::AccountId}:"
    for statement in policy["Statement"]:
        if not any(a.startswith("iam:") for a in statement["Action"]):
            continue
        assert all(a.startswith("iam:") for a in statement["Action"]), statement["Sid"]
        for resource in statement["Resource"]:
            arn = resource["Fn::Sub"]
            assert arn in (
                f"{prefix}role/SC-${{AWS::AccountId}}-pp-*",
                f"{prefix}policy/SC-${{AWS::AccountId}}-pp-*",
                f"{prefix}role/aws-service-role/*",
            ), arn
            if arn.endswith("aws-service-role/*"):
                assert statement["Action"] == ["iam:CreateServiceLinkedRole"]
    assert not {a for a in granted(policy) if a.startswith("iam:") and ("User" in a or "Group" in a)}


def test_user_and_group_calls_come_back_when_a_policy_names_a_user(product):
    body = copy.deepcopy(product)
    (policy_resource,) = [r for r in body["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    policy_resource["Properties"]["Users"] = ["someone"]
    derived = permissions.derive(permissions.template_types(body), "", body)
    assert {"iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:GetUserPolicy"} <= set(derived.iam_actions)
    assert "iam:PutGroupPolicy" not in derived.iam_actions
    assert permissions.covered(derived, "AWS::IAM::Policy", body)
    without = permissions.derive(permissions.template_types(product), "", product)
    assert not permissions.covered(without, "AWS::IAM::Policy", body)


def _resolve(value, project="acme", environment="prod") -> str:
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    return text.replace("${ProjectName}", project).replace("${Environment}", environment)


# Name property -> the scope whose ARN pattern must match the product's names, and the ARN form.
NAMED = {
    ("AWS::SecretsManager::Secret", "Name"): ("ProductSecrets", "secret:{}-AbCdEf"),
    ("AWS::Logs::LogGroup", "LogGroupName"): ("ProductLogGroups", "log-group:{}"),
    ("AWS::CloudWatch::Alarm", "AlarmName"): ("ProductAlarmsAndDashboard", "alarm:{}"),
    ("AWS::CloudWatch::Dashboard", "DashboardName"): ("ProductAlarmsAndDashboard", "dashboard/{}"),
    ("AWS::KMS::Alias", "AliasName"): ("ProductKeyAlias", "{}"),
}


#: product -> the named types it has (the check below must have seen each of them)
NAMED_TYPES = {
    PRODUCT: {t for t, _ in NAMED},
    SMALL.name: {"AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"},
}


def test_name_scopes_match_every_name_the_product_gives(case):
    name, product, role = case
    policy = policy_of(role)
    by_sid = {
        s["Sid"]: [
            r["Fn::Sub"].split("${AWS::AccountId}:", 1)[-1] for r in s["Resource"] if isinstance(r, dict)
        ]
        for s in policy["Statement"]
    }
    seen = set()
    for logical_id, resource in product["Resources"].items():
        for (type_name, prop), (sid, form) in NAMED.items():
            if resource["Type"] == type_name and prop in resource.get("Properties", {}):
                name = form.format(_resolve(resource["Properties"][prop]))
                assert any(fnmatch.fnmatchcase(name, p) for p in by_sid[sid]), (logical_id, name)
                seen.add(type_name)
    assert seen == NAMED_TYPES.get(name, seen)


TAG_SCOPED = {
    "ProductKeys": "AWS::KMS::Key",
    "ProductInstances": "AWS::Timestream::InfluxDBInstance",
    "ProductNetworkResources": "AWS::EC2::SecurityGroup",
}


def test_tag_scopes_match_the_tags_every_product_resource_carries(product, policy):
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    for sid, type_name in TAG_SCOPED.items():
        condition = by_sid[sid]["Condition"]
        assert condition["StringEquals"] == {"aws:ResourceTag/ManagedBy": MANAGED_BY}
        required = {k.split("/", 1)[1] for k, v in condition["Null"].items() if v == "false"}
        for resource in product["Resources"].values():
            if resource["Type"] in (type_name, "AWS::EC2::VPCEndpoint"):
                tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
                assert tags["ManagedBy"] == MANAGED_BY and required <= tags.keys(), resource["Type"]


def test_every_action_is_one_cfn_lint_knows(case):
    policy = policy_of(case[2])
    assert all(permissions.is_known(a) for a in granted(policy))


def test_every_policy_fits_iams_limits(case):
    """The inline policy within 10,240 characters, each managed policy within 6,144 (IAM's quotas),
    at most 10 managed policies (the default per role), and no statement lost on the way."""
    role = case[2]
    (inline,) = role["Resources"]["LaunchRole"]["Properties"]["Policies"]
    assert len(json.dumps(inline["PolicyDocument"], separators=(",", ":"))) <= INLINE_POLICY_LIMIT
    managed = managed_policies(role)
    assert len(managed) <= 10
    for resource in managed:
        assert len(json.dumps(resource["Properties"]["PolicyDocument"], separators=(",", ":"))) <= 6_144
    sids = [s["Sid"] for s in policy_of(role)["Statement"]]
    assert len(sids) == len(set(sids))


def test_statements_over_the_inline_limit_go_to_managed_policies_in_order():
    from awacs.aws import Allow, Statement

    from templates_src.launch_role import split_for_iam

    many = [Statement(Sid=f"S{i:03d}", Effect=Allow, Action=[], Resource=["*" * 300]) for i in range(60)]
    inline, spilled = split_for_iam(many)
    assert inline and spilled and [s.Sid for s in inline + sum(spilled, [])] == [s.Sid for s in many]
    assert split_for_iam(many[:3]) == (many[:3], [])


@pytest.mark.parametrize("name", sorted(LAUNCH_ROLES))
def test_committed_launch_role_template_is_fresh(name):
    role = LAUNCH_ROLES[name]
    assert (ROOT / "output" / role.filename).read_text() == render(role)


# The role may manage IAM roles and policies, and invoke functions, only under the names
# CloudFormation generates for a Service Catalog stack (SC-<account>-pp-...). A fixed name in the
# product template would be outside that scope and fail at launch.
NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::Lambda::Function": "FunctionName",
}


def test_product_leaves_iam_and_function_names_to_cloudformation(product):
    for logical_id, resource in product["Resources"].items():
        name = NAME_PROPERTIES.get(resource["Type"])
        if name:
            assert name not in resource.get("Properties", {}), (
                f"{logical_id} sets {name}: the launch role only manages names starting with the stack name"
            )


# --- What IAM decides for a request: a small evaluator of the policy's own statements ----------
# Enough of IAM's evaluation for this policy: Allow statements only (the policy has no Deny), the
# Resource patterns (``*`` and ``?`` wildcards, which fnmatch reads the same way), and the condition
# operators the policy uses. An operator it does not know fails the test instead of passing.
SAMPLE = {"${AWS::Partition}": "aws", "${AWS::AccountId}": "123456789012", "${TemplateBucket}": "bucket"}
REGION, ACCOUNT = "eu-west-2", "123456789012"
STACK = f"SC-{ACCOUNT}-pp-abcdefghijklm"


def _pattern(resource) -> str:
    text = resource["Fn::Sub"] if isinstance(resource, dict) else resource
    for variable, value in SAMPLE.items():
        text = text.replace(variable, value)
    assert "${" not in text, text
    return text


def _holds(operator: str, block: dict, context: dict) -> bool:
    for key, wanted in block.items():
        wanted = wanted if isinstance(wanted, list) else [wanted]
        have = context.get(key)
        if operator == "Null":
            if (have is None) != (wanted == ["true"]):
                return False
        elif operator in ("StringEquals", "StringLike"):
            match = fnmatch.fnmatchcase if operator == "StringLike" else str.__eq__
            if have is None or isinstance(have, list) or not any(match(have, w) for w in wanted):
                return False
        elif operator == "ForAllValues:StringEquals":
            if not all(v in wanted for v in have or []):
                return False
        elif operator == "ForAnyValue:StringEquals":
            if not any(v in wanted for v in have or []):
                return False
        else:
            raise AssertionError(f"the test's evaluator does not know {operator}: teach it")
    return True


def allowing(policy: dict, action: str, arn: str, context: dict) -> list[str]:
    """The Sids of the statements that allow ``action`` on ``arn`` for a request with ``context``."""
    return [
        s["Sid"]
        for s in policy["Statement"]
        if s["Effect"] == "Allow"
        and action in s["Action"]
        and any(fnmatch.fnmatchcase(arn, _pattern(r)) for r in s["Resource"])
        and all(_holds(op, block, context) for op, block in s.get("Condition", {}).items())
    ]


def test_the_evaluator_refuses_what_iam_refuses():
    statement = {
        "Sid": "S",
        "Effect": "Allow",
        "Action": ["kms:TagResource"],
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"}],
        "Condition": {
            "StringEquals": {"aws:ResourceTag/ManagedBy": "CloudFormation"},
            "Null": {"aws:ResourceTag/Project": "false"},
        },
    }
    policy = {"Statement": [statement]}
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    tagged = {"aws:ResourceTag/ManagedBy": "CloudFormation", "aws:ResourceTag/Project": "p"}
    assert allowing(policy, "kms:TagResource", key, tagged) == ["S"]
    assert not allowing(policy, "kms:TagResource", key, {})
    assert not allowing(policy, "kms:TagResource", key, {**tagged, "aws:ResourceTag/Project": None})
    assert not allowing(policy, "kms:TagResource", f"arn:aws:kms:{REGION}:999999999999:key/k", tagged)
    assert not allowing(policy, "kms:UntagResource", key, tagged)
    statement["Condition"] = {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project"]}}
    assert allowing(policy, "kms:TagResource", key, {"aws:TagKeys": ["Project"]})
    assert not allowing(policy, "kms:TagResource", key, {"aws:TagKeys": ["Project", "Other"]})
    statement["Condition"] = {"NumericLessThan": {"aws:MultiFactorAuthAge": "1"}}
    with pytest.raises(AssertionError, match="NumericLessThan"):
        allowing(policy, "kms:TagResource", key, {})


# The ARN a new resource of each tagOnCreate type of the product gets: generated ids, the names
# CloudFormation gives a Service Catalog stack's resources, or the product's own names.
GENERATED_ARNS = {
    "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "AWS::EC2::SecurityGroup": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-0123456789abcdef0",
    "AWS::Timestream::InfluxDBInstance": f"arn:aws:timestream-influxdb:{REGION}:{ACCOUNT}:db-instance/a1b2c3d4e5",
    "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-{{logical_id}}-AbC123",
    "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{{logical_id}}-AbC123",
}
NAMED_ARNS = {
    "AWS::SecretsManager::Secret": ("Name", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{{}}-AbCdEf"),
    "AWS::Logs::LogGroup": ("LogGroupName", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{{}}"),
    "AWS::CloudWatch::Alarm": ("AlarmName", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{{}}"),
    "AWS::CloudWatch::Dashboard": ("DashboardName", f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{{}}"),
}
# Tags Service Catalog propagates from the provisioned product to every resource it creates (its
# own aws:servicecatalog:* tags, TagOptions, tags given at launch): they are in the create request.
PROPAGATED_TAGS = {
    "aws:servicecatalog:provisioningPrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Someone",
    "CostCentre": "42",
}


def tag_actions_at_create(type_name: str) -> frozenset[str]:
    """The tag writes a type's create handler calls: its tagging permissions in its create handler
    that add tags (``ListTagsForResource`` there reads the created resource, tagged by then)."""
    actions: set[str] = set()
    for schema in schemas.schemas(type_name):
        tagging = schema.get("tagging", {})
        if tagging.get("tagOnCreate"):
            create = schema.get("handlers", {}).get("create", {}).get("permissions", [])
            actions |= set(create) & set(tagging.get("permissions", []))
    return frozenset(a for a in actions if a.split(":", 1)[1].startswith(("Tag", "CreateTags")))


def new_resource_arn(logical_id: str, resource: dict) -> str:
    type_name = resource["Type"]
    if type_name in NAMED_ARNS:
        prop, form = NAMED_ARNS[type_name]
        return form.format(_resolve(resource["Properties"][prop]))
    assert type_name in GENERATED_ARNS, f"{type_name} tags on create: add the ARN a new one gets"
    return GENERATED_ARNS[type_name].format(logical_id=logical_id)


def creating(type_name: str, resource: dict) -> dict:
    """The request context of a create call that tags the new resource with the product's tags."""
    tags = {
        t["Key"]: _resolve(t["Value"])
        if not isinstance(t["Value"], dict) or "Fn::Sub" in t["Value"]
        else "sample"
        for t in resource.get("Properties", {}).get("Tags", [])
    }
    tags.update(PROPAGATED_TAGS)
    context: dict = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    context["aws:TagKeys"] = sorted(tags)
    if type_name.startswith("AWS::EC2::"):
        handler = {a for s in schemas.schemas(type_name) for a in s["handlers"]["create"]["permissions"]}
        (create,) = {a for a in handler if a.startswith("ec2:Create") and a != "ec2:CreateTags"}
        context["ec2:CreateAction"] = create.split(":", 1)[1]
    return context


def test_every_tag_action_of_a_create_handler_is_allowed_for_a_new_resource_with_the_products_tags(
    product, policy
):
    """A create that tags (KMS key, security group, instance...) is authorized before any tag exists."""
    checked = set()
    for logical_id, resource in product["Resources"].items():
        type_name = resource["Type"]
        if permissions.is_custom(type_name):
            continue
        for action in sorted(tag_actions_at_create(type_name)):
            arn = new_resource_arn(logical_id, resource)
            context = creating(type_name, resource)
            assert allowing(policy, action, arn, context), (logical_id, action, arn)
            checked.add(type_name)
    assert {"AWS::KMS::Key", "AWS::EC2::SecurityGroup", "AWS::Timestream::InfluxDBInstance"} <= checked


def test_tagging_at_create_does_not_open_resources_the_product_does_not_own(policy):
    """The create-time tag statements test the tags the request sets; the security group's also
    that it is a create. An existing resource without the product's tags stays out of reach."""
    someone_elses = {"aws:ResourceTag/ManagedBy": "Terraform", "aws:ResourceTag/Project": "other"}
    other_tags = {"aws:RequestTag/Owner": "me", "aws:TagKeys": ["Owner"]}
    products = {
        "aws:RequestTag/ManagedBy": MANAGED_BY,
        "aws:RequestTag/Project": "acme",
        "aws:RequestTag/Environment": "prod",
        "aws:TagKeys": ["Environment", "ManagedBy", "Project"],
    }
    for action, type_name in (
        ("kms:TagResource", "AWS::KMS::Key"),
        ("timestream-influxdb:TagResource", "AWS::Timestream::InfluxDBInstance"),
        ("ec2:CreateTags", "AWS::EC2::SecurityGroup"),
    ):
        arn = GENERATED_ARNS[type_name]
        assert not allowing(policy, action, arn, {**someone_elses, **other_tags}), action
        assert not allowing(policy, action, arn, other_tags), action
    # Outside CreateSecurityGroup no ec2:CreateAction is in the request: an existing security group
    # cannot be given the product's tags (and so be brought into the tag-scoped statement).
    sg = GENERATED_ARNS["AWS::EC2::SecurityGroup"]
    assert not allowing(policy, "ec2:CreateTags", sg, {**someone_elses, **products})
    assert not allowing(
        policy, "ec2:CreateTags", sg, {**products, "ec2:CreateAction": "CreateVpc", **someone_elses}
    )


def test_tag_at_create_condition_keys_are_ones_iam_lists_for_the_action(policy):
    """parliament (IAM's reference as it bundles it) accepts each create-time tag statement's
    condition keys for its action, and refuses one the reference does not list."""
    from tooling.gates import parliament

    at_create = [s for s in policy["Statement"] if s["Sid"].endswith("AtCreate")]
    assert {s["Sid"] for s in at_create} == {
        "TagKeysAndInstancesAtCreate",
        "TagSecurityGroupsAtCreate",
    }
    for statement in at_create:
        resolved = {**statement, "Resource": [_pattern(r) for r in statement["Resource"]]}
        assert "aws:RequestTag/ManagedBy" in resolved["Condition"]["StringEquals"]
        assert not any("ResourceTag" in k for block in resolved["Condition"].values() for k in block)
        assert parliament.lint_document({"Version": "2012-10-17", "Statement": [resolved]}) == []
        wrong = copy.deepcopy(resolved)
        wrong["Condition"]["StringEquals"]["lambda:FunctionArn"] = "x"
        issues = [i for i, _ in parliament.lint_document({"Version": "2012-10-17", "Statement": [wrong]})]
        assert "UNKNOWN_CONDITION_FOR_ACTION" in issues, statement["Sid"]


def test_an_instance_update_may_name_the_customers_parameter_group(policy):
    """UpdateDbInstance: IAM authorizes the instance and the parameter group it names, each."""
    instance = GENERATED_ARNS["AWS::Timestream::InfluxDBInstance"]
    group = f"arn:aws:timestream-influxdb:{REGION}:{ACCOUNT}:db-parameter-group/customers-group"
    untagged: dict = {}
    assert allowing(policy, "timestream-influxdb:UpdateDbInstance", group, untagged)
    assert allowing(policy, "timestream-influxdb:UpdateDbInstance", instance, untagged)
    # Deleting and tagging an instance stay with the instance's tags.
    assert not allowing(policy, "timestream-influxdb:DeleteDbInstance", instance, untagged)

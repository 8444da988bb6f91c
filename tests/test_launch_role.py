"""The Service Catalog launch role: derived from the product's resource types, scoped, small."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from templates_src import launch_role
from templates_src.launch_role import permissions
from templates_src.registry import TEMPLATES
from tooling.build.render import render

NAME = "servicecatalog-launch-role"
# IAM refuses a role whose inline policies add up to more than this (whitespace not counted).
INLINE_POLICY_LIMIT = 10_240


@pytest.fixture(scope="module")
def role_template() -> dict:
    spec = TEMPLATES[NAME]
    return json.loads(json.dumps(spec.build(spec.options()).to_dict()))


@pytest.fixture(scope="module")
def policy(role_template) -> dict:
    (inline,) = role_template["Resources"]["LaunchRole"]["Properties"]["Policies"]
    return inline["PolicyDocument"]


def granted(policy: dict) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


def test_every_product_resource_type_is_covered(product, role_template, policy):
    types = permissions.template_types(product)
    derived = permissions.derive(types, json.dumps(product))
    assert set(role_template["Metadata"]["DerivedFrom"]["ResourceTypes"]) == types
    for type_name in types:
        assert permissions.covered(derived, type_name), type_name
        if not permissions.is_custom(type_name):  # custom types have no schema: lambda:InvokeFunction
            assert permissions.handler_actions(type_name) <= granted(policy), type_name


def test_the_committed_role_covers_every_type_of_the_product(product):
    """What is deployed is output/: a new type in the product fails here until the role is rebuilt."""
    from cfnlint.decode.decode import decode_str

    committed, errors = decode_str((ROOT / "output" / f"{NAME}.yaml").read_text())
    assert not errors
    (inline,) = committed["Resources"]["LaunchRole"]["Properties"]["Policies"]
    statements = inline["PolicyDocument"]["Statement"]
    actions = {a for st in statements for a in st["Action"]}
    for type_name in permissions.template_types(product):
        if permissions.is_custom(type_name):
            assert "lambda:InvokeFunction" in actions, type_name
        else:
            missing = permissions.handler_actions(type_name) - actions
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


def test_role_trusts_service_catalog_only_and_has_no_managed_policies(role_template):
    props = role_template["Resources"]["LaunchRole"]["Properties"]
    (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "servicecatalog.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole"]
    assert "ManagedPolicyArns" not in props
    assert props["RoleName"] == {"Ref": "LaunchRoleName"}


def test_policy_is_least_privilege(policy):
    actions = granted(policy)
    assert not any("*" in a for a in actions), "no wildcard actions"
    assert not any(a.startswith("servicecatalog:") for a in actions)
    assert "s3:GetObject" in actions and "cloudformation:CreateStack" in actions
    for statement in policy["Statement"]:
        if any(a.startswith("iam:") for a in statement["Action"]):
            assert "*" not in statement["Resource"], statement["Sid"]
    (get,) = [s for s in policy["Statement"] if s["Sid"] == "GetProductTemplates"]
    assert get["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${TemplateBucket}/*"}]


def test_every_action_is_one_cfn_lint_knows(policy):
    assert all(permissions.is_known(a) for a in granted(policy))


def test_inline_policy_fits_iam_limit(policy):
    assert len(json.dumps(policy, separators=(",", ":"))) < INLINE_POLICY_LIMIT


def test_committed_launch_role_template_is_fresh():
    assert (ROOT / "output" / f"{NAME}.yaml").read_text() == render(TEMPLATES[NAME])


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

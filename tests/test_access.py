"""The Lambda role: every statement, its actions and its resources, and nothing more."""

import pytest

from conftest import resources_of_type


def _statements(policy_document):
    return {s["Sid"]: s for s in policy_document["Statement"]}


@pytest.fixture(scope="module")
def role(product):
    return product["Resources"]["LambdaExecutionRole"]["Properties"]


@pytest.fixture(scope="module")
def statements(role, product):
    """The role's inline statements and those of the VPC-access policy it attaches."""
    (policy,) = role["Policies"]
    vpc = product["Resources"]["LambdaVpcAccessPolicy"]["Properties"]["PolicyDocument"]
    return {**_statements(policy["PolicyDocument"]), **_statements(vpc)}


def test_role_trusts_lambda_only(role):
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole"]
    assert "RoleName" not in role  # IAM names are global: a fixed name would collide across Regions
    # the product's own VPC-access policy only: no AWS managed (*FullAccess) policies
    assert role["ManagedPolicyArns"] == [{"Ref": "LambdaVpcAccessPolicy"}]


def test_statements_are_exactly_the_ones_lambda_clients_need(statements):
    actions = {sid: sorted(s["Action"]) for sid, s in statements.items()}
    assert actions == {
        "DescribeNetwork": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        "CreateFunctionNetworkInterfaces": ["ec2:CreateNetworkInterface"],
        "ManageFunctionNetworkInterfaces": [
            "ec2:AssignPrivateIpAddresses",
            "ec2:DeleteNetworkInterface",
            "ec2:UnassignPrivateIpAddresses",
        ],
        "WriteOwnLogGroup": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "ReadInfluxDBSecrets": ["secretsmanager:GetSecretValue"],
        "ListProcessedData": ["s3:ListBucket"],
        "ReadProcessedData": ["s3:GetObject"],
        "WriteRejectedData": ["s3:PutObject"],
        "PublishProjectMetrics": ["cloudwatch:PutMetricData"],
    }
    assert all(s["Effect"] == "Allow" for s in statements.values())


def test_star_resources_only_where_aws_allows_nothing_narrower(statements):
    star = {sid for sid, s in statements.items() if "*" in s["Resource"]}
    assert star == {"DescribeNetwork", "PublishProjectMetrics"}
    condition = statements["PublishProjectMetrics"]["Condition"]
    assert condition == {
        "StringEquals": {"cloudwatch:namespace": {"Fn::Sub": "${ProjectName}/${Environment}"}}
    }


def test_resources_are_scoped(statements):
    res = {sid: s["Resource"] for sid, s in statements.items()}
    assert res["ReadInfluxDBSecrets"] == [{"Ref": "CredentialsSecret"}, {"Ref": "TokenSecret"}]
    assert res["ListProcessedData"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${ProcessedDataBucket}"}]
    assert res["ReadProcessedData"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${ProcessedDataBucket}/*"}]
    assert res["WriteRejectedData"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${RejectedDataBucket}/${RejectedDataPrefix}*"}
    ]
    (log_arn,) = res["WriteOwnLogGroup"]
    assert log_arn["Fn::Sub"].endswith(":log-group:${ProjectName}-${Environment}-influxdb-clients:*")
    eni = res["CreateFunctionNetworkInterfaces"]
    assert {
        "Fn::Sub": [
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${GroupId}",
            {"GroupId": {"Fn::GetAtt": ["LambdaClientSecurityGroup", "GroupId"]}},
        ]
    } in eni


VPC_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/${VpcId}"}


NETWORK_INTERFACE_CHANGES = {
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def test_network_interfaces_are_managed_only_in_the_products_vpc(statements):
    """Deleting an interface or changing its addresses is allowed on the interfaces of the stack's
    VPC only (condition key ec2:Vpc, an ARN), not on every interface of the account; creating one
    only where the request's subnet and security group are in that VPC."""
    granting = [s for s in statements.values() if set(s["Action"]) & NETWORK_INTERFACE_CHANGES]
    assert granting
    for s in granting:
        assert s["Condition"] == {"ArnEquals": {"ec2:Vpc": VPC_ARN}}, s["Sid"]
    create = statements["CreateFunctionNetworkInterfaces"]
    assert create["Condition"] == {"ArnEqualsIfExists": {"ec2:Vpc": VPC_ARN}}


def test_every_condition_key_is_one_the_statements_resources_have(statements):
    """A condition applies to every resource a statement matches, and a key the request does not
    carry for one of them denies it: ec2:Vpc on the interface CreateNetworkInterface makes, for
    which the IAM reference (parliament's bundled definition) lists only tag keys and
    ec2:NetworkInterfaceID. A key must be one IAM lists for the action on every resource type the
    statement names, or (an ...IfExists operator) on at least one of them."""
    privileges = {p["privilege"]: p for p in iam_service("ec2")["privileges"]}
    checked = 0
    for sid, s in statements.items():
        if not all(a.startswith("ec2:") for a in s["Action"]):
            continue
        types = {arn_resource_type(r) for r in s["Resource"] if r != "*"}
        for operator, test in s.get("Condition", {}).items():
            for action in s["Action"]:
                supported = {
                    r["resource_type"].rstrip("*"): set(r["condition_keys"])
                    for r in privileges[action.split(":", 1)[1]]["resource_types"]
                }
                having = {t for t in types if set(test) <= supported[t]}
                assert having == types or (operator.endswith("IfExists") and having), (sid, action)
                checked += 1
    assert checked >= 4


def iam_service(prefix: str) -> dict:
    import importlib.util
    import json
    from pathlib import Path

    origin = Path(importlib.util.find_spec("parliament").origin).parent / "iam_definition.json"
    (service,) = [s for s in json.loads(origin.read_text()) if s["prefix"] == prefix]
    return service


def arn_resource_type(resource) -> str:
    """``network-interface`` for ``{"Fn::Sub": "arn:...:network-interface/*"}``."""
    arn = resource["Fn::Sub"]
    arn = arn[0] if isinstance(arn, list) else arn
    return arn.rsplit(":", 1)[1].split("/", 1)[0]


def test_no_wildcard_action_anywhere(product):
    def actions(doc):
        for s in doc["Statement"]:
            assert "NotAction" not in s
            yield from s["Action"] if isinstance(s["Action"], list) else [s["Action"]]

    docs = [
        p["PolicyDocument"] for p in product["Resources"]["LambdaExecutionRole"]["Properties"]["Policies"]
    ]
    for type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        docs += [r["Properties"]["PolicyDocument"] for r in resources_of_type(product, type_).values()]
    for role in resources_of_type(product, "AWS::IAM::Role").values():
        docs += [p["PolicyDocument"] for p in role["Properties"].get("Policies", [])]
    assert docs
    for doc in docs:
        for action in actions(doc):
            assert action != "*" and not action.endswith(":*"), action


def test_kms_decrypt_only_with_the_key_through_secrets_manager(product):
    policy = product["Resources"]["LambdaKmsPolicy"]
    assert policy["Condition"] == "CreateKmsKey"
    assert policy["Properties"]["Roles"] == [{"Ref": "LambdaExecutionRole"}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["kms:Decrypt"]
    assert statement["Resource"] == [{"Fn::GetAtt": ["KmsKey", "Arn"]}]
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}}
    }

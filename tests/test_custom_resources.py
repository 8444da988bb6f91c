"""The backup and token custom resources in the product template, and their inlined code."""

from __future__ import annotations

import ast
import json

import pytest
from conftest import resources_of_type

from templates_src.timestream_influxdb.functions import ZIPFILE_LIMIT, inline, own_code, shared_code
from tooling.cfn.evaluate import active
from tooling.build.pipeline import DEPLOY_TEMPLATE_LIMIT

FUNCTIONS = {"BackupFunction": "backup", "TokenFunction": "api_token"}


def zip_file(product, title: str) -> str:
    """The Code.ZipFile of a function as CloudFormation resolves it (Join of FindInMap)."""
    (delimiter, parts), = product["Resources"][title]["Properties"]["Code"]["ZipFile"].values()
    resolved = []
    for part in parts:
        name, key, attribute = part["Fn::FindInMap"]
        resolved.append(product["Mappings"][name][key][attribute])
    return delimiter.join(resolved)


@pytest.mark.parametrize("module", sorted(FUNCTIONS.values()))
def test_inlined_code_compiles_fits_and_has_no_docstrings_or_comments(module):
    code = inline(module)
    assert len(code.encode()) <= ZIPFILE_LIMIT, len(code.encode())
    tree = ast.parse(code)
    compile(code, "index.py", "exec")
    assert "#" not in code.replace("'#", "")  # no comments (no string holds a '#')
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)):
            first = node.body[0]
            assert not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)), module
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"handler", "run", "send", "act"} <= names
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


@pytest.mark.parametrize("module", sorted(FUNCTIONS.values()))
def test_inlined_code_behaves_like_the_source_module(module):
    """Same top-level definitions as the source modules (nothing lost in the inlining)."""
    from importlib import import_module

    source = import_module(f"templates_src.timestream_influxdb.functions.{module}")
    shared = import_module("templates_src.timestream_influxdb.functions.cfn_response")
    namespace: dict = {}
    exec(compile(inline(module), "index.py", "exec"), namespace)
    for origin in (source, shared):
        for name, value in vars(origin).items():
            if callable(value) and getattr(value, "__module__", None) == origin.__name__:
                inlined, original = namespace[name].__code__, value.__code__
                same = ("co_names", "co_varnames", "co_argcount", "co_freevars")
                assert [getattr(inlined, a) for a in same] == [getattr(original, a) for a in same], name


@pytest.mark.parametrize(("title", "module"), sorted(FUNCTIONS.items()))
def test_template_zipfile_is_the_inlined_code(product, title, module):
    props = product["Resources"][title]["Properties"]
    assert zip_file(product, title) == inline(module) == shared_code() + own_code(module)
    assert props["Handler"] == "index.handler"
    assert props["Runtime"] == "python3.12"


def test_template_stays_under_the_deploy_limit(product_yaml):
    assert len(product_yaml.encode()) <= DEPLOY_TEMPLATE_LIMIT


def statements(role: dict) -> list[dict]:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_backup_role_may_configure_only_this_instance(product):
    role = product["Resources"]["BackupFunctionRole"]
    by_sid = {s["Sid"]: s for s in statements(role)}
    assert by_sid["ConfigureThisInstancesBackups"]["Action"] == ["timestream-influxdb:UpdateDbInstance"]
    assert by_sid["ConfigureThisInstancesBackups"]["Resource"] == [{"Fn::GetAtt": ["InfluxDBInstance", "Arn"]}]
    assert by_sid["TakeFinalBackup"]["Action"] == ["timestream-influxdb:CreateDbBackup"]
    assert by_sid["WriteOwnLogGroup"]["Resource"] == [{"Fn::GetAtt": ["BackupFunctionLogGroup", "Arn"]}]
    assert "ManagedPolicyArns" not in role["Properties"]  # no VPC access: it runs outside the VPC
    assert "VpcConfig" not in product["Resources"]["BackupFunction"]["Properties"]


def test_token_role_reads_credentials_and_writes_only_the_two_secrets(product):
    role = product["Resources"]["TokenFunctionRole"]
    by_sid = {s["Sid"]: s for s in statements(role)}
    assert by_sid["ReadCredentials"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["ReadCredentials"]["Resource"] == [{"Ref": "CredentialsSecret"}]
    assert by_sid["StoreToken"]["Action"] == ["secretsmanager:PutSecretValue"]
    assert by_sid["StoreToken"]["Resource"] == [{"Ref": "CredentialsSecret"}, {"Ref": "TokenSecret"}]
    kms = by_sid["SecretsWithKey"]
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
    assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": "LambdaVpcAccessPolicy"}]
    vpc = product["Resources"]["TokenFunction"]["Properties"]["VpcConfig"]
    assert vpc == {"SubnetIds": {"Ref": "SubnetIds"}, "SecurityGroupIds": [{"Fn::GetAtt": ["LambdaClientSecurityGroup", "GroupId"]}]}


def test_no_statement_allows_every_action(product):
    for type_ in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for resource in resources_of_type(product, type_).values():
            text = json.dumps(resource["Properties"])
            assert '"Action": ["*"]' not in text and '"Action": "*"' not in text


def test_each_function_logs_to_its_own_retained_encrypted_log_group(product):
    for title in FUNCTIONS:
        fn = product["Resources"][title]["Properties"]
        group = product["Resources"][fn["LoggingConfig"]["LogGroup"]["Ref"]]
        assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Retain"
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["Properties"]["KmsKeyId"]["Fn::If"][0] == "CreateKmsKey"
        assert {t["Key"] for t in group["Properties"]["Tags"]} == {"Environment", "Project", "Name", "ManagedBy"}


def test_kms_key_lets_logs_use_it_for_every_product_log_group(product):
    from fnmatch import fnmatch

    from templates_src.timestream_influxdb import names

    for suffix in (names.LOG_GROUP, names.BACKUP_FUNCTION, names.TOKEN_FUNCTION):
        assert fnmatch(suffix, names.LOG_GROUPS)
    statement = product["Resources"]["KmsKey"]["Properties"]["KeyPolicy"]["Statement"][1]
    # StringLike: the context key is a String (ArnLike on it is a type mismatch, parliament).
    arn = statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    assert arn.endswith(":log-group:${ProjectName}-${Environment}-influxdb-*")
    for title in ("LambdaLogGroup", "BackupFunctionLogGroup", "TokenFunctionLogGroup"):
        name = product["Resources"][title]["Properties"]["LogGroupName"]["Fn::Sub"]
        assert name.startswith("${ProjectName}-${Environment}-influxdb-")


def test_backup_custom_resource_properties(product):
    resource = product["Resources"]["BackupConfiguration"]
    assert resource["Type"] == "Custom::InfluxDBBackups"
    assert resource["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["BackupFunction", "Arn"]},
        "ServiceTimeout": 360,
        "InstanceId": {"Fn::GetAtt": ["InfluxDBInstance", "Id"]},
        "DailyRetentionDays": {"Ref": "BackupRetentionPeriod"},
        "ContinuousRetentionDays": {"Ref": "ContinuousBackupRetentionDays"},
        "FinalBackupRetentionDays": {"Ref": "FinalBackupRetentionDays"},
    }


def test_token_custom_resource_never_gets_the_password(product):
    resource = product["Resources"]["InfluxDBApiToken"]
    assert resource["Type"] == "Custom::InfluxDBToken"
    text = json.dumps(resource["Properties"])
    for secret in ("Password", "AdminPasswordSecret", "resolve:secretsmanager", "InfluxDBToken"):
        assert secret not in text
    assert resource["Properties"]["CredentialsSecretArn"] == {"Ref": "CredentialsSecret"}
    assert resource["Properties"]["Url"]["Fn::Sub"][0] == "https://${Endpoint}:${Port}"
    # No output carries the token.
    assert "InfluxDBApiToken" not in json.dumps(product["Outputs"])


def test_backup_parameters_and_their_ranges(product):
    params = product["Parameters"]
    assert (params["BackupRetentionPeriod"]["Default"], params["BackupRetentionPeriod"]["MinValue"], params["BackupRetentionPeriod"]["MaxValue"]) == (7, 1, 365)
    assert (params["ContinuousBackupRetentionDays"]["MinValue"], params["ContinuousBackupRetentionDays"]["MaxValue"]) == (0, 365)
    assert (params["FinalBackupRetentionDays"]["MinValue"], params["FinalBackupRetentionDays"]["MaxValue"]) == (0, 3650)
    groups = {g["Label"]["default"]: g["Parameters"] for g in product["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]}
    assert {"BackupRetentionPeriod", "ContinuousBackupRetentionDays", "FinalBackupRetentionDays"} <= set(groups["Encryption and backup"])
    assert params["InfluxDBToken"]["NoEcho"] is True and params["Password"]["NoEcho"] is True


TOKEN_RESOURCES = {"TokenFunction", "TokenFunctionRole", "TokenFunctionLogGroup", "InfluxDBApiToken"}
ENDPOINT_RESOURCES = {"SecretsManagerEndpoint", "SecretsManagerEndpointSecurityGroup"}


def test_a_given_token_is_stored_as_is_and_no_token_is_created(product):
    given = active(product, {"InfluxDBToken": "abc123"})["Resources"]
    assert not TOKEN_RESOURCES & given
    assert {"BackupFunction", "BackupConfiguration", "TokenSecret"} <= given
    token_secret = product["Resources"]["TokenSecret"]["Properties"]["SecretString"]
    assert token_secret == {"Fn::If": ["HasInfluxDBToken", {"Ref": "InfluxDBToken"}, {"Ref": "AWS::NoValue"}]}


def test_an_empty_token_parameter_creates_one(product):
    assert TOKEN_RESOURCES <= active(product, {})["Resources"]


def test_secrets_manager_endpoint_is_optional(product):
    assert not ENDPOINT_RESOURCES & active(product, {})["Resources"]
    assert ENDPOINT_RESOURCES <= active(product, {"CreateSecretsManagerEndpoint": "true"})["Resources"]


def test_endpoint_is_private_and_reachable_only_from_the_clients(product):
    endpoint = product["Resources"]["SecretsManagerEndpoint"]["Properties"]
    assert endpoint["VpcEndpointType"] == "Interface"
    assert endpoint["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.secretsmanager"}
    assert endpoint["PrivateDnsEnabled"] is True
    assert endpoint["SubnetIds"] == {"Ref": "SubnetIds"}
    group = product["Resources"]["SecretsManagerEndpointSecurityGroup"]["Properties"]
    (rule,) = group["SecurityGroupIngress"]
    assert (rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) == (443, 443, "tcp")
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": ["LambdaClientSecurityGroup", "GroupId"]}
    # The token waits for the endpoint when there is one.
    dep = product["Resources"]["InfluxDBApiToken"]["Properties"]["SecretsManagerEndpoint"]
    assert dep == {"Fn::If": ["CreateSecretsManagerEndpoint", {"Ref": "SecretsManagerEndpoint"}, {"Ref": "AWS::NoValue"}]}

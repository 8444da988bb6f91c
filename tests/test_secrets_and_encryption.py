"""Secrets and the KMS key: JSON the clients can read, retained, encrypted with the key when asked."""

import json

import pytest

from conftest import resources_of_type, substitute

SAMPLE = {
    "Username": "admin",
    "Password": "Abcdefgh12345678",
    "Endpoint": "abc123-xyz.us-east-1.timestream-influxdb.amazonaws.com",
    "Port": "8086",
    "Organization": "ons",
    "Bucket": "ons-timeseries",
    "InfluxDBToken": "",
}


def test_credentials_secret_holds_the_connection_details_and_no_credential(product):
    secret = product["Resources"]["CredentialsSecret"]["Properties"]
    body = json.loads(substitute(secret["SecretString"], SAMPLE))
    assert body == {
        "endpoint": SAMPLE["Endpoint"],
        "port": 8086,
        "url": f"https://{SAMPLE['Endpoint']}:8086",
        "org": "ons",
        "bucket": "ons-timeseries",
    }
    _, variables = secret["SecretString"]["Fn::Sub"]
    assert variables == {"Endpoint": {"Fn::GetAtt": ["InfluxDBInstance", "Endpoint"]}}
    text = json.dumps(secret)
    for credential in ("Password", "AdminPasswordSecret", "InfluxDBToken", "Username", "token"):
        assert credential not in text


def test_only_the_token_function_may_read_the_admin_password(product):
    """Every IAM statement the template makes that names the admin password secret."""
    readers = set()
    for logical_id, resource in product["Resources"].items():
        if resource["Type"] not in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        props = resource["Properties"]
        docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
        docs += [props["PolicyDocument"]] if "PolicyDocument" in props else []
        for doc in docs:
            for statement in doc["Statement"]:
                if {"Ref": "AdminPasswordSecret"} in statement["Resource"]:
                    readers.add((logical_id, tuple(statement["Action"])))
    # The token function and the token rotation function sign in to InfluxDB with it.
    assert readers == {
        ("TokenFunctionRole", ("secretsmanager:GetSecretValue",)),
        ("TokenRotationFunctionRole", ("secretsmanager:GetSecretValue",)),
    }
    client = json.dumps(product["Resources"]["LambdaExecutionRole"])
    assert "AdminPasswordSecret" not in client


def test_token_secret_has_no_value_without_a_token(product):
    secret = product["Resources"]["TokenSecret"]["Properties"]
    assert secret["SecretString"] == {
        "Fn::If": ["HasInfluxDBToken", {"Ref": "InfluxDBToken"}, {"Ref": "AWS::NoValue"}]
    }
    assert secret["Name"] == {"Fn::Sub": "${ProjectName}-${Environment}-influxdb-token"}


@pytest.mark.parametrize("logical_id", ["AdminPasswordSecret", "CredentialsSecret", "TokenSecret"])
def test_secrets_are_retained_and_use_the_key_when_encrypted(product, logical_id):
    secret = product["Resources"][logical_id]
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert secret["Properties"]["KmsKeyId"] == {
        "Fn::If": ["CreateKmsKey", {"Fn::GetAtt": ["KmsKey", "Arn"]}, {"Ref": "AWS::NoValue"}]
    }


def test_password_never_in_plain_text(product, product_yaml):
    assert (
        "Default" in product["Parameters"]["Password"] and product["Parameters"]["Password"]["Default"] == ""
    )
    assert product["Parameters"]["InfluxDBToken"]["NoEcho"] is True
    for name, output in product["Outputs"].items():
        text = json.dumps(output)
        assert "Password" not in text and "InfluxDBToken" not in text, name
        assert "resolve:secretsmanager" not in text, name


def test_key_rotates_is_retained_and_lets_logs_use_it_for_the_log_group_only(product):
    key = product["Resources"]["KmsKey"]
    assert key["Condition"] == "CreateKmsKey"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    statements = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    admin = statements["AccountAdministersKey"]
    assert admin["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    logs = statements["CloudWatchLogsUsesKeyForLogGroup"]
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    assert "kms:Decrypt" in logs["Action"] and "kms:GenerateDataKey" in logs["Action"]
    # StringLike: the context key is a String (ArnLike on it is a type mismatch, parliament).
    context = logs["Condition"]["StringLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context["Fn::Sub"].endswith(":log-group:${ProjectName}-${Environment}-influxdb-*")
    # DescribeKey carries no encryption context: under that condition it would never be allowed.
    assert "kms:DescribeKey" not in logs["Action"]
    assert statements["CloudWatchLogsDescribesKey"]["Action"] == ["kms:DescribeKey"]
    alias = product["Resources"]["KmsKeyAlias"]
    assert alias["Condition"] == "CreateKmsKey"
    assert alias["Properties"]["AliasName"] == {"Fn::Sub": "alias/${ProjectName}-${Environment}-influxdb"}


def group_policies(groups):
    return {
        name: "kept" if g["DeletionPolicy"] == "RetainExceptOnCreate" else "deleted"
        for name, g in groups.items()
    }


def test_every_log_group_of_the_product_may_use_the_key_and_nothing_wider(product):
    """The key policy's log-group pattern covers each log group the template makes, and only the project's."""
    from fnmatch import fnmatchcase

    statement = product["Resources"]["KmsKey"]["Properties"]["KeyPolicy"]["Statement"][1]
    pattern = statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    arn_prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    assert pattern.startswith(arn_prefix)
    groups = resources_of_type(product, "AWS::Logs::LogGroup")
    # the clients', and the backup, token, token worker, token rotation and parameter group functions'
    assert len(groups) == 6
    for logical_id, group in groups.items():
        props = group["Properties"]
        assert fnmatchcase(arn_prefix + props["LogGroupName"]["Fn::Sub"], pattern), logical_id
        assert props["KmsKeyId"]["Fn::If"][0] == "CreateKmsKey"
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        # The clients' log group is data, kept; a function's own is deleted with it.
        kept = "FunctionLogs" not in group.get("Metadata", {})
        assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == (
            ("RetainExceptOnCreate", "Retain") if kept else ("Delete", "Delete")
        ), logical_id
    assert group_policies(groups) == {"LambdaLogGroup": "kept"} | {
        name: "deleted" for name in groups if name != "LambdaLogGroup"
    }
    assert not fnmatchcase(arn_prefix + "${ProjectName}-${Environment}-other", pattern)

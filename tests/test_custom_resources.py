"""The backup and token custom resources in the product template, their functions (and the token
worker), their inlined code, and the contract between each custom resource and its function (the
properties it reads)."""

from __future__ import annotations

import ast
import json

import pytest
from troposphere import GetAtt, Template
from troposphere.awslambda import Function

from conftest import FUNCTIONS, HANDLERS, ROOT, inlined_module, resources_of_type, substitute, yaml_data
from templates_src.common import BuildError, Context
from templates_src.timestream_influxdb import build
from templates_src.timestream_influxdb.custom_resources import (
    SERVICE_PROPERTIES,
    WAIT_FOR,
    LambdaFunction,
    add_custom_resource,
)
from templates_src.timestream_influxdb.functions import declared_properties, inline, modules
from tooling.cfn.evaluate import active, evaluate_conditions


def shared_modules_of(module: str) -> list[str]:
    """The shared modules a function module imports (``from .<shared> import ...``), in the
    inliner's order: read from its source, not from the inliner."""
    from templates_src.timestream_influxdb.functions import HERE, SHARED

    tree = ast.parse((HERE / f"{module}.py").read_text())
    imported = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.level}
    return [name for name in SHARED if name in imported]


def test_the_functions_that_call_a_worker_share_one_worker_call():
    """The token and rotation functions invoke their worker through the one shared module."""
    assert shared_modules_of("api_token") == ["cfn_response", "worker_call"]
    assert shared_modules_of("token_rotation") == ["worker_call"]
    assert "class Worker" not in inline("api_token").split("# From api_token.py")[1]


def zip_file(template, title: str) -> str:
    return template["Resources"][title]["Properties"]["Code"]["ZipFile"]


def test_every_function_module_runs_in_exactly_one_function_of_the_template(product):
    functions = resources_of_type(product, "AWS::Lambda::Function")
    assert modules() == sorted(FUNCTIONS)
    assert sorted(FUNCTIONS.values()) == sorted(functions)


@pytest.mark.parametrize("module", sorted(FUNCTIONS))
def test_inlined_code_is_the_source_as_written_normally_indented(module):
    """index.py is the modules' own text: comments kept, four spaces a level, no relative import."""
    from templates_src.timestream_influxdb.functions import HERE, SHARED

    code = inline(module)
    tree = ast.parse(code)
    compile(code, "index.py", "exec")
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    # A custom-resource handler carries the shared protocol; the worker does not.
    protocol = {"run", "send", "properties"}
    assert "handler" in names and (protocol <= names) is (module in HANDLERS)
    used = shared_modules_of(module)
    assert ("cfn_response" in used) is (module in HANDLERS)
    for name in SHARED:
        assert (f"# From {name}.py" in code) is (name in used), name
    indents = {len(line) - len(line.lstrip(" ")) for line in code.splitlines() if line.strip()}
    assert indents and all(i % 4 == 0 for i in indents) and 4 in indents
    # Every line of the sources after their imports is in index.py, in order: comments too.
    for name in (*used, module):
        source = (HERE / f"{name}.py").read_text()
        body = source[source.index("\n\n\n", source.rindex("\nimport ")) :].strip("\n")
        body = "\n".join(line for line in body.splitlines() if not line.startswith("from ."))
        assert body.strip("\n") in code, name
    assert ast.get_docstring(tree) == ast.get_docstring(ast.parse((HERE / f"{module}.py").read_text()))


@pytest.mark.parametrize("module", sorted(FUNCTIONS))
def test_inlined_code_behaves_like_the_source_module(module, rendered_product):
    """Same top-level definitions as the source modules (nothing lost in the inlining)."""
    from importlib import import_module

    source = import_module(f"templates_src.timestream_influxdb.functions.{module}")
    shared = [
        import_module(f"templates_src.timestream_influxdb.functions.{s}") for s in shared_modules_of(module)
    ]
    namespace = vars(inlined_module(rendered_product, FUNCTIONS[module]))
    same = ("co_names", "co_varnames", "co_argcount", "co_freevars")
    for origin in (source, *shared):
        for name, value in vars(origin).items():
            if callable(value) and getattr(value, "__module__", None) == origin.__name__:
                # Functions, and the methods of classes.
                pairs = [(namespace[name], value)]
                if isinstance(value, type):
                    pairs = [(vars(namespace[name])[m], f) for m, f in vars(value).items() if callable(f)]
                for inlined, original in pairs:
                    inlined, original = inlined.__code__, original.__code__
                    assert [getattr(inlined, a) for a in same] == [getattr(original, a) for a in same], name
    if module in HANDLERS:
        assert namespace["PROPERTIES"] == source.PROPERTIES


@pytest.mark.parametrize(("module", "title"), sorted(FUNCTIONS.items()))
def test_rendered_zipfile_is_the_inlined_code(rendered_product, product, module, title):
    """The YAML carries the code unchanged (a literal block), and the handler is index.handler."""
    assert zip_file(rendered_product, title) == zip_file(product, title) == inline(module)
    props = rendered_product["Resources"][title]["Properties"]
    assert props["Handler"] == "index.handler"
    assert props["Runtime"] == "python3.12"


# Sample values for the intrinsics of custom-resource properties, as CloudFormation resolves them.
SAMPLE_PARAMETERS = {
    "ProjectName": "ons-data-platform",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0",
    "ProcessedDataBucket": "ons-processed",
    "RejectedDataBucket": "ons-rejected",
    # Makes the (conditional) parameter group resource, so that every handler is exercised.
    "EngineParameters": '{"queryConcurrency": 16}',
}


def resolve(node, template, values, conditions):
    """``node`` with Ref, Fn::GetAtt, Fn::Sub and Fn::If replaced by sample values; NoValue removed."""
    if isinstance(node, list):
        return [v for v in (resolve(n, template, values, conditions) for n in node) if v is not None]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        name = node["Ref"]
        if name == "AWS::NoValue":
            return None
        return values.get(name, f"<physical id of {name}>")
    if set(node) == {"Fn::GetAtt"}:
        return "<%s.%s>" % tuple(node["Fn::GetAtt"])
    if set(node) == {"Fn::If"}:
        condition, then, otherwise = node["Fn::If"]
        return resolve(then if conditions[condition] else otherwise, template, values, conditions)
    if set(node) == {"Fn::Sub"}:
        text, variables = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
        variables = {k: resolve(v, template, values, conditions) for k, v in variables.items()}
        return substitute([text, variables], {**values, **variables})
    resolved = {k: resolve(v, template, values, conditions) for k, v in node.items()}
    return {k: v for k, v in resolved.items() if v is not None}


def custom_resources_as_sent(template, given):
    """(logical id, function module, ResourceProperties) of each custom resource the stack gets."""
    from tooling.cfn.evaluate import parameter_values

    values = {
        k: ",".join(v) if isinstance(v, list) else v for k, v in parameter_values(template, given).items()
    }
    values.update({"AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"})
    conditions = evaluate_conditions(template, given)
    module_of = {title: module for module, title in FUNCTIONS.items()}
    for logical_id in sorted(active(template, given)["Resources"]):
        resource = template["Resources"][logical_id]
        if resource["Type"].startswith("Custom::"):
            ((title, _),) = [resource["Properties"]["ServiceToken"]["Fn::GetAtt"]]
            yield logical_id, module_of[title], resolve(resource["Properties"], template, values, conditions)


@pytest.mark.parametrize(
    "given",
    [SAMPLE_PARAMETERS, {**SAMPLE_PARAMETERS, "StorageEncrypted": "false"}],
    ids=["defaults", "unencrypted"],
)
def test_each_custom_resource_sends_exactly_the_properties_its_function_declares(rendered_product, given):
    from importlib import import_module

    sent = list(custom_resources_as_sent(rendered_product, given))
    assert {module for _, module, _ in sent} == set(HANDLERS)
    for logical_id, module, props in sent:
        function = import_module(f"templates_src.timestream_influxdb.functions.{module}")
        assert declared_properties(module) == function.PROPERTIES
        parsed = function.properties({"ResourceProperties": props}, function.PROPERTIES)
        assert set(parsed) == set(function.PROPERTIES), logical_id
        assert all(isinstance(v, (str, int)) and str(v) for v in parsed.values()), parsed
        undeclared = set(props) - set(SERVICE_PROPERTIES) - set(function.PROPERTIES)
        assert {p for p in undeclared if not p.startswith(WAIT_FOR)} == set(), logical_id
    backup_props = next(props for _, module, props in sent if module == "backup")
    assert (
        backup_props["DailyRetentionDays"] == "7" and backup_props["DbResourceId"] == "<InfluxDBInstance.Id>"
    )


def test_a_missing_property_fails_the_request_with_its_name():
    from templates_src.timestream_influxdb.functions import cfn_response

    with pytest.raises(ValueError, match="missing resource properties: InstanceId"):
        cfn_response.properties(
            {"ResourceProperties": {"DailyRetentionDays": "7"}}, ("InstanceId", "DailyRetentionDays")
        )


BACKUP_PROPERTIES = {name: "1" for name in declared_properties("backup")}


def backup_function() -> LambdaFunction:
    return LambdaFunction(Function("Fn"), role=None, log_group=None, module="backup", timeout=300)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {
                **{k: v for k, v in BACKUP_PROPERTIES.items() if k != "DailyRetentionDays"},
                "DailyRetentionDay": "7",
            },
            "custom resource Backups: property DailyRetentionDay is not read by functions/backup.py",
        ),
        (
            {k: v for k, v in BACKUP_PROPERTIES.items() if k != "DbResourceId"},
            "custom resource Backups: property DbResourceId, read by functions/backup.py, is not given",
        ),
    ],
    ids=["typo", "missing"],
)
def test_a_typo_or_missing_property_fails_the_build_naming_it(properties, message):
    ctx = Context.for_template(Template())
    with pytest.raises(BuildError) as err:
        add_custom_resource(ctx, "Backups", "InfluxDBBackups", backup_function(), properties)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert "Backups" not in ctx.template.resources
    # The declared properties make a resource, with the service token and timeout.
    made = add_custom_resource(ctx, "Backups", "InfluxDBBackups", backup_function(), BACKUP_PROPERTIES)
    assert made.to_dict()["Properties"] == {
        "ServiceToken": GetAtt("Fn", "Arn").to_dict(),
        "ServiceTimeout": 360,
        **BACKUP_PROPERTIES,
    }


def test_a_property_the_builder_does_not_give_fails_the_whole_build(monkeypatch):
    """A function module that starts reading a new property fails the build until the step gives it."""
    from templates_src.timestream_influxdb import custom_resources

    declared = custom_resources.declared_properties
    monkeypatch.setattr(
        custom_resources,
        "declared_properties",
        lambda module: (*declared(module), "KeepDays") if module == "backup" else declared(module),
    )
    with pytest.raises(BuildError, match="^custom resource BackupConfiguration: property KeepDays, read by"):
        build()


def statements(role: dict) -> list[dict]:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_backup_role_may_configure_only_this_instance(product):
    role = product["Resources"]["BackupFunctionRole"]
    by_sid = {s["Sid"]: s for s in statements(role)}
    assert by_sid["ConfigureThisInstancesBackups"]["Action"] == ["timestream-influxdb:UpdateDbInstance"]
    assert by_sid["ConfigureThisInstancesBackups"]["Resource"] == [
        {"Fn::GetAtt": ["InfluxDBInstance", "Arn"]}
    ]
    # It answers once the instance is AVAILABLE again: it reads this instance's status only.
    assert by_sid["WaitForThisInstance"]["Action"] == ["timestream-influxdb:GetDbInstance"]
    assert by_sid["WaitForThisInstance"]["Resource"] == [{"Fn::GetAtt": ["InfluxDBInstance", "Arn"]}]
    assert by_sid["TakeFinalBackup"]["Action"] == ["timestream-influxdb:CreateDbBackup"]
    assert by_sid["WriteOwnLogGroup"]["Resource"] == [{"Fn::GetAtt": ["BackupFunctionLogGroup", "Arn"]}]
    # A Delete is acted on only while the stack deletes (functions/cfn_response.py).
    assert by_sid["ReadOwnStackStatus"]["Action"] == [
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackResource",
    ]
    assert by_sid["ReadOwnStackStatus"]["Resource"] == [{"Ref": "AWS::StackId"}]
    assert set(by_sid) == {
        "WriteOwnLogGroup",
        "ConfigureThisInstancesBackups",
        "WaitForThisInstance",
        "TakeFinalBackup",
        "ReadOwnStackStatus",
    }
    assert "ManagedPolicyArns" not in role["Properties"]  # no VPC access: it runs outside the VPC
    assert "VpcConfig" not in product["Resources"]["BackupFunction"]["Properties"]


def test_token_function_runs_outside_the_vpc_and_may_do_exactly_its_work(product):
    """Read the admin password and the token, write the token secret, invoke the worker and wait
    for it to be Active, read its own stack's status (a Delete is acted on only while the stack
    deletes): no more."""
    function = product["Resources"]["TokenFunction"]["Properties"]
    assert "VpcConfig" not in function  # it answers CloudFormation on Amazon S3
    role = product["Resources"]["TokenFunctionRole"]
    assert "ManagedPolicyArns" not in role["Properties"]
    by_sid = {s["Sid"]: s for s in statements(role)}
    assert set(by_sid) == {
        "WriteOwnLogGroup",
        "ReadAdminPasswordAndToken",
        "StoreToken",
        "SecretsWithKey",
        "InvokeTokenWorker",
        "WaitForTokenWorker",
        "ReadOwnStackStatus",
    }
    assert by_sid["WriteOwnLogGroup"]["Resource"] == [{"Fn::GetAtt": ["TokenFunctionLogGroup", "Arn"]}]
    assert by_sid["ReadAdminPasswordAndToken"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["ReadAdminPasswordAndToken"]["Resource"] == [
        {"Ref": "AdminPasswordSecret"},
        {"Ref": "TokenSecret"},
    ]
    assert by_sid["StoreToken"]["Action"] == ["secretsmanager:PutSecretValue"]
    assert by_sid["StoreToken"]["Resource"] == [{"Ref": "TokenSecret"}]
    kms = by_sid["SecretsWithKey"]
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"
    }
    assert by_sid["InvokeTokenWorker"]["Action"] == ["lambda:InvokeFunction"]
    assert by_sid["InvokeTokenWorker"]["Resource"] == [{"Fn::GetAtt": ["TokenWorkerFunction", "Arn"]}]
    # botocore's waiter function_active_v2 calls GetFunction, on the worker only.
    assert by_sid["WaitForTokenWorker"]["Action"] == ["lambda:GetFunction"]
    assert by_sid["WaitForTokenWorker"]["Resource"] == [{"Fn::GetAtt": ["TokenWorkerFunction", "Arn"]}]
    assert by_sid["ReadOwnStackStatus"]["Action"] == [
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackResource",
    ]
    assert by_sid["ReadOwnStackStatus"]["Resource"] == [{"Ref": "AWS::StackId"}]


def test_token_function_takes_its_configuration_from_its_environment(product):
    """What the function acts on is set by the template; requests naming anything else are refused."""
    env = product["Resources"]["TokenFunction"]["Properties"]["Environment"]["Variables"]
    assert env == {
        "INFLUXDB_URL": product["Resources"]["InfluxDBApiToken"]["Properties"]["Url"],
        "INFLUXDB_USERNAME": {"Ref": "Username"},
        "ADMIN_PASSWORD_SECRET_ARN": {"Ref": "AdminPasswordSecret"},
        "TOKEN_SECRET_ARN": {"Ref": "TokenSecret"},
        "ORG": product["Resources"]["InfluxDBApiToken"]["Properties"]["Org"],
        "BUCKET": product["Resources"]["InfluxDBApiToken"]["Properties"]["Bucket"],
        "WORKER_FUNCTION_NAME": {"Ref": "TokenWorkerFunction"},
        "STACK_ID": {"Ref": "AWS::StackId"},
        "LOGICAL_RESOURCE_ID": "InfluxDBApiToken",
    }
    # The function reads exactly these variables.
    import os
    from unittest import mock

    from templates_src.timestream_influxdb.functions import api_token

    with mock.patch.dict(os.environ, {k: f"<{k}>" for k in env}, clear=True):
        assert api_token.configuration() == {k: f"<{k}>" for k in env}


def test_token_worker_runs_in_the_vpc_with_no_aws_permission(product):
    function = product["Resources"]["TokenWorkerFunction"]["Properties"]
    assert function["VpcConfig"] == {
        "SubnetIds": {"Ref": "SubnetIds"},
        "SecurityGroupIds": [{"Fn::GetAtt": ["LambdaClientSecurityGroup", "GroupId"]}],
    }
    assert "Environment" not in function  # everything comes in the token function's payload
    role = product["Resources"]["TokenWorkerFunctionRole"]
    assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": "LambdaVpcAccessPolicy"}]
    (statement,) = statements(role)
    assert statement["Sid"] == "WriteOwnLogGroup"
    assert statement["Resource"] == [{"Fn::GetAtt": ["TokenWorkerFunctionLogGroup", "Arn"]}]
    assert "secretsmanager" not in json.dumps(role) and "kms:" not in json.dumps(role)
    vpc_policy = json.dumps(product["Resources"]["LambdaVpcAccessPolicy"])
    assert "secretsmanager" not in vpc_policy and "kms:" not in vpc_policy


def test_no_statement_allows_every_action(product):
    for type_ in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for resource in resources_of_type(product, type_).values():
            text = json.dumps(resource["Properties"])
            assert '"Action": ["*"]' not in text and '"Action": "*"' not in text


def test_each_function_logs_to_its_own_encrypted_log_group_deleted_with_it(product):
    for title in FUNCTIONS.values():
        fn = product["Resources"][title]["Properties"]
        group = product["Resources"][fn["LoggingConfig"]["LogGroup"]["Ref"]]
        # Not data: deleted with the stack, so a later create of the named group succeeds.
        assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Delete"
        assert group["Metadata"] == {"FunctionLogs": title}
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["Properties"]["KmsKeyId"]["Fn::If"][0] == "CreateKmsKey"
        assert {t["Key"] for t in group["Properties"]["Tags"]} == {
            "Environment",
            "Project",
            "Name",
            "ManagedBy",
        }


def test_kms_key_lets_logs_use_it_for_every_product_log_group(product):
    from fnmatch import fnmatch

    from templates_src.timestream_influxdb import names

    for suffix in (names.LOG_GROUP, names.BACKUP_FUNCTION, names.TOKEN_FUNCTION, names.TOKEN_WORKER_FUNCTION):
        assert fnmatch(suffix, names.LOG_GROUPS)
    statement = product["Resources"]["KmsKey"]["Properties"]["KeyPolicy"]["Statement"][1]
    # StringLike: the context key is a String (ArnLike on it is a type mismatch, parliament).
    arn = statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    assert arn.endswith(":log-group:${ProjectName}-${Environment}-influxdb-*")
    for title in ("LambdaLogGroup", *(FUNCTIONS[m] + "LogGroup" for m in FUNCTIONS)):
        name = product["Resources"][title]["Properties"]["LogGroupName"]["Fn::Sub"]
        assert name.startswith("${ProjectName}-${Environment}-influxdb-")


def test_backup_custom_resource_properties(product):
    resource = product["Resources"]["BackupConfiguration"]
    assert resource["Type"] == "Custom::InfluxDBBackups"
    assert resource["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["BackupFunction", "Arn"]},
        "ServiceTimeout": 960,
        "DbResourceType": "DB_INSTANCE",
        "DbResourceId": {"Fn::GetAtt": ["InfluxDBInstance", "Id"]},
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
    assert resource["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["TokenFunction", "Arn"]},
        "ServiceTimeout": 540,
        "Url": {
            "Fn::Sub": [
                "https://${Endpoint}:${Port}",
                {"Endpoint": {"Fn::GetAtt": ["InfluxDBInstance", "Endpoint"]}},
            ]
        },
        "Org": {"Ref": "Organization"},
        "Bucket": {"Ref": "Bucket"},
        "TokenSecretArn": {"Ref": "TokenSecret"},
        # Orders the token after the conditional parameter group (templates_src backup.py).
        "WaitForEngineParameterGroup": {
            "Fn::If": ["HasEngineParameters", {"Ref": "EngineParameterGroup"}, {"Ref": "AWS::NoValue"}]
        },
    }
    # No output carries the token.
    assert "InfluxDBApiToken" not in json.dumps(product["Outputs"])


def test_the_token_is_revoked_before_the_path_to_the_instance_goes(product):
    """On delete, CloudFormation removes a resource before what it depends on."""
    resource = product["Resources"]["InfluxDBApiToken"]
    assert resource["DependsOn"] == [
        "LambdaClientToInfluxDBEgress",
        "TokenWorkerFunction",
        "BackupConfiguration",
    ]
    rule = product["Resources"]["LambdaClientToInfluxDBEgress"]["Properties"]
    assert rule["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["InfluxDBSecurityGroup", "GroupId"]}


def test_backup_parameters_and_their_ranges(product):
    from tooling.constraints import check_parameter

    params = product["Parameters"]
    assert params["BackupRetentionPeriod"]["Default"] == "7"
    for name, (low, high) in {
        "BackupRetentionPeriod": (1, 365),
        "ContinuousBackupRetentionDays": (0, 365),
        "FinalBackupRetentionDays": (0, 3650),
    }.items():
        accepted = [
            n for n in (low - 1, low, high, high + 1) if not check_parameter(name, params[name], str(n))
        ]
        assert accepted == [low, high], name
    groups = {
        g["Label"]["default"]: g["Parameters"]
        for g in product["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    }
    assert {"BackupRetentionPeriod", "ContinuousBackupRetentionDays", "FinalBackupRetentionDays"} <= set(
        groups["Encryption and backup"]
    )
    assert params["InfluxDBToken"]["NoEcho"] is True and params["Password"]["NoEcho"] is True


TOKEN_FUNCTIONS = {
    "TokenFunction",
    "TokenFunctionRole",
    "TokenFunctionLogGroup",
    "TokenWorkerFunction",
    "TokenWorkerFunctionRole",
    "TokenWorkerFunctionLogGroup",
}


def test_a_given_token_is_stored_as_is_and_no_token_is_created(product):
    given = active(product, {"InfluxDBToken": "abc123"})["Resources"]
    assert "InfluxDBApiToken" not in given
    # The functions stay: switching InfluxDBToken back and forth never re-creates a named log group.
    assert given >= TOKEN_FUNCTIONS
    assert {"BackupFunction", "BackupConfiguration", "TokenSecret"} <= given
    token_secret = product["Resources"]["TokenSecret"]["Properties"]["SecretString"]
    assert token_secret == {"Fn::If": ["HasInfluxDBToken", {"Ref": "InfluxDBToken"}, {"Ref": "AWS::NoValue"}]}


def test_an_empty_token_parameter_creates_one(product):
    assert active(product, {})["Resources"] >= TOKEN_FUNCTIONS | {"InfluxDBApiToken"}
    assert product["Resources"]["InfluxDBApiToken"]["Condition"] == "CreateInfluxDBToken"
    assert not any("Condition" in product["Resources"][title] for title in TOKEN_FUNCTIONS)


def test_the_product_makes_no_vpc_endpoint(product):
    """The Secrets Manager endpoint option is gone: a VPC-wide private-DNS endpoint belongs to
    whoever runs the network, and a stack updated from a version that had it deletes it."""
    assert "CreateSecretsManagerEndpoint" not in product["Parameters"]
    assert not resources_of_type(product, "AWS::EC2::VPCEndpoint")
    # The only property that orders a resource after another is the token's, on the parameter group.
    waits = {
        (name, k)
        for name, r in product["Resources"].items()
        for k in r.get("Properties", {})
        if k.startswith(WAIT_FOR)
    }
    assert waits == {("InfluxDBApiToken", WAIT_FOR + "EngineParameterGroup")}


@pytest.mark.parametrize("path", sorted((ROOT / "output").glob("*.yaml")), ids=lambda p: p.name)
def test_every_function_log_group_declaration_is_true(path):
    """The Guard rule STATEFUL_RETAINED lets a log group be deleted when its Metadata.FunctionLogs
    names a function: that function must log there, and every function's log group says so."""
    template = yaml_data(path.read_text())
    resources = template["Resources"]
    declared = {
        name: r["Metadata"]["FunctionLogs"]
        for name, r in resources.items()
        if "FunctionLogs" in (r.get("Metadata") or {})
    }
    logs_to = {
        name: r["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        for name, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and "LoggingConfig" in r["Properties"]
    }
    assert {group: fn for fn, group in logs_to.items()} == declared
    assert all(resources[group]["Type"] == "AWS::Logs::LogGroup" for group in declared)

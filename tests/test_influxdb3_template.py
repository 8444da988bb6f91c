"""The InfluxDB 3 product: the cluster and its engine, what it leaves out (InfluxDB 2 settings, a
guessed metric), its outputs, its offline checks, and the facts it was built from (cfn-lint's
schema for AWS::Timestream::InfluxDBCluster and botocore's model of CreateDbCluster)."""

from __future__ import annotations

import json

import botocore.session
import pytest

from conftest import INFLUXDB3_REQUIRED, ROOT, rendered_data
from templates_src.registry import TEMPLATES
from templates_src.timestream_influxdb3 import OptionError, Options, build, service
from templates_src.timestream_influxdb3.deploy_checks import value_problems
from tooling.build.options import OptionParseError, parse_options
from tooling.cfn import schemas
from tooling.cfn.evaluate import Resolver, evaluate_conditions, parameter_values

NAME = "timestream-influxdb3"
V2_ONLY = (
    "Username",
    "Password",
    "Organization",
    "Bucket",
    "AllocatedStorage",
    "DeploymentType",
    "DbStorageType",
)


@pytest.fixture(scope="module")
def template():
    return rendered_data(NAME)


@pytest.fixture(scope="module")
def schema():
    return schemas.schema("AWS::Timestream::InfluxDBCluster", "us-east-1")


@pytest.fixture(scope="module")
def api():
    return botocore.session.get_session().get_service_model("timestream-influxdb")


def cluster(template):
    return template["Resources"]["InfluxDBCluster"]["Properties"]


def test_facts_are_the_schema_s_and_the_api_s(schema, api):
    p = schema["properties"]
    assert "required" not in schema  # every property optional: none of the v2 ones is needed
    # No property picks the engine: EngineType is read-only.
    assert "/properties/EngineType" in schema["readOnlyProperties"]
    assert "/properties/InfluxAuthParametersSecretArn" in schema["readOnlyProperties"]
    assert "/properties/DbParameterGroupIdentifier" not in schema["createOnlyProperties"]
    assert (p["Port"]["minimum"], p["Port"]["maximum"]) == (service.PORT_MIN, service.PORT_MAX)
    assert p["VpcSubnetIds"]["maxItems"] == service.SUBNETS_MAX
    create = api.operation_model("CreateDbCluster").input_shape
    assert set(create.required_members) == {"name", "vpcSecurityGroupIds", "vpcSubnetIds"}
    assert f"{service.DEFAULT_PORT} for InfluxDB v3" in create.members["port"].documentation
    assert set(api.shape_for("EngineType").enum) == {
        "INFLUXDB_V2",
        "INFLUXDB_V3_CORE",
        "INFLUXDB_V3_ENTERPRISE",
    }
    pattern = p["DbParameterGroupIdentifier"]["pattern"]
    import re

    for group in service.PARAMETER_GROUPS.values():
        assert re.match(pattern, group), group


@pytest.mark.parametrize(
    ("engine", "nodes", "group"),
    [
        ("Core", "", "InfluxDBV3Core"),
        ("Enterprise", "", "InfluxDBV3Enterprise"),
        ("Enterprise", "3", "InfluxDBV3Enterprise"),
        ("Enterprise", "1", "InfluxDBV3Enterprise1Node"),
    ],
)
def test_the_engine_chooses_the_service_defined_parameter_group(template, engine, nodes, group):
    given = {"Engine": engine, "EnterpriseNodes": nodes, "SubnetIds": "subnet-1,subnet-2"}
    conditions = evaluate_conditions(template, given)
    resolver = Resolver(parameter_values(template, given), {}, {}, conditions.__getitem__)
    assert resolver.resolve(cluster(template)["DbParameterGroupIdentifier"]) == group
    assert not conditions["HasEngineParameters"]


@pytest.mark.parametrize(
    ("engine", "nodes", "model_engine", "group"),
    [
        ("Core", "", "InfluxDBv3Core", "InfluxDBV3Core"),
        ("Enterprise", "", "InfluxDBv3Enterprise", "InfluxDBV3Enterprise"),
        ("Enterprise", "1", "InfluxDBv3Enterprise", "InfluxDBV3Enterprise1Node"),
    ],
)
def test_engine_parameters_give_the_cluster_the_group_the_resource_makes_for_its_engine(
    template, engine, nodes, model_engine, group
):
    given = {
        "Engine": engine,
        "EnterpriseNodes": nodes,
        "EngineParameters": '{"queryFileLimit": 500}',
        "ProjectName": "demo",
    }
    conditions = evaluate_conditions(template, given)
    attributes = {"EngineParameterGroup.Id": "pgid0001", "ParameterGroupFunction.Arn": "arn:function"}
    refs = {"AWS::StackId": "arn:stack"}
    resolver = Resolver(parameter_values(template, given), refs, attributes, conditions.__getitem__)
    assert resolver.resolve(cluster(template)["DbParameterGroupIdentifier"]) == "pgid0001"
    resource = template["Resources"]["EngineParameterGroup"]
    assert conditions[resource["Condition"]]
    props = resolver.resolve(resource["Properties"])
    assert (props["Engine"], props["ServiceParameterGroup"]) == (model_engine, group)
    # The function's environment holds the same values: a request with others is refused.
    function = template["Resources"][resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0]]
    environment = resolver.resolve(function["Properties"]["Environment"]["Variables"])
    from templates_src.timestream_influxdb3.functions.influxdb3_parameter_group import CONFIGURED

    assert {name: environment[variable] for name, variable in CONFIGURED.items()} == {
        name: props[name] for name in CONFIGURED
    }


def test_the_model_engines_are_the_api_s_parameter_sets(api):
    union = api.shape_for("Parameters").members
    assert set(service.MODEL_ENGINES.values()) <= set(union)
    # The node counts are Enterprise's only, and the function copies exactly these.
    from templates_src.timestream_influxdb3.functions.influxdb3_parameter_group import NODE_COUNTS

    assert all(n in union["InfluxDBv3Enterprise"].members for n in NODE_COUNTS)
    assert not any(n in union["InfluxDBv3Core"].members for n in NODE_COUNTS)


def test_the_parameter_group_function_may_change_no_database(template):
    resources = template["Resources"]
    function = resources[resources["EngineParameterGroup"]["Properties"]["ServiceToken"]["Fn::GetAtt"][0]]
    role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
    actions = {
        action
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "timestream-influxdb:ListDbParameterGroups",
        "timestream-influxdb:CreateDbParameterGroup",
        "timestream-influxdb:TagResource",
        "timestream-influxdb:GetDbParameterGroup",
    }


def test_no_influxdb_2_setting_reaches_the_cluster_or_the_launch_form(template, schema):
    for name in V2_ONLY:
        assert name not in cluster(template)
        assert name in schema["properties"]  # the schema has them: leaving them out is a choice
    assert not set(V2_ONLY) & set(template["Parameters"])
    assert cluster(template)["PubliclyAccessible"] is False
    assert template["Parameters"]["Port"]["Default"] == str(service.DEFAULT_PORT)


def test_the_database_group_reaches_only_amazon_s3(template):
    (egress,) = template["Resources"]["InfluxDBSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert egress["DestinationPrefixListId"] == {"Ref": "S3PrefixListId"}
    assert "CidrIp" not in egress and "CidrIpv6" not in egress


def test_no_alarm_and_no_dashboard_without_documented_metrics(template):
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"}


def test_clients_get_url_database_and_a_token_secret_they_may_read(template):
    out = template["Outputs"]
    env = out["LambdaEnvironmentVariables"]["Value"]["Fn::Sub"][0]
    variables = json.loads(env)
    assert variables["INFLUX_HOST"] == "https://${Endpoint}:${Port}"
    assert variables["INFLUX_DATABASE"] == "${Database}"
    token_arn = out["TokenSecretArn"]["Value"]
    assert token_arn == {
        "Fn::If": [
            "IsEnterprise",
            {"Ref": "TokenSecret"},
            {"Fn::GetAtt": ["InfluxDBCluster", "InfluxAuthParametersSecretArn"]},
        ]
    }
    statements = template["Resources"]["LambdaExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    (read,) = [s for s in statements if s["Sid"] == "ReadInfluxDBSecrets"]
    assert token_arn in read["Resource"]


def test_core_s_token_limit_is_on_the_launch_form(template):
    assert "Core has no database-scoped tokens" in template["Parameters"]["Engine"]["Description"]


def test_the_database_resource_keeps_data_and_follows_the_egress_rule(template):
    resource = template["Resources"]["InfluxDB3Database"]
    assert "LambdaClientToInfluxDBEgress" in resource["DependsOn"]
    assert template["Resources"]["InfluxDBCluster"]["DeletionPolicy"] == "RetainExceptOnCreate"


# --- offline refusals -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tele_metry", "-x", "x-", "a/b", ""])
def test_an_invalid_database_is_refused_in_one_line(name):
    with pytest.raises(OptionError, match="not a database name"):
        Options(default_database=name)


def deploy_problems(tmp_path, **values) -> list[tuple[str, str]]:
    """(parameter, message) of every problem deploy's offline check finds in a parameter file of
    this product with ``values`` over valid ones (the template's constraints and value checks)."""
    from tooling.deploy.params import read_and_check
    from tooling.deploy.runner import load_template

    valid = INFLUXDB3_REQUIRED
    path = tmp_path / "params.json"
    path.write_text(json.dumps([f"{k}={v}" for k, v in {**valid, **values}.items()]))
    spec = TEMPLATES["timestream-influxdb3"]
    template = load_template(ROOT / "output" / spec.filename)
    return [(p.parameter, p.message) for p in read_and_check(path, template, {}, spec, "us-east-1").problems]


@pytest.mark.parametrize("name", ["tele_metry", "-x", "x-", "a/b"])
def test_deploy_refuses_an_invalid_database_once_in_one_line(tmp_path, name):
    ((parameter, message),) = deploy_problems(tmp_path, Database=name)
    assert parameter == "Database" and name in message and "\n" not in message


def test_deploy_refuses_enterprise_nodes_for_core_once(tmp_path):
    ((parameter, message),) = deploy_problems(tmp_path, Engine="Core", EnterpriseNodes="3")
    assert "EnterpriseNodes is for Enterprise only" in message
    assert deploy_problems(tmp_path, Engine="Enterprise", EnterpriseNodes="1") == []
    assert deploy_problems(tmp_path) == []


@pytest.mark.parametrize("option", ["organization=o", "default_port=8086", "default_allocated_storage=20"])
def test_influxdb_2_build_options_are_refused_naming_what_is_accepted(option):
    with pytest.raises(OptionParseError, match="accepted keys: .*default_engine"):
        parse_options(Options, [option])


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (
            {"Engine": "Enterprise", "EngineParameters": '{"ingestQueryInstances": 3}'},
            "the node counts are the launch form's EnterpriseNodes",
        ),
        (
            {"Engine": "Core", "EngineParameters": '{"compactionRowLimit": 10}'},
            "InfluxDBv3Enterprise parameters, not InfluxDBv3Core's",
        ),
        (
            {"Engine": "Core", "EngineParameters": '{"queryFileLimit": 2000}'},
            "InfluxDBv3Core.queryFileLimit: 2000 is out of range",
        ),
        (
            {"Engine": "Enterprise", "EngineParameters": '{"queryFileLimt": 16}'},
            "InfluxDBv3Enterprise has no parameter queryFileLimt; did you mean queryFileLimit?",
        ),
        ({"Engine": "Core", "EngineParameters": "{queryFileLimit}"}, "EngineParameters is not a JSON object"),
    ],
)
def test_deploy_refuses_engine_parameters_the_engine_does_not_take_in_one_line(tmp_path, given, said):
    ((parameter, message),) = deploy_problems(tmp_path, **given)
    assert parameter == "EngineParameters" and said in message and "\n" not in message


def test_deploy_accepts_the_engine_s_own_parameters(tmp_path):
    assert deploy_problems(tmp_path, Engine="Core", EngineParameters='{"queryFileLimit": 500}') == []
    enterprise = '{"compactionRowLimit": 10, "queryFileLimit": 500}'
    assert (
        deploy_problems(tmp_path, Engine="Enterprise", EnterpriseNodes="1", EngineParameters=enterprise) == []
    )


def test_deploy_refuses_engine_parameters_that_overflow_the_function_s_environment():
    big = json.dumps({"logFilter": "x" * 1000, "dataFusionConfig": "a:" + "b" * 3000})
    found = value_problems(
        {"Engine": "Core", "EngineParameters": big, "ProjectName": "p", "Environment": "e"}
    )
    assert [p for p, m in found if "parameter group function's environment" in m] == ["EngineParameters"]


def test_the_engine_parameters_build_option_is_checked_against_both_engines():
    built = build(Options(default_engine_parameters='{"queryFileLimit": 500}')).to_dict()
    assert built["Parameters"]["EngineParameters"]["Default"] == '{"queryFileLimit":500}'
    with pytest.raises(
        OptionError, match="default_engine_parameters: compactionRowLimit: InfluxDBv3Enterprise"
    ):
        Options(default_engine_parameters='{"compactionRowLimit": 10}')
    # A launch may choose Core although Enterprise is preselected: an Enterprise-only default is refused.
    with pytest.raises(OptionError, match=r"compactionRowLimit: .*a default must suit both\)$"):
        Options(default_engine="Enterprise", default_engine_parameters='{"compactionRowLimit": 10}')
    with pytest.raises(
        OptionError, match="dedicatedCompactor: the node counts are the launch form's EnterpriseNodes"
    ):
        Options(default_engine="Enterprise", default_engine_parameters='{"dedicatedCompactor": false}')
    with pytest.raises(OptionError) as e:
        Options(default_engine_parameters="{x}")
    assert str(e.value).count("is not a JSON object") == 1


def test_subnets_two_or_three_different():
    assert value_problems({"SubnetIds": "subnet-1,subnet-2"}) == []
    assert value_problems({"SubnetIds": "subnet-1"})[0][0] == "SubnetIds"
    assert value_problems({"SubnetIds": "subnet-1,subnet-1"})[0][0] == "SubnetIds"


def test_the_nodes_rule_is_in_the_template(template):
    rule = template["Rules"]["NodesOnlyForEnterprise"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Engine"}, "Core"]}


def test_build_with_enterprise_default():
    t = build(Options(default_engine="Enterprise")).to_dict()
    assert t["Parameters"]["Engine"]["Default"] == "Enterprise"


def test_the_cluster_gets_the_instance_products_backups_and_deploy_guards_their_retention(template):
    backup = template["Resources"]["BackupConfiguration"]
    assert backup["Type"] == "Custom::InfluxDBBackups"
    props = backup["Properties"]
    assert props["DbResourceType"] == "DB_CLUSTER"
    assert props["DbResourceId"] == {"Fn::GetAtt": ["InfluxDBCluster", "Id"]}
    assert props["DailyRetentionDays"] == {"Ref": "BackupRetentionPeriod"}
    instance = rendered_data("timestream-influxdb")["Parameters"]
    spec = TEMPLATES[NAME]
    assert spec.retention_parameters == TEMPLATES["timestream-influxdb"].retention_parameters
    for name in spec.retention_parameters:
        mine = {k: v for k, v in template["Parameters"][name].items() if k != "Description"}
        assert mine == {k: v for k, v in instance[name].items() if k != "Description"}
    # The backup function may update this cluster (and, as UpdateDbCluster's dependent action, its nodes).
    statements = template["Resources"]["BackupFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    (update,) = [s for s in statements["Statement"] if s["Sid"] == "ConfigureThisClustersBackups"]
    assert update["Resource"] == [{"Fn::GetAtt": ["InfluxDBCluster", "Arn"]}]

"""The read-replica cluster product: the cluster, its launch form, its outputs, what it leaves out
(no guessed metric), its offline checks, and the facts it was built from (cfn-lint's schema for
AWS::Timestream::InfluxDBCluster and botocore's model of CreateDbCluster)."""

from __future__ import annotations

import json

import botocore.session
import pytest

from conftest import resources_of_type, substitute
from templates_src.registry import TEMPLATES
from templates_src.timestream_influxdb import service as instance_service
from templates_src.timestream_influxdb_cluster import OptionError, Options, build, service
from templates_src.timestream_influxdb_cluster.deploy_checks import subnets_problem
from tooling.cfn import schemas
from tooling.deploy.params import check_values

NAME = "timestream-influxdb-cluster"
CLUSTER = "InfluxDBCluster"
SUBNETS = "subnet-0123456789abcdef0,subnet-0123456789abcdef1,subnet-0123456789abcdef2"
VPC = "vpc-0123456789abcdef0"


@pytest.fixture(scope="module")
def cluster_template():
    spec = TEMPLATES[NAME]
    return json.loads(json.dumps(spec.build(spec.options()).to_dict()))


@pytest.fixture(scope="module")
def schema():
    return schemas.schema("AWS::Timestream::InfluxDBCluster", "us-east-1")


@pytest.fixture(scope="module")
def api():
    return botocore.session.get_session().get_service_model("timestream-influxdb")


def props(template):
    return template["Resources"][CLUSTER]["Properties"]


# --- facts -------------------------------------------------------------------------------------
def test_the_cluster_facts_are_the_schema_s_and_the_api_s(schema, api):
    p = schema["properties"]
    assert tuple(p["DeploymentType"]["enum"]) == service.DEPLOYMENT_TYPES
    assert tuple(p["FailoverMode"]["enum"]) == service.FAILOVER_MODES
    assert p["VpcSubnetIds"]["maxItems"] == service.SUBNETS
    assert tuple(api.shape_for("ClusterDeploymentType").enum) == service.DEPLOYMENT_TYPES
    assert tuple(api.shape_for("FailoverMode").enum) == service.FAILOVER_MODES
    # The shared launch-form values have the instance's limits for the cluster too.
    assert tuple(p["DbInstanceType"]["enum"]) == instance_service.INSTANCE_TYPES
    assert tuple(p["DbStorageType"]["enum"]) == instance_service.STORAGE_TYPES
    create = api.operation_model("CreateDbCluster").input_shape.members
    assert (create["allocatedStorage"].metadata["min"], create["allocatedStorage"].metadata["max"]) == (
        instance_service.ALLOCATED_STORAGE_MIN,
        instance_service.ALLOCATED_STORAGE_MAX,
    )
    assert (p["Name"]["minLength"], p["Name"]["maxLength"]) == (
        instance_service.INSTANCE_NAME_MIN,
        instance_service.INSTANCE_NAME_MAX,
    )
    assert (p["Port"]["minimum"], p["Port"]["maximum"]) == (
        instance_service.PORT_MIN,
        instance_service.PORT_MAX,
    )


# --- the cluster -------------------------------------------------------------------------------
def test_the_cluster_is_private_retained_and_takes_its_choices_from_the_form(
    cluster_template, schema, product
):
    resource = cluster_template["Resources"][CLUSTER]
    instance = product["Resources"]["InfluxDBInstance"]
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        assert resource[policy] == instance[policy] and resource[policy].startswith("Retain")
    p = props(cluster_template)
    assert set(p) <= set(schema["properties"]) - set(
        schema["readOnlyProperties"] and [x.split("/")[-1] for x in schema["readOnlyProperties"]]
    )
    assert p["PubliclyAccessible"] is False
    assert p["DeploymentType"] == {"Ref": "DeploymentType"}
    assert p["FailoverMode"] == {"Ref": "FailoverMode"}
    assert p["VpcSubnetIds"] == {"Ref": "SubnetIds"}
    assert p["VpcSecurityGroupIds"] == [{"Fn::GetAtt": ["InfluxDBSecurityGroup", "GroupId"]}]
    assert p["Name"] == {"Fn::Sub": "${ProjectName}-${Environment}-influxdb"}
    assert "InfluxDBInstance" not in cluster_template["Resources"]


def test_every_attribute_read_from_the_cluster_is_one_the_schema_has(cluster_template, schema):
    read_only = {x.split("/")[-1] for x in schema["readOnlyProperties"]}
    used = set()

    def walk(node):
        if isinstance(node, dict):
            if "Fn::GetAtt" in node and node["Fn::GetAtt"][0] == CLUSTER:
                used.add(node["Fn::GetAtt"][1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(cluster_template)
    assert used and used <= read_only
    assert {"Endpoint", "ReaderEndpoint"} <= used


def test_failover_mode_is_a_choice_of_the_two_modes_and_deployment_type_states_the_marketplace(
    cluster_template,
):
    params = cluster_template["Parameters"]
    assert params["FailoverMode"]["AllowedValues"] == ["AUTOMATIC", "NO_FAILOVER"]
    assert params["FailoverMode"]["Default"] == "AUTOMATIC"
    assert (
        build(Options(default_failover_mode="NO_FAILOVER")).parameters["FailoverMode"].Default
        == "NO_FAILOVER"
    )
    assert params["DeploymentType"]["AllowedValues"] == ["MULTI_NODE_READ_REPLICAS"]
    groups = cluster_template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    (group,) = [g for g in groups if "DeploymentType" in g["Parameters"]]
    assert service.MARKETPLACE_LISTING in group["Label"]["default"]
    assert "FailoverMode" in group["Parameters"]
    assert service.MARKETPLACE_LISTING in params["DeploymentType"]["Description"]


def test_the_subnets_parameter_asks_for_three_zones(cluster_template):
    subnets = cluster_template["Parameters"]["SubnetIds"]
    assert subnets["Type"] == "List<AWS::EC2::Subnet::Id>"
    assert "Exactly 3" in subnets["Description"] and "different Availability Zone" in subnets["Description"]


def test_no_parameter_is_left_unused_and_none_is_missing(cluster_template):
    text = json.dumps(cluster_template["Resources"]) + json.dumps(cluster_template.get("Conditions", {}))
    text += json.dumps(cluster_template.get("Rules", {}))
    unused = [
        name
        for name in cluster_template["Parameters"]
        if f'"Ref": "{name}"' not in text and "${" + name + "}" not in text
    ]
    # DeploymentType and FailoverMode are the cluster's own; the borrowed ones all have a use here.
    assert unused == []


def test_an_option_the_cluster_refuses_is_named():
    with pytest.raises(OptionError, match="default_failover_mode"):
        Options(default_failover_mode="MANUAL")
    with pytest.raises(OptionError, match="default_port"):
        Options(default_port=8090)


# --- outputs -----------------------------------------------------------------------------------
def test_outputs_give_the_writer_and_the_reader(cluster_template):
    out = cluster_template["Outputs"]
    assert out["Endpoint"]["Value"] == {"Fn::GetAtt": [CLUSTER, "Endpoint"]}
    assert out["ReaderEndpoint"]["Value"] == {"Fn::GetAtt": [CLUSTER, "ReaderEndpoint"]}
    values = {"Port": "8086", "Endpoint": "writer.example", "ReaderEndpoint": "reader.example"}
    assert substitute(out["Url"]["Value"], values) == "https://writer.example:8086"
    assert substitute(out["ReaderUrl"]["Value"], values) == "https://reader.example:8086"
    assert out["DbClusterId"]["Value"] == {"Fn::GetAtt": [CLUSTER, "Id"]}
    assert out["DbClusterArn"]["Value"] == {"Fn::GetAtt": [CLUSTER, "Arn"]}
    assert out["ManagedSecretArn"]["Value"] == {"Fn::GetAtt": [CLUSTER, "InfluxAuthParametersSecretArn"]}
    assert "DbInstanceId" not in out and "DashboardUrl" not in out


def test_lambda_environment_variables_carry_a_reader_url_for_query_only_clients(cluster_template):
    sub = cluster_template["Outputs"]["LambdaEnvironmentVariables"]["Value"]["Fn::Sub"]
    assert sub[1]["ReaderEndpoint"] == {"Fn::GetAtt": [CLUSTER, "ReaderEndpoint"]}
    assert sub[1]["Endpoint"] == {"Fn::GetAtt": [CLUSTER, "Endpoint"]}
    env = json.loads(
        substitute(
            {"Fn::Sub": sub},
            {
                "Port": "8086",
                "Bucket": "b",
                "Organization": "o",
                "CredentialsSecretArn": "arn",
                "TokenSecretName": "t",
                "LogGroupName": "g",
                "Endpoint": "writer.example",
                "ReaderEndpoint": "reader.example",
            },
        )
    )
    assert env["INFLUXDB_URL"] == env["INFLUXDB_V2_URL"] == "https://writer.example:8086"
    assert env["INFLUXDB_READER_URL"] == "https://reader.example:8086"
    assert env["INFLUXDB_READER_ENDPOINT"] == "reader.example"


def test_the_token_function_works_against_the_writer(cluster_template):
    env = cluster_template["Resources"]["TokenFunction"]["Properties"]["Environment"]["Variables"]
    assert env["INFLUXDB_URL"]["Fn::Sub"][1] == {"Endpoint": {"Fn::GetAtt": [CLUSTER, "Endpoint"]}}


# --- what the cluster leaves out ---------------------------------------------------------------
def test_no_alarm_dashboard_or_metric_dimension_is_guessed(cluster_template):
    """AWS documents the service's metrics per node (dimension DbInstanceName) and no cluster
    dimension; the nodes' names are the service's. So no alarm or dashboard, and no metric name or
    dimension anywhere in the template."""
    assert resources_of_type(cluster_template, "AWS::CloudWatch::Alarm") == {}
    assert resources_of_type(cluster_template, "AWS::CloudWatch::Dashboard") == {}
    text = json.dumps(cluster_template)
    for guess in ("DbClusterName", "AWS/Timestream", "DbInstanceName", "ReplicaLag", "Dimensions"):
        assert guess not in text, guess
    assert "No alarms" in cluster_template["Description"]


def test_custom_resources_are_the_token_backups_and_parameter_group(cluster_template):
    custom = {n for n, r in cluster_template["Resources"].items() if r["Type"].startswith("Custom::")}
    assert custom == {"InfluxDBApiToken", "BackupConfiguration", "EngineParameterGroup"}


# --- backups, engine parameters, token rotation --------------------------------------------------
def test_the_backup_and_parameter_group_resources_name_the_cluster(cluster_template):
    resources = cluster_template["Resources"]
    for name in ("BackupConfiguration", "EngineParameterGroup"):
        p = resources[name]["Properties"]
        assert p["DbResourceType"] == "DB_CLUSTER", name
        assert p["DbResourceId"] == {"Fn::GetAtt": [CLUSTER, "Id"]}, name
    assert resources["EngineParameterGroup"]["Condition"] == "HasEngineParameters"
    assert resources["EngineParameterGroup"]["Properties"]["Engine"] == "InfluxDBv2"
    backup = resources["BackupConfiguration"]["Properties"]
    assert backup["DailyRetentionDays"] == {"Ref": "BackupRetentionPeriod"}
    assert backup["FinalBackupRetentionDays"] == {"Ref": "FinalBackupRetentionDays"}


def statements(template, role):
    (policy,) = template["Resources"][role]["Properties"]["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def sub_texts(resources):
    return [r["Fn::Sub"] if isinstance(r, dict) and "Fn::Sub" in r else r for r in resources]


def test_the_functions_update_this_cluster_only_and_never_an_instance_by_its_own_arn(cluster_template):
    """UpdateDbCluster on the cluster's own ARN (the db-cluster/<id> of cfn-lint's schema); its
    dependent UpdateDbInstance (IAM's reference) on the account's instances, the cluster's nodes."""
    arn = {"Fn::GetAtt": [CLUSTER, "Arn"]}
    backup = statements(cluster_template, "BackupFunctionRole")
    assert backup["ConfigureThisClustersBackups"]["Action"] == ["timestream-influxdb:UpdateDbCluster"]
    assert backup["ConfigureThisClustersBackups"]["Resource"] == [arn]
    assert sub_texts(backup["TakeFinalBackup"]["Resource"]) == [
        "arn:${AWS::Partition}:timestream-influxdb:${AWS::Region}:${AWS::AccountId}:db-cluster/*",
        "arn:${AWS::Partition}:timestream-influxdb:${AWS::Region}:${AWS::AccountId}:db-backup/*",
    ]
    group = statements(cluster_template, "ParameterGroupFunctionRole")
    assert group["ReadThisClustersParameterGroup"]["Action"] == ["timestream-influxdb:GetDbCluster"]
    assert group["ReadThisClustersParameterGroup"]["Resource"] == [arn]
    assert group["SwitchThisClustersParameterGroup"]["Action"] == ["timestream-influxdb:UpdateDbCluster"]
    assert group["SwitchThisClustersParameterGroup"]["Resource"][0] == arn
    for role, sid in (
        (backup, "UpdateTheClustersNodes"),
        (group, "SwitchTheClustersNodes"),
    ):
        assert role[sid]["Action"] == ["timestream-influxdb:UpdateDbInstance"]
        assert sub_texts(role[sid]["Resource"]) == [
            "arn:${AWS::Partition}:timestream-influxdb:${AWS::Region}:${AWS::AccountId}:db-instance/*"
        ]
    every = [a for s in (*backup.values(), *group.values()) for a in s["Action"]]
    assert "timestream-influxdb:GetDbInstance" not in every


def test_the_cluster_facts_the_functions_rely_on_are_botocores(api, schema):
    update = api.operation_model("UpdateDbCluster").input_shape.members
    instance = api.operation_model("UpdateDbInstance").input_shape.members
    assert update["dbBackupConfigurations"].name == instance["dbBackupConfigurations"].name
    assert update["dbParameterGroupIdentifier"].name == instance["dbParameterGroupIdentifier"].name
    assert (
        "cluster" in api.operation_model("CreateDbBackup").input_shape.members["dbResourceId"].documentation
    )
    got = api.operation_model("GetDbCluster").output_shape.members
    assert {"dbParameterGroupIdentifier", "dbBackupConfigurations", "status"} <= set(got)
    assert tuple(api.shape_for("ResourceType").enum) == ("DB_INSTANCE", "DB_CLUSTER")
    assert "db\\-cluster" in schema["properties"]["Arn"]["pattern"]
    assert "DbParameterGroupIdentifier" not in [p.split("/")[-1] for p in schema["createOnlyProperties"]]


def test_the_token_is_rotated_against_the_writer(cluster_template):
    resources = cluster_template["Resources"]
    assert resources["TokenRotationSchedule"]["Condition"] == "RotateInfluxDBToken"
    env = resources["TokenRotationFunction"]["Properties"]["Environment"]["Variables"]
    assert env["INFLUXDB_URL"]["Fn::Sub"][1] == {"Endpoint": {"Fn::GetAtt": [CLUSTER, "Endpoint"]}}
    assert "ReaderEndpoint" not in json.dumps(resources["TokenRotationFunction"])


def test_the_launch_form_has_the_instance_products_backup_engine_and_rotation_parameters(
    cluster_template, product
):
    for name in (
        "BackupRetentionPeriod",
        "ContinuousBackupRetentionDays",
        "FinalBackupRetentionDays",
        "EngineParameters",
        "TokenRotationDays",
    ):
        ours, theirs = cluster_template["Parameters"][name], product["Parameters"][name]
        assert {k: v for k, v in ours.items() if k != "Description"} == {
            k: v for k, v in theirs.items() if k != "Description"
        }, name
    assert "cluster" in cluster_template["Parameters"]["FinalBackupRetentionDays"]["Description"]
    assert "OneParameterGroupSource" in cluster_template["Rules"]


@pytest.mark.parametrize(
    "text",
    ['{"queryFileLimit": 100}', '{"InfluxDBv3Core": {"queryFileLimit": 100}}', '{"ingestQueryInstances": 2}'],
)
def test_influxdb_3_parameters_are_refused_offline_in_one_line_naming_what_is_accepted(text):
    spec = TEMPLATES[NAME]
    values = {"ProjectName": "ons", "SubnetIds": SUBNETS, "EngineParameters": text}
    (problem,) = [p for p in spec.value_checks(values) if p[0] == "EngineParameters"]
    assert "\n" not in problem[1] and "accepts its parameters only" in problem[1]
    assert "InfluxDBv3" in problem[1] and "queryConcurrency" in problem[1]
    with pytest.raises(OptionError, match="default_engine_parameters: .*InfluxDBv3"):
        Options(default_engine_parameters=text)
    assert spec.value_checks({**values, "EngineParameters": '{"queryConcurrency": 16}'}) == []


# --- offline checks ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "subnets",
    [
        "subnet-0123456789abcdef0",
        "subnet-0123456789abcdefa,subnet-0123456789abcdefb",
        "subnet-0123456789abcdefa,subnet-0123456789abcdefb,subnet-0123456789abcdefa",
        "subnet-0123456789abcdefa,subnet-0123456789abcdefb,subnet-0123456789abcdefc,subnet-0123456789abcdefd",
    ],
)
def test_anything_but_three_different_subnets_is_refused_in_one_line_naming_the_value(
    cluster_template, subnets
):
    spec = TEMPLATES[NAME]
    values = {"ProjectName": "ons", "SubnetIds": subnets, "VpcId": VPC, "ProcessedDataBucket": "aaa"}
    values["RejectedDataBucket"] = "bbb"
    problems = [
        p for p in check_values(cluster_template, values, spec.value_checks) if p.parameter == "SubnetIds"
    ]
    (problem,) = problems
    assert subnets.replace(",", ", ") in problem.message and "exactly 3 different subnets" in problem.message
    assert "\n" not in problem.message


def test_three_different_subnets_pass_and_the_instance_rules_still_apply(cluster_template):
    spec = TEMPLATES[NAME]
    assert subnets_problem(SUBNETS) is None
    values = {"ProjectName": "ons", "SubnetIds": SUBNETS, "VpcId": VPC}
    values |= {"ProcessedDataBucket": "aaa", "RejectedDataBucket": "bbb"}
    assert check_values(cluster_template, values, spec.value_checks) == []
    found = spec.value_checks({**values, "DbStorageType": "InfluxIOIncludedT2", "AllocatedStorage": "20"})
    assert found == [("AllocatedStorage", "20 GiB is less than the 400 GiB that InfluxIOIncludedT2 needs")]
    (name,) = spec.value_checks({**values, "ProjectName": "a" * 30, "Environment": "development"})
    assert name[0] == "ProjectName" and "the cluster name" in name[1]


# --- registry ----------------------------------------------------------------------------------
def test_the_registry_entry_protects_the_cluster_and_asks_preflight_for_three_zones():
    spec = TEMPLATES[NAME]
    assert "AWS::Timestream::InfluxDBCluster" in spec.protected_types
    assert spec.prerequisites.zones_needed({}) == 3
    assert spec.prerequisites.max_subnets == 3
    assert spec.instance_output is None  # restore restores instances only
    # The backup resource's parameters: deploy refuses a decrease without --allow-data-loss.
    assert spec.retention_parameters == TEMPLATES["timestream-influxdb"].retention_parameters
    assert set(spec.retention_parameters) <= set(spec.build(spec.options()).parameters)
    assert "list_db_backups" in [probe.operation for probe in spec.prerequisites.probes]
    assert set(spec.secret_env) <= set(spec.build(spec.options()).parameters)

"""Pure deploy decisions: stack states, change-set analysis (data loss and its causes), stack policy."""

from __future__ import annotations

from functools import partial

import pytest

from conftest import resources_of_type
from templates_src.registry import TEMPLATES
from tooling.deploy import plan

PROTECTED = TEMPLATES["timestream-influxdb"].protected_types
analyse = partial(plan.analyse, protected_types=PROTECTED)


def change(logical_id, type_, action="Modify", replacement="False", details=()):
    rc = {"Action": action, "LogicalResourceId": logical_id, "ResourceType": type_, "Details": list(details)}
    if action == "Modify":
        rc["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": rc}


def detail(name, source, entity, recreation="Always", evaluation="Static"):
    return {
        "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
        "Evaluation": evaluation,
        "ChangeSource": source,
        "CausingEntity": entity,
    }


INSTANCE = "AWS::Timestream::InfluxDBInstance"
SECRET = "AWS::SecretsManager::Secret"
SG = "AWS::EC2::SecurityGroup"


# --- stack states ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "hint"),
    [
        (None, "CREATE", ""),
        ("REVIEW_IN_PROGRESS", "CREATE", ""),
        ("CREATE_COMPLETE", "UPDATE", ""),
        ("UPDATE_COMPLETE", "UPDATE", ""),
        ("UPDATE_ROLLBACK_COMPLETE", "UPDATE", ""),
        ("UPDATE_IN_PROGRESS", "REFUSE", "aws cloudformation wait stack-update-complete --stack-name s"),
        ("CREATE_IN_PROGRESS", "REFUSE", "aws cloudformation wait stack-create-complete --stack-name s"),
        ("UPDATE_ROLLBACK_IN_PROGRESS", "REFUSE", "another operation is running"),
        ("DELETE_IN_PROGRESS", "REFUSE", "wait stack-delete-complete"),
        ("ROLLBACK_COMPLETE", "REFUSE", "aws cloudformation delete-stack --stack-name s"),
        ("ROLLBACK_FAILED", "REFUSE", "delete-stack"),
        ("UPDATE_ROLLBACK_FAILED", "REFUSE", "aws cloudformation continue-update-rollback --stack-name s"),
        ("DELETE_FAILED", "REFUSE", "delete it again"),
    ],
)
def test_stack_action_for_each_state(status, kind, hint) -> None:
    action = plan.stack_action("s", status)
    assert action.kind == kind
    assert hint in action.message
    if kind == "REFUSE":
        assert status in action.message


def test_terminal_states() -> None:
    assert plan.is_terminal("UPDATE_COMPLETE") and plan.is_terminal("ROLLBACK_COMPLETE")
    assert not plan.is_terminal("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    assert not plan.is_terminal("REVIEW_IN_PROGRESS")


# --- create-only properties: the schemas agree with AWS's resource reference -------------------
# The AWS::Timestream::InfluxDBInstance page of the CloudFormation User Guide marks these properties
# "Update requires: Replacement"; the schema's createOnlyProperties must say the same.


def test_create_only_properties_of_the_instance_are_designs_list() -> None:
    assert set(plan.create_only_properties(PROTECTED)[INSTANCE]) == {
        "Name",
        "Username",
        "Password",
        "Organization",
        "Bucket",
        "VpcSubnetIds",
        "VpcSecurityGroupIds",
        "PubliclyAccessible",
        "NetworkType",
    }
    assert plan.create_only_properties(PROTECTED)[SECRET] == ("Name",)


# --- change-set analysis ---------------------------------------------------------------------------


def test_in_place_changes_are_no_data_loss(product) -> None:
    changes = [
        change(
            "InfluxDBInstance",
            INSTANCE,
            details=[detail("DbInstanceType", "ParameterReference", "DbInstanceClass", "Never")],
        ),
        change(
            "LambdaClientSecurityGroup",
            SG,
            details=[detail("Tags", "ParameterReference", "Environment", "Never")],
        ),
        change("CpuUtilizationAlarm", "AWS::CloudWatch::Alarm", action="Add"),
    ]
    analysis = analyse(changes, product)
    assert analysis.data_loss == []
    assert [r.logical_id for r in analysis.rows] == [
        "InfluxDBInstance",
        "LambdaClientSecurityGroup",
        "CpuUtilizationAlarm",
    ]


def test_replacement_names_the_causing_parameter(product) -> None:
    changes = [
        change(
            "InfluxDBInstance",
            INSTANCE,
            replacement="True",
            details=[detail("Name", "ParameterReference", "ProjectName")],
        ),
        change(
            "CredentialsSecret",
            SECRET,
            replacement="True",
            details=[detail("Name", "ParameterReference", "ProjectName")],
        ),
        change(
            "LambdaClientSecurityGroup",
            SG,
            details=[detail("Tags", "ParameterReference", "ProjectName", "Never")],
        ),
    ]
    analysis = analyse(changes, product)
    assert [(loss.logical_id, loss.what, loss.parameters) for loss in analysis.data_loss] == [
        ("InfluxDBInstance", "replace", ("ProjectName",)),
        ("CredentialsSecret", "replace", ("ProjectName",)),
    ]
    assert analysis.causing_parameters() == ["ProjectName"]
    assert plan.describe_loss(analysis.data_loss[0]) == (
        "replace InfluxDBInstance (AWS::Timestream::InfluxDBInstance): caused by parameter(s) ProjectName"
    )


def test_conditional_replacement_through_a_replaced_security_group_is_traced_to_vpc_id(product) -> None:
    changes = [
        change(
            "InfluxDBSecurityGroup",
            SG,
            replacement="True",
            details=[detail("VpcId", "ParameterReference", "VpcId")],
        ),
        change(
            "InfluxDBInstance",
            INSTANCE,
            replacement="Conditional",
            details=[
                detail(
                    "VpcSecurityGroupIds",
                    "ResourceAttribute",
                    "InfluxDBSecurityGroup.GroupId",
                    "Always",
                    "Dynamic",
                )
            ],
        ),
    ]
    (loss,) = analyse(changes, product).data_loss
    assert (loss.logical_id, loss.parameters) == ("InfluxDBInstance", ("VpcId",))


def test_a_create_only_property_counts_even_without_requires_recreation(product) -> None:
    changes = [
        change(
            "InfluxDBInstance",
            INSTANCE,
            replacement="Conditional",
            details=[detail("Bucket", "ParameterReference", "Bucket", recreation=None)],
        ),
    ]
    (loss,) = analyse(changes, product).data_loss
    assert loss.parameters == ("Bucket",)


def test_an_undetailed_replacement_falls_back_to_changed_parameters_reaching_create_only_properties(
    product,
) -> None:
    changes = [change("InfluxDBInstance", INSTANCE, replacement="True")]
    (loss,) = analyse(changes, product, changed_parameters={"Password", "DbInstanceClass"}).data_loss
    assert loss.parameters == ("Password",)


def test_a_template_edit_is_named_when_no_parameter_causes_it(product) -> None:
    changes = [
        change(
            "InfluxDBInstance",
            INSTANCE,
            replacement="True",
            details=[detail("Organization", "DirectModification", "")],
        )
    ]
    (loss,) = analyse(changes, product).data_loss
    assert loss.parameters == () and loss.reasons == ("the template changes Organization",)


def test_removal_of_a_conditional_resource_names_its_condition_parameters(product) -> None:
    changes = [
        change("KmsKey", "AWS::KMS::Key", action="Remove"),
        change("AdminPasswordSecret", SECRET, action="Remove"),
    ]
    losses = analyse(changes, product, changed_parameters={"StorageEncrypted", "Password"}).data_loss
    # The admin password secret has no condition (it exists whatever Password is): no parameter
    # explains its removal.
    assert [(loss.logical_id, loss.what, loss.parameters) for loss in losses] == [
        ("KmsKey", "delete", ("StorageEncrypted",)),
        ("AdminPasswordSecret", "delete", ()),
    ]
    assert "its condition CreateKmsKey becomes false" in losses[0].reasons


def test_removal_of_a_resource_the_template_dropped(product) -> None:
    (loss,) = analyse([change("OldSecret", SECRET, action="Remove")], product).data_loss
    assert loss.reasons == ("the new template no longer has this resource",)


def test_changed_parameters_compares_stack_values_and_counts_new_secrets() -> None:
    previous = [
        {"ParameterKey": "A", "ParameterValue": "1"},
        {"ParameterKey": "Password", "ParameterValue": "****"},
    ]
    new = [
        {"ParameterKey": "A", "ParameterValue": "2"},
        {"ParameterKey": "Password", "UsePreviousValue": True},
        {"ParameterKey": "B", "ParameterValue": "x"},
    ]
    assert plan.changed_parameters(previous, new) == {"A", "B"}
    new[1] = {"ParameterKey": "Password", "ParameterValue": "new"}
    assert plan.changed_parameters(previous, new, secrets={"Password"}) == {"A", "B", "Password"}


def test_referenced_parameters_follow_sub_if_and_conditions(product) -> None:
    instance = product["Resources"]["InfluxDBInstance"]["Properties"]
    assert plan.referenced_parameters(instance["Name"], product) == {"ProjectName", "Environment"}
    assert plan.referenced_parameters(instance["Password"], product) == {"Password"}


def test_table_is_aligned() -> None:
    rows = [
        plan.Row("Modify", "InfluxDBInstance", INSTANCE, "True"),
        plan.Row("Add", "Alarm", "AWS::CloudWatch::Alarm", ""),
    ]
    assert plan.table(rows).splitlines() == [
        "Action  Logical id        Type                               Replacement",
        "------  ----------------  ---------------------------------  -----------",
        "Modify  InfluxDBInstance  AWS::Timestream::InfluxDBInstance  True",
        "Add     Alarm             AWS::CloudWatch::Alarm             -",
    ]


# --- stack policy ----------------------------------------------------------------------------------


def test_stack_policy_protects_every_instance_secret_and_key_of_the_template(product) -> None:
    policy = plan.stack_policy(product, PROTECTED)
    allow, deny = policy["Statement"]
    assert allow == {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
    assert deny["Effect"] == "Deny" and deny["Action"] == ["Update:Replace", "Update:Delete"]
    expected = {
        f"LogicalResourceId/{logical_id}"
        for type_ in PROTECTED
        for logical_id in resources_of_type(product, type_)
    }
    assert set(deny["Resource"]) == expected
    assert {
        "LogicalResourceId/InfluxDBInstance",
        "LogicalResourceId/KmsKey",
        "LogicalResourceId/TokenSecret",
    } <= expected


def test_stack_policy_follows_renamed_resources(product) -> None:
    renamed = {"Resources": {"Db": {"Type": INSTANCE}, "Sg": {"Type": SG}, "S": {"Type": SECRET}}}
    assert plan.stack_policy(renamed, PROTECTED)["Statement"][1]["Resource"] == [
        "LogicalResourceId/Db",
        "LogicalResourceId/S",
    ]


def test_a_create_only_property_change_is_a_replacement_whatever_the_replacement_field_says(product) -> None:
    changes = [
        change(
            "InfluxDBInstance",
            INSTANCE,
            replacement="False",
            details=[detail("Username", "ParameterReference", "Username", recreation="Never")],
        )
    ]
    (loss,) = analyse(changes, product).data_loss
    assert (loss.what, loss.parameters) == ("replace", ("Username",))


def test_retention_decreases_compare_numbers_and_skip_what_cannot_be_compared() -> None:
    from tooling.deploy.plan import RetentionDecrease, retention_decreases

    def p(key, value=None, previous=False):
        return (
            {"ParameterKey": key, "UsePreviousValue": True}
            if previous
            else {"ParameterKey": key, "ParameterValue": value}
        )

    before = [p("A", "14"), p("B", "9"), p("C", "7"), p("D", "x"), p("Other", "10")]
    new = [p("A", "7"), p("B", "10"), p("C", previous=True), p("D", "1"), p("Other", "1")]
    # "9" -> "10" is a raise (compared as numbers, not strings); Other is not a retention parameter.
    assert retention_decreases(before, new, ["A", "B", "C", "D"]) == [RetentionDecrease("A", "14", "7")]
    assert retention_decreases([], new, ["A"]) == []  # a new stack lowers nothing

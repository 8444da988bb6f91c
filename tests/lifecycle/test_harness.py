"""The harness itself, on a small template whose function answers as its properties say."""

from __future__ import annotations

import contextlib
import json
import os

import pytest

from lifecycle.aws import FakeLambda, environment, secretsmanager
from lifecycle.harness import Stack, deletion_orders

ECHO = """
import json, os, urllib.request
INVOCATIONS = []

def handler(event, context):
    INVOCATIONS.append(event["RequestType"])
    props = event["ResourceProperties"]
    if props.get("Crash") == "true":
        raise RuntimeError("unhandled")
    data = {"Greeting": os.environ.get("GREETING", "")}
    if props.get("Invoke") == "true":
        import boto3

        answer = boto3.client("lambda").invoke(FunctionName=os.environ["WORKER"], Payload=json.dumps({"n": 2}))
        data["Worker"] = json.loads(answer["Payload"].read())
    status = "FAILED" if props.get("Fail") == event["RequestType"] else "SUCCESS"
    pid = props.get("Pid") if event["RequestType"] != "Delete" else None
    body = {
        "Status": status, "Reason": "as asked",
        "PhysicalResourceId": pid or event.get("PhysicalResourceId") or context.log_stream_name,
        "Data": data,
        **{k: event[k] for k in ("StackId", "RequestId", "LogicalResourceId")},
    }
    req = urllib.request.Request(event["ResponseURL"], json.dumps(body).encode(), method="PUT")
    urllib.request.urlopen(req, timeout=5).close()
"""


def template(**a_props):
    token = {"Fn::GetAtt": ["Fn", "Arn"]}
    return {
        "Parameters": {
            "Flag": {"Type": "String", "Default": "yes"},
            "Pid": {"Type": "String", "Default": "p1"},
        },
        "Conditions": {"On": {"Fn::Equals": [{"Ref": "Flag"}, "yes"]}},
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {"ZipFile": ECHO},
                    "Timeout": 10,
                    "Environment": {
                        "Variables": {
                            "GREETING": {"Fn::Sub": "hello ${AWS::StackName}"},
                            "WORKER": {"Ref": "Worker"},
                        }
                    },
                },
            },
            "Worker": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {
                        "ZipFile": "import os\ndef handler(event, context):\n    return {'n2': event['n'] * 2, 'env': os.environ['LEVEL']}\n"
                    },
                    "Environment": {"Variables": {"LEVEL": "inner"}},
                },
            },
            "A": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": token, "Pid": {"Ref": "Pid"}, **a_props},
            },
            "B": {
                "Type": "Custom::Thing",
                "Condition": "On",
                "DependsOn": "A",
                "Properties": {"ServiceToken": token, "ServiceTimeout": 70, "Pid": "b"},
            },
            "C": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": token, "Pid": "c", "Of": {"Ref": "A"}},
            },
        },
    }


@pytest.fixture
def stack():
    with Stack(template()) as s:
        yield s


def test_deletion_orders_are_those_the_dependencies_allow(stack):
    assert list(deletion_orders({"A": set(), "B": {"A"}, "C": {"A"}})) == [["B", "C", "A"], ["C", "B", "A"]]
    stack.create()
    assert list(stack.deletion_orders()) == [["B", "C", "A"], ["C", "B", "A"]]
    with pytest.raises(AssertionError):
        stack.delete(order=["A", "B", "C"])
    op = stack.delete(order=["C", "B", "A"])
    assert [r.resource for r in op.requests] == ["C", "B", "A"] and op.status == "DELETE_COMPLETE"


def test_a_non_custom_resource_is_ordered_among_them_and_its_deletion_hooked(stack):
    stack.create()
    # Every custom resource reaches Worker through its ServiceToken: Fn's environment names it.
    assert list(stack.deletion_orders(also=["Worker"])) == [
        ["B", "C", "A", "Worker"],
        ["C", "B", "A", "Worker"],
    ]
    deleted = []
    with pytest.raises(AssertionError):
        stack.delete(order=["Worker", "B", "C", "A"], on_delete={"Worker": lambda: deleted.append("Worker")})
    assert deleted == []
    invocations = stack.module("Fn").INVOCATIONS

    def worker_deleted():
        deleted.append(invocations.count("Delete"))

    op = stack.delete(order=["C", "B", "A", "Worker"], on_delete={"Worker": worker_deleted})
    assert [r.resource for r in op.requests] == ["C", "B", "A"] and op.status == "DELETE_COMPLETE"
    assert deleted == [3]  # run once, where the order puts it: after the three Deletes


def test_create_resolves_references_to_physical_ids_and_sets_the_environment(stack):
    op = stack.create()
    assert op.of("C")[0].event["ResourceProperties"]["Of"] == "p1"
    assert op.of("B")[0].event["ResourceProperties"]["ServiceTimeout"] == "70"
    assert op.of("A")[0].answer["Data"] == {"Greeting": "hello test"}


def test_a_condition_turning_false_deletes_and_turning_true_creates(stack):
    stack.create()
    assert stack.update({"Flag": "no"}).calls == [("cleanup", "Delete", "B")]
    assert "B" not in stack.live
    assert stack.update({"Flag": "yes"}).calls == [("forward", "Create", "B")]


def test_a_new_physical_id_updates_dependents_and_deletes_the_old_id_last(stack):
    stack.create()
    op = stack.update({"Pid": "p2"})
    assert op.calls == [("forward", "Update", "A"), ("forward", "Update", "C"), ("cleanup", "Delete", "A")]
    assert op.of("C")[0].event["OldResourceProperties"]["Of"] == "p1"
    assert op.of("A")[1].event["PhysicalResourceId"] == "p1"


def test_an_unhandled_error_is_retried_twice_then_the_create_times_out():
    with Stack(template(Crash="true")) as stack:
        op = stack.create()
        assert op.of("A")[0].answer is None  # ServiceTimeout expired (simulated)
        assert stack.module("Fn").INVOCATIONS == ["Create"] * 3 + ["Delete"] * 3
        assert op.status == "ROLLBACK_FAILED"


def test_an_update_failing_in_its_own_answer_rolls_back_what_was_updated():
    # A fails an Update whose properties ask it to: the forward update, not the rollback.
    with Stack(template(Fail={"Fn::If": ["On", "none", "Update"]})) as stack:
        stack.create()
        op = stack.update({"Flag": "no"})
        assert op.status == "UPDATE_ROLLBACK_COMPLETE"
        assert op.calls == [("forward", "Update", "A"), ("rollback", "Update", "A")]
        assert op.of("A")[1].event["ResourceProperties"]["Fail"] == "none"
        assert set(stack.live) == {"A", "B", "C"}  # B's deletion waited for a cleanup that never came


def test_a_rollback_update_that_fails_too_leaves_update_rollback_failed():
    with Stack(template(Fail="Update")) as stack:
        stack.create()
        assert stack.update({"Pid": "p2"}).status == "UPDATE_ROLLBACK_FAILED"


def test_a_function_invoking_another_gets_its_inlined_code_through_the_lambda_fake():
    with Stack(template(Invoke="true")) as stack:
        stack.clients["lambda"] = client = stack.lambda_client("Worker")
        op = stack.create()
        assert op.of("A")[0].answer["Data"]["Worker"] == {"n2": 4, "env": "inner"}
        assert client.invocations[0] == ("test-Worker-SAMPLE", {"n": 2})


def test_fake_lambda_answers_like_a_request_response_invoke():
    def worker(event, context):
        if event.get("fail"):
            raise ValueError("bad request")
        return {"echo": event["x"], "remaining": context.get_remaining_time_in_millis() > 0}

    client = FakeLambda({"worker": worker})
    answer = client.invoke(
        FunctionName="arn:aws:lambda:us-east-1:123456789012:function:worker", Payload=b'{"x": 1}'
    )
    assert "FunctionError" not in answer and json.loads(answer["Payload"].read()) == {
        "echo": 1,
        "remaining": True,
    }
    failed = client.invoke(FunctionName="worker", Payload=json.dumps({"fail": True}))
    assert failed["FunctionError"] == "Unhandled" and failed["StatusCode"] == 200
    assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="other")


def test_secrets_manager_is_moto_in_process():
    with secretsmanager() as sm:
        arn = sm.create_secret(Name="token", SecretString="t0")["ARN"]
        sm.put_secret_value(SecretId=arn, SecretString="t1")
        assert sm.get_secret_value(SecretId=arn)["SecretString"] == "t1"


def test_a_resource_created_by_a_failed_update_is_deleted_in_the_rollback_cleanup(stack):
    stack.create({"Flag": "no"})
    op = stack.update_that_fails({"Flag": "yes"})
    assert op.calls == [("forward", "Create", "B"), ("rollback-cleanup", "Delete", "B")]
    assert op.status == "UPDATE_ROLLBACK_COMPLETE" and "B" not in stack.live


def test_a_resource_removed_with_its_function_is_deleted_by_the_old_function():
    old = template()
    old["Resources"]["Fn2"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Code": {"ZipFile": ECHO.replace("as asked", "old code")}, "Timeout": 10},
    }
    old["Resources"]["D"] = {
        "Type": "Custom::Thing",
        "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn2", "Arn"]}, "Pid": "d"},
    }
    with Stack(old) as stack:
        stack.create()
        op = stack.update(template=template())
        assert op.calls == [("cleanup", "Delete", "D")]
        assert op.requests[0].answer["Reason"] == "old code" and "D" not in stack.live


@pytest.mark.parametrize("fails", [False, True], ids=["returns", "raises"])
def test_a_function_s_environment_is_undone_whatever_the_function_did_to_it(monkeypatch, fails):
    """What ``mock.patch.dict(os.environ, ...)`` guarantees: the variables given, and every one
    the block sets, changes or removes, are as they were after it."""
    monkeypatch.setenv("KEPT", "kept")
    monkeypatch.setenv("CHANGED", "before")
    monkeypatch.setenv("REMOVED", "before")
    monkeypatch.delenv("ADDED", raising=False)
    monkeypatch.delenv("GIVEN", raising=False)
    before = dict(os.environ)
    with contextlib.suppress(RuntimeError), environment({"GIVEN": "given", "CHANGED": "given"}):
        assert os.environ["GIVEN"] == os.environ["CHANGED"] == "given"
        os.environ["ADDED"] = "added"
        os.environ["KEPT"] = "overwritten"
        del os.environ["REMOVED"]
        if fails:
            raise RuntimeError("the function failed")
    assert dict(os.environ) == before

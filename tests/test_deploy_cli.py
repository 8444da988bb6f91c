"""``build.py deploy`` and ``build.py restore`` on the command line: the documented exit codes, one
line (never a traceback) for any failure talking to AWS, and no hang on an endpoint that does not
answer. AWS is a botocore Stubber, or a local TCP server on 127.0.0.1 that never answers, or a
closed port; each test stops the server it starts.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from conftest import ROOT
from tests.test_deploy_stubbed import ACCOUNT, caller_is
from tooling import aws
from tooling import cli as build
from tooling.deploy import plan
from tooling.deploy.runner import load_template

STACK = "ons-influxdb-development"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1a2b3c4d"
CS_ID = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/deploy-x/5e6f7a8b"
PARAMS = str(ROOT / "params" / "development.json")
TEMPLATE = ROOT / "output" / "timestream-influxdb.yaml"
BUCKET = "ons-templates"
DEPLOY = ["deploy", "--stack-name", STACK, "--params", PARAMS, "--s3-bucket", BUCKET, "--poll-seconds", "0"]
PROTECTED = ("AWS::Timestream::InfluxDBInstance",)


@pytest.fixture
def stubbed(monkeypatch):
    """``aws.clients`` answers Stubber-wrapped S3 and CloudFormation clients; the bucket holds the template."""
    kw = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    s3, cf = boto3.client("s3", **kw), boto3.client("cloudformation", **kw)
    sts = caller_is(ACCOUNT)
    monkeypatch.setattr(
        aws, "clients", lambda target: {"s3": s3, "cloudformation": cf, "sts": sts}.__getitem__
    )
    monkeypatch.delenv("INFLUXDB_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("INFLUXDB_TOKEN", raising=False)
    with Stubber(s3) as s3_stub, Stubber(cf) as cf_stub:
        s3_stub.add_response(
            "head_bucket", {"BucketRegion": "us-east-1"}, {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT}
        )
        body = TEMPLATE.read_bytes()
        s3_stub.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentLength": len(body)},
            {"Bucket": BUCKET, "Key": ANY, "ExpectedBucketOwner": ACCOUNT},
        )
        stack = {"StackName": STACK, "StackId": STACK_ID, "CreationTime": "2026-11-24T12:00:00Z"}
        cf_stub.add_response(
            "describe_stacks", {"Stacks": [{**stack, "StackStatus": "UPDATE_COMPLETE"}]}, {"StackName": STACK}
        )
        yield cf, cf_stub
        cf_stub.assert_no_pending_responses()


def no_changes(cf_stub) -> None:
    cf_stub.add_response("create_change_set", {"Id": CS_ID, "StackId": STACK_ID})
    cf_stub.add_response(
        "describe_change_set",
        {"Status": "FAILED", "StatusReason": "The submitted information didn't contain changes."},
    )
    cf_stub.add_response("delete_change_set", {})
    from templates_src.registry import TEMPLATES

    wanted = plan.stack_policy(load_template(TEMPLATE), TEMPLATES["timestream-influxdb"].protected_types)
    cf_stub.add_response("get_stack_policy", {"StackPolicyBody": plan.policy_json(wanted)})


def test_exit_0_when_the_stack_is_up_to_date(stubbed, capsys) -> None:
    _, cf_stub = stubbed
    no_changes(cf_stub)
    assert build.main(DEPLOY) == 0
    assert f"no changes: stack {STACK} is up to date" in capsys.readouterr().out


def test_exit_1_and_one_line_on_a_cloudformation_error(stubbed, capsys) -> None:
    _, cf_stub = stubbed
    cf_stub.add_client_error("create_change_set", "ValidationError", "Template format error: bad", 400)
    assert build.main(DEPLOY) == 1
    err = capsys.readouterr().err
    assert (
        err == "build.py deploy: AWS refused CreateChangeSet (ValidationError: Template format error: bad)\n"
    )


def test_exit_2_on_an_invalid_parameter_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('["Environment=nope"]')
    argv = ["deploy", "--stack-name", STACK, "--params", str(bad), "--s3-bucket", BUCKET]
    assert build.main(argv) == 2
    assert "nothing was sent to AWS" in capsys.readouterr().out


def test_exit_130_when_interrupted_while_waiting(stubbed, capsys) -> None:
    cf, cf_stub = stubbed
    cf_stub.add_response("create_change_set", {"Id": CS_ID, "StackId": STACK_ID})
    cf_stub.add_response("describe_change_set", {"Status": "CREATE_PENDING"})

    def interrupt(**kwargs):
        raise KeyboardInterrupt

    cf.meta.events.register("after-call.cloudformation.DescribeChangeSet", interrupt)
    assert build.main(DEPLOY) == 130
    assert "interrupted before executing: the stack's resources are unchanged" in capsys.readouterr().out


def test_a_missing_profile_is_one_line_and_exit_1(capsys, monkeypatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    assert build.main([*DEPLOY, "--profile", "no-such-profile"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-profile" in err and "--profile" in err


# --- the network: a black hole and a closed port, through the real command line ----------------------


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def offline_env() -> dict[str, str]:
    """Fake credentials and nothing else: no profile, no instance metadata, no real endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INFLUXDB_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE="/nonexistent/config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_cli(*argv: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *argv],
        capture_output=True,
        text=True,
        env=offline_env(),
        timeout=90,
        cwd=ROOT,
    )
    return done, time.monotonic() - started


def deploy_argv(endpoint: str) -> list[str]:
    return [*DEPLOY, "--region", "us-east-1", "--endpoint-url", endpoint]


def restore_argv(endpoint: str) -> list[str]:
    return ["restore", STACK, "--list", "--region", "us-east-1", "--endpoint-url", endpoint]


@pytest.mark.slow
@pytest.mark.parametrize("argv", [deploy_argv, restore_argv], ids=["deploy", "restore"])
def test_a_closed_port_is_one_line(argv) -> None:
    done, seconds = run_cli(*argv(closed_port()))
    assert seconds < 30, f"took {seconds:.0f} s"
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    line = done.stderr.strip()
    assert "\n" not in line and "cannot reach AWS" in line


def test_a_parameter_file_of_another_product_without_template_is_refused_naming_it(tmp_path, capsys) -> None:
    """An InfluxDB 3 file given without --template would meet the instance template and read as
    "not a parameter" errors; the command names the template that takes it instead (exit 2)."""
    v3 = tmp_path / "v3.json"
    v3.write_text('["ProjectName=ons", "Engine=Enterprise", "S3PrefixListId=pl-0123456789abcdef0"]')
    argv = ["deploy", "--stack-name", STACK, "--params", str(v3), "--s3-bucket", BUCKET]
    assert build.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Engine, S3PrefixListId" in err
    assert f"add --template {build.OUTPUT_DIR / 'timestream-influxdb3.yaml'}" in err
    # The same for preflight, which takes the same --template default.
    assert build.main(["preflight", "--params", str(v3)]) == 2
    assert "timestream-influxdb3.yaml" in capsys.readouterr().err


def test_the_default_template_is_kept_for_its_own_files_and_an_explicit_one_always(monkeypatch):
    from tooling.deploy import runner

    read = []
    monkeypatch.setattr(
        runner, "load_template", lambda path, load=runner.load_template: read.append(path) or load(path)
    )
    instance = ROOT / "params" / "production.json"
    assert build.template_for(None, instance) == build.DEFAULT_TEMPLATE
    assert read == [build.DEFAULT_TEMPLATE]  # no other product's template is read for its own file
    assert build.template_for("x.yaml", instance).name == "x.yaml"
    # Keys no template has: the default template's own check names them.
    assert build.template_for(None, ROOT / "pyproject.toml") == build.DEFAULT_TEMPLATE

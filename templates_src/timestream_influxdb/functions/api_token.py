"""Custom resource: the InfluxDB API token of the Lambda clients, read and write on the bucket only.

No AWS API returns an InfluxDB token. This function runs outside the VPC, so it can always answer
CloudFormation (the ResponseURL is a pre-signed Amazon S3 URL); it reads the admin password from
the admin password secret, keeps the token in the token secret, and invokes the token worker
(functions/token_worker.py, in the VPC) for the InfluxDB HTTP calls.

Its configuration comes from its own environment, set by the template: INFLUXDB_URL,
INFLUXDB_USERNAME, INFLUXDB_ORG, INFLUXDB_BUCKET, ADMIN_PASSWORD_SECRET_ARN, TOKEN_SECRET_ARN,
WORKER_FUNCTION_NAME, STACK_ID. A request whose Url, Org, Bucket or TokenSecretArn differ from
them, or from another stack, is refused, so whoever may invoke the function can neither send the
admin credentials elsewhere nor get a token for another bucket; a ResponseURL that is not an https
Amazon S3 URL gets no answer.

Idempotent and rollback-safe: the physical id is stable ("<stack name>-<LogicalResourceId>"), so
CloudFormation never deletes a "replaced" token; every authorization carries the marker
"<StackId> <LogicalResourceId>" as its description. Create and Update keep the authorization the
token secret holds when it still fits, else make one, store it, and revoke every other marked
one (a new token that cannot be stored is revoked). Delete revokes every marked authorization,
best effort. The instance reached is always the current one (INFLUXDB_URL).

Properties: Url (https://endpoint:port), Org, Bucket, TokenSecretArn.
"""

import json
import os
import re
import time
import urllib.parse

import boto3
import botocore.config
from botocore.exceptions import ClientError

from .cfn_response import properties, run

PROPERTIES = ("Url", "Org", "Bucket", "TokenSecretArn")
#: Seconds to wait before the first sign-in to an instance that may have just turned AVAILABLE, as
#: AWS's own rotation functions for Timestream for InfluxDB do.
SETTLE = 30
#: Seconds to wait for the worker's answer: its own timeout (the template's 90 s) plus the start of
#: a function in a VPC, so the worker always ends before the wait does.
INVOKE_TIMEOUT = 105
#: Seconds to wait for an Inactive worker to become Active again. Lambda makes a VPC function that
#: was not invoked for weeks Inactive; its next invocation fails (ResourceNotReadyException, or
#: ResourceConflictException while it is Pending) until its network interfaces are made again
#: ("Lambda function states", AWS Lambda developer guide). The worker only runs during stack
#: operations, so it is often Inactive when one comes.
ACTIVATE_SECONDS = 90
NOT_READY = ("ResourceNotReadyException", "ResourceConflictException")
# POST /api/v2/authorizations is not idempotent: an invocation is never repeated by the SDK.
INVOKE_CONFIG = botocore.config.Config(
    read_timeout=INVOKE_TIMEOUT, connect_timeout=10, retries={"total_max_attempts": 1}
)
#: Host names of Amazon S3 (virtual-hosted or path style, Regional or not, China included).
S3_HOST = re.compile(r"(^|\.)s3[.-]([a-z0-9-]+\.)*amazonaws\.com(\.cn)?$")
# An authorization id in InfluxDB: 16 hex digits; the physical id of this resource made before
# the marker existed.
LEGACY_ID = re.compile(r"^[0-9a-f]{16}$")


def configuration():
    """The function's configuration, from its environment (set by the template)."""
    names = ("INFLUXDB_URL", "INFLUXDB_USERNAME", "INFLUXDB_ORG", "INFLUXDB_BUCKET")
    more = ("ADMIN_PASSWORD_SECRET_ARN", "TOKEN_SECRET_ARN", "WORKER_FUNCTION_NAME", "STACK_ID")
    return {name: os.environ[name] for name in (*names, *more)}


def response_url_ok(url):
    """Whether ``url`` is an https Amazon S3 URL, as CloudFormation's pre-signed ResponseURL is."""
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme == "https" and bool(S3_HOST.search(parsed.hostname or ""))


def physical_id(event):
    """The same for every request of this resource in this stack: CloudFormation never replaces it."""
    return event["StackId"].split("/")[1] + "-" + event["LogicalResourceId"]


def check(props, config):
    """Refuse a request whose endpoint, organization, bucket or secret is not the configured one."""
    expected = {
        "Url": config["INFLUXDB_URL"],
        "Org": config["INFLUXDB_ORG"],
        "Bucket": config["INFLUXDB_BUCKET"],
        "TokenSecretArn": config["TOKEN_SECRET_ARN"],
    }
    wrong = [name for name, value in expected.items() if props[name] != value]
    if wrong:
        raise ValueError("refused: not this stack's " + ", ".join(wrong))


class Worker:
    """The token worker, invoked synchronously; ``call`` returns its result or raises its error."""

    def __init__(self, client, config, password, description):
        self.client, self.name = client, config["WORKER_FUNCTION_NAME"]
        self.base = {
            "url": config["INFLUXDB_URL"],
            "username": config["INFLUXDB_USERNAME"],
            "password": password,
            "description": description,
        }

    def call(self, action, **fields):
        payload = json.dumps({**self.base, "org": "", "bucket": "", "keep": "", **fields, "action": action})
        answer = self.invoke(payload)
        result = json.loads(answer["Payload"].read() or "null")
        if answer.get("FunctionError") or not isinstance(result, dict) or "error" in result:
            # An unhandled error (the worker's timeout) carries errorType and errorMessage only.
            error = (
                (result.get("error") or result.get("errorMessage")) if isinstance(result, dict) else result
            )
            raise RuntimeError(f"token worker, {action}: {error}")
        return result

    def invoke(self, payload):
        """Invoke the worker; an Inactive or Pending worker is waited for, then invoked again (the
        failed invocation never ran, so nothing is repeated)."""
        try:
            return self.client.invoke(
                FunctionName=self.name, InvocationType="RequestResponse", Payload=payload
            )
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") not in NOT_READY:
                raise
            print("token worker not ready, waiting:", e.response["Error"]["Code"])
        waiter = self.client.get_waiter("function_active_v2")
        waiter.wait(FunctionName=self.name, WaiterConfig={"Delay": 5, "MaxAttempts": ACTIVATE_SECONDS // 5})
        return self.client.invoke(FunctionName=self.name, InvocationType="RequestResponse", Payload=payload)


def stored_token(secrets, arn):
    """The token the token secret holds; "" when the secret has no value yet."""
    try:
        return secrets.get_secret_value(SecretId=arn)["SecretString"]
    except secrets.exceptions.ResourceNotFoundException:
        return ""


def act(event, context, config=None, secrets=None, lam=None):
    config = config or configuration()
    if event["StackId"] != config["STACK_ID"]:
        raise ValueError("refused: request from another stack")
    secrets = secrets or boto3.client("secretsmanager")
    lam = lam or boto3.client("lambda", config=INVOKE_CONFIG)
    marker = f"{event['StackId']} {event['LogicalResourceId']}"

    def worker():
        password = secrets.get_secret_value(SecretId=config["ADMIN_PASSWORD_SECRET_ARN"])["SecretString"]
        return Worker(lam, config, password, marker)

    if event["RequestType"] == "Delete":
        # The request's Url and secret are not used: they may name an instance replaced meanwhile.
        pid = event.get("PhysicalResourceId", "")
        try:
            if LEGACY_ID.match(pid):
                # The authorization id, as this resource's physical id was before the marker existed:
                # an Update replaced it by the stable id, and the marked successor must live on.
                org, bucket = config["INFLUXDB_ORG"], config["INFLUXDB_BUCKET"]
                revoked = worker().call("revoke_ids", org=org, bucket=bucket, ids=[pid])
            else:
                revoked = worker().call("revoke")
            print("revoked:", revoked["revoked"])
        except Exception as e:
            # Best effort: a failed revocation must not block the stack's deletion; it is said in
            # the answer's reason, which the stack events show.
            print("not revoked:", e)
            return None, {}, f"token not revoked ({type(e).__name__}): revoke it on the instance"
        return None, {}  # None: the request's own physical id
    props = properties(event, PROPERTIES)
    check(props, config)
    old_url = (event.get("OldResourceProperties") or {}).get("Url")
    if event["RequestType"] == "Create" or old_url != props["Url"]:
        time.sleep(SETTLE)  # a new instance
    work = worker()
    keep = stored_token(secrets, config["TOKEN_SECRET_ARN"])
    result = work.call("ensure", org=props["Org"], bucket=props["Bucket"], keep=keep)
    if result["created"]:
        try:
            secrets.put_secret_value(SecretId=config["TOKEN_SECRET_ARN"], SecretString=result["token"])
        except Exception:
            # The write may have happened with its answer lost: keep what the secret really holds.
            # A token nobody can read must not live on: revoke it (and any other not stored).
            try:
                held = stored_token(secrets, config["TOKEN_SECRET_ARN"])
            except Exception:
                held = keep
            if held != result["token"]:
                try:
                    work.call("revoke", keep=held)
                except Exception as e:
                    print("not revoked:", e)
                raise
        print("revoked:", work.call("revoke", keep=result["token"])["revoked"])
    print("authorization:", result["id"], "new" if result["created"] else "kept")
    return physical_id(event), {"AuthorizationId": result["id"]}


def handler(event, context):
    if not response_url_ok(event.get("ResponseURL", "")):
        print("refused: the ResponseURL is not an https Amazon S3 URL")
        return False
    return run(event, context, act)

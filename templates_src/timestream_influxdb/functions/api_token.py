"""Custom resource: the InfluxDB API token of the Lambda clients, read and write on the bucket only.

No AWS API returns an InfluxDB token. This function runs outside the VPC, so it can always answer
CloudFormation (the ResponseURL is a pre-signed Amazon S3 URL); it reads the admin password from
the admin password secret, keeps the token in the token secret, and invokes the token worker
(functions/token_worker.py, in the VPC) for the InfluxDB HTTP calls.

Its configuration comes from its own environment, set by the template: INFLUXDB_URL,
INFLUXDB_USERNAME, ADMIN_PASSWORD_SECRET_ARN, TOKEN_SECRET_ARN, ORG, BUCKET, WORKER_FUNCTION_NAME,
STACK_ID, LOGICAL_RESOURCE_ID. A request from another stack or for another resource, or (Create,
Update) whose Url, Org, Bucket or TokenSecretArn differ from them, is refused with no action, so
whoever may invoke the function can neither send the admin credentials elsewhere nor get a token
for another bucket into the clients' secret; a ResponseURL that is not an https Amazon S3 URL gets
no answer.

The worker runs in the VPC: idle for weeks, Lambda makes it Inactive ("Lambda function states" in
the Lambda documentation), and invoking it fails with ResourceNotReadyException (or, while its
network interface is being made again, ResourceConflictException) before it runs. The invocation
is then repeated once the worker is Active again (botocore's function_active_v2 waiter, within
ACTIVE_WAIT seconds): it never ran, so nothing is done twice.

Idempotent and rollback-safe: the physical id is stable ("<stack name>-<LogicalResourceId>"), so
CloudFormation never deletes a "replaced" token; every authorization carries the marker
"<StackId> <LogicalResourceId>" as its description. Create and Update keep the authorization the
token secret holds (its AWSCURRENT version) when it still fits, else make one, store it, and revoke
every other marked one (a new token that cannot be stored is revoked) - but the tokens of the
secret's AWSPREVIOUS and AWSPENDING versions, while they allow exactly read and write on the
bucket: the token rotation (functions/token_rotation.py) keeps the previous token alive for the
clients that cached it, and a rotation in progress has made the pending one. Delete revokes every marked authorization,
best effort: a failed revocation is named in the answer's Reason (still SUCCESS), so it shows
in the stack events. The instance reached is always the current one (INFLUXDB_URL). A Delete
revokes only while CloudFormation deletes this resource (cfn_response.deletion_of: the stack in a
status in which it deletes resources, and this resource DELETE_IN_PROGRESS or gone from the stack;
or a legacy id an Update replaced): a Delete sent by anyone else, at rest or during another
resource's clean-up, or when the status cannot be read, revokes nothing and says so.

Properties: Url (https://endpoint:port), Org, Bucket, TokenSecretArn.
"""

import os
import re
import time
import urllib.parse

import boto3

from .cfn_response import deletion_of, properties, run
from .worker_call import INVOKE_CONFIG, Worker

PROPERTIES = ("Url", "Org", "Bucket", "TokenSecretArn")
#: Seconds to wait before the first sign-in to an instance that may have just turned AVAILABLE, as
#: AWS's own rotation functions for Timestream for InfluxDB do.
SETTLE = 30
#: Worker invocations a Create or Update makes at most ("ensure", "revoke", and one more "revoke"
#: when the token cannot be stored); the template's Timeout covers them.
INVOCATIONS = 3
#: Host names of Amazon S3 (virtual-hosted or path style, Regional or not, China included).
S3_HOST = re.compile(r"(^|\.)s3[.-]([a-z0-9-]+\.)*amazonaws\.com(\.cn)?$")
# An authorization id in InfluxDB: 16 hex digits; the physical id of this resource made before
# the marker existed.
LEGACY_ID = re.compile(r"^[0-9a-f]{16}$")


def configuration():
    """The function's configuration, from its environment (set by the template)."""
    names = ("INFLUXDB_URL", "INFLUXDB_USERNAME", "ADMIN_PASSWORD_SECRET_ARN", "TOKEN_SECRET_ARN", "ORG")
    more = ("BUCKET", "WORKER_FUNCTION_NAME", "STACK_ID", "LOGICAL_RESOURCE_ID")
    return {name: os.environ[name] for name in (*names, *more)}


def response_url_ok(url):
    """Whether ``url`` is an https Amazon S3 URL, as CloudFormation's pre-signed ResponseURL is."""
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme == "https" and bool(S3_HOST.search(parsed.hostname or ""))


def physical_id(event):
    """The same for every request of this resource in this stack: CloudFormation never replaces it."""
    return event["StackId"].split("/")[1] + "-" + event["LogicalResourceId"]


def check_origin(event, config):
    """Refuse a request from another stack, or for another resource of this one."""
    if event["StackId"] != config["STACK_ID"]:
        raise ValueError("refused: request from another stack")
    if event["LogicalResourceId"] != config["LOGICAL_RESOURCE_ID"]:
        raise ValueError("refused: not this stack's token resource")


def check(props, config):
    """Refuse a request whose endpoint, org, bucket or secret is not the configured one (the names,
    not the values, are in the message)."""
    expected = {
        "Url": config["INFLUXDB_URL"],
        "Org": config["ORG"],
        "Bucket": config["BUCKET"],
        "TokenSecretArn": config["TOKEN_SECRET_ARN"],
    }
    wrong = [name for name, value in expected.items() if props[name] != value]
    if wrong:
        raise ValueError("refused: not this stack's " + ", ".join(wrong))


#: The staging labels, besides AWSCURRENT, whose tokens live on (Secrets Manager's rotation labels).
LIVE_STAGES = ("AWSPREVIOUS", "AWSPENDING")


def stored_token(secrets, arn, stage="AWSCURRENT"):
    """The token the token secret holds (its version labelled ``stage``, default AWSCURRENT: what
    clients read); "" when there is no such version or it has no value yet."""
    try:
        return secrets.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]
    except secrets.exceptions.ResourceNotFoundException:
        return ""


def live_tokens(secrets, arn):
    """The tokens of the secret's AWSPREVIOUS and AWSPENDING versions (those that have one)."""
    return [t for t in (stored_token(secrets, arn, stage) for stage in LIVE_STAGES) if t]


def act(event, context, config=None, secrets=None, lam=None, cloudformation=None):
    config = config or configuration()
    check_origin(event, config)
    secrets = secrets or boto3.client("secretsmanager")
    lam = lam or boto3.client("lambda", config=INVOKE_CONFIG)
    marker = f"{event['StackId']} {event['LogicalResourceId']}"

    def worker():
        password = secrets.get_secret_value(SecretId=config["ADMIN_PASSWORD_SECRET_ARN"])["SecretString"]
        base = {
            "url": config["INFLUXDB_URL"],
            "username": config["INFLUXDB_USERNAME"],
            "password": password,
            "description": marker,
            "org": "",
            "bucket": "",
            "keep": "",
        }
        return Worker(lam, config["WORKER_FUNCTION_NAME"], base, "token worker")

    if event["RequestType"] == "Delete":
        # The request's Url and secret are not used: they may name an instance replaced meanwhile.
        pid = event.get("PhysicalResourceId", "")
        try:
            verdict, why = deletion_of(event, cloudformation or boto3.client("cloudformation"))
        except Exception as e:
            # Fail closed: revoking on a request nobody can vouch for would cut every client off.
            print("stack status unreadable, nothing revoked:", e)
            return None, {}, f"SUCCESS, but nothing was revoked: the stack's status is unreadable: {e}"
        # The physical id is stable: CloudFormation deletes this resource only when the resource
        # itself goes, or (a legacy id) the one id an Update replaced.
        if verdict not in ("deleting", "gone") and not (verdict == "replaced" and LEGACY_ID.match(pid)):
            # Not CloudFormation's: it sends a Delete only while it deletes this resource.
            print("refused: a Delete while", why)
            return None, {}, f"SUCCESS, but nothing was revoked: {why}"
        try:
            if LEGACY_ID.match(pid):
                # The authorization id, as this resource's physical id was before the marker existed:
                # an Update replaced it by the stable id, and the marked successor must live on. The
                # configured org and bucket, not the request's: no invoker picks what is revoked.
                ids = [pid]
                revoked = worker().call("revoke_ids", org=config["ORG"], bucket=config["BUCKET"], ids=ids)
            else:
                revoked = worker().call("revoke")
            print("revoked:", revoked["revoked"])
        except Exception as e:
            # Best effort: an instance that is gone has nothing left to revoke, and a failed
            # revocation must not block the stack's deletion; the answer's Reason says so.
            print("not revoked:", e)
            return None, {}, f"SUCCESS, but the stack's InfluxDB authorizations were not revoked: {e}"
        return None, {}  # None: the request's own physical id
    props = properties(event, PROPERTIES)
    check(props, config)
    old_url = (event.get("OldResourceProperties") or {}).get("Url")
    if event["RequestType"] == "Create" or old_url != props["Url"]:
        time.sleep(SETTLE)  # a new instance
    work = worker()
    keep = stored_token(secrets, config["TOKEN_SECRET_ARN"])
    live = live_tokens(secrets, config["TOKEN_SECRET_ARN"])
    target = {"org": props["Org"], "bucket": props["Bucket"], "live": live}
    result = work.call("ensure", keep=keep, **target)
    if result["created"]:
        try:
            secrets.put_secret_value(SecretId=config["TOKEN_SECRET_ARN"], SecretString=result["token"])
        except Exception:
            if not unstored(work, secrets, config, result["token"], target):
                raise
        print("revoked:", work.call("revoke", keep=result["token"], **target)["revoked"])
    print("authorization:", result["id"], "new" if result["created"] else "kept")
    return physical_id(event), {"AuthorizationId": result["id"]}


def unstored(work, secrets, config, token, target):
    """After PutSecretValue raised: whether ``token`` is stored after all (an answer lost after the
    write). If not, revoke every marked authorization but the one the secret holds now (and the
    usable ``live`` ones of ``target``); if the secret cannot be read, revoke nothing (the next
    request converges)."""
    try:
        held = stored_token(secrets, config["TOKEN_SECRET_ARN"])
    except Exception as e:
        print("token secret unreadable, nothing revoked:", e)
        return False
    if held == token:
        print("the token was stored although PutSecretValue failed")
        return True
    # A token nobody can read must not live on: revoke it (and any other not stored).
    try:
        work.call("revoke", keep=held, **target)
    except Exception as e:
        print("not revoked:", e)
    return False


def handler(event, context):
    if not response_url_ok(event.get("ResponseURL", "")):
        print("refused: the ResponseURL is not an https Amazon S3 URL")
        return False
    return run(event, context, act)

"""Custom resource: the InfluxDB 3 database of the Lambda clients and, on Enterprise, their token.

Runs outside the VPC, so it can always answer CloudFormation (the ResponseURL is a pre-signed
Amazon S3 URL); it reads the admin token from the secret the service made for the cluster (the
cluster's InfluxAuthParametersSecretArn), and invokes the worker (functions/influxdb3_worker.py,
in the VPC) for the InfluxDB HTTP calls.

Its configuration comes from its own environment, set by the template: INFLUXDB_URL,
ADMIN_SECRET_ARN, TOKEN_SECRET_ARN (no value on Core), ENGINE, DATABASE, WORKER_FUNCTION_NAME, STACK_ID,
LOGICAL_RESOURCE_ID. A request from another stack or for another resource, or (Create, Update)
whose Url, Database, Engine or TokenSecretArn differ from them, is refused with no action.

The admin token's key in the service's secret: AWS documents the secret's keys for InfluxDB 2
(organization, bucket, username, password), not for InfluxDB 3. ADMIN_TOKEN_KEY is the one key
read; a secret without it fails the request with one line naming the keys it has (never values).

Create and Update: the database is created (``POST /api/v3/configure/database``: 200 created, 409
exists and is adopted). On Enterprise, a read/write token on that database only, named after the
physical id, is made and stored in the token secret (JSON {ADMIN_TOKEN_KEY, "database",
"token_name"}: the clients read the token under the same key in either secret),
unless the secret already holds this very token (an Update that changes nothing it depends on).
A token that cannot be stored is revoked. Core has no database-scoped tokens: nothing is made, and
the clients read the admin token's secret. An Update that changes the engine is refused (the
engine guard, functions/influxdb3_engine_guard.py, refuses it first, before the cluster; this is
the second line of defence): the service documents Core and Enterprise parameter groups as not interchangeable (its rollback, the
stack UPDATE_ROLLBACK_IN_PROGRESS, goes back to the cluster's engine and is let through).

The physical id is "<stack name>-<LogicalResourceId>-<database>": a new Database makes a new id,
so CloudFormation sends a Delete of the old id once the update is complete (or of the new one when
it rolls back). Delete never deletes a database (the data outlives the stack); on Enterprise it
revokes the token of the id it names, and only while CloudFormation deletes this resource or an
old id of it (cfn_response.deletion_of: "deleting", "gone" or "replaced"); a Delete sent by anyone
else, or when the stack's status cannot be read, revokes nothing and says so in its Reason.

Properties: Url (https://endpoint:port), Database, Engine (Core or Enterprise), TokenSecretArn.
"""

import json
import os

import boto3

from .cfn_response import deletion_of, properties, run
from .worker_call import INVOKE_CONFIG, Worker

PROPERTIES = ("Url", "Database", "Engine", "TokenSecretArn")
#: The JSON key of the admin token in the secret Timestream for InfluxDB makes for an InfluxDB 3
#: cluster. NOT CONFIRMED: no AWS document found states the keys of that secret for InfluxDB 3
#: (for InfluxDB 2 they are organization, bucket, username and password). "token" is the name
#: InfluxDB 3's own API gives the admin token in its answers. A secret without this key fails the
#: request with the keys it does have, so a wrong guess cannot pass silently.
ADMIN_TOKEN_KEY = "token"
#: The engine that has database-scoped (resource) tokens.
ENTERPRISE = "Enterprise"
#: Worker invocations a Create or Update makes at most: "database", "token", and "revoke" when
#: the token cannot be stored; the template's Timeout covers them.
INVOCATIONS = 3


def configuration():
    """The function's configuration, from its environment (set by the template)."""
    names = ("INFLUXDB_URL", "ADMIN_SECRET_ARN", "TOKEN_SECRET_ARN", "ENGINE", "DATABASE")
    more = ("WORKER_FUNCTION_NAME", "STACK_ID", "LOGICAL_RESOURCE_ID")
    return {name: os.environ[name] for name in (*names, *more)}


def check_origin(event, config):
    """Refuse a request from another stack, or for another resource of this one."""
    if event["StackId"] != config["STACK_ID"]:
        raise ValueError("refused: request from another stack")
    if event["LogicalResourceId"] != config["LOGICAL_RESOURCE_ID"]:
        raise ValueError("refused: not this stack's database resource")


def check(props, config):
    """Refuse a request whose endpoint, database, engine or secret is not the configured one."""
    expected = {
        "Url": config["INFLUXDB_URL"],
        "Database": config["DATABASE"],
        "Engine": config["ENGINE"],
        "TokenSecretArn": config["TOKEN_SECRET_ARN"],
    }
    wrong = [name for name, value in expected.items() if props[name] != value]
    if wrong:
        raise ValueError("refused: not this stack's " + ", ".join(wrong))


def id_prefix(event):
    """What every physical id of this resource in this stack starts with."""
    return event["StackId"].split("/")[1] + "-" + event["LogicalResourceId"] + "-"


def admin_token(secrets, arn):
    """The admin token in the service's secret (key ADMIN_TOKEN_KEY); a missing key fails with the
    keys the secret has (their names only)."""
    text = secrets.get_secret_value(SecretId=arn)["SecretString"]
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValueError("the cluster's admin secret is not a JSON object")
    if not isinstance(value.get(ADMIN_TOKEN_KEY), str) or not value[ADMIN_TOKEN_KEY]:
        keys = ", ".join(sorted(value)) or "none"
        raise KeyError(f"the cluster's admin secret has no key {ADMIN_TOKEN_KEY!r}; its keys: {keys}")
    return value[ADMIN_TOKEN_KEY]


def stored(secrets, arn):
    """The token secret's value as a dict ({} when it has no value or is not this function's JSON)."""
    try:
        value = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    except secrets.exceptions.ResourceNotFoundException:
        return {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def stack_status(event, cloudformation):
    """The request's stack's status (DescribeStacks by its unique id)."""
    cloudformation = cloudformation or boto3.client("cloudformation")
    stacks = cloudformation.describe_stacks(StackName=event["StackId"])["Stacks"]
    return stacks[0]["StackStatus"] if stacks else "NONE"


def act(event, context, config=None, secrets=None, lam=None, cloudformation=None):
    config = config or configuration()
    check_origin(event, config)
    secrets = secrets or boto3.client("secretsmanager")
    lam = lam or boto3.client("lambda", config=INVOKE_CONFIG)

    def worker():
        base = {
            "url": config["INFLUXDB_URL"],
            "admin_token": admin_token(secrets, config["ADMIN_SECRET_ARN"]),
        }
        return Worker(lam, config["WORKER_FUNCTION_NAME"], base, "InfluxDB 3 worker")

    if event["RequestType"] == "Delete":
        return delete(event, config, worker, cloudformation)
    props = properties(event, PROPERTIES)
    check(props, config)
    old = event.get("OldResourceProperties") or {}
    if (
        event["RequestType"] == "Update"
        and old.get("Engine", props["Engine"]) != props["Engine"]
        # The rollback of a refused change returns to the engine the cluster has: let it through.
        and stack_status(event, cloudformation) != "UPDATE_ROLLBACK_IN_PROGRESS"
    ):
        raise ValueError(
            f"refused: the engine cannot change from {old['Engine']} to {props['Engine']} "
            "(Core and Enterprise parameter groups are not interchangeable)"
        )
    pid = id_prefix(event) + props["Database"]
    work = worker()
    created = work.call("database", database=props["Database"])["created"]
    print("database", props["Database"], "created" if created else "exists: adopted")
    data = {"Database": props["Database"], "TokenName": ""}
    if props["Engine"] != ENTERPRISE:
        return pid, data, "database kept on delete; Core has no database-scoped token"
    data["TokenName"] = pid
    arn = config["TOKEN_SECRET_ARN"]
    held = stored(secrets, arn)
    if (
        held.get(ADMIN_TOKEN_KEY)
        and held.get("token_name") == pid
        and held.get("database") == props["Database"]
    ):
        print("token kept:", pid)
        return pid, data
    made = work.call("token", database=props["Database"], token_name=pid)
    value = {ADMIN_TOKEN_KEY: made["token"], "database": props["Database"], "token_name": pid}
    try:
        secrets.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
    except Exception:
        # A token nobody can read must not live on.
        try:
            work.call("revoke", token_name=pid)
        except Exception as e:
            print("not revoked:", e)
        raise
    print("token made:", pid, "body key", made.get("key"))
    return pid, data


def delete(event, config, worker, cloudformation):
    """Keep the database; revoke the Enterprise token of the id the Delete names (see the docstring)."""
    pid = event.get("PhysicalResourceId", "")
    if config["ENGINE"] != ENTERPRISE or not pid.startswith(id_prefix(event)):
        # No token (Core), or an id this resource never answered with (a failed Create's).
        return None, {}, "SUCCESS: the database is kept; no token to revoke"
    try:
        verdict, why = deletion_of(event, cloudformation or boto3.client("cloudformation"))
    except Exception as e:
        # Fail closed: revoking on a request nobody can vouch for would cut every client off.
        print("stack status unreadable, nothing revoked:", e)
        return None, {}, f"SUCCESS, but nothing was revoked: the stack's status is unreadable: {e}"
    if verdict not in ("deleting", "gone", "replaced"):
        print("refused: a Delete while", why)
        return None, {}, f"SUCCESS, but nothing was revoked: {why}"
    try:
        revoked = worker().call("revoke", token_name=pid)["revoked"]
    except Exception as e:
        # Best effort: a cluster that is gone has nothing left to revoke.
        print("not revoked:", e)
        return None, {}, f"SUCCESS, but the token {pid} was not revoked: {e}"
    print("token", pid, "revoked" if revoked else "already gone")
    return None, {}, "SUCCESS: the database is kept; its token is revoked"


def handler(event, context):
    return run(event, context, act)

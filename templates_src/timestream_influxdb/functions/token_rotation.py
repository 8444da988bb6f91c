"""Secrets Manager rotation of the InfluxDB API token: a new authorization, then the swap.

Secrets Manager invokes this function (synchronously, once a step) with {Step, SecretId,
ClientRequestToken, RotationToken}: ClientRequestToken is the id of the new version, which
Secrets Manager labels AWSPENDING before the first step ("Rotation by Lambda function" and "Lambda
rotation functions", Secrets Manager User Guide). Each step is retried, and a failed rotation is
started again, so every step is idempotent. Like the token function it runs outside the VPC and
invokes the token worker (functions/token_worker.py, in the VPC) for the InfluxDB HTTP calls; it
makes every Secrets Manager call itself (the guide: the rotation function rotates the secret
directly, it cannot have another Lambda function rotate it - the worker never sees the secret).

createSecret: when the new version has no value yet, ONE new marked authorization (read and
write on the bucket, description "<StackId> InfluxDBApiToken") is made and stored as the
version, labelled AWSPENDING. InfluxDB makes the token's value, so the authorization exists
before the value can be stored; a token that cannot be stored is revoked.

setSecret: nothing: the authorization is active from createSecret on.

testSecret: the pending token is a marked, active authorization with exactly those permissions,
and a request authenticated by the token alone reads the bucket.

finishSecret: every marked authorization whose token is neither the new version's nor the
AWSCURRENT version's is revoked - the AWSPREVIOUS one (two generations old once the labels
move) and any left by failed attempts - then AWSCURRENT moves to the new version, and Secrets
Manager labels the version it left AWSPREVIOUS. So after each rotation exactly two tokens live:
AWSCURRENT's and AWSPREVIOUS's, and a client that cached the previous value keeps working until
the next rotation. Revoking before the move makes a retry after a failed move do it again; once
the new version is AWSCURRENT every step returns at once.

A request for any other secret (TOKEN_SECRET_ARN in the environment), a secret whose rotation is
not enabled, a version the secret does not have, or one that is neither AWSPENDING nor AWSCURRENT
is refused, as the guards of AWS's rotation function templates do. Its configuration comes from
its environment: INFLUXDB_URL, INFLUXDB_USERNAME, ADMIN_PASSWORD_SECRET_ARN, TOKEN_SECRET_ARN,
ORG, BUCKET, WORKER_FUNCTION_NAME, MARKER. No token or password is ever logged.
"""

import os

import boto3

from .worker_call import INVOKE_CONFIG, Worker

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"
#: Worker invocations one step makes at most (createSecret: "mint", and "revoke_token" when the
#: token cannot be stored); the template's Timeout covers them.
INVOCATIONS = 2


def configuration():
    """The function's configuration, from its environment (set by the template)."""
    names = ("INFLUXDB_URL", "INFLUXDB_USERNAME", "ADMIN_PASSWORD_SECRET_ARN", "TOKEN_SECRET_ARN")
    return {name: os.environ[name] for name in (*names, "ORG", "BUCKET", "WORKER_FUNCTION_NAME", "MARKER")}


def value(secrets, arn, **version):
    """The SecretString of the version ``version`` selects; "" when there is none or it has no value."""
    try:
        return secrets.get_secret_value(SecretId=arn, **version)["SecretString"]
    except secrets.exceptions.ResourceNotFoundException:
        return ""


def stages_for_rotation(event, config, secrets):
    """The secret's versions and labels, once the request is known to be a rotation of this
    stack's token secret (else ValueError, nothing done)."""
    if event.get("Step") not in STEPS:
        raise ValueError(f"refused: unknown step {event.get('Step')!r}")
    if event.get("SecretId") != config["TOKEN_SECRET_ARN"]:
        raise ValueError("refused: not this stack's token secret")
    metadata = secrets.describe_secret(SecretId=event["SecretId"])
    if not metadata.get("RotationEnabled"):
        raise ValueError("refused: rotation is not enabled for the token secret")
    stages = metadata.get("VersionIdsToStages") or {}
    if event.get("ClientRequestToken") not in stages:
        raise ValueError("refused: the secret has no such version to rotate to")
    return stages


def create_secret(secrets, config, version, worker):
    arn = config["TOKEN_SECRET_ARN"]
    if not value(secrets, arn, VersionStage=CURRENT):
        # The token resource makes the first token; a rotation before it would race it.
        raise ValueError("the token secret holds no token yet: nothing to rotate")
    if value(secrets, arn, VersionId=version, VersionStage=PENDING):
        print("createSecret: the new version already holds a token")
        return
    work = worker()
    made = work.call("mint")
    try:
        secrets.put_secret_value(
            SecretId=arn, ClientRequestToken=version, SecretString=made["token"], VersionStages=[PENDING]
        )
    except Exception:
        # Stored after all (an answer lost after the write)? Else the token must not live on.
        try:
            stored = value(secrets, arn, VersionId=version, VersionStage=PENDING)
        except Exception as e:
            print("token secret unreadable, the new token left to finishSecret:", e)
            raise
        if stored == made["token"]:
            print("createSecret: stored although PutSecretValue failed")
            return
        work.call("revoke_token", token=made["token"])
        raise
    print("createSecret: authorization", made["id"], "stored as AWSPENDING")


def test_secret(secrets, config, version, worker):
    pending = value(secrets, config["TOKEN_SECRET_ARN"], VersionId=version, VersionStage=PENDING)
    if not pending:
        raise ValueError("the new version holds no token")
    print("testSecret: authorization", worker().call("verify", token=pending)["id"], "works")


def finish_secret(secrets, config, version, stages, worker):
    arn = config["TOKEN_SECRET_ARN"]
    current = next((v for v, labels in stages.items() if CURRENT in labels), None)
    new = value(secrets, arn, VersionId=version, VersionStage=PENDING)
    if not new:
        raise ValueError("the new version holds no token")
    old = value(secrets, arn, VersionId=current) if current else ""
    # Kept: the new token and the current one (AWSPREVIOUS once the label moves); any other goes.
    revoked = worker().call("revoke", keep=new, live=[old] if old else [])["revoked"]
    print("finishSecret: revoked", revoked)
    move = {"RemoveFromVersionId": current} if current else {}
    secrets.update_secret_version_stage(SecretId=arn, VersionStage=CURRENT, MoveToVersionId=version, **move)
    print("finishSecret: AWSCURRENT moved to", version)


def handler(event, context, config=None, secrets=None, lam=None):
    config = config or configuration()
    secrets = secrets or boto3.client("secretsmanager")
    stages = stages_for_rotation(event, config, secrets)
    step, version = event["Step"], event["ClientRequestToken"]
    if CURRENT in stages[version]:
        print(step + ": the version is already AWSCURRENT")
        return
    if PENDING not in stages[version]:
        raise ValueError("refused: the version is not AWSPENDING")

    def worker():
        password = value(secrets, config["ADMIN_PASSWORD_SECRET_ARN"])
        base = {
            "url": config["INFLUXDB_URL"],
            "username": config["INFLUXDB_USERNAME"],
            "password": password,
            "description": config["MARKER"],
            "org": config["ORG"],
            "bucket": config["BUCKET"],
            "keep": "",
        }
        client = lam or boto3.client("lambda", config=INVOKE_CONFIG)
        return Worker(client, config["WORKER_FUNCTION_NAME"], base, "token worker")

    if step == "createSecret":
        create_secret(secrets, config, version, worker)
    elif step == "testSecret":
        test_secret(secrets, config, version, worker)
    elif step == "finishSecret":
        finish_secret(secrets, config, version, stages, worker)
    else:
        print("setSecret: nothing to do, the authorization is active since createSecret")

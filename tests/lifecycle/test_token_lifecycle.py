"""The API token resource of the product template through whole stack lifecycles.

The rendered template's inlined code runs: the token function (answering CloudFormation, reading
and writing the secrets in moto's Secrets Manager) invokes the token worker (in process, through
:class:`lifecycle.aws.FakeLambda`), which signs in over HTTPS to a stateful InfluxDB v2 fake whose
certificate the worker verifies. Each test asserts END STATES: the active authorizations carrying
the stack's marker, the token the token secret holds, the stack status.

The instance is the fake: ``InfluxDBInstance.Endpoint`` is ``localhost`` and the Port parameter is
the fake's port, so the function's INFLUXDB_URL (``https://<Endpoint>:<Port>``) reaches it.
"""

from __future__ import annotations

import copy

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from lifecycle.aws import FakeTimestreamInfluxDB, secretsmanager
from lifecycle.harness import REGION, Live, Stack
from lifecycle.influxdb import InfluxDB

TOKEN = "InfluxDBApiToken"
#: The client->database rule: the worker reaches the instance through it.
EGRESS = "LambdaClientToInfluxDBEgress"
INSTANCE = "inst1a2b3c4d5e"
PASSWORD = "admin-password-1"
OTHER_BUCKET = "other-bucket"
AUTHORIZATIONS = "/api/v2/authorizations"


@pytest.fixture(scope="module")
def defaults(rendered_product):
    """Organization, Bucket and Username as the template's defaults give them."""
    params = rendered_product["Parameters"]
    return {name: params[name]["Default"] for name in ("Organization", "Bucket", "Username")}


@pytest.fixture(scope="module")
def server(defaults):
    """One HTTPS server for the module (a certificate each is slow), reset for each test."""
    with (
        InfluxDB(
            username=defaults["Username"],
            password=PASSWORD,
            org=defaults["Organization"],
            buckets=(defaults["Bucket"], OTHER_BUCKET),
            tls=True,
        ) as server,
        pytest.MonkeyPatch.context() as patch,
    ):
        # The worker verifies the instance's certificate with Python's default context.
        patch.setenv("SSL_CERT_FILE", server.cafile)
        yield server


@pytest.fixture
def influx(server):
    server.reset()
    return server


@pytest.fixture(scope="module")
def moto():
    with secretsmanager() as sm:
        yield sm


@pytest.fixture
def aws(moto, request):
    """The two secrets a stack has, new for each test: (client, admin ARN, token ARN). The token
    secret has no value, as the template creates it when InfluxDBToken is empty."""
    prefix = request.node.name[:200]
    admin = moto.create_secret(Name=f"{prefix}-admin-password", SecretString=PASSWORD)
    token = moto.create_secret(Name=f"{prefix}-token")
    return moto, admin["ARN"], token["ARN"]


def quick(title, module, event):
    """No wait for a new instance, no wait between retries of the backup function."""
    if title == "TokenFunction":
        module.SETTLE = 0
    if title == "BackupFunction":
        module.RETRY_SECONDS = 0


def make_stack(template, influx, aws, name="test"):
    _, admin_arn, token_arn = aws
    stack = Stack(
        template,
        name=name,
        attributes={"InfluxDBInstance.Endpoint": "localhost", "InfluxDBInstance.Id": INSTANCE},
        refs={"TokenSecret": token_arn, "AdminPasswordSecret": admin_arn},
        clients={"timestream-influxdb": FakeTimestreamInfluxDB(INSTANCE).client},
        before_invoke=quick,
    )
    worker = stack.module("TokenWorkerFunction")  # loaded once SSL_CERT_FILE is set
    worker.BACKOFF, worker.TIMEOUT = 0, 2
    stack.clients["lambda"] = stack.lambda_client("TokenWorkerFunction")
    return stack


@pytest.fixture
def stack(rendered_product, influx, aws):
    with make_stack(rendered_product, influx, aws) as s:
        yield s


def values(influx, **more):
    return {"Port": str(influx.port), **more}


def marker(stack):
    return f"{stack.stack_id} {TOKEN}"


def stored(aws):
    """The token the token secret holds; None when it has no value."""
    sm, _, token_arn = aws
    try:
        return sm.get_secret_value(SecretId=token_arn)["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        return None


def posts(influx):
    return influx.requests.count(("POST", AUTHORIZATIONS))


def the_one(stack, influx, aws):
    """The end state of a stack with the token resource: exactly one active authorization, marked
    as the stack's, valid, and held by the token secret (no other authorization lives)."""
    (auth,) = influx.live(marker(stack))
    assert influx.live() == [auth]
    assert stored(aws) == auth["token"] and influx.valid(auth["token"])
    return auth


def longer_timeout(template):
    """The template with a longer ServiceTimeout for the token resource: a new template version
    whose only change to the resource sends it an Update with the same Url, Org and Bucket."""
    changed = copy.deepcopy(template)
    changed["Resources"][TOKEN]["Properties"]["ServiceTimeout"] += 60
    return changed


# --- 1. create ----------------------------------------------------------------------------------
def test_create_leaves_one_marked_authorization_whose_token_the_secret_holds(stack, influx, aws, defaults):
    op = stack.create(values(influx))
    assert op.status == "CREATE_COMPLETE"
    auth = the_one(stack, influx, aws)
    (request,) = op.of(TOKEN)
    assert request.answer["PhysicalResourceId"] == f"{stack.name}-{TOKEN}"
    assert request.answer["Data"] == {"AuthorizationId": auth["id"]}
    # Read and write on the bucket of the stack only.
    bucket_id = influx.buckets[(influx.orgs[defaults["Organization"]]["id"], defaults["Bucket"])]["id"]
    assert sorted((p["action"], p["resource"]["id"]) for p in auth["permissions"]) == [
        ("read", bucket_id),
        ("write", bucket_id),
    ]


def test_a_delete_forged_between_operations_revokes_nothing_and_the_stacks_delete_still_does(
    stack, influx, aws
):
    """Anyone allowed to invoke the token function can send it a Delete: at rest, the stack is not
    deleting anything (DescribeStacks), so nothing is revoked; the stack's own Delete revokes."""
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    answer = stack.forge(TOKEN, "Delete")
    assert answer["Status"] == "SUCCESS" and "the stack is CREATE_COMPLETE, not deleting" in answer["Reason"]
    assert the_one(stack, influx, aws) == before
    assert stack.delete().status == "DELETE_COMPLETE" and influx.live(marker(stack)) == []


# --- 2. create whose POST answer is lost ------------------------------------------------------------
def test_a_create_whose_post_answer_is_lost_adopts_the_one_made_and_never_posts_again(stack, influx, aws):
    influx.lose(1, "POST", AUTHORIZATIONS)
    op = stack.create(values(influx))
    # The worker lists the marked authorizations again and adopts the one the lost POST made.
    assert op.status == "CREATE_COMPLETE"
    the_one(stack, influx, aws)
    assert posts(influx) == 1  # POST is not idempotent: never repeated


# --- 3. update that changes nothing relevant ----------------------------------------------------
def test_an_update_of_other_parameters_sends_the_token_nothing(stack, influx, aws):
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    op = stack.update({"CpuAlarmThreshold": "90"})
    assert op.status == "UPDATE_COMPLETE" and op.of(TOKEN) == []
    assert the_one(stack, influx, aws) == before


def test_an_update_of_the_token_resource_with_the_same_target_keeps_the_token(
    stack, influx, aws, rendered_product
):
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    op = stack.update(template=longer_timeout(rendered_product))
    assert op.status == "UPDATE_COMPLETE"
    assert op.calls == [("forward", "Update", TOKEN)]  # same physical id: no cleanup Delete
    assert the_one(stack, influx, aws) == before
    assert posts(influx) == 1


# --- 4. token revoked out of band ---------------------------------------------------------------
def deactivate(influx, auth):
    influx.authorizations[auth["id"]]["status"] = "inactive"


def delete(influx, auth):
    del influx.authorizations[auth["id"]]


@pytest.mark.parametrize("revoke", [delete, deactivate], ids=["deleted", "deactivated"])
def test_a_token_revoked_out_of_band_is_replaced_by_the_next_update_of_the_resource(
    stack, influx, aws, rendered_product, revoke
):
    # Only an update that sends the token resource an Update repairs it: CloudFormation sends a
    # custom resource nothing when its properties are unchanged.
    stack.create(values(influx))
    old = the_one(stack, influx, aws)
    revoke(influx, old)
    assert stack.update(template=longer_timeout(rendered_product)).status == "UPDATE_COMPLETE"
    new = the_one(stack, influx, aws)
    assert new["id"] != old["id"] and old["id"] not in influx.authorizations  # the inactive one too


# --- 5. update rollback -------------------------------------------------------------------------
def test_an_update_rolled_back_keeps_the_token(stack, influx, aws, rendered_product):
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    op = stack.update_that_fails(template=longer_timeout(rendered_product))
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert op.calls == [("forward", "Update", TOKEN), ("rollback", "Update", TOKEN)]
    assert the_one(stack, influx, aws) == before
    assert posts(influx) == 1


def test_an_update_rolled_back_after_minting_keeps_the_new_token(stack, influx, aws, rendered_product):
    stack.create(values(influx))
    old = the_one(stack, influx, aws)
    delete(influx, old)  # so the forward Update mints
    op = stack.update_that_fails(template=longer_timeout(rendered_product))
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    new = the_one(stack, influx, aws)
    # The rollback Update finds the token the secret holds valid: nothing more is made.
    assert new["id"] != old["id"] and posts(influx) == 2


# --- 6. Port change -----------------------------------------------------------------------------
def test_a_port_change_reaches_the_instance_at_its_new_url_for_updates_and_revocations(stack, influx, aws):
    """The instance is modified in place (Port is not create-only), so the fake keeps its state and
    moves to another port (``InfluxDB.move``); the old port is closed, so every call the functions
    make after the move - the Update's revocation of a stray marked authorization, the Delete's
    revocation - reaches the instance only through the CURRENT url (INFLUXDB_URL)."""
    stack.create(values(influx))
    before = the_one(stack, influx, aws)
    stray = influx.add_authorization(description=marker(stack))
    old_url = influx.url
    influx.move()
    assert influx.url != old_url
    op = stack.update({"Port": str(influx.port)})
    assert op.status == "UPDATE_COMPLETE"
    (update,) = op.of(TOKEN)
    assert update.event["OldResourceProperties"]["Url"] == old_url
    assert update.event["ResourceProperties"]["Url"] == influx.url
    assert the_one(stack, influx, aws) == before and stray["id"] not in influx.authorizations
    assert stack.delete().status == "DELETE_COMPLETE"
    assert influx.live() == []


def test_a_token_given_with_a_new_port_is_revoked_at_the_new_url(stack, influx, aws):
    """One update gives InfluxDBToken and changes Port: the cleanup Delete carries the properties
    the resource had (the OLD Url), while the instance and the function's environment have the
    new port: the revocation must go to the CURRENT url."""
    stack.create(values(influx))
    the_one(stack, influx, aws)
    old_url = influx.url
    influx.move()
    op = stack.update({"InfluxDBToken": "given-token", "Port": str(influx.port)})
    assert op.status == "UPDATE_COMPLETE" and op.calls == [("cleanup", "Delete", TOKEN)]
    assert op.requests[0].event["ResourceProperties"]["Url"] == old_url
    assert influx.live() == []


def test_a_stack_of_the_previous_version_ends_with_one_marked_token_and_its_old_one_revoked(
    stack, influx, aws
):
    """A stack made by the previous version of the template: the token resource's physical id is
    its authorization's id, the authorization has no description, the resource had a
    CredentialsSecretArn property. The update to this version sends an Update under the old id;
    the answer's stable id makes CloudFormation delete the old id (with the old properties)."""
    sm, _, token_arn = aws
    stack.create(values(influx))
    current = the_one(stack, influx, aws)
    legacy = influx.add_authorization(description="")
    legacy["permissions"] = current["permissions"]  # read and write on the bucket, as it made
    del influx.authorizations[current["id"]]
    sm.put_secret_value(SecretId=token_arn, SecretString=legacy["token"])
    props = stack.live[TOKEN].properties
    stack.live[TOKEN] = Live(legacy["id"], {**props, "CredentialsSecretArn": "arn-of-the-credentials"})
    operator = influx.add_authorization(description="")  # made by hand: not the stack's to revoke
    op = stack.update()
    assert op.status == "UPDATE_COMPLETE"
    assert [(r.phase, r.type, r.event["PhysicalResourceId"]) for r in op.requests] == [
        ("forward", "Update", legacy["id"]),
        ("cleanup", "Delete", legacy["id"]),
    ]
    (auth,) = influx.live(marker(stack))
    assert stored(aws) == auth["token"] and legacy["id"] not in influx.authorizations
    assert influx.valid(operator["token"])


# --- 7. failed create ---------------------------------------------------------------------------
def test_a_create_that_fails_elsewhere_revokes_the_token_and_a_retry_makes_one(stack, influx, aws):
    op = stack.create_that_fails(values(influx))
    assert op.status == "ROLLBACK_COMPLETE"
    assert [c for c in op.calls if c[2] == TOKEN] == [
        ("forward", "Create", TOKEN),
        ("rollback", "Delete", TOKEN),
    ]
    assert influx.live() == [] and stack.live == {}
    # A rolled-back stack is deleted (nothing left to send), then created again: exactly one
    # authorization, no trace of the failed attempt.
    assert stack.delete().requests == []
    assert stack.create(values(influx)).status == "CREATE_COMPLETE"
    the_one(stack, influx, aws)


def test_a_create_that_fails_at_the_egress_rule_never_makes_a_token(stack, influx):
    op = stack.create_that_fails(values(influx), at=EGRESS)
    assert op.status == "ROLLBACK_COMPLETE" and op.of(TOKEN) == []
    assert influx.authorizations == {}


# --- 8. stack delete in every order -------------------------------------------------------------
def test_stack_delete_revokes_the_token_in_every_order_the_dependencies_allow(stack, influx, aws):
    """The rule's deletion is modelled by taking the instance out of reach (``down``): the token
    resource DependsOn the rule, so every order revokes before the rule goes."""
    stack.create(values(influx))
    orders = list(stack.deletion_orders(also=[EGRESS]))
    assert len(orders) > 1  # the backup resource is deleted in parallel, anywhere in the order
    for order in orders:
        if stack.status == "DELETE_COMPLETE":
            influx.up()
            assert stack.create(values(influx)).status == "CREATE_COMPLETE"
        the_one(stack, influx, aws)
        op = stack.delete(order, on_delete={EGRESS: influx.down})
        assert op.status == "DELETE_COMPLETE", order
        assert influx.live() == [], order


def test_without_the_dependency_on_the_rule_some_order_leaves_the_token_live(rendered_product, influx, aws):
    """The control of the test above: the end state it asserts depends on the DependsOn."""
    template = copy.deepcopy(rendered_product)
    template["Resources"][TOKEN]["DependsOn"].remove(EGRESS)
    with make_stack(template, influx, aws) as stack:
        stack.create(values(influx))
        orders = list(stack.deletion_orders(also=[EGRESS]))
        early = next(o for o in orders if o.index(EGRESS) < o.index(TOKEN))
        assert stack.delete(early, on_delete={EGRESS: influx.down}).status == "DELETE_COMPLETE"
        assert len(influx.live(marker(stack))) == 1


def test_deleting_one_stack_leaves_the_token_of_another_on_the_same_instance(
    rendered_product, stack, influx, aws, moto
):
    admin = moto.create_secret(Name="other-admin-password", SecretString=PASSWORD)["ARN"]
    token = moto.create_secret(Name="other-token")["ARN"]
    with make_stack(rendered_product, influx, (moto, admin, token), name="other") as other:
        stack.create(values(influx))
        other.create(values(influx))
        assert marker(stack) != marker(other) and len(influx.live()) == 2
        assert stack.delete().status == "DELETE_COMPLETE"
        (left,) = influx.live()
        assert left["description"] == marker(other)
        assert moto.get_secret_value(SecretId=token)["SecretString"] == left["token"]


# --- 9. InfluxDBToken given, then empty again ---------------------------------------------------
def test_giving_a_token_then_none_revokes_then_makes_one(stack, influx, aws, rendered_product):
    # The function log groups are unconditional: switching the token resource off and on never
    # re-creates a named log group that the first switch left (CloudFormation would fail to
    # create a log group whose name exists).
    resources = rendered_product["Resources"]
    for name, body in resources.items():
        if body["Type"] == "AWS::Logs::LogGroup" or name in ("TokenFunction", "TokenWorkerFunction"):
            assert "Condition" not in body, name
    sm, _, token_arn = aws
    stack.create(values(influx))
    first = the_one(stack, influx, aws)
    # CloudFormation stores the given token in the token secret (its SecretString) during the update.
    sm.put_secret_value(SecretId=token_arn, SecretString="given-token")
    op = stack.update({"InfluxDBToken": "given-token"})
    assert op.status == "UPDATE_COMPLETE" and op.calls == [("cleanup", "Delete", TOKEN)]
    assert influx.live() == [] and TOKEN not in stack.live
    # Back to empty: SecretString is left out again; the secret keeps the given token, which no
    # marked authorization has, so the new resource makes one and stores it.
    op = stack.update({"InfluxDBToken": ""})
    assert op.status == "UPDATE_COMPLETE" and op.calls == [("forward", "Create", TOKEN)]
    second = the_one(stack, influx, aws)
    assert second["id"] != first["id"]


# --- 10. the token cannot be stored -------------------------------------------------------------
def deny_put_secret_value(model, **_):
    parsed = {
        "Error": {"Code": "AccessDeniedException", "Message": "not authorized: PutSecretValue"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    return AWSResponse("https://secretsmanager", 400, {}, None), parsed


def test_a_token_that_cannot_be_stored_is_revoked_and_the_create_fails(stack, influx, aws):
    denied = boto3.client("secretsmanager", region_name=REGION)  # the moto of the module
    denied.meta.events.register("before-call.secretsmanager.PutSecretValue", deny_put_secret_value)
    stack.clients["secretsmanager"] = denied  # the functions' client: PutSecretValue is denied
    at_rollback = []
    quick_only = stack.before_invoke

    def watch(title, module, event):
        if title == "TokenFunction" and event["RequestType"] == "Delete":
            at_rollback.append(list(influx.live()))
        quick_only(title, module, event)

    stack.before_invoke = watch
    op = stack.create(values(influx))
    assert op.status == "ROLLBACK_COMPLETE"
    create = op.of(TOKEN)[0]
    assert create.type == "Create" and create.answer["Status"] == "FAILED"
    assert "AccessDeniedException" in create.answer["Reason"]
    # The Create itself revoked what it made, before the rollback's Delete came.
    assert at_rollback == [[]] and posts(influx) == 1
    assert influx.live() == [] and stored(aws) is None


# --- 11. the instance gone on delete ------------------------------------------------------------
def test_stack_delete_succeeds_when_the_instance_is_gone(stack, influx, aws, capsys):
    stack.create(values(influx))
    the_one(stack, influx, aws)
    influx.down()
    op = stack.delete()
    assert op.status == "DELETE_COMPLETE" and stack.live == {}
    (request,) = op.of(TOKEN)  # answered at once: no unhandled error, no retried invocation
    assert request.ok
    out = capsys.readouterr().out
    assert "unhandled" not in out and "not revoked:" in out


def test_the_token_is_made_after_the_backup_configuration_and_revoked_before_it(stack, influx):
    """The backup resource changes the instance (UpdateDbInstance) and answers once it is AVAILABLE:
    the token's HTTP calls come after it on create, and before its final backup on delete."""
    created = [r for _, kind, r in stack.create(values(influx)).calls if kind == "Create"]
    assert created.index("BackupConfiguration") < created.index("InfluxDBApiToken")
    orders = list(stack.deletion_orders())
    assert orders
    for order in orders:
        assert order.index("InfluxDBApiToken") < order.index("BackupConfiguration")

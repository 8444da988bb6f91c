"""functions/token_rotation.py, step by step, as written and as the template inlines it.

Secrets Manager is moto's; the token worker (as written or inlined) runs in process through
:class:`lifecycle.aws.FakeLambda` against the stateful InfluxDB v2 fake over plain HTTP. Each test
sets up the secret as Secrets Manager has it when it invokes a step (a version labelled AWSPENDING
with no value) and asserts the end state: the labels, the values, the live authorizations.
"""

from __future__ import annotations

import uuid

import botocore.session
import pytest
from lifecycle.aws import ACCOUNT, REGION, FakeLambda, Rotation, secretsmanager
from lifecycle.influxdb import InfluxDB

from conftest import FUNCTIONS, function_module, loaded_inlined_module
from templates_src.timestream_influxdb import rotation_limits, token_rotation
from tooling.cfn.schemas import schema

STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/test/guid"
MARKER = STACK_ID + " InfluxDBApiToken"
PASSWORD = "admin-password-1"
ORG, BUCKET, OTHER_BUCKET = "ons", "ons-timeseries", "other"


@pytest.fixture(params=["source", "inlined"])
def modules(request, rendered_product):
    """(rotation function, worker): functions/ as written, or as the rendered template runs them."""
    rotation = function_module(request, "token_rotation", rendered_product)
    if request.param == "source":
        return rotation, function_module(request, "token_worker", rendered_product)
    return rotation, loaded_inlined_module(rendered_product, FUNCTIONS["token_worker"])


@pytest.fixture(scope="module")
def server():
    with InfluxDB(username="admin", password=PASSWORD, org=ORG, buckets=(BUCKET, OTHER_BUCKET)) as s:
        yield s


@pytest.fixture
def influx(server):
    server.reset()
    return server


@pytest.fixture(scope="module")
def moto():
    with secretsmanager() as sm:
        yield sm


class Setup:
    """A token secret holding a token the token resource made, rotation enabled, and the function
    configured for it; ``step(name)`` invokes the function as Secrets Manager does."""

    def __init__(self, modules, influx, sm, name, monkeypatch):
        self.rotation_module, worker = modules
        monkeypatch.setattr(worker, "BACKOFF", 0)
        monkeypatch.setattr(worker, "TIMEOUT", 2)
        self.influx, self.sm = influx, sm
        self.lam = FakeLambda({"worker-fn": worker.handler})
        self.admin = sm.create_secret(Name=f"{name}-admin", SecretString=PASSWORD)["ARN"]
        self.first = self.mint()
        self.arn = sm.create_secret(Name=f"{name}-token", SecretString=self.first["token"])["ARN"]
        self.config = {
            "INFLUXDB_URL": influx.url,
            "INFLUXDB_USERNAME": "admin",
            "ADMIN_PASSWORD_SECRET_ARN": self.admin,
            "TOKEN_SECRET_ARN": self.arn,
            "ORG": ORG,
            "BUCKET": BUCKET,
            "WORKER_FUNCTION_NAME": "worker-fn",
            "MARKER": MARKER,
        }
        self.driver = Rotation(sm, self.arn, self.invoke)
        self.driver.enable()

    def mint(self, bucket=BUCKET):
        org_id = self.influx.orgs[ORG]["id"]
        resource = {"type": "buckets", "id": self.influx.buckets[(org_id, bucket)]["id"], "orgID": org_id}
        auth = self.influx.add_authorization(description=MARKER)
        auth["permissions"] = [{"action": a, "resource": resource} for a in ("read", "write")]
        return auth

    def invoke(self, event, **config):
        return self.rotation_module.handler(event, None, {**self.config, **config}, self.sm, self.lam)

    def pending_version(self):
        """What Secrets Manager does before createSecret: a new version labelled AWSPENDING."""
        error = self.driver.rotate(steps=())
        assert error is None
        return self.driver.version

    def step(self, name, version=None, **event):
        return self.invoke(
            {
                "Step": name,
                "SecretId": self.arn,
                "ClientRequestToken": version or self.driver.version,
                **event,
            }
        )

    def value(self, **version):
        try:
            return self.sm.get_secret_value(SecretId=self.arn, **version)["SecretString"]
        except self.sm.exceptions.ResourceNotFoundException:
            return None

    def live(self):
        return sorted(a["token"] for a in self.influx.live(MARKER))

    def posts(self):
        return self.influx.requests.count(("POST", "/api/v2/authorizations"))


@pytest.fixture
def setup(modules, influx, moto, request, monkeypatch):
    return Setup(modules, influx, moto, request.node.name[:150].replace("[", "-").strip("]"), monkeypatch)


# --- each step ---------------------------------------------------------------------------------
def test_create_secret_stores_one_new_marked_token_as_pending_and_is_idempotent(setup):
    version = setup.pending_version()
    setup.step("createSecret")
    pending = setup.value(VersionId=version, VersionStage="AWSPENDING")
    assert pending and pending != setup.first["token"]
    assert setup.live() == sorted([setup.first["token"], pending])
    assert setup.value(VersionStage="AWSCURRENT") == setup.first["token"]  # clients still read it
    setup.step("createSecret")  # Secrets Manager retries a step
    assert setup.posts() == 1 and setup.value(VersionId=version, VersionStage="AWSPENDING") == pending


def test_set_secret_does_nothing(setup):
    setup.pending_version()
    setup.step("createSecret")
    before = (setup.live(), setup.driver.stages())
    setup.step("setSecret")
    assert (setup.live(), setup.driver.stages()) == before


def test_test_secret_accepts_the_pending_token_and_refuses_one_that_does_not_work(setup):
    version = setup.pending_version()
    setup.step("createSecret")
    setup.step("testSecret")
    setup.step("testSecret")
    pending = setup.value(VersionId=version, VersionStage="AWSPENDING")
    (auth,) = [a for a in setup.influx.live(MARKER) if a["token"] == pending]
    auth["status"] = "inactive"
    with pytest.raises(RuntimeError, match="token worker, verify"):
        setup.step("testSecret")


def test_test_secret_refuses_a_token_of_another_bucket(setup):
    version = setup.pending_version()
    other = setup.mint(OTHER_BUCKET)
    setup.sm.put_secret_value(
        SecretId=setup.arn,
        ClientRequestToken=version,
        SecretString=other["token"],
        VersionStages=["AWSPENDING"],
    )
    with pytest.raises(RuntimeError, match="not an active marked authorization"):
        setup.step("testSecret")


def test_finish_secret_moves_the_labels_and_revokes_only_what_is_two_generations_old(setup):
    # A first rotation: the token resource's token becomes AWSPREVIOUS and stays valid.
    assert setup.driver.rotate() is None
    current, previous = setup.value(VersionStage="AWSCURRENT"), setup.value(VersionStage="AWSPREVIOUS")
    assert previous == setup.first["token"] and setup.live() == sorted([current, previous])
    stray = setup.mint()  # e.g. left by a createSecret whose PutSecretValue failed for good
    # The second: createSecret and testSecret, then finishSecret.
    version = setup.pending_version()
    setup.step("createSecret")
    setup.step("testSecret")
    new = setup.value(VersionId=version, VersionStage="AWSPENDING")
    setup.step("finishSecret")
    assert setup.value(VersionStage="AWSCURRENT") == new
    assert setup.value(VersionStage="AWSPREVIOUS") == current
    # Kept: AWSCURRENT's and AWSPREVIOUS's; revoked: the one before (first) and the stray.
    assert setup.live() == sorted([new, current])
    assert not setup.influx.valid(previous) and not setup.influx.valid(stray["token"])
    stages = setup.driver.stages()
    assert "AWSCURRENT" in stages[version] and "AWSPENDING" in stages[version]  # RotateSecret's rule
    setup.step("finishSecret")  # already AWSCURRENT: nothing more
    assert setup.live() == sorted([new, current])


def test_finish_secret_keeps_a_previous_token_only_while_it_fits_the_bucket(setup):
    version = setup.pending_version()
    other = setup.mint(OTHER_BUCKET)
    setup.sm.put_secret_value(SecretId=setup.arn, SecretString=other["token"])  # AWSCURRENT, wrong bucket
    setup.step("createSecret", version)
    new = setup.value(VersionId=version, VersionStage="AWSPENDING")
    setup.step("finishSecret", version)
    assert setup.live() == [new]


# --- refusals ----------------------------------------------------------------------------------
def test_a_request_for_another_secret_is_refused_before_anything_is_read(setup):
    other = setup.sm.create_secret(Name=f"x-{uuid.uuid4()}", SecretString="theirs")["ARN"]
    with pytest.raises(ValueError, match="not this stack's token secret"):
        setup.invoke({"Step": "createSecret", "SecretId": other, "ClientRequestToken": str(uuid.uuid4())})
    assert setup.posts() == 0 and setup.sm.get_secret_value(SecretId=other)["SecretString"] == "theirs"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown step", "unknown step"),
        ("rotation off", "rotation is not enabled"),
        ("no such version", "no such version"),
        ("not pending", "not AWSPENDING"),
        ("no token yet", "holds no token yet"),
    ],
)
def test_requests_that_are_not_a_rotation_of_this_secret_are_refused(setup, case, message):
    version = setup.pending_version()
    event = {}
    if case == "unknown step":
        event["Step"] = "dropSecret"
    elif case == "rotation off":
        setup.driver.cancel()
    elif case == "no such version":
        version = str(uuid.uuid4())
    elif case == "not pending":
        version = setup.sm.put_secret_value(SecretId=setup.arn, SecretString="x", VersionStages=["OTHER"])[
            "VersionId"
        ]
    else:  # a token secret created with no value: the token resource has not made the token yet
        empty = setup.sm.create_secret(Name=f"empty-{uuid.uuid4()}")["ARN"]
        setup.config["TOKEN_SECRET_ARN"] = setup.arn = empty
        setup.driver = Rotation(setup.sm, empty, setup.invoke)
        setup.driver.enable()
        version = setup.pending_version()
    with pytest.raises(ValueError, match=message):
        setup.invoke({"Step": "createSecret", "SecretId": setup.arn, "ClientRequestToken": version, **event})
    assert setup.posts() == 0


def test_a_token_that_cannot_be_stored_is_revoked_and_the_step_fails(setup):
    setup.pending_version()

    def deny(**_):
        raise setup.sm.exceptions.InternalServiceError(
            {"Error": {"Code": "InternalServiceError", "Message": "down"}}, "PutSecretValue"
        )

    setup.sm.meta.events.register("before-call.secretsmanager.PutSecretValue", deny)
    try:
        with pytest.raises(Exception, match="InternalServiceError"):
            setup.step("createSecret")
    finally:
        setup.sm.meta.events.unregister("before-call.secretsmanager.PutSecretValue", deny)
    assert setup.posts() == 1 and setup.live() == [setup.first["token"]]


# --- template facts ----------------------------------------------------------------------------
def test_the_rotation_days_limits_are_secrets_managers():
    model = botocore.session.get_session().get_service_model("secretsmanager")
    days = model.shape_for("RotationRulesType").members["AutomaticallyAfterDays"]
    assert (days.metadata["min"], days.metadata["max"]) == (
        rotation_limits.ROTATION_DAYS_MIN,
        rotation_limits.ROTATION_DAYS_MAX,
    )


def test_the_template_uses_only_properties_cfn_lint_knows(product):
    for name in ("TokenRotationSchedule", "TokenRotationPermission"):
        body = product["Resources"][name]
        assert set(body["Properties"]) <= set(schema(body["Type"], REGION)["properties"]), name


def test_schedule_and_permission_exist_only_with_rotation_on_and_a_stack_made_token(product):
    conditions = product["Conditions"]
    assert conditions[token_rotation.ROTATE_TOKEN] == {
        "Fn::And": [{"Condition": "CreateInfluxDBToken"}, {"Condition": token_rotation.HAS_ROTATION}]
    }
    assert conditions[token_rotation.HAS_ROTATION] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "TokenRotationDays"}, "0"]}]
    }
    schedule = product["Resources"]["TokenRotationSchedule"]
    permission = product["Resources"]["TokenRotationPermission"]
    assert schedule["Condition"] == permission["Condition"] == token_rotation.ROTATE_TOKEN
    assert schedule["Properties"] == {
        "SecretId": {"Ref": "TokenSecret"},
        "RotationLambdaARN": {"Fn::GetAtt": ["TokenRotationFunction", "Arn"]},
        "RotationRules": {"AutomaticallyAfterDays": {"Ref": "TokenRotationDays"}},
    }
    # Secrets Manager of this account, for the token secret only.
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["TokenRotationFunction", "Arn"]},
        "Principal": "secretsmanager.amazonaws.com",
        "SourceAccount": {"Ref": "AWS::AccountId"},
        "SourceArn": {"Ref": "TokenSecret"},
    }


def test_the_role_may_rotate_the_token_secret_only(product):
    (policy,) = product["Resources"]["TokenRotationFunctionRole"]["Properties"]["Policies"]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert by_sid["MoveTokenLabels"]["Action"] == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:UpdateSecretVersionStage",
    ]
    for sid in ("MoveTokenLabels", "StorePendingToken"):
        assert by_sid[sid]["Resource"] == [{"Ref": "TokenSecret"}], sid
    assert by_sid["InvokeTokenWorker"]["Resource"] == [{"Fn::GetAtt": ["TokenWorkerFunction", "Arn"]}]


def test_the_timeout_covers_a_step(product, modules):
    rotation, _ = modules
    timeout = product["Resources"]["TokenRotationFunction"]["Properties"]["Timeout"]
    assert timeout == token_rotation.TIMEOUT
    call = rotation.Worker.invoke.__globals__  # the shared worker_call's (or index.py's) globals
    assert timeout >= rotation.INVOCATIONS * call["INVOKE_TIMEOUT"] + call["ACTIVE_WAIT"] + 30

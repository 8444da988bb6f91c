"""Publish converges: under search lag, throttling, asynchronous OU shares, and an interruption after
any mutating call (the process dies there), a rerun ends with the catalog a clean run makes, and at
no moment are there two products, or two artifacts of a product, with one name."""

from __future__ import annotations

import contextlib
import os

import pytest
from botocore.exceptions import ClientError

from test_publish import BUCKET, CHANGED, TEMPLATE, World, aws_env, make_config  # noqa: F401
from tooling.publish import CallFailed, PublishError

# Each test publishes, often several times, to a moto S3 and the fake Service Catalog.
pytestmark = pytest.mark.slow
MUTATING = ("create_", "update_", "delete_", "associate_", "put_")
SHARES = {"share_accounts": ("210987654321",), "share_ous": ("ou-abcd-12345678",)}


class Died(BaseException):
    """The process stopped right after a call returned (a kill, a lost machine): nothing catches it."""


class Crash:
    """Raise Died after the ``after``-th mutating call of any client of ``world`` (S3 included)."""

    def __init__(self, world: World, after: int | None = None):
        self.after, self.count, self.made = after, 0, []
        for client in [world.s3, *world._clients.values()]:
            client.meta.events.register("after-call.*.*", self.hook)

    def hook(self, model, **_):
        from botocore import xform_name

        name = xform_name(model.name)
        if not name.startswith(MUTATING):
            return
        self.count += 1
        self.made.append(name)
        if self.after is not None and self.count == self.after:
            self.after = None
            raise Died(name)


def lagging_world(**kw) -> World:
    world = World(**kw)  # a reference run uses another bucket: moto's S3 is shared by the test
    for catalog in world.catalogs.values():
        catalog.search_lag = 10**6  # never searchable during the test: the worst case
        catalog.share_delay = 2
    return world


@contextlib.contextmanager
def offline():
    """moto and test credentials while the parameters are collected (the fixtures are not active)."""
    from moto import mock_aws

    keys = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "sa-east-1",
    }
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        with mock_aws():
            yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def count_mutations(run) -> list[str]:
    """The mutating calls of one run: each is an interruption point."""
    with offline():
        world = lagging_world()
        crash = Crash(world)
        run(world)
        return crash.made


def first_publish(world):
    world.publish(config=make_config(**SHARES))


@pytest.mark.parametrize("point", range(1, len(count_mutations(first_publish)) + 1))
def test_a_first_publish_interrupted_after_any_call_converges_under_search_lag(point):
    reference = lagging_world(bucket="reference-bucket")
    first_publish(reference)
    world = lagging_world()
    Crash(world, after=point)
    with pytest.raises(Died):
        first_publish(world)
    assert world.catalog.duplicates() == []
    first_publish(world)
    assert world.catalog.duplicates() == []
    assert world.catalog.summary() == reference.catalog.summary()
    first_publish(world)
    assert world.mutating_calls() == []


def replace_run(world, replace=True):
    world.publish("1.0.0", CHANGED, replace=replace)


def setup_replace(world):
    world.publish("1.0.0")
    world.publish("1.1.0", TEMPLATE + "# 1.1\n")


def replace_points() -> int:
    with offline():
        world = lagging_world()
        setup_replace(world)
        crash = Crash(world)
        replace_run(world)
        return len(crash.made)


def names_1_0_0(world) -> int:
    (artifacts,) = world.catalog.artifacts.values()
    return sum(1 for a in artifacts if a["Name"] == "1.0.0")


@pytest.mark.parametrize("point", range(1, replace_points() + 1))
def test_an_interrupted_replace_never_leaves_two_artifacts_named_the_version(point):
    reference = lagging_world(bucket="reference-bucket")
    setup_replace(reference)
    replace_run(reference)
    world = lagging_world()
    setup_replace(world)
    Crash(world, after=point)
    with pytest.raises(Died):
        replace_run(world)
    assert world.catalog.duplicates() == [] and names_1_0_0(world) <= 1
    # Rerun without the flag: it finishes a replacement that only needs its rename, and otherwise
    # says to rerun with --replace; it never reports success with two artifacts named 1.0.0.
    try:
        replace_run(world, replace=False)
    except PublishError as err:
        assert "--replace" in str(err)
    assert world.catalog.duplicates() == [] and names_1_0_0(world) <= 1
    replace_run(world)
    assert world.catalog.duplicates() == [] and names_1_0_0(world) == 1
    assert world.catalog.summary() == reference.catalog.summary()
    replace_run(world)
    assert world.mutating_calls() == []


def test_a_failure_after_create_product_then_a_corrected_template_makes_no_second_product():
    world = lagging_world()
    world.catalog.failures.append(_failure("associate_product_with_portfolio"))
    with pytest.raises(CallFailed, match="ThrottlingException"):
        world.publish("1.0.0")
    with pytest.raises(PublishError, match="versions are immutable.*--replace"):
        world.publish("1.0.0", CHANGED)
    world.publish("1.0.0", CHANGED, replace=True)
    assert len(world.catalog.products) == 1 and world.catalog.duplicates() == []
    world.publish("1.0.0", CHANGED)
    assert world.mutating_calls() == []


def test_a_lost_create_product_answer_is_recovered_by_its_token_not_by_search():
    world = lagging_world()
    world.catalog.failures.append(_failure("create_product", after=True))
    with pytest.raises(CallFailed):
        world.publish("1.0.0")
    assert len(world.catalog.products) == 1
    world.publish("1.0.0")
    assert len(world.catalog.products) == 1
    assert any("of an interrupted run recorded" in line for line in world.lines)
    creates = [p for op, p in world.catalog.calls if op == "create_product"]
    assert len(creates) == 1  # the same request, whose token returned the product made before


def test_a_throttled_call_during_recovery_is_one_line_and_a_rerun_converges():
    world = World()
    # CreateTagOption made the TagOption but its answer was a duplicate error; looking the TagOption
    # up is then throttled (the read of the state before it made 3 ListTagOptions calls).
    world.catalog.failures.append(
        _failure("create_tag_option", code="DuplicateResourceException", after=True)
    )
    world.catalog.failures.append(_failure("list_tag_options", skip=3))
    with pytest.raises(CallFailed) as err:
        world.publish()
    assert not isinstance(err.value, ClientError) and err.value.__cause__ is None
    assert "ThrottlingException" in str(err.value) and "\n" not in str(err.value)
    world.publish()
    assert world.catalog.summary()["portfolio_tag_options"] == 3
    world.publish()
    assert world.mutating_calls() == []


def test_an_ou_share_is_waited_for_until_completed():
    world = World()
    world.catalog.share_delay = 3
    world.publish(config=make_config(**SHARES))
    assert len(world.slept) == 3
    assert ("ORGANIZATIONAL_UNIT", "ou-abcd-12345678") in world.catalog.summary()["shares"]
    world.publish(config=make_config(**SHARES))
    assert world.mutating_calls() == []


def test_a_failed_ou_share_is_one_line_and_a_rerun_after_the_fix_converges():
    world = World()
    world.catalog.share_delay = 1
    world.catalog.failing_ous.add("ou-abcd-12345678")
    with pytest.raises(
        CallFailed, match=r"share with ou-abcd-12345678 failed .*ended ERROR \(InvalidParameters"
    ):
        world.publish(config=make_config(**SHARES))
    world.catalog.failing_ous.clear()
    world.publish(config=make_config(**SHARES))
    assert ("ORGANIZATIONAL_UNIT", "ou-abcd-12345678") in world.catalog.summary()["shares"]


def test_the_fake_throttles_with_the_real_error_shape():
    world = World()
    world.catalog.failures.append(_failure("list_portfolios"))
    with pytest.raises(ClientError) as err:
        world.client_for("servicecatalog", "sa-east-1").list_portfolios()
    error = err.value.response
    assert error["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_fake_search_lags_but_reads_by_id_do_not():
    world = lagging_world()
    world.catalog.search_lag = 2
    client = world.client_for("servicecatalog", "sa-east-1")
    made = client.create_product(
        Name="P",
        Owner="o",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        IdempotencyToken="t",
        ProvisioningArtifactParameters={"Name": "1", "Info": {"LoadTemplateFromURL": "https://x"}},
    )
    pid = made["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    seen = [len(client.search_products_as_admin()["ProductViewDetails"]) for _ in range(3)]
    assert seen == [0, 0, 1]
    assert client.describe_product_as_admin(Id=pid)["ProductViewDetail"]["ProductViewSummary"]["Name"] == "P"


def _failure(operation, code="ThrottlingException", after=False, skip=0):
    from fake_servicecatalog import Failure

    return Failure(operation, code, after=after, skip=skip)

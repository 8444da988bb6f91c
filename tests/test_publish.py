"""Publishing to Service Catalog without AWS: Stubber-checked fake catalog, moto for S3.

Scenarios: first publish, idempotent rerun (zero mutating calls), new version, changed template
under an existing version, --replace, deprecation, dry run, a failure at every call then a
rerun to convergence, and the bad input that must stop a run before any change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest
from moto import mock_aws

from conftest import ROOT
from fake_servicecatalog import SESSION, Failure, FakeCatalog
from tooling.publish import CallFailed, PublishError, publish
from tooling.publish.config import CatalogConfig, Portfolio, Product
from tooling.publish.plan import STEP_NAMES

# Each test starts moto's in-process S3 and a Stubber-checked catalog: a few seconds in all.
pytestmark = pytest.mark.slow

REGION = "sa-east-1"
BUCKET = "catalog-templates-test"
TEMPLATE = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"
CHANGED = TEMPLATE + "# changed\n"


def make_config(**changes) -> CatalogConfig:
    values = dict(
        template="timestream-influxdb",
        portfolio=Portfolio("ONS Data Platform", "Platform team", "Time-series building blocks"),
        product=Product(
            "Timestream for InfluxDB",
            "Platform team",
            "InfluxDB for Lambda clients",
            support_email="team@example.com",
            support_url="https://example.com/help",
        ),
        bucket=BUCKET,
        regions=(REGION,),
        launch_role_name="TimestreamInfluxDBLaunchRole",
        principals=("arn:aws:iam::123456789012:role/Engineers",),
        tag_options=(("CostCenter", "data-platform"), ("Environment", "dev"), ("Environment", "prod")),
    )
    values.update(changes)
    return CatalogConfig(**values)


class World:
    """A fake Service Catalog per Region and moto's S3, behind the publish code's client factory."""

    def __init__(self, regions=(REGION,), bucket=BUCKET):
        self.catalogs = {r: FakeCatalog(region=r) for r in regions}
        self._clients = {r: c.client() for r, c in self.catalogs.items()}
        self.s3 = SESSION.client("s3", region_name=REGION)
        self.sts = SESSION.client("sts", region_name=REGION)  # moto's: account 123456789012
        # A second World in the same test (a reference run) shares moto's S3.
        with contextlib.suppress(self.s3.exceptions.BucketAlreadyOwnedByYou):
            self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.bucket = bucket
        self.lines: list[str] = []
        self.slept: list[float] = []

    @property
    def catalog(self) -> FakeCatalog:
        return next(iter(self.catalogs.values()))

    def client_for(self, service, region):
        return {"s3": self.s3, "sts": self.sts}.get(service) or self._clients[region]

    def publish(self, version="1.0.0", text=TEMPLATE, config=None, **flags):
        self.lines.clear()
        for catalog in self.catalogs.values():
            catalog.calls.clear()
        config = config or make_config(regions=tuple(self.catalogs))
        return publish(
            dataclasses.replace(config, bucket=self.bucket) if config.bucket == BUCKET else config,
            version,
            text,
            self.client_for,
            log=self.lines.append,
            sleep=self.slept.append,
            **flags,
        )

    def mutating_calls(self):
        return [c for catalog in self.catalogs.values() for c in catalog.mutating_calls()]


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.fixture
def world() -> World:
    return World()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_first_publish_creates_everything_and_prints_one_line_per_step(world):
    result = world.publish()
    ops = [op for op, _ in world.catalog.mutating_calls()]
    assert ops == [
        "create_portfolio",
        "create_product",
        "associate_product_with_portfolio",
        "create_constraint",
        "associate_principal_with_portfolio",
        "create_tag_option",
        "associate_tag_option_with_resource",
        "create_tag_option",
        "associate_tag_option_with_resource",
        "create_tag_option",
        "associate_tag_option_with_resource",
    ]
    key = f"timestream-for-influxdb/1.0.0/{sha(TEMPLATE)}.yaml"
    head = world.s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    (product_id,) = world.catalog.products
    (artifact,) = world.catalog.artifacts[product_id]
    assert artifact["Name"] == "1.0.0" and sha(TEMPLATE) in artifact["Description"]
    ((_, create_product),) = [c for c in world.catalog.calls if c[0] == "create_product"]
    assert create_product["ProvisioningArtifactParameters"]["Info"] == {
        "LoadTemplateFromURL": f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{key}"
    }
    (constraint,) = world.catalog.constraints.values()
    assert json.loads(constraint["Parameters"]) == {"LocalRoleName": "TimestreamInfluxDBLaunchRole"}
    assert result.product == {REGION: product_id} and result.artifact == {REGION: artifact["Id"]}
    steps = [
        line.split()[1] for line in world.lines if line.startswith("publish ") and "/" in line.split()[1]
    ]
    assert steps == ["2/5", "3/5", "4/5", "5/5"]
    assert world.lines[-1].startswith(
        "publish done Timestream for InfluxDB 1.0.0 in sa-east-1: product prod-"
    )
    assert f"#/admin-products/{product_id}" in world.lines[-1]


def test_republishing_the_same_version_makes_no_mutating_call(world):
    first = world.publish()
    again = world.publish()
    assert world.mutating_calls() == [] and again.calls_made == 0
    assert again.plan.calls == []
    assert (again.product, again.artifact) == (first.product, first.artifact)
    assert "already there (same sha256), skipped" in world.lines[0]
    assert world.lines[1].endswith(
        f"portfolio {next(iter(world.catalog.portfolios))} found; product {first.product[REGION]} found"
    )
    assert world.lines[2].endswith(f"version 1.0.0 ({first.artifact[REGION]}) has this template already")
    assert world.lines[3].endswith("sa-east-1: nothing needed")


def test_a_new_version_adds_one_artifact_only(world):
    world.publish("1.0.0")
    world.publish("1.1.0", CHANGED)
    assert [op for op, _ in world.mutating_calls()] == ["create_provisioning_artifact"]
    (artifacts,) = world.catalog.artifacts.values()
    assert [a["Name"] for a in artifacts] == ["1.0.0", "1.1.0"]


def test_a_changed_template_under_an_existing_version_is_refused(world):
    world.publish("1.0.0")
    with pytest.raises(PublishError, match="versions are immutable.*--replace"):
        world.publish("1.0.0", CHANGED)
    assert world.mutating_calls() == []


def test_replace_creates_the_new_artifact_aside_deletes_the_old_then_renames(world):
    world.publish("1.0.0")
    (old,) = next(iter(world.catalog.artifacts.values()))
    world.publish("1.0.0", CHANGED, replace=True)
    calls = world.mutating_calls()
    assert [op for op, _ in calls] == [
        "create_provisioning_artifact",
        "delete_provisioning_artifact",
        "update_provisioning_artifact",
    ]
    pending = f"1.0.0+replacing.{sha(CHANGED)[:12]}"
    assert calls[0][1]["Parameters"]["Name"] == pending
    assert calls[1][1]["ProvisioningArtifactId"] == old["Id"]
    assert calls[2][1]["Name"] == "1.0.0"
    (new,) = next(iter(world.catalog.artifacts.values()))
    assert new["Id"] != old["Id"] and sha(CHANGED) in new["Description"]
    world.publish("1.0.0", CHANGED, replace=True)
    assert world.mutating_calls() == []


def test_deprecate_older_sets_guidance_on_earlier_versions_only(world):
    world.publish("1.0.0")
    world.publish("1.1.0-rc.1", TEMPLATE + "# rc\n")
    world.publish("1.1.0", CHANGED, deprecate_older=True)
    updates = [p for op, p in world.mutating_calls() if op == "update_provisioning_artifact"]
    assert len(updates) == 2 and all(p["Guidance"] == "DEPRECATED" for p in updates)
    guidance = {a["Name"]: a["Guidance"] for a in next(iter(world.catalog.artifacts.values()))}
    assert guidance == {"1.0.0": "DEPRECATED", "1.1.0-rc.1": "DEPRECATED", "1.1.0": "DEFAULT"}
    world.publish("1.1.0", CHANGED, deprecate_older=True)
    assert world.mutating_calls() == []


def test_dry_run_prints_every_mutating_call_and_makes_none(world):
    result = world.publish(dry_run=True)
    assert world.mutating_calls() == []
    assert world.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    plan_lines = [line for line in world.lines if line.startswith("plan ")]
    assert len(plan_lines) == len(result.plan.calls) + 2
    assert plan_lines[-2] == (
        "plan    then Timestream for InfluxDB 1.0.0 in sa-east-1: product <product@sa-east-1>, artifact <artifact@sa-east-1>"
    )
    assert (
        "s3.put_object(Bucket='catalog-templates-test'" in plan_lines[0]
        and "Body=<template>" in plan_lines[0]
    )
    assert any(
        "servicecatalog.create_portfolio(DisplayName='ONS Data Platform'" in line for line in plan_lines
    )
    assert any("PortfolioId=<portfolio@sa-east-1>" in line for line in plan_lines)
    assert plan_lines[-1].endswith("--dry-run: none made")


@pytest.mark.parametrize("after", [False, True], ids=["before-change", "response-lost"])
@pytest.mark.parametrize(
    "operation",
    [
        "create_portfolio",
        "create_product",
        "associate_product_with_portfolio",
        "create_constraint",
        "associate_principal_with_portfolio",
        "create_tag_option",
        "associate_tag_option_with_resource",
        "create_portfolio_share",
    ],
)
def test_a_failure_at_any_call_converges_on_rerun(operation, after):
    config = make_config(share_accounts=("210987654321",), share_ous=("ou-abcd-12345678",))
    reference = World()
    reference.publish(config=config)
    expected = reference.catalog.summary()

    world = World()
    world.catalog.failures.append(Failure(operation, "ThrottlingException", after=after))
    with pytest.raises(CallFailed, match="ThrottlingException"):
        world.publish(config=config)
    world.publish(config=config)
    assert world.catalog.summary() == expected
    world.publish(config=config)
    assert world.mutating_calls() == []


@pytest.mark.parametrize("after", [False, True], ids=["before-change", "response-lost"])
@pytest.mark.parametrize(
    "operation",
    ["create_provisioning_artifact", "update_provisioning_artifact", "delete_provisioning_artifact"],
)
def test_a_failure_while_versioning_converges_on_rerun(operation, after):
    reference = World()
    reference.publish("1.0.0")
    reference.publish("1.1.0", CHANGED)
    reference.publish("1.1.0", CHANGED + "# again\n", replace=True, deprecate_older=True)
    world = World()
    world.publish("1.0.0")
    world.publish("1.1.0", CHANGED)
    world.catalog.failures.append(Failure(operation, "AccessDeniedException", after=after))
    with pytest.raises(CallFailed, match="AccessDenied"):
        world.publish("1.1.0", CHANGED + "# again\n", replace=True, deprecate_older=True)
    world.publish("1.1.0", CHANGED + "# again\n", replace=True, deprecate_older=True)
    assert world.catalog.summary() == reference.catalog.summary()
    world.publish("1.1.0", CHANGED + "# again\n", replace=True, deprecate_older=True)
    assert world.mutating_calls() == []


def test_an_s3_failure_stops_before_the_catalog_and_a_rerun_finishes(world, monkeypatch):
    real = world.s3.put_object
    calls = {"n": 0}

    def flaky(**params):
        calls["n"] += 1
        if calls["n"] == 1:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://s3")
        return real(**params)

    monkeypatch.setattr(world.s3, "put_object", flaky)
    with pytest.raises(CallFailed, match="upload"):
        world.publish()
    assert world.mutating_calls() == []
    world.publish()
    assert len(world.catalog.products) == 1


def test_a_tag_option_created_meanwhile_is_reused():
    world = World()
    world.catalog.failures.append(Failure("create_tag_option", "DuplicateResourceException", after=True))
    world.publish()
    assert len(world.catalog.tag_options) == 3
    assert world.catalog.summary()["portfolio_tag_options"] == 3


def test_names_match_exactly_across_pages(world):
    # Similar names (the search is fuzzy) on several pages before ours.
    for i in range(5):
        world.catalog.create_portfolio(f"ONS Data Platform {i}", "x", "t")
        world.catalog.create_product(
            f"Timestream for InfluxDB {i}", "x", "CLOUD_FORMATION_TEMPLATE", "t", {"Name": "0.1.0"}
        )
    world.publish()
    assert [op for op, _ in world.catalog.mutating_calls()][:2] == ["create_portfolio", "create_product"]
    world.publish()
    assert world.mutating_calls() == []
    pages = [p for op, p in world.catalog.calls if op == "list_portfolios"]
    assert len(pages) > 1, "ListPortfolios was not paginated"


def test_two_portfolios_with_our_name_stop_the_run(world):
    world.catalog.create_portfolio("ONS Data Platform", "x", "t1")
    world.catalog.create_portfolio("ONS Data Platform", "x", "t2")
    with pytest.raises(PublishError, match="2 portfolios are named 'ONS Data Platform'"):
        world.publish()
    assert world.mutating_calls() == []


def test_existing_constraint_with_another_role_is_updated(world):
    world.publish()
    world.publish(config=make_config(launch_role_name="OtherLaunchRole"))
    assert [op for op, _ in world.mutating_calls()] == ["update_constraint"]


def test_shares_and_principal_patterns(world):
    config = make_config(
        principals=("arn:aws:iam:::role/DataPlatform*",),
        share_accounts=("210987654321",),
        share_ous=("ou-abcd-12345678",),
    )
    world.publish(config=config)
    (principals,) = world.catalog.principals.values()
    assert principals == {"arn:aws:iam:::role/DataPlatform*": "IAM_PATTERN"}
    assert world.catalog.summary()["shares"] == [
        ("ACCOUNT", "210987654321"),
        ("ORGANIZATIONAL_UNIT", "ou-abcd-12345678"),
    ]
    world.publish(config=config)
    assert world.mutating_calls() == []


def test_every_region_gets_the_product():
    world = World(regions=("sa-east-1", "us-east-1"))
    result = world.publish()
    assert set(result.product) == {"sa-east-1", "us-east-1"}
    assert all(len(c.products) == 1 for c in world.catalogs.values())
    assert sum(1 for line in world.lines if line.startswith("publish done")) == 2
    world.publish()
    assert world.mutating_calls() == []


def test_a_missing_bucket_stops_before_any_call(world):
    with pytest.raises(PublishError, match="bucket 'nope-bucket' does not exist"):
        world.publish(config=make_config(bucket="nope-bucket"))
    assert world.catalog.calls == []


def test_a_bad_version_stops_before_any_call(world):
    with pytest.raises(PublishError, match="not a version"):
        world.publish("v1")
    assert world.catalog.calls == []


def test_a_read_failure_is_one_line_and_changes_nothing(world):
    world.catalog.failures.append(Failure("list_portfolios", "AccessDeniedException"))
    with pytest.raises(
        PublishError, match=r"reading the catalog: AWS denied ListPortfolios \(AccessDeniedException"
    ):
        world.publish()
    assert world.mutating_calls() == []


def test_step_names_cover_every_step():
    assert sorted(STEP_NAMES) == [1, 2, 3, 4, 5]


def test_clients_are_the_projects_with_timeouts_and_bounded_retries():
    from tooling import aws
    from tooling.publish import clients_for

    client_for = clients_for(aws.Target(endpoint_url="http://127.0.0.1:9"))
    client = client_for("servicecatalog", REGION)
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": aws.TOTAL_ATTEMPTS}
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (
        aws.CONNECT_TIMEOUT,
        aws.READ_TIMEOUT,
    )
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client_for("s3", "us-east-1").meta.region_name == "us-east-1"


@pytest.mark.parametrize("region", ["af-south-1", "ap-east-1", "ap-northeast-2", "ca-west-1", "us-west-1"])
def test_a_region_without_every_resource_type_is_refused_before_any_call(region):
    from tooling.cfn import schemas

    template = (ROOT / "output" / "timestream-influxdb.yaml").read_text()
    assert "AWS::Timestream::InfluxDBInstance" in schemas.missing_types(
        ["AWS::Timestream::InfluxDBInstance"], region
    ), "cfn-lint's data now has the type there: pick a Region that lacks it"
    world = World(regions=(REGION, region))
    with pytest.raises(PublishError) as err:
        world.publish(text=template)
    message = str(err.value)
    assert f"cannot be launched in {region}: no AWS::Timestream::InfluxDBInstance there" in message
    assert "accepted Regions: " in message and REGION in message.split("accepted Regions: ")[1]
    assert "\n" not in message
    assert all(c.calls == [] for c in world.catalogs.values())
    assert world.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_a_product_with_100_versions_gets_no_more(world):
    world.publish("1.0.0")
    (product,) = world.catalog.products
    for i in range(99):
        world.catalog._add_artifact(product, {"Name": f"0.0.{i}"})
    with pytest.raises(PublishError, match="100 versions, the most Service Catalog allows"):
        world.publish("2.0.0", CHANGED)
    assert world.mutating_calls() == []


def test_the_fake_checks_requests_and_responses_against_the_service_model(world):
    from botocore.exceptions import ParamValidationError

    client = world.client_for("servicecatalog", REGION)
    with pytest.raises(ParamValidationError):
        client.create_portfolio(DisplayName="x", IdempotencyToken="t")  # no ProviderName
    assert world.catalog.portfolios == {}
    with pytest.raises(ParamValidationError):
        client.update_provisioning_artifact(ProductId="p", ProvisioningArtifactId="a", Active="yes")
    with pytest.raises(ValueError, match="Guidance: 'OLD' is not one of"):
        client.update_provisioning_artifact(ProductId="p", ProvisioningArtifactId="a", Guidance="OLD")


def readme_publish_permissions() -> set[str]:
    """The IAM actions the README's "Who may publish" section lists (its code block)."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split("### Who may publish", 1)[1].split("\n#", 1)[0]
    block = section.split("```", 2)[1]
    return set(re.findall(r"\b(?:servicecatalog|s3|sts):[A-Za-z]+\b", block))


def test_the_readme_lists_every_permission_publish_uses(world):
    """Every call of a first publish with principals, TagOptions and shares, a replacement, a new
    version deprecating the older ones and a rerun, as IAM actions: each one is in the README."""
    used: set[str] = set()
    for client in (world.s3, world.sts, *world._clients.values()):
        prefix = client.meta.service_model.signing_name
        # Before the fake's Stubber answers: every call the code makes, answered or failed.
        client.meta.events.register_first(
            "before-parameter-build.*.*", lambda model, p=prefix, **_: used.add(f"{p}:{model.name}")
        )
    config = make_config(share_accounts=("210987654321",), share_ous=("ou-abcd-12345678",))
    world.publish(config=config)
    world.publish("1.0.0", CHANGED, config=config, replace=True)
    world.publish("1.1.0", TEMPLATE + "# 1.1\n", config=config, deprecate_older=True)
    world.publish("1.1.0", TEMPLATE + "# 1.1\n", config=config)
    assert {"s3:PutObject", "servicecatalog:CreateProduct", "servicecatalog:CreatePortfolioShare"} <= used
    # S3 authorizes HeadBucket with s3:ListBucket and HeadObject with s3:GetObject (the Amazon S3
    # API Reference for each operation); every other call here is its own IAM action.
    actions = {S3_ACTION_OF.get(name, name) for name in used}
    assert actions <= readme_publish_permissions(), sorted(actions - readme_publish_permissions())


S3_ACTION_OF = {"s3:HeadBucket": "s3:ListBucket", "s3:HeadObject": "s3:GetObject"}

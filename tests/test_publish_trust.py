"""What publish takes from the template bucket and the catalog is checked before it is used: a
record written by someone else never chooses a request, an object at the template's key must be
this template, and a recorded product must be the caller's own CloudFormation product."""

from __future__ import annotations

import json

import pytest

from test_publish import BUCKET, REGION, TEMPLATE, World, aws_env, make_config, sha  # noqa: F401
from tooling.publish import PublishError

pytestmark = pytest.mark.slow

EVIL_URL = "https://evil.example/t.yaml"
RECORD_KEY = f"timestream-for-influxdb/publish-records/{REGION}.json"
TEMPLATE_KEY = f"timestream-for-influxdb/1.0.0/{sha(TEMPLATE)}.yaml"


def forge_record(world: World, record: dict) -> None:
    world.s3.put_object(Bucket=world.bucket, Key=RECORD_KEY, Body=json.dumps(record).encode())


def evil_request(name: str = "Timestream for InfluxDB") -> dict:
    return {
        "Name": name,
        "Owner": "x",
        "ProductType": "CLOUD_FORMATION_TEMPLATE",
        "IdempotencyToken": "forged",
        "ProvisioningArtifactParameters": {"Name": "9.9.9", "Info": {"LoadTemplateFromURL": EVIL_URL}},
    }


def sent(world: World) -> str:
    return json.dumps([c for c in world.catalog.calls], default=str)


@pytest.mark.parametrize(
    "record",
    [
        {"name": "Timestream for InfluxDB", "create": evil_request()},
        {"name": "Evil product", "create": evil_request("Evil product")},
        # The format publish writes, for another version and template: ignored, with one line.
        {"name": "Timestream for InfluxDB", "version": "9.9.9", "sha256": "0" * 64, "token": "forged"},
    ],
    ids=["request-in-record", "other-name", "other-version"],
)
def test_a_forged_record_never_chooses_what_create_product_sends(record):
    world = World()
    world.catalog.search_lag = 10**6  # no product found by search: the record would be used
    forge_record(world, record)
    world.publish()
    assert EVIL_URL not in sent(world) and "9.9.9" not in sent(world) and "Evil" not in sent(world)
    ((_, request),) = [c for c in world.catalog.calls if c[0] == "create_product"]
    assert request["Name"] == "Timestream for InfluxDB"
    assert request["ProvisioningArtifactParameters"]["Name"] == "1.0.0"
    url = request["ProvisioningArtifactParameters"]["Info"]["LoadTemplateFromURL"]
    assert url == f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{TEMPLATE_KEY}"
    assert request["IdempotencyToken"] != "forged"
    if "token" in record:
        assert any("ignored" in line and RECORD_KEY in line for line in world.lines)


def test_a_record_of_this_release_gives_only_its_token():
    """A record naming this very release (anyone can compute the hash) with an extra request in it:
    only its token is used, the request is this run's."""
    world = World()
    world.catalog.search_lag = 10**6
    record = {"name": "Timestream for InfluxDB", "version": "1.0.0", "sha256": sha(TEMPLATE)}
    forge_record(world, {**record, "token": "tok-1", "create": evil_request()})
    world.publish()
    (product,) = world.catalog.products.values()
    assert product["Name"] == "Timestream for InfluxDB" and EVIL_URL not in sent(world)
    ((_, request),) = [c for c in world.catalog.calls if c[0] == "create_product"]
    assert request["IdempotencyToken"] == "tok-1"
    assert request["ProvisioningArtifactParameters"]["Info"]["LoadTemplateFromURL"].endswith(TEMPLATE_KEY)
    assert any("of an interrupted run recorded" in line for line in world.lines)


def test_another_object_at_the_templates_key_is_refused_and_nothing_is_published():
    world = World()
    world.s3.put_object(Bucket=world.bucket, Key=TEMPLATE_KEY, Body=b"Resources: {evil: true}\n")
    with pytest.raises(PublishError) as err:
        world.publish()
    message = str(err.value)
    assert f"s3://{BUCKET}/{TEMPLATE_KEY} holds another object" in message and "\n" not in message
    assert "someone else wrote it; check who may write the bucket" in message
    assert world.catalog.mutating_calls() == []
    body = world.s3.get_object(Bucket=world.bucket, Key=TEMPLATE_KEY)["Body"].read()
    assert body == b"Resources: {evil: true}\n"  # not overwritten either: who wrote it is to be found


def test_the_same_template_already_at_its_key_is_used_without_an_upload():
    world = World()
    world.s3.put_object(Bucket=world.bucket, Key=TEMPLATE_KEY, Body=TEMPLATE.encode())
    puts = []
    world.s3.meta.events.register("before-call.s3.PutObject", lambda params, **_: puts.append(params))
    world.publish()
    assert "already there (same sha256), skipped" in world.lines[0]
    assert all(p["url_path"].endswith(".json") for p in puts)  # only the records are written


@pytest.mark.parametrize(
    "account, product_type",
    [("999999999999", "CLOUD_FORMATION_TEMPLATE"), ("123456789012", "MARKETPLACE")],
    ids=["another-account", "not-cloudformation"],
)
def test_a_recorded_product_is_adopted_only_if_it_is_the_callers_cloudformation_product(
    account, product_type
):
    world = World()
    world.catalog.search_lag = 10**6  # found only through the record
    made = world.catalog.create_product("Timestream for InfluxDB", "x", product_type, "t", {"Name": "0.1.0"})
    foreign = made["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    world.catalog.products[foreign]["Account"] = account
    forge_record(world, {"name": "Timestream for InfluxDB", "product_id": foreign})
    result = world.publish()
    assert result.product[REGION] != foreign
    assert not [c for c in world.catalog.mutating_calls() if c[1].get("ProductId") == foreign]
    (line,) = [line for line in world.lines if f"recorded product {foreign} ignored" in line]
    assert f"a {product_type} of account {account}, not a CLOUD_FORMATION_TEMPLATE of 123456789012" in line


def test_the_callers_recorded_product_is_adopted():
    world = World()
    world.catalog.search_lag = 10**6
    first = world.publish()
    world.publish()
    assert world.mutating_calls() == [] and world.catalog.duplicates() == []
    assert f"product {first.product[REGION]} found" in world.lines[1]


def s3_calls(world: World) -> list[tuple[str, dict]]:
    made: list[tuple[str, dict]] = []
    world.s3.meta.events.register_first(
        "before-parameter-build.s3.*", lambda params, model, **_: made.append((model.name, dict(params)))
    )
    return made


def test_every_s3_call_names_the_callers_account_as_the_buckets_owner():
    """Upload, records, a replayed CreateProduct and a rerun: HeadBucket, GetObject, PutObject."""
    world = World()
    world.catalog.failures.append(_lost("create_product"))
    made = s3_calls(world)
    with pytest.raises(Exception, match="ThrottlingException"):
        world.publish()
    world.publish()
    world.publish()
    assert {name for name, _ in made} == {"HeadBucket", "GetObject", "PutObject"}
    assert [name for name, p in made if p.get("ExpectedBucketOwner") != "123456789012"] == []


def test_a_bucket_of_another_account_stops_the_run_before_any_change():
    world = World()

    def owned_by_someone_else(params, model, **_):  # what S3 answers a wrong ExpectedBucketOwner
        from botocore.exceptions import ClientError

        if params.get("ExpectedBucketOwner") != "999999999999":
            error = {
                "Error": {"Code": "403", "Message": "Forbidden"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
            raise ClientError(error, model.name)

    world.s3.meta.events.register_first("before-parameter-build.s3.*", owned_by_someone_else)
    with pytest.raises(PublishError) as err:
        world.publish()
    assert str(err.value) == (
        f"bucket {BUCKET!r}: access denied to these credentials, or the bucket is not owned by their "
        "account 123456789012"
    )
    assert world.catalog.calls == []


def _lost(operation):
    from fake_servicecatalog import Failure

    return Failure(operation, "ThrottlingException", after=True)


def test_a_product_deleted_then_published_again_is_a_new_product_not_the_deleted_one():
    """The service remembers an IdempotencyToken for a while: the same token would return the
    deleted product's id (the fake keeps tokens for ever)."""
    world = World()
    first = world.publish().product[REGION]
    fake = world.catalog
    fake.products.pop(first), fake.artifacts.pop(first)
    fake.links = {link for link in fake.links if link[0] != first}
    fake.constraints = {k: c for k, c in fake.constraints.items() if c["ProductId"] != first}
    again = world.publish().product[REGION]
    assert again != first and list(fake.products) == [again]
    world.publish()
    assert world.mutating_calls() == []


def test_replacing_back_and_forth_never_gets_a_deleted_artifact_back():
    """A->B, B->A, A->B under one version: the third replacement is a new artifact with B."""
    world = World()
    a, b = TEMPLATE, TEMPLATE + "# b\n"
    world.publish("1.0.0", a)
    for text in (b, a, b):
        world.publish("1.0.0", text, replace=True)
        (artifacts,) = world.catalog.artifacts.values()
        assert [x["Name"] for x in artifacts] == ["1.0.0"] and sha(text) in artifacts[0]["Description"]
    world.publish("1.0.0", b)
    assert world.mutating_calls() == []

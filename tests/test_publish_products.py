"""Publishing several products from one configuration: one portfolio, a product each, each with its
own template, records and launch constraint (its own launch role); a rerun changes nothing, and a
run interrupted anywhere, between the products too, converges on the next run."""

from __future__ import annotations

import dataclasses
import json

import pytest
from test_publish_convergence import SHARES, Crash, Died, count_mutations, lagging_world

from test_publish import REGION, TEMPLATE, World, aws_env, make_config  # noqa: F401
from tooling.publish import PublishError, publish_all
from tooling.publish.config import Catalog, Product

pytestmark = pytest.mark.slow

# The second product: another template (another hash, another S3 key) and its own launch role.
SMALL_TEMPLATE = (
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n"
)
TEXTS = {"timestream-influxdb": TEMPLATE, "small-product": SMALL_TEMPLATE}


def make_catalog(world: World, **shared) -> Catalog:
    first = make_config(regions=tuple(world.catalogs), bucket=world.bucket, **shared)
    second = dataclasses.replace(
        first,
        template="small-product",
        product=Product("Small product", "Platform team", "A log group"),
        launch_role_name="SmallProductLaunchRole",
    )
    return Catalog((first, second))


def publish_both(world: World, catalog: Catalog | None = None, **flags):
    world.lines.clear()
    for fake in world.catalogs.values():
        fake.calls.clear()
    return publish_all(
        catalog or make_catalog(world, **SHARES),
        flags.pop("version", "1.0.0"),
        TEXTS,
        world.client_for,
        log=world.lines.append,
        sleep=world.slept.append,
        **flags,
    )


def roles_by_product(world: World) -> dict[str, str]:
    fake = world.catalog
    return {
        fake.products[c["ProductId"]]["Name"]: json.loads(c["Parameters"])["LocalRoleName"]
        for c in fake.constraints.values()
    }


def test_two_products_in_one_portfolio_each_with_its_own_launch_role_and_records():
    world = World()
    first, second = publish_both(world)
    fake = world.catalog
    assert len(fake.portfolios) == 1
    assert sorted(p["Name"] for p in fake.products.values()) == ["Small product", "Timestream for InfluxDB"]
    assert roles_by_product(world) == {
        "Timestream for InfluxDB": "TimestreamInfluxDBLaunchRole",
        "Small product": "SmallProductLaunchRole",
    }
    assert first.product[REGION] != second.product[REGION]
    # Every product is in the portfolio; the portfolio's principals and TagOptions are made once.
    portfolio = next(iter(fake.portfolios))
    assert {(p, portfolio) for p in fake.products} <= set(fake.links)
    assert fake.summary()["principals"] == ["arn:aws:iam::123456789012:role/Engineers"]
    # Each product's template under its own prefix, and its own record of its product id.
    keys = {o["Key"] for o in world.s3.list_objects_v2(Bucket=world.bucket)["Contents"]}
    assert {k.split("/", 1)[0] for k in keys} == {"timestream-for-influxdb", "small-product"}
    for slug, result in (("timestream-for-influxdb", first), ("small-product", second)):
        record = world.s3.get_object(Bucket=world.bucket, Key=f"{slug}/publish-records/{REGION}.json")
        assert json.loads(record["Body"].read())["product_id"] == result.product[REGION]
    # A line says which product each block of steps is for.
    assert [line for line in world.lines if line.startswith("publish product")] == [
        "publish product 'Timestream for InfluxDB' (timestream-influxdb), launch role TimestreamInfluxDBLaunchRole",
        "publish product 'Small product' (small-product), launch role SmallProductLaunchRole",
    ]


def test_a_rerun_makes_no_mutating_call():
    world = World()
    publish_both(world)
    publish_both(world)
    assert world.mutating_calls() == []
    assert world.catalog.duplicates() == []


def two_products(world):
    publish_both(world)


@pytest.mark.parametrize("point", range(1, len(count_mutations(two_products)) + 1))
def test_an_interruption_anywhere_in_either_product_converges_under_search_lag(point):
    """The process dies after any mutating call, also after the first product is done and before
    the second starts; the rerun ends with what an uninterrupted run makes, and nothing twice."""
    reference = lagging_world(bucket="reference-bucket")
    two_products(reference)
    world = lagging_world()
    Crash(world, after=point)
    with pytest.raises(Died):
        two_products(world)
    assert world.catalog.duplicates() == []
    two_products(world)
    assert world.catalog.duplicates() == []
    assert world.catalog.summary() == reference.catalog.summary()
    assert roles_by_product(world) == roles_by_product(reference)
    two_products(world)
    assert world.mutating_calls() == []


def test_dry_run_plans_every_product_and_makes_no_call():
    world = World()
    results = publish_both(world, dry_run=True)
    assert world.mutating_calls() == [] and [r.calls_made for r in results] == [0, 0]
    assert not world.s3.list_objects_v2(Bucket=world.bucket).get("Contents")
    text = "\n".join(world.lines)
    for name, role in (
        ("Timestream for InfluxDB", "TimestreamInfluxDBLaunchRole"),
        ("Small product", "SmallProductLaunchRole"),
    ):
        assert f"create_product(Name='{name}'" in text
        assert f'LocalRoleName": "{role}' in text
        assert f"plan    then {name} 1.0.0 in {REGION}" in text
    assert sum(line.endswith("--dry-run: none made") for line in world.lines) == 2


def test_a_region_one_product_cannot_be_launched_in_refuses_the_run_before_any_call():
    """Refusing the run (not skipping the product there): no run publishes a partial catalog."""
    world = World(regions=(REGION, "af-south-1"))
    texts = {
        **TEXTS,
        "small-product": "Resources:\n  I:\n    Type: AWS::Timestream::InfluxDBInstance\n",
    }
    with pytest.raises(PublishError) as err:
        publish_all(make_catalog(world), "1.0.0", texts, world.client_for, log=world.lines.append)
    lines = str(err.value).splitlines()
    refused = [line for line in lines if "cannot be launched" in line]
    assert refused and all(line.startswith("small-product cannot be launched in") for line in refused)
    assert world.mutating_calls() == [] and world.lines == []


def test_one_product_can_be_chosen():
    world = World()
    catalog = make_catalog(world).select(["small-product"])
    publish_both(world, catalog)
    assert [p["Name"] for p in world.catalog.products.values()] == ["Small product"]
    assert roles_by_product(world) == {"Small product": "SmallProductLaunchRole"}


def test_dry_run_of_the_committed_catalog_plans_each_of_its_products_with_its_launch_role():
    """``make publish --dry-run`` with catalog.yaml as committed: every product it lists (the three
    products of the registry) is planned from its built template, each with its own launch role,
    and nothing is made."""
    from conftest import ROOT
    from templates_src.registry import PRODUCTS
    from tooling.publish.config import load

    world = World()
    catalog = load(ROOT / "catalog.yaml", [f"bucket={world.bucket}", f"regions={REGION}"])
    assert sorted(p.template for p in catalog.products) == sorted(p.name for p in PRODUCTS)
    texts = {p.template: (ROOT / "output" / f"{p.template}.yaml").read_text() for p in catalog.products}
    results = publish_all(
        catalog,
        "1.0.0",
        texts,
        world.client_for,
        log=world.lines.append,
        sleep=world.slept.append,
        dry_run=True,
    )
    assert world.mutating_calls() == [] and [r.calls_made for r in results] == [0] * len(PRODUCTS)
    text = "\n".join(world.lines)
    for product in catalog.products:
        assert f"create_product(Name='{product.product.name}'" in text
        assert f'LocalRoleName": "{product.launch_role_name}' in text

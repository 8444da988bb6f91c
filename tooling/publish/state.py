"""Read what the catalog holds of ours: read-only calls only, every list paginated.

Names are matched exactly here: ``SearchProductsAsAdmin``'s FullTextSearch matches fuzzily, and
``ListPortfolios`` has no filter at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from .config import CatalogConfig
from .plan import Artifact, CatalogState, RegionState, record_key

ClientFor = Callable[[str, str], Any]  # (service, region) -> boto3 client


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, [])
        return
    # boto3 has no paginator for some (DescribePortfolioShares): follow NextPageToken by hand.
    while True:
        page = getattr(client, operation)(**params)
        yield from page.get(key, [])
        if not page.get("NextPageToken"):
            return
        params = {**params, "PageToken": page["NextPageToken"]}


def object_sha256(s3: Any, bucket: str, key: str, owner: str) -> str | None:
    """The sha256 of the object at ``key`` (None when there is none): read, not assumed.

    The key holds the template's hash, which anyone can compute from the repository: an object
    there is this template only if its bytes hash to it.
    """
    try:
        body = s3.get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=owner)["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return hashlib.sha256(body).hexdigest()


def read_record(s3: Any, bucket: str, key: str, owner: str) -> dict[str, Any] | None:
    """The product record of a Region (None when there is none or it is not ours to read)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=owner)["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    try:
        record = json.loads(body)
    except ValueError:
        return None  # not written by publish: ignored, and overwritten by the next record
    return record if isinstance(record, dict) else None


def recorded_product(
    sc: Any, record: dict[str, Any] | None, name: str, account: str
) -> tuple[str | None, str | None]:
    """The recorded product id if that product still exists as ours (read by id, not search), and
    why a recorded id is not used (None when there is no id, or it is used).

    Ours: our name, a CloudFormation product, and an ARN in the caller's account. A record can name
    any product id, and DescribeProductAsAdmin also describes products of portfolios shared with
    this account (another account's, which AssociateProductWithPortfolio would add to ours).
    """
    product = (record or {}).get("product_id")
    if not isinstance(product, str) or record.get("name") != name:
        return None, None
    try:
        found = sc.describe_product_as_admin(Id=product)["ProductViewDetail"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None, None  # deleted since: the record is stale
        raise
    summary = found.get("ProductViewSummary", {})
    owner = arn_account(found.get("ProductARN", ""))
    if summary.get("Name") != name:
        return None, None
    if owner != account or summary.get("Type") != "CLOUD_FORMATION_TEMPLATE":
        return None, (
            f"recorded product {product} ignored: it is a {summary.get('Type') or 'product of no type'} "
            f"of account {owner or 'unknown'}, not a CLOUD_FORMATION_TEMPLATE of {account}"
        )
    return product, None


def arn_account(arn: str) -> str:
    """The account field of an ARN (``arn:partition:service:region:account:resource``), or ""."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else ""


def read_region(
    sc: Any, config: CatalogConfig, account: str, record: dict[str, Any] | None = None
) -> RegionState:
    rs = RegionState(record=record)
    rs.portfolio_ids = [
        p["Id"]
        for p in _pages(sc, "list_portfolios", "PortfolioDetails")
        if p["DisplayName"] == config.portfolio.name
    ]
    rs.product_ids = [
        v["ProductViewSummary"]["ProductId"]
        for v in _pages(
            sc,
            "search_products_as_admin",
            "ProductViewDetails",
            Filters={"FullTextSearch": [config.product.name]},
            ProductSource="ACCOUNT",
        )
        if v["ProductViewSummary"]["Name"] == config.product.name
    ]
    # A product just created may not be searchable yet; its record in the bucket says it exists.
    known, rs.record_ignored = recorded_product(sc, record, config.product.name, account)
    if known and known not in rs.product_ids:
        rs.product_ids.append(known)
    for key, value in config.tag_options:
        for option in _pages(
            sc, "list_tag_options", "TagOptionDetails", Filters={"Key": key, "Value": value}
        ):
            if option["Key"] == key and option["Value"] == value:
                rs.tag_options[(key, value)] = option["Id"]
    if len(rs.portfolio_ids) > 1 or len(rs.product_ids) > 1:
        return rs  # ambiguous: the plan refuses, nothing more to read
    portfolio = rs.portfolio_ids[0] if rs.portfolio_ids else None
    product = rs.product_ids[0] if rs.product_ids else None
    if product:
        # ListProvisioningArtifacts returns every artifact at once (no pagination in the API).
        rs.artifacts = [
            Artifact(
                id=a["Id"],
                name=a.get("Name", ""),
                description=a.get("Description", ""),
                active=a.get("Active", True),
                guidance=a.get("Guidance", "DEFAULT"),
            )
            for a in sc.list_provisioning_artifacts(ProductId=product).get("ProvisioningArtifactDetails", [])
        ]
    if portfolio:
        rs.principals = {
            p["PrincipalARN"]
            for p in _pages(sc, "list_principals_for_portfolio", "Principals", PortfolioId=portfolio)
        }
        rs.portfolio_tag_option_ids = {
            t["Id"] for t in sc.describe_portfolio(Id=portfolio).get("TagOptions", [])
        }
        if config.share_accounts:
            rs.shared_accounts = {
                s["PrincipalId"]
                for s in _pages(
                    sc,
                    "describe_portfolio_shares",
                    "PortfolioShareDetails",
                    PortfolioId=portfolio,
                    Type="ACCOUNT",
                )
            }
        if config.share_ous:
            rs.shared_ous = {
                s["PrincipalId"]
                for s in _pages(
                    sc,
                    "describe_portfolio_shares",
                    "PortfolioShareDetails",
                    PortfolioId=portfolio,
                    Type="ORGANIZATIONAL_UNIT",
                )
            }
    if portfolio and product:
        rs.product_in_portfolio = portfolio in {
            p["Id"] for p in _pages(sc, "list_portfolios_for_product", "PortfolioDetails", ProductId=product)
        }
        for c in _pages(
            sc,
            "list_constraints_for_portfolio",
            "ConstraintDetails",
            PortfolioId=portfolio,
            ProductId=product,
        ):
            if c.get("Type") == "LAUNCH":
                described = sc.describe_constraint(Id=c["ConstraintId"])
                parameters = json.loads(described.get("ConstraintParameters") or "{}")
                role = parameters.get("LocalRoleName") or parameters.get("RoleArn", "")
                rs.launch_constraint = (c["ConstraintId"], role)
    return rs


def read_state(
    client_for: ClientFor,
    config: CatalogConfig,
    bucket_region: str,
    key: str,
    account: str,
    regions: tuple[str, ...] = (),
) -> CatalogState:
    """The catalog of ``regions`` (default: every configured Region); ``account``: the caller's."""
    s3 = client_for("s3", bucket_region)
    return CatalogState(
        object_sha256=object_sha256(s3, config.bucket, key, account),
        regions={
            region: read_region(
                client_for("servicecatalog", region),
                config,
                account,
                read_record(s3, config.bucket, record_key(config, region), account),
            )
            for region in regions or config.regions
        },
    )

"""Publish built templates as Service Catalog product versions: every product of the configuration.

:func:`publish_all` checks every product's Regions first, then publishes the products one after
the other (:func:`publish`), each with its own template, records and launch constraint (its own
launch role), in the shared portfolio. Each product's plan reads the catalog afresh, so a run
interrupted between two products converges on the next run like one interrupted within a product.

Steps per product (``build.py publish`` runs step 1, the build and lint, before calling them):

2. upload the template to S3 under ``<product>/<version>/<sha256>.yaml`` (server-side encrypted);
3. find or create the portfolio and the product, by exact name, in each Region;
4. create the version (provisioning artifact) unless it exists with the same template;
5. associate product and portfolio; launch constraint; principals; TagOptions; shares.

The state is read first (read-only calls); :func:`tooling.publish.plan.make_plan` turns it into the
mutating calls; ``dry_run`` prints them instead of making them. Each step prints one line per Region.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tooling import aws

from .config import Catalog, CatalogConfig, ConfigError, check_version, load
from .execute import CallFailed, ClientFor, Executor
from .plan import STEP_NAMES, Call, Plan, PlanError, Ref, Release, make_plan
from .regions import RegionError, check_regions
from .state import read_state

STEPS = 5


class PublishError(Exception):
    """Publishing cannot start (bad input, missing bucket, no credentials...): one line, no change made."""


@dataclass
class PublishResult:
    plan: Plan
    product: dict[str, str]
    artifact: dict[str, str]
    calls_made: int


def template_key(config: CatalogConfig, version: str, sha256: str) -> str:
    return f"{config.product.slug}/{version}/{sha256}.yaml"


def template_url(bucket: str, region: str, key: str) -> str:
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def console_url(region: str, product_id: str) -> str:
    return f"https://{region}.console.aws.amazon.com/servicecatalog/home?region={region}#/admin-products/{product_id}"


def clients_for(target: aws.Target) -> ClientFor:
    """``client_for(service, Region)``: the project's AWS clients (timeouts, bounded retries)."""
    make = aws.clients(target)
    return lambda service, region: make(service, region)


def _why(err: Exception) -> str:
    return aws.explain(err)


def bucket_region(client_for: ClientFor, config: CatalogConfig, owner: str) -> str:
    """The template bucket's Region; a missing or forbidden bucket, or one of another account, stops
    the run here (S3 answers 403 to a call whose ExpectedBucketOwner is not the bucket's owner)."""
    s3 = client_for("s3", config.regions[0])
    try:
        head = s3.head_bucket(Bucket=config.bucket, ExpectedBucketOwner=owner)
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code"))
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise PublishError(
                f"bucket {config.bucket!r} does not exist; create it or set bucket=..."
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise PublishError(
                f"bucket {config.bucket!r}: access denied to these credentials, or the bucket is not "
                f"owned by their account {owner}"
            ) from None
        raise PublishError(f"bucket {config.bucket!r}: {_why(err)}") from None
    except (BotoCoreError, aws.AwsProblem) as err:
        raise PublishError(f"bucket {config.bucket!r}: {_why(err)}") from None
    headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return head.get("BucketRegion") or headers.get("x-amz-bucket-region") or config.regions[0]


def caller_account(client_for: ClientFor, region: str) -> str:
    """The account of the credentials (STS GetCallerIdentity): what a product publish adopts and
    the bucket it uses must belong to."""
    try:
        return str(client_for("sts", region).get_caller_identity()["Account"])
    except (ClientError, BotoCoreError, aws.AwsProblem) as err:
        raise PublishError(f"who is publishing: {_why(err)}") from None


def publish(
    config: CatalogConfig,
    version: str,
    template_text: str,
    client_for: ClientFor,
    *,
    replace: bool = False,
    deprecate_older: bool = False,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
    offered_regions: Iterable[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    account: str | None = None,
) -> PublishResult:
    """Steps 2-5 for a built, lint-clean ``template_text``; raises PublishError or CallFailed.

    ``offered_regions``: the Regions with Service Catalog, to list the accepted ones in a refusal.
    ``account``: the caller's account, when already known (else asked of STS).
    """
    try:
        check_version(version)
        check_regions(config.regions, template_text, offered_regions, what=config.template)
    except (ConfigError, RegionError) as err:
        raise PublishError(str(err)) from None
    body = template_text.encode()
    sha256 = hashlib.sha256(body).hexdigest()
    key = template_key(config, version, sha256)
    account = account or caller_account(client_for, config.regions[0])
    region = bucket_region(client_for, config, account)
    release = Release(
        version, sha256, config.bucket, key, template_url(config.bucket, region, key), region, account
    )
    executor = Executor(client_for, {"template": body}, sleep=sleep)
    made = 0
    uploaded = False
    nonce = secrets.token_hex(8)  # this run's: see make_plan
    for _ in range(2):
        plan = _plan(client_for, config, release, region, key, account, replace, deprecate_older, nonce)
        replays = {c.region for c in plan.calls if c.replay}
        if not replays or dry_run:
            break
        # An interrupted run's CreateProduct is made again first (same token: same product), after
        # the template it names is in the bucket, and the plan is made afresh once that product and
        # its version are known.
        for call in plan.calls:
            if call.step == 2 or (call.step == 3 and call.region in replays):
                executor.run(call)
                made += 1
                uploaded = uploaded or call.step == 2
        for r in sorted(replays):
            product = executor.refs[f"product@{r}"]
            log(f"publish 3/5 {STEP_NAMES[3]:<8} {r}: product {product} of an interrupted run recorded")
    else:
        raise PublishError("the catalog changed while publishing; rerun")

    if dry_run:
        for call in plan.calls:
            log(f"plan    {call.step}/{STEPS} {STEP_NAMES[call.step]:<8} {call}")
        for r in config.regions:
            product, artifact = plan.product[r], plan.artifact[r]
            link = "" if isinstance(product, Ref) else f", {console_url(r, product)}"
            log(
                f"plan    then {config.product.name} {version} in {r}: product {product!r}, artifact {artifact!r}{link}"
            )
        log(f"plan    {len(plan.calls)} mutating call(s); --dry-run: none made")
        return PublishResult(plan, _known(plan.product), _known(plan.artifact), 0)

    def run_step(step: int, where: str | None, describe: Callable[[list[Call]], str]) -> None:
        nonlocal made
        calls = plan.for_step(step, where)
        for call in calls:
            executor.run(call)
            made += 1
        log(f"publish {step}/{STEPS} {STEP_NAMES[step]:<8} {describe(calls)}")

    run_step(
        2,
        None,
        lambda calls: (
            f"s3://{config.bucket}/{key}: "
            + (f"uploaded ({config.sse})" if calls or uploaded else "already there (same sha256), skipped")
        ),
    )
    for r in config.regions:
        for step in (3, 4, 5):
            notes = plan.notes.get((step, r), [])
            run_step(step, r, lambda calls, notes=notes, r=r: f"{r}: " + _describe(calls, notes))
    product = {r: _value(plan.product[r], executor.refs) for r in config.regions}
    artifact = {r: _value(plan.artifact[r], executor.refs) for r in config.regions}
    for r in config.regions:
        log(
            f"publish done {config.product.name} {version} in {r}: product {product[r]}, "
            f"artifact {artifact[r]}, {console_url(r, product[r])}"
        )
    return PublishResult(plan, product, artifact, made)


def publish_all(
    catalog: Catalog,
    version: str,
    templates: dict[str, str],
    client_for: ClientFor,
    *,
    log: Callable[[str], None] = print,
    offered_regions: Iterable[str] | None = None,
    **flags: Any,
) -> list[PublishResult]:
    """:func:`publish` for each product of ``catalog``; ``templates``: registry name -> built text.

    Every product's Regions are checked before any AWS call: a Region where one product's resource
    types are missing refuses the whole run (one line per such product), so no run publishes some
    products and not others because of where they can be launched.
    """
    try:
        check_version(version)
    except ConfigError as err:
        raise PublishError(str(err)) from None
    refused = []
    for config in catalog.products:
        try:
            check_regions(config.regions, templates[config.template], offered_regions, what=config.template)
        except RegionError as err:
            refused.append(str(err))
    if refused:
        raise PublishError("\n".join(refused))
    account = caller_account(client_for, catalog.products[0].regions[0])
    results = []
    for config in catalog.products:
        log(
            f"publish product {config.product.name!r} ({config.template}), launch role {config.launch_role_name}"
        )
        results.append(
            publish(
                config,
                version,
                templates[config.template],
                client_for,
                log=log,
                offered_regions=offered_regions,
                account=account,
                **flags,
            )
        )
    return results


def _plan(  # noqa: ANN001
    client_for, config, release, region, key, account, replace, deprecate_older, nonce
) -> Plan:
    try:
        state = read_state(client_for, config, region, key, account)
    except (ClientError, BotoCoreError, aws.AwsProblem) as err:
        raise PublishError(f"reading the catalog: {_why(err)}") from None
    try:
        return make_plan(
            config, release, state, replace=replace, deprecate_older=deprecate_older, nonce=nonce
        )
    except PlanError as err:
        raise PublishError(str(err)) from None


def _describe(calls: list[Call], notes: list[str]) -> str:
    return "; ".join([c.summary for c in calls] + notes) or "nothing needed"


def _value(value: str | Ref, refs: dict[str, Any]) -> str:
    return refs[value.name] if isinstance(value, Ref) else value


def _known(values: dict[str, str | Ref]) -> dict[str, str]:
    return {k: str(v) if not isinstance(v, Ref) else repr(v) for k, v in values.items()}


__all__ = [
    "CallFailed",
    "Catalog",
    "CatalogConfig",
    "ConfigError",
    "PublishError",
    "PublishResult",
    "clients_for",
    "load",
    "publish",
    "publish_all",
]

"""What to do: a pure function from (configuration, catalog state) to the list of mutating calls.

Nothing here talks to AWS. The state is what :mod:`tooling.publish.state` read; the plan is what
``--dry-run`` prints and what :mod:`tooling.publish.execute` runs. A rerun reads the state again,
so whatever an interrupted run did is not planned twice: that is how a failure at any step
converges, without undoing anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .config import CatalogConfig, version_key

# Service Catalog: at most 100 versions (provisioning artifacts) per product.
ARTIFACTS_MAX = 100
HASH_IN_DESCRIPTION = re.compile(r"sha256:([0-9a-f]{64})")
# Service Catalog's IdempotencyToken (botocore's model): 1 to 128 of these characters.
IDEMPOTENCY_TOKEN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}")
STEP_NAMES = {1: "build", 2: "upload", 3: "catalog", 4: "version", 5: "access"}


class PlanError(Exception):
    """The catalog is in a state this run must not change (e.g. a version with another template)."""


@dataclass(frozen=True)
class Ref:
    """A value only an earlier call of the plan returns (the id of something it creates)."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"


@dataclass(frozen=True)
class Call:
    """One mutating AWS call."""

    step: int
    region: str
    service: str
    operation: str  # the boto3 method name
    params: dict[str, Any]
    summary: str
    #: (Ref name, dotted path in the response) to remember for later calls
    binds: tuple[tuple[str, str], ...] = ()
    #: error codes meaning "already done": not a failure
    tolerate: tuple[str, ...] = ()
    #: how the executor finds the bound id when a tolerated error hid the response
    recover: str | None = None
    #: the Region of the client, when not ``region`` (the records in the template bucket)
    client_region: str | None = None
    #: an interrupted run's CreateProduct, rebuilt and made again with its recorded IdempotencyToken
    replay: bool = False

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.service}.{self.operation}({args})  [{self.region}]"


@dataclass(frozen=True)
class JsonBody:
    """An S3 object body: ``value`` as JSON once its Refs are known."""

    value: Any

    def __repr__(self) -> str:
        return f"<json {self.value!r}>"


@dataclass
class Artifact:
    id: str
    name: str
    description: str = ""
    active: bool = True
    guidance: str = "DEFAULT"

    @property
    def sha256(self) -> str | None:
        m = HASH_IN_DESCRIPTION.search(self.description or "")
        return m.group(1) if m else None


@dataclass
class RegionState:
    """What one Region's catalog holds of ours (ids found by exact name)."""

    portfolio_ids: list[str] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    product_in_portfolio: bool = False
    #: (constraint id, its LocalRoleName or RoleArn) of the product's launch constraint
    launch_constraint: tuple[str, str] | None = None
    principals: set[str] = field(default_factory=set)
    #: existing TagOptions of the account and Region: (key, value) -> id
    tag_options: dict[tuple[str, str], str] = field(default_factory=dict)
    portfolio_tag_option_ids: set[str] = field(default_factory=set)
    shared_accounts: set[str] = field(default_factory=set)
    shared_ous: set[str] = field(default_factory=set)
    #: the record of our product in the template bucket (see :func:`record_key`), or None
    record: dict[str, Any] | None = None
    #: why the product the record names is not ours to adopt (None: nothing ignored)
    record_ignored: str | None = None


@dataclass
class CatalogState:
    #: the sha256 of the object already at the template's key, None when there is none
    object_sha256: str | None
    regions: dict[str, RegionState]


@dataclass(frozen=True)
class Release:
    """What is published: the version, its template's hash and where the template is."""

    version: str
    sha256: str
    bucket: str
    key: str
    url: str
    region: str  # the bucket's Region (where the upload call goes)
    owner: str  # the account the bucket must belong to (ExpectedBucketOwner of every S3 call)


@dataclass
class Plan:
    calls: list[Call]
    #: per Region: the product id and artifact id the run ends with (a Ref until created)
    product: dict[str, str | Ref]
    artifact: dict[str, str | Ref]
    notes: dict[tuple[int, str], list[str]] = field(default_factory=dict)

    def for_step(self, step: int, region: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.step == step and (region is None or c.region == region)]


def record_key(config: CatalogConfig, region: str) -> str:
    """Where the bucket records which product is ours in ``region``.

    SearchProductsAsAdmin is a search index: a product just created may not be found for a while,
    and a rerun that relied on it would create a second product with the same name. The record is
    written before CreateProduct (the product name, version, template hash and IdempotencyToken: what
    identifies the attempt, never the request) and after it (the product id); S3 reads are strongly
    consistent, so a rerun always sees it.
    """
    return f"{config.product.slug}/publish-records/{region}.json"


def pending_name(version: str, sha256: str) -> str:
    """The name a replacing artifact has until the replaced one is deleted (not a version name)."""
    return f"{version}+replacing.{sha256[:12]}"


def is_pending(name: str, version: str) -> bool:
    return name.startswith(f"{version}+replacing.")


def token(*parts: str) -> str:
    """A deterministic IdempotencyToken: a retried create returns the first one's result."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:64]


def artifact_description(config: CatalogConfig, release: Release) -> str:
    return f"{config.product.name} {release.version}; template sha256:{release.sha256}"


def artifact_parameters(config: CatalogConfig, release: Release) -> dict[str, Any]:
    return {
        "Name": release.version,
        "Description": artifact_description(config, release),
        "Info": {"LoadTemplateFromURL": release.url},
        "Type": "CLOUD_FORMATION_TEMPLATE",
        "DisableTemplateValidation": False,
    }


def product_request(config: CatalogConfig, release: Release, idempotency_token: str) -> dict[str, Any]:
    """The CreateProduct request for ``release``: always made here, from the configuration and the
    built template, never read back from the bucket (whoever may write there must not choose it)."""
    p = config.product
    optional = {
        "Description": p.description,
        "Distributor": p.distributor,
        "SupportDescription": p.support_description,
        "SupportEmail": p.support_email,
        "SupportUrl": p.support_url,
    }
    return {
        "Name": p.name,
        "Owner": p.owner,
        **{k: v for k, v in optional.items() if v},
        "ProductType": "CLOUD_FORMATION_TEMPLATE",
        "ProvisioningArtifactParameters": artifact_parameters(config, release),
        "IdempotencyToken": idempotency_token,
    }


def _replayable(record: dict[str, Any] | None, config: CatalogConfig, release: Release) -> str | None:
    """The IdempotencyToken of a recorded, unfinished CreateProduct of this very release, else None.

    Only the token is taken from the record, and only when the record's name, version and template
    hash are this run's: the request itself is rebuilt locally (:func:`product_request`).
    """
    if not record or record.get("product_id") is not None:
        return None
    recorded = (record.get("name"), record.get("version"), record.get("sha256"))
    value = record.get("token")
    if recorded != (config.product.name, release.version, release.sha256) or not isinstance(value, str):
        return None
    return value if IDEMPOTENCY_TOKEN.fullmatch(value) else None


def make_plan(
    config: CatalogConfig,
    release: Release,
    state: CatalogState,
    *,
    replace: bool = False,
    deprecate_older: bool = False,
    nonce: str = "",
) -> Plan:
    """Every mutating call that brings the catalog to ``config`` and ``release``; raises PlanError.

    ``nonce``: new for each run; part of the token of a CreateProduct this plan starts.
    """
    plan = Plan(calls=[], product={}, artifact={})
    if state.object_sha256 not in (None, release.sha256):
        raise PlanError(
            f"s3://{release.bucket}/{release.key} holds another object than this template (sha256 "
            f"{state.object_sha256[:12]}, not {release.sha256[:12]}): someone else wrote it; check who "
            f"may write the bucket; {config.product.name} {release.version} not published"
        )
    if state.object_sha256 is None:
        plan.calls.append(
            Call(
                step=2,
                region=release.region,
                service="s3",
                operation="put_object",
                params={
                    "Bucket": release.bucket,
                    "Key": release.key,
                    "Body": Ref("template"),
                    "ContentType": "application/x-yaml",
                    "ServerSideEncryption": config.sse,
                    "ExpectedBucketOwner": release.owner,
                },
                summary=f"upload s3://{release.bucket}/{release.key}",
            )
        )
    for region in config.regions:
        _plan_region(plan, config, release, region, state.regions[region], replace, deprecate_older, nonce)
    return plan


def _plan_region(
    plan: Plan,
    config: CatalogConfig,
    release: Release,
    region: str,
    rs: RegionState,
    replace: bool,
    deprecate_older: bool,
    nonce: str,
) -> None:
    calls = plan.calls
    note = plan.notes.setdefault
    # Step 3: portfolio and product, found by exact name.
    for what, ids, name in (
        ("portfolio", rs.portfolio_ids, config.portfolio.name),
        ("product", rs.product_ids, config.product.name),
    ):
        if len(ids) > 1:
            raise PlanError(
                f"{region}: {len(ids)} {what}s are named {name!r} ({', '.join(ids)}); "
                "keep one (or rename the others) and rerun"
            )
    portfolio: str | Ref
    if rs.portfolio_ids:
        portfolio = rs.portfolio_ids[0]
        note((3, region), []).append(f"portfolio {portfolio} found")
    else:
        portfolio = Ref(f"portfolio@{region}")
        calls.append(
            Call(
                3,
                region,
                "servicecatalog",
                "create_portfolio",
                {
                    "DisplayName": config.portfolio.name,
                    "ProviderName": config.portfolio.provider,
                    **({"Description": config.portfolio.description} if config.portfolio.description else {}),
                    "IdempotencyToken": token("portfolio", region, config.portfolio.name),
                },
                f"create portfolio {config.portfolio.name!r}",
                binds=((portfolio.name, "PortfolioDetail.Id"),),
            )
        )
    product: str | Ref
    artifact: str | Ref | None = None
    key = record_key(config, region)
    record = rs.record if rs.record and rs.record.get("name") == config.product.name else None

    def write_record(value: dict[str, Any], summary: str) -> Call:
        return Call(
            3,
            region,
            "s3",
            "put_object",
            {
                "Bucket": release.bucket,
                "Key": key,
                "Body": JsonBody(value),
                "ContentType": "application/json",
                "ServerSideEncryption": config.sse,
                "ExpectedBucketOwner": release.owner,
            },
            summary,
            client_region=release.region,
        )

    replay = _replayable(rs.record, config, release) if not rs.product_ids else None
    if rs.record_ignored:
        note((3, region), []).append(rs.record_ignored)
    if rs.product_ids:
        product = rs.product_ids[0]
        note((3, region), []).append(f"product {product} found")
        if not record or record.get("product_id") != product:
            calls.append(write_record({"name": config.product.name, "product_id": product}, "record product"))
    elif replay:
        # An earlier run recorded a CreateProduct and stopped before recording the product id: the
        # product may exist without being searchable yet. The same request (rebuilt here from the
        # configuration and this template) with the same IdempotencyToken returns that product if it
        # was made, and makes it if it was not.
        product = Ref(f"product@{region}")
        calls.append(
            Call(
                3,
                region,
                "servicecatalog",
                "create_product",
                product_request(config, release, replay),
                f"create product {config.product.name!r} as the interrupted run asked (same token)",
                binds=((product.name, "ProductViewDetail.ProductViewSummary.ProductId"),),
                replay=True,
            )
        )
        calls.append(write_record({"name": config.product.name, "product_id": product}, "record product id"))
        plan.product[region] = product
        plan.artifact[region] = Ref(f"artifact@{region}")
        note((3, region), []).append("the rest is planned once the product is known")
        return
    else:
        if rs.record and rs.record.get("token") is not None:
            note((3, region), []).append(
                f"record s3://{release.bucket}/{key} ignored: its pending CreateProduct is not for "
                f"{config.product.name!r} {release.version} with this template"
            )
        product = Ref(f"product@{region}")
        artifact = Ref(f"artifact@{region}")
        p = config.product
        # The run's nonce makes this a new attempt (a product deleted since must not come back by
        # its token); a rerun repeats it with the token it recorded, not a new one.
        request_token = token("product", region, p.name, release.version, release.sha256, nonce)
        pending = {
            "name": p.name,
            "version": release.version,
            "sha256": release.sha256,
            "token": request_token,
        }
        calls.append(write_record(pending, "record the product request"))
        calls.append(
            Call(
                3,
                region,
                "servicecatalog",
                "create_product",
                product_request(config, release, request_token),
                f"create product {p.name!r} with version {release.version}",
                binds=(
                    (product.name, "ProductViewDetail.ProductViewSummary.ProductId"),
                    (artifact.name, "ProvisioningArtifactDetail.Id"),
                ),
            )
        )
        calls.append(write_record({"name": p.name, "product_id": product}, "record product id"))
        note((4, region), []).append(f"version {release.version} created with the product")
    plan.product[region] = product

    # Step 4: the version.
    if artifact is None:
        artifact = _plan_version(plan, config, release, region, rs, product, replace, deprecate_older)
    plan.artifact[region] = artifact

    # Step 5: association, launch constraint, principals, TagOptions, shares.
    new_portfolio = isinstance(portfolio, Ref)
    if new_portfolio or isinstance(product, Ref) or not rs.product_in_portfolio:
        calls.append(
            Call(
                5,
                region,
                "servicecatalog",
                "associate_product_with_portfolio",
                {"ProductId": product, "PortfolioId": portfolio},
                "associate product with portfolio",
            )
        )
    role_params = json.dumps({"LocalRoleName": config.launch_role_name})
    constraint = None if (new_portfolio or isinstance(product, Ref)) else rs.launch_constraint
    if constraint is None:
        calls.append(
            Call(
                5,
                region,
                "servicecatalog",
                "create_constraint",
                {
                    "PortfolioId": portfolio,
                    "ProductId": product,
                    "Parameters": role_params,
                    "Type": "LAUNCH",
                    "Description": f"Launch as {config.launch_role_name}",
                    "IdempotencyToken": token(
                        "launch", region, str(portfolio), str(product), config.launch_role_name
                    ),
                },
                f"launch constraint LocalRoleName={config.launch_role_name}",
                tolerate=("DuplicateResourceException",),
            )
        )
    elif constraint[1] != config.launch_role_name:
        calls.append(
            Call(
                5,
                region,
                "servicecatalog",
                "update_constraint",
                {
                    "Id": constraint[0],
                    "Parameters": role_params,
                    "Description": f"Launch as {config.launch_role_name}",
                },
                f"launch constraint {constraint[1]} -> LocalRoleName={config.launch_role_name}",
            )
        )
    principals = set() if new_portfolio else rs.principals
    for arn in config.principals:
        if arn not in principals:
            calls.append(
                Call(
                    5,
                    region,
                    "servicecatalog",
                    "associate_principal_with_portfolio",
                    {
                        "PortfolioId": portfolio,
                        "PrincipalARN": arn,
                        "PrincipalType": "IAM_PATTERN" if "*" in arn else "IAM",
                    },
                    f"grant {arn}",
                )
            )
    associated = set() if new_portfolio else rs.portfolio_tag_option_ids
    for key, value in config.tag_options:
        option: str | Ref | None = rs.tag_options.get((key, value))
        if option is None:
            option = Ref(f"tagoption:{key}={value}@{region}")
            calls.append(
                Call(
                    5,
                    region,
                    "servicecatalog",
                    "create_tag_option",
                    {"Key": key, "Value": value},
                    f"create TagOption {key}={value}",
                    binds=((option.name, "TagOptionDetail.Id"),),
                    tolerate=("DuplicateResourceException",),
                    recover="find_tag_option",
                )
            )
        if option not in associated:
            calls.append(
                Call(
                    5,
                    region,
                    "servicecatalog",
                    "associate_tag_option_with_resource",
                    {"ResourceId": portfolio, "TagOptionId": option},
                    f"TagOption {key}={value} on portfolio",
                    tolerate=("DuplicateResourceException",),
                )
            )
    shared_accounts = set() if new_portfolio else rs.shared_accounts
    for account in config.share_accounts:
        if account not in shared_accounts:
            calls.append(
                Call(
                    5,
                    region,
                    "servicecatalog",
                    "create_portfolio_share",
                    {"PortfolioId": portfolio, "AccountId": account, "ShareTagOptions": True},
                    f"share with account {account}",
                    tolerate=("DuplicateResourceException",),
                )
            )
    shared_ous = set() if new_portfolio else rs.shared_ous
    for ou in config.share_ous:
        if ou not in shared_ous:
            calls.append(
                Call(
                    5,
                    region,
                    "servicecatalog",
                    "create_portfolio_share",
                    {
                        "PortfolioId": portfolio,
                        "OrganizationNode": {"Type": "ORGANIZATIONAL_UNIT", "Value": ou},
                        "ShareTagOptions": True,
                    },
                    f"share with {ou}",
                    tolerate=("DuplicateResourceException",),
                )
            )


def _plan_version(
    plan: Plan,
    config: CatalogConfig,
    release: Release,
    region: str,
    rs: RegionState,
    product: str,
    replace: bool,
    deprecate_older: bool,
) -> str | Ref:
    """Step 4. A replaced version never has two artifacts with its name: the new one is created under
    :func:`pending_name`, the old one deleted, then the new one renamed. What a launch by name sees:
    the old artifact, then (between the delete and the rename) none, then the new one. A rerun after
    an interruption anywhere finds the pending artifact by its name and carries on."""
    calls = plan.calls
    version, sha = release.version, release.sha256
    same_name = [a for a in rs.artifacts if a.name == version]
    matching = [a for a in same_name if a.sha256 == sha]
    others = [a for a in same_name if a.sha256 != sha]
    pending = [a for a in rs.artifacts if is_pending(a.name, version)]
    ours = [a for a in pending if a.sha256 == sha]

    def delete(a: Artifact, why: str) -> None:
        calls.append(
            Call(
                4,
                region,
                "servicecatalog",
                "delete_provisioning_artifact",
                {"ProductId": product, "ProvisioningArtifactId": a.id},
                f"delete {why} {a.name} ({a.id})",
                tolerate=("ResourceNotFoundException",),
            )
        )

    def immutable(old: Artifact) -> PlanError:
        old_sha = old.sha256 or "unknown"
        return PlanError(
            f"{region}: version {version} of {config.product.name!r} exists ({old.id}) with another "
            f"template (sha256 {old_sha[:12]}, now {sha[:12]}); versions are immutable: publish a new "
            "VERSION, or rerun with --replace"
        )

    # Another template's pending artifact: an abandoned replacement, never launched by its name.
    for a in pending:
        if a.sha256 != sha:
            delete(a, "abandoned replacement")
    artifact: str | Ref
    if matching:
        artifact = matching[0].id
        extra = matching[1:] + others
        if extra and not replace:
            raise PlanError(
                f"{region}: {len(same_name)} versions of {config.product.name!r} are named {version} "
                f"({', '.join(a.id for a in same_name)}); rerun with --replace to keep only {artifact}, "
                "which has this template"
            )
        for a in extra + ours:
            delete(a, "duplicate")
        plan.notes.setdefault((4, region), []).append(
            f"version {version} ({artifact}) has this template already"
        )
    elif ours:
        # A replacement was interrupted: its new artifact exists under the pending name.
        artifact = ours[0].id
        if others and not replace:
            raise PlanError(
                f"{region}: an interrupted --replace left version {version} ({others[0].id}) and its "
                f"replacement {ours[0].name} ({artifact}); rerun with --replace to finish it"
            )
        for a in others:
            delete(a, "replaced version")
        for a in ours[1:]:
            delete(a, "duplicate")
        calls.append(_rename(region, product, artifact, version))
    else:
        if others and not replace:
            raise immutable(others[0])
        kept = len(rs.artifacts) - sum(1 for a in pending if a.sha256 != sha)
        if kept >= ARTIFACTS_MAX:
            raise PlanError(
                f"{region}: {config.product.name!r} has {kept} versions, the most Service "
                f"Catalog allows ({ARTIFACTS_MAX}); delete old versions first"
            )
        artifact = Ref(f"artifact@{region}")
        name = pending_name(version, sha) if others else version
        calls.append(
            Call(
                4,
                region,
                "servicecatalog",
                "create_provisioning_artifact",
                {
                    "ProductId": product,
                    "Parameters": {**artifact_parameters(config, release), "Name": name},
                    # The replaced artifacts' ids make each replacement a new attempt: a later
                    # replacement by the same template (A->B, B->A, A->B) must not get the id of an
                    # earlier one back, which is deleted by then.
                    "IdempotencyToken": token(
                        "artifact", region, product, name, sha, *sorted(a.id for a in others)
                    ),
                },
                f"create version {version}" + (f" as {name}" if others else ""),
                binds=((artifact.name, "ProvisioningArtifactDetail.Id"),),
            )
        )
        if others:
            for a in others:
                delete(a, "replaced version")
            calls.append(_rename(region, product, artifact, version))
    if deprecate_older:
        current = version_key(version)
        for a in rs.artifacts:
            key = version_key(a.name)
            if key is not None and key < current and a.guidance != "DEPRECATED":
                calls.append(
                    Call(
                        4,
                        region,
                        "servicecatalog",
                        "update_provisioning_artifact",
                        {"ProductId": product, "ProvisioningArtifactId": a.id, "Guidance": "DEPRECATED"},
                        f"deprecate {a.name} ({a.id})",
                    )
                )
    return artifact


def _rename(region: str, product: str, artifact: str | Ref, version: str) -> Call:
    return Call(
        4,
        region,
        "servicecatalog",
        "update_provisioning_artifact",
        {"ProductId": product, "ProvisioningArtifactId": artifact, "Name": version},
        f"name the replacement {version}",
    )

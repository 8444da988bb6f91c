"""The publish configuration: ``catalog.yaml``, overridden by ``--set KEY=VALUE``, checked in full.

Every check here runs before any AWS call, and a problem is one line naming the key and what is
accepted: a typo must not publish to the wrong portfolio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

VERSION_PATTERN = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PRINCIPAL_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12})?:(role|user|group)/[\w+=,.@*/-]+$")
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
OU_PATTERN = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
# Service Catalog: at most 25 TagOptions on a resource.
TAG_OPTIONS_MAX = 25
SSE_VALUES = ("AES256", "aws:kms")

# The shape of the file: section -> keys (None: a scalar or list key at the top level).
SCHEMA: dict[str, tuple[str, ...] | None] = {
    "template": None,
    "portfolio": ("name", "provider", "description"),
    "product": (
        "name",
        "owner",
        "description",
        "distributor",
        "support_email",
        "support_url",
        "support_description",
    ),
    "bucket": None,
    "sse": None,
    "regions": None,
    "principals": None,
    "tag_options": (),  # free keys: TagOption key -> list of values
    "launch_role_name": None,
    "shares": ("accounts", "organizational_units"),
}
LIST_KEYS = {"regions", "principals", "shares.accounts", "shares.organizational_units"}
REQUIRED = (
    "template",
    "portfolio.name",
    "portfolio.provider",
    "product.name",
    "product.owner",
    "bucket",
    "launch_role_name",
)


class ConfigError(ValueError):
    """A configuration problem: one line, naming the key."""


@dataclass(frozen=True)
class Portfolio:
    name: str
    provider: str
    description: str = ""


@dataclass(frozen=True)
class Product:
    name: str
    owner: str
    description: str = ""
    distributor: str = ""
    support_email: str = ""
    support_url: str = ""
    support_description: str = ""

    @property
    def slug(self) -> str:
        """The product name as an S3 key segment."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "product"


@dataclass(frozen=True)
class CatalogConfig:
    template: str
    portfolio: Portfolio
    product: Product
    bucket: str
    regions: tuple[str, ...]
    launch_role_name: str
    principals: tuple[str, ...] = ()
    #: (key, value) pairs, in file order
    tag_options: tuple[tuple[str, str], ...] = ()
    share_accounts: tuple[str, ...] = ()
    share_ous: tuple[str, ...] = ()
    sse: str = "AES256"


def check_version(version: str) -> str:
    if not VERSION_PATTERN.match(version or ""):
        raise ConfigError(
            f"VERSION {version!r} is not a version; use MAJOR.MINOR.PATCH, e.g. 1.2.0 (or 1.2.0-rc.1)"
        )
    return version


def version_key(version: str) -> tuple | None:
    """Sort key of a semantic version (a pre-release sorts before its release); None if not one."""
    m = VERSION_PATTERN.match(version)
    if not m:
        return None
    major, minor, patch, pre = m.groups()
    pre_key = (1,) if pre is None else (0, *((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")))
    return (int(major), int(minor), int(patch), pre_key)


def load(
    path: Path,
    overrides: list[str] = (),
    known_regions: set[str] | None = None,
    default_region: str | None = None,
) -> CatalogConfig:
    """Read ``path``, apply ``KEY=VALUE`` overrides (dotted keys), check everything.

    Without ``regions``, the default Region of the AWS settings (``AWS_REGION``, the profile) is used.
    """
    raw = _read(path)
    for pair in overrides:
        _override(raw, pair)
    if not _get(raw, "regions") and default_region:
        raw["regions"] = [default_region]
    return _config(raw, known_regions)


def read_bucket(path: Path) -> str | None:
    """Only the ``bucket`` of ``path`` (checked), or None when the file does not set it.

    For commands that need the template bucket but not the rest of the publish settings (deploy).
    """
    bucket = _str(_read(path), "bucket")
    return check_bucket(bucket) if bucket else None


def check_bucket(bucket: str) -> str:
    if not BUCKET_PATTERN.match(bucket) or ".." in bucket:
        raise ConfigError(f"bucket {bucket!r} is not a valid S3 bucket name")
    return bucket


def _read(path: Path) -> dict:
    """The file as a mapping whose keys are all known."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"no configuration file {path}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys ({', '.join(SCHEMA)})")
    _check_keys(raw, str(path))
    return raw


def _check_keys(raw: dict, where: str) -> None:
    for key, value in raw.items():
        if key not in SCHEMA:
            raise ConfigError(f"{where}: unknown key {key!r}; accepted: {', '.join(SCHEMA)}")
        sub = SCHEMA[key]
        if sub is None:
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a mapping")
        if sub:
            for inner in value:
                if inner not in sub:
                    raise ConfigError(
                        f"{where}: unknown key {key}.{inner}; accepted: {', '.join(f'{key}.{k}' for k in sub)}"
                    )


def _override(raw: dict, pair: str) -> None:
    key, sep, value = pair.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {pair!r} is not KEY=VALUE (e.g. product.name=Timestream)")
    top, _, inner = key.partition(".")
    if top not in SCHEMA:
        raise ConfigError(f"--set {key}: unknown key; accepted: {', '.join(SCHEMA)}")
    sub = SCHEMA[top]
    if sub is None:
        if inner:
            raise ConfigError(f"--set {key}: {top} has no sub-keys")
        raw[top] = _split(value) if top in LIST_KEYS else value
        return
    if not inner:
        raise ConfigError(f"--set {key}: name a sub-key, e.g. {top}.{(sub or ('Environment',))[0]}")
    if sub and inner not in sub:
        raise ConfigError(f"--set {key}: unknown key; accepted: {', '.join(f'{top}.{k}' for k in sub)}")
    section = raw.setdefault(top, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{top} must be a mapping")
    list_value = key in LIST_KEYS or top == "tag_options"
    section[inner] = _split(value) if list_value else value


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _get(raw: dict, dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _str(raw: dict, dotted: str) -> str:
    value = _get(raw, dotted)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise ConfigError(f"{dotted} must be a single value")
    return str(value).strip()


def _list(raw: dict, dotted: str) -> tuple[str, ...]:
    value = _get(raw, dotted)
    if value is None:
        return ()
    if isinstance(value, str):
        value = _split(value)
    if not isinstance(value, list):
        raise ConfigError(f"{dotted} must be a list")
    return tuple(str(v).strip() for v in value)


def _config(raw: dict, known_regions: set[str] | None) -> CatalogConfig:
    for key in REQUIRED:
        if not _get(raw, key):
            raise ConfigError(f"{key} is missing; set it in the file or with --set {key}=...")
    from templates_src.registry import TEMPLATES

    template = _str(raw, "template")
    if template not in TEMPLATES:
        raise ConfigError(
            f"template {template!r} is not a registered template; accepted: {', '.join(TEMPLATES)}"
        )
    bucket = check_bucket(_str(raw, "bucket"))
    sse = _str(raw, "sse") or "AES256"
    if sse not in SSE_VALUES:
        raise ConfigError(f"sse {sse!r} is not accepted; use one of {', '.join(SSE_VALUES)}")
    regions = _list(raw, "regions")
    if not regions:
        raise ConfigError(
            "regions is missing and no default Region is set (AWS_REGION or the profile's region)"
        )
    for region in regions:
        if known_regions is not None and region not in known_regions:
            raise ConfigError(f"regions: {region!r} is not a Region with Service Catalog")
    if len(set(regions)) != len(regions):
        raise ConfigError("regions: a Region is listed twice")
    role = _str(raw, "launch_role_name")
    if not ROLE_NAME_PATTERN.match(role):
        raise ConfigError(
            f"launch_role_name {role!r} is not an IAM role name (1-64 of letters, digits, +=,.@_-)"
        )
    principals = _list(raw, "principals")
    for arn in principals:
        if not PRINCIPAL_PATTERN.match(arn):
            raise ConfigError(f"principals: {arn!r} is not an IAM role, user or group ARN")
    tag_options = _tag_options(_get(raw, "tag_options") or {})
    accounts = _list(raw, "shares.accounts")
    for account in accounts:
        if not ACCOUNT_PATTERN.match(account):
            raise ConfigError(f"shares.accounts: {account!r} is not a 12-digit account id")
    ous = _list(raw, "shares.organizational_units")
    for ou in ous:
        if not OU_PATTERN.match(ou):
            raise ConfigError(f"shares.organizational_units: {ou!r} is not an OU id (ou-xxxx-xxxxxxxx)")
    product = Product(**{k: _str(raw, f"product.{k}") for k in SCHEMA["product"]})
    if product.support_email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", product.support_email):
        raise ConfigError(f"product.support_email {product.support_email!r} is not an e-mail address")
    if product.support_url and not re.match(r"^https?://\S+$", product.support_url):
        raise ConfigError(f"product.support_url {product.support_url!r} is not an http(s) URL")
    return CatalogConfig(
        template=template,
        portfolio=Portfolio(**{k: _str(raw, f"portfolio.{k}") for k in SCHEMA["portfolio"]}),
        product=product,
        bucket=bucket,
        regions=regions,
        launch_role_name=role,
        principals=principals,
        tag_options=tag_options,
        share_accounts=accounts,
        share_ous=ous,
        sse=sse,
    )


def _tag_options(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError("tag_options must map a key to a list of values")
    pairs: list[tuple[str, str]] = []
    for key, values in raw.items():
        if isinstance(values, str):
            values = _split(values)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"tag_options.{key} must be a list of values")
        if not 1 <= len(str(key)) <= 128:
            raise ConfigError(f"tag_options: key {key!r} must be 1 to 128 characters")
        for value in values:
            if not 1 <= len(str(value)) <= 256:
                raise ConfigError(f"tag_options.{key}: value {value!r} must be 1 to 256 characters")
            pair = (str(key), str(value))
            if pair not in pairs:
                pairs.append(pair)
    if len(pairs) > TAG_OPTIONS_MAX:
        raise ConfigError(
            f"tag_options: {len(pairs)} given; Service Catalog allows {TAG_OPTIONS_MAX} on a portfolio"
        )
    return tuple(pairs)

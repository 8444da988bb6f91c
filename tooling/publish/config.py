"""The publish configuration: ``catalog.yaml``, overridden by ``--set KEY=VALUE``, checked in full.

The file lists the products (``products:``, each a registered product template with its Service
Catalog name, owner, ... and the name of its launch role); the portfolio, bucket, Regions,
principals, TagOptions and shares are shared by all of them. :func:`load` gives a :class:`Catalog`
whose ``products`` are one :class:`CatalogConfig` per product, the unit the plan works on.

Every check here runs before any AWS call, and a problem is one line naming the key and what is
accepted: a typo must not publish to the wrong portfolio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import limits

VERSION_PATTERN = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# S3 bucket naming rules besides the characters: not formatted as an IP address, and prefixes and
# suffixes S3 reserves (for access point aliases and Object Lambda).
BUCKET_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
# catalog.yaml is a short hand-written file: anything bigger is not one (and is not read whole).
MAX_FILE_BYTES = 256 * 1024
# How much of a value a message quotes.
SHOWN = 60
PRINCIPAL_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12})?:(role|user|group)/[\w+=,.@*/-]+$")
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
OU_PATTERN = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
# Service Catalog: at most 25 TagOptions on a resource.
TAG_OPTIONS_MAX = 25
SSE_VALUES = ("AES256", "aws:kms")

# The shape of the file: section -> keys (None: a scalar or list key at the top level).
PRODUCT_KEYS = (
    "name",
    "owner",
    "description",
    "distributor",
    "support_email",
    "support_url",
    "support_description",
)
#: The keys of one entry of ``products:``.
ENTRY_KEYS = ("template", *PRODUCT_KEYS, "launch_role_name")
ENTRY_REQUIRED = ("template", "name", "owner", "launch_role_name")
SCHEMA: dict[str, tuple[str, ...] | None] = {
    "portfolio": ("name", "provider", "description"),
    "products": ENTRY_KEYS,  # a list of mappings with these keys
    "bucket": None,
    "sse": None,
    "regions": None,
    "principals": None,
    "tag_options": (),  # free keys: TagOption key -> list of values
    "shares": ("accounts", "organizational_units"),
}
#: The single-product form's keys (before ``products:``): refused with how to convert.
OLD_KEYS = ("template", "product", "launch_role_name")
LIST_KEYS = {"regions", "principals", "shares.accounts", "shares.organizational_units"}
REQUIRED = ("portfolio.name", "portfolio.provider", "bucket")


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


@dataclass(frozen=True)
class Catalog:
    """The whole file: one :class:`CatalogConfig` per product, sharing everything but the product."""

    products: tuple[CatalogConfig, ...]

    @property
    def regions(self) -> tuple[str, ...]:
        return self.products[0].regions

    def select(self, names: list[str] | tuple[str, ...] = ()) -> Catalog:
        """Only the products named (by registry template name or product name), in file order."""
        if not names:
            return self
        unknown = [n for n in names if not any(n in (c.template, c.product.name) for c in self.products)]
        if unknown:
            raise ConfigError(
                f"--product {show(unknown[0])} is not in the configuration; products: "
                + ", ".join(c.template for c in self.products)
            )
        return Catalog(tuple(c for c in self.products if c.template in names or c.product.name in names))


def show(value: Any) -> str:
    """``repr`` of a value for a message, clipped: a message never echoes a huge value."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def check_version(version: str) -> str:
    # fullmatch: "$" would accept a trailing newline ("1.2.0\n").
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise ConfigError(
            f"VERSION {show(version)} is not a version; use MAJOR.MINOR.PATCH, e.g. 1.2.0 (or 1.2.0-rc.1)"
        )
    problem = limits.check("version", version)
    if problem:
        raise ConfigError(f"VERSION {show(version)} is {problem}")
    return version


def version_key(version: str) -> tuple | None:
    """Sort key of a semantic version (a pre-release sorts before its release); None if not one."""
    m = VERSION_PATTERN.fullmatch(version)
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
    products: dict[str, str | None] | None = None,
) -> Catalog:
    """Read ``path``, apply ``KEY=VALUE`` overrides (dotted keys), check everything.

    Without ``regions``, the default Region of the AWS settings (``AWS_REGION``, the profile) is used.
    ``products``: registered template name -> None for a product, or the product a launch role
    launches (default: the registry's).
    """
    raw = _read(path)
    for pair in overrides:
        _override(raw, pair)
    if not _get(raw, "regions") and default_region:
        raw["regions"] = [default_region]
    return _catalog(raw, known_regions, _registered() if products is None else products)


def _registered() -> dict[str, str | None]:
    from templates_src.registry import TEMPLATES

    return {name: spec.launches for name, spec in TEMPLATES.items()}


def read_bucket(path: Path) -> str | None:
    """Only the ``bucket`` of ``path`` (checked), or None when the file does not set it.

    For commands that need the template bucket but not the rest of the publish settings (deploy): a
    file still in the single-product form gives its bucket too (only publish needs the products).
    """
    bucket = _str(_read(path, old_form=True), "bucket")
    return check_bucket(bucket) if bucket else None


def check_bucket(bucket: str) -> str:
    if (
        not BUCKET_PATTERN.fullmatch(bucket)
        or ".." in bucket
        or BUCKET_IP.fullmatch(bucket)
        or bucket.startswith(BUCKET_RESERVED_PREFIXES)
        or bucket.endswith(BUCKET_RESERVED_SUFFIXES)
    ):
        raise ConfigError(
            f"bucket {show(bucket)} is not a valid S3 bucket name (3-63 of a-z 0-9 . -, not an IP "
            "address, no reserved prefix or suffix)"
        )
    return bucket


class StrictLoader(yaml.SafeLoader):
    """YAML for a configuration file: no aliases (an alias bomb expands a few lines into gigabytes),
    no duplicate keys (the last would silently win), every scalar a string or null."""

    def compose_node(self, parent, index):  # noqa: ANN001 - yaml's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConfigError(
                f"line {event.start_mark.line + 1}: YAML aliases (*{show(event.anchor)[1:-1]}) are not "
                "accepted in this file; write the value out"
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - yaml's signature
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConfigError(f"line {key_node.start_mark.line + 1}: key {show(key)} is not a string")
            if key in seen:
                raise ConfigError(
                    f"line {key_node.start_mark.line + 1}: key {show(key)} is given twice; keep one"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read(path: Path, old_form: bool = False) -> dict:
    """The file as a mapping whose keys are all known and whose values are strings or lists of them.

    ``old_form``: leave out the single-product form's keys instead of refusing them.
    """
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"no configuration file {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a configuration file") from None
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or type(err).__name__}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB; not a configuration file")
    if b"\0" in data:
        raise ConfigError(f"{path}: a binary file, not YAML text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); save it as UTF-8"
        ) from None
    try:
        raw = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        what = getattr(err, "problem", None) or type(err).__name__
        raise ConfigError(f"{path}: not valid YAML ({show(str(what))[1:-1]}{line})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a configuration file") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys ({', '.join(SCHEMA)})")
    if old_form:
        raw = {k: v for k, v in raw.items() if k not in OLD_KEYS}
    _refuse_old_form(raw, str(path))
    _check_keys(raw, str(path))
    _check_scalars(raw, "")
    return raw


def _refuse_old_form(raw: dict, where: str) -> None:
    """The single-product form (``template:``, ``product:``, ``launch_role_name:``): one line on how
    to write it as a ``products:`` list (not converted silently: the file is what is published)."""
    old = [key for key in OLD_KEYS if key in raw]
    if old:
        raise ConfigError(
            f"{where}: {', '.join(old)} is the single-product form; list the products instead: "
            "products: [{template: <template>, <the product: keys>, launch_role_name: <role>}] "
            "(see docs/MIGRATION.md, catalog.yaml)"
        )


def _check_scalars(node: Any, where: str) -> None:
    """Every value a string (or a list or mapping of them): YAML turns unquoted null, yes, 1.10 or
    012 into other types, which would be published as "None", "True", "1.1" or "10"."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}" if where else key
            if value is None and not where.startswith("tag_options"):
                continue  # an optional key left empty: not set
            _check_scalars(value, path)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if where == "products" and isinstance(item, dict):
                _check_scalars(item, f"products[{index}]")
                continue
            if isinstance(item, (dict, list)):
                raise ConfigError(f"{where}: {show(item)} is not a single value")
            _check_scalars(item, where)
    elif not isinstance(node, str):
        kind = "null" if node is None else type(node).__name__
        raise ConfigError(f"{where}: {show(node)} is a YAML {kind}, not text; write it in quotes")


def _check_keys(raw: dict, where: str) -> None:
    for key, value in raw.items():
        if key not in SCHEMA:
            raise ConfigError(f"{where}: unknown key {show(key)}; accepted: {', '.join(SCHEMA)}")
        sub = SCHEMA[key]
        if sub is None:
            continue
        if key == "products":
            _check_entries(value, where)
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a mapping")
        if sub:
            for inner in value:
                if inner not in sub:
                    raise ConfigError(
                        f"{where}: unknown key {key}.{show(inner)[1:-1]}; accepted: {', '.join(f'{key}.{k}' for k in sub)}"
                    )


def _check_entries(value: Any, where: str) -> None:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: products must be a list of products (- template: ..., name: ...)")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: products[{index}] must be a mapping (template:, name:, ...)")
        for inner in entry:
            if inner not in ENTRY_KEYS:
                raise ConfigError(
                    f"{where}: unknown key products[{index}].{show(inner)[1:-1]}; accepted: "
                    + ", ".join(ENTRY_KEYS)
                )


def _override_product(raw: dict, key: str, value: str) -> None:
    """``products.<template>.<key>=VALUE``: a key of the listed product with that template."""
    _, _, rest = key.partition(".")
    template, _, inner = rest.rpartition(".")
    entries = raw.get("products")
    if not template or not isinstance(entries, list):
        raise ConfigError(f"--set {key}: name a product and a key, e.g. products.<template>.name")
    if inner not in ENTRY_KEYS or inner == "template":
        raise ConfigError(
            f"--set {key}: unknown key; accepted: "
            + ", ".join(f"products.{template}.{k}" for k in ENTRY_KEYS if k != "template")
        )
    matching = [e for e in entries if isinstance(e, dict) and e.get("template") == template]
    if not matching:
        listed = ", ".join(str(e.get("template")) for e in entries if isinstance(e, dict))
        raise ConfigError(f"--set {key}: no product with template {show(template)}; listed: {listed}")
    for entry in matching:
        entry[inner] = value


def _override(raw: dict, pair: str) -> None:
    key, sep, value = pair.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {show(pair)} is not KEY=VALUE (e.g. portfolio.name=Timestream)")
    top, _, inner = key.partition(".")
    if top in OLD_KEYS:
        raise ConfigError(
            f"--set {key}: the configuration lists products; use products.<template>."
            f"{inner or ('name' if top == 'product' else top)}=..."
        )
    if top == "products":
        _override_product(raw, key, value)
        return
    if top not in SCHEMA:
        raise ConfigError(f"--set {show(key)[1:-1]}: unknown key; accepted: {', '.join(SCHEMA)}")
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


def _catalog(raw: dict, known_regions: set[str] | None, registered: dict[str, str | None]) -> Catalog:
    for key in REQUIRED:
        if not _get(raw, key):
            raise ConfigError(f"{key} is missing; set it in the file or with --set {key}=...")
    entries = raw.get("products")
    if not entries:
        raise ConfigError("products is missing; list the products to publish (products: - template: ...)")
    bucket = check_bucket(_str(raw, "bucket"))
    sse = _str(raw, "sse") or "AES256"
    if sse not in SSE_VALUES:
        raise ConfigError(f"sse {show(sse)} is not accepted; use one of {', '.join(SSE_VALUES)}")
    regions = _list(raw, "regions")
    if not regions:
        raise ConfigError(
            "regions is missing and no default Region is set (AWS_REGION or the profile's region)"
        )
    for region in regions:
        if known_regions is not None and region not in known_regions:
            raise ConfigError(f"regions: {show(region)} is not a Region with Service Catalog")
    if len(set(regions)) != len(regions):
        raise ConfigError("regions: a Region is listed twice")
    principals = _list(raw, "principals")
    for arn in principals:
        if not PRINCIPAL_PATTERN.match(arn):
            raise ConfigError(f"principals: {show(arn)} is not an IAM role, user or group ARN")
    tag_options = _tag_options(_get(raw, "tag_options") or {})
    accounts = _list(raw, "shares.accounts")
    for account in accounts:
        if not ACCOUNT_PATTERN.match(account):
            raise ConfigError(f"shares.accounts: {show(account)} is not a 12-digit account id")
    ous = _list(raw, "shares.organizational_units")
    for ou in ous:
        if not OU_PATTERN.match(ou):
            raise ConfigError(f"shares.organizational_units: {show(ou)} is not an OU id (ou-xxxx-xxxxxxxx)")
    portfolio = Portfolio(**{k: _str(raw, f"portfolio.{k}") for k in SCHEMA["portfolio"]})
    _check_limits("portfolio", portfolio)
    configs = tuple(
        CatalogConfig(
            template=template,
            portfolio=portfolio,
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
        for template, product, role in (
            _entry(entry, index, registered) for index, entry in enumerate(entries)
        )
    )
    for what, values in (
        ("template", [c.template for c in configs]),
        ("name", [c.product.name for c in configs]),
        ("launch_role_name", [c.launch_role_name for c in configs]),
        ("name (as an S3 key segment)", [c.product.slug for c in configs]),
    ):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise ConfigError(
                f"products: {what} {show(twice[0])} is given to two products; each needs its own"
            )
    return Catalog(configs)


def _entry(entry: dict, index: int, registered: dict[str, str | None]) -> tuple[str, Product, str]:
    """(template, product, launch role name) of ``products[index]``, checked."""
    where = f"products[{index}]"
    for key in ENTRY_REQUIRED:
        if not _str(entry, key):
            raise ConfigError(f"{where}.{key} is missing; set it in the file")
    template = _str(entry, "template")
    where = f"products[{template}]"
    if template not in registered:
        products = [name for name, launches in registered.items() if launches is None]
        raise ConfigError(
            f"{where}: template {show(template)} is not a registered template; products: {', '.join(products)}"
        )
    if registered[template] is not None:
        raise ConfigError(
            f"{where}: {template} is the launch role of {registered[template]}, not a product; "
            f"list {registered[template]} and set its launch_role_name"
        )
    role = _str(entry, "launch_role_name")
    if not ROLE_NAME_PATTERN.fullmatch(role):
        raise ConfigError(
            f"{where}.launch_role_name {show(role)} is not an IAM role name (1-64 of letters, digits, +=,.@_-)"
        )
    product = Product(**{k: _str(entry, k) for k in PRODUCT_KEYS})
    _check_limits("product", product, where)
    if product.support_email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", product.support_email):
        raise ConfigError(f"{where}.support_email {show(product.support_email)} is not an e-mail address")
    if product.support_url and not re.match(r"^https?://\S+$", product.support_url):
        raise ConfigError(f"{where}.support_url {show(product.support_url)} is not an http(s) URL")
    return template, product, role


def _tag_options(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError("tag_options must map a key to a list of values")
    pairs: list[tuple[str, str]] = []
    for key, values in raw.items():
        if isinstance(values, str):
            values = _split(values)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"tag_options.{show(key)[1:-1]} must be a list of values")
        problem = limits.check("tag_options key", key)
        if problem:
            raise ConfigError(f"tag_options: key {show(key)} is {problem}")
        for value in values:
            if not isinstance(value, str):
                raise ConfigError(f"tag_options.{key}: {show(value)} is not text; write it in quotes")
            problem = limits.check("tag_options value", value)
            if problem:
                raise ConfigError(f"tag_options.{key}: value {show(value)} is {problem}")
            pair = (key, value)
            if pair not in pairs:
                pairs.append(pair)
    if len(pairs) > TAG_OPTIONS_MAX:
        raise ConfigError(
            f"tag_options: {len(pairs)} given; Service Catalog allows {TAG_OPTIONS_MAX} on a portfolio"
        )
    return tuple(pairs)


def _check_limits(section: str, values: Portfolio | Product, where: str | None = None) -> None:
    """Service Catalog's own length limits and patterns (from its service model) on every name."""
    for key, value in vars(values).items():
        problem = limits.check(f"{section}.{key}", value) if value else None
        if problem:
            raise ConfigError(f"{where or section}.{key} {show(value)} is {problem}")

"""The one reader of cfn-lint's bundled CloudFormation resource schemas.

cfn-lint ships ``data/schemas/providers/<region>.json`` (resource type -> schema file) and the
schemas in ``data/schemas/resources/``; a type can have a different schema in each Region.

Region policy: a question about a type is answered over *every* Region that has the type (the
union of what their schemas say), never over one Region. A template is deployed in any Region it
can be, and the docs, deploy's replacement check and the launch role's permissions must hold in
each of them: a property create-only in one Region is create-only for a refusal, an action one
Region's handler calls is an action the launch role needs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

# Found without importing cfn-lint (its import takes ~0.4 s): reading its data needs only the path.
DATA_DIR = Path(importlib.util.find_spec("cfnlint").origin).parent / "data"
SCHEMAS_DIR = DATA_DIR / "schemas"
PROVIDERS_DIR = SCHEMAS_DIR / "providers"
RESOURCES_DIR = SCHEMAS_DIR / "resources"
CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"
#: A provider file is a Region's (``us-east-1``, ``us-gov-west-1``, ``eusc-de-east-1``) or, for
#: ``sam.json``, the Serverless transform's types, which no Region is.
_REGION_NAME = re.compile(r"[a-z]+(-[a-z]+)+-[0-9]+")


class UnknownTypeError(LookupError):
    """A resource type no Region's schemas list."""


def is_custom(type_name: str) -> bool:
    """Custom resources (``Custom::*``) have no schema: the template's own function backs them."""
    return type_name.startswith("Custom::") or type_name == CUSTOM_RESOURCE


@cache
def regions() -> tuple[str, ...]:
    """Every Region cfn-lint has schemas for, sorted: the Region-named provider files. Read from the
    file names rather than cfn-lint's own list (``cfnlint.helpers.REGIONS``), whose import takes
    ~0.5 s; ``test_gates`` proves the two agree."""
    return tuple(sorted(p.stem for p in PROVIDERS_DIR.glob("*.json") if _REGION_NAME.fullmatch(p.stem)))


@cache
def provider_index(region: str) -> Mapping[str, str]:
    """Resource type -> schema file (stem) in ``region``."""
    return json.loads((PROVIDERS_DIR / f"{region}.json").read_text())


def types_in(region: str) -> frozenset[str]:
    return frozenset(provider_index(region))


def regions_for(resource_types: Iterable[str]) -> list[str]:
    """Every Region in which all ``resource_types`` exist, sorted (custom types exist everywhere)."""
    wanted = {t for t in resource_types if not is_custom(t)}
    return [r for r in regions() if wanted <= provider_index(r).keys()]


@cache
def _schema_file(stem: str) -> dict[str, Any]:
    return json.loads((RESOURCES_DIR / f"{stem}.json").read_text())


@cache
def _file_digest(stem: str) -> str:
    return hashlib.sha256((RESOURCES_DIR / f"{stem}.json").read_bytes()).hexdigest()


def schema(type_name: str, region: str) -> dict[str, Any]:
    """The schema of ``type_name`` in ``region`` (KeyError when the Region lacks the type)."""
    return _schema_file(provider_index(region)[type_name])


def schemas(type_name: str) -> list[dict[str, Any]]:
    """Every distinct schema of ``type_name``, over every Region that has it."""
    stems = sorted({provider_index(r)[type_name] for r in regions() if type_name in provider_index(r)})
    if not stems:
        raise UnknownTypeError(f"{type_name}: no resource schema in cfn-lint's data for any Region")
    return [_schema_file(stem) for stem in stems]


def create_only_properties(types: Iterable[str]) -> dict[str, frozenset[str]]:
    """Top-level create-only properties of each known type, the union over every Region.

    A change to one makes CloudFormation replace the resource; types no schema lists (custom
    resources) are left out: their function receives an Update and decides.
    """
    found: dict[str, frozenset[str]] = {}
    for type_name in sorted(set(types)):
        try:
            every = schemas(type_name)
        except UnknownTypeError:
            continue
        found[type_name] = frozenset(
            path.split("/")[2]
            for s in every
            for path in s.get("createOnlyProperties") or []
            if path.startswith("/properties/") and path.count("/") == 2
        )
    return found


EXTENSIONS_DIR = SCHEMAS_DIR / "extensions"


@cache
def regional_extensions(type_name: str) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """cfn-lint's extra schemas for ``type_name`` that differ by Region (file name, Region -> schema):
    e.g. the instance types each Region offers. Keyed by Region at the top level."""
    folder = EXTENSIONS_DIR / type_name.lower().replace("::", "_")
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text())
        if isinstance(data, dict) and data.keys() & set(regions()):
            found.append((path.stem, data))
    return tuple(found)


def schema_digest(types: Iterable[str], region: str) -> str:
    """A hash of everything cfn-lint's bundled schemas say about ``types`` in ``region``: the
    resource schemas and the Region's part of the regional extensions. Equal digests, equal schemas."""
    index = provider_index(region)
    parts = []
    for t in sorted(set(types)):
        if t in index:
            parts.append(f"{t}={_file_digest(index[t])}")
        for name, by_region in regional_extensions(t):
            regional = json.dumps(by_region.get(region), sort_keys=True)
            parts.append(f"{t}/{name}={hashlib.sha256(regional.encode()).hexdigest()}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@cache
def additional_spec(name: str) -> Any:
    """One of cfn-lint's other data files (``data/AdditionalSpecs/<name>.json``), e.g. Policies."""
    return json.loads((DATA_DIR / "AdditionalSpecs" / f"{name}.json").read_text())


def missing_types(resource_types: Iterable[str], region: str) -> list[str]:
    """The ``resource_types`` that do not exist in ``region`` (custom types exist everywhere), sorted."""
    index = provider_index(region) if (PROVIDERS_DIR / f"{region}.json").exists() else {}
    return sorted(t for t in set(resource_types) if not is_custom(t) and t not in index)

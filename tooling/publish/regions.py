"""Which Regions a built template can be published in: those where every resource type it declares
exists, as cfn-lint's bundled schemas say (the lint gate reads the same data for the same question).

Service Catalog accepts a product in a Region whose CloudFormation lacks one of its types; every
launch would then fail there. Refusing such a Region before any AWS call keeps that from happening.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from tooling.cfn import schemas


class RegionError(ValueError):
    """A Region of the configuration where the template cannot be launched: one line."""


@functools.lru_cache(maxsize=16)
def resource_types(template_text: str) -> frozenset[str]:
    """The resource types of a YAML or JSON template (short-form intrinsics read as tags).

    Remembered for a few texts: publishing checks each product's template (and its launch role's)
    once per Region list, and PyYAML takes ~0.15 s to read the product's.
    """
    import cfn_flip

    template: Any = cfn_flip.load_yaml(template_text)
    resources = template.get("Resources") if isinstance(template, dict) else None
    return frozenset(
        r["Type"]
        for r in (resources or {}).values()
        if isinstance(r, dict) and isinstance(r.get("Type"), str)
    )


def check_regions(
    regions: Iterable[str], template_text: str, offered: Iterable[str] | None = None, what: str = "template"
) -> None:
    """Refuse every Region in which a resource type of the template does not exist.

    ``offered``: the Regions with Service Catalog (the accepted ones are listed among them).
    """
    types = resource_types(template_text)
    bad = {r: schemas.missing_types(types, r) for r in regions}
    bad = {r: missing for r, missing in bad.items() if missing}
    if not bad:
        return
    accepted = schemas.regions_for(types)
    if offered is not None:
        accepted = [r for r in accepted if r in set(offered)]
    lacking = sorted({t for missing in bad.values() for t in missing})
    raise RegionError(
        f"{what} cannot be launched in {', '.join(sorted(bad))}: no {', '.join(lacking)} there "
        f"(cfn-lint's resource schemas); accepted Regions: {', '.join(accepted) or 'none'}"
    )

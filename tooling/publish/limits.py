"""Service Catalog's limits on the values publish sends, read from botocore's service model.

botocore validates only required members, types and minimum lengths before a call; the maximum
lengths and patterns of the model are enforced by the service, after the template is uploaded.
Reading them here lets the configuration be refused before any AWS call, with the service's own
numbers (the model is botocore's ``servicecatalog/*/service-2.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# Which input member of which operation each value ends up in (names as in the service model).
MEMBERS: dict[str, tuple[str, ...]] = {
    "portfolio.name": ("CreatePortfolio", "DisplayName"),
    "portfolio.provider": ("CreatePortfolio", "ProviderName"),
    "portfolio.description": ("CreatePortfolio", "Description"),
    "product.name": ("CreateProduct", "Name"),
    "product.owner": ("CreateProduct", "Owner"),
    "product.description": ("CreateProduct", "Description"),
    "product.distributor": ("CreateProduct", "Distributor"),
    "product.support_email": ("CreateProduct", "SupportEmail"),
    "product.support_url": ("CreateProduct", "SupportUrl"),
    "product.support_description": ("CreateProduct", "SupportDescription"),
    "tag_options key": ("CreateTagOption", "Key"),
    "tag_options value": ("CreateTagOption", "Value"),
    "version": ("CreateProvisioningArtifact", "Parameters", "Name"),
    "artifact description": ("CreateProvisioningArtifact", "Parameters", "Description"),
}


@dataclass(frozen=True)
class Limit:
    shape: str
    min: int | None
    max: int | None
    pattern: str | None

    def problem(self, value: str) -> str | None:
        """Why ``value`` breaks the limit (None when it does not)."""
        if self.min is not None and len(value) < self.min:
            return f"shorter than {self.min} character(s)"
        if self.max is not None and len(value) > self.max:
            return f"longer than {self.max} characters (Service Catalog's {self.shape})"
        if self.pattern and not _compiled(self.pattern).match(value):
            return f"has a character Service Catalog's {self.shape} does not accept ({self.pattern})"
        return None


@cache
def _model():
    import botocore.session

    return botocore.session.get_session().get_service_model("servicecatalog")


@cache
def _compiled(pattern: str):
    # The model's patterns use Unicode classes (\p{L}) that only the `regex` module (a cfn-lint
    # dependency) understands; a pattern is anchored as the service applies it, to the whole value.
    import regex

    return regex.compile(f"(?:{pattern})\\Z")


@cache
def limit(what: str) -> Limit:
    """The limit of one value (a key of :data:`MEMBERS`)."""
    operation, *path = MEMBERS[what]
    shape = _model().operation_model(operation).input_shape
    for member in path:
        shape = shape.members[member]
    meta = shape.metadata
    return Limit(shape.name, meta.get("min"), meta.get("max"), meta.get("pattern"))


def check(what: str, value: str) -> str | None:
    """Why ``value`` cannot be the ``what`` of a Service Catalog call, or None."""
    return limit(what).problem(value)

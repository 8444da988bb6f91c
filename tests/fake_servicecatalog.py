"""An in-memory Service Catalog that answers through botocore's Stubber.

Each call a client makes is checked against the real service model twice: its parameters by
botocore's validator (before the fake changes anything), and the fake's response by the Stubber,
which also asserts the call is the one queued. The fake keeps the catalog's state, so a test reads
as "publish, fail here, publish again, look at the catalog".

Lists are served ``PAGE_SIZE`` items at a time, so the code under test must paginate.

What it models beyond plain state:

- search lag: ``search_lag`` SearchProductsAsAdmin calls after CreateProduct do not return the new
  product (the search is an index, updated after the product exists); reads by id
  (DescribeProductAsAdmin, ListProvisioningArtifacts) see it at once;
- throttling: a :class:`Failure` answers one chosen call with an error of the real shape
  (``ThrottlingException``, HTTP 400, "Rate exceeded"), before or after the change is made;
- asynchronous OU shares: CreatePortfolioShare with an organization node returns a
  PortfolioShareToken; DescribePortfolioShareStatus says IN_PROGRESS ``share_delay`` times, then
  COMPLETED (or ERROR for an OU in ``failing_ous``); the share is listed by DescribePortfolioShares
  only once COMPLETED; a repeated CreatePortfolioShare has no effect and no error (as the API
  reference says) and returns the token of the share under way;
- IdempotencyToken: a repeated create with a token returns the first response.

What it does not model: client-side retries (the Stubber answers before botocore's retry loop, so
an injected throttle is what a caller sees after its attempts are spent); the expiry of idempotency
tokens; eventual consistency of anything but the search; ListPortfolios lag; TagOption and share
acceptance by the receiving accounts; per-account quotas other than the 100 artifacts checked by
the code itself; template validation of LoadTemplateFromURL; launch (ProvisionProduct).
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import boto3

# moto registers its request hook with botocore when imported: SESSION below, made after this
# import, is mocked inside mock_aws() whatever order a test module imports this module in.
import moto  # noqa: F401
from botocore import xform_name
from botocore.stub import Stubber
from botocore.validate import validate_parameters

PAGE_SIZE = 2
MUTATING_PREFIXES = ("create_", "update_", "delete_", "associate_", "disassociate_", "put_")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# One session for every client the tests make: it loads each service model once.
SESSION = boto3.Session()


def check_enums(value: Any, shape: Any, where: str) -> None:
    """botocore checks types and required members but not enum values; the service does."""
    if shape is None:
        return
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if isinstance(value, dict) and name in value:
                check_enums(value[name], member, f"{where}.{name}")
    elif shape.type_name == "list":
        for item in value:
            check_enums(item, shape.member, where)
    elif shape.type_name == "map":
        for item in value.values():
            check_enums(item, shape.value, where)
    elif getattr(shape, "enum", None) and value not in shape.enum:
        raise ValueError(f"{where}: {value!r} is not one of {shape.enum}")


class FakeError(Exception):
    def __init__(self, code: str, message: str = "", status: int = 400):
        super().__init__(code)
        self.code, self.message, self.status = code, message or code, status


@dataclass
class Failure:
    """Fail the next call to ``operation`` with ``code``; ``after`` applies it first (a lost response)."""

    operation: str
    code: str = "ThrottlingException"
    after: bool = False
    message: str = "Rate exceeded"
    skip: int = 0  # let this many matching calls through first


@dataclass
class FakeCatalog:
    region: str = "sa-east-1"
    account: str = "123456789012"  # moto's default account: STS under mock_aws() says the same
    portfolios: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    links: set[tuple[str, str]] = field(default_factory=set)  # (product, portfolio)
    constraints: dict[str, dict[str, Any]] = field(default_factory=dict)
    principals: dict[str, dict[str, str]] = field(default_factory=dict)
    tag_options: dict[str, tuple[str, str]] = field(default_factory=dict)
    portfolio_tag_options: dict[str, set[str]] = field(default_factory=dict)
    shares: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    tokens: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    search_lag: int = 0
    hidden: dict[str, int] = field(default_factory=dict)  # product -> searches it is still missing from
    share_delay: int = 0
    failing_ous: set[str] = field(default_factory=set)
    share_ops: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> share under way
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- plumbing -------------------------------------------------------------------------
    def client(self) -> Any:
        client = SESSION.client("servicecatalog", region_name=self.region)
        stubber = Stubber(client)

        def answer(params: dict[str, Any], model: Any, **_: Any) -> None:
            validate_parameters(params, model.input_shape)
            check_enums(params, model.input_shape, model.name)
            method = xform_name(model.name)
            try:
                response = self.handle(method, copy.deepcopy(params))
            except FakeError as err:
                stubber.add_client_error(
                    method,
                    service_error_code=err.code,
                    service_message=err.message,
                    http_status_code=err.status,
                    expected_params=params,
                )
            else:
                stubber.add_response(method, response, expected_params=params)

        # Runs before the Stubber's own check of the same event, so the response is queued in time.
        client.meta.events.register_first("before-parameter-build.*.*", answer)
        stubber.activate()
        return client

    def handle(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, params))
        failure = next((f for f in self.failures if f.operation == method), None)
        if failure and failure.skip:
            failure.skip -= 1
            failure = None
        if failure and not failure.after:
            self.failures.remove(failure)
            raise FakeError(failure.code, failure.message)
        token = params.get("IdempotencyToken")
        if token and (method, token) in self.tokens:
            response = self.tokens[(method, token)]
        else:
            response = getattr(self, method)(**params)
            if token:
                self.tokens[(method, token)] = response
        if failure:
            self.failures.remove(failure)
            raise FakeError(failure.code, failure.message)
        return response

    def mutating_calls(self) -> list[tuple[str, dict[str, Any]]]:
        return [c for c in self.calls if c[0].startswith(MUTATING_PREFIXES)]

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):013d}"

    @staticmethod
    def page(items: list[Any], key: str, token_key: str = "NextPageToken", **params: Any) -> dict[str, Any]:
        start = int(params.get("PageToken") or 0)
        response: dict[str, Any] = {key: items[start : start + PAGE_SIZE]}
        if start + PAGE_SIZE < len(items):
            response[token_key] = str(start + PAGE_SIZE)
        return response

    # --- reads ----------------------------------------------------------------------------
    def list_portfolios(self, **params: Any) -> dict[str, Any]:
        return self.page(list(self.portfolios.values()), "PortfolioDetails", **params)

    def search_products_as_admin(self, Filters=None, ProductSource=None, **params: Any) -> dict[str, Any]:
        words = [w.lower() for text in (Filters or {}).get("FullTextSearch", []) for w in text.split()]
        found = [
            {
                "ProductViewSummary": {
                    "ProductId": pid,
                    "Id": f"prodview-{pid}",
                    "Name": p["Name"],
                    "Owner": p["Owner"],
                }
            }
            for pid, p in self.products.items()
            if (not words or any(w in p["Name"].lower() for w in words))  # fuzzy, like the service
            and not self.hidden.get(pid)
        ]
        if "PageToken" not in params:  # one search: each product still indexing is one search nearer
            self.hidden = {pid: n - 1 for pid, n in self.hidden.items() if n > 1}
        return self.page(found, "ProductViewDetails", **params)

    def describe_product_as_admin(self, Id: str) -> dict[str, Any]:
        p = self._product(Id)
        return {
            "ProductViewDetail": {
                "ProductViewSummary": {
                    "ProductId": Id,
                    "Id": f"prodview-{Id}",
                    "Name": p["Name"],
                    "Owner": p["Owner"],
                    "Type": p["Type"],
                },
                "Status": "CREATED",
                "ProductARN": f"arn:aws:catalog:{self.region}:{p['Account']}:product/{Id}",
            },
            "ProvisioningArtifactSummaries": [
                {"Id": a["Id"], "Name": a["Name"], "Description": a["Description"]}
                for a in self.artifacts.get(Id, [])
            ],
        }

    def describe_portfolio_share_status(self, PortfolioShareToken: str) -> dict[str, Any]:
        op = self.share_ops.get(PortfolioShareToken)
        if op is None:
            raise FakeError("ResourceNotFoundException", "no such share token")
        response = {
            "PortfolioShareToken": PortfolioShareToken,
            "PortfolioId": op["portfolio"],
            "OrganizationNodeValue": op["node"][1],
        }
        if op["left"] > 0:
            op["left"] -= 1
            return {**response, "Status": "IN_PROGRESS"}
        if op["node"][1] in self.failing_ous:
            errors = [{"Message": "the OU is not in the organization", "Error": "InvalidParametersException"}]
            return {**response, "Status": "ERROR", "ShareDetails": {"ShareErrors": errors}}
        self.shares.setdefault(op["portfolio"], set()).add(op["node"])
        return {**response, "Status": "COMPLETED"}

    def list_tag_options(self, Filters=None, **params: Any) -> dict[str, Any]:
        f = Filters or {}
        found = [
            {"Id": i, "Key": k, "Value": v, "Active": True}
            for i, (k, v) in self.tag_options.items()
            if f.get("Key", k) == k and f.get("Value", v) == v
        ]
        return self.page(found, "TagOptionDetails", token_key="PageToken", **params)

    def list_provisioning_artifacts(self, ProductId: str) -> dict[str, Any]:
        self._product(ProductId)
        return {"ProvisioningArtifactDetails": copy.deepcopy(self.artifacts.get(ProductId, []))}

    def list_principals_for_portfolio(self, PortfolioId: str, **params: Any) -> dict[str, Any]:
        items = [
            {"PrincipalARN": a, "PrincipalType": t} for a, t in self.principals.get(PortfolioId, {}).items()
        ]
        return self.page(items, "Principals", **params)

    def describe_portfolio(self, Id: str) -> dict[str, Any]:
        detail = self._portfolio(Id)
        options = [
            {"Id": i, "Key": self.tag_options[i][0], "Value": self.tag_options[i][1], "Active": True}
            for i in sorted(self.portfolio_tag_options.get(Id, set()))
        ]
        return {"PortfolioDetail": detail, "TagOptions": options}

    def describe_portfolio_shares(self, PortfolioId: str, Type: str, **params: Any) -> dict[str, Any]:
        items = [
            {"PrincipalId": p, "Type": t, "Accepted": False, "ShareTagOptions": True}
            for t, p in sorted(self.shares.get(PortfolioId, set()))
            if t == Type
        ]
        return self.page(items, "PortfolioShareDetails", **params)

    def list_portfolios_for_product(self, ProductId: str, **params: Any) -> dict[str, Any]:
        items = [self.portfolios[pf] for pr, pf in sorted(self.links) if pr == ProductId]
        return self.page(items, "PortfolioDetails", **params)

    def list_constraints_for_portfolio(self, PortfolioId: str, ProductId: str | None = None, **params: Any):
        items = [
            {
                "ConstraintId": cid,
                "Type": c["Type"],
                "ProductId": c["ProductId"],
                "PortfolioId": c["PortfolioId"],
            }
            for cid, c in self.constraints.items()
            if c["PortfolioId"] == PortfolioId and ProductId in (None, c["ProductId"])
        ]
        return self.page(items, "ConstraintDetails", **params)

    def describe_constraint(self, Id: str) -> dict[str, Any]:
        c = self.constraints[Id]
        return {
            "ConstraintDetail": {"ConstraintId": Id, "Type": c["Type"]},
            "ConstraintParameters": c["Parameters"],
            "Status": "AVAILABLE",
        }

    # --- writes ---------------------------------------------------------------------------
    def create_portfolio(self, DisplayName, ProviderName, IdempotencyToken, Description="", **_):
        pid = self.new_id("port")
        self.portfolios[pid] = {
            "Id": pid,
            "ARN": f"arn:aws:catalog:{self.region}:{self.account}:portfolio/{pid}",
            "DisplayName": DisplayName,
            "ProviderName": ProviderName,
            "Description": Description,
            "CreatedTime": NOW,
        }
        return {"PortfolioDetail": self.portfolios[pid]}

    def create_product(
        self, Name, Owner, ProductType, IdempotencyToken, ProvisioningArtifactParameters, **extra
    ):
        pid = self.new_id("prod")
        # Type and Account: what DescribeProductAsAdmin tells (a test may make one another account's).
        self.products[pid] = {
            "Name": Name,
            "Owner": Owner,
            "Type": ProductType,
            "Account": self.account,
            **extra,
        }
        if self.search_lag:
            self.hidden[pid] = self.search_lag
        artifact = self._add_artifact(pid, ProvisioningArtifactParameters)
        return {
            "ProductViewDetail": {
                "ProductViewSummary": {"ProductId": pid, "Name": Name, "Owner": Owner},
                "Status": "CREATED",
            },
            "ProvisioningArtifactDetail": artifact,
        }

    def create_provisioning_artifact(self, ProductId, Parameters, IdempotencyToken):
        self._product(ProductId)
        return {
            "ProvisioningArtifactDetail": self._add_artifact(ProductId, Parameters),
            "Status": "AVAILABLE",
        }

    def update_provisioning_artifact(self, ProductId, ProvisioningArtifactId, **changes):
        artifact = self._artifact(ProductId, ProvisioningArtifactId)
        artifact.update(changes)
        return {"ProvisioningArtifactDetail": copy.deepcopy(artifact), "Status": "AVAILABLE"}

    def delete_provisioning_artifact(self, ProductId, ProvisioningArtifactId):
        self._artifact(ProductId, ProvisioningArtifactId)
        self.artifacts[ProductId] = [
            a for a in self.artifacts[ProductId] if a["Id"] != ProvisioningArtifactId
        ]
        return {}

    def associate_product_with_portfolio(self, ProductId, PortfolioId):
        self._product(ProductId), self._portfolio(PortfolioId)
        self.links.add((ProductId, PortfolioId))
        return {}

    def create_constraint(self, PortfolioId, ProductId, Parameters, Type, IdempotencyToken, Description=""):
        if (ProductId, PortfolioId) not in self.links:
            raise FakeError("ResourceNotFoundException", "product is not in the portfolio")
        if any(
            c["Type"] == Type and c["PortfolioId"] == PortfolioId and c["ProductId"] == ProductId
            for c in self.constraints.values()
        ):
            raise FakeError("DuplicateResourceException", "a launch constraint exists")
        cid = self.new_id("cons")
        self.constraints[cid] = {
            "PortfolioId": PortfolioId,
            "ProductId": ProductId,
            "Parameters": Parameters,
            "Type": Type,
        }
        return {"ConstraintDetail": {"ConstraintId": cid, "Type": Type}, "ConstraintParameters": Parameters}

    def update_constraint(self, Id, Parameters=None, Description=None):
        if Parameters is not None:
            self.constraints[Id]["Parameters"] = Parameters
        return self.describe_constraint(Id)

    def associate_principal_with_portfolio(self, PortfolioId, PrincipalARN, PrincipalType):
        self._portfolio(PortfolioId)
        self.principals.setdefault(PortfolioId, {})[PrincipalARN] = PrincipalType
        return {}

    def create_tag_option(self, Key, Value):
        if (Key, Value) in self.tag_options.values():
            raise FakeError("DuplicateResourceException", "TagOption exists")
        tid = self.new_id("tag")
        self.tag_options[tid] = (Key, Value)
        return {"TagOptionDetail": {"Id": tid, "Key": Key, "Value": Value, "Active": True}}

    def associate_tag_option_with_resource(self, ResourceId, TagOptionId):
        self._portfolio(ResourceId)
        if TagOptionId not in self.tag_options:
            raise FakeError("ResourceNotFoundException", "no such TagOption")
        if TagOptionId in self.portfolio_tag_options.get(ResourceId, set()):
            raise FakeError("DuplicateResourceException", "already associated")
        self.portfolio_tag_options.setdefault(ResourceId, set()).add(TagOptionId)
        return {}

    def create_portfolio_share(self, PortfolioId, AccountId=None, OrganizationNode=None, **_):
        self._portfolio(PortfolioId)
        if AccountId:
            self.shares.setdefault(PortfolioId, set()).add(("ACCOUNT", AccountId))
            return {}
        node = (OrganizationNode["Type"], OrganizationNode["Value"])
        for token, op in self.share_ops.items():
            same = (op["portfolio"], op["node"]) == (PortfolioId, node)
            done = node in self.shares.get(PortfolioId, ())
            if same and not done and (op["left"] > 0 or node[1] not in self.failing_ous):
                return {"PortfolioShareToken": token}  # the share under way
        token = self.new_id("share")
        self.share_ops[token] = {"portfolio": PortfolioId, "node": node, "left": self.share_delay}
        return {"PortfolioShareToken": token}

    # --- helpers --------------------------------------------------------------------------
    def _add_artifact(self, product: str, parameters: dict[str, Any]) -> dict[str, Any]:
        artifact = {
            "Id": self.new_id("pa"),
            "Name": parameters["Name"],
            "Description": parameters.get("Description", ""),
            "Type": parameters.get("Type", "CLOUD_FORMATION_TEMPLATE"),
            "CreatedTime": NOW,
            "Active": True,
            "Guidance": "DEFAULT",
        }
        self.artifacts.setdefault(product, []).append(artifact)
        return copy.deepcopy(artifact)

    def _portfolio(self, pid: str) -> dict[str, Any]:
        if pid not in self.portfolios:
            raise FakeError("ResourceNotFoundException", f"no portfolio {pid}")
        return self.portfolios[pid]

    def _product(self, pid: str) -> dict[str, Any]:
        if pid not in self.products:
            raise FakeError("ResourceNotFoundException", f"no product {pid}")
        return self.products[pid]

    def _artifact(self, product: str, aid: str) -> dict[str, Any]:
        for artifact in self.artifacts.get(product, []):
            if artifact["Id"] == aid:
                return artifact
        raise FakeError("ResourceNotFoundException", f"no artifact {aid}")

    def duplicates(self) -> list[str]:
        """Products with one name, or artifacts of a product with one name: never allowed."""
        found = []
        names = [p["Name"] for p in self.products.values()]
        found += [f"product {n}" for n in set(names) if names.count(n) > 1]
        for pid, items in self.artifacts.items():
            versions = [a["Name"] for a in items]
            found += [f"{pid} artifact {n}" for n in set(versions) if versions.count(n) > 1]
        return sorted(found)

    def summary(self) -> dict[str, Any]:
        """The catalog as a comparable value (ids aside)."""
        return {
            "portfolios": sorted(p["DisplayName"] for p in self.portfolios.values()),
            "products": sorted(p["Name"] for p in self.products.values()),
            "artifacts": sorted(
                (self.products[p]["Name"], a["Name"], a["Description"][-12:], a["Guidance"])
                for p, items in self.artifacts.items()
                for a in items
            ),
            "links": len(self.links),
            "constraints": sorted(
                json.loads(c["Parameters"])["LocalRoleName"] for c in self.constraints.values()
            ),
            "principals": sorted(a for ps in self.principals.values() for a in ps),
            "tag_options": sorted(self.tag_options.values()),
            "portfolio_tag_options": sum(len(v) for v in self.portfolio_tag_options.values()),
            "shares": sorted(s for ss in self.shares.values() for s in ss),
        }

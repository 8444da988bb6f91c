"""Make the plan's calls with boto3, in order, remembering the ids they return for later calls."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .plan import Call, JsonBody, Ref

ClientFor = Callable[[str, str], Any]


class CallFailed(Exception):
    """A call of the plan failed; what ran before it stays done, and a rerun carries on."""

    def __init__(self, call: Call, error: Exception):
        self.call = call
        self.error = error
        super().__init__(f"{call.summary} failed in {call.region}: {_reason(error)}")


def _reason(error: Exception) -> str:
    from tooling import aws

    if aws.is_aws_error(error) or isinstance(error, aws.AwsProblem):
        return aws.explain(error) if aws.is_aws_error(error) else str(error)
    return str(error) or type(error).__name__


def resolve(value: Any, refs: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return refs[value.name]
    if isinstance(value, JsonBody):
        return json.dumps(resolve(value.value, refs), sort_keys=True).encode()
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    return value


def _dig(response: dict[str, Any], path: str) -> Any:
    node: Any = response
    for part in path.split("."):
        node = node[part]
    return node


# DescribePortfolioShareStatus is polled this often, this many times, after a share with an
# organization node (those shares are made asynchronously).
SHARE_POLL_SECONDS = 5.0
SHARE_POLLS = 60
SHARE_DONE = ("COMPLETED",)
SHARE_FAILED = ("ERROR", "COMPLETED_WITH_ERRORS")


class Executor:
    """Runs calls; ``refs`` holds what earlier calls returned (and the template body)."""

    def __init__(
        self,
        client_for: ClientFor,
        refs: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client_for = client_for
        self.refs: dict[str, Any] = dict(refs or {})
        self.sleep = sleep

    def run(self, call: Call) -> None:
        """Make ``call``; any failure, of the call or of what follows it, is a CallFailed."""
        from tooling import aws

        try:
            client = self.client_for(call.service, call.client_region or call.region)
            params = resolve(call.params, self.refs)
            try:
                response = getattr(client, call.operation)(**params)
            except ClientError as err:
                if aws.error_code(err) not in call.tolerate:
                    raise
                self._recover(call, client, params)
                return
            for name, path in call.binds:
                self.refs[name] = _dig(response, path)
            token = response.get("PortfolioShareToken") if isinstance(response, dict) else None
            if call.operation == "create_portfolio_share" and token:
                self._wait_for_share(call, client, token)
        except (ClientError, BotoCoreError, aws.AwsProblem) as err:
            raise CallFailed(call, err) from None

    def _wait_for_share(self, call: Call, client: Any, token: str) -> None:
        for _ in range(SHARE_POLLS):
            status = client.describe_portfolio_share_status(PortfolioShareToken=token)
            if status.get("Status") in SHARE_DONE:
                return
            if status.get("Status") in SHARE_FAILED:
                errors = (status.get("ShareDetails") or {}).get("ShareErrors") or []
                said = "; ".join(
                    f"{e.get('Error', 'error')}: {e.get('Message', '')} {' '.join(e.get('Accounts') or [])}".strip()
                    for e in errors
                )
                raise CallFailed(
                    call, RuntimeError(f"the share ended {status['Status']} ({said or 'no detail'})")
                )
            self.sleep(SHARE_POLL_SECONDS)
        raise CallFailed(
            call,
            RuntimeError(f"the share was still in progress after {SHARE_POLLS * SHARE_POLL_SECONDS:.0f} s"),
        )

    def _recover(self, call: Call, client: Any, params: dict[str, Any]) -> None:
        if call.recover == "find_tag_option":
            ((name, _),) = call.binds
            pages = client.get_paginator("list_tag_options").paginate(
                Filters={"Key": params["Key"], "Value": params["Value"]}
            )
            for page in pages:
                for option in page.get("TagOptionDetails", []):
                    if option["Key"] == params["Key"] and option["Value"] == params["Value"]:
                        self.refs[name] = option["Id"]
                        return
            raise CallFailed(call, LookupError("TagOption reported as duplicate but not found"))

"""Make the plan's calls with boto3, in order, remembering the ids they return for later calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .plan import Call, Ref

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


class Executor:
    """Runs calls; ``refs`` holds what earlier calls returned (and the template body)."""

    def __init__(self, client_for: ClientFor, refs: dict[str, Any] | None = None):
        self.client_for = client_for
        self.refs: dict[str, Any] = dict(refs or {})

    def run(self, call: Call) -> None:
        client = self.client_for(call.service, call.region)
        params = resolve(call.params, self.refs)
        try:
            response = getattr(client, call.operation)(**params)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code not in call.tolerate:
                raise CallFailed(call, err) from err
            self._recover(call, client, params)
            return
        except BotoCoreError as err:  # network, credentials, endpoint
            raise CallFailed(call, err) from err
        for name, path in call.binds:
            self.refs[name] = _dig(response, path)

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

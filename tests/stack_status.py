"""A CloudFormation client that answers DescribeStacks with one stack status, through botocore's
Stubber (so the request is checked against the real model): what a custom-resource function asks
before it acts on a Delete (functions/cfn_response.py, ``stack_deleting``)."""

from __future__ import annotations

import datetime
import functools

import boto3
from botocore.stub import Stubber


@functools.cache
def _client():
    """One client for every StackStatus: a session loads botocore's data, which takes a while.
    A session of its own: the lifecycle harness patches boto3.client to hand out this class."""
    return boto3.session.Session().client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


class StackStatus:
    """A CloudFormation client for one stack: DescribeStacks answers ``status`` (or ``error``, an
    AWS error code); DescribeStackResource answers ``resource`` for any logical id: a
    (ResourceStatus, PhysicalResourceId) pair (the physical id may be None: left out), and
    ``resource=None`` a resource no longer in the stack (ValidationError, as CloudFormation
    answers). ``calls`` counts the DescribeStacks calls."""

    def __init__(
        self,
        stack_id: str,
        status: str = "DELETE_IN_PROGRESS",
        error: str | None = None,
        resource: tuple[str, str | None] | None = ("DELETE_IN_PROGRESS", None),
    ):
        self.stack_id, self.status, self.error, self.resource = stack_id, status, error, resource
        self.calls = 0
        self._client = _client()
        self.exceptions = self._client.exceptions

    def describe_stacks(self, **kwargs):
        self.calls += 1
        with Stubber(self._client) as stub:
            if self.error:
                stub.add_client_error(
                    "describe_stacks",
                    self.error,
                    "stubbed",
                    400,
                    expected_params={"StackName": self.stack_id},
                )
            else:
                stub.add_response("describe_stacks", self._answer(), {"StackName": self.stack_id})
            return self._client.describe_stacks(**kwargs)

    def describe_stack_resource(self, **kwargs):
        expected = {"StackName": self.stack_id, "LogicalResourceId": kwargs.get("LogicalResourceId")}
        with Stubber(self._client) as stub:
            if self.resource is None:
                message = (
                    f"Resource {kwargs.get('LogicalResourceId')} does not exist for stack {self.stack_id}"
                )
                stub.add_client_error(
                    "describe_stack_resource", "ValidationError", message, 400, expected_params=expected
                )
            else:
                status, physical = self.resource
                detail = {
                    "LogicalResourceId": kwargs["LogicalResourceId"],
                    "ResourceType": "Custom::Resource",
                    "LastUpdatedTimestamp": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
                    "ResourceStatus": status,
                    **({"PhysicalResourceId": physical} if physical else {}),
                }
                stub.add_response("describe_stack_resource", {"StackResourceDetail": detail}, expected)
            return self._client.describe_stack_resource(**kwargs)

    def _answer(self):
        name = self.stack_id.split("/")[1]
        created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        stack = {"StackId": self.stack_id, "StackName": name, "CreationTime": created}
        return {"Stacks": [{**stack, "StackStatus": self.status}]}

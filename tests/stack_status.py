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
    """``client`` answers every DescribeStacks of ``stack_id`` with ``status`` (or ``error``, an
    AWS error code); ``calls`` counts them."""

    def __init__(self, stack_id: str, status: str = "DELETE_IN_PROGRESS", error: str | None = None):
        self.stack_id, self.status, self.error = stack_id, status, error
        self.calls = 0
        self._client = _client()

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

    def _answer(self):
        name = self.stack_id.split("/")[1]
        created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        stack = {"StackId": self.stack_id, "StackName": name, "CreationTime": created}
        return {"Stacks": [{**stack, "StackStatus": self.status}]}

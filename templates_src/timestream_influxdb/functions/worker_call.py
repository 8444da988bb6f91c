"""Invoking the in-VPC worker: the functions that answer CloudFormation or Secrets Manager from
outside the VPC (they reach AWS's APIs, the worker reaches InfluxDB) call their worker with it.

Shared, not copied: :func:`templates_src.timestream_influxdb.functions.inline` inlines this module
into a function's ``index.py`` when the function imports it.
"""

import json

import botocore.config
import botocore.exceptions

#: Seconds to wait for the worker's answer: its own timeout (the template's WORKER_TIMEOUT, 90) plus
#: at least 15 s for the initialization of a cold start in the VPC, which its timeout does not count.
INVOKE_TIMEOUT = 105
#: Seconds to wait, once per request, for an Inactive or Pending worker to turn Active; polled every
#: ACTIVE_POLL seconds with GetFunction (botocore's lambda waiter function_active_v2).
ACTIVE_WAIT, ACTIVE_POLL = 90, 5
#: Invoke errors of a worker that is not Active yet (botocore's model of lambda Invoke): the
#: invocation did not run.
NOT_ACTIVE = ("ResourceNotReadyException", "ResourceConflictException")
# A worker's call may make a token (a POST that is not idempotent): an invocation is never repeated
# by the SDK.
INVOKE_CONFIG = botocore.config.Config(
    read_timeout=INVOKE_TIMEOUT, connect_timeout=10, retries={"total_max_attempts": 1}
)


class Worker:
    """The worker function ``name``, invoked synchronously with ``base`` and a call's fields;
    ``call`` returns its result or raises its error, prefixed with ``label``."""

    def __init__(self, client, name, base, label):
        self.client, self.name, self.base, self.label = client, name, base, label
        self.waited = False

    def call(self, action, **fields):
        answer = self.invoke(json.dumps({**self.base, **fields, "action": action}))
        result = json.loads(answer["Payload"].read() or "null")
        if answer.get("FunctionError") or not isinstance(result, dict) or "error" in result:
            # An unhandled error (the worker's timeout) carries errorType and errorMessage only.
            error = (
                (result.get("error") or result.get("errorMessage")) if isinstance(result, dict) else result
            )
            raise RuntimeError(f"{self.label}, {action}: {error}")
        return result

    def invoke(self, payload):
        """Invoke the worker; when it is not Active yet, wait for it (once per request) and again."""
        while True:
            try:
                return self.client.invoke(
                    FunctionName=self.name, InvocationType="RequestResponse", Payload=payload
                )
            except botocore.exceptions.ClientError as e:
                if e.response.get("Error", {}).get("Code") not in NOT_ACTIVE or self.waited:
                    raise
            self.waited = True
            print(f"{self.label} not active: waiting for it")
            config = {"Delay": ACTIVE_POLL, "MaxAttempts": max(ACTIVE_WAIT // max(ACTIVE_POLL, 1), 1)}
            self.client.get_waiter("function_active_v2").wait(FunctionName=self.name, WaiterConfig=config)

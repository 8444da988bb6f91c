"""The CloudFormation custom-resource protocol, shared by every function of the product.

CloudFormation waits (up to the resource's ServiceTimeout) for a JSON document PUT to the
pre-signed ResponseURL of each request. ``run`` answers exactly once: the handler's result, its
error, or - ``MARGIN`` seconds before the Lambda timeout - a timeout, raised in the handler by
an alarm signal (Lambda calls the handler in the main thread).

Each function module declares the resource properties it reads in ``PROPERTIES``; the template
builder makes the custom resource from that declaration, and ``properties`` reads them here.
"""

import json
import signal
import urllib.request

PUT_TIMEOUT, PUT_TRIES = 10, 3
# Seconds kept to answer before Lambda stops the function: the worst-case PUT (every try timing
# out) and a few seconds more, so the answer is always sent.
MARGIN = PUT_TIMEOUT * PUT_TRIES + 5
#: The stack statuses in which CloudFormation sends a Delete to a custom resource ("Stack status
#: codes", CloudFormation User Guide): the stack's deletion, the rollback of a failed create, the
#: removal of old or removed resources after an update, and of new ones after a failed update.
DELETING = frozenset(
    {
        "DELETE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    }
)


def properties(event, names):
    """The resource properties ``names`` of the request; a missing one fails the request.

    Properties are strings as CloudFormation sends them (numbers included). Others the request
    carries (ServiceToken, ServiceTimeout, properties that only order the resource after another
    one) are not the function's business.
    """
    given = event["ResourceProperties"]
    missing = [name for name in names if name not in given]
    if missing:
        raise ValueError("missing resource properties: " + ", ".join(missing))
    return {name: given[name] for name in names}


def stack_deleting(event, cloudformation):
    """Whether the request's stack is in a status in which CloudFormation deletes resources.

    Anyone allowed to invoke a function can send it a Delete; only a stack in one of these
    statuses can have sent it. DescribeStacks by the unique stack id also finds a deleted stack.
    Returns (answer, status); an error reading the status propagates (each caller decides).
    """
    stacks = cloudformation.describe_stacks(StackName=event["StackId"])["Stacks"]
    status = stacks[0]["StackStatus"] if stacks else "NONE"
    return status in DELETING, status


def deletion_of(event, cloudformation):
    """What CloudFormation is doing to the resource a Delete names: (verdict, why).

    "deleting": the stack deletes resources and this one is DELETE_IN_PROGRESS; "gone": it is no
    longer in the stack; "replaced": the stack's resource now has another physical id (the
    request's is an old one: a replacement's or a rollback's clean-up); "kept": anything else - the
    stack at rest, or the resource itself not being deleted (a forged Delete during another
    resource's clean-up). Errors reading the stack propagate (each caller decides).
    """
    deleting, status = stack_deleting(event, cloudformation)
    if not deleting:
        return "kept", f"the stack is {status}, not deleting"
    try:
        detail = cloudformation.describe_stack_resource(
            StackName=event["StackId"], LogicalResourceId=event["LogicalResourceId"]
        )["StackResourceDetail"]
    except cloudformation.exceptions.ClientError as e:
        if "does not exist" not in str(e):
            raise
        return "gone", "the resource is no longer in the stack"
    if detail["ResourceStatus"] == "DELETE_IN_PROGRESS":
        return "deleting", "the resource is DELETE_IN_PROGRESS"
    if detail.get("PhysicalResourceId") != event.get("PhysicalResourceId"):
        return "replaced", "the stack's resource has another physical id"
    return "kept", f"the resource is {detail['ResourceStatus']}, not being deleted"


def send(event, context, status, reason="", pid=None, data=None, no_echo=False):
    """PUT the response document to the ResponseURL, retrying transient failures."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": (reason or "See " + context.log_stream_name)[:1000],
            "PhysicalResourceId": pid or event.get("PhysicalResourceId") or context.log_stream_name,
            "NoEcho": no_echo,
            "Data": data or {},
            **{k: event[k] for k in ("StackId", "RequestId", "LogicalResourceId")},
        }
    ).encode()
    # The pre-signed URL is signed without a content type; urllib adds Content-Length itself.
    req = urllib.request.Request(event["ResponseURL"], body, {"Content-Type": ""}, method="PUT")
    for _ in range(PUT_TRIES):
        try:
            urllib.request.urlopen(req, timeout=PUT_TIMEOUT).close()
            return True
        except Exception as e:  # network errors, and http.client's own (not OSErrors)
            print("response PUT failed:", e)
    return False


def timed_out(*_):
    # Not an OSError (as TimeoutError is): network retry loops must not swallow it.
    raise RuntimeError("no answer before the Lambda timeout")


def run(event, context, act, no_echo=False):
    """Call ``act(event, context)`` -> (physical id, data) or (physical id, data, reason) and
    answer CloudFormation once; a reason of a success shows in the stack events."""
    signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(max(context.get_remaining_time_in_millis() // 1000 - MARGIN, 1))
    try:
        pid, data, reason = (*act(event, context), "")[:3]
        status = "SUCCESS"
    except Exception as e:  # every error, the timeout included, becomes a FAILED answer
        pid, data, status, reason = None, None, "FAILED", f"{type(e).__name__}: {e}"
    finally:
        signal.alarm(0)
    return send(event, context, status, reason, pid, data, no_echo)

"""The CloudFormation custom-resource protocol, shared by every function of the product.

CloudFormation waits (up to an hour) for a JSON document PUT to the pre-signed ResponseURL of
each request. ``run`` guarantees exactly one answer: the handler's result, its error, or a
FAILED answer sent by a timer shortly before the Lambda timeout.
"""

import json
import threading
import urllib.request

MARGIN = 5  # seconds kept to answer before Lambda stops the function
PUT_TIMEOUT, PUT_TRIES = 10, 3


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
    for attempt in range(PUT_TRIES):
        try:
            urllib.request.urlopen(req, timeout=PUT_TIMEOUT).close()
            return True
        except Exception as e:
            print("response PUT failed:", e)
    return False


def run(event, context, act, no_echo=False):
    """Call ``act(event, context)`` -> (physical id, data) and answer CloudFormation once.

    A timer answers FAILED ``MARGIN`` seconds before the function would time out.
    """
    lock = threading.Lock()
    done = []

    def answer(*args):
        if lock.acquire(False):  # the first answer wins; later ones are dropped
            done.append(send(event, context, *args))

    timer = threading.Timer(
        max(context.get_remaining_time_in_millis() / 1000 - MARGIN, 0),
        answer,
        ("FAILED", "Timed out"),
    )
    timer.start()
    try:
        pid, data = act(event, context)
        answer("SUCCESS", "", pid, data, no_echo)
    except Exception as e:
        answer("FAILED", f"{type(e).__name__}: {e}")
    finally:
        timer.cancel()
    return done[0] if done else False

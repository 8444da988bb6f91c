"""The CloudFormation response protocol: one PUT of the documented JSON, whatever happens."""

from __future__ import annotations

import time

import pytest

from conftest import HANDLERS, loaded_inlined_module
from servers import FakeContext, ResponseReceiver, cfn_event, closed_port_url, quick_alarm, serve, url


@pytest.fixture(params=["source", *HANDLERS])
def cfn_response(request, rendered_product):
    """functions/cfn_response.py, and the protocol as inlined into each function of the template."""
    if request.param == "source":
        from templates_src.timestream_influxdb.functions import cfn_response as source

        return source
    return loaded_inlined_module(rendered_product, HANDLERS[request.param])


@pytest.fixture
def receiver():
    with serve(ResponseReceiver) as server:
        yield server


def test_success_puts_the_documented_document(cfn_response, receiver):
    event = cfn_event("Create", url(receiver), {"A": "1"})
    ok = cfn_response.run(event, FakeContext(), lambda e, c: ("phys-1", {"Out": "x"}))
    assert ok is True
    (req,) = receiver.state["requests"]
    assert req["path"] == "/response?X-Amz-Signature=abc"
    # The pre-signed URL is signed with an empty content type.
    assert req["headers"].get("Content-Type") == ""
    assert req["body"] == {
        "Status": "SUCCESS",
        "Reason": "See " + FakeContext.log_stream_name,
        "PhysicalResourceId": "phys-1",
        "StackId": event["StackId"],
        "RequestId": "request-1",
        "LogicalResourceId": "Resource",
        "NoEcho": False,
        "Data": {"Out": "x"},
    }


def test_an_error_becomes_failed_with_its_reason_and_keeps_the_physical_id(cfn_response, receiver):
    event = cfn_event("Update", url(receiver), {}, PhysicalResourceId="phys-1")

    def boom(e, c):
        raise ValueError("bad retention")

    assert cfn_response.run(event, FakeContext(), boom) is True
    (req,) = receiver.state["requests"]
    assert req["body"]["Status"] == "FAILED"
    assert req["body"]["Reason"] == "ValueError: bad retention"
    assert req["body"]["PhysicalResourceId"] == "phys-1"


def test_a_failed_create_gets_the_log_stream_as_physical_id(cfn_response, receiver):
    event = cfn_event("Create", url(receiver), {})
    cfn_response.run(event, FakeContext(), lambda e, c: 1 / 0)
    (req,) = receiver.state["requests"]
    assert req["body"]["Status"] == "FAILED"
    assert req["body"]["PhysicalResourceId"] == FakeContext.log_stream_name
    assert req["body"]["Reason"].startswith("ZeroDivisionError")


def test_timeout_answers_failed_before_lambda_stops_the_function(cfn_response, receiver, monkeypatch):
    monkeypatch.setattr(cfn_response, "MARGIN", 1)
    # An alarm second passes in 50 ms; the alarm is armed (for the one second left but the margin,
    # its floor) and disarmed after the answer.
    alarm = quick_alarm(monkeypatch, cfn_response.run)
    event = cfn_event("Create", url(receiver), {})
    started = time.monotonic()
    cfn_response.run(event, FakeContext(remaining_ms=2_000), lambda e, c: time.sleep(30))
    assert time.monotonic() - started < 5
    assert alarm.armed == [1, 0]
    (req,) = receiver.state["requests"]
    assert req["body"]["Status"] == "FAILED"
    assert "no answer before the Lambda timeout" in req["body"]["Reason"]


def test_no_echo_is_passed_through(cfn_response, receiver):
    event = cfn_event("Create", url(receiver), {})
    cfn_response.run(event, FakeContext(), lambda e, c: ("p", {"Token": "t"}), no_echo=True)
    assert receiver.state["requests"][0]["body"]["NoEcho"] is True


def test_a_long_reason_is_cut_to_fit_the_response(cfn_response, receiver):
    event = cfn_event("Create", url(receiver), {})

    def long_error(e, c):
        raise RuntimeError("x" * 5000)

    cfn_response.run(event, FakeContext(), long_error)
    assert len(receiver.state["requests"][0]["body"]["Reason"]) == 1000


def test_the_put_is_retried_after_a_server_error(cfn_response):
    with serve(ResponseReceiver, fail=2) as server:
        event = cfn_event("Delete", url(server), {}, PhysicalResourceId="p")
        assert cfn_response.send(event, FakeContext(), "SUCCESS") is True
        assert len(server.state["requests"]) == 3


def test_an_unreachable_response_url_is_reported_not_raised(cfn_response, monkeypatch):
    monkeypatch.setattr(cfn_response, "PUT_TIMEOUT", 1)
    event = cfn_event("Delete", closed_port_url(), {}, PhysicalResourceId="p")
    assert cfn_response.send(event, FakeContext(), "SUCCESS") is False


def test_delete_answers_with_the_requests_own_physical_id(cfn_response, receiver):
    event = cfn_event("Delete", url(receiver), {}, PhysicalResourceId="0f0f0f0f0f0f0f0f")
    cfn_response.run(event, FakeContext(), lambda e, c: (None, {}))
    body = receiver.state["requests"][0]["body"]
    assert (body["Status"], body["PhysicalResourceId"]) == ("SUCCESS", "0f0f0f0f0f0f0f0f")

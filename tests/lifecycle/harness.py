"""Stack operations as CloudFormation drives a template's custom resources, run against the
*inlined* function code, offline.

A :class:`Stack` holds a template (the rendered YAML text or its dict) and the custom resources a
stack of it has now (physical id and properties). Each operation - :meth:`Stack.create`,
:meth:`Stack.update`, :meth:`Stack.update_that_fails`, :meth:`Stack.create_that_fails`,
:meth:`Stack.delete` - derives the requests CloudFormation sends each custom resource, runs the
function named by the resource's ServiceToken (its ``Code.ZipFile`` loaded as module ``index``)
with a Lambda context, reads the answer PUT to the ResponseURL and carries the physical id
forward. It returns an :class:`Operation`: the stack status and every request with its answer.

What is modelled (CloudFormation's documented custom-resource behaviour):
- Requests: RequestType, ResponseURL (shaped like the pre-signed Amazon S3 URL CloudFormation
  sends; the PUT is routed to a local 127.0.0.1 receiver, see ``response_host``), StackId,
  RequestId, LogicalResourceId, ResourceType, ServiceToken, ResourceProperties (every scalar a
  string, ServiceToken and ServiceTimeout included), PhysicalResourceId and OldResourceProperties
  where CloudFormation sends them.
- Properties resolved against the parameter values (defaults included), the template's
  Conditions, pseudo parameters and sample physical ids / attributes of the other resources
  (``Stack.refs`` / ``Stack.attributes``; pass ``attributes=`` to an operation to model, e.g., a
  replaced instance); a custom resource's ``Fn::GetAtt`` is the Data of its last successful answer.
- Create in dependency order. Update only when the resolved properties changed; a resource whose
  condition turned false (or that the new template drops) is deleted in the cleanup phase, one
  whose condition turned true is created. An Update whose answer carries a NEW physical id gets a
  Delete of the OLD id with the OLD properties in the cleanup phase, after every update
  succeeded. Cleanup runs dependents first; a Delete goes to the function the resource's
  ServiceToken names, with the newest code the stack has for it (the old code when the function
  is removed with the resource, as CloudFormation deletes it after the resources it serves).
- UPDATE_ROLLBACK (an answer FAILED, or ``update_that_fails``): an update back to the previous
  template, values and attributes (functions included). In dependency order, every resource
  updated so far (the failing one included) gets an Update back to its old properties, carrying
  the physical id the forward update left and the properties it sent as OldResourceProperties.
  In the rollback cleanup (dependents first): a Delete of the id the forward update produced when
  the rollback answer returns another one, and of every resource the failed update created.
- ROLLBACK after a failed create: every custom resource created so far is deleted in reverse
  order, the failing one with the physical id its FAILED answer carried (often the log stream).
- Stack delete: a Delete to every custom resource, in reverse dependency order (DependsOn,
  Ref, Fn::GetAtt, Fn::Sub, followed through the other resources). Resources with no dependency
  between them are deleted in parallel by CloudFormation: a scenario picks one order
  (``order=``), :func:`deletion_orders` yields every order consistent with the dependencies.
  The deletion of a non-custom resource is modelled only where a scenario asks
  (``on_delete={"Rule": callable}``: e.g. a network rule whose removal takes a server out of reach).
- Lambda: an unhandled error of the (asynchronously invoked) function is retried twice, as Lambda
  does for asynchronous invocations; a function that never answers makes the request FAILED as if
  ServiceTimeout expired (at once: no time passes). The function's Environment is set in
  ``os.environ``; ``clients=`` replaces ``boto3.client(service)`` for the named services (e.g. a
  :class:`lifecycle.aws.FakeLambda`); other clients reach whatever the test mocks (moto).

What is NOT modelled: real concurrency (one request at a time, in one order); the passing of time
(ServiceTimeout expiry is simulated by the no-answer rule, the Lambda context's remaining time is
real time from the function's Timeout); non-custom resources (they only give sample ids and
attributes); replacement of a custom resource by a change CloudFormation itself treats as
replacement (a new ServiceToken is refused by CloudFormation); stack policies, drift, change sets,
nested stacks; retries of a failed PUT to S3 beyond what the function does; DeletionPolicy of
custom resources (a Retain would skip their Delete); the physical id of a resource whose Create
got no answer at all (a sample, ``<LogicalId>-NO-ANSWER``, is used); a function's environment is
resolved with the current parameter values even when the code comes from an earlier template.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from conftest import inlined_module, yaml_data
from servers import ResponseReceiver, serve, url
from stack_status import StackStatus
from tooling.cfn.evaluate import Resolver, evaluate_conditions, parameter_values
from tooling.cfn.intrinsics import resources_in

ACCOUNT, REGION = "123456789012", "us-east-1"
CUSTOM = "AWS::CloudFormation::CustomResource"
#: The host of the pre-signed S3 URL CloudFormation gives (the PUT is routed to the receiver).
RESPONSE_HOST = f"cloudformation-custom-resource-response-{REGION.replace('-', '')}.s3.amazonaws.com"
#: Lambda retries an asynchronous invocation that fails with an unhandled error twice.
ASYNC_RETRIES = 2
#: ``fail_at`` of :meth:`Stack.create`: the failure comes after every custom resource was created.
LAST = "*"


def load(template: str | Mapping[str, Any]) -> dict[str, Any]:
    """A template as a dict: the rendered YAML (short-form intrinsics too) or a dict."""
    if isinstance(template, str):
        return yaml_data(template)
    return json.loads(json.dumps(template))


def is_custom(resource: Mapping[str, Any]) -> bool:
    return resource["Type"] == CUSTOM or resource["Type"].startswith("Custom::")


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each resource's direct dependencies: DependsOn and references in its properties (a new
    dict each call; a stack asks on every operation, so the walk is made once per content)."""
    graph = _dependencies(json.dumps(template["Resources"]))
    return {name: set(depends) for name, depends in graph.items()}


@functools.lru_cache(maxsize=64)
def _dependencies(resources_json: str) -> dict[str, frozenset[str]]:
    resources = json.loads(resources_json)
    graph = {}
    for name, body in resources.items():
        depends = body.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else depends
        graph[name] = frozenset(depends) | frozenset(resources_in(body.get("Properties") or {}, resources))
    return graph


def dependencies_among(template: Mapping[str, Any], names: set[str]) -> dict[str, set[str]]:
    """Each of ``names`` and those of ``names`` it depends on, through any chain of resources."""
    graph = dependencies(template)

    def reach(name: str) -> set[str]:
        seen, todo = set(), list(graph[name])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(graph.get(n, ()))
        return seen

    return {n: reach(n) & names for n in names}


def custom_dependencies(template: Mapping[str, Any], among: set[str] | None = None) -> dict[str, set[str]]:
    """Each custom resource (of ``among``) and the custom resources it depends on, through any chain."""
    customs = {n for n, b in template["Resources"].items() if is_custom(b)}
    return dependencies_among(template, customs if among is None else customs & among)


def creation_order(deps: Mapping[str, set[str]]) -> list[str]:
    """One order (alphabetical among equals) in which every resource follows its dependencies."""
    done: list[str] = []
    while len(done) < len(deps):
        ready = sorted(n for n in deps if n not in done and deps[n] <= set(done))
        if not ready:
            raise ValueError(f"dependency cycle among {sorted(set(deps) - set(done))}")
        done.append(ready[0])
    return done


def deletion_orders(deps: Mapping[str, set[str]]) -> Iterator[list[str]]:
    """Every order in which CloudFormation may delete these resources (dependents first).

    For small graphs only: the orders are enumerated (n! at worst)."""
    for order in itertools.permutations(sorted(deps)):
        position = {n: i for i, n in enumerate(order)}
        if all(position[n] < position[d] for n in deps for d in deps[n]):
            yield list(order)


@dataclass
class Live:
    """A custom resource the stack has: its physical id, the properties it was given and the Data
    of its last successful answer (what ``Fn::GetAtt`` on it returns)."""

    physical_id: str
    properties: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)


def answer_data(req: Request) -> dict[str, Any]:
    """The Data of a successful answer (CloudFormation's attributes of the resource)."""
    return dict(req.answer.get("Data") or {}) if req.ok else {}


@dataclass
class Request:
    """One request CloudFormation sent, and the answer it read (None: no answer)."""

    event: dict[str, Any]
    answer: dict[str, Any] | None
    phase: str  # "forward", "cleanup", "rollback", "rollback-cleanup"

    @property
    def type(self) -> str:
        return self.event["RequestType"]

    @property
    def resource(self) -> str:
        return self.event["LogicalResourceId"]

    @property
    def ok(self) -> bool:
        return self.answer is not None and self.answer.get("Status") == "SUCCESS"

    def __repr__(self) -> str:
        status = self.answer.get("Status") if self.answer else "NO ANSWER"
        pid = self.event.get("PhysicalResourceId")
        return f"<{self.phase} {self.type} {self.resource} {pid!r} -> {status}>"


@dataclass
class Operation:
    """What a stack operation did: the final stack status and the requests in order."""

    status: str
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kind = self.status.split("_")[0]  # CREATE, UPDATE or DELETE: what the operation is

    def of(self, resource: str) -> list[Request]:
        return [r for r in self.requests if r.resource == resource]

    @property
    def calls(self) -> list[tuple[str, str, str]]:
        """(phase, RequestType, LogicalResourceId) of every request: the sequence at a glance."""
        return [(r.phase, r.type, r.resource) for r in self.requests]


class LambdaContext:
    """The Lambda context: remaining time from the function's Timeout, names of the log stream."""

    def __init__(self, function_name: str, timeout: int, request_id: str, memory: int = 128):
        self.function_name, self.function_version = function_name, "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb, self.aws_request_id = memory, request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"2026/11/24/[$LATEST]{request_id.replace('-', '')[:32]}"
        self.deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self.deadline - time.monotonic()) * 1000), 0)


#: The stack's status while CloudFormation sends each (operation, phase) of requests: what a
#: function reads with DescribeStacks ("Stack status codes", CloudFormation User Guide).
STATUS_DURING = {
    ("CREATE", "forward"): "CREATE_IN_PROGRESS",
    ("CREATE", "rollback"): "ROLLBACK_IN_PROGRESS",
    ("UPDATE", "forward"): "UPDATE_IN_PROGRESS",
    ("UPDATE", "cleanup"): "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    ("UPDATE", "rollback"): "UPDATE_ROLLBACK_IN_PROGRESS",
    ("UPDATE", "rollback-cleanup"): "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    ("DELETE", "forward"): "DELETE_IN_PROGRESS",
}


class Stack:
    """A stack of ``template``; see the module docstring for what the operations model.

    ``attributes`` / ``refs`` override the sample values of ``Fn::GetAtt Resource.Attribute`` /
    ``Ref Resource``; ``clients`` maps a boto3 service name to the client the functions get;
    ``before_invoke(function_title, module, event)`` is called before each invocation (to patch
    the loaded module, e.g. its sleep). Use as a context manager (it runs the response receiver).
    """

    def __init__(
        self,
        template: str | Mapping[str, Any],
        *,
        name: str = "test",
        attributes: Mapping[str, Any] | None = None,
        refs: Mapping[str, Any] | None = None,
        clients: Mapping[str, Any] | None = None,
        before_invoke=None,
    ) -> None:
        self.template = load(template)
        self.name = name
        self.stack_id = (
            f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
        )
        self.attribute_overrides = dict(attributes or {})
        self.ref_overrides = dict(refs or {})
        self.clients = dict(clients or {})
        # The clients the functions make for the other services (moto's), made once per stack:
        # a client keeps no state between calls (moto keeps it), and making one takes ~5 ms.
        self._made_clients: dict[tuple, Any] = {}
        self.before_invoke = before_invoke
        self.live: dict[str, Live] = {}
        self.values: dict[str, str] = {}
        self.status = "NONE"
        self.history: list[Operation] = []
        self._modules: dict[str, Any] = {}
        self._templates = [self.template]  # newest last: where a ServiceToken's function is found
        self._requests = itertools.count(1)
        self._receiver = None

    # --- context -----------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        self._serving = serve(ResponseReceiver)
        self._receiver = self._serving.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._serving.__exit__(*exc)

    # --- values ------------------------------------------------------------------------------
    def pseudo(self) -> dict[str, Any]:
        return {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::StackName": self.name,
            "AWS::StackId": self.stack_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def refs(self) -> dict[str, Any]:
        """``Ref`` of every resource: the sample physical id (a custom resource's: its real one)."""
        refs = {n: f"{self.name}-{n}-SAMPLE" for n in self.template["Resources"]}
        for n, body in self.template["Resources"].items():
            if body["Type"] == "AWS::Lambda::Function":
                refs[n] = self.function_name(n)
        refs.update(self.ref_overrides)
        refs.update({n: live.physical_id for n, live in self.live.items()})
        return {**refs, **self.pseudo()}

    def function_name(self, title: str) -> str:
        return f"{self.name}-{title}-SAMPLE"

    def function_arn(self, title: str) -> str:
        default = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name(title)}"
        return self.attribute_overrides.get(f"{title}.Arn", default)

    def attributes(self) -> dict[str, Any]:
        """Sample ``Fn::GetAtt`` values: any "Resource.Attribute" asked for, Arn of functions; a
        custom resource's are the Data of its last successful answer."""
        attrs = _Samples()
        for n, body in self.template["Resources"].items():
            if body["Type"] == "AWS::Lambda::Function":
                attrs[f"{n}.Arn"] = self.function_arn(n)
        attrs.update(self.attribute_overrides)
        attrs.update({f"{n}.{k}": v for n, live in self.live.items() for k, v in live.data.items()})
        return attrs

    def resolver(self, values: Mapping[str, str]) -> tuple[Resolver, dict[str, bool]]:
        conditions = evaluate_conditions(self.template, values)
        params = parameter_values(self.template, values)
        return Resolver(params, self.refs(), self.attributes(), conditions.__getitem__), conditions

    def desired(self, values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """The custom resources a stack gets for ``values``, with their resolved properties."""
        resolver, conditions = self.resolver(values)
        return {
            n: resolver.resolve(body.get("Properties") or {})
            for n, body in self.template["Resources"].items()
            if is_custom(body) and ("Condition" not in body or conditions[body["Condition"]])
        }

    def exists(self, name: str) -> bool:
        """Whether the stack has resource ``name`` now: it is in the template and its Condition
        (if any) holds for the current values (what a non-custom resource's presence is)."""
        body = self.template["Resources"].get(name)
        if body is None or self.status in ("NONE", "DELETE_COMPLETE", "ROLLBACK_COMPLETE"):
            return False
        return "Condition" not in body or self.resolver(self.values)[1][body["Condition"]]

    def call(self, title: str, event: dict[str, Any]) -> Any:
        """Invoke function ``title`` synchronously, as a service other than CloudFormation does
        (Secrets Manager invokes a rotation function so): its inlined code, its environment and
        ``clients``; the handler's result, or its error raised."""
        timeout = int(self.template["Resources"][title]["Properties"].get("Timeout", 3))
        module = self.module(title)
        if self.before_invoke:
            self.before_invoke(title, module, event)
        context = LambdaContext(self.function_name(title), timeout, f"call-{next(self._requests):08d}")
        with self._patched(title, self.template):
            return module.handler(json.loads(json.dumps(event)), context)

    def deletion_orders(self, also: Iterable[str] = ()) -> Iterator[list[str]]:
        """Every order in which CloudFormation may delete the stack's live custom resources (and
        the other resources ``also`` names, ordered among them through any chain of resources)."""
        return deletion_orders(dependencies_among(self.template, set(self.live) | set(also)))

    # --- operations --------------------------------------------------------------------------
    def create(self, values: Mapping[str, str] | None = None, *, fail_at: str | None = None, **kw):
        """CreateStack. ``fail_at``: a (non-custom) resource that fails to create, or :data:`LAST`
        (something fails once every custom resource is created): the stack rolls back."""
        assert self.status in ("NONE", "DELETE_COMPLETE"), f"cannot create a stack in {self.status}"
        self._apply(kw)
        self.values = dict(values or {})
        op = Operation("CREATE_IN_PROGRESS")
        desired = self.desired(self.values)
        order = creation_order(custom_dependencies(self.template, set(desired)))
        if fail_at not in (None, LAST):
            # Resources that depend on the failing one are never created; the others are
            # modelled as created before the failure stops the operation.
            order = [n for n in order if n not in dependents(self.template, fail_at)]
        failed = fail_at is not None
        for n in order:
            desired = self.desired(self.values)  # later resources see earlier physical ids
            req = self._send(op, "Create", n, desired[n], phase="forward")
            # A FAILED answer still names a physical id: the rollback's Delete carries it.
            pid = req.answer["PhysicalResourceId"] if req.answer else f"{n}-NO-ANSWER"
            self.live[n] = Live(pid, desired[n], answer_data(req))
            if not req.ok:
                failed = True
                break
        if not failed:
            op.status = "CREATE_COMPLETE"
            return self._done(op)
        op.status = "ROLLBACK_COMPLETE"
        for n in reversed(self._order(set(self.live))):
            if self._delete(op, n, "rollback"):
                del self.live[n]
            else:
                op.status = "ROLLBACK_FAILED"
        return self._done(op)

    def create_that_fails(self, values: Mapping[str, str] | None = None, *, at: str | None = None, **kw):
        """CreateStack that fails at resource ``at``, or once every custom resource was created."""
        return self.create(values, fail_at=at or LAST, **kw)

    def update(self, values: Mapping[str, str] | None = None, *, fail: bool = False, template=None, **kw):
        """UpdateStack with ``values`` (and ``template`` when given); ``fail``: another resource fails
        once every custom resource was updated, so the stack rolls back."""
        assert self.status.endswith("_COMPLETE") and self.status not in (
            "DELETE_COMPLETE",
            "ROLLBACK_COMPLETE",
        )
        old_template, old_values, old_attrs = self.template, self.values, dict(self.attribute_overrides)
        if template is not None:
            self.template = load(template)
            self._templates.append(self.template)
        self._apply(kw)
        self.values = {**old_values, **(values or {})}
        op = Operation("UPDATE_IN_PROGRESS")
        desired = self.desired(self.values)
        order = creation_order(custom_dependencies(self.template, set(desired)))
        # (resource, before, properties sent, physical id the forward request left)
        done: list[tuple[str, Live | None, dict[str, Any], str]] = []
        failed = False
        for n in order:
            desired = self.desired(self.values)  # later resources see earlier physical ids
            before = self.live.get(n)
            if before is None:
                req = self._send(op, "Create", n, desired[n], phase="forward")
            elif before.properties == desired[n]:
                continue
            else:
                req = self._send(
                    op, "Update", n, desired[n], "forward", before.physical_id, before.properties
                )
            if req.ok:
                pid = req.answer["PhysicalResourceId"]
            elif before is None:  # a FAILED Create still names the id its Delete will carry
                pid = req.answer["PhysicalResourceId"] if req.answer else f"{n}-NO-ANSWER"
            else:
                pid = before.physical_id
            if req.ok or before is None:
                self.live[n] = Live(pid, desired[n], answer_data(req))
            done.append((n, before, desired[n], pid))
            if not req.ok:
                failed = True
                break
        if not failed and not fail:
            op.status = "UPDATE_COMPLETE"
            # UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: replaced physical ids and removed resources,
            # dependents first. A failed cleanup Delete leaves the stack UPDATE_COMPLETE.
            stale = {n: b for n, b, _, pid in done if b is not None and b.physical_id != pid}
            gone = {n: live for n, live in self.live.items() if n not in desired}
            for n in self._reverse_order(set(stale) | set(gone), old_template):
                self._delete(op, n, "cleanup", stale.get(n) or gone[n])
                if n in gone:
                    del self.live[n]
            return self._done(op)
        # UPDATE_ROLLBACK_IN_PROGRESS: an update back to the previous template, values and attributes
        # (functions included: a function is rolled back before the resources it serves).
        op.status = "UPDATE_ROLLBACK_COMPLETE"
        self.template, self.values, self.attribute_overrides = old_template, old_values, old_attrs
        if template is not None:
            self._templates.append(old_template)
        stale_ids: dict[str, Live] = {}
        for n, before, sent, pid in done:
            if before is None:
                stale_ids[n] = self.live.pop(n)
                continue
            req = self._send(op, "Update", n, before.properties, "rollback", pid, sent)
            if not req.ok:
                op.status = "UPDATE_ROLLBACK_FAILED"
                continue
            back = req.answer["PhysicalResourceId"]
            self.live[n] = Live(back, before.properties, answer_data(req))
            if back != pid:
                stale_ids[n] = Live(pid, sent)
        # UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: what the failed update made, dependents first.
        for n in self._reverse_order(set(stale_ids), old_template if template is None else load(template)):
            self._delete(op, n, "rollback-cleanup", stale_ids[n])
        return self._done(op)

    def update_that_fails(self, values: Mapping[str, str] | None = None, **kw):
        """UpdateStack that another resource fails once the custom resources were updated."""
        return self.update(values, fail=True, **kw)

    def delete(self, order: list[str] | None = None, *, on_delete: Mapping[str, Any] | None = None, **kw):
        """DeleteStack: a Delete to each live custom resource, in ``order`` (checked against the
        dependencies) or the first order :meth:`deletion_orders` gives.

        ``on_delete`` maps other (non-custom) resources to a callable run where ``order`` deletes
        them: what their deletion does to the functions, e.g. a network rule whose removal cuts a
        function off the server it talks to. ``order`` then places them too."""
        self._apply(kw)
        on_delete = dict(on_delete or {})
        orders = list(self.deletion_orders(also=on_delete))
        if order is None:
            order = orders[0] if orders else []
        assert order in orders, f"{order} deletes a resource before one that depends on it"
        op = Operation("DELETE_COMPLETE")
        for n in order:
            if n in on_delete:
                on_delete[n]()
            elif self._delete(op, n, "forward"):
                del self.live[n]
            else:
                op.status = "DELETE_FAILED"
        return self._done(op)

    # --- machinery ---------------------------------------------------------------------------
    def _apply(self, kw: Mapping[str, Any]) -> None:
        if "attributes" in kw:
            self.attribute_overrides.update(kw.pop("attributes"))
        assert not kw, f"unknown options {sorted(kw)}"

    def _reverse_order(self, names: set[str], template: Mapping[str, Any]) -> list[str]:
        """``names`` with dependents first (dependencies as ``template`` has them)."""
        return list(reversed(creation_order(custom_dependencies(template, names))))

    def _order(self, names: set[str]) -> list[str]:
        return creation_order(custom_dependencies(self.template, names))

    def _done(self, op: Operation) -> Operation:
        self.status = op.status
        self.history.append(op)
        return op

    def _delete(self, op: Operation, name: str, phase: str, live: Live | None = None) -> bool:
        live = live or self.live[name]
        return self._send(op, "Delete", name, live.properties, phase, live.physical_id).ok

    def forge(self, name: str, kind: str = "Delete") -> dict[str, Any] | None:
        """A ``kind`` request for live resource ``name`` sent by someone who may invoke its function,
        outside any stack operation (the stack at rest): the answer the function PUT, if any."""
        live = self.live[name]
        return self.invoke(self._event(kind, name, live.properties, live.physical_id))

    def _send(self, op, kind, name, props, phase, physical_id=None, old=None) -> Request:
        event = self._event(kind, name, props, physical_id, old)
        self.status = STATUS_DURING[op.kind, phase]
        answer = self.invoke(event)
        request = Request(event, answer, phase)
        op.requests.append(request)
        return request

    def _event(self, kind, name, props, physical_id=None, old=None) -> dict[str, Any]:
        body = next(t["Resources"][name] for t in reversed(self._templates) if name in t["Resources"])
        request_id = f"{next(self._requests):08d}-0000-4000-8000-000000000000"
        path = urllib.parse.quote(f"{self.stack_id}|{name}|{request_id}", safe="")
        event = {
            "RequestType": kind,
            "ServiceToken": props["ServiceToken"],
            "ResponseURL": f"https://{RESPONSE_HOST}/{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0",
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": name,
            "ResourceType": body["Type"],
            "ResourceProperties": props,
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old is not None:
            event["OldResourceProperties"] = old
        return event

    def function_of(self, service_token: str) -> tuple[str, dict[str, Any]]:
        """(title, template) of the function with this ARN: the current template's, or - for a
        resource removed with its function - the newest earlier template that had it (CloudFormation
        deletes the function after the resources it serves)."""
        for template in reversed(self._templates):
            for n, body in template["Resources"].items():
                if body["Type"] == "AWS::Lambda::Function" and self.function_arn(n) == service_token:
                    return n, template
        raise LookupError(f"no function of the stack's templates has the ARN {service_token}")

    def module(self, title: str, template: Mapping[str, Any] | None = None):
        """The function's inlined code, loaded once per code text (a warm Lambda keeps its module)."""
        template = template or self.template
        key = (title, template["Resources"][title]["Properties"]["Code"]["ZipFile"])
        if key not in self._modules:
            self._modules[key] = inlined_module(template, title)
        return self._modules[key]

    def environment(self, title: str, template: Mapping[str, Any] | None = None) -> dict[str, str]:
        """The function's environment as Lambda sets it: its Environment.Variables and the runtime's."""
        resolver, _ = self.resolver(self.values)
        template = template or self.template
        environment = template["Resources"][title]["Properties"].get("Environment") or {}
        return {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name(title),
            **resolver.resolve(environment.get("Variables") or {}),
        }

    def lambda_client(self, *titles: str):
        """A :class:`lifecycle.aws.FakeLambda` running these functions of the template (their inlined
        code, their environment), under the names ``Ref`` gives them: what a function that invokes
        another one gets as ``clients={"lambda": ...}``. One environment serves all: one title is usual."""
        from .aws import FakeLambda

        functions = {self.function_name(t): self.module(t).handler for t in titles}
        timeout = max(int(self.template["Resources"][t]["Properties"].get("Timeout", 3)) for t in titles)
        environment = {k: v for t in titles for k, v in self.environment(t).items()}
        return FakeLambda(functions, timeout=timeout, environment=environment)

    def _resource_status(self) -> tuple[str, str | None]:
        """What DescribeStackResource answers for the resource of the request being handled: a
        Delete of the physical id the stack holds is DELETE_IN_PROGRESS; of an older one (a
        replacement's or a rollback's clean-up), the stack's current resource; else complete."""
        event = self._handling
        name, pid = event["LogicalResourceId"], event.get("PhysicalResourceId")
        live = self.live.get(name)
        if event["RequestType"] == "Delete" and self.status.endswith("_IN_PROGRESS"):
            if live is None or live.physical_id == pid:
                return "DELETE_IN_PROGRESS", pid
            return "UPDATE_COMPLETE", live.physical_id
        return ("CREATE_COMPLETE", live.physical_id) if live else ("CREATE_COMPLETE", None)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Run the function for ``event`` as Lambda's asynchronous invocation does; the answer PUT."""
        self._handling = event
        title, template = self.function_of(event["ServiceToken"])
        timeout = int(template["Resources"][title]["Properties"].get("Timeout", 3))
        for _ in range(1 + ASYNC_RETRIES):
            module = self.module(title, template)
            if hasattr(module, "POLL_SECONDS"):
                # A status the fakes report changes per read, not with time: read again at once.
                module.POLL_SECONDS = 0
            if self.before_invoke:
                self.before_invoke(title, module, event)
            context = LambdaContext(self.function_name(title), timeout, event["RequestId"])
            state = self._receiver.state
            seen = len(state.get("requests", []))
            with self._patched(title, template):
                try:
                    module.handler(json.loads(json.dumps(event)), context)
                    crashed = False
                except Exception as e:  # an unhandled error: Lambda retries the async invocation
                    print(f"{title}: unhandled {type(e).__name__}: {e}")
                    crashed = True
            answers = [
                r["body"]
                for r in state.get("requests", [])[seen:]
                if r["body"].get("RequestId") == event["RequestId"]
            ]
            if answers:
                # CloudFormation takes the first answer to a request.
                return answers[0]
            if not crashed:
                break
        # No answer: CloudFormation fails the resource when ServiceTimeout expires.
        return None

    @contextlib.contextmanager
    def _patched(self, title: str, template: Mapping[str, Any]):
        import boto3

        from .aws import environment as environ

        real_client, real_urlopen = boto3.client, urllib.request.urlopen
        local = url(self._receiver)

        def client(service, *args, **kwargs):
            if service in self.clients:
                return self.clients[service]
            if service == "cloudformation":  # the stack's and the resource's status during the request
                return StackStatus(self.stack_id, self.status, resource=self._resource_status())
            key = (
                service,
                args,
                tuple(sorted((k, repr(v)) for k, v in kwargs.items())),
                tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))),
            )
            if key not in self._made_clients:
                self._made_clients[key] = real_client(service, *args, **kwargs)
            return self._made_clients[key]

        def urlopen(req, *args, **kwargs):
            # The response PUT goes to the local receiver as if DNS resolved S3 to it.
            target = req.full_url if isinstance(req, urllib.request.Request) else req
            parts = urllib.parse.urlsplit(target)
            if parts.hostname == RESPONSE_HOST:
                routed = f"{local}{parts.path}?{parts.query}"
                if isinstance(req, urllib.request.Request):
                    req = urllib.request.Request(
                        routed, req.data, dict(req.header_items()), method=req.get_method()
                    )
                else:
                    req = routed
            return real_urlopen(req, *args, **kwargs)

        with (
            environ(self.environment(title, template)),
            mock.patch.object(boto3, "client", client),
            mock.patch.object(urllib.request, "urlopen", urlopen),
        ):
            yield


class _Samples(dict):
    """Attribute samples: any ``Resource.Attribute`` not set has a recognisable sample value."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __missing__(self, key: str) -> str:
        resource, attribute = key.split(".", 1)
        return f"{resource}-{attribute}-SAMPLE"


def dependents(template: Mapping[str, Any], name: str) -> set[str]:
    """The resources that depend on ``name``, directly or through others."""
    graph = dependencies(template)
    found: set[str] = set()
    changed = True
    while changed:
        more = {n for n, deps in graph.items() if n not in found and deps & (found | {name})}
        changed = bool(more)
        found |= more
    return found

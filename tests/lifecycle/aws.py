"""In-process fakes of the AWS APIs the custom-resource functions call.

- :class:`FakeTimestreamInfluxDB`: a real boto3 ``timestream-influxdb`` client whose calls botocore
  validates against the service model (as Stubber does) and a ``before-call`` handler answers from
  state: instances (their backup configurations) and on-demand backups, so tests assert end
  states. moto 5.2 has no UpdateDbInstance or CreateDbBackup for this service.
- :class:`FakeLambda`: ``invoke`` of a RequestResponse invocation runs a given handler in process.
- :func:`secretsmanager`: moto's ``mock_aws`` in process (moto validates against the botocore model).
- :class:`Rotation`: Secrets Manager driving a Lambda rotation function over a secret of moto's.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import traceback
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

REGION, ACCOUNT = "us-east-1", "123456789012"


def _client(service: str):
    return boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")


@functools.cache
def _exceptions(service: str) -> Any:
    """``client.exceptions`` of ``service``: the same classes for every client of the process, so
    one client serves every fake that only raises them."""
    return _client(service).exceptions


class _Answer:
    """botocore's ``before-call`` contract: (http response, parsed response)."""

    @staticmethod
    def ok(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://fake", 200, {}, None), {
            **parsed,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    @staticmethod
    def error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://fake", status, {}, None), parsed


class FakeTimestreamInfluxDB:
    """Timestream for InfluxDB instances, read-replica clusters and backups, answered from state.

    ``busy[id] = n``: the next n mutating calls on that instance or cluster fail with
    ConflictException (one being modified). An id not in ``instances`` (UpdateDbInstance) or
    ``clusters`` (UpdateDbCluster, GetDbCluster) gives ResourceNotFoundException; CreateDbBackup
    takes either (botocore's model: dbResourceId is "The id of the DB instance or DB cluster to back
    up"). UpdateDbInstance's and UpdateDbCluster's ``dbBackupConfigurations`` is "a list of backup
    configurations to update" (botocore's model, the same shape for both): the fake replaces the
    configuration of each type given and keeps the others - what the service does with a type left
    out is not documented there. A cluster answers GetDbCluster AVAILABLE and UpdateDbCluster
    UPDATING (values of the model's ClusterStatus); the fake does not move it between statuses.
    """

    def __init__(self, *instance_ids: str, clusters: tuple[str, ...] | list[str] = ()) -> None:
        self.client = _client("timestream-influxdb")
        self.model = self.client.meta.service_model
        self.instances: dict[str, dict[str, Any]] = {i: {"backups": {}} for i in instance_ids}
        self.clusters: dict[str, dict[str, Any]] = {c: {"backups": {}} for c in clusters}
        self.backups: list[dict[str, Any]] = []
        self.busy: dict[str, int] = {}
        #: id -> the statuses GetDbInstance/GetDbCluster answer, one per read, before AVAILABLE
        #: (a change being applied); the fake itself never moves a database between statuses.
        self.settling: dict[str, list[str]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.client.meta.events.register("before-call.timestream-influxdb", self._answer)

    def _answer(self, model, params, **_):
        body = json.loads(params["body"]) if params.get("body") else {}
        self.calls.append((model.name, body))
        handler = getattr(self, f"_{model.name}", None)
        if handler is None:
            raise NotImplementedError(f"FakeTimestreamInfluxDB does not answer {model.name}")
        http, parsed = handler(body)
        if http.status_code < 300:
            validate_parameters(
                {k: v for k, v in parsed.items() if k != "ResponseMetadata"}, model.output_shape
            )
        return http, parsed

    def _instance(self, identifier: str, among: dict[str, dict[str, Any]] | None = None):
        among = self.instances if among is None else among
        if identifier not in among:
            return None, _Answer.error(404, "ResourceNotFoundException", f"{identifier} not found")
        if self.busy.get(identifier, 0) > 0:
            self.busy[identifier] -= 1
            return None, _Answer.error(409, "ConflictException", f"{identifier} is being modified")
        return among[identifier], None

    def _cluster(self, identifier: str):
        return self._instance(identifier, self.clusters)

    def _status(self, value: str) -> str:
        """``value`` if the model's ClusterStatus has it (validate_parameters checks no enum)."""
        assert value in self.model.shape_for("ClusterStatus").enum, value
        return value

    def _reported(self, identifier: str, enum: str = "ClusterStatus") -> str:
        """The next of ``settling[identifier]``, else AVAILABLE (a value of the model's ``enum``)."""
        pending = self.settling.get(identifier) or []
        value = pending.pop(0) if pending else "AVAILABLE"
        assert value in self.model.shape_for(enum).enum, value
        return value

    def _GetDbInstance(self, body):
        if body["identifier"] not in self.instances:
            return _Answer.error(404, "ResourceNotFoundException", f"{body['identifier']} not found")
        return _Answer.ok(
            {**self._summary(body["identifier"]), "status": self._reported(body["identifier"], "Status")}
        )

    def _cluster_summary(self, identifier: str) -> dict[str, Any]:
        return {
            "id": identifier,
            "name": f"name-{identifier}",
            "arn": f"arn:aws:timestream-influxdb:{REGION}:{ACCOUNT}:db-cluster/{identifier}",
        }

    @staticmethod
    def _configured(resource: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in c.items() if k in ("type", "retentionDays", "enabled")}
            for c in resource["backups"].values()
        ]

    def _UpdateDbCluster(self, body):
        cluster, error = self._cluster(body["dbClusterId"])
        if error:
            return error
        for config in body.get("dbBackupConfigurations", []):
            cluster["backups"][config["type"]] = config
        return _Answer.ok({"dbClusterStatus": self._status("UPDATING")})

    def _GetDbCluster(self, body):
        if body["dbClusterId"] not in self.clusters:
            return _Answer.error(404, "ResourceNotFoundException", f"{body['dbClusterId']} not found")
        cluster = self.clusters[body["dbClusterId"]]
        group = cluster.get("parameterGroup")
        return _Answer.ok(
            {
                **self._cluster_summary(body["dbClusterId"]),
                "status": self._reported(body["dbClusterId"]),
                "engineType": "INFLUXDB_V2",
                **({"dbParameterGroupIdentifier": group} if group else {}),
                **({"dbBackupConfigurations": self._configured(cluster)} if cluster["backups"] else {}),
            }
        )

    def _summary(self, identifier: str) -> dict[str, Any]:
        return {
            "id": identifier,
            "name": f"name-{identifier}",
            "arn": f"arn:aws:timestream-influxdb:{REGION}:{ACCOUNT}:db-instance/{identifier}",
            "vpcSubnetIds": ["subnet-1"],
        }

    def _UpdateDbInstance(self, body):
        instance, error = self._instance(body["identifier"])
        if error:
            return error
        for config in body.get("dbBackupConfigurations", []):
            instance["backups"][config["type"]] = config
        return _Answer.ok(
            {
                **self._summary(body["identifier"]),
                "dbBackupConfigurations": [
                    {k: v for k, v in c.items() if k in ("type", "retentionDays", "enabled")}
                    for c in instance["backups"].values()
                ],
            }
        )

    def _CreateDbBackup(self, body):
        among = self.clusters if body["dbResourceId"] in self.clusters else self.instances
        _, error = self._instance(body["dbResourceId"], among)
        if error:
            return error
        backup_id = f"backup{len(self.backups) + 1:04d}"
        backup = {
            "id": backup_id,
            "arn": f"arn:aws:timestream-influxdb:{REGION}:{ACCOUNT}:db-backup/{backup_id}",
            "name": body["name"],
            "dbResourceId": body["dbResourceId"],
            "retentionDays": body.get("retentionDays"),
            "createdAt": datetime.now(UTC),
        }
        self.backups.append(backup)
        return _Answer.ok({"id": backup_id, "arn": backup["arn"], "name": body["name"]})

    # --- end states ---------------------------------------------------------------------------
    def _resource(self, identifier: str) -> dict[str, Any]:
        return self.clusters[identifier] if identifier in self.clusters else self.instances[identifier]

    def backup_configuration(self, identifier: str) -> dict[str, tuple[int, bool]]:
        """Type -> (retention days, enabled) of the instance's or cluster's automated backups."""
        return {
            t: (c["retentionDays"], c["enabled"]) for t, c in self._resource(identifier)["backups"].items()
        }

    def continuous_enabled(self, identifier: str) -> bool:
        config = self._resource(identifier)["backups"].get("CONTINUOUS")
        return bool(config and config["enabled"])

    def backups_of(self, identifier: str) -> list[dict[str, Any]]:
        return [b for b in self.backups if b["dbResourceId"] == identifier]


class _Payload(io.BytesIO):
    """The ``Payload`` of an invoke answer: a stream, read once (botocore's StreamingBody)."""


class FakeLambda:
    """``lambda`` client whose ``invoke`` runs handlers in process, as a RequestResponse invoke.

    ``functions`` maps a function name (or ARN) to ``handler(event, context)``. The answer has
    StatusCode 200, ExecutedVersion, a ``Payload`` stream with the handler's JSON result, and on an
    unhandled error ``FunctionError: "Unhandled"`` with Lambda's error document (errorMessage,
    errorType, stackTrace). ``invocations`` records (name, event).

    Not modelled: the Event and DryRun invocation types, timeouts and throttling of the invoked
    function (``timeout`` only sizes its context), payload size limits, Qualifier, LogType,
    concurrency; the invoked function shares this process (its environment is ``environment``).
    """

    def __init__(self, functions: dict[str, Callable], *, timeout: int = 60, environment=None) -> None:
        self.functions = functions
        self.timeout = timeout
        self.environment = dict(environment or {})
        self.invocations: list[tuple[str, Any]] = []
        self.exceptions = _exceptions("lambda")

    def invoke(
        self, *, FunctionName: str, Payload: bytes | str = b"{}", InvocationType: str = "RequestResponse", **_
    ):
        if InvocationType != "RequestResponse":
            raise NotImplementedError(
                f"FakeLambda models RequestResponse invocations only, not {InvocationType}"
            )
        name = FunctionName.rsplit(":", 1)[-1] if FunctionName.startswith("arn:") else FunctionName
        if name not in self.functions:
            raise self.exceptions.ResourceNotFoundException(
                {"Error": {"Code": "ResourceNotFoundException", "Message": f"Function not found: {name}"}},
                "Invoke",
            )
        event = json.loads(Payload or b"null")
        self.invocations.append((name, event))
        from .harness import LambdaContext

        context = LambdaContext(name, self.timeout, f"invoke-{len(self.invocations)}")
        answer: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        with environment(self.environment):
            try:
                result = self.functions[name](event, context)
            except Exception as e:  # Lambda reports it in the payload, not as an API error
                answer["FunctionError"] = "Unhandled"
                result = {
                    "errorMessage": str(e),
                    "errorType": type(e).__name__,
                    "stackTrace": traceback.format_tb(e.__traceback__),
                }
        answer["Payload"] = _Payload(json.dumps(result).encode())
        return answer


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set during the block and as it was before after it, whatever
    the block set or removed: ``mock.patch.dict(os.environ, values)``, but putting back only what
    changed (patch.dict clears and rewrites every variable, ~0.25 ms; the harness does it on every
    invocation, ~850 times a run)."""
    before = dict(os.environ)
    try:
        os.environ.update(values)
        yield
    finally:
        now = dict(os.environ)
        for name in now.keys() - before.keys():
            del os.environ[name]
        for name, value in before.items():
            if now.get(name) != value:
                os.environ[name] = value


@contextlib.contextmanager
def secretsmanager() -> Iterator[Any]:
    """moto's Secrets Manager in process (and every other moto service): yields a client."""
    from moto import mock_aws

    with mock_aws(), environment({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}):
        yield _client("secretsmanager")


class FakeTimestreamInfluxDBParameterGroups(FakeTimestreamInfluxDB):
    """:class:`FakeTimestreamInfluxDB` with DB parameter groups, as botocore's model has them.

    CreateDbParameterGroup (a name already taken: ConflictException; the group gets a generated
    id, its parameters and tags), GetDbParameterGroup (its parameters as they were given),
    ListDbParameterGroups (summaries, ``page_size`` per page with nextToken), GetDbInstance and
    UpdateDbInstance's dbParameterGroupIdentifier, GetDbCluster and UpdateDbCluster's (an unknown
    id: ResourceNotFoundException). Requests and answers are checked against the model as for the
    parent. There is no update or delete of a group: the model has none.

    Not modelled: the service's own validation of parameter values (the function checks them
    first), the instance restart and status change when it switches groups, tag-based access
    (the role's conditions), quotas on the number of groups, eventual consistency of List after
    Create.
    """

    def __init__(
        self, *instance_ids: str, page_size: int = 2, clusters: tuple[str, ...] | list[str] = ()
    ) -> None:
        super().__init__(*instance_ids, clusters=clusters)
        self.groups: dict[str, dict[str, Any]] = {}  # id -> {"name", "parameters", "tags", ...}
        self.page_size = page_size

    def _group_summary(self, gid: str) -> dict[str, Any]:
        return {
            "id": gid,
            "name": self.groups[gid]["name"],
            "arn": f"arn:aws:timestream-influxdb:{REGION}:{ACCOUNT}:db-parameter-group/{gid}",
        }

    def _CreateDbParameterGroup(self, body):
        if any(g["name"] == body["name"] for g in self.groups.values()):
            return _Answer.error(409, "ConflictException", f"{body['name']} already exists")
        gid = f"pgid{len(self.groups) + 1:04d}"
        self.groups[gid] = {k: body.get(k) for k in ("name", "description", "parameters", "tags")}
        return _Answer.ok({**self._group_summary(gid), "parameters": body.get("parameters") or {}})

    def _GetDbParameterGroup(self, body):
        gid = body["identifier"]
        if gid not in self.groups:
            return _Answer.error(404, "ResourceNotFoundException", f"parameter group {gid} not found")
        group = self.groups[gid]
        described = {"description": group["description"]} if group.get("description") else {}
        held = {"parameters": group["parameters"]} if group.get("parameters") else {}
        return _Answer.ok({**self._group_summary(gid), **described, **held})

    def _ListDbParameterGroups(self, body):
        ids = sorted(self.groups)
        start = int(body.get("nextToken", "0"))
        page = ids[start : start + self.page_size]
        answer: dict[str, Any] = {"items": [self._group_summary(g) for g in page]}
        if start + self.page_size < len(ids):
            answer["nextToken"] = str(start + self.page_size)
        return _Answer.ok(answer)

    def _GetDbInstance(self, body):
        instance, error = self._instance(body["identifier"])
        if error:
            return error
        group = instance.get("parameterGroup")
        status = {"status": self._reported(body["identifier"], "Status")}
        return _Answer.ok(
            {
                **self._summary(body["identifier"]),
                **status,
                **({"dbParameterGroupIdentifier": group} if group else {}),
            }
        )

    def _UpdateDbInstance(self, body):
        group = body.get("dbParameterGroupIdentifier")
        if group is not None and group not in self.groups:
            return _Answer.error(404, "ResourceNotFoundException", f"parameter group {group} not found")
        http, parsed = super()._UpdateDbInstance(body)
        if http.status_code < 300 and group is not None:
            self.instances[body["identifier"]]["parameterGroup"] = group
        return http, parsed

    def _UpdateDbCluster(self, body):
        group = body.get("dbParameterGroupIdentifier")
        if group is not None and group not in self.groups:
            return _Answer.error(404, "ResourceNotFoundException", f"parameter group {group} not found")
        http, parsed = super()._UpdateDbCluster(body)
        if http.status_code < 300 and group is not None:
            self.clusters[body["dbClusterId"]]["parameterGroup"] = group
        return http, parsed

    # --- end states ---------------------------------------------------------------------------
    def group_of(self, identifier: str) -> dict[str, Any] | None:
        """The parameter group the instance or cluster uses (with its id), None for the service default."""
        gid = self._resource(identifier).get("parameterGroup")
        return {"id": gid, **self.groups[gid]} if gid else None

    def parameters_of(self, identifier: str) -> dict[str, Any] | None:
        group = self.group_of(identifier)
        return group["parameters"] if group else None


#: The steps of a rotation by Lambda function, in the order Secrets Manager invokes them.
ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class Rotation:
    """Secrets Manager rotating ``secret_arn`` (a secret of moto's) with a Lambda function.

    ``invoke(event)`` runs the rotation function synchronously (e.g. ``Stack.call``). What is
    modelled ("Rotation by Lambda function" and "Lambda rotation functions", Secrets Manager User
    Guide; botocore's model of RotateSecret): a rotation schedule turns rotation on
    (``RotationEnabled``; :meth:`cancel` is CancelRotateSecret, which a deleted schedule calls); a
    rotation first refuses when AWSPENDING is on a version other than AWSCURRENT's (a rotation
    still in progress), then makes a new version id (the ClientRequestToken) labelled AWSPENDING
    with no value - moving the label from any other version - and invokes the function with
    {Step, SecretId, ClientRequestToken, RotationToken} for each step in order; a step that raises
    ends the rotation (:meth:`rotate` returns the error), and :meth:`retry` runs the steps again with
    the same version id, as Secrets Manager retries a failed rotation.

    Not modelled: the schedule's timing (a rotation happens when a test calls :meth:`rotate`), the
    number and spacing of Secrets Manager's retries, the rotation window, Lambda's own retries
    and timeouts, RotateImmediately=false (testSecret alone), the RotationToken's use for assumed
    roles, and any check by Secrets Manager of who calls PutSecretValue or UpdateSecretVersionStage.
    """

    def __init__(self, client, secret_arn: str, invoke: Callable[[dict[str, Any]], Any]) -> None:
        self.client, self.arn, self.invoke = client, secret_arn, invoke
        self.invocations: list[tuple[str, str]] = []  # (step, version id)
        self.version: str | None = None

    def _secret(self):
        from moto.secretsmanager.models import secretsmanager_backends

        return secretsmanager_backends[ACCOUNT][REGION].secrets[self.arn]

    def enable(self, days: int = 30) -> None:
        """What creating the rotation schedule (RotateSecret with a function and rules) turns on."""
        secret = self._secret()
        secret.rotation_requested = secret.rotation_enabled = True  # moto's state behind RotationEnabled
        secret.rotation_lambda_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotation"
        secret.auto_rotate_after_days = days

    def cancel(self) -> None:
        """CancelRotateSecret, as deleting the rotation schedule calls it."""
        self.client.cancel_rotate_secret(SecretId=self.arn)

    def stages(self) -> dict[str, list[str]]:
        return self.client.describe_secret(SecretId=self.arn).get("VersionIdsToStages") or {}

    def rotate(self, steps=ROTATION_STEPS) -> Exception | None:
        """One rotation: a new AWSPENDING version, then ``steps``; the error that stopped it, if any."""
        import uuid

        stages = self.stages()
        pending = [v for v, labels in stages.items() if "AWSPENDING" in labels]
        if pending and "AWSCURRENT" not in stages[pending[0]]:
            raise RuntimeError("RotateSecret refused: a previous rotation is still in progress")
        self.version = str(uuid.uuid4())
        secret = self._secret()
        secret.remove_version_stages_from_old_versions(["AWSPENDING"])
        secret.versions[self.version] = {
            "createdate": int(__import__("time").time()),
            "version_id": self.version,
            "version_stages": ["AWSPENDING"],
        }
        return self.retry(steps)

    def retry(self, steps=ROTATION_STEPS) -> Exception | None:
        """The steps again for the same version id, as Secrets Manager retries a failed rotation."""
        assert self.version is not None
        for step in steps:
            self.invocations.append((step, self.version))
            event = {
                "Step": step,
                "SecretId": self.arn,
                "ClientRequestToken": self.version,
                "RotationToken": "rotation-token-sample",
            }
            try:
                self.invoke(event)
            except Exception as e:  # a failed step ends this attempt
                return e
            finally:
                self._current_is_default()
        return None

    def _current_is_default(self) -> None:
        """GetSecretValue with neither VersionId nor VersionStage reads AWSCURRENT (botocore's model
        of GetSecretValue); moto 5.2 keeps its default version where it was when
        UpdateSecretVersionStage moves AWSCURRENT, so it is set here as AWS has it."""
        secret = self._secret()
        for version_id, version in secret.versions.items():
            if "AWSCURRENT" in version["version_stages"]:
                secret.default_version_id = version_id

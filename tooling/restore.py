"""Restore a stack's InfluxDB instance from a backup, to a new instance.

Planning is pure (:func:`plan_restore`, :meth:`RestorePlan.describe`, :meth:`RestorePlan.request`):
it takes what AWS returned and decides what to ask for, so it is tested without AWS. The few
boto3 calls (:func:`stack_instance_id`, :func:`get_instance`, :func:`list_backups`,
:func:`restore`) only fetch and send.

A backup is restored to a *new* instance (restoreMode NEW_RESOURCE) in the same subnets and
security groups as the stack's instance; a CONTINUOUS backup can be restored to a point in
time. The new instance is not part of the stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from templates_src.registry import TEMPLATES, TemplateSpec


def restorable() -> TemplateSpec:
    """The registered product whose stacks restore works on: the one whose entry names an
    instance output (and the service's rule for instance names)."""
    return next(spec for spec in TEMPLATES.values() if spec.instance_output and spec.instance_name_problem)


INSTANCE_OUTPUT = restorable().instance_output
RESTORE_MODE = "NEW_RESOURCE"
CONTINUOUS = "CONTINUOUS"
USABLE_STATUS = "COMPLETED"


class RestoreError(ValueError):
    """A restore that cannot be planned; the message says what to change."""


@dataclass(frozen=True)
class Instance:
    id: str
    name: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    port: int | None = None
    network_type: str | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Instance:
        return cls(
            id=item["id"],
            name=item["name"],
            subnet_ids=tuple(item.get("vpcSubnetIds", ())),
            security_group_ids=tuple(item.get("vpcSecurityGroupIds", ())),
            port=item.get("port"),
            network_type=item.get("networkType"),
        )


@dataclass(frozen=True)
class Backup:
    id: str
    name: str
    type: str
    status: str
    created_at: datetime | None = None
    expires_after: str | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Backup:
        return cls(
            id=item["id"],
            name=item.get("name", ""),
            type=item.get("type", ""),
            status=item.get("status", ""),
            created_at=item.get("createdAt"),
            expires_after=item.get("expiresAfter"),
        )


@dataclass(frozen=True)
class RestorePlan:
    instance: Instance
    backup: Backup
    new_name: str
    restore_to_time: datetime | None = None

    def request(self) -> dict[str, Any]:
        """The RestoreFromDbBackup parameters."""
        params: dict[str, Any] = {
            "name": self.new_name,
            "dbBackupId": self.backup.id,
            "restoreMode": RESTORE_MODE,
            "vpcSubnetIds": list(self.instance.subnet_ids),
            "vpcSecurityGroupIds": list(self.instance.security_group_ids),
            "publiclyAccessible": False,
        }
        if self.instance.port:
            params["port"] = self.instance.port
        if self.instance.network_type:
            params["networkType"] = self.instance.network_type
        if self.restore_to_time:
            params["restoreToTime"] = self.restore_to_time
        return params

    def describe(self) -> list[str]:
        """What the restore will do, for a person to read before confirming."""
        point = (
            f"as it was at {self.restore_to_time.isoformat()}"
            if self.restore_to_time
            else f"as it was when the backup was taken ({_when(self.backup.created_at)})"
        )
        return [
            f"restore backup {self.backup.id} ({self.backup.type} {self.backup.name}) of instance "
            f"{self.instance.name} ({self.instance.id})",
            f"  {point}",
            f"  to a NEW instance {self.new_name} (the stack's instance is not changed)",
            f"  in subnets {', '.join(self.instance.subnet_ids)}; security groups "
            f"{', '.join(self.instance.security_group_ids)}; not publicly accessible",
        ]


def plan_restore(
    instance: Instance,
    backups: Iterable[Backup],
    new_name: str,
    backup_id: str | None = None,
    to_time: datetime | None = None,
    now: datetime | None = None,
) -> RestorePlan:
    """Choose the backup and check the request; raises RestoreError with what to change.

    Without ``backup_id``: the newest completed backup, or the CONTINUOUS one for ``to_time``.
    """
    backups = list(backups)
    now = now or datetime.now(UTC)
    check_instance_name(new_name, instance)
    if to_time is not None:
        to_time = to_time if to_time.tzinfo else to_time.replace(tzinfo=UTC)
        if to_time > now:
            raise RestoreError(f"--to-time {to_time.isoformat()} is in the future")
    if backup_id:
        matches = [b for b in backups if b.id == backup_id]
        if not matches:
            raise RestoreError(f"no backup {backup_id} of instance {instance.id}; see --list")
        backup = matches[0]
    elif to_time is not None:
        continuous = [b for b in backups if b.type == CONTINUOUS]
        if not continuous:
            raise RestoreError(
                "no CONTINUOUS backup: point-in-time restore needs ContinuousBackupRetentionDays above 0"
            )
        backup = continuous[0]
    else:
        usable = [b for b in backups if b.status == USABLE_STATUS and b.type != CONTINUOUS]
        if not usable:
            raise RestoreError(f"instance {instance.id} has no completed backup; see --list")
        backup = max(usable, key=lambda b: b.created_at or datetime.min.replace(tzinfo=UTC))
    if to_time is not None and backup.type != CONTINUOUS:
        raise RestoreError(f"--to-time needs a CONTINUOUS backup; {backup.id} is {backup.type}")
    if backup.type != CONTINUOUS and backup.status != USABLE_STATUS:
        raise RestoreError(f"backup {backup.id} is {backup.status}, not {USABLE_STATUS}")
    if to_time is not None and backup.created_at and to_time < backup.created_at:
        raise RestoreError(
            f"--to-time {to_time.isoformat()} is before the continuous backup began "
            f"({backup.created_at.isoformat()})"
        )
    return RestorePlan(instance=instance, backup=backup, new_name=new_name, restore_to_time=to_time)


def check_instance_name(name: str, instance: Instance) -> None:
    problem = restorable().instance_name_problem(name)
    if problem:
        raise RestoreError(f"--name {name!r}: {problem}")
    if name == instance.name:
        raise RestoreError(f"--name {name!r} is the stack's own instance; choose a new name")


def format_backups(backups: Iterable[Backup]) -> list[str]:
    """One line a backup, newest first."""
    ordered = sorted(backups, key=lambda b: b.created_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return [
        f"{b.id:<20} {b.type:<12} {b.status:<12} {_when(b.created_at):<25} "
        f"expires {b.expires_after or '-':<10} {b.name}"
        for b in ordered
    ]


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; UTC when it has no offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RestoreError(
            f"--to-time {text!r} is not an ISO 8601 time (e.g. 2026-11-24T18:30:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def command(
    cloudformation,
    influxdb,
    *,
    stack: str,
    new_name: str | None,
    backup_id: str | None = None,
    to_time: str | None = None,
    list_only: bool = False,
    dry_run: bool = False,
    confirm: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] = print,
) -> int:
    """``build.py restore``: list, or plan, show, confirm and start a restore. Exit status."""
    instance = get_instance(influxdb, stack_instance_id(cloudformation, stack))
    backups = list_backups(influxdb, instance.id)
    if list_only or not new_name:
        say(f"backups of {instance.name} ({instance.id}):")
        for line in format_backups(backups) or ["  (none)"]:
            say(line)
        if not list_only:
            say("give --name NEW-INSTANCE-NAME to restore (with --backup ID, or --to-time TIME)")
        return 0
    plan = plan_restore(instance, backups, new_name, backup_id, parse_time(to_time) if to_time else None)
    for line in plan.describe():
        say(line)
    if dry_run:
        say("dry run: nothing was changed")
        return 0
    if not confirm():
        say("restore cancelled")
        return 1
    answer = restore(influxdb, plan)
    say(f"restore started: new instance {answer.get('restoredDbResourceId')} ({answer.get('restoreStatus')})")
    return 0


# --- boto3 I/O ------------------------------------------------------------------------------


def stack_instance_id(cloudformation, stack: str) -> str:
    """The instance id the stack exports as its DbInstanceId output."""
    (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    for output in found.get("Outputs", []):
        if output["OutputKey"] == INSTANCE_OUTPUT:
            return output["OutputValue"]
    raise RestoreError(f"stack {stack} has no {INSTANCE_OUTPUT} output; is it this product?")


def get_instance(influxdb, instance_id: str) -> Instance:
    return Instance.from_api(influxdb.get_db_instance(identifier=instance_id))


def list_backups(influxdb, instance_id: str) -> list[Backup]:
    backups: list[Backup] = []
    kwargs: dict[str, Any] = {"dbResourceId": instance_id}
    while True:
        page = influxdb.list_db_backups(**kwargs)
        backups += [Backup.from_api(item) for item in page.get("items", [])]
        if not page.get("nextToken"):
            return backups
        kwargs["nextToken"] = page["nextToken"]


def restore(influxdb, plan: RestorePlan) -> dict[str, Any]:
    return influxdb.restore_from_db_backup(**plan.request())

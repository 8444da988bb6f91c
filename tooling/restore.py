"""Restore a stack's InfluxDB instance from a backup, to a new instance.

Planning is pure (:func:`plan_restore`, :meth:`RestorePlan.describe`, :meth:`RestorePlan.request`):
it takes what AWS returned and decides what to ask for, so it is tested without AWS. The few
boto3 calls (:func:`stack_instance_id`, :func:`get_instance`, :func:`list_backups`,
:func:`restore`) only fetch and send.

A backup is restored to a *new* instance (restoreMode NEW_RESOURCE) in the same subnets as the
stack's instance; a CONTINUOUS backup can be restored to a point in time. The new instance is not
part of the stack, and neither is its security group: by default a new group that copies the
rules of the stack instance's groups (:func:`copied_rules`), or the groups given with
``--security-group-ids``. Using the stack's own group would tie the restored instance to the stack:
the stack's delete would fail on a group still in use, and a stack update could change the
restored instance's rules.

Backup statuses and fields are those of botocore's timestream-influxdb model (DbBackupSummary:
status IN_PROGRESS, COMPLETED, FAILED, DELETING or DELETED).
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
#: A continuous backup is restorable while it runs (IN_PROGRESS) or once completed; a FAILED,
#: DELETING or DELETED one is not (statuses: botocore's DbBackupStatus).
USABLE_CONTINUOUS = frozenset({"IN_PROGRESS", "COMPLETED"})


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
class NewGroup:
    """The security group made for the restored instance: rules copied from the stack's groups."""

    name: str
    vpc_id: str
    source_ids: tuple[str, ...]
    ingress: tuple[dict[str, Any], ...]
    egress: tuple[dict[str, Any], ...]

    @property
    def description(self) -> str:
        return f"Restored InfluxDB instance {self.name.removesuffix('-db')}: rules of {', '.join(self.source_ids)}"


@dataclass(frozen=True)
class RestorePlan:
    instance: Instance
    backup: Backup
    new_name: str
    restore_to_time: datetime | None = None
    #: groups given with --security-group-ids (then no group is made)
    security_group_ids: tuple[str, ...] = ()
    #: the group to make when none is given
    new_group: NewGroup | None = None

    def request(self, group_id: str | None = None) -> dict[str, Any]:
        """The RestoreFromDbBackup parameters (``group_id``: the group made for it, if any)."""
        groups = list(self.security_group_ids) or ([group_id] if group_id else [])
        if not groups:
            raise RestoreError("no security group for the restored instance")
        params: dict[str, Any] = {
            "name": self.new_name,
            "dbBackupId": self.backup.id,
            "restoreMode": RESTORE_MODE,
            "vpcSubnetIds": list(self.instance.subnet_ids),
            "vpcSecurityGroupIds": groups,
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
        lines = [
            f"restore backup {self.backup.id} ({self.backup.type} {self.backup.name}) of instance "
            f"{self.instance.name} ({self.instance.id})",
            f"  {point}",
            f"  to a NEW instance {self.new_name} (the stack's instance is not changed)",
            f"  in subnets {', '.join(self.instance.subnet_ids)}; not publicly accessible",
        ]
        if self.new_group:
            group = self.new_group
            lines += [
                f"  CREATES security group {group.name} in {group.vpc_id} for it, with the "
                f"{len(group.ingress)} ingress and {len(group.egress)} egress rule(s) of "
                f"{', '.join(group.source_ids)} (the stack's groups are not used: the new instance is not "
                "tied to the stack, and the stack's delete and updates do not touch it)",
                "  clients in the stack's client group may also need an egress rule to the new group "
                "(aws ec2 authorize-security-group-egress --group-id CLIENT_GROUP ...)",
            ]
        else:
            lines.append(f"  security groups {', '.join(self.security_group_ids)} (--security-group-ids)")
        return lines


def plan_restore(
    instance: Instance,
    backups: Iterable[Backup],
    new_name: str,
    backup_id: str | None = None,
    to_time: datetime | None = None,
    now: datetime | None = None,
    security_group_ids: Iterable[str] = (),
    source_groups: Iterable[dict[str, Any]] = (),
) -> RestorePlan:
    """Choose the backup and check the request; raises RestoreError with what to change.

    Without ``backup_id``: the newest completed backup, or the usable CONTINUOUS one that covers
    ``to_time``. ``security_group_ids`` are the groups to use; without them a new group is planned
    from ``source_groups`` (DescribeSecurityGroups' SecurityGroups for the instance's groups).
    """
    backup, to_time = choose_backup(instance, backups, new_name, backup_id, to_time, now)
    given = tuple(security_group_ids)
    check_groups(given, instance)
    new_group = None if given else plan_group(new_name, instance, list(source_groups))
    return RestorePlan(
        instance=instance,
        backup=backup,
        new_name=new_name,
        restore_to_time=to_time,
        security_group_ids=given,
        new_group=new_group,
    )


def choose_backup(
    instance: Instance,
    backups: Iterable[Backup],
    new_name: str,
    backup_id: str | None = None,
    to_time: datetime | None = None,
    now: datetime | None = None,
) -> tuple[Backup, datetime | None]:
    """The backup to restore and the point in time (UTC); RestoreError says what to change."""
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
        continuous = [b for b in backups if b.type == CONTINUOUS and b.status in USABLE_CONTINUOUS]
        if not continuous:
            others = sorted({b.status for b in backups if b.type == CONTINUOUS})
            raise RestoreError(
                "no usable CONTINUOUS backup"
                + (f" (only {', '.join(others)} ones)" if others else "")
                + ": point-in-time restore needs ContinuousBackupRetentionDays above 0"
            )
        covering = [b for b in continuous if not b.created_at or b.created_at <= to_time]
        backup = max(covering or continuous, key=lambda b: b.created_at or datetime.min.replace(tzinfo=UTC))
    else:
        usable = [b for b in backups if b.status == USABLE_STATUS and b.type != CONTINUOUS]
        if not usable:
            raise RestoreError(f"instance {instance.id} has no completed backup; see --list")
        backup = max(usable, key=lambda b: b.created_at or datetime.min.replace(tzinfo=UTC))
    if to_time is not None and backup.type != CONTINUOUS:
        raise RestoreError(f"--to-time needs a CONTINUOUS backup; {backup.id} is {backup.type}")
    if backup.type != CONTINUOUS and backup.status != USABLE_STATUS:
        raise RestoreError(f"backup {backup.id} is {backup.status}, not {USABLE_STATUS}")
    if backup.type == CONTINUOUS and backup.status not in USABLE_CONTINUOUS:
        raise RestoreError(f"continuous backup {backup.id} is {backup.status}; it cannot be restored")
    if to_time is not None and backup.created_at and to_time < backup.created_at:
        raise RestoreError(
            f"--to-time {to_time.isoformat()} is before the continuous backup began "
            f"({backup.created_at.isoformat()})"
        )
    return backup, to_time


def check_groups(given: tuple[str, ...], instance: Instance) -> None:
    """Groups given with --security-group-ids must not be the stack instance's own."""
    shared = sorted(set(given) & set(instance.security_group_ids))
    if shared:
        raise RestoreError(
            f"--security-group-ids {', '.join(shared)} is the stack's own group: the restored instance "
            "would be tied to the stack; give another group, or none to have one made"
        )


def plan_group(new_name: str, instance: Instance, source_groups: list[dict[str, Any]]) -> NewGroup:
    """The group to make: every ingress and egress rule of the instance's groups, in their VPC."""
    found = {g.get("GroupId") for g in source_groups}
    missing = [sg for sg in instance.security_group_ids if sg not in found]
    if missing or not source_groups:
        raise RestoreError(
            f"cannot read security group(s) {', '.join(missing) or '-'} of the instance to copy their rules; "
            "give the groups for the restored instance with --security-group-ids"
        )
    vpcs = {g.get("VpcId") for g in source_groups}
    if len(vpcs) != 1 or None in vpcs:
        raise RestoreError("the instance's security groups are not in one VPC; use --security-group-ids")
    sources = tuple(instance.security_group_ids)
    return NewGroup(
        name=f"{new_name}-db",
        vpc_id=str(next(iter(vpcs))),
        source_ids=sources,
        ingress=tuple(r for g in source_groups for r in copied_rules(g.get("IpPermissions", []), sources)),
        egress=tuple(
            r for g in source_groups for r in copied_rules(g.get("IpPermissionsEgress", []), sources)
        ),
    )


#: Members of an IpPermission (EC2 API) a copy keeps; the rest are answers, not requests.
_RULE_KEYS = ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds")
SELF = "<new group>"


def copied_rules(permissions: Iterable[dict[str, Any]], sources: Iterable[str]) -> list[dict[str, Any]]:
    """DescribeSecurityGroups' rules as AuthorizeSecurityGroup* requests. A rule naming one of the
    ``sources`` (the copied groups themselves) names the new group instead (:data:`SELF`, filled in
    by :func:`with_group_id` once it exists), so the copy does not reach back into the stack."""
    sources = set(sources)
    result = []
    for permission in permissions:
        rule = {k: permission[k] for k in _RULE_KEYS if permission.get(k) not in (None, [])}
        pairs = []
        for pair in permission.get("UserIdGroupPairs") or []:
            kept = {"GroupId": SELF if pair.get("GroupId") in sources else pair.get("GroupId")}
            if pair.get("Description"):
                kept["Description"] = pair["Description"]
            if pair.get("VpcPeeringConnectionId"):
                kept.update(UserId=pair.get("UserId"), VpcPeeringConnectionId=pair["VpcPeeringConnectionId"])
            pairs.append(kept)
        if pairs:
            rule["UserIdGroupPairs"] = pairs
        result.append(rule)
    return result


def with_group_id(rules: Iterable[dict[str, Any]], group_id: str) -> list[dict[str, Any]]:
    """``rules`` with :data:`SELF` replaced by the new group's id."""
    return [
        {
            **rule,
            **(
                {
                    "UserIdGroupPairs": [
                        {**p, "GroupId": group_id if p["GroupId"] == SELF else p["GroupId"]}
                        for p in rule["UserIdGroupPairs"]
                    ]
                }
                if "UserIdGroupPairs" in rule
                else {}
            ),
        }
        for rule in rules
    ]


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
    ec2=None,
    *,
    stack: str,
    new_name: str | None,
    backup_id: str | None = None,
    to_time: str | None = None,
    list_only: bool = False,
    dry_run: bool = False,
    security_group_ids: Iterable[str] = (),
    confirm: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] = print,
) -> int:
    """``build.py restore``: list, or plan, show, confirm and start a restore. Exit status.

    The inputs that need no AWS call (the time, the new name's form) are checked first."""
    moment = parse_time(to_time) if to_time and not list_only else None
    if new_name and not list_only:
        problem = restorable().instance_name_problem(new_name)
        if problem:
            raise RestoreError(f"--name {new_name!r}: {problem}")
    instance = get_instance(influxdb, stack_instance_id(cloudformation, stack))
    backups = list_backups(influxdb, instance.id)
    if list_only or not new_name:
        say(f"backups of {instance.name} ({instance.id}):")
        for line in format_backups(backups) or ["  (none)"]:
            say(line)
        if not list_only:
            say("give --name NEW-INSTANCE-NAME to restore (with --backup ID, or --to-time TIME)")
        return 0
    given = tuple(security_group_ids)
    choose_backup(instance, backups, new_name, backup_id, moment)  # before any EC2 call
    check_groups(given, instance)
    sources = [] if given else describe_groups(ec2, instance.security_group_ids)
    plan = plan_restore(
        instance, backups, new_name, backup_id, moment, security_group_ids=given, source_groups=sources
    )
    if plan.new_group:
        check_no_group_named(ec2, plan.new_group)
    for line in plan.describe():
        say(line)
    if dry_run:
        say("dry run: nothing was changed")
        return 0
    if not confirm():
        say("restore cancelled")
        return 1
    made: list[str] = []  # the new group's id, as soon as CreateSecurityGroup answers
    ready = False
    try:
        if plan.new_group:
            create_group(ec2, plan.new_group, made.append)
            ready = True
            say(f"security group {made[0]} ({plan.new_group.name}) created with the copied rules")
        answer = restore(influxdb, plan, made[0] if made else None)
    except BaseException:
        if made and ready:
            say(
                f"restore not started; security group {made[0]} was created for it: reuse it with "
                f"--security-group-ids {made[0]}, or delete it: aws ec2 delete-security-group --group-id {made[0]}"
            )
        elif made:
            say(
                f"restore not started; security group {made[0]} ({plan.new_group.name}) was created but its "
                f"rules were not all set: delete it before running again: "
                f"aws ec2 delete-security-group --group-id {made[0]}"
            )
        raise
    say(f"restore started: new instance {answer.get('restoredDbResourceId')} ({answer.get('restoreStatus')})")
    return 0


# --- boto3 I/O ------------------------------------------------------------------------------


def stack_instance_id(cloudformation, stack: str) -> str:
    """The instance id the stack exports as its DbInstanceId output."""
    from .aws import error_code

    try:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except Exception as err:
        if error_code(err) == "ValidationError" and "does not exist" in str(err):
            region = cloudformation.meta.region_name
            raise RestoreError(
                f"stack {stack} does not exist in {region} (check the name and --region)"
            ) from None
        raise
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


def describe_groups(ec2, group_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The instance's security groups, with their rules (to copy)."""
    ids = list(group_ids)
    return ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"] if ids else []


def check_no_group_named(ec2, group: NewGroup) -> None:
    """Refuse, before any change, when the VPC has a group of the new group's name already (an
    earlier restore's, or one it left half made): CreateSecurityGroup would refuse the name."""
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "group-name", "Values": [group.name]},
            {"Name": "vpc-id", "Values": [group.vpc_id]},
        ]
    )["SecurityGroups"]
    if found:
        gid = found[0]["GroupId"]
        raise RestoreError(
            f"security group {gid} ({group.name}) exists already in {group.vpc_id}, perhaps left by an earlier "
            f"restore: pass it with --security-group-ids {gid} if its rules are the ones wanted, or delete "
            f"it (aws ec2 delete-security-group --group-id {gid}) and run again"
        )


def create_group(ec2, group: NewGroup, created: Callable[[str], None] = lambda gid: None) -> str:
    """Make ``group``: created, its default egress (a new VPC group allows all egress until told
    otherwise) revoked first, then the copied ingress and egress added. Its id; ``created`` gets
    it as soon as CreateSecurityGroup answers, so that a later failure can name the group."""
    group_id = ec2.create_security_group(
        GroupName=group.name,
        Description=group.description,
        VpcId=group.vpc_id,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": group.name}]}
        ],
    )["GroupId"]
    created(group_id)
    (made,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    default = copied_rules(made.get("IpPermissionsEgress", []), ())
    if default:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=default)
    if group.ingress:
        ec2.authorize_security_group_ingress(
            GroupId=group_id, IpPermissions=with_group_id(group.ingress, group_id)
        )
    if group.egress:
        ec2.authorize_security_group_egress(
            GroupId=group_id, IpPermissions=with_group_id(group.egress, group_id)
        )
    return group_id


def restore(influxdb, plan: RestorePlan, group_id: str | None = None) -> dict[str, Any]:
    return influxdb.restore_from_db_backup(**plan.request(group_id))

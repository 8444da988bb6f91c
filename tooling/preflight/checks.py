"""The preflight checks as pure functions: facts already fetched from AWS in, a :class:`Check` out.

Each function takes dataclasses the gatherer (:mod:`.gather`) filled and returns the lines to print:
a status (✓ passes, ✗ the create would fail, ! worth knowing or not checkable), one sentence, and the
fix. :data:`CATALOGUE` names every check with what it verifies and the AWS calls behind it; the
``--help`` text and the README section are written from it, so they cannot drift apart.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(Enum):
    OK = "✓"
    FAIL = "✗"
    WARN = "!"


@dataclass(frozen=True)
class Check:
    """One line of the report: ``name`` is a :data:`CATALOGUE` key."""

    name: str
    status: Status
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.value} {self.name:<17} {self.message}"
        return f"{text}; fix: {self.fix}" if self.fix else text


@dataclass(frozen=True)
class Described:
    """A check as the help and the README explain it."""

    name: str
    verifies: str
    calls: str
    fix: str


#: Every check, in the order it runs.
CATALOGUE: tuple[Described, ...] = (
    Described(
        "parameters",
        "the parameter file reads and passes the same offline validation as deploy (the template's "
        "constraints and Rules, the product's value checks); secrets come from the environment and may "
        "be absent (the template then generates them)",
        "none",
        "edit the file as the line says",
    ),
    Described(
        "region",
        "a Region is set and botocore's endpoint data knows it",
        "none (botocore's bundled endpoint data)",
        "pass --region or set AWS_DEFAULT_REGION",
    ),
    Described(
        "credentials",
        "AWS answers with the account the credentials belong to; when it does not (no network, no "
        "credentials, a wrong Region or endpoint) this is the only line",
        "sts:GetCallerIdentity",
        "log in (aws sso login), or check the network, --region and --endpoint-url",
    ),
    Described(
        "subnets",
        "every subnet parameter (type List<AWS::EC2::Subnet::Id>) names subnets that exist, in the VPC "
        "parameter's VPC, at most the maximum, spanning the Availability Zones the deployment type needs",
        "ec2:DescribeSubnets",
        "choose subnets of the VPC in distinct Availability Zones",
    ),
    Described(
        "names",
        "every fixed name the stack will create (read from the template's Name, LogGroupName and "
        "AliasName properties for these values) is free: no instance, secret (also one pending "
        "deletion), log group or KMS alias has it; names the stack itself holds are fine",
        "timestream-influxdb:ListDbInstances, secretsmanager:ListSecrets, logs:DescribeLogGroups, "
        "kms:ListAliases, cloudformation:ListStackResources (with --stack-name)",
        "delete or rename the old resource (restore-secret, or delete-secret --force-delete-without-"
        "recovery), or change ProjectName/Environment",
    ),
    Described(
        "alarm-topics",
        "every SNS topic the alarms notify exists and is in the stack's Region",
        "sns:GetTopicAttributes",
        "create the topic in the stack's Region, or fix the ARN",
    ),
    Described(
        "buckets",
        "every S3 bucket the stack uses but does not create exists and is readable",
        "s3:HeadBucket",
        "create the bucket, or fix its name",
    ),
    Described(
        "engine-log-bucket",
        "the engine-log bucket (when set) exists in the stack's Region and its policy lets the service "
        "principal put objects under its prefix",
        "s3:HeadBucket, s3:GetBucketPolicy",
        "add the bucket policy statement the line shows",
    ),
    Described(
        "service-api",
        "the service APIs the stack relies on (the backup API) answer in the Region",
        "timestream-influxdb:ListDbBackups (maxResults 1)",
        "choose a Region that offers the service",
    ),
    Described(
        "storage",
        "the storage type and size agree (InfluxIOIncludedT2 and T3 need at least 400 GiB)",
        "none",
        "raise AllocatedStorage or choose another DbStorageType",
    ),
    Described(
        "quota",
        "the account has room for one more instance under the documented default quota (40); the "
        "account's own, possibly raised, value is not read, so a full count is a warning",
        "timestream-influxdb:ListDbInstances",
        "delete an unused instance or ask for a quota increase",
    ),
    Described(
        "client-network",
        "the clients' subnets reach S3 and Secrets Manager (a NAT gateway route, or a VPC endpoint); "
        "when not, says what the clients will lack",
        "ec2:DescribeRouteTables, ec2:DescribeVpcEndpoints",
        "add a NAT gateway route, an S3 gateway endpoint, a Secrets Manager interface endpoint",
    ),
)
NAMES = tuple(d.name for d in CATALOGUE)


def _skipped(name: str, error: str) -> Check:
    """A check whose facts AWS did not give."""
    return Check(name, Status.WARN, f"not checked: {error}", "rerun with a role allowed the call")


# --- subnets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    zone: str


@dataclass(frozen=True)
class SubnetFacts:
    parameter: str
    requested: tuple[str, ...]
    found: Mapping[str, Subnet]
    region: str
    vpc_parameter: str | None = None
    vpc_id: str | None = None
    zones_needed: int = 1
    max_subnets: int | None = None
    error: str | None = None


def check_subnets(facts: SubnetFacts) -> list[Check]:
    name, p = "subnets", facts.parameter
    if facts.error:
        return [_skipped(name, facts.error)]
    missing = [s for s in facts.requested if s not in facts.found]
    if missing:
        return [
            Check(
                name,
                Status.FAIL,
                f"{p}: {', '.join(missing)} not found in {facts.region}",
                f"check the ids in {p} and that --region is the VPC's Region",
            )
        ]
    result: list[Check] = []
    outside = [s for s in facts.requested if facts.vpc_id and facts.found[s].vpc_id != facts.vpc_id]
    if outside:
        where = ", ".join(f"{s} is in {facts.found[s].vpc_id}" for s in outside)
        result.append(
            Check(
                name,
                Status.FAIL,
                f"{p}: {where}, not {facts.vpc_parameter} {facts.vpc_id}",
                f"choose subnets of {facts.vpc_id}, or set {facts.vpc_parameter} to their VPC",
            )
        )
    unique = list(dict.fromkeys(facts.requested))
    if facts.max_subnets is not None and len(unique) > facts.max_subnets:
        result.append(
            Check(
                name,
                Status.FAIL,
                f"{p} has {len(unique)} subnets; this product takes at most {facts.max_subnets}",
                f"list at most {facts.max_subnets}",
            )
        )
    zones = sorted({facts.found[s].zone for s in unique})
    if len(zones) < facts.zones_needed:
        result.append(
            Check(
                name,
                Status.FAIL,
                f"{p} spans {len(zones)} Availability Zone(s) ({', '.join(zones)}); "
                f"the deployment type needs {facts.zones_needed}",
                f"add a subnet of {facts.vpc_id or 'the VPC'} in another Availability Zone",
            )
        )
    shared = sorted(
        {
            facts.found[s].zone
            for s in unique
            if sum(facts.found[t].zone == facts.found[s].zone for t in unique) > 1
        }
    )
    if shared and not result:
        result.append(
            Check(
                name,
                Status.WARN,
                f"{p}: more than one subnet in {', '.join(shared)}; only distinct "
                "Availability Zones add availability",
                "use one subnet per Availability Zone",
            )
        )
    if not result:
        result.append(
            Check(
                name,
                Status.OK,
                f"{p}: {len(unique)} subnet(s) of {facts.vpc_id or 'one VPC'} in "
                f"{len(zones)} Availability Zone(s) ({', '.join(zones)})",
            )
        )
    return result


# --- fixed names ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedName:
    """A fixed name a resource of the template will take (``problem``: why it could not be read)."""

    logical_id: str
    resource_type: str
    name: str
    problem: str | None = None


@dataclass(frozen=True)
class Existing:
    """A resource in the account holding a name; ``identifiers`` are its name, ARN and id."""

    resource_type: str
    name: str
    identifiers: frozenset[str]
    pending_deletion: bool = False


@dataclass(frozen=True)
class NameFacts:
    planned: tuple[PlannedName, ...]
    #: (resource type, name) -> what holds it (absent or empty: free)
    existing: Mapping[tuple[str, str], tuple[Existing, ...]]
    #: logical id -> physical id of the stack's own resources (an update), empty for a create
    stack_resources: Mapping[str, str] = field(default_factory=dict)
    #: resource type -> why its names could not be looked up
    errors: Mapping[str, str] = field(default_factory=dict)


def check_names(facts: NameFacts) -> list[Check]:
    name = "names"
    result: list[Check] = []
    free = 0
    for planned in facts.planned:
        what = f"{planned.logical_id} ({planned.resource_type})"
        if planned.problem:
            result.append(
                Check(
                    name,
                    Status.WARN,
                    f"{what}: name not checked ({planned.problem})",
                    "pass --stack-name so the name can be worked out",
                )
            )
            continue
        if planned.resource_type in facts.errors:
            result.append(_skipped(name, f"{what} {planned.name}: {facts.errors[planned.resource_type]}"))
            continue
        own = facts.stack_resources.get(planned.logical_id)
        holders = [
            e
            for e in facts.existing.get((planned.resource_type, planned.name), ())
            if not (own and own in e.identifiers)
        ]
        if not holders:
            free += 1
            continue
        if any(e.pending_deletion for e in holders):
            result.append(
                Check(
                    name,
                    Status.FAIL,
                    f"{planned.name} is taken by a secret pending deletion ({what})",
                    f"aws secretsmanager restore-secret --secret-id {planned.name} (to keep it), or "
                    f"aws secretsmanager delete-secret --secret-id {planned.name} "
                    "--force-delete-without-recovery",
                )
            )
        else:
            result.append(
                Check(
                    name,
                    Status.FAIL,
                    f"{planned.name} already exists ({what}); the create would fail",
                    "delete or rename the existing resource (retained by an earlier stack?), or "
                    "change ProjectName or Environment",
                )
            )
    if free and not result:
        result.append(Check(name, Status.OK, f"{free} fixed name(s) free"))
    elif not facts.planned:
        result.append(Check(name, Status.OK, "the template sets no fixed name preflight looks up"))
    return result


# --- alarm topics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    arn: str
    region: str
    #: True exists, False not found, None not known (``error`` says why)
    exists: bool | None
    error: str | None = None


@dataclass(frozen=True)
class TopicFacts:
    parameter: str
    region: str
    topics: tuple[Topic, ...]


def check_alarm_topics(facts: TopicFacts) -> list[Check]:
    name, p = "alarm-topics", facts.parameter
    if not facts.topics:
        return [Check(name, Status.OK, f"{p} is empty: the alarms notify no one")]
    result: list[Check] = []
    for topic in facts.topics:
        if topic.region != facts.region:
            result.append(
                Check(
                    name,
                    Status.FAIL,
                    f"{topic.arn} is in {topic.region}, the stack in {facts.region}: "
                    "CloudWatch alarms notify topics in their own Region only",
                    f"create the topic in {facts.region} and put its ARN in {p}",
                )
            )
        elif topic.exists is False:
            result.append(
                Check(
                    name,
                    Status.FAIL,
                    f"{topic.arn} does not exist",
                    f"create it (aws sns create-topic) or fix {p}",
                )
            )
        elif topic.exists is None:
            result.append(_skipped(name, f"{topic.arn}: {topic.error}"))
    if not result:
        result.append(Check(name, Status.OK, f"{len(facts.topics)} topic(s) exist in {facts.region}"))
    return result


# --- buckets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    parameter: str
    name: str
    #: True exists and is readable, False does not exist, None not known (``error``)
    exists: bool | None
    region: str | None = None
    error: str | None = None
    #: the bucket policy (JSON text), None when it has none; only read for a log bucket
    policy: str | None = None
    policy_error: str | None = None


def check_buckets(buckets: Sequence[Bucket]) -> list[Check]:
    name = "buckets"
    result: list[Check] = []
    for bucket in buckets:
        if bucket.exists is False:
            result.append(
                Check(
                    name,
                    Status.FAIL,
                    f"{bucket.parameter}: bucket {bucket.name} does not exist",
                    f"create it, or put an existing bucket's name in {bucket.parameter}",
                )
            )
        elif bucket.exists is None:
            result.append(
                Check(
                    name,
                    Status.WARN,
                    f"{bucket.parameter}: bucket {bucket.name} not checked: {bucket.error}",
                    "check that the bucket exists and the role may read it",
                )
            )
    if not result:
        shown = ", ".join(f"{b.name} ({b.region})" if b.region else b.name for b in buckets)
        result.append(
            Check(
                name,
                Status.OK,
                f"{len(buckets)} bucket(s) exist: {shown}" if buckets else "no bucket to check",
            )
        )
    return result


def check_log_bucket(
    bucket: Bucket | None, region: str, principal: str, prefix: str, partition: str = "aws"
) -> list[Check]:
    name = "engine-log-bucket"
    if bucket is None:
        return [Check(name, Status.OK, "not set: no engine logs are delivered")]
    p = bucket.parameter
    if bucket.exists is False:
        return [
            Check(
                name,
                Status.FAIL,
                f"{p}: bucket {bucket.name} does not exist",
                f"create it in {region} with a policy letting {principal} s3:PutObject on "
                f"{bucket.name}/{prefix}*",
            )
        ]
    if bucket.exists is None:
        return [_skipped(name, f"{p} {bucket.name}: {bucket.error}")]
    if bucket.region and bucket.region != region:
        return [
            Check(
                name,
                Status.FAIL,
                f"{p}: bucket {bucket.name} is in {bucket.region}; the service "
                f"delivers logs only to a bucket in the instance's Region ({region})",
                f"use a bucket in {region}",
            )
        ]
    statement = json.dumps(log_policy_statement(bucket.name, principal, prefix, partition))
    fix = f"add this statement to the bucket policy: {statement}"
    if bucket.policy_error:
        return [_skipped(name, f"{p} {bucket.name} policy: {bucket.policy_error}")]
    if bucket.policy is None:
        return [
            Check(
                name,
                Status.FAIL,
                f"{p}: bucket {bucket.name} has no policy; the service cannot write engine logs to it",
                fix,
            )
        ]
    verdict = policy_allows(
        bucket.policy, principal, "s3:PutObject", f"arn:{partition}:s3:::{bucket.name}/{prefix}log"
    )
    if verdict == "denied":
        return [
            Check(
                name,
                Status.FAIL,
                f"{p}: bucket {bucket.name}'s policy denies {principal} s3:PutObject under {prefix}",
                "remove the Deny statement that matches it",
            )
        ]
    if verdict == "not allowed":
        return [
            Check(
                name,
                Status.FAIL,
                f"{p}: bucket {bucket.name}'s policy does not let {principal} put objects under {prefix}",
                fix,
            )
        ]
    if verdict == "conditional":
        return [
            Check(
                name,
                Status.WARN,
                f"{p}: bucket {bucket.name}'s policy allows {principal} under "
                f"{prefix} with conditions preflight does not evaluate",
                "check the conditions hold for the service's requests",
            )
        ]
    return [
        Check(
            name,
            Status.OK,
            f"{p}: bucket {bucket.name} in {bucket.region or region} lets "
            f"{principal} put objects under {prefix}",
        )
    ]


def log_policy_statement(bucket: str, principal: str, prefix: str, partition: str = "aws") -> dict[str, Any]:
    """The bucket policy statement the service needs to deliver logs."""
    return {
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": "s3:PutObject",
        "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}*",
    }


def policy_allows(policy: str, principal: str, action: str, resource: str) -> str:
    """ "allowed", "conditional" (allowed by a statement with a Condition), "denied" (an unconditional
    Deny matches) or "not allowed", for a service principal, an action and an object ARN."""
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        return "not allowed"
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    verdict = "not allowed"
    for statement in statements:
        if not isinstance(statement, dict) or not _statement_matches(statement, principal, action, resource):
            continue
        if statement.get("Effect") == "Deny" and not statement.get("Condition"):
            return "denied"
        if statement.get("Effect") == "Allow":
            if not statement.get("Condition"):
                verdict = "allowed"
            elif verdict == "not allowed":
                verdict = "conditional"
    return verdict


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]


def _statement_matches(statement: Mapping[str, Any], principal: str, action: str, resource: str) -> bool:
    who = statement.get("Principal")
    services = _listed(who.get("Service")) if isinstance(who, dict) else []
    if (
        who != "*"
        and principal not in services
        and not (isinstance(who, dict) and "*" in _listed(who.get("AWS")))
    ):
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement.get("Action"))):
        return False
    return any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement.get("Resource")))


# --- service APIs, storage, quota ----------------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    service: str
    operation: str
    purpose: str
    region: str
    error: str | None = None
    #: True when the error is a refusal of these credentials (the API answered)
    denied: bool = False


def check_probes(results: Sequence[ProbeResult]) -> list[Check]:
    name = "service-api"
    checks: list[Check] = []
    for r in results:
        call = f"{r.service} {r.operation}"
        if r.error is None:
            checks.append(Check(name, Status.OK, f"{call} answers in {r.region} ({r.purpose})"))
        elif r.denied:
            checks.append(
                Check(
                    name,
                    Status.WARN,
                    f"{call} answers in {r.region} but refused: {r.error}",
                    "the launch role needs it; this role only lacks the read",
                )
            )
        else:
            checks.append(
                Check(
                    name,
                    Status.FAIL,
                    f"{call} does not answer in {r.region}: {r.error}",
                    f"choose a Region that offers {r.service} ({r.purpose})",
                )
            )
    return checks


def check_storage(problem: str | None, values: Mapping[str, str], parameters: Sequence[str]) -> list[Check]:
    shown = ", ".join(f"{p}={values[p]}" for p in parameters if p in values)
    if problem:
        return [Check("storage", Status.FAIL, problem, "raise the size or choose another storage type")]
    return [Check("storage", Status.OK, f"storage type and size agree ({shown})")]


@dataclass(frozen=True)
class QuotaFacts:
    resource_type: str
    limit: int
    count: int | None
    error: str | None = None


def check_quota(facts: QuotaFacts) -> list[Check]:
    name = "quota"
    if facts.count is None:
        return [_skipped(name, facts.error or "no count")]
    if facts.count >= facts.limit:
        return [
            Check(
                name,
                Status.WARN,
                f"{facts.count} {facts.resource_type} in the Region, the default "
                f"quota is {facts.limit}: the create fails unless the quota was raised",
                "delete an unused one, or check the quota in the Service Quotas console",
            )
        ]
    return [Check(name, Status.OK, f"{facts.count} of the default {facts.limit} {facts.resource_type} used")]


# --- the clients' network ------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteFacts:
    """How one subnet reaches outside the VPC: ``default_route`` is "nat", "igw", "other" (a transit
    gateway, an appliance or a peering that may lead to a NAT) or None; ``gateway_services`` the
    services with a gateway endpoint on the subnet's route table."""

    subnet: str
    route_table: str | None
    default_route: str | None
    gateway_services: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NetworkFacts:
    parameter: str
    subnets: tuple[RouteFacts, ...]
    #: services with an interface endpoint with private DNS in the VPC
    interface_services: frozenset[str]
    #: service -> what the clients lack without it
    needs: Mapping[str, str]
    error: str | None = None


def check_client_network(facts: NetworkFacts) -> list[Check]:
    name = "client-network"
    if facts.error:
        return [_skipped(name, facts.error)]
    result: list[Check] = []
    unsure: list[str] = []
    for service, lack in facts.needs.items():
        cut_off = []
        for s in facts.subnets:
            if (
                service in facts.interface_services
                or service in s.gateway_services
                or s.default_route == "nat"
            ):
                continue
            if s.default_route == "other":
                unsure.append(f"{s.subnet} ({s.route_table})")
                continue
            cut_off.append(s.subnet)
        if cut_off:
            why = "; a route to an internet gateway does not help: VPC Lambda functions have no public IP"
            igw = any(s.default_route == "igw" for s in facts.subnets if s.subnet in cut_off)
            endpoint = "a gateway endpoint" if service == "s3" else "an interface endpoint with private DNS"
            result.append(
                Check(
                    name,
                    Status.WARN,
                    f"{', '.join(cut_off)} ({facts.parameter}) reach {service} neither through a NAT gateway "
                    f"nor a VPC endpoint: {lack}" + (why if igw else ""),
                    f"add a NAT gateway route or {endpoint} for {service}",
                )
            )
    if unsure and not result:
        result.append(
            Check(
                name,
                Status.WARN,
                f"{', '.join(sorted(set(unsure)))}: the default route goes to a transit "
                "gateway, an appliance or a peering; preflight cannot tell whether it reaches "
                f"{', '.join(facts.needs)}",
                "check that route leads to a NAT",
            )
        )
    if not result:
        result.append(Check(name, Status.OK, f"{facts.parameter} reach {', '.join(facts.needs)}"))
    return result

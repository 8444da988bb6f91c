"""The read-only AWS calls behind the preflight checks: each function fetches one group of facts.

Every client comes from :func:`tooling.aws.clients` (timeouts, bounded retries); every failure
becomes an ``error`` string in the facts (:func:`tooling.aws.explain`), never an exception, except in
:func:`identity`, whose failure means nothing else can be asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .. import aws
from .checks import (
    Bucket,
    Existing,
    NameFacts,
    NetworkFacts,
    PlannedName,
    ProbeResult,
    QuotaFacts,
    RouteFacts,
    Subnet,
    SubnetFacts,
    Topic,
    TopicFacts,
)

Make = Callable[..., Any]
_SNS_ARN = re.compile(r"arn:[a-z-]+:sns:([a-z0-9-]+):")
NOT_FOUND = frozenset({"404", "NoSuchBucket", "NotFound", "NotFoundException", "ResourceNotFoundException"})


def _fail(err: BaseException) -> str:
    if isinstance(err, aws.AwsProblem):
        return str(err)
    return aws.explain(err)


def identity(make: Make) -> dict[str, str]:
    """sts:GetCallerIdentity: the account and ARN; raises AwsProblem in one line."""
    try:
        answer = make("sts").get_caller_identity()
    except Exception as err:
        if isinstance(err, aws.AwsProblem):
            raise
        if not aws.is_aws_error(err):
            raise
        raise aws.AwsProblem(aws.explain(err)) from None
    return {"account": answer.get("Account", ""), "arn": answer.get("Arn", "")}


def subnets(
    make: Make,
    parameter: str,
    ids: Sequence[str],
    region: str,
    vpc_parameter: str | None,
    vpc_id: str | None,
    zones_needed: int,
    max_subnets: int | None,
) -> SubnetFacts:
    """ec2:DescribeSubnets with a subnet-id filter (unknown ids are left out, not an error)."""
    found: dict[str, Subnet] = {}
    error = None
    try:
        pages = (
            make("ec2")
            .get_paginator("describe_subnets")
            .paginate(Filters=[{"Name": "subnet-id", "Values": list(ids)}])
        )
        for page in pages:
            for s in page.get("Subnets", []):
                found[s["SubnetId"]] = Subnet(
                    s["SubnetId"], s.get("VpcId", ""), s.get("AvailabilityZone", "")
                )
    except Exception as err:
        error = _fail(err)
    return SubnetFacts(
        parameter, tuple(ids), found, region, vpc_parameter, vpc_id, zones_needed, max_subnets, error
    )


# --- fixed names ---------------------------------------------------------------------------------


def _instances(make: Make) -> list[Existing]:
    kind = "AWS::Timestream::InfluxDBInstance"
    found = []
    for page in make("timestream-influxdb").get_paginator("list_db_instances").paginate():
        for item in page.get("items", []):
            found.append(
                Existing(
                    kind,
                    item.get("name", ""),
                    frozenset(filter(None, (item.get("name"), item.get("id"), item.get("arn")))),
                )
            )
    return found


def _secret(make: Make, name: str) -> list[Existing]:
    answer = make("secretsmanager").list_secrets(
        IncludePlannedDeletion=True, Filters=[{"Key": "name", "Values": [name]}]
    )
    return [
        Existing(
            "AWS::SecretsManager::Secret",
            s["Name"],
            frozenset(filter(None, (s.get("Name"), s.get("ARN")))),
            pending_deletion=bool(s.get("DeletedDate")),
        )
        for s in answer.get("SecretList", [])
        if s.get("Name") == name  # the name filter matches prefixes
    ]


def _log_group(make: Make, name: str) -> list[Existing]:
    answer = make("logs").describe_log_groups(logGroupNamePrefix=name)
    return [
        Existing(
            "AWS::Logs::LogGroup",
            g["logGroupName"],
            frozenset(filter(None, (g.get("logGroupName"), g.get("arn")))),
        )
        for g in answer.get("logGroups", [])
        if g.get("logGroupName") == name
    ]


def _aliases(make: Make) -> list[Existing]:
    found = []
    for page in make("kms").get_paginator("list_aliases").paginate():
        for a in page.get("Aliases", []):
            found.append(
                Existing(
                    "AWS::KMS::Alias",
                    a["AliasName"],
                    frozenset(filter(None, (a.get("AliasName"), a.get("AliasArn")))),
                )
            )
    return found


#: Resource type -> every resource of it in the Region (one listing serves every name).
LISTINGS: dict[str, Callable[[Make], list[Existing]]] = {
    "AWS::Timestream::InfluxDBInstance": _instances,
    "AWS::KMS::Alias": _aliases,
}
#: Resource type -> the resources holding one name (a search by name).
LOOKUPS: dict[str, Callable[[Make, str], list[Existing]]] = {
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Logs::LogGroup": _log_group,
}


def names(make: Make, planned: Iterable[PlannedName], stack_name: str | None) -> NameFacts:
    """Who holds each planned name; with ``stack_name``, the stack's own physical ids (an update)."""
    planned = tuple(planned)
    existing: dict[tuple[str, str], tuple[Existing, ...]] = {}
    errors: dict[str, str] = {}
    listed: dict[str, list[Existing]] = {}
    for p in planned:
        if p.problem or p.resource_type in errors:
            continue
        try:
            if p.resource_type in LISTINGS:
                if p.resource_type not in listed:
                    listed[p.resource_type] = LISTINGS[p.resource_type](make)
                holders = [e for e in listed[p.resource_type] if e.name == p.name]
            elif p.resource_type in LOOKUPS:
                holders = LOOKUPS[p.resource_type](make, p.name)
            else:
                continue
        except Exception as err:
            errors[p.resource_type] = _fail(err)
            continue
        existing[(p.resource_type, p.name)] = tuple(holders)
    return NameFacts(planned, existing, stack_resources(make, stack_name) if stack_name else {}, errors)


def stack_resources(make: Make, stack_name: str) -> dict[str, str]:
    """Logical id -> physical id of an existing stack's resources ({} when there is no such stack)."""
    try:
        pages = make("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_name)
        return {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for page in pages
            for r in page.get("StackResourceSummaries", [])
        }
    except Exception:  # no such stack (ValidationError) or not readable: treated as a create
        return {}


def quota(make: Make, resource_type: str, limit: int) -> QuotaFacts:
    if resource_type not in LISTINGS:
        return QuotaFacts(resource_type, limit, None, f"preflight cannot count {resource_type}")
    try:
        return QuotaFacts(resource_type, limit, len(LISTINGS[resource_type](make)))
    except Exception as err:
        return QuotaFacts(resource_type, limit, None, _fail(err))


# --- topics, buckets, probes ---------------------------------------------------------------------


def topics(make: Make, parameter: str, arns: Sequence[str], region: str) -> TopicFacts:
    """sns:GetTopicAttributes in each topic's own Region (only for topics in the stack's Region)."""
    found = []
    for arn in arns:
        match = _SNS_ARN.match(arn)
        topic_region = match[1] if match else region
        if topic_region != region:
            found.append(Topic(arn, topic_region, None, "not looked up"))
            continue
        try:
            make("sns", topic_region).get_topic_attributes(TopicArn=arn)
            found.append(Topic(arn, topic_region, True))
        except Exception as err:
            if aws.error_code(err) in NOT_FOUND:
                found.append(Topic(arn, topic_region, False))
            else:
                found.append(Topic(arn, topic_region, None, _fail(err)))
    return TopicFacts(parameter, region, tuple(found))


def bucket(make: Make, parameter: str, name: str, with_policy: bool = False) -> Bucket:
    """s3:HeadBucket (and s3:GetBucketPolicy for a log bucket)."""
    s3 = make("s3")
    try:
        head = s3.head_bucket(Bucket=name)
    except Exception as err:
        code = aws.error_code(err)
        if code in NOT_FOUND:
            return Bucket(parameter, name, False)
        if code in ("403", "AccessDenied", "Forbidden"):
            return Bucket(
                parameter,
                name,
                None,
                error="it exists but these credentials may not read it "
                "(another account's bucket, or a role without s3:ListBucket)",
            )
        return Bucket(parameter, name, None, error=_fail(err))
    headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = head.get("BucketRegion") or headers.get("x-amz-bucket-region")
    if not with_policy:
        return Bucket(parameter, name, True, region)
    try:
        policy = s3.get_bucket_policy(Bucket=name).get("Policy")
        return Bucket(parameter, name, True, region, policy=policy)
    except Exception as err:
        if aws.error_code(err) == "NoSuchBucketPolicy":
            return Bucket(parameter, name, True, region, policy=None)
        return Bucket(parameter, name, True, region, policy_error=_fail(err))


def probe(
    make: Make, service: str, operation: str, arguments: Mapping[str, Any], purpose: str, region: str
) -> ProbeResult:
    try:
        getattr(make(service), operation)(**arguments)
        return ProbeResult(service, operation, purpose, region)
    except Exception as err:
        denied = aws.error_code(err) in aws.DENIED_CODES
        return ProbeResult(service, operation, purpose, region, _fail(err), denied)


# --- the clients' network ------------------------------------------------------------------------


def _default_route(routes: Iterable[Mapping[str, Any]]) -> str | None:
    for route in routes:
        if route.get("DestinationCidrBlock") != "0.0.0.0/0" or route.get("State") == "blackhole":
            continue
        if route.get("NatGatewayId"):
            return "nat"
        if str(route.get("GatewayId", "")).startswith("igw-"):
            return "igw"
        return "other"
    return None


def network(
    make: Make, parameter: str, subnet_ids: Sequence[str], vpc_id: str, needs: Mapping[str, str], region: str
) -> NetworkFacts:
    """ec2:DescribeRouteTables (each subnet's table, else the VPC's main table) and
    ec2:DescribeVpcEndpoints (gateway endpoints on those tables, interface endpoints with private DNS)."""
    ec2 = make("ec2")
    try:
        tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
            "VpcEndpoints"
        ]
    except Exception as err:
        return NetworkFacts(parameter, (), frozenset(), needs, _fail(err))
    by_subnet: dict[str, Mapping[str, Any]] = {}
    main = None
    for table in tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                by_subnet[association["SubnetId"]] = table
            if association.get("Main"):
                main = table

    def service_of(endpoint: Mapping[str, Any]) -> str:
        prefix = f"com.amazonaws.{region}."
        name = endpoint.get("ServiceName", "")
        return name[len(prefix) :] if name.startswith(prefix) else name.rsplit(".", 1)[-1]

    # Keyed on what each kind carries (a gateway endpoint its route tables, an interface endpoint
    # private DNS), so an answer that leaves VpcEndpointType out (moto's) is read the same way.
    live = [e for e in endpoints if e.get("State", "available").lower() == "available"]
    interface = frozenset(
        service_of(e)
        for e in live
        if e.get("VpcEndpointType") != "Gateway" and not e.get("RouteTableIds") and e.get("PrivateDnsEnabled")
    )
    facts = []
    for subnet in subnet_ids:
        table = by_subnet.get(subnet, main) or {}
        table_id = table.get("RouteTableId")
        gateway = frozenset(
            service_of(e) for e in live if table_id and table_id in e.get("RouteTableIds", [])
        )
        facts.append(RouteFacts(subnet, table_id, _default_route(table.get("Routes", [])), gateway))
    return NetworkFacts(parameter, tuple(facts), interface, needs)

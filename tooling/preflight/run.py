"""``build.py preflight``: the offline validation deploy makes, then read-only AWS checks, one line each.

Exit status: 0 when no check failed (warnings allowed), 1 on any ✗ and on any problem reaching AWS
(:class:`tooling.aws.AwsProblem`: no Region, an unknown profile, an unreadable AWS config file; as
deploy and restore), 2 on invalid input (:class:`PreflightError`: no template, an unreadable one),
130 interrupted (cli.py).
Nothing is created or changed: every call is a Describe, List, Get or Head.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from templates_src.registry import Prerequisites, spec_for_file

from .. import aws
from ..deploy import params as params_
from . import checks as c
from . import gather
from .names import planned_names

EXIT_OK, EXIT_FAILED = 0, 1
SUBNET_LIST_TYPE = "List<AWS::EC2::Subnet::Id>"
VPC_TYPE = "AWS::EC2::VPC::Id"


class PreflightError(Exception):
    """Input the user must fix before anything can be checked; one line, exit status 2."""


@dataclass
class PreflightOptions:
    params_path: Path
    template_path: Path
    target: aws.Target = field(default_factory=aws.Target)
    stack_name: str | None = None
    #: where secrets are read from, as deploy reads them (they may be absent)
    environ: Mapping[str, str] = field(default_factory=dict)


def load_template(path: Path) -> dict[str, Any]:
    from ..deploy.runner import load_template as load

    if not path.is_file():
        raise PreflightError(f"no template {path}: run `make build` first, or pass --template")
    try:
        return load(path)
    except Exception as err:  # YAML or JSON errors of several libraries
        raise PreflightError(
            f"{path} is not a readable template: {' '.join(str(err).split())[:200]}"
        ) from None


def preflight(
    options: PreflightOptions, out: Callable[[str], None] = print, make: gather.Make | None = None
) -> int:
    """Run every check in :data:`checks.CATALOGUE` order, print one line each, return the exit status."""
    template = load_template(options.template_path)
    spec = spec_for_file(options.template_path)
    # An unknown profile or an unreadable AWS config file is said as it is (AwsProblem, exit 1),
    # not hidden behind "no AWS Region".
    region = aws.session(options.target).region_name
    if not region:
        raise aws.AwsProblem(
            "no AWS Region: pass --region or set AWS_DEFAULT_REGION (or a region in your AWS profile)"
        )
    found = params_.read_and_check(options.params_path, template, options.environ, spec, region)
    prereq = spec.prerequisites if spec and spec.prerequisites else Prerequisites()
    values = params_.effective_values(template, found.values)
    results: list[c.Check] = parameter_checks(options.params_path, found, values, prereq)
    results.extend(region_checks(options.target, region))
    if found.problems and not found.values:  # the file itself is unreadable: nothing else to check
        return _finish(results, out, only_failures=True)
    if make is None:
        make = aws.clients(options.target)
    try:
        who = gather.identity(make)
    except aws.AwsProblem as err:
        region_hint = any(r.name == "region" and r.status is not c.Status.OK for r in results)
        hint = f" (and {region} is not a Region botocore knows: check --region)" if region_hint else ""
        results.append(c.Check("credentials", c.Status.FAIL, f"{err}{hint}"))
        return _finish(results, out, only_failures=True)
    results.append(
        c.Check("credentials", c.Status.OK, f"account {who['account']} as {who['arn']} in {region}")
    )
    partition = who["arn"].split(":")[1] if who["arn"].startswith("arn:") else "aws"
    results.extend(account_checks(make, template, values, prereq, region, partition, options.stack_name))
    return _finish(results, out)


def _finish(results: list[c.Check], out: Callable[[str], None], only_failures: bool = False) -> int:
    failed = [r for r in results if r.status is c.Status.FAIL]
    shown = failed if only_failures else results
    for result in shown:
        out(result.line())
    if not only_failures:
        warned = sum(r.status is c.Status.WARN for r in results)
        verdict = "the create would fail: fix the ✗ lines" if failed else "nothing found that stops a create"
        out(f"preflight: {len(failed)} ✗, {warned} !, {len(results) - len(failed) - warned} ✓: {verdict}")
    return EXIT_FAILED if failed else EXIT_OK


def parameter_checks(
    path: Path, found: params_.ParameterSet, values: Mapping[str, str], prereq: Prerequisites
) -> list[c.Check]:
    """The offline validation as check lines (the storage rule is left to its own line)."""
    storage = prereq.storage_problem(values) if prereq.storage_problem and found.values else None
    fix = f'edit {path} (a JSON array of "Key=Value" strings)'
    lines = [
        c.Check("parameters", c.Status.FAIL, str(problem), fix)
        for problem in found.problems
        if problem.message != storage
    ]
    if not found.problems:
        secrets = ", ".join(sorted(found.from_env)) or "none (the template generates them)"
        lines.append(
            c.Check(
                "parameters",
                c.Status.OK,
                f"{path}: {len(found.values)} value(s) valid offline; "
                f"secrets from the environment: {secrets}",
            )
        )
    return lines


def region_checks(target: aws.Target, region: str) -> list[c.Check]:
    """Whether botocore's endpoint data knows the Region. (Whether a service is offered there is
    left to the service-api line: botocore's endpoints data does not list every newer service.)"""
    session = aws.session(target)
    partitions = session.get_available_partitions()

    known = {r for p in partitions for r in session.get_available_regions("ec2", partition_name=p)}
    if region not in known:
        return [
            c.Check(
                "region",
                c.Status.WARN,
                f"{region} is not a Region botocore knows",
                "check --region / AWS_DEFAULT_REGION (or update botocore if the Region is new)",
            )
        ]
    return [c.Check("region", c.Status.OK, region)]


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def account_checks(
    make: gather.Make,
    template: Mapping[str, Any],
    values: Mapping[str, str],
    prereq: Prerequisites,
    region: str,
    partition: str,
    stack_name: str | None,
) -> list[c.Check]:
    """Every check that reads the account, in :data:`checks.CATALOGUE` order."""
    parameters = template.get("Parameters") or {}
    subnet_params = [n for n, d in parameters.items() if d.get("Type") == SUBNET_LIST_TYPE and values.get(n)]
    vpc_param = next((n for n, d in parameters.items() if d.get("Type") == VPC_TYPE and values.get(n)), None)
    vpc_id = values.get(vpc_param) if vpc_param else None
    zones = prereq.zones_needed(values) if prereq.zones_needed else 1
    results: list[c.Check] = []
    for p in subnet_params:
        facts = gather.subnets(
            make, p, _list(values[p]), region, vpc_param, vpc_id, zones, prereq.max_subnets
        )
        results.extend(c.check_subnets(facts))
    refs = {"AWS::Region": region, "AWS::Partition": partition, "AWS::URLSuffix": "amazonaws.com"}
    if stack_name:
        refs["AWS::StackName"] = stack_name
    results.extend(c.check_names(gather.names(make, planned_names(template, values, refs), stack_name)))
    if prereq.alarm_topics:
        topics = gather.topics(make, prereq.alarm_topics, _list(values.get(prereq.alarm_topics, "")), region)
        results.extend(c.check_alarm_topics(topics))
    buckets = [gather.bucket(make, p, values[p]) for p in prereq.buckets if values.get(p)]
    if prereq.buckets:
        results.extend(c.check_buckets(buckets))
    if prereq.log_bucket:
        name = values.get(prereq.log_bucket, "")
        log = gather.bucket(make, prereq.log_bucket, name, with_policy=True) if name else None
        results.extend(c.check_log_bucket(log, region, prereq.log_principal, prereq.log_prefix, partition))
    probes = [
        gather.probe(make, p.service, p.operation, p.arguments, p.purpose, region) for p in prereq.probes
    ]
    results.extend(c.check_probes(probes))
    if prereq.storage_problem:
        results.extend(c.check_storage(prereq.storage_problem(values), values, prereq.storage_parameters))
    if prereq.quota:
        results.extend(c.check_quota(gather.quota(make, *prereq.quota)))
    if prereq.client_services and vpc_id:
        for p in subnet_params:
            facts = gather.network(make, p, _list(values[p]), vpc_id, prereq.client_services, region)
            results.extend(c.check_client_network(facts))
    return results

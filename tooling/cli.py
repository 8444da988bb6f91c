#!/usr/bin/env python3
"""Command line of the Timestream for InfluxDB catalog.

Build, lint, document and list the templates; deploy and publish them; restore a backup.

A thin layer over ``templates_src`` (what is built) and ``tooling`` (what is done with it); it
holds no template logic. Run ``build.py COMMAND --help`` for each command's options.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tooling.paths import project_path

# Defaults are under the project root whatever the working directory (given paths are the user's).
OUTPUT_DIR = project_path("output")
#: The template deploy and preflight use without --template: the InfluxDB 2 instance product.
DEFAULT_TEMPLATE = OUTPUT_DIR / "timestream-influxdb.yaml"


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def cmd_build(args: argparse.Namespace) -> int:
    from tooling.build.options import OptionParseError, parse_options
    from tooling.build.pipeline import Stopwatch, build, specs_for

    watch = Stopwatch()
    specs = _specs(specs_for, args.templates)
    options = {}
    if args.option:
        if len(args.templates) != 1:
            raise CommandError("--option needs exactly one TEMPLATE, to know whose options they are")
        try:
            options[specs[0].name] = parse_options(specs[0].options, args.option)
        except OptionParseError as err:
            raise CommandError(f"{specs[0].name}: {err}") from None
    _check_output_dir(Path(args.output_dir))
    if not args.no_lint:
        _prestart_gates()
    try:
        result = build(specs, Path(args.output_dir), options, lint=not args.no_lint)
    except OSError as err:  # a read-only or full output directory: the user's to fix, in one line
        raise CommandError(_os_problem(err)) from None
    for problem in result.all_problems():
        print(problem, file=sys.stderr)
    status = "done" if result.ok else "failed"
    print(f"build   {status}: {len(result.written)} template(s) in {args.output_dir}/  {watch.seconds()}")
    return 0 if result.ok else 1


def cmd_lint(args: argparse.Namespace) -> int:
    from tooling.build.pipeline import Stopwatch

    watch = Stopwatch()
    paths = [Path(p) for p in args.files] or sorted(Path(args.output_dir).glob("*.yaml"))
    if not paths:
        raise CommandError(f"no templates in {args.output_dir}/; run `make build` first")
    texts = {}
    for path in paths:
        if not path.is_file():
            raise CommandError(f"no such template file: {path}")
        try:
            texts[str(path)] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise CommandError(f"cannot read {path}: not UTF-8 text (byte {err.start + 1})") from None
        except OSError as err:
            raise CommandError(f"cannot read {path}: {err.strerror or err}") from None
    _prestart_gates()
    from tooling.gates import summary_table
    from tooling.gates.run import findings_of, run_gates

    results = run_gates(texts)
    found = findings_of(results)
    for finding in found:
        print(finding, file=sys.stderr)
    print(summary_table(results, watch.elapsed()))
    print(
        f"lint    {'failed' if found else 'done'}: {len(found)} finding(s) in {len(paths)} template(s)  {watch.seconds()}"
    )
    return 1 if found else 0


def _check_output_dir(path: Path) -> None:
    """Refuse, in one line and before the gates run (seconds; a first run also makes checkov's
    tool environment), an output directory the build could not write in: a path through a file,
    or a directory (the nearest that exists, for one still to be made) without write permission.
    Nothing is made here. What only the write finds (a full disk, a template path that is a
    directory) is still refused then, in one line."""
    nearest = path
    while not nearest.is_dir() and nearest.parent != nearest:  # "." ends it, even if removed
        if os.path.lexists(nearest):  # a file, or a link to nothing or to itself
            raise CommandError(f"cannot write {path}: {nearest} is not a directory")
        nearest = nearest.parent
    if not os.access(nearest, os.W_OK | os.X_OK):  # a read-only file system too
        raise CommandError(f"cannot write {path}: Permission denied")


def _prestart_gates() -> None:
    """Start the background gates' tools (checkov), so their start-up overlaps rendering and the
    other gates. Called once the input is known to be good: on a first run this makes checkov's
    tool environment (tens of seconds, from the package index), which a typo must not cost."""
    from tooling.gates import prestart

    prestart()


def cmd_publish(args: argparse.Namespace) -> int:
    from tooling import aws
    from tooling.build.pipeline import Stopwatch, build
    from tooling.publish import CallFailed, ConfigError, PublishError, clients_for, load, publish_all
    from tooling.publish.config import check_version

    watch = Stopwatch()
    target = aws.Target(profile=args.profile, endpoint_url=args.endpoint_url)
    try:
        session = aws.session(target)
        offered = {
            region
            for partition in session.get_available_partitions()
            for region in session.get_available_regions("servicecatalog", partition_name=partition)
        }
    except aws.AwsProblem as err:
        raise CommandError(str(err)) from None
    overrides = list(args.set)
    if args.region:
        overrides.append(f"regions={','.join(args.region)}")
    try:
        check_version(args.version)
        catalog = load(
            Path(args.config), overrides, known_regions=offered, default_region=session.region_name
        ).select(args.product or ())
    except ConfigError as err:
        raise CommandError(str(err)) from None
    try:
        credentials = session.get_credentials()
    except Exception as err:  # botocore's credential providers raise several kinds (SSO, processes)
        raise CommandError(f"{aws.explain(err)}; nothing was changed") from None
    if credentials is None:
        raise CommandError(
            "no AWS credentials found (environment, profile, SSO or instance role); nothing was changed"
        )

    from templates_src.registry import TEMPLATES

    specs = [TEMPLATES[config.template] for config in catalog.products]
    _check_output_dir(Path(args.output_dir))
    try:
        result = build(specs, Path(args.output_dir), log=lambda line: None)
    except OSError as err:
        raise CommandError(_os_problem(err)) from None
    if not result.ok:
        for problem in result.all_problems():
            print(problem, file=sys.stderr)
        raise CommandError(
            f"{', '.join(name for name, found in result.problems.items() if found)} has "
            f"{len(result.all_problems())} finding(s); nothing was published"
        )
    texts = {spec.name: (Path(args.output_dir) / spec.filename).read_text() for spec in specs}
    for spec in specs:
        print(f"publish 1/5 build    {spec.filename}: built, 0 findings  {watch.seconds()}")
    try:
        publish_all(
            catalog,
            args.version,
            texts,
            clients_for(target),
            replace=args.replace,
            deprecate_older=args.deprecate_older,
            dry_run=args.dry_run,
            offered_regions=offered,
        )
    except (PublishError, aws.AwsProblem) as err:
        raise CommandError(str(err)) from None
    except CallFailed as err:
        print(
            f"build.py publish: step {err.call.step}/5 {err}; nothing was undone: rerun the same command to finish",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from tooling.build.pipeline import Stopwatch
    from tooling.build.render import write_atomic
    from tooling.docs import DocsError, generated_documents, render_documents

    watch = Stopwatch()
    root = Path(args.root)
    documents = generated_documents(root)
    missing = [path for path in documents if not path.is_file()]
    if missing:
        raise CommandError(f"no such file: {missing[0]}")
    try:
        rendered = render_documents(documents)
    except DocsError as err:
        raise CommandError(str(err)) from None
    stale = [path for path, (current, fresh) in rendered.items() if current != fresh]
    if args.check:
        for path in stale:
            print(f"docs    {path} is stale: run `make docs` and commit it", file=sys.stderr)
        if not stale:
            print(f"docs    {len(rendered)} document(s) up to date  {watch.seconds()}")
        return 1 if stale else 0
    for path, (_, fresh) in rendered.items():
        try:
            changed = write_atomic(path, fresh)
        except OSError as err:
            raise CommandError(_os_problem(err)) from None
        print(f"docs    {str(path):<36} {'updated' if changed else 'unchanged'}")
    print(f"docs    done: {len(rendered)} document(s)  {watch.seconds()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from templates_src.registry import TEMPLATES
    from tooling.build.options import describe_options

    for spec in TEMPLATES.values():
        print(f"{spec.name}  ->  {OUTPUT_DIR / spec.filename}\n    {spec.summary}")
        for name, type_name, default in describe_options(spec.options):
            print(f"    --option {name}=...   ({type_name}; default {default})")
    return 0


def template_for(given: str | None, params: Path) -> Path:
    """The template of a deploy or preflight: ``--template``, else the default one, unless the
    parameter file names parameters only another product's template has (a cluster's or an
    InfluxDB 3 file given without --template): that is refused in one line naming the template."""
    if given is not None:
        return Path(given)
    from templates_src.registry import PRODUCTS
    from tooling.deploy.params import parse_file_text, templates_taking
    from tooling.deploy.runner import DeployError, load_template

    def parameters_of(path: Path) -> set[str]:
        return set(load_template(path).get("Parameters") or {})

    try:
        keys, _ = parse_file_text(params.read_text(encoding="utf-8"), str(params))
        default = parameters_of(DEFAULT_TEMPLATE)
        if not keys or set(keys) <= default:
            return DEFAULT_TEMPLATE  # the others are read only when needed (~0.2 s each)
        parameters = {DEFAULT_TEMPLATE: default}
        for path in (OUTPUT_DIR / p.filename for p in PRODUCTS):
            if path not in parameters:
                parameters[path] = parameters_of(path)
    except (OSError, UnicodeError, DeployError):
        return DEFAULT_TEMPLATE  # unreadable: the command says so, with the default template
    taking = templates_taking(keys, parameters)
    if len(taking) == 1:
        (other,) = taking
        only = sorted(set(keys) - parameters[DEFAULT_TEMPLATE])
        raise CommandError(
            f"{params} gives {', '.join(only[:3])}{', ...' if len(only) > 3 else ''}, parameters of "
            f"{other.name}, not of the default template {DEFAULT_TEMPLATE.name}: add --template {other}"
        )
    return DEFAULT_TEMPLATE


def cmd_deploy(args: argparse.Namespace) -> int:
    import os

    from tooling import aws
    from tooling.deploy.runner import DeployError, DeployOptions, deploy, resolve_bucket

    try:
        bucket = resolve_bucket(args.s3_bucket, Path(args.config))
    except DeployError as err:
        raise CommandError(str(err)) from None
    target = aws.Target(args.profile, args.region, args.endpoint_url)
    options = DeployOptions(
        stack_name=args.stack_name,
        template_path=template_for(args.template, Path(args.params)),
        params_path=Path(args.params),
        allow_data_loss=args.allow_data_loss,
        dry_run=args.dry_run,
        no_execute=args.no_execute,
        poll_seconds=args.poll_seconds,
        environ=dict(os.environ),
        bucket=bucket,
        endpoint_url=args.endpoint_url,
        region=aws.region_of(target),
    )
    try:
        return deploy(options, aws.clients(target))
    except DeployError as err:
        raise CommandError(str(err)) from None
    except aws.AwsProblem as err:
        print(f"build.py deploy: {err}", file=sys.stderr)
        return 1


def cmd_preflight(args: argparse.Namespace) -> int:
    import os

    from tooling import aws
    from tooling.preflight.run import PreflightError, PreflightOptions, preflight

    options = PreflightOptions(
        params_path=Path(args.params),
        template_path=template_for(args.template, Path(args.params)),
        target=aws.Target(args.profile, args.region, args.endpoint_url),
        stack_name=args.stack_name,
        environ=dict(os.environ),
    )
    try:
        return preflight(options)
    except PreflightError as err:
        raise CommandError(str(err)) from None
    except aws.AwsProblem as err:  # no Region, an unknown profile...: exit 1, as deploy and restore
        print(f"build.py preflight: {err}", file=sys.stderr)
        return 1


def secret_variables() -> str:
    """The environment variables deploy reads secret parameters from, for every product."""
    from templates_src.registry import PRODUCTS

    pairs = {f"{v} ({k})" for p in PRODUCTS for k, v in p.secret_env.items()}
    return " and ".join(sorted(pairs)) or "none"


def fixed_parameters() -> str:
    """The parameters each product fixes after launch, for the deploy help."""
    from templates_src.registry import PRODUCTS

    return (
        "; ".join(f"{p.name}: {', '.join(p.fixed_parameters)}" for p in PRODUCTS if p.fixed_parameters)
        or "none"
    )


def preflight_help() -> str:
    """The checks, one per line, from the catalogue the command runs (so help cannot drift)."""
    import textwrap

    from tooling.preflight.checks import CATALOGUE

    def wrap(text: str, first: str) -> str:
        return textwrap.fill(text, 100, initial_indent=first, subsequent_indent=" " * 21)

    return "checks, in order:\n" + "\n".join(
        wrap(f"{d.verifies}. Calls: {d.calls}. Fix: {d.fix}.", f"  {d.name:<18} ") for d in CATALOGUE
    )


def cmd_restore(args: argparse.Namespace) -> int:
    from tooling import aws, restore

    make = aws.clients(aws.Target(args.profile, args.region, args.endpoint_url))
    groups = tuple(g.strip() for g in (args.security_group_ids or "").split(",") if g.strip())
    try:  # making a client can fail too (no Region, a missing profile, a bad endpoint URL)
        return restore.command(
            make("cloudformation"),
            make("timestream-influxdb"),
            make("ec2"),
            stack=args.stack,
            new_name=args.name,
            backup_id=args.backup,
            to_time=args.to_time,
            list_only=args.list,
            dry_run=args.dry_run,
            security_group_ids=groups,
            confirm=(lambda: True) if args.yes else _confirm,
        )
    except restore.RestoreError as err:
        raise CommandError(str(err)) from None
    except aws.AwsProblem as err:
        print(f"build.py restore: {err}", file=sys.stderr)
        return 1
    except Exception as err:
        if not aws.is_aws_error(err):
            raise
        print(f"build.py restore: {aws.explain(err)}", file=sys.stderr)
        return 1


def _confirm() -> bool:
    """The typed answer; no answer (stdin closed or not a terminal's) is a no, said in one line."""
    try:
        return input("restore? type yes to go on: ").strip().lower() == "yes"
    except EOFError:
        print("\nbuild.py restore: no answer on stdin: pass --yes", file=sys.stderr)
        return False


def _os_problem(err: OSError) -> str:
    """``cannot write output/x.yaml: Permission denied``: an OSError as one line."""
    where = f" {err.filename}" if err.filename else ""
    return f"cannot write{where}: {err.strerror or err}"


def _specs(specs_for, names):
    try:
        return specs_for(names)
    except KeyError as err:
        raise CommandError(err.args[0]) from None


def parser() -> argparse.ArgumentParser:
    from tooling import gates

    top = argparse.ArgumentParser(
        prog="build.py",
        description="Build, lint, document, list, deploy and publish the CloudFormation templates of the Timestream for InfluxDB catalog.",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "build",
        help="render every template (or the ones named), lint it, write it to output/",
        description=(
            "Render templates from templates_src, check their size and run every gate on them "
            f"({gates.described()}); write the clean ones to the output directory atomically. A "
            "template with any finding is not written: its text goes to .build/rejected/, which "
            "the findings' lines refer to. Clean verdicts are cached by content hash in "
            ".build/gates. Exit status: 0 every template written, 1 a finding or a template over "
            "the size limit, 2 invalid input or an output directory that cannot be written, 130 "
            "interrupted."
        ),
    )
    b.add_argument(
        "templates", nargs="*", metavar="TEMPLATE", help="template names (default: all; see `list`)"
    )
    b.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a build option of the one TEMPLATE named (repeatable; see `list`)",
    )
    b.add_argument("--output-dir", default=str(OUTPUT_DIR), help="where to write (default: output)")
    b.add_argument(
        "--no-lint", action="store_true", help="skip every gate (for a quick look; never for a release)"
    )
    b.set_defaults(func=cmd_build)

    lint = sub.add_parser(
        "lint",
        help=f"run every gate ({', '.join(gates.names())}) over template files",
        description=(
            f"Check YAML or JSON templates (default: every output/*.yaml) with {gates.described()}, "
            "concurrently; print one line per finding and a summary table; exit 1 on any finding. "
            "Every template is checked afresh (the build reuses clean verdicts instead). Exit "
            "status: 0 no finding, 1 a finding, 2 invalid input, 130 interrupted."
        ),
    )
    lint.add_argument("files", nargs="*", metavar="FILE", help="template files (default: output/*.yaml)")
    lint.add_argument("--output-dir", default=str(OUTPUT_DIR), help="where the default files are")
    lint.set_defaults(func=cmd_lint)

    d = sub.add_parser(
        "deploy",
        help="deploy a built template with a CloudFormation change set that never drops the database",
        description=(
            "Validate a parameter file offline (all problems at once, before any AWS call), upload the "
            "template to S3 (--s3-bucket, or bucket: of catalog.yaml; content-addressed, so once), create a "
            "change set (CREATE or UPDATE) from its URL, print it, refuse it when it would replace or delete the "
            "database (instance or cluster), a secret or the KMS key (naming the parameters that cause it) "
            f"or change a parameter fixed after launch ({fixed_parameters()}), then "
            "execute it and stream the stack events. The stack gets a stack policy denying "
            "Update:Replace and Update:Delete on those resources, set again on every deploy where it "
            "differs and after an --allow-data-loss update on every path. Secrets come from the "
            f"environment: {secret_variables()}. Exit "
            "status: 0 success or no changes, 1 failed or refused (including any AWS error, said in one "
            "line), 2 invalid input, 130 interrupted."
        ),
    )
    d.add_argument("--stack-name", required=True, help="CloudFormation stack to create or update")
    d.add_argument(
        "--params",
        required=True,
        metavar="FILE",
        help='parameter file: a JSON array of "Key=Value" strings (params/*.json)',
    )
    d.add_argument(
        "--template",
        default=None,
        help="template file (default: output/timestream-influxdb.yaml; a parameter file of another "
        "product's template is refused without it)",
    )
    d.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="execute even if the InfluxDB instance, a secret or the KMS key is replaced or deleted",
    )
    mode = d.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="upload the template (the change set reads it from S3), print the change set, delete it; "
        "change no stack",
    )
    mode.add_argument(
        "--no-execute", action="store_true", help="leave the change set for review instead of executing it"
    )
    d.add_argument("--region", help="AWS Region (default: from the environment or the AWS config)")
    d.add_argument("--profile", help="AWS named profile (default: from the environment)")
    d.add_argument(
        "--s3-bucket",
        help="bucket the template is uploaded to, as templates/<name>/<sha256>.yaml "
        "(default: bucket: of the --config file)",
    )
    d.add_argument(
        "--config",
        default=str(project_path("catalog.yaml")),
        help="where the default bucket is read (default: catalog.yaml)",
    )
    d.add_argument(
        "--endpoint-url", help="CloudFormation and S3 endpoint (for a local test server such as moto)"
    )
    d.add_argument(
        "--poll-seconds", type=float, default=5.0, help="seconds between status checks (default: 5)"
    )
    d.set_defaults(func=cmd_deploy)

    pf = sub.add_parser(
        "preflight",
        help="check a parameter file against the account with read-only AWS calls, before a create",
        description=(
            "Validate a parameter file offline as deploy does, then check it against the AWS account with "
            "read-only calls (Describe, List, Get, Head; nothing is created), one line per check: ✓ passes, "
            "✗ the create would fail (with the fix), ! worth knowing or not checkable. Secrets "
            "(INFLUXDB_ADMIN_PASSWORD, INFLUXDB_TOKEN) are read from the environment when set and need not "
            "be. Exit status: 0 no ✗ (warnings allowed), 1 any ✗ or a problem reaching AWS (no Region, an "
            "unknown profile, no answer), 2 invalid input (no or an unreadable template), 130 interrupted."
        ),
        epilog=preflight_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pf.add_argument(
        "--params",
        required=True,
        metavar="FILE",
        help='parameter file: a JSON array of "Key=Value" strings (params/*.json)',
    )
    pf.add_argument(
        "--template",
        default=None,
        help="template file (default: output/timestream-influxdb.yaml; a parameter file of another "
        "product's template is refused without it)",
    )
    pf.add_argument(
        "--stack-name",
        help="the stack to create or update: names it holds count as free; needed when a name uses it",
    )
    pf.add_argument("--region", help="AWS Region (default: from the environment or the AWS config)")
    pf.add_argument("--profile", help="AWS named profile (default: from the environment)")
    pf.add_argument("--endpoint-url", help="endpoint for every call (for a local test server such as moto)")
    pf.set_defaults(func=cmd_preflight)

    docs = sub.add_parser(
        "docs",
        help="regenerate the reference sections of README.md and docs/OPERATIONS.md from the templates",
        description=(
            "Rewrite the parts of README.md (templates, diagram, parameters, outputs, resources) and "
            "docs/OPERATIONS.md (alarms, changes, retained) between <!-- BEGIN GENERATED: NAME --> "
            "and <!-- END GENERATED: NAME --> markers from every registered template; the rest of "
            "each file is left as it is. Exit status: 0 written (or up to date with --check), "
            "1 stale (--check), 2 invalid input or a file that cannot be written, 130 interrupted."
        ),
    )
    docs.add_argument(
        "--root",
        default=str(project_path()),
        help="directory holding README.md and docs/ (default: the project)",
    )
    docs.add_argument("--check", action="store_true", help="change nothing; exit 1 when the file is stale")
    docs.set_defaults(func=cmd_docs)

    r = sub.add_parser(
        "restore",
        help="list a stack's InfluxDB backups, or restore one to a new instance",
        description=(
            "List the backups of the InfluxDB instance of STACK, or restore one to a NEW instance "
            "(same subnets; a new security group copying the rules of the instance's groups, or "
            "--security-group-ids; the stack's instance is not changed). Without --backup, the newest "
            "completed backup; with --to-time, the usable CONTINUOUS backup at that time (point-in-time "
            "recovery). Prints what it will do and asks before doing it. Exit status: 0 done (or "
            "listed, planned), 1 cancelled or failed (including AWS errors), 2 invalid input (a "
            "stack or backup that does not exist, a bad name or time), 130 interrupted."
        ),
    )
    r.add_argument("stack", metavar="STACK", help="name of the product's CloudFormation stack")
    r.add_argument("--list", action="store_true", help="only list the backups")
    r.add_argument("--name", help="name of the new instance (3-40 letters, digits, single hyphens)")
    r.add_argument("--backup", metavar="ID", help="backup id (default: the newest completed backup)")
    r.add_argument(
        "--to-time", metavar="TIME", help="ISO 8601 time for a point-in-time restore (UTC if no offset)"
    )
    r.add_argument(
        "--security-group-ids",
        metavar="SG[,SG]",
        help="security groups for the new instance (default: a new group with the rules of the stack "
        "instance's groups; never the stack's own)",
    )
    r.add_argument("--region", help="AWS Region (default: the configured one)")
    r.add_argument("--profile", help="AWS named profile (default: from the environment)")
    r.add_argument("--endpoint-url", help="one endpoint for every AWS call (for a local test server)")
    r.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.set_defaults(func=cmd_restore)

    ls = sub.add_parser(
        "list",
        help="list the templates and their build options",
        description="List the registered templates, their output files and their build options.",
    )
    ls.set_defaults(func=cmd_list)

    pub = sub.add_parser(
        "publish",
        help="publish the product templates as Service Catalog product versions",
        description=(
            "Build and lint the product templates catalog.yaml lists, upload them to S3 "
            "(content-addressed, encrypted), find or create the portfolio and each product, create "
            "the versions, and set each product's launch constraint (its own launch role), the "
            "principals, TagOptions and shares. Every step is idempotent: rerun after a failure. "
            "Uses the standard AWS credential chain."
        ),
    )
    pub.add_argument(
        "--version", required=True, help="the version to publish, e.g. 1.2.0 (MAJOR.MINOR.PATCH)"
    )
    pub.add_argument(
        "--config",
        default=str(project_path("catalog.yaml")),
        help="configuration file (default: catalog.yaml)",
    )
    pub.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a configuration value, e.g. products.timestream-influxdb.name=X, "
        "regions=us-east-1,sa-east-1, "
        "tag_options.Environment=dev,prod (repeatable)",
    )
    pub.add_argument(
        "--region", action="append", help="publish in this Region (repeatable; overrides regions)"
    )
    pub.add_argument(
        "--product",
        action="append",
        metavar="NAME",
        help="publish only this product of catalog.yaml, by template or product name (repeatable; "
        "default: every product)",
    )
    pub.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    pub.add_argument(
        "--endpoint-url",
        help="Service Catalog and S3 endpoint (for a local test server); unreachable: one line within 30 s",
    )
    pub.add_argument(
        "--replace", action="store_true", help="replace VERSION when it exists with another template"
    )
    pub.add_argument(
        "--deprecate-older", action="store_true", help="set Guidance DEPRECATED on earlier versions"
    )
    pub.add_argument("--dry-run", action="store_true", help="print the mutating calls, make none")
    pub.add_argument("--output-dir", default=str(OUTPUT_DIR), help="where the build writes (default: output)")
    pub.set_defaults(func=cmd_publish)
    return top


def main(argv: list[str] | None = None) -> int:
    from tooling import interrupt

    args = parser().parse_args(argv)
    interrupt.install()  # a Ctrl-C is "interrupted" (130) even where a library swallowed it
    try:
        return args.func(args)
    except CommandError as err:
        print(f"build.py {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"build.py {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Command line of the Timestream for InfluxDB catalog: build, lint, list; restore a backup.

A thin layer over ``templates_src`` (what is built) and ``tooling`` (what is done with it); it
holds no template logic. Run ``build.py COMMAND --help`` for each command's options.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OUTPUT_DIR = Path("output")


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def cmd_build(args: argparse.Namespace) -> int:
    from tooling.options import OptionParseError, parse_options
    from tooling.pipeline import Stopwatch, build, specs_for

    watch = Stopwatch()
    specs = _specs(specs_for, args.templates)
    options = {}
    if args.option:
        if len(specs) != 1:
            raise CommandError("--option needs exactly one TEMPLATE, to know whose options they are")
        try:
            options[specs[0].name] = parse_options(specs[0].options, args.option)
        except OptionParseError as err:
            raise CommandError(f"{specs[0].name}: {err}") from None
    result = build(specs, Path(args.output_dir), options, lint=not args.no_lint)
    for problem in result.all_problems():
        print(problem, file=sys.stderr)
    status = "done" if result.ok else "failed"
    print(f"build   {status}: {len(result.written)} template(s) in {args.output_dir}/  {watch.seconds()}")
    return 0 if result.ok else 1


def cmd_lint(args: argparse.Namespace) -> int:
    from tooling.lint import lint_texts
    from tooling.pipeline import Stopwatch

    paths = [Path(p) for p in args.files] or sorted(Path(args.output_dir).glob("*.yaml"))
    if not paths:
        raise CommandError(f"no templates in {args.output_dir}/; run `make build` first")
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise CommandError(f"no such template file: {missing[0]}")
    watch = Stopwatch()
    findings = lint_texts({str(p): p.read_text() for p in paths})
    for path, found in findings.items():
        for finding in found:
            print(f"cfn-lint {finding}", file=sys.stderr)
        print(f"lint    {path:<36} {len(found)} finding(s)")
    total = sum(map(len, findings.values()))
    print(f"lint    {'failed' if total else 'done'}: {total} finding(s) in {len(paths)} template(s)  {watch.seconds()}")
    return 1 if total else 0


def cmd_list(args: argparse.Namespace) -> int:
    from templates_src.registry import TEMPLATES
    from tooling.options import describe_options

    for spec in TEMPLATES.values():
        print(f"{spec.name}  ->  {OUTPUT_DIR / spec.filename}\n    {spec.summary}")
        for name, type_name, default in describe_options(spec.options):
            print(f"    --option {name}=...   ({type_name}; default {default})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    import boto3

    from tooling import restore

    session = boto3.session.Session(region_name=args.region) if args.region else boto3.session.Session()
    try:
        return restore.command(
            session.client("cloudformation"),
            session.client("timestream-influxdb"),
            stack=args.stack,
            new_name=args.name,
            backup_id=args.backup,
            to_time=args.to_time,
            list_only=args.list,
            dry_run=args.dry_run,
            confirm=(lambda: True) if args.yes else _confirm,
        )
    except restore.RestoreError as err:
        raise CommandError(str(err)) from None


def _confirm() -> bool:
    return input("restore? type yes to go on: ").strip().lower() == "yes"


def _specs(specs_for, names):
    try:
        return specs_for(names)
    except KeyError as err:
        raise CommandError(err.args[0]) from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="build.py",
        description="Build, lint and list the CloudFormation templates of the Timestream for InfluxDB catalog.",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "build",
        help="render every template (or the ones named), lint it, write it to output/",
        description=(
            "Render templates from templates_src, check their size and lint them with cfn-lint in "
            "every Region where their resource types exist; write the clean ones to the output "
            "directory atomically. A template with any finding is not written."
        ),
    )
    b.add_argument("templates", nargs="*", metavar="TEMPLATE", help="template names (default: all; see `list`)")
    b.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a build option of the one TEMPLATE named (repeatable; see `list`)",
    )
    b.add_argument("--output-dir", default=str(OUTPUT_DIR), help="where to write (default: output)")
    b.add_argument("--no-lint", action="store_true", help="skip cfn-lint (for a quick look; never for a release)")
    b.set_defaults(func=cmd_build)

    lint = sub.add_parser(
        "lint",
        help="lint template files with cfn-lint in every Region their resource types exist in",
        description="Lint YAML or JSON templates (default: every output/*.yaml); exit 1 on any finding.",
    )
    lint.add_argument("files", nargs="*", metavar="FILE", help="template files (default: output/*.yaml)")
    lint.add_argument("--output-dir", default=str(OUTPUT_DIR), help="where the default files are")
    lint.set_defaults(func=cmd_lint)

    r = sub.add_parser(
        "restore",
        help="list a stack's InfluxDB backups, or restore one to a new instance",
        description=(
            "List the backups of the InfluxDB instance of STACK, or restore one to a NEW instance "
            "(same subnets and security groups; the stack's instance is not changed). Without "
            "--backup, the newest completed backup; with --to-time, the CONTINUOUS backup at that "
            "time (point-in-time recovery). Prints what it will do and asks before doing it."
        ),
    )
    r.add_argument("stack", metavar="STACK", help="name of the product's CloudFormation stack")
    r.add_argument("--list", action="store_true", help="only list the backups")
    r.add_argument("--name", help="name of the new instance (3-40 letters, digits, single hyphens)")
    r.add_argument("--backup", metavar="ID", help="backup id (default: the newest completed backup)")
    r.add_argument("--to-time", metavar="TIME", help="ISO 8601 time for a point-in-time restore (UTC if no offset)")
    r.add_argument("--region", help="AWS Region (default: the configured one)")
    r.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.set_defaults(func=cmd_restore)

    ls = sub.add_parser("list", help="list the templates and their build options", description="List the registered templates, their output files and their build options.")
    ls.set_defaults(func=cmd_list)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
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

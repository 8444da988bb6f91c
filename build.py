#!/usr/bin/env python3
"""Command line of the Timestream for InfluxDB catalog: build, lint, document and list the templates.

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


def cmd_docs(args: argparse.Namespace) -> int:
    from tooling.docs import DocsError, generated_documents, render_documents
    from tooling.pipeline import Stopwatch
    from tooling.render import write_atomic

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
        changed = write_atomic(path, fresh)
        print(f"docs    {str(path):<36} {'updated' if changed else 'unchanged'}")
    print(f"docs    done: {len(rendered)} document(s)  {watch.seconds()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from templates_src.registry import TEMPLATES
    from tooling.options import describe_options

    for spec in TEMPLATES.values():
        print(f"{spec.name}  ->  {OUTPUT_DIR / spec.filename}\n    {spec.summary}")
        for name, type_name, default in describe_options(spec.options):
            print(f"    --option {name}=...   ({type_name}; default {default})")
    return 0


def _specs(specs_for, names):
    try:
        return specs_for(names)
    except KeyError as err:
        raise CommandError(err.args[0]) from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="build.py",
        description="Build, lint, document and list the CloudFormation templates of the Timestream for InfluxDB catalog.",
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

    docs = sub.add_parser(
        "docs",
        help="regenerate the reference sections of README.md and docs/OPERATIONS.md from the templates",
        description=(
            "Rewrite the parts of README.md (templates, diagram, parameters, outputs, resources) and "
            "docs/OPERATIONS.md (alarms, changes, retained) between <!-- BEGIN GENERATED: NAME --> "
            "and <!-- END GENERATED: NAME --> markers from every registered template; the rest of "
            "each file is left as it is."
        ),
    )
    docs.add_argument("--root", default=".", help="directory holding README.md and docs/ (default: .)")
    docs.add_argument("--check", action="store_true", help="change nothing; exit 1 when the file is stale")
    docs.set_defaults(func=cmd_docs)

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

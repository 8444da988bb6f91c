"""The gate list is the one source of the gates; cfn-lint lints once per group of Regions it
cannot tell apart, and finds exactly what linting every Region finds; a Ctrl-C ends a wait for
checkov."""

from __future__ import annotations

import re
import sys
import threading
import time

import pytest

from conftest import ROOT
from tooling import interrupt
from tooling.cfn import schemas
from tooling.gates import GATES, cfn_lint, checkov, names

REGIONAL = ROOT / "tests" / "fixtures" / "cfn_lint" / "regional.yaml"


def test_gate_names_are_unique_and_each_gate_says_what_it_checks():
    assert len(set(names())) == len(GATES) >= 1
    assert all(gate.does and gate.fingerprint() for gate in GATES)


def test_the_readme_security_gates_table_names_exactly_the_gates():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Security gates\n", 1)[1].split("\n## ", 1)[0]
    header, *rows = re.findall(r"^\| ([a-z-]+) \|", section, flags=re.M)
    assert header == "checker" and rows == list(names())


def test_the_command_line_help_names_every_gate():
    from tooling import cli

    text = cli.parser().format_help() + "".join(
        action.choices[c].format_help()
        for action in cli.parser()._subparsers._group_actions
        for c in ("build", "lint")
    )
    for gate in GATES:
        assert gate.does in " ".join(text.split())


@pytest.mark.slow  # runs cfn-lint
def test_grouped_lint_finds_what_linting_every_region_finds():
    text = REGIONAL.read_text()
    plans: dict[str, list[tuple[str, ...]]] = {}
    grouped = cfn_lint.lint_texts({"regional.yaml": text}, plans=plans)["regional.yaml"]
    every = cfn_lint.lint_texts({"regional.yaml": text}, grouped=False)["regional.yaml"]
    assert grouped == every
    regions = {r for f in grouped for r in f.regions}
    # Region-specific: some Regions have the finding, and some Regions offer the type (no finding).
    assert grouped and all(f.rule == "E3628" and f.regions for f in grouped)
    assert "us-east-1" not in regions and set(regions) < set(schemas.regions_for({"AWS::EC2::Instance"}))
    runs, covered = len(plans["regional.yaml"]), sum(len(g) for g in plans["regional.yaml"])
    assert runs < covered == len(schemas.regions_for({"AWS::EC2::Instance"}))


@pytest.mark.slow  # runs cfn-lint
def test_every_template_is_linted_in_fewer_runs_than_its_regions():
    from cfnlint.decode.decode import decode_str

    for path in sorted((ROOT / "output").glob("*.yaml")):
        filename = path.name
        template, _ = decode_str(path.read_text())
        types = cfn_lint.resource_types(template)
        regions = cfn_lint.regions_for(types)
        groups = cfn_lint.region_groups(types, regions)
        assert sorted(r for g in groups for r in g) == regions, filename
        assert len(groups) < len(regions), filename


@pytest.mark.slow  # imports cfn-lint (~0.5 s), which the fast tests otherwise need in one process at most
def test_the_regions_are_those_cfn_lint_knows_and_has_schemas_for():
    from cfnlint.helpers import REGIONS

    assert schemas.regions() == tuple(
        sorted(r for r in REGIONS if (schemas.PROVIDERS_DIR / f"{r}.json").exists())
    )
    assert "us-east-1" in schemas.regions() and "sam" not in schemas.regions()


def test_regions_in_one_group_share_schemas_partition_and_name_length():
    types = {"AWS::Timestream::InfluxDBInstance", "AWS::KMS::Key"}
    for group in cfn_lint.region_groups(types, schemas.regions_for(types)):
        assert len({schemas.schema_digest(types, r) for r in group}) == 1
        assert len({(cfn_lint.partition(r), len(r)) for r in group}) == 1


@pytest.mark.slow  # runs cfn-lint
def test_the_summary_says_how_many_regions_each_template_stands_for():
    text = REGIONAL.read_text()
    result = cfn_lint.start({"regional.yaml": text}, None).wait()
    (note,) = result.notes
    total = len(schemas.regions_for({"AWS::EC2::Instance"}))
    assert re.fullmatch(rf"regional\.yaml: \d+ Regions linted for {total}", note)


def _checkov_process(code: str) -> checkov.CheckovProcess:
    """A CheckovProcess whose interpreter runs ``code`` instead of checkov."""
    return checkov.CheckovProcess(argv=[sys.executable, "-c", code])


def test_a_ctrl_c_ends_the_wait_for_a_checkov_that_hangs(monkeypatch):
    """A Ctrl-C that a library swallowed (so no KeyboardInterrupt is raised where the build waits)
    while checkov hangs in its own handling of it: the wait ends, checkov is killed."""
    monkeypatch.setattr(interrupt, "_interrupted", False)
    monkeypatch.setattr(checkov, "POLL_SECONDS", 0.05)
    process = _checkov_process("import time; time.sleep(30)")
    ctrl_c = threading.Timer(0.1, lambda: setattr(interrupt, "_interrupted", True))
    ctrl_c.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            process.finish()
        seconds, left_running = time.monotonic() - started, process.proc.poll() is None
        process.cancel()  # run_gates cancels every pending gate again: at once, no error
        assert time.monotonic() - started - seconds < 1
    finally:
        ctrl_c.cancel()  # never to fire after monkeypatch has put the flag back
        ctrl_c.join()
        process.proc.kill()
    assert seconds < 5
    assert not left_running, "checkov is left running"


def test_without_a_ctrl_c_the_wait_gives_checkov_s_output(monkeypatch):
    monkeypatch.setattr(interrupt, "_interrupted", False)
    monkeypatch.setattr(checkov, "POLL_SECONDS", 0.05)
    wait = checkov.POLL_SECONDS * 3  # the answer comes after a few polls
    code = (
        "import sys, time; print('out', flush=True); print('err', file=sys.stderr, flush=True); "
        f"time.sleep({wait}); print('end')"
    )
    process = _checkov_process(code)
    assert process.finish() == ("out\nend\n", "err\n")
    assert process.proc.returncode == 0


def test_checkovs_time_runs_to_its_end_not_to_the_builds_wait(monkeypatch, tmp_path):
    """The build waits for checkov after the in-process gates; checkov may have ended long before,
    and its row in the table (and ``make bench``'s share) must say when it did."""
    monkeypatch.setattr(interrupt, "_interrupted", False)
    template = tmp_path / "t.yaml"
    template.write_text("Resources: {}\n")
    process = _checkov_process("import sys; sys.stdin.readline(); print('[]')")
    monkeypatch.setattr(checkov, "_PRESTARTED", process)
    run = checkov.CheckovRun({"t.yaml": template}, log=lambda _: None)
    deadline = time.monotonic() + 60
    while process.ended is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.ended is not None, "the end of checkov's interpreter is noted as it ends"
    time.sleep(0.3)  # the in-process gates, still running
    result = run.wait()
    assert result.seconds == process.ended - process.start
    assert result.seconds < time.perf_counter() - process.start - 0.3

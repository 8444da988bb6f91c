"""checkov over every output template (the seeding build's verdicts) and fixtures, from its own tool
environment, and the reviewed skips.

The first run creates the tool environment (.tools/checkov-<lock hash>) from tooling/gates/locks/checkov.lock.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from cfn_flip import to_json

from conftest import ROOT
from templates_src.common import checkov_skips
from templates_src.registry import LAUNCH_ROLES
from tooling import toolenv
from tooling.gates import checkov

# checkov runs from its own environment (created on first use).
pytestmark = pytest.mark.slow

OUTPUTS = sorted((ROOT / "output").glob("*.yaml"))
FIXTURES = ROOT / "tests" / "fixtures" / "checkov"


def managed_parts(role) -> list[str]:
    """The managed policies a launch role template attaches to its role (its statements over IAM's
    inline limit)."""
    resources = role.build(role.options()).to_dict()["Resources"]
    return [name for name, body in resources.items() if body["Type"] == "AWS::IAM::ManagedPolicy"]


# Every checkov skip in output/, reviewed: (template file, logical id, check id) -> why it
# cannot apply. A new skip fails test_every_skip_is_reviewed until someone adds it here.
REVIEWED_SKIPS: dict[tuple[str, str, str], str] = {
    # A launch role runs its product's template: its resources' ARNs are made at create time. Every
    # product's launch role carries the same reviewed skips (templates_src/launch_role).
    # Its statements over IAM's inline limit go to managed policies attached to it: the same.
    **{
        (role.filename, logical, check): why
        for role in LAUNCH_ROLES.values()
        for logical in ("LaunchRole", *managed_parts(role))
        for check, why in (
            ("CKV_AWS_108", "reads the generated secret it creates"),
            ("CKV_AWS_109", "sets the key and log-group policies"),
            ("CKV_AWS_110", "creates and passes the functions' roles"),
            ("CKV_AWS_111", "writes resources named at create time"),
        )
    },
    # Custom-resource handlers: CloudFormation is their only caller, once per stack operation.
    (
        "timestream-influxdb.yaml",
        "BackupFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    ("timestream-influxdb.yaml", "BackupFunction", "CKV_AWS_116"): "CloudFormation waits for the answer",
    ("timestream-influxdb.yaml", "BackupFunction", "CKV_AWS_117"): "calls AWS APIs only, not the database",
    ("timestream-influxdb.yaml", "BackupFunction", "CKV_AWS_173"): "its environment holds no secret",
    (
        "timestream-influxdb.yaml",
        "ParameterGroupFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    (
        "timestream-influxdb.yaml",
        "ParameterGroupFunction",
        "CKV_AWS_116",
    ): "CloudFormation waits for the answer",
    (
        "timestream-influxdb.yaml",
        "ParameterGroupFunction",
        "CKV_AWS_117",
    ): "calls AWS APIs only, not the database",
    ("timestream-influxdb.yaml", "ParameterGroupFunction", "CKV_AWS_173"): "its environment holds no secret",
    (
        "timestream-influxdb.yaml",
        "TokenFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    ("timestream-influxdb.yaml", "TokenFunction", "CKV_AWS_116"): "CloudFormation waits for the answer",
    ("timestream-influxdb.yaml", "TokenFunction", "CKV_AWS_117"): "answers CloudFormation on Amazon S3",
    ("timestream-influxdb.yaml", "TokenFunction", "CKV_AWS_173"): "its environment holds no secret",
    # The token rotation function: Secrets Manager invokes it, four times per rotation.
    (
        "timestream-influxdb.yaml",
        "TokenRotationFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    (
        "timestream-influxdb.yaml",
        "TokenRotationFunction",
        "CKV_AWS_116",
    ): "invoked synchronously, Secrets Manager retries",
    (
        "timestream-influxdb.yaml",
        "TokenRotationFunction",
        "CKV_AWS_117",
    ): "calls AWS APIs only, not the database",
    ("timestream-influxdb.yaml", "TokenRotationFunction", "CKV_AWS_173"): "its environment holds no secret",
    # The token worker: the token function invokes it synchronously, a few times per operation.
    (
        "timestream-influxdb.yaml",
        "TokenWorkerFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    ("timestream-influxdb.yaml", "TokenWorkerFunction", "CKV_AWS_116"): "synchronous: no dead-letter queue",
    # The read-replica cluster product: the same token function and worker (the instance product's
    # step), against the cluster's writer endpoint; the same reasons hold.
    (
        "timestream-influxdb-cluster.yaml",
        "TokenFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    (
        "timestream-influxdb-cluster.yaml",
        "TokenFunction",
        "CKV_AWS_116",
    ): "CloudFormation waits for the answer",
    (
        "timestream-influxdb-cluster.yaml",
        "TokenFunction",
        "CKV_AWS_117",
    ): "answers CloudFormation on Amazon S3",
    ("timestream-influxdb-cluster.yaml", "TokenFunction", "CKV_AWS_173"): "its environment holds no secret",
    (
        "timestream-influxdb-cluster.yaml",
        "TokenWorkerFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    (
        "timestream-influxdb-cluster.yaml",
        "TokenWorkerFunction",
        "CKV_AWS_116",
    ): "synchronous: no dead-letter queue",
    # The InfluxDB 3 product: its database function and worker follow the token function's design
    # (outside the VPC to answer CloudFormation, the worker in it); the same reasons hold.
    (
        "timestream-influxdb3.yaml",
        "DatabaseFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    ("timestream-influxdb3.yaml", "DatabaseFunction", "CKV_AWS_116"): "CloudFormation waits for the answer",
    ("timestream-influxdb3.yaml", "DatabaseFunction", "CKV_AWS_117"): "answers CloudFormation on Amazon S3",
    ("timestream-influxdb3.yaml", "DatabaseFunction", "CKV_AWS_173"): "its environment holds no secret",
    (
        "timestream-influxdb3.yaml",
        "DatabaseWorkerFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    (
        "timestream-influxdb3.yaml",
        "DatabaseWorkerFunction",
        "CKV_AWS_116",
    ): "synchronous: no dead-letter queue",
}
# The cluster's backup, parameter group and rotation functions are the instance product's steps
# (templates_src/timestream_influxdb backup.py, parameter_group.py, token_rotation.py) given the
# cluster: the same skips with the same reasons, reviewed for the cluster's functions too.
REVIEWED_SKIPS |= {
    ("timestream-influxdb-cluster.yaml", function, check): why
    for (template, function, check), why in list(REVIEWED_SKIPS.items())
    if template == "timestream-influxdb.yaml"
    and function in ("BackupFunction", "ParameterGroupFunction", "TokenRotationFunction")
}
# The InfluxDB 3 product's backup function is the same step given its cluster, and its parameter
# group function runs outside the VPC with the same kind of environment (engine parameters, names,
# ids): the same reasons.
REVIEWED_SKIPS |= {
    ("timestream-influxdb3.yaml", function, check): why
    for (template, function, check), why in list(REVIEWED_SKIPS.items())
    if template == "timestream-influxdb.yaml" and function in ("BackupFunction", "ParameterGroupFunction")
}
# Its engine guard answers CloudFormation only, from outside the VPC, and calls nothing.
REVIEWED_SKIPS |= {
    (
        "timestream-influxdb3.yaml",
        "EngineGuardFunction",
        "CKV_AWS_115",
    ): "reserved concurrency can fail new accounts",
    (
        "timestream-influxdb3.yaml",
        "EngineGuardFunction",
        "CKV_AWS_116",
    ): "CloudFormation waits for the answer",
    (
        "timestream-influxdb3.yaml",
        "EngineGuardFunction",
        "CKV_AWS_117",
    ): "answers CloudFormation on Amazon S3",
}


@pytest.fixture(scope="module")
def checkov_result():
    """One checkov run (its start-up is the slow part) over the fixtures."""
    files = {str(p.relative_to(ROOT)): p for p in [FIXTURES / "broken.yaml", FIXTURES / "skipped.yaml"]}
    return checkov.CheckovRun(files).wait()


@pytest.fixture(scope="module")
def outputs_result(gate_seed):
    """checkov's result over the outputs the run's seeding build did not pass, in one run; None
    when it passed them all. The seeding build gates every rendered template, which the outputs
    are (test_build checks they are fresh), and keeps a verdict for a clean text only."""
    unverified = {
        str(p.relative_to(ROOT)): p for p in OUTPUTS if not gate_seed.passed(checkov.GATE, p.read_text())
    }
    return checkov.CheckovRun(unverified).wait() if unverified else None


def findings_for(result, path: Path):
    return [f for f in result.findings if f.file == str(path.relative_to(ROOT))]


def test_the_tool_environment_pins_checkov():
    assert any(line.startswith("checkov==") for line in toolenv.lock_file("checkov").read_text().splitlines())
    assert "--hash=sha256:" in toolenv.lock_file("checkov").read_text()


@pytest.mark.parametrize("path", OUTPUTS, ids=lambda p: p.name)
def test_real_templates_have_no_failed_check(outputs_result, path):
    assert toolenv.is_ready("checkov")
    assert outputs_result is None or findings_for(outputs_result, path) == []


def test_a_failed_check_names_rule_resource_and_file(checkov_result):
    (finding,) = findings_for(checkov_result, FIXTURES / "broken.yaml")
    assert (finding.checker, finding.rule, finding.resource) == ("checkov", "CKV_AWS_7", "UnrotatedKey")
    assert str(finding).startswith(
        "checkov rule=CKV_AWS_7 resource=UnrotatedKey file=tests/fixtures/checkov/broken.yaml:"
    )


def test_a_metadata_skip_is_honoured(checkov_result):
    assert findings_for(checkov_result, FIXTURES / "skipped.yaml") == []


def skips_in_outputs() -> dict[tuple[str, str, str], str]:
    skips = {}
    for path in OUTPUTS:
        template = yaml.safe_load(to_json(path.read_text()))
        for name, resource in (template.get("Resources") or {}).items():
            for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
                skips[(path.name, name, skip.get("id", ""))] = skip.get("comment", "")
    return skips


def test_every_skip_has_a_written_reason():
    for key, reason in skips_in_outputs().items():
        assert reason and len(reason.strip()) >= 20, f"checkov skip {key} has no written reason"


def test_every_skip_is_reviewed():
    found = set(skips_in_outputs())
    assert found - set(REVIEWED_SKIPS) == set(), "new checkov skip(s): review them and add to REVIEWED_SKIPS"
    assert set(REVIEWED_SKIPS) - found == set(), "reviewed skip(s) no longer in output/: remove them"


def test_skip_helper_refuses_a_skip_without_reason():
    assert checkov_skips({"CKV_AWS_7": "asymmetric key: AWS cannot rotate it"}) == {
        "checkov": {"skip": [{"id": "CKV_AWS_7", "comment": "asymmetric key: AWS cannot rotate it"}]}
    }
    with pytest.raises(ValueError):
        checkov_skips({"CKV_AWS_7": " "})


def test_a_tool_environment_that_cannot_be_made_fails_the_gate(tmp_path, monkeypatch):
    """A missing environment is created on first use; one that cannot be is never a pass."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "checkov.lock").write_text("no-such-package-xyz==0.0.1 --hash=sha256:00\n")
    monkeypatch.setattr(toolenv, "LOCK_DIR", tmp_path / "tools")
    monkeypatch.setattr(toolenv, "ENV_DIR", tmp_path / ".tools")
    monkeypatch.setattr(toolenv, "ROOT", tmp_path)
    result = checkov.CheckovRun({"t.yaml": OUTPUTS[0]}, log=lambda _: None).wait()
    assert [(f.rule, f.file) for f in result.findings] == [("ERROR", "t.yaml")]
    assert not (tmp_path / ".tools" / f"checkov-{toolenv.lock_hash('checkov')}" / ".ready").exists()


# Counts, in checkov's interpreter, the parsers asked of PLY's yacc() and the LALR tables PLY worked
# out for them; put before the gate's server code, which wraps yacc() in turn.
COUNT_TABLES = """
import atexit, sys, ply.yacc
_counted_tables, _counted_parsers = [], []
class _CountedTable(ply.yacc.LRGeneratedTable):
    def __init__(self, *args, **kwargs):
        _counted_tables.append(1)
        super().__init__(*args, **kwargs)
ply.yacc.LRGeneratedTable = _CountedTable
def _counted_yacc(*args, _yacc=ply.yacc.yacc, **kwargs):
    _counted_parsers.append(1)
    return _yacc(*args, **kwargs)
ply.yacc.yacc = _counted_yacc
atexit.register(
    lambda: sys.stderr.write("tables %d parsers %d\\n" % (len(_counted_tables), len(_counted_parsers)))
)
"""

#: Put before the gate's server code: no temporary directory for PLY to write a table to.
NO_TEMPORARY_DIRECTORY = """
import tempfile
tempfile.tempdir = "/nonexistent/checkov-tables"
"""


# Run after the gate's ONE_TABLE_PER_GRAMMAR in checkov's interpreter: both JSONPath grammars,
# interleaved in the order given, through the wrapped yacc(); each parser it made is compared with
# the one plain yacc() makes from the same arguments, and each parse with plain PLY's.
COMPARE_WITH_PLAIN_PLY = """
import json, sys
import bc_jsonpath_ng, bc_jsonpath_ng.ext

grammars = {"ext": bc_jsonpath_ng.ext.parse, "base": bc_jsonpath_ng.parse}
paths = ["$.Properties.Tags[0].Key", '$."AWS::Region".a', "a.b[*].c", "$..Key", "$.a[?(@.b == 1)]", "a.`len`"]
made = []
def recording_yacc(*args, _wrapped=ply.yacc.yacc, **kwargs):
    parser = _wrapped(*args, **kwargs)
    made.append((args, kwargs, parser))
    return parser

def parse_all(grammar):
    parsed = []
    for path in paths:
        try:
            parsed.append(repr(grammars[grammar](path)))
        except Exception as err:
            parsed.append("%s: %s" % (type(err).__name__, err))
    return parsed

def tables(parser):
    # PLY's table file leaves out the states that have no goto (empty in a table PLY works out).
    goto = {state: symbols for state, symbols in parser.goto.items() if symbols}
    return parser.action, goto, [str(p) for p in parser.productions]

order = sys.argv[1].split(",")
ply.yacc.yacc = recording_yacc
wrapped = [parse_all(grammar) for grammar in order]
same_tables = all(tables(parser) == tables(_yacc(*args, **kwargs)) for args, kwargs, parser in made)
ply.yacc.yacc = _yacc
plain = [parse_all(grammar) for grammar in order]
print(json.dumps({
    "parsers": len(made),
    "same_tables": same_tables,
    "same_parses": wrapped == plain,
    "kept": sorted(key[0].__name__ for key, table in _tables.items() if table is not None),
    "failed": sum(table is None for table in _tables.values()),
}))
"""


@pytest.mark.parametrize(
    ("order", "temporary_directory"),
    [("ext,base,ext,base", True), ("base,ext,base,ext", True), ("ext,base,ext,base", False)],
)
def test_the_kept_tables_give_plain_plys_parsers_for_both_jsonpath_grammars(order, temporary_directory):
    """The two JSONPath grammars share a table name and a start symbol, so the grammar's parser
    class is part of what a kept table is for; either grammar first, each keeps its own. Without a
    temporary directory to write a table to, neither keeps one and both parse as plain PLY's."""
    prefix = "" if temporary_directory else NO_TEMPORARY_DIRECTORY
    proc = subprocess.run(
        [
            str(toolenv.tool_bin("checkov", "python")),
            "-c",
            prefix + checkov.ONE_TABLE_PER_GRAMMAR + COMPARE_WITH_PLAIN_PLY,
            order,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result == {
        "parsers": 4 * 6,  # one a parse, even of a path the grammar refuses
        "same_tables": True,
        "same_parses": True,
        "kept": ["ExtentedJsonPathParser", "JsonPathParser"] if temporary_directory else [],
        "failed": 0 if temporary_directory else 2,
    }


def _counts(stderr: str) -> tuple[int, int]:
    """The tables PLY worked out and the parsers asked of it (``COUNT_TABLES``)."""
    tables, parsers = stderr.split("tables ")[-1].split(" parsers ")
    return int(tables), int(parsers)


def test_the_gate_checkov_reports_what_plain_checkov_reports_from_one_table_per_grammar():
    """The gate's checkov builds its JSONPath parsers from one PLY table per grammar (``_SERVER``):
    its whole report, passed checks included, is byte for byte plain checkov's (the same server
    without the wrapper, ``RUN_CHECKOV``), and PLY worked out the table once instead of once per
    parser."""
    full_report = [arg for arg in checkov.ARGS if arg not in ("--quiet", "--compact")]
    files = [ROOT / "output" / next(iter(LAUNCH_ROLES.values())).filename, FIXTURES / "broken.yaml"]
    request = json.dumps([*full_report, *(arg for f in files for arg in ("--file", str(f)))]) + "\n"
    # checkov lists some keys in set order: one hash seed for both runs.
    env = {**os.environ, "PYTHONHASHSEED": "0", "LOG_LEVEL": "ERROR"}
    python = str(toolenv.tool_bin("checkov", "python"))

    def run(code: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [python, "-c", code], input=request, capture_output=True, text=True, env=env, timeout=300
        )

    plain, gate = run(COUNT_TABLES + checkov.RUN_CHECKOV), run(COUNT_TABLES + checkov._SERVER)
    assert plain.returncode == 1 and '"check_id": "CKV_AWS_7"' in plain.stdout, plain.stderr  # broken.yaml
    assert '"passed_checks": [' in plain.stdout
    assert gate.returncode == 1, gate.stderr
    assert gate.stdout == plain.stdout
    plain_tables, asked = _counts(plain.stderr)
    assert plain_tables == asked > 10, plain.stderr
    assert _counts(gate.stderr) == (1, asked), gate.stderr  # checkov parses with the ext grammar only


def test_unreadable_report_is_a_finding_not_a_pass():
    files = {"t.yaml": OUTPUTS[0]}
    assert [f.rule for f in checkov.parse("", "Traceback: boom", 2, files)] == ["ERROR"]
    assert [f.rule for f in checkov.parse('{"passed": 0}', "", 0, files)] == ["ERROR"]

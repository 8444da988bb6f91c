"""`make lint`: the summary table, and one line per finding naming checker, rule, resource, file."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT
from templates_src.registry import TEMPLATES
from tooling.build.pipeline import build
from tooling.gates import GATES

# Runs every gate, checkov from its own environment, in subprocesses.
pytestmark = pytest.mark.slow

CHECKERS = tuple(gate.name for gate in GATES)
NAMES = "|".join(map(re.escape, CHECKERS))
ROW = re.compile(rf"^({NAMES})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+\.\d\d) s$")
LINE = re.compile(rf"^({NAMES}) rule=(\S+) resource=(\S+) file=(\S+?)(?::\d+)? \S.*$")
MAKE_ERROR = re.compile(r"^make(\[\d+\])?: \*\*\* ")
GUARD_FIXTURES = sorted((ROOT / "tests" / "fixtures" / "guard").glob("*.yaml"))
BROKEN = [
    *GUARD_FIXTURES,
    ROOT / "tests" / "fixtures" / "checkov" / "broken.yaml",
    ROOT / "tests" / "fixtures" / "parliament" / "broken.yaml",
    ROOT / "tests" / "fixtures" / "cfn_lint" / "broken.yaml",
]


def make_lint(*files):
    args = ["make", "--no-print-directory", "lint"]
    if files:
        args.append("FILES=" + " ".join(str(f.relative_to(ROOT)) for f in files))
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)


def summary_rows(stdout: str) -> dict[str, tuple[int, int, int]]:
    rows = {}
    for line in stdout.splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
    return rows


@pytest.fixture(scope="module")
def clean_run():
    return make_lint()


@pytest.fixture(scope="module")
def broken_run():
    return make_lint(*BROKEN)


def test_clean_outputs_pass_every_checker(clean_run):
    assert clean_run.returncode == 0, clean_run.stderr
    outputs = len(list((ROOT / "output").glob("*.yaml")))
    rows = summary_rows(clean_run.stdout)
    assert list(rows) == list(CHECKERS)
    assert all(row == (outputs, 0, 0) for row in rows.values()), clean_run.stdout
    # The table comes first; only the progress lines of a tool environment made by this very run
    # (checkov's, in a fresh clone whose first gate run this is) may precede it.
    lines = [line for line in clean_run.stdout.splitlines() if not line.startswith("tools ")]
    assert lines[0].split() == ["checker", "templates", "cached", "findings", "time"]
    assert clean_run.stderr == ""


def test_broken_templates_fail_with_one_line_per_finding(broken_run):
    assert broken_run.returncode != 0
    # make's own "make: *** ... Error 1" ("make[1]: ***" when `make test` runs it) is not a finding.
    lines = [line for line in broken_run.stderr.splitlines() if not MAKE_ERROR.match(line)]
    assert lines and all(LINE.match(line) for line in lines), broken_run.stderr
    found = {LINE.match(line).group(1, 2, 3, 4) for line in lines}
    for fixture in GUARD_FIXTURES:
        rule, file = fixture.stem, str(fixture.relative_to(ROOT))
        assert any(c == "guard" and r == rule and f == file for c, r, _, f in found), rule
    assert ("checkov", "CKV_AWS_7", "UnrotatedKey", "tests/fixtures/checkov/broken.yaml") in found
    assert (
        "parliament",
        "RESOURCE_MISMATCH",
        "MismatchedPolicy",
        "tests/fixtures/parliament/broken.yaml",
    ) in found
    assert ("cfn-lint", "E3002", "Topic", "tests/fixtures/cfn_lint/broken.yaml") in found
    rows = summary_rows(broken_run.stdout)
    assert all(rows[c][0] == len(BROKEN) and rows[c][2] > 0 for c in CHECKERS)
    assert sum(r[2] for r in rows.values()) == len(lines)


def test_a_missing_file_is_a_usage_error():
    proc = subprocess.run(
        [sys.executable, "build.py", "lint", "no/such.yaml"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "no such template file" in proc.stderr


def gate_rows(logs) -> dict[str, tuple[int, int, int]]:
    return summary_rows("\n".join(ln.removeprefix("gates   ") for ln in logs))


def test_build_reuses_clean_verdicts(gate_seed, tmp_path):
    """A second build of the same text checks nothing again.

    The first build is the run's seeding build (``gate_cache``): every template, from an empty
    cache; the second starts from the verdicts it left."""
    specs = list(TEMPLATES.values())
    assert gate_seed.problems == ()
    rows = gate_rows(gate_seed.log)
    assert all(rows[c] == (len(specs), 0, 0) for c in CHECKERS), gate_seed.log
    stamps = gate_seed.stamps()
    assert {p.parent.name for p in stamps} == set(CHECKERS) and len(stamps) == len(specs) * len(CHECKERS)
    gate_seed.seed(tmp_path / "build", tmp_path / "out")
    logs: list[str] = []
    second = build(specs, tmp_path / "out", build_dir=tmp_path / "build", log=logs.append)
    assert second.ok
    assert all(gate_rows(logs)[c] == (0, len(specs), 0) for c in CHECKERS), logs


def test_a_template_with_findings_is_not_written(gate_seed, tmp_path, monkeypatch):
    """Changed rules re-check a template whose text every gate passed before: the other gates'
    verdicts are reused, Guard's (its rules are part of its fingerprint) are not."""
    from tooling.gates import guard

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "strict.guard").write_text(
        "let alarms = Resources.*[ Type == 'AWS::CloudWatch::Alarm' ]\n"
        "rule NO_ALARMS when %alarms !empty {\n  %alarms.Properties.AlarmName !exists\n  <<no alarms>>\n}\n"
    )
    monkeypatch.setattr(guard, "RULES_DIR", rules)
    spec = TEMPLATES["timestream-influxdb"]
    gate_seed.seed(tmp_path / "build", tmp_path / "out")
    logs: list[str] = []
    result = build([spec], tmp_path / "out", lint=True, build_dir=tmp_path / "build", log=logs.append)
    assert not result.ok and not (tmp_path / "out" / spec.filename).exists()
    assert any(p.startswith("guard rule=NO_ALARMS") for p in result.all_problems()), result.all_problems()
    rows = gate_rows(logs)
    assert rows.pop("guard")[:2] == (1, 0) and all(row == (0, 1, 0) for row in rows.values()), logs

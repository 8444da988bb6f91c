"""tools/bench.py reads the gate summary table that `build.py build` prints (no timing asserted)."""

from __future__ import annotations

import importlib.util

from conftest import ROOT
from tooling.gates.base import GateResult, summary_table

spec = importlib.util.spec_from_file_location("bench", ROOT / "tools" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

OUTPUT = """\
render  timestream-influxdb.yaml              50,178 bytes (1,022 under the deploy limit)  0.45 s
gates   checker      templates cached findings     time
gates   -----------------------------------------------
gates   cfn-lint             2      0        0   7.46 s
gates   checkov              2      1        0  13.13 s
gates   guard                2      0        3   0.87 s
gates   parliament           2      0        0   1.66 s
gates   -----------------------------------------------
gates   all (wall)           2               3  10.00 s
build   done: 2 template(s) in output/  10.42 s
"""


def test_the_gate_rows_and_the_wall_time_are_read() -> None:
    assert bench.parse_gates(OUTPUT) == {
        "cfn-lint": 7.46,
        "checkov": 13.13,
        "guard": 0.87,
        "parliament": 1.66,
        "all (wall)": 10.0,
    }


def test_the_table_as_the_build_prints_it_is_read() -> None:
    """The real summary_table, prefixed as the build logs it, so a change of its layout shows here."""
    results = [GateResult(checker="cfn-lint", checked=["a.yaml"], seconds=1.5)]
    results.append(GateResult(checker="guard", cached=["a.yaml"], seconds=0.25))
    table = summary_table(results, 2.0)
    logged = "\n".join(f"gates   {line}" for line in table.splitlines())
    assert bench.parse_gates(logged) == {"cfn-lint": 1.5, "guard": 0.25, "all (wall)": 2.0}


def test_no_table_reads_as_no_gates() -> None:
    assert bench.parse_gates("build   done: 2 template(s) in output/  0.40 s\n") == {}


def test_the_report_gives_medians_and_each_gate_as_a_share_of_the_cold_build() -> None:
    report = bench.report({"cold": [10.0, 12.0, 30.0], "no-op": [0.1], "gate checkov": [6.0, 6.0, 6.0]})
    lines = report.splitlines()
    assert lines[2].split() == ["cold", "12.00", "s"]
    assert lines[4].split() == ["gate", "checkov", "6.00", "s", "50%"]

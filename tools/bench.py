"""Benchmark of `make build`: cold, warm and no-op builds, and each gate's share of the cold one.

Runs whole processes (``make build``), so it measures what a user waits for and does not depend on
the code's module layout. Each case runs ``--runs`` times; the median is printed.

- cold:  no ``.build`` (no cached gate verdict, no make stamps): render, every gate, docs;
- warm:  a source file touched, the template unchanged: render, cached verdicts, docs;
- no-op: nothing changed: make finds everything up to date.

The gates' times come from the summary table ``build.py build`` prints (lines starting "gates").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: A source file every template depends on: touching it makes make rebuild, the render is unchanged.
TOUCHED = ROOT / "templates_src" / "registry.py"
GATE_ROW = re.compile(
    r"^gates\s+(?P<checker>\S.*?)\s+(?P<templates>\d+)\s+(?:\d+\s+)?(?P<findings>\d+)\s+(?P<seconds>\d+\.\d+) s$"
)


def parse_gates(output: str) -> dict[str, float]:
    """Seconds per checker from the gate summary table; ``all (wall)`` is the gates' wall time."""
    times: dict[str, float] = {}
    for line in output.splitlines():
        match = GATE_ROW.match(line.strip())
        if match:
            times[match["checker"]] = float(match["seconds"])
    return times


def make_build() -> tuple[float, str]:
    """Wall seconds and output of one ``make build``; exits when it fails."""
    started = time.perf_counter()
    result = subprocess.run(["make", "build"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"bench: make build failed\n{result.stdout}{result.stderr}")
    return seconds, result.stdout + result.stderr


def run(runs: int, log=print) -> dict[str, list[float]]:
    """Times of every case, and of every gate in the cold builds, ``runs`` times each."""
    times: dict[str, list[float]] = {"cold": [], "warm": [], "no-op": []}
    for n in range(1, runs + 1):
        shutil.rmtree(ROOT / ".build", ignore_errors=True)
        seconds, output = make_build()
        times["cold"].append(seconds)
        gates = parse_gates(output)
        if not gates:
            sys.exit(f"bench: no gate summary table in the cold build's output\n{output}")
        for checker, gate_seconds in gates.items():
            # The gates run concurrently: their wall time is less than the sum of theirs.
            case = "gates (wall)" if checker == "all (wall)" else f"gate {checker}"
            times.setdefault(case, []).append(gate_seconds)
        os.utime(TOUCHED)
        times["warm"].append(make_build()[0])
        times["no-op"].append(make_build()[0])
        log(
            f"bench   run {n}/{runs}: cold {times['cold'][-1]:.2f} s, warm {times['warm'][-1]:.2f} s, "
            f"no-op {times['no-op'][-1]:.2f} s"
        )
    return times


def report(times: dict[str, list[float]]) -> str:
    """Medians; each gate also as a share of the cold build."""
    cold = statistics.median(times["cold"])
    lines = [f"{'case':<22} {'median':>8}  {'share of cold':>13}", "-" * 46]
    for case, values in times.items():
        median = statistics.median(values)
        share = f"{100 * median / cold:>12.0f}%" if case.startswith("gate") else ""
        lines.append(f"{case:<22} {median:>6.2f} s  {share:>13}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each case (default: 3)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(report(run(args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make test-fast`` leaves out, unimported, exactly the modules pytest would mark slow as a whole."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, marked_slow_as_a_whole


@pytest.mark.parametrize(
    ("source", "whole"),
    [
        ("import pytest\npytestmark = pytest.mark.slow\n", True),
        ("pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings('ignore')]\n", True),
        ("pytestmark = (pytest.mark.filterwarnings('ignore'), pytest.mark.slow)\n", True),
        ("pytestmark = pytest.mark.filterwarnings('ignore')\n", False),
        # One slow test does not make the others slow.
        ("@pytest.mark.slow\ndef test_a():\n    pass\n\ndef test_b():\n    pass\n", False),
        # Not at the top level (or not plainly the mark): imported, pytest decides.
        ("if True:\n    pytestmark = pytest.mark.slow\n", False),
        ("class TestA:\n    pytestmark = pytest.mark.slow\n", False),
        ("pytestmark = MARKS\n", False),
        ("slow = pytest.mark.slow\n", False),
        # pytest takes the last binding; any binding but one plain assignment is left to pytest.
        ("pytestmark = pytest.mark.slow\npytestmark = pytest.mark.filterwarnings('x')\n", False),
        ("pytestmark = pytest.mark.slow\npytestmark += [pytest.mark.x]\n", False),
        ("pytestmark: list = [pytest.mark.slow]\n", False),
        ("pytestmark = pytest.mark.slow\nfrom marks import *\n", False),
    ],
)
def test_only_a_top_level_slow_pytestmark_marks_a_module_slow_as_a_whole(source, whole):
    assert marked_slow_as_a_whole(source) is whole


def test_the_tree_has_modules_of_both_kinds():
    assert marked_slow_as_a_whole((ROOT / "tests" / "test_first_hour.py").read_text())
    assert not marked_slow_as_a_whole((ROOT / "tests" / "test_docs.py").read_text())
    # Some slow tests live in modules that also hold fast ones: those modules are collected.
    assert "@pytest.mark.slow" in (ROOT / "tests" / "test_docs.py").read_text()


def collected(markexpr: str) -> list[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-m",
            markexpr,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return sorted(line for line in result.stdout.splitlines() if "::" in line)


@pytest.mark.slow  # collects the whole suite twice, in two pytest processes
def test_leaving_modules_out_selects_what_pytest_would():
    """``-m "not (slow)"`` means the same to pytest, but only the exact ``not slow`` of make
    test-fast leaves modules out: the two must select the same tests."""
    fast = collected("not slow")
    assert fast == collected("not (slow)")
    assert not any(node.startswith("tests/test_first_hour.py") for node in fast)

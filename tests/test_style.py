"""ruff's lint and format checks (configured in pyproject.toml) over the files held to them.

STYLED lists the files written to the ruff style; the rest of the code base joins when it is
formatted as a whole, after which the list becomes the whole repository (``.``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

STYLED = [
    "tests/test_style.py",
    "tests/test_packaging.py",
    "tests/test_bench.py",
    "tools/bench.py",
]
RUFF = Path(sys.executable).parent / "ruff"


@pytest.mark.parametrize("command", [["check"], ["format", "--check", "--diff"]], ids=["check", "format"])
def test_ruff(command: list[str]) -> None:
    assert all((ROOT / f).is_file() for f in STYLED), "a styled file is missing"
    result = subprocess.run(
        [str(RUFF), *command, *STYLED], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The project installs as a wheel that can run its gates: packages, data files and the console script.

The wheel is built from a copy of the sources (so no build/ or .egg-info lands in the work tree)
with the project environment's setuptools, and installed without dependencies into a fresh venv
that borrows the project environment's packages through a .pth file: no network, and every import
below comes from the installed copy, not from the work tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the wheel installed; its directory."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    for package in ("templates_src", "tooling"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", tmp / "dist", ".", cwd=source)
    (wheel,) = (tmp / "dist").glob("*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    run(*pip, "--python", venv / "bin" / "python", "install", "--no-deps", "--no-index", wheel, cwd=tmp)
    purelib = Path(sysconfig.get_paths()["purelib"])
    (site,) = (venv / "lib").glob("python3.*/site-packages")
    (site / "project-dependencies.pth").write_text(f"{purelib}\n")
    return venv


def test_the_wheel_holds_the_packages_and_the_files_the_gates_read(installed: Path) -> None:
    probe = (
        "import templates_src, tooling\n"
        "from templates_src.registry import TEMPLATES\n"
        "from tooling import toolenv\n"
        "from tooling.gates import guard\n"
        "print(tooling.__file__)\n"
        "print(len(guard.rule_files()))\n"
        "print(toolenv.lock_file('checkov').is_file())\n"
        "print(sorted(TEMPLATES))\n"
    )
    out = run(installed / "bin" / "python", "-c", probe, cwd=installed).stdout.splitlines()
    assert Path(out[0]).is_relative_to(installed), out[0]  # the installed copy, not the work tree
    assert int(out[1]) == len(list((ROOT / "tooling" / "gates" / "rules").glob("*.guard"))) > 0
    assert out[2] == "True"
    assert "timestream-influxdb" in out[3]


def test_the_installed_rules_are_the_ones_the_guard_gate_runs(installed: Path) -> None:
    """A rule file's absence would make the Guard gate report 'no rules', never pass silently."""
    probe = "from tooling.gates import guard; print(guard.RULES_DIR)"
    rules_dir = Path(run(installed / "bin" / "python", "-c", probe, cwd=installed).stdout.strip())
    assert rules_dir.is_relative_to(installed)
    assert sorted(p.name for p in rules_dir.glob("*.guard")) == sorted(
        p.name for p in (ROOT / "tooling" / "gates" / "rules").glob("*.guard")
    )


def test_the_console_script_runs(installed: Path) -> None:
    script = installed / "bin" / "influxdb-catalog"
    assert script.is_file()
    out = run(script, "--help", cwd=installed).stdout
    assert "deploy" in out and "build" in out

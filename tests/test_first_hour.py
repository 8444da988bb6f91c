"""A new user's first hour, driven through ``make`` and ``build.py`` as they would run them.

Every test works on a copy of the project in a temporary directory, never on this checkout's
environments. To stay fast without the package index, the copy's ``.venv`` is a light view of this
one (its ``pyvenv.cfg``, a ``bin/python`` link to the same base interpreter and a link to the same
site-packages, stamped ready as the Makefile expects) and its ``.tools`` is a link to this
checkout's tool environments (used, never made). Tests that make a real environment give it an
empty lock file (``python -m venv`` and a pip run with nothing to install: a few seconds), and
``make deploy``/``make publish`` run against a stub ``PY`` that records its arguments.

The copy's ``.build/gates`` is seeded with the run's gate verdicts (``gate_cache``), so a build in it
gates only the templates whose text the test changed, as a developer's next build does; the tests
about a build's own gate runs leave some template's verdicts out, so every gate runs on it.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from tooling.gates import GATES

pytestmark = pytest.mark.slow  # make, build.py and python -m venv in subprocesses

BASE_PYTHON = Path(os.path.realpath(ROOT / ".venv" / "bin" / "python"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    return {**env, **extra}


def _interpreter(version: str) -> str | None:
    """An interpreter of ``version`` (X.Y) that runs here, or None."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        proc = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return candidate
    return None


def _copy_project(dest: Path) -> Path:
    """The project's files (tracked, and new ones not ignored) in ``dest``, without environments."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        if name.split("/")[0] in (".venv", ".tools") or not (ROOT / name).is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return dest


def _lock_sum(project: Path) -> str:
    return subprocess.run(
        ["cksum", "requirements.lock"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.split()[0]


def _light_venv(project: Path, packages: bool = True) -> None:
    """A ready ``.venv`` as the Makefile sees it (interpreter and stamp), with this checkout's
    packages when ``packages`` (a test that has make replace it gets none, so nothing can reach them)."""
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy(ROOT / ".venv" / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "bin" / "python").symlink_to(BASE_PYTHON)
    lib = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    lib.mkdir(parents=True)
    if packages:
        (lib / "site-packages").symlink_to(
            os.path.realpath(next((ROOT / ".venv" / "lib").glob("python3*/site-packages")))
        )
    (
        venv / f".ready-{_lock_sum(project)}-python{sys.version_info.major}.{sys.version_info.minor}"
    ).write_text("")


#: The template whose verdicts a test leaves out of the seed, so that a build gates it: a launch
#: role, the quickest to gate (checkov's start-up is most of it).
UNGATED = "timestream-influxdb-launch-role.yaml"


@pytest.fixture
def project(tmp_path: Path, gate_seed) -> Path:
    """A copy of the project with a ready (light) .venv, this checkout's tool environments and the
    run's gate verdicts."""
    copy = _copy_project(tmp_path / "project")
    _light_venv(copy)
    (copy / ".tools").symlink_to(os.path.realpath(ROOT / ".tools"))
    gate_seed.seed(copy / ".build")
    return copy


def _seed_all_but(project: Path, gate_seed, filename: str) -> list[Path]:
    """A fresh ``.build`` holding every seeded verdict but those of ``filename``; returns the paths
    the verdicts left out take once a build has gated that template again."""
    shutil.rmtree(project / ".build", ignore_errors=True)
    gate_seed.seed(project / ".build", leave_out=[filename])
    left_out = [project / ".build" / "gates" / stamp for stamp in gate_seed.stamps(filename)]
    assert len(left_out) == len(GATES) and not any(p.exists() for p in left_out)
    return left_out


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A copy of the project with no environment and an empty lock (nothing to download)."""
    copy = _copy_project(tmp_path / "bare")
    (copy / "requirements.lock").write_text("")
    return copy


def make(project: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), *args],
        capture_output=True,
        text=True,
        env=kw.pop("env", _env()),
        timeout=kw.pop("timeout", 600),
        **kw,
    )


def cli(project: Path, *args: str, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(project / ".venv" / "bin" / "python"), str(project / "build.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd or project,
        env=_env(),
        timeout=600,
        **kw,
    )


# --- the environment -------------------------------------------------------------------------


def test_a_wrong_python_is_refused_in_one_line_and_leaves_nothing(bare):
    old = _interpreter("3.10") or _interpreter("3.9")
    if old is None:
        pytest.skip("no Python 3.9 or 3.10 interpreter on this machine to play the wrong one")
    result = make(bare, "build", f"PYTHON={old}")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "this project needs Python 3.11, 3.12 or 3.13: make build PYTHON=python3.1" in lines[0]
    assert not (bare / ".venv").exists()


def test_a_python_that_does_not_exist_is_one_line(bare):
    result = make(bare, "venv", "PYTHON=no-such-python9")
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines() == [result.stderr.strip()]
        and "no-such-python9 does not run here; this project needs Python 3.11, 3.12 or 3.13" in result.stderr
    )


def test_a_half_made_or_other_python_venv_is_made_again(bare):
    old = _interpreter("3.10")
    if old is None:
        pytest.skip("no Python 3.10 interpreter on this machine to have made the old environment")
    # What a first run with the wrong Python left: an environment without a ready stamp.
    subprocess.run([old, "-m", "venv", "--without-pip", str(bare / ".venv")], check=True)
    right = str(BASE_PYTHON)
    first = make(bare, "venv", f"PYTHON={right}")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "was made by Python 3.10: making it again" in first.stdout
    assert "venv    ready:" in first.stdout
    version = subprocess.run(
        [str(bare / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert version == str(tuple(sys.version_info[:2]))
    # Ready now: neither naming the same Python again nor naming none makes it again.
    assert "Nothing to be done" in make(bare, "venv", f"PYTHON={right}").stdout
    assert "Nothing to be done" in make(bare, "venv").stdout
    other = _interpreter("3.12") if sys.version_info[:2] != (3, 12) else _interpreter("3.13")
    if other:
        switched = make(bare, "venv", f"PYTHON={other}")
        assert switched.returncode == 0 and "making it again" in switched.stdout, switched.stdout


def test_an_environment_whose_python_no_longer_runs_is_made_again_despite_its_stamp(bare):
    """A CI cache restored on a runner with another patch release, or a deleted pyenv version:
    .venv/bin/python dangles while the ready stamp is still there."""
    _light_venv(bare, packages=False)  # ready, as a first `make venv` leaves it
    assert "Nothing to be done" in make(bare, "venv").stdout
    python = bare / ".venv" / "bin" / "python"
    python.unlink()
    python.symlink_to("/nonexistent/python3/bin/python3")
    assert list((bare / ".venv").glob(".ready-*-python*"))  # the stamp is still there
    again = make(bare, "venv")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "has an interpreter that no longer runs: making it again" in again.stdout
    assert "venv    ready:" in again.stdout
    assert subprocess.run([str(python), "-c", ""]).returncode == 0
    assert "Nothing to be done" in make(bare, "venv").stdout  # and trusted again once it runs


def test_a_failed_install_removes_the_half_made_venv(bare):
    (bare / "requirements.lock").write_text("./missing-1.0-py3-none-any.whl --hash=sha256:00\n")
    result = make(bare, "venv", f"PYTHON={BASE_PYTHON}")
    assert result.returncode != 0
    assert "venv    failed" in result.stdout and "removed" in result.stdout
    assert not (bare / ".venv").exists()
    (bare / "requirements.lock").write_text("")
    assert make(bare, "venv", f"PYTHON={BASE_PYTHON}").returncode == 0


def test_two_first_runs_at_once_make_the_venv_once(bare):
    runs = [
        subprocess.Popen(
            ["make", "--no-print-directory", "-C", str(bare), "venv", f"PYTHON={BASE_PYTHON}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum(out.count("venv    creating") for out, _ in outputs) == 1, outputs


def test_the_makefile_needs_no_sha256sum(bare, tmp_path):
    """macOS has no sha256sum: a stub that records its use shadows it."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    used = tmp_path / "sha256sum-used"
    (stubs / "sha256sum").write_text(f"#!/bin/sh\ntouch {used}\nexit 127\n")
    (stubs / "sha256sum").chmod(0o755)
    result = make(bare, "venv", f"PYTHON={BASE_PYTHON}", env=_env(PATH=f"{stubs}:{os.environ['PATH']}"))
    assert result.returncode == 0, result.stderr
    assert not used.exists()


def test_clean_keeps_the_environments_and_distclean_removes_them(bare):
    _light_venv(bare, packages=False)  # ready, as a first `make venv` leaves it
    assert "Nothing to be done" in make(bare, "venv").stdout
    for made in (".build/gates", ".pytest_cache", ".tools/checkov-0"):
        (bare / made).mkdir(parents=True)
    cleaned = make(bare, "clean")
    assert cleaned.returncode == 0 and "make distclean removes them too" in cleaned.stdout
    assert not (bare / ".build").exists() and not (bare / ".pytest_cache").exists()
    assert (bare / ".venv" / "bin" / "python").exists() and (bare / ".tools").exists()
    assert make(bare, "distclean").returncode == 0
    assert not (bare / ".venv").exists() and not (bare / ".tools").exists()
    help_text = make(bare, "help").stdout
    assert "make clean " in help_text and "make distclean" in help_text


# --- progress ------------------------------------------------------------------------------------


def test_a_silent_install_step_still_reports_progress(monkeypatch):
    from tooling import bootstrap

    monkeypatch.setattr(bootstrap, "HEARTBEAT", 0.3)
    script = (
        "import time; print('Collecting a', flush=True); time.sleep(1.5); "
        "print('Installing collected packages: a')"
    )
    logged: list[str] = []
    status, lines = bootstrap.run_with_progress(
        [sys.executable, "-c", script], "venv   ", logged.append, total=2
    )
    assert status == 0 and lines[-1] == "Installing collected packages: a"
    assert any(line.startswith("venv    collecting 1/2 packages") for line in logged), logged


def test_a_tool_environment_reports_its_set_up(tmp_path, monkeypatch):
    from tooling import toolenv

    (tmp_path / "locks").mkdir()
    (tmp_path / "locks" / "demo.lock").write_text("")
    monkeypatch.setattr(toolenv, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(toolenv, "ENV_DIR", tmp_path / ".tools")
    monkeypatch.setattr(toolenv, "ROOT", tmp_path)
    logged: list[str] = []
    env = toolenv.ensure_env("demo", logged.append, venv=False)
    assert logged[0].startswith("tools   demo: creating .tools/demo-") and "first run only" in logged[0]
    assert logged[-1].startswith("tools   demo: ready in ")
    assert (env / ".ready").read_text().split()[1:] == ["python", "%d.%d" % sys.version_info[:2]]
    (env / ".ready").write_text(f"{toolenv.lock_hash('demo')} python 3.0\n")  # made by another Python
    assert not toolenv.is_ready("demo")


# --- the build -----------------------------------------------------------------------------------


def test_build_from_another_directory_writes_only_under_the_project(project, gate_seed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # One template without a cached verdict: every gate runs on it and stages its file.
    left_out = _seed_all_but(project, gate_seed, UNGATED)
    before = {p.name: p.read_text() for p in (project / "output").glob("*.yaml")}
    result = cli(project, "build", cwd=elsewhere)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(elsewhere.iterdir()) == [], "nothing is written in the working directory"
    assert all(p.is_file() for p in left_out), "each gate's new verdict is cached under the project"
    assert not any((project / ".build" / "staged").iterdir()), "a run's staged files are removed after it"
    assert {p.name: p.read_text() for p in (project / "output").glob("*.yaml")} == before
    lines = result.stdout.splitlines()
    progress = [i for i, line in enumerate(lines) if line.startswith("check   ")]
    table = next(i for i, line in enumerate(lines) if line.startswith("gates   checker"))
    assert progress and max(progress) < table, "each gate reports when it is done, before the table"


def test_findings_point_at_the_rejected_text(project):
    # Stateful resources made deletable: valid CloudFormation (cfn-lint passes it, so it is not
    # linted again in each Region group), refused by Guard's STATEFUL_RETAINED, one finding each.
    common = project / "templates_src" / "common.py"
    common.write_text(
        common.read_text().replace('RETAIN_ON_DELETE = "RetainExceptOnCreate"', 'RETAIN_ON_DELETE = "Delete"')
    )
    result = cli(project, "build", "timestream-influxdb")
    assert result.returncode == 1
    rejected = Path(".build") / "rejected" / "timestream-influxdb.yaml"
    text = (project / rejected).read_text().splitlines()
    findings = [line for line in result.stderr.splitlines() if " rule=" in line]
    assert any(f.startswith("guard rule=STATEFUL_RETAINED resource=InfluxDBInstance ") for f in findings)
    for finding in findings:
        where = finding.split(" file=", 1)[1].split()[0]
        path, _, line = where.partition(":")
        assert path == str(rejected), finding
        assert line and text[int(line) - 1].strip() == "DeletionPolicy: Delete", finding
    assert "output/timestream-influxdb.yaml" not in result.stderr
    # Fixed again: the build writes output/ and removes the rejected text that no longer applies.
    common.write_text(
        common.read_text().replace('RETAIN_ON_DELETE = "Delete"', 'RETAIN_ON_DELETE = "RetainExceptOnCreate"')
    )
    assert cli(project, "build", "timestream-influxdb").returncode == 0
    assert not (project / rejected).exists()


def test_a_deleted_output_is_built_again_by_make(project):
    first = make(project, "build")
    assert first.returncode == 0, first.stdout + first.stderr
    (project / "output" / "timestream-influxdb.yaml").unlink()
    second = make(project, "build")
    assert second.returncode == 0, second.stdout + second.stderr
    assert (project / "output" / "timestream-influxdb.yaml").is_file()
    assert "Nothing to be done" in make(project, "build").stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generated_files_get_the_users_normal_permissions(project, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "timestream-influxdb-launch-role.yaml").write_text("old\n")
    (out / "timestream-influxdb-launch-role.yaml").chmod(0o640)
    both = ["timestream-influxdb", "timestream-influxdb-launch-role"]  # a new file and an existing one
    result = cli(project, "build", *both, "--no-lint", "--output-dir", str(out), umask=0o022)
    assert result.returncode == 0, result.stderr
    assert _mode(out / "timestream-influxdb.yaml") == 0o644
    assert _mode(out / "timestream-influxdb-launch-role.yaml") == 0o640, "an existing file keeps its mode"
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("| `Environment` |", "| `Environment (stale)` |", 1))
    readme.chmod(0o644)
    docs = cli(project, "docs", umask=0o022)
    assert docs.returncode == 0 and "README.md" in docs.stdout and "updated" in docs.stdout, docs.stdout
    assert _mode(readme) == 0o644
    (out / "timestream-influxdb.yaml").unlink()
    again = cli(project, "build", "timestream-influxdb", "--no-lint", "--output-dir", str(out), umask=0o027)
    assert again.returncode == 0, again.stderr
    assert _mode(out / "timestream-influxdb.yaml") == 0o640


def test_an_output_directory_that_cannot_be_written_is_one_line(project, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli(project, "build", "--no-lint", "--output-dir", str(blocker / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("build.py build: cannot write"), result.stderr
    if os.geteuid() != 0:  # root writes into a read-only directory anyway
        readonly = tmp_path / "readonly"
        readonly.mkdir(mode=0o555)
        result = cli(project, "build", "--no-lint", "--output-dir", str(readonly))
        assert (
            result.returncode == 2
            and "Permission denied" in result.stderr
            and "Traceback" not in result.stderr
        )


@pytest.mark.parametrize("command", ["build", "lint", "docs"])
def test_exit_statuses_are_documented(project, command):
    result = cli(project, command, "--help")
    text = " ".join(result.stdout.split())
    assert "Exit status: 0" in text and "2 invalid input" in text and "130 interrupted" in text


def test_two_builds_at_once_both_succeed(project, gate_seed):
    # Both builds gate (and stage) the same uncached template at the same time.
    left_out = _seed_all_but(project, gate_seed, UNGATED)
    runs = [
        subprocess.Popen(
            [str(project / ".venv" / "bin" / "python"), "build.py", "build"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert not any("Traceback" in err for _, err in outputs), outputs
    assert all(p.is_file() for p in left_out)


def test_a_checkov_that_ends_before_reading_its_arguments_is_a_finding(tmp_path, monkeypatch):
    from tooling import toolenv
    from tooling.gates import checkov

    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'ImportError: no module named checkov' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(toolenv, "ensure_env", lambda *a, **k: tmp_path)
    monkeypatch.setattr(toolenv, "tool_bin", lambda *a, **k: fake)
    template = tmp_path / "t.yaml"
    template.write_text("Resources: {}\n")
    process = checkov.CheckovProcess(log=lambda _: None)
    process.proc.wait()  # gone before it is given anything to check
    monkeypatch.setattr(checkov, "_PRESTARTED", process)
    result = checkov.CheckovRun({"t.yaml": template}, log=lambda _: None).wait()
    assert [(f.rule, f.file) for f in result.findings] == [("ERROR", "t.yaml")]
    assert "ImportError" in result.findings[0].message


INTERRUPT_DURING_CFN_LINT = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.path.insert(0, sys.argv[1])
    from tooling.gates import cfn_lint

    lint_texts = cfn_lint.lint_texts

    def interrupted_lint(*args, **kwargs):
        os.killpg(0, signal.SIGINT)  # Ctrl-C: the whole process group, checkov included
        try:
            time.sleep(2)
        except:  # as cfn-lint's own bare excepts do, in a few rules
            pass
        return lint_texts(*args, **kwargs)

    cfn_lint.lint_texts = interrupted_lint
    from tooling.cli import main
    sys.exit(main(["build", "--output-dir", sys.argv[2]]))
    """
)


def test_ctrl_c_during_the_gates_is_interrupted_not_a_finding(project, tmp_path):
    shutil.rmtree(project / ".build", ignore_errors=True)
    result = subprocess.run(
        [
            str(project / ".venv" / "bin" / "python"),
            "-c",
            INTERRUPT_DURING_CFN_LINT,
            str(project),
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=project,
        env=_env(),
        timeout=300,
        start_new_session=True,  # its own process group, so the Ctrl-C reaches no test
    )
    assert result.returncode == 130, result.stdout + result.stderr
    assert "build.py build: interrupted" in result.stderr
    assert " rule=" not in result.stderr, "an interruption is no finding"
    assert not (project / ".build" / "gates").exists() or not any(
        (project / ".build" / "gates").rglob("*")
    ), "no verdict is cached from an interrupted run"


def test_ctrl_c_to_the_process_group_of_a_build(project):
    shutil.rmtree(project / ".build", ignore_errors=True)
    proc = subprocess.Popen(
        [str(project / ".venv" / "bin" / "python"), "build.py", "build"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        start_new_session=True,
    )
    for line in proc.stdout:  # wait for the gates to start
        if line.startswith("check   "):
            break
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == "build.py build: interrupted"
    assert " rule=" not in err and "Traceback" not in err


# --- deploy and publish --------------------------------------------------------------------------


@pytest.fixture
def stub(tmp_path: Path) -> tuple[Path, Path]:
    """A ``PY`` that records each command line it is given, and the record."""
    record = tmp_path / "calls"
    script = tmp_path / "py"
    script.write_text(f'#!/bin/sh\necho "$*" >> {record}\n')
    script.chmod(0o755)
    return script, record


def _calls(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


def test_make_deploy_runs_preflight_first_and_dry_run_is_a_variable(project, stub):
    py, record = stub
    result = make(project, "deploy", "ENV=development", "DRY_RUN=1", f"PY={py}")
    assert result.returncode == 0, result.stderr
    calls = [c for c in _calls(record) if not c.startswith("build.py build")]
    template = "--template output/timestream-influxdb.yaml"
    assert calls == [
        f"build.py preflight --params params/development.json {template} --stack-name ons-influxdb-development",
        f"build.py deploy --stack-name ons-influxdb-development --params params/development.json {template} --dry-run",
    ]
    record.unlink()
    skipped = make(project, "deploy", "ENV=staging", "STACK=s", "SKIP_PREFLIGHT=1", f"PY={py}")
    assert skipped.returncode == 0 and "preflight skipped" in skipped.stdout
    assert [c for c in _calls(record) if not c.startswith("build.py build")] == [
        f"build.py deploy --stack-name s --params params/staging.json {template}"
    ]


def test_make_deploy_takes_any_product_template_and_refuses_others(project, stub):
    py, record = stub
    cluster = make(project, "deploy", "ENV=staging", "TEMPLATE=timestream-influxdb-cluster", f"PY={py}")
    assert cluster.returncode == 0, cluster.stderr
    calls = [c for c in _calls(record) if not c.startswith("build.py build")]
    assert all("--template output/timestream-influxdb-cluster.yaml" in c for c in calls) and len(calls) == 2
    record.unlink()
    role = make(project, "deploy", "ENV=staging", "TEMPLATE=timestream-influxdb-launch-role", f"PY={py}")
    assert role.returncode == 2 and "not a product template; one of:" in role.stderr
    assert "timestream-influxdb-cluster" in role.stderr
    assert [c for c in _calls(record) if not c.startswith("build.py build")] == []


def test_a_failed_preflight_stops_the_deploy(project, tmp_path):
    record = tmp_path / "calls"
    py = tmp_path / "py"
    py.write_text(f'#!/bin/sh\necho "$*" >> {record}\ncase "$2" in preflight) exit 1;; esac\n')
    py.chmod(0o755)
    result = make(project, "deploy", "ENV=development", f"PY={py}")
    assert result.returncode != 0
    assert not any(c.startswith("build.py deploy") for c in _calls(record))


def test_makes_own_dry_run_is_refused_for_deploy_and_publish(project, stub):
    py, record = stub
    for target in (["deploy", "ENV=development"], ["publish", "VERSION=1.2.0"]):
        result = make(project, *target, "--dry-run", f"PY={py}")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "use DRY_RUN=1" in result.stderr
    assert not any(c.startswith(("build.py deploy", "build.py publish")) for c in _calls(record))


@pytest.mark.parametrize("flag", ["-t", "-q", "-i", "-st"])
def test_makes_touch_question_and_ignore_flags_are_refused_before_touching_anything(project, stub, flag):
    """-t would mark .venv and the build done and deploy nothing, -q run nothing, -i deploy after a
    failed preflight: refused in one line, exit 2, before any prerequisite is made or touched."""
    py, record = stub
    stamp = next((project / ".venv").glob(".ready-*-python*"))
    before = stamp.stat().st_mtime_ns
    for target in (["deploy", "ENV=development"], ["publish", "VERSION=1.2.0"]):
        result = make(project, *target, flag, f"PY={py}")
        assert result.returncode == 2, result.stdout + result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert f"make {target[0]}: make's own -" in line and "run it without -t, -q or -i" in line
    assert stamp.stat().st_mtime_ns == before and not (project / ".build" / "built").exists()
    assert _calls(record) == []
    other = make(project, "help", flag)  # other targets keep make's flags (-q: 1, not up to date)
    assert other.returncode in (0, 1) and "run it without" not in other.stderr


def test_make_publish_dry_run_and_publish_args(project, stub):
    py, record = stub
    assert make(project, "publish", "VERSION=1.2.0", "DRY_RUN=1", f"PY={py}").returncode == 0
    assert make(project, "publish", "VERSION=1.2.0", "PUBLISH_ARGS=--dry-run", f"PY={py}").returncode == 0
    assert _calls(record) == ["build.py publish --version 1.2.0 --dry-run"] * 2

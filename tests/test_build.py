"""The build: output/ is fresh, lint-clean in every Region, under the size limit; bad input is refused.

Templates reach CloudFormation by URL from S3, so the size limit is CloudFormation's 1 MB for a
template from S3 (1,048,576 bytes), not the 51,200 bytes of an inline TemplateBody.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from templates_src.registry import TEMPLATES
from tooling.build import render as render_module
from tooling.build.pipeline import DEPLOY_TEMPLATE_LIMIT, build, specs_for
from tooling.build.render import render, write_atomic
from tooling.gates import cfn_lint
from tooling.gates.cfn_lint import lint_texts, regions_for, resource_types

# Runs build.py and make in subprocesses, with every gate.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered():
    return {spec.filename: render(spec) for spec in TEMPLATES.values()}


def test_committed_output_is_what_the_sources_build(rendered):
    """output/ is generated: a rebuild reproduces every committed file byte for byte."""
    committed = {p.name for p in (ROOT / "output").glob("*.yaml")}
    assert committed == set(rendered), "output/ holds exactly the registered templates"
    for filename, text in rendered.items():
        assert (ROOT / "output" / filename).read_text() == text, (
            f"output/{filename} is stale: run `make build`"
        )


def test_templates_stay_under_the_deploy_limit(rendered):
    for filename, text in rendered.items():
        size = len(text.encode())
        margin = DEPLOY_TEMPLATE_LIMIT - size
        print(f"{filename}: {size:,} bytes, {margin:,} under the {DEPLOY_TEMPLATE_LIMIT:,}-byte limit")
        assert margin > 0, f"{filename} is {-margin:,} bytes over the limit"


def test_every_template_is_lint_clean_in_every_region_its_types_exist_in(rendered, gate_seed):
    """cfn-lint's gate (``lint_texts`` over every Region group) passed each rendered text in the
    run's seeding build, which keeps a verdict for a clean text only; a text without one is linted
    here, to say what cfn-lint finds in it."""
    unverified = {name: text for name, text in rendered.items() if not gate_seed.passed(cfn_lint.GATE, text)}
    findings = lint_texts(unverified)
    assert {name: [str(f) for f in found] for name, found in findings.items() if found} == {}
    assert not unverified, f"cfn-lint passed {sorted(unverified)} here but not in the seeding build"


def test_regions_come_from_cfn_lint_data():
    everywhere = regions_for({"AWS::SNS::Topic"})
    product = regions_for(
        resource_types(
            TEMPLATES["timestream-influxdb"].build(TEMPLATES["timestream-influxdb"].options()).to_dict()
        )
    )
    assert "us-east-1" in product and "eu-west-1" in product
    assert set(product) < set(everywhere), (
        "the product's Regions are those where Timestream for InfluxDB exists"
    )
    assert len(product) >= 20


def test_custom_resources_do_not_narrow_the_regions():
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function"},
            "Token": {"Type": "Custom::InfluxDBToken"},
            "Other": {"Type": "AWS::CloudFormation::CustomResource"},
        }
    }
    assert resource_types(template) == {"AWS::Lambda::Function"}
    assert regions_for(resource_types(template)) == regions_for({"AWS::Lambda::Function"})


#: The product's database alone, with one property of the wrong type (E3012). A template this
#: small is linted in a fraction of a second; a broken product template takes seconds, since a
#: template with findings is linted again in each Region group to tell where they apply.
BROKEN_INSTANCE = """Resources:
  DbInstance:
    Type: AWS::Timestream::InfluxDBInstance
    Properties:
      DbInstanceType: db.influx.medium
      AllocatedStorage: 20
      VpcSubnetIds: [subnet-0123456789abcdef0]
      VpcSecurityGroupIds: [sg-0123456789abcdef0]
      PubliclyAccessible: maybe
"""


def test_lint_reports_errors_and_informational_findings():
    informational = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
        "      TopicName: !Join ['', [!Ref 'AWS::StackName', '-alerts']]\n"
    )
    findings = lint_texts({"broken.yaml": BROKEN_INSTANCE, "info.yaml": informational})
    assert [(f.rule, f.resource, f.line) for f in findings["broken.yaml"]] == [("E3012", "DbInstance", 9)]
    assert [f.rule for f in findings["info.yaml"]] == ["I1022"]
    assert str(findings["info.yaml"][0]).startswith("cfn-lint rule=I1022 resource=Topic file=info.yaml:5 ")


def test_a_template_with_findings_is_not_written(tmp_path, monkeypatch):
    spec = TEMPLATES["timestream-influxdb"]
    monkeypatch.setattr("tooling.build.pipeline.render", lambda s, o=None: BROKEN_INSTANCE)
    lines = []
    result = build([spec], tmp_path / "out", build_dir=tmp_path / "build", log=lines.append)
    assert not result.ok and not (tmp_path / "out" / spec.filename).exists()
    rejected = tmp_path / "build" / "rejected" / spec.filename
    assert rejected.read_text() == BROKEN_INSTANCE
    # The finding names the rejected text and the line of the wrong property in it.
    where = f"cfn-lint rule=E3012 resource=DbInstance file={rejected}:9 "
    assert any(p.startswith(where) for p in result.all_problems()), result.all_problems()


def test_a_template_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    assert DEPLOY_TEMPLATE_LIMIT == 1_048_576
    spec = TEMPLATES["timestream-influxdb"]
    monkeypatch.setattr("tooling.build.pipeline.render", lambda s, o=None: "#" * (DEPLOY_TEMPLATE_LIMIT + 1))
    result = build([spec], tmp_path / "out", lint=False, build_dir=tmp_path / "build", log=lambda _: None)
    assert result.all_problems() == [
        f"size {spec.filename}: 1,048,577 bytes is over CloudFormation's 1,048,576-byte limit for a template from S3"
    ]


def test_a_template_that_cannot_be_built_is_one_line_and_the_others_are_written(
    tmp_path, monkeypatch, capsys
):
    """A builder's BuildError (e.g. a launch role with no scope for an action) fails that template
    with its one-line message, through the command line, and never as a traceback."""
    from templates_src.common import BuildError
    from tooling import cli

    real = render_module.render

    def render(spec, options=None):
        if spec.name == "timestream-influxdb-launch-role":
            raise BuildError("launch role: no scope names a resource for x:DeleteY")
        return real(spec, options)

    monkeypatch.setattr("tooling.build.pipeline.render", render)
    out = tmp_path / "out"
    status = cli.main(["build", "--no-lint", "--output-dir", str(out)])
    captured = capsys.readouterr()
    assert status == 1 and "Traceback" not in captured.err + captured.out
    assert (
        "build timestream-influxdb-launch-role.yaml: launch role: no scope names a resource for x:DeleteY"
        in captured.err
    )
    assert not (out / "timestream-influxdb-launch-role.yaml").exists()
    assert (out / "timestream-influxdb.yaml").exists()


def test_the_render_line_gives_the_remaining_budget(tmp_path, monkeypatch):
    spec = TEMPLATES["timestream-influxdb"]
    monkeypatch.setattr("tooling.build.pipeline.render", lambda s, o=None: "#" * 48_576)
    lines: list[str] = []
    build([spec], tmp_path / "out", lint=False, build_dir=tmp_path / "build", log=lines.append)
    assert "1,000,000 bytes left of the 1,048,576-byte limit for a template from S3" in lines[0]


def test_write_is_atomic_and_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "t.yaml"
    target.write_text("old")

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"], "the temporary file is removed"


def test_unchanged_file_is_not_rewritten(tmp_path):
    target = tmp_path / "t.yaml"
    assert write_atomic(target, "x") is True
    mtime = target.stat().st_mtime_ns
    assert write_atomic(target, "x") is False and target.stat().st_mtime_ns == mtime


def test_a_file_is_written_as_utf_8_over_one_that_is_not(tmp_path):
    """CloudFormation reads UTF-8; an old file in another encoding is replaced, not a traceback."""
    target = tmp_path / "t.yaml"
    target.write_bytes("Description: caf\xe9\n".encode("latin-1"))
    assert write_atomic(target, "Description: caf\xe9\n") is True
    assert target.read_bytes() == "Description: caf\xe9\n".encode()
    assert write_atomic(target, "Description: caf\xe9\n") is False


def _cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "build.py", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args, expected",
    [
        (["build", "nope", "--no-lint"], "unknown template 'nope'; accepted: timestream-influxdb"),
        (
            ["build", "timestream-influxdb", "--option", "colour=blue"],
            "unknown option 'colour'; accepted keys: environments",
        ),
        (["build", "timestream-influxdb", "--option", "default_port=8090"], "default_port: 8090 is reserved"),
        (
            ["build", "timestream-influxdb", "--option", "default_port=http"],
            "default_port: 'http' is not a whole number",
        ),
        (
            ["build", "timestream-influxdb", "--option", "default_instance_type=db.t3.micro"],
            "is not accepted; use one of db.influx.medium",
        ),
        (["build", "timestream-influxdb", "--option", "environments=Prod"], "'Prod' is not accepted"),
        (["build", "--option", "default_port=9000"], "--option needs exactly one TEMPLATE"),
        (["lint", "missing.yaml"], "no such template file: missing.yaml"),
    ],
)
def test_bad_input_exits_non_zero_with_one_clear_line(tmp_path, args, expected):
    result = _cli(*args, "--output-dir", str(tmp_path)) if args[0] == "build" else _cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert not any(tmp_path.iterdir()), "nothing is written"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["build", "nope", "--output-dir", "{tmp}/out"], "unknown template 'nope'"),
        (
            ["build", "timestream-influxdb", "--option", "colour=blue", "--output-dir", "{tmp}/out"],
            "unknown option 'colour'",
        ),
        (
            ["build", "--option", "default_port=9000", "--output-dir", "{tmp}/out"],
            "needs exactly one TEMPLATE",
        ),
        (["build", "--output-dir", "{tmp}/file/out"], "file is not a directory"),
        (["lint", "{tmp}/missing.yaml"], "no such template file"),
        (["lint", "{tmp}/latin-1.yaml"], "latin-1.yaml: not UTF-8 text (byte 17)"),
    ],
)
def test_bad_input_is_refused_before_any_tool_starts(tmp_path, monkeypatch, capsys, args, expected):
    """Starting checkov makes its tool environment on a first run (tens of seconds, from the
    package index): a typo, an output directory the build cannot write in or a template that is
    not UTF-8 is refused, in one line, before that, and before anything is made."""
    from tooling import cli, toolenv
    from tooling.build.pipeline import BuildResult

    asked: list[str] = []

    def ensure_env(name, *_, **__):
        asked.append(name)
        raise toolenv.ToolEnvError("not made in this test")

    monkeypatch.setattr(toolenv, "ensure_env", ensure_env)
    (tmp_path / "file").write_text("")
    (tmp_path / "latin-1.yaml").write_bytes("Description: caf\xe9\nResources: {}\n".encode("latin-1"))
    assert cli.main([arg.format(tmp=tmp_path) for arg in args]) == 2
    assert asked == [] and not (tmp_path / "out").exists()
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert expected in line, line
    # The same stand-in sees checkov start once the input is good, and not without the gates.
    monkeypatch.setattr("tooling.gates.run.run_gates", lambda texts: [])
    monkeypatch.setattr("tooling.build.pipeline.build", lambda *a, **k: BuildResult())
    (tmp_path / "t.yaml").write_text("Resources: {}\n")
    assert cli.main(["lint", str(tmp_path / "t.yaml")]) == 0 and asked == ["checkov"]
    good = ["build", "timestream-influxdb", "--output-dir", str(tmp_path / "out")]
    assert cli.main([*good, "--no-lint"]) == 0 and asked == ["checkov"]
    assert cli.main(good) == 0 and asked == ["checkov", "checkov"]


@pytest.mark.parametrize("command", [[], ["build"], ["lint"], ["list"]])
def test_every_command_has_help(command):
    result = _cli(*command, "--help")
    assert result.returncode == 0 and "usage: build.py" in result.stdout


def test_build_with_options_writes_elsewhere_and_adapts_the_template(tmp_path):
    result = _cli(
        "build",
        "timestream-influxdb",
        "--no-lint",
        "--output-dir",
        str(tmp_path),
        "--option",
        "environments=dev,prod",
        "--option",
        "default_environment=dev",
    )
    assert result.returncode == 0, result.stderr
    from cfnlint.decode.decode import decode_str

    template, _ = decode_str((tmp_path / "timestream-influxdb.yaml").read_text())
    assert template["Parameters"]["Environment"]["AllowedValues"] == ["dev", "prod"]
    assert template["Parameters"]["Environment"]["Default"] == "dev"


def test_list_names_every_template_and_option():
    out = _cli("list").stdout
    for spec in TEMPLATES.values():
        assert spec.name in out
    assert "--option environments=" in out


def test_specs_for_unknown_name():
    with pytest.raises(KeyError, match="accepted: timestream-influxdb"):
        specs_for(["nope"])


def test_make_build_with_nothing_changed_does_no_work(gate_seed):
    # The first build (this checkout's, on a fresh clone) gates only what the run's verdicts lack.
    gate_seed.seed(ROOT / ".build")
    env = {**os.environ, "MAKEFLAGS": ""}
    first = subprocess.run(
        ["make", "-s", "build"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600
    )
    assert first.returncode == 0, first.stdout + first.stderr
    start = time.perf_counter()
    second = subprocess.run(["make", "build"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    elapsed = time.perf_counter() - start
    assert second.returncode == 0
    assert "Nothing to be done" in second.stdout
    assert elapsed < 0.3, f"a no-op make build took {elapsed:.2f} s"


def test_render_orders_sections_for_reading(rendered):
    text = rendered["timestream-influxdb.yaml"]
    tops = [line.split(":")[0] for line in text.splitlines() if line and not line[0].isspace()]
    assert tops == [s for s in render_module.SECTION_ORDER if s in tops]
    assert tops[-2:] == ["Resources", "Outputs"]


def test_commands_work_from_any_directory_and_write_only_under_the_project(tmp_path):
    """Defaults (output/, .build/, tooling/gates/rules/, tooling/gates/locks/, README.md) are the project's, not the cwd's."""
    script = str(ROOT / "build.py")
    listed = subprocess.run([sys.executable, script, "list"], cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert str(Path(os.path.relpath(ROOT / "output" / "timestream-influxdb.yaml", tmp_path))) in listed.stdout
    before = {p: p.read_text() for p in (ROOT / "output").glob("*.yaml")}
    built = subprocess.run(
        [sys.executable, script, "build", "--no-lint"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    assert "unchanged" in built.stdout and {p: p.read_text() for p in before} == before
    checked = subprocess.run(
        [sys.executable, script, "docs", "--check"], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert list(tmp_path.iterdir()) == []
    # From a directory removed under the shell: the project's paths are shown whole.
    (tmp_path / "gone").mkdir()
    orphaned = subprocess.run(
        ["sh", "-c", f'cd gone && rmdir ../gone && exec "{sys.executable}" "{script}" list'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert orphaned.returncode == 0 and "Traceback" not in orphaned.stderr, orphaned.stderr
    assert str(ROOT / "output" / "timestream-influxdb.yaml") in orphaned.stdout

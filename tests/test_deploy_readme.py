"""The README's deploy section stays true: its AWS CLI lines are the parameter files, its names are real."""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT
from templates_src.registry import TEMPLATES
from tooling.deploy import plan
from tooling.deploy.runner import load_template
from tooling.publish.config import read_bucket

PRODUCT = TEMPLATES["timestream-influxdb"]

SECTION = "## Deploy with CloudFormation"


@pytest.fixture(scope="module")
def section() -> str:
    text = (ROOT / "README.md").read_text()
    assert SECTION in text
    return text[text.index(SECTION) :]


@pytest.mark.parametrize("environment", ["development", "staging", "production"])
def test_the_aws_cli_line_of_each_environment_has_the_files_values(section: str, environment: str) -> None:
    match = re.search(rf"```bash\n# {environment}\n(aws cloudformation deploy .*?)\n```", section, re.S)
    assert match, f"no aws cloudformation deploy line for {environment}"
    words = match.group(1).replace("\\\n", " ").split()
    assert words[words.index("--template-file") + 1] == "output/timestream-influxdb.yaml"
    # Over 51,200 bytes, aws cloudformation deploy needs a bucket to upload the template to.
    assert words[words.index("--s3-bucket") + 1] == read_bucket(ROOT / "catalog.yaml")
    assert words[words.index("--capabilities") + 1] == "CAPABILITY_IAM"
    assert words[words.index("--stack-name") + 1] == f"ons-influxdb-{environment}"  # the Makefile's default
    overrides = words[words.index("--parameter-overrides") + 1 :]
    assert overrides == json.loads((ROOT / "params" / f"{environment}.json").read_text())


def test_names_in_the_section_are_the_codes(section: str) -> None:
    for variable in PRODUCT.secret_env.values():
        assert f"`{variable}`" in section
    protected = plan.protected_resources(
        load_template(ROOT / "output" / "timestream-influxdb.yaml"), PRODUCT.protected_types
    )
    for logical_id in protected:
        assert f"`{logical_id}`" in section
    makefile = (ROOT / "Makefile").read_text()
    assert "STACK ?= ons-influxdb-$(ENV)" in makefile

"""The tests' template reader (libyaml) reads every template the build writes as cfn-flip does;
the commands keep cfn-flip's reader for a user's own template."""

from __future__ import annotations

from pathlib import Path

import cfn_flip
import pytest
import yaml
from cfn_tools.yaml_loader import CfnYamlLoader

import yaml_reader as text

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = sorted((ROOT / "output").glob("*.yaml"))

# The forms a hand-written template uses that a generated one may not: both GetAtt forms, tags on
# every node kind, nested short forms, block scalars, anchors, YAML 1.1 booleans and dates that
# must stay strings or become what PyYAML makes of them, quoted and unquoted numbers, comments.
HAND_WRITTEN = """\
AWSTemplateFormatVersion: "2010-09-09"  # a comment
Conditions:
  On: !Equals [!Ref Flag, "yes"]
  Off: !Not [!Condition On]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Condition: On
    Properties:
      BucketName: !Sub
        - "${Name}-${AWS::Region}"
        - Name: !Select [0, !Split [",", !Ref Names]]
      Tags: &tags
        - {Key: when, Value: 2024-01-31}
        - {Key: flag, Value: yes}
        - {Key: plain, Value: on}
        - {Key: count, Value: 010}
        - {Key: float, Value: 1.5e3}
        - {Key: none, Value: ~}
  Other:
    Type: AWS::S3::Bucket
    Properties:
      Tags: *tags
      Arn: !GetAtt Bucket.Arn
      Arn2: !GetAtt [Bucket, Arn]
      Code: |
        def handler(event, context):
            return "é ✓"
      Folded: >
        one
        two
      Map: !If
        - On
        - {A: !ImportValue x, B: !Base64 {"Fn::Sub": "y"}}
        - !Ref AWS::NoValue
"""


@pytest.mark.parametrize("path", OUTPUTS, ids=lambda p: p.name)
def test_every_built_template_reads_as_cfn_flip_reads_it(path):
    source = path.read_text()
    assert text.to_json(source) == cfn_flip.to_json(source)


def test_a_hand_written_template_reads_as_cfn_flip_reads_it():
    assert text.load(HAND_WRITTEN) == cfn_flip.load(HAND_WRITTEN)[0]
    assert text.to_json(HAND_WRITTEN) == cfn_flip.to_json(HAND_WRITTEN)


def test_json_text_is_read_as_json_in_order():
    source = '{"Resources": {"B": {"Type": "x"}, "A": {"Type": "y"}}}'
    assert list(text.load(source)["Resources"]) == ["B", "A"]
    assert text.to_json(source) == cfn_flip.to_json(source)


def test_the_c_parser_is_used_where_pyyaml_has_it():
    assert issubclass(text.LOADER, yaml.CSafeLoader)


def test_without_libyaml_it_is_cfn_flips_own_loader(monkeypatch):
    monkeypatch.delattr(yaml, "CSafeLoader")
    assert text._c_loader() is CfnYamlLoader


@pytest.mark.parametrize("broken", ["a: [1, 2", "a: b: c", "key: !Ref\n  - [unclosed"])
def test_text_that_is_neither_raises_value_error_as_cfn_flip_does(broken):
    with pytest.raises(ValueError):
        cfn_flip.load(broken)
    with pytest.raises(ValueError):
        text.load(broken)


def test_the_commands_read_a_users_template_with_cfn_flip(tmp_path):
    """libyaml takes a tab after a colon, which PyYAML's own parser (and so cfn-flip) refuses: the
    deploy command's reader answers as cfn-flip does, not as the tests' reader."""
    from tooling.deploy.runner import DeployError, load_template

    tabbed = "Resources:\n  B:\n    Type:\tAWS::S3::Bucket\n"
    assert text.load(tabbed)["Resources"]["B"]["Type"] == "AWS::S3::Bucket"
    with pytest.raises(ValueError):
        cfn_flip.load(tabbed)
    path = tmp_path / "t.yaml"
    path.write_text(tabbed)
    with pytest.raises(DeployError, match="not a readable YAML or JSON template"):
        load_template(path)

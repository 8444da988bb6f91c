"""The compact YAML the renderer writes is the same document cfn-flip writes, only smaller."""

from __future__ import annotations

import functools
import json

import cfn_flip

from conftest import yaml_data
from tooling.build.render import FLOW_WIDTH, to_yaml


@functools.cache
def reference_yaml(body_json: str) -> str:
    """cfn-flip's own short-form YAML of a template's JSON."""
    return cfn_flip.to_yaml(body_json, clean_up=False, long_form=False)


def same_data(compact: str, body: dict) -> bool:
    """``compact`` loads to exactly the data of cfn-flip's own short-form YAML of ``body``."""
    return yaml_data(compact) == yaml_data(reference_yaml(json.dumps(body)))


def test_compact_yaml_is_the_same_document_as_cfn_flips(product_yaml, product):
    """``product_yaml`` is the renderer's text, ``product`` the troposphere template's data."""
    assert same_data(product_yaml, product)
    assert len(product_yaml.encode()) < len(reference_yaml(json.dumps(product)).encode())


def test_tagged_values_are_plain_where_yaml_allows_and_quoted_where_it_does_not(product_yaml, product):
    text = product_yaml
    assert same_data(text, product)
    # Plain, in a block and inside a flow collection.
    assert "    - Endpoint: !GetAtt InfluxDBInstance.Endpoint\n" in text
    assert "- {Key: Environment, Value: !Ref Environment}\n" in text
    assert "!Ref 'Environment'" not in text
    # "AWS::NoValue" may be plain in a block, but PyYAML allows no ":" in a plain flow scalar.
    assert "      - !Ref AWS::NoValue\n" in text
    assert "!If [CreateKmsKey, !GetAtt KmsKey.Arn, !Ref 'AWS::NoValue']" in text
    # A value starting with "{" cannot be plain, nor can a string that reads as a boolean.
    assert "- !Sub '{{resolve:secretsmanager:${AdminPasswordSecret}:SecretString}}'\n" in text
    assert "AllowedValues: ['true', 'false']\n" in text
    # Block sequences under a key are not indented.
    assert "    AllowedValues:\n    - db.influx.medium\n    - db.influx.large\n" in text


def test_short_collections_are_flow_style_long_ones_and_multiline_strings_stay_block():
    long_items = [f"item-{i:02d}" for i in range(FLOW_WIDTH // 8 + 1)]  # over FLOW_WIDTH on one line
    assert len(", ".join(long_items)) > FLOW_WIDTH
    body = {
        "Short": ["a", "b", {"Ref": "C"}],
        "Pair": {"Key": "Project", "Value": {"Ref": "ProjectName"}},
        "Choice": {"Fn::If": ["HasKey", {"Ref": "Key"}, {"Ref": "AWS::NoValue"}]},
        "Long": long_items,
        "Nested": {"Outer": {"Inner": "x"}, "Tail": "y"},
        "Script": ["run", "".join(f"line {i}\n" for i in range(12))],
        "Two": ["a", "line one\nline two"],
    }
    text = to_yaml(json.dumps(body))
    assert same_data(text, body)
    lines = text.splitlines()

    assert "Short: [a, b, !Ref C]" in lines
    assert "Pair: {Key: Project, Value: !Ref ProjectName}" in lines
    assert "Choice: !If [HasKey, !Ref Key, !Ref 'AWS::NoValue']" in lines
    # Nested short collections are flow style too (a flow collection inside a flow collection).
    assert "Nested: {Outer: {Inner: x}, Tail: y}" in lines
    # Too long for one line: a block sequence, one item a line.
    start = lines.index("Long:")
    assert lines[start + 1 : start + 1 + len(long_items)] == [f"- {item}" for item in long_items]
    # A multi-line string keeps its collection a block; a long one (cfn-flip's rule: 10 lines or
    # more) is a literal block scalar, a short one stays cfn-flip's double-quoted scalar.
    start = lines.index("Script:")
    assert lines[start + 1 : start + 15] == ["- run", "- |", *[f"  line {i}" for i in range(12)]]
    start = lines.index("Two:")
    assert lines[start + 1 : start + 3] == ["- a", '- "line one\\nline two"']
    # Nothing written in flow style runs past the width (plus its key and indentation).
    for line in lines:
        if "[" in line or "{" in line:
            value = line.split(": ", 1)[-1].lstrip("- ")
            assert len(value) <= FLOW_WIDTH + 2, line


def test_the_product_templates_flow_and_block_choices(product_yaml):
    text = product_yaml
    # Tags and short conditions on one line; long lists and function code as blocks.
    assert "      - {Key: ManagedBy, Value: CloudFormation}\n" in text
    assert "  CreateKmsKey: !Equals [!Ref StorageEncrypted, 'true']\n" in text
    assert "    AllowedValues:\n    - db.influx.medium\n" in text
    # The function code is a literal block: the Python reads as written, indented under the key.
    assert '        ZipFile: |\n          """Custom resource: automated backups' in text
    assert "\n          def handler(event, context):\n              return run(event, context, act)\n" in text

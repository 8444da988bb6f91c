"""The compact YAML the renderer writes is the same document cfn-flip writes, only smaller."""

from __future__ import annotations

import json

import cfn_flip

from templates_src.registry import TEMPLATES
from tooling.render import render


def test_compact_yaml_is_the_same_document_as_cfn_flips():
    spec = TEMPLATES["timestream-influxdb"]
    compact = render(spec)
    body = spec.build(spec.options()).to_dict()
    reference = cfn_flip.to_yaml(json.dumps(body), clean_up=False, long_form=False)
    assert json.loads(cfn_flip.to_json(compact)) == json.loads(cfn_flip.to_json(reference))
    assert len(compact.encode()) < len(reference.encode())


def test_tagged_values_are_plain_where_yaml_allows_and_quoted_where_it_does_not():
    text = render(TEMPLATES["timestream-influxdb"])
    assert "!Ref Environment\n" in text
    assert "!GetAtt InfluxDBInstance.Endpoint\n" in text
    # A value starting with "{" cannot be plain.
    assert "!Sub '{{resolve:secretsmanager:${AdminPasswordSecret}:SecretString}}'" in text
    # Sequences under a key are not indented.
    assert "    AllowedValues:\n    - 'true'\n" in text

"""The templates the build writes, read as cfn-flip reads them, with PyYAML's C parser.

cfn-flip reads YAML with PyYAML's pure-Python parser: 0.18 s for the product template, and the tests
read the built templates hundreds of times. PyYAML's wheels carry libyaml (``yaml.CSafeLoader``),
which reads it in 0.04 s; the constructors are cfn-flip's own (short-form intrinsics to
``{"Fn::...": ...}``, ``!GetAtt a.b`` to ``[a, b]``, mappings in order), so the data of a template
the build writes is the same: ``tests/test_yaml_reader.py`` checks that on every one of them.

Only for those texts. On some hand-written YAML libyaml and PyYAML's own parser disagree (tabs
after a colon or in a flow, a tag touching a comma or bracket in a flow, a byte-order mark inside
the text, flow nesting hundreds deep): one accepts what the other refuses, or reads other data. The
project's commands read a user's template with cfn-flip, as CloudFormation users expect.
"""

from __future__ import annotations

from typing import Any

import yaml
from cfn_tools import dump_json, load_json
from cfn_tools.yaml_loader import TAG_MAP, CfnYamlLoader, construct_mapping, multi_constructor


def _c_loader() -> type:
    """cfn-flip's loader on libyaml's parser, or cfn-flip's own when PyYAML was built without it."""
    base = getattr(yaml, "CSafeLoader", None)
    if base is None:
        return CfnYamlLoader
    loader = type("CfnYamlCLoader", (base,), {})
    loader.add_constructor(TAG_MAP, construct_mapping)
    loader.add_multi_constructor("!", multi_constructor)
    return loader


LOADER = _c_loader()


def load(text: str) -> Any:
    """``cfn_flip.load(text)[0]``: JSON when the text is JSON, else YAML; a text that is neither
    raises JSON's ``ValueError``, as cfn-flip's does."""
    try:
        return load_json(text)
    except ValueError as not_json:
        try:
            return yaml.load(text, Loader=LOADER)  # noqa: S506 - a SafeLoader with cfn-flip's constructors
        except Exception:
            raise not_json from None


def to_json(text: str) -> str:
    """``cfn_flip.to_json(text)``: the template as cfn-flip's JSON text."""
    return dump_json(load(text))

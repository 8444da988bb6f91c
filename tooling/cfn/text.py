"""A template's text as data, read as cfn-flip reads it, with PyYAML's C parser where it has one.

cfn-flip reads YAML with PyYAML's pure-Python parser: about 0.15 s for the product template, paid
by deploy, preflight, publish, the IAM gate and most tests. PyYAML's wheels carry libyaml
(``yaml.CSafeLoader``), which reads the product template about four times faster (0.04 s against
0.18 s); the constructors are cfn-flip's own (short-form intrinsics to ``{"Fn::...": ...}``,
``!GetAtt a.b`` to ``[a, b]``, mappings in order), so the data is the same.
``tests/test_cfn_text.py`` checks that on every template the build writes and on a hand-written
one with the forms a person uses (both GetAtt forms, block scalars, anchors, YAML 1.1 booleans).
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

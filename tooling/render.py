"""Render registered templates to YAML text and write them atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import cfn_flip
import yaml
from cfn_clean import cfn_literal_parser
from cfn_flip.yaml_dumper import Dumper as CfnFlipDumper
from cfn_tools._config import config as cfn_tools_config

from templates_src.registry import TemplateSpec

# The order a person reads a template in; within each section the builder's order is kept.
SECTION_ORDER = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Conditions",
    "Mappings",
    "Transform",
    "Resources",
    "Outputs",
)


def render(spec: TemplateSpec, options: Any | None = None) -> str:
    """The template as YAML: sections in reading order, resources in the builder's order."""
    body = spec.build(options if options is not None else spec.options()).to_dict()
    unknown = set(body) - set(SECTION_ORDER)
    if unknown:
        raise ValueError(f"template section(s) {sorted(unknown)} have no place in SECTION_ORDER")
    ordered = {key: body[key] for key in SECTION_ORDER if key in body}
    return to_yaml(json.dumps(ordered))


class CompactDumper(CfnFlipDumper):
    """cfn-flip's short-form dumper, writing the same document in fewer bytes.

    The product template must stay under the deploy size limit, so: YAML's usual indentless
    sequences under a key (``Action:\n- s3:GetObject``, not ``Action:\n  - s3:GetObject``), and
    no quotes around tagged values that need none (``!Ref Name``). ``tests/test_render.py``
    checks that the document is the same as cfn-flip's.
    """

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return yaml.Dumper.increase_indent(self, flow, indentless)

    def choose_scalar_style(self) -> str:
        """``!Ref Name`` rather than ``!Ref 'Name'`` where YAML allows the plain style.

        PyYAML quotes every scalar with an explicit tag; the quotes are not needed when the
        value could be written plain anyway (YAML's own analysis says so), and the tag stays.
        """
        style = super().choose_scalar_style()
        event, analysis = self.event, self.analysis
        plain_ok = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
        if (
            style == "'"
            and not event.style
            and (event.tag or "").startswith("!")
            and plain_ok
            and not analysis.empty
            and not analysis.multiline
            and not self.simple_key_context
        ):
            return ""
        return style


def to_yaml(template_json: str) -> str:
    """``cfn_flip.to_yaml(..., clean_up=False, long_form=False)`` with :class:`CompactDumper`."""
    data, _ = cfn_flip.load(template_json)
    return yaml.dump(
        cfn_literal_parser(data),
        Dumper=CompactDumper,
        default_flow_style=False,
        allow_unicode=True,
        width=cfn_tools_config.max_col_width,
    )


def write_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file and a rename; False when unchanged.

    A reader (or an interrupted build) never sees a half-written template, and an unchanged
    file keeps its modification time so ``make`` stays a no-op.
    """
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True

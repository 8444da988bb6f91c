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

    def represent_sequence(self, tag, sequence, flow_style=None):
        return _flow_if_short(super().represent_sequence(tag, sequence, flow_style))

    def represent_mapping(self, tag, mapping, flow_style=None):
        return _flow_if_short(super().represent_mapping(tag, mapping, flow_style))

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


#: A collection of scalars that fits in this many characters is written on one line, in flow style
#: (``!If [HasKey, !Ref Key, !Ref AWS::NoValue]``, ``{Key: Project, Value: !Ref ProjectName}``), as
#: CloudFormation YAML is usually written by hand.
FLOW_WIDTH = 90


def _flow_if_short(node: yaml.Node) -> yaml.Node:
    if node.value and _flow_length(node) <= FLOW_WIDTH:
        node.flow_style = True
    return node


def _flow_length(node: yaml.Node) -> int:
    """Characters ``node`` takes in flow style; more than FLOW_WIDTH when it must stay a block."""
    tag = len(node.tag) + 1 if node.tag.startswith("!") else 0
    if isinstance(node, yaml.ScalarNode):
        text = str(node.value)
        if "\n" in text:
            return FLOW_WIDTH + 1
        return tag + len(text) + 2  # room for quotes, if the emitter needs them
    children = node.value if isinstance(node, yaml.SequenceNode) else [c for pair in node.value for c in pair]
    # Children are represented first: one that stayed a block keeps its parent a block.
    if any(not isinstance(c, yaml.ScalarNode) and not c.flow_style for c in children):
        return FLOW_WIDTH + 1
    return tag + 2 + sum(_flow_length(c) + 2 for c in children)


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
    file keeps its modification time so ``make`` stays a no-op. The file gets the mode an
    ordinary write would give it: an existing file's own, else what the umask allows
    (``mkstemp`` alone would leave it readable by its owner only).
    """
    data = text.encode("utf-8")  # CloudFormation reads templates as UTF-8, whatever the locale
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def current_umask() -> int:
    """The process's umask (reading it means setting it: it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

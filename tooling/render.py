"""Render registered templates to YAML text and write them atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import cfn_flip

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
    return cfn_flip.to_yaml(json.dumps(ordered), clean_up=False, long_form=False)


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

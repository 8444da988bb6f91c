"""Markdown helpers every generated section uses, and the naming convention the tables and the
diagram share."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

Template = Mapping[str, Any]

# Properties whose value is the resource's own name: another resource naming the same value
# (an alarm's dimension, a dashboard's metric, an ARN in a policy) refers to it by name.
NAME_KEY = re.compile(r"^(Name|[A-Za-z]+Name)$")


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes and HTML escaped."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("*", "\\*")


def code(text: Any) -> str:
    """Inline code in a table cell. GitHub unescapes ``\\|`` inside code spans in tables."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def expression(value: Any) -> str:
    """An intrinsic function as a person reads it: ``Ref`` → name, ``Fn::Sub`` → its string."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return str(arg)
        if fn == "Fn::Sub":
            return arg if isinstance(arg, str) else arg[0]
        if fn == "Fn::GetAtt":
            return arg if isinstance(arg, str) else ".".join(map(str, arg))
    return json.dumps(value, separators=(",", ":"))

"""Turn ``KEY=VALUE`` strings from the command line into a template's typed options dataclass."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any


class OptionParseError(ValueError):
    """A ``KEY=VALUE`` the options dataclass cannot take; the message names the accepted keys or values."""


def parse_options(options_type: type, pairs: list[str]) -> Any:
    """Build ``options_type`` from ``KEY=VALUE`` pairs; unknown keys and bad values raise."""
    fields = {f.name: f for f in dataclasses.fields(options_type)}
    hints = typing.get_type_hints(options_type)
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep:
            raise OptionParseError(f"option {pair!r} is not KEY=VALUE; accepted keys: {', '.join(fields)}")
        if key not in fields:
            raise OptionParseError(f"unknown option {key!r}; accepted keys: {', '.join(fields)}")
        values[key] = _convert(key, raw, hints[key])
    try:
        return options_type(**values)
    except ValueError as err:  # the dataclass's own validation names the accepted values
        raise OptionParseError(str(err)) from err


def describe_options(options_type: type) -> list[tuple[str, str, str]]:
    """(name, type, default) of each option, for ``build.py list``."""
    hints = typing.get_type_hints(options_type)
    rows = []
    for f in dataclasses.fields(options_type):
        default = f.default
        shown = ",".join(default) if isinstance(default, tuple) else str(default)
        rows.append((f.name, _type_name(hints[f.name]), shown))
    return rows


def _convert(key: str, raw: str, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple:
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    if hint is bool:
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise OptionParseError(f"option {key}: {raw!r} is not accepted; use true or false")
        return lowered == "true"
    if hint is int:
        try:
            return int(raw)
        except ValueError:
            raise OptionParseError(f"option {key}: {raw!r} is not a whole number") from None
    return raw


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is tuple:
        return "comma-separated list"
    return getattr(hint, "__name__", str(hint))

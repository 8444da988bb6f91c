"""Where the project's files are: relative to the project root, never to the working directory,
so every command works from any directory."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project_path(*parts: str) -> Path:
    """A path under the project root, as short as it can be shown from the working directory
    (``output`` from the root, ``../repo/output`` from beside it); absolute from a working
    directory that no longer exists."""
    try:
        return Path(os.path.relpath(ROOT.joinpath(*parts)))
    except FileNotFoundError:
        return ROOT.joinpath(*parts)

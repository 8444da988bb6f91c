"""Python sources of the product's Lambda-backed custom resources, and their inlining.

Each function is a real module here (unit-tested as such) that imports the shared protocol from
:mod:`.cfn_response`. :func:`inline` makes the single ``index.py`` that ``Code.ZipFile`` carries:
the shared module and the function module joined, docstrings and comments dropped (``ast``),
duplicate imports merged, one space an indentation level. The result stays plain Python.
The template keeps the shared part once (see :mod:`..custom_resources`).
"""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent
SHARED = "cfn_response"
HANDLER = "index.handler"
#: Code.ZipFile limit of CloudFormation for one function.
ZIPFILE_LIMIT = 4096
#: Spaces a block level in the inlined code (ast.unparse writes 4).
INDENT = 1


def inline(module: str) -> str:
    """``index.py`` of the function in ``functions/<module>.py``: the shared code, then its own."""
    return shared_code() + own_code(module)


def shared_code() -> str:
    """The shared protocol module, ready to head any function's ``index.py``."""
    return _code(_statements(SHARED))


def own_code(module: str) -> str:
    """The function module without what :func:`shared_code` already provides."""
    shared_imports = {ast.dump(n) for n in _statements(SHARED) if isinstance(n, ast.Import)}
    return _code(
        n
        for n in _statements(module)
        if not (isinstance(n, ast.ImportFrom) and n.level == 1)  # the shared module itself
        and not (isinstance(n, ast.Import) and ast.dump(n) in shared_imports)
    )


def _statements(module: str) -> list[ast.stmt]:
    return _strip_docstrings(ast.parse((HERE / f"{module}.py").read_text())).body


def _code(statements) -> str:
    return reindent(ast.unparse(ast.Module(body=list(statements), type_ignores=[]))) + "\n"


def reindent(source: str, width: int = INDENT) -> str:
    """``ast.unparse`` output (4 spaces a level) with ``width`` spaces a level, to save bytes.

    Safe because ``ast.unparse`` writes every string literal on one line: the only leading
    spaces are indentation.
    """
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip(" ")
        lines.append(" " * ((len(line) - len(stripped)) // 4 * width) + stripped)
    return "\n".join(line for line in lines if line.strip())


def _strip_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return tree

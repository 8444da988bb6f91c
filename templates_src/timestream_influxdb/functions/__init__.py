"""Python sources of the product's Lambda-backed custom resources, and their inlining.

Each function is a real module here (unit-tested as such) that imports the shared protocol from
:mod:`.cfn_response`. :func:`inline` makes the single ``index.py`` that ``Code.ZipFile`` carries:
the shared module and the function module joined, docstrings and comments dropped (``ast``),
duplicate imports merged. The result stays plain, readable Python.
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
    """``index.py`` of the function in ``functions/<module>.py``, with the shared code inlined."""
    body: list[ast.stmt] = []
    seen_imports: set[str] = set()
    for name in (SHARED, module):
        tree = ast.parse((HERE / f"{name}.py").read_text())
        for node in _strip_docstrings(tree).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                continue  # the shared module is inlined above
            if isinstance(node, ast.Import):
                key = ast.dump(node)
                if key in seen_imports:
                    continue
                seen_imports.add(key)
            body.append(node)
    imports = [n for n in body if isinstance(n, ast.Import)]
    rest = [n for n in body if not isinstance(n, ast.Import)]
    return reindent(ast.unparse(ast.Module(body=imports + rest, type_ignores=[]))) + "\n"


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

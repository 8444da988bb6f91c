"""Python sources of the product's Lambda-backed custom resources, and their inlining.

Each function is a real module here, unit-tested as such. A custom-resource handler imports the
shared protocol from :mod:`.cfn_response` and declares the resource properties it reads in
``PROPERTIES``; a function that calls an in-VPC worker imports :mod:`.worker_call`, one that
waits for the database to apply a change :mod:`.database_status`; a worker (a plain Lambda handler
another function invokes) imports :mod:`.http_once` for its HTTP requests. :func:`inline` makes the
single ``index.py`` that ``Code.ZipFile`` carries (handler ``index.handler``): the function
module's docstring, the imports of every module it is made of (each once), the code of each shared
module the function imports, then the function's own code, as written - comments included.

There is no size budget to meet: cfn-lint's bundled schema for AWS::Lambda::Function says of
``Code.ZipFile`` only that CloudFormation zips it into a deployment package and "This zip file
cannot exceed 4MB".
"""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

HERE = Path(__file__).parent
#: The shared modules, in the order they are inlined.
SHARED = ("cfn_response", "worker_call", "http_once", "database_status", "parameter_groups")
HANDLER = "index.handler"
#: Name of the module-level tuple in which a function module declares the properties it reads.
PROPERTIES = "PROPERTIES"


def modules() -> list[str]:
    """The function modules (every module here but the shared ones)."""
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in ("__init__", *SHARED))


def inline(module: str, directory: Path = HERE) -> str:
    """``index.py`` of the function in ``functions/<module>.py``, with each shared module it
    imports inlined. ``directory`` is where the module is: another product's ``functions/``
    package; the shared modules are always this package's."""
    own = _source(module, directory)
    shared = {name: _source(name) for name in SHARED if own.uses(name)}
    imports = {line for source in (*shared.values(), own) for line in source.imports()}
    stdlib = sorted(i for i in imports if i.split()[1].split(".")[0] in sys.stdlib_module_names)
    import_groups = ["\n".join(group) for group in (stdlib, sorted(imports - set(stdlib))) if group]
    head = "\n\n".join(part for part in (own.docstring_source, *import_groups) if part)
    return (
        "\n\n\n".join(
            [
                head,
                *(f"# From {name}.py: {source.summary}\n\n{source.body}" for name, source in shared.items()),
                f"# From {module}.py.\n\n{own.body}",
            ]
        )
        + "\n"
    )


def declared_properties(module: str, directory: Path = HERE) -> tuple[str, ...]:
    """The ``PROPERTIES`` a function module declares, read from its source (nothing is imported)."""
    for node in _source(module, directory).tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [PROPERTIES]:
            value = ast.literal_eval(node.value)
            if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
                return value
    raise ValueError(f"functions/{module}.py declares no {PROPERTIES} = (<property name>, ...)")


def _source(module: str, directory: Path = HERE) -> _Source:
    """``functions/<module>.py`` as it is now on disk: the file is read on every call, its parse
    is reused while the text is the same (every template build inlines each module again)."""
    return _parsed((directory / f"{module}.py").read_text())


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> _Source:
    return _Source(text)


class _Source:
    """A module's source, split into its docstring, its imports and the rest (its body); not
    changed once made (:func:`_parsed` shares it)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tree = ast.parse(self.text)
        self.docstring = ast.get_docstring(self.tree, clean=False) or ""
        head = [
            n
            for n in self.tree.body
            if isinstance(n, (ast.Import, ast.ImportFrom))
            or (n is self.tree.body[0] and isinstance(n, ast.Expr) and self.docstring)
        ]
        lines = self.text.splitlines()
        # The body starts after the last import: comments between statements stay in it.
        self.body = "\n".join(lines[max(n.end_lineno for n in head) if head else 0 :]).strip("\n")
        self._imports = [n for n in head if isinstance(n, (ast.Import, ast.ImportFrom))]
        first = self.tree.body[0] if self.tree.body else None
        self.docstring_source = ast.get_source_segment(self.text, first) if self.docstring else ""

    def uses(self, module: str) -> bool:
        """Whether this module imports ``module`` of this package (``from .<module> import ...``)."""
        return any(isinstance(n, ast.ImportFrom) and n.level and n.module == module for n in self._imports)

    @property
    def summary(self) -> str:
        return self.docstring.strip().splitlines()[0] if self.docstring else ""

    def imports(self) -> list[str]:
        """Absolute imports, one statement a line; the relative import of the shared module is
        dropped (its code is inlined), and so is ``from __future__`` (not needed by Python 3.12)."""
        return [
            ast.unparse(n)
            for n in self._imports
            if not (isinstance(n, ast.ImportFrom) and (n.level or n.module == "__future__"))
        ]

"""What every gate is and reports: the ``Gate`` interface, one ``Finding`` per problem, one
``GateResult`` per gate run, and the summary table ``make lint`` and the build print."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

NO_RESOURCE = "-"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem a gate found, printed as one line naming gate, rule, resource and file.

    ``resource`` is the logical id of the resource (or output, or parameter) the finding is about,
    ``-`` when the gate names none (a template that cannot be parsed, a tool that failed).
    ``regions``: the Regions a Region-specific finding applies to (empty: every Region checked).
    """

    file: str
    checker: str
    rule: str
    resource: str
    message: str
    line: int = 0
    regions: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        regions = f" [{', '.join(self.regions)}]" if self.regions else ""
        return (
            f"{self.checker} rule={self.rule} resource={self.resource or NO_RESOURCE} file={where} "
            f"{self.message}{regions}"
        )


@dataclass
class GateResult:
    """One gate's run over a set of templates."""

    checker: str
    #: templates the gate looked at in this run
    checked: list[str] = field(default_factory=list)
    #: templates whose clean verdict was reused (same text, same gate and rules)
    cached: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    #: lines the summary prints under the table (how the gate split its work)
    notes: list[str] = field(default_factory=list)


@dataclass
class RunContext:
    """What a gate run may use besides the texts: where to stage files, how to log, and files on
    disk for tools that need them."""

    stage_dir: Path | None = None
    log: Callable[[str], None] = print

    def files(self, texts: dict[str, str]) -> dict[str, Path]:
        """A file holding each text: the display name itself when it does, else a staged copy."""
        files: dict[str, Path] = {}
        for i, (name, text) in enumerate(sorted(texts.items())):
            path = Path(name)
            if not (path.is_file() and path.read_text() == text):
                if self.stage_dir is None:
                    raise ValueError(f"{name}: not on disk with this text, and no stage_dir to write it to")
                path = self.stage_dir / f"{i:03d}-{path.name}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            files[name] = path
        return files


class Pending(Protocol):
    """A started gate run."""

    def wait(self) -> GateResult: ...

    def cancel(self) -> None: ...


@dataclass
class Done:
    """A gate run that finished when it was started (an in-process gate)."""

    result: GateResult

    def wait(self) -> GateResult:
        return self.result

    def cancel(self) -> None:
        pass


@dataclass(frozen=True)
class Gate:
    """One checker. Adding a gate is one module that defines a ``Gate`` and one entry in ``GATES``.

    ``name`` is the gate's name in findings, the summary and the cache; ``does`` says in a few
    words what it checks (the command line's help is made from it); ``fingerprint`` returns what
    a verdict depends on besides the template text (tool version, rules, the adapter's source);
    ``start`` begins checking ``texts`` (display name -> text) and returns the pending run.
    A ``background`` gate runs in its own process: it is started before the in-process ones so
    they overlap it, and ``prestart`` (if any) lets the command line start it even earlier.
    """

    name: str
    does: str
    fingerprint: Callable[[], str]
    start: Callable[[dict[str, str], RunContext], Pending]
    background: bool = False
    prestart: Callable[[Callable[[str], None]], None] | None = None


def source_of(module_file: str) -> str:
    """An adapter's own source, part of its gate's fingerprint."""
    return Path(module_file).read_text()


def summary_table(results: list[GateResult], total_seconds: float | None = None) -> str:
    """The table ``make lint`` prints: gate, templates checked, cached, findings, time; then notes."""
    header = f"{'checker':<12} {'templates':>9} {'cached':>6} {'findings':>8} {'time':>8}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.checker:<12} {len(r.checked):>9} {len(r.cached):>6} {len(r.findings):>8} {r.seconds:>6.2f} s"
        )
    if total_seconds is not None:
        files = {f for r in results for f in r.checked + r.cached}
        found = sum(len(r.findings) for r in results)
        lines.append("-" * len(header))
        lines.append(f"{'all (wall)':<12} {len(files):>9} {'':>6} {found:>8} {total_seconds:>6.2f} s")
    lines += [f"{r.checker:<12} {note}" for r in results for note in r.notes]
    return "\n".join(lines)

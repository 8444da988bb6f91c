"""What every gate reports: one finding per line, and a gate's result for the summary table."""

from __future__ import annotations

from dataclasses import dataclass, field

NO_RESOURCE = "-"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem a checker found, printed as one line naming checker, rule, resource and file.

    ``resource`` is the logical id of the resource (or output, or parameter) the finding is about,
    ``-`` when the checker names none (a template that cannot be parsed, a tool that failed).
    """

    file: str
    checker: str
    rule: str
    resource: str
    message: str
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{self.checker} rule={self.rule} resource={self.resource or NO_RESOURCE} file={where} {self.message}"


@dataclass
class GateResult:
    """One checker's run over a set of templates."""

    checker: str
    #: templates the checker looked at in this run
    checked: list[str] = field(default_factory=list)
    #: templates whose clean verdict was reused (same text, same checker and rules)
    cached: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


def summary_table(results: list[GateResult], total_seconds: float | None = None) -> str:
    """The table ``make lint`` prints: checker, templates checked, cached, findings, time."""
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
    return "\n".join(lines)

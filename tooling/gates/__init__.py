"""The gates every template passes before it is written: ``GATES`` is the one list of them.

Run order, the summary table, the verdict cache and the command line's help all come from
``GATES``; adding a gate is one module defining a :class:`~tooling.gates.base.Gate` and one
entry here.
"""

from __future__ import annotations

from collections.abc import Callable

from . import cfn_lint, checkov, guard, parliament
from .base import Finding, Gate, GateResult, summary_table

GATES: tuple[Gate, ...] = (cfn_lint.GATE, checkov.GATE, guard.GATE, parliament.GATE)


def names() -> tuple[str, ...]:
    return tuple(gate.name for gate in GATES)


def described(separator: str = ", ", last: str = " and ") -> str:
    """What the gates check, in order, as one phrase (for help texts)."""
    parts = [gate.does for gate in GATES]
    return separator.join(parts[:-1]) + last + parts[-1] if len(parts) > 1 else "".join(parts)


def prestart(log: Callable[[str], None] = print) -> None:
    """Start the background gates' tools now, so their start-up overlaps whatever comes next."""
    for gate in GATES:
        if gate.prestart is not None:
            gate.prestart(log)


__all__ = ["Finding", "GATES", "Gate", "GateResult", "described", "names", "prestart", "summary_table"]

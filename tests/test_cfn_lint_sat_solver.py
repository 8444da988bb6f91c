"""cfn-lint's Condition solving (sympy) without the optional pycosat: its import fails at once, sympy
falls back to its own solver, and what it answers does not change."""

from __future__ import annotations

import importlib
import sys

import pytest

from tooling.gates import cfn_lint


def test_an_absent_solver_is_blocked_and_sympy_still_solves(monkeypatch):
    monkeypatch.setattr(cfn_lint, "SAT_SOLVER", "no_such_sat_solver_module")
    monkeypatch.delitem(sys.modules, "no_such_sat_solver_module", raising=False)
    cfn_lint.skip_absent_sat_solver()
    try:
        assert sys.modules["no_such_sat_solver_module"] is None
        with pytest.raises(ImportError):
            importlib.import_module("no_such_sat_solver_module")
    finally:
        del sys.modules["no_such_sat_solver_module"]


def test_an_installed_module_is_left_alone(monkeypatch):
    monkeypatch.setattr(cfn_lint, "SAT_SOLVER", "json")
    monkeypatch.delitem(sys.modules, "json")
    cfn_lint.skip_absent_sat_solver()
    assert "json" not in sys.modules or sys.modules["json"] is not None
    assert importlib.import_module("json").dumps([]) == "[]"


def test_with_pycosat_blocked_sympy_answers_as_its_own_solver_does():
    """What cfn-lint asks of satisfiable(): a model or False, from sympy's own solver either way."""
    # Imported here, not at collection: sympy costs every test process about 0.5 s to import.
    from sympy import symbols
    from sympy.logic.inference import satisfiable

    cfn_lint.skip_absent_sat_solver()
    a, b = symbols("a b")
    assert satisfiable(a & ~a) is False
    assert satisfiable(a & b) == {a: True, b: True}
    assert satisfiable((a | b) & ~a) == {a: False, b: True}
    assert satisfiable(a & b, algorithm="dpll2") == satisfiable(a & b)

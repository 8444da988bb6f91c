"""``build.py preflight``: read-only AWS checks of a parameter file against an account, before a create.

- :mod:`.checks`: the pure checks over fetched facts, and :data:`~.checks.CATALOGUE` of them;
- :mod:`.names`: the fixed names a stack will create, read from the template;
- :mod:`.gather`: the read-only AWS calls (through :mod:`tooling.aws`) that fetch the facts;
- :mod:`.run`: the command: validate offline, gather, check, print one line per check.
"""

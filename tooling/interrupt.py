"""Ctrl-C that no library can lose.

Some code the gates run catches every exception with a bare ``except:`` (cfn-lint does, in a few
rules), KeyboardInterrupt included: a Ctrl-C that lands there is swallowed, the gates go on, and
checkov, interrupted with the rest of the process group, then looks like a failed check. The
command line installs :func:`install`'s handler, which records the interruption as well as raising
it; :func:`check` raises it again where the gates' results would be used.
"""

from __future__ import annotations

import signal

_interrupted = False


def _handler(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def install() -> None:
    """Record every SIGINT (and raise KeyboardInterrupt, as Python's default handler does)."""
    signal.signal(signal.SIGINT, _handler)


def interrupted() -> bool:
    return _interrupted


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C came, even one that something caught and dropped."""
    if _interrupted:
        raise KeyboardInterrupt

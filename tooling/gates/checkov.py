"""checkov (CloudFormation framework, offline) from its own tool environment.

checkov runs as a subprocess of its venv (see ``toolenv``), started before the in-process
checkers so that its ~2.5-6 s of start-up overlaps them. A check that cannot apply to a resource
is skipped in that resource's ``Metadata.checkov.skip`` with a comment; checkov honours it and
``tests/test_checkov.py`` keeps the list of reviewed skips.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .. import interrupt, toolenv
from .base import Finding, Gate, GateResult, RunContext, source_of

NAME = "checkov"
#: How often a wait for checkov looks whether the command saw a Ctrl-C meanwhile.
POLL_SECONDS = 0.5
ARGS = ["--framework", "cloudformation", "--skip-download", "--output", "json", "--quiet", "--compact"]


def fingerprint() -> str:
    """What a checkov verdict depends on besides the text: the locked tool set and this adapter."""
    return toolenv.lock_file(NAME).read_text() + source_of(__file__)


# checkov's graph parses a JSONPath for each distinct attribute key with bc_jsonpath_ng, which
# asks PLY's yacc() for a new parser every time with table writing off, so PLY works out the
# same LALR table again for each key: ~60 ms a key, a second or more of every checkov run (the
# cold gate run over the catalog spent ~2.3 s of checkov's ~7 s in it). This code, run in
# checkov's interpreter before checkov is imported, has PLY write the table of a grammar's first
# parser to a temporary directory, loads it as a module and removes the directory; every later
# yacc() call for that grammar (the parser class, method, table name and start symbol) is given
# the module as its ``tabmodule``. PLY uses a table module only when its grammar signature
# matches the caller's grammar, and builds the table anew otherwise.
#
# Nothing here may fail into checkov: its graph catches a failed JSONPath update and sets the
# attribute another way, and a failed graph check on one resource drops that resource from the
# check's results; either can change the findings. So any failure, on the first call or a later
# one, falls back to plain yacc() for that grammar from then on, and a call not made as
# bc_jsonpath_ng makes it (positional arguments, ``optimize``, a pickle file) is passed through.
# tests/test_checkov.py compares the tables, parses and whole reports with plain PLY's.
ONE_TABLE_PER_GRAMMAR = """
import functools, importlib.util, os, tempfile
import ply.yacc

_tables = {}
_yacc = ply.yacc.yacc
_TABLE_PARTS = ("_tabversion", "_lr_method", "_lr_signature", "_lr_action", "_lr_goto", "_lr_productions")

@functools.wraps(_yacc)
def _yacc_with_table(*args, **kwargs):
    module = kwargs.get("module")
    if args or module is None or kwargs.get("optimize") or kwargs.get("picklefile"):
        return _yacc(*args, **kwargs)
    key = (type(module), kwargs.get("method", "LALR"), kwargs.get("tabmodule"), kwargs.get("start"))
    table = _tables.get(key, False)
    if table is None:
        return _yacc(**kwargs)
    try:
        if table:
            return _yacc(**{**kwargs, "tabmodule": table})
        name = "checkov_parsetab_%d" % len(_tables)
        with tempfile.TemporaryDirectory() as tmp:
            parser = _yacc(**{**kwargs, "tabmodule": name, "outputdir": tmp, "write_tables": True})
            spec = importlib.util.spec_from_file_location(name, os.path.join(tmp, name + ".py"))
            table = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(table)
        if not all(hasattr(table, part) for part in _TABLE_PARTS):
            raise ValueError("incomplete table module")
        _tables[key] = table
        return parser
    except Exception:
        _tables[key] = None
        return _yacc(**kwargs)

ply.yacc.yacc = _yacc_with_table
"""

# Runs in checkov's venv: import checkov (most of its start-up), then wait for the arguments on
# stdin, so the import overlaps whatever the caller does meanwhile (render, other gates).
RUN_CHECKOV = """
import json, sys, warnings
warnings.simplefilter("ignore")
from checkov.main import Checkov
line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
sys.exit(Checkov(argv=json.loads(line)).run())
"""
_SERVER = ONE_TABLE_PER_GRAMMAR + RUN_CHECKOV

_PRESTARTED: CheckovProcess | None = None


class CheckovProcess:
    """checkov's interpreter, started early and importing; ``submit`` gives it the files."""

    def __init__(self, log: Callable[[str], None] = print, argv: list[str] | None = None) -> None:
        """Start checkov's server in its tool environment, or ``argv`` (a stand-in, for tests)."""
        if argv is None:
            toolenv.ensure_env(NAME, log)  # raises ToolEnvError: reported as a finding by CheckovRun
            argv = [str(toolenv.tool_bin(NAME, "python")), "-c", _SERVER]
        self.start = time.perf_counter()
        #: When checkov's interpreter ended (``perf_counter``), noted as it ends: the build waits
        #: for checkov last, after the in-process gates, which may end after it. A report larger
        #: than the pipe holds (64 KiB on Linux: hundreds of findings, since ARGS print failed
        #: checks only) keeps checkov writing until the build reads it, and its time runs to then.
        self.ended: float | None = None
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["LOG_LEVEL"] = "ERROR"
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=toolenv.ROOT,
        )
        self._watcher = threading.Thread(target=self._note_end, name="checkov-end", daemon=True)
        self._watcher.start()

    def _note_end(self) -> None:
        # Popen serialises its waits (communicate() and cancel() see the status reaped here). As
        # with any two threads on one Popen, a kill() in the instant between this reaping and
        # Popen noting the exit status would signal a pid already freed (CPython says so too).
        self.proc.wait()
        self.ended = time.perf_counter()

    def seconds(self) -> float:
        """checkov's time: from its interpreter's start to its end (or to now, while it runs)."""
        if self.proc.poll() is not None:
            self._watcher.join(timeout=1)  # ended: the watcher notes it at once
        return (time.perf_counter() if self.ended is None else self.ended) - self.start

    def submit(self, files: list[Path]) -> None:
        args = list(ARGS)
        for path in files:
            args += ["--file", str(path.resolve())]
        stdin, self.proc.stdin = self.proc.stdin, None  # sent; communicate() must not flush it again
        try:
            stdin.write(json.dumps(args) + "\n")
            stdin.close()
        except BrokenPipeError:
            # checkov's interpreter ended before reading them (its import failed, or it was
            # interrupted): ``wait`` reports what it printed, as a finding or an interruption.
            with contextlib.suppress(OSError):
                stdin.close()

    def finish(self) -> tuple[str, str]:
        """checkov's standard output and error once it ends. Where the command line recorded a
        Ctrl-C (``interrupt.install``), even one a library swallowed, the wait ends within a poll
        instead: checkov is killed and KeyboardInterrupt raised.

        A Ctrl-C reaches checkov too (the process group's), and its results would not count. A
        checkov interrupted while it starts was seen to hang in its own handling of the signal,
        blocked writing to a pipe of its own: a plain wait kept ``make build`` waiting for ever.
        """
        while not interrupt.interrupted():
            try:
                return self.proc.communicate(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                continue
        self.cancel()
        raise KeyboardInterrupt

    def cancel(self) -> None:
        """Kill checkov and close its pipes without reading them (a second call does nothing new):
        its output is not wanted, and a child of checkov still holding them must not keep the
        command waiting; one still writing to them then fails."""
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def prestart(log: Callable[[str], None] = print, yield_cpu: bool = True) -> None:
    """Start checkov's interpreter now, for the next CheckovRun of this process to use.

    With ``yield_cpu`` (the command line's choice) this process then lowers its own priority a
    little: checkov is the slowest gate, so whatever else the build does (render, cfn-lint,
    Guard, parliament) should take the CPU checkov leaves, not slow it down on a busy machine.
    """
    global _PRESTARTED
    if _PRESTARTED is None:
        try:
            _PRESTARTED = CheckovProcess(log)
        except toolenv.ToolEnvError:
            return  # CheckovRun tries again and reports the failure
        # A command that stops early (an output it cannot write, an interruption) must not leave
        # checkov importing for seconds.
        atexit.register(cancel_prestarted)
        if yield_cpu and hasattr(os, "nice"):
            with contextlib.suppress(OSError):
                os.nice(5)


def cancel_prestarted() -> None:
    global _PRESTARTED
    if _PRESTARTED is not None:
        _PRESTARTED.cancel()
        _PRESTARTED = None


class CheckovRun:
    """A running checkov over ``files`` (display name -> file on disk); ``wait()`` for the result.

    Its time counts from the start of checkov's interpreter (``prestart`` or now), since that
    start-up is part of what checkov costs, to checkov's end, not to the build's wait for it,
    which comes after the in-process gates.
    """

    def __init__(self, files: dict[str, Path], log: Callable[[str], None] = print) -> None:
        global _PRESTARTED
        self.files = files
        self.start = time.perf_counter()
        self.process: CheckovProcess | None = None
        self.error: str | None = None
        if not files:
            cancel_prestarted()
            return
        process, _PRESTARTED = _PRESTARTED, None
        try:
            self.process = process or CheckovProcess(log)
        except toolenv.ToolEnvError as err:
            self.error = f"tool environment: {err}"
            return
        self.start = self.process.start
        self.process.submit(list(files.values()))

    def cancel(self) -> None:
        if self.process is not None:
            self.process.cancel()
            self.process = None

    def wait(self) -> GateResult:
        result = GateResult(NAME, checked=list(self.files))
        if self.process is not None:
            out, err = self.process.finish()
            result.findings = parse(out, err, self.process.proc.returncode, self.files)
            result.seconds = self.process.seconds()
            return result
        if self.error:
            result.findings = [_error(name, self.error) for name in self.files]
        result.seconds = time.perf_counter() - self.start if self.files else 0.0
        return result


def parse(stdout: str, stderr: str, returncode: int, files: dict[str, Path]) -> list[Finding]:
    """Findings from checkov's JSON report; anything unexpected is a finding, never a pass."""
    by_path = {str(path.resolve()): name for name, path in files.items()}
    try:
        reports = json.loads(stdout)
    except json.JSONDecodeError:
        tail = " | ".join((stderr or stdout).strip().splitlines()[-3:]) or f"exit status {returncode}"
        return [_error(name, f"no JSON report from checkov: {tail}") for name in files]
    reports = reports if isinstance(reports, list) else [reports]
    findings: list[Finding] = []
    resources = sum(r.get("summary", {}).get("resource_count", 0) for r in reports)
    if files and not resources:
        return [_error(name, "checkov found no CloudFormation resources to check") for name in files]
    for report in reports:
        if report.get("check_type", "cloudformation") != "cloudformation":
            continue
        summary = report.get("summary", {})
        if summary.get("parsing_errors"):
            for path in report.get("results", {}).get("parsing_errors", []) or list(by_path):
                findings.append(
                    _error(
                        by_path.get(str(Path(path).resolve()), path), "checkov could not parse the template"
                    )
                )
        for check in report.get("results", {}).get("failed_checks", []):
            path = str(Path(check.get("file_abs_path") or check["file_path"]).resolve())
            resource = check.get("resource", "").rsplit(".", 1)[-1]
            line = (check.get("file_line_range") or [0])[0]
            findings.append(
                Finding(by_path.get(path, path), NAME, check["check_id"], resource, check["check_name"], line)
            )
    if not findings and returncode not in (0, 1):
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        findings = [_error(name, f"checkov exited with status {returncode}: {tail}") for name in files]
    return sorted(findings)


def _error(file: str, message: str) -> Finding:
    return Finding(file, NAME, "ERROR", "-", message)


def start(texts: dict[str, str], context: RunContext) -> CheckovRun:
    return CheckovRun(context.files(texts) if texts else {}, context.log)


GATE = Gate(
    name=NAME,
    does="checkov's CloudFormation checks (offline)",
    fingerprint=fingerprint,
    start=start,
    background=True,
    prestart=prestart,
)

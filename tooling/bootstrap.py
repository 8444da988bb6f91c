"""The project's virtual environment, made by ``make`` on first use: ``python tooling/bootstrap.py``.

It runs with whatever interpreter ``make`` was given (``PYTHON``), before any dependency is
installed, so it uses the standard library only and says in one line when that interpreter is not
one the project supports (``--check``). The environment is marked ready (a stamp in it naming the
lock's checksum and the interpreter's version, which ``make`` looks for) only once everything is
installed: a run that fails or is interrupted removes what it made, and an environment without
its stamp (half made, or made by another interpreter) is made again. A file lock keeps two first
runs at once (``make build`` and ``make test``) from installing into the same directory.
``run_with_progress`` is also how ``tooling.toolenv`` installs the gates' tool environments.
"""

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time

#: The interpreters requirements.lock and the gates' tool locks install on (pyproject.toml says
#: which the package accepts; the locks are compiled for these).
SUPPORTED = ((3, 11), (3, 12), (3, 13))
#: Seconds between two progress lines while a step is silent.
HEARTBEAT = 5.0


def supported_names() -> str:
    names = ["%d.%d" % v for v in SUPPORTED]
    return ", ".join(names[:-1]) + " or " + names[-1]


def version_problem(python: str, version: tuple) -> str:
    """One line saying why ``python`` cannot be used, and what to type instead; "" when it can."""
    if tuple(version[:2]) in SUPPORTED:
        return ""
    return "%s is Python %s; this project needs Python %s: make build PYTHON=%s" % (
        python,
        ".".join(str(v) for v in version[:3]),
        supported_names(),
        suggestion(),
    )


def suggestion() -> str:
    """An installed supported interpreter's command name (the newest that runs), else python3.12."""
    for major, minor in reversed(SUPPORTED):
        name = "python%d.%d" % (major, minor)
        if shutil.which(name):
            try:
                ok = subprocess.run([name, "-c", ""], capture_output=True, timeout=10).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
            if ok:  # a pyenv shim exists for versions that are not selected, and fails
                return name
    return "python3.12"


def run_with_progress(cmd, label, log=print, total=0, env=None, cwd=None):
    """Run ``cmd``, logging ``label`` and what it is doing every few seconds; (status, last lines).

    pip's own output is one line per package: it is summed up ("collecting 12/79 packages")
    rather than shown. KeyboardInterrupt kills the command and is raised again.
    """
    begin = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd
    )
    state = {"lines": [], "collected": 0, "phase": "starting"}

    def read():
        for line in proc.stdout:
            line = line.strip()
            if not line:
                continue
            state["lines"] = (state["lines"] + [line])[-20:]
            if line.startswith("Collecting ") or line.startswith("Requirement already satisfied"):
                state["collected"] += 1
                state["phase"] = "collecting"
            elif line.startswith("Installing collected packages"):
                state["phase"] = "installing"
            elif not line.startswith(("Downloading", "Using cached", "Obtaining")):
                state["phase"] = state["phase"] if state["phase"] != "starting" else "working"

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    shown = begin
    try:
        while True:
            try:
                status = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - shown >= HEARTBEAT:
                shown = time.monotonic()
                count = state["collected"]
                what = state["phase"]
                if what == "collecting" and total:
                    what = "collecting %d/%d packages" % (min(count, total), total)
                elif what == "installing":
                    what = "installing %d packages" % count
                log("%s %s  %.0f s" % (label, what, shown - begin))
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reader.join(timeout=5)
    return status, state["lines"]


def requirement_count(lock: str) -> int:
    with open(lock) as f:
        return sum(1 for line in f if re.match(r"^[A-Za-z0-9][^ ]*==", line))


def venv_version(venv: str) -> str:
    """The ``X.Y`` version of the environment's interpreter, "" when it does not run."""
    python = os.path.join(venv, "bin", "python")
    try:
        proc = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def remove(venv: str) -> None:
    """Remove a (half-made) environment; a symbolic link is removed, not what it points at."""
    if os.path.islink(venv):
        os.unlink(venv)
    elif os.path.exists(venv):
        shutil.rmtree(venv)


def adopt_earlier(venv: str, lock: str, version: str) -> bool:
    """True when ``venv`` holds a complete install of ``lock`` marked by an earlier Makefile (a
    stamp named after the lock's sha256) with the interpreter version asked for."""
    with open(lock, "rb") as f:
        legacy = os.path.join(venv, ".ready-" + hashlib.sha256(f.read()).hexdigest()[:12])
    return os.path.exists(legacy) and venv_version(venv) == version


def make_venv(venv: str, lock: str, stamp: str, log=print) -> int:
    python = sys.executable
    version = "%d.%d" % sys.version_info[:2]
    os.makedirs(os.path.dirname(os.path.abspath(venv)), exist_ok=True)
    with open(venv.rstrip("/") + ".lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # a second first run waits here, then finds the stamp
        if os.path.exists(stamp) and venv_version(venv):
            return 0  # ready; a stamp next to an interpreter that no longer runs is not trusted
        if adopt_earlier(venv, lock, version):
            write_stamp(stamp, python, lock)
            return 0
        made_by = venv_version(venv) if os.path.lexists(venv) else None
        if made_by is not None:
            if made_by and made_by != version:
                why = "was made by Python %s" % made_by
            elif not made_by:
                why = "has an interpreter that no longer runs"
            else:
                why = "is incomplete"
            log("venv    %s %s: making it again" % (venv, why))
            remove(venv)
        begin = time.monotonic()
        total = requirement_count(lock)
        log(
            "venv    creating %s with %s (Python %s): %d packages from %s, about 20 s (first run only)"
            % (venv, python, ".".join(map(str, sys.version_info[:3])), total, lock)
        )
        try:
            status, lines = run_with_progress([python, "-m", "venv", venv], "venv   ", log)
            if status == 0:
                pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install"]
                pip += ["--disable-pip-version-check", "--progress-bar", "off", "--require-hashes"]
                pip += ["--no-deps", "-r", lock]
                status, lines = run_with_progress(pip, "venv   ", log, total=total)
        except KeyboardInterrupt:
            remove(venv)
            log("venv    interrupted: %s removed" % venv)
            return 130
        if status != 0:
            remove(venv)
            log("venv    failed (exit status %d); %s removed. Its last lines:" % (status, venv))
            for line in lines[-8:]:
                log("venv    | " + line)
            return 1
        write_stamp(stamp, python, lock)
        log("venv    ready: %d packages in %.1f s" % (total, time.monotonic() - begin))
        return 0


def write_stamp(stamp: str, python: str, lock: str) -> None:
    """Mark the environment ready: last, so a stamp always means a complete install."""
    directory = os.path.dirname(stamp)
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if name.startswith(".ready-") and "-python" in name and path != stamp:
            os.unlink(path)  # another lock's or interpreter's stamp
    with open(stamp, "w") as f:
        f.write("python %s %s\nlock %s\n" % (".".join(map(str, sys.version_info[:3])), python, lock))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", metavar="NAME", help="print why this interpreter cannot be used, if so")
    parser.add_argument("--venv", default=".venv")
    parser.add_argument("--lock", default="requirements.lock")
    parser.add_argument("--stamp", help="the ready stamp make looks for")
    args = parser.parse_args(argv)
    if args.check is not None:
        print(version_problem(args.check, sys.version_info))
        return 0
    problem = version_problem(sys.executable, sys.version_info)
    if problem:
        print("make: " + problem, file=sys.stderr)
        return 2
    return make_venv(args.venv, args.lock, args.stamp, lambda line: print(line, flush=True))


if __name__ == "__main__":
    sys.exit(main())

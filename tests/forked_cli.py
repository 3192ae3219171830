"""
`allennlp` commands in a forked child of the test process, for tests where the command is the
means and not what is tested (crash recovery: what `--recover` finds after a kill).

A fresh `allennlp` process spends about 8 s of a 2-core machine importing torch, transformers,
torchvision and every allennlp module before it reads its arguments; the test process has
imported them already, so a forked child starts at once. The child is a real separate process
all the same: its own environment, working directory, stdout/stderr (files), exit code, and a
SIGKILL inside it (tests/crash_points.py) ends it with -9 as it would a fresh one. What a fork
cannot show (the `allennlp` entry point, the start-up hook, plugin discovery in a new
interpreter) stays tested with real subprocesses (tests/test_cli_end_to_end.py,
tests/plugins, tests/test_readme_commands.py).

The child starts as the `allennlp` console script does (allennlp's entry module sets up logging
from ALLENNLP_LOG_LEVEL / ALLENNLP_DEBUG, then runs the command), with the test process's
warning filters: tests of what a command prints use real subprocesses. The test process runs
torch with one thread (tests/conftest.py), so no thread pool is forked.
"""
import io
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Dict, List, Optional

from tests.conftest import REPO_ROOT


def _child(args: List[str], env: Dict[str, str], cwd: Path, stdout: int, stderr: int) -> None:
    """Runs `allennlp *args` and leaves the process with its exit code; never returns."""
    code = 1
    try:
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        # as the console script starts: a root logger with no handlers of the test process's,
        # then allennlp's entry module (its logging set-up from the environment), then run()
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)
        sys.modules.pop("allennlp.__main__", None)
        sys.argv = ["allennlp", *args]
        from allennlp.__main__ import run

        run()
        code = 0
    except SystemExit as error:  # as the interpreter ends: a message goes to stderr, exit 1
        code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
        if error.code is not None and not isinstance(error.code, int):
            print(error.code, file=sys.stderr)
    except BaseException:  # noqa: B902  (reported on the child's stderr, like an uncaught error)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def allennlp_forked(args: List[str], env: Optional[Dict[str, str]] = None, cwd: Path = REPO_ROOT,
                    timeout: float = 600) -> subprocess.CompletedProcess:
    """`allennlp *args` in a forked child; returns what `subprocess.run(..., capture_output=True,
    text=True)` would (returncode -N when signal N ended it). Past `timeout` seconds the child is
    killed and `subprocess.TimeoutExpired` raised."""
    env = dict(os.environ if env is None else env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(args, env, cwd, out.fileno(), err.fileno())
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(["allennlp", *args], timeout)
            time.sleep(0.05)
        code = os.waitstatus_to_exitcode(status)
        texts = []
        for handle in (out, err):
            handle.seek(0)
            texts.append(handle.read().decode("utf-8", errors="replace"))
    return subprocess.CompletedProcess(["allennlp", *args], code, texts[0], texts[1])

"""tests/forked_cli.py: a forked `allennlp` command has its own exit code, output, environment
and working directory, and a signal that ends it is reported as a subprocess would report it."""
import os
import signal
import subprocess

import pytest

from tests.forked_cli import allennlp_forked


def test_a_failing_command_reports_its_error_and_leaves_this_process_as_it_was(tmp_path):
    before = (os.getcwd(), dict(os.environ))
    result = allennlp_forked(["train", str(tmp_path / "no_such_config.jsonnet"), "-s", str(tmp_path / "run")],
                             env=dict(os.environ, GRAPH_MTL_FORK_TEST="1"), cwd=tmp_path)
    assert result.returncode not in (0, None) and result.returncode > 0
    assert "no_such_config.jsonnet" in result.stdout + result.stderr
    # logging as the console script sets it up: INFO records on stderr
    assert " - INFO - allennlp.common.plugins - Plugin graph_mtl available" in result.stderr
    assert (os.getcwd(), dict(os.environ)) == before


def test_help_succeeds_and_lists_the_subcommands(tmp_path):
    result = allennlp_forked(["--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "train" in result.stdout and "graph-mtl-report" in result.stdout


def test_a_killed_child_reports_the_signal(tmp_path):
    # a module in the working directory (allennlp puts that on sys.path) kills its process on import
    (tmp_path / "kill_me_now.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    result = allennlp_forked(["train", str(tmp_path / "x.jsonnet"), "-s", str(tmp_path / "run"),
                              "--include-package", "kill_me_now"], cwd=tmp_path)
    assert result.returncode == -signal.SIGKILL


def test_a_command_past_its_timeout_is_killed(tmp_path):
    (tmp_path / "sleep_long.py").write_text("import time\ntime.sleep(60)\n")
    with pytest.raises(subprocess.TimeoutExpired):
        allennlp_forked(["train", str(tmp_path / "x.jsonnet"), "-s", str(tmp_path / "run"),
                         "--include-package", "sleep_long"], cwd=tmp_path, timeout=3)

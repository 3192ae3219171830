"""benchmarks/cli_startup.py: every command it times exists, a failing command stops the run with
its error, and the table gives each command's median against the reference's."""
import os
import sys

import pytest

from benchmarks import cli_startup


def test_every_command_names_an_existing_program():
    table = cli_startup.commands()
    assert cli_startup.REFERENCE in table and "python -m graph_mtl.plugins" in table
    for argv in table.values():
        assert os.path.exists(argv[0]), argv


def test_a_failing_command_stops_the_run_with_its_error(tmp_path):
    with pytest.raises(SystemExit, match="boom"):
        cli_startup.run_once([sys.executable, "-c", "raise SystemExit('boom')"], str(tmp_path))


def test_the_table_has_each_median_against_the_reference(monkeypatch, capsys):
    slow = "import time; time.sleep(0.3)"
    monkeypatch.setattr(cli_startup, "commands", lambda: {
        "fast": [sys.executable, "-c", "pass"],
        cli_startup.REFERENCE: [sys.executable, "-c", slow],
    })
    monkeypatch.setattr(sys, "argv", ["cli_startup.py", "--rounds", "2"])
    cli_startup.main()
    rows = {line.split("|")[1].strip(): line.split("|")[2:6] for line in capsys.readouterr().out.splitlines()
            if line.startswith("| `")}
    assert float(rows[f"`{cli_startup.REFERENCE}`"][3]) == 1.0
    assert float(rows["`fast`"][3]) < 1.0
    assert float(rows[f"`{cli_startup.REFERENCE}`"][0]) >= 0.3

"""
The README's `allennlp` commands work as written from any directory (issue 15 point 1): graph-mtl
is found by the `allennlp` command through the start-up hook that `make install` writes, not
through `.allennlp_plugins` in the working directory, so `allennlp graph-mtl-report` (a plugin
subcommand, which `--include-package` cannot provide) exists everywhere.

The commands are read from README.md's "Using it" block and run, in a subprocess, in an empty
temporary directory holding the files they name (the tiny DC-MTL archive as
`runs/dc_mtl/model.tar.gz`, fixture sentences as `input.jsonl` / `sentences.txt`).
"""
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import List

from tests.conftest import REPO_ROOT, venv_bin
from tests.predictors.tiny_models import PREDICT_FIXTURES, subprocess_env

BOOKS = PREDICT_FIXTURES / "books.task.train"


def readme_commands(program: str) -> List[str]:
    """The commands of README.md's "Using it" block that start with `program` (continuation
    lines joined)."""
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"## Using it\n.*?```bash\n(.*?)```", readme, re.DOTALL).group(1)
    commands = re.sub(r"\\\n\s*", "", block).splitlines()
    return [line.strip() for line in commands if line.strip().startswith(program)]


def in_empty_directory(tmp_path: Path, archive: Path) -> Path:
    work = tmp_path / "elsewhere"
    (work / "runs" / "dc_mtl").mkdir(parents=True)
    shutil.copy(archive, work / "runs" / "dc_mtl" / "model.tar.gz")
    shutil.copy(PREDICT_FIXTURES / "input.jsonl", work / "input.jsonl")
    shutil.copy(PREDICT_FIXTURES / "input.txt", work / "sentences.txt")
    assert not (work / ".allennlp_plugins").exists()
    return work


def run_as_written(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """`command` in bash after `source .venv/bin/activate`, as the README does."""
    activate = Path(venv_bin("activate"))
    return subprocess.run(
        ["bash", "-c", f"source {activate} && {command}"], cwd=cwd, env=subprocess_env(),
        capture_output=True, text=True, timeout=300,
    )


def test_the_readme_report_command_works_from_any_directory(dc_archive, tmp_path):
    commands = readme_commands("allennlp graph-mtl-report")
    assert commands == ["allennlp graph-mtl-report runs/dc_mtl/model.tar.gz input.jsonl --output-dir report/"]
    work = in_empty_directory(tmp_path, dc_archive)
    result = run_as_written(commands[0], work)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "Wrote" in result.stdout
    assert (work / "report" / "index.html").exists() or any((work / "report").glob("*.html"))


def test_the_readme_predict_and_evaluate_commands_work_from_any_directory(dc_archive, tmp_path):
    work = in_empty_directory(tmp_path, dc_archive)
    commands = readme_commands("allennlp predict") + readme_commands("allennlp evaluate")
    assert len(commands) == 4, commands
    # The tiny archive reads with allennlp's `multitask` loader, which wants a file for every task
    # (the README's configs use graph_mtl_multitask, which evaluates one task's file).
    every_task = json.dumps({
        "books": f"{BOOKS}#dev", "dvd": f"{PREDICT_FIXTURES / 'dvd.task.train'}#dev",
        "chunk": f"{PREDICT_FIXTURES / 'chunk.txt'}#dev", "pos": f"{PREDICT_FIXTURES / 'chunk.txt'}#dev",
    })
    for command in commands:
        command = command.replace('{"books": "/path/to/fdu-mtl/books.task.test"}', every_task)
        result = run_as_written(command, work)
        assert result.returncode == 0, (command, (result.stdout + result.stderr)[-3000:])
    assert (work / "predictions.jsonl").stat().st_size > 0


def test_allennlp_help_lists_the_graph_mtl_subcommand_in_an_empty_directory(tmp_path):
    result = subprocess.run(
        [venv_bin("allennlp"), "--help"], cwd=tmp_path, env=subprocess_env(),
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "graph-mtl-report" in result.stdout

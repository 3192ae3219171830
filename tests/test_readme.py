"""README.md stays true: its commands exist and its plugin example is the tested one."""
import re
import subprocess

from tests.conftest import REPO_ROOT


def python_blocks_after(text: str, marker: str) -> str:
    match = re.search(re.escape(marker) + r"[^`]*```python\n(.*?)```", text, re.DOTALL)
    assert match, f"no python block after {marker!r}"
    return match.group(1)


def test_readme_plugin_example_is_the_one_tests_install():
    # tests/plugins/test_training.py installs the example of docs/plugins.md and trains with it.
    readme = (REPO_ROOT / "README.md").read_text()
    guide = (REPO_ROOT / "docs" / "plugins.md").read_text()
    assert python_blocks_after(readme, "`graph_mtl_previous.py`") == python_blocks_after(
        guide, "`graph_mtl_previous.py`"
    )


def test_readme_commands_are_make_targets_and_ci_runs_the_test_command():
    readme = (REPO_ROOT / "README.md").read_text()
    commands = re.findall(r"^make (\w+)", readme, re.MULTILINE)
    assert commands[:2] == ["demo", "test"]
    targets = subprocess.run(
        ["make", "-pRrq"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    for target in commands:
        assert re.search(rf"^{target}:", targets, re.MULTILINE), target
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_make_demo_prints_one_screen_and_keeps_the_logs(tmp_path):
    """`make demo` (the README's first command): at most ~40 lines on the terminal, the full
    training and prediction logs in files whose paths it prints, predictions written."""
    import os
    import sys
    from pathlib import Path

    demo = tmp_path / "demo"
    venv = Path(sys.executable).parent.parent
    result = subprocess.run(
        # -o install: the environment running the tests is the installed one (no reinstall here)
        ["make", "--no-print-directory", "-o", "install", "demo", f"DEMO_DIR={demo}", f"VENV={venv}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    lines = output.splitlines()
    assert len(lines) <= 40, output
    assert f"{demo}/train.log" in output and f"{demo}/predict.log" in output
    assert "Best epoch" in output and "Predictions:" in output
    assert "INFO" not in output and "Batch inputs" not in (demo / "train.log").read_text()
    assert "allennlp.common.params - trainer.num_epochs" in (demo / "train.log").read_text()  # the full log
    assert len((demo / "predictions.jsonl").read_text().splitlines()) == 4


def test_plugin_guide_gives_the_aggregators_real_constructors():
    import inspect

    from graph_mtl.modules import aggregators
    from graph_mtl.modules.topologies import AttentionTopology  # noqa: F401  (named by the guide)

    guide = (REPO_ROOT / "docs" / "plugins.md").read_text()
    for name in ("SourceAttentionAggregator", "PositionAttentionAggregator", "MeanAggregator", "AdditiveScorer"):
        parameters = inspect.signature(getattr(aggregators, name)).parameters.values()
        arguments = ", ".join(  # names and defaults, as the guide writes them
            p.name if p.default is p.empty else f"{p.name}={p.default!r}"
            for p in parameters
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)  # torch.nn.Module's (*args, **kwargs)
        )
        assert f"`{name}({arguments})`" in guide, (name, arguments)

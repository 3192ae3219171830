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

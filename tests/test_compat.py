"""One test per fix in graph_mtl.compat, each showing the problem is gone on this platform."""
import os
import subprocess
import sys
import textwrap
import types
import warnings

import numpy
import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.training.learning_rate_schedulers import LearningRateScheduler

import graph_mtl_startup
from graph_mtl import compat


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )


def test_every_fix_reports_whether_it_was_needed():
    result = compat.apply()
    assert set(result) == {fix.__name__ for fix in compat.FIXES}
    # On torch 2.14 numpy scalars are not weights_only-safe by default, and
    # ReduceLROnPlateau has no `verbose` argument: both fixes must have acted.
    assert result["allow_numpy_in_checkpoints"] is True
    assert result["fix_reduce_on_plateau"] is True


def test_checkpoint_with_numpy_metrics_loads_under_weights_only(tmp_path):
    state = {
        "metrics": {"accuracy": numpy.float64(0.75), "count": numpy.int64(3)},
        "array": numpy.arange(4, dtype=numpy.float32),
        "epoch": 2,
    }
    path = tmp_path / "training_state.th"
    torch.save(state, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded["metrics"]["accuracy"] == 0.75
    assert loaded["metrics"]["count"] == 3
    assert loaded["array"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_reduce_on_plateau_builds_and_reduces_the_learning_rate():
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    scheduler = LearningRateScheduler.from_params(
        optimizer=optimizer,
        params=Params({"type": "reduce_on_plateau", "patience": 0, "factor": 0.5, "mode": "max"}),
    )
    scheduler.step(1.0)
    scheduler.step(0.5)  # no improvement, patience 0 -> halve
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "message,category",
    [
        ("`torch.cuda.amp.autocast(args...)` is deprecated. Please use ...", FutureWarning),
        ("`torch.cuda.amp.GradScaler(args...)` is deprecated.", FutureWarning),
        ("TypedStorage is deprecated. It will be removed in the future", UserWarning),
        ("pkg_resources is deprecated as an API.", UserWarning),
    ],
)
def test_platform_noise_is_silenced(message, category):
    with warnings.catch_warnings(record=True) as caught:
        compat.silence_platform_noise()
        warnings.warn(message, category)
    assert caught == []


def test_user_warnings_are_not_silenced():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        compat.silence_platform_noise()
        warnings.warn("your config has a problem", UserWarning)
    assert len(caught) == 1


def test_nltk_download_never_reaches_the_network_in_a_fresh_interpreter():
    # The venv's .pth start-up hook must be in place (make install writes it) ...
    result = run_python(
        """
        import nltk
        import graph_mtl_startup
        assert nltk.download is graph_mtl_startup.offline_nltk_download, nltk.download
        print(nltk.download("punkt"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert "Error loading" not in result.stderr


def test_importing_allennlp_models_prints_nothing():
    # allennlp_models/rc/tools/narrativeqa.py calls nltk.download at import time, and py-rouge
    # imports pkg_resources: with the start-up hook both are quiet.
    result = run_python("import allennlp_models.rc.tools.narrativeqa")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_startup_hook_file_is_written(tmp_path):
    path = graph_mtl_startup.install_startup_hook(str(tmp_path))
    with open(path) as hook:
        line = hook.read()
    assert line.startswith("import graph_mtl_startup")
    assert os.listdir(tmp_path) == [graph_mtl_startup.STARTUP_HOOK_NAME]


def test_startup_hook_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """Python runs every .pth at start-up: a failed write (a kill before the rename) must leave
    the previous hook intact and no temporary file."""
    path = graph_mtl_startup.install_startup_hook(str(tmp_path))
    (tmp_path / graph_mtl_startup.STARTUP_HOOK_NAME).write_text("import graph_mtl_startup  # previous\n")

    def failing_replace(source, destination):
        raise OSError("killed before the rename")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="killed before the rename"):
        graph_mtl_startup.install_startup_hook(str(tmp_path))
    assert open(path).read() == "import graph_mtl_startup  # previous\n"
    assert os.listdir(tmp_path) == [graph_mtl_startup.STARTUP_HOOK_NAME]


def test_missing_jsonnet_fails_loudly_instead_of_reading_json(tmp_path):
    config = tmp_path / "config.jsonnet"
    config.write_text('local n = 3; {"value": n}')
    result = run_python(
        f"""
        import sys
        sys.modules["_jsonnet"] = None  # simulate a machine without the jsonnet package
        import graph_mtl
        from graph_mtl import compat
        assert compat.applied["require_jsonnet"] is True
        from allennlp.common import Params
        try:
            Params.from_file({str(config)!r})
        except compat.JsonnetMissingError as error:
            print("raised:", error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "raised: Cannot read config" in result.stdout
    assert "jsonnet" in result.stdout


def test_jsonnet_configs_are_evaluated_when_jsonnet_is_present(tmp_path):
    assert compat.applied["require_jsonnet"] is False
    config = tmp_path / "config.jsonnet"
    config.write_text('local n = 3; {"value": n * 2, "name": std.extVar("NAME")}')
    params = Params.from_file(str(config), ext_vars={"NAME": "x"})
    assert params.as_dict() == {"value": 6, "name": "x"}


def test_missing_spacy_model_is_never_downloaded(monkeypatch):
    import spacy.cli
    from allennlp.data.tokenizers import SpacyTokenizer

    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(spacy.cli, "download", no_download)
    monkeypatch.setattr("allennlp.common.util.spacy_download", no_download, raising=False)
    tokenizer = SpacyTokenizer(language="en_core_web_sm", pos_tags=False)
    assert [t.text for t in tokenizer.tokenize("It isn't bad.")] == ["It", "is", "n't", "bad", "."]
    blank = SpacyTokenizer(language="blank:en")
    assert [t.text for t in blank.tokenize("Two words")] == ["Two", "words"]
    with pytest.raises(ConfigurationError, match="never downloads"):
        SpacyTokenizer(language="en_core_web_sm", ner=True)


def test_allennlp_plugin_discovery_names_graph_mtl_first_once(monkeypatch):
    # what the start-up hook does to allennlp.common.plugins (see graph_mtl_startup)
    module = types.SimpleNamespace(discover_plugins=lambda: iter(["my_plugin", "graph_mtl", "other"]))
    graph_mtl_startup.patch_allennlp_plugins(module)
    graph_mtl_startup.patch_allennlp_plugins(module)  # idempotent
    assert list(module.discover_plugins()) == ["graph_mtl", "my_plugin", "other"]
    monkeypatch.setenv("GRAPH_MTL_ALLENNLP_PLUGIN", "0")
    assert list(module.discover_plugins()) == ["my_plugin", "graph_mtl", "other"]
    import allennlp.common.plugins

    assert getattr(allennlp.common.plugins.discover_plugins, "graph_mtl", False)

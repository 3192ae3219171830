"""`allennlp predict --silent` prints no log lines of its own (issue 15 point 5): the archive's
parameters, initializers and vocabulary are no longer logged at INFO under `--silent`, while
warnings, errors and the prediction file are unchanged."""
import json
import subprocess

from tests.conftest import REPO_ROOT, venv_bin
from tests.predictors.tiny_models import PREDICT_FIXTURES, subprocess_env

#: AllenNLP's own "Plugin allennlp_models available" / "Plugin graph_mtl available", logged by
#: the command line before any command runs.
ALLOWED_BEFORE_THE_COMMAND = 2


def predict(archive, tmp_path, *extra, env=None):
    output = tmp_path / "predictions.jsonl"
    result = subprocess.run(
        [venv_bin("allennlp"), "predict", str(archive), str(PREDICT_FIXTURES / "input.jsonl"),
         "--output-file", str(output), *extra],
        cwd=tmp_path, env=env or subprocess_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result, output


def test_predict_silent_prints_at_most_the_plugin_lines(dc_archive, tmp_path):
    result, output = predict(dc_archive, tmp_path, "--silent")
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) <= ALLOWED_BEFORE_THE_COMMAND, "\n".join(lines[:20])
    assert all("Plugin" in line for line in lines), lines
    predictions = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(predictions) == len((PREDICT_FIXTURES / "input.jsonl").read_text().splitlines())


def test_predict_without_silent_and_an_explicit_log_level_still_log(dc_archive, tmp_path):
    result, _ = predict(dc_archive, tmp_path)
    assert "allennlp.common.params" in result.stderr  # nothing changes without --silent
    env = dict(subprocess_env(), ALLENNLP_LOG_LEVEL="INFO")
    result, _ = predict(dc_archive, tmp_path, "--silent", env=env)
    assert "allennlp.common.params" in result.stderr  # an explicit level is respected

"""benchmarks/denormals.py on tiny sizes: both modes measured, each in a process that has it."""
import json

from benchmarks import denormals


def test_both_modes_are_measured_in_processes_that_have_them(tmp_path):
    denormals.main(["--tasks", "2", "--hidden", "4", "--batch", "2", "--lengths", "3", "--repeats", "1",
                    "--name", "tiny", "--results-dir", str(tmp_path)])
    report = json.loads((tmp_path / "tiny.json").read_text())
    modes = report["results"]
    # the children report what their threads do with denormals, not what they were asked
    assert modes["flushed"]["flushed"] is True and modes["computed"]["flushed"] is False
    for mode in modes.values():
        assert set(mode["times"]) == {"fs_mtl", "dc_mtl", "ic_mtl"}
        assert all(ms > 0 for by_pooling in mode["times"].values() for ms in by_pooling["3"].values())
    text = (tmp_path / "tiny.md").read_text()
    assert "| dc_mtl | 3 | last |" in text and "| ic_mtl | 3 | max |" in text

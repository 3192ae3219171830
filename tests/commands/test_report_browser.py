"""
The report as a person sees it: report.html of the tiny models (alpha, beta, both, no learned
weights) rendered by a real headless browser (`scripts/report_screenshot.py`, Chromium) into
PNG screenshots. Skipped when no browser is installed (`apt-get install chromium` provides
one). To look at the pictures yourself: `pytest tests/commands/test_report_browser.py
--basetemp=/tmp/report-shots` and open `/tmp/report-shots/*/screenshot_*.png`.
"""
import importlib.util

import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy  # noqa: E402
import pytest  # noqa: E402

from tests.commands.html_checks import check_report_page  # noqa: E402
from tests.commands.topology_reports import reports  # noqa: E402,F401  (a fixture)
from tests.conftest import REPO_ROOT  # noqa: E402

_spec = importlib.util.spec_from_file_location("report_screenshot", REPO_ROOT / "scripts" / "report_screenshot.py")
report_screenshot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_screenshot)

BROWSER = report_screenshot.find_browser()
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (apt-get install chromium)")


@pytest.mark.parametrize("name", ["indirect", "flat", "mixed"])
def test_report_renders_in_a_headless_browser(reports, tmp_path, name):
    summary, page, _ = reports[name]
    check_report_page(page)
    shot = tmp_path / f"screenshot_{name}.png"
    report_screenshot.screenshot(summary["html"], str(shot), BROWSER, width=1280)
    width, height = report_screenshot.png_size(shot.read_bytes()[:32])
    assert width == 1280 and height > 600
    pixels = matplotlib.image.imread(str(shot))[..., :3]
    ink = (pixels < 0.9).any(axis=2)  # not (near) white
    rows = ink.any(axis=1)
    # the page is drawn: text and figures at the top, and content down most of the picture
    assert ink[:400].mean() > 0.01
    assert numpy.flatnonzero(rows).max() > 0.5 * height
    if summary["pngs"]:
        # the figures are drawn as images: some rows are mostly coloured (a heatmap or plot)
        coloured = (pixels.max(axis=2) - pixels.min(axis=2)) > 0.15
        assert coloured.mean(axis=1).max() > 0.2


def test_screenshot_script_says_when_there_is_no_browser(tmp_path, capsys):
    status = report_screenshot.main([str(tmp_path / "r.html"), str(tmp_path / "r.png"),
                                     "--browser", str(tmp_path / "no-such-browser")])
    assert status == 2 and "no headless browser found" in capsys.readouterr().err

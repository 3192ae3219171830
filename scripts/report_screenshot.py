#!/usr/bin/env python3
"""
Render a `graph-mtl-report` page (report.html) in a real headless browser and save a PNG
screenshot, to look at the report as a person would.

```
python scripts/report_screenshot.py report/report.html report.png            # full page
python scripts/report_screenshot.py report/report.html top.png --height 1200  # first 1200 px
```

Uses headless Chromium (`chromium`, `chromium-browser`, `google-chrome`, `chrome`,
`chrome-headless-shell` on PATH, or `--browser PATH`); on Debian/Ubuntu `apt-get install
chromium` provides it. Exits with status 2 and a message when no browser is found
(`tests/commands/test_report_browser.py` is then skipped). Standard library only.

Without `--height` the window is as tall as the page is estimated to be from the HTML (the
figures' PNG sizes at the page's width, the blocks of text; generous, at most 16,000 px), so
the whole report is in the picture, with some white space below it.
"""
import argparse
import base64
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from typing import List, Optional

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
            "chrome-headless-shell")


def find_browser(explicit: Optional[str] = None) -> Optional[str]:
    """The path of a headless-capable Chromium, or None."""
    if explicit:
        return explicit if os.path.exists(explicit) or shutil.which(explicit) else None
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def png_size(data: bytes) -> tuple:
    """(width, height) of a PNG from its IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def estimate_height(page: str, width: int) -> int:
    """A generous height for the whole page at `width` CSS pixels: every embedded figure at
    its displayed size (scaled down to the page width, as `img { max-width: 100% }` does) plus
    ~24 px per block of text."""
    height = 200
    usable = width - 60
    for encoded in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        w, h = png_size(base64.b64decode(encoded)[:32])
        height += int(h * min(1.0, usable / max(w, 1))) + 20
    blocks = len(re.findall(r"<(p|h1|h2|tr|div)\b", page))
    return height + 34 * blocks


def screenshot(html_path: str, out_path: str, browser: str, width: int = 1280,
               height: Optional[int] = None, timeout: int = 120) -> List[str]:
    """Run the browser; return its command line. Raises CalledProcessError / TimeoutExpired."""
    page = open(html_path, encoding="utf-8").read()
    height = height or min(estimate_height(page, width), 16000)
    with tempfile.TemporaryDirectory() as profile:
        command = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--mute-audio",
            f"--user-data-dir={profile}", f"--window-size={width},{height}",
            f"--screenshot={os.path.abspath(out_path)}", "file://" + os.path.abspath(html_path),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)
    return command


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", help="report.html written by allennlp graph-mtl-report")
    parser.add_argument("output", help="PNG file to write")
    parser.add_argument("--width", type=int, default=1280, help="window width in CSS pixels")
    parser.add_argument("--height", type=int, default=None,
                        help="window height (default: estimated from the page, whole report)")
    parser.add_argument("--browser", default=None, help="path of the browser executable")
    args = parser.parse_args(argv)
    browser = find_browser(args.browser)
    if browser is None:
        print("no headless browser found (tried " + ", ".join(BROWSERS) + "); install Chromium "
              "(Debian/Ubuntu: apt-get install chromium) or pass --browser", file=sys.stderr)
        return 2
    screenshot(args.html, args.output, browser, args.width, args.height)
    width, height = png_size(open(args.output, "rb").read(32))
    print(f"Wrote {args.output} ({width} x {height} px) with {browser}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

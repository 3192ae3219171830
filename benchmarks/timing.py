"""What the benchmark scripts share: timing one step, with CUDA synchronised around it."""
from typing import Callable

import torch


def time_step(step: Callable[[], None], device: torch.device, clock: Callable[[], float]) -> float:
    """Seconds `clock` counts over one call of `step` (the device's queue drained before and after)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = clock()
    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return clock() - start


def git_commit(root: str) -> str:
    """The short commit of the checkout at `root` ("" outside git)."""
    import subprocess

    return subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def run_report(script: str, argv: list, threads: int, load_start: tuple, root: str, **fields) -> dict:
    """The header every benchmark's JSON report starts with: its command line, UTC date, commit,
    threads and the load averages at the start (`load_start`) and now; then `fields`."""
    import datetime
    import os

    return {
        "command": f"python benchmarks/{script} " + " ".join(argv),
        "date_utc": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), "commit": git_commit(root),
        "threads": threads, "load_average_start": load_start, "load_average_end": os.getloadavg(),
        **fields,
    }


def emit_results(lines: list, report: dict, results_dir: str, name: str = None) -> str:
    """Prints the Markdown `lines`; with a `name`, writes `<results_dir>/<name>.md` and
    `<name>.json` (the report), atomically. Returns the text."""
    import os

    from benchmarks.atomic import atomic_write_json, atomic_write_text

    text = "\n".join(lines) + "\n"
    print(text)
    if name:
        os.makedirs(results_dir, exist_ok=True)
        atomic_write_json(os.path.join(results_dir, name + ".json"), report, indent=1)
        atomic_write_text(os.path.join(results_dir, name + ".md"), text)
    return text

"""Start-up: process start → the main window's first paint. Median of 10. Target ≤ 1.2 s.

    .venv/bin/python benchmarks/startup.py [--runs 10] [--offscreen]

Each run starts a fresh interpreter exactly as the `talkline` command does (``python -m
desktop``, so the CLI's imports count), with ``TALKLINE_EXIT_AFTER_SHOWN=1``: after the
first paint the app prints ``talkline-shown <monotonic time>`` and quits. The clock is
CLOCK_MONOTONIC on both sides, read just before the process is spawned. Runs on a private
Xvfb (a real X server, like a desktop) unless --offscreen; settings and logs go to a
temporary folder. A second figure starts ``desktop.ui.app.run`` directly, which shows
what the CLI's own imports cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gui.xvfb import xvfb  # noqa: E402 - the repository root is on the path now

TARGET_S = 1.2
DIRECT = (
    "import argparse, sys; from desktop.ui.app import run; "
    "sys.exit(run(argparse.Namespace(verbose=0)))"
)


def one_run(command: list[str], env: dict[str, str]) -> float:
    start = time.monotonic()
    proc = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    for line in proc.stdout.splitlines():
        if line.startswith("talkline-shown "):
            return float(line.split()[1]) - start
    raise SystemExit(f"no first paint reported (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--offscreen", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="talkline-bench-") as home, (
        nullcontext("") if args.offscreen else xvfb()
    ) as display:
        env = dict(os.environ, TALKLINE_EXIT_AFTER_SHOWN="1", PYTHONPATH=str(ROOT))
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env[var] = str(Path(home) / var.lower())
        if args.offscreen:
            env["QT_QPA_PLATFORM"] = "offscreen"
            env.pop("DISPLAY", None)
        else:
            env.update(QT_QPA_PLATFORM="xcb", DISPLAY=display, XDG_SESSION_TYPE="x11")
        where = "offscreen" if args.offscreen else f"Xvfb {display}"

        one_run([sys.executable, "-m", "desktop"], env)  # warm the OS file cache once
        results: dict[str, list[float]] = {}
        for name, command in (
            ("talkline (python -m desktop)", [sys.executable, "-m", "desktop"]),
            ("desktop.ui.app.run directly", [sys.executable, "-c", DIRECT]),
        ):
            results[name] = [one_run(command, env) for _ in range(args.runs)]

    print(f"startup: process start → first paint, {args.runs} runs, {where}")
    for name, times in results.items():
        median = statistics.median(times)
        verdict = "ok" if median <= TARGET_S else "OVER TARGET"
        print(
            f"  {name:32s} median {median * 1000:7.0f} ms  "
            f"min {min(times) * 1000:5.0f}  max {max(times) * 1000:5.0f}  "
            f"(target ≤ {TARGET_S * 1000:.0f} ms: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cold start of the bundled app: process start → main window shown. Median of 5. Target ≤ 1.5 s.

    python3 benchmarks/cold_start.py [--bundle /tmp/talkline-build/dist/Talkline] [--runs 5]

Runs the PyInstaller bundle (scripts/package builds it) offscreen with
``TALKLINE_EXIT_AFTER_SHOWN=1``: after its first paint the app prints ``talkline-shown
<monotonic time>`` and quits; the clock is CLOCK_MONOTONIC on both sides, read just before
the spawn. "Cold": before each run every file of the bundle is dropped from the page cache
(posix_fadvise DONTNEED on each file, so nothing else on the machine is disturbed), as after
a reboot or on the first start after installing; the host's own libraries stay cached, as
on a desktop in use. "Warm" runs follow, without that. Settings and logs go to a temporary
folder. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 1.5


def evict(folder: Path) -> int:
    """Drop the folder's files from the page cache; returns how many bytes were asked."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                total += os.fstat(fd).st_size
            finally:
                os.close(fd)
    return total


def one_run(executable: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    proc = subprocess.run([str(executable)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("talkline-shown "):
            return float(line.split()[1]) - start
    raise SystemExit(f"no first paint reported (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("/tmp/talkline-build/dist/Talkline"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    executable = args.bundle / "Talkline"
    if not executable.exists():
        print(f"no bundle at {args.bundle}: run scripts/package first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="talkline-cold-") as home:
        env = dict(os.environ, TALKLINE_EXIT_AFTER_SHOWN="1", QT_QPA_PLATFORM="offscreen",
                   HOME=home)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env[var] = str(Path(home) / var.lower())
        cold = []
        for _ in range(args.runs):
            evict(args.bundle)
            cold.append(one_run(executable, env))
        warm = [one_run(executable, env) for _ in range(args.runs)]
    print(f"Bundled app, start → main window shown (offscreen), {args.runs} runs each")
    print(f"  cold (bundle not in page cache): median {statistics.median(cold):.2f} s  "
          f"[{', '.join(f'{s:.2f}' for s in cold)}]  target ≤ {TARGET_S} s")
    print(f"  warm:                            median {statistics.median(warm):.2f} s  "
          f"[{', '.join(f'{s:.2f}' for s in warm)}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())

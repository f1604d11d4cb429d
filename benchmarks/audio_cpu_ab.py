"""A call's CPU, this tree against an earlier commit, measured side by side.

    .venv/bin/python benchmarks/audio_cpu_ab.py --base REV [--rounds 5] [--seconds 30]
        [-- extra audio_cpu.py arguments, given to both]

On this machine (a 2-core virtual machine) one run of `audio_cpu.py` varies by ±5 points
from one minute to the next, with the host's load: runs taken one after the other compare
the host's minutes more than the code. So each round runs the base commit (checked out in
a throwaway git worktree) and this tree at the same time, each with its own PulseAudio and
local server, and compares them within the round. Both see the same host; neither sees an
idle machine, so the absolute figures are lower than a run alone (a thread that wakes on a
busy CPU finds warmer caches): quote the ratio from here, the absolute figure from
audio_cpu.py alone. Prints each round, then the medians and the median ratio.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU = re.compile(r"^\s*CPU\s+([\d.]+) %", re.MULTILINE)
THREADS = re.compile(r"^\s*by thread: (.*)$", re.MULTILINE)


def run_pair(base: Path, seconds: float, extra: list[str]) -> tuple[float, float, str, str]:
    """(base CPU, this tree's CPU, their per-thread lines), both running at once."""
    procs = [
        subprocess.Popen(
            [sys.executable, str(tree / "benchmarks" / "audio_cpu.py"),
             "--seconds", str(seconds), *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for tree in (base, ROOT)
    ]
    outs = [p.communicate(timeout=seconds + 180)[0] for p in procs]
    figures = []
    for tree, out in zip((base, ROOT), outs, strict=True):
        match = CPU.search(out)
        if match is None:
            raise SystemExit(f"audio_cpu.py in {tree} printed no CPU figure:\n{out}")
        figures.append(float(match.group(1)))
    threads = [(m.group(1) if (m := THREADS.search(o)) else "") for o in outs]
    return figures[0], figures[1], threads[0], threads[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("extra", nargs="*", help="more audio_cpu.py arguments (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="talkline-ab-") as scratch:
        base = Path(scratch) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), args.base],
                       cwd=ROOT, check=True)
        try:
            rows = []
            for i in range(args.rounds):
                a, b, ta, tb = run_pair(base, args.seconds, args.extra)
                rows.append((a, b))
                print(f"round {i + 1}: base {a:5.1f} %, this tree {b:5.1f} % "
                      f"(ratio {b / a:.3f})\n  base: {ta}\n  this: {tb}", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           check=False)
    print(f"audio_cpu_ab: {args.rounds} rounds of {args.seconds:.0f} s side by side, base "
          f"{args.base}: base median {statistics.median(r[0] for r in rows):.1f} %, this tree "
          f"{statistics.median(r[1] for r in rows):.1f} %, median ratio "
          f"{statistics.median(r[1] / r[0] for r in rows):.3f}")


if __name__ == "__main__":
    main()

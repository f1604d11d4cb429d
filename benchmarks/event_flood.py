"""A hostile event flood through the call's own message path (parse → handlers →
conversation), without the network: is the work per event flat?

    .venv/bin/python benchmarks/event_flood.py [--runs 3]

Two floods: 10,000 deltas for unknown item ids (each would be a ghost turn), and 5,000
deltas of 2 KB into one item (10 MB: past the 1 MB cap of a turn). Prints the seconds per
1,000 events for the first and the last thousand (median of the runs; target: flat and
≤ 0.1 s), and the process RSS after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from desktop.core.call.engine import RealtimeCall
from desktop.core.profiles import get_profile
from desktop.core.session import default_config


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def new_call() -> RealtimeCall:
    profile = get_profile("openai")
    return RealtimeCall(profile, default_config(profile), api_key="sk-bench-0123456789")


def unknown_ids(n: int) -> str:
    return json.dumps(
        {"type": "response.output_text.delta", "item_id": f"ghost_{n}", "delta": "boo "}
    )


def big_deltas(n: int, chunk: str = "w" * 2048) -> str:
    return json.dumps({"type": "response.output_text.delta", "item_id": "item_big", "delta": chunk})


def flood(make: Callable[[int], str], count: int) -> list[float]:
    """Seconds for each block of 1,000 events."""
    call = new_call()
    messages = [make(n) for n in range(count)]
    blocks: list[float] = []
    for start in range(0, count, 1000):
        t0 = time.perf_counter()
        for message in messages[start : start + 1000]:
            call._handle_message(message)
        blocks.append(time.perf_counter() - t0)
    # What a reader of the transcript pays once (the join of the pieces).
    t0 = time.perf_counter()
    _ = [t.text for t in call.conversation.items]
    blocks.append(time.perf_counter() - t0)
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for name, make, count in (
        ("10,000 deltas, unknown ids", unknown_ids, 10_000),
        ("5,000 × 2 KB deltas, one item", big_deltas, 5_000),
    ):
        runs = [flood(make, count) for _ in range(args.runs)]
        first = statistics.median(r[0] for r in runs)
        last = statistics.median(r[-2] for r in runs)
        read = statistics.median(r[-1] for r in runs)
        print(
            f"{name:32} first 1,000: {first:.3f} s   last 1,000: {last:.3f} s   "
            f"(target ≤ 0.100, flat)   reading the text: {read * 1000:.1f} ms"
        )
    print(f"RSS after: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""History on a large file: 10,000 conversations × 50 turns. Prints medians vs targets.

    .venv/bin/python benchmarks/history.py [--path FILE] [--refill] [--startup]

- search: median of 20 queries (target ≤ 50 ms)
- the sidebar's first page, list_conversations(50): median (target ≤ 100 ms)
- save_turn from an asyncio loop: p99 of the call, and p99 of the loop's lag while
  turns are saved (target ≤ 5 ms)
- HistoryStore.open on the large file vs an empty one (window start-up may be at most
  50 ms slower: the open must not scan anything big)
- --startup: also benchmarks/startup.py (offscreen, 5 runs) with the empty and the large
  history ($TALKLINE_HISTORY), the window's real start-up difference.

The file is filled once by bulk insert (kept for later runs; --refill makes it again).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop.core.history import HistoryStore, SavedTurn  # noqa: E402 - path set above

CONVERSATIONS, TURNS = 10_000, 50
COMMON = ("the a to and of is in you it for that on with this what can how do i me my "
          "weather lyon tomorrow meeting notes remind recipe chocolate flight budget "
          "spreadsheet python error music call mom garden doctor appointment ideas "
          "kumquat zebra café")
QUERIES = [
    "kumquat", "weather", "the", "lyon tomorrow", "meeting notes", "remind", "remi",
    "recipe chocolate", "flight", "budget spreadsh", "how do", "zebra", "café", "kumq",
    "python error", "music", "call mom", "garden", "doctor appointment", "ideas",
]


def words(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ter", "an", "do", "re", "su", "vin", "pol", "es", "ta"]
    made = {"".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
            for _ in range(6000)}
    return COMMON.split() + sorted(made)


def fill(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    HistoryStore.open(path).close()  # schema, mode 0600
    rng = random.Random(7)
    vocab = words(rng)
    # Zipf-like: a few words are common
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    # Indexed once at the end: much faster than through the row triggers.
    db.execute("DROP TRIGGER turns_ai")
    start = time.time() - CONVERSATIONS * 3600
    for c in range(CONVERSATIONS):
        cid = f"{c:032x}"
        t0 = start + c * 3600
        db.execute("INSERT INTO conversations VALUES (?, ?, 0, ?, ?, 'openai', 'gpt-realtime',"
                   " 'marin', NULL)", (cid, f"Conversation {c}", t0, t0 + TURNS * 10))
        db.executemany(
            "INSERT INTO turns (conversation_id, item_id, position, role, kind, text, status,"
            " started, finished) VALUES (?, ?, ?, ?, 'message', ?, 'completed', ?, ?)",
            [(cid, f"item_{t}", t, "user" if t % 2 == 0 else "assistant",
              " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(8, 40))),
              t0 + t * 10, t0 + t * 10 + 5) for t in range(TURNS)])
        db.execute("INSERT INTO calls VALUES (?, 'c', 'openai', 'gpt-realtime', ?, ?, 900,"
                   " 1200, 0.05, 40, 450)", (cid, t0, t0 + TURNS * 10))
        if c % 1000 == 999:
            print(f"  filled {c + 1} conversations", flush=True)
    print("  indexing…", flush=True)
    db.execute("INSERT INTO turns_fts (turns_fts) VALUES ('rebuild')")
    db.execute("CREATE TRIGGER turns_ai AFTER INSERT ON turns BEGIN"
               " INSERT INTO turns_fts (rowid, text) VALUES (new.id, new.text); END")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


async def saving(
    store: HistoryStore, n: int = 2000, *, save: bool = True
) -> tuple[list[float], list[float]]:
    cid = store.start_conversation("local", "m", "v")
    lags: list[float] = []
    stop = False

    async def ticker() -> None:
        while not stop:
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(max(0.0, time.perf_counter() - t - 0.001))

    tick = asyncio.create_task(ticker())
    calls = []
    text = "A finished turn of a realistic length, with a few dozen words in it. " * 4
    for i in range(n):
        turn = SavedTurn(f"bench_{i}", "user", "message", text, "completed", time.time(),
                         time.time())
        t = time.perf_counter()
        if save:
            store.save_turn(cid, turn)
        calls.append(time.perf_counter() - t)
        await asyncio.sleep(0.002)
    stop = True
    await tick
    await asyncio.to_thread(store.flush)
    store.delete(cid)
    return calls, lags


def startup(history: Path) -> float:
    env = dict(os.environ, TALKLINE_HISTORY=str(history))
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "startup.py"), "--runs",
                          "5", "--offscreen"], env=env, capture_output=True, text=True,
                         check=True, timeout=600)
    print("   ", out.stdout.strip().replace("\n", "\n    "))
    for line in out.stdout.splitlines():
        if "median" in line:
            return float(line.split("median")[1].split()[0])  # in ms
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", type=Path,
                        default=Path(tempfile.gettempdir()) / "talkline-history-bench.sqlite3")
    parser.add_argument("--refill", action="store_true")
    parser.add_argument("--startup", action="store_true")
    args = parser.parse_args()
    path: Path = args.path
    if args.refill or not path.exists():
        print(f"filling {path} ({CONVERSATIONS} × {TURNS} turns)…", flush=True)
        t = time.perf_counter()
        fill(path)
        print(f"  done in {time.perf_counter() - t:.0f} s, "
              f"{path.stat().st_size / 1e6:.0f} MB")

    with tempfile.TemporaryDirectory() as empty_dir:
        empty = Path(empty_dir) / "empty.sqlite3"
        HistoryStore.open(empty).close()
        open_empty = timed(lambda: HistoryStore.open(empty).close(), 10)
        open_big = timed(lambda: HistoryStore.open(path).close(), 10)
        print(f"open: empty median {ms(statistics.median(open_empty))} ms, "
              f"large median {ms(statistics.median(open_big))} ms "
              f"(difference target ≤ 50 ms)")

        store = HistoryStore.open(path)
        assert store.count() >= CONVERSATIONS, "the file is not filled; use --refill"
        store.search("warm up the page cache")
        first_page = timed(lambda: store.list_conversations(50), 20)
        print(f"sidebar first page list_conversations(50): median "
              f"{ms(statistics.median(first_page))} ms (target ≤ 100 ms)")
        searches = []
        for q in QUERIES:
            t = time.perf_counter()
            hits = store.search(q)
            searches.append(time.perf_counter() - t)
            print(f"    search {q!r}: {len(hits)} hits, {ms(searches[-1])} ms")
        print(f"search: median {ms(statistics.median(searches))} ms over {len(QUERIES)} "
              f"queries, max {ms(max(searches))} ms (target ≤ 50 ms)")
        _, idle = asyncio.run(saving(store, save=False))
        calls, lags = asyncio.run(saving(store))
        print(f"save_turn from the loop: call p99 {ms(p99(calls))} ms, loop lag p99 "
              f"{ms(p99(lags))} ms while saving vs {ms(p99(idle))} ms with no saving "
              "(the machine's own; target ≤ 5 ms)")
        store.close()

        if args.startup:
            print("window start-up, empty history:")
            a = startup(empty)
            print("window start-up, large history:")
            b = startup(path)
            print(f"start-up difference: {b - a:.0f} ms (target ≤ 50 ms; noisy on a busy "
                  "machine: compare several runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

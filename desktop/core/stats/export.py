"""A call's statistics as JSON (everything) or CSV (the series, and the turns beside it)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from desktop.core.stats.series import CallStats, Sample, TurnLatency

# Figures aiortc does not give and we do not make up; said in every export.
NOT_MEASURED = {
    "concealment": "aiortc does no packet-loss concealment and counts none; lost packets "
    "are skipped (our own playout underruns are counted instead).",
    "bytes_received_per_stream": "aiortc has no bytesReceived for the audio stream: "
    "bitrate_in_kbps counts every byte on the transport (audio, RTCP, data channel).",
    "candidate_pair_rtt": "aioice measures no round trip on the ICE pair: rtt_ms is the "
    "RTCP round trip (remote-inbound-rtp), empty until the peer's first receiver report.",
}


def to_dict(stats: CallStats) -> dict[str, Any]:
    return {
        "provider": stats.provider,
        "started_at": stats.started_at,
        "connect_ms": stats.connect_ms,
        "candidate_pair": asdict(stats.pair) if stats.pair else None,
        "samples": [asdict(s) for s in stats.samples],
        "turns": [asdict(t) for t in stats.turns],
        "warnings": stats.warnings,
        "not_measured": NOT_MEASURED,
    }


def to_json(stats: CallStats) -> str:
    return json.dumps(to_dict(stats), indent=2, ensure_ascii=False)


def _csv(rows: list[Any], kind: type) -> str:
    names = [f.name for f in fields(kind)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        values = asdict(row)
        writer.writerow(["" if values[n] is None else _cell(values[n]) for n in names])
    return out.getvalue()


def _cell(value: object) -> object:
    return round(value, 3) if isinstance(value, float) else value


def samples_csv(stats: CallStats) -> str:
    return _csv(stats.samples, Sample)


def turns_csv(stats: CallStats) -> str:
    return _csv(stats.turns, TurnLatency)


def write(stats: CallStats, path: Path, fmt: str) -> list[Path]:
    """Write `path` (JSON) or `path` + `<stem>-turns.csv` (CSV); returns what was written.
    Raises OSError."""
    if fmt == "json":
        path.write_text(to_json(stats), encoding="utf-8")
        return [path]
    turns = path.with_name(f"{path.stem}-turns{path.suffix or '.csv'}")
    path.write_text(samples_csv(stats), encoding="utf-8")
    turns.write_text(turns_csv(stats), encoding="utf-8")
    return [path, turns]

"""`talkline call` as a real process against the hostile provider: one clear line on stderr,
no escape codes, no keys (in its sentence or its log lines), no traceback."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from tests.fakes.hostile import HostileServer, json_error

KEY = "sk-hostile-cli-key-0123456789"


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    server = HostileServer()
    await server.start()
    yield server
    await server.stop()


async def talkline(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "OPENAI_API_KEY": KEY}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "desktop",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode is not None
    return proc.returncode, out.decode("utf-8"), err.decode("utf-8")


def clean(text: str) -> None:
    assert "Traceback" not in text
    assert not any(c in text for c in "\x1b\x07\r\b\u202e")
    assert KEY not in text and "ek_echoed" not in text


async def test_a_hostile_error_is_one_clean_line(hostile: HostileServer) -> None:
    hostile.calls = json_error(
        "\x1b]0;pwned\x07\x1b[32m<b>All good</b>\r\b\u202e echo: Bearer ek_echoed0123456789 " + KEY,
        status=400,
    )
    code, out, err = await talkline("call", "--provider", "openai", "--base-url", hostile.base_url)
    assert code != 0
    clean(out + err)
    failed = [line for line in err.splitlines() if line.startswith("talkline: failed")]
    assert len(failed) == 1 and "<b>All good</b>" in failed[0] and "[redacted]" in failed[0]


async def test_a_50_mb_message_writes_a_few_lines_not_megabytes(hostile: HostileServer) -> None:
    def chunks() -> object:
        yield b'{"error": {"message": "'
        for _ in range(800):
            yield b"A" * (64 * 1024)
        yield b'"}}'

    hostile.calls = hostile.streamer(chunks, status=400)  # type: ignore[arg-type]
    code, out, err = await talkline(
        "call", "--provider", "openai", "--base-url", hostile.base_url, "--json"
    )
    assert code != 0
    clean(out + err)
    assert len(out) + len(err) < 20_000
    failed = [json.loads(line) for line in out.splitlines() if '"failed"' in line]
    assert failed and "far larger answer" in failed[0]["reason"]


def test_json_output_into_head_exits_quietly() -> None:
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'set -o pipefail; "{sys.executable}" -m desktop call --provider local --say hi '
            "--json | head -1",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kind"] == "state"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr

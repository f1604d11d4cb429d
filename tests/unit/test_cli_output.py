"""What `talkline` prints for people and programs never carries escapes or secrets, never
fails on a string, and a reader going away (`| head -1`) ends output quietly."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import textwrap

import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from desktop.cli import keys
from desktop.cli.printer import Printer
from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState
from desktop.core.secrets import KeyStore

NASTY = "hi \x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b]52;c;aGk=\x07 over\rwrite\b \u202eevil \ud800!"


def printer(json_mode: bool) -> tuple[Printer, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Printer(json_mode, out=out, err=err), out, err


def no_controls(text: str) -> None:
    assert not any(ord(c) < 32 and c not in "\n\t" for c in text), repr(text)
    assert not any(0x7F <= ord(c) <= 0x9F for c in text) and "\u202e" not in text
    text.encode("utf-8")  # no lone surrogates


def test_plain_output_strips_escapes_from_transcripts_notices_and_failures() -> None:
    p, out, err = printer(json_mode=False)
    p.turn("assistant", NASTY, "completed")
    p.notice(NASTY)
    p.failure(CallError(NASTY, stage=CallState.SIGNALING, details=NASTY))
    no_controls(out.getvalue())
    no_controls(err.getvalue())
    shown = out.getvalue()
    assert shown.startswith("Assistant: hi red ") and "overwrite evil" in shown
    assert "[31m" not in shown and "pwned" not in shown and "aGk=" not in shown
    assert err.getvalue().count("\n") == 2  # one line each


def test_json_output_survives_lone_surrogates_and_scrubs_keys() -> None:
    p, out, _ = printer(json_mode=True)
    p.turn("assistant", "bad \ud800 key sk-0123456789abcdefgh", "completed")
    p.notice("server: Bearer ek_0123456789abcdef")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["text"] == "bad \ufffd key [redacted]"
    assert second["text"] == "server: Bearer [redacted]"


def test_piping_into_head_exits_quietly() -> None:
    emit = textwrap.dedent(
        """
        import sys
        from desktop.cli.printer import Printer
        p = Printer(False)
        for n in range(20000):
            p.turn("assistant", f"line {n}", "completed")
        print("after", file=sys.stderr)
        """
    )
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -c "$0" | head -1', emit],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout == "Assistant: line 0\n"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.stderr.strip() == "after"


class RefusingKeyring(KeyringBackend):
    """A Secret Service that is there but cannot prompt: every write fails."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("prompt dismissed")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError(username)


def test_keys_set_says_so_and_fails_when_the_keyring_did_not_keep_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-0123456789abcdef\n"))
    code = keys.run(
        argparse.Namespace(action="set", provider="openai"), KeyStore(RefusingKeyring())
    )
    shown = capsys.readouterr()
    assert code == 1
    assert "NOT stored" in shown.err and "PasswordSetError" in shown.err
    assert "stored the openai key" not in shown.out

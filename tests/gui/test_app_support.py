"""The parts around the window: crash handler, log scrubbing, prices, hotkey parsing."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

import pytest

from desktop.core.events.payloads import InputTokenDetails, OutputTokenDetails, Usage
from desktop.core.pricing import BUILTIN_PRICES, PriceTable, format_cost
from desktop.ui.crash import CrashHandler
from desktop.ui.global_hotkey import Binding, unavailable_reason
from desktop.ui.logs import SecretScrubber, scrub
from tests.gui.conftest import Gui, WindowFactory

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def hooks_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """CrashHandler.install replaces process-wide hooks: put them back afterwards."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)


def test_an_uncaught_loop_error_becomes_one_sentence_in_the_window(
    gui: Gui,
    make_window: WindowFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    hooks_restored: None,
) -> None:
    window = make_window()
    crash = CrashHandler(tmp_path / "talkline.log")
    crash.install(gui.loop)
    assert sys.excepthook == crash._excepthook
    crash.crashed.connect(lambda text: window.notices.show_notice(text, key="crash"))

    async def broken() -> None:
        raise RuntimeError(f"upstream said: Authorization: Bearer {KEY}")

    def start() -> None:
        gui.loop.create_task(broken())  # nobody awaits it: only the handler sees it

    with caplog.at_level(logging.ERROR, logger="talkline.crash"):
        gui.do(start)
        gui.pause(0.05)
        import gc

        gc.collect()  # "exception was never retrieved" is reported when the task is freed
        gui.until(lambda: crash.count >= 1, "the handler to see the error")
    shown = "\n".join(window.notices.texts())
    assert "Something went wrong inside Talkline (RuntimeError)" in shown
    assert str(tmp_path / "talkline.log") in shown
    assert KEY not in shown and "Traceback" not in shown
    assert any(r.name == "talkline.crash" for r in caplog.records)


def test_network_noise_is_logged_not_shown(gui: Gui, tmp_path: Path) -> None:
    crash = CrashHandler(tmp_path / "log")
    told: list[str] = []
    crash.crashed.connect(told.append)
    crash._loop_handler(gui.loop, {"message": "x", "exception": ConnectionError("reset")})
    assert told == []


def test_the_log_never_holds_a_key(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(SecretScrubber())
    logger = logging.getLogger("talkline.test.scrub")
    logger.addHandler(handler)
    try:
        logger.warning("headers %s", {"Authorization": f"Bearer {KEY}"})
        try:
            raise ValueError(f"bad key {KEY}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    written = path.read_text(encoding="utf-8")
    assert KEY not in written
    assert "Bearer [redacted]" in written and "ValueError" in written
    assert scrub("rtav_ak_0123456789abcdef and ek_6789abcdefgh") == "[redacted] and [redacted]"
    assert scrub("total_tokens 1234 and sk- alone") == "total_tokens 1234 and sk- alone"


def test_prices_estimate_the_cost_per_kind_of_token(tmp_path: Path) -> None:
    table = PriceTable.load()
    assert table.problems == []
    usage = Usage(
        total_tokens=3_000_000,
        input_tokens=2_000_000,
        output_tokens=1_000_000,
        input_token_details=InputTokenDetails(text_tokens=1_000_000, audio_tokens=1_000_000),
        output_token_details=OutputTokenDetails(text_tokens=500_000, audio_tokens=500_000),
    )
    # gpt-realtime: $4 text in + $32 audio in + $8 text out + $32 audio out
    assert table.estimate("gpt-realtime", usage) == pytest.approx(76.0)
    assert table.estimate("gpt-realtime-2025-08-28", usage) == pytest.approx(76.0)
    assert table.estimate("gpt-realtime-mini-2025-10-06", usage) == pytest.approx(
        table.estimate("gpt-realtime-mini", usage)
    )
    assert table.estimate("someone-elses-model", usage) is None
    assert format_cost(None) == "cost unknown" and format_cost(0.004) == "$0.0040"

    override = tmp_path / "prices.json"
    override.write_text(
        json.dumps({"models": {"gpt-realtime": {"text_input": 1}, "broken": {"text_input": -1}}})
    )
    edited = PriceTable.load(BUILTIN_PRICES, override)
    assert edited.estimate("gpt-realtime", usage) == pytest.approx(1.0)
    assert edited.price_for("gpt-4o-realtime-preview") is not None  # the rest stays
    assert len(edited.problems) == 1 and "broken" in edited.problems[0]
    assert PriceTable.load(tmp_path / "absent.json").prices == {}


def test_hotkey_bindings_parse_and_unavailability_is_explained(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Binding.parse("Ctrl+Alt+Space") == Binding(("ctrl", "alt"), "space")
    assert Binding.parse("F9").x_keysym() == "F9"
    with pytest.raises(ValueError):
        Binding.parse("Hyper+Space")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")  # the portal is tried (test_global_hotkey)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert "D-Bus" in (unavailable_reason() or "")
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert "No X11 display" in (unavailable_reason() or "")


def test_the_window_says_when_there_is_no_global_key(
    gui: Gui, make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    window = make_window(global_hotkey=True)
    gui.until(lambda: "no global key" in window.status.ptt_hint.text(), "the hint")
    assert "Hold Space to talk" in window.status.ptt_hint.text()
    assert "Wayland" in window.status.ptt_hint.toolTip()


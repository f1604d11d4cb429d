"""Stage timings feed the connect breakdown the stats view draws."""

from desktop.core.call.state import CallState, StageTimings


def test_stage_durations_and_milestones() -> None:
    t = StageTimings()
    t.enter(CallState.AUTHORIZING, now=10.000)
    t.enter(CallState.GATHERING, now=10.010)
    t.enter(CallState.SIGNALING, now=10.030)
    t.enter(CallState.CONNECTING, now=10.060)
    t.mark("channel_open", now=10.090)
    t.mark("session_ready", now=10.100)
    t.enter(CallState.CONNECTED, now=10.100)
    d = t.durations_ms()
    assert round(d["authorizing"]) == 10 and round(d["gathering"]) == 20
    assert round(d["signaling"]) == 30 and round(d["connecting"]) == 40
    assert round(d["channel_open"]) == 30 and round(d["session_ready"]) == 40
    assert round(t.total_setup_ms()) == 100


def test_no_total_before_connected() -> None:
    t = StageTimings()
    t.enter(CallState.AUTHORIZING, now=1.0)
    t.enter(CallState.FAILED, now=2.0)
    assert t.total_setup_ms() is None


def test_active_states() -> None:
    assert CallState.CONNECTING.is_active and CallState.CONNECTED.is_active
    assert not CallState.FAILED.is_active and not CallState.IDLE.is_active

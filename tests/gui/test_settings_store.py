"""Settings round trip through a real INI file (QSettings), and what a damaged file does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QSettings

from desktop.core.settings import AppSettings
from desktop.core.settings.stored import stored_settings
from desktop.ui.settings_store import default_qsettings, load_settings, save_settings


def ini(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def reread(path: Path, tmp: Path) -> tuple[AppSettings, list[str]]:
    """Load from a copy: Qt caches files it wrote in this process with their typed values,
    and a person's next start reads only the text."""
    copy = tmp / f"fresh-{len(list(tmp.iterdir()))}.ini"
    shutil.copy(path, copy)
    return load_settings(ini(copy))


def every_field_changed() -> AppSettings:
    s = AppSettings()
    s.provider = "inworld"
    s.ptt_key = "F9"
    s.global_ptt_key = "Ctrl+Shift+F9"
    s.minimize_to_tray = True
    s.font_scale = 1.25
    s.show_event_log = True
    s.audio.input_device = "alsa_input.usb-Logitech_Headset-00.mono-fallback"
    s.audio.output_device = "Speakers (Realtek, ünicode)"
    s.audio.echo_cancellation = False
    s.audio.noise_suppression = False
    s.audio.high_pass = False
    s.audio.auto_gain = True
    o = s.providers["openai"]
    o.base_url = "https://proxy.example.com/openai"
    o.model = "gpt-realtime-mini"
    o.voice = "cedar"
    o.instructions = (
        'Be brief; say "hi", then\nlist: a, b, c.\n\tIndented \\ backslash # not a comment'
    )
    o.turn_mode = "semantic_vad"
    o.eagerness = "high"
    o.vad_threshold = 0.35
    o.prefix_padding_ms = 120
    o.silence_duration_ms = 900
    o.transcription_model = "whisper-1"
    o.transcription_language = "de"
    o.speed = 1.25
    o.output_text_only = True
    i = s.providers["inworld"]
    i.auth_scheme = "Bearer"
    i.tts_model = "inworld-tts-1.5-max"
    i.temperature = 0.7
    i.turn_mode = "push_to_talk"
    c = s.providers["compatible"]
    c.base_url = "http://127.0.0.1:8080"
    c.auth_header = "api-key"
    c.auth_scheme = "Key"
    r = s.providers["rtav"]
    r.face = "face2"
    r.driving = "idle, Wink, idle"
    r.temperature = 1.0  # a whole number in a float field
    return s


def test_every_field_survives_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "Talkline.ini"
    original = every_field_changed()
    assert save_settings(original, ini(path)) is None

    loaded, problems = reread(path, tmp_path)
    assert problems == []
    assert loaded == original
    assert loaded.providers["inworld"].temperature == 0.7
    assert loaded.providers["openai"].temperature is None
    assert isinstance(loaded.providers["rtav"].temperature, float)
    assert not list(tmp_path.glob("*.bak"))
    text = path.read_text()
    assert "[providers]" in text and "openai\\model=gpt-realtime-mini" in text  # hand-editable


def test_defaults_round_trip_and_first_run_has_no_notice(tmp_path: Path) -> None:
    path = tmp_path / "Talkline.ini"
    assert load_settings(ini(path)) == (AppSettings(), [])
    assert not path.exists()  # nothing written just by looking
    save_settings(AppSettings(), ini(path))
    assert reread(path, tmp_path) == (AppSettings(), [])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(exclude_categories=("Cs",)), max_size=40))
def test_any_text_survives(tmp_path: Path, text: str) -> None:
    path = tmp_path / "any.ini"
    original = AppSettings()
    original.providers["openai"].instructions = text
    original.providers["rtav"].driving = text
    original.audio.input_device = text
    save_settings(original, ini(path))
    loaded, problems = reread(path, tmp_path)
    assert problems == []
    assert loaded.providers["openai"].instructions == text
    assert loaded.providers["rtav"].driving == text
    assert loaded.audio.input_device == text
    for f in tmp_path.glob("fresh-*.ini"):
        f.unlink()


def test_garbage_file_gives_defaults_a_notice_and_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "Talkline.ini"
    garbage = bytes(range(256)) * 4 + b"\n[providers\nopenai\\model\n\x00\xff"
    path.write_bytes(garbage)

    settings_, problems = load_settings(ini(path))
    assert settings_ == AppSettings()
    assert any("damaged" in p for p in problems)
    backups = list(tmp_path.glob("Talkline.ini.*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == garbage
    assert any(str(backups[0]) in p for p in problems)  # the notice says where it went

    # The next start is clean: no second notice, no second backup.
    assert load_settings(ini(path)) == (AppSettings(), [])
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_unparseable_ini_text_is_damaged_too(tmp_path: Path) -> None:
    path = tmp_path / "Talkline.ini"
    path.write_text("[General]\nprovider=openai\n[audio\nhigh_pass\n")
    settings_, problems = load_settings(ini(path))
    assert settings_ == AppSettings() and "damaged" in problems[0]
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_wrong_values_fall_back_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "Talkline.ini"
    original = (
        "[General]\nprovider=nonsense\nfont_scale=big\nminimize_to_tray=true\nptt_key=F8\n"
        "[audio]\necho_cancellation=maybe\nnoise_suppression=false\nvolume=11\n"
        "[providers]\nopenai\\model=gpt-realtime-mini\nopenai\\prefix_padding_ms=1.5\n"
        "openai\\base_url=http://example.com\nopenai\\speed=inf\n"
        "inworld\\temperature=warm\ninworld\\voice=Clive\nmystery\\model=x\n"
        "[window]\ngeometry=@ByteArray(abc)\n"
    )
    path.write_text(original)

    s, problems = load_settings(ini(path))
    # What was valid is kept ...
    assert s.minimize_to_tray and s.ptt_key == "F8"
    assert s.audio.noise_suppression is False
    assert s.providers["openai"].model == "gpt-realtime-mini"
    assert s.providers["inworld"].voice == "Clive"
    # ... and each bad value is back to its default, with a line saying so.
    defaults = AppSettings()
    assert s.provider == "local" and s.font_scale == 1.0 and s.audio.echo_cancellation
    assert s.providers["openai"].prefix_padding_ms == defaults.providers["openai"].prefix_padding_ms
    assert s.providers["openai"].base_url == "" and s.providers["openai"].speed == 1.0
    assert s.providers["inworld"].temperature is None
    joined = "\n".join(problems)
    for name in ("provider", "font_scale", "audio.echo_cancellation", "audio/volume",
                 "providers.openai.prefix_padding_ms", "providers.openai.base_url",
                 "providers.openai.speed", "providers.inworld.temperature", "mystery"):
        assert name in joined, name
    assert "https://" in joined  # the base URL's own sentence

    backups = list(tmp_path.glob("*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == original
    # Repaired in place: the next start has nothing to say, and another part's group stays.
    again, problems_again = reread(path, tmp_path)
    assert problems_again == [] and again == s
    assert ini(path).value("window/geometry") is not None


def test_saving_keeps_other_groups_and_drops_stale_entries(tmp_path: Path) -> None:
    path = tmp_path / "Talkline.ini"
    qs = ini(path)
    qs.setValue("window/geometry", "kept")
    qs.setValue("providers/openai/obsolete_field", "x")
    qs.sync()
    save_settings(AppSettings(), qs)
    text = path.read_text()
    assert "geometry=kept" in text and "obsolete_field" not in text


def test_an_unwritable_location_is_a_sentence_not_an_exception(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    message = save_settings(AppSettings(), ini(blocker / "Talkline.ini"))
    assert message is not None and "could not be saved" in message


def test_the_default_file_is_talklines_ini() -> None:
    name = Path(default_qsettings().fileName())
    assert (name.parent.name, name.name) == ("Talkline", "Talkline.ini")


def test_the_command_line_finds_the_file_where_the_window_keeps_it(tmp_path: Path) -> None:
    """Checked in fresh processes: Qt remembers the folder it chose at first use."""
    probe = ("from pathlib import Path; from desktop.ui.settings_store import default_qsettings;"
             " from desktop.core.settings.stored import settings_file;"
             " print(Path(default_qsettings().fileName()) == settings_file(), settings_file())")
    for xdg in (str(tmp_path / "config"), None):
        env = {**os.environ, "HOME": str(tmp_path / "home")}
        env.pop("XDG_CONFIG_HOME", None)
        if xdg is not None:
            env["XDG_CONFIG_HOME"] = xdg
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             env=env, timeout=60)
        assert out.stdout.startswith("True "), out.stdout + out.stderr
        assert str(tmp_path) in out.stdout


def test_the_command_line_reads_the_choices_the_window_wrote(tmp_path: Path) -> None:
    path = tmp_path / "Talkline.ini"
    saved = every_field_changed()
    saved.history_retention = "days_30"
    saved.window_state = "AAAA/w+=,; \"quoted\""
    assert save_settings(saved, ini(path)) is None
    read = stored_settings(path)
    assert read.history_retention == "days_30"
    assert (read.provider, read.ptt_key, read.global_ptt_key, read.window_state) == (
        saved.provider, saved.ptt_key, saved.global_ptt_key, saved.window_state)
    assert stored_settings(tmp_path / "none.ini") == AppSettings()  # never chosen: keep
    path.write_bytes(b"\xff\x00 not an INI file")
    assert stored_settings(path).history_retention == "keep"  # what the window would use

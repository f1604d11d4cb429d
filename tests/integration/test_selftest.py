"""`talkline --self-test`, from source: what it reports on a machine that has everything, on a
bare one, and that a check can really fail. (CI also runs it from the installed .deb:
scripts/package --check.)

Each run is a real process: Qt offscreen, a real WebRTC call to the in-process local
server, PortAudio against the PulseAudio virtual devices or against nothing at all, and
keyring against a real Secret Service or an unreachable D-Bus.
"""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop.cli.selftest import CHECKS, MATCH_THRESHOLD, RATE, echo_match, probe_signal
from tests.keyring_env import SecretService
from tests.pulse import PulseAudio, shared_pulse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pulse() -> Iterator[PulseAudio]:
    with shared_pulse() as server:
        yield server


@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretService]:
    with SecretService() as service:
        yield service


def run(*args: str, env: dict[str, str], module: str = "desktop.cli.selftest") -> tuple[
    int, list[str]
]:
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False,
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done.returncode, done.stdout.splitlines()


def line(lines: list[str], check: str) -> str:
    found = [ln for ln in lines if re.match(rf"^(ok|warn|FAIL)\s+{check}\s", ln)]
    assert len(found) == 1, lines
    return found[0]


def private_home(tmp_path: Path) -> dict[str, str]:
    """A fresh user: no settings, no keyring configuration, no backend override."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env["HOME"] = str(tmp_path)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var.lower())
    return env


def bare_machine(tmp_path: Path) -> dict[str, str]:
    """No sound server, no sound card ALSA can see, no D-Bus session: a headless server."""
    env = private_home(tmp_path)
    alsa = tmp_path / "alsa.conf"
    # In place of the system's ALSA configuration: the default device is a card that does not
    # exist, and no "hw" device is defined, so no sound card is found either.
    alsa.write_text("pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n")
    env.update(
        ALSA_CONFIG_PATH=str(alsa),
        JACK_NO_START_SERVER="1",
        PULSE_SERVER=f"unix:{tmp_path}/no-pulse",
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus",
    )
    return env


def test_a_working_install_passes_every_check(
    pulse: PulseAudio, secret_service: SecretService, tmp_path: Path
) -> None:
    code, lines = run("--require-devices", "--require-keyring", env=private_home(tmp_path))
    assert code == 0, lines
    assert [ln.split()[0] for ln in lines[:-1]] == ["ok"] * len(CHECKS)
    assert "main window shown" in line(lines, "window")
    match = re.search(r"came back \(match (\d\.\d+)", line(lines, "call"))
    assert match and float(match.group(1)) >= 0.9  # the same sound returned
    assert line(lines, "keyring").endswith("keyring.backends.SecretService.Keyring")
    audio = line(lines, "audio")
    assert "microphones:" in audio and "mic" in audio and "speaker" in audio
    # From source av has its real x265 and SVT-AV1; the bundle's stubs: test_stub_libraries.py
    assert "Opus, VP8, H.264, JPEG encoded and decoded" in line(lines, "codecs")
    assert lines[-1] == "self-test passed"


def test_a_bare_machine_passes_with_warnings_naming_what_is_missing(tmp_path: Path) -> None:
    code, lines = run("--only", "keyring,audio", env=bare_machine(tmp_path))
    assert code == 0, lines
    keyring_line = line(lines, "keyring")
    assert keyring_line.startswith("warn")
    assert "keyring.backends.fail.Keyring" in keyring_line
    assert "keys stay in memory" in keyring_line
    audio = line(lines, "audio")
    assert audio.startswith("warn") and "no microphone or speaker found" in audio
    assert "PortAudio V19" in audio  # the library itself loaded
    assert lines[-1] == "self-test passed (2 warnings)"


def test_requiring_devices_on_a_bare_machine_fails_naming_the_check(tmp_path: Path) -> None:
    code, lines = run("--only", "audio", "--require-devices", env=bare_machine(tmp_path))
    assert code == 1
    assert line(lines, "audio").startswith("FAIL")
    assert lines[-1] == "self-test FAILED: audio"


def test_the_talkline_command_takes_the_flag_and_its_options(tmp_path: Path) -> None:
    env = bare_machine(tmp_path)
    code, lines = run("--self-test", "--only", "keyring", "--require-keyring", env=env,
                      module="desktop")
    assert code == 1
    assert lines[-1] == "self-test FAILED: keyring"
    code, lines = run("--self-test", "--only", "nonsense", env=env, module="desktop")
    assert code == 2  # a usage error, not a failed check


def test_the_echo_check_tells_the_same_sound_from_another() -> None:
    sent = probe_signal(1.0)
    silence = np.zeros(RATE // 2, np.int16)
    # What a call brings back: later, quieter, inside silence.
    echoed = np.concatenate([silence, (sent * 0.3).astype(np.int16), silence])
    assert echo_match(echoed, sent) > 0.95
    unlike = MATCH_THRESHOLD - 0.15  # well below what the check accepts
    assert echo_match(np.concatenate([silence, sent[::-1], silence]), sent) < unlike
    assert echo_match(np.concatenate([silence, sent[: RATE // 2], silence]), sent) < unlike
    noise = np.random.default_rng(1).normal(0, 3000, RATE * 2).astype(np.int16)
    assert echo_match(noise, sent) < unlike
    assert echo_match(np.zeros(RATE * 2, np.int16), sent) == -1.0  # nothing came back


def test_nothing_the_app_imports_is_left_out_of_the_bundle() -> None:
    excluded = runpy.run_path(str(ROOT / "packaging" / "bundle_excludes.py"))["EXCLUDED"]
    numpy_parts = [m.split(".", 1)[1] for m in excluded if m.startswith("numpy.")]
    attribute = re.compile(rf"\b(np|numpy)\.({'|'.join(numpy_parts)})\b")
    used: list[str] = []
    for path in (ROOT / "desktop").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        names = [m.group(0) for m in attribute.finditer(source)]
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        used += [
            f"{path.relative_to(ROOT)}: {name}"
            for name in names
            for module in excluded
            if name.replace("np.", "numpy.", 1) == module
            or name.replace("np.", "numpy.", 1).startswith(module + ".")
        ]
    assert used == []

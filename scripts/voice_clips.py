"""Make the voice preview clips in resources/voices/ (Ogg Opus, a few KB each).

    .venv/bin/python scripts/voice_clips.py

None of the providers documents a voice-preview endpoint (docs: ../shared/PROVIDERS.md), so
the window plays a clip shipped with Talkline. These are STAND-INS made offline with
espeak-ng (a lower or higher espeak voice per name), not recordings of the providers'
voices; the window says so. Replace a file with the provider's own sample (same name) where
its terms allow, and the window plays that instead.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop.core.profiles import BUILTIN_PROFILES  # noqa: E402

OUT = ROOT / "resources" / "voices"
TEXT = "Hi, this is {name}. How can I help?"
# espeak-ng variants for a rough male/female stand-in (the names' usual reading).
FEMALE = {"marin", "alloy", "ballad", "coral", "sage", "shimmer", "ashley", "olivia", "sarah",
          "alice"}
BITRATE = 12_000  # Opus voice at 12 kbit/s: ~2-3 KB for a short sentence


def encode_ogg(wav: Path, out: Path) -> None:
    import av

    from desktop.core.audio.files import read_wav_mono48k

    samples = read_wav_mono48k(wav)
    with av.open(str(out), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        stream.bit_rate = BITRATE
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def main() -> int:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("voice_clips: espeak-ng is not installed (apt-get install espeak-ng)")
    OUT.mkdir(parents=True, exist_ok=True)
    voices = sorted({v for p in BUILTIN_PROFILES.values() if p.id != "local" for v in p.voices})
    with tempfile.TemporaryDirectory() as tmp:
        for name in voices:
            wav = Path(tmp) / f"{name}.wav"
            variant = "en-us+f3" if name.lower() in FEMALE else "en-us+m3"
            pitch = str(40 + (sum(map(ord, name)) % 30))  # each name a little different
            subprocess.run(
                ["espeak-ng", "-v", variant, "-s", "160", "-p", pitch, "-w", str(wav),
                 TEXT.format(name=name.capitalize())],
                check=True,
            )
            out = OUT / f"{name.lower()}.ogg"
            encode_ogg(wav, out)
            print(f"{out.relative_to(ROOT)}: {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

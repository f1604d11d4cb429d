"""What showing the rtAV avatar costs: frames a second received, shown and painted, and the
CPU (% of one core) of the Talkline process, during a call with the video visible.

    .venv/bin/python benchmarks/avatar_video.py [--seconds 20] [--image-fps 0] [--max-fps 30]

The real window (offscreen) connects to the rtAV test server (tests/fakes/rtav.py) over
real WebRTC on loopback. The server runs in its own process, so only Talkline is measured:
VP8 decoding (aiortc), the YUV→RGB conversion (VideoFeed) and painting (VideoView). Its
track is 320x240 at 15 fps; with --image-fps it also sends JPEG frames on the data channel
(`response.output_image.delta`), which are then shown instead. No sound devices.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SERVER = (
    "import asyncio, sys\n"
    "from tests.fakes.rtav import RtavFake\n"
    "async def main():\n"
    "    fake = RtavFake(image_fps=float(sys.argv[1]))\n"
    "    print(await fake.start(), flush=True)\n"
    "    await asyncio.Event().wait()\n"
    "asyncio.run(main())\n"
)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--image-fps", type=float, default=0.0)
    parser.add_argument("--max-fps", type=float, default=30.0, help="VideoFeed's limit")
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.image_fps)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        return run_window(base_url, args)
    finally:
        server.terminate()
        server.wait(5)


def run_window(base_url: str, args: argparse.Namespace) -> int:
    import qasync
    from keyring.backends import fail
    from PySide6.QtWidgets import QApplication

    from desktop.core.call.state import CallState
    from desktop.core.secrets import KeyStore
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.audio import no_audio
    from desktop.ui.app import build_window

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    keys = KeyStore(backend=fail.Keyring())  # no keyring: the key stays in memory
    keys.set("rtav", "rtav_ak_test123")
    settings = AppSettings()
    settings.provider = "rtav"
    settings.providers["rtav"].base_url = base_url
    window = build_window(
        loop, settings=settings, keystore=keys, audio_factory=no_audio, persist=False,
        global_hotkey=False,
    )
    window.controller.video_max_fps = args.max_fps
    window.show()
    video = window.avatar.video

    async def measure() -> None:
        controller = window.controller
        controller.connect_call()
        deadline = time.monotonic() + 30
        while controller.state is not CallState.CONNECTED:
            if time.monotonic() > deadline or controller.state is CallState.FAILED:
                raise SystemExit(f"did not connect: {controller.status}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # the first frames and the decoder settle
        call = controller.call
        assert call is not None
        feed = call._video_sink  # the VideoFeed the controller handed the call
        start = (feed.counts.frames_received, feed.counts.images_received,
                 feed.counts.shown, video.frames_painted)
        cpu0, t0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(args.seconds)
        cpu1, t1 = cpu_seconds(), time.monotonic()
        end = (feed.counts.frames_received, feed.counts.images_received,
               feed.counts.shown, video.frames_painted)
        span = t1 - t0
        rates = [(b - a) / span for a, b in zip(start, end, strict=True)]
        last = feed.latest
        size = f"{last.width}x{last.height} ({last.source})" if last else "none"
        print(f"seconds measured:        {span:.1f}")
        print(f"track frames received/s: {rates[0]:.1f}")
        print(f"JPEG frames received/s:  {rates[1]:.1f}")
        print(f"frames shown/s (feed):   {rates[2]:.1f}   (limit {args.max_fps:g}/s)")
        print(f"frames painted/s:        {rates[3]:.1f}")
        print(f"picture:                 {size}, view {video.width()}x{video.height()}")
        print(f"dropped / bad:           {feed.counts.dropped} / {feed.counts.bad}")
        print(f"CPU, % of one core:      {100 * (cpu1 - cpu0) / span:.1f}")
        await controller.shutdown()

    with loop:
        loop.run_until_complete(measure())
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A process that exits while sound flows both ways through `AudioPath` with the echo
canceller on (run by test_exit.py, many times).

    python -m tests.integration.audio.exiting_call SECONDS close|exit

`close`: the app's path: close the audio, then return from main. `exit`: `sys.exit()` with
the devices still running (a quit from anywhere else). PulseAudio's environment comes from
the parent.
"""

from __future__ import annotations

import asyncio
import sys

from desktop.core.audio.frames import FRAME_SAMPLES
from desktop.core.audio.path import AudioPath
from desktop.core.audio.processing import ProcessingSettings
from tests.integration.audio.signals import ArrayTrack, speech_like


async def main(seconds: float, how: str) -> None:
    path = AudioPath(settings=ProcessingSettings(echo_cancellation=True))
    await path.start()
    assert path.source is not None and path.sink is not None, path.errors
    await path.sink.start(ArrayTrack(speech_like(1.0), loop=True))  # the far end speaking

    async def pull() -> None:  # the sender, taking the cleaned microphone
        assert path.source is not None
        while True:
            frame = await path.source.recv()
            assert frame.samples == FRAME_SAMPLES

    puller = asyncio.ensure_future(pull())
    await asyncio.sleep(seconds)
    if how == "exit":
        sys.exit(0)
    puller.cancel()
    await path.close()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]), sys.argv[2]))

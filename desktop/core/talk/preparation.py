"""Everything a call needs before it can connect: the key (from the keyring, off the loop),
the built-in server's address when that is the provider, the sound devices and the engine's
import — side by side, so the slowest decides, not their sum."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from desktop.core.observable import Emitter
from desktop.core.talk.audio import Audio, AudioFactory
from desktop.core.tasks import TaskSet

if TYPE_CHECKING:
    from desktop.core.audio.levels import Level
    from desktop.core.profiles.profile import ProviderProfile
    from desktop.core.secrets import KeyStore
    from desktop.core.settings.schema import AppSettings

log = logging.getLogger("talkline.talk")

AUDIO_START_TIMEOUT = 8.0  # PortAudio on a wedged sound server can hang; a call works without


class LocalServer(Protocol):
    """The built-in server, started on first use by whoever owns it (the app or the CLI:
    the core never imports `desktop.localserver`)."""

    async def base_url(self) -> str: ...  # raises OSError when it cannot start
    async def stop(self) -> None: ...


class PrepareFailed(Exception):
    """The call cannot go ahead; `reason` is a sentence for the user."""

    def __init__(self, reason: str, details: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Prepared:
    profile: ProviderProfile  # with the local server's address, when Local
    api_key: str | None
    audio: Audio | None


class CallPreparer:
    def __init__(
        self,
        *,
        keystore: KeyStore | Callable[[], KeyStore] | None,
        audio_factory: AudioFactory,
        local_server: LocalServer | None,
        tasks: TaskSet,
    ) -> None:
        self._keystore_source = keystore
        self._keystore: KeyStore | None = None
        self._keystore_lock = threading.Lock()
        self.audio_factory = audio_factory
        self.local_server = local_server
        self._tasks = tasks
        self.audio_notice: Emitter[str] = Emitter()  # a sentence about the sound devices
        self.audio_working: Emitter[None] = Emitter()  # a microphone opened: old notices go
        self.audio_changed: Emitter[tuple[bool, bool]] = Emitter()  # microphone, speaker
        self.input_level: Emitter[Level] = Emitter()
        self.output_level: Emitter[Level] = Emitter()

    @property
    def keystore(self) -> KeyStore:
        """Made on first use (importing keyring takes longer than a frame, so the first
        use is usually from a worker thread)."""
        with self._keystore_lock:
            if self._keystore is None:
                source = self._keystore_source
                if source is None:
                    from desktop.core.secrets import KeyStore

                    self._keystore = KeyStore()
                elif callable(source):
                    self._keystore = source()
                else:
                    self._keystore = source
            return self._keystore

    async def resolve_key(self, profile: ProviderProfile) -> str | None:
        """The profile's key from the keyring / environment, read off the loop."""
        key, _source = await asyncio.to_thread(lambda: self.keystore.resolve(profile))
        return key

    async def prepare(self, settings: AppSettings, profile: ProviderProfile) -> Prepared:
        """Raises PrepareFailed (nothing left open) when the call cannot go ahead."""
        key_task = self._tasks.spawn(self._key_for(profile), "key")
        audio_task = self._tasks.spawn(self._open_audio(settings), "audio")
        engine_task = self._tasks.spawn(
            asyncio.to_thread(importlib.import_module, "desktop.core.call.engine"), "import"
        )
        try:
            local = await self._local_profile(settings, profile)
            api_key = await key_task
            audio = await audio_task
            await engine_task
        except BaseException as exc:
            await self._drop_audio(audio_task)
            if isinstance(exc, PrepareFailed | asyncio.CancelledError):
                raise
            log.exception("could not prepare the call")
            raise PrepareFailed(
                "Talkline could not prepare the call. Try again; the log has details.",
                exc.__class__.__name__,
            ) from exc
        return Prepared(local, api_key, audio)

    async def _key_for(self, profile: ProviderProfile) -> str | None:
        return await self.resolve_key(profile) if profile.requires_key else None

    async def _local_profile(
        self, settings: AppSettings, profile: ProviderProfile
    ) -> ProviderProfile:
        """The Local provider points at the built-in server (started on first use)."""
        if not profile.builtin_server or settings.provider_settings(profile.id).base_url:
            return profile
        if self.local_server is None:
            raise PrepareFailed("The built-in local server is not available here.")
        try:
            base_url = await self.local_server.base_url()
        except OSError as exc:
            raise PrepareFailed(
                "The built-in local server could not start on this computer.", str(exc)
            ) from exc
        return profile.with_base_url(base_url)

    async def _open_audio(self, settings: AppSettings) -> Audio | None:
        """The sound devices, or None; problems become notices, never a failed call."""
        # PortAudio and numpy: imported off the loop (a fresh import takes ~100 ms).
        await asyncio.to_thread(importlib.import_module, "desktop.core.audio.path")
        try:
            audio = self.audio_factory(settings)
        except Exception:
            log.exception("the sound devices could not be set up")
            self._without_audio("Sound is unavailable; you can still type.")
            return None
        if audio is None:
            self._without_audio(
                "No microphone: the call sends silence. You can still type, and read the replies."
            )
            return None
        if audio.notices is not None:
            audio.notices.connect(self.audio_notice.emit)
        try:
            await asyncio.wait_for(audio.start(), AUDIO_START_TIMEOUT)
        except TimeoutError:
            await close_audio(audio)
            self._without_audio("The sound devices did not respond; the call goes on without them.")
            return None
        if audio.input_level is not None:
            audio.input_level.connect(self.input_level.emit)
        if audio.output_level is not None:
            audio.output_level.connect(self.output_level.emit)
        if audio.source is not None:
            self.audio_working.emit(None)
        self.audio_changed.emit((audio.source is not None, audio.sink is not None))
        return audio

    def _without_audio(self, sentence: str) -> None:
        self.audio_notice.emit(sentence)
        self.audio_changed.emit((False, False))

    async def _drop_audio(self, audio_task: asyncio.Task[Audio | None]) -> None:
        if not audio_task.done():
            audio_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await audio_task
        if not audio_task.cancelled() and audio_task.exception() is None:
            audio = audio_task.result()
            if audio is not None:
                await close_audio(audio)
        self.audio_changed.emit((False, False))


async def close_audio(audio: Audio) -> None:
    try:
        await audio.close()
    except Exception:  # a device that fails while closing must not keep the call open
        log.exception("closing the sound devices failed")

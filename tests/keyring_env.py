"""A real Secret Service (gnome-keyring on D-Bus) for keyring tests, started when none runs.

    with SecretService() as service:      # or the `secret_service` fixtures in the tests
        KeyStore().set("openai", "sk-...")  # the keyring library's default backend
        assert service.backend_name.endswith("SecretService.Keyring")

If ``DBUS_SESSION_BUS_ADDRESS`` points at a bus whose Secret Service is running and
unlocked (the test command wraps pytest in ``dbus-run-session`` and unlocks one), that is
used. Otherwise a private ``dbus-daemon`` and an unlocked ``gnome-keyring-daemon`` start in
a temporary folder that is also their ``XDG_DATA_HOME``/``XDG_RUNTIME_DIR``/``HOME``, so
nothing touches the real home; ``stop()`` ends both and removes the folder.

Either way the keyring library is pointed at the Secret Service for the duration, and on
``stop()`` every ``talkline`` entry the tests touched is put back as it was (a developer's
own keys survive a test run on their desktop session). Missing programs raise
``SecretServiceUnavailable`` naming the Debian packages: nothing here skips.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path
from types import TracebackType

import keyring
import keyring.core
import keyring.errors
import secretstorage
from jeepney.bus_messages import message_bus
from keyring.backend import KeyringBackend
from secretstorage.collection import DEFAULT_COLLECTION, Collection

from desktop.core.profiles import BUILTIN_PROFILES
from desktop.core.secrets.keystore import SERVICE

SECRETS_NAME = "org.freedesktop.secrets"
_ENV = "DBUS_SESSION_BUS_ADDRESS"
_PR_SET_PDEATHSIG = 1


class SecretServiceUnavailable(RuntimeError):
    """dbus-daemon or gnome-keyring-daemon is missing or did not come up."""


def service_ready() -> bool:
    """A Secret Service owns its name on the current session bus and its default
    collection is unlocked. Never activates or prompts."""
    if not os.environ.get(_ENV):
        return False
    try:
        with closing(secretstorage.dbus_init()) as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(SECRETS_NAME), timeout=2)
            if not reply.body[0]:
                return False
            return not Collection(conn, DEFAULT_COLLECTION).is_locked()
    except Exception:  # no bus, no collection, a bus that went away: not ready
        return False


class SecretService:
    def __init__(self, usernames: tuple[str, ...] = tuple(BUILTIN_PROFILES)) -> None:
        self.usernames = usernames  # the talkline entries restored on stop()
        self.private = False
        self._root: Path | None = None
        self._procs: list[subprocess.Popen[str]] = []
        self._saved_env: str | None = None
        self._saved_backend: KeyringBackend | None = None
        self._saved_keys: dict[str, str | None] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SecretService:
        self._saved_env = os.environ.get(_ENV)
        self._saved_backend = keyring.core._keyring_backend  # None: not chosen yet
        if not service_ready():
            self._start_private()
        try:
            # The library picks its backend once; make it look again now that D-Bus is up,
            # among its own backends only: every KeyringBackend subclass a test module
            # defines (in-memory fakes) is a candidate too and would be chained in.
            keyring.core.init_backend(limit=_library_backend)
            if "SecretService" not in self.backend_name:
                raise SecretServiceUnavailable(
                    f"keyring chose {self.backend_name}, not the Secret Service"
                )
            self._saved_keys = {u: keyring.get_password(SERVICE, u) for u in self.usernames}
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            if self._saved_keys:
                self._restore_keys()
        finally:
            self._saved_keys = {}
            if self._saved_backend is not None:
                keyring.set_keyring(self._saved_backend)
            else:
                keyring.core._keyring_backend = None  # choose again on next use
            for proc in reversed(self._procs):
                _terminate(proc)
            self._procs.clear()
            if self._saved_env is None:
                os.environ.pop(_ENV, None)
            else:
                os.environ[_ENV] = self._saved_env
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)
                self._root = None

    def __enter__(self) -> SecretService:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def backend_name(self) -> str:
        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    @property
    def root(self) -> Path | None:
        """The private folder (keyring files live under ``data/keyrings``), if one was made."""
        return self._root

    # -- private bus + keyring ------------------------------------------------------------

    def _start_private(self) -> None:
        for program, package in (("dbus-daemon", "dbus"), ("gnome-keyring-daemon",
                                                           "gnome-keyring")):
            if shutil.which(program) is None:
                raise SecretServiceUnavailable(
                    f"{program} is not installed: apt-get install dbus gnome-keyring "
                    f"(missing: {package})"
                )
        self.private = True
        self._root = Path(tempfile.mkdtemp(prefix="talkline-keyring-"))
        runtime = self._root / "run"
        data = self._root / "data"
        runtime.mkdir(mode=0o700)
        data.mkdir()
        env = {
            **os.environ,
            "HOME": str(self._root),
            "XDG_DATA_HOME": str(data),
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_CONFIG_HOME": str(self._root / "config"),
        }
        env.pop(_ENV, None)
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
             f"--address=unix:path={runtime / 'bus'}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
            preexec_fn=_die_with_parent,
        )
        self._procs.append(bus)
        address = bus.stdout.readline().strip() if bus.stdout else ""
        if not address:
            self.stop()
            raise SecretServiceUnavailable("dbus-daemon did not print its address")
        env[_ENV] = address
        os.environ[_ENV] = address
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, text=True, preexec_fn=_die_with_parent,
        )
        self._procs.append(daemon)
        assert daemon.stdin is not None
        daemon.stdin.write("talkline-test")  # the login keyring's password: unlocks it
        daemon.stdin.close()
        deadline = time.monotonic() + 10
        while not service_ready():
            if daemon.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SecretServiceUnavailable("gnome-keyring-daemon did not come up")
            time.sleep(0.02)

    def _restore_keys(self) -> None:
        for username, value in self._saved_keys.items():
            if value is None:
                with contextlib.suppress(keyring.errors.PasswordDeleteError):
                    keyring.delete_password(SERVICE, username)
            elif keyring.get_password(SERVICE, username) != value:
                keyring.set_password(SERVICE, username, value)


def _die_with_parent() -> None:
    """In the child: end with the test process, even one that crashed before stop()."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: stop() is the only cleanup
        pass


def _library_backend(backend: KeyringBackend) -> bool:
    return type(backend).__module__.startswith("keyring.backends.")


def _terminate(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if proc.stdout:
        proc.stdout.close()

"""A private Xvfb for tests, the screenshot script and the benchmarks.

    with xvfb() as display:      # ":5"
        ...

Xvfb picks a free display number itself (-displayfd). It gets SIGTERM if the process
that started it dies, so a crashed run leaves no X server behind.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@contextmanager
def xvfb(screen: str = "1600x1000x24", *extra: str) -> Iterator[str]:
    """``extra``: more Xvfb options, e.g. ``"-ardelay", "250"`` (xset r rate does not
    change Xvfb's auto-repeat; these options do)."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb xauth)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [binary, "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", screen, *extra],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, safe before exec
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()

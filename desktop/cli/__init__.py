"""The `talkline` command: the window by default, and headless tools for scripts."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from desktop import __version__
from desktop.core.secrets.redact import install_log_redaction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="talkline", description="Talk to realtime speech-to-speech models."
    )
    parser.add_argument("--version", action="version", version=f"talkline {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command")

    from desktop.cli import call, history, keys, selftest, serve, tooling

    selftest.add_argument(parser)
    call.add_parser(sub)
    keys.add_parser(sub)
    history.add_parser(sub)
    serve.add_parser(sub)
    tooling.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`talkline … | head -1`): that is not an error to report.
        _silence_stdout()
        return 0


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every log line on the terminal passes the one scrubber (a server error echoing
    # "Bearer ek_…" must not reach stderr); the window installs its own handlers and filter.
    install_log_redaction()
    if args.command is None:
        return _run_window(args)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _run_window(args: argparse.Namespace) -> int:
    try:  # the toolkit alone: a missing Qt (or its system libraries) is a sentence
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        print(f"talkline: the window cannot start: {exc}", file=sys.stderr)
        return 1
    from desktop.ui.app import run  # our own: if this breaks, it is a bug to see

    return run(args)


if __name__ == "__main__":
    sys.exit(main())

"""The `talkline` command: the window by default, and headless tools for scripts."""

from __future__ import annotations

import argparse
import logging
import sys

from desktop import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="talkline", description="Talk to realtime speech-to-speech models."
    )
    parser.add_argument("--version", action="version", version=f"talkline {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command")

    from desktop.cli import call, keys, selftest, serve, tooling

    selftest.add_argument(parser)
    call.add_parser(sub)
    keys.add_parser(sub)
    serve.add_parser(sub)
    tooling.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command is None:
        return _run_window(args)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


def _run_window(args: argparse.Namespace) -> int:
    try:
        from desktop.ui.app import run
    except ImportError as exc:
        print(f"talkline: the window cannot start: {exc}", file=sys.stderr)
        return 1
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

"""`talkline serve`: the built-in local realtime server, standalone, for other clients."""

from __future__ import annotations

import argparse
import asyncio


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the built-in local realtime (echo) server")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--echo-mode",
        choices=("turn", "immediate"),
        default="turn",
        help="turn: answer each spoken turn; immediate: loop audio straight back",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from desktop.localserver.server import serve_forever

    try:
        asyncio.run(serve_forever(args.host, args.port, echo_mode=args.echo_mode))
    except OSError as exc:
        print(f"talkline serve: cannot listen on {args.host}:{args.port}: {exc.strerror}")
        return 1
    return 0

"""`talkline keys set|delete|list`: API keys in the OS keyring, prompted, never echoed."""

from __future__ import annotations

import argparse
import getpass
import sys

from desktop.core.profiles import BUILTIN_PROFILES
from desktop.core.secrets import KeySource, KeyStore, mask

KEYED = [p.id for p in BUILTIN_PROFILES.values() if p.requires_key]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("keys", help="store, remove or list provider API keys (OS keyring)")
    ks = p.add_subparsers(dest="action", required=True)
    s = ks.add_parser("set", help="store a key (prompted; or piped on standard input)")
    s.add_argument("provider", choices=KEYED)
    d = ks.add_parser("delete", help="remove a stored key")
    d.add_argument("provider", choices=KEYED)
    ks.add_parser("list", help="which providers have a key, and where it comes from")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, store: KeyStore | None = None) -> int:
    store = store or KeyStore()
    status = store.status()
    if args.action == "list":
        if not status.available:
            print(f"note: {status.message}")
        for pid in KEYED:
            key, source = store.resolve(BUILTIN_PROFILES[pid])
            where = {
                KeySource.KEYRING: "keyring",
                KeySource.ENVIRONMENT: f"${BUILTIN_PROFILES[pid].env_var}",
                KeySource.MEMORY: "memory",
                KeySource.NONE: "-",
            }[source]
            print(f"{pid:12} {where:18} {mask(key) if key else ''}")
        return 0
    if not status.available:
        # Keys must not be written anywhere else, and a CLI run's memory dies with it.
        print(f"talkline keys: {status.message}", file=sys.stderr)
        return 2
    if args.action == "set":
        if sys.stdin.isatty():
            key = getpass.getpass(f"API key for {args.provider} (not shown): ")
        else:
            key = sys.stdin.readline()
        if not key.strip():
            print("talkline keys: no key given; nothing stored", file=sys.stderr)
            return 2
        stored = store.set(args.provider, key)
        if stored is not KeySource.KEYRING:
            # This process ends now, and its memory with it: the key was not kept.
            print(
                f"talkline keys: the {args.provider} key was NOT stored: "
                f"{store.last_error or 'the keyring did not keep it'}. "
                "Unlock or start your keyring (Secret Service), then run this again.",
                file=sys.stderr,
            )
            return 1
        print(f"stored the {args.provider} key in the keyring ({mask(key.strip())})")
        return 0
    removed = store.delete(args.provider)
    print(f"removed the {args.provider} key" if removed else f"no {args.provider} key was stored")
    return 0

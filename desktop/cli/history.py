"""`talkline history list|show|search|delete|rename`: the saved conversations, headless.

An id may be shortened to its first characters when no other conversation shares them.
Text meant for people has terminal control characters and bidi overrides removed: a
transcript must not be able to move the cursor or recolour the terminal.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from desktop.cli.printer import for_people
from desktop.core.history import (
    ConversationRecord,
    ConversationSummary,
    HistoryError,
    HistoryStore,
    display,
)
from desktop.core.history.policy import open_history

ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}
def _plain(text: str) -> str:
    """Stored text for a terminal: no escape codes, no keys (the one cleaner and scrubber)."""
    return for_people(text)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("history", help="list, read, search or delete saved conversations")
    hs = p.add_subparsers(dest="action", required=True)
    ls = hs.add_parser("list", help="the saved conversations, the most recent first")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true", help="one JSON array")
    show = hs.add_parser("show", help="one conversation's turns")
    show.add_argument("id")
    fmt = show.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--markdown", action="store_true")
    find = hs.add_parser("search", help="conversations holding these words")
    find.add_argument("text")
    find.add_argument("--limit", type=int, default=50)
    find.add_argument("--json", action="store_true")
    delete = hs.add_parser("delete", help="delete one conversation")
    delete.add_argument("id")
    rename = hs.add_parser("rename", help="give a conversation a title")
    rename.add_argument("id")
    rename.add_argument("title")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = open_history()  # under the retention chosen in the window's Settings
    try:
        if store.notice:
            print(f"talkline history: {store.notice}", file=sys.stderr)
        return _run(args, store)
    except HistoryError as exc:
        print(f"talkline history: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _run(args: argparse.Namespace, store: HistoryStore) -> int:
    if args.action == "list":
        summaries = store.list_conversations(limit=max(1, args.limit))
        if args.json:
            _print_json([_summary_dict(s) for s in summaries])
        elif not summaries:
            print("No conversations saved yet.")
        for s in summaries if not args.json else []:
            print(f"{s.id[:8]}  {display.when(s.started)}  {display.duration(s.duration_s):>7}  "
                  f"{s.provider:10} {display.cost(s.cost):>8}  {s.turn_count:3} turns  "
                  f"{_plain(_title(s))}")
        return 0
    if args.action == "search":
        hits = store.search(args.text, limit=max(1, args.limit))
        if args.json:
            _print_json([dataclasses.asdict(h) for h in hits])
        elif not hits:
            print(f"Nothing found for {_plain(args.text)!r}.")
        for h in hits if not args.json else []:
            print(f"{h.conversation_id[:8]}  {display.when(h.started)}  {_plain(h.title)}")
            print(f"    {ROLE_NAMES.get(h.role, h.role)}: {_plain(h.snippet)}")
        return 0
    conversation_id = store.resolve_id(args.id)
    if conversation_id is None:
        print(f"talkline history: no conversation {_plain(args.id)!r} "
              "(see `talkline history list`)", file=sys.stderr)
        return 1
    if args.action == "delete":
        store.delete(conversation_id)
        print(f"deleted conversation {conversation_id[:8]}")
        return 0
    if args.action == "rename":
        store.rename(conversation_id, args.title)
        print(f"renamed conversation {conversation_id[:8]}")
        return 0
    record = store.get(conversation_id)
    if record is None:  # deleted between the two reads
        print(f"talkline history: no conversation {conversation_id[:8]}", file=sys.stderr)
        return 1
    if args.json:
        data = dataclasses.asdict(record)
        data["summary"] = _summary_dict(record.summary)
        _print_json(data)
    else:
        print(_markdown(record) if args.markdown else _text(record), end="")
    return 0


def _text(record: ConversationRecord) -> str:
    s = record.summary
    lines = [f"{_plain(_title(s))}", _facts(s), ""]
    for turn in record.turns:
        who = ROLE_NAMES.get(turn.role, turn.role)
        mark = "" if turn.status == "completed" else f" [{turn.status}]"
        lines.append(f"{who}{mark}: {_plain(turn.text)}")
    return "\n".join(lines) + "\n"


def _markdown(record: ConversationRecord) -> str:
    s = record.summary
    out = [f"# {_plain(_title(s))}", "", f"_{_facts(s)}_", ""]
    for turn in record.turns:
        who = ROLE_NAMES.get(turn.role, turn.role)
        mark = "" if turn.status == "completed" else f" _({turn.status})_"
        out += [f"**{who}**{mark}: {_plain(turn.text)}", ""]
    return "\n".join(out)


def _summary_dict(s: ConversationSummary) -> dict[str, Any]:
    data = dataclasses.asdict(s)
    data["duration_s"] = round(s.duration_s, 3)
    return data


def _print_json(data: object) -> None:
    # ensure_ascii: every control character in stored text is escaped in the output.
    print(json.dumps(data, indent=2, ensure_ascii=True))


def _facts(s: ConversationSummary) -> str:
    when, length = display.when(s.started), display.duration(s.duration_s)
    return f"{when} · {s.provider} · {s.model} · {length} · {display.cost(s.cost)}"


def _title(s: ConversationSummary) -> str:
    return display.title(s.title, s.started)

"""The server side of a conversation: ordered items in OpenAI's ``realtime.item`` shape."""

from __future__ import annotations

import copy
import math
from typing import Any

from .errors import RealtimeError
from .ids import new_id
from .vad import RATE, Int16Array

Json = dict[str, Any]

INPUT_AUDIO_TOKENS_PER_S = 10  # OpenAI bills input audio at about one token per 100 ms
OUTPUT_AUDIO_TOKENS_PER_S = 20  # and output audio at about one per 50 ms


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


def message_item(role: str, content: list[Json], status: str = "completed") -> Json:
    return {
        "id": new_id("item"),
        "object": "realtime.item",
        "type": "message",
        "status": status,
        "role": role,
        "content": content,
    }


class Conversation:
    def __init__(self) -> None:
        self.id = new_id("conv")
        self.items: list[Json] = []
        self.audio: dict[str, Int16Array] = {}  # item id -> what the user said, 48 kHz

    @property
    def last_id(self) -> str | None:
        return self.items[-1]["id"] if self.items else None

    def add(self, item: Json, previous_item_id: str | None = None) -> str | None:
        """Insert ``item`` (after ``previous_item_id`` if given); return the id before it."""
        if any(existing["id"] == item["id"] for existing in self.items):
            raise RealtimeError(
                f"Item with id '{item['id']}' already exists.",
                code="item_already_exists", param="item.id",
            )
        if previous_item_id is None:
            before = self.last_id
            self.items.append(item)
            return before
        if previous_item_id == "root":
            self.items.insert(0, item)
            return None
        index = self._index(previous_item_id, "previous_item_id")
        self.items.insert(index + 1, item)
        return previous_item_id

    def get(self, item_id: object, param: str = "item_id") -> Json:
        return self.items[self._index(item_id, param)]

    def delete(self, item_id: object) -> None:
        item = self.items.pop(self._index(item_id, "item_id"))
        self.audio.pop(item["id"], None)

    def latest_input(self) -> Json | None:
        """The newest item the assistant should answer: a user message or a tool output."""
        for item in reversed(self.items):
            if item.get("role") == "user" or item.get("type") == "function_call_output":
                return item
        return None

    def input_tokens(self) -> tuple[int, int]:
        """(text, audio) tokens of everything in the conversation: what a model would read."""
        text = audio = 0
        for item in self.items:
            if item["id"] in self.audio:
                audio += math.ceil(self.audio[item["id"]].size / RATE * INPUT_AUDIO_TOKENS_PER_S)
            for part in item.get("content") or []:
                text += text_tokens(str(part.get("text") or part.get("transcript") or ""))
            if item.get("type") == "function_call_output":
                text += text_tokens(str(item.get("output", "")))
        return text, audio

    def snapshot(self, item_id: str) -> Json:
        return copy.deepcopy(self.get(item_id))

    def _index(self, item_id: object, param: str) -> int:
        for i, item in enumerate(self.items):
            if item["id"] == item_id:
                return i
        raise RealtimeError(
            f"Item with item_id not found: {item_id}", code="item_not_found", param=param
        )


_USER_CONTENT = {"input_text", "input_audio", "input_image"}
_ASSISTANT_CONTENT = {"output_text", "output_audio", "text", "audio"}


def normalize_client_item(raw: object) -> Json:
    """Validate a ``conversation.item.create`` item and fill in what the server owns."""
    if not isinstance(raw, dict):
        raise RealtimeError("Missing required parameter: 'item'.",
                            code="missing_required_parameter", param="item")
    item = copy.deepcopy(raw)
    kind = item.get("type")
    if kind == "message":
        role = item.get("role")
        if role not in ("user", "assistant", "system"):
            raise RealtimeError(
                f"Invalid value: '{role}'. Supported values are: 'user', 'assistant', 'system'.",
                code="invalid_value", param="item.role",
            )
        content = item.get("content")
        if not isinstance(content, list):
            raise RealtimeError("Invalid type for 'item.content': expected an array.",
                                code="invalid_type", param="item.content")
        allowed = _USER_CONTENT if role != "assistant" else _ASSISTANT_CONTENT
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") not in allowed:
                raise RealtimeError(
                    f"Invalid content part for a {role} message: {part!r}",
                    code="invalid_value", param=f"item.content[{i}]",
                )
    elif kind == "function_call_output":
        if not isinstance(item.get("call_id"), str) or not isinstance(item.get("output"), str):
            raise RealtimeError(
                "A function_call_output item needs string 'call_id' and 'output'.",
                code="invalid_value", param="item",
            )
    elif kind == "function_call":
        if not isinstance(item.get("name"), str):
            raise RealtimeError("A function_call item needs a string 'name'.",
                                code="invalid_value", param="item.name")
    else:
        raise RealtimeError(
            f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call', "
            "'function_call_output'.",
            code="invalid_value", param="item.type",
        )
    item.setdefault("id", new_id("item"))
    if not isinstance(item["id"], str):
        raise RealtimeError("Invalid type for 'item.id': expected a string.",
                            code="invalid_type", param="item.id")
    item["object"] = "realtime.item"
    item["status"] = "completed"
    return item

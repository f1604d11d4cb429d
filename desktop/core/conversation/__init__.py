"""The conversation: ordered turns built from server events, usage, and exports."""

from desktop.core.conversation.model import Conversation, Turn, TurnChange

__all__ = ["Conversation", "Turn", "TurnChange"]

"""The conversation history sidebar: list, search, read, resume, rename, delete."""

"""The built-in realtime server: OpenAI's GA wire format, an honest echo assistant behind it.

Nothing is imported here: the window imports `launcher` at start-up, and aiortc should
load only when the Local provider is first used (import `server` / `call` directly)."""

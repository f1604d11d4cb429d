"""MCP server configuration in the ``mcpServers`` shape other desktop MCP clients use.

``{"mcpServers": {"NAME": {"command", "args", "env"} | {"url", "headers"}}}``. Parsing never
raises: each unusable server is a sentence in the problems list. Header values that are
secrets (an Authorization header, a token) are kept in the keyring, never in settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from desktop.core.secrets.redact import is_secret_key, scrub

IN_KEYRING = "@keyring"  # what settings hold in place of a secret header value


class SecretStore(Protocol):
    """The part of ``desktop.core.secrets.KeyStore`` used here."""

    def get(self, provider_id: str) -> str | None: ...
    def set(self, provider_id: str, key: str) -> object: ...


@dataclass(frozen=True)
class McpServerConfig:
    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, hash=False)
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict, hash=False)
    enabled: bool = True

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command else "http"

    def to_json(self) -> dict[str, Any]:
        if self.command:
            out: dict[str, Any] = {"command": self.command, "args": list(self.args)}
            if self.env:
                out["env"] = dict(self.env)
        else:
            out = {"url": self.url}
            if self.headers:
                out["headers"] = dict(self.headers)
        if not self.enabled:
            out["disabled"] = True
        return out


def parse_servers(data: object) -> tuple[list[McpServerConfig], list[str]]:
    """Servers from a parsed ``{"mcpServers": {...}}`` (or the inner mapping alone)."""
    if isinstance(data, dict) and "mcpServers" in data:
        data = data["mcpServers"]
    if not isinstance(data, dict):
        return [], ['The MCP configuration must be an object like {"mcpServers": {...}}.']
    servers: list[McpServerConfig] = []
    problems: list[str] = []
    for name, raw in data.items():
        server, problem = _parse_one(str(name), raw)
        if server is not None:
            servers.append(server)
        if problem:
            problems.append(problem)
    return servers, problems


def _parse_one(name: str, raw: object) -> tuple[McpServerConfig | None, str | None]:
    if not name.strip():
        return None, "An MCP server without a name was skipped."
    if not isinstance(raw, dict):
        return None, f"MCP server {name!r}: its settings must be an object."
    enabled = not bool(raw.get("disabled", False))
    command, url = raw.get("command"), raw.get("url")
    if isinstance(command, str) and command.strip():
        args = raw.get("args", [])
        env = raw.get("env", {})
        if not isinstance(args, list) or not all(isinstance(a, str | int | float) for a in args):
            return None, f"MCP server {name!r}: 'args' must be a list of strings."
        if not isinstance(env, dict):
            return None, f"MCP server {name!r}: 'env' must be an object of strings."
        return McpServerConfig(
            name=name, command=command.strip(), args=tuple(str(a) for a in args),
            env={str(k): str(v) for k, v in env.items()}, enabled=enabled,
        ), None
    if isinstance(url, str) and url.strip():
        if not url.startswith(("http://", "https://")):
            return None, f"MCP server {name!r}: the url must start with http:// or https://."
        headers = raw.get("headers", {})
        if not isinstance(headers, dict):
            return None, f"MCP server {name!r}: 'headers' must be an object of strings."
        return McpServerConfig(
            name=name, url=url.strip(), headers={str(k): str(v) for k, v in headers.items()},
            enabled=enabled,
        ), None
    return None, f"MCP server {name!r} needs a 'command' (stdio) or a 'url' (HTTP)."


def parse_json_text(text: str) -> tuple[list[McpServerConfig], list[str]]:
    """A pasted block or a file's text."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], [f"The MCP configuration is not valid JSON ({exc})."]
    return parse_servers(data)


def load_file(path: str | Path) -> tuple[list[McpServerConfig], list[str]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return [], [f"Could not read the MCP configuration {path}: {exc.strerror or exc}."]
    return parse_json_text(text)


def to_mcp_servers(servers: list[McpServerConfig]) -> dict[str, Any]:
    return {"mcpServers": {s.name: s.to_json() for s in servers}}


# -- secrets --------------------------------------------------------------------------------


def secret_id(server: str, header: str) -> str:
    return f"mcp:{server}:{header.lower()}"


def is_secret_header(name: str, value: str) -> bool:
    # A value that the scrubber would hide (a Bearer token, a provider's key) is one too.
    return is_secret_key(name) or scrub(value) != value or name.lower() == "cookie"


def stash_secrets(servers: list[McpServerConfig], store: SecretStore) -> list[McpServerConfig]:
    """The servers as settings may hold them: secret header values moved to ``store``."""
    out: list[McpServerConfig] = []
    for server in servers:
        headers: dict[str, str] = {}
        for name, value in server.headers.items():
            if value != IN_KEYRING and is_secret_header(name, value):
                store.set(secret_id(server.name, name), value)
                value = IN_KEYRING
            headers[name] = value
        out.append(_with_headers(server, headers))
    return out


def fill_secrets(
    server: McpServerConfig, store: SecretStore | None
) -> tuple[McpServerConfig, list[str]]:
    """The server with its secret header values back from ``store`` (for connecting)."""
    headers: dict[str, str] = {}
    missing: list[str] = []
    for name, value in server.headers.items():
        if value == IN_KEYRING:
            secret = store.get(secret_id(server.name, name)) if store is not None else None
            if secret is None:
                missing.append(name)
                continue
            value = secret
        headers[name] = value
    return _with_headers(server, headers), missing


def _with_headers(server: McpServerConfig, headers: dict[str, str]) -> McpServerConfig:
    return McpServerConfig(
        name=server.name, command=server.command, args=server.args, env=server.env,
        url=server.url, headers=headers, enabled=server.enabled,
    )

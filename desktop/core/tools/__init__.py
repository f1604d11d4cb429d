"""Tools the assistant can call: the registry, the call flow, approval, built-ins, MCP."""

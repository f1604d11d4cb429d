"""API keys: OS keyring, environment, or memory for this run — never on disk."""

from desktop.core.secrets.keystore import KeyringStatus, KeySource, KeyStore, mask

__all__ = ["KeySource", "KeyStore", "KeyringStatus", "mask"]

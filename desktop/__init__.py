"""Talkline: a desktop client for realtime speech-to-speech APIs."""

__version__ = "0.1.0"

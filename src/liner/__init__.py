"""Liner: an open-source content platform for audio."""

__version__ = "0.1.0"

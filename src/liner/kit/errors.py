"""The base of every error Liner raises on purpose.

Each carries a stable ``code`` that reports, logs and API responses use, and a
``location`` that says where in the input the problem was found.
"""

from __future__ import annotations


class LinerError(Exception):
    """An expected failure with a stable code; never a bug."""

    code = "liner_error"

    def __init__(self, message: str, *, location: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message} (at {self.location})" if self.location else self.message


class ConfigError(LinerError):
    code = "config_error"


class InputError(LinerError):
    """Input that cannot be used: malformed, hostile, oversized or of the wrong kind."""

    code = "invalid_input"


class XmlError(InputError):
    code = "xml_error"


class NotFoundError(LinerError):
    code = "not_found"


class ConflictError(LinerError):
    """A write that the current state forbids (another sender's release, a stale message)."""

    code = "conflict"


class PermissionDeniedError(LinerError):
    code = "forbidden"

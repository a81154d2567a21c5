"""Episode durations as feeds write them, read into milliseconds.

Accepted: seconds (``3600``, ``3600.5``, ``3,600``), clock forms (``MM:SS``,
``HH:MM:SS``, ``D:HH:MM:SS``, each with an optional fraction such as ``1:02:03.5``;
the first field may exceed 59), ``H.MM.SS``, ISO 8601 durations (``PT1H2M3.5S``) and
spelled-out units (``1h 2m 3s``, ``45 min``, ``1 hour 20 minutes``).
"""

from __future__ import annotations

import re

MAX_MS = 100 * 24 * 3600 * 1000
"""Durations beyond 100 days are taken as junk rather than as a real episode."""

_MAX_LENGTH = 64
_SECONDS = re.compile(r"^\d+(?:[.,]\d+)?$")
_HMS = re.compile(r"^(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_DOTTED = re.compile(r"^(\d+)\.(\d{2})\.(\d{2})$")
_ISO = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b\.?[\s,]*",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _clock(text: str) -> float | None:
    parts = text.split(":")
    if not 2 <= len(parts) <= 4:
        return None
    values: list[float] = []
    for index, part in enumerate(parts):
        if index == len(parts) - 1 and _SECONDS.match(part):
            values.append(_number(part))
        elif part.isdigit() and part.isascii():
            values.append(float(int(part)))
        else:
            return None
    if any(value >= 60 for value in values[1:]):
        return None
    if len(values) == 4 and values[1] >= 24:
        return None
    weights = (86400, 3600, 60, 1)[-len(values) :]
    return sum(value * weight for value, weight in zip(values, weights, strict=True))


def _units(text: str) -> float | None:
    position = 0
    total = 0.0
    matched = False
    for match in _UNIT.finditer(text):
        if match.start() != position:
            return None
        unit = match.group(2).lower()[0]
        total += _number(match.group(1)) * _UNIT_SECONDS[unit]
        position = match.end()
        matched = True
    if not matched or position != len(text):
        return None
    return total


def _seconds(text: str) -> float | None:
    if _SECONDS.match(text):
        if _THOUSANDS.match(text):
            return float(text.replace(",", ""))
        return _number(text)
    if _THOUSANDS.match(text):
        return float(text.replace(",", ""))
    if ":" in text:
        return _clock(text)
    dotted = _DOTTED.match(text)
    if dotted is not None:
        hours, minutes, seconds = (int(g) for g in dotted.groups())
        if minutes >= 60 or seconds >= 60:
            return None
        return float(hours * 3600 + minutes * 60 + seconds)
    if text[:1] in "Pp":
        iso = _ISO.match(text)
        if iso is None or not any(iso.groups()):
            return None
        return (
            float(iso.group("d") or 0) * 86400
            + float(iso.group("h") or 0) * 3600
            + float(iso.group("m") or 0) * 60
            + float(iso.group("s") or 0)
        )
    return _units(text)


def parse_duration_ms(text: str | None) -> int | None:
    """Milliseconds for ``text``; None when empty, zero, negative, implausible or junk.

    Callers tell junk from absence by whether ``text`` had any non-space character.
    """
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > _MAX_LENGTH:
        return None
    hms = _HMS.match(text)
    if hms is not None:
        hours, minutes, secs = hms.groups()
        ms = ((int(hours) * 60 if hours else 0) + int(minutes)) * 60_000 + int(secs) * 1000
        return ms or None
    if text.isdigit() and text.isascii() and len(text) < 7:
        ms = int(text) * 1000
        return ms or None
    seconds = _seconds(text)
    if seconds is None:
        return None
    ms = round(seconds * 1000)
    if ms <= 0 or ms > MAX_MS:
        return None
    return ms

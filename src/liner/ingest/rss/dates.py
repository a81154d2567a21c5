"""Dates as feeds write them, read into aware UTC datetimes.

Handles RFC 822/2822 with or without the weekday, with two- or four-digit years, full or
abbreviated (also common non-English) month names, missing seconds, fractional seconds,
AM/PM, numeric offsets in every spelling (``+0000``, ``-05:00``, ``+530``), named zones
(``GMT``, ``EST``, ``PDT``, ``CEST``...) and ``GMT+2``-style offsets; ISO 8601 in its
usual forms; ``June 5, 2020``-style and ``Tue Jun 10 2003 09:41:01 GMT+0000`` dates;
and numeric ``2020/06/05`` or ``06/05/2020`` dates. A date without a zone is taken as UTC.
Anything else gives None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_MONTHS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    "ene": 1, "gen": 1, "jän": 1, "jaa": 1,
    "fév": 2, "fev": 2,
    "mär": 3, "mrz": 3, "mrt": 3,
    "avr": 4, "abr": 4,
    "mai": 5, "mag": 5, "mei": 5, "maj": 5,
    "giu": 6,
    "lug": 7,
    "aoû": 8, "aou": 8, "ago": 8,
    "set": 9,
    "okt": 10, "ott": 10, "out": 10,
    "dez": 12, "dic": 12, "déc": 12,
}  # fmt: skip
_MONTHS4: dict[str, int] = {"juin": 6, "juil": 7}

_ZONES: dict[str, int] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "UCT": 0, "WET": 0,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600, "AST": -240, "ADT": -180,
    "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
    "BST": 60, "IST": 330, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120,
    "MEZ": 60, "MESZ": 120, "WEST": 60, "EET": 120, "EEST": 180, "MSK": 180,
    "SAST": 120, "CAT": 120, "EAT": 180, "WAT": 60,
    "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "PHT": 480, "WIB": 420,
    "AWST": 480, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660,
    "NZST": 720, "NZDT": 780,
}  # fmt: skip

_MAX_LENGTH = 200
_LETTERS = "A-Za-z\u00c0-\u024f"
_TIME = (
    r"(?:[\s,T@]+(?:at\s+)?(?P<h>\d{1,2})[:.h](?P<mi>\d{2})"
    r"(?:[:.](?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?)?"
)
_REST = r"\s*(?P<rest>.*)$"

_RFC = re.compile(
    rf"^(?:[{_LETTERS}]+\.?,?\s*)?"
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*,?\s*"
    rf"(?P<mon>[{_LETTERS}]{{3,}})\.?,?[\s\-/.]*"
    r"(?P<y>\d{4}|\d{2})(?![\d:])" + _TIME + _REST
)
_MDY = re.compile(
    rf"^(?:[{_LETTERS}]+\.?,?\s+)?"
    rf"(?P<mon>[{_LETTERS}]{{3,}})\.?\s+"
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<y>\d{4})(?!\d)" + _TIME + _REST
)
_ASCTIME = re.compile(
    rf"^[{_LETTERS}]+\.?,?\s+(?P<mon>[{_LETTERS}]{{3,}})\s+(?P<d>\d{{1,2}})"
    r"\s+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?P<frac>)(?P<ampm>)"
    rf"\s+(?:(?P<zone>[{_LETTERS}]{{1,5}})\s+)?(?P<y>\d{{4}})(?P<rest>)$"
)
_YMD = re.compile(r"^(?P<y>\d{4})[-/.](?P<mon>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME + _REST)
_DMY_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})(?!\d)" + _TIME + _REST
)
_ZONE = re.compile(
    r"^\(?(?P<name>[A-Za-z]{1,5})?(?![A-Za-z])\s*"
    r"(?:(?P<sign>[+\-\u2212])\s*(?P<num>\d{1,4})(?::(?P<mm>\d{2}))?)?"
)


_COMMON = re.compile(
    r"^(?:[A-Z][a-z]{2}, )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})"
    r" (?:([+-])(\d{2})(\d{2})|GMT|UTC|UT|Z)$"
)
_NUMBERS = {f"{number:02d}": number for number in range(100)} | {
    str(number): number for number in range(10)
}
_COMMON_MONTHS = {name.capitalize(): number for name, number in _MONTHS.items()}
_OFFSETS = {minutes: timedelta(minutes=minutes) for minutes in range(-14 * 60, 14 * 60 + 1, 15)}


def _common(text: str) -> datetime | None:
    """The one form most feeds use: ``Tue, 10 Jun 2003 09:41:01 +0000``."""
    match = _COMMON.match(text)
    if match is None:
        return None
    day, month_name, year_text, hour, minute, second, sign, zone_h, zone_m = match.groups()
    month = _COMMON_MONTHS.get(month_name)
    if month is None:
        return None
    year = int(year_text)
    if not 1900 <= year <= 2200:
        return None
    numbers = _NUMBERS
    try:
        clock = (numbers[day], numbers[hour], numbers[minute], numbers[second])
    except KeyError:  # digits of another script
        clock = (int(day), int(hour), int(minute), int(second))
    try:
        value = datetime(year, month, *clock, tzinfo=UTC)
    except ValueError:
        return None
    if not sign:
        return value
    offset = int(zone_h) * 60 + int(zone_m)
    if not offset:
        return value
    if offset >= 24 * 60:
        return None
    delta = _OFFSETS.get(offset)
    if delta is None:
        delta = timedelta(minutes=offset)
    return value + delta if sign == "-" else value - delta


def _month(word: str) -> int | None:
    lower = word.lower()
    return _MONTHS.get(lower[:3]) or _MONTHS4.get(lower[:4])


def _zone_offset(rest: str) -> int:
    """Minutes east of UTC named by the text after the time; unknown zones count as UTC."""
    rest = rest.strip()
    if not rest:
        return 0
    match = _ZONE.match(rest)
    if match is None:
        return 0
    offset = 0
    name = match.group("name")
    if name:
        offset = _ZONES.get(name.upper(), 0)
    sign = match.group("sign")
    if sign:
        num, mm = match.group("num"), match.group("mm")
        if mm is None and len(num) > 2:
            num, mm = num[:-2], num[-2:]
        minutes = int(num) * 60 + int(mm or 0)
        if minutes < 24 * 60:
            offset = minutes if sign == "+" else -minutes
    return offset


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 50 else 1900
    return year


def _build(
    year: int,
    month: int,
    day: int,
    match: re.Match[str],
    zone_text: str,
) -> datetime | None:
    hour_text = match.group("h")
    hour = int(hour_text) if hour_text else 0
    minute = int(match.group("mi") or 0)
    second = int(match.group("s") or 0)
    frac = match.group("frac") or ""
    micro = int((frac + "000000")[:6]) if frac else 0
    ampm = match.group("ampm")
    if ampm:
        if hour > 12:
            return None
        if ampm in "Pp" and hour != 12:
            hour += 12
        elif ampm in "Aa" and hour == 12:
            hour = 0
    extra = timedelta()
    if hour == 24 and minute == 0 and second == 0:
        hour, extra = 0, timedelta(days=1)
    second = min(second, 59)
    if not 1900 <= year <= 2200:
        return None
    try:
        tz = timezone(timedelta(minutes=_zone_offset(zone_text)))
        value = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None
    return (value + extra).astimezone(UTC)


def _iso(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not 1900 <= value.year <= 2200:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_date(text: str | None) -> datetime | None:
    """An aware UTC datetime for ``text``, or None when it is not a date we can read."""
    if not text or len(text) > _MAX_LENGTH:
        return None
    found = _common(text)
    if found is not None:
        return found
    text = " ".join(text.split())
    if not text:
        return None
    if text[0].isdigit():
        if len(text) >= 8 and (text[4:5] == "-" or text[:8].isdigit()):
            found = _iso(text.replace(" ", "T", 1) if text[10:11] == " " else text)
            if found is not None:
                return found
        match = _YMD.match(text)
        if match is not None:
            return _build(
                int(match.group("y")),
                int(match.group("mon")),
                int(match.group("d")),
                match,
                match.group("rest"),
            )
        match = _DMY_NUMERIC.match(text)
        if match is not None:
            first, second = int(match.group("a")), int(match.group("b"))
            month, day = (second, first) if first > 12 else (first, second)
            return _build(_year(match.group("y")), month, day, match, match.group("rest"))
    for pattern in (_RFC, _MDY, _ASCTIME):
        match = pattern.match(text)
        if match is None:
            continue
        month_number = _month(match.group("mon"))
        if month_number is None:
            continue
        zone = match.group("rest")
        if pattern is _ASCTIME:
            zone = match.group("zone") or ""
        return _build(_year(match.group("y")), month_number, int(match.group("d")), match, zone)
    return None

"""Identifiers, territories, durations and dates: check and normalise.

Every function is pure. It returns the normalised value, or raises
:class:`~liner.kit.errors.InputError` with a stable ``code``. Codes that end in
``_check_digit`` mean the syntax is right but the check character is wrong: real
senders (and DDEX's own samples) get these wrong, so callers usually grade them as
warnings rather than rejections.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from liner.ingest.records import DatePrecision, PartialDate
from liner.kit.errors import InputError

__all__ = [
    "ISRC_SPECIAL_PREFIXES",
    "MAX_DURATION_MS",
    "TERRITORIES",
    "WORLDWIDE",
    "CheckDigitError",
    "format_iswc",
    "is_check_digit_error",
    "isrc_country_known",
    "normalise_dpid",
    "normalise_grid",
    "normalise_icpn",
    "normalise_isni",
    "normalise_isrc",
    "normalise_iswc",
    "normalise_territory",
    "parse_datetime",
    "parse_iso8601_duration",
    "parse_partial_date",
]

_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014.]")


class CheckDigitError(InputError):
    """The syntax is right but the check character is wrong. ``value`` holds the
    normalised identifier, for callers that keep it and report a warning."""

    def __init__(self, message: str, *, value: str, code: str) -> None:
        super().__init__(message, code=code)
        self.value = value


def is_check_digit_error(error: InputError) -> bool:
    """True when ``error`` says only the check character is wrong."""
    return isinstance(error, CheckDigitError) or error.code.endswith("_check_digit")


def _require_text(value: object, kind: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{kind} must be text, not {type(value).__name__}", code=f"{kind}_type")
    text = value.strip()
    if not text:
        raise InputError(f"{kind.upper()} is empty", code=f"{kind}_empty")
    return text


def _compact(text: str, *prefixes: str, length: int | None = None) -> str:
    """Drop separators, upper-case, and drop a scheme prefix (``ISRC:``, ``GRid``...).
    With ``length``, a prefix without a colon is only dropped when what remains has that
    length, so that an ISRC from Iceland (``IS``) keeps its first letters."""
    compact = _SEPARATORS.sub("", text).upper()
    for prefix in prefixes:
        if compact.startswith(prefix + ":"):
            return compact[len(prefix) + 1 :]
        if compact.startswith(prefix) and (length is None or len(compact) == len(prefix) + length):
            return compact[len(prefix) :]
    return compact


# ---------------------------------------------------------------------------
# Territories (ISO 3166-1 alpha-2)
# ---------------------------------------------------------------------------

_ISO_3166_ALPHA_2 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    YE YT
    ZA ZM ZW
"""

TERRITORIES: frozenset[str] = frozenset(_ISO_3166_ALPHA_2.split())
"""Every ISO 3166-1 alpha-2 code currently assigned (249)."""

WORLDWIDE = "WW"

_EXTRA_TERRITORIES = frozenset({"XK"})
"""Codes DDEX allows beyond ISO 3166-1: ``XK`` (Kosovo, user-assigned but in common use)."""

_WORLDWIDE_NAMES = frozenset({"WW", "WORLDWIDE", "WORLD"})


def normalise_territory(code: str) -> str:
    """Return an ISO 3166-1 alpha-2 code, or ``"WW"`` for ``WW`` / ``Worldwide``."""
    text = _require_text(code, "territory")
    upper = text.upper()
    if upper in _WORLDWIDE_NAMES:
        return WORLDWIDE
    if upper in TERRITORIES or upper in _EXTRA_TERRITORIES:
        return upper
    raise InputError(f"unknown territory code {text!r}", code="territory_unknown")


# ---------------------------------------------------------------------------
# ISRC (ISO 3901)
# ---------------------------------------------------------------------------

_ISRC_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")

ISRC_SPECIAL_PREFIXES: frozenset[str] = frozenset(
    {
        # issued by the ISRC agency beyond ISO 3166 country codes
        "QM",
        "QN",
        "QO",
        "QP",
        "QT",
        "QZ",
        "ZZ",
        "CP",
        "DG",
        "FX",
        "UK",
        "XK",
        # legacy or withdrawn allocations still found on old recordings
        "YU",
        "CS",
        "BC",
        "BK",
        "BP",
        "BX",
        "CB",
        "GX",
        "KS",
        "ZB",
    }
)


def normalise_isrc(value: str) -> str:
    """Return the 12-character ISRC (``USRC17607839``) from a value that may carry
    hyphens, spaces, lower case or an ``ISRC`` prefix."""
    text = _require_text(value, "isrc")
    compact = _compact(text, "ISRC", length=12)
    if not _ISRC_RE.fullmatch(compact):
        raise InputError(
            f"{text!r} is not an ISRC (CC-XXX-YY-NNNNN: country, registrant, year, number)",
            code="isrc_syntax",
        )
    return compact


def isrc_country_known(isrc: str) -> bool:
    """True when the ISRC's two-letter prefix is an ISO 3166 code or one the ISRC
    agency issues on its own (``QM``, ``QZ``, ``ZZ``, ``CP``, ``DG``...)."""
    prefix = isrc.strip().upper()[:2]
    return prefix in TERRITORIES or prefix in ISRC_SPECIAL_PREFIXES


# ---------------------------------------------------------------------------
# ICPN (UPC / EAN / GTIN)
# ---------------------------------------------------------------------------


def _gs1_check_digit(body: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise_icpn(value: str) -> str:
    """Return an ICPN: UPC-A (12 digits), EAN-13, GTIN-14 or EAN-8, digits only, leading
    zeros kept (they are significant), with a valid GS1 check digit."""
    text = _require_text(value, "icpn")
    compact = _compact(text, "UPC", "EAN", "ICPN", "GTIN")
    if not compact.isascii() or not compact.isdigit() or len(compact) not in (8, 12, 13, 14):
        raise InputError(
            f"{text!r} is not an ICPN (8, 12, 13 or 14 digits)",
            code="icpn_syntax",
        )
    expected = _gs1_check_digit(compact[:-1])
    if int(compact[-1]) != expected:
        raise CheckDigitError(
            f"ICPN {compact} has check digit {compact[-1]}, expected {expected}",
            value=compact,
            code="icpn_check_digit",
        )
    return compact


# ---------------------------------------------------------------------------
# ISO 7064 check characters (GRid, DPID, ISNI)
# ---------------------------------------------------------------------------


def _mod_37_36_valid(text: str) -> bool:
    modulus = 36
    product = modulus
    total = 0
    for char in text:
        total = (product + _ALNUM36.index(char)) % modulus
        product = ((total or modulus) * 2) % (modulus + 1)
    return total == 1


def _mod_37_36_check(body: str) -> str:
    modulus = 36
    product = modulus
    for char in body:
        total = (product + _ALNUM36.index(char)) % modulus
        product = ((total or modulus) * 2) % (modulus + 1)
    return _ALNUM36[(1 - product) % modulus]


def _mod_11_2_check(body: str) -> str:
    total = 0
    for char in body:
        total = ((total + int(char)) * 2) % 11
    check = (12 - total) % 11
    return "X" if check == 10 else str(check)


_GRID_RE = re.compile(r"[A-Z0-9]{18}")


def normalise_grid(value: str) -> str:
    """Return an 18-character GRid (``A12425GABC1234002M``): scheme ``A1``, issuer,
    release number and an ISO 7064 Mod 37,36 check character."""
    text = _require_text(value, "grid")
    compact = _compact(text, "GRID")
    if not _GRID_RE.fullmatch(compact):
        raise InputError(f"{text!r} is not a GRid (18 letters and digits)", code="grid_syntax")
    if not _mod_37_36_valid(compact):
        expected = _mod_37_36_check(compact[:-1])
        raise CheckDigitError(
            f"GRid {compact} has check character {compact[-1]}, expected {expected}",
            value=compact,
            code="grid_check_digit",
        )
    return compact


_DPID_RE = re.compile(r"PADPIDA[A-Z0-9]{11}")


def normalise_dpid(value: str) -> str:
    """Return a DDEX Party Id (``PADPIDA2011072101T``), accepting ``DPID:`` prefixes and
    the hyphenated human form; its check character follows ISO 7064 Mod 37,36."""
    text = _require_text(value, "dpid")
    compact = _compact(text, "DPID")
    if not _DPID_RE.fullmatch(compact):
        raise InputError(f"{text!r} is not a DPID (PADPIDA + 11 characters)", code="dpid_syntax")
    if not _mod_37_36_valid(compact):
        raise CheckDigitError(
            f"DPID {compact} has a wrong check character, expected "
            f"{_mod_37_36_check(compact[:-1])}",
            value=compact,
            code="dpid_check_digit",
        )
    return compact


_ISNI_RE = re.compile(r"[0-9]{15}[0-9X]")


def normalise_isni(value: str) -> str:
    """Return a 16-character ISNI (``000000012103268X`` form), from a value that may be
    spaced in groups of four; its last character is an ISO 7064 Mod 11-2 check."""
    text = _require_text(value, "isni")
    compact = _compact(text, "ISNI")
    if not _ISNI_RE.fullmatch(compact):
        raise InputError(f"{text!r} is not an ISNI (15 digits and a check)", code="isni_syntax")
    expected = _mod_11_2_check(compact[:-1])
    if compact[-1] != expected:
        raise CheckDigitError(
            f"ISNI {compact} has check character {compact[-1]}, expected {expected}",
            value=compact,
            code="isni_check_digit",
        )
    return compact


# ---------------------------------------------------------------------------
# ISWC (ISO 15707)
# ---------------------------------------------------------------------------

_ISWC_RE = re.compile(r"T([0-9]{9})([0-9])")


def _iswc_check(digits: str) -> int:
    total = 1 + sum(i * int(d) for i, d in enumerate(digits, start=1))
    return (10 - total % 10) % 10


def normalise_iswc(value: str) -> str:
    """Return the compact ISWC (``T0345246801``) from ``T-034.524.680-1`` or the compact
    form; the last digit is the ISWC check digit."""
    text = _require_text(value, "iswc")
    compact = _compact(text, "ISWC")
    match = _ISWC_RE.fullmatch(compact)
    if match is None:
        raise InputError(f"{text!r} is not an ISWC (T-NNN.NNN.NNN-C)", code="iswc_syntax")
    expected = _iswc_check(match.group(1))
    if int(match.group(2)) != expected:
        raise CheckDigitError(
            f"ISWC {compact} has check digit {match.group(2)}, expected {expected}",
            value=compact,
            code="iswc_check_digit",
        )
    return compact


def format_iswc(iswc: str) -> str:
    """Display form of a normalised ISWC: ``T-034.524.680-1``."""
    d = iswc[1:]
    return f"T-{d[0:3]}.{d[3:6]}.{d[6:9]}-{d[9]}"


# ---------------------------------------------------------------------------
# Durations (ISO 8601)
# ---------------------------------------------------------------------------

MAX_DURATION_MS = 48 * 3600 * 1000

_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION_RE = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_MS_PER = (0, 0, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000)


def parse_iso8601_duration(text: str) -> int:
    """Return the duration in whole milliseconds (rounded) from ``PT3M25S``,
    ``PT1H2M3.5S``, ``P0DT0H3M5S``... Negative, calendar-dependent (non-zero years or
    months), empty and absurd (over 48 hours) durations are refused."""
    raw = _require_text(text, "duration")
    upper = raw.upper()
    if upper.startswith("-"):
        raise InputError(f"negative duration {raw!r}", code="duration_negative")
    match = _DURATION_RE.fullmatch(upper)
    if match is None or upper in ("P", "PT") or upper.endswith("T"):
        raise InputError(f"{raw!r} is not an ISO 8601 duration", code="duration_syntax")
    groups = match.groups()
    present = [i for i, g in enumerate(groups) if g is not None]
    if not present:
        raise InputError(f"{raw!r} is not an ISO 8601 duration", code="duration_syntax")
    total = Decimal(0)
    for i in present:
        part = groups[i]
        assert part is not None
        if ("." in part or "," in part) and i != present[-1]:
            raise InputError(
                f"{raw!r}: only the smallest unit may have a fraction", code="duration_syntax"
            )
        try:
            amount = Decimal(part.replace(",", "."))
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise InputError(f"{raw!r} is not a duration", code="duration_syntax") from exc
        if i < 2:
            if amount != 0:
                raise InputError(
                    f"{raw!r} uses years or months, which have no fixed length",
                    code="duration_calendar",
                )
            continue
        total += amount * _MS_PER[i]
        if total > MAX_DURATION_MS:
            break
    if total > MAX_DURATION_MS:
        raise InputError(f"duration {raw!r} is longer than 48 hours", code="duration_too_long")
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------
# Dates and date-times
# ---------------------------------------------------------------------------

_PARTIAL_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_partial_date(text: str) -> PartialDate:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` into a :class:`PartialDate` that
    remembers its precision."""
    raw = _require_text(text, "date")
    match = _PARTIAL_DATE_RE.fullmatch(raw)
    if match is None:
        raise InputError(f"{raw!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", code="date_syntax")
    year_s, month_s, day_s = match.groups()
    year = int(year_s)
    month = int(month_s) if month_s else 1
    day = int(day_s) if day_s else 1
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise InputError(f"{raw!r} is not a real date: {exc}", code="date_invalid") from exc
    if day_s:
        precision = DatePrecision.DAY
    elif month_s:
        precision = DatePrecision.MONTH
    else:
        precision = DatePrecision.YEAR
    return PartialDate(value, precision)


_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def _offset(text: str | None) -> timezone:
    if text is None or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) > 2 else 0
    if hours > 23 or minutes > 59:
        raise InputError(f"offset {text!r} is out of range", code="datetime_invalid")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time (``2024-03-05T09:01:48+01:00``, ``...Z``, naive,
    any number of fractional digits, or a bare date) into an aware UTC datetime.
    A value without an offset is taken to be UTC."""
    raw = _require_text(text, "datetime")
    match = _DATETIME_RE.fullmatch(raw)
    if match is None:
        raise InputError(f"{raw!r} is not an ISO 8601 date-time", code="datetime_syntax")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = 0
    if fraction:
        micro = int(Decimal("0." + fraction).quantize(Decimal("0.000001"), ROUND_DOWN) * 10**6)
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=_offset(offset),
        )
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InputError(
            f"{raw!r} is not a real date-time: {exc}", code="datetime_invalid"
        ) from exc

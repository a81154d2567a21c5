from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liner.ingest.records import DatePrecision, PartialDate
from liner.kit.errors import InputError
from liner.quality.identifiers import (
    MAX_DURATION_MS,
    TERRITORIES,
    CheckDigitError,
    format_iswc,
    is_check_digit_error,
    isrc_country_known,
    normalise_dpid,
    normalise_grid,
    normalise_icpn,
    normalise_isni,
    normalise_isrc,
    normalise_iswc,
    normalise_territory,
    parse_datetime,
    parse_iso8601_duration,
    parse_partial_date,
)

ALNUM = string.digits + string.ascii_uppercase


def code_of(exc: pytest.ExceptionInfo[InputError]) -> str:
    return exc.value.code


# Check characters computed here in a different way from the module under test.


def gs1_check(body: str) -> str:
    weights = [3 if (len(body) - i) % 2 == 1 else 1 for i in range(len(body))]
    total = sum(w * int(d) for w, d in zip(weights, body, strict=True))
    return str(-total % 10)


def mod_37_36_check(body: str) -> str:
    def step(p: int, c: str) -> int:
        s = (p + ALNUM.index(c)) % 36
        return (36 if s == 0 else s) * 2 % 37

    p = reduce(step, body, 36)
    return next(c for c in ALNUM if (p + ALNUM.index(c)) % 36 == 1)


def mod_11_2_check(body: str) -> str:
    p = reduce(lambda acc, d: (acc + int(d)) * 2 % 11, body, 0)
    return next(c for c in "0123456789X" if (p + (10 if c == "X" else int(c))) % 11 == 1)


def iswc_check(nine: str) -> str:
    return str((10 - (1 + sum((i + 1) * int(d) for i, d in enumerate(nine))) % 10) % 10)


# ISRC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("USRC17607839", "USRC17607839"),
        ("US-RC1-76-07839", "USRC17607839"),
        (" us rc1 76 07839 ", "USRC17607839"),
        ("ISRC:GBAYE0601498", "GBAYE0601498"),
        ("ISRC GBAYE0601498", "GBAYE0601498"),
        ("IS-RC1-00-12345", "ISRC10012345"),
    ],
)
def test_isrc_normalised(raw: str, expected: str) -> None:
    assert normalise_isrc(raw) == expected


@pytest.mark.parametrize(
    "raw", ["ISRC_Woot", "USRC1760783", "USRC176078399", "1SRC17607839", "USRC1760783X"]
)
def test_isrc_bad_syntax(raw: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_isrc(raw)
    assert code_of(exc) == "isrc_syntax"


def test_isrc_empty() -> None:
    with pytest.raises(InputError) as exc:
        normalise_isrc("  ")
    assert code_of(exc) == "isrc_empty"


@pytest.mark.parametrize("isrc", ["USRC17607839", "QMDA71418090", "QZES71982312", "ZZOPM1900001"])
def test_isrc_country_known(isrc: str) -> None:
    assert isrc_country_known(isrc)


@pytest.mark.parametrize("isrc", ["XXRC17607839", "AAAAA1234567", "QQRC17607839"])
def test_isrc_country_unknown(isrc: str) -> None:
    assert not isrc_country_known(isrc)


@given(
    st.text(string.ascii_uppercase, min_size=2, max_size=2),
    st.text(ALNUM, min_size=3, max_size=3),
    st.text(string.digits, min_size=7, max_size=7),
)
def test_isrc_roundtrip_with_separators(cc: str, reg: str, num: str) -> None:
    assert normalise_isrc(f"{cc.lower()}-{reg}-{num[:2]}-{num[2:]}") == cc + reg + num


# ICPN


@pytest.mark.parametrize(
    "raw", ["036000291452", "4006381333931", "0602537361588", "96385074", "10614141000415"]
)
def test_icpn_valid(raw: str) -> None:
    assert normalise_icpn(raw) == raw


def test_icpn_keeps_leading_zeros_and_strips_separators() -> None:
    assert normalise_icpn(" 0 36000-29145 2 ") == "036000291452"


@pytest.mark.parametrize("raw", ["05099907138655", "5099907138457", "721620118166"])
def test_icpn_bad_check_digit_from_real_samples(raw: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_icpn(raw)
    assert code_of(exc) == "icpn_check_digit"
    assert is_check_digit_error(exc.value)


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "0360002914521234",
        "03600029145A",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
    ],
)
def test_icpn_bad_syntax(raw: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_icpn(raw)
    assert code_of(exc) == "icpn_syntax"
    assert not is_check_digit_error(exc.value)


@given(
    st.sampled_from([7, 11, 12, 13]).flatmap(
        lambda n: st.text(string.digits, min_size=n, max_size=n)
    )
)
def test_icpn_check_digit_property(body: str) -> None:
    good = gs1_check(body)
    assert normalise_icpn(body + good) == body + good
    bad = str((int(good) + 1) % 10)
    with pytest.raises(InputError):
        normalise_icpn(body + bad)


# GRid and DPID


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A12425GABC1234002M", "A12425GABC1234002M"),
        ("grid:A1-2425G-ABC1234002-M", "A12425GABC1234002M"),
    ],
)
def test_grid_valid(raw: str, expected: str) -> None:
    assert normalise_grid(raw) == expected


def test_grid_bad_check() -> None:
    with pytest.raises(InputError) as exc:
        normalise_grid("A12425GABC1234002N")
    assert code_of(exc) == "grid_check_digit"


@pytest.mark.parametrize("raw", ["A12425GABC1234002", "A12425GABC1234002M1", "A12425GABC12340_2M"])
def test_grid_bad_syntax(raw: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_grid(raw)
    assert code_of(exc) == "grid_syntax"


@given(st.text(ALNUM, min_size=15, max_size=15))
def test_grid_check_property(tail: str) -> None:
    body = "A1" + tail
    check = mod_37_36_check(body)
    assert normalise_grid(body + check) == body + check
    wrong = ALNUM[(ALNUM.index(check) + 1) % 36]
    with pytest.raises(InputError) as exc:
        normalise_grid(body + wrong)
    assert code_of(exc) == "grid_check_digit"


@pytest.mark.parametrize(
    "raw",
    ["PADPIDA2011072101T", "PADPIDA20110330020", "PADPIDA202401120D9", "DPID:PADPIDA2011072101T"],
)
def test_dpid_valid(raw: str) -> None:
    assert normalise_dpid(raw).startswith("PADPIDA")


@pytest.mark.parametrize(
    ("raw", "code"), [("PADPIDA0000000001A", "dpid_check_digit"), ("XYZ", "dpid_syntax")]
)
def test_dpid_invalid(raw: str, code: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_dpid(raw)
    assert code_of(exc) == code


# ISNI


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0000 0001 2103 2683", "0000000121032683"),
        ("0000000121032683", "0000000121032683"),
        ("ISNI 0000 0000 0000 001x", "000000000000001X"),
    ],
)
def test_isni_valid(raw: str, expected: str) -> None:
    assert normalise_isni(raw) == expected


def test_isni_bad_check() -> None:
    with pytest.raises(InputError) as exc:
        normalise_isni("0000 0001 2103 2684")
    assert code_of(exc) == "isni_check_digit"


def test_isni_bad_syntax() -> None:
    with pytest.raises(InputError) as exc:
        normalise_isni("0000 0001 2103 268")
    assert code_of(exc) == "isni_syntax"


@given(st.text(string.digits, min_size=15, max_size=15))
def test_isni_check_property(body: str) -> None:
    check = mod_11_2_check(body)
    assert normalise_isni(body + check) == body + check


# ISWC


def test_iswc_valid_forms() -> None:
    assert normalise_iswc("T-034.524.680-1") == "T0345246801"
    assert normalise_iswc("t0345246801") == "T0345246801"
    assert format_iswc("T0345246801") == "T-034.524.680-1"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("T1234567890", "iswc_check_digit"),
        ("T-123.456.789.Z", "iswc_syntax"),
        ("X0345246801", "iswc_syntax"),
        ("T034524680", "iswc_syntax"),
    ],
)
def test_iswc_invalid(raw: str, code: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_iswc(raw)
    assert code_of(exc) == code


@given(st.text(string.digits, min_size=9, max_size=9))
def test_iswc_check_property(nine: str) -> None:
    iswc = "T" + nine + iswc_check(nine)
    assert normalise_iswc(format_iswc(iswc)) == iswc


# Territories


def test_territories_complete() -> None:
    assert len(TERRITORIES) == 249
    assert {"US", "GB", "DE", "JP", "SS", "BQ", "CW", "SX", "AQ", "AX"} <= TERRITORIES
    assert not {"UK", "WW", "XK", "AN", "YU", "CS"} & TERRITORIES
    assert all(len(c) == 2 and c.isupper() and c.isascii() for c in TERRITORIES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WW", "WW"),
        ("Worldwide", "WW"),
        ("worldwide", "WW"),
        ("us", "US"),
        (" DE ", "DE"),
        ("XK", "XK"),
    ],
)
def test_normalise_territory(raw: str, expected: str) -> None:
    assert normalise_territory(raw) == expected


@pytest.mark.parametrize("raw", ["UK", "ZZ", "USA", "1", "EU"])
def test_normalise_territory_unknown(raw: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_territory(raw)
    assert code_of(exc) == "territory_unknown"


# Durations


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("PT3M25S", 205_000),
        ("PT1H2M3.5S", 3_723_500),
        ("P0DT0H3M5S", 185_000),
        ("PT5M7.000S", 307_000),
        ("PT0.0005S", 1),
        ("PT3,25S", 3_250),
        ("PT225S", 225_000),
        ("PT0S", 0),
        ("P1D", 86_400_000),
        ("P0Y0M0DT0H4M1S", 241_000),
        ("pt3m", 180_000),
        ("PT1.5M", 90_000),
        ("PT48H", MAX_DURATION_MS),
    ],
)
def test_duration(text: str, ms: int) -> None:
    assert parse_iso8601_duration(text) == ms


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-PT3M", "duration_negative"),
        ("PT", "duration_syntax"),
        ("P", "duration_syntax"),
        ("P1DT", "duration_syntax"),
        ("3:25", "duration_syntax"),
        ("PT3M25", "duration_syntax"),
        ("PT1.5M3S", "duration_syntax"),
        ("PT3S3M", "duration_syntax"),
        ("", "duration_empty"),
        ("PT99H01M01S", "duration_too_long"),
        ("PT48H0.001S", "duration_too_long"),
        ("P3D", "duration_too_long"),
        ("P1M", "duration_calendar"),
        ("P1Y", "duration_calendar"),
    ],
)
def test_duration_rejected(text: str, code: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_iso8601_duration(text)
    assert code_of(exc) == code


@given(
    st.integers(0, 47),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 999),
)
def test_duration_property(h: int, m: int, s: int, ms: int) -> None:
    text = f"PT{h}H{m}M{s}.{ms:03d}S"
    assert parse_iso8601_duration(text) == ((h * 60 + m) * 60 + s) * 1000 + ms


# Dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", PartialDate(date(2024, 1, 1), DatePrecision.YEAR)),
        ("2024-05", PartialDate(date(2024, 5, 1), DatePrecision.MONTH)),
        ("2024-05-17", PartialDate(date(2024, 5, 17), DatePrecision.DAY)),
        (" 1999-12-31 ", PartialDate(date(1999, 12, 31), DatePrecision.DAY)),
    ],
)
def test_partial_date(text: str, expected: PartialDate) -> None:
    assert parse_partial_date(text) == expected
    assert parse_partial_date(text).isoformat() == text.strip()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2024-13", "date_invalid"),
        ("2023-02-29", "date_invalid"),
        ("0000", "date_invalid"),
        ("24-05-17", "date_syntax"),
        ("2024/05/17", "date_syntax"),
        ("#unknown#", "date_syntax"),
        ("2024-05-17T00:00:00", "date_syntax"),
    ],
)
def test_partial_date_rejected(text: str, code: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_partial_date(text)
    assert code_of(exc) == code


@given(st.dates())
def test_partial_date_property(d: date) -> None:
    assert parse_partial_date(d.isoformat()).value == d


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T09:01:48+01:00", datetime(2024, 3, 5, 8, 1, 48, tzinfo=UTC)),
        ("2024-03-05T09:01:48Z", datetime(2024, 3, 5, 9, 1, 48, tzinfo=UTC)),
        ("2024-03-05T09:01:48", datetime(2024, 3, 5, 9, 1, 48, tzinfo=UTC)),
        ("2018-01-23T15:48:00.1234567+01:00", datetime(2018, 1, 23, 14, 48, 0, 123456, tzinfo=UTC)),
        ("2024-03-05T09:01:48.5-0500", datetime(2024, 3, 5, 14, 1, 48, 500000, tzinfo=UTC)),
        ("2024-03-05T09:01", datetime(2024, 3, 5, 9, 1, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05 09:01:48z", datetime(2024, 3, 5, 9, 1, 48, tzinfo=UTC)),
    ],
)
def test_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_datetime_orders_mixed_offsets() -> None:
    earlier = parse_datetime("2024-03-05T09:01:48+01:00")
    later = parse_datetime("2024-03-05T08:30:00Z")
    assert earlier < later


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2024-02-30T00:00:00Z", "datetime_invalid"),
        ("2024-03-05T25:00:00Z", "datetime_invalid"),
        ("2024-03-05T09:01:48+25:00", "datetime_invalid"),
        ("yesterday", "datetime_syntax"),
        ("2024-03-05T09:01:48 CET", "datetime_syntax"),
        ("", "datetime_empty"),
    ],
)
def test_datetime_rejected(text: str, code: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_datetime(text)
    assert code_of(exc) == code


@given(st.datetimes(timezones=st.timezones()))
def test_datetime_property(value: datetime) -> None:
    offset = value.utcoffset()
    assert offset is not None
    if offset % timedelta(minutes=1):
        return
    try:
        expected = value.astimezone(UTC)
    except OverflowError:
        return
    assert parse_datetime(value.isoformat()) == expected


def test_wrong_type_is_input_error() -> None:
    with pytest.raises(InputError) as exc:
        normalise_isrc(12345)  # type: ignore[arg-type]
    assert code_of(exc) == "isrc_type"


@pytest.mark.parametrize(
    ("fn", "raw", "value"),
    [
        (normalise_icpn, "7216-2011-8166", "721620118166"),
        (normalise_grid, "a1-ucase-0000000001-x", "A1UCASE0000000001X"),
        (normalise_iswc, "T-123.456.789-0", "T1234567890"),
        (normalise_isni, "0000 0001 2103 2684", "0000000121032684"),
        (normalise_dpid, "DPID:PADPIDA0000000001A", "PADPIDA0000000001A"),
    ],
)
def test_check_digit_error_carries_normalised_value(
    fn: Callable[[str], str], raw: str, value: str
) -> None:
    with pytest.raises(CheckDigitError) as exc:
        fn(raw)
    assert exc.value.value == value
    assert is_check_digit_error(exc.value)
    assert isinstance(exc.value, InputError)

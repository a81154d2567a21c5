"""Dates in the forms real feeds use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liner.ingest.rss.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 10 Jun 2003 09:41:01 GMT", datetime(2003, 6, 10, 9, 41, 1)),
        ("Tue, 10 Jun 2003 09:41:01 +0000", datetime(2003, 6, 10, 9, 41, 1)),
        ("Tue, 10 Jun 2003 09:41:01 -0000", datetime(2003, 6, 10, 9, 41, 1)),
        ("10 Jun 2003 09:41:01 -0500", datetime(2003, 6, 10, 14, 41, 1)),
        ("Tue, 10 Jun 2003 09:41 EST", datetime(2003, 6, 10, 14, 41)),
        ("Thu, 05 Mar 2020 10:00:00 PDT", datetime(2020, 3, 5, 17, 0)),
        ("Thu, 5 Mar 2020 10:00:00 PST", datetime(2020, 3, 5, 18, 0)),
        ("Mon, 01 Jan 2024 12:00:00 GMT+2", datetime(2024, 1, 1, 10, 0)),
        ("Mon, 01 Jan 2024 12:00:00 GMT+02:00", datetime(2024, 1, 1, 10, 0)),
        ("Mon, 01 Jan 2024 12:00:00 UTC-5", datetime(2024, 1, 1, 17, 0)),
        ("Mon, 06 Jul 2020 04:00:00 +0530", datetime(2020, 7, 5, 22, 30)),
        ("Mon, 06 Jul 2020 04:00:00 +530", datetime(2020, 7, 5, 22, 30)),
        ("Mon, 06 Jul 2020 04:00:00 CEST", datetime(2020, 7, 6, 2, 0)),
        ("Sat, 07 Sep 02 00:00:01 GMT", datetime(2002, 9, 7, 0, 0, 1)),
        ("Tuesday, 10 June 2003 9:41:01 +0000", datetime(2003, 6, 10, 9, 41, 1)),
        ("Tues, 10 Jun 2003 09:41:01 +00:00", datetime(2003, 6, 10, 9, 41, 1)),
        ("Tue, 10 Jun 2003 09:41:01.250 +0000", datetime(2003, 6, 10, 9, 41, 1, 250000)),
        ("Fri, 24 Jan 2020 24:00:00 +0000", datetime(2020, 1, 25, 0, 0)),
        ("  Tue,  10   Jun 2003\n09:41:01   GMT ", datetime(2003, 6, 10, 9, 41, 1)),
        ("Wed Jun 29 2016 10:00:00 GMT+0000 (UTC)", datetime(2016, 6, 29, 10, 0)),
        ("Tue Jun 10 09:41:01 2003", datetime(2003, 6, 10, 9, 41, 1)),
        ("June 5, 2020 10:00 PM", datetime(2020, 6, 5, 22, 0)),
        ("June 5th, 2020", datetime(2020, 6, 5)),
        ("10 juin 2020 10:00", datetime(2020, 6, 10, 10, 0)),
        ("Di, 10 Dez 2019 10:00:00 +0100", datetime(2019, 12, 10, 9, 0)),
        ("2020-06-05T10:00:00Z", datetime(2020, 6, 5, 10, 0)),
        ("2020-06-05T10:00:00.123+02:00", datetime(2020, 6, 5, 8, 0, 0, 123000)),
        ("2020-06-05T10:00:00+0200", datetime(2020, 6, 5, 8, 0)),
        ("2020-06-05 10:00", datetime(2020, 6, 5, 10, 0)),
        ("2020-06-05 10:00:00 +0100", datetime(2020, 6, 5, 9, 0)),
        ("2020-06-05 10:00:00 GMT", datetime(2020, 6, 5, 10, 0)),
        ("2020-06-05", datetime(2020, 6, 5)),
        ("20200605T100000Z", datetime(2020, 6, 5, 10, 0)),
        ("2020/06/05", datetime(2020, 6, 5)),
        ("2020/6/5 7:05:09", datetime(2020, 6, 5, 7, 5, 9)),
        ("06/05/2020", datetime(2020, 6, 5)),
        ("25/12/2020 18:00", datetime(2020, 12, 25, 18, 0)),
        ("1 Jan 2020", datetime(2020, 1, 1)),
    ],
)
def test_real_world_forms(text: str, expected: datetime) -> None:
    found = parse_date(text)
    assert found == expected.replace(tzinfo=UTC)
    assert found is not None
    assert found.utcoffset() is not None
    assert found.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "Sun, 31 Feb 2020 00:00:00 GMT",
        "Mon, 13 Foo 2020 04:00:00 +0000",
        "Tue, 10 Jun 09:41:01",
        "Mon, 01 Jan 1066 12:00:00 GMT",
        "2020-13-45",
        "\u2110\u2111\u2112\u2113\u2114\u2715\u2716\u2717",
    ],
)
def test_junk_is_none(text: str) -> None:
    assert parse_date(text) is None


def test_none_is_none() -> None:
    assert parse_date(None) is None


def test_unknown_zone_name_is_taken_as_utc() -> None:
    assert parse_date("Tue, 10 Jun 2003 09:41:01 XYZ") == datetime(
        2003, 6, 10, 9, 41, 1, tzinfo=UTC
    )


def test_an_offset_of_a_day_or_more_is_taken_as_utc() -> None:
    assert parse_date("Tue, 10 Jun 2003 09:41:01 +9959") == datetime(
        2003, 6, 10, 9, 41, 1, tzinfo=UTC
    )

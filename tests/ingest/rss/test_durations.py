"""Durations in the forms real feeds use, in milliseconds."""

from __future__ import annotations

import pytest

from liner.ingest.rss.durations import parse_duration_ms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3600", 3_600_000),
        ("  45 ", 45_000),
        ("3600.5", 3_600_500),
        ("3600,5", 3_600_500),
        ("3,600", 3_600_000),
        ("26:53", 1_613_000),
        ("90:00", 5_400_000),
        ("01:00:00", 3_600_000),
        ("1:02:03", 3_723_000),
        ("1:2:3", 3_723_000),
        ("1:02:03.5", 3_723_500),
        ("00:45:00.000", 2_700_000),
        ("123:04:05", 443_045_000),
        ("1:00:00:00", 86_400_000),
        ("1.02.03", 3_723_000),
        ("PT1H2M3.5S", 3_723_500),
        ("pt45m", 2_700_000),
        ("1h 2m 3s", 3_723_000),
        ("45 min", 2_700_000),
        ("1 hour 20 minutes", 4_800_000),
        ("90 sec", 90_000),
        ("3600s", 3_600_000),
    ],
)
def test_real_world_forms(text: str, expected: int) -> None:
    assert parse_duration_ms(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "0",
        "00:00:00",
        "-5",
        "junk",
        "about an hour",
        "1:75:00",
        "12:",
        ":30",
        "PT",
        "1:2:3:4:5",
        "99999999999",
        "\u2110\u2111\u2112\u2113",
    ],
)
def test_junk_zero_and_implausible_are_none(text: str | None) -> None:
    assert parse_duration_ms(text) is None

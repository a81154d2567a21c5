"""The scheduling rules, without a clock or a database."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from liner.ingest.rss.cadence import DAY, HOUR, MINUTE, Cadence

NOW = datetime(2025, 6, 1, tzinfo=UTC)
CADENCE = Cadence(jitter=0.0)


def _every(gap: timedelta, count: int, *, last: timedelta = timedelta(0)) -> list[datetime]:
    return [NOW - last - gap * n for n in range(count)]


def test_poll_interval_follows_the_publishing_rhythm() -> None:
    daily = CADENCE.publish_interval(_every(timedelta(days=1), 10), NOW)
    weekly = CADENCE.publish_interval(_every(timedelta(days=7), 10), NOW)
    hourly = CADENCE.publish_interval(_every(timedelta(hours=1), 10), NOW)
    assert (daily, weekly) == (DAY, 7 * DAY)
    assert CADENCE.poll_interval(daily) == HOUR
    assert CADENCE.poll_interval(weekly) == 7 * HOUR
    assert CADENCE.poll_interval(hourly) == 15 * MINUTE, "clamped to the minimum"
    assert CADENCE.poll_interval(None) == HOUR
    assert CADENCE.poll_interval(weekly, complete=True) == DAY


def test_a_show_that_stopped_publishing_drifts_to_daily_polls() -> None:
    stopped = CADENCE.publish_interval(_every(timedelta(days=1), 10, last=timedelta(days=400)), NOW)
    assert stopped == 200 * DAY
    assert CADENCE.poll_interval(stopped) == DAY


def test_too_few_dates_give_no_estimate() -> None:
    assert CADENCE.publish_interval([NOW, None, None], NOW) is None
    assert CADENCE.publish_interval([NOW + timedelta(days=3), NOW], NOW) is None


def test_backoff_doubles_up_to_a_day() -> None:
    delays = [CADENCE.backoff(n) for n in range(1, 12)]
    assert delays[:4] == [5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 40 * MINUTE]
    assert delays[-1] == DAY
    assert all(a <= b for a, b in itertools.pairwise(delays))


def test_retry_after_is_never_cut_short_even_with_jitter() -> None:
    cadence = Cadence(jitter=0.1)
    rng = random.Random(1)
    for _ in range(100):
        when = cadence.after_error(NOW, 1, retry_after_s=3 * HOUR, rng=rng)
        assert when >= NOW + timedelta(hours=3)
    capped = cadence.after_error(NOW, 1, retry_after_s=90 * DAY, rng=rng)
    assert capped <= NOW + timedelta(days=7)


def test_dead_after_a_long_run_or_gone() -> None:
    assert not CADENCE.is_dead(CADENCE.dead_after - 1)
    assert CADENCE.is_dead(CADENCE.dead_after)
    assert CADENCE.is_dead(1, http_status=410)
    assert CADENCE.after_error(NOW, 40, dead=True) == NOW + timedelta(days=7)

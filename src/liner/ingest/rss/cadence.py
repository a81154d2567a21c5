"""When to fetch a feed next: from how often it publishes, and how it has been failing.

Pure functions over numbers and datetimes, so that the scheduling rules are tested
without a clock, a database or a network:

* a feed that works is polled at about a 24th of its typical gap between episodes,
  clamped to ``min_interval``..``max_interval`` (15 minutes to a day by default): a
  daily show every hour, a weekly one every seven hours, a monthly or finished one daily;
* a failing feed backs off exponentially from ``backoff_base`` up to ``max_interval``,
  and never sooner than the server's ``Retry-After``;
* after ``dead_after`` failures in a row (or a ``410 Gone``) the feed is dead and is
  only checked every ``dead_interval``; one good fetch brings it back.

Every delay gets up to ±10 % of jitter so that feeds registered together spread out.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass(frozen=True, slots=True)
class Cadence:
    min_interval_s: float = 15 * MINUTE
    max_interval_s: float = DAY
    default_interval_s: float = HOUR
    """For a feed whose publishing rhythm is not known yet (fewer than two dated episodes)."""
    polls_per_gap: float = 24.0
    backoff_base_s: float = 5 * MINUTE
    dead_after: int = 30
    """Consecutive failed syncs after which a feed is dead (about three weeks of backoff)."""
    dead_interval_s: float = 7 * DAY
    max_retry_after_s: float = 7 * DAY
    """A longer ``Retry-After`` is treated as this long."""
    jitter: float = 0.1
    recent_episodes: int = 20
    """How many of the newest publication dates the estimate looks at."""

    def _jittered(self, seconds: float, rng: random.Random | None) -> float:
        if self.jitter <= 0:
            return seconds
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return seconds * (1.0 + spread)

    def publish_interval(self, published: Iterable[datetime | None], now: datetime) -> int | None:
        """The typical gap between episodes, in seconds: the median gap between the
        newest publication dates, stretched when the newest episode is old (a show that
        stopped publishing drifts towards the slowest poll). ``None`` when fewer than
        two episodes carry a date."""
        dates = sorted({d for d in published if d is not None and d <= now}, reverse=True)
        dates = dates[: self.recent_episodes]
        if len(dates) < 2:
            return None
        gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(dates)]
        typical = median(gaps)
        age = (now - dates[0]).total_seconds()
        return max(1, round(max(typical, age / 2)))

    def poll_interval(self, publish_interval_s: int | None, *, complete: bool = False) -> float:
        """Seconds between polls of a healthy feed, before jitter."""
        if complete:
            return self.max_interval_s
        if publish_interval_s is None:
            return self.default_interval_s
        wanted = publish_interval_s / self.polls_per_gap
        return min(self.max_interval_s, max(self.min_interval_s, wanted))

    def after_success(
        self,
        now: datetime,
        publish_interval_s: int | None,
        *,
        complete: bool = False,
        rng: random.Random | None = None,
    ) -> datetime:
        interval = self.poll_interval(publish_interval_s, complete=complete)
        return now + timedelta(seconds=self._jittered(interval, rng))

    def backoff(self, consecutive_errors: int) -> float:
        """Seconds to wait after the ``consecutive_errors``-th failure in a row."""
        exponent = min(max(consecutive_errors, 1) - 1, 30)
        return min(self.max_interval_s, self.backoff_base_s * 2.0**exponent)

    def is_dead(self, consecutive_errors: int, http_status: int | None = None) -> bool:
        return http_status == 410 or consecutive_errors >= self.dead_after

    def after_error(
        self,
        now: datetime,
        consecutive_errors: int,
        *,
        retry_after_s: float | None = None,
        dead: bool = False,
        rng: random.Random | None = None,
    ) -> datetime:
        """When to try again after a failure; never before the server's Retry-After."""
        delay = self.dead_interval_s if dead else self.backoff(consecutive_errors)
        delay = self._jittered(delay, rng)
        if retry_after_s is not None and retry_after_s > 0:
            delay = max(delay, min(retry_after_s, self.max_retry_after_s))
        return now + timedelta(seconds=delay)

"""Prometheus metrics for the HTTP layer: request counts and latency by route.

Observing a request is on the hot path of every read, so this keeps plain counters in
dicts (one process serves requests on one event loop) and writes the Prometheus text
exposition format only when ``/metrics`` is scraped.
"""

from __future__ import annotations

from bisect import bisect_left

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _Histogram:
    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else f"{int(value)}.0"


class HttpMetrics:
    def __init__(self) -> None:
        self._requests: dict[tuple[str, str, int], int] = {}
        self._latency: dict[str, _Histogram] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        if method not in METHODS:
            method = "OTHER"  # any token is a method: keep the label set bounded
        key = (route, method, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        histogram = self._latency.get(route)
        if histogram is None:
            histogram = self._latency[route] = _Histogram()
        histogram.counts[bisect_left(BUCKETS, seconds)] += 1
        histogram.total += seconds

    def render(self) -> bytes:
        lines = [
            "# HELP liner_http_requests_total HTTP requests by route, method and status.",
            "# TYPE liner_http_requests_total counter",
        ]
        for (route, method, status), count in sorted(self._requests.items()):
            lines.append(
                f'liner_http_requests_total{{route="{_label(route)}",method="{_label(method)}",'
                f'status="{status}"}} {count}.0'
            )
        lines += [
            "# HELP liner_http_request_duration_seconds HTTP request latency by route.",
            "# TYPE liner_http_request_duration_seconds histogram",
        ]
        for route, histogram in sorted(self._latency.items()):
            name = f'route="{_label(route)}"'
            cumulative = 0
            for bound, count in zip(BUCKETS, histogram.counts, strict=False):
                cumulative += count
                lines.append(
                    f'liner_http_request_duration_seconds_bucket{{{name},le="{bound}"}} '
                    f"{cumulative}.0"
                )
            cumulative += histogram.counts[-1]
            lines.append(
                f'liner_http_request_duration_seconds_bucket{{{name},le="+Inf"}} {cumulative}.0'
            )
            lines.append(f"liner_http_request_duration_seconds_count{{{name}}} {cumulative}.0")
            lines.append(
                f"liner_http_request_duration_seconds_sum{{{name}}} {_number(histogram.total)}"
            )
        return ("\n".join(lines) + "\n").encode()

"""Parse benchmark: Liner's feed parser against feedparser and podcastparser, one run.

Every feed document of the shared corpus (``../shared/corpus/podcast``) is parsed from
bytes by each parser, best of ``--repeat`` passes in a row. The parsers take turns
document by document, so that a spell of load on a shared machine falls on all three
alike rather than on whichever parser was running. The comparison that counts is over
the documents every parser read without raising (podcastparser refuses malformed XML,
legacy CJK encodings, RDF...); the largest real feeds are also shown one by one.
Target: Liner at least 20 times faster than feedparser.

It measures the Liner that the interpreter imports, and says which build that is: a
wheel's parser is compiled with mypyc (see hatch_build.py), an editable install's runs
from source. ``scripts/test-compiled`` leaves a wheel install in ``.venv-compiled``:

    python -m bench.parse_feeds [--corpus DIR] [--repeat N]
    .venv-compiled/bin/python -m bench.parse_feeds
"""

from __future__ import annotations

import argparse
import importlib.machinery
import io
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser
import podcastparser

from liner.ingest.rss import parse_feed
from liner.ingest.rss import parser as feed_parser

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "podcast"
TARGET = 20.0

Parser = Callable[[bytes], object]


def _liner(data: bytes) -> object:
    return parse_feed(data)


def _feedparser(data: bytes) -> object:
    return feedparser.parse(data)


def _podcastparser(data: bytes) -> object:
    return podcastparser.parse("https://example.com/feed.xml", io.BytesIO(data))


PARSERS: dict[str, Parser] = {
    "liner": _liner,
    "feedparser": _feedparser,
    "podcastparser": _podcastparser,
}


def parser_build() -> str:
    """Which build of Liner's feed parser this interpreter runs."""
    origin = feed_parser.__file__ or ""
    if origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
        return "compiled (mypyc)"
    return "pure Python"


def _time_one(parse: Parser, data: bytes, repeat: int) -> float | None:
    """Best time in seconds, or None when the parser raises on this document."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            parse(data)
        except Exception:
            return None
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # podcastparser logs every odd tag it meets
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    paths = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".xml", ".rss"))
    documents = {p.relative_to(args.corpus).as_posix(): p.read_bytes() for p in paths}
    times: dict[str, dict[str, float | None]] = {name: {} for name in PARSERS}
    for doc, data in documents.items():
        for name, parse in PARSERS.items():
            times[name][doc] = _time_one(parse, data, args.repeat)
    common = [d for d in documents if all(times[n][d] is not None for n in PARSERS)]
    total_bytes = sum(len(documents[d]) for d in common)
    print(f"Liner's parser: {parser_build()}")
    print(
        f"{len(documents)} documents, {sum(map(len, documents.values())) / 1e6:.1f} MB; "
        f"{len(common)} read by every parser ({total_bytes / 1e6:.1f} MB); best of {args.repeat}"
    )
    print(f"{'parser':<14} {'failed':>6} {'total ms':>10} {'MB/s':>8} {'vs liner':>9}")
    totals = {n: sum(times[n][d] or 0.0 for d in common) for n in PARSERS}
    for name in PARSERS:
        failed = sum(1 for d in documents if times[name][d] is None)
        ratio = totals[name] / totals["liner"]
        print(
            f"{name:<14} {failed:>6} {totals[name] * 1000:>10.1f} "
            f"{total_bytes / 1e6 / totals[name]:>8.1f} {ratio:>8.1f}x"
        )
    print("\nlargest documents (ms):")
    print(f"{'document':<60} {'KB':>6} " + " ".join(f"{n:>13}" for n in PARSERS))
    for doc in sorted(documents, key=lambda d: -len(documents[d]))[:10]:
        cells = []
        for name in PARSERS:
            value = times[name][doc]
            cells.append(f"{value * 1000:>13.1f}" if value is not None else f"{'fails':>13}")
        print(f"{doc[-60:]:<60} {len(documents[doc]) // 1024:>6} " + " ".join(cells))
    speedup = totals["feedparser"] / totals["liner"]
    against_pp = totals["podcastparser"] / totals["liner"]
    print(
        f"\nliner is {speedup:.1f}x faster than feedparser (target {TARGET:.0f}x) and "
        f"{against_pp:.1f}x faster than podcastparser"
    )
    return 0 if speedup >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

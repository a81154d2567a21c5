"""Grow a seeded catalog's read model by cloning its documents under fresh ids.

Seeding through the write path runs at tens of releases per second, so a 1,000,000-track
catalog would take hours to build before every read-path run. The read path only ever
reads ``read_documents`` by key, so for measuring it (throughput and resident memory)
the large catalog is the seeded one's documents copied ``copies - 1`` times, each copy
with every public id replaced by a fresh one (the same replacement in keys and inside
bodies, so albums, tracks and artists still point at each other). The SQL entity tables
keep the seeded size; nothing in the read path reads them.

    python -m bench.clone DATABASE_URL COPIES
"""

from __future__ import annotations

import argparse
import re
import time

from sqlalchemy import create_engine, func, select

from liner.kit.ids import ALPHABET, ID_LENGTH
from liner.models import ReadDocument

CLONED_PREFIXES = ("track:", "album:", "artist:", "artist_albums:")
_ID = re.compile(rb"[0-9A-Za-z]{%d}" % ID_LENGTH)


_INDEX = {char: index for index, char in enumerate(ALPHABET)}


def renamed(public_id: str, copy: int) -> str:
    """The id in copy ``copy`` (1 to 3843): its last two characters shifted by ``copy``,
    a bijection that never maps an id to itself."""
    size = len(ALPHABET)
    high = ALPHABET[(_INDEX[public_id[-2]] + copy // size) % size]
    low = ALPHABET[(_INDEX[public_id[-1]] + copy % size) % size]
    return public_id[:-2] + high + low


def clone(database_url: str, copies: int, *, batch: int = 5000) -> int:
    """Add ``copies - 1`` renamed copies of every entity document; returns rows written."""
    engine = create_engine(database_url)
    written = 0
    with engine.begin() as connection:
        rows = connection.execute(
            select(ReadDocument.key, ReadDocument.body).where(ReadDocument.body.is_not(None))
        ).all()
        base = [(k, b) for k, b in rows if k.startswith(CLONED_PREFIXES) and b is not None]
        ids = {k.partition(":")[2].encode() for k, _ in base}
        seq = (connection.scalar(select(func.max(ReadDocument.seq))) or 0) + 1
        for copy in range(1, copies):

            def rename(match: re.Match[bytes], copy: int = copy) -> bytes:
                found = match.group(0)
                return renamed(found.decode(), copy).encode() if found in ids else found

            pending: list[dict[str, object]] = []
            for key, body in base:
                prefix, _, public_id = key.partition(":")
                new_key = f"{prefix}:{renamed(public_id, copy)}"
                pending.append({"key": new_key, "body": _ID.sub(rename, body), "seq": seq})
                if len(pending) >= batch:
                    connection.execute(ReadDocument.__table__.insert(), pending)
                    written += len(pending)
                    pending = []
            if pending:
                connection.execute(ReadDocument.__table__.insert(), pending)
                written += len(pending)
    engine.dispose()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("copies", type=int)
    args = parser.parse_args()
    started = time.perf_counter()
    written = clone(args.database_url, args.copies)
    print(f"cloned {written} documents in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The drop-folder watcher: ``liner ingest ddex --watch DIR``.

It polls the folder and processes each delivery once it has stopped changing (unchanged
over one poll interval); a batch also needs its manifest. What was processed before (by
this watcher or an earlier run) is answered from the records and not reported again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from liner.ingest.ddex.choreography import (
    BatchUnit,
    Choreographer,
    MessageUnit,
    Outcome,
    Unit,
    discover,
    skipped_name,
)

log = logging.getLogger(__name__)


Snapshot = tuple[tuple[str, int, int], ...]


def _snapshot(root: Path, *, recursive: bool) -> Snapshot:
    entries: list[tuple[str, int, int]] = []
    candidates = root.rglob("*") if recursive else [root]
    for path in candidates:
        if recursive and any(skipped_name(p) for p in path.relative_to(root).parts):
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            entries.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


class Watcher:
    """Polls a drop folder and processes each delivery once it has stopped changing
    (unchanged over one poll interval; a batch also needs its manifest)."""

    def __init__(
        self,
        choreographer: Choreographer,
        folder: Path,
        *,
        on_outcome: Callable[[Outcome], None] | None = None,
        after_poll: Callable[[], object] | None = None,
    ) -> None:
        self._choreographer = choreographer
        self._folder = folder
        self._on_outcome = on_outcome
        self._after_poll = after_poll
        self._seen: dict[tuple[str, str], tuple[Snapshot, bool]] = {}

    def _identity(self, unit: Unit) -> tuple[str, str, Snapshot]:
        if isinstance(unit, MessageUnit):
            recursive = not unit.loose
            root = unit.file if unit.loose else unit.file.parent
            return ("message", str(unit.file), _snapshot(root, recursive=recursive))
        kind = "batch" if isinstance(unit, BatchUnit) else "waiting"
        return (kind, str(unit.folder), _snapshot(unit.folder, recursive=True))

    def poll(self) -> list[Outcome]:
        """One pass: process what is complete and stable; returns what was done."""
        done: list[Outcome] = []
        for unit in discover([self._folder]):
            kind, where, snapshot = self._identity(unit)
            if kind == "waiting":
                continue
            previous = self._seen.get((kind, where))
            if previous is None or previous[0] != snapshot:
                self._seen[(kind, where)] = (snapshot, False)
                continue
            if previous[1]:
                continue
            try:
                outcomes = list(self._choreographer.process(unit))
            except Exception:
                log.exception("processing a delivery failed; retrying", extra={"path": where})
                continue
            self._seen[(kind, where)] = (snapshot, True)
            for outcome in outcomes:
                if outcome.replayed:
                    continue
                done.append(outcome)
                if self._on_outcome is not None:
                    self._on_outcome(outcome)
        if done and self._after_poll is not None:
            self._after_poll()
        return done

    def run(
        self,
        interval: float,
        *,
        stop: threading.Event | None = None,
        max_polls: int | None = None,
    ) -> None:
        stop = stop or threading.Event()
        polls = 0
        while not stop.is_set():
            try:
                self.poll()
            except Exception:
                log.exception("the drop-folder poll failed")
            polls += 1
            if max_polls is not None and polls >= max_polls:
                return
            stop.wait(interval)

"""``liner ingest ddex``: DDEX ERN files, batch folders and release folders, once or
continuously from a drop folder (``--watch``)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import orjson

from liner.config import Settings
from liner.ingest.ddex.choreography import Choreographer, Outcome
from liner.ingest.ddex.outcomes import MessageOutcome, Status
from liner.ingest.ddex.service import DdexIngester
from liner.ingest.ddex.watcher import Watcher
from liner.kit.errors import InputError
from liner.runtime import Runtime


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ddex`` to the subcommands of ``liner ingest``."""
    parser = subparsers.add_parser(
        "ddex",
        help="DDEX ERN messages: files, batch folders, release folders, a drop folder",
        description=__doc__,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="message files, batch folders (with BatchComplete_*.xml) or folders of them",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per message processed"
    )
    parser.add_argument(
        "--watch", metavar="DIR", help="keep polling this drop folder for new deliveries"
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between polls (default 5)"
    )
    parser.add_argument(
        "--ack-dir", metavar="DIR", help="write acknowledgements here instead of ack/ folders"
    )
    parser.add_argument("--no-ack", action="store_true", help="write no acknowledgement files")
    parser.add_argument("--max-polls", type=int, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(func=cmd_ingest_ddex)


def _line(outcome: Outcome) -> str:
    if isinstance(outcome, MessageOutcome):
        ids = ", ".join(outcome.release_ids) or "-"
        first = outcome.errors[0].message if outcome.errors else ""
        replay = " (recorded before)" if outcome.replayed else ""
        text = f"{outcome.status:<10} {outcome.file or '-'} [{outcome.message_id}] -> {ids}"
        return text + replay + (f": {first}" if first else "")
    if outcome.status == "processed":
        counts = ", ".join(f"{n} {s}" for s, n in outcome.statuses) or "no message"
        replay = " (recorded before)" if outcome.replayed else ""
        return f"{'processed':<10} {outcome.manifest} [batch {outcome.batch_id}]: {counts}{replay}"
    errors = [p for p in outcome.problems if p.severity == "error"]
    reason = (errors or list(outcome.problems))[0].message if outcome.problems else ""
    where = outcome.manifest or outcome.folder
    return f"{'batch ' + outcome.status:<10} {where}: {reason}"


class Tally:
    """What a run did, by kind of file and status, for the closing summary line."""

    def __init__(self) -> None:
        self.messages: Counter[str] = Counter()
        self.batches: Counter[str] = Counter()

    def add(self, outcome: Outcome) -> None:
        if isinstance(outcome, MessageOutcome):
            self.messages[str(outcome.status)] += 1
        else:
            self.batches[outcome.status] += 1

    @property
    def failed(self) -> int:
        return self.messages[str(Status.REJECTED)] + self.batches["invalid"]

    def summary(self) -> str:
        def part(counter: Counter[str]) -> str:
            return ", ".join(f"{n} {s}" for s, n in sorted(counter.items())) or "none"

        return (
            f"{sum(self.messages.values())} messages ({part(self.messages)}); "
            f"{sum(self.batches.values())} batches ({part(self.batches)})"
        )


def _emit(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(outcome.to_json()).decode() + "\n")
    else:
        sys.stdout.write(_line(outcome) + "\n")
    sys.stdout.flush()


def cmd_ingest_ddex(args: argparse.Namespace) -> int:
    if not args.paths and not args.watch:
        raise InputError("give at least one PATH, or --watch DIR", code="usage")
    if args.interval <= 0:
        raise InputError("--interval must be positive", code="usage")
    runtime = Runtime.open(Settings.from_env())
    try:
        ingester = DdexIngester(runtime, write_acks=not args.no_ack)
        choreographer = Choreographer(
            ingester, ack_root=Path(args.ack_dir).expanduser() if args.ack_dir else None
        )
        tally = Tally()

        def report(outcome: Outcome) -> None:
            _emit(outcome, args.json)
            tally.add(outcome)

        if args.paths:
            for outcome in choreographer.run(Path(p).expanduser() for p in args.paths):
                report(outcome)
            runtime.project()
            sys.stderr.write(f"liner: {tally.summary()}\n")
        if args.watch:
            folder = Path(args.watch).expanduser()
            if not folder.is_dir():
                raise InputError(f"{folder} is not a folder", code="usage")
            watcher = Watcher(
                choreographer,
                folder,
                on_outcome=report,
                after_poll=runtime.project,
            )
            watcher.run(args.interval, max_polls=args.max_polls)
        return 1 if tally.failed else 0
    finally:
        runtime.close()

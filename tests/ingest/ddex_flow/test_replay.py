"""Replays: every corpus message three times in shuffled order gives the catalog of one
run in order; a run stopped between the catalog write and the record is repaired."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from liner.ingest.ddex.choreography import Choreographer, is_manifest
from liner.ingest.ddex.outcomes import MessageOutcome, Status
from liner.ingest.ddex.repository import DeliveryRepository
from liner.ingest.ddex.service import DdexIngester
from liner.models import Delivery, OutboxRow, Release
from liner.runtime import Runtime

from .support import AUDIUS, CPD_BATCHES, catalog_dump, copy_tree, wipe

pytestmark = pytest.mark.corpus


def message_files(drop: Path) -> list[Path]:
    return [
        p
        for p in sorted(drop.rglob("*.xml"))
        if not is_manifest(p) and "ack" not in p.relative_to(drop).parts
    ]


def test_shuffled_triple_replay_gives_the_in_order_catalog(
    corpus: Path, tmp_path: Path, runtime: Runtime
) -> None:
    drop = copy_tree(corpus, tmp_path / "corpus")
    ingester = DdexIngester(runtime, write_acks=False)
    in_order = list(Choreographer(ingester).run([drop]))
    assert sum(isinstance(o, MessageOutcome) for o in in_order) == 41
    assert len(in_order) == 48  # and the seven batch manifests
    expected = catalog_dump(runtime)
    assert len(expected) == 17

    for seed in (1, 2):
        wipe(runtime)
        files = message_files(drop) * 3
        random.Random(seed).shuffle(files)
        statuses = [ingester.ingest_file(path) for path in files]
        assert sum(not o.replayed for o in statuses) == 41
        assert catalog_dump(runtime) == expected


def test_a_run_stopped_before_the_record_leaves_nothing(
    corpus: Path, tmp_path: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalog write and the delivery record are one transaction: a run stopped
    between them leaves neither, and running again applies the message once."""
    drop = copy_tree(corpus / AUDIUS, tmp_path / "audius")
    batch = copy_tree(corpus / CPD_BATCHES[1], tmp_path / "cpd" / "20161024145603121")
    ingester = DdexIngester(runtime)

    def crash(*args: object, **kwargs: object) -> MessageOutcome:
        raise RuntimeError("killed between the catalog write and the record")

    with monkeypatch.context() as patch:
        patch.setattr(DeliveryRepository, "record", crash)
        for path in (drop / "01_delivery.xml", next(batch.rglob("7*.xml"))):
            with pytest.raises(RuntimeError):
                ingester.ingest_file(path)
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Release)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) == 0

    first = ingester.ingest_file(drop / "01_delivery.xml")
    assert (first.status, first.releases[0].result) == (Status.APPLIED, "created")
    second = ingester.ingest_file(next(batch.rglob("7*.xml")))
    assert (second.status, second.releases[0].result) == (Status.APPLIED, "created")
    with runtime.sessions() as session:
        revisions = session.scalars(sa.select(Release.revision)).all()
    assert revisions == [1, 1]

    with monkeypatch.context() as patch:
        patch.setattr(DeliveryRepository, "record", crash)
        with pytest.raises(RuntimeError):
            ingester.ingest_file(drop / "03_delete.xml")
    with runtime.sessions() as session:
        assert session.scalars(sa.select(Release.status)).all() == ["active", "active"]
    purge = ingester.ingest_file(drop / "03_delete.xml")
    assert (purge.status, purge.releases[0].result) == (Status.APPLIED, "deleted")
    assert ingester.ingest_file(drop / "02_update.xml").status is Status.SUPERSEDED

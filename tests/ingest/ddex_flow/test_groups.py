"""Messages of a batch applied a group per transaction: each message still all or
nothing, outcomes and acknowledgements only once their group has committed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from liner.catalog.releases import WriteResult
from liner.catalog.service import CatalogService
from liner.ingest.ddex.outcomes import Status
from liner.ingest.ddex.parser import parse_ern
from liner.ingest.ddex.reading import Source
from liner.ingest.ddex.service import DdexIngester
from liner.ingest.ddex.synthetic import SyntheticCorpus, load_templates
from liner.ingest.records import Provenance, ReleaseRecord
from liner.kit.errors import InputError
from liner.models import Delivery, OutboxRow, Release
from liner.runtime import Runtime

pytestmark = pytest.mark.corpus

MESSAGES = 7


@pytest.fixture(scope="module")
def synthetic(corpus: Path) -> SyntheticCorpus:
    return SyntheticCorpus(load_templates(corpus), seed=11)


def message_files(folder: Path, synthetic: SyntheticCorpus) -> list[tuple[Path, Source]]:
    folder.mkdir(parents=True)
    items = []
    for index in range(MESSAGES):
        path = folder / f"M{index}.xml"
        path.write_bytes(synthetic.message(index))
        items.append(
            (path, Source(label=str(path), base_dir=folder, stamp="", ack_dir=folder / "ack"))
        )
    return items


def count(runtime: Runtime, entity: type[object]) -> int:
    with runtime.sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(entity)) or 0


def fail_after_writing(monkeypatch: pytest.MonkeyPatch, message: Path, error: Exception) -> None:
    """Make the catalog raise ``error`` for the release of ``message``, once its rows
    are written (so that a rollback has something to undo)."""
    key = parse_ern(message.read_bytes()).releases[0].natural_key()
    upsert = CatalogService.upsert_release

    def upsert_then_fail(
        self: CatalogService,
        record: ReleaseRecord,
        provenance: Provenance,
        *,
        session: Session | None = None,
    ) -> WriteResult:
        written = upsert(self, record, provenance, session=session)
        if record.natural_key() == key:
            raise error
        return written

    monkeypatch.setattr(CatalogService, "upsert_release", upsert_then_fail)


def test_a_group_commits_before_its_outcomes_are_reported(
    tmp_path: Path, runtime: Runtime, ingester: DdexIngester, synthetic: SyntheticCorpus
) -> None:
    items = message_files(tmp_path / "drop", synthetic)
    outcomes = ingester.ingest_files(items, group_size=3)
    first = next(outcomes)
    # The whole first group is stored before its first outcome is reported and
    # acknowledged; nothing of the next group yet.
    assert count(runtime, Delivery) == 3
    assert len(list((tmp_path / "drop" / "ack").iterdir())) == 1
    rest = list(outcomes)
    assert [o.status for o in [first, *rest]] == [Status.APPLIED] * MESSAGES
    assert count(runtime, Delivery) == MESSAGES
    assert count(runtime, Release) == MESSAGES


def test_a_refused_message_rolls_back_alone_within_its_group(
    tmp_path: Path,
    runtime: Runtime,
    ingester: DdexIngester,
    synthetic: SyntheticCorpus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = message_files(tmp_path / "drop", synthetic)
    refused_file = str(items[4][0])
    fail_after_writing(
        monkeypatch,
        items[4][0],
        InputError("refused for the test", code="test_refusal", location="x"),
    )
    outcomes = list(ingester.ingest_files(items, group_size=MESSAGES))

    statuses = {Path(o.file or "").name: o.status for o in outcomes}
    assert statuses.pop("M4.xml") is Status.REJECTED
    assert set(statuses.values()) == {Status.APPLIED}
    refused = next(o for o in outcomes if o.file == refused_file)
    assert [p.code for p in refused.problems if p.severity == "error"] == ["test_refusal"]
    assert refused.releases
    assert {r.result for r in refused.releases} == {"rejected"}
    # Six releases, each with its outbox rows; the refused one left no row at all.
    assert count(runtime, Release) == MESSAGES - 1
    assert count(runtime, Delivery) == MESSAGES
    with runtime.sessions() as session:
        albums = session.scalars(
            sa.select(OutboxRow.aggregate_id).where(OutboxRow.entity_type == "album")
        ).all()
        release_ids = session.scalars(sa.select(Release.id)).all()
    assert sorted(albums) == sorted(release_ids)


def test_a_fault_on_one_message_rejects_it_alone_and_the_group_commits(
    tmp_path: Path,
    runtime: Runtime,
    ingester: DdexIngester,
    synthetic: SyntheticCorpus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug met on one message (not a refusal, not a database error) is recorded as
    that message's internal error; the others of its group are applied and committed."""
    items = message_files(tmp_path / "drop", synthetic)
    fail_after_writing(monkeypatch, items[2][0], RuntimeError("a fault for the test"))
    outcomes = list(ingester.ingest_files(items, group_size=MESSAGES))

    statuses = {Path(o.file or "").name: o.status for o in outcomes}
    assert statuses.pop("M2.xml") is Status.REJECTED
    assert set(statuses.values()) == {Status.APPLIED}
    faulty = next(o for o in outcomes if Path(o.file or "").name == "M2.xml")
    assert [p.code for p in faulty.problems if p.severity == "error"] == ["ddex_internal_error"]
    assert count(runtime, Release) == MESSAGES - 1
    assert count(runtime, Delivery) == MESSAGES

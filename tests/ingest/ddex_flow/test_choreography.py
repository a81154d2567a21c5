"""Batch manifests, release folders, asset checks, acknowledgements and the watcher."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from liner.ingest.ddex.choreography import (
    BatchUnit,
    Choreographer,
    MessageUnit,
    WaitingUnit,
    discover,
    resolve_url,
)
from liner.ingest.ddex.outcomes import BatchOutcome, MessageOutcome, Status
from liner.ingest.ddex.service import DdexIngester
from liner.ingest.ddex.synthetic import SyntheticCorpus, load_templates, write_batch
from liner.ingest.ddex.watcher import Watcher
from liner.kit.xml import parse_xml
from liner.models import Delivery, DeliveryBatch, Release
from liner.runtime import Runtime

from .support import CPD_BATCHES, FUGA, copy_tree, read_album

pytestmark = pytest.mark.corpus

FLAC_MD5 = "5e2994cdd94f14a197283a00387ca451"
JPEG_MD5 = "03a3372963d1567ef98f7229c49538e0"


def count(runtime: Runtime, table: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


@pytest.fixture(scope="module")
def synthetic(corpus: Path) -> SyntheticCorpus:
    return SyntheticCorpus(load_templates(corpus), seed=7)


def test_a_batch_waits_for_its_manifest(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    batch = copy_tree(corpus / CPD_BATCHES[1], tmp_path / "drop" / "20161024145603121")
    manifest = next(batch.glob("BatchComplete_*.xml"))
    saved = manifest.read_bytes()
    manifest.unlink()
    (unit,) = discover([tmp_path / "drop"])
    assert isinstance(unit, WaitingUnit)
    (outcome,) = list(choreographer.run([tmp_path / "drop"]))
    assert isinstance(outcome, BatchOutcome)
    assert outcome.status == "waiting"
    assert count(runtime, Delivery) == count(runtime, Release) == 0

    manifest.write_bytes(saved)
    (unit,) = discover([tmp_path / "drop"])
    assert isinstance(unit, BatchUnit)
    message, closed = list(choreographer.run([tmp_path / "drop"]))
    assert isinstance(message, MessageOutcome)
    assert message.status is Status.APPLIED
    assert isinstance(closed, BatchOutcome)
    assert (closed.status, closed.manifest, closed.manifest_kind) == (
        "processed",
        str(manifest),
        "echo",
    )
    assert closed.messages == (message.delivery_id,)
    assert closed.statuses == (("applied", 1),)
    assert message.batch == closed.delivery_id
    assert "ddex_manifest_message_id_mismatch" in {p.code for p in message.problems}
    assert "ddex_manifest_hash_invalid" not in {p.code for p in message.problems}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ((b"<NumberOfMessages>1<", b"<NumberOfMessages>2<"), "ddex_manifest_count_mismatch"),
        ((b"721620118165.xml</URL>", b"721620118199.xml</URL>"), "ddex_manifest_file_missing"),
        ((b"<echo:ManifestMessage", b"<echo:ManifestMessage <"), "xml_malformed"),
    ],
)
def test_an_inconsistent_manifest_invalidates_the_batch(
    change: tuple[bytes, bytes],
    code: str,
    corpus: Path,
    tmp_path: Path,
    runtime: Runtime,
    choreographer: Choreographer,
) -> None:
    batch = copy_tree(corpus / CPD_BATCHES[2], tmp_path / "drop" / "20161024145603122")
    manifest = next(batch.glob("BatchComplete_*.xml"))
    manifest.write_bytes(manifest.read_bytes().replace(*change))
    (outcome,) = list(choreographer.run([batch]))
    assert isinstance(outcome, BatchOutcome)
    assert outcome.status == "invalid"
    assert code in {p.code for p in outcome.problems}
    assert count(runtime, Delivery) == count(runtime, Release) == 0
    with runtime.sessions() as session:
        assert session.scalars(sa.select(DeliveryBatch.status)).all() == ["invalid"]


def test_manifest_hashes_counts_and_unlisted_files(
    tmp_path: Path, runtime: Runtime, choreographer: Choreographer, synthetic: SyntheticCorpus
) -> None:
    messages = [(f"R{i}", synthetic.message(i)) for i in range(3)]
    batch = write_batch(tmp_path / "drop", "20240101120000000", messages)
    tampered = batch / "R1" / "R1.xml"
    tampered.write_bytes(tampered.read_bytes() + b"\n")
    (batch / "R9").mkdir()
    (batch / "R9" / "R9.xml").write_bytes(synthetic.message(9))
    outcomes = list(choreographer.run([tmp_path / "drop"]))
    statuses = {
        Path(o.file or "").name: o.status for o in outcomes if isinstance(o, MessageOutcome)
    }
    assert statuses == {
        "R0.xml": Status.APPLIED,
        "R1.xml": Status.REJECTED,
        "R2.xml": Status.APPLIED,
    }
    rejected = next(
        o for o in outcomes if isinstance(o, MessageOutcome) and o.status is Status.REJECTED
    )
    assert [p.code for p in rejected.errors] == ["ddex_manifest_hash_mismatch"]
    with runtime.sessions() as session:
        row = session.scalars(sa.select(DeliveryBatch)).one()
        assert (row.status, row.expected_count, row.manifest_kind) == ("processed", 3, "echo")
        assert [p["code"] for p in row.problems] == ["ddex_batch_unlisted_file"]
    assert count(runtime, Release) == 2

    closed = outcomes[-1]
    assert isinstance(closed, BatchOutcome)
    assert closed.status == "processed"
    assert closed.statuses == (("applied", 2), ("rejected", 1))
    assert [p.code for p in closed.problems] == ["ddex_batch_unlisted_file"]

    again = list(choreographer.run([tmp_path / "drop"]))
    assert len(again) == 4
    assert all(o.replayed for o in again)
    assert again[-1] == replace(closed, replayed=True)


def test_a_zero_byte_manifest_takes_every_message(
    tmp_path: Path, runtime: Runtime, choreographer: Choreographer, synthetic: SyntheticCorpus
) -> None:
    batch = write_batch(
        tmp_path / "drop",
        "20240101120000000",
        [(f"R{i}", synthetic.message(i)) for i in range(2)],
        manifest=False,
    )
    (batch / "BatchComplete_20240101120000000.xml").write_bytes(b"")
    outcomes = list(choreographer.run([batch]))
    assert [o.status for o in outcomes if isinstance(o, MessageOutcome)] == [Status.APPLIED] * 2
    with runtime.sessions() as session:
        assert session.scalars(sa.select(DeliveryBatch.manifest_kind)).all() == ["semaphore"]


def test_batches_are_taken_in_timestamp_order_and_the_later_one_wins(
    tmp_path: Path, runtime: Runtime, ingester: DdexIngester, synthetic: SyntheticCorpus
) -> None:
    first = synthetic.message(0)
    second = first.replace(b"<TitleText>", b"<TitleText>Second ")
    assert second != first
    write_batch(tmp_path / "drop", "P_20240101000000000", [("R", first)])
    write_batch(tmp_path / "drop", "M_20240102000000000", [("R", second)])
    units = discover([tmp_path / "drop"])
    assert [u.folder.name for u in units if isinstance(u, BatchUnit)] == [
        "P_20240101000000000",
        "M_20240102000000000",
    ]
    for unit in reversed(units):  # even taken in the wrong order, the later batch wins
        outcomes = list(Choreographer(ingester).process(unit))
        assert outcomes
    with runtime.sessions() as session:
        (title,) = session.scalars(sa.select(Release.title)).all()
    assert title.startswith("Second ")


def _fuga_folder(corpus: Path, tmp_path: Path, flac: bytes | None, jpeg: bytes | None) -> Path:
    folder = tmp_path / "drop" / "N_8718857546047_20240305090206405"
    message = copy_tree(corpus / FUGA, folder / "8718857546047.xml")
    data = message.read_bytes()
    data = data.replace(FLAC_MD5.encode(), hashlib.md5(b"flac").hexdigest().encode())
    data = data.replace(JPEG_MD5.encode(), hashlib.md5(b"jpeg").hexdigest().encode())
    message.write_bytes(data)
    resources = folder / "resources"
    resources.mkdir()
    if flac is not None:
        (resources / "8718857546047_T1_0_SoundRecording_001_001.flac").write_bytes(flac)
    if jpeg is not None:
        (resources / "8718857546047_T2_Image.jpg").write_bytes(jpeg)
    return folder


def test_assets_are_verified_when_present(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    folder = _fuga_folder(corpus, tmp_path, b"flac", b"jpeg")
    (outcome,) = list(choreographer.run([tmp_path / "drop"]))
    assert isinstance(outcome, MessageOutcome)
    assert outcome.status is Status.APPLIED
    assert [(a.kind, a.status) for a in outcome.assets] == [
        ("image", "verified"),
        ("audio", "verified"),
    ]
    assert not {p.code for p in outcome.problems} & {"ddex_asset_missing", "ddex_asset_corrupt"}
    assert outcome.order_key.startswith("20240305090206405|")
    ack = parse_xml(next((folder / "ack").glob("ACK_*.xml")).read_bytes())
    assert ack.findtext("{urn:liner:ddex-ack:1}Status") == "applied"
    assert ack.findtext("{urn:liner:ddex-ack:1}FileStatus") == "FileOK"


def test_a_corrupt_asset_rejects_the_message(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    folder = _fuga_folder(corpus, tmp_path, b"not the flac", b"jpeg")
    (outcome,) = list(choreographer.run([tmp_path / "drop"]))
    assert isinstance(outcome, MessageOutcome)
    assert outcome.status is Status.REJECTED
    assert [p.code for p in outcome.errors] == ["ddex_asset_corrupt"]
    assert count(runtime, Release) == 0
    ack = next((folder / "ack").glob("ACK_*.xml")).read_bytes()
    assert b"<FileStatus>ResourceCorrupt</FileStatus>" in ack


def test_missing_assets_do_not_fail_a_metadata_update(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    _fuga_folder(corpus, tmp_path, None, b"jpeg")
    (outcome,) = list(choreographer.run([tmp_path / "drop"]))
    assert isinstance(outcome, MessageOutcome)
    assert outcome.status is Status.APPLIED
    assert [(a.kind, a.status) for a in outcome.assets] == [
        ("image", "verified"),
        ("audio", "missing"),
    ]
    missing = [p for p in outcome.problems if p.code == "ddex_asset_missing"]
    assert [p.severity for p in missing] == ["warning"]


def test_paths_that_leave_the_delivery_are_not_opened(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    folder = _fuga_folder(corpus, tmp_path, b"flac", b"jpeg")
    message = folder / "8718857546047.xml"
    message.write_bytes(
        message.read_bytes().replace(
            b"<FilePath>resources/</FilePath>", b"<FilePath>../../</FilePath>"
        )
    )
    (outcome,) = list(choreographer.run([folder]))
    assert isinstance(outcome, MessageOutcome)
    assert outcome.status is Status.APPLIED
    assert {a.status for a in outcome.assets} == {"unsafe"}
    assert resolve_url(folder, "../../etc/passwd") is None
    assert (
        resolve_url(folder, "AWS_S3://bucket/x/N_8718857546047_20240305090206405/8718857546047.xml")
        == message
    )


def test_the_watcher_takes_deliveries_once_they_are_complete_and_still(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    done: list[object] = []
    projected: list[int] = []
    watcher = Watcher(
        choreographer,
        drop,
        on_outcome=done.append,
        after_poll=lambda: projected.append(runtime.project()),
    )
    assert watcher.poll() == []
    release = copy_tree(corpus / FUGA, drop / "fuga-release" / "8718857546047.xml")
    batch = copy_tree(corpus / CPD_BATCHES[1], drop / "20161024145603121")
    manifest = next(batch.glob("BatchComplete_*.xml"))
    saved = manifest.read_bytes()
    manifest.unlink()
    assert watcher.poll() == []  # seen for the first time: not yet still
    taken = watcher.poll()
    assert [
        (Path(o.file or "").name, o.status) for o in taken if isinstance(o, MessageOutcome)
    ] == [(release.name, Status.APPLIED)]
    assert projected
    assert watcher.poll() == []
    manifest.write_bytes(saved)
    assert watcher.poll() == []
    message, closed = watcher.poll()
    assert isinstance(message, MessageOutcome)
    assert message.status is Status.APPLIED
    assert isinstance(closed, BatchOutcome)
    assert closed.status == "processed"
    assert read_album(runtime, message.release_ids[0]) is not None
    assert watcher.poll() == []
    assert len(done) == 3
    assert isinstance(discover([drop])[0], BatchUnit | MessageUnit)

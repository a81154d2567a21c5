"""Asset files on disk: what is checked, and which paths are never opened."""

from __future__ import annotations

import hashlib
from pathlib import Path

from liner.ingest.ddex.assets import AssetChecker
from liner.ingest.records import FileAsset, ReleaseRecord, ReleaseType

AUDIO = b"not really flac"


def _statuses(folder: Path, *uris: str) -> list[str]:
    digest = hashlib.md5(AUDIO).hexdigest()
    record = ReleaseRecord(
        title="Album",
        release_type=ReleaseType.ALBUM,
        upc="5012345678900",
        assets=tuple(
            FileAsset(uri, kind="audio", hash_algorithm="md5", hash_value=digest) for uri in uris
        ),
    )
    checks, _ = AssetChecker(folder).check([record])
    return [check.status for check in checks]


def test_files_inside_the_delivery_are_verified(tmp_path: Path) -> None:
    delivery = tmp_path / "delivery"
    (delivery / "resources").mkdir(parents=True)
    (delivery / "resources" / "a.flac").write_bytes(AUDIO)
    (delivery / "resources" / "b.flac").write_bytes(b"other bytes")
    (delivery / "resources" / "folder.flac").mkdir()
    statuses = _statuses(
        delivery,
        "resources/a.flac",
        "resources/b.flac",
        "resources/absent.flac",
        "absent/a.flac",
        "resources/folder.flac",
        "../delivery/resources/a.flac",
    )
    assert statuses == ["verified", "corrupt", "missing", "missing", "missing", "unsafe"]


def test_symbolic_links_are_followed_only_inside_the_delivery(tmp_path: Path) -> None:
    delivery = tmp_path / "delivery"
    (delivery / "resources").mkdir(parents=True)
    (delivery / "resources" / "a.flac").write_bytes(AUDIO)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.flac").write_bytes(AUDIO)
    (delivery / "inner").symlink_to(delivery / "resources", target_is_directory=True)
    (delivery / "linked.flac").symlink_to(delivery / "resources" / "a.flac")
    (delivery / "escape").symlink_to(outside, target_is_directory=True)
    (delivery / "resources" / "leak.flac").symlink_to(outside / "secret.flac")
    statuses = _statuses(
        delivery, "inner/a.flac", "linked.flac", "escape/secret.flac", "resources/leak.flac"
    )
    assert statuses == ["verified", "verified", "unsafe", "unsafe"]


def test_a_delivery_folder_reached_through_a_link_is_checked_where_it_lies(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real"
    (real / "resources").mkdir(parents=True)
    (real / "resources" / "a.flac").write_bytes(AUDIO)
    (tmp_path / "drop").symlink_to(real, target_is_directory=True)
    assert _statuses(tmp_path / "drop", "resources/a.flac") == ["verified"]

"""Checking the files a message refers to, relative to the message's folder.

A file that is present has its size and hash (MD5, SHA-1, SHA-2) checked when the
sender gave them: a mismatch means the delivery is corrupt, an ``error``. A file that is
absent is a ``warning``: metadata-only updates need not resend binaries. Paths that
leave the delivery folder are never opened; URLs with a scheme are not fetched.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from liner.ingest.ddex.outcomes import AssetCheck
from liner.ingest.records import FileAsset, Problem, ReleaseRecord

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-_]*://")
_CHUNK = 1024 * 1024
_ALGORITHMS = {
    "md5": "md5",
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}


@dataclass(frozen=True, slots=True)
class _Found:
    status: str
    actual: str | None
    size: int | None
    detail: str


def _owned_assets(record: ReleaseRecord) -> Iterable[tuple[str, FileAsset]]:
    for asset in record.assets:
        yield "release", asset
    for track in record.tracks:
        owner = track.isrc or track.source_ref or f"{track.disc_number}-{track.track_number}"
        for asset in track.assets:
            yield owner, asset


def _relative(uri: str) -> PurePosixPath | None:
    """The URI as a path inside the delivery folder, or None when it would leave it."""
    cleaned = uri.replace("\\", "/")
    if cleaned.startswith("file:"):
        cleaned = cleaned[5:].lstrip("/") if cleaned.startswith("file:///") else cleaned[5:]
    relative = PurePosixPath(cleaned)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None
    if any(":" in part for part in relative.parts):
        return None
    return relative


def _digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class AssetChecker:
    """Checks files relative to ``base_dir``; each distinct file is read once."""

    def __init__(self, base_dir: Path | None) -> None:
        self._base = base_dir
        self._root = base_dir.resolve() if base_dir is not None else None
        self._cache: dict[tuple[str, str | None, str | None, int | None], _Found] = {}

    def check(
        self, releases: Iterable[ReleaseRecord]
    ) -> tuple[tuple[AssetCheck, ...], tuple[Problem, ...]]:
        checks: list[AssetCheck] = []
        problems: list[Problem] = []
        for record in releases:
            for owner, asset in _owned_assets(record):
                found = self._check_one(asset)
                checks.append(
                    AssetCheck(
                        uri=asset.uri,
                        kind=asset.kind,
                        owner=owner,
                        status=found.status,
                        algorithm=asset.hash_algorithm,
                        expected=asset.hash_value,
                        actual=found.actual,
                        size=found.size,
                    )
                )
                problem = self._problem(owner, asset, found)
                if problem is not None:
                    problems.append(problem)
        return tuple(checks), tuple(problems)

    @staticmethod
    def _problem(owner: str, asset: FileAsset, found: _Found) -> Problem | None:
        location = f"{owner}: {asset.uri}"
        if found.status == "missing":
            return Problem(
                "ddex_asset_missing",
                f"{asset.kind} file {asset.uri!r} is not in the delivery",
                "warning",
                location,
            )
        if found.status == "corrupt":
            return Problem("ddex_asset_corrupt", found.detail, "error", location)
        if found.status == "unsafe":
            return Problem(
                "ddex_asset_path_unsafe",
                f"file path {asset.uri!r} leaves the delivery folder; it was not opened",
                "warning",
                location,
            )
        return None

    def _check_one(self, asset: FileAsset) -> _Found:
        key = (asset.uri, asset.hash_algorithm, asset.hash_value, asset.size)
        found = self._cache.get(key)
        if found is None:
            found = self._inspect(asset)
            self._cache[key] = found
        return found

    def _inside(self, relative: PurePosixPath) -> Path | None:
        """The file's path below the resolved delivery folder, or None when it leads
        out of it. Only the components below the folder are examined: with no symbolic
        link among them the path cannot leave it (``..`` was refused already); with one,
        the whole path is resolved and must still lie inside."""
        assert self._root is not None
        path = self._root
        for part in relative.parts:
            path = path / part
            if stat.S_ISLNK(os.lstat(path).st_mode):
                resolved = self._root.joinpath(*relative.parts).resolve()
                return resolved if resolved.is_relative_to(self._root) else None
        return path

    def _inspect(self, asset: FileAsset) -> _Found:
        if self._base is None or self._root is None:
            return _Found("not_checked", None, None, "")
        if _SCHEME_RE.match(asset.uri) and not asset.uri.startswith("file:"):
            return _Found("remote", None, None, "")
        relative = _relative(asset.uri)
        if relative is None:
            return _Found("unsafe", None, None, "")
        try:
            resolved = self._inside(relative)
        except OSError:
            return _Found("missing", None, None, "")
        if resolved is None:
            return _Found("unsafe", None, None, "")
        try:
            found = resolved.stat()
        except OSError:
            return _Found("missing", None, None, "")
        if not stat.S_ISREG(found.st_mode):
            return _Found("missing", None, None, "")
        size = found.st_size
        if asset.size is not None and asset.size != size:
            return _Found(
                "corrupt",
                None,
                size,
                f"{asset.uri!r} is {size} bytes; the message says {asset.size}",
            )
        algorithm = _ALGORITHMS.get(asset.hash_algorithm or "")
        if algorithm is None or not asset.hash_value:
            return _Found("present", None, size, "")
        actual = _digest(resolved, algorithm)
        if actual != asset.hash_value.lower():
            return _Found(
                "corrupt",
                actual,
                size,
                f"{asset.uri!r} has {algorithm} {actual}; the message says {asset.hash_value}",
            )
        return _Found("verified", actual, size, "")

"""Files a resource refers to: ERN 3 ``Technical*Details/File`` and ERN 4
``TechnicalDetails[/DeliveryFile]/File``, with their hash sums."""

from __future__ import annotations

import re
from collections.abc import Iterable

from liner.ingest.ddex.tree import Element, Problems, every, kid, kid_text, kids
from liner.ingest.ddex.values import avs_value
from liner.ingest.records import FileAsset

_NON_WORD_RE = re.compile(r"[^0-9a-zA-Z]+")


_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}


def _file_uri(file: Element) -> str | None:
    uri = kid_text(file, "URI") or kid_text(file, "URL")
    if uri:
        return uri
    name = kid_text(file, "FileName")
    if name is None:
        return None
    folder = kid_text(file, "FilePath")
    if folder:
        return folder.rstrip("/\\") + "/" + name
    return name


def file_assets(details: Iterable[Element], kind: str, problems: Problems) -> list[FileAsset]:
    """Files of ERN 3 ``Technical*Details/File`` and ERN 4
    ``TechnicalDetails[/DeliveryFile]/File``, with their hash sums."""
    assets: list[FileAsset] = []
    for block in details:
        files = kids(block, "File") + every(block, "DeliveryFile", "File")
        for file in files:
            uri = _file_uri(file)
            if uri is None:
                continue
            if uri.startswith(("/", "\\")) or ".." in uri.replace("\\", "/").split("/"):
                problems.warn(
                    "ddex_file_path_suspicious",
                    f"file path {uri!r} leaves the delivery folder",
                    at=file,
                )
            algorithm, value = _hash_sum(file, problems)
            size: int | None = None
            raw_size = kid_text(file, "FileSize")
            if raw_size and raw_size.isdigit():
                size = int(raw_size)
            assets.append(
                FileAsset(uri=uri, kind=kind, hash_algorithm=algorithm, hash_value=value, size=size)
            )
    return assets


def _hash_sum(file: Element, problems: Problems) -> tuple[str | None, str | None]:
    block = kid(file, "HashSum")
    if block is None:
        return None, None
    value = kid_text(block, "HashSumValue") or kid_text(block, "HashSum")
    algorithm_element = kid(block, "Algorithm")
    if algorithm_element is None:
        algorithm_element = kid(block, "HashSumAlgorithmType")
    algorithm_raw = avs_value(algorithm_element)
    if value is None or algorithm_raw is None:
        problems.warn("ddex_hash_incomplete", "HashSum without value or algorithm", at=block)
        return None, None
    algorithm = _NON_WORD_RE.sub("", algorithm_raw).lower()
    value = value.lower()
    expected = _HASH_LENGTHS.get(algorithm)
    if expected is not None and (
        len(value) != expected or any(c not in "0123456789abcdef" for c in value)
    ):
        problems.warn(
            "ddex_hash_invalid",
            f"{algorithm_raw} hash {value!r} is not {expected} hexadecimal digits",
            at=block,
        )
        return algorithm, None
    return algorithm, value

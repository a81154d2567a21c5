"""Synthetic DDEX deliveries made from real messages, for benchmarks and crash tests.

Each synthetic message is a real template (a NewReleaseMessage of a streamable release)
with every identifier replaced by a fresh, valid one (ICPN with its GS1 check digit,
GRid with its Mod 37,36 check, ISRC, proprietary ids, catalog numbers, MessageId) and
artist names varied, so that N messages make N distinct releases. Seeded: the same seed
and index give the same bytes.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from liner.ingest.ddex.model import MessageType
from liner.ingest.ddex.parser import parse_ern
from liner.ingest.ddex.tree import local
from liner.kit.errors import LinerError
from liner.kit.xml import parse_xml

_BASE36 = string.digits + string.ascii_uppercase
_MOD37 = string.digits + string.ascii_uppercase + "*"


def gs1_check(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def grid_check(body: str) -> str:
    """ISO 7064 Mod 37,36 check character."""
    product = 36
    for char in body:
        total = (product + _BASE36.index(char)) % 36 or 36
        product = (total * 2) % 37
    return _BASE36[(37 - product) % 36]


def _base36(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, remainder = divmod(value, 36)
        digits.append(_BASE36[remainder])
    return "".join(reversed(digits))


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    data: bytes
    releases: int
    tracks: int


def load_templates(corpus: Path) -> list[Template]:
    """The corpus messages that make a streamable release with no error, in path order."""
    templates = []
    for path in sorted(corpus.rglob("*.xml")):
        try:
            message = parse_ern(path.read_bytes())
        except LinerError:
            continue
        if (
            message.message_type is not MessageType.NEW_RELEASE
            or message.rejected
            or not message.releases
        ):
            continue
        root = parse_xml(path.read_bytes())
        data = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
        templates.append(
            Template(
                name=path.relative_to(corpus).as_posix(),
                data=data,
                releases=len(message.releases),
                tracks=sum(len(r.tracks) for r in message.releases),
            )
        )
    return templates


class SyntheticCorpus:
    """Message ``i`` of a seeded synthetic corpus built from ``templates``."""

    def __init__(self, templates: Sequence[Template], *, seed: int = 0, artists: int = 1000):
        if not templates:
            raise ValueError("no template messages")
        self._templates = list(templates)
        self._seed = seed
        self._artists = artists
        order = list(range(len(templates)))
        random.Random(seed).shuffle(order)
        self._order = order

    def template(self, index: int) -> Template:
        return self._templates[self._order[index % len(self._order)]]

    def message(self, index: int) -> bytes:
        template = self.template(index)
        root = parse_xml(template.data)
        counters: dict[str, int] = {}
        mapping: dict[tuple[str, str], str] = {}

        def fresh(kind: str, old: str) -> str:
            found = mapping.get((kind, old))
            if found is None:
                number = counters.get(kind, 0)
                counters[kind] = number + 1
                found = self._value(kind, index, number, old)
                mapping[(kind, old)] = found
            return found

        artist_suffix = f" {index % self._artists}" if self._artists else ""
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            name = local(element)
            if name == "MessageId":
                element.text = f"SYN-{self._seed}-{index}"
                continue
            value = (element.text or "").strip()
            if not value:
                continue
            if name in ("ICPN", "UPC", "EAN"):
                element.text = fresh("icpn", value)
            elif name == "GRid":
                element.text = fresh("grid", value)
            elif name == "ISRC":
                element.text = fresh("isrc", value)
            elif name in ("ProprietaryId", "CatalogNumber"):
                element.text = f"{value}-S{self._seed}-{index}"
            elif name in ("FullName", "DisplayArtistName") and artist_suffix:
                element.text = value + artist_suffix
        body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
        return body

    def _value(self, kind: str, index: int, number: int, old: str) -> str:
        serial = index * 256 + number
        if kind == "icpn":
            body = f"2{self._seed % 10}{serial:010d}"
            return body + gs1_check(body)
        if kind == "grid":
            body = f"A1{_base36(self._seed, 2)}SY{serial:011d}"[:17]
            return body + grid_check(body)
        country = old[:2] if len(old) == 12 and old[:2].isalpha() else "QZ"
        registrant = "S" + _base36(self._seed * 1000 + serial // 10_000_000, 2)
        return f"{country}{registrant}{serial % 10_000_000:07d}"


def write_batch(
    parent: Path,
    stamp: str,
    messages: Sequence[tuple[str, bytes]],
    *,
    sender: str = "PADPIDA2024LINER0N",
    manifest: bool = True,
) -> Path:
    """Write a batch folder ``parent/<stamp>/<name>/<name>.xml`` and, last, its ECHO 1.2
    ``BatchComplete_<stamp>.xml`` manifest listing every message with its MD5."""
    folder = parent / stamp
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, data in messages:
        release_folder = folder / name
        release_folder.mkdir(exist_ok=True)
        (release_folder / f"{name}.xml").write_bytes(data)
        root = parse_xml(data)
        message_id = next(
            (
                e.text or ""
                for e in root.iter()
                if isinstance(e.tag, str) and local(e) == "MessageId"
            ),
            "",
        )
        entries.append(
            "<MessageInBatch><MessageType>NewReleaseMessage</MessageType>"
            f"<MessageId>{message_id}</MessageId>"
            f"<URL>/{stamp}/{name}/{name}.xml</URL>"
            "<DeliveryType>NewReleaseDelivery</DeliveryType><ProductType>AudioProduct</ProductType>"
            f"<HashSum><HashSum>{hashlib.md5(data).hexdigest()}</HashSum>"  # noqa: S324
            "<HashSumAlgorithmType>MD5</HashSumAlgorithmType></HashSum></MessageInBatch>"
        )
    if manifest:
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<echo:ManifestMessage MessageVersionId="1.2" '
            'xmlns:echo="http://ddex.net/xml/2011/echo/12">'
            f"<MessageHeader><MessageSender><PartyId>{sender}</PartyId></MessageSender>"
            "<MessageRecipient><PartyId>PADPIDA202401120D9</PartyId></MessageRecipient>"
            "<MessageCreatedDateTime>2024-01-01T00:00:00Z</MessageCreatedDateTime>"
            "</MessageHeader><IsTestFlag>false</IsTestFlag>"
            f"<RootDirectory>{stamp}</RootDirectory>"
            f"<NumberOfMessages>{len(entries)}</NumberOfMessages>"
            + "".join(entries)
            + "</echo:ManifestMessage>"
        )
        (folder / f"BatchComplete_{stamp}.xml").write_text(text, encoding="utf-8")
    return folder

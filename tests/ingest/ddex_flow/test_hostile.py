"""Hostile and malformed files: refused with a typed error, quickly, and nothing of them
reaches the catalog."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from liner.ingest.ddex.outcomes import Status
from liner.ingest.ddex.reading import Source
from liner.ingest.ddex.service import DdexIngester
from liner.kit.xml import DEFAULT_MAX_BYTES
from liner.models import Delivery, OutboxRow, Provenance, Release
from liner.runtime import Runtime

HEADER = (
    "<MessageHeader><MessageId>H1</MessageId>"
    "<MessageSender><PartyId>PADPIDA2024LINER0N</PartyId></MessageSender>"
    "<MessageCreatedDateTime>2024-01-01T00:00:00Z</MessageCreatedDateTime></MessageHeader>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<ern:NewReleaseMessage xmlns:ern="http://ddex.net/xml/ern/382">'
    f"{HEADER}<ReleaseList><Release><ReferenceTitle><TitleText>&x;</TitleText>"
    "</ReferenceTitle></Release></ReleaseList></ern:NewReleaseMessage>"
).encode()
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]><lolz>&lol9;</lolz>"
).encode()
EXTERNAL_DTD = (
    '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">'
    '<ern:NewReleaseMessage xmlns:ern="http://ddex.net/xml/ern/382">'
    f"{HEADER}</ern:NewReleaseMessage>"
).encode()
DEEP = (
    '<ern:NewReleaseMessage xmlns:ern="http://ddex.net/xml/ern/382">'
    + "<a>" * 5000
    + "</a>" * 5000
    + "</ern:NewReleaseMessage>"
).encode()
NO_RELEASE = (
    '<ern:NewReleaseMessage xmlns:ern="http://ddex.net/xml/ern/382" '
    f'MessageSchemaVersionId="ern/382">{HEADER}</ern:NewReleaseMessage>'
).encode()

CASES = {
    "xxe.xml": (XXE, "xml_forbidden_dtd"),
    "laughs.xml": (LAUGHS, "xml_"),
    "external-dtd.xml": (EXTERNAL_DTD, "xml_"),
    "deep.xml": (DEEP, "xml_"),
    "empty.xml": (b"", "xml_empty"),
    "binary.xml": (bytes(range(256)) * 64, "xml_malformed"),
    "utf16-garbage.xml": ("\ufeff<a><b></a>".encode("utf-16"), "xml_malformed"),
    "not-ern.xml": (b"<rss><channel/></rss>", "ddex_unknown_message_type"),
    "no-release.xml": (NO_RELEASE, "ddex_no_main_release"),
}


def stored(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.sessions() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Release)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(Provenance)) or 0,
        )


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_files_are_refused_with_typed_errors(
    name: str, tmp_path: Path, runtime: Runtime, ingester: DdexIngester
) -> None:
    data, code = CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    started = time.monotonic()
    outcome = ingester.ingest_file(path)
    assert time.monotonic() - started < 2
    assert outcome.status is Status.REJECTED
    assert outcome.delivery_id is not None
    assert outcome.errors[0].code.startswith(code), outcome.errors
    assert stored(runtime) == (0, 0, 0)
    ack = next((tmp_path / "ack").glob("ACK_*.xml")).read_bytes()
    assert b"<Status>rejected</Status>" in ack
    assert b"<FileStatus>NewReleaseMessageInvalid</FileStatus>" in ack
    assert ingester.ingest_file(path).replayed


def test_an_oversized_file_is_refused_without_being_read(
    tmp_path: Path, runtime: Runtime, ingester: DdexIngester
) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.truncate(DEFAULT_MAX_BYTES + 1)
    outcome = ingester.ingest_file(path)
    assert outcome.status is Status.REJECTED
    assert outcome.errors[0].code == "xml_too_large"
    assert stored(runtime) == (0, 0, 0)
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 1


@pytest.mark.corpus
def test_corpus_hostile_files(corpus: Path, runtime: Runtime, ingester: DdexIngester) -> None:
    names = [
        "daddykev+ddex-suite/test-suite/nasty/billion-laughs.xml",
        "miqwit+dedex/tests/samples/002_erroneous_xml.xml",
        "miqwit+dedex/tests/samples/004_xmlns_ern_missing.xml",
        "originalworks+protocol/DDEX_messages/ERN_UpdateReleaseMessage_example.xml",
    ]
    for name in names:
        outcome = ingester.ingest_bytes((corpus / name).read_bytes(), Source(label=name))
        assert outcome.status is Status.REJECTED, name
        assert outcome.errors[0].code.startswith(("xml_", "ddex_unknown_message_type"))
    assert stored(runtime) == (0, 0, 0)


def test_hostile_documents_are_refused_within_2_s_and_256_mb(tmp_path: Path) -> None:
    """In a process of its own, so that its peak memory is its own."""
    for name, (data, _) in CASES.items():
        (tmp_path / name).write_bytes(data)
    script = (
        "import re, sys, time\n"
        "from pathlib import Path\n"
        # VmHWM is this process's own peak: ru_maxrss would carry over the peak of the
        # process that forked it (the test runner) across exec.
        "def peak_kb():\n"
        "    status = Path('/proc/self/status').read_text()\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
        "from liner.ingest.ddex import parse_ern\n"
        "from liner.kit.errors import LinerError\n"
        "base = peak_kb()\n"
        "for path in sorted(Path(sys.argv[1]).iterdir()):\n"
        "    started = time.monotonic()\n"
        "    try:\n"
        "        message = parse_ern(path.read_bytes())\n"
        "    except LinerError as exc:\n"
        "        code = exc.code\n"
        "    else:\n"
        "        code = message.errors[0].code if message.errors else 'accepted'\n"
        "    print(path.name, code, round(time.monotonic() - started, 3))\n"
        "peak = peak_kb()\n"
        "print('peak', peak // 1024, 'grown', (peak - base) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        timeout=60,
        check=True,
        text=True,
    )
    lines = done.stdout.splitlines()
    results = {n: (c, float(s)) for n, c, s in (line.split() for line in lines[:-1])}
    assert set(results) == set(CASES)
    for name, (code, seconds) in results.items():
        assert code.startswith(CASES[name][1]), (name, code)
        assert seconds < 2, (name, seconds)
    _, peak_mb, _, grown_mb = lines[-1].split()
    assert int(peak_mb) < 256, lines[-1]
    assert int(grown_mb) < 64, lines[-1]

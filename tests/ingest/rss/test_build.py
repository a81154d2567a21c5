"""Which build of the feed parser the tests are running against.

A wheel carries the modules pyproject.toml lists as ``compiled`` as mypyc extensions
(see hatch_build.py); an editable install must run them from source, or an edited file
would not be what runs. ``scripts/test`` runs the parser's suites twice: from source, and
with ``LINER_EXPECT_COMPILED=1`` against a wheel installed in ``.venv-compiled``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import tomllib
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
EXPECT_COMPILED = os.environ.get("LINER_EXPECT_COMPILED") == "1"


def _compiled_modules() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    paths = config["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]["compiled"]
    return [path.removeprefix("src/").removesuffix(".py").replace("/", ".") for path in paths]


def test_the_compiled_list_names_the_parser_modules() -> None:
    modules = _compiled_modules()
    assert "liner.ingest.rss.parser" in modules
    assert "liner.ingest.rss.html" in modules
    for name in modules:
        importlib.import_module(name)


@pytest.mark.parametrize("name", _compiled_modules())
def test_module_is_the_expected_build(name: str) -> None:
    origin = importlib.import_module(name).__file__ or ""
    is_extension = origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    if EXPECT_COMPILED:
        assert is_extension, f"{name} runs from {origin}, not from a compiled extension"
    else:
        assert origin.endswith(".py"), f"{name} runs from {origin}, not from its source"

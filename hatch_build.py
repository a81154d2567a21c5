"""Wheel build hook: the feed parser's modules are compiled to C extensions with mypyc.

A wheel (``pip install .``, ``python -m build``) carries, next to the sources, a
compiled extension for each module listed as ``compiled`` under
``[tool.hatch.build.targets.wheel.hooks.custom]`` in pyproject.toml; Python imports the
extension in preference to the source. The modules are fully typed code that mypyc
turns into C without changes. Compiled code checks declared types at run time, so the
listed modules must not rely on a value being of another type than declared (lxml's
stubs, pinned with mypy in the hook's dependencies, are part of those declarations);
``scripts/test-compiled`` runs the parser's suites against the wheel.

Editable installs (``pip install -e .``, which ``scripts/demo`` and ``scripts/test`` use)
stay pure Python, so that an edited source file is always what runs. Building needs a C
compiler and the Python headers; ``LINER_BUILD_PURE=1`` builds a pure-Python wheel
instead (the same behaviour, slower parsing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

GROUP = "liner_compiled"
# Run in a folder of its own, so that no project configuration (mypy's plugins) is read.
SETUP = """\
import json
from mypyc.build import mypycify
from setuptools import setup

with open("sources.json", encoding="utf-8") as listing:
    sources = json.load(listing)
setup(
    name="liner-compiled",
    ext_modules=mypycify(["--ignore-missing-imports", *sources], group_name={group!r}),
)
"""


class CompiledParserHook(BuildHookInterface[BuilderConfig]):
    PLUGIN_NAME = "custom"

    _work: Path | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version != "standard" or os.environ.get("LINER_BUILD_PURE") == "1":
            return
        root = Path(self.root)
        listed: list[str] = list(self.config.get("compiled", []))
        sources = [root / name for name in listed]
        missing = [str(path) for path in sources if not path.is_file()]
        if missing:
            raise FileNotFoundError(f"modules listed to compile do not exist: {missing}")
        self._work = work = Path(tempfile.mkdtemp(prefix="liner-mypyc-"))
        try:
            extensions = self._compile(work, sources)
            expected = _expected_extensions(listed)
            if sorted(extensions) != sorted(expected):
                raise RuntimeError(
                    f"mypyc built {sorted(extensions)}, expected exactly {sorted(expected)}"
                )
        except BaseException:
            self._clean()
            raise
        for relative, path in extensions.items():
            build_data["force_include"][str(path)] = relative
        build_data["infer_tag"] = True
        build_data["pure_python"] = False

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        self._clean()

    def _compile(self, work: Path, sources: list[Path]) -> dict[str, Path]:
        """Compile ``sources`` in ``work``; the extensions built, by path in the wheel."""
        built = work / "lib"
        (work / "setup.py").write_text(SETUP.format(group=GROUP), encoding="utf-8")
        (work / "sources.json").write_text(json.dumps([str(p) for p in sources]), "utf-8")
        command = [
            sys.executable,
            "setup.py",
            "build_ext",
            "--build-lib",
            str(built),
            "--build-temp",
            str(work / "temp"),
        ]
        process = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command, cwd=work, capture_output=True, text=True, errors="replace", check=False
        )
        if process.returncode != 0:
            raise RuntimeError(
                "compiling the feed parser with mypyc failed (LINER_BUILD_PURE=1 builds a"
                f" pure-Python wheel):\n{process.stdout}\n{process.stderr}"
            )
        return {
            path.relative_to(built).as_posix(): path
            for path in built.rglob("*")
            if path.is_file() and not path.name.endswith((".c", ".h", ".o"))
        }

    def _clean(self) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None


def _expected_extensions(listed: list[str]) -> list[str]:
    """Where each listed module's extension belongs in the wheel, and mypyc's shared one."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    modules = [name.removeprefix("src/").removesuffix(".py") + suffix for name in listed]
    return [*modules, f"{GROUP}__mypyc{suffix}"]

"""Wheel build hook: the feed parser's modules are compiled to C extensions with mypyc.

A wheel (``pip install .``, ``python -m build``) carries, next to the sources, a
compiled extension for each module listed as ``compiled`` under
``[tool.hatch.build.targets.wheel.hooks.custom]`` in pyproject.toml; Python imports the
extension in preference to the source. The modules are pure, fully typed code that
mypyc turns into C without changes; the parse benchmark measures both builds.

Editable installs (``pip install -e .``, which ``scripts/demo`` and ``scripts/test`` use)
stay pure Python, so that an edited source file is always what runs. Building needs a C
compiler and the Python headers; ``LINER_BUILD_PURE=1`` builds a pure-Python wheel
instead (the same behaviour, slower parsing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

GROUP = "liner_compiled"
# Run in a folder of its own, so that no project configuration (mypy's plugins) is read.
SETUP = """\
import sys
from mypyc.build import mypycify
from setuptools import setup

sources = sys.argv.pop(1).split(",")
setup(
    name="liner-compiled",
    ext_modules=mypycify(["--ignore-missing-imports", *sources], group_name={group!r}),
)
"""


class CompiledParserHook(BuildHookInterface[BuilderConfig]):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version != "standard" or os.environ.get("LINER_BUILD_PURE") == "1":
            return
        root = Path(self.root)
        sources = [root / name for name in self.config.get("compiled", [])]
        missing = [str(path) for path in sources if not path.is_file()]
        if missing:
            raise FileNotFoundError(f"modules listed to compile do not exist: {missing}")
        work = Path(tempfile.mkdtemp(prefix="liner-mypyc-"))
        built = work / "lib"
        (work / "setup.py").write_text(SETUP.format(group=GROUP), encoding="utf-8")
        command = [
            sys.executable,
            "setup.py",
            ",".join(str(path) for path in sources),
            "build_ext",
            "--build-lib",
            str(built),
            "--build-temp",
            str(work / "temp"),
        ]
        process = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command, cwd=work, capture_output=True, text=True, check=False
        )
        if process.returncode != 0:
            raise RuntimeError(
                "compiling the feed parser with mypyc failed (LINER_BUILD_PURE=1 builds a"
                f" pure-Python wheel):\n{process.stdout}\n{process.stderr}"
            )
        extensions = sorted(built.rglob("*.so")) + sorted(built.rglob("*.pyd"))
        if len(extensions) <= len(sources):
            raise RuntimeError(f"mypyc built {len(extensions)} extensions for {len(sources)}")
        for path in extensions:
            build_data["force_include"][str(path)] = path.relative_to(built).as_posix()
        build_data["infer_tag"] = True
        build_data["pure_python"] = False

"""The core must run without Qt: a plain asyncio test (or a server) drives it."""

import pathlib
import re
import subprocess
import sys

CORE = pathlib.Path(__file__).resolve().parents[2] / "desktop" / "core"


def test_no_qt_import_in_core_sources() -> None:
    offenders = [
        str(p.relative_to(CORE))
        for p in CORE.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+(PySide6|PyQt\d|qasync|pyqtgraph)", p.read_text(), re.M)
    ]
    assert offenders == []


def test_importing_the_core_loads_no_qt() -> None:
    modules = [
        "desktop.core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6', 'qasync')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

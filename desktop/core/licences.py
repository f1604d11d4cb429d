"""What Talkline is made of and under which licences, for Help ▸ About Talkline.

In the packaged app this is `licenses.json`, written by pyinstaller.spec from the bundle's
actual contents (packaging/licenses.py; the .deb's copyright file says the same). From a
source checkout it is the installed distributions Talkline requires, read from their
metadata: each under its own licence, and no bundle statement applies.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop import __version__

MANIFEST = "licenses.json"
SOURCE_STATEMENT = (
    "Talkline's own code is under the MIT licence. Running from source: each installed "
    "package below is under its own licence. The packaged app, which also contains FFmpeg "
    "built with the GPL x264 encoder (and x265, except on Linux, where a stub replaces it), "
    "is distributed as a whole under the GNU General Public License version 3 or later."
)


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    license: str
    source: str  # where its source code is
    text: str  # its licence text ("" when only the source has it)


@dataclass(frozen=True)
class Licences:
    version: str
    bundle_license: str  # "" from a source checkout
    statement: str
    components: tuple[Component, ...]


def licences() -> Licences:
    """The bundle's manifest when frozen, else the installed requirements' metadata."""
    bundled = _bundle_manifest()
    if bundled is not None:
        return _from_manifest(json.loads(bundled.read_text("utf-8")))
    return _from_metadata()


def _bundle_manifest() -> Path | None:
    base = getattr(sys, "_MEIPASS", None)  # PyInstaller's folder of bundled files
    if base is None:
        return None
    path = Path(base) / MANIFEST
    return path if path.exists() else None


def _from_manifest(data: dict[str, object]) -> Licences:
    raw = data.get("components")
    comps = tuple(
        Component(
            name=str(c.get("name", "")),
            version=str(c.get("version", "")),
            license=str(c.get("license", "")),
            source=str(c.get("source", "")),
            text=str(c.get("text", "")),
        )
        for c in (raw if isinstance(raw, list) else [])
        if isinstance(c, dict)
    )
    return Licences(
        version=str(data.get("talkline_version", __version__)),
        bundle_license=str(data.get("bundle_license", "")),
        statement=str(data.get("statement", "")),
        components=comps,
    )


def _from_metadata() -> Licences:
    comps = [Component("Talkline", __version__, "MIT", "this source checkout", _own_licence())]
    seen: set[str] = set()
    todo = ["talkline"]
    while todo:
        try:
            dist = md.distribution(todo.pop())
        except md.PackageNotFoundError:
            continue  # an optional requirement that is not installed
        key = _key(dist.metadata["Name"])
        if key in seen:
            continue
        seen.add(key)
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                match = re.match(r"[A-Za-z0-9._-]+", requirement)
                if match:
                    todo.append(match.group(0))
        if key != "talkline":
            comps.append(_component(dist))
    comps[1:] = sorted(comps[1:], key=lambda c: c.name.lower())
    return Licences(__version__, "", SOURCE_STATEMENT, tuple(comps))


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _component(dist: md.Distribution) -> Component:
    meta = dist.metadata
    name = meta["Name"]
    license_ = _field(meta, "License-Expression")
    raw = _field(meta, "License").strip()
    if not license_ and raw and "\n" not in raw and len(raw) < 80:
        license_ = raw
    if not license_:
        for classifier in meta.get_all("Classifier") or []:
            if classifier.startswith("License ::"):
                license_ = classifier.split("::")[-1].strip()
                break
    texts = []
    for f in dist.files or []:
        if re.search(r"(^|/)(LICEN[CS]E|COPYING|NOTICE)[^/]*$", str(f)) and ".dist-info" in str(f):
            try:
                texts.append(Path(str(dist.locate_file(f))).read_text("utf-8", "replace").strip())
            except OSError:
                continue
    return Component(
        name=name,
        version=dist.version,
        license=license_ or "see its metadata",
        source=f"https://pypi.org/project/{name}/{dist.version}/",
        text="\n\n".join(texts),
    )


def _field(meta: md.PackageMetadata, name: str) -> str:
    values = meta.get_all(name) or []
    return str(values[0]) if values else ""


def _own_licence() -> str:
    path = Path(__file__).resolve().parents[2] / "LICENSE"
    return path.read_text("utf-8") if path.exists() else "MIT License"

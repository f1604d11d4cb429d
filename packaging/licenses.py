"""The bundle's licences: what is inside it, under which terms, and where the sources are.

    python3 packaging/licenses.py --bundle /tmp/talkline-build/dist/Talkline   # print it

Standard library only (build_deb.py runs it with the system python3). Two halves:

- `collect(entries)` runs inside pyinstaller.spec on PyInstaller's final list of bundled
  files (destination, source path). Each source file is traced to its owner: the Python
  distribution whose wheel RECORD lists it (licence and licence files from its metadata),
  the Debian package that installed it (dpkg -S; its /usr/share/doc copyright), the Python
  runtime, or Talkline itself. Shared libraries that wheels vendor (av.libs: FFmpeg, x264
  ...; numpy.libs: OpenBLAS) carry no metadata of their own: VENDORED names their
  licences. The stub libraries built from Talkline's own source in their place
  (packaging/stub_libraries.py: x265, SVT-AV1 on Linux) are Talkline's, MIT. A file with
  no owner, or a licence nobody mapped, stops the build: the list cannot drift from the
  bundle. The result goes into the bundle as `licenses.json`.
- `copyright_text(manifest)` renders it as /usr/share/doc/talkline/copyright in Debian's
  machine-readable format (build_deb.py). Help > About Talkline reads the same JSON.

The bundle as a whole: av's FFmpeg is built with x264 (GPL-2.0-or-later), and
Apache-2.0 components (aiohttp, livekit, cryptography ...) are compatible with the GPL
only from version 3, so the binary bundle is distributed under GPL-3.0-or-later. Each
component keeps its own licence, and Talkline's own code is MIT.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "licenses.json"  # at the top of the bundle's _internal folder
INSTALL_PREFIX = "opt/talkline"
DEP5 = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
BUNDLE_LICENSE = "GPL-3.0-or-later"
# {gpl}: the GPL libraries the bundle really contains ("FFmpeg built with x264"), {stubs}:
# a sentence on the encoders replaced by stubs, when there are any.
BUNDLE_STATEMENT = (
    "Talkline's own code is under the MIT licence. The binary bundle also contains {gpl} "
    "(GPL-2.0-or-later, inside the av wheel) and Apache-2.0 components, which the GPL "
    "accepts from version 3: the bundle as a whole is therefore distributed under the GNU "
    "General Public License version 3 or later.{stubs} Every component keeps its own "
    "licence, listed below with where its source code is."
)
STUBS_SENTENCE = (
    " The {encoders} that this FFmpeg is linked with are not included: small stand-ins "
    "built from Talkline's own source (MIT) take their place, so those encoders are "
    "unavailable."
)
# The vendored GPL libraries FFmpeg links, in the order the statement names them.
GPL_ENCODERS = ("x264", "x265")
STUBBED = {"x265.c": "x265 (HEVC)", "svtav1.c": "SVT-AV1 (AV1)"}  # packaging/stubs/
COMMON = Path("/usr/share/common-licenses")

# Shared libraries vendored inside wheels (auditwheel's <name>.libs folders and the like):
# file name pattern -> (component, licence, where its source is).
FFMPEG_SOURCE = (
    "FFmpeg {ffmpeg}: https://ffmpeg.org/releases/ffmpeg-{ffmpeg}.tar.xz, built by "
    "https://github.com/PyAV-Org/pyav-ffmpeg (its build scripts name every library's source)"
)
VENDORED: list[tuple[str, str, str, str]] = [
    (r"^lib(avcodec|avdevice|avfilter|avformat|avutil|swresample|swscale)\b", "FFmpeg",
     "GPL-2.0-or-later", FFMPEG_SOURCE),
    (r"^libx264\b", "x264", "GPL-2.0-or-later", "https://code.videolan.org/videolan/x264"),
    (r"^libx265\b", "x265", "GPL-2.0-or-later", "https://bitbucket.org/multicoreware/x265_git"),
    (r"^libSvtAv1Enc\b", "SVT-AV1", "BSD-3-Clause-Clear",
     "https://gitlab.com/AOMediaCodec/SVT-AV1"),
    (r"^libdav1d\b", "dav1d", "BSD-2-Clause", "https://code.videolan.org/videolan/dav1d"),
    (r"^libmp3lame\b", "LAME", "LGPL-2.0-or-later", "https://lame.sourceforge.io"),
    (r"^libopencore-amr(nb|wb)\b", "opencore-amr", "Apache-2.0",
     "https://sourceforge.net/projects/opencore-amr/"),
    (r"^libopus\b", "Opus", "BSD-3-Clause", "https://opus-codec.org/downloads/"),
    (r"^libvpx\b", "libvpx", "BSD-3-Clause", "https://chromium.googlesource.com/webm/libvpx"),
    (r"^lib(webp|webpmux|sharpyuv)\b", "libwebp", "BSD-3-Clause",
     "https://chromium.googlesource.com/webm/libwebp"),
    (r"^libgnutls\b", "GnuTLS", "LGPL-2.1-or-later", "https://www.gnutls.org/download.html"),
    (r"^lib(nettle|hogweed)\b", "Nettle", "LGPL-3.0-or-later or GPL-2.0-or-later",
     "https://ftp.gnu.org/gnu/nettle/"),
    (r"^libgmp\b", "GMP", "LGPL-3.0-or-later or GPL-2.0-or-later", "https://gmplib.org"),
    (r"^libunistring\b", "libunistring", "LGPL-3.0-or-later or GPL-2.0-or-later",
     "https://ftp.gnu.org/gnu/libunistring/"),
    (r"^libvpl\b", "oneVPL", "MIT", "https://github.com/intel/libvpl"),
    (r"^libdrm\b", "libdrm", "MIT", "https://gitlab.freedesktop.org/mesa/drm"),
    (r"^lib(xcb|xcb-[a-z]+|Xau)\b", "X.Org libxcb/libXau", "MIT",
     "https://gitlab.freedesktop.org/xorg/lib"),
    (r"^libasound\b", "alsa-lib", "LGPL-2.1-or-later", "https://www.alsa-project.org"),
    (r"^libscipy_openblas", "OpenBLAS", "BSD-3-Clause",
     "https://github.com/OpenMathLib/OpenBLAS"),
    (r"^libgfortran\b", "GCC Fortran runtime", "GPL-3.0-or-later with GCC-exception-3.1",
     "https://gcc.gnu.org"),
    (r"^libquadmath\b", "GCC libquadmath", "LGPL-2.1-or-later", "https://gcc.gnu.org"),
    (r"^libcrc32c\b", "crc32c", "BSD-3-Clause", "https://github.com/google/crc32c"),
]

# Licence names found in wheel metadata (License field, classifiers) -> SPDX.
SPDX = {
    "mit": "MIT", "mit license": "MIT", "apache-2.0": "Apache-2.0", "apache 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0", "apache software license": "Apache-2.0",
    "3-clause bsd license": "BSD-3-Clause", "bsd license": "BSD-3-Clause",
    "bsd-3-clause": "BSD-3-Clause", "psf-2.0": "PSF-2.0",
    "python software foundation license": "PSF-2.0", "lgplv2+": "LGPL-2.0-or-later",
    "gnu lesser general public license v2 or later (lgplv2+)": "LGPL-2.0-or-later",
}
# Distributions whose metadata says it in prose: PyInstaller's bootloader and run-time
# modules are GPL with an exception that lets any program be distributed with them.
DIST_LICENSES = {"pyinstaller": "GPL-2.0-or-later WITH Bootloader-exception"}
# Debian packages whose copyright file is not machine-readable.
DEBIAN_LICENSES = {"libportaudio2": "MIT"}
COMMON_TEXTS = {  # licence -> its text on every Debian system
    "GPL-2": "GPL-2", "GPL-3": "GPL-3", "LGPL-2.0": "LGPL-2", "LGPL-2.1": "LGPL-2.1",
    "LGPL-3": "LGPL-3", "Apache-2.0": "Apache-2.0",
}


@dataclass
class Component:
    name: str
    version: str
    license: str  # SPDX expression
    kind: str  # "talkline" | "python" | "vendored" | "debian" | "runtime"
    source: str  # where its source code is
    files: list[str] = field(default_factory=list)  # bundle paths (patterns)
    text: str = ""  # its licence text, when the bundle's build machine has it
    via: str = ""  # the wheel a vendored library came in


def _owners() -> dict[Path, object]:
    """Every file of every installed distribution -> its distribution (RECORD)."""
    import importlib.metadata as md

    owners: dict[Path, object] = {}
    for dist in md.distributions():
        for f in dist.files or []:
            owners[Path(str(dist.locate_file(f))).resolve()] = dist
    return owners


def _dist_license(dist: object) -> str:
    meta = dist.metadata  # type: ignore[attr-defined]
    name = meta["Name"]
    if name.lower() in DIST_LICENSES:
        return DIST_LICENSES[name.lower()]
    if meta.get("License-Expression"):
        return str(meta["License-Expression"])
    raw = (meta.get("License") or "").strip()
    if raw and "\n" not in raw and len(raw) < 80:
        return SPDX.get(raw.lower(), raw)
    for classifier in meta.get_all("Classifier") or []:
        if classifier.startswith("License ::"):
            found = SPDX.get(classifier.split("::")[-1].strip().lower())
            if found:
                return found
    raise SystemExit(f"licenses: no licence found in {name}'s metadata; map it in SPDX")


def _dist_text(dist: object) -> str:
    names = dist.metadata.get_all("License-File") or []  # type: ignore[attr-defined]
    texts = []
    for f in dist.files or []:  # type: ignore[attr-defined]
        path = str(f)
        if any(path.endswith("/" + n) or path.endswith("/licenses/" + n) for n in names) or (
            not names and re.search(r"\.dist-info/(LICEN[CS]E|COPYING|NOTICE)", path)
        ):
            texts.append(Path(str(dist.locate_file(f))).read_text("utf-8", "replace").strip())
    return "\n\n".join(dict.fromkeys(texts))


def _dpkg(path: Path) -> Component | None:
    # Merged /usr: dpkg may know /lib/x/libz.so.1.2.13 where the loader found
    # /usr/lib/x/libz.so.1, or the other way round; and it knows links by their own name.
    names = [path, path.resolve()]
    twins = [Path(str(p).removeprefix("/usr")) if str(p).startswith("/usr/lib") else
             Path("/usr" + str(p)) for p in names if str(p).startswith(("/usr/lib", "/lib"))]
    for candidate in dict.fromkeys(names + twins):
        found = subprocess.run(["dpkg", "-S", str(candidate)], capture_output=True, text=True)
        if found.returncode == 0:
            package = found.stdout.split(":")[0].strip()
            break
    else:
        return None
    query = subprocess.run(
        ["dpkg-query", "-W", "-f=${source:Package} ${source:Version} ${Version}", package],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    copyright_file = Path("/usr/share/doc") / package.split(":")[0] / "copyright"
    text = copyright_file.read_text("utf-8", "replace") if copyright_file.exists() else ""
    name = package.split(":")[0]
    license_ = DEBIAN_LICENSES.get(name) or _dep5_main_license(text)
    if not license_:
        raise SystemExit(f"licenses: {name}'s copyright is not machine-readable; map it")
    return Component(
        name=name, version=query[2], license=license_, kind="debian",
        source=f"https://sources.debian.org/src/{query[0]}/{query[1]}/ "
        f"(apt-get source {query[0]}={query[1]})",
        text=text.strip(),
    )


def _dep5_main_license(text: str) -> str:
    match = re.search(r"^Files:\s*\*\s*$(?:\n(?!\n).*)*?\nLicense:\s*(\S.*)$", text, re.M)
    return match.group(1).strip() if match else ""


def _vendored(name: str, via: object | None) -> Component | None:
    for pattern, component, license_, source in VENDORED:
        if re.match(pattern, name):
            version = ""
            if component == "FFmpeg":
                import av  # the build environment has it: it is being bundled

                version = str(av.ffmpeg_version_info)
                source = source.format(ffmpeg=version)
            wheel = via.metadata["Name"] if via is not None else ""  # type: ignore[attr-defined]
            return Component(component, version, license_, "vendored", source, via=wheel)
    return None


def _module_pattern(dest: str, kind: str) -> str:
    """A bundle path pattern for one entry (pure modules live in the executable's archive)."""
    if kind == "PYMODULE":
        top = dest.split(".")[0]
        return f"{INSTALL_PREFIX}/_internal/{top}/*"
    parts = Path(dest).parts
    if len(parts) == 1 or parts[0].endswith(".libs"):
        return f"{INSTALL_PREFIX}/_internal/{dest}"
    return f"{INSTALL_PREFIX}/_internal/{parts[0]}/*"


def collect(
    entries: list[tuple[str, str | None, str]], version: str, stubs: dict[str, str] | None = None
) -> dict:
    """Trace every bundled file to its owner. `entries`: PyInstaller TOC (dest, src, kind);
    `stubs`: built stub library -> its C source in the repository (stub_libraries.replace)."""
    owners = _owners()
    built = {Path(k).resolve(): v for k, v in (stubs or {}).items()}
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    base = Path(sys.base_prefix).resolve()
    components: dict[tuple[str, str], Component] = {}
    talkline = Component("Talkline", version, "MIT", "talkline",
                         f"the Talkline {version} source tree this bundle was built from "
                         "(no public address yet: whoever distributes this package must offer "
                         "it, with the sources named below)", ["*"],
                         text=_read(ROOT / "LICENSE"))
    components[("talkline", "Talkline")] = talkline
    for dest, src, kind in entries:
        if not src or kind in ("SYMLINK", "DEPENDENCY", "OPTION"):
            continue
        path = Path(src).resolve()
        if path in built:  # built at packaging time from packaging/stubs/: Talkline's own
            owner = components.setdefault(("built", "Talkline stub libraries"), Component(
                "Talkline stub libraries", version, "MIT", "built",
                f"{', '.join(sorted(set(built.values())))} and packaging/stub_libraries.py "
                f"in the Talkline {version} source tree", text=talkline.text,
            ))
            owner.files.append(f"{INSTALL_PREFIX}/_internal/{dest}")
            continue
        dist = owners.get(path)
        owner: Component | None = _vendored(path.name, dist) if kind == "BINARY" else None
        if owner is None and dist is not None:
            meta = dist.metadata  # type: ignore[attr-defined]
            if meta["Name"].lower() == "talkline":
                continue
            owner = Component(
                meta["Name"], dist.version, _dist_license(dist), "python",  # type: ignore[attr-defined]
                f"https://pypi.org/project/{meta['Name']}/{dist.version}/#files (sdist)",  # type: ignore[attr-defined]
                text=_dist_text(dist),
            )
        if owner is None and ROOT in path.parents:
            continue  # Talkline's own code and resources: Files: *
        python_files = stdlib in path.parents or base in path.parents
        if owner is None and (python_files or dest == "base_library.zip"):  # PyInstaller
            # zips the standard library's core modules into base_library.zip
            ver = sysconfig.get_python_version()
            owner = Component(
                "Python", sys.version.split()[0], "PSF-2.0", "runtime",
                f"https://www.python.org/ftp/python/{sys.version.split()[0]}/",
                text=_read(stdlib / "LICENSE.txt"),
            )
            owner.name = f"Python {ver}"
        if owner is None and str(path).startswith(("/usr/", "/lib")):
            owner = _dpkg(Path(src))
        if owner is None:
            raise SystemExit(
                f"licenses: nobody owns the bundled {dest} ({src}); add it to VENDORED "
                "in packaging/licenses.py with its licence and source"
            )
        key = (owner.kind, owner.name)
        kept = components.setdefault(key, owner)
        pattern = _module_pattern(dest, kind)
        if pattern not in kept.files:
            kept.files.append(pattern)
    for c in components.values():  # the executable is PyInstaller's bootloader
        if c.name.lower() == "pyinstaller":
            c.files.insert(0, f"{INSTALL_PREFIX}/Talkline")
    ordered = [talkline] + sorted(
        (c for c in components.values() if c is not talkline), key=lambda c: c.name.lower()
    )
    return {
        "talkline_version": version,
        "bundle_license": BUNDLE_LICENSE,
        "statement": statement(ordered, built.values()),
        "components": [asdict(c) for c in ordered],
    }


def statement(components: list[Component], stub_sources: Iterable[str]) -> str:
    """BUNDLE_STATEMENT naming the GPL encoders inside and the ones stubbed out."""
    names = {c.name for c in components if c.kind == "vendored"}
    encoders = [n for n in GPL_ENCODERS if n in names]
    gpl = "FFmpeg built with " + " and ".join(encoders) if encoders else "FFmpeg"
    files = {Path(s).name for s in stub_sources}
    stubbed = [what for file, what in STUBBED.items() if file in files]
    stubs = ""
    if stubbed:
        listed = " and ".join(stubbed)
        stubs = STUBS_SENTENCE.format(encoders=f"{listed} encoder{'s' if len(stubbed) > 1 else ''}")
    return BUNDLE_STATEMENT.format(gpl=gpl, stubs=stubs)


def _read(path: Path) -> str:
    return path.read_text("utf-8", "replace").strip() if path.exists() else ""


# --- Debian's machine-readable copyright ----------------------------------------------------


def _dep5_license(expression: str) -> str:
    return re.sub(r"\s+(AND|OR|WITH)\s+", lambda m: f" {m.group(1).lower()} ", expression)


def _body(text: str) -> str:
    """A multi-line field value: each line indented, blank lines as ' .'."""
    lines = text.replace("\t", "    ").splitlines()
    return "".join(f"\n {ln.rstrip()}" if ln.strip() else "\n ." for ln in lines)


def _common_text(license_: str) -> str:
    for name, file in COMMON_TEXTS.items():
        if license_.startswith(name) and (COMMON / file).exists():
            return f"On Debian systems the full text is in {COMMON / file}."
    return ""


def copyright_text(manifest: dict) -> str:
    comps = manifest["components"]
    talkline = comps[0]
    out = [
        f"Format: {DEP5}\nUpstream-Name: Talkline\nSource: {talkline['source']}"
        f"\nLicense: {_dep5_license(manifest['bundle_license'])}"
        f"\nComment:{_body(manifest['statement'])}"
        f"\n .\n {_common_text('GPL-3') or 'GPL-3.0: https://www.gnu.org/licenses/gpl-3.0.txt'}"
    ]
    for c in comps:
        files = " ".join(c["files"]) if c["kind"] != "talkline" else "*"
        holder = "Talkline" if c["kind"] == "built" else c["name"]  # the stub libraries
        comment = f"{c['name']} {c['version']}".strip()
        if c["via"]:
            comment += f", a shared library inside the {c['via']} wheel"
        if c["kind"] == "python":
            comment += "; its Python modules are in the executable's archive"
        comment += f". Source: {c['source']}"
        text = c["text"] or _common_text(c["license"]) or (
            f"The {c['license']} licence; the text is in the source named above."
        )
        out.append(
            f"Files: {files}\nCopyright: {holder} authors (see the licence text)"
            f"\nLicense: {_dep5_license(c['license'])}{_body(text)}\nComment:{_body(comment)}"
        )
    return "\n\n".join(out) + "\n"


def load(bundle: Path) -> dict:
    """The manifest inside a built bundle (`dist/Talkline`)."""
    for candidate in (bundle / "_internal" / MANIFEST, bundle / MANIFEST):
        if candidate.exists():
            return json.loads(candidate.read_text("utf-8"))
    raise SystemExit(f"licenses: {bundle} has no {MANIFEST} (built by pyinstaller.spec)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True)
    args = p.parse_args(argv)
    sys.stdout.write(copyright_text(load(args.bundle)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

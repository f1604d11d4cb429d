"""Stub libraries: encoders av's FFmpeg links but Talkline never uses, replaced in the bundle.

    python3 packaging/stub_libraries.py --out DIR LIBRARY...   # build stubs for these files

pyinstaller.spec calls `replace(entries, folder)` on Linux. av's wheel vendors FFmpeg linked
(DT_NEEDED) against libx265 (HEVC encoder, 19.6 MiB) and libSvtAv1Enc (AV1 encoder, 6.7 MiB).
Talkline encodes only Opus and decodes only VP8, H.264, JPEG (the avatar), yet the loader
refuses to load libavcodec without them. So each is replaced by a small library built here
from C source kept in packaging/stubs/ (Talkline's own, MIT): the same file name and SONAME,
defining every symbol the bundle's libraries import from the real one, each failing cleanly
so that FFmpeg reports the encoder as unusable (a Python exception in av, not a crash).

The symbol list is not kept by hand: it is read at build time from the real library's
exports and the imports of the libraries that need it (`nm -D`, with symbol versions), so
an av upgrade cannot leave one out. What a stub function does is kept by hand, per symbol
name pattern (RULES): an import no rule covers, or one that is data rather than a function,
stops the build with a sentence naming it, rather than shipping something untried.
Standard library only; needs gcc and binutils (nm, readelf).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

STUB_SOURCES = Path(__file__).resolve().parent / "stubs"


@dataclass(frozen=True)
class Stub:
    library: str  # pattern for the vendored file name (auditwheel adds a hash)
    source: str  # the hand-kept C file in packaging/stubs/
    what: str  # for messages and the licence file
    rules: tuple[tuple[str, str], ...]  # (symbol pattern, C line: {name}, {0}: group 1)


STUBS = (
    Stub(r"^libx265\b", "x265.c", "the x265 HEVC encoder",
         ((r"^x265_api_get_(\d+)$", "X265_API_GET({name}, {0})"),)),
    Stub(r"^libSvtAv1Enc\b", "svtav1.c", "the SVT-AV1 encoder",
         ((r"^svt_", "SVT_FAILS({name})"),)),
)


@dataclass(frozen=True)
class Symbol:
    name: str
    version: str  # "" when unversioned
    kind: str  # nm's letter: T/W/i functions, D/B/R data ...


class StubError(SystemExit):
    """The stub cannot be built faithfully: the build stops with this sentence."""


def stub_for(file_name: str) -> Stub | None:
    return next((s for s in STUBS if re.match(s.library, file_name)), None)


def _run(*command: str) -> str:
    if shutil.which(command[0]) is None:
        raise StubError(f"stub libraries: {command[0]} is missing (apt-get install "
                        f"{'gcc libc6-dev' if command[0] == 'gcc' else 'binutils'})")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise StubError(f"stub libraries: {' '.join(command)} failed: {done.stderr.strip()}")
    return done.stdout


def _symbols(path: Path, which: str) -> list[Symbol]:
    """`nm -D --defined-only` or `--undefined-only`: name, version (sym@VER, sym@@VER)."""
    out = []
    for line in _run("nm", "-D", f"--{which}-only", str(path)).splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        kind, full = fields[-2], fields[-1]
        name, _, version = full.partition("@")
        out.append(Symbol(name, version.lstrip("@"), kind))
    return out


def soname(path: Path) -> str:
    match = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", _run("readelf", "-d", str(path)))
    return match.group(1) if match else path.name


def needed(path: Path) -> list[str]:
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                      _run("readelf", "-d", str(path)))


def imported(real: Path, consumers: list[Path]) -> list[Symbol]:
    """The symbols the consumers take from `real`: their undefined symbols it defines."""
    defined = {(s.name, s.version): s for s in _symbols(real, "defined")}
    by_name = {s.name: s for s in defined.values()}
    found: dict[tuple[str, str], Symbol] = {}
    for consumer in consumers:
        for ref in _symbols(consumer, "undefined"):
            hit = defined.get((ref.name, ref.version)) or (
                by_name.get(ref.name) if not ref.version else None)
            if hit is not None:
                found[(hit.name, ref.version)] = Symbol(hit.name, ref.version, hit.kind)
    return sorted(found.values(), key=lambda s: s.name)


def source_text(stub: Stub, symbols: list[Symbol], library: str) -> str:
    lines = [f'#include "{STUB_SOURCES / stub.source}"', ""]
    for sym in symbols:
        if sym.kind not in ("T", "W", "i"):
            raise StubError(
                f"stub libraries: {library} exports {sym.name} as data (nm type {sym.kind}), "
                f"which a stub cannot imitate; {stub.what} must stay in the bundle")
        for pattern, line in stub.rules:
            match = re.match(pattern, sym.name)
            if match:
                lines.append(line.format(*match.groups(), name=sym.name))
                break
        else:
            raise StubError(
                f"stub libraries: FFmpeg now imports {sym.name} from {library}, which "
                f"packaging/stub_libraries.py has no rule for: say in STUBS how it must fail")
    return "\n".join(lines) + "\n"


def _version_script(symbols: list[Symbol]) -> str:
    nodes: dict[str, list[str]] = {}
    for sym in symbols:
        nodes.setdefault(sym.version, []).append(sym.name)
    return "".join(f"{v} {{ global: {'; '.join(names)}; }};\n" for v, names in nodes.items())


def build(real: Path, consumers: list[Path], folder: Path) -> Path:
    """The stub for `real` (a vendored library), in `folder` under the same file name."""
    stub = stub_for(real.name)
    if stub is None:
        raise StubError(f"stub libraries: no stub is defined for {real.name}")
    symbols = imported(real, consumers)
    folder.mkdir(parents=True, exist_ok=True)
    c_file = folder / f"{real.name}.c"
    c_file.write_text(source_text(stub, symbols, real.name), encoding="utf-8")
    target = folder / real.name
    command = ["gcc", "-shared", "-fPIC", "-O2", "-s", "-nostdlib", "-fvisibility=hidden",
               "-Wall", "-Werror", f"-Wl,-soname,{soname(real)}", "-o", str(target),
               str(c_file)]
    if any(s.version for s in symbols):
        script = folder / f"{real.name}.map"
        script.write_text(_version_script(symbols), encoding="utf-8")
        command.insert(-1, f"-Wl,--version-script={script}")
    _run(*command)
    missing = verify(target, symbols)
    if missing:
        raise StubError(f"stub libraries: {target.name} lacks {', '.join(missing)}")
    return target


def verify(stub: Path, symbols: list[Symbol]) -> list[str]:
    """Imported symbols the built stub does not define (with their versions)."""
    defined = {(s.name, s.version) for s in _symbols(stub, "defined")}
    names = {s.name for s in _symbols(stub, "defined")}
    return [f"{s.name}@{s.version}" if s.version else s.name for s in symbols
            if ((s.name, s.version) not in defined if s.version else s.name not in names)]


def replace(entries: list[tuple[str, str, str]], folder: Path) -> tuple[
    list[tuple[str, str, str]], dict[str, str]
]:
    """PyInstaller's binaries with each stubbed library's source swapped for its stub.

    Returns the new entries and, for the licence file, stub path -> its C source in the
    repository. A stubbed library nothing in the bundle needs is simply left out."""
    by_name = {Path(dest).name: (dest, src) for dest, src, _kind in entries}
    replaced: dict[str, str] = {}
    out = []
    for dest, src, kind in entries:
        name = Path(dest).name
        stub = stub_for(name) if kind == "BINARY" else None
        if stub is None:
            out.append((dest, src, kind))
            continue
        consumers = [Path(s) for d, s in by_name.values()
                     if d != dest and Path(s).exists() and _is_elf(Path(s))
                     and name in needed(Path(s))]
        if not consumers:
            continue
        built = build(Path(src), consumers, folder)
        replaced[str(built)] = f"packaging/stubs/{stub.source}"
        out.append((dest, str(built), kind))
    return out, replaced


def _is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="folder for the stubs")
    p.add_argument("--consumer", type=Path, action="append", default=[],
                   help="a library that imports from them (default: the others in their folder)")
    p.add_argument("libraries", type=Path, nargs="+")
    args = p.parse_args(argv)
    for real in args.libraries:
        consumers = args.consumer or [
            f for f in real.parent.iterdir()
            if f != real and f.is_file() and _is_elf(f) and real.name in needed(f)]
        built = build(real, consumers, args.out)
        print(f"{built} ({built.stat().st_size} bytes, for {real.stat().st_size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The packaged app's figures: clean build time, bundle size, .deb build time and size.

    .venv/bin/python benchmarks/bundle.py [--out /tmp/talkline-build/bench] [--no-build]

Builds from scratch (empty work folder) with pyinstaller.spec, then the .deb with
packaging/linux/build_deb.py, and prints the times, the sizes (MiB = 2**20 bytes, apparent
size as `du --apparent-size` counts it), the largest parts, and the checks the bundle must
pass: one copy of each library (libopus!), the x265 and SVT-AV1 stubs in place of the
real encoders (packaging/stub_libraries.py), PortAudio inside, no Qt translations, no
WebEngine/QML/3D, and the oldest glibc it runs on. `--no-build` only measures what is in
--out already. Targets: bundle <= 250 MiB (a naive build was 345 MiB).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MIB = 250.0
MIB = 2**20


def size(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())


def build_bundle(out: Path) -> float:
    shutil.rmtree(out / "work", ignore_errors=True)
    shutil.rmtree(out / "dist", ignore_errors=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
         "--workpath", str(out / "work"), "--distpath", str(out / "dist"),
         str(ROOT / "pyinstaller.spec")],
        check=True, cwd=ROOT,
    )
    return time.monotonic() - started


def build_deb(out: Path, bundle: Path) -> tuple[float, Path]:
    started = time.monotonic()
    done = subprocess.run(
        ["python3", str(ROOT / "packaging/linux/build_deb.py"), "--bundle", str(bundle),
         "--out", str(out)],
        check=True, capture_output=True, text=True,
    )
    return time.monotonic() - started, Path(done.stdout.split()[0])


def library_stem(name: str) -> str:
    """libopus-114e2b1a.so.0.11.1 -> libopus; libQt6Core.so.6 -> libQt6Core."""
    stem = re.sub(r"\.(so|dylib|dll)(\..*)?$", "", name)
    return re.sub(r"-[0-9a-f]{8}$", "", stem)


def report(bundle: Path, deb: Path | None, build_s: float | None, deb_s: float | None) -> None:
    internal = bundle / "_internal"
    total = size(bundle)
    print(f"Bundle {bundle}")
    if build_s is not None:
        print(f"  clean build        {build_s:7.1f} s")
    verdict = "met" if total / MIB <= TARGET_MIB else f"missed by {total / MIB - TARGET_MIB:.1f}"
    print(f"  size               {total / MIB:7.1f} MiB  ({total:,} bytes; target "
          f"<= {TARGET_MIB:.0f} MiB: {verdict})")
    parts = sorted(((size(p), p.name) for p in internal.iterdir()), reverse=True)
    print("  largest parts:     " + ", ".join(f"{n} {s / MIB:.1f}" for s, n in parts[:9]))

    files = [p for p in internal.rglob("*") if p.is_file() and not p.is_symlink()]
    libs = Counter(library_stem(p.name) for p in files if re.search(r"\.(so|dylib|dll)", p.name)
                   and p.name.startswith("lib"))
    doubles = sorted(name for name, n in libs.items() if n > 1)
    print(f"  libraries twice    {', '.join(doubles) or 'none'}  (libopus: {libs['libopus']})")
    # x265 and SVT-AV1 are stubs built from packaging/stubs/ (a few KiB; the real ones: 26 MiB).
    stubs = [p for p in files if re.match(r"lib(x265|SvtAv1Enc)\b", p.name)]
    print("  x265, SVT-AV1      " + (", ".join(
        f"{library_stem(p.name)} {p.stat().st_size / 1024:.0f} KiB "
        f"({'stub' if p.stat().st_size < 64 * 1024 else 'the real encoder'})"
        for p in stubs) or "none"))
    portaudio = [p.relative_to(bundle) for p in files if "portaudio" in p.name]
    print(f"  PortAudio          {', '.join(map(str, portaudio)) or 'MISSING'}")
    qt = internal / "PySide6"
    translations = list(qt.rglob("*.qm"))
    plugins = sorted(f"{p.parent.name}/{p.name}" for p in qt.rglob("plugins/*/*"))
    unwanted = [p.name for p in qt.rglob("*") if re.search(
        r"WebEngine|Qml|Quick|3D|Multimedia|Wayland|gtk", p.name)]
    print(f"  Qt translations    {len(translations)}; unwanted Qt parts: "
          f"{', '.join(unwanted) or 'none'}")
    print(f"  Qt plugins         {', '.join(plugins)}")
    glibc = max_glibc(files)
    print(f"  needs glibc        >= {glibc}")
    if deb is not None and deb.exists():
        print(f".deb {deb}")
        if deb_s is not None:
            print(f"  build              {deb_s:7.1f} s")
        print(f"  size               {deb.stat().st_size / MIB:7.1f} MiB")


def max_glibc(files: list[Path]) -> str:
    best = (0, 0)
    for path in files:
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
            data = f.read()
        for major, minor in re.findall(rb"GLIBC_(\d+)\.(\d+)", data):
            best = max(best, (int(major), int(minor)))
    return f"{best[0]}.{best[1]}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("/tmp/talkline-build/bench"))
    p.add_argument("--no-build", action="store_true", help="measure what --out holds")
    args = p.parse_args()
    out = args.out.resolve()
    bundle = out / "dist" / "Talkline"
    build_s = deb_s = None
    deb: Path | None = None
    if not args.no_build:
        out.mkdir(parents=True, exist_ok=True)
        build_s = build_bundle(out)
        deb_s, deb = build_deb(out, bundle)
    else:
        deb = next(iter(sorted(out.glob("talkline_*.deb"))), None)
    if not (bundle / "Talkline").exists():
        print(f"no bundle in {bundle}", file=sys.stderr)
        return 1
    report(bundle, deb, build_s, deb_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())

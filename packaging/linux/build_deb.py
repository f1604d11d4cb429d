"""Build talkline_<version>_<arch>.deb from the PyInstaller bundle, with dpkg-deb.

    python3 packaging/linux/build_deb.py --bundle /tmp/talkline-build/dist/Talkline \
        --out /tmp/talkline-build

Installs the bundle to /opt/talkline, links /usr/bin/talkline to it, and adds the desktop
entry and the hicolor icons. Depends are computed by dpkg-shlibdeps from what the bundle's
binaries link against but do not carry (the host libraries pyinstaller.spec leaves out:
X11/xcb, fontconfig, GLib, D-Bus, OpenSSL, ALSA, ...), plus libportaudio2, which the brief
of the app requires even though a copy ships inside. Standard library only: it runs with
the system python3 on a build machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGE = "talkline"
PREFIX = "opt/talkline"
EXECUTABLE = "Talkline"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# Always needed by the app whatever the binaries say: sound through the system's PortAudio
# setup; recommended: libpulse, loaded at run time for streams straight to a Pulse server
# (else they go through PortAudio's ALSA plugin), and a Secret Service (keys otherwise last
# one session).
EXTRA_DEPENDS = ("libportaudio2",)
RECOMMENDS = ("pulseaudio | pipewire-pulse", "libpulse0", "gnome-keyring | kwalletmanager",
              "libasound2-plugins")
DESCRIPTION = """\
Talk to realtime speech-to-speech AI models
 Talkline is a desktop voice assistant for realtime speech-to-speech APIs
 (OpenAI Realtime, Inworld, rtAV, any OpenAI-compatible endpoint) over WebRTC,
 with native audio, keys in the OS keyring, and a built-in local server that
 needs no key and no network."""


def _licenses():  # packaging/licenses.py ("packaging" is not importable: PyPA's name)
    spec = importlib.util.spec_from_file_location("talkline_licenses", HERE.parent / "licenses.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def write_copyright(bundle: Path, tree: Path) -> None:
    """/usr/share/doc/talkline/copyright (Debian's machine-readable format), generated from
    the licenses.json that pyinstaller.spec wrote from the bundle's actual contents."""
    licenses = _licenses()
    doc = tree / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True, exist_ok=True)
    (doc / "copyright").write_text(licenses.copyright_text(licenses.load(bundle)),
                                   encoding="utf-8")


def project_version() -> str:
    text = (ROOT / "desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not match:
        raise SystemExit("no __version__ in desktop/__init__.py")
    return match.group(1)


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def stage(bundle: Path, tree: Path) -> None:
    """The installed file system, under `tree`."""
    shutil.copytree(bundle, tree / PREFIX, symlinks=True)
    (tree / "usr/bin").mkdir(parents=True)
    (tree / "usr/bin/talkline").symlink_to(f"/{PREFIX}/{EXECUTABLE}")
    apps = tree / "usr/share/applications"
    apps.mkdir(parents=True)
    shutil.copy2(HERE / "talkline.desktop", apps / "talkline.desktop")
    icons = tree / "usr/share/icons/hicolor"
    for size in HICOLOR_SIZES:
        folder = icons / f"{size}x{size}/apps"
        folder.mkdir(parents=True)
        shutil.copy2(ROOT / "resources/icons" / f"talkline-{size}.png", folder / "talkline.png")
    (icons / "scalable/apps").mkdir(parents=True)
    shutil.copy2(ROOT / "resources/talkline.svg", icons / "scalable/apps/talkline.svg")
    write_copyright(bundle, tree)
    for path in tree.rglob("*"):  # whatever the umask of the build machine
        if path.is_symlink():
            continue
        mode = 0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644
        path.chmod(mode)


def shlib_depends(work: Path, tree: Path) -> str:
    """dpkg-shlibdeps over every ELF file: versioned Depends with Debian's alternatives.

    It wants a source tree (debian/control) and the staged package under debian/<name>;
    libraries found inside the package itself (the bundle's own) add no dependency."""
    control = work / "debian" / "control"
    control.parent.mkdir(parents=True, exist_ok=True)
    control.write_text(f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n")
    elves = sorted(str(p.relative_to(work)) for p in tree.rglob("*")
                   if p.is_file() and not p.is_symlink() and is_elf(p))
    lib_dirs = sorted({str(Path(e).parent) for e in elves})
    command = ["dpkg-shlibdeps", "-O", "--ignore-missing-info", f"-T{os.devnull}",
               *(f"-l{d}" for d in lib_dirs), *(f"-e{e}" for e in elves)]
    done = subprocess.run(command, cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dpkg-shlibdeps failed:\n{done.stderr[-3000:]}")
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("shlibs:Depends=")), "")
    return line.partition("=")[2].strip()


def merge_depends(computed: str) -> str:
    parts = [p.strip() for p in computed.split(",") if p.strip()]
    names = {re.split(r"[\s(|]", p, maxsplit=1)[0] for p in parts}
    parts += [extra for extra in EXTRA_DEPENDS if extra not in names]
    return ", ".join(sorted(parts))


def installed_size_kib(tree: Path) -> int:
    total = sum(p.lstat().st_size for p in tree.rglob("*") if not p.is_dir())
    return (total + 1023) // 1024


def write_control(tree: Path, version: str, arch: str, depends: str) -> None:
    debian = tree / "DEBIAN"
    debian.mkdir()
    fields = {
        "Package": PACKAGE,
        "Version": version,
        "Architecture": arch,
        "Maintainer": "Talkline developers <talkline@localhost>",
        "Installed-Size": str(installed_size_kib(tree)),
        "Depends": depends,
        "Recommends": ", ".join(RECOMMENDS),
        "Section": "sound",
        "Priority": "optional",
        "Description": DESCRIPTION,
    }
    (debian / "control").write_text(
        "".join(f"{k}: {v}\n" for k, v in fields.items()), encoding="utf-8"
    )
    (debian / "control").chmod(0o644)


def build(bundle: Path, out: Path, compression: str) -> Path:
    if not (bundle / EXECUTABLE).is_file():
        raise SystemExit(f"{bundle} is not a Talkline bundle (no {EXECUTABLE} in it)")
    version, arch = project_version(), architecture()
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="talkline-deb-", dir=out) as tmp:
        work = Path(tmp)
        tree = work / "debian" / PACKAGE
        stage(bundle, tree)
        depends = merge_depends(shlib_depends(work, tree))
        write_control(tree, version, arch, depends)
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(tree),
             str(deb)],
            check=True, stdout=subprocess.DEVNULL,
        )
    return deb


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True, help="the PyInstaller dist/Talkline")
    p.add_argument("--out", type=Path, required=True, help="where the .deb goes")
    p.add_argument("--compression", default="xz", choices=("xz", "zstd", "gzip", "none"))
    args = p.parse_args(argv)
    for tool in ("dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            print(f"build_deb: {tool} is missing (apt-get install dpkg-dev)", file=sys.stderr)
            return 1
    started = time.monotonic()
    deb = build(args.bundle.resolve(), args.out.resolve(), args.compression)
    print(f"{deb} ({deb.stat().st_size / 2**20:.1f} MiB, "
          f"{time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

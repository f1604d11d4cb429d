"""The stub libraries that replace x265 and SVT-AV1 in the Linux bundle
(packaging/stub_libraries.py), built with gcc from packaging/stubs/ as pyinstaller.spec does.

av runs here from a copy of its wheel's files whose two encoder libraries are the stubs,
in a separate process, exactly as the bundle loads them: every codec Talkline uses must
still work and the stubbed encoders must refuse to open with a Python exception. (The
installed .deb runs the same check: `talkline --self-test`, scripts/package --check.)
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import pytest

ROOT = Path(__file__).resolve().parents[2]
STUBS: dict[str, Any] = runpy.run_path(str(ROOT / "packaging" / "stub_libraries.py"))
LICENSES: dict[str, Any] = runpy.run_path(str(ROOT / "packaging" / "licenses.py"))
AV_LIBS = Path(av.__file__).resolve().parent.parent / "av.libs"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("gcc") is None,
    reason="the stubs are built on Linux, with gcc",
)

# Run in the child: the codec checks, and which x265 file the process really mapped.
CHILD = """
import json, av
from desktop.cli.media_check import check_codecs
report = check_codecs()
maps = [l.split()[-1] for l in open('/proc/self/maps') if 'libx265' in l or 'SvtAv1' in l]
print(json.dumps({"av": av.__file__, "worked": report.worked, "left_out": report.left_out,
                  "present": report.present, "maps": sorted(set(maps))}))
"""


def vendored(pattern: str) -> Path:
    return next(p for p in AV_LIBS.iterdir() if pattern in p.name)


@pytest.fixture(scope="module")
def stubbed_av(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the installed av (package and av.libs) with both encoders stubbed."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(AV_LIBS.parent / "av", site / "av")
    shutil.copytree(AV_LIBS, site / "av.libs")
    entries = [(f"av.libs/{p.name}", str(p), "BINARY") for p in sorted(AV_LIBS.iterdir())]
    replaced, _sources = STUBS["replace"](entries, site / "built")
    for dest, src, _kind in replaced:
        if Path(src).parent == site / "built":
            shutil.copyfile(src, site / dest)
    return site


def test_av_with_the_stubs_runs_every_codec_talkline_uses(stubbed_av: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{stubbed_av}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr  # not a crash
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["av"].startswith(str(stubbed_av))
    assert result["maps"] and all(m.startswith(str(stubbed_av)) for m in result["maps"])
    assert result["worked"] == ["Opus", "VP8", "H.264", "JPEG"]
    assert result["present"] == []
    assert result["left_out"] == {"libx265": "MemoryError: Cannot allocate memory",
                                  "libsvtav1": "ArgumentError: Invalid argument"}


def test_a_stub_is_tiny_and_keeps_the_file_name_and_soname(stubbed_av: Path) -> None:
    for pattern in ("libx265", "libSvtAv1Enc"):
        real = vendored(pattern)
        stub = stubbed_av / "av.libs" / real.name
        assert stub.stat().st_size < 64 * 1024 < real.stat().st_size
        assert STUBS["soname"](stub) == STUBS["soname"](real)
        assert STUBS["needed"](stub) == []  # not even libc


def _library(folder: Path, name: str, code: str, *links: Path) -> Path:
    source = folder / f"{name}.c"
    source.write_text(code, encoding="utf-8")
    target = folder / name
    flags = [f"-L{folder}", *[f"-l:{p.name}" for p in links]]
    subprocess.run(["gcc", "-shared", "-fPIC", f"-Wl,-soname,{name}", "-o", str(target),
                    str(source), *flags], check=True, capture_output=True)
    return target


def test_an_import_without_a_rule_stops_the_build_naming_it(tmp_path: Path) -> None:
    """What an av upgrade would do if its FFmpeg started calling a new x265 function."""
    real = _library(tmp_path, "libx265-0badc0de.so.300",
                    "void *x265_api_get_300(int d) { return 0; }\n"
                    "int x265_new_function(void) { return 0; }\n"
                    "int x265_max_bit_depth = 12;\n")
    consumer = _library(tmp_path, "libavcodec-test.so",
                        "extern void *x265_api_get_300(int); extern int x265_new_function(void);"
                        "\nint use(void) { return !!x265_api_get_300(8) + x265_new_function(); }",
                        real)
    with pytest.raises(SystemExit, match="imports x265_new_function from libx265-0badc0de"):
        STUBS["build"](real, [consumer], tmp_path / "out")
    data_user = _library(tmp_path, "libavcodec-data.so",
                         "extern int x265_max_bit_depth;\nint depth(void) "
                         "{ return x265_max_bit_depth; }", real)
    with pytest.raises(SystemExit, match="exports x265_max_bit_depth as data"):
        STUBS["build"](real, [data_user], tmp_path / "out")


def test_the_licence_file_credits_the_stubs_to_talkline_and_drops_x265(
    stubbed_av: Path,
) -> None:
    x264, x265, svt = (vendored(p) for p in ("libx264", "libx265", "libSvtAv1Enc"))
    built = stubbed_av / "built"
    entries = [(f"av.libs/{x264.name}", str(x264), "BINARY"),
               (f"av.libs/{x265.name}", str(built / x265.name), "BINARY"),
               (f"av.libs/{svt.name}", str(built / svt.name), "BINARY")]
    stubs = {str(built / x265.name): "packaging/stubs/x265.c",
             str(built / svt.name): "packaging/stubs/svtav1.c"}
    manifest = LICENSES["collect"](entries, "9.9.9", stubs)
    names = {c["name"]: c for c in manifest["components"]}
    assert "x265" not in names and "SVT-AV1" not in names
    assert names["x264"]["license"] == "GPL-2.0-or-later"
    stub = names["Talkline stub libraries"]
    assert stub["license"] == "MIT"
    assert stub["files"] == [f"opt/talkline/_internal/av.libs/{x265.name}",
                             f"opt/talkline/_internal/av.libs/{svt.name}"]
    assert "packaging/stubs/svtav1.c, packaging/stubs/x265.c" in stub["source"]
    assert "FFmpeg built with x264 (GPL-2.0-or-later" in manifest["statement"]
    assert "x265 (HEVC) and SVT-AV1 (AV1) encoders" in manifest["statement"]
    text = LICENSES["copyright_text"](manifest)
    assert "multicoreware" not in text and "Files: opt/talkline/_internal/av.libs/libx265" in text

"""Render resources/talkline.svg into the icon files the installers need.

    python packaging/icons.py          # rewrites resources/icons/

Writes PNGs for the Linux hicolor theme, a multi-size .ico for Windows and an .icns for
macOS. The outputs are committed, so Windows and macOS builders need nothing but the spec;
run this again only when the SVG changes. ICO and ICNS are written by hand (both are small
containers of PNG images) because Qt writes only one image per file.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "talkline.svg"
OUT = ROOT / "resources" / "icons"

HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types that hold PNG data (macOS 10.7+), by pixel size.
ICNS_TYPES = ((16, b"icp4"), (32, b"icp5"), (64, b"icp6"), (128, b"ic07"), (256, b"ic08"),
              (512, b"ic09"), (1024, b"ic10"))


def render_png(size: int) -> bytes:
    """The SVG drawn at `size` x `size` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """ICONDIR + one ICONDIRENTRY per size + the PNG payloads (Vista+ reads PNG entries)."""
    sizes = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payload = b"", b""
    for size in sizes:
        png = images[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in ICO
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        payload += png
        offset += len(png)
    return header + entries + payload


def icns(images: dict[int, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack(">I", 8 + len(images[size])) + images[size]
        for size, kind in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    sizes = sorted(set(HICOLOR_SIZES) | set(ICO_SIZES) | {s for s, _ in ICNS_TYPES})
    images = {size: render_png(size) for size in sizes}
    OUT.mkdir(parents=True, exist_ok=True)
    for size in HICOLOR_SIZES:
        (OUT / f"talkline-{size}.png").write_bytes(images[size])
    (OUT / "talkline.ico").write_bytes(ico({s: images[s] for s in ICO_SIZES}))
    (OUT / "talkline.icns").write_bytes(icns(images))
    del app
    print(f"wrote {len(HICOLOR_SIZES) + 2} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

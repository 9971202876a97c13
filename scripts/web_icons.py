"""Draw the browser app's home-screen icons (a tick on paa's blue) as PNGs into src/paa/web/static/.

    python scripts/web_icons.py

Plain Python (zlib), no imaging library: the pictures are simple shapes, and the same code always gives the same
bytes, so the committed icons are what this draws.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "paa" / "web" / "static"
BLUE = (11, 92, 173)
WHITE = (255, 255, 255)
SIZES = (192, 512)
TICK = ((0.27, 0.52), (0.43, 0.68), (0.74, 0.35))  # the tick's corners, as shares of the side


def _near_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float], width: float) -> bool:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= width * width


def pixels(size: int) -> bytes:
    rows = []
    width = 0.07
    for row in range(size):
        line = bytearray([0])  # filter: none
        y = (row + 0.5) / size
        for column in range(size):
            x = (column + 0.5) / size
            tick = _near_segment(x, y, TICK[0], TICK[1], width) or _near_segment(x, y, TICK[1], TICK[2], width)
            line += bytes(WHITE if tick else BLUE)
        rows.append(bytes(line))
    return b"".join(rows)


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels(size), 9))
        + chunk(b"IEND", b"")
    )


def main() -> int:
    for size in SIZES:
        (OUT / f"icon-{size}.png").write_bytes(png(size))
    return 0


if __name__ == "__main__":
    sys.exit(main())

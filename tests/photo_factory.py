"""Photos the tests make themselves: JPEGs with optional EXIF GPS, capture time and orientation.

Each photo is drawn and encoded once per session and cached by its parameters (bytes are immutable,
so a test can never change another's photo).
"""

from __future__ import annotations

import functools
import io
import random
from datetime import datetime
from fractions import Fraction

from PIL import Image, ImageDraw


def _dms(value: float):
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = Fraction((minutes_full - minutes) * 60).limit_denominator(10000)
    return (Fraction(degrees), Fraction(minutes), seconds)


@functools.cache
def jpeg(
    width: int = 800,
    height: int = 600,
    *,
    seed: int = 1,
    lat: float | None = None,
    lon: float | None = None,
    taken_at: datetime | None = None,
    orientation: int | None = None,
    quality: int = 85,
) -> bytes:
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        draw.rectangle(
            [x0, y0, x0 + rng.randrange(20, width // 2), y0 + rng.randrange(20, height // 2)],
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if taken_at is not None:
        exif_ifd = exif.get_ifd(0x8769)
        exif_ifd[0x9003] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def grey16_png(width: int, height: int, level: int = 0x8000) -> bytes:
    """A valid 16-bit greyscale PNG of one level, written row by row: tiny on disk (8000x8000 is about
    130 kB), two bytes a pixel once decoded (Pillow mode I;16)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = b"\x00" + level.to_bytes(2, "big") * width  # filter byte + big-endian samples
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)  # bit depth 16, colour type 0 (grey)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")

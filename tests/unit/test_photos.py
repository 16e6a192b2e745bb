"""fieldcheck.photos: formats, EXIF (GPS, time, orientation), display copies, thumbnails, pHash.

Most tests make their own photos (Pillow writes EXIF with a GPS IFD and orientation; pillow-heif
writes HEIC; broken EXIF is built byte by byte). Tests over the real photos in
../shared/testdata/photos (relative to the project root) skip cleanly when that folder is absent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
import random
import re
import struct
import subprocess
import sys
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import exifread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageStat, JpegImagePlugin
from PIL.TiffImagePlugin import IFDRational

from fieldcheck import photos
from fieldcheck.photos import (
    Exif,
    PhotoError,
    ProcessedPhoto,
    display_copy,
    intake_photo,
    phash_distance,
    process_photo,
)
from tests.photo_factory import grey16_png

PHOTOS = Path(__file__).resolve().parents[2].parent / "shared/testdata/photos"

T = Image.Transpose
# What to do to an upright picture so that a viewer applying EXIF orientation N shows it upright.
STORE_FOR_ORIENTATION = {
    1: None,
    2: T.FLIP_LEFT_RIGHT,
    3: T.ROTATE_180,
    4: T.FLIP_TOP_BOTTOM,
    5: T.TRANSPOSE,
    6: T.ROTATE_90,
    7: T.TRANSVERSE,
    8: T.ROTATE_270,
}
ORIENTATION_NAMES = {
    "Horizontal (normal)": 1,
    "Mirrored horizontal": 2,
    "Rotated 180": 3,
    "Mirrored vertical": 4,
    "Mirrored horizontal then rotated 90 CCW": 5,
    "Rotated 90 CW": 6,
    "Mirrored horizontal then rotated 90 CW": 7,
    "Rotated 90 CCW": 8,
}


# --------------------------------------------------------------------------------------------------
# Photo makers


def scene(width: int = 240, height: int = 160, seed: int = 0) -> Image.Image:
    """An asymmetric, textured RGB picture: any flip or rotation of it is easy to tell apart."""
    rng = random.Random(seed)
    img = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").rotate(90).resize((width, height)),
            Image.radial_gradient("L").resize((width, height)),
            Image.linear_gradient("L").resize((width, height)),
        ),
    )
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width // 3, height // 3), fill=(230, 20, 20))  # red top-left corner
    draw.ellipse((width * 3 // 4, height * 2 // 3, width - 1, height - 1), fill=(20, 20, 230))
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        size = rng.randrange(4, max(5, width // 5))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + size, y + size // 2), fill=colour)
    return img


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees as degrees/minutes/seconds rationals, the way most cameras write them."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 10_000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10_000)


def exif_bytes(
    *,
    lat: float | None = None,
    lon: float | None = None,
    gps: dict | None = None,
    orientation: int | None = None,
    make: str | None = None,
    model: str | None = None,
    original: str | None = None,
    offset: str | None = None,
    digitized: str | None = None,
) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    if original or digitized or offset:
        sub = exif.get_ifd(0x8769)
        if original:
            sub[0x9003] = original
        if offset:
            sub[0x9011] = offset
        if digitized:
            sub[0x9004] = digitized
    if lat is not None or lon is not None or gps:
        ifd = exif.get_ifd(0x8825)
        if lat is not None:
            ifd[1], ifd[2] = ("N" if lat >= 0 else "S"), dms(lat)
        if lon is not None:
            ifd[3], ifd[4] = ("E" if lon >= 0 else "W"), dms(lon)
        ifd.update(gps or {})
    return exif.tobytes()


def encode(img: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        params.setdefault("quality", 90)
    img.save(out, fmt, **params)
    return out.getvalue()


def jpeg(img: Image.Image | None = None, **exif) -> bytes:
    img = img or scene()
    return encode(img, "JPEG", exif=exif_bytes(**exif)) if exif else encode(img, "JPEG")


def heic(img: Image.Image | None = None, **exif) -> bytes:
    params = {"quality": 90}
    if exif:
        params["exif"] = exif_bytes(**exif)
    return encode(img or scene(), "HEIF", **params)


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.copy()


def dhash_of(img: Image.Image) -> str:
    """A dHash written out independently of fieldcheck's: 9x8 grey box averages, left > right."""
    small = img.convert("L").resize((9, 8), Image.Resampling.BOX)
    bits = "".join(
        "1" if small.getpixel((x, y)) > small.getpixel((x + 1, y)) else "0"
        for y in range(8)
        for x in range(8)
    )
    return f"{int(bits, 2):016x}"


def mean_abs_diff(a: Image.Image, b: Image.Image, size: tuple[int, int] | None = None) -> float:
    a, b = a.convert("RGB"), b.convert("RGB")
    if size:
        a, b = a.resize(size, Image.Resampling.BOX), b.resize(size, Image.Resampling.BOX)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the image data."""
    assert data[:2] == b"\xff\xd8"
    pos, segments = 2, []
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        if marker == 0xDA:  # start of scan
            break
        pos += 2 + length
    return segments


# Hand-built TIFF/EXIF blocks, for the broken cases Pillow refuses to write.
BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 1, 2, 3, 4, 5, 10


def rationals(*pairs: tuple[int, int], signed: bool = False) -> bytes:
    return b"".join(struct.pack("<ii" if signed else "<II", n, d) for n, d in pairs)


def tiff(ifd0: list[tuple], gps: list[tuple] | None = None, *, gps_pointer: int | None = None) -> bytes:
    """Little-endian TIFF: IFD0 (+ a GPS IFD). Entries are (tag, type, count, value bytes)."""
    entries = list(ifd0)
    if gps is not None or gps_pointer is not None:
        entries.append((0x8825, LONG, 1, None))
    entries.sort(key=lambda e: e[0])
    ifd0_at = 8
    gps_at = ifd0_at + 2 + 12 * len(entries) + 4
    data_at = gps_at + (2 + 12 * len(gps) + 4 if gps is not None else 0)
    data = bytearray()

    def entry(tag, typ, count, value):
        if value is None:
            value = struct.pack("<I", gps_at if gps_pointer is None else gps_pointer)
        if len(value) <= 4:
            field = value.ljust(4, b"\0")
        else:
            field = struct.pack("<I", data_at + len(data))
            data.extend(value + b"\0" * (len(value) % 2))
        return struct.pack("<HHI", tag, typ, count) + field

    body = struct.pack("<H", len(entries)) + b"".join(entry(*e) for e in entries) + b"\0\0\0\0"
    if gps is not None:
        body += struct.pack("<H", len(gps)) + b"".join(entry(*e) for e in gps) + b"\0\0\0\0"
    return b"II*\0" + struct.pack("<I", ifd0_at) + body + bytes(data)


def ascii_value(text: str) -> bytes:
    return text.encode() + b"\0"


def jpeg_with_raw_exif(tiff_bytes: bytes, img: Image.Image | None = None) -> bytes:
    return encode(img or scene(96, 64), "JPEG", exif=b"Exif\x00\x00" + tiff_bytes)


GOOD_GPS = [
    (1, ASCII, 2, b"S\0"),
    (2, RATIONAL, 3, rationals((33, 1), (51, 1), (3540, 100))),
    (3, ASCII, 2, b"E\0"),
    (4, RATIONAL, 3, rationals((151, 1), (12, 1), (3000, 100))),
]
MAKE = (0x010F, ASCII, 4, b"Cam\0")


# --------------------------------------------------------------------------------------------------
# Real photos


def real(name: str) -> bytes:
    path = PHOTOS / name
    if not path.is_file():
        pytest.skip(f"real test photos not available ({PHOTOS})")
    return path.read_bytes()


def _manifest() -> list[dict[str, str]]:
    path = PHOTOS / "MANIFEST.tsv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


MANIFEST = _manifest()
NO_REAL_PHOTOS = pytest.param(
    None, marks=pytest.mark.skip(reason=f"real test photos not available ({PHOTOS})")
)


def manifest_params(predicate=lambda row: True):
    rows = [pytest.param(row, id=row["file"]) for row in MANIFEST if predicate(row)]
    return rows or [NO_REAL_PHOTOS]


def real_files(*patterns: str):
    names = sorted({p.relative_to(PHOTOS).as_posix() for pat in patterns for p in PHOTOS.glob(pat)})
    return [pytest.param(name, id=name) for name in names] or [NO_REAL_PHOTOS]


# --------------------------------------------------------------------------------------------------
# The result object


def test_result_describes_the_original_and_the_renditions():
    data = jpeg(scene(2400, 1800), lat=48.2, lon=16.37, make="Cam", model="X1")
    result = process_photo(data)
    assert isinstance(result, ProcessedPhoto)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    assert (result.format, result.mime) == ("jpeg", "image/jpeg")
    assert (result.width, result.height) == (2400, 1800)
    assert result.display_size == (1600, 1200) == decode(result.display).size
    assert result.thumb_size == (320, 240) == decode(result.thumb).size
    assert re.fullmatch(r"[0-9a-f]{16}", result.phash)
    # The hash is of the thumbnail: the decoded thumbnail JPEG hashes within a bit or two of it, and
    # this textured scene is far from the all-zero hash of a flat picture.
    assert phash_distance(result.phash, dhash_of(decode(result.thumb))) <= 3
    assert phash_distance(result.phash, "0" * 16) >= 8
    assert result.exif.make == "Cam" and result.exif.model == "X1"
    with pytest.raises(AttributeError):
        result.size = 1  # type: ignore[misc]  # frozen


def test_identical_bytes_identical_sha256_and_different_bytes_differ():
    data = jpeg()
    first, second = process_photo(data), process_photo(bytes(data))
    assert first.sha256 == second.sha256 == hashlib.sha256(data).hexdigest()
    assert first.display == second.display and first.thumb == second.thumb
    other = jpeg(make="Other")  # same pixels, one EXIF tag more
    assert process_photo(other).sha256 != first.sha256
    assert process_photo(other).phash == first.phash


def test_a_given_sha256_is_taken_as_the_originals():
    """A filing hashes each upload first (idempotency) and hands the hash on: one pass over the bytes."""
    data = jpeg()
    given = hashlib.sha256(data).hexdigest()
    assert process_photo(data, sha256=given) == process_photo(data)
    assert process_photo(data, sha256="0" * 64).sha256 == "0" * 64  # taken as given, not recomputed


def test_accepts_bytearray_and_memoryview():
    data = jpeg()
    assert process_photo(bytearray(data)).sha256 == process_photo(memoryview(data)).sha256  # type: ignore[arg-type]


def test_concurrent_calls_give_the_same_results():
    data = jpeg(scene(2000, 1500), lat=1.0, lon=2.0)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: process_photo(data), range(8)))
    assert len({(r.sha256, r.phash, r.display, r.thumb, r.exif) for r in results}) == 1


def test_process_photo_runs_in_the_callers_thread_only(monkeypatch):
    """No helper threads: a server's worker processes are the parallelism (issue 13)."""

    def no_threads(self):
        raise AssertionError(f"process_photo started a thread: {self.name}")

    monkeypatch.setattr(threading.Thread, "start", no_threads)
    result = process_photo(jpeg(scene(3000, 2000), lat=1.0, lon=2.0))
    assert result.display_size == (1600, 1067)


def test_display_bytes_do_not_depend_on_the_machine(monkeypatch):
    """The same photo gives the same display copy whatever the cores and the load."""
    data = jpeg(scene(3000, 2000))
    first = process_photo(data)
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0.0, 0.0))
    assert process_photo(data).display == first.display
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    monkeypatch.setattr("os.getloadavg", lambda: (9.0, 9.0, 9.0))
    assert process_photo(data).display == first.display


def test_display_resize_falls_back_to_pillow_without_libvips(monkeypatch):
    """libvips (pyvips) resamples the display copy when installed; without it Pillow gives the same
    size and nearly the same picture."""
    from fieldcheck.photos import render

    data = jpeg(scene(3000, 2000))
    with_vips = process_photo(data)
    monkeypatch.setattr(render, "pyvips", None)
    with_pillow = process_photo(data)
    assert with_pillow.display_size == with_vips.display_size == (1600, 1067)
    a, b = (Image.open(io.BytesIO(p.display)).convert("L") for p in (with_vips, with_pillow))
    assert ImageStat.Stat(ImageChops.difference(a, b)).mean[0] < 2
    assert phash_distance(with_vips.phash, with_pillow.phash) <= 4
    assert render.pyvips is None or with_vips.display != with_pillow.display  # libvips did resample


# --------------------------------------------------------------------------------------------------
# Formats, decided by content


def test_empty_file():
    for empty in (b"", bytearray()):
        with pytest.raises(PhotoError) as err:
            process_photo(empty)
        assert err.value.code == "empty"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"hello, this is a text file someone named photo.jpg\n", id="text"),
        pytest.param(b"<!doctype html><html><body>not a photo</body></html>", id="html"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", id="pdf"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00\x08\x00", id="zip"),
        pytest.param(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\0" * 64, id="mp4"),
        pytest.param(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\0" * 64, id="mov"),
        pytest.param(bytes(range(256)) * 4, id="binary"),
        pytest.param(b"\xff", id="one-byte"),
    ],
)
def test_not_an_image(data):
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.code == "not_an_image"
    assert "not an image" in err.value.message and "JPEG" in err.value.message


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF"), ("ICO", "ICO")],
)
def test_other_image_formats_are_unsupported(fmt, name):
    data = encode(scene(64, 48).convert("P") if fmt == "GIF" else scene(64, 48), fmt)
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.code == "unsupported_format"
    assert name in err.value.message


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\0" * 64, id="avif"),
        pytest.param(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', id="svg"),
        pytest.param(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\0" * 64, id="jpeg2000"),
    ],
)
def test_more_unsupported_formats(data):
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.code == "unsupported_format"


def test_garbage_behind_a_jpeg_signature_is_reported_as_damaged():
    with pytest.raises(PhotoError) as err:
        process_photo(b"\xff\xd8\xff\xe0" + b"garbage" * 20)
    assert err.value.code == "truncated"


@pytest.mark.parametrize(
    ("fmt", "params", "expected", "mime"),
    [
        ("JPEG", {}, "jpeg", "image/jpeg"),
        ("PNG", {}, "png", "image/png"),
        ("WEBP", {"quality": 80}, "webp", "image/webp"),
        ("WEBP", {"lossless": True}, "webp", "image/webp"),
        ("HEIF", {"quality": 80}, "heif", "image/heic"),
    ],
)
def test_supported_formats(fmt, params, expected, mime):
    picture = scene(300, 200)
    result = process_photo(encode(picture, fmt, **params))
    assert (result.format, result.mime) == (expected, mime)
    assert (result.width, result.height) == (300, 200)
    assert mean_abs_diff(decode(result.display), picture) < 8


# --------------------------------------------------------------------------------------------------
# Truncated and damaged files


@pytest.mark.parametrize("fraction", [0.05, 0.2, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_truncated_jpeg(fraction, progressive):
    data = encode(scene(400, 300), "JPEG", quality=90, progressive=progressive)
    with pytest.raises(PhotoError) as err:
        process_photo(data[: int(len(data) * fraction)])
    assert err.value.code == "truncated"


def test_truncated_large_jpeg_decoded_in_draft_mode():
    data = jpeg(scene(3400, 2400))
    process_photo(data)  # whole: fine
    with pytest.raises(PhotoError) as err:
        process_photo(data[: len(data) // 2])
    assert err.value.code == "truncated"
    with pytest.raises(PhotoError):
        process_photo(data[:-200])


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_truncated_12_mp_jpeg_is_refused_at_intake_decoded_at_one_eighth(monkeypatch, progressive):
    """A filing decodes a 12 MP photo at 1/8 scale, which still entropy-decodes every byte: a file cut
    anywhere, even by its last bytes, is refused as truncated just as the full decode refused it."""
    picture = Image.blend(scene(4000, 3000), Image.effect_noise((4000, 3000), 50).convert("RGB"), 0.3)
    data = encode(picture, "JPEG", quality=92, progressive=progressive, exif=exif_bytes(orientation=6))
    sizes = spy_on_decoded_sizes(monkeypatch)
    assert intake_photo(data).thumb_size == (240, 320)  # whole: fine
    assert sizes == [(500, 375)]
    for cut in (len(data) // 10, len(data) // 2, len(data) * 9 // 10, len(data) - 200, len(data) - 2):
        with pytest.raises(PhotoError) as err:
            intake_photo(data[:cut])
        assert err.value.code == "truncated", cut
    assert sizes[1:] == [(500, 375)] * (len(sizes) - 1)  # each refusal came from the 1/8 decode


def test_jpeg_missing_only_its_end_marker_counts_as_truncated():
    """Strict on purpose: Pillow cannot tell a lost 2-byte end marker from a cut in the last scan."""
    data = jpeg()
    assert data.endswith(b"\xff\xd9")
    with pytest.raises(PhotoError) as err:
        process_photo(data[:-2])
    assert err.value.code == "truncated"


@pytest.mark.parametrize(
    ("fmt", "params"), [("PNG", {}), ("WEBP", {"quality": 80}), ("HEIF", {"quality": 80})]
)
def test_truncated_other_formats(fmt, params):
    data = encode(Image.effect_noise((300, 200), 40).convert("RGB"), fmt, **params)
    for cut in (len(data) // 3, len(data) // 2, len(data) * 3 // 4):
        with pytest.raises(PhotoError) as err:
            process_photo(data[:cut])
        assert err.value.code == "truncated", cut


def test_real_jpeg_cut_in_half():
    data = real("gps/DSCN0010.jpg")
    with pytest.raises(PhotoError) as err:
        process_photo(data[: len(data) // 2])
    assert err.value.code == "truncated"


def test_load_truncated_images_must_stay_off(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        process_photo(jpeg())


# --------------------------------------------------------------------------------------------------
# Decompression bombs


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of width x height, all black: tiny on disk, huge in memory."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_png_is_refused_before_decoding(monkeypatch):
    data = bomb_png()
    assert len(data) < 200_000  # 400 megapixels in well under 200 kB

    def must_not_decode(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(photos.render, "decode", must_not_decode)
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.code == "too_many_pixels"
    assert "20000x20000" in err.value.message


def test_jpeg_header_claiming_a_huge_image_is_refused():
    data = bytearray(jpeg(scene(64, 48)))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 60_000, 60_000)  # height, width
    with pytest.raises(PhotoError) as err:
        process_photo(bytes(data))
    assert err.value.code == "too_many_pixels"


def test_max_pixels_is_the_limit():
    data = jpeg(scene(100, 100))
    assert process_photo(data, max_pixels=10_000).width == 100
    with pytest.raises(PhotoError) as err:
        process_photo(data, max_pixels=9_999)
    assert err.value.code == "too_many_pixels"


def test_pillows_global_bomb_limit_never_leaks_a_warning(monkeypatch):
    """Our max_pixels is the one limit; Pillow's process-wide one (a warning first) is not consulted,
    so no DecompressionBombWarning can escape (pytest turns warnings into errors here)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    assert process_photo(jpeg(scene(200, 100))).width == 200
    with pytest.raises(PhotoError) as err:
        process_photo(jpeg(scene(200, 100)), max_pixels=1_000)
    assert err.value.code == "too_many_pixels"


# --------------------------------------------------------------------------------------------------
# Display copy and thumbnail


@pytest.mark.parametrize(
    ("size", "fmt", "display", "thumb"),
    [
        ((4000, 3000), "JPEG", (1600, 1200), (320, 240)),
        ((3000, 4000), "JPEG", (1200, 1600), (240, 320)),
        ((2500, 1000), "PNG", (1600, 640), (320, 128)),
        ((1601, 900), "JPEG", (1600, 899), (320, 180)),
        ((5000, 20), "JPEG", (1600, 6), (320, 1)),
        ((20, 5000), "PNG", (6, 1600), (1, 320)),
        ((1600, 1200), "JPEG", (1600, 1200), (320, 240)),
        ((800, 600), "JPEG", (800, 600), (320, 240)),
        ((200, 100), "PNG", (200, 100), (200, 100)),
        ((1, 1), "PNG", (1, 1), (1, 1)),
    ],
)
def test_display_and_thumbnail_sizes(size, fmt, display, thumb):
    result = process_photo(encode(scene(*size), fmt))
    assert (result.width, result.height) == size
    assert result.display_size == display == decode(result.display).size
    assert result.thumb_size == thumb == decode(result.thumb).size
    assert max(result.display_size) <= 1600 and max(result.thumb_size) <= 320


def spy_on_decoded_sizes(monkeypatch) -> list[tuple[int, int]]:
    """The size each JPEG is decoded at (recorded on its first load())."""
    sizes = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        if not getattr(self, "spied", False):  # load() runs more than once per image
            self.spied = True
            sizes.append(self.size)  # the size the decoder will produce
        return real_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    return sizes


def test_jpeg_is_decoded_at_the_smallest_dct_scale_that_keeps_1600(monkeypatch):
    """The display copy (made on first view) from the decode that keeps 1600 px."""
    sizes = spy_on_decoded_sizes(monkeypatch)
    display_copy(jpeg(scene(4000, 3000)))
    display_copy(jpeg(scene(6600, 4400)))
    display_copy(jpeg(scene(3100, 2000)))
    assert sizes == [(2000, 1500), (1650, 1100), (3100, 2000)]


def test_intake_decodes_a_jpeg_at_the_smallest_dct_scale_that_keeps_320(monkeypatch):
    """A filing decodes at 1/8 for a 12 MP photo (the thumbnail's 320 px), and makes no display copy."""
    sizes = spy_on_decoded_sizes(monkeypatch)
    results = [
        intake_photo(jpeg(scene(*size))) for size in ((4000, 3000), (1600, 1200), (2000, 300), (300, 200))
    ]
    assert sizes == [(500, 375), (400, 300), (500, 75), (300, 200)]
    assert [r.display for r in results] == [None] * 4
    assert [r.thumb_size for r in results] == [(320, 240), (320, 240), (320, 48), (300, 200)]
    assert [r.display_size for r in results] == [(1600, 1200), (1600, 1200), (1600, 240), (300, 200)]


@pytest.mark.parametrize(
    ("size", "scale"),
    [
        ((6400, 4800), 4),  # exactly 1600 at 1/4
        ((6397, 4797), 4),  # libjpeg rounds up: 1600x1200
        ((6396, 4797), 2),  # 1/4 would give 1599
        ((6400, 4801), 4),  # Pillow's own choice for a (1600, 1201) request would be 1/2
        ((4800, 6400), 4),
        ((8160, 6120), 4),  # 50 MP phone
        ((4000, 3000), 2),
        ((3200, 2400), 2),
        ((3199, 2399), 2),
        ((3198, 2398), 1),
        ((12800, 300), 8),
        ((1600, 1200), 1),
        ((640, 480), 1),
    ],
)
def test_draft_scale_is_the_smallest_that_keeps_a_1600_px_long_edge(size, scale):
    assert photos.draft_scale(size) == scale
    decoded = [-(-edge // scale) for edge in size]
    assert max(decoded) >= min(1600, max(size))
    if scale < 8:
        assert max(-(-edge // (scale * 2)) for edge in size) < 1600  # the next scale would be too small


@pytest.mark.parametrize(("size", "decoded"), [((6400, 4801), (1600, 1201)), ((3200, 2400), (1600, 1200))])
def test_jpeg_decoded_at_the_chosen_scale_gives_a_1600_px_display(monkeypatch, size, decoded):
    seen = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        seen.append(self.size)  # first call: the size the decoder will produce
        return real_load(self)

    data = encode(Image.new("RGB", size, (90, 120, 150)), "JPEG", quality=50)
    intake = intake_photo(data)
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    display = display_copy(data)
    assert seen[0] == decoded
    assert max(intake.display_size) == 1600 and decode(display).size == intake.display_size


@pytest.mark.parametrize(
    ("size", "fmt", "orientation"),
    [
        ((1601, 3225), "JPEG", 1),  # fit() of the full size would say 794 px wide, the 1/2 decode gives 795
        ((3225, 1601), "JPEG", 6),
        ((6396, 4797), "JPEG", 1),
        ((6400, 4801), "JPEG", 8),
        ((4000, 3000), "JPEG", 6),
        ((1599, 1201), "JPEG", 1),
        ((2500, 1001), "PNG", 1),
        ((1801, 1203), "WEBP", 1),
        ((1700, 1250), "HEIF", 1),
    ],
)
def test_display_size_known_at_intake_is_the_size_of_the_copy_made_later(size, fmt, orientation):
    img = Image.new("RGB", size, (90, 120, 150))
    params = {"quality": 50} if fmt in ("JPEG", "WEBP", "HEIF") else {}
    if orientation != 1:
        params["exif"] = exif_bytes(orientation=orientation)
    data = encode(img, fmt, **params)
    intake = intake_photo(data)
    assert intake.display is None
    assert decode(display_copy(data)).size == intake.display_size
    if size == (1601, 3225):  # the test can tell: fit() of the full size is a pixel off here
        assert photos.render.fit(size, 1600) == (794, 1600) != intake.display_size


def test_display_copy_is_the_same_bytes_every_time():
    """What the first view stores is what process_photo makes (as a filing made it before session 10),
    byte for byte, so two processes making it at once write the same blob."""
    data = jpeg(scene(3000, 2000), orientation=6, lat=1.0, lon=2.0)
    made = display_copy(data)
    assert made == display_copy(bytearray(data)) == process_photo(data).display  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as pool:
        assert set(pool.map(lambda _: display_copy(data), range(4))) == {made}
    assert decode(made).size == (1067, 1600) == intake_photo(data).display_size


def test_display_and_thumbnail_carry_no_metadata():
    data = jpeg(scene(2000, 1500), lat=-12.0464, lon=-77.0428, make="SecretCam", model="M9", orientation=6)
    result = process_photo(data)
    for rendition in (result.display, result.thumb):
        markers = [marker for marker, _ in jpeg_segments(rendition)]
        app_markers = [m for m in markers if 0xE1 <= m <= 0xEF]  # APP1..APP15: EXIF, XMP, ICC, ...
        assert app_markers == [] and 0xFE not in markers  # no comment either
        assert b"Exif" not in rendition and b"SecretCam" not in rendition and b"ICC_PROFILE" not in rendition
        with Image.open(io.BytesIO(rendition)) as img:
            assert img.mode == "RGB"
            assert not img.getexif() and "icc_profile" not in img.info and "exif" not in img.info


def test_icc_profile_is_not_copied_and_a_broken_one_is_ignored():
    picture = scene()
    result = process_photo(encode(picture, "JPEG", quality=92, icc_profile=b"this is no ICC profile"))
    assert b"ICC_PROFILE" not in result.display
    assert mean_abs_diff(decode(result.display), picture) < 6


def test_wide_gamut_profile_is_converted_to_srgb():
    """Display P3 from an iPhone: the same numbers mean more saturated colours than in sRGB."""
    with Image.open(io.BytesIO(real("heic/IMG_5195.HEIC"))) as img:
        p3 = img.info["icc_profile"]
    green = Image.new("RGB", (64, 64), (40, 200, 40))
    tagged = process_photo(encode(green, "JPEG", quality=95, icc_profile=p3))
    untagged = process_photo(encode(green, "JPEG", quality=95))
    r, g, b = decode(tagged.display).getpixel((32, 32))
    r0, g0, b0 = decode(untagged.display).getpixel((32, 32))
    assert g > g0 + 5 or r < r0 - 5  # P3 green is more saturated than sRGB green


@pytest.mark.parametrize("mode", ["RGBA", "LA", "PA-like"])
def test_transparent_areas_become_white(mode):
    img = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    img.paste((200, 30, 30, 255), (100, 0, 200, 100))
    if mode == "LA":
        img = img.convert("LA")
    elif mode == "PA-like":
        img = img.convert("RGB").quantize(4)
        img.info["transparency"] = img.getpixel((10, 10))
    display = decode(process_photo(encode(img, "PNG")).display)
    assert display.mode == "RGB"
    assert min(display.getpixel((20, 50))) >= 250  # transparent -> white
    assert max(display.getpixel((180, 50))) < 240  # opaque part keeps its colour


def test_sixteen_bit_grey_png_keeps_its_brightness():
    img = Image.new("I;16", (64, 64), 32768)
    display = decode(process_photo(encode(img, "PNG")).display)
    assert all(abs(v - 128) <= 2 for v in display.getpixel((32, 32)))


@pytest.mark.parametrize("mode", ["L", "1", "CMYK", "P"])
def test_other_modes_become_rgb(mode):
    picture = scene(120, 80)
    converted = picture.convert(mode)
    fmt = "JPEG" if mode in ("L", "CMYK") else "PNG"
    display = decode(process_photo(encode(converted, fmt)).display)
    assert display.mode == "RGB" and display.size == (120, 80)
    if mode in ("CMYK", "P"):
        assert mean_abs_diff(display, picture) < 25


# --------------------------------------------------------------------------------------------------
# Orientation


def assert_upright(shown: Image.Image, upright: Image.Image, tolerance: float = 12) -> None:
    """``shown`` matches ``upright`` and is clearly closer to it than to any flip or rotation of it."""
    landscape = shown.width >= shown.height
    size = (48, 32) if landscape else (32, 48)
    distances = {}
    for orientation, transpose in STORE_FOR_ORIENTATION.items():
        variant = upright.transpose(transpose) if transpose is not None else upright
        if (variant.width >= variant.height) == landscape:
            distances[orientation] = mean_abs_diff(shown, variant, size)
    best = min(distances, key=distances.get)
    assert best == 1, distances
    assert distances[1] < tolerance, distances
    assert all(d > distances[1] + 10 for o, d in distances.items() if o != 1), distances


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_all_eight_exif_orientations_end_upright(orientation, fmt):
    upright = scene(96, 64)
    transpose = STORE_FOR_ORIENTATION[orientation]
    stored = upright.transpose(transpose) if transpose is not None else upright
    params = {"quality": 95} if fmt != "PNG" else {}
    result = process_photo(encode(stored, fmt, exif=exif_bytes(orientation=orientation), **params))
    assert result.exif.orientation == orientation
    assert (result.width, result.height) == (96, 64)
    assert_upright(decode(result.display), upright)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_applied_on_the_draft_path(orientation):
    upright = scene(2400, 1800)
    transpose = STORE_FOR_ORIENTATION[orientation]
    stored = upright.transpose(transpose) if transpose is not None else upright
    result = process_photo(jpeg(stored, orientation=orientation))
    assert (result.width, result.height) == (2400, 1800)
    assert result.display_size == (1600, 1200)
    assert_upright(decode(result.display), upright)


@pytest.mark.parametrize("value", [0, 9, 255])
def test_invalid_orientation_is_ignored(value):
    picture = scene(96, 64)
    result = process_photo(jpeg(picture, orientation=value))
    assert result.exif.orientation is None
    assert_upright(decode(result.display), picture)


@pytest.mark.parametrize("kind", ["landscape", "portrait"])
@pytest.mark.parametrize("orientation", range(2, 9))
def test_real_orientation_photos_all_look_the_same(kind, orientation):
    reference = decode(process_photo(real(f"orientation/{kind}_1.jpg")).thumb)
    result = process_photo(real(f"orientation/{kind}_{orientation}.jpg"))
    assert result.exif.orientation == orientation
    shown = decode(result.thumb)
    assert shown.size == reference.size
    assert_upright(shown, reference, tolerance=8)


# --------------------------------------------------------------------------------------------------
# GPS


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        pytest.param(48.858370, 2.294481, id="N-E"),
        pytest.param(40.689247, -74.044502, id="N-W"),
        pytest.param(-33.856784, 151.215297, id="S-E"),
        pytest.param(-22.951916, -43.210487, id="S-W"),
    ],
)
@pytest.mark.parametrize("fmt", ["JPEG", "HEIF", "PNG", "WEBP"])
def test_gps_in_all_four_hemispheres(lat, lon, fmt):
    data = encode(
        scene(64, 48), fmt, exif=exif_bytes(lat=lat, lon=lon), **({"quality": 80} if fmt != "PNG" else {})
    )
    exif = process_photo(data).exif
    assert exif.lat == pytest.approx(lat, abs=1e-6)
    assert exif.lon == pytest.approx(lon, abs=1e-6)


@pytest.mark.parametrize(
    ("lat_value", "lon_value", "expected"),
    [
        pytest.param(
            ((43, 1), (28, 1), (176399999, 100000000)),
            ((11, 1), (53, 1), (742199999, 100000000)),
            (43.467157, 11.885395),
            id="dms-fine-seconds",
        ),
        pytest.param(
            ((43, 1), (2356783, 50000), (0, 1)),
            ((11, 1), (703858, 50000), (0, 1)),
            (43.785594, 11.234619),
            id="decimal-minutes",
        ),
        pytest.param(
            ((4378559, 100000), (0, 1), (0, 1)),
            ((1123462, 100000), (0, 1), (0, 1)),
            (43.78559, 11.23462),
            id="decimal-degrees",
        ),
        pytest.param(((4378559, 100000),), ((1123462, 100000),), (43.78559, 11.23462), id="single-rational"),
        pytest.param(
            ((51, 1), (1, 1), (30, 1)), ((7, 1), (35, 1), (31, 1)), (51.025, 7.591944), id="whole-numbers"
        ),
    ],
)
def test_gps_rational_encodings(lat_value, lon_value, expected):
    gps = [
        (1, ASCII, 2, b"N\0"),
        (2, RATIONAL, len(lat_value), rationals(*lat_value)),
        (3, ASCII, 2, b"E\0"),
        (4, RATIONAL, len(lon_value), rationals(*lon_value)),
    ]
    exif = process_photo(jpeg_with_raw_exif(tiff([MAKE], gps))).exif
    assert exif.lat == pytest.approx(expected[0], abs=1e-5)
    assert exif.lon == pytest.approx(expected[1], abs=1e-5)
    assert exif.make == "Cam"


def _gps_variant(**replace) -> list[tuple]:
    entries = {tag: (tag, typ, count, value) for tag, typ, count, value in GOOD_GPS}
    for tag, new in replace.items():
        number = {"lat_ref": 1, "lat": 2, "lon_ref": 3, "lon": 4, "status": 9}[tag]
        if new is None:
            entries.pop(number, None)
        else:
            entries[number] = (number, *new)
    return sorted(entries.values())


@pytest.mark.parametrize(
    "gps",
    [
        pytest.param(
            _gps_variant(lat=(RATIONAL, 3, rationals((33, 1), (51, 0), (3540, 100)))), id="zero-den-minutes"
        ),
        pytest.param(
            _gps_variant(lat=(RATIONAL, 3, rationals((33, 0), (51, 1), (3540, 100)))), id="zero-den-degrees"
        ),
        pytest.param(_gps_variant(lon=(RATIONAL, 3, rationals((0, 0), (0, 0), (0, 0)))), id="all-zero-den"),
        pytest.param(
            _gps_variant(lat=(RATIONAL, 3, rationals((95, 1), (0, 1), (0, 1)))), id="lat-out-of-range"
        ),
        pytest.param(
            _gps_variant(lon=(RATIONAL, 3, rationals((181, 1), (0, 1), (0, 1)))), id="lon-out-of-range"
        ),
        pytest.param(
            _gps_variant(lat=(RATIONAL, 3, rationals((33, 1), (75, 1), (0, 1)))), id="minutes-over-60"
        ),
        pytest.param(_gps_variant(lat=(ASCII, 8, b"33.8512\0")), id="lat-as-text"),
        pytest.param(
            _gps_variant(lat=(SRATIONAL, 3, rationals((-33, 1), (51, 1), (0, 1), signed=True))), id="negative"
        ),
        pytest.param(
            _gps_variant(lat=(RATIONAL, 4, rationals((33, 1), (51, 1), (0, 1), (1, 1)))), id="four-values"
        ),
        pytest.param(_gps_variant(lat_ref=None), id="no-lat-ref"),
        pytest.param(_gps_variant(lon_ref=(ASCII, 2, b"X\0")), id="bad-lon-ref"),
        pytest.param(_gps_variant(lat=None), id="no-lat"),
        pytest.param(_gps_variant(status=(ASCII, 2, b"V\0")), id="void-fix"),
        pytest.param(
            _gps_variant(
                lat=(RATIONAL, 3, rationals((0, 1), (0, 1), (0, 1))),
                lon=(RATIONAL, 3, rationals((0, 1), (0, 1), (0, 1))),
            ),
            id="null-island",
        ),
    ],
)
def test_implausible_gps_counts_as_absent_and_the_photo_is_kept(gps):
    result = process_photo(jpeg_with_raw_exif(tiff([MAKE], gps)))
    assert (result.exif.lat, result.exif.lon) == (None, None)
    assert result.exif.make == "Cam"
    assert result.display_size == (96, 64)


def test_gps_on_the_equator_and_prime_meridian_is_kept():
    gps = _gps_variant(lat=(RATIONAL, 3, rationals((0, 1), (0, 1), (0, 1))))
    exif = process_photo(jpeg_with_raw_exif(tiff([MAKE], gps))).exif
    assert exif.lat == 0.0 and exif.lon == pytest.approx(151.208333, abs=1e-5)


def test_zero_denominator_written_by_pillow():
    data = jpeg(gps={1: "N", 2: (IFDRational(1, 0), IFDRational(0, 1), IFDRational(0, 1)), 3: "E", 4: dms(5)})
    result = process_photo(data)
    assert (result.exif.lat, result.exif.lon) == (None, None)


def test_active_fix_is_kept():
    exif = process_photo(jpeg_with_raw_exif(tiff([], _gps_variant(status=(ASCII, 2, b"A\0"))))).exif
    assert exif.lat == pytest.approx(-33.859833, abs=1e-5)


# --------------------------------------------------------------------------------------------------
# Capture time, make and model


def test_taken_at_is_naive_as_the_camera_wrote_it():
    exif = process_photo(jpeg(original="2024:05:06 07:08:09")).exif
    assert exif.taken_at == datetime(2024, 5, 6, 7, 8, 9)
    assert exif.taken_at.tzinfo is None


@pytest.mark.parametrize(
    ("offset", "hours"), [("+08:00", 8), ("-05:00", -5), ("+05:45", 5.75), ("+00:00", 0)]
)
def test_taken_at_with_offset_is_aware(offset, hours):
    exif = process_photo(jpeg(original="2024:05:06 07:08:09", offset=offset)).exif
    assert exif.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=hours)))


def test_digitized_time_is_the_fallback():
    exif = process_photo(jpeg(digitized="2023:01:02 03:04:05")).exif
    assert exif.taken_at == datetime(2023, 1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    "stamp",
    [
        "0000:00:00 00:00:00",
        "    :  :     :  :  ",
        "2024:13:45 99:00:00",
        "yesterday",
        "",
        "1492:10:12 10:00:00",
    ],
)
def test_unusable_capture_times_are_absent(stamp):
    assert process_photo(jpeg(original=stamp or " ")).exif.taken_at is None


def test_bad_offset_keeps_the_naive_time():
    exif = process_photo(jpeg(original="2024:05:06 07:08:09", offset="+99:00")).exif
    assert exif.taken_at == datetime(2024, 5, 6, 7, 8, 9)


def test_make_and_model_are_cleaned():
    exif = process_photo(jpeg(make="  OLYMPUS IMAGING CORP.  \x00\x00", model="E-P3            ")).exif
    assert (exif.make, exif.model) == ("OLYMPUS IMAGING CORP.", "E-P3")
    assert process_photo(jpeg(make="x" * 500)).exif.make == "x" * 128
    assert process_photo(jpeg(make="   ")).exif.make is None


def test_no_exif_at_all():
    assert process_photo(jpeg()).exif == Exif()
    assert process_photo(encode(scene(), "PNG")).exif == Exif()


# --------------------------------------------------------------------------------------------------
# Broken EXIF never loses the photo


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(tiff([MAKE], GOOD_GPS, gps_pointer=0xFFFFFF00), id="gps-pointer-past-the-end"),
        pytest.param(tiff([MAKE], GOOD_GPS, gps_pointer=8), id="gps-pointer-loops-to-ifd0"),
        pytest.param(tiff([MAKE, (0x0112, ASCII, 2, b"6\0")]), id="orientation-as-text"),
        pytest.param(tiff([MAKE, (0x0112, RATIONAL, 1, rationals((6, 0)))]), id="orientation-rational-0-den"),
        pytest.param(tiff([(0x010F, SHORT, 1, struct.pack("<H", 7))]), id="make-as-number"),
        pytest.param(tiff([(0x010F, ASCII, 0xFFFFFF, b"Cam\0")]), id="huge-count"),
        pytest.param(tiff([(0x0112, 0x7777, 1, b"\x06\x00")]), id="unknown-type"),
        pytest.param(b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x01" * 30, id="ifd-count-65535-truncated"),
        pytest.param(b"II*\x00\xff\xff\xff\x7f", id="ifd0-offset-past-the-end"),
        pytest.param(b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03", id="truncated-entry"),
        pytest.param(b"XX*\x00\x08\x00\x00\x00", id="bad-byte-order"),
        pytest.param(b"", id="empty-exif"),
        pytest.param(tiff([MAKE], GOOD_GPS)[:40], id="cut-in-the-middle"),
    ],
)
def test_broken_exif_is_ignored_and_the_photo_kept(raw):
    picture = scene(96, 64)
    result = process_photo(jpeg_with_raw_exif(raw, picture))
    assert result.display_size == (96, 64)
    assert_upright(decode(result.display), picture)
    assert result.exif.orientation in (None, 1)
    assert result.exif.make in (None, "Cam")


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.binary(max_size=600),
    header=st.sampled_from([b"", b"II*\x00\x08\x00\x00\x00", b"MM\x00*\x00\x00\x00\x08"]),
)
def test_random_exif_never_breaks_processing(payload, header):
    data = encode(Image.new("RGB", (16, 16), (90, 120, 150)), "JPEG", exif=b"Exif\x00\x00" + header + payload)
    result = process_photo(data)
    assert result.display_size == (16, 16)
    assert result.exif.lat is None or -90 <= result.exif.lat <= 90
    assert result.exif.orientation is None or 1 <= result.exif.orientation <= 8


def exif_busy_block(n: int = 2700) -> bytes:
    """IFD0 of n GPS pointers, all to one GPS IFD of n entries: exifread would walk n x n entries."""
    gps_at = 8 + 2 + 12 * n + 4
    ifd0 = struct.pack("<H", n) + struct.pack("<HHII", 0x8825, LONG, 1, gps_at) * n + b"\0\0\0\0"
    gps = struct.pack("<H", n) + struct.pack("<HHIHH", 0x0100, SHORT, 1, 1, 0) * n + b"\0\0\0\0"
    return b"II*\x00" + struct.pack("<I", 8) + ifd0 + gps


@pytest.fixture
def exifread_calls(monkeypatch):
    """Every block handed to exifread (which would walk these for minutes): the guard must not."""
    calls = []
    real = exifread.process_file

    def spy(fh, *args, **kwargs):
        calls.append(fh)
        return real(fh, *args, **kwargs)

    monkeypatch.setattr(exifread, "process_file", spy)
    return calls


def test_exif_crafted_to_keep_exifread_busy_is_never_given_to_it(exifread_calls):
    crafted = exif_busy_block()
    assert len(crafted) < 65_000  # fits one APP1 segment
    assert photos.exif.exif_walk_is_bounded(crafted) is False  # unguarded: minutes in exifread
    result = process_photo(encode(scene(96, 64), "JPEG", exif=b"Exif\x00\x00" + crafted))
    assert result.exif == Exif()
    assert exifread_calls == []
    intake_photo(jpeg(make="Cam"))  # the spy does see an ordinary block
    assert len(exifread_calls) == 1


def test_ifd_claiming_more_entries_than_it_holds_is_never_given_to_exifread(exifread_calls):
    raw = b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x01" * 30
    assert photos.exif.exif_walk_is_bounded(raw) is False
    result = process_photo(jpeg_with_raw_exif(raw))
    assert result.exif == Exif()
    assert exifread_calls == []


def test_gps_pointer_with_no_value_is_tolerated():
    """tests/45-gps_ifd.jpg in the exif-samples collection: a GPSInfo tag with count 0."""
    raw = tiff([MAKE, (0x8825, LONG, 0, b"")])
    assert process_photo(jpeg_with_raw_exif(raw)).exif.make == "Cam"


def test_exif_after_an_xmp_segment_is_found():
    """Photoshop writes XMP first; exifread on the whole file stops there (no_exif.jpg)."""
    data = jpeg(lat=59.3293, lon=18.0686, make="Cam")
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    segment = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    spliced = data[:2] + segment + data[2:]
    exif = process_photo(spliced).exif
    assert exif.lat == pytest.approx(59.3293, abs=1e-6) and exif.make == "Cam"


def test_only_the_first_exif_segment_counts():
    first = jpeg(make="First")
    second_segment = next(p for m, p in jpeg_segments(jpeg(make="Second")) if m == 0xE1)
    segment = b"\xff\xe1" + struct.pack(">H", len(second_segment) + 2) + second_segment
    sos = first.find(b"\xff\xdb")  # before the quantisation tables, after the first APP1
    assert process_photo(first[:sos] + segment + first[sos:]).exif.make == "First"


def test_exifread_crash_falls_back_to_pillow(monkeypatch):
    def crash(*args, **kwargs):
        raise IndexError("exifread bug")

    monkeypatch.setattr(exifread, "process_file", crash)
    for fmt in ("JPEG", "HEIF"):
        data = encode(scene(64, 48), fmt, quality=85, exif=exif_bytes(lat=-1.2921, lon=36.8219, make="Cam"))
        exif = process_photo(data).exif
        assert exif.lat == pytest.approx(-1.2921, abs=1e-6) and exif.lon == pytest.approx(36.8219, abs=1e-6)
        assert exif.make == "Cam"


def test_exifread_and_pillow_both_failing_still_keeps_the_photo(monkeypatch):
    def crash(*args, **kwargs):
        raise MemoryError("exifread bug")

    monkeypatch.setattr(exifread, "process_file", crash)
    monkeypatch.setattr(Image.Exif, "load", crash)
    result = process_photo(jpeg(lat=10, lon=10))
    assert result.exif == Exif()


# --------------------------------------------------------------------------------------------------
# HEIC


@pytest.mark.parametrize("orientation", range(1, 9))
def test_self_made_heic_is_upright_whatever_its_orientation(orientation):
    """pillow-heif writes EXIF orientation as the HEIF transforms (irot/imir) that decoders apply."""
    upright = scene(96, 64)
    transpose = STORE_FOR_ORIENTATION[orientation]
    stored = upright.transpose(transpose) if transpose is not None else upright
    result = process_photo(heic(stored, orientation=orientation, lat=35.6586, lon=139.7454))
    assert (result.format, result.mime) == ("heif", "image/heic")
    assert (result.width, result.height) == (96, 64)
    assert result.exif.lat == pytest.approx(35.6586, abs=1e-6)
    assert_upright(decode(result.display), upright)


def test_heic_exif_orientation_alone_is_informational():
    """In HEIF the container's transforms rule (as on iOS and in libheif); a stale EXIF tag is not
    applied a second time."""
    upright = scene(96, 64)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(upright, "HEIF", quality=90, exif=exif)  # an Exif object: no irot is written
    result = process_photo(data)
    assert result.exif.orientation == 6
    assert (result.width, result.height) == (96, 64)
    assert_upright(decode(result.display), upright)


def test_real_iphone_heic_is_not_rotated_twice():
    result = process_photo(real("heic/iphone_13_pro_max.HEIC"))
    assert result.exif.orientation == 6  # and the container rotates it already
    assert (result.width, result.height) == (3024, 4032)
    assert result.display_size == (1200, 1600)
    assert result.exif.taken_at == datetime(2022, 2, 16, 12, 55, 41, tzinfo=timezone(timedelta(hours=1)))
    assert (result.exif.make, result.exif.model) == ("Apple", "iPhone 13 Pro Max")


# --------------------------------------------------------------------------------------------------
# Perceptual hash


def test_phash_survives_reencoding_and_rescaling():
    picture = scene(800, 600, seed=3)
    original = process_photo(encode(picture, "JPEG", quality=95))
    copy = process_photo(encode(picture.resize((560, 420)), "JPEG", quality=40))
    as_png = process_photo(encode(picture, "PNG"))
    assert phash_distance(original.phash, copy.phash) <= 6
    assert phash_distance(original.phash, as_png.phash) <= 4


def test_phash_tells_unrelated_pictures_apart():
    hashes = [process_photo(jpeg(scene(400, 300, seed=seed).rotate(seed * 37))).phash for seed in range(6)]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1 :]:
            assert phash_distance(a, b) >= 12


def test_phash_of_real_photos():
    names = ["gps/DSCN0010.jpg", "hdr/iphone_hdr_YES.jpg", "mobile/jolla.jpg", "orientation/landscape_1.jpg"]
    originals = {name: real(name) for name in names}
    hashes = {name: process_photo(data).phash for name, data in originals.items()}
    for name, data in originals.items():
        img = decode(data)
        copy = encode(img.resize((img.width * 2 // 3, img.height * 2 // 3)), "JPEG", quality=50)
        assert phash_distance(hashes[name], process_photo(copy).phash) <= 6, name
    values = list(hashes.values())
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            assert phash_distance(a, b) >= 16


def test_phash_distance():
    assert phash_distance("0000000000000000", "ffffffffffffffff") == 64
    assert phash_distance("00000000000000ff", "0000000000000000") == 8
    assert phash_distance("1234567890abcdef", "1234567890abcdef") == 0


# --------------------------------------------------------------------------------------------------
# PhotoError


def test_photo_error():
    err = PhotoError("empty", "the file is empty")
    assert isinstance(err, ValueError)
    assert (err.code, err.message, str(err)) == ("empty", "the file is empty", "the file is empty")
    again = pickle.loads(pickle.dumps(err))
    assert (again.code, again.message) == ("empty", "the file is empty")
    with pytest.raises(ValueError):
        PhotoError("nope", "unknown code")
    assert {"empty", "not_an_image", "unsupported_format", "truncated", "too_many_pixels"} == PhotoError.CODES


# --------------------------------------------------------------------------------------------------
# Memory: 16-bit images (issue 12: a 124 kB 8000x8000 16-bit PNG cost 660 MB)


def test_a_large_16_bit_png_is_refused_before_decoding(monkeypatch):
    data = grey16_png(8000, 8000)
    assert len(data) < 200_000

    def must_not_decode(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(photos.render, "decode", must_not_decode)
    with pytest.raises(PhotoError) as err:
        process_photo(data)
    assert err.value.code == "too_many_pixels"
    assert "16-bit" in err.value.message and "8000x8000" in err.value.message
    assert f"{photos.DEFAULT_MAX_DEEP_PIXELS:,}" in err.value.message


def test_the_deep_pixel_limit_applies_to_deep_modes_only():
    deep = grey16_png(400, 300)
    assert process_photo(deep, max_deep_pixels=120_000).width == 400
    with pytest.raises(PhotoError) as err:
        process_photo(deep, max_deep_pixels=119_999)
    assert err.value.code == "too_many_pixels"
    with pytest.raises(PhotoError):  # the general limit still applies
        process_photo(deep, max_pixels=119_999, max_deep_pixels=10**9)
    eight_bit = encode(scene(400, 300).convert("L"), "PNG")
    assert process_photo(eight_bit, max_deep_pixels=1).width == 400


def test_a_shrunk_16_bit_png_keeps_its_brightness():
    display = decode(process_photo(grey16_png(3200, 2400, level=0x4000)).display)
    assert display.size == (1600, 1200)
    assert all(abs(v - 64) <= 2 for v in display.getpixel((800, 600)))


MEASURE = """
import json, resource, sys
from fieldcheck.photos import process_photo
from tests.photo_factory import grey16_png

data = open(sys.argv[1], "rb").read()
process_photo(grey16_png(64, 64))  # imports, plugins, caches
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = process_photo(data, max_deep_pixels=10**9)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth_kb": after - before, "display": result.display_size}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in kB is Linux's")
@pytest.mark.parametrize(("width", "height"), [(4000, 3000), (8000, 8000)])
def test_peak_memory_of_a_16_bit_png_stays_near_its_decoded_size(tmp_path, width, height):
    """Measured in a fresh process (the peak resident size only grows). The decoded I;16 pixels take
    2 bytes each; converting them at full size first took 5 times that (the 8000x8000: 670 MB)."""
    path = tmp_path / "grey16.png"
    path.write_bytes(grey16_png(width, height))
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    measured = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    decoded_mb = width * height * 2 / 2**20
    growth_mb = measured["growth_kb"] / 1024
    assert growth_mb < 1.5 * decoded_mb + 25, (growth_mb, decoded_mb)


# --------------------------------------------------------------------------------------------------
# Real photos against MANIFEST.tsv


# Where we knowingly differ from what exifread 3.5 reports when given the whole file (MANIFEST.tsv).
# no_exif.jpg does hold an EXIF block (written by Photoshop, after an XMP APP1 segment): exifread
# stops at the XMP segment and misses it; we hand it the EXIF segment itself and get Orientation 1.
MANIFEST_DIFFERENCES = {"no_exif.jpg": {"orientation": "Horizontal (normal)"}}


def _expected_format(name: str) -> str:
    return "heif" if name.lower().endswith((".heic", ".heif")) else "jpeg"


@pytest.mark.parametrize("row", manifest_params())
def test_real_photo_matches_manifest(row):
    row = {**row, **MANIFEST_DIFFERENCES.get(row["file"], {})}
    result = process_photo(real(row["file"]))
    exif = result.exif
    assert result.format == _expected_format(row["file"])
    assert result.size == int(row["bytes"])

    if row["lat"]:
        assert exif.lat == pytest.approx(float(row["lat"]), abs=1e-5)
        assert exif.lon == pytest.approx(float(row["lon"]), abs=1e-5)
    else:
        assert (exif.lat, exif.lon) == (None, None)

    if row["taken"]:
        assert exif.taken_at is not None
        assert exif.taken_at.replace(tzinfo=None) == datetime.strptime(row["taken"], "%Y:%m:%d %H:%M:%S")
    else:
        assert exif.taken_at is None

    assert exif.orientation == (ORIENTATION_NAMES[row["orientation"]] if row["orientation"] else None)

    opened = tuple(int(v) for v in row["pixels"].split("x"))
    turned = result.format != "heif" and (exif.orientation or 1) >= 5
    assert (result.width, result.height) == (opened[::-1] if turned else opened)
    assert max(result.display_size) == min(1600, max(opened))
    assert max(result.thumb_size) == min(320, max(opened))
    assert (result.display_size[0] >= result.display_size[1]) == (result.width >= result.height)


@pytest.mark.parametrize("name", real_files("tests/*.jp*g", "invalid/*.jpg", "corrupted.jpg"))
def test_real_files_with_broken_exif_process_or_raise_photo_error(name):
    row = next((r for r in MANIFEST if r["file"] == name), None)
    try:
        result = process_photo(real(name))
    except PhotoError:
        assert row is None or row["opens"] != "yes", f"{name} opens according to MANIFEST.tsv"
    else:
        assert max(result.display_size) <= 1600 and max(result.thumb_size) <= 320
        assert result.display[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("row", manifest_params(lambda r: r["file"].startswith("heic/")))
def test_real_heic_displays_as_decoded(row):
    result = process_photo(real(row["file"]))
    assert result.mime == "image/heic"
    assert (result.width, result.height) == tuple(int(v) for v in row["pixels"].split("x"))

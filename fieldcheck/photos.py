"""Photo intake: bytes in, plain data out.

This module is deliberately pure (no Flask, no database, no file system). :func:`process_photo`
takes the bytes a phone uploaded and returns a :class:`ProcessedPhoto` with

* the identity of the original (SHA-256, size, format, MIME type). The original itself is never
  re-encoded: the caller stores the uploaded bytes unchanged as evidence;
* what its EXIF says (:class:`Exif`: GPS position, capture time, orientation, make and model),
  read with exifread (details=False) from the EXIF block of the original file and never trusted: a
  broken field is dropped, a broken or hostile EXIF block is ignored, the photo is kept;
* a display copy (JPEG, long edge <= 1600 px, upright, sRGB, no metadata at all) and a thumbnail
  (JPEG, long edge <= 320 px) made from the display copy;
* a 64-bit perceptual hash (dHash), computed from the in-memory thumbnail (itself made from the
  display copy, never from the original), to spot the same scene uploaded twice.

Formats are decided by content, never by file name or client-declared type: JPEG, PNG, WebP and
HEIC/HEIF are accepted; anything else raises :class:`PhotoError` with a stable ``code``.

Speed: a JPEG is decoded by libjpeg at a reduced DCT scale (draft mode: 1/2, 1/4 or 1/8, see
:func:`draft_scale`) straight to the smallest size that still has a long edge of at least 1600 px,
so most of the full-resolution work is never done. The SHA-256 of the upload, half of the display
resize and the thumbnail are offered to helper threads (they release the GIL); a job that no helper
has started when its result is needed is run by the caller, so a busy machine costs no waiting.
bench/ingest.py measures it against a naive pipeline and against the reduced-scale decode alone.

Thread safety: process_photo keeps no state between calls (the helper pool is shared and locked)
and may run in several threads at once.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import re
import struct
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import exifread
import pillow_heif
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin
from pillow_heif.as_plugin import HeifImageFile

# Let Pillow's own Image.open() recognise HEIC/HEIF everywhere in the application too.
pillow_heif.register_heif_opener()

__all__ = [
    "DISPLAY_MAX_EDGE",
    "DEFAULT_MAX_PIXELS",
    "Exif",
    "PhotoError",
    "ProcessedPhoto",
    "THUMB_MAX_EDGE",
    "draft_scale",
    "phash_distance",
    "process_photo",
]

DISPLAY_MAX_EDGE = 1600
THUMB_MAX_EDGE = 320
DEFAULT_MAX_PIXELS = 64_000_000
DISPLAY_QUALITY = 82
# After draft decoding the display resize is a mild one (2016 -> 1600 for a 12 MP photo). There
# HAMMING is within about 1 dB of LANCZOS after JPEG encoding at half its cost (32 vs 70 ms here).
# BOX would save another 9 ms but samples unevenly at such ratios (visible on fine lines and text).
DISPLAY_FILTER = Image.Resampling.HAMMING
THUMB_QUALITY = 80

ACCEPTED = "JPEG, PNG, WebP or HEIC"

_MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "heif": "image/heif"}
_LABEL = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "heif": "HEIC"}

# Pillow plugin classes, instantiated directly once the magic bytes have named the format (see _open).
_PLUGINS: dict[str, type[ImageFile.ImageFile]] = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
    "heif": HeifImageFile,
}

# ISO-BMFF brands: HEVC-coded HEIF (what phones write) and the generic image brands.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}

# EXIF orientation -> the Pillow transpose that makes the pixels upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoError(ValueError):
    """An upload that is not a usable photo. ``code`` is stable and meant for API error bodies.

    Codes: ``empty``, ``not_an_image``, ``unsupported_format``, ``truncated``, ``too_many_pixels``.
    The message is plain English, safe to show to the user.
    """

    CODES = frozenset({"empty", "not_an_image", "unsupported_format", "truncated", "too_many_pixels"})

    def __init__(self, code: str, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown PhotoError code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):  # keep code and message when pickled (e.g. across a process pool)
        return (type(self), (self.code, self.message))


@dataclass(frozen=True)
class Exif:
    """What the photo's EXIF claims. Every field is None when absent, unreadable or implausible.

    ``lat``/``lon``: WGS 84 decimal degrees, south and west negative. A position of exactly (0, 0),
    a value out of range, a zero denominator or a GPSStatus of "V" (void fix) all count as absent.

    ``taken_at``: DateTimeOriginal (else DateTimeDigitized) exactly as the camera wrote it, which is
    the camera's local wall-clock time, not UTC. It is naive unless the matching OffsetTimeOriginal
    (OffsetTimeDigitized) tag is present, in which case it is aware with that fixed offset. Never
    assume a naive value is UTC; the camera clock may also simply be wrong.

    ``orientation``: the EXIF Orientation tag (1..8) as written. For JPEG, PNG and WebP it is what
    :func:`process_photo` applies; for HEIC/HEIF the container's own rotation is authoritative and is
    applied by the decoder, so there the tag is informational only. The display copy is always upright.

    ``make``/``model``: stripped of padding (spaces and NULs), at most 128 characters.
    """

    lat: float | None = None
    lon: float | None = None
    taken_at: datetime | None = None
    orientation: int | None = None
    make: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class ProcessedPhoto:
    """The result of :func:`process_photo`.

    ``sha256``, ``size``, ``format`` and ``mime`` describe the original bytes (``format`` is one of
    ``jpeg``, ``png``, ``webp``, ``heif``). ``width``/``height`` are the full-resolution size in
    display orientation (after EXIF rotation). ``display`` and ``thumb`` are JPEG bytes without any
    metadata; their sizes are ``(width, height)``. ``phash`` is a 64-bit dHash of the rendered
    picture as 16 hex digits; compare two with :func:`phash_distance` (re-encodings and rescalings of
    one photo differ by a few bits, unrelated photos by 20 or more; a flat, featureless picture
    hashes to all zeros, so do not treat equal hashes of such pictures as duplicates).
    """

    sha256: str
    size: int
    format: str
    mime: str
    width: int
    height: int
    exif: Exif
    display: bytes
    display_size: tuple[int, int]
    thumb: bytes
    thumb_size: tuple[int, int]
    phash: str


def process_photo(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ProcessedPhoto:
    """Check, describe and render one uploaded photo. Raises :class:`PhotoError` for bad input.

    ``max_pixels`` caps width x height as declared in the file header; it is checked before any
    pixel is decoded, so a small file claiming a huge image (a decompression bomb) costs nothing.
    """
    if not data:
        raise PhotoError("empty", "the file is empty")
    data = bytes(data)
    fmt = _sniff(data)
    digest = _Job(_sha256, data)  # overlaps header parsing and decoding
    try:
        width, height, exif, mime, display = _describe_and_render(data, fmt, max_pixels)
    except BaseException:
        digest.cancel()
        raise
    thumbnail = _Job(_thumbnail, display)  # while the display copy is encoded
    display_jpeg = _encode_jpeg(display, DISPLAY_QUALITY)
    thumb, thumb_jpeg, phash = thumbnail.result()
    return ProcessedPhoto(
        sha256=digest.result(),
        size=len(data),
        format=fmt,
        mime=mime,
        width=width,
        height=height,
        exif=exif,
        display=display_jpeg,
        display_size=display.size,
        thumb=thumb_jpeg,
        thumb_size=thumb.size,
        phash=phash,
    )


def _describe_and_render(data: bytes, fmt: str, max_pixels: int) -> tuple[int, int, Exif, str, Image.Image]:
    """Full-resolution size in display orientation, EXIF, MIME type and the display copy."""
    # Pillow never sees a JPEG's EXIF: exifread is our EXIF reader, and Pillow's own parser warns
    # on broken EXIF while opening, which would make the outcome depend on warning filters.
    pixels, exif_block = _strip_jpeg_exif(data) if fmt == "jpeg" else (data, None)
    with _open(pixels, fmt) as img:
        width, height = img.size
        _check_pixels(width, height, max_pixels)
        exif = _read_exif(exif_block if fmt == "jpeg" else img.info.get("exif"), img.info)
        mime = _mime(img, fmt)
        # HEIF decoders apply the container's rotation and mirroring; the EXIF tag is then stale.
        orientation = (exif.orientation or 1) if fmt != "heif" else 1
        _decode(img, fmt)
        _check_pixels(*img.size, max_pixels)
        display = _render_display(img, orientation)
    if orientation >= 5:
        width, height = height, width
    return width, height, exif, mime, display


def _thumbnail(display: Image.Image) -> tuple[Image.Image, bytes, str]:
    """The thumbnail of a display copy, its JPEG bytes and its dHash."""
    # reducing_gap=1: box-average by the whole factor (1600 -> 320 is exactly 5x), LANCZOS any remainder.
    thumb = display.resize(_fit(display.size, THUMB_MAX_EDGE), Image.Resampling.LANCZOS, reducing_gap=1.0)
    return thumb, _encode_jpeg(thumb, THUMB_QUALITY), _dhash(thumb)


# --------------------------------------------------------------------------------------------------
# Helper threads
#
# Hashing, resampling and JPEG encoding release the GIL, so a second core can take some of them.
# They go to a small pool of helper threads per process, and the caller takes a job back and runs it
# itself when no helper has started it by the time the result is needed (Future.cancel succeeds
# only for a job that has not started). So a free core shortens a photo, and a photo does not wait
# for a helper thread to be scheduled at all (only for one that started a job and was then
# preempted). When the load average says every core is busy, no job is handed out: helpers would
# only compete with the other work and make a photo wait. bench/README.md has the figures.

PARALLEL = (os.cpu_count() or 1) > 1
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _machine_busy() -> bool:
    """Whether every core already has work (1-minute load average >= cores): helpers would only compete."""
    try:
        return os.getloadavg()[0] >= (os.cpu_count() or 1)
    except (AttributeError, OSError):  # no load average on this platform
        return False


def _helpers() -> ThreadPoolExecutor | None:
    """The helper pool, or None to run everything in the caller (no second core, or none free)."""
    global _pool
    if not PARALLEL or _machine_busy():
        return None
    with _pool_lock:
        if _pool is None:
            workers = max(1, min(4, (os.cpu_count() or 2) - 1))
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photo-worker")
        return _pool


def _forget_helpers_after_fork() -> None:
    """A forked child (gunicorn worker) has none of the parent's threads: start a fresh pool there."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_helpers_after_fork)


class _Job:
    """``fn(*args)``, run once: by a helper thread if one starts it first, else by :meth:`result`."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._fn, self._args = fn, args
        self._future: Future[Any] | None = None
        pool = _helpers()
        if pool is not None:
            try:
                self._future = pool.submit(fn, *args)
            except RuntimeError:  # the interpreter is shutting down: no new threads
                self._future = None

    def cancel(self) -> None:
        """Drop the job if no helper has started it (used when the caller gives up on the photo)."""
        if self._future is not None:
            self._future.cancel()

    def result(self) -> Any:
        if self._future is None or self._future.cancel():
            return self._fn(*self._args)  # no helper got to it: do it here rather than wait
        return self._future.result()  # re-raises what fn raised


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def phash_distance(a: str, b: str) -> int:
    """Number of differing bits between two 16-hex-digit hashes (0 = same picture, 64 = opposite)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


# --------------------------------------------------------------------------------------------------
# Format detection and decoding


def _sniff(data: bytes) -> str:
    """Name the format from the leading bytes, or raise the right PhotoError."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        major = head[8:12]
        brands = {major} | {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
        hevc = brands & (_HEIF_BRANDS - {b"mif1", b"msf1"})
        if major in _AVIF_BRANDS or (brands & _AVIF_BRANDS and not hevc):
            raise _unsupported("AVIF")
        if brands & _HEIF_BRANDS:
            return "heif"
        raise _not_an_image()  # MP4, MOV and other ISO-BMFF files
    other = _other_image_format(head)
    if other:
        raise _unsupported(other)
    raise _not_an_image()


def _other_image_format(head: bytes) -> str | None:
    signatures = [
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"BM", "BMP"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
        (b"\x00\x00\x01\x00", "ICO"),
        (b"8BPS", "Photoshop"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
        (b"\xff\x4f\xff\x51", "JPEG 2000"),
        (b"\xff\x0a", "JPEG XL"),
        (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
        (b"qoif", "QOI"),
    ]
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "SVG"
    return None


def _not_an_image() -> PhotoError:
    return PhotoError("not_an_image", f"the file is not an image ({ACCEPTED})")


def _unsupported(name: str) -> PhotoError:
    return PhotoError("unsupported_format", f"{name} images are not supported; upload a {ACCEPTED} photo")


def _strip_jpeg_exif(data: bytes) -> tuple[bytes, bytes | None]:
    """The JPEG without its APP1 EXIF segments, and the first EXIF block (``Exif\\0\\0`` + TIFF).

    Walks the marker segments up to the first scan; if they do not parse, the bytes are returned
    unchanged and Pillow decides.
    """
    pos, start, parts, block = 2, 2, [data[:2]], None
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end of image: no more metadata
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > len(data):
            return data, block
        if marker == 0xE1 and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            block = block or data[pos + 4 : end]
            parts.append(data[start:pos])
            start = end
        pos = end
    if start == 2:
        return data, block
    parts.append(data[start:])
    return b"".join(parts), block


def _open(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Parse the header only.

    The plugin class for the sniffed format is instantiated directly instead of ``Image.open``: only
    that one parser ever sees the bytes, and Pillow's process-wide decompression-bomb limit (a
    *warning* first, which pytest turns into an error and production merely logs) is replaced by
    our own explicit ``max_pixels`` check, so the outcome never depends on global warning filters.
    """
    try:
        return _PLUGINS[fmt](io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("too_many_pixels", "the image has too many pixels") from exc
    except MemoryError as exc:
        raise PhotoError("too_many_pixels", "the image is too large to open") from exc
    except Exception as exc:  # any parser failure on a file whose magic bytes matched
        raise PhotoError("truncated", f"the {_LABEL[fmt]} file is damaged or truncated") from exc


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise PhotoError("truncated", "the image has no pixels")
    if width * height > max_pixels:
        raise PhotoError(
            "too_many_pixels",
            f"the image has too many pixels ({width}x{height}; the limit is {max_pixels:,} pixels)",
        )


def _mime(img: ImageFile.ImageFile, fmt: str) -> str:
    if fmt == "heif":
        declared = getattr(img, "custom_mimetype", None)
        if declared in ("image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"):
            return declared
    return _MIME[fmt]


def _decode(img: ImageFile.ImageFile, fmt: str) -> None:
    """Decode the pixels in place; a JPEG at the smallest DCT scale keeping a long edge >= 1600 px."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # With it on, Pillow pads a cut-off file with grey instead of failing; we would accept it.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False for photo intake")
    if fmt == "jpeg" and img.mode in ("RGB", "L"):
        scale = draft_scale(img.size)
        if scale > 1:
            # Pillow picks the largest of 1/8, 1/4, 1/2 with size // requested >= that scale on both
            # axes; asking for exactly size // scale makes that our scale (a short edge under
            # ``scale`` px may make it pick a finer one, which is only slower).
            width, height = img.size
            img.draft(img.mode, (max(1, width // scale), max(1, height // scale)))
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as exc:
        raise PhotoError("too_many_pixels", "the image has too many pixels") from exc
    except Exception as exc:  # OSError "image file is truncated", broken streams, libheif errors
        raise PhotoError("truncated", f"the {_LABEL[fmt]} file is truncated or damaged") from exc


def draft_scale(size: tuple[int, int]) -> int:
    """The JPEG DCT scale denominator (1, 2, 4 or 8) :func:`process_photo` decodes ``size`` at.

    The largest one whose decoded long edge (rounded up, as libjpeg does) is still at least
    DISPLAY_MAX_EDGE, so the display copy of any photo with a long edge of 1600 px or more is
    exactly 1600 px long, resampled from at least as many pixels: 4000x3000 decodes at 1/2
    (2000x1500), 6400x4800 at 1/4 (1600x1200), 6396x4797 at 1/2, 3198x2398 at full size.
    """
    longest = max(size)
    for scale in (8, 4, 2):
        if -(-longest // scale) >= DISPLAY_MAX_EDGE:
            return scale
    return 1


def _fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """Scale (w, h) so the long edge is at most ``limit``, keeping the aspect ratio."""
    width, height = size
    longest = max(width, height)
    if longest <= limit:
        return size
    scale = limit / longest
    return max(1, min(limit, round(width * scale))), max(1, min(limit, round(height * scale)))


# --------------------------------------------------------------------------------------------------
# Rendering


def _render_display(img: Image.Image, orientation: int) -> Image.Image:
    """Flatten to RGB, shrink to <= 1600 px, convert to sRGB, turn upright. Returns a new image."""
    source = img
    icc = img.info.get("icc_profile")
    img = _normalise_mode(img)
    size = _fit(img.size, DISPLAY_MAX_EDGE)
    if size != img.size:
        img = _resize(img, size, DISPLAY_FILTER)
    if img.mode in ("RGBA", "LA"):  # resized premultiplied above; now put it on white
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img.convert("RGBA"), mask=img.getchannel("A"))
        img = background
    if icc:
        img = _to_srgb(img, icc)
    if img.mode != "RGB":
        img = img.convert("RGB")
    transpose = _TRANSPOSE.get(orientation)
    if transpose is not None:
        img = img.transpose(transpose)
    if img is source:  # small upright RGB photo: nothing above made a new image
        img = img.copy()
    img.info = {}  # no EXIF, ICC or XMP may follow the pixels into the display copy
    return img


def _resize(img: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    """``img.resize``, with the top half offered to a helper thread for large outputs (see _Job).

    Pillow releases the GIL while resampling, and each output row depends only on source rows
    (taps may reach across the cut: they read the whole source), so the halves are the pixels one
    call would give, give or take 1 in rounding. Small images are not worth a thread. The cut does
    not depend on the load, so one photo always gives the same bytes on one machine.
    """
    if not PARALLEL or size[1] < 400 or size[0] * size[1] < 500_000:
        return img.resize(size, resample, reducing_gap=2.0)
    half = size[1] // 2
    cut = half * img.height / size[1]
    top = _Job(img.resize, (size[0], half), resample, (0, 0, img.width, cut), 2.0)
    bottom = img.resize((size[0], size[1] - half), resample, (0, cut, img.width, img.height), 2.0)
    out = Image.new(img.mode, size)
    out.paste(top.result(), (0, 0))
    out.paste(bottom, (0, half))
    return out


def _normalise_mode(img: Image.Image) -> Image.Image:
    """Bring any decoded mode to RGB, L, CMYK (for the ICC step) or RGBA/LA (flattened later)."""
    mode = img.mode
    if mode in ("RGB", "L", "RGBA", "LA", "CMYK"):
        if "transparency" in img.info and mode in ("RGB", "L"):
            return img.convert("RGBA")
        return img
    if mode == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if mode == "PA":
        return img.convert("RGBA")
    if mode == "1":
        return img.convert("L")
    if mode.startswith("I;16") or mode == "I":  # 16-bit grey PNG
        wide = img if mode == "I" else img.convert("I")
        return wide.point(lambda v: v * (1 / 257)).convert("L")
    return img.convert("RGB")


_SRGB = ImageCms.createProfile("sRGB")
_ICC_SPACE = {"RGB": "RGB", "CMYK": "CMYK", "L": "GRAY"}


@functools.lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform from the embedded profile to sRGB, or None when not needed or not usable."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if profile.profile.xcolor_space.strip() != _ICC_SPACE.get(mode):
            return None
        if mode == "RGB" and "srgb" in ImageCms.getProfileDescription(profile).lower().replace(" ", ""):
            return None
        # NOCACHE: the transform is shared between threads, and LittleCMS's one-pixel cache is not.
        return ImageCms.buildTransform(
            profile,
            _SRGB,
            mode,
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            flags=ImageCms.Flags.NOCACHE,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError, AttributeError):
        return None


def _to_srgb(img: Image.Image, icc: Any) -> Image.Image:
    if not isinstance(icc, bytes):
        return img
    transform = _srgb_transform(icc, img.mode)
    if transform is None:
        return img
    try:
        return ImageCms.applyTransform(img, transform) or img
    except (ImageCms.PyCMSError, OSError, ValueError):
        return img


def _encode_jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


def _dhash(img: Image.Image) -> str:
    """Difference hash: 9x8 grey area averages, one bit per horizontal neighbour pair (left > right).

    Bits are row-major, most significant first. Robust to re-encoding and rescaling; not to crops.
    """
    small = img.convert("L").resize((9, 8), Image.Resampling.BOX)
    px = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return f"{bits:016x}"


# --------------------------------------------------------------------------------------------------
# EXIF


def _read_exif(block: Any, info: dict[str, Any]) -> Exif:
    """EXIF from the original file's EXIF block (``Exif\\0\\0`` + TIFF, or bare TIFF), read with
    exifread; Pillow's parser is the fallback when exifread fails. Never raises: unreadable EXIF is
    no EXIF. The block comes from the container (JPEG APP1, PNG eXIf, WebP EXIF chunk, HEIF Exif item).
    """
    if not isinstance(block, bytes) or not block:
        return Exif()
    tiff = block[6:] if block.startswith(b"Exif\x00\x00") else block
    if not _exif_walk_is_bounded(tiff):
        return Exif()
    # pillow-heif resets the orientation in its copy of a HEIF EXIF block to 1; it keeps the value
    # the camera wrote in info["original_orientation"].
    written = info.get("original_orientation")
    try:
        tags = exifread.process_file(io.BytesIO(tiff), details=False, extract_thumbnail=False)
    except Exception:  # exifread has crashed on real files before; never lose the photo over it
        tags = None
    if tags:
        exif = _exif_from_exifread(tags)
        return exif if written is None else replace(exif, orientation=_safe(lambda: _orientation(written)))
    try:
        return _exif_from_pillow(tiff, written)
    except Exception:  # Pillow's TIFF parser on hostile bytes: same policy
        return Exif()


_MAX_IFD_ENTRIES = 1000  # per IFD; real ones hold a few dozen
_MAX_EXIF_ENTRIES = 5000  # over every IFD visit exifread would make
_MAX_IFD_CHAIN = 16
_SUB_IFDS = (0x8825, 0xA005)  # GPS and Interoperability pointers, followed from IFD0/1.. and EXIF IFD
_INT_TYPES = {1: "B", 3: "H", 4: "I", 6: "b", 7: "B", 8: "h", 9: "i", 13: "I"}  # TIFF integer types


def _exif_walk_is_bounded(tiff: bytes) -> bool:
    """Whether exifread can read this TIFF block in bounded time.

    exifread visits as many entries as an IFD *claims* to hold, even past the end of the data, and
    dumps a GPS or Interop IFD once per pointer to it, so a crafted 64 kB block can keep it busy for
    minutes. This mirrors its walk (IFD chain, EXIF IFD from IFD0, GPS/Interop pointers, each pointer
    resolved as exifread does) and refuses blocks that would make it visit an IFD overrunning the
    data or more than _MAX_EXIF_ENTRIES entries in all.
    """
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return True  # exifread gives up on these at once
    order = "<" if tiff[:1] == b"I" else ">"
    budget = _MAX_EXIF_ENTRIES

    def read(fmt: str, at: int) -> int | None:
        size = struct.calcsize(fmt)
        return struct.unpack_from(order + fmt, tiff, at)[0] if at >= 0 and at + size <= len(tiff) else None

    def entries(offset: int) -> list[tuple[int, int, int, int]] | None:
        """(tag, type, count, position) of each entry; None when this IFD must not be walked."""
        nonlocal budget
        count = read("H", offset)
        if count is None:
            return []  # nothing there: exifread reads zero entries
        budget -= max(count, 1)
        if count > _MAX_IFD_ENTRIES or offset + 2 + 12 * count > len(tiff) or budget < 0:
            return None
        positions = range(offset + 2, offset + 2 + 12 * count, 12)
        return [(*struct.unpack_from(order + "HHI", tiff, at), at) for at in positions]

    def target(kind: int, count: int, at: int) -> int | None:
        """The IFD offset exifread takes from this entry (its first value), or None for no visit."""
        fmt = _INT_TYPES.get(kind)
        if fmt is None or count == 0:
            return None  # exifread fails on the value and skips the sub-IFD
        inline = count * struct.calcsize(fmt) <= 4
        where = at + 8 if inline else read("I", at + 8)
        value = read(fmt, where) if where is not None else None
        return 0 if value is None else value  # a short read gives 0 there: the TIFF header as an IFD

    def sub_ifds_ok(ifd: list[tuple[int, int, int, int]]) -> bool:
        for tag, kind, count, at in ifd:
            if tag in _SUB_IFDS:
                offset = target(kind, count, at)
                if offset is not None and offset >= 0 and entries(offset) is None:
                    return False
        return True

    seen: set[int] = set()
    offset, exif_ifd = read("I", 4) or 0, None
    while offset and offset not in seen:
        seen.add(offset)
        ifd = entries(offset)
        if ifd is None or len(seen) > _MAX_IFD_CHAIN or not sub_ifds_ok(ifd):
            return False
        if len(seen) == 1:
            exif_ifd = next((target(k, c, at) for tag, k, c, at in reversed(ifd) if tag == 0x8769), None)
        offset = read("I", offset + 2 + 12 * len(ifd)) or 0
    if exif_ifd is not None and exif_ifd >= 0:
        ifd = entries(exif_ifd)
        if ifd is None or not sub_ifds_ok(ifd):
            return False
    return True


def _exif_from_exifread(tags: dict[str, Any]) -> Exif:
    def values(name: str) -> Any:
        tag = tags.get(name)
        return None if tag is None else getattr(tag, "values", None)

    lat, lon = _safe(
        lambda: _position(
            values("GPS GPSLatitude"),
            values("GPS GPSLatitudeRef"),
            values("GPS GPSLongitude"),
            values("GPS GPSLongitudeRef"),
            values("GPS GPSStatus"),
        ),
        (None, None),
    )
    return Exif(
        lat=lat,
        lon=lon,
        taken_at=_safe(
            lambda: _taken_at(
                values("EXIF DateTimeOriginal"),
                values("EXIF OffsetTimeOriginal"),
                values("EXIF DateTimeDigitized"),
                values("EXIF OffsetTimeDigitized"),
            )
        ),
        orientation=_safe(lambda: _orientation(values("Image Orientation"))),
        make=_safe(lambda: _text(values("Image Make"))),
        model=_safe(lambda: _text(values("Image Model"))),
    )


def _exif_from_pillow(tiff: bytes, written_orientation: Any) -> Exif:
    exif = Image.Exif()
    exif.load(tiff)
    gps = _safe(lambda: dict(exif.get_ifd(0x8825)), {})
    sub = _safe(lambda: dict(exif.get_ifd(0x8769)), {})
    lat, lon = _safe(
        lambda: _position(gps.get(2), gps.get(1), gps.get(4), gps.get(3), gps.get(9)), (None, None)
    )
    orientation = written_orientation if written_orientation is not None else exif.get(0x0112)
    return Exif(
        lat=lat,
        lon=lon,
        taken_at=_safe(lambda: _taken_at(sub.get(0x9003), sub.get(0x9011), sub.get(0x9004), sub.get(0x9012))),
        orientation=_safe(lambda: _orientation(orientation)),
        make=_safe(lambda: _text(exif.get(0x010F))),
        model=_safe(lambda: _text(exif.get(0x0110))),
    )


def _safe(fn, default: Any = None) -> Any:
    """Run one field's parser; anything it raises means 'this field is absent'."""
    try:
        return fn()
    except Exception:
        return default


def _number(value: Any) -> float | None:
    """A finite float from an int, a float, an exifread Ratio or a Pillow IFDRational."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        num, den = value, 1
    elif hasattr(value, "numerator") and hasattr(value, "denominator"):
        num, den = value.numerator, value.denominator  # read raw: a zero denominator must not divide
    else:
        return None
    if not isinstance(num, int | float) or not isinstance(den, int | float) or den == 0:
        return None
    result = num / den
    return result if math.isfinite(result) else None


def _first(value: Any) -> Any:
    """exifread wraps single values in a list (Orientation = [6]); Pillow does not."""
    if isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = "".join(ch for ch in value if ch.isprintable()).strip(" \x00")
    return value[:128] or None


def _coordinate(raw: Any, ref: Any, refs: tuple[str, str], limit: float) -> float | None:
    """Degrees from one to three rationals (degrees, minutes, seconds; any of them may have decimals)."""
    parts = [_number(v) for v in raw] if isinstance(raw, list | tuple) else [_number(raw)]
    if not 1 <= len(parts) <= 3 or any(p is None or p < 0 for p in parts):
        return None
    if any(p >= 60 for p in parts[1:]):  # type: ignore[operator]
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts))  # type: ignore[operator]
    hemisphere = (_text(ref) or "")[:1].upper()
    if degrees > limit or hemisphere not in refs:
        return None
    return -degrees if hemisphere == refs[1] else degrees


def _position(
    lat: Any, lat_ref: Any, lon: Any, lon_ref: Any, status: Any
) -> tuple[float | None, float | None]:
    if lat is None or lon is None:
        return None, None
    if (_text(status) or "").upper().startswith("V"):  # receiver reported a void fix
        return None, None
    latitude = _coordinate(lat, lat_ref, ("N", "S"), 90.0)
    longitude = _coordinate(lon, lon_ref, ("E", "W"), 180.0)
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return None, None
    return latitude, longitude


_DATETIME = re.compile(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def _taken_at(original: Any, original_offset: Any, digitized: Any, digitized_offset: Any) -> datetime | None:
    for stamp, offset in ((original, original_offset), (digitized, digitized_offset)):
        parsed = _safe(lambda s=stamp, o=offset: _datetime(s, o))
        if parsed is not None:
            return parsed
    return None


def _datetime(stamp: Any, offset: Any) -> datetime | None:
    text = _text(stamp)
    match = _DATETIME.match(text or "")
    if not match:
        return None
    parsed = datetime(*(int(part) for part in match.groups()))  # ValueError for 0000:00:00 etc.
    if not 1900 <= parsed.year <= 2100:
        return None
    zone = _OFFSET.fullmatch(_text(offset) or "")
    if zone:
        sign = -1 if zone.group(1) == "-" else 1
        delta = timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3)))
        if delta <= timedelta(hours=14) and int(zone.group(3)) < 60:
            parsed = parsed.replace(tzinfo=timezone(sign * delta))
    return parsed


def _orientation(value: Any) -> int | None:
    value = _first(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
        return value
    return None

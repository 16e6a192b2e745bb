"""Photo intake: bytes in, plain data out.

This package is deliberately pure (no Flask, no database, no file system). :func:`process_photo`
takes the bytes a phone uploaded and returns a :class:`ProcessedPhoto` with

* the identity of the original (SHA-256, size, format, MIME type). The original itself is never
  re-encoded: the caller stores the uploaded bytes unchanged as evidence;
* what its EXIF says (:class:`Exif`: GPS position, capture time, orientation, make and model),
  read with exifread (details=False) from the EXIF block of the original file and never trusted: a
  broken field is dropped, a broken or hostile EXIF block is ignored, the photo is kept (``exif``);
* a display copy (JPEG, long edge <= 1600 px, upright, sRGB, no metadata at all) and a thumbnail
  (JPEG, long edge <= 320 px) made from the display copy (``render``);
* a 64-bit perceptual hash (dHash), computed from the in-memory thumbnail (itself made from the
  display copy, never from the original), to spot the same scene uploaded twice.

Formats are decided by content, never by file name or client-declared type (``sniff``): JPEG, PNG,
WebP and HEIC/HEIF are accepted; anything else raises :class:`PhotoError` with a stable ``code``.

Cost: a JPEG is decoded by libjpeg at a reduced DCT scale (draft mode: 1/2, 1/4 or 1/8, see
:func:`draft_scale`) straight to the smallest size that still has a long edge of at least 1600 px,
so most of the full-resolution work is never done; the display resize is libvips's lanczos3 when
pyvips is installed (Pillow's HAMMING otherwise, see ``render``). Everything runs in the caller's thread (the
server's worker processes are the parallelism). Memory: pixel counts are checked from the header
before anything is decoded (``max_pixels``; ``max_deep_pixels`` for 16-bit, 32-bit and float
images), and a deep image is shrunk before it is converted, so a photo costs its decoded size and
little more. bench/ingest.py measures the CPU time against a naive pipeline and the bare decode.

Thread safety: process_photo keeps no state between calls and may run in several threads at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pillow_heif
from PIL import Image

from . import render
from .errors import ACCEPTED, PhotoError
from .exif import Exif, read_exif
from .render import DISPLAY_MAX_EDGE, THUMB_MAX_EDGE, draft_scale
from .sniff import detect_format, strip_jpeg_exif

# Let Pillow's own Image.open() recognise HEIC/HEIF everywhere in the application too.
pillow_heif.register_heif_opener()

__all__ = [
    "ACCEPTED",
    "DEFAULT_MAX_DEEP_PIXELS",
    "DEFAULT_MAX_PIXELS",
    "DISPLAY_MAX_EDGE",
    "THUMB_MAX_EDGE",
    "Exif",
    "PhotoError",
    "ProcessedPhoto",
    "draft_scale",
    "phash_distance",
    "process_photo",
]

DEFAULT_MAX_PIXELS = 64_000_000
# 16-bit, 32-bit and float images (a 16-bit greyscale PNG decodes as I;16): at most 12 MP, 24 MB
# decoded. No phone writes them; a 124 kB file can claim 64 MP of them.
DEFAULT_MAX_DEEP_PIXELS = 12_000_000


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


def process_photo(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_deep_pixels: int = DEFAULT_MAX_DEEP_PIXELS,
    sha256: str | None = None,
) -> ProcessedPhoto:
    """Check, describe and render one uploaded photo. Raises :class:`PhotoError` for bad input.

    ``max_pixels`` caps width x height as declared in the file header, and ``max_deep_pixels`` caps
    16-bit, 32-bit and float images (the smaller of the two applies to them); both are checked
    before any pixel is decoded, so a small file claiming a huge image (a decompression bomb) costs
    nothing. Refusals are ``PhotoError("too_many_pixels", ...)``. ``sha256`` is the caller's hex
    SHA-256 of ``data`` when it has one already (a filing hashes each upload for idempotency first):
    it is taken as given, sparing a second pass over the bytes (about 2 ms for 4 MB).
    """
    if not data:
        raise PhotoError("empty", "the file is empty")
    data = bytes(data)
    fmt = detect_format(data)
    width, height, exif, mime, display = _describe_and_render(data, fmt, max_pixels, max_deep_pixels)
    thumb, thumb_jpeg, phash = render.thumbnail(display)
    return ProcessedPhoto(
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=fmt,
        mime=mime,
        width=width,
        height=height,
        exif=exif,
        display=render.encode_jpeg(display),
        display_size=display.size,
        thumb=thumb_jpeg,
        thumb_size=thumb.size,
        phash=phash,
    )


def _describe_and_render(
    data: bytes, fmt: str, max_pixels: int, max_deep_pixels: int
) -> tuple[int, int, Exif, str, Image.Image]:
    """Full-resolution size in display orientation, EXIF, MIME type and the display copy."""
    # Pillow never sees a JPEG's EXIF: exifread is our EXIF reader, and Pillow's own parser warns
    # on broken EXIF while opening, which would make the outcome depend on warning filters.
    pixels, exif_block = strip_jpeg_exif(data) if fmt == "jpeg" else (data, None)
    with render.open_image(pixels, fmt) as img:
        width, height = img.size
        render.check_pixels(width, height, max_pixels, mode=img.mode, max_deep_pixels=max_deep_pixels)
        exif = read_exif(exif_block if fmt == "jpeg" else img.info.get("exif"), img.info)
        mime = render.mime_of(img, fmt)
        # HEIF decoders apply the container's rotation and mirroring; the EXIF tag is then stale.
        orientation = (exif.orientation or 1) if fmt != "heif" else 1
        render.decode(img, fmt)
        render.check_pixels(*img.size, max_pixels, mode=img.mode, max_deep_pixels=max_deep_pixels)
        display = render.render_display(img, orientation)
    if orientation >= 5:
        width, height = height, width
    return width, height, exif, mime, display


def phash_distance(a: str, b: str) -> int:
    """Number of differing bits between two 16-hex-digit hashes (0 = same picture, 64 = opposite)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()

"""Photo intake: bytes in, plain data out.

This package is deliberately pure (no Flask, no database, no file system). A filing calls
:func:`intake_photo`, which takes the bytes a phone uploaded and returns a :class:`ProcessedPhoto` with

* the identity of the original (SHA-256, size, format, MIME type). The original itself is never
  re-encoded: the caller stores the uploaded bytes unchanged as evidence;
* what its EXIF says (:class:`Exif`: GPS position, capture time, orientation, make and model),
  read with exifread (details=False) from the EXIF block of the original file and never trusted: a
  broken field is dropped, a broken or hostile EXIF block is ignored, the photo is kept (``exif``);
* a thumbnail (JPEG, long edge <= 320 px, upright, sRGB, no metadata at all) and the size the display
  copy will have (``render``);
* a 64-bit perceptual hash (dHash), computed from the in-memory thumbnail (never from the original),
  to spot the same scene uploaded twice.

The display copy (JPEG, long edge <= 1600 px, upright, sRGB, no metadata) is made on its first view,
not at filing (issue #16): :func:`display_copy` renders it from the stored original, with the code
that made it at filing before session 10, so its bytes are the same. :func:`process_photo` does both
(the intake and the display copy) for tools and tests that want every rendition at once.

Formats are decided by content, never by file name or client-declared type (``sniff``): JPEG, PNG,
WebP and HEIC/HEIF are accepted; anything else raises :class:`PhotoError` with a stable ``code``.

Cost: a JPEG is decoded by libjpeg at a reduced DCT scale (draft mode: 1/2, 1/4 or 1/8, see
:func:`draft_scale`) straight to the smallest size that still has a long edge of at least 320 px at
intake (1/8 for a 12 MP photo) and 1600 px for the display copy, so most of the full-resolution work is
never done; every scale still entropy-decodes every byte, so a damaged or truncated file is refused at
intake as before. PNG, WebP and HEIC have no reduced decode: they are decoded whole at intake and again
for the display copy. Resizes are libvips's lanczos3 when pyvips is installed (Pillow's HAMMING
otherwise, see ``render``). Everything runs in the caller's thread (the server's worker processes are
the parallelism). Memory: pixel counts are checked from the header before anything is decoded
(``max_pixels``; ``max_deep_pixels`` for 16-bit, 32-bit and float images), and a deep image is shrunk
before it is converted, so a photo costs its decoded size and little more. bench/ingest.py measures the
CPU time against a naive pipeline and the bare decode.

Thread safety: nothing here keeps state between calls; any function may run in several threads at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

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
    "display_copy",
    "draft_scale",
    "intake_photo",
    "phash_distance",
    "process_photo",
]

DEFAULT_MAX_PIXELS = 64_000_000
# 16-bit, 32-bit and float images (a 16-bit greyscale PNG decodes as I;16): at most 12 MP, 24 MB
# decoded. No phone writes them; a 124 kB file can claim 64 MP of them.
DEFAULT_MAX_DEEP_PIXELS = 12_000_000


@dataclass(frozen=True)
class ProcessedPhoto:
    """The result of :func:`intake_photo` (``display`` None) or :func:`process_photo` (``display`` made).

    ``sha256``, ``size``, ``format`` and ``mime`` describe the original bytes (``format`` is one of
    ``jpeg``, ``png``, ``webp``, ``heif``). ``width``/``height`` are the full-resolution size in
    display orientation (after EXIF rotation). ``thumb`` (and ``display`` when made) are JPEG bytes
    without any metadata; ``thumb_size`` is the thumbnail's size and ``display_size`` the display
    copy's, made or not (:func:`display_copy` gives exactly that size). ``phash`` is a 64-bit dHash of
    the thumbnail as 16 hex digits; compare two with :func:`phash_distance` (re-encodings and
    rescalings of one photo differ by a few bits, unrelated photos by 20 or more; a flat, featureless
    picture hashes to all zeros, so do not treat equal hashes of such pictures as duplicates).
    """

    sha256: str
    size: int
    format: str
    mime: str
    width: int
    height: int
    exif: Exif
    display_size: tuple[int, int]
    thumb: bytes
    thumb_size: tuple[int, int]
    phash: str
    display: bytes | None = None


def intake_photo(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_deep_pixels: int = DEFAULT_MAX_DEEP_PIXELS,
    sha256: str | None = None,
) -> ProcessedPhoto:
    """Check and describe one uploaded photo and make its thumbnail (a filing's work); raises
    :class:`PhotoError` for bad input. The display copy is not made (``display`` is None).

    ``max_pixels`` caps width x height as declared in the file header, and ``max_deep_pixels`` caps
    16-bit, 32-bit and float images (the smaller of the two applies to them); both are checked
    before any pixel is decoded, so a small file claiming a huge image (a decompression bomb) costs
    nothing. Refusals are ``PhotoError("too_many_pixels", ...)``. ``sha256`` is the caller's hex
    SHA-256 of ``data`` when it has one already (a filing hashes each upload for idempotency first):
    it is taken as given, sparing a second pass over the bytes (about 2 ms for 4 MB).
    """
    data = _bytes(data)
    fmt = detect_format(data)
    seen = _render(data, fmt, THUMB_MAX_EDGE, max_pixels, max_deep_pixels)
    return ProcessedPhoto(
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=fmt,
        mime=seen.mime,
        width=seen.width,
        height=seen.height,
        exif=seen.exif,
        display_size=seen.display_size,
        thumb=render.encode_jpeg(seen.image, render.THUMB_QUALITY),
        thumb_size=seen.image.size,
        phash=render.dhash(seen.image),
    )


def display_copy(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_deep_pixels: int = DEFAULT_MAX_DEEP_PIXELS
) -> bytes:
    """The display copy of a photo (JPEG bytes, long edge <= 1600 px, upright, sRGB, no metadata), made
    from the original's bytes on its first view. The same bytes for the same original on every call
    and in every process (so two processes making it at once store the same blob), and the same
    bytes a filing stored before session 10. Raises :class:`PhotoError` as :func:`intake_photo` does.
    """
    data = _bytes(data)
    seen = _render(data, detect_format(data), DISPLAY_MAX_EDGE, max_pixels, max_deep_pixels)
    return render.encode_jpeg(seen.image)


def process_photo(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_deep_pixels: int = DEFAULT_MAX_DEEP_PIXELS,
    sha256: str | None = None,
) -> ProcessedPhoto:
    """:func:`intake_photo` and :func:`display_copy` together: every rendition (two decodes, one
    per rendition). Filing does not use it; tools and tests that want the display copy at once do."""
    intake = intake_photo(data, max_pixels=max_pixels, max_deep_pixels=max_deep_pixels, sha256=sha256)
    display = display_copy(data, max_pixels=max_pixels, max_deep_pixels=max_deep_pixels)
    return replace(intake, display=display)


def _bytes(data: bytes) -> bytes:
    if not data:
        raise PhotoError("empty", "the file is empty")
    return bytes(data)


@dataclass(frozen=True)
class _Rendered:
    """What one decode of a photo gives: the facts of the original and one rendition."""

    width: int  # full resolution, display orientation
    height: int
    exif: Exif
    mime: str
    image: Image.Image  # the rendition: upright, sRGB, no metadata
    display_size: tuple[int, int]


def _render(data: bytes, fmt: str, edge: int, max_pixels: int, max_deep_pixels: int) -> _Rendered:
    """Open, check, read EXIF, decode at the scale ``edge`` needs and render one rendition.

    For the display copy (``edge`` DISPLAY_MAX_EDGE) this is the filing-time rendering of sessions 1-9
    unchanged: decoded at the scale keeping 1600 px, brought to ``fit(decoded size, 1600)``. For the
    thumbnail (``edge`` THUMB_MAX_EDGE: 1/8 scale for 12 MP) it is brought to ``fit(full size, 320)``.
    """
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
        # The display copy is fit(its decoded size, 1600) (render_display's default): a JPEG's decoded
        # size at the display's DCT scale is known from its header, so the thumbnail's decode tells it too.
        display_size = render.fit(render.decoded_size(img, pixels, fmt), DISPLAY_MAX_EDGE)
        render.decode(img, fmt, edge)
        render.check_pixels(*img.size, max_pixels, mode=img.mode, max_deep_pixels=max_deep_pixels)
        target = None if edge == DISPLAY_MAX_EDGE else render.fit((width, height), edge)
        image = render.render_display(img, orientation, target)
    if orientation >= 5:
        width, height = height, width
        display_size = (display_size[1], display_size[0])
    return _Rendered(width, height, exif, mime, image, display_size)


def phash_distance(a: str, b: str) -> int:
    """Number of differing bits between two 16-hex-digit hashes (0 = same picture, 64 = opposite)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()

"""Decoding and rendering: header parsing with our own pixel limits, a JPEG decoded at a reduced DCT
scale (draft mode), a rendition (upright, sRGB, no metadata: the display copy at most 1600 px, the
thumbnail at most 320 px, each from its own decode) and the dHash.

Everything runs in the caller's thread: one photo, one core. A deployment gets its parallelism from
its worker processes (gunicorn), and one photo gives the same bytes on every machine.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from PIL import Image, ImageCms, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin
from pillow_heif.as_plugin import HeifImageFile

try:  # libvips (pyvips-binary) resamples the display copy; without it, Pillow does (see _resize)
    import pyvips
except Exception:  # not installed, or its library failed to load: Pillow alone
    pyvips = None
else:
    # One worker thread (libvips computes on a thread of its own while the caller waits, so a photo
    # still uses one core: the server's workers are the parallelism), and no operation cache: each
    # photo is resized once, and cached pixels would only hold memory.
    pyvips.concurrency_set(1)
    pyvips.cache_set_max(0)

from .errors import PhotoError
from .sniff import LABEL, MIME

__all__ = [
    "DISPLAY_FILTER",
    "DISPLAY_MAX_EDGE",
    "THUMB_MAX_EDGE",
    "check_pixels",
    "decode",
    "decoded_size",
    "draft",
    "draft_scale",
    "encode_jpeg",
    "fit",
    "is_deep",
    "mime_of",
    "open_image",
    "render_display",
    "dhash",
]

DISPLAY_MAX_EDGE = 1600
THUMB_MAX_EDGE = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 80
# After draft decoding the display resize is a mild one (2000 -> 1600 for a 12 MP photo). libvips's
# lanczos3 (8-bit RGB and grey, when pyvips is installed) does it in about 14 ms of CPU with the
# quality of Pillow's LANCZOS (52 ms); Pillow's HAMMING (25 ms, 0.1-1.5 dB PSNR below LANCZOS after
# JPEG encoding on the test photos) is the fallback and resizes every other mode. bench/ingest.py.
# BOX would save another 9 ms but samples unevenly at such ratios (visible on fine lines and text).
DISPLAY_FILTER = Image.Resampling.HAMMING
VIPS_KERNEL = "lanczos3"

# Pillow plugin classes, instantiated directly once the magic bytes have named the format (see open_image).
_PLUGINS: dict[str, type[ImageFile.ImageFile]] = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
    "heif": HeifImageFile,
}

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


def open_image(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Parse the header only.

    The plugin class for the sniffed format is instantiated directly instead of ``Image.open``: only
    that one parser ever sees the bytes, and Pillow's process-wide decompression-bomb limit (a
    *warning* first, which pytest turns into an error and production merely logs) is replaced by
    our own explicit pixel limits, so the outcome never depends on global warning filters.
    """
    try:
        return _PLUGINS[fmt](io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("too_many_pixels", "the image has too many pixels") from exc
    except MemoryError as exc:
        raise PhotoError("too_many_pixels", "the image is too large to open") from exc
    except Exception as exc:  # any parser failure on a file whose magic bytes matched
        raise PhotoError("truncated", f"the {LABEL[fmt]} file is damaged or truncated") from exc


def is_deep(mode: str) -> bool:
    """16-bit, 32-bit integer or float pixels (a 16-bit greyscale PNG decodes as ``I;16``)."""
    return mode in ("I", "F") or mode.startswith("I;16")


def check_pixels(
    width: int, height: int, max_pixels: int, *, mode: str = "", max_deep_pixels: int = 0
) -> None:
    """Refuse an image over the pixel limit; for a deep mode (see :func:`is_deep`) the limit is
    ``max_deep_pixels`` when that is smaller: such files compress to almost nothing (a 124 kB PNG
    holds 8000x8000 16-bit pixels) and cost two to four bytes a pixel once decoded."""
    if width <= 0 or height <= 0:
        raise PhotoError("truncated", "the image has no pixels")
    if width * height > max_pixels:
        raise PhotoError(
            "too_many_pixels",
            f"the image has too many pixels ({width}x{height}; the limit is {max_pixels:,} pixels)",
        )
    if max_deep_pixels and is_deep(mode) and width * height > max_deep_pixels:
        raise PhotoError(
            "too_many_pixels",
            f"the 16-bit image has too many pixels ({width}x{height}; the limit for 16- and 32-bit "
            f"images is {max_deep_pixels:,} pixels); save it as an 8-bit image",
        )


def mime_of(img: ImageFile.ImageFile, fmt: str) -> str:
    if fmt == "heif":
        declared = getattr(img, "custom_mimetype", None)
        if declared in ("image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"):
            return declared
    return MIME[fmt]


def draft(img: ImageFile.ImageFile, fmt: str, edge: int = DISPLAY_MAX_EDGE) -> None:
    """Ask a JPEG's decoder for the smallest DCT scale that keeps a long edge >= ``edge`` (header only:
    ``img.size`` becomes the size the decoder will produce); other formats are decoded at full size."""
    if fmt == "jpeg" and img.mode in ("RGB", "L"):
        scale = draft_scale(img.size, edge)
        if scale > 1:
            # Pillow picks the largest of 1/8, 1/4, 1/2 with size // requested >= that scale on both
            # axes; asking for exactly size // scale makes that our scale (a short edge under
            # ``scale`` px may make it pick a finer one, which is only slower).
            width, height = img.size
            img.draft(img.mode, (max(1, width // scale), max(1, height // scale)))


def decode(img: ImageFile.ImageFile, fmt: str, edge: int = DISPLAY_MAX_EDGE) -> None:
    """Decode the pixels in place; a JPEG at the smallest DCT scale keeping a long edge >= ``edge``.

    Every scale still entropy-decodes every byte of the file (libjpeg scales in the inverse DCT), so
    a truncated or damaged JPEG fails at 1/8 exactly as at full size.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # With it on, Pillow pads a cut-off file with grey instead of failing; we would accept it.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False for photo intake")
    draft(img, fmt, edge)
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as exc:
        raise PhotoError("too_many_pixels", "the image has too many pixels") from exc
    except Exception as exc:  # OSError "image file is truncated", broken streams, libheif errors
        raise PhotoError("truncated", f"the {LABEL[fmt]} file is truncated or damaged") from exc


def decoded_size(
    img: ImageFile.ImageFile, data: bytes, fmt: str, edge: int = DISPLAY_MAX_EDGE
) -> tuple[int, int]:
    """The size :func:`decode` would give ``img`` (opened from ``data``, nothing decoded yet) for
    ``edge``, from the header alone: a JPEG's draft is asked of a second header (Pillow's own DCT
    scale arithmetic, about 0.1 ms), any other image decodes at its header's size."""
    if fmt != "jpeg" or img.mode not in ("RGB", "L") or draft_scale(img.size, edge) == 1:
        return img.size
    with open_image(data, fmt) as other:
        draft(other, fmt, edge)
        return other.size


def draft_scale(size: tuple[int, int], edge: int = DISPLAY_MAX_EDGE) -> int:
    """The JPEG DCT scale denominator (1, 2, 4 or 8) a photo of ``size`` is decoded at for ``edge``.

    The largest one whose decoded long edge (rounded up, as libjpeg does) is still at least ``edge``
    (DISPLAY_MAX_EDGE for the display copy; THUMB_MAX_EDGE at filing, 1/8 for a 12 MP photo), so
    the display copy of any photo with a long edge of 1600 px or more is exactly 1600 px long,
    resampled from at least as many pixels: 4000x3000 decodes at 1/2 (2000x1500), 6400x4800 at 1/4
    (1600x1200), 6396x4797 at 1/2, 3198x2398 at full size; the thumbnail likewise from >= 320 px.
    """
    longest = max(size)
    for scale in (8, 4, 2):
        if -(-longest // scale) >= edge:
            return scale
    return 1


def fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """Scale (w, h) so the long edge is at most ``limit``, keeping the aspect ratio."""
    width, height = size
    longest = max(width, height)
    if longest <= limit:
        return size
    scale = limit / longest
    return max(1, min(limit, round(width * scale))), max(1, min(limit, round(height * scale)))


def render_display(img: Image.Image, orientation: int, size: tuple[int, int] | None = None) -> Image.Image:
    """Flatten to RGB, shrink to ``size`` (default: a long edge <= 1600 px), convert to sRGB, turn upright.
    Returns a new image. ``size`` is before turning and never larger than the image."""
    source = img
    icc = img.info.get("icc_profile")
    size = size or fit(img.size, DISPLAY_MAX_EDGE)
    if is_deep(img.mode):
        img = _deep_to_grey(img, size)
    else:
        img = _normalise_mode(img)
        if size != img.size:
            img = _resize(img, size)
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


def _resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resample an 8-bit image to ``size``: libvips's lanczos3 for RGB and grey when pyvips is there,
    else (and for alpha, which Pillow resamples premultiplied, and CMYK) Pillow's HAMMING."""
    if pyvips is not None and img.mode in ("RGB", "L"):
        bands = len(img.getbands())
        source = pyvips.Image.new_from_memory(img.tobytes(), img.width, img.height, bands, "uchar")
        out = source.resize(size[0] / img.width, vscale=size[1] / img.height, kernel=VIPS_KERNEL)
        if (out.width, out.height) == size:
            return Image.frombuffer(img.mode, size, out.write_to_memory(), "raw", img.mode, 0, 1)
    return img.resize(size, DISPLAY_FILTER, reducing_gap=2.0)


def _deep_to_grey(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """16/32-bit grey to 8-bit grey, shrunk first: no full-size copy in a wider mode is ever made
    (converting an 8000x8000 ``I;16`` image to ``I`` and scaling it took 512 MB more than the decode)."""
    if size != img.size:
        # No reducing_gap: Image.reduce() refuses I;16, and resampling I;16 directly costs only the
        # output and one intermediate row band (8000x8000 -> 1600x1600: 30 MB beside the 128 MB decode).
        try:
            img = img.resize(size, DISPLAY_FILTER)
        except ValueError:  # a byte order Pillow cannot resample: widen first (at most max_deep_pixels)
            img = img.convert("I").resize(size, DISPLAY_FILTER)
    if img.mode == "F":
        return img.convert("L")
    wide = img if img.mode == "I" else img.convert("I")
    return wide.point(lambda v: v * (1 / 257)).convert("L")


def _normalise_mode(img: Image.Image) -> Image.Image:
    """Bring an 8-bit mode to RGB, L, CMYK (for the ICC step) or RGBA/LA (flattened later)."""
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


def encode_jpeg(img: Image.Image, quality: int = DISPLAY_QUALITY) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


def dhash(img: Image.Image) -> str:
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

"""Format detection by content (never by file name or declared type), and the JPEG EXIF split."""

from __future__ import annotations

from .errors import ACCEPTED, PhotoError

__all__ = ["LABEL", "MIME", "detect_format", "strip_jpeg_exif"]

MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "heif": "image/heif"}
LABEL = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "heif": "HEIC"}

# ISO-BMFF brands: HEVC-coded HEIF (what phones write) and the generic image brands.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def detect_format(data: bytes) -> str:
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


def strip_jpeg_exif(data: bytes) -> tuple[bytes, bytes | None]:
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

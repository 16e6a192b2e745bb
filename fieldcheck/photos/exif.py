"""EXIF: what the original file's EXIF block claims (position, capture time, orientation, make and
model), read with exifread (details=False), Pillow's parser as the fallback, and never trusted.

A broken field is dropped, a broken or hostile EXIF block is ignored (exifread is only given a block
whose walk is bounded, see :func:`exif_walk_is_bounded`), and nothing here ever raises.
"""

from __future__ import annotations

import io
import math
import re
import struct
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import exifread
from PIL import Image

__all__ = ["Exif", "exif_walk_is_bounded", "read_exif"]


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


def read_exif(block: Any, info: dict[Any, Any]) -> Exif:
    """EXIF from the original file's EXIF block (``Exif\\0\\0`` + TIFF, or bare TIFF), read with
    exifread; Pillow's parser is the fallback when exifread fails. Never raises: unreadable EXIF is
    no EXIF. The block comes from the container (JPEG APP1, PNG eXIf, WebP EXIF chunk, HEIF Exif item).
    """
    if not isinstance(block, bytes) or not block:
        return Exif()
    tiff = block[6:] if block.startswith(b"Exif\x00\x00") else block
    if not exif_walk_is_bounded(tiff):
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


def exif_walk_is_bounded(tiff: bytes) -> bool:
    """Whether exifread can read this TIFF block in bounded time.

    exifread visits as many entries as an IFD *claims* to hold, even past the end of the data, and
    dumps a GPS or Interop IFD once per pointer to it, so a crafted 64 kB block can keep it busy for
    minutes. This mirrors its walk (IFD chain, EXIF IFD from IFD0, GPS/Interop pointers, each pointer
    resolved as exifread does) and refuses blocks that would make it visit an IFD overrunning the
    data or more than _MAX_EXIF_ENTRIES entries in all.
    """
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return True  # exifread gives up on these at once
    return _ExifWalk(tiff).bounded()


class _ExifWalk:
    """exifread's walk over one TIFF block, counting the entries it would visit (see above)."""

    def __init__(self, tiff: bytes) -> None:
        self.tiff = tiff
        self.order = "<" if tiff[:1] == b"I" else ">"
        self.budget = _MAX_EXIF_ENTRIES

    def bounded(self) -> bool:
        seen: set[int] = set()
        offset, exif_ifd = self.read("I", 4) or 0, None
        while offset and offset not in seen:
            seen.add(offset)
            ifd = self.entries(offset)
            if ifd is None or len(seen) > _MAX_IFD_CHAIN or not self.sub_ifds_ok(ifd):
                return False
            if len(seen) == 1:
                exif_ifd = next(
                    (self.target(k, c, at) for tag, k, c, at in reversed(ifd) if tag == 0x8769), None
                )
            offset = self.read("I", offset + 2 + 12 * len(ifd)) or 0
        if exif_ifd is not None and exif_ifd >= 0:
            ifd = self.entries(exif_ifd)
            if ifd is None or not self.sub_ifds_ok(ifd):
                return False
        return True

    def read(self, fmt: str, at: int) -> int | None:
        size = struct.calcsize(fmt)
        if at < 0 or at + size > len(self.tiff):
            return None
        return struct.unpack_from(self.order + fmt, self.tiff, at)[0]

    def entries(self, offset: int) -> list[tuple[int, int, int, int]] | None:
        """(tag, type, count, position) of each entry; None when this IFD must not be walked."""
        count = self.read("H", offset)
        if count is None:
            return []  # nothing there: exifread reads zero entries
        self.budget -= max(count, 1)
        if count > _MAX_IFD_ENTRIES or offset + 2 + 12 * count > len(self.tiff) or self.budget < 0:
            return None
        positions = range(offset + 2, offset + 2 + 12 * count, 12)
        return [(*struct.unpack_from(self.order + "HHI", self.tiff, at), at) for at in positions]

    def target(self, kind: int, count: int, at: int) -> int | None:
        """The IFD offset exifread takes from this entry (its first value), or None for no visit."""
        fmt = _INT_TYPES.get(kind)
        if fmt is None or count == 0:
            return None  # exifread fails on the value and skips the sub-IFD
        inline = count * struct.calcsize(fmt) <= 4
        where = at + 8 if inline else self.read("I", at + 8)
        value = self.read(fmt, where) if where is not None else None
        return 0 if value is None else value  # a short read gives 0 there: the TIFF header as an IFD

    def sub_ifds_ok(self, ifd: list[tuple[int, int, int, int]]) -> bool:
        for tag, kind, count, at in ifd:
            if tag in _SUB_IFDS:
                offset = self.target(kind, count, at)
                if offset is not None and offset >= 0 and self.entries(offset) is None:
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
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    parsed = datetime(year, month, day, hour, minute, second)  # ValueError for 0000:00:00 etc.
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

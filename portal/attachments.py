"""Checking and cleaning files sent by reporters, entirely in memory.

The type is decided by the content (magic bytes), never by the name. Images are
re-encoded with Pillow, which drops EXIF (GPS position, camera, date) and any data
appended after the image; PDF metadata is removed with pikepdf. The reporter may
ask to keep the original as evidence: the file is then checked but not rewritten.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000

PDF, JPEG, PNG, TEXT, ODT, DOCX = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/plain",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", TEXT: "txt", ODT: "odt", DOCX: "docx"}


class RejectedFile(ValueError):
    """A file the portal will not accept; ``reason`` is a code the form translates."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanFile:
    name: str
    media_type: str
    data: bytes
    #: True when metadata was removed by rewriting the file.
    cleaned: bool


def safe_filename(name: str, media_type: str) -> str:
    """A display name with no path, control characters or misleading extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(
        ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C"
    )
    stem = base.rsplit(".", 1)[0].strip(" .")[:80] or "document"
    return f"{stem}.{EXTENSIONS[media_type]}"


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype" and archive.read("mimetype") == ODT.encode():
                return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None
    return None


def _looks_like_text(data: bytes) -> bool:
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_type(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
        if kind:
            return kind
        raise RejectedFile("type")
    if data and _looks_like_text(data):
        return TEXT
    raise RejectedFile("type")


def _contains_archive(data: bytes) -> bool:
    """A ZIP end-of-archive record or local header inside a non-ZIP file: a polyglot."""
    return b"PK\x05\x06" in data or b"PK\x03\x04" in data


def _clean_image(data: bytes, media_type: str, keep_original: bool) -> tuple[bytes, bool]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise RejectedFile("pixels")
            expected = "JPEG" if media_type == JPEG else "PNG"
            if image.format != expected:
                raise RejectedFile("type")
            image.load()
            if keep_original:
                return data, False
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if expected == "JPEG":
                upright.convert("RGB").save(out, "JPEG", quality=92, optimize=True)
            else:
                upright.save(out, "PNG", optimize=False)
            return out.getvalue(), True
    except Image.DecompressionBombError:
        raise RejectedFile("pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise RejectedFile("damaged") from None


def _clean_pdf(data: bytes, keep_original: bool) -> tuple[bytes, bool]:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if keep_original:
                return data, False
            with pdf.open_metadata(set_pikepdf_as_editor=False) as metadata:
                for key in list(metadata.keys()):
                    del metadata[key]
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            if "/Metadata" in pdf.Root:
                del pdf.Root["/Metadata"]
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
            return out.getvalue(), True
    except pikepdf.PdfError:
        raise RejectedFile("damaged") from None


def inspect_upload(name: str, data: bytes, *, keep_original: bool) -> CleanFile:
    """Accept or refuse one file; return it cleaned of metadata unless asked not to."""
    if not data:
        raise RejectedFile("empty")
    if len(data) > MAX_FILE_BYTES:
        raise RejectedFile("size")
    media_type = detect_type(data)
    if media_type in (JPEG, PNG, PDF) and _contains_archive(data):
        raise RejectedFile("polyglot")
    if media_type in (JPEG, PNG):
        data, cleaned = _clean_image(data, media_type, keep_original)
    elif media_type == PDF:
        data, cleaned = _clean_pdf(data, keep_original)
    else:
        cleaned = False
    return CleanFile(safe_filename(name, media_type), media_type, data, cleaned)


# Pillow refuses to decode images far beyond this (DecompressionBombError); we refuse
# above MAX_PIXELS ourselves, before decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

"""Checking and cleaning files sent by reporters, entirely in memory.

The type is decided by the content (magic bytes), never by the name. Images are
re-encoded with Pillow, which drops EXIF (GPS position, camera, date) and any data
appended after the image; PDF metadata and active content (scripts, automatic
actions, launch actions, embedded files) are removed with pikepdf; ODT and DOCX
lose their author and revision metadata. The reporter may ask to keep the original
as evidence: the file is then checked but not rewritten.

Archives (ODT, DOCX) are judged from their directory before anything is inflated:
an entry that is encrypted, uses an unknown compression method, or a total size or
ratio no document has, refuses the file.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.isolation import IsolatedWorkFailed, run_isolated

logger = logging.getLogger(__name__)

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000
#: An office document holds XML and images: far below these once inflated.
MAX_ARCHIVE_ENTRIES = 2_000
MAX_ARCHIVE_INFLATED_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_RATIO = 100
#: Limits of the child that parses one file (``portal.isolation``): CPU seconds and
#: wall-clock wait, memory it may add to what it inherits, size of its answer. A
#: 20-megapixel JPEG takes about 0.6 s and 300 MB.
CHECK_SECONDS = 15
CHECK_MEMORY_BYTES = 1024 * 1024 * 1024
MAX_CLEANED_BYTES = 3 * MAX_FILE_BYTES

PDF, JPEG, PNG, TEXT, ODT, DOCX = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/plain",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", TEXT: "txt", ODT: "odt", DOCX: "docx"}


#: Why a file is refused; the form translates each. ``unsafe``: it could not be
#: checked within the limits (the decoder crashed, took too long or too much memory).
REASONS = frozenset({"type", "polyglot", "pixels", "damaged", "empty", "archive", "size", "unsafe"})


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


def _entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The directory, checked before a byte is inflated: ``zipfile`` never inflates an
    entry past the size its directory declares, so the declared sizes bound the work."""
    entries = archive.infolist()
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise RejectedFile("archive")
    for entry in entries:
        if entry.flag_bits & 0x1 or entry.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise RejectedFile("archive")
    inflated = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    if inflated > MAX_ARCHIVE_INFLATED_BYTES or inflated > MAX_ARCHIVE_RATIO * max(packed, 1):
        raise RejectedFile("archive")
    return entries


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = _entries(archive)
            names = [entry.filename for entry in entries]
            if names and names[0] == "mimetype":
                with archive.open(entries[0]) as mimetype:
                    if mimetype.read(len(ODT) + 1) == ODT.encode():
                        return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except RejectedFile:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, NotImplementedError):
        return None
    return None


#: Replaced by empty documents of the same kind: who wrote, edited, printed, when.
_OFFICE_METADATA = {
    ODT: {
        "meta.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' office:version="1.2"><office:meta/></office:document-meta>',
    },
    DOCX: {
        "docProps/core.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b"<cp:coreProperties xmlns:cp="
        b'"http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>',
        "docProps/app.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b"<Properties xmlns="
        b'"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"/>',
        "word/people.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"/>',
    },
}
#: Names left by tracked changes and comments inside the text itself.
_REVISION_AUTHORS = (
    (re.compile(rb'(w:author|w:initials)="[^"]*"'), rb'\1=""'),
    (re.compile(rb"<dc:creator>[^<]*</dc:creator>"), b"<dc:creator/>"),
    (re.compile(rb"<meta:initial-creator>[^<]*</meta:initial-creator>"), b""),
)


def _clean_office(data: bytes, media_type: str, keep_original: bool) -> tuple[bytes, bool]:
    if keep_original:
        return data, False
    replacements = _OFFICE_METADATA[media_type]
    out = io.BytesIO()
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as archive,
            zipfile.ZipFile(out, "w") as cleaned,
        ):
            for entry in _entries(archive):
                if entry.filename in replacements:
                    content = replacements[entry.filename]
                else:
                    content = archive.read(entry)
                    if entry.filename.endswith(".xml"):
                        for pattern, replacement in _REVISION_AUTHORS:
                            content = pattern.sub(replacement, content)
                # ODF wants its ``mimetype`` first and stored; keep every entry's method.
                copy = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
                copy.compress_type = entry.compress_type
                copy.external_attr = entry.external_attr
                cleaned.writestr(copy, content)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, NotImplementedError):
        raise RejectedFile("damaged") from None
    return out.getvalue(), True


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
                # No second pass for optimal tables: it took 0.4 s of a 20-MP image's
                # 0.7 s, for a file 7 % smaller.
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                upright.save(out, "JPEG", quality=92)
            else:
                upright.save(out, "PNG", optimize=False)
            return out.getvalue(), True
    except Image.DecompressionBombError:
        raise RejectedFile("pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise RejectedFile("damaged") from None


#: Keys that make a PDF act when opened, when a page or field is used, or carry files.
_ACTIVE_KEYS = ("/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA")
#: Actions that run code, open programs or files, or send data somewhere.
_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/RichMediaExecute"}
)


def _strip_active_content(pdf: pikepdf.Pdf) -> None:
    """Remove what a viewer would run or open, wherever it hides: the catalogue, name
    trees, pages, annotations and form fields, direct or indirect objects."""
    seen: set[tuple[int, int]] = set()
    pending: list = [pdf.Root, *pdf.objects]
    while pending:
        item = pending.pop()
        if isinstance(item, pikepdf.Object) and item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if isinstance(item, pikepdf.Array):
            pending.extend(item)
            continue
        if not isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        for key in _ACTIVE_KEYS:
            if key in item:
                del item[key]
        action = item.get("/A")
        if isinstance(action, pikepdf.Dictionary) and action.get("/S") in _ACTIVE_ACTIONS:
            del item["/A"]
        if item.get("/S") in _ACTIVE_ACTIONS and item.get("/Type", "/Action") == "/Action":
            item["/S"] = pikepdf.Name("/GoTo")  # an action that does nothing harmful
            item["/D"] = pikepdf.Array()
        if item.get("/Subtype") in ("/FileAttachment", "/RichMedia", "/Movie", "/Sound"):
            item["/Subtype"] = pikepdf.Name("/Text")
        pending.extend(item.values())


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
            _strip_active_content(pdf)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
            return out.getvalue(), True
    except pikepdf.PdfError:
        raise RejectedFile("damaged") from None


def _clean(data: bytes, keep_original: bool) -> tuple[dict[str, object], bytes]:
    """In the isolated child: decide the type, check and clean. Only the type, whether
    it was rewritten, or the reason for a refusal go back, with the bytes."""
    try:
        media_type = detect_type(data)
        if media_type in (JPEG, PNG, PDF) and _contains_archive(data):
            raise RejectedFile("polyglot")
        if media_type in (JPEG, PNG):
            data, cleaned = _clean_image(data, media_type, keep_original)
        elif media_type == PDF:
            data, cleaned = _clean_pdf(data, keep_original)
        elif media_type in (ODT, DOCX):
            data, cleaned = _clean_office(data, media_type, keep_original)
        else:
            cleaned = False
    except RejectedFile as rejected:
        return {"rejected": rejected.reason}, b""
    return {"media_type": media_type, "cleaned": cleaned}, data


def inspect_upload(
    name: str, data: bytes, *, keep_original: bool, seconds: float = CHECK_SECONDS
) -> CleanFile:
    """Accept or refuse one file; return it cleaned of metadata unless asked not to.

    The file is parsed in a child process (``portal.isolation``): a decoder that
    crashes, loops or swells refuses the file (``unsafe``) and leaves the worker as it
    was. What the child answers is checked like any other input."""
    if not data:
        raise RejectedFile("empty")
    if len(data) > MAX_FILE_BYTES:
        raise RejectedFile("size")
    try:
        header, cleaned_data = run_isolated(
            _clean,
            data,
            keep_original,
            seconds=seconds,
            memory_bytes=CHECK_MEMORY_BYTES,
            max_answer_bytes=MAX_CLEANED_BYTES,
        )
    except IsolatedWorkFailed as failed:
        # For the operators: which limit a file hit (never its name or content).
        logger.warning("an uploaded file of %d bytes was refused: %s", len(data), failed)
        raise RejectedFile("unsafe") from None
    if header.get("rejected") in REASONS:
        raise RejectedFile(header["rejected"])
    media_type, cleaned = header.get("media_type"), header.get("cleaned")
    if media_type not in EXTENSIONS or not isinstance(cleaned, bool) or not cleaned_data:
        raise RejectedFile("unsafe")
    return CleanFile(safe_filename(name, media_type), media_type, cleaned_data, cleaned)


# Pillow refuses to decode images far beyond this (DecompressionBombError); we refuse
# above MAX_PIXELS ourselves, before decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Every image plugin loaded now, in the worker: the child forked to decode a file
# then imports nothing.
Image.init()

"""Files reporters send: archives judged before inflating, office and PDF cleaning."""

from __future__ import annotations

import io
import resource
import struct
import time
import zipfile

import pikepdf
import pytest

from portal.attachments import DOCX, ODT, PDF, RejectedFile, inspect_upload

CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"/>'
)


def docx(extra: dict[str, bytes] | None = None, *, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr(
            "word/document.xml",
            b'<w:document><w:ins w:author="REVISER-MARK" w:initials="RM">texte</w:ins>'
            b"</w:document>",
        )
        archive.writestr(
            "docProps/core.xml",
            b"<cp:coreProperties><dc:creator>AUTHOR-MARK</dc:creator>"
            b"<cp:lastModifiedBy>EDITOR-MARK</cp:lastModifiedBy><cp:revision>7</cp:revision>"
            b"</cp:coreProperties>",
        )
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT.encode())
        archive.writestr(
            "content.xml",
            b"<office:document-content><office:change-info><dc:creator>REVISER-MARK"
            b"</dc:creator></office:change-info></office:document-content>",
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            "meta.xml",
            b"<office:document-meta><meta:initial-creator>AUTHOR-MARK</meta:initial-creator>"
            b"</office:document-meta>",
            zipfile.ZIP_DEFLATED,
        )
    return out.getvalue()


def inflated_text(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


@pytest.mark.parametrize(("make", "media_type"), [(docx, DOCX), (odt, ODT)])
def test_office_documents_lose_their_authors_and_revisions(make, media_type):
    original = make()
    cleaned = inspect_upload("lettre", original, keep_original=False)
    assert cleaned.media_type == media_type and cleaned.cleaned
    text = inflated_text(cleaned.data)
    for mark in (b"AUTHOR-MARK", b"EDITOR-MARK", b"REVISER-MARK", b"RM"):
        assert mark not in text
    assert b"texte" in text or b"document-content" in text
    # Still the same kind of document, ODF's stored mimetype first.
    assert inspect_upload("again", cleaned.data, keep_original=True).media_type == media_type


@pytest.mark.parametrize("make", [docx, odt])
def test_office_documents_kept_as_evidence_are_untouched(make):
    original = make()
    kept = inspect_upload("preuve", original, keep_original=True)
    assert kept.data == original and not kept.cleaned


def _patch_zip(data: bytes, *, flags: int | None = None, method: int | None = None) -> bytes:
    """Rewrite every local and central header's flag bits or method, as a crafted
    archive would have them."""
    patched = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            if flags is not None:
                patched[start + flag_at : start + flag_at + 2] = struct.pack("<H", flags)
            if method is not None:
                patched[start + method_at : start + method_at + 2] = struct.pack("<H", method)
            start += 4
    return bytes(patched)


@pytest.mark.parametrize(
    "crafted",
    [
        pytest.param(lambda: _patch_zip(docx(), flags=0x1), id="encrypted-entries"),
        pytest.param(lambda: _patch_zip(docx(), method=99), id="aes-method-99"),
        pytest.param(lambda: _patch_zip(odt(), method=99), id="odt-method-99"),
    ],
)
def test_archives_a_document_never_is_are_refused(crafted):
    with pytest.raises(RejectedFile) as refused:
        inspect_upload("lettre.docx", crafted(), keep_original=False)
    assert refused.value.reason == "archive"


def _bomb(entry: str, size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT.encode())
        info = zipfile.ZipInfo(entry)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as big:
            block = b"\0" * (1024 * 1024)
            for _ in range(size // len(block)):
                big.write(block)
    return out.getvalue()


@pytest.mark.parametrize("entry", ["content.xml", "word/document.xml"])
def test_a_small_archive_that_would_inflate_to_200_mb_is_refused_without_inflating(entry):
    bomb = _bomb(entry, 200 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(RejectedFile) as refused:
        inspect_upload("bombe.odt", bomb, keep_original=False)
    assert refused.value.reason == "archive"
    assert time.perf_counter() - started < 0.5
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 20 * 1024


def _active_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.Root.OpenAction = pdf.make_indirect(script)
    pdf.Root.AA = pikepdf.Dictionary(WC=script)
    pdf.pages[0].AA = pikepdf.Dictionary(O=script)
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))
    pdf.pages[0].Annots = pdf.make_indirect(
        pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=[0, 0, 10, 10],
                    A=launch,
                ),
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.FileAttachment,
                    Rect=[0, 0, 10, 10],
                    FS=pikepdf.Dictionary(
                        Type=pikepdf.Name.Filespec,
                        EF=pikepdf.Dictionary(F=pdf.make_stream(b"MZ hidden program")),
                    ),
                ),
            ]
        )
    )
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=[pikepdf.String("x"), script]),
        EmbeddedFiles=pikepdf.Dictionary(Names=[]),
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _names_in(data: bytes) -> set[str]:
    found: set[str] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for item in pdf.objects:
            if isinstance(item, (pikepdf.Array, pikepdf.Dictionary, pikepdf.Stream)):
                stack = [item]
                while stack:
                    current = stack.pop()
                    if isinstance(current, pikepdf.Array):
                        stack.extend(
                            value
                            for value in current
                            if isinstance(value, pikepdf.Object) and not value.is_indirect
                        )
                    elif isinstance(current, (pikepdf.Dictionary, pikepdf.Stream)):
                        found.update(current.keys())
                        found.update(
                            str(value)
                            for value in current.values()
                            if isinstance(value, pikepdf.Name)
                        )
                        stack.extend(
                            value
                            for value in current.values()
                            if isinstance(value, pikepdf.Object) and not value.is_indirect
                        )
    return found


def test_a_pdf_loses_scripts_actions_and_embedded_files():
    original = _active_pdf()
    assert {"/OpenAction", "/JavaScript", "/Launch", "/EF"} <= _names_in(original)
    cleaned = inspect_upload("lettre.pdf", original, keep_original=False)
    assert cleaned.media_type == PDF and cleaned.cleaned
    left = _names_in(cleaned.data)
    for active in ("/OpenAction", "/AA", "/JS", "/JavaScript", "/Launch", "/EF", "/EmbeddedFiles"):
        assert active not in left
    assert b"calc.exe" not in cleaned.data and b"MZ hidden program" not in cleaned.data


def test_a_pdf_kept_as_evidence_keeps_everything():
    original = _active_pdf()
    kept = inspect_upload("preuve.pdf", original, keep_original=True)
    assert kept.data == original and not kept.cleaned

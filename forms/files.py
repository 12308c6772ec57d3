"""Uploaded files: limits, type and metadata checks, shared by the forms that accept files."""

from __future__ import annotations

import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from portal.attachments import (
    CHECK_SECONDS,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    CleanFile,
    RejectedFile,
    inspect_upload,
)

FILE_ERRORS = {
    "type": _l(
        "%(name)s: this type of file is not accepted (PDF, JPEG, PNG, text, ODT or DOCX only)."
    ),
    "polyglot": _l("%(name)s: this file contains another file hidden inside it and was refused."),
    "pixels": _l("%(name)s: this image is too large (more than 40 megapixels)."),
    "damaged": _l("%(name)s: this file seems damaged and could not be read."),
    "empty": _l("%(name)s: this file is empty."),
    "archive": _l(
        "%(name)s: this document is protected by a password, uses an unusual format, or would "
        "be far too large once opened. Save it again as a plain ODT, DOCX or PDF file."
    ),
    "size": _l("%(name)s: this file is larger than 10 MB."),
    "unsafe": _l(
        "%(name)s: this file could not be checked safely and was refused. Send it in "
        "another format (PDF, JPEG or PNG) or a smaller version of it."
    ),
}
#: Seconds all the files of one form may take to check, within gunicorn's timeout.
CHECK_BUDGET_SECONDS = 40


def uploaded_names(field) -> list[str]:
    """The names of the files a field received (to ask for them again after an error)."""
    return [upload.filename for upload in (field.data or []) if getattr(upload, "filename", "")]


def check_uploads(field, *, keep_original: bool) -> list[CleanFile]:
    """Every file of the field, checked and cleaned; one translated error listing each refusal."""
    uploads = [upload for upload in (field.data or []) if getattr(upload, "filename", "")]
    if len(uploads) > MAX_FILES:
        raise ValidationError(_l("Send at most 5 files."))
    contents = [(upload.filename, upload.read(MAX_FILE_BYTES + 1)) for upload in uploads]
    if sum(len(data) for _, data in contents) > MAX_TOTAL_BYTES:
        raise ValidationError(
            _l("Your files add up to more than 25 MB. Send fewer or smaller files.")
        )
    accepted, errors = [], []
    deadline = time.monotonic() + CHECK_BUDGET_SECONDS
    for name, data in contents:
        seconds = min(CHECK_SECONDS, deadline - time.monotonic())
        try:
            if seconds < 1:
                raise RejectedFile("unsafe")
            accepted.append(
                inspect_upload(name, data, keep_original=keep_original, seconds=seconds)
            )
        except RejectedFile as rejected:
            errors.append(str(FILE_ERRORS[rejected.reason] % {"name": name[:80]}))
    if errors:
        raise ValidationError(" ".join(errors))
    return accepted


class FormWithFiles(FlaskForm):
    """A form with an ``attachments`` field: keeps the cleaned files when valid, and
    the names to select again when not (files are never kept after an error)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.clean_files: list[CleanFile] = []
        self.files_to_select_again: list[str] = []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            self.files_to_select_again = uploaded_names(self.attachments)
            self.clean_files = []
        return valid

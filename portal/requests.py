"""The request class: uploads never touch the disk."""

from __future__ import annotations

import io
from typing import IO

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict


class PortalRequest(Request):
    """Werkzeug spools an upload over 500 KiB to a temporary file, in clear, before any
    view runs. A reporter's file must only ever be stored encrypted, so every upload
    stays in memory; ``MAX_CONTENT_LENGTH`` bounds how much that can be.

    A multipart part with no name is kept by Werkzeug under the key ``None``, on which
    Flask-WTF's CSRF lookup crashes; no form of ours has such a field, so it is dropped.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for name in ("form", "files"):
            parsed = self.__dict__[name]
            if any(not key for key in parsed):
                self.__dict__[name] = ImmutableMultiDict(
                    [(key, value) for key, value in parsed.items(multi=True) if key]
                )

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()

"""The request class: uploads never touch the disk."""

from __future__ import annotations

import io
from typing import IO

from flask import Request


class PortalRequest(Request):
    """Werkzeug spools an upload over 500 KiB to a temporary file, in clear, before any
    view runs. A reporter's file must only ever be stored encrypted, so every upload
    stays in memory; ``MAX_CONTENT_LENGTH`` bounds how much that can be."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()

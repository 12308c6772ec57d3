"""No plaintext at rest: a marker typed everywhere is found nowhere on disk or in the database."""

from __future__ import annotations

import io
import logging
import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from portal.extensions import db
from tests.intake_helpers import REPLY_URL, hidden, post_referral, shown_receipt
from tests.test_followup import follow

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


def spellings(marker: str) -> list[bytes]:
    return [
        form.encode(encoding)
        for form in (marker, marker.lower())
        for encoding in ("utf-8", "utf-16-le")
    ]


def files_containing(root: Path, needles: list[bytes], since: float | None = None) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        try:
            if not path.is_file() or path.is_symlink():
                continue
            stat = path.stat()
            if since is not None and stat.st_mtime < since:
                continue
            if stat.st_size > 200 * 1024 * 1024:
                continue
            data = path.read_bytes()
        except (OSError, PermissionError):
            continue
        if any(needle in data for needle in needles):
            hits.append(str(path))
    return hits


def postgres_columns_containing(app, marker: str) -> list[str]:
    hits = []
    with app.app_context(), db.engine.connect() as connection:
        columns = connection.execute(
            sa.text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        ).all()
        for table, column, data_type in columns:
            if data_type == "bytea":
                condition = (
                    f"position(convert_to(:m, 'UTF8') in \"{column}\") > 0 "
                    f"OR position(convert_to(lower(:m), 'UTF8') in \"{column}\") > 0"
                )
            elif data_type in TEXT_TYPES:
                condition = f'strpos(lower("{column}"::text), lower(:m)) > 0'
            else:
                continue
            count = connection.execute(
                sa.text(f'SELECT count(*) FROM "{table}" WHERE {condition}'), {"m": marker}
            ).scalar()
            if count:
                hits.append(f"{table}.{column}")
        assert len(columns) > 40, "the scan must see the whole schema"
    return hits


def test_nothing_typed_by_a_reporter_is_stored_in_clear(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    started = time.time() - 1
    marker = "CANARY" + uuid.uuid4().hex[:12].upper()
    reply_marker = "REPLY" + uuid.uuid4().hex[:12].upper()
    response = post_referral(
        client,
        "fr",
        organisations=f"{marker} organisation",
        persons=f"{marker} personne",
        websites=f"https://{marker.lower()}.example/page",
        commune=f"{marker} commune",
        since_when=f"{marker} depuis",
        description=f"{marker} description suffisamment longue pour être acceptée.",
        contact_mode="contact",
        name=f"{marker} nom",
        email=f"{marker.lower()}@example.fr",
        phone="06 12 34 56 78",
        best_time=f"{marker} soir",
        consent_contact="y",
        files=[(f"{marker}.txt", f"pièce jointe {marker}".encode())],
    )
    assert response.status_code == 200
    page = follow(client, shown_receipt(response)).get_data(as_text=True)
    reply = client.post(
        REPLY_URL["fr"],
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "receipt": hidden(page, "receipt"),
            "body": f"{reply_marker} réponse",
            "attachments": [
                (io.BytesIO(f"fichier {reply_marker}".encode()), f"{reply_marker}.txt")
            ],
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 200 and reply_marker in reply.get_data(as_text=True)

    needles = spellings(marker) + spellings(reply_marker)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        database = Path(url.database)
        journal = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]

        def leaked() -> list[str]:
            return [
                str(p) for p in journal if p.exists() and any(n in p.read_bytes() for n in needles)
            ]

        # While connections are open the latest writes sit in the WAL: scan it now…
        assert Path(f"{database}-wal").stat().st_size > 0
        assert leaked() == []
        # …then again once the last connection closes and SQLite checkpoints into the file.
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        assert leaked() == []
    else:
        assert postgres_columns_containing(app, marker) == []
        assert postgres_columns_containing(app, reply_marker) == []
    assert files_containing(Path(app.instance_path), needles) == []
    assert files_containing(Path(tempfile.gettempdir()), needles, since=started) == []
    assert not any(marker in record.getMessage() for record in caplog.records)


def test_the_scan_would_see_plaintext(tmp_path):
    """The scanner itself works: a marker written in clear is found."""
    marker = "CANARY" + uuid.uuid4().hex[:8].upper()
    (tmp_path / "leak.bin").write_bytes(b"xx" + marker.lower().encode("utf-16-le"))
    assert files_containing(tmp_path, spellings(marker)) == [str(tmp_path / "leak.bin")]
    assert files_containing(tmp_path, spellings(marker), since=time.time() + 60) == []
    os.remove(tmp_path / "leak.bin")

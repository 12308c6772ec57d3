"""Server time of the statistics page and of an export at 10k, 100k and 1M referrals.

    .venv/bin/python benchmarks/statistics.py                  # both backends: about 12 minutes
    .venv/bin/python benchmarks/statistics.py --backend sqlite --sizes 100000 --repeat 10

The referrals are benchmarks/triage.py's bulk rows (plaintext metadata spread over
the last five years, placeholder ciphertext), with a routing for each one routed or
closed; they are written with SQL, past the ORM, so the statistics' tallies are then
rebuilt from them (timed: what `portal statistics rebuild` costs). Each request goes
through the Flask test client with a staff member's session, in process: no network,
no queueing, but the session, the adding up of the tallies and the rendering of every
table, chart and map. Nothing is cached: each request adds up again. Measured: the
page for the last full calendar year, the page for the last five years (a range of
days), and the XLSX export of the
year. Writes artifacts/benchmarks/statistics.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import argparse
import gc
import os
import platform
import random
import tempfile
import time
from datetime import timedelta

import sqlalchemy as sa

from benchmarks import triage
from portal.extensions import db
from portal.models import Association, Referral, Routing, utcnow
from portal.statistics import tallies
from portal.statistics.calendar import STATISTICS_ZONE


def pages() -> dict[str, str]:
    today = utcnow().astimezone(STATISTICS_ZONE).date()
    last_year = today.year - 1
    five_years_ago = today - timedelta(days=5 * 365)
    return {
        "page, one year": f"/bo/statistiques/?year={last_year}",
        "page, five years": (
            f"/bo/statistiques/?date_from={five_years_ago.isoformat()}&date_to={today.isoformat()}"
        ),
        "XLSX export, one year": f"/bo/statistiques/export.xlsx?year={last_year}",
    }


class BulkRoutings:
    """Routings for the bulk referrals that were routed or closed (about 70 %), to the
    reference associations in turn, with the moments of their answers."""

    def __init__(self, app, staff_id: int) -> None:
        self.app, self.staff_id, self.after = app, staff_id, 0
        self.rng = random.Random(2)  # noqa: S311 - benchmark data, no secret
        with app.app_context():
            self.associations = db.session.scalars(sa.select(Association.id)).all()

    def _row(self, referral_id: int, created) -> dict:
        status = self.rng.choice(("pending", "accepted", "declined", "closed"))
        answered = created + timedelta(days=self.rng.random() * 15)
        return {
            "referral_id": referral_id,
            "association_id": self.rng.choice(self.associations),
            "status": status,
            "identity_shared": False,
            "routed_by_id": self.staff_id,
            "created_at": created,
            "updated_at": created,
            "responded_at": None if status == "pending" else answered,
            "closed_at": answered + timedelta(days=30) if status == "closed" else None,
        }

    def catch_up(self) -> int:
        added = 0
        with self.app.app_context(), db.engine.begin() as connection:
            found = connection.execute(
                sa.select(Referral.id, Referral.created_at)
                .where(Referral.id > self.after, Referral.status.in_(("routed", "closed")))
                .order_by(Referral.id)
            ).all()
            for start in range(0, len(found), triage.BATCH):
                rows = [self._row(*row) for row in found[start : start + triage.BATCH]]
                connection.execute(sa.insert(Routing.__table__), rows)
                added += len(rows)
            last = connection.scalar(sa.select(sa.func.max(Referral.id)))
        self.after = last or self.after
        return added


def rebuild_tallies(app) -> tuple[float, int]:
    """The bulk rows bypass the ORM, hence its tallies: counted again, as
    ``portal statistics rebuild`` does after a bulk load."""
    started = time.perf_counter()
    with app.app_context():
        written = tallies.rebuild(db.session)
        db.session.commit()
    return time.perf_counter() - started, written


def run_backend(backend: str, sizes: list[int], repeat: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-statistics-{backend}-"))
    database = triage.Database(backend, workdir)
    try:
        app, config, group_key = triage.build_app(database, workdir)
        email, password, totp_secret, staff_id = triage.create_staff(app, group_key)
        bulk = triage.BulkReferrals(app, config, staff_id)
        routings = BulkRoutings(app, staff_id)
        client = app.test_client()
        triage.log_in(client, email, password, totp_secret)
        results = {}
        for size in sizes:
            seconds = bulk.grow_to(size)
            routings.catch_up()
            rebuild_seconds, written = rebuild_tallies(app)
            gc.collect()
            gc.freeze()  # as portal/gunicorn_conf.py does in each worker after start-up
            print(
                f"[{backend}] {size:>9,} referrals (bulk insert {seconds:.1f} s, "
                f"tallies rebuilt in {rebuild_seconds:.1f} s: {written:,} rows)",
                flush=True,
            )
            figures = {
                "bulk_insert_s": round(seconds, 1),
                "tallies_rebuild_s": round(rebuild_seconds, 1),
                "tallies": written,
            }
            for name, url in pages().items():
                figures[name] = triage.summary(triage.timed_get(client, url, repeat))
                print(f"    {name:<24} {figures[name]}", flush=True)
            results[str(size)] = figures
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        database.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    report = {
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "command": " ".join(sys.argv),
        "repeat": args.repeat,
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "results": {
            backend: run_backend(backend, sorted(args.sizes), args.repeat) for backend in backends
        },
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
    }
    triage.save_report("statistics", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

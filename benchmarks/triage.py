"""Benchmark of the triage queue and the referral page at 10k, 100k and 1M referrals.

    .venv/bin/python benchmarks/triage.py [--sizes 10000 100000 1000000]
        [--backend sqlite --backend postgresql] [--repeat 200]

For each backend it creates a fresh database (an SQLite file in a temporary folder; a
throwaway database next to PORTAL_BENCH_POSTGRES_URL's), applies the migrations,
creates the installation keys and a staff account, and submits 20 real referrals
through the intake. Then, for each size, it bulk-inserts referrals up to that size
and measures the server time of four pages, in-process through the WSGI test client
(no network, no queueing; CSRF, sessions, decryption and the audit log all on):

- the triage queue's first page (default view: open cases, urgent first);
- a filtered page (region, domain, unassigned);
- page 1,000 of all referrals, reached by following 999 "next page" links;
- the page of one of the 20 real referrals (decrypts, writes an audit event);
- each view of the queue (to triage, mine, waiting for the reporter, routed and not
  yet accepted, to read, overdue, closed), kept rows forgotten before every request, so that
  each one reads and renders its page as after a change;
- a search by organisation name (POST, blind index; not kept) and by reference;
- the queue filtered by a rare tag (0.2 % of the bulk referrals) and by a common one
  (5 %), kept rows forgotten as for the views, and the CSV export of the rare tag's
  cases (about 2,000 rows at a million).

Every staff page also counts the account's cases to read (the header).

The bulk path writes plaintext metadata with realistic spreads (status, region,
domain, flags, five years of dates, one blind-index entry each) and placeholder
ciphertext: bulk rows are listed and counted, never opened. Results are printed and
written to artifacts/benchmarks/triage.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts this folder first on the path, where benchmarks/http.py
# would stand for the standard library's http package: the project's root instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import argparse
import gc
import json
import os
import platform
import random
import re
import secrets
import statistics
import tempfile
import time
from collections import Counter
from datetime import timedelta

import pyotp
import sqlalchemy as sa

import crypto
from benchmarks.intake import percentile
from portal import accounts, create_app
from portal.casework import deadlines, tags
from portal.config import Config
from portal.extensions import db
from portal.keyring import initialise_keys, intake_keys
from portal.models import BlindIndexEntry, Departement, Referral, ReferralTag, utcnow
from portal.public.intake import Secrets, Submission, submit_referral
from portal.reference import load_reference_data
from portal.statistics import tallies
from portal.statistics.calendar import month_of
from portal.templating import FRAGMENTS_KEY
from portal.vocabulary import DOMAINS, REPORTER_ROLES

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 20_000
REAL_REFERRALS = 20
ORGANISATION_NAMES = 20_000
STATUS_WEIGHTS = {
    "new": 8,
    "in_triage": 12,
    "awaiting_reporter": 5,
    "routed": 20,
    "transmitted_to_prosecutor": 5,
    "closed": 50,
}
FILTERED_QUERY = "region=84&domain=alternative_therapies&assigned=nobody"
#: The queue's views (the links above it).
VIEWS = {
    "view_to_triage": "status=to_triage",
    "view_mine": "assigned=me&status=all",
    "view_waiting": "status=awaiting_reporter",
    "view_pending": "pending=y",
    "view_to_read": "to_read=y&status=all",
    "view_overdue": "overdue=y&status=all",
    "view_closed": "status=closed",
}
DEEP_PAGE = 1000
#: Share of the bulk referrals carrying each benchmark tag: one rare, one common.
TAG_SHARES = {"rare": 0.002, "common": 0.05}


class Database:
    """A fresh, empty database of one backend, removed afterwards."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.url = f"sqlite:///{workdir / 'portal.db'}"
            self._admin_url = None
        else:
            base = sa.make_url(os.environ.get("PORTAL_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
            self.name = f"portal_triage_bench_{secrets.token_hex(4)}"
            self._admin_url = base
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = base.set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
        engine.dispose()

    def drop(self) -> None:
        if self._admin_url is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def build_app(database: Database, workdir: Path):
    config = Config(
        instance_path=workdir,
        database_url=database.url,
        secret_key=secrets.token_urlsafe(32),
        receipt_pepper=secrets.token_urlsafe(32),
        blind_index_key=secrets.token_urlsafe(32),
        audit_key=secrets.token_urlsafe(32),
        https=False,
    )
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        load_reference_data(db.session)
        group_key = initialise_keys(db.session).private_key
        db.session.commit()
    return app, config, group_key


def create_staff(app, group_key: bytes) -> tuple[str, str, str, int]:
    with app.app_context():
        credentials = accounts.create_account(db.session, "bench@example.fr", "staff")
        accounts.grant_group_keys(db.session, credentials.user, group_key, "system")
        db.session.commit()
        return (
            credentials.user.email,
            credentials.password,
            credentials.totp_secret,
            credentials.user.id,
        )


def submit_real_referrals(app, config: Config) -> list[str]:
    """Real, decryptable referrals; they all name "Organisation 7", as do ~50 bulk rows
    per million, so the page's "other referrals naming it" has something to find."""
    public_ids = []
    with app.app_context():
        keys = intake_keys(db.session)
        for number in range(REAL_REFERRALS):
            submission = Submission(
                kind="report",
                reporter_role="relative",
                domain="alternative_therapies",
                departement="21",
                minor_involved="no",
                health_risk=True,
                immediate_danger=False,
                organisations=["Organisation 7"],
                persons=[],
                websites=["https://organisation-7.example"],
                commune="Dijon",
                since_when="deux ans",
                signs=["medical_care", "break_with_family"],
                description=f"Signalement réel numéro {number}. "
                + "Ma sœur a cessé ses soins. " * 60,
                contact={
                    "name": "Claire",
                    "email": "claire@example.fr",
                    "phone": "",
                    "best_time": "",
                },
                contact_allowed=True,
                share_identity=False,
            )
            receipted = submit_referral(
                db.session, submission, crypto.new_receipt(), keys, Secrets.from_config(config)
            )
            public_ids.append(receipted.public_id)
        db.session.commit()
    return public_ids


class BulkReferrals:
    """Plaintext metadata at scale, placeholder ciphertext: listed, never opened."""

    def __init__(self, app, config: Config, staff_id: int) -> None:
        self.app = app
        self.staff_id = staff_id
        self.rng = random.Random(1)  # noqa: S311 - benchmark data, no secret
        self.inserted = 0
        with app.app_context():
            rows = db.session.execute(sa.select(Departement.code, Departement.region_code))
            self.departements = [(code, region) for code, region in rows]
        index_key = config.key_bytes("blind_index_key")
        self.tokens = [
            crypto.name_token(index_key, f"Organisation {number}")
            for number in range(ORGANISATION_NAMES)
        ]
        with app.app_context():
            self.tag_ids = {
                name: tags.create(db.session, f"benchmark {name}", "system").id
                for name in TAG_SHARES
            }
            db.session.commit()
        self.documents = [os.urandom(1200) for _ in range(64)]
        self.wrapped_key = os.urandom(72)
        self.now = utcnow()

    def _row(self, number: int) -> dict:
        rng = self.rng
        departement, region = rng.choice(self.departements)
        created = self.now - timedelta(days=1 + rng.random() * 5 * 365)
        status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
        first_action = None if status == "new" else created + timedelta(days=rng.random() * 20)
        closed = first_action + timedelta(days=rng.random() * 90) if status == "closed" else None
        return {
            "public_id": f"{created:%Y}-Z{number:06X}",
            "kind": "opinion" if rng.random() < 0.2 else "report",
            "status": status,
            "reporter_role": rng.choice(list(REPORTER_ROLES)),
            "domain": rng.choice(list(DOMAINS)),
            "departement": departement,
            "region_code": region,
            "minor_involved": rng.choice(("no", "no", "yes", "unknown")),
            "health_risk": rng.random() < 0.2,
            "urgent": rng.random() < 0.02,
            "contact_allowed": False,
            "share_identity": False,
            "has_identity": False,
            "created_at": created,
            "updated_at": created,
            "assigned_to_id": self.staff_id if status != "new" and rng.random() < 0.1 else None,
            "returned": False,
            "to_read_since": created if rng.random() < 0.005 else None,
            **self._deadline(status, created, first_action),
            "closing_reason": "answered" if status == "closed" else None,
            "first_action_at": first_action,
            "closed_at": closed,
            "month": month_of(created),
            "lookup_token": os.urandom(32),
            "reporter_wrapped_key": self.wrapped_key,
            "document": self.documents[number % len(self.documents)],
        }

    @staticmethod
    def _deadline(status: str, created, first_action) -> dict:
        """As the casework sets them (most are long past: five years of cases)."""
        waits = {
            "new": ("triage", created, deadlines.TRIAGE_WORKING_DAYS),
            "in_triage": ("triage", created, deadlines.TRIAGE_WORKING_DAYS),
            "awaiting_reporter": ("reporter", first_action, deadlines.REPORTER_WORKING_DAYS),
            "routed": ("acceptance", first_action, deadlines.ACCEPTANCE_WORKING_DAYS),
        }
        if status not in waits:
            return {"due_on": None, "due_kind": None}
        kind, start, days = waits[status]
        return {
            "due_on": deadlines.working_days_after(deadlines.paris_day(start), days),
            "due_kind": kind,
        }

    def grow_to(self, total_bulk: int) -> float:
        """Insert bulk rows until ``total_bulk`` exist; returns the seconds it took."""
        started = time.perf_counter()
        with self.app.app_context():
            while self.inserted < total_bulk:
                count = min(BATCH, total_bulk - self.inserted)
                rows = [self._row(self.inserted + offset) for offset in range(count)]
                with db.engine.begin() as connection:
                    connection.execute(sa.insert(Referral.__table__), rows)
                    ids = connection.scalars(
                        sa.select(Referral.id).where(
                            Referral.public_id.in_([row["public_id"] for row in rows])
                        )
                    ).all()
                    connection.execute(
                        sa.insert(BlindIndexEntry.__table__),
                        [
                            {"referral_id": row_id, "token": self.rng.choice(self.tokens)}
                            for row_id in ids
                        ],
                    )
                    tagged = [
                        {"referral_id": row_id, "tag_id": self.tag_ids[name]}
                        for row_id in ids
                        for name, share in TAG_SHARES.items()
                        if self.rng.random() < share
                    ]
                    if tagged:
                        connection.execute(sa.insert(ReferralTag.__table__), tagged)
                    tally = Counter(row["status"] for row in rows)
                    tallies.move_status_counts(connection, tally)
                self.inserted += count
            # What autovacuum and autoanalyze do on their own after a big insert; on
            # PostgreSQL the visibility map lets the queue's id scan stay in the index.
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                ) as connection:
                    connection.execute(sa.text("VACUUM ANALYZE"))
            else:
                with db.engine.begin() as connection:
                    connection.execute(sa.text("ANALYZE"))
        return time.perf_counter() - started


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]*)"', page).group(1)


def log_in(client, email: str, password: str, totp_secret: str) -> None:
    page = client.get("/connexion").get_data(as_text=True)
    response = client.post(
        "/connexion", data={"csrf_token": csrf_token(page), "email": email, "password": password}
    )
    second = response.headers["Location"].split("?")[0]
    page = client.get(second).get_data(as_text=True)
    code = pyotp.TOTP(totp_secret).now()
    response = client.post(second, data={"csrf_token": csrf_token(page), "code": code})
    assert response.status_code == 302, "login failed"


def timed_get(client, url: str, repeat: int, *, forget_kept: bool = False) -> list[float]:
    """``forget_kept``: the kept fragments are dropped before each request (timed
    outside), as if the queue had just changed."""
    for _ in range(5):  # warm caches and the connection pool
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(repeat):
        if forget_kept:
            client.application.extensions[FRAGMENTS_KEY].clear()
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, url
    return timings


def deep_page_url(client, start: str, page_number: int) -> tuple[str, int]:
    """Follow "next page" links; returns the URL of ``page_number`` (or the last page)."""
    url, reached = start, 1
    while reached < page_number:
        page = client.get(url).get_data(as_text=True)
        found = re.search(r'href="(/bo/\?[^"]*after=[^"]*)"[^>]*>', page)
        if found is None:
            break
        url, reached = found.group(1).replace("&amp;", "&"), reached + 1
    return url, reached


def summary(timings: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(timings) * 1000, 1),
        "p95_ms": round(percentile(timings, 0.95) * 1000, 1),
        "max_ms": round(max(timings) * 1000, 1),
    }


def measure(client, real_ids: list[str], repeat: int, tag_ids: dict[str, int]) -> dict:
    results = {
        "queue_first_page": summary(timed_get(client, "/bo/", repeat)),
        "filtered_page": summary(timed_get(client, f"/bo/?{FILTERED_QUERY}", repeat)),
    }
    url, reached = deep_page_url(client, "/bo/?status=all", DEEP_PAGE)
    results["deep_page"] = {"page": reached, **summary(timed_get(client, url, repeat))}
    timings = []
    for number in range(repeat):
        timings += timed_get(client, f"/bo/signalements/{real_ids[number % len(real_ids)]}", 1)
    results["referral_page"] = summary(timings)
    for name, query in VIEWS.items():
        results[name] = summary(timed_get(client, f"/bo/?{query}", repeat, forget_kept=True))
    for name, tag_id in tag_ids.items():
        query = f"status=all&tag={tag_id}"
        results[f"view_tag_{name}"] = summary(
            timed_get(client, f"/bo/?{query}", repeat, forget_kept=True)
        )
    # The export of the rarer tag's cases (about 2,000 rows at a million): audited too.
    results["export_tag_rare"] = summary(
        timed_get(client, f"/bo/export.csv?status=all&tag={tag_ids['rare']}", max(repeat // 10, 5))
    )
    # Named by the real referrals, and by about one bulk referral in 20,000.
    results["search_organisation"] = summary(timed_search(client, "organisation 7", repeat))
    results["search_reference"] = summary(timed_search(client, real_ids[0], repeat))
    return results


def timed_search(client, typed: str, repeat: int) -> list[float]:
    token = csrf_token(client.get("/bo/recherche").get_data(as_text=True))
    timings = []
    for number in range(repeat + 5):
        started = time.perf_counter()
        response = client.post("/bo/recherche", data={"csrf_token": token, "query": typed})
        if number >= 5:  # the first ones warm the caches
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200 and "/bo/signalements/" in response.get_data(
            as_text=True
        ), typed
    return timings


def run_backend(backend: str, sizes: list[int], repeat: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-triage-{backend}-"))
    database = Database(backend, workdir)
    try:
        app, config, group_key = build_app(database, workdir)
        email, password, totp_secret, staff_id = create_staff(app, group_key)
        real_ids = submit_real_referrals(app, config)
        bulk = BulkReferrals(app, config, staff_id)
        client = app.test_client()
        log_in(client, email, password, totp_secret)
        results = {}
        for size in sizes:
            seconds = bulk.grow_to(size - REAL_REFERRALS)
            gc.collect()
            gc.freeze()  # as portal/gunicorn_conf.py does in each worker after start-up
            print(f"[{backend}] {size:>9,} referrals (bulk insert {seconds:.1f} s)", flush=True)
            results[str(size)] = {
                "bulk_insert_s": round(seconds, 1),
                **measure(client, real_ids, repeat, bulk.tag_ids),
            }
            for name, figures in results[str(size)].items():
                print(f"    {name:<18} {figures}", flush=True)
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        database.drop()


def save_report(name: str, report: dict) -> None:
    """``artifacts/benchmarks/<name>.json``; a run of one backend keeps the other
    backend's last figures."""
    out = ROOT / "artifacts" / "benchmarks" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        earlier = json.loads(out.read_text()).get("results", {})
        report["results"] = {**earlier, **report["results"]}
    out.write_text(json.dumps(report, indent=2))
    print(f"Written to {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    report = {
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "repeat": args.repeat,
        "filtered_query": FILTERED_QUERY,
        "results": {
            backend: run_backend(backend, sorted(args.sizes), args.repeat) for backend in backends
        },
    }
    save_report("triage", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

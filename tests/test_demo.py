"""`portal demo seed`: the demo of `make run` goes through the real operations."""

from __future__ import annotations

import json
import stat

import pyotp
from click.testing import CliRunner
from sqlalchemy import select

from portal import accounts, create_app
from portal.casework.access import can_see, open_data_key
from portal.cli import main
from portal.config import Config
from portal.demo import PARTNER_A, PARTNER_B
from portal.extensions import db
from portal.models import Association, Note, Referral, Routing, User


def _demo_instance(databases, tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("PORTAL_DATABASE_URL", databases.create())
    monkeypatch.setenv("PORTAL_HTTPS", "false")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    kit = runner.invoke(main, ["keys", "init", "--kit-file", str(tmp_path / "kit.txt")])
    assert kit.exit_code == 0, kit.output
    return runner


def test_demo_seed_creates_working_accounts_and_cases_once(databases, tmp_path, monkeypatch):
    runner = _demo_instance(databases, tmp_path, monkeypatch)
    seed = ["demo", "seed", "--kit-file", str(tmp_path / "kit.txt"), "--count", "60"]

    first = runner.invoke(main, seed, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "Demo: 60 fictional referrals" in first.output
    assert "DEMO accounts: fictional data" in first.output
    accounts_file = tmp_path / "instance" / "demo-accounts.json"
    assert stat.S_IMODE(accounts_file.stat().st_mode) == 0o600
    data = json.loads(accounts_file.read_text())
    assert [a["role"] for a in data["accounts"]] == [
        "admin",
        "staff",
        "analyst",
        "partner",
        "partner",
    ]
    for account in data["accounts"]:
        assert account["email"] in first.output and account["password"] in first.output
        assert account["totp_secret"] in first.output

    again = runner.invoke(main, seed, catch_exceptions=False)
    assert again.exit_code == 0 and "Demo: " not in again.output  # nothing added
    assert data["accounts"][0]["password"] in again.output

    codes = runner.invoke(main, ["demo", "codes"]).output.splitlines()
    assert len(codes) == 5
    for line, account in zip(codes, data["accounts"], strict=True):
        code, email = line.split("  ")
        assert email == account["email"]
        assert pyotp.TOTP(account["totp_secret"]).verify(code, valid_window=1)
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0

    app = create_app(Config.from_env())
    with app.app_context():
        referrals = db.session.scalars(select(Referral)).all()
        assert len(referrals) == 60
        assert len({referral.status for referral in referrals}) >= 4
        for account in data["accounts"]:
            user, private_key = accounts.check_password(
                db.session, account["email"], account["password"], fast_hashing=False
            )
            visible = [referral for referral in referrals if can_see(db.session, user, referral)]
            if user.is_miviludes:
                assert len(visible) == 60
                continue
            if user.role == "analyst":
                assert visible == []
                continue
            association = db.session.get(Association, user.association_id)
            assert association.slug in (PARTNER_A, PARTNER_B)
            covered = {item.departement_code for item in association.coverage}
            routed_here = db.session.scalars(
                select(Routing).where(Routing.association_id == association.id)
            ).all()
            assert routed_here, "each demo partner has cases"
            assert all(referral.departement in covered for referral in visible)
            for referral in visible:  # the partner's own key really opens its cases
                assert len(open_data_key(db.session, user, private_key, referral)) == 32
        assert db.session.scalar(select(User.id).where(User.disabled.is_(True))) is None
        # Messages and notes are dated within their referral's timeline, in order.
        written = 0
        for referral in referrals:
            notes = db.session.scalars(select(Note).where(Note.referral_id == referral.id))
            moments = [item.created_at for item in (*referral.messages, *notes)]
            written += len(moments)
            assert all(referral.created_at <= m <= referral.updated_at for m in moments)
        assert written > 20


def test_demo_seed_refuses_a_real_installation_and_a_bad_kit(databases, tmp_path, monkeypatch):
    runner = _demo_instance(databases, tmp_path, monkeypatch)
    monkeypatch.setenv("PORTAL_HTTPS", "true")
    monkeypatch.setenv("PORTAL_BASE_URL", "https://signalement.example.fr")
    monkeypatch.setenv("PORTAL_ACCESSIBILITY_CONTACT", "accessibilite@example.fr")
    seed = ["demo", "seed", "--kit-file", str(tmp_path / "kit.txt")]
    refused = runner.invoke(main, seed)
    assert refused.exit_code != 0 and "only goes into a local demo" in refused.output

    monkeypatch.setenv("PORTAL_HTTPS", "false")
    bad_kit = tmp_path / "bad.txt"
    bad_kit.write_text("Recovery secret: " + "0" * 52 + "\n")
    wrong = runner.invoke(main, ["demo", "seed", "--kit-file", str(bad_kit)])
    assert wrong.exit_code != 0 and "does not open" in wrong.output
    bad_kit.write_text("nothing here\n")
    empty = runner.invoke(main, ["demo", "seed", "--kit-file", str(bad_kit)])
    assert empty.exit_code != 0 and "no recovery secret" in empty.output
    assert not (tmp_path / "instance" / "demo-accounts.json").exists()
